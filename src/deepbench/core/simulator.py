"""The one core abstraction: a stateless, vectorised simulator.

A simulator declares its parameters, fixed settings and outputs once, and implements one pure
method ``simulate(params, rng)`` over a whole batch: every parameter arrives as a float64 array of
shape ``(B,)`` and every output has leading dimension ``B``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from deepbench.core.params import Alternative, Output, Param, Setting
from deepbench.errors import Problem, SpecError


@dataclass
class SimResult:
    """What ``simulate`` returns.

    ``outputs`` holds every declared output; ``truth`` derived latent quantities; ``catalog`` per-object
    rows (each column (R, ...)) with a ``sample_index`` column counting samples within the batch.
    """

    outputs: dict[str, np.ndarray]
    truth: dict[str, np.ndarray] = field(default_factory=dict)
    catalog: dict[str, np.ndarray] | None = None


class Simulator:
    """Base class: subclass, declare, implement :meth:`simulate`, register by dotted name."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    summary: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    settings: ClassVar[tuple[Setting, ...]] = ()
    alternatives: ClassVar[tuple[Alternative, ...]] = ()

    def __init__(self, config: Mapping[str, Any] | None = None, *, path: str = "config"):
        given = dict(config or {})
        known = {s.name: s for s in self.settings}
        problems: list[Problem] = []
        for key in given:
            if key not in known:
                allowed = ", ".join(known) or "no settings"
                problems.append(Problem(f"{path}.{key}", given[key],
                                        f"a setting of {self.name} ({allowed})"))
        resolved = {}
        for s in self.settings:
            value = given.get(s.name, s.default)
            if isinstance(value, list):
                value = tuple(value)
            problems += s.check(value, f"{path}.{s.name}")
            resolved[s.name] = value
        if not problems:  # cross-setting checks may assume every setting has its type
            problems += self.check_config(resolved, path)
        if problems:
            raise SpecError(problems)
        self.config: dict[str, Any] = resolved

    # -- declarations that may depend on the config ------------------------------------------
    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        """Cross-setting checks; override when settings constrain each other."""
        return []

    def inactive(self) -> dict[str, str]:
        """Parameters this configuration does not use, with the reason (they are not drawn or stored)."""
        return {}

    @property
    def stochastic(self) -> bool:
        """True when ``simulate`` draws from ``rng`` (object positions, observation times). Only a
        deterministic simulator promises that a batch equals its samples simulated one by one."""
        return False

    def outputs(self) -> tuple[Output, ...]:
        raise NotImplementedError

    def truth_outputs(self) -> tuple[Output, ...]:
        """Derived latent quantities emitted per sample (shape excludes the batch axis)."""
        return ()

    def catalog_columns(self) -> tuple[Output, ...]:
        """Per-object columns (besides ``sample_index``) for multi-object samples."""
        return ()

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def check_params(self, params: Mapping[str, np.ndarray]) -> list[Problem]:
        """Problems with drawn parameter values that bounds alone cannot express (e.g. a time step
        too long for a sample's shortest period). The pipeline calls it on every chunk's drawn
        (and perturbed) values before any work; ``simulate`` may assume they passed. Override it
        cheaply: it sees the whole dataset's parameters."""
        return []

    # -- the physics ----------------------------------------------------------------------------
    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        raise NotImplementedError


class ImageSimulator(Simulator):
    """A simulator whose images are ``config.height`` × ``config.width`` pixels (its settings
    declare both)."""

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the images."""
        return (self.config["height"], self.config["width"])

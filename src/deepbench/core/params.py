"""Declarations a simulator makes once: parameters, fixed settings and outputs.

These frozen records drive validation, defaults, ``deepbench describe``, the documentation and the
label columns written to a store.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from deepbench.errors import Problem

Kind = Literal["float", "int"]


@dataclass(frozen=True)
class Param:
    """A per-sample physical or geometric parameter.

    Bounds are inclusive unless ``open_low``/``open_high`` say otherwise. ``period`` marks a
    parameter that is periodic (e.g. a rotation) and may be a function of other settings: the
    label is stored as drawn, and ``period`` documents the symmetry the latent has.
    """

    name: str
    default: float | int | None
    unit: str
    doc: str
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    open_high: bool = False
    kind: Kind = "float"
    period: str | None = None

    def allowed(self) -> str:
        """Human-readable description of the allowed range, with the unit."""
        lo = "" if self.low == -math.inf else f"{'>' if self.open_low else '>='} {self.low:g}"
        hi = "" if self.high == math.inf else f"{'<' if self.open_high else '<='} {self.high:g}"
        rng = " and ".join(s for s in (lo, hi) if s) or "any value"
        what = "an integer" if self.kind == "int" else "a number"
        unit = f" (unit: {self.unit})" if self.unit else ""
        return f"{what} {rng}{unit}" if rng != "any value" else f"{what}{unit}"

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask of the values inside the bounds (NaN is outside)."""
        v = np.asarray(values, dtype=np.float64)
        ok = (v > self.low) if self.open_low else (v >= self.low)
        ok &= (v < self.high) if self.open_high else (v <= self.high)
        if self.kind == "int":
            ok &= v == np.round(v)
        return ok

    def interval_inside(self, lo: float, hi: float) -> bool:
        """True if every value in [lo, hi] lies within the bounds."""
        low_ok = lo > self.low if self.open_low else lo >= self.low
        high_ok = hi < self.high if self.open_high else hi <= self.high
        return bool(low_ok and high_ok)

    def clip(self, values: np.ndarray) -> np.ndarray:
        """Clip into the bounds; open bounds are nudged inside by one ulp."""
        lo = np.nextafter(self.low, math.inf) if self.open_low else self.low
        hi = np.nextafter(self.high, -math.inf) if self.open_high else self.high
        out = np.clip(values, lo, hi)
        return np.round(out) if self.kind == "int" else out


@dataclass(frozen=True)
class Setting:
    """A fixed setting of a simulator (image size, time grid, rendering mode): one value per run."""

    name: str
    default: Any
    doc: str
    type: type = int
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""

    def check(self, value: Any, path: str) -> list[Problem]:
        """Problems with ``value`` for this setting (empty if it is valid)."""
        if self.type is bool:
            ok = isinstance(value, bool)
        elif self.type is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif self.type is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, self.type)
        if not ok:
            return [Problem(path, value, f"a value of type {self.type.__name__}")]
        if isinstance(value, float) and not math.isfinite(value):
            return [Problem(path, value, "a finite number")]
        if self.choices is not None and value not in self.choices:
            return [Problem(path, value, "one of " + ", ".join(map(repr, self.choices)))]
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            return [Problem(path, value, f"a value in [{self.low}, {self.high}]")]
        return []


@dataclass(frozen=True)
class Output:
    """A declared array the simulator returns: per-sample ``shape`` (batch axis excluded)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    unit: str
    doc: str
    noisy: bool = True  # observation noise applies; False for masks and other exact outputs
    attrs: tuple[tuple[str, str], ...] = ()  # extra string attributes stored on the array


@dataclass(frozen=True)
class Alternative:
    """Exactly one of several parameterisations of one canonical parameter.

    ``options`` lists tuples of parameter names, e.g. ``(("g",), ("G", "M", "r"))``; the first is the
    default. ``derive`` maps a non-canonical option's arrays to the canonical parameter, which is then
    stored in ``truth/`` under ``target``.
    """

    target: str
    options: tuple[tuple[str, ...], ...]
    derive: Callable[[Mapping[str, np.ndarray]], np.ndarray] = field(compare=False)

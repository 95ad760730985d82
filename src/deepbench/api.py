"""The in-memory API for notebooks: ``simulate``, ``list_simulators``, ``describe``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.core import registry


@dataclass
class Batch:
    """An in-memory batch: ``outputs``, ``labels``, ``truth``, ``catalog`` (each name → array)."""

    outputs: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    labels_perturbed: dict[str, np.ndarray]
    truth: dict[str, np.ndarray]
    catalog: dict[str, np.ndarray]
    clean: dict[str, np.ndarray]
    class_names: list[str]
    spec: dict[str, Any]

    def __len__(self) -> int:
        return int(self.spec["n"])


def simulate(name_or_spec: str | Path | Mapping[str, Any], n: int | None = None, *,
             seed: int | None = None, config: Mapping[str, Any] | None = None,
             **params: Any) -> Batch:
    """Simulate in memory from a simulator name (with parameters as keywords) or a full spec.

    Parameters given as keywords are constants (numbers) or priors (``{"dist": "uniform", ...}``).
    The result equals what ``generate`` would store for the same spec.

    >>> batch = simulate("shapes.circle", n=4, seed=1, radius={"dist": "uniform", "low": 4, "high": 8})
    """
    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import load_spec, resolve

    if isinstance(name_or_spec, str) and name_or_spec in registry.names():
        raw: dict[str, Any] = {"simulator": name_or_spec, "params": params,
                               "config": dict(config or {})}
        raw["n"] = 1 if n is None else n
        raw["seed"] = 0 if seed is None else seed
    else:
        if isinstance(name_or_spec, str) and "." in name_or_spec and not name_or_spec.endswith(
                (".yaml", ".yml")) and not Path(name_or_spec).exists():
            registry.get(name_or_spec)  # raises with did-you-mean
        raw = load_spec(name_or_spec)
        if params or config:
            raise TypeError("parameters and config go into the spec when a spec is given")
        if n is not None:
            raw["n"] = n
        if seed is not None:
            raw["seed"] = seed
    resolved = resolve(raw)
    plan = Plan(resolved)
    chunks = [plan.simulate_chunk(k) for k in range(plan.n_chunks)]
    groups: dict[str, dict[str, np.ndarray]] = {}
    for g in ("outputs", "clean", "labels", "labels_perturbed", "truth", "catalog"):
        names = {name for c in chunks for name in c.groups.get(g, {})}
        groups[g] = {name: np.concatenate([c.groups[g][name] for c in chunks
                                           if name in c.groups.get(g, {})]) for name in names}
    return Batch(class_names=plan.class_names, spec=resolved, **groups)


def list_simulators() -> list[str]:
    """Every registered simulator's dotted name."""
    return registry.names()


def describe(name: str) -> dict[str, Any]:
    """A simulator's declaration: summary, version, parameters, settings, outputs (JSON-able)."""
    cls = registry.get(name, field="name")
    sim = cls()

    def bound(x: float) -> float | None:
        return None if math.isinf(x) else x

    return {
        "name": cls.name,
        "version": cls.version,
        "summary": cls.summary,
        "params": [{"name": p.name, "default": p.default, "unit": p.unit, "low": bound(p.low),
                    "high": bound(p.high), "open_low": p.open_low, "open_high": p.open_high,
                    "kind": p.kind, "period": p.period, "doc": p.doc} for p in cls.params],
        "alternatives": [{"target": a.target, "options": [list(o) for o in a.options]}
                         for a in cls.alternatives],
        "settings": [{"name": s.name, "default": s.default, "type": s.type.__name__,
                      "choices": s.choices, "low": s.low, "high": s.high, "doc": s.doc}
                     for s in cls.settings],
        "outputs": [{"name": o.name, "shape": list(o.shape), "dtype": o.dtype, "unit": o.unit,
                     "doc": o.doc} for o in sim.outputs()],
        "truth": [{"name": o.name, "shape": list(o.shape), "unit": o.unit, "doc": o.doc}
                  for o in sim.truth_outputs()],
        "catalog": [{"name": o.name, "shape": list(o.shape), "unit": o.unit, "doc": o.doc}
                    for o in sim.catalog_columns()],
    }

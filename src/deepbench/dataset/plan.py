"""Plan a run from a resolved spec and compute any chunk of it as a pure function.

Chunk ``k`` covers global samples ``[k·chunk_size, min(n, (k+1)·chunk_size))``. Its randomness comes
only from ``(seed, k, stage, sub-stream)``, so a chunk is the same whichever process computes it
and whenever. Stages in order: ``params`` (class draw, then each class's parameters in declaration
order, drawn for the whole chunk), ``param_noise``, ``simulate`` (one stream per class),
``obs_noise`` (one stream per output).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from deepbench.core import registry
from deepbench.core.noise import ObsNoise, OnInvalid, ParamNoise, perturb
from deepbench.core.params import Output
from deepbench.core.priors import Grid, Prior, grid_values
from deepbench.core.seeding import stage_rng
from deepbench.core.simulator import Simulator

GROUPS = ("outputs", "clean", "labels", "labels_perturbed", "truth", "catalog")
_PRIOR = TypeAdapter(Prior)
_OBS = TypeAdapter(ObsNoise)


@dataclass
class ClassPlan:
    """One class of the mixture, ready to run."""

    name: str
    sim: Simulator
    weight: float
    priors: dict[str, Any]
    noise: dict[str, ParamNoise]

    @property
    def grid(self) -> dict[str, Grid]:
        return {k: p for k, p in self.priors.items() if isinstance(p, Grid)}


@dataclass
class Chunk:
    """The arrays of one chunk, by group then name; ``catalog`` rows carry global ``sample_index``."""

    index: int
    start: int
    stop: int
    groups: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def sha256(self) -> str:
        """Content hash over every array (group, name, dtype, shape and bytes, in sorted order)."""
        h = hashlib.sha256()
        for group in sorted(self.groups):
            for name in sorted(self.groups[group]):
                a = np.ascontiguousarray(self.groups[group][name])
                h.update(f"{group}/{name}:{a.dtype.str}:{a.shape}".encode())
                h.update(a.tobytes())
        return h.hexdigest()


class Plan:
    """Everything a run needs, rebuilt from the resolved spec alone (so workers can rebuild it)."""

    def __init__(self, resolved: Mapping[str, Any]):
        self.resolved = resolved
        self.n: int = resolved["n"]
        self.seed: int = resolved["seed"]
        self.chunk_size: int = resolved["chunk_size"]
        self.on_invalid: OnInvalid = resolved["on_invalid"]
        self.classes = [
            ClassPlan(
                name=c["name"],
                sim=registry.get(c["simulator"])(c["config"]),
                weight=c["weight"],
                priors=_in_declaration_order(c),
                noise={k: ParamNoise(**v) for k, v in c["param_noise"].items()},
            )
            for c in resolved["classes"]
        ]
        self.obs_noise = {k: _OBS.validate_python(v) for k, v in resolved["obs_noise"].items()}
        self.store_clean: bool = resolved["output"]["store_clean"]
        self.dtypes: dict[str, str] = resolved["output"]["dtype"]

    # -- layout -----------------------------------------------------------------------------------
    @property
    def n_chunks(self) -> int:
        return -(-self.n // self.chunk_size)

    def chunk_bounds(self, k: int) -> tuple[int, int]:
        return k * self.chunk_size, min(self.n, (k + 1) * self.chunk_size)

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    @cached_property
    def outputs(self) -> tuple[Output, ...]:
        return self.classes[0].sim.outputs()

    @cached_property
    def label_columns(self) -> list[str]:
        cols: list[str] = []
        for c in self.classes:
            cols += [k for k in c.priors if k not in cols]
        return cols

    @cached_property
    def perturbed_columns(self) -> list[str]:
        cols: list[str] = []
        for c in self.classes:
            cols += [k for k in c.noise if k not in cols]
        return cols

    @cached_property
    def truth_outputs(self) -> dict[str, Output]:
        found: dict[str, Output] = {}
        for c in self.classes:
            for o in c.sim.truth_outputs():
                found.setdefault(o.name, o)
            for alt in c.sim.alternatives:
                if alt.options[0][0] not in c.priors:
                    found.setdefault(alt.target, Output(alt.target, (), "float64",
                                                        c.sim.param(alt.target).unit,
                                                        c.sim.param(alt.target).doc))
        return found

    @cached_property
    def catalog_columns(self) -> dict[str, Output]:
        found: dict[str, Output] = {}
        for c in self.classes:
            for o in c.sim.catalog_columns():
                found.setdefault(o.name, o)
        return found

    def param_unit(self, name: str) -> tuple[str, str]:
        for c in self.classes:
            for p in c.sim.params:
                if p.name == name:
                    return p.unit, p.doc
        return "", ""

    # -- computing a chunk ----------------------------------------------------------------------
    def simulate_chunk(self, k: int) -> Chunk:
        """Chunk ``k`` as a pure function of the resolved spec and ``k``."""
        start, stop = self.chunk_bounds(k)
        size = stop - start
        index = np.arange(start, stop)
        rng_params = stage_rng(self.seed, k, "params")
        rng_noise = stage_rng(self.seed, k, "param_noise")

        if len(self.classes) > 1:
            w = np.array([c.weight for c in self.classes], dtype=np.float64)
            cdf = np.cumsum(w / w.sum())
            cdf[-1] = 1.0
            cls = np.searchsorted(cdf, rng_params.uniform(size=size), side="right")
        else:
            cls = np.zeros(size, dtype=np.int64)

        labels = {name: np.full(size, np.nan) for name in self.label_columns}
        perturbed = {name: np.full(size, np.nan) for name in self.perturbed_columns}
        outputs: dict[str, np.ndarray] = {}
        truth: dict[str, np.ndarray] = {}
        catalogs: list[dict[str, np.ndarray]] = []
        for ci, c in enumerate(self.classes):
            values = self._draw(c, index, rng_params)
            used = dict(values)
            for name, noise in c.noise.items():
                used[name] = perturb(values[name], noise, c.sim.param(name), rng_noise,
                                     self.on_invalid, f"param_noise.{name}")
            mask = cls == ci
            if not mask.any():
                continue
            sel = np.flatnonzero(mask)
            for name, v in values.items():
                labels[name][sel] = v[sel]
            for name in c.noise:
                perturbed[name][sel] = used[name][sel]
            batch = {name: v[sel] for name, v in used.items()}
            derived = {}
            for alt in c.sim.alternatives:
                if alt.options[0][0] not in batch:
                    derived[alt.target] = alt.derive(batch)
            result = c.sim.simulate({**batch, **derived}, stage_rng(self.seed, k, "simulate", ci))
            for o in self.outputs:
                arr = result.outputs[o.name]
                if o.name not in outputs:
                    outputs[o.name] = np.zeros((size, *arr.shape[1:]), dtype=arr.dtype)
                outputs[o.name][sel] = arr
            for name, arr in {**result.truth, **derived}.items():
                if name not in truth:
                    truth[name] = np.full((size, *arr.shape[1:]), np.nan, dtype=np.float64)
                truth[name][sel] = arr
            if result.catalog is not None:
                rows = dict(result.catalog)
                rows["sample_index"] = sel[rows["sample_index"]] + start
                catalogs.append(rows)

        groups: dict[str, dict[str, np.ndarray]] = {
            "labels": labels, "labels_perturbed": perturbed, "truth": truth}
        if len(self.classes) > 1:
            labels["class_index"] = cls.astype(np.int64)
        final = {}
        clean = {}
        for oi, o in enumerate(self.outputs):
            arr = outputs[o.name]
            if o.name in self.obs_noise:
                if self.store_clean:
                    clean[o.name] = self._cast(o, arr)
                arr = self.obs_noise[o.name].apply(arr, stage_rng(self.seed, k, "obs_noise", oi))
            final[o.name] = self._cast(o, arr)
        groups["outputs"] = final
        groups["clean"] = clean
        groups["catalog"] = _merge_catalog(catalogs, self.catalog_columns)
        return Chunk(k, start, stop, {g: v for g, v in groups.items() if v})

    def _draw(self, c: ClassPlan, index: np.ndarray, rng: np.random.Generator
              ) -> dict[str, np.ndarray]:
        grid = c.grid
        values = {}
        if grid:
            size = int(np.prod([len(g.values) for g in grid.values()]))
            values.update(grid_values(grid, index % size))
        for name, prior in c.priors.items():
            if name in grid:
                continue
            v = prior.sample(len(index), rng)
            p = c.sim.param(name)
            bad = ~p.contains(v)
            if bad.any():  # only open bounds can be hit by a validated prior
                v = _fix(v, bad, prior, p, rng, self.on_invalid, f"params.{name}")
            values[name] = v
        return values

    def _cast(self, o: Output, arr: np.ndarray) -> np.ndarray:
        dtype = np.dtype(self.dtypes.get(o.name, o.dtype))
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            arr = np.clip(np.rint(arr), info.min, info.max)
        return np.ascontiguousarray(arr, dtype=dtype)


def _in_declaration_order(c: Mapping[str, Any]) -> dict[str, Any]:
    """Priors in the simulator's declaration order: the order of draws must not depend on how the
    resolved spec's keys happen to be ordered (JSON round trips sort them)."""
    order = [p.name for p in registry.get(c["simulator"]).params]
    return {k: _PRIOR.validate_python(c["params"][k]) for k in order if k in c["params"]}


def _fix(v, bad, prior, p, rng, on_invalid, field):  # type: ignore[no-untyped-def]
    from deepbench.errors import SpecError

    if on_invalid == "clip":
        return p.clip(v)
    if on_invalid == "error":
        raise SpecError(field, float(v[bad][0]), f"drawn values with {p.allowed()}")
    for _ in range(1000):
        idx = np.flatnonzero(bad)
        v[idx] = prior.sample(idx.size, rng)
        bad[idx] = ~p.contains(v[idx])
        if not bad.any():
            return v
    raise SpecError(field, prior.model_dump(), f"a prior that draws values with {p.allowed()}")


def _merge_catalog(parts: list[dict[str, np.ndarray]], columns: Mapping[str, Output]
                   ) -> dict[str, np.ndarray]:
    if not parts:
        return {}
    merged: dict[str, np.ndarray] = {}
    names = ["sample_index", *columns]
    for name in names:
        arrays = []
        for part in parts:
            if name in part:
                arrays.append(part[name])
            else:
                o = columns[name]
                rows = len(part["sample_index"])
                arrays.append(np.full((rows, *o.shape), np.nan, dtype=np.float64))
        merged[name] = np.concatenate(arrays)
    order = np.argsort(merged["sample_index"], kind="stable")
    return {k: v[order] for k, v in merged.items()}

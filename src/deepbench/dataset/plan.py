"""Plan a run from a resolved spec and compute any chunk of it as a pure function.

Chunk ``k`` covers global samples ``[k·chunk_size, min(n, (k+1)·chunk_size))``. Its randomness comes
only from ``(seed, k, stage, sub-stream)``, so a chunk is the same whichever process computes it
and whenever. Stages in order: ``params`` (class draw, then each class's parameters in declaration
order, drawn for the whole chunk), ``param_noise``, ``simulate`` (one stream per class),
``obs_noise`` (one stream per output).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from deepbench.core import registry
from deepbench.core.noise import ObsNoise, OnInvalid, ParamNoise, perturb
from deepbench.core.params import Output
from deepbench.core.priors import Grid, Prior, grid_values
from deepbench.core.seeding import stage_rng
from deepbench.core.simulator import Simulator
from deepbench.dataset.resolved import ClassEntry, ResolvedSpec
from deepbench.errors import SpecError
from deepbench.stores import layout

_PRIOR = TypeAdapter(Prior)
_OBS = TypeAdapter(ObsNoise)
Groups = dict[str, dict[str, np.ndarray]]


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
    groups: Groups = field(default_factory=dict)


@dataclass
class _Draws:
    """A chunk's parameters: class of each sample, true labels, perturbed labels (NaN-filled),
    and per class the values the simulator uses (perturbed where there is parameter noise)."""

    cls: np.ndarray
    labels: dict[str, np.ndarray]
    perturbed: dict[str, np.ndarray]
    used: list[dict[str, np.ndarray]] = field(default_factory=list)


@dataclass
class _Simulated:
    """A chunk's simulator results, assembled over the classes."""

    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    truth: dict[str, np.ndarray] = field(default_factory=dict)
    catalogs: list[dict[str, np.ndarray]] = field(default_factory=list)


@lru_cache(maxsize=4)
def plan_for(spec_json: str) -> Plan:
    """The plan of a resolved spec given as canonical JSON (cached: a process builds it once)."""
    return Plan(ResolvedSpec.loads(spec_json))


class Plan:
    """Everything a run needs, rebuilt from the resolved spec alone (so workers can rebuild it)."""

    def __init__(self, spec: ResolvedSpec):
        self.spec = spec
        self.on_invalid: OnInvalid = spec.on_invalid  # type: ignore[assignment]
        self.classes = [_class_plan(c) for c in spec.classes]
        self.obs_noise = {k: _OBS.validate_python(v) for k, v in spec.obs_noise.items()}

    # -- layout -----------------------------------------------------------------------------------
    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    @cached_property
    def outputs(self) -> tuple[Output, ...]:
        return self.classes[0].sim.outputs()

    @cached_property
    def label_columns(self) -> list[str]:
        return _union(c.priors for c in self.classes)

    @cached_property
    def perturbed_columns(self) -> list[str]:
        return _union(c.noise for c in self.classes)

    @cached_property
    def truth_outputs(self) -> dict[str, Output]:
        found: dict[str, Output] = {}
        for c in self.classes:
            for o in c.sim.truth_outputs():
                found.setdefault(o.name, o)
            for alt in c.sim.alternatives:
                if alt.options[0][0] not in c.priors:
                    p = c.sim.param(alt.target)
                    found.setdefault(alt.target, Output(alt.target, (), "float64", p.unit, p.doc))
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
        start, stop = self.spec.chunk_bounds(k)
        draws = self._draw_chunk(k, np.arange(start, stop))
        size = stop - start
        # every declared truth column in every chunk (NaN where no sample of the chunk has it), so
        # all chunks share one layout whatever the classes drawn
        sim = _Simulated(truth={name: np.full((size, *o.shape), np.nan)
                                for name, o in self.truth_outputs.items()})
        for ci, c in enumerate(self.classes):
            self._simulate_class(k, ci, c, draws, sim, start)
        groups: Groups = {layout.LABELS: draws.labels, layout.LABELS_PERTURBED: draws.perturbed,
                          layout.TRUTH: sim.truth}
        if len(self.classes) > 1:
            draws.labels[layout.CLASS_INDEX] = draws.cls.astype(np.int64)
        groups[layout.OUTPUTS], groups[layout.CLEAN] = self._observe(k, sim.outputs)
        groups[layout.CATALOG] = _merge_catalog(sim.catalogs, self.catalog_columns)
        return Chunk(k, start, stop, {g: v for g, v in groups.items() if v})

    def check_params(self) -> None:
        """Pre-flight: draw every chunk's parameters (the ``params`` and ``param_noise`` stages
        only, exactly as the run will) and let each simulator refuse values it cannot simulate,
        before any work. Skipped for simulators that do not override ``check_params``."""
        checked = [ci for ci, c in enumerate(self.classes)
                   if type(c.sim).check_params is not Simulator.check_params]
        if not checked:
            return
        for k in range(self.spec.n_chunks):
            start, stop = self.spec.chunk_bounds(k)
            draws = self._draw_chunk(k, np.arange(start, stop))
            for ci in checked:
                sel = np.flatnonzero(draws.cls == ci)
                if sel.size:
                    problems = self.classes[ci].sim.check_params(self._inputs(ci, draws, sel)[0])
                    if problems:
                        raise SpecError(problems)

    def chunk_labels(self, k: int) -> dict[str, np.ndarray]:
        """The ``labels`` group of chunk ``k`` from the parameter stages alone (no simulation):
        what splits need, equal to ``simulate_chunk(k).groups["labels"]``."""
        start, stop = self.spec.chunk_bounds(k)
        draws = self._draw_chunk(k, np.arange(start, stop))
        if len(self.classes) > 1:
            draws.labels[layout.CLASS_INDEX] = draws.cls.astype(np.int64)
        return draws.labels

    def _inputs(self, ci: int, draws: _Draws, sel: np.ndarray
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Class ``ci``'s simulator inputs for samples ``sel`` (derived alternatives included),
        and the derived values alone."""
        sim = self.classes[ci].sim
        batch = {name: v[sel] for name, v in draws.used[ci].items()}
        derived = {alt.target: alt.derive(batch) for alt in sim.alternatives
                   if alt.options[0][0] not in batch}
        return {**batch, **derived}, derived

    def _draw_chunk(self, k: int, index: np.ndarray) -> _Draws:
        """Stage ``params``: the class of each sample, then each class's priors for the whole chunk
        in declaration order; stage ``param_noise``: the perturbations, class after class."""
        size = index.size
        rng_params = stage_rng(self.spec.seed, k, "params")
        rng_noise = stage_rng(self.spec.seed, k, "param_noise")
        if len(self.classes) > 1:
            w = np.array([c.weight for c in self.classes], dtype=np.float64)
            cdf = np.cumsum(w / w.sum())
            cdf[-1] = 1.0
            cls = np.searchsorted(cdf, rng_params.uniform(size=size), side="right")
        else:
            cls = np.zeros(size, dtype=np.int64)
        draws = _Draws(cls, {name: np.full(size, np.nan) for name in self.label_columns},
                       {name: np.full(size, np.nan) for name in self.perturbed_columns})
        for ci, c in enumerate(self.classes):
            values = self._draw(c, index, rng_params)
            used = dict(values)
            for name, noise in c.noise.items():
                used[name] = perturb(values[name], noise, c.sim.param(name), rng_noise,
                                     self.on_invalid, f"param_noise.{name}")
            sel = np.flatnonzero(cls == ci)
            for name, v in values.items():
                draws.labels[name][sel] = v[sel]
            for name in c.noise:
                draws.perturbed[name][sel] = used[name][sel]
            draws.used.append(used)
        return draws

    def _simulate_class(self, k: int, ci: int, c: ClassPlan, draws: _Draws, sim: _Simulated,
                        start: int) -> None:
        """Stage ``simulate`` for the samples of class ``ci`` (one stream per class)."""
        sel = np.flatnonzero(draws.cls == ci)
        if sel.size == 0:
            return
        inputs, derived = self._inputs(ci, draws, sel)
        result = c.sim.simulate(inputs, stage_rng(self.spec.seed, k, "simulate", ci))
        size = draws.cls.size
        for o in self.outputs:
            arr = result.outputs[o.name]
            if o.name not in sim.outputs and sel.size == size:  # one class fills the chunk
                sim.outputs[o.name] = arr
                continue
            if o.name not in sim.outputs:
                sim.outputs[o.name] = np.zeros((size, *arr.shape[1:]), dtype=arr.dtype)
            sim.outputs[o.name][sel] = arr
        for name, arr in {**result.truth, **derived}.items():
            if name not in sim.truth:
                sim.truth[name] = np.full((size, *arr.shape[1:]), np.nan, dtype=np.float64)
            sim.truth[name][sel] = arr
        if result.catalog is not None:
            rows = dict(result.catalog)
            rows[layout.SAMPLE_INDEX] = sel[rows[layout.SAMPLE_INDEX]] + start
            sim.catalogs.append(rows)

    def _observe(self, k: int, outputs: Mapping[str, np.ndarray]
                 ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Stage ``obs_noise`` (one stream per output): the stored outputs and clean copies."""
        final, clean = {}, {}
        for oi, o in enumerate(self.outputs):
            arr = outputs[o.name]
            if o.name in self.obs_noise:
                if self.spec.output.store_clean:
                    clean[o.name] = self._cast(o, arr)
                arr = self.obs_noise[o.name].apply(arr, stage_rng(self.spec.seed, k, "obs_noise", oi))
            final[o.name] = self._cast(o, arr)
        return final, clean

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
        dtype = np.dtype(self.spec.output.dtype.get(o.name, o.dtype))
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            arr = np.clip(np.rint(arr), info.min, info.max)
        return np.ascontiguousarray(arr, dtype=dtype)


def _class_plan(c: ClassEntry) -> ClassPlan:
    sim = registry.get(c.simulator)(c.config)
    # priors in the simulator's declaration order: the order of draws must not depend on how the
    # resolved spec's keys happen to be ordered (JSON round trips sort them)
    priors = {p.name: _PRIOR.validate_python(c.params[p.name]) for p in sim.params
              if p.name in c.params}
    return ClassPlan(c.name, sim, c.weight, priors,
                     {k: ParamNoise(**v) for k, v in c.param_noise.items()})


def _union(keys: Any) -> list[str]:
    """Names in order of first appearance over several mappings."""
    cols: list[str] = []
    for mapping in keys:
        cols += [k for k in mapping if k not in cols]
    return cols


def _fix(v, bad, prior, p, rng, on_invalid, field):  # type: ignore[no-untyped-def]
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
    names = [layout.SAMPLE_INDEX, *columns]
    for name in names:
        arrays = []
        for part in parts:
            if name in part:
                arrays.append(part[name])
            else:
                o = columns[name]
                rows = len(part[layout.SAMPLE_INDEX])
                arrays.append(np.full((rows, *o.shape), np.nan, dtype=np.float64))
        merged[name] = np.concatenate(arrays)
    order = np.argsort(merged[layout.SAMPLE_INDEX], kind="stable")
    return {k: v[order] for k, v in merged.items()}

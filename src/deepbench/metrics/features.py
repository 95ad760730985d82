"""The observables an evaluation compares, chosen from the reference dataset's simulators.

- ``calo.*``: the CaloChallenge high-level features of :mod:`deepbench.calo.observables` (total
  energy, E_vis/E_inc when incident energies are known, centres and widths in η, φ, r, the
  longitudinal centre and width, hit count) and the energy of every layer; linearity and
  resolution versus the incident energy.
- image families (``shapes``, ``astro``, ``scenes``): flux (area), centroid, second moments,
  orientation, ellipticity, half-light radius, concentration, Gini of the first image output.
- ``physics``: mean, standard deviation and amplitude of every series output (except ``t``).
- anything else with small outputs (``toy``): the output values themselves (≤ 64 per sample).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepbench.errors import SpecError
from deepbench.metrics import observables as ob

MAX_RAW = 64


@dataclass
class Featurizer:
    """``outputs``: arrays read from every source (with their per-sample shapes); ``labels``:
    label columns used when every source has them; ``compute(chunk) -> (B, F)``."""

    names: list[str]
    outputs: dict[str, tuple[int, ...]]
    compute: Callable[[dict[str, np.ndarray]], np.ndarray]
    labels: list[str] = field(default_factory=list)
    condition: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None  # (B, 3) m, t, c
    condition_doc: str = ""


def _simulators(spec: dict[str, Any]) -> list[Any]:
    from deepbench.core import registry

    return [registry.get(c["simulator"])(c.get("config", {})) for c in spec["classes"]]


def for_spec(spec: dict[str, Any], labels_available: bool) -> Featurizer:
    """The featurizer for a reference dataset's resolved spec."""
    sims = _simulators(spec)
    family = {s.name.split(".")[0] for s in sims}
    if family == {"calo"}:
        return _calo(spec, labels_available)
    first = sims[0].outputs()
    images = [o for o in first if len(o.shape) == 2 and o.dtype.startswith("float")]
    if family <= {"shapes", "astro", "scenes"} and images:
        return _images(images[0].name, images[0].shape)
    if family == {"physics"}:
        series = [o for o in first if len(o.shape) == 1 and o.name != "t"]
        if series:
            return _series({o.name: o.shape for o in series})
    small = {o.name: o.shape for o in first if int(np.prod(o.shape)) <= MAX_RAW}
    if not small:
        raise SpecError("--reference", sorted(s.name for s in sims),
                        "a dataset of calo, shapes, astro, scenes, physics or toy simulators, or "
                        f"one with outputs of at most {MAX_RAW} values per sample")
    return _raw(small)


def _raw(outputs: dict[str, tuple[int, ...]]) -> Featurizer:
    names = [f"{k}[{i}]" if int(np.prod(s)) > 1 else k for k, s in outputs.items()
             for i in range(int(np.prod(s)))]

    def compute(chunk: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(chunk[k], np.float64).reshape(len(chunk[k]), -1)
                               for k in outputs], axis=1)

    return Featurizer(names, outputs, compute)


def _images(name: str, shape: tuple[int, ...]) -> Featurizer:
    names = ["flux", "centroid_x", "centroid_y", "q_xx", "q_yy", "q_xy", "orientation",
             "ellipticity", "half_light_radius", "concentration", "gini"]

    def compute(chunk: dict[str, np.ndarray]) -> np.ndarray:
        img = np.asarray(chunk[name], np.float64)
        cols = [ob.flux(img), *ob.centroid(img).T, *ob.second_moments(img).T, ob.orientation(img),
                ob.ellipticity(img), ob.half_light_radius(img), ob.concentration(img),
                ob.gini(img)]
        return np.nan_to_num(np.stack(cols, axis=1), nan=0.0, posinf=0.0, neginf=0.0)

    return Featurizer(names, {name: shape}, compute)


def _series(outputs: dict[str, tuple[int, ...]]) -> Featurizer:
    names = [f"{k}_{f}" for k in outputs for f in ("mean", "std", "amplitude")]

    def compute(chunk: dict[str, np.ndarray]) -> np.ndarray:
        cols = []
        for k in outputs:
            x = np.asarray(chunk[k], np.float64)
            cols += [x.mean(1), x.std(1), ob.amplitude(x)]
        return np.stack(cols, axis=1)

    return Featurizer(names, outputs, compute)


def _calo(spec: dict[str, Any], labels_available: bool) -> Featurizer:
    from deepbench.calo import observables as co
    from deepbench.calo.show import dataset_geometry

    g = dataset_geometry(spec)
    if g is None:
        raise SpecError("--reference", "calo classes in several configurations",
                        "one calo.shower geometry")
    use_energy = labels_available
    names = ["e_total"] + (["response"] if use_energy else []) + [
        f"{w}_{c}" for c in ("eta", "phi", "r") for w in ("centre", "width")] + [
        "depth_centre", "depth_width", "hits"] + [f"e_layer_{i}" for i in range(g.n_layers)]

    def compute(chunk: dict[str, np.ndarray]) -> np.ndarray:
        showers = np.asarray(chunk["showers"], np.float64)
        inc = chunk["label.energy"] * 1e3 if use_energy else None
        hl = co.high_level(showers, g, inc)
        return np.concatenate([np.stack(list(hl.values()), axis=1), co.layer_energy(showers, g)],
                              axis=1)

    def condition(chunk: dict[str, np.ndarray]) -> np.ndarray:
        inc = chunk["label.energy"] * 1e3
        return np.stack([co.total_energy(np.asarray(chunk["showers"])), inc, inc], axis=1)

    return Featurizer(names, {"showers": (g.n_voxels,)}, compute,
                      labels=["energy"] if use_energy else [],
                      condition=condition if use_energy else None,
                      condition_doc="incident energy (MeV)")

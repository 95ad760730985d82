"""``deepbench evaluate``: a generated sample against a reference dataset, beside a truth floor.

The reference is a DeepBench dataset. A fresh truth sample of the same size as the generated one
is drawn from the reference's spec with a new seed; every metric is computed twice, generated vs
reference and fresh truth vs reference, on the family's observables
(:mod:`deepbench.metrics.features`). A metric is *flagged* when the generated value is worse than
its truth floor beyond the floor's own fluctuation:

- with errors (FPD, KPD, C2ST AUC): generated − truth > 3 √(err_gen² + err_truth²);
- precision, recall, coverage (higher is better): generated < truth − 3 √(2 t(1 − t)/m) − 0.02,
  m the number of points compared;
- the others (lower is better): generated > 1.5 × truth + tolerance (0.02 for the JSD, 0.01 for
  the correlation-matrix distance, 0 otherwise); density is reported, never flagged.

1-D metrics run on each observable standardised by the reference's mean and standard deviation
(so W1 is in reference standard deviations); their maximum (and for separation power also the
mean) over the observables are the summary. Multi-dimensional metrics run on all standardised
observables; PRDC on at most 10,000 and C2ST on at most 50,000 random rows per side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.errors import SpecError
from deepbench.metrics import multi_dim, one_dim
from deepbench.metrics.features import Featurizer, for_spec
from deepbench.metrics.sources import TruthSource, check_rows, open_generated, open_store, truth_seed

PRDC_MAX, C2ST_MAX = 10_000, 50_000

# name -> (direction, tolerance for the ratio rule, description)
SUMMARY: dict[str, tuple[str, float, str]] = {
    "w1_max": ("lower", 0.0, "largest W1 over the observables (reference standard deviations)"),
    "ks_max": ("lower", 0.0, "largest KS statistic over the observables"),
    "energy_distance_max": ("lower", 0.0, "largest energy distance over the observables"),
    "separation_power_max": ("lower", 0.0, "largest separation power over the observables"),
    "separation_power_mean": ("lower", 0.0, "mean separation power over the observables"),
    "chi2_ndf_max": ("lower", 0.0, "largest χ²/ndf over the observables"),
    "fpd": ("error", 0.0, "Fréchet Physics Distance (standardised observables)"),
    "kpd": ("error", 0.0, "Kernel Physics Distance (standardised observables)"),
    "c2st_auc": ("error", 0.0, "classifier two-sample test AUC (0.5: indistinguishable)"),
    "c2st_jsd": ("lower", 0.02, "JSD estimate 1 − BCE/ln 2 of the calibrated classifier"),
    "correlation_distance": ("lower", 0.01, "correlation-matrix distance"),
    "precision": ("higher", 0.0, "precision (k = 5)"),
    "recall": ("higher", 0.0, "recall (k = 5)"),
    "density": ("none", 0.0, "density (k = 5; 1 for identical distributions)"),
    "coverage": ("higher", 0.0, "coverage (k = 5)"),
}


def parse_fail_above(items: tuple[str, ...] | list[str]) -> dict[str, float]:
    """``METRIC=VALUE`` strings → {metric: value}, refusing unknown metrics and bad numbers."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if name not in SUMMARY:
            raise SpecError("--fail-above", item, "METRIC=VALUE with METRIC one of "
                            + ", ".join(SUMMARY))
        try:
            v = float(value) if sep else float("nan")
        except ValueError:
            v = float("nan")
        if not np.isfinite(v):
            raise SpecError("--fail-above", item, f"{name}=NUMBER (a finite number)")
        out[name] = v
    return out


@dataclass
class Sample:
    features: np.ndarray
    condition: np.ndarray | None = None


@dataclass
class Evaluation:
    """Everything a report shows; ``summary[name] = {truth, generated, …, flagged}``."""

    reference: str
    generated: str
    n_reference: int
    n_generated: int
    seed: int
    features: list[str]
    summary: dict[str, dict[str, Any]]
    per_feature: dict[str, dict[str, list[float]]]
    samples: dict[str, Sample] = field(repr=False, default_factory=dict)
    condition_doc: str = ""
    failed: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> list[str]:
        return [k for k, v in self.summary.items() if v["flagged"]]

    def to_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "generated": self.generated,
                "n_reference": self.n_reference, "n_generated": self.n_generated,
                "truth_seed": self.seed, "features": self.features, "summary": self.summary,
                "per_feature": self.per_feature, "flagged": self.flagged,
                "passed": not self.flagged, "fail_above_exceeded": self.failed}


Progress = Callable[[str, int, int], None]


def _features(source: Any, fz: Featurizer, what: str, progress: Progress | None,
              check: bool) -> Sample:
    feats, conds, done = [], [], 0
    for chunk in source.chunks(list(fz.outputs), fz.labels):
        if check:
            check_rows(chunk, fz.outputs, what, done)
        feats.append(fz.compute(chunk))
        if fz.condition is not None:
            conds.append(fz.condition(chunk))
        done += len(feats[-1])
        if progress:
            progress(what, done, source.n)
    f = np.concatenate(feats)
    if not np.all(np.isfinite(f)):
        raise SpecError(what, "observables with NaN or inf", "finite observables")
    return Sample(f, np.concatenate(conds) if conds else None)


def evaluate(reference: str | Path, generated: str | Path, *, seed: int | None = None,
             fail_above: dict[str, float] | None = None, progress: Progress | None = None
             ) -> Evaluation:
    """Compare ``generated`` with the dataset ``reference`` and with a fresh truth sample."""
    fail_above = dict(fail_above or {})
    ref, meta = open_store(reference)
    n_ref = ref.n
    try:
        spec = meta["spec"]
        gen = open_generated(generated, wanted=_wanted(spec))
        try:
            have_energy = "energy" in gen.labels and "energy" in ref.labels
            fz = for_spec(spec, have_energy)
            _check_shapes(gen, fz)
            seed = truth_seed(meta["run_id"]) if seed is None else int(seed)
            truth = TruthSource(spec, gen.n, seed)
            samples = {"generated": _features(gen, fz, "generated", progress, True),
                       "reference": _features(ref, fz, "reference", progress, False),
                       "truth": _features(truth, fz, "truth", progress, False)}
            n_gen = gen.n
        finally:
            gen.close()
    finally:
        ref.close()
    summary, per_feature = compare(samples, fz.names, progress)
    failed = {k: summary[k]["generated"] for k, v in fail_above.items()
              if summary[k]["generated"] > v}
    return Evaluation(str(reference), str(generated), n_ref, n_gen, seed, fz.names, summary,
                      per_feature, samples, fz.condition_doc, failed)


def _wanted(spec: dict[str, Any]) -> list[str]:
    return list(for_spec(spec, False).outputs)


def _check_shapes(gen: Any, fz: Featurizer) -> None:
    for name, shape in fz.outputs.items():
        got = tuple(gen.arrays[name].shape[1:])
        if got != tuple(shape):
            raise SpecError(f"generated: {name}", f"per-sample shape {got}",
                            f"{tuple(shape)}, as in the reference")


def _standardise(samples: dict[str, Sample]) -> dict[str, np.ndarray]:
    ref = samples["reference"].features
    mu, sd = ref.mean(0), ref.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return {k: (s.features - mu) / sd for k, s in samples.items()}


def _one_dim(x: np.ndarray, y: np.ndarray) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in ("w1", "ks", "energy_distance",
                                                   "separation_power", "chi2_ndf")}
    for i in range(x.shape[1]):
        edges = one_dim.shared_bins(x[:, i], y[:, i], 50)
        out["w1"].append(one_dim.wasserstein1(x[:, i], y[:, i]))
        out["ks"].append(one_dim.ks_statistic(x[:, i], y[:, i]))
        out["energy_distance"].append(one_dim.energy_distance(x[:, i], y[:, i]))
        out["separation_power"].append(one_dim.separation_power(x[:, i], y[:, i], edges))
        out["chi2_ndf"].append(one_dim.chi2_ndf(x[:, i], y[:, i], edges))
    return out


def _subsample(a: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    return a if len(a) <= m else a[rng.choice(len(a), m, replace=False)]


def _multi(x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, tuple[float, float | None]]:
    from deepbench.metrics.classifier import c2st

    rng = np.random.default_rng(seed)
    f = multi_dim.fpd(x, y, rng=rng)
    k = multi_dim.kpd(x, y, rng=rng)
    xs, ys = _subsample(x, PRDC_MAX, rng), _subsample(y, PRDC_MAX, rng)
    p = multi_dim.prdc(xs, ys)
    c = c2st(_subsample(x, C2ST_MAX, rng), _subsample(y, C2ST_MAX, rng), rng=rng)
    m = float(min(len(xs), len(ys)))
    return {"fpd": (f.value, f.error), "kpd": (k.value, k.error),
            "c2st_auc": (c["auc"], c["auc_error"]), "c2st_jsd": (c["jsd"], None),
            "correlation_distance": (multi_dim.correlation_matrix_distance(x, y), None),
            **{name: (v, m) for name, v in p.items()}}  # PRDC: the slot holds the point count


def _flag(name: str, g: float, t: float, eg: float | None, et: float | None) -> bool:
    direction, tol, _ = SUMMARY[name]
    if direction == "none":
        return False
    if direction == "error":
        return bool(g - t > 3.0 * np.hypot(eg or 0.0, et or 0.0))
    if direction == "higher":
        m = eg or 1.0
        return bool(g < t - 3.0 * np.sqrt(2 * max(t * (1 - t), 0.0) / m) - 0.02)
    return bool(g > 1.5 * t + tol)


def compare(samples: dict[str, Sample], names: list[str], progress: Progress | None = None
            ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, list[float]]]]:
    """Summary and per-observable metrics of generated vs reference and truth vs reference."""
    z = _standardise(samples)
    per: dict[str, dict[str, list[float]]] = {}
    values: dict[str, dict[str, tuple[float, float | None]]] = {}
    for i, who in enumerate(("truth", "generated")):
        if progress:
            progress("metrics", i, 2)
        one = _one_dim(z[who], z["reference"])
        per[who] = one
        v: dict[str, tuple[float, float | None]] = {
            f"{k}_max": (float(np.max(one[k])), None) for k in
            ("w1", "ks", "energy_distance", "separation_power", "chi2_ndf")}
        v["separation_power_mean"] = (float(np.mean(one["separation_power"])), None)
        v.update(_multi(z[who], z["reference"], seed=17 + i))
        values[who] = v
    if progress:
        progress("metrics", 2, 2)
    summary: dict[str, dict[str, Any]] = {}
    for name, (_, _, doc) in SUMMARY.items():
        (g, eg), (t, et) = values["generated"][name], values["truth"][name]
        row: dict[str, Any] = {"truth": t, "generated": g, "description": doc}
        if SUMMARY[name][0] == "error":
            row.update(truth_error=et, generated_error=eg)
        row["flagged"] = _flag(name, g, t, eg, et)
        summary[name] = row
    per_feature = {k: {"truth": per["truth"][k], "generated": per["generated"][k]}
                   for k in per["truth"]}
    return summary, per_feature


def write_json(ev: Evaluation, path: Path) -> Path:
    path.write_text(json.dumps(ev.to_json(), indent=2, sort_keys=False, default=float) + "\n")
    return path

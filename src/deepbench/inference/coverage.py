"""Calibration diagnostics for posterior estimators, from posterior samples and the true values.

Inputs are ``samples`` of shape (N, S, d) — S posterior draws for each of N observations — and
``truths`` of shape (N, d), the parameters the observations were simulated from.

* :func:`expected_coverage`: for each credibility level α, the fraction of observations whose true
  value lies in the central α-interval of its marginal posterior (per parameter). A calibrated
  estimator covers α; the band is the binomial interval of N Bernoulli(α) trials at the stated
  confidence, Bonferroni-corrected over levels and parameters (Talts et al. 2018; Hermans et al. 2022).
* :func:`sbc_ranks` / :func:`sbc_test`: simulation-based calibration rank statistics (the number of
  draws below the truth, uniform on {0, …, S} when calibrated) with a χ² test of uniformity.
* :func:`tarp`: Tests of Accuracy with Random Points (Lemos et al. 2023), a joint test in d
  dimensions: with a random reference point θᵣ per observation, fᵢ is the fraction of draws closer
  to θᵣ than the truth is; fᵢ ~ U(0, 1) for a calibrated estimator, checked with a KS test, and the
  expected-coverage curve ECP(α) = mean(fᵢ < α) follows the diagonal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.errors import SpecError

LEVELS = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))


def check_samples(samples: Any, truths: Any) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` (N, S, d) and ``truths`` (N, d) as float64 (1-D parameters may drop d);
    SpecError naming the mismatch otherwise."""
    s = np.asarray(samples, dtype=np.float64)
    t = np.asarray(truths, dtype=np.float64)
    if s.ndim == 2:
        s = s[..., None]
    if t.ndim == 1:
        t = t[:, None]
    if s.ndim != 3 or s.shape[1] < 2:
        raise SpecError("posterior samples", s.shape, "an array of shape (N, S, d) with S >= 2 "
                        "draws per observation")
    if t.shape != (s.shape[0], s.shape[2]):
        raise SpecError("truths", t.shape, f"shape ({s.shape[0]}, {s.shape[2]}): one true value "
                        "per observation and parameter")
    for name, arr in (("posterior samples", s), ("truths", t)):
        if not np.isfinite(arr).all():
            raise SpecError(name, "non-finite values", "finite numbers")
    return s, t


@dataclass
class Coverage:
    """Empirical coverage per level and parameter, with the binomial band of a calibrated one."""

    levels: np.ndarray          # (L,) nominal credibility
    coverage: np.ndarray        # (L, d) fraction of truths inside the central interval
    low: np.ndarray             # (L,) lower edge of the band
    high: np.ndarray            # (L,) upper edge
    confidence: float
    names: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        inside = (self.coverage >= self.low[:, None]) & (self.coverage <= self.high[:, None])
        return bool(inside.all())


def expected_coverage(samples: Any, truths: Any, levels: Sequence[float] = LEVELS, *,
                      confidence: float = 0.99, names: Sequence[str] | None = None) -> Coverage:
    """Coverage of the central credible intervals of each marginal; the band holds a calibrated
    estimator's coverage at all levels and parameters jointly with probability ≥ ``confidence``."""
    from scipy.stats import binom

    s, t = check_samples(samples, truths)
    lv = np.asarray(levels, dtype=np.float64)
    if lv.ndim != 1 or not ((lv > 0) & (lv < 1)).all():
        raise SpecError("levels", lv.tolist(), "credibility levels strictly between 0 and 1")
    u = _quantile_of_truth(s, t)                       # (N, d) in [0, 1]
    depth = np.abs(2 * u - 1)                           # credibility at which the truth enters
    coverage = (depth[None] <= lv[:, None, None]).mean(axis=1)
    n = s.shape[0]
    alpha = (1 - confidence) / (lv.size * s.shape[2])  # Bonferroni over levels and parameters
    low = binom.ppf(alpha / 2, n, lv) / n
    high = binom.ppf(1 - alpha / 2, n, lv) / n
    return Coverage(lv, coverage, low, high, confidence, _names(names, s.shape[2]))


def _quantile_of_truth(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Mid-rank fraction of draws below the truth, (N, d)."""
    below = (s < t[:, None, :]).sum(axis=1)
    ties = (s == t[:, None, :]).sum(axis=1)
    return (below + 0.5 * ties) / s.shape[1]


def sbc_ranks(samples: Any, truths: Any) -> np.ndarray:
    """Rank of each truth among its S draws: the number of draws below it, (N, d) in {0..S}."""
    s, t = check_samples(samples, truths)
    return (s < t[:, None, :]).sum(axis=1)


def sbc_test(ranks: Any, n_draws: int, bins: int | None = None) -> np.ndarray:
    """p-value per parameter of a χ² test that the ranks are uniform on {0, …, n_draws}, with
    ``bins`` equal groups of ranks (default: about N/20, at most n_draws + 1, at least 2)."""
    from scipy.stats import chi2

    r = np.asarray(ranks)
    r = r[:, None] if r.ndim == 1 else r
    n = r.shape[0]
    bins = bins or int(np.clip(n // 20, 2, n_draws + 1))
    edges = np.linspace(0, n_draws + 1, bins + 1)
    widths = np.diff(np.floor(edges))                   # ranks per bin (integers)
    counts = np.stack([np.histogram(r[:, j], np.floor(edges))[0] for j in range(r.shape[1])])
    expected = n * widths / (n_draws + 1)
    stat = ((counts - expected) ** 2 / expected).sum(axis=1)
    return chi2.sf(stat, bins - 1)


@dataclass
class Tarp:
    """TARP: fᵢ per observation, the expected-coverage curve, and the KS test of fᵢ ~ U(0, 1)."""

    f: np.ndarray               # (N,)
    alpha: np.ndarray           # (K,) credibility levels of the curve
    ecp: np.ndarray             # (K,) expected coverage probability
    ks_pvalue: float
    max_deviation: float        # max |ECP(α) − α|

    def passed(self, significance: float = 0.01) -> bool:
        return self.ks_pvalue > significance


def tarp(samples: Any, truths: Any, *, references: Any = None,
         rng: np.random.Generator | None = None, n_alpha: int = 101) -> Tarp:
    """TARP over all d parameters jointly. Parameters are standardised by the truths' mean and
    standard deviation; reference points are uniform in the truths' standardised bounding box
    (or given, shape (N, d), in parameter units). Distances are Euclidean."""
    from scipy.stats import kstest

    s, t = check_samples(samples, truths)
    centre, scale = t.mean(axis=0), t.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    s, t = (s - centre) / scale, (t - centre) / scale
    if references is None:
        rng = rng if rng is not None else np.random.default_rng(0)
        ref = rng.uniform(t.min(axis=0), t.max(axis=0), size=t.shape)
    else:
        ref = (np.asarray(references, dtype=np.float64).reshape(t.shape) - centre) / scale
    d_samples = np.linalg.norm(s - ref[:, None, :], axis=2)
    d_truth = np.linalg.norm(t - ref, axis=1)
    f = (d_samples < d_truth[:, None]).mean(axis=1)
    alpha = np.linspace(0, 1, n_alpha)
    ecp = (f[None, :] < alpha[:, None]).mean(axis=1)
    return Tarp(f, alpha, ecp, float(kstest(f, "uniform").pvalue),
                float(np.abs(ecp - alpha).max()))


def _names(names: Sequence[str] | None, d: int) -> list[str]:
    if names is None:
        return [f"θ{j}" for j in range(d)]
    if len(names) != d:
        raise SpecError("names", list(names), f"{d} parameter names")
    return list(names)


def plot(samples: Any, truths: Any, out: str | Path, *, names: Sequence[str] | None = None,
         confidence: float = 0.99) -> Path:
    """A PNG with the coverage curves and band, the SBC rank histograms and the TARP curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, t = check_samples(samples, truths)
    cov = expected_coverage(s, t, confidence=confidence, names=names)
    ranks = sbc_ranks(s, t)
    tr = tarp(s, t)
    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    ax[0].fill_between(cov.levels, cov.low, cov.high, color="0.85", label=f"{confidence:.0%} band")
    ax[0].plot([0, 1], [0, 1], "k:", lw=1)
    for j, name in enumerate(cov.names):
        ax[0].plot(cov.levels, cov.coverage[:, j], marker="o", ms=3, label=name)
    ax[0].set(xlabel="credibility level", ylabel="empirical coverage", title="expected coverage")
    ax[0].legend(fontsize=8)
    bins = int(np.clip(s.shape[0] // 20, 2, s.shape[1] + 1))
    for j, name in enumerate(cov.names):
        ax[1].hist(ranks[:, j], bins=bins, range=(0, s.shape[1] + 1), histtype="step", label=name)
    ax[1].axhline(s.shape[0] / bins, color="k", ls=":", lw=1)
    ax[1].set(xlabel="rank of the truth among the draws", ylabel="count", title="SBC ranks")
    ax[2].plot([0, 1], [0, 1], "k:", lw=1)
    ax[2].plot(tr.alpha, tr.ecp, label=f"KS p = {tr.ks_pvalue:.3g}")
    ax[2].set(xlabel="credibility level α", ylabel="ECP", title="TARP")
    ax[2].legend(fontsize=8)
    fig.tight_layout()
    out = Path(out)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out

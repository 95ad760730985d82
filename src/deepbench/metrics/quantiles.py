"""GANplifying quantile MSE: how many true samples a generated sample is worth.

Notes
-----
Split the support into N_q regions (quantiles) of equal true probability 1/N_q. For a sample of
size n let pⱼ be the fraction of it in region j; the quantile MSE is
MSE = (1/N_q) Σⱼ (pⱼ − 1/N_q)². For n independent true samples the counts are multinomial, so
E[MSE] = (1 − 1/N_q)/(N_q n) exactly. A sample (or a fitted density) whose MSE is M is therefore
worth n_eq = (1 − 1/N_q)/(N_q M) true samples, and a generator trained on n_train samples has the
amplification factor n_eq / n_train.

Reference: Butter, Diefenbacher, Kasieczka, Nachman & Plehn, SciPost Phys. 10 (2021) 139
(arXiv:2008.06545).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from deepbench.errors import SpecError


def _n_q(n_quantiles: int) -> int:
    if int(n_quantiles) != n_quantiles or n_quantiles < 2:
        raise SpecError("n_quantiles", n_quantiles, "an integer ≥ 2")
    return int(n_quantiles)


def quantile_edges(truth: ArrayLike, n_quantiles: int) -> np.ndarray:
    """Inner edges (N_q − 1,) of N_q equal-probability regions estimated from a truth sample."""
    q = _n_q(n_quantiles)
    return np.quantile(np.asarray(truth, dtype=np.float64), np.arange(1, q) / q)


def quantile_fractions(sample: ArrayLike, n_quantiles: int, *,
                       cdf: Callable[[np.ndarray], np.ndarray] | None = None,
                       edges: ArrayLike | None = None) -> np.ndarray:
    """Fraction pⱼ of ``sample`` in each of the N_q regions, (N_q,): regions from the exact
    ``cdf`` (u = F(x) in [j/N_q, (j+1)/N_q)) or from inner ``edges``."""
    q = _n_q(n_quantiles)
    x = np.asarray(sample, dtype=np.float64).reshape(-1)
    if (cdf is None) == (edges is None):
        raise SpecError("cdf/edges", None, "exactly one of an exact CDF or quantile edges")
    if cdf is not None:
        idx = np.minimum((np.asarray(cdf(x)) * q).astype(np.int64), q - 1)
    else:
        e = np.asarray(edges, dtype=np.float64)
        if e.shape != (q - 1,):
            raise SpecError("edges", f"shape {e.shape}", f"{q - 1} inner edges")
        idx = np.searchsorted(e, x, side="right")
    return np.bincount(idx, minlength=q) / x.size


def quantile_mse(sample: ArrayLike, n_quantiles: int, *,
                 cdf: Callable[[np.ndarray], np.ndarray] | None = None,
                 edges: ArrayLike | None = None) -> float:
    """(1/N_q) Σ (pⱼ − 1/N_q)² of ``sample``; see :func:`quantile_fractions` for the regions."""
    p = quantile_fractions(sample, n_quantiles, cdf=cdf, edges=edges)
    return float(np.mean((p - 1.0 / n_quantiles) ** 2))


def density_quantile_mse(probabilities: ArrayLike) -> float:
    """The quantile MSE of a fitted density: ``probabilities`` (N_q,) are its masses in the true
    equal-probability regions (the n → ∞ limit of :func:`quantile_mse` for samples of it)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return float(np.mean((p - 1.0 / p.size) ** 2))


def expected_quantile_mse(n: ArrayLike, n_quantiles: int) -> np.ndarray | float:
    """E[MSE] = (1 − 1/N_q)/(N_q n) for n true samples."""
    q = _n_q(n_quantiles)
    v = (1.0 - 1.0 / q) / (q * np.asarray(n, dtype=np.float64))
    return float(v) if np.ndim(v) == 0 else v


def equivalent_sample_size(mse: ArrayLike, n_quantiles: int) -> np.ndarray | float:
    """n_eq = (1 − 1/N_q)/(N_q · MSE): the number of true samples with the same expected MSE."""
    q = _n_q(n_quantiles)
    m = np.asarray(mse, dtype=np.float64)
    with np.errstate(divide="ignore"):
        v = (1.0 - 1.0 / q) / (q * m)
    return float(v) if np.ndim(v) == 0 else v


def amplification(mse: ArrayLike, n_quantiles: int, n_train: int) -> np.ndarray | float:
    """Amplification factor n_eq / n_train of a generator trained on ``n_train`` samples."""
    return equivalent_sample_size(mse, n_quantiles) / float(n_train)  # type: ignore[operator]

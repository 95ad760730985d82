"""Multi-dimensional two-sample metrics: FPD, KPD, PRDC, correlation-matrix distance.

Samples are ``(N, d)`` float arrays, rows are samples. ``x`` is the generated sample and ``y``
the reference (truth) sample wherever the metric is not symmetric.

Notes
-----
- Fréchet distance of the Gaussians with the samples' means and covariances,
  FD = |μₓ − μ_y|² + Tr(Σₓ + Σ_y − 2(Σₓ^½ Σ_y Σₓ^½)^½). Its estimate from N samples is biased by
  a term ∝ 1/N; the **Fréchet Physics Distance** (FPD) fits FD against 1/N over bootstrap batch
  sizes and reports the intercept (the N → ∞ value) and the intercept's standard error.
- **Kernel Physics Distance** (KPD): the unbiased MMD² estimate with the polynomial kernel
  k(a, b) = (a·b/d + 1)⁴, MMD² = ΣΣ_{i≠j} k(xᵢ, xⱼ)/(m(m−1)) + ΣΣ_{i≠j} k(yᵢ, yⱼ)/(n(n−1))
  − 2 ΣΣ k(xᵢ, yⱼ)/(mn), over ``n_batches`` random batches; the value is the median and the
  error half the 16–84 % range of the batch values.
- **Precision, recall, density, coverage** (Naeem et al. 2020) with k nearest neighbours: with
  rᵢ the distance of truth point yᵢ to its k-th nearest other truth point (and sⱼ likewise in the
  generated sample), precision = mean over xⱼ of 1[∃i: |xⱼ − yᵢ| < rᵢ], recall = mean over yᵢ of
  1[∃j: |yᵢ − xⱼ| < sⱼ], density = (1/(k M)) Σⱼ Σᵢ 1[|xⱼ − yᵢ| < rᵢ], coverage = mean over yᵢ of
  1[minⱼ |yᵢ − xⱼ| < rᵢ] (strict inequalities, as in the authors' code).
- **Correlation-matrix distance** (Herdin et al. 2005): 1 − Tr(R₁R₂)/(‖R₁‖_F ‖R₂‖_F) of the
  Pearson correlation matrices, in [0, 1]; 0 when they are proportional.

References: Kansal et al., Phys. Rev. D 107 (2023) 076017 (arXiv:2211.10295) for FPD and KPD;
Chong & Forsyth, CVPR 2020 (arXiv:1911.07023) for the 1/N extrapolation; Gretton et al., JMLR 13
(2012) 723 for MMD; Naeem et al., ICML 2020 (arXiv:2002.09797) for PRDC; Herdin, Czink, Özcelik &
Bonek, IEEE VTC 2005 for the correlation-matrix distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from deepbench.errors import SpecError


@dataclass(frozen=True)
class Estimate:
    """A metric's value and its error (one standard error, or half the 16–84 % range)."""

    value: float
    error: float


def as_matrix(v: ArrayLike, name: str, d: int | None = None) -> np.ndarray:
    """``v`` as a finite (N, d) float64 matrix; 1-D input is one feature."""
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] < 2:
        raise SpecError(name, f"an array of shape {a.shape}", "a (samples, features) array with "
                        "at least two samples")
    if d is not None and a.shape[1] != d:
        raise SpecError(name, f"{a.shape[1]} features", f"{d} features, as in the other sample")
    if not np.all(np.isfinite(a)):
        bad = int(np.count_nonzero(~np.isfinite(a).all(axis=1)))
        raise SpecError(name, f"{bad} samples with NaN or inf", "finite numbers only")
    return a


def _pair(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = as_matrix(x, "x")
    return a, as_matrix(y, "y", a.shape[1])


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_gaussian(mu1: ArrayLike, cov1: ArrayLike, mu2: ArrayLike, cov2: ArrayLike) -> float:
    """Fréchet (2-Wasserstein²) distance between N(μ₁, Σ₁) and N(μ₂, Σ₂), in data unit²."""
    m1, m2 = np.asarray(mu1, float), np.asarray(mu2, float)
    c1, c2 = np.atleast_2d(np.asarray(cov1, float)), np.atleast_2d(np.asarray(cov2, float))
    s1 = _sqrt_psd(c1)
    cross = np.linalg.eigvalsh(s1 @ c2 @ s1)
    trace = np.trace(c1) + np.trace(c2) - 2.0 * np.sum(np.sqrt(np.clip(cross, 0.0, None)))
    return float(np.sum((m1 - m2) ** 2) + trace)


def frechet_distance(x: ArrayLike, y: ArrayLike) -> float:
    """Fréchet distance of the Gaussians moment-matched to two samples (no extrapolation)."""
    a, b = _pair(x, y)
    return frechet_gaussian(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def _prefix_moments(a: np.ndarray, order: np.ndarray, sizes: np.ndarray
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Mean and covariance of the first n rows of ``a[order]`` for each n in ``sizes``
    (ascending), accumulating sums and Gram matrices in one pass."""
    d = a.shape[1]
    s, g, start, out = np.zeros(d), np.zeros((d, d)), 0, []
    for n in sizes:
        block = a[order[start:n]]
        s = s + block.sum(0)
        g = g + block.T @ block
        start = n
        mean = s / n
        out.append((mean, (g - n * np.outer(mean, mean)) / (n - 1)))
    return out


def fpd(x: ArrayLike, y: ArrayLike, *, min_samples: int = 5000, n_points: int = 10,
        n_batches: int = 10, rng: np.random.Generator | None = None) -> Estimate:
    """Fréchet Physics Distance: FD extrapolated to infinite samples (intercept of FD vs 1/N).

    Batch sizes run from ``min(min_samples, n)`` to n = min(len(x), len(y)) in ``n_points``
    steps; for each of ``n_batches`` random permutations of both samples, the batch of size N is
    the first N rows (subsets without replacement, nested within a permutation, so one pass per
    permutation computes every size). FD is averaged over the permutations at each size, a line
    in 1/N is fitted by least squares, and the error is the standard error of its intercept.
    """
    a, b = _pair(x, y)
    rng = np.random.default_rng(0) if rng is None else rng
    shift = 0.5 * (a.mean(0) + b.mean(0))  # FD is translation invariant; centring keeps the
    a, b = a - shift, b - shift            # Gram-matrix covariances accurate
    n_max = min(len(a), len(b))
    sizes = np.unique(np.linspace(min(min_samples, n_max), n_max, n_points).astype(int))
    if sizes.size < 2 or sizes[0] < 2:
        raise SpecError("x", f"{n_max} samples", "enough samples for two batch sizes")
    fd = np.zeros(sizes.size)
    for _ in range(n_batches):
        ma = _prefix_moments(a, rng.permutation(len(a)), sizes)
        mb = _prefix_moments(b, rng.permutation(len(b)), sizes)
        fd += [frechet_gaussian(*pa, *pb) for pa, pb in zip(ma, mb, strict=True)]
    fd /= n_batches
    design = np.stack([np.ones(sizes.size), 1.0 / sizes], axis=1)
    coef = np.linalg.lstsq(design, fd, rcond=None)[0]
    sigma2 = float(np.sum((design @ coef - fd) ** 2)) / max(sizes.size - 2, 1)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    return Estimate(float(coef[0]), float(np.sqrt(cov[0, 0])))


def _poly_kernel_sums(a: np.ndarray, b: np.ndarray | None, block: int = 1024) -> float:
    """Σᵢⱼ (aᵢ·bⱼ/d + 1)⁴ (``b`` None: over pairs i ≠ j of ``a``, by symmetry from the blocks
    on and above the diagonal). Products in float32 (kernel values of standardised data are
    O(10), relative rounding ~1e-7 per term), sums in float64, in row blocks that stay in cache."""
    d = a.shape[1]
    scale = np.float32(1.0 / np.sqrt(d))
    a32 = a.astype(np.float32) * scale
    b32 = a32 if b is None else b.astype(np.float32) * scale
    total = 0.0
    for s in range(0, len(a32), block):
        first = s if b is None else 0
        k = a32[s:s + block] @ b32[first:].T
        k += np.float32(1.0)
        np.square(k, out=k)
        np.square(k, out=k)
        if b is None:
            diag = k[:, : min(block, len(a32) - s)]
            total += 2.0 * float(k.sum(dtype=np.float64)) - float(diag.sum(dtype=np.float64)) \
                - float(np.trace(diag, dtype=np.float64))
        else:
            total += float(k.sum(dtype=np.float64))
    return total


def mmd2_unbiased(x: ArrayLike, y: ArrayLike) -> float:
    """Unbiased MMD² with the kernel (a·b/d + 1)⁴ between two samples (one batch)."""
    a, b = _pair(x, y)
    m, n = len(a), len(b)
    return (_poly_kernel_sums(a, None) / (m * (m - 1)) + _poly_kernel_sums(b, None) / (n * (n - 1))
            - 2.0 * _poly_kernel_sums(a, b) / (m * n))


def kpd(x: ArrayLike, y: ArrayLike, *, batch_size: int = 5000, n_batches: int = 10,
        rng: np.random.Generator | None = None) -> Estimate:
    """Kernel Physics Distance: median of unbiased MMD² over random batches (without
    replacement within a batch), error = half the 16–84 % range."""
    a, b = _pair(x, y)
    rng = np.random.default_rng(0) if rng is None else rng
    n = min(batch_size, len(a), len(b))
    vals = np.array([mmd2_unbiased(a[rng.choice(len(a), n, replace=False)],
                                   b[rng.choice(len(b), n, replace=False)])
                     for _ in range(n_batches)])
    lo, hi = np.percentile(vals, [16, 84])
    return Estimate(float(np.median(vals)), float(0.5 * (hi - lo)))


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.clip(d2, 0.0, None)


def knn_radii(a: np.ndarray, k: int) -> np.ndarray:
    """Distance of each row of ``a`` to its k-th nearest other row, (N,)."""
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(a).query(a, k=k + 1)
    return dist[:, -1]


def _within(a: np.ndarray, b: np.ndarray, radius_b: np.ndarray, block: int = 2048
            ) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``a``: how many rows bⱼ have |a − bⱼ| < radius_b[j], and the index of the
    nearest b (computed in row blocks to bound memory)."""
    count = np.empty(len(a), dtype=np.int64)
    nearest = np.empty(len(a), dtype=np.int64)
    r2 = radius_b**2
    for s in range(0, len(a), block):
        d2 = _sq_dists(a[s:s + block], b)
        count[s:s + block] = (d2 < r2[None, :]).sum(1)
        nearest[s:s + block] = d2.argmin(1)
    return count, nearest


def prdc(x: ArrayLike, y: ArrayLike, *, k: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage of generated ``x`` against truth ``y`` (Euclidean
    k-nearest-neighbour balls, k = 5 by default); keys ``precision``, ``recall``, ``density``,
    ``coverage``."""
    fake, real = _pair(x, y)
    if k < 1 or k >= min(len(fake), len(real)):
        raise SpecError("k", k, f"an integer in [1, {min(len(fake), len(real)) - 1}]")
    r_real, r_fake = knn_radii(real, k), knn_radii(fake, k)
    in_real, _ = _within(fake, real, r_real)
    in_fake, _ = _within(real, fake, r_fake)
    _, nearest = _within(real, fake, np.zeros(len(fake)))
    d_nearest = np.sqrt(((real - fake[nearest]) ** 2).sum(1))
    return {"precision": float(np.mean(in_real > 0)), "recall": float(np.mean(in_fake > 0)),
            "density": float(in_real.sum() / (k * len(fake))),
            "coverage": float(np.mean(d_nearest < r_real))}


def correlation_matrix_distance(x: ArrayLike, y: ArrayLike) -> float:
    """Correlation-matrix distance 1 − Tr(R₁R₂)/(‖R₁‖_F‖R₂‖_F) of the Pearson correlations, in
    [0, 1]. Constant features are given correlation 0 with every other feature."""
    a, b = _pair(x, y)
    r1, r2 = correlation(a), correlation(b)
    return float(1.0 - np.trace(r1 @ r2) / (np.linalg.norm(r1) * np.linalg.norm(r2)))


def correlation(a: np.ndarray) -> np.ndarray:
    """Pearson correlation matrix (d, d) of the columns of ``a``; a constant column has
    correlation 1 with itself and 0 with the others."""
    c = np.cov(a, rowvar=False).reshape(a.shape[1], a.shape[1])
    sd = np.sqrt(np.diag(c))
    ok = sd > 0
    scale = np.where(ok, sd, 1.0)
    r = c / scale[:, None] / scale[None, :]
    r[~ok, :] = 0.0
    r[:, ~ok] = 0.0
    np.fill_diagonal(r, 1.0)
    return np.clip(r, -1.0, 1.0)

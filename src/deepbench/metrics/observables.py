"""Observables per family, one function each, batch-vectorised; the features the metrics see.

Images are ``(B, H, W)`` indexed ``[y, x]`` with pixel centres at integer coordinates (the
package convention); moments use the pixel values as weights at the pixel centres. Time series
are ``(B, T)`` with times ``t`` ``(T,)`` or ``(B, T)``. Shower observables are those of
:mod:`deepbench.calo.observables` (the CaloChallenge high-level features), not repeated here.

Notes
-----
- area / flux: F = Σ I (for shapes, exactly the drawn area in px²; for astro, counts).
- centroid: (x̄, ȳ) = Σ I (x, y) / F; second moments Qxx = Σ I (x − x̄)²/F, Qyy, Qxy likewise.
- orientation: ½ atan2(2Qxy, Qxx − Qyy), rad from +x towards +y, in (−π/2, π/2].
- ellipticity: (√λ₁ − √λ₂)/(√λ₁ + √λ₂) of the eigenvalues of Q, i.e. (1 − q)/(1 + q) for axis
  ratio q (0 round, → 1 a line).
- half-light radius r₅₀ and r₂₀, r₈₀: the radius around the centroid at which the flux of the
  pixels (at their centres) sorted by distance reaches that fraction of F, linearly
  interpolated between consecutive distinct distances (from (0, 0) before the first);
  concentration C = 5 log₁₀(r₈₀/r₂₀) (Bershady, Jangren & Conselice 2000; Conselice 2003).
- Gini (Lotz, Primack & Madau 2004): with |I| sorted ascending, G = Σᵢ (2i − n − 1)|Iᵢ| /
  (n(n − 1) mean|I|); 0 for a uniform image, 1 when one pixel holds all the flux.
- period: mean spacing of the upward crossings of x − mean(x) (linearly interpolated); NaN with
  fewer than two crossings. amplitude: (max − min)/2. spectral peak: the frequency (Hz, for t in
  s) of the largest |DFT| bin after the mean is removed, refined by a parabola through the log
  magnitudes of the peak bin and its neighbours unless they are ~0, i.e. the frequency is
  on a bin (uniform time grid required).
- pendulum energy per unit mass: E/m = ½ L² ω² + g L (1 − cos θ) (J/kg; zero at rest).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from deepbench.errors import SpecError


def _images(images: ArrayLike) -> np.ndarray:
    a = np.asarray(images, dtype=np.float64)
    if a.ndim != 3:
        raise SpecError("images", f"shape {a.shape}", "a (B, H, W) batch of images")
    return a


def flux(images: ArrayLike) -> np.ndarray:
    """Total Σ I per image, (B,) in the image's unit (counts; px² for shape coverage)."""
    return _images(images).sum(axis=(1, 2))


area = flux  # shapes: the summed exact coverage is the drawn area in px²


def centroid(images: ArrayLike) -> np.ndarray:
    """Flux-weighted centre (x̄, ȳ) in absolute pixel coordinates, (B, 2); NaN for empty images."""
    a = _images(images)
    f = a.sum(axis=(1, 2))
    y, x = np.arange(a.shape[1]), np.arange(a.shape[2])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([a.sum(1) @ x / f, a.sum(2) @ y / f], axis=1)


def second_moments(images: ArrayLike) -> np.ndarray:
    """Central second moments (Qxx, Qyy, Qxy) in px², (B, 3)."""
    a = _images(images)
    f = a.sum(axis=(1, 2))
    c = centroid(a)
    x = np.arange(a.shape[2])[None, :] - c[:, :1]           # (B, W)
    y = np.arange(a.shape[1])[None, :] - c[:, 1:]           # (B, H)
    with np.errstate(invalid="ignore", divide="ignore"):
        qxx = np.einsum("bhw,bw->b", a, x * x) / f
        qyy = np.einsum("bhw,bh->b", a, y * y) / f
        qxy = np.einsum("bhw,bh,bw->b", a, y, x) / f
    return np.stack([qxx, qyy, qxy], axis=1)


def orientation(images: ArrayLike) -> np.ndarray:
    """Major-axis angle ½ atan2(2Qxy, Qxx − Qyy), rad in (−π/2, π/2], (B,)."""
    q = second_moments(images)
    return 0.5 * np.arctan2(2 * q[:, 2], q[:, 0] - q[:, 1])


def ellipticity(images: ArrayLike) -> np.ndarray:
    """(√λ₁ − √λ₂)/(√λ₁ + √λ₂) of the second-moment matrix, (B,) in [0, 1]."""
    q = second_moments(images)
    tr, diff = q[:, 0] + q[:, 1], np.hypot(q[:, 0] - q[:, 1], 2 * q[:, 2])
    l1, l2 = 0.5 * (tr + diff), np.clip(0.5 * (tr - diff), 0.0, None)
    return (np.sqrt(l1) - np.sqrt(l2)) / (np.sqrt(l1) + np.sqrt(l2))


def light_radius(images: ArrayLike, fraction: float) -> np.ndarray:
    """Radius (px) around the centroid enclosing ``fraction`` of the flux, (B,)."""
    if not 0.0 < fraction < 1.0:
        raise SpecError("fraction", fraction, "a number in (0, 1)")
    a = _images(images)
    b, h, w = a.shape
    c = centroid(a)
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    r = np.hypot(xx.reshape(1, -1) - c[:, :1], yy.reshape(1, -1) - c[:, 1:])   # (B, HW)
    order = np.argsort(r, axis=1, kind="stable")
    rs = np.take_along_axis(r, order, 1)
    cum = np.cumsum(np.take_along_axis(a.reshape(b, -1), order, 1), axis=1)
    n = h * w
    # pixels at equal distance enter together: use the cumulative flux at the end of each group
    end = np.ones((b, n), dtype=bool)
    end[:, :-1] = rs[:, 1:] > rs[:, :-1]
    target = fraction * cum[:, -1]
    j = np.argmax(end & (cum >= target[:, None]), axis=1)
    idx = np.where(end, np.arange(n), -1)
    prev_end = np.concatenate([np.full((b, 1), -1), np.maximum.accumulate(idx, axis=1)[:, :-1]], 1)
    rows = np.arange(b)
    p = prev_end[rows, j]
    r0 = np.where(p >= 0, rs[rows, np.maximum(p, 0)], 0.0)
    c0 = np.where(p >= 0, cum[rows, np.maximum(p, 0)], 0.0)
    r1, c1 = rs[rows, j], cum[rows, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(c1 > c0, (target - c0) / (c1 - c0), 1.0)
    return r0 + np.clip(t, 0.0, 1.0) * (r1 - r0)


def half_light_radius(images: ArrayLike) -> np.ndarray:
    """r₅₀ (px), (B,)."""
    return light_radius(images, 0.5)


def concentration(images: ArrayLike) -> np.ndarray:
    """C = 5 log₁₀(r₈₀/r₂₀), (B,)."""
    return 5.0 * np.log10(light_radius(images, 0.8) / light_radius(images, 0.2))


def gini(images: ArrayLike) -> np.ndarray:
    """Gini coefficient of |pixel values|, (B,) in [0, 1]."""
    a = np.sort(np.abs(_images(images)).reshape(len(images), -1), axis=1)
    n = a.shape[1]
    weight = 2.0 * np.arange(1, n + 1) - n - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a @ weight) / (a.mean(axis=1) * n * (n - 1))


def _series(x: ArrayLike, t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(x, dtype=np.float64)
    if v.ndim != 2:
        raise SpecError("x", f"shape {v.shape}", "a (B, T) batch of series")
    tt = np.broadcast_to(np.asarray(t, dtype=np.float64), v.shape)
    return v, tt


def amplitude(x: ArrayLike) -> np.ndarray:
    """(max − min)/2 per series, (B,) in the series' unit."""
    v = np.asarray(x, dtype=np.float64)
    return 0.5 * (v.max(axis=1) - v.min(axis=1))


def period(x: ArrayLike, t: ArrayLike) -> np.ndarray:
    """Mean spacing of upward crossings of x − mean(x), (B,) in the unit of t; NaN if fewer
    than two crossings."""
    v, tt = _series(x, t)
    d = v - v.mean(axis=1, keepdims=True)
    up = (d[:, :-1] < 0) & (d[:, 1:] >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = -d[:, :-1] / (d[:, 1:] - d[:, :-1])
    tc = np.where(up, tt[:, :-1] + frac * (tt[:, 1:] - tt[:, :-1]), np.nan)
    n = up.sum(axis=1)
    with np.errstate(invalid="ignore"):
        span = np.nanmax(np.where(up, tc, -np.inf), axis=1) - np.nanmin(np.where(up, tc, np.inf),
                                                                         axis=1)
        return np.where(n >= 2, span / np.maximum(n - 1, 1), np.nan)


def spectral_peak(x: ArrayLike, t: ArrayLike) -> np.ndarray:
    """Frequency of the largest DFT magnitude (mean removed), (B,) in 1/(unit of t)."""
    v, tt = _series(x, t)
    dt = np.diff(tt, axis=1)
    if not np.allclose(dt, dt[:, :1], rtol=1e-9, atol=0):
        raise SpecError("t", "a non-uniform time grid", "equally spaced times")
    mag = np.abs(np.fft.rfft(v - v.mean(axis=1, keepdims=True), axis=1))
    mag[:, 0] = 0.0
    k = np.argmax(mag, axis=1)
    rows = np.arange(len(v))
    km, kp = np.clip(k - 1, 0, mag.shape[1] - 1), np.clip(k + 1, 0, mag.shape[1] - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lm, l0, lp = (np.log(mag[rows, j]) for j in (km, k, kp))
        shift = 0.5 * (lm - lp) / (lm - 2 * l0 + lp)
    leak = np.minimum(mag[rows, km], mag[rows, kp]) > 1e-9 * mag[rows, k]  # else on a bin exactly
    shift = np.where(np.isfinite(shift) & leak & (k > 0) & (k < mag.shape[1] - 1), shift, 0.0)
    return (k + np.clip(shift, -0.5, 0.5)) / (v.shape[1] * dt[:, 0])


def pendulum_energy(theta: ArrayLike, omega: ArrayLike, length: ArrayLike, g: ArrayLike
                    ) -> np.ndarray:
    """E/m = ½L²ω² + gL(1 − cos θ) (J/kg), same shape as ``theta``; ``length`` and ``g`` per
    series (B,) or scalars."""
    th, om = np.asarray(theta, float), np.asarray(omega, float)
    shape = (-1,) + (1,) * (th.ndim - 1)
    big_l = np.reshape(np.asarray(length, float), shape) if np.ndim(length) else float(length)
    gg = np.reshape(np.asarray(g, float), shape) if np.ndim(g) else float(g)
    return 0.5 * big_l**2 * om**2 + gg * big_l * (1.0 - np.cos(th))

"""Independent references for pixel integrals of sheared radial profiles (SciPy quadrature only).

Nothing here uses the code under test: profiles are written out again from their textbook
definitions, enclosed fluxes from their closed forms, and integrals are SciPy's adaptive quadrature.

- :func:`polygon_flux`: the exact boundary integral. For a radial profile with enclosed flux E(R),
  the flux inside a polygon is Σ over its edges of the signed angular integral
  (1/2π) ∫ E(R(φ)) dφ, R(φ) the distance from the centre to the edge along direction φ (in the
  source plane, where the profile is circular; the shear maps the polygon to another polygon and
  keeps areas). Exact at the cusp of a Sérsic profile, where area quadrature is not.
- :func:`pixel_dblquad`: ``scipy.integrate.dblquad`` of the profile over one pixel (for pixels away
  from the centre).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special


def sersic(n: float, re: float):
    b = special.gammaincinv(2 * n, 0.5)
    i0 = b ** (2 * n) / (2 * math.pi * n * re**2 * math.gamma(2 * n))
    return (lambda r: i0 * np.exp(-b * (r / re) ** (1 / n)),
            lambda r: special.gammainc(2 * n, b * (r / re) ** (1 / n)))


def moffat(fwhm: float, beta: float):
    alpha = fwhm / (2 * math.sqrt(2 ** (1 / beta) - 1))
    return (lambda r: (beta - 1) / (math.pi * alpha**2) * (1 + (r / alpha) ** 2) ** -beta,
            lambda r: 1 - (1 + (r / alpha) ** 2) ** (1 - beta))


def gaussian(fwhm: float):
    s = fwhm / (2 * math.sqrt(2 * math.log(2)))
    return (lambda r: np.exp(-0.5 * (r / s) ** 2) / (2 * math.pi * s**2),
            lambda r: -np.expm1(-0.5 * (r / s) ** 2))


def source_matrix(g1: float, g2: float) -> np.ndarray:
    """Image offset → source offset for reduced shear g (area-preserving)."""
    return np.array([[1 - g1, -g2], [-g2, 1 + g1]]) / math.sqrt(1 - g1 * g1 - g2 * g2)


def polygon_flux(enclosed, corners: np.ndarray, centre, g=(0.0, 0.0)) -> float:
    """Flux fraction inside the polygon ``corners`` ((k, 2) image (x, y), in order)."""
    m = source_matrix(*g)
    pts = (np.asarray(corners, float) - np.asarray(centre, float)) @ m.T
    total = 0.0
    for p, q in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        total += _edge(enclosed, p, q)
    return total / (2 * math.pi)


def _edge(enclosed, p: np.ndarray, q: np.ndarray) -> float:
    cross = p[0] * q[1] - p[1] * q[0]
    t1, t2 = math.atan2(p[1], p[0]), math.atan2(q[1], q[0])
    span = math.atan2(cross, p @ q)                      # signed angle from p to q
    edge = q - p
    d = abs(cross) / math.hypot(*edge)                   # distance from the centre to the line
    if d < 1e-300:
        return 0.0
    normal = np.array([edge[1], -edge[0]]) * (1 if cross > 0 else -1)
    phi0 = math.atan2(normal[1], normal[0])              # direction of the foot of the perpendicular

    def integrand(phi):
        return enclosed(d / math.cos(phi - phi0))

    a = t1
    b = t1 + span
    foot = phi0 + 2 * math.pi * round((t1 + span / 2 - phi0) / (2 * math.pi))
    pts = [foot] if min(a, b) < foot < max(a, b) else None
    val, _ = integrate.quad(integrand, a, b, points=pts, epsabs=1e-13, epsrel=1e-11, limit=400)
    del t2
    return val


def pixel_polygon(j: int, i: int) -> np.ndarray:
    return np.array([[j - 0.5, i - 0.5], [j + 0.5, i - 0.5], [j + 0.5, i + 0.5], [j - 0.5, i + 0.5]])


def stamp_polygon(h: int, w: int) -> np.ndarray:
    return np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])


def pixel_dblquad(profile, j: int, i: int, centre, g=(0.0, 0.0)) -> float:
    m = source_matrix(*g)
    cx, cy = centre

    def f(y, x):
        u = m @ np.array([x - cx, y - cy])
        return profile(math.hypot(*u))

    val, _ = integrate.dblquad(f, j - 0.5, j + 0.5, i - 0.5, i + 0.5, epsabs=1e-13, epsrel=1e-10)
    return val

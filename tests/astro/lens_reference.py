"""An independent SIE + shear lens and a brute-force lensed-Sérsic renderer, for the lens tests.

Nothing here uses deepbench's lensing or rendering code: the deflection is Kormann, Schneider &
Bartelmann (1994) in their own frame and units, the Sérsic profile is written out again.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special


def ksb_deflection(x1: np.ndarray, x2: np.ndarray, f: float) -> tuple[np.ndarray, np.ndarray]:
    """KSB94's SIE in their frame and units: κ = √f / (2 √(x1² + f² x2²)) (major axis along x2,
    axis ratio f), α = (√f/f') [asinh((f'/f) cos φ), asin(f' sin φ)], f' = √(1 − f²), φ the polar
    angle of (x1, x2). The round limit f = 1 is α = (cos φ, sin φ)."""
    phi = np.arctan2(x2, x1)
    if f == 1.0:
        return np.cos(phi), np.sin(phi)
    fp = math.sqrt(1.0 - f * f)
    k = math.sqrt(f) / fp
    return k * np.arcsinh(fp / f * np.cos(phi)), k * np.arcsin(fp * np.sin(phi))


def reference_deflection(x, y, x0, y0, theta_e, q, angle, g1, g2):
    """Our convention (major axis at ``angle``, κ = θ_E / (2 √(q x'² + y'²/q))) through KSB94:
    their x2 is our major axis x', their x1 our minor axis y', and their unit is θ_E."""
    c, s = math.cos(angle), math.sin(angle)
    dx, dy = x - x0, y - y0
    major, minor = c * dx + s * dy, -s * dx + c * dy
    a_minor, a_major = ksb_deflection(minor, major, q)
    ax = theta_e * (c * a_major - s * a_minor) + g1 * dx + g2 * dy
    ay = theta_e * (s * a_major + c * a_minor) + g2 * dx - g1 * dy
    return ax, ay



def sersic_sb(r: np.ndarray, n: float, re: float) -> np.ndarray:
    """Unit-flux Sérsic surface brightness at radius r (same unit as re)."""
    b = special.gammaincinv(2 * n, 0.5)
    i0 = b ** (2 * n) / (2 * math.pi * n * re**2 * math.gamma(2 * n))
    return i0 * np.exp(-b * (r / re) ** (1 / n))


def lensed_sersic(p: dict, shape: tuple[int, int], pixel_scale: float, sub: int) -> np.ndarray:
    """Midpoint rule on sub × sub points per pixel of the lensed source of scenes.lens parameters
    ``p`` (floats, arcsec), in counts per pixel (pixel centres at integers, image centre at
    ((W − 1)/2, (H − 1)/2), +y down)."""
    h, w = shape
    off = (np.arange(sub) + 0.5) / sub - 0.5
    out = np.empty(shape)
    xs = ((np.arange(w)[:, None] + off[None, :]).ravel() - (w - 1) / 2) * pixel_scale
    for i in range(h):                                  # one row of pixels at a time
        ys = ((i + off) - (h - 1) / 2) * pixel_scale
        x, y = np.meshgrid(xs, ys)
        ax, ay = reference_deflection(x, y, p["lens_x"], p["lens_y"], p["theta_e"], p["lens_q"],
                                      p["lens_angle"], p["gamma1"], p["gamma2"])
        dx, dy = x - ax - p["src_x"], y - ay - p["src_y"]
        g1, g2 = p["src_g1"], p["src_g2"]
        m = np.array([[1 - g1, -g2], [-g2, 1 + g1]]) / math.sqrt(1 - g1 * g1 - g2 * g2)
        u, v = m[0, 0] * dx + m[0, 1] * dy, m[1, 0] * dx + m[1, 1] * dy
        sb = sersic_sb(np.hypot(u, v), p["src_sersic_index"], p["src_r_half"])
        out[i] = sb.reshape(sub, w, sub).mean(axis=(0, 2)) * pixel_scale**2 * p["src_flux"]
    return out

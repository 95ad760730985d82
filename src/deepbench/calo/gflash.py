"""The GFlash parameterisation of electromagnetic showers (Grindhammer & Peters), vectorised.

Depth ``t`` is in radiation lengths, radii in Molière radii, energies in GeV unless named
``_mev``; every function takes arrays (B,) and broadcasts.

References
----------
G. Grindhammer, S. Peters, "The parameterized simulation of electromagnetic showers in
homogeneous and sampling calorimeters", hep-ex/0001020. Constants as tuned in Geant4
(``GVFlashHomoShowerTuning.hh``, ``GFlashSamplingShowerTuning.hh``,
``GFlashSamplingShowerParameterisation.cc``); the sampling ones were checked against that
header: t1 = −0.55, t2 = −0.69, a1 = −0.476, σ(ln T) = 1/(−2.5 + 1.25 ln y),
σ(ln α) = 1/(−0.82 + 0.79 ln y), ρ = 0.784 − 0.023 ln y, radial c1 = −0.0203, c2 = 0.0397,
t1 = −0.14, t2 = −0.495, w1 = 0.348, w2 = −0.642, spots Ns = 10.3 ln Z (E/GeV)^0.959.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc

from deepbench.calo.materials import Material

T_MIN, ALPHA_MIN = 1.0, 1.1          # GFlash clamps on T and α (GFlashHomoShowerParameterisation)
SIGMA_MAX = 0.5                      # Geant4 clamp on σ(ln T), σ(ln α)
PHOTON_PATH_X0 = 9.0 / 7.0           # photon conversion mean free path, PDG §34.4.2
SPOT_T_MIN = 0.5                     # Geant4 clamp on the spot profile's T_s
# Spot-profile factors T_s = T (t1 + t2 Z), α_s = α (a1 + a2 Z): GVFlashHomoShowerTuning
# (homogeneous) and GFlashSamplingShowerTuning (sampling) in Geant4.
SPOT_HOMOGENEOUS = (0.698, 0.00212, 0.639, 0.00334)
SPOT_SAMPLING = (0.813, 0.0019, 0.844, 0.0026)


@dataclass(frozen=True)
class LogNormal:
    """Means, widths and correlation of (ln T, ln α), each (B,)."""

    mu_t: np.ndarray
    mu_a: np.ndarray
    sigma_t: np.ndarray
    sigma_a: np.ndarray
    rho: np.ndarray


def log_y(energy_gev: np.ndarray, mat: Material) -> np.ndarray:
    """ln y, y = E / Ec."""
    return np.log(energy_gev * 1e3 / mat.ec_mev)


def average_profile(energy_gev: np.ndarray, mat: Material) -> tuple[np.ndarray, np.ndarray]:
    """(T, α) of the *average* homogeneous profile: T = ln y − 0.858,
    α = 0.21 + (0.492 + 2.38/Z) ln y (hep-ex/0001020, eq. 7)."""
    ly = log_y(energy_gev, mat)
    return ly - 0.858, 0.21 + (0.492 + 2.38 / mat.z) * ly


def containment(energy_gev: np.ndarray, depth_x0: float, mat: Material) -> np.ndarray:
    """Fraction of the average profile inside ``depth_x0``: P(α, β t), β = (α − 1)/T."""
    t, a = average_profile(np.asarray(energy_gev, dtype=np.float64), mat)
    return gammainc(a, (a - 1.0) / t * depth_x0)


def individual(energy_gev: np.ndarray, mat: Material) -> LogNormal:
    """Distribution of (ln T, ln α) of single showers; sampling corrections when ``mat`` is a
    sampling medium (Geant4's ComputeLongitudinalParameters, clamps included)."""
    ly = log_y(energy_gev, mat)
    mu_t = np.log(np.maximum(ly - 0.812, 0.1))
    mu_a = np.log(np.maximum(0.81 + (0.458 + 2.26 / mat.z) * ly, 0.1))
    if not mat.sampling:
        return LogNormal(mu_t, mu_a, np.minimum(SIGMA_MAX, 1.0 / (-1.4 + 1.26 * ly)),
                         np.minimum(SIGMA_MAX, 1.0 / (-0.58 + 0.86 * ly)), 0.705 - 0.023 * ly)
    assert mat.f_s is not None
    mu_t = np.maximum(0.1, np.log(np.exp(mu_t) - 0.55 / mat.f_s - 0.69 * (1.0 - mat.e_hat)))
    mu_a = np.maximum(0.1, np.log(np.exp(mu_a) - 0.476 / mat.f_s))
    return LogNormal(mu_t, mu_a, np.minimum(SIGMA_MAX, 1.0 / (-2.5 + 1.25 * ly)),
                     np.minimum(SIGMA_MAX, 1.0 / (-0.82 + 0.79 * ly)), 0.784 - 0.023 * ly)


def draw_t_alpha(dist: LogNormal, z1: np.ndarray, z2: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, α, β) from standard normals z1, z2 (own Cholesky factor; clamps T ≥ 1, α ≥ 1.1)."""
    c1, c2 = np.sqrt((1.0 + dist.rho) / 2.0), np.sqrt((1.0 - dist.rho) / 2.0)
    t = np.maximum(T_MIN, np.exp(dist.mu_t + dist.sigma_t * (c1 * z1 + c2 * z2)))
    a = np.maximum(ALPHA_MIN, np.exp(dist.mu_a + dist.sigma_a * (c1 * z1 - c2 * z2)))
    return t, a, (a - 1.0) / t


def spot_count(energy_gev: np.ndarray, mat: Material) -> np.ndarray:
    """Mean number of spots: 93 ln Z (E/GeV)^0.876 (homogeneous), 10.3 ln Z (E/GeV)^0.959
    (sampling, GFlashSamplingShowerTuning)."""
    if mat.sampling:
        return 10.3 * np.log(mat.z) * energy_gev ** 0.959
    return 93.0 * np.log(mat.z) * energy_gev ** 0.876


def radial(energy_gev: np.ndarray, tau: np.ndarray, mat: Material
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(R_C, R_T, p) in Molière radii at τ = t/T; ``energy_gev`` broadcasts against ``tau``.

    R_C = z1 + z2 τ, R_T = k1 [e^{k3(τ−k2)} + e^{k4(τ−k2)}], p = p1 exp((p2−τ)/p3 − e^{(p2−τ)/p3}),
    plus GFlash's sampling corrections when ``mat`` is a sampling medium; p is kept in [0, 1] and
    the radii above 1e-3 R_M.
    """
    z, le = mat.z, np.log(energy_gev)
    rc = 0.0251 + 0.00319 * le + (0.1162 - 0.000381 * z) * tau
    rt = (0.659 - 0.00309 * z) * (np.exp(-2.59 * (tau - 0.645))
                                  + np.exp((0.3585 + 0.0412 * le) * (tau - 0.645)))
    x = (0.401 + 0.00187 * z - tau) / (1.313 - 0.0686 * le)
    p = (2.632 - 0.00094 * z) * np.exp(x - np.exp(x))
    if mat.sampling:
        assert mat.f_s is not None
        rc = rc - 0.0203 * (1.0 - mat.e_hat) + 0.0397 / mat.f_s * np.exp(-tau)
        rt = rt - 0.14 * (1.0 - mat.e_hat) - 0.495 / mat.f_s * np.exp(-tau)
        p = p + (1.0 - mat.e_hat) * (0.348 - 0.642 / mat.f_s * np.exp(-(tau - 1.0) ** 2))
    return np.maximum(rc, 1e-3), np.maximum(rt, 1e-3), np.clip(p, 0.0, 1.0)


def radial_cdf(r: np.ndarray, rc: np.ndarray, rt: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Two-component radial CDF p r²/(r² + R_C²) + (1 − p) r²/(r² + R_T²), r in R_M."""
    r2 = r * r
    return p * r2 / (r2 + rc * rc) + (1.0 - p) * r2 / (r2 + rt * rt)


def longitudinal_cdf(t: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Gamma-profile CDF P(α, β t), 0 for t ≤ 0."""
    return gammainc(alpha, beta * np.maximum(t, 0.0))


def spot_profile(t_max: np.ndarray, alpha: np.ndarray, mat: Material
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T_s, α_s, β_s) of the Gamma profile the spot *count* follows along the shower axis:
    T_s = T (t1 + t2 Z) ≥ 0.5, α_s = α (a1 + a2 Z) ≥ 1.1 (our clamp, so that β_s > 0),
    β_s = (α_s − 1)/T_s; constants of Geant4's GFlash tunings (homogeneous or sampling)."""
    t1, t2, a1, a2 = SPOT_SAMPLING if mat.sampling else SPOT_HOMOGENEOUS
    t_s = np.maximum(SPOT_T_MIN, t_max * (t1 + t2 * mat.z))
    a_s = np.maximum(ALPHA_MIN, alpha * (a1 + a2 * mat.z))
    return t_s, a_s, (a_s - 1.0) / t_s


def quadrant_fraction(x: np.ndarray, y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Probability of [0, x] × [0, y] (signed: odd in x and in y) under the planar density
    R²/(π (ρ² + R²)²) whose radial CDF is ρ²/(ρ² + R²):
    [x/√(x² + R²) atan(y/√(x² + R²)) + y/√(y² + R²) atan(x/√(y² + R²))] / (2π)."""
    cx, cy = np.sqrt(x * x + r * r), np.sqrt(y * y + r * r)
    return (x / cx * np.arctan(y / cx) + y / cy * np.arctan(x / cy)) / (2.0 * np.pi)


def cell_fractions(x_edges: np.ndarray, y_edges: np.ndarray, rc: np.ndarray, rt: np.ndarray,
                   p: np.ndarray) -> np.ndarray:
    """Probability of each rectangle [x_j, x_j+1] × [y_i, y_i+1] under the two-component radial
    profile centred at the origin: (..., n_y, n_x).

    ``x_edges`` (..., n_x + 1) and ``y_edges`` (..., n_y + 1) in Molière radii; ``rc``, ``rt``,
    ``p`` (...) broadcast against the leading axes.
    """
    x = x_edges[..., None, :]
    y = y_edges[..., :, None]
    out = 0.0
    for weight, radius in ((p, rc), (1.0 - p, rt)):
        g = quadrant_fraction(x, y, radius[..., None, None])
        out = out + weight[..., None, None] * np.diff(np.diff(g, axis=-1), axis=-2)
    return out

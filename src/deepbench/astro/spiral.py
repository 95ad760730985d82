"""``astro.spiral``: a spiral galaxy — Sérsic bulge, exponential disc and Ringermacher–Mead arms.

In the disc plane (polar r, φ), arm k of ``n_arms`` follows Ringermacher & Mead (2009, MNRAS 397,
164), eq. 5:

    r(φ) = A / log(B · tan(φ / (2N))),   φ ∈ (2N·atan(1/B), Nπ),

rotated by 2πk/n_arms, with winding number N, shape B and scale A (px). An arm's surface brightness
is E(r_ridge) · exp(−(r − r_ridge)² / 2w²) along every ray from the centre, with E the disc's
exponential envelope evaluated on the ridge: the ridge is the maximum along each ray exactly at the
formula's radius. The disc and the arms are inclined by ``inclination`` (minor axis × cos i, flux
kept) and the whole galaxy is rotated by ``angle``; the bulge is round. Components are normalised
over the whole plane to ``flux`` × their fractions (disc: 1 − bulge − arms); arms by a 1-D
quadrature along φ. Bulge and disc are exact pixel integrals (:mod:`deepbench.astro.render`); the
arms (smooth on the pixel scale for ``arm_width`` ≥ 0.5 px) use 4 × 4 Gauss–Legendre points per pixel,
evaluated in float32 from offsets formed in float64.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from deepbench.astro.profiles import Profile, g_from_q_angle
from deepbench.astro.render import NODES, W2, render
from deepbench.astro.simulators import FLUX, IMAGE_SETTINGS, POSITION
from deepbench.core.params import Output, Param
from deepbench.core.simulator import ImageSimulator, SimResult

EXP_B1 = 1.6783469900166612          # b_1: exponential r_half = b_1 · scale length
MAX_TURNS = 6
ARM_BLOCK = 4
FAR = np.float32(1e30)               # a ridge radius standing for "no ridge on this ray"


def arm_radius(phi: np.ndarray, a: np.ndarray, b: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Ringermacher–Mead ridge radius r(φ) (px; the dtype of ``phi`` and the parameters); NaN
    outside φ ∈ (2N atan(1/B), Nπ)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        arg = b * np.tan(phi / (2.0 * n))
        ok = (phi > 0) & (phi < n * math.pi) & (arg > 1.0)
        return np.where(ok, a / np.log(np.where(ok, arg, 2.0)), np.nan)


class Spiral(ImageSimulator):
    """Bulge + disc + logarithmic-tangent spiral arms, inclined and rotated."""

    name = "astro.spiral"
    version = 2  # 2: the arms are evaluated in float32 (offsets still formed in float64)
    summary = "spiral galaxy: Sérsic bulge, exponential disc, Ringermacher–Mead arms"
    params = (
        *POSITION, FLUX,
        Param("bulge_fraction", 0.2, "", "bulge share of the flux", low=0.0, high=0.5),
        Param("arm_fraction", 0.3, "", "arms' share of the flux (disc: the rest)", low=0.0,
              high=0.5),
        Param("bulge_r_half", 2.0, "px", "bulge half-light radius", low=0.3, high=1024.0),
        Param("bulge_sersic_index", 4.0, "", "bulge Sérsic index", low=0.3, high=8.0),
        Param("disc_scale", 6.0, "px", "exponential disc scale length (also the arms' envelope)",
              low=0.5, high=1024.0),
        Param("n_arms", 2, "", "number of arms", low=1, high=6, kind="int"),
        Param("winding", 4.0, "", "winding number N of r(φ) = A / log(B tan(φ/2N))", low=0.5,
              high=2.0 * MAX_TURNS),
        Param("arm_b", 1.0, "", "Ringermacher–Mead B (arm sweep; > 0)", low=0.05, high=20.0),
        Param("arm_scale", 8.0, "px", "Ringermacher–Mead scale A", low=0.5, high=1024.0),
        Param("arm_width", 1.5, "px", "Gaussian σ of the arm across the ridge", low=0.5,
              high=64.0),
        Param("inclination", 0.0, "rad", "disc inclination (0 face-on)", low=0.0,
              high=1.4),
        Param("angle", 0.0, "rad", "rotation of the galaxy from +x towards +y", low=-2 * math.pi,
              high=2 * math.pi, period="2*pi"),
    )
    settings = IMAGE_SETTINGS

    def outputs(self) -> tuple[Output, ...]:
        return (Output("image", self.shape, "float32", "counts",
                       "integral of bulge + disc + arms over each pixel"),)

    def truth_outputs(self) -> tuple[Output, ...]:
        return tuple(Output(f"flux_{c}_in_image", (), "float64", "counts",
                            f"the {c} flux inside the image") for c in ("bulge", "disc", "arms"))

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        h, w = self.shape
        p = params
        x0, y0 = p["cx"] + (w - 1) / 2, p["cy"] + (h - 1) / 2
        zero = np.zeros_like(x0)
        f_bulge = p["flux"] * p["bulge_fraction"]
        f_arms = p["flux"] * p["arm_fraction"]
        f_disc = p["flux"] - f_bulge - f_arms
        bulge = render(Profile("sersic", {"n": p["bulge_sersic_index"],
                                          "r_half": p["bulge_r_half"]}), x0, y0, zero, zero,
                       self.shape)
        cosi = np.cos(p["inclination"])
        g1, g2 = g_from_q_angle(cosi, p["angle"])
        disc = render(Profile("sersic", {"n": np.ones_like(x0),
                                         "r_half": EXP_B1 * p["disc_scale"] * np.sqrt(cosi)}),
                      x0, y0, g1, g2, self.shape)
        arms = self._arms(p, x0, y0, cosi)
        parts = {"bulge": (bulge, f_bulge), "disc": (disc, f_disc), "arms": (arms, f_arms)}
        image = np.zeros((x0.size, h, w), dtype=np.float32)
        truth = {}
        for name, (img, f) in parts.items():
            truth[f"flux_{name}_in_image"] = img.reshape(x0.size, -1).sum(axis=1,
                                                                          dtype=np.float64) * f
            image += img * f.astype(np.float32)[:, None, None]
        return SimResult({"image": image}, truth)

    def _arms(self, p: Mapping[str, np.ndarray], x0: np.ndarray, y0: np.ndarray,
              cosi: np.ndarray) -> np.ndarray:
        """Unit-flux arm images (float32 (B, H, W)), 4 × 4 Gauss–Legendre per pixel, drawn in
        blocks of ``ARM_BLOCK`` samples so that the 16-nodes-per-pixel temporaries stay small."""
        out = np.empty((x0.size, *self.shape), dtype=np.float32)
        for s in range(0, x0.size, ARM_BLOCK):
            sl = slice(s, s + ARM_BLOCK)
            out[sl] = self._arms_block({k: v[sl] for k, v in p.items()}, x0[sl], y0[sl],
                                       cosi[sl])
        return out

    def _arms_block(self, p: Mapping[str, np.ndarray], x0: np.ndarray, y0: np.ndarray,
                    cosi: np.ndarray) -> np.ndarray:
        h, w = self.shape
        b = x0.size
        col = (np.arange(w)[:, None] + NODES[None, :]).ravel()            # (W·4,)
        row = (np.arange(h)[:, None] + NODES[None, :]).ravel()
        dx = col[None, None, :] - x0[:, None, None]                       # (B, 1, W·4)
        dy = row[None, :, None] - y0[:, None, None]                       # (B, H·4, 1)
        ca, sa = np.cos(p["angle"])[:, None, None], np.sin(p["angle"])[:, None, None]
        u = dx * ca + dy * sa                                             # along the major axis
        v = (-dx * sa + dy * ca) / cosi[:, None, None]                    # de-projected
        u, v = u.astype(np.float32), v.astype(np.float32)   # offsets formed in float64
        r = np.hypot(u, v)
        theta = np.arctan2(v, u)
        dens = np.zeros_like(r)
        n_arms = p["n_arms"].astype(np.int64)
        a, bb, nn, wd, hs = (p[k].astype(np.float32)[:, None, None] for k in
                             ("arm_scale", "arm_b", "winding", "arm_width", "disc_scale"))
        inv_w, inv_h = np.float32(1.0) / wd, np.float32(-1.0) / hs
        two_pi = np.float32(2 * math.pi)
        for k in range(int(n_arms.max())):
            active = (k < n_arms)[:, None, None]
            base = np.mod(theta - (two_pi * k / n_arms.astype(np.float32))[:, None, None], two_pi)
            for turn in range(math.ceil(float(p["winding"].max()) / 2) + 1):  # φ < Nπ
                r0 = arm_radius(base + two_pi * turn, a, bb, nn)
                r0 = np.where(active & np.isfinite(r0), r0, FAR)    # off the arm: exp(−∞) = 0
                z = (r - r0) * inv_w
                with np.errstate(over="ignore"):
                    z *= z
                z *= np.float32(-0.5)
                z += r0 * inv_h
                dens += np.exp(z, out=z)
        dens /= cosi[:, None, None]
        pix = dens.reshape(b, h, 4, w, 4)
        img = np.einsum("bimjn,mn->bij", pix, W2.astype(np.float32))
        return img / _arm_total(p).astype(np.float32)[:, None, None]


def _arm_total(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """Integral of the (face-on) arm density over the plane, per sample: Σ_arms ∫ dφ E(r₀(φ)) ·
    ∫₀^∞ exp(−(r − r₀)²/2w²) r dr, by the trapezoid rule on 8,192 φ nodes per arm."""
    from scipy.special import erf

    n = p["winding"][:, None]
    lo = 2 * n * np.arctan(1 / p["arm_b"][:, None])
    t = (np.arange(8192) + 0.5) / 8192
    phi = lo + (n * math.pi - lo) * t                                     # midpoint rule
    r0 = arm_radius(phi, p["arm_scale"][:, None], p["arm_b"][:, None], n)
    r0 = np.nan_to_num(r0, nan=0.0, posinf=0.0)
    wd = p["arm_width"][:, None]
    radial = (wd**2 * np.exp(-0.5 * (r0 / wd) ** 2)
              + r0 * wd * math.sqrt(math.pi / 2) * (1 + erf(r0 / (wd * math.sqrt(2)))))
    integrand = np.exp(-r0 / p["disc_scale"][:, None]) * radial
    return p["n_arms"] * integrand.mean(axis=1) * (n[:, 0] * math.pi - lo[:, 0])

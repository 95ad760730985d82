"""``astro.galaxy_domains``: one latent galaxy seen in several physical domains, on one pixel grid.

A galaxy is a spherical Sérsic bulge, an exponential stellar disc, an exponential hydrogen gas disc
with a longer scale length, and a spherical NFW dark-matter halo, all at the same centre. Every
output is one domain of the *same* galaxy, pixel for pixel:

- ``stars``: stellar light (bulge + disc), L_sun/pc², luminosity = stellar mass / ``mass_to_light``;
- ``gas``: hydrogen gas (HI + H2, helium not included), M_sun/pc²;
- ``hi``, ``h2``: atomic and molecular hydrogen, M_sun/pc², split by the pressure-based molecular
  ratio of Blitz & Rosolowsky (2006), R_mol = Σ_H2/Σ_HI = (P/P₀)^α;
- ``hi_brightness``: velocity-integrated 21-cm brightness ∫T_B dv (K km/s) of the optically thin
  HI column, N_HI = 1.8224e18 cm⁻² ∫T_B dv;
- ``dm``: projected NFW dark matter, M_sun/pc² (closed form, with a series near x = 1).

**Pixel values** are the pixel averages of each surface density (its integral over the pixel
divided by the pixel's area in pc²), computed by the astro renderer's method for all maps in one
pass on shared nodes (:mod:`deepbench.astro.multirender`; each map to its own refinement depth, so a
map does not depend on the other domains requested), so a map's sum × the pixel area (pc²) is the
mass (or luminosity) inside the image. A disc whose profile varies on less than 1 px along x or
y (thin discs seen near edge-on, small discs) is rendered on a grid refined s_x × s_y times
(s_x = ⌈1 px / its scale along x⌉, likewise y, from q·R_d and the position angle) and binned, at
most 2²² fine pixels per image; a disc too thin for that is refused before any work, naming the
fix. Values are clipped at 0: the renderer's pixel filter leaves tails that can dip about 1e-7 of
a map's peak below zero.

**Geometry.** Each disc component has the same intrinsic (edge-on) axis ratio ``disc_thickness``
q₀ = h_z / R (its 3-D density is stratified on similar oblate spheroids), so at inclination i it
projects to its face-on profile Σ(m)/q on ellipses m² = x'² + y'²/q² with the apparent axis ratio
q = √(cos²i + q₀² sin²i) (Hubble 1926), exactly, the total mass unchanged; edge-on stays finite.
The major axis is at ``angle`` from +x towards +y. Bulge and halo are spherical.

**Molecular ratio.** At intrinsic radius R, the midplane pressure of a two-component disc
(Elmegreen 1989, as used by Blitz & Rosolowsky 2004, 2006) is

    P = (π/2) G Σ_g (Σ_g + (σ_g/σ_*) Σ_*),     σ_*² = 2π G h_* Σ_*,

with Σ_g the gas and Σ_* the face-on stellar (bulge + disc) surface densities, σ_g the gas velocity
dispersion (``gas_dispersion``), and σ_* the vertical dispersion of an isothermal self-gravitating
stellar disc whose exponential scale height is h_* = q₀ R_d. Then R_mol = (P/P₀)^α with
P₀/k = 4.3e4 K cm⁻³ and α = 0.92 (Blitz & Rosolowsky 2006, ApJ 650, 933: their fit to 14
galaxies), Σ_HI = Σ_g / (1 + R_mol) and Σ_H2 = Σ_g R_mol / (1 + R_mol).

**Halo.** M200 and c give r200 = (3 M200 / (800 π ρ_crit))^{1/3} with ρ_crit = 3H₀²/(8πG)
(H₀ = 100 h km/s/Mpc, ``hubble``), r_s = r200/c and ρ_s = (200/3) ρ_crit c³ / (ln(1 + c) −
c/(1 + c)). The projected surface density is Σ(R) = 2 ρ_s r_s f(R/r_s) with f(x) = (1 − F(x)) /
(x² − 1), F(x) = arccosh(1/x)/√(1 − x²) (x < 1) or arccos(1/x)/√(x² − 1) (x > 1), and the mass
inside the cylinder R is 4π ρ_s r_s³ (ln(x/2) + F(x)) (Bartelmann 1996; Golse & Kneib 2002);
within |x − 1| < 0.02 both use their Taylor series about x = 1 (f(1) = 1/3, F(1) = 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from deepbench.astro.multirender import render_fields
from deepbench.astro.profiles import Profile, g_from_q_angle, shear_form
from deepbench.astro.render import CUSP_TOL, cusp_levels
from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import ImageSimulator, SimResult
from deepbench.errors import Problem

# -- constants (CODATA 2018, IAU 2015) ---------------------------------------------------------------
G_PC = 4.300917e-3                 # G in pc (km/s)² / M_sun
PC_CM = 3.0856775814913673e18      # parsec in cm
MSUN_G = 1.98841e33                # solar mass in g
M_H_G = 1.6735575e-24              # hydrogen atom mass in g
K_B = 1.380649e-16                 # Boltzmann constant, erg/K
HI_COLUMN_PER_K_KMS = 1.8224e18    # N_HI (cm⁻²) per K km/s, optically thin 21-cm line
P0_K = 4.3e4                       # Blitz & Rosolowsky (2006): P₀/k in K cm⁻³
ALPHA_MOL = 0.92                   # Blitz & Rosolowsky (2006): R_mol = (P/P₀)^α
#: P/k in K cm⁻³ of a pressure in M_sun pc⁻³ (km/s)²
PRESSURE_K = MSUN_G / PC_CM**3 * 1e10 / K_B
#: ∫T_B dv (K km/s) of an HI surface density of 1 M_sun/pc²
HI_K_KMS_PER_MSUN_PC2 = MSUN_G / M_H_G / PC_CM**2 / HI_COLUMN_PER_K_KMS
EXP_B1 = 1.6783469900166612        # b_1: exponential half-light radius = b_1 × scale length
SERIES_HALF_WIDTH = 0.02           # |x − 1| below which the NFW functions use their series

# Taylor coefficients about x = 1 (in powers of x − 1), from the closed forms at 40 digits (mpmath)
_F_SERIES = (1.0, -2 / 3, 7 / 15, -12 / 35, 83 / 315, -146 / 693, 0.17415917415917415,
             -0.14794094794094795, 0.12844279903103434, -0.11347290480417416)
_f_SERIES = (1 / 3, -0.4, 13 / 35, -20 / 63, 61 / 231, -94 / 429, 0.18352758352758353,
             -0.15598519127930893, 0.13472904804174154, -0.11819140611710272)

DOMAINS = ("stars", "gas", "hi", "hi_brightness", "h2", "dm")
DOMAIN_UNITS = {"stars": "Lsun/pc^2", "gas": "Msun/pc^2", "hi": "Msun/pc^2",
                "hi_brightness": "K km/s", "h2": "Msun/pc^2", "dm": "Msun/pc^2"}
DOMAIN_DOCS = {
    "stars": "stellar light, bulge + disc: pixel average of the surface brightness",
    "gas": "hydrogen gas (HI + H2; no helium): pixel average of the surface density",
    "hi": "atomic hydrogen: pixel average of the surface density",
    "hi_brightness": "velocity-integrated HI 21-cm brightness ∫T_B dv (optically thin): pixel "
                     "average",
    "h2": "molecular hydrogen: pixel average of the surface density",
    "dm": "projected NFW dark matter: pixel average of the surface density",
}


def _series(coeffs: tuple[float, ...], e: np.ndarray) -> np.ndarray:
    out = np.full_like(e, coeffs[-1])
    for c in coeffs[-2::-1]:
        out = out * e + c
    return out


def nfw_F(x: np.ndarray) -> np.ndarray:
    """F(x) = arccosh(1/x)/√(1 − x²) for x < 1, arccos(1/x)/√(x² − 1) for x > 1, 1 at x = 1
    (float64; its series about 1 within ``SERIES_HALF_WIDTH``)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.arccosh(1.0 / np.minimum(x, 1.0)) / np.sqrt(1.0 - np.minimum(x, 1.0) ** 2)
        outer = np.arccos(1.0 / np.maximum(x, 1.0)) / np.sqrt(np.maximum(x, 1.0) ** 2 - 1.0)
    e = x - 1.0
    near = np.abs(e) < SERIES_HALF_WIDTH
    return np.where(near, _series(_F_SERIES, e), np.where(x < 1.0, inner, outer))


def nfw_sigma_shape(x: np.ndarray) -> np.ndarray:
    """Dimensionless projected NFW profile f(x) = (1 − F(x))/(x² − 1), Σ = 2 ρ_s r_s f(R/r_s)."""
    x = np.asarray(x, dtype=np.float64)
    e = x - 1.0
    near = np.abs(e) < SERIES_HALF_WIDTH
    with np.errstate(divide="ignore", invalid="ignore"):
        far = (1.0 - nfw_F(x)) / (x * x - 1.0)
    return np.where(near, _series(_f_SERIES, e), far)


def nfw_enclosed_shape(x: np.ndarray) -> np.ndarray:
    """Dimensionless projected mass inside the cylinder R = x r_s: ln(x/2) + F(x), so that
    M_2D = 4π ρ_s r_s³ (ln(x/2) + F(x)) (0 at x = 0)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(x > 0, np.log(np.maximum(x, 1e-300) / 2.0) + nfw_F(x), 0.0)


def nfw_halo(halo_mass: np.ndarray, concentration: np.ndarray, hubble: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(r200 in pc, r_s in pc, ρ_s in M_sun/pc³) of NFW haloes of mass M200 (M_sun) and c200."""
    rho_crit = 3.0 * (100.0 * hubble * 1e-6) ** 2 / (8.0 * math.pi * G_PC)   # M_sun / pc³
    r200 = np.cbrt(3.0 * halo_mass / (800.0 * math.pi * rho_crit))
    c = concentration
    rho_s = 200.0 / 3.0 * rho_crit * c**3 / (np.log1p(c) - c / (1.0 + c))
    return r200, r200 / c, rho_s


def molecular_ratio(sigma_gas: np.ndarray, sigma_star: np.ndarray, h_star: np.ndarray,
                    gas_dispersion: np.ndarray | float) -> np.ndarray:
    """R_mol = Σ_H2/Σ_HI = (P/P₀)^α from the gas and stellar surface densities (M_sun/pc²), the
    stellar scale height (pc) and the gas velocity dispersion (km/s); see the module notes."""
    stars = gas_dispersion * np.sqrt(np.maximum(sigma_star, 0) / (2.0 * math.pi * G_PC * h_star))
    stars += sigma_gas
    stars *= sigma_gas
    stars *= 0.5 * math.pi * G_PC * PRESSURE_K / P0_K            # P / P₀
    return np.power(stars, ALPHA_MOL, out=stars)


# f(x) on a uniform grid in ln x² (x = R / r_s), for the maps: float32 linear interpolation there
# is within 1e-5 of the closed form (tested from x = 1e-6 to 1e4); the grid spans 1e-12 to 1e12.
_TABLE_LO, _TABLE_HI, _TABLE_N = math.log(1e-12), math.log(1e12), 1 << 16
_TABLE_STEP = (_TABLE_HI - _TABLE_LO) / (_TABLE_N - 1)


def _build_table() -> np.ndarray:
    u = np.linspace(_TABLE_LO, _TABLE_HI, _TABLE_N)
    return nfw_sigma_shape(np.exp(0.5 * u))


_TABLE: np.ndarray | None = None
_SLOPE: np.ndarray | None = None


def _nfw_table(r2: np.ndarray, log_rs2: np.ndarray) -> np.ndarray:
    """f(R / r_s) (float32) at radii² ``r2`` (px²) for scale radii with ln(r_s²) = ``log_rs2``."""
    u = np.log(r2 + np.float32(1e-37))
    u -= np.asarray(log_rs2, dtype=np.float32) + np.float32(_TABLE_LO)
    return _nfw_lerp(u, np.empty_like(u))


def _nfw_lerp(u: np.ndarray, out: np.ndarray) -> np.ndarray:
    """f at ln x² = ``u`` + ``_TABLE_LO`` (float32, overwritten) by linear interpolation in the
    table, into ``out``."""
    global _TABLE, _SLOPE
    if _TABLE is None or _SLOPE is None:
        table = _build_table().astype(np.float32)
        _SLOPE = np.diff(table)
        _TABLE = table
    u *= np.float32(1.0 / _TABLE_STEP)
    np.clip(u, np.float32(0.0), np.float32((_TABLE_HI - 1e-3 - _TABLE_LO) / _TABLE_STEP), out=u)
    i = u.astype(np.intp)          # intp: take() converts nothing
    u -= i                         # (exact in float64, then rounded: as in float32)
    np.multiply(_SLOPE.take(i), u, out=out)
    out += _TABLE.take(i)
    return out


class _GalaxyFields:
    """The requested maps of a batch of galaxies as one :class:`~deepbench.astro.multirender.FieldSet`:
    ``names`` (in order) among stars, gas, hi, h2, dm; ``arrays`` their float64 (B,) parameters."""

    def __init__(self, names: tuple[str, ...], arrays: Mapping[str, np.ndarray],
                 bulge_index: float):
        self.names = names
        self.count = len(names)
        self.arrays = dict(arrays)
        self.quartic = bulge_index == 4.0

    def subset(self, idx: np.ndarray) -> _GalaxyFields:
        """The same fields for the samples ``idx`` only."""
        sub = _GalaxyFields(self.names, {k: v[idx] for k, v in self.arrays.items()}, 0.0)
        sub.quartic = self.quartic
        return sub

    def view(self, sel: slice | np.ndarray, scale: float, batch_last: bool) -> _GalaxyView:
        view = _GalaxyView(self.names, {k: v[sel] for k, v in self.arrays.items()}, scale,
                           batch_last)
        view.quartic = self.quartic
        return view


class _GalaxyView:
    """Evaluates the maps at image-plane offsets (see :class:`_GalaxyFields`).

    On the disc's ellipses: r'² = r²/q (r the source-plane radius of the shear), so the intrinsic
    radius is m = r' and ln m² = ln r'²; every disc profile is exp(ln amplitude − m / scale), the
    bulge at m (for the HI) is exp(ln I₀ − b exp(p ln m² + k)). Round: the bulge light and the halo
    share ln r². All amplitudes are folded into the logarithms (values times ``scale``).
    """

    def __init__(self, names: tuple[str, ...], a: Mapping[str, np.ndarray], scale: float,
                 batch_last: bool):
        self.names = names
        self.slot = {name: i for i, name in enumerate(names)}
        shape = (-1,) if batch_last else (-1, 1, 1)
        log_scale = math.log(scale)
        with np.errstate(divide="ignore"):   # a zero mass is a zero map: ln 0 = −inf
            root_c = np.sqrt(a["form_c"] / a["q"])
            v = {"y_scale": root_c, "x_shift": root_c * a["form_b"] / a["form_c"],
                 "x_scale": 1.0 / np.sqrt(a["form_c"] * a["q"]), "neg_inv_rd": -1.0 / a["rd"],
                 "neg_inv_rg": -1.0 / a["rg"],
                 "log_disc": np.log(a["disc_light0"] / a["q"]) + log_scale,
                 "log_gas": np.log(a["gas0"] / a["q"]) + log_scale,
                 "mlq": a["mass_to_light"] * a["q"] / scale, "q": a["q"] / scale,
                 "bulge_p": a["bulge_p"], "bulge_k": a["bulge_k"], "neg_bulge_b": -a["bulge_b"],
                 "inv_n": 2.0 * a["bulge_p"], "inv_re": np.exp(a["bulge_k"] / (2.0 * a["bulge_p"])),
                 "exp_k": np.exp(a["bulge_k"]),
                 "log_bulge_mass": np.log(a["bulge_mass0"]),
                 "log_bulge_light": np.log(a["bulge_light0"]) + log_scale,
                 "disp": a["dispersion"] / np.sqrt(2.0 * math.pi * G_PC * a["h_star"]),
                 "dm_amp": a["sigma_dm"] * scale, "dm_offset": a["log_rs2"] + _TABLE_LO}
        self.a = {k: x.astype(np.float32).reshape(shape) for k, x in v.items()}

    def select(self, fields: np.ndarray) -> _GalaxyView:
        new = object.__new__(_GalaxyView)
        new.names, new.a, new.quartic = self.names, self.a, self.quartic
        new.slot = {self.names[i]: j for j, i in enumerate(fields)}
        return new

    def __call__(self, dx: np.ndarray, dy: np.ndarray, out: np.ndarray) -> None:
        a, slot = self.a, self.slot
        molecular = "hi" in slot or "h2" in slot
        with np.errstate(divide="ignore"):   # ln 0 at a node on the centre: the limit follows
            if molecular or "stars" in slot or "gas" in slot:
                # r'² = (A dx² + 2B dx dy + C dy²)/q = (C/q)(dy + (B/C) dx)² + dx²/(Cq) (AC − B² = 1)
                r2 = (a["y_scale"] * dy) + (a["x_shift"] * dx)
                r2 *= r2
                r2 += np.square(a["x_scale"] * dx)                 # m², px²
                m = np.sqrt(r2, out=r2)
                if molecular or "stars" in slot:                 # disc light, projected
                    disc = out[slot["stars"]] if "stars" in slot else np.empty_like(m)
                    np.multiply(m, a["neg_inv_rd"], out=disc)
                    disc += a["log_disc"]
                    np.exp(disc, out=disc)
                if molecular or "gas" in slot:                   # gas, projected
                    gas = out[slot["gas"]] if "gas" in slot else np.empty_like(m)
                    np.multiply(m, a["neg_inv_rg"], out=gas)
                    gas += a["log_gas"]
                    np.exp(gas, out=gas)
                if molecular:
                    _molecular(a, m, disc, gas, out, slot, self.quartic)
            if "stars" in slot or "dm" in slot:
                r2 = dy * dy + dx * dx
                log_r2 = np.log(r2, out=r2)
                if "stars" in slot:
                    bulge = log_r2 * a["bulge_p"]
                    bulge += a["bulge_k"]
                    np.exp(bulge, out=bulge)
                    bulge *= a["neg_bulge_b"]
                    bulge += a["log_bulge_light"]
                    np.exp(bulge, out=bulge)
                    out[slot["stars"]] += bulge
                if "dm" in slot:
                    u = np.subtract(log_r2, a["dm_offset"], out=log_r2)
                    f = _nfw_lerp(u, out[slot["dm"]])
                    f *= a["dm_amp"]


def _molecular(a: Mapping[str, np.ndarray], m: np.ndarray, disc: np.ndarray,
               gas: np.ndarray, out: np.ndarray, slot: Mapping[str, int], quartic: bool) -> None:
    """HI and H2 from the projected disc light and gas (``out``'s hi and h2 slots) at the disc's
    intrinsic radius ``m`` (px); ``quartic``: the bulge's Sérsic index is 4."""
    if quartic:                                                  # bulge at m, face-on mass
        stars = m * a["inv_re"]                                  # (m/r_e)^(1/n), n = 4: √√
        np.sqrt(stars, out=stars)
        np.sqrt(stars, out=stars)
    else:
        stars = np.power(m, a["inv_n"])
        stars *= a["exp_k"]
    stars *= a["neg_bulge_b"]
    stars += a["log_bulge_mass"]
    np.exp(stars, out=stars)
    stars += disc * a["mlq"]                                     # Σ_* face-on
    np.sqrt(stars, out=stars)
    stars *= a["disp"]
    face_gas = gas * a["q"]                                      # Σ_g face-on
    stars += face_gas
    stars *= face_gas                                            # P ∝ Σ_g (Σ_g + σ_g/σ_* Σ_*)
    np.log(stars, out=stars)
    stars *= np.float32(ALPHA_MOL)
    stars += np.float32(ALPHA_MOL * math.log(0.5 * math.pi * G_PC * PRESSURE_K / P0_K))
    ratio = np.exp(stars, out=stars)                             # R_mol = (P/P₀)^α
    one_plus = ratio + np.float32(1.0)
    hi = out[slot["hi"]] if "hi" in slot else np.empty_like(gas)
    np.divide(gas, one_plus, out=hi)
    if "h2" in slot:
        np.multiply(hi, ratio, out=out[slot["h2"]])


class GalaxyDomains(ImageSimulator):
    """One galaxy (bulge, disc, gas, halo) rendered as paired maps: stars, gas, HI, H2, HI
    brightness and dark matter on the same grid."""

    name = "astro.galaxy_domains"
    version = 2  # 2: all maps rendered in one pass on shared nodes (last-bit changes, ~1e-6 of peak)
    summary = ("one latent galaxy as paired maps on one grid: stellar light, gas, HI (and its "
               "21-cm brightness), H2, projected NFW dark matter")
    params = (
        Param("cx", 0.0, "px", "centre x, offset from the image centre (+x = right)",
              low=-4096.0, high=4096.0),
        Param("cy", 0.0, "px", "centre y, offset from the image centre (+y = down)",
              low=-4096.0, high=4096.0),
        Param("halo_mass", 1e12, "Msun", "halo mass M200 (mean density 200 ρ_crit)", low=1e8,
              high=1e16),
        Param("concentration", 10.0, "", "NFW concentration c200 = r200 / r_s", low=1.0,
              high=100.0),
        Param("stellar_mass", 5e10, "Msun", "stellar mass (bulge + disc)", low=1e5, high=1e13),
        Param("bulge_fraction", 0.2, "", "bulge share of the stellar mass", low=0.0, high=1.0),
        Param("disc_scale", 3.0, "kpc", "stellar disc exponential scale length R_d", low=0.05,
              high=100.0),
        Param("gas_fraction", 0.2, "", "hydrogen gas share M_gas / (M_gas + M_*)", low=0.0,
              high=0.99),
        Param("inclination", 0.5, "rad", "inclination (0 face-on, π/2 edge-on)", low=0.0,
              high=math.pi / 2),
        Param("angle", 0.0, "rad", "position angle of the major axis, from +x towards +y",
              low=-2 * math.pi, high=2 * math.pi, period="pi"),
        Param("disc_thickness", 0.1, "", "intrinsic axis ratio q₀ = scale height / scale "
              "length of every disc component (edge-on axis ratio)", low=0.01, high=1.0),
    )
    settings = (
        Setting("height", 64, "image height in pixels (rows)", int, low=8, high=4096, unit="px"),
        Setting("width", 64, "image width in pixels (columns)", int, low=8, high=4096, unit="px"),
        Setting("pixel_scale", 0.5, "pixel side in kpc", float, low=1e-3, high=1e3, unit="kpc"),
        Setting("domains", ("stars", "gas", "hi", "hi_brightness", "dm"),
                "outputs to render, any of " + ", ".join(DOMAINS), tuple),
        Setting("gas_scale_ratio", 2.0, "gas disc scale length / stellar disc scale length",
                float, low=1.0, high=10.0),
        Setting("bulge_size", 0.2, "bulge half-light radius / disc scale length", float,
                low=0.01, high=10.0),
        Setting("bulge_sersic_index", 4.0, "bulge Sérsic index", float, low=0.3, high=8.0),
        Setting("mass_to_light", 1.0, "stellar mass-to-light ratio in Msun/Lsun", float,
                low=1e-3, high=1e3,
                unit="Msun/Lsun"),
        Setting("gas_dispersion", 8.0, "gas velocity dispersion σ_g in km/s (Blitz & Rosolowsky "
                "2006 use 8 km/s)", float, low=0.1, high=1e3, unit="km/s"),
        Setting("hubble", 0.7, "dimensionless Hubble constant h (H₀ = 100 h km/s/Mpc)", float,
                low=0.1, high=2.0),
    )

    def check_params(self, params: Mapping[str, np.ndarray]) -> list[Problem]:
        h, w = self.shape
        sin_i = np.sin(params["inclination"])
        q = np.sqrt(np.cos(params["inclination"]) ** 2 + (params["disc_thickness"] * sin_i) ** 2)
        rd = params["disc_scale"] / self.config["pixel_scale"]
        sx, sy = refinement(q, rd, params["angle"])
        bad = np.flatnonzero(sx * sy * (h * w) > MAX_FINE_PIXELS)
        if bad.size == 0:
            return []
        i = bad[0]
        return [Problem("params.disc_thickness", float(params["disc_thickness"][i]),
                        f"a disc the {h}×{w} image can resolve: sample {i} (apparent minor-axis "
                        f"scale length q·disc_scale = {q[i] * rd[i]:.3g} px) needs a grid "
                        f"{int(sx[i])}×{int(sy[i])} times finer, over the {MAX_FINE_PIXELS:,} fine "
                        "pixels allowed; raise disc_thickness or disc_scale, lower inclination "
                        "or pixel_scale, or use a smaller image")]

    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        domains = config["domains"]
        bad = [d for d in domains if d not in DOMAINS]
        if bad or not domains or len(set(domains)) != len(domains):
            return [Problem(f"{path}.domains", list(domains),
                            "a non-empty list without repeats of " + ", ".join(DOMAINS))]
        return []

    def outputs(self) -> tuple[Output, ...]:
        return tuple(Output(d, self.shape, "float32", DOMAIN_UNITS[d], DOMAIN_DOCS[d])
                     for d in self.config["domains"])

    def truth_outputs(self) -> tuple[Output, ...]:
        out = [Output("axis_ratio", (), "float64", "", "apparent axis ratio of every disc "
                      "component, √(cos²i + q₀² sin²i)"),
               Output("luminosity", (), "float64", "Lsun", "total stellar luminosity"),
               Output("gas_mass", (), "float64", "Msun", "total hydrogen gas mass"),
               Output("r200", (), "float64", "kpc", "halo radius r200"),
               Output("halo_scale_radius", (), "float64", "kpc", "NFW scale radius r_s")]
        for d in self.config["domains"]:
            if d != "hi_brightness":
                unit = "Lsun" if d == "stars" else "Msun"
                out.append(Output(f"{d}_in_image", (), "float64", unit,
                                  f"the {d} map's sum × pixel area: the part inside the image"))
        return tuple(out)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        cfg = self.config
        h, w = self.shape
        p = params
        b = p["cx"].size
        x0, y0 = p["cx"] + (w - 1) / 2, p["cy"] + (h - 1) / 2
        pc_px = 1e3 * cfg["pixel_scale"]                        # pc per px
        area = pc_px * pc_px                                     # pc² per px
        sin_i = np.sin(p["inclination"])
        q = np.sqrt(np.cos(p["inclination"]) ** 2 + (p["disc_thickness"] * sin_i) ** 2)
        g1, g2 = g_from_q_angle(q, p["angle"])
        rd = 1e3 * p["disc_scale"] / pc_px                       # px
        rg = cfg["gas_scale_ratio"] * rd
        m_star = p["stellar_mass"]
        m_bulge, m_disc = m_star * p["bulge_fraction"], m_star * (1.0 - p["bulge_fraction"])
        m_gas = m_star * p["gas_fraction"] / (1.0 - p["gas_fraction"])
        r200, rs, rho_s = nfw_halo(p["halo_mass"], p["concentration"], cfg["hubble"])
        domains = cfg["domains"]
        names = tuple(k for k in ("stars", "gas", "hi", "h2", "dm") if k in domains
                      or (k == "hi" and "hi_brightness" in domains))
        bulge = Profile("sersic", {"n": np.full(b, cfg["bulge_sersic_index"]),
                                   "r_half": cfg["bulge_size"] * rd})
        disc_levels = cusp_levels(Profile("sersic", {"n": np.ones(b),
                                                     "r_half": EXP_B1 * rd * np.sqrt(q)}))
        gas_levels = cusp_levels(Profile("sersic", {"n": np.ones(b),
                                                    "r_half": EXP_B1 * rg * np.sqrt(q)}))
        rs_px = rs / pc_px
        levels = {"stars": np.maximum(disc_levels, cusp_levels(bulge)), "gas": gas_levels,
                  "hi": gas_levels, "h2": gas_levels, "dm": _nfw_levels(rs_px, min(h, w) / 2)}
        form_a, form_b, form_c = shear_form(g1, g2)
        ml = cfg["mass_to_light"]
        fields = _GalaxyFields(names, {
            "q": q, "form_a": form_a, "form_b": form_b, "form_c": form_c, "rd": rd, "rg": rg,
            "disc_light0": m_disc / (ml * 2 * math.pi * (rd * pc_px) ** 2),
            "gas0": m_gas / (2 * math.pi * (rg * pc_px) ** 2), "mass_to_light": np.full(b, ml),
            "bulge_p": bulge.p, "bulge_k": bulge.k, "bulge_b": bulge.b,
            "bulge_mass0": m_bulge * np.exp(bulge.log_i0) / area,
            "bulge_light0": m_bulge * np.exp(bulge.log_i0) / (ml * area),
            "dispersion": np.full(b, cfg["gas_dispersion"]),
            "h_star": p["disc_thickness"] * rd * pc_px,
            "sigma_dm": 2.0 * rho_s * rs, "log_rs2": 2.0 * np.log(rs_px)},
            cfg["bulge_sersic_index"])
        rendered = _render(fields, x0, y0, np.stack([levels[k] for k in names]), self.shape,
                           *refinement(q, rd, p["angle"]))
        maps = dict(zip(names, rendered, strict=True))
        if "hi_brightness" in domains:
            maps["hi_brightness"] = maps["hi"] * np.float32(HI_K_KMS_PER_MSUN_PC2)
        for d in maps:  # the renderer's 4th-order pixel filter can dip ~1e-7 of the peak below 0
            np.maximum(maps[d], 0, out=maps[d])
        truth = {"axis_ratio": q, "luminosity": m_star / cfg["mass_to_light"], "gas_mass": m_gas,
                 "r200": r200 / 1e3, "halo_scale_radius": rs / 1e3}
        for d in domains:
            if d != "hi_brightness":
                truth[f"{d}_in_image"] = maps[d].reshape(b, -1).sum(axis=1, dtype=np.float64) * area
        return SimResult({d: maps[d] for d in domains}, truth)


MIN_SCALE_PX = 1.0
"""Discs whose apparent minor-axis scale length q·R_d is below this (px) are rendered on a finer
grid: unrefined, the pixel filter misses a thin disc's light by ~1e-2 at 0.25 px and by ~1 at
0.02 px (measured; with refinement, within 1e-3, tested down to the finest grid)."""

MAX_FINE_PIXELS = 1 << 22
"""At most this many fine pixels per image (the refined grid of a thin disc)."""


def refinement(q: np.ndarray, rd_px: np.ndarray, angle: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Per sample, the factors (s_x, s_y) (int, ≥ 1) by which the pixel grid is refined along x
    and y so that the disc's profile varies on at least MIN_SCALE_PX fine pixels along each axis.

    Across an ellipse of semi-axes a = R_d, b = q·R_d at position angle φ, the profile's scale
    along x is ab/√(a² sin²φ + b² cos²φ) (along y, cos and sin swap): a thin disc lying along x
    needs only y refined.
    """
    minor = q * rd_px
    c2, s2 = np.cos(angle) ** 2, np.sin(angle) ** 2
    with np.errstate(divide="ignore"):
        along_x = minor / np.sqrt(s2 + q * q * c2)
        along_y = minor / np.sqrt(c2 + q * q * s2)
        sx = np.ceil(MIN_SCALE_PX / along_x)
        sy = np.ceil(MIN_SCALE_PX / along_y)
    big = float(MAX_FINE_PIXELS)   # beyond any allowed grid: refused by check_params
    return (np.clip(sx, 1, big).astype(np.int64), np.clip(sy, 1, big).astype(np.int64))


class _Finer:
    """A FieldSet seen on a grid refined s_x × s_y: offsets in fine pixels, values per fine
    pixel."""

    def __init__(self, fields: _GalaxyFields, sx: int, sy: int):
        self.fields, self.sx, self.sy, self.count = fields, sx, sy, fields.count

    def view(self, sel: slice | np.ndarray, scale: float, batch_last: bool) -> _FinerView:
        return _FinerView(self.fields.view(sel, scale / (self.sx * self.sy), batch_last),
                          1.0 / self.sx, 1.0 / self.sy)


class _FinerView:
    def __init__(self, inner: _GalaxyView, step_x: float, step_y: float):
        self.inner, self.step_x, self.step_y = inner, np.float32(step_x), np.float32(step_y)

    def select(self, fields: np.ndarray) -> _FinerView:
        return _FinerView(self.inner.select(fields), float(self.step_x), float(self.step_y))

    def __call__(self, dx: np.ndarray, dy: np.ndarray, out: np.ndarray) -> None:
        self.inner(dx * self.step_x, dy * self.step_y, out)


def _render(fields: _GalaxyFields, x0: np.ndarray, y0: np.ndarray, levels: np.ndarray,
            shape: tuple[int, int], sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """Pixel integrals (K, B, H, W) of ``fields``; samples refined (s_x, s_y) ≠ (1, 1) are rendered
    on an (s_y H, s_x W) grid and binned (grouped by the pair: a few groups, not a loop per
    sample)."""
    if np.all(sx == 1) and np.all(sy == 1):
        return render_fields(fields, x0, y0, levels, shape)
    h, w = shape
    out = np.empty((fields.count, len(x0), h, w), dtype=np.float32)
    pairs, group = np.unique(np.stack([sx, sy], axis=1), axis=0, return_inverse=True)
    for g, (fx, fy) in enumerate(pairs.tolist()):
        idx = np.flatnonzero(group.reshape(-1) == g)
        sub = fields.subset(idx)
        if fx == fy == 1:
            out[:, idx] = render_fields(sub, x0[idx], y0[idx], levels[:, idx], shape)
            continue
        fine = render_fields(_Finer(sub, fx, fy), fx * x0[idx] + (fx - 1) / 2,
                             fy * y0[idx] + (fy - 1) / 2, levels[:, idx], (h * fy, w * fx),
                             block=max(1, 16 // (fx * fy)))
        out[:, idx] = fine.reshape(fields.count, idx.size, h, fy, w, fx).sum(
            axis=(3, 5), dtype=np.float64)
    return out


def _nfw_levels(rs_px: np.ndarray, half: float) -> np.ndarray:
    """Refinement depth per sample: the innermost block (side 2^{1−L} px, within √2 of that of the
    centre) holds < CUSP_TOL of the projected mass inside ``half`` px."""
    side = 2.0 ** (1 - np.arange(1, 25))[:, None]                               # (24, 1)
    inner = nfw_enclosed_shape(np.sqrt(2.0) * side / rs_px[None, :])
    total = nfw_enclosed_shape(half / rs_px)[None, :]
    ok = inner < CUSP_TOL * total
    return np.where(ok.any(axis=0), np.argmax(ok, axis=0) + 1, 24).astype(np.int64)


__all__ = ["GalaxyDomains", "molecular_ratio", "nfw_F", "nfw_sigma_shape", "nfw_enclosed_shape",
           "nfw_halo"]

"""astro.galaxy_domains against independent references written here from the published formulas:
NFW by line-of-sight quadrature, enclosed masses by the exact boundary integral of closed forms,
the molecular ratio from Blitz & Rosolowsky (2006) in cgs units, moments of the maps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astro_reference import pixel_dblquad, pixel_polygon, polygon_flux, stamp_polygon
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, special

import deepbench
from deepbench.astro.domains import (
    GalaxyDomains,
    _nfw_table,
    molecular_ratio,
    nfw_enclosed_shape,
    nfw_F,
    nfw_sigma_shape,
)
from deepbench.errors import SpecError
from deepbench.testing import check_simulator

# physical constants in cgs, written out again (CODATA 2018, IAU 2015)
G_CGS, PC, MSUN, K_B, M_H = 6.67430e-8, 3.0856775814913673e18, 1.98841e33, 1.380649e-16, 1.6735575e-24
DEFAULTS = {p.name: float(p.default) for p in GalaxyDomains.params}
ALL = ["stars", "gas", "hi", "hi_brightness", "h2", "dm"]


def run(config: dict, n: int = 1, **params: float) -> dict:
    sim = GalaxyDomains(config)
    p = {k: np.full(n, params.get(k, v)) for k, v in DEFAULTS.items()}
    res = sim.simulate(p, np.random.default_rng(0))
    return {**res.outputs, **{f"truth/{k}": v for k, v in res.truth.items()}}


# -- projected NFW -------------------------------------------------------------------------------
def los_nfw(x: float) -> float:
    """Σ / (2 ρ_s r_s) by quadrature of ρ/ρ_s = 1/(s(1+s)²) along the line of sight."""
    def rho(z):
        s = math.hypot(x, z)
        return 1.0 / (s * (1.0 + s) ** 2)

    parts = [0.0, x, 10 * x + 10, math.inf]
    return sum(integrate.quad(rho, a, b, epsabs=0, epsrel=1e-13, limit=400)[0]
               for a, b in zip(parts, parts[1:], strict=False))


@pytest.mark.parametrize("x", [1e-4, 0.01, 0.3, 0.9, 0.98, 0.9801, 1 - 1e-4, 1.0, 1 + 1e-4, 1.0199,
                               1.0201, 1.05, 3.0, 40.0])
def test_projected_nfw_matches_line_of_sight_quadrature(x):
    assert nfw_sigma_shape(np.array([x]))[0] == pytest.approx(los_nfw(x), rel=1e-8)


def test_nfw_series_joins_the_closed_form_and_enclosed_mass_is_its_integral():
    e = np.array([-0.02, 0.02]) * (1 + 1e-12)
    x = 1 + e
    big_f = np.array([math.acosh(1 / x[0]) / math.sqrt(1 - x[0] ** 2),
                      math.acos(1 / x[1]) / math.sqrt(x[1] ** 2 - 1)])
    closed_f = (1 - big_f) / (x * x - 1)
    np.testing.assert_allclose(nfw_sigma_shape(x), closed_f, rtol=1e-12)
    assert nfw_F(np.array([1.0]))[0] == 1.0
    for xx in (0.05, 1 - 1e-4, 1.0, 1 + 1e-4, 7.0):     # M_2D = 4π ρ_s r_s³ ∫₀ˣ t f(t) dt
        ref = integrate.quad(lambda t: t * los_nfw(t), 0, xx, epsrel=1e-11, limit=200,
                             points=[min(xx, 1.0)] if xx > 1 else None)[0]
        assert nfw_enclosed_shape(np.array([xx]))[0] == pytest.approx(ref, rel=1e-8)


def test_the_maps_nfw_table_is_within_1e5_of_the_closed_form():
    x = np.exp(np.linspace(math.log(1e-6), math.log(1e4), 200_001))
    approx = _nfw_table((x * x).astype(np.float32), np.float32(0.0)).astype(np.float64)
    np.testing.assert_allclose(approx, nfw_sigma_shape(x), rtol=1e-5)


# -- molecular ratio (Blitz & Rosolowsky 2006) ---------------------------------------------------
def test_molecular_ratio_follows_the_pressure_law_in_cgs_units():
    sg, ss, h, disp = np.array([5.0, 20.0]), np.array([50.0, 500.0]), np.array([300.0, 200.0]), 8.0
    to_cgs = MSUN / PC**2
    sg_c, ss_c, h_c, v = sg * to_cgs, ss * to_cgs, h * PC, disp * 1e5
    v_star = np.sqrt(2 * math.pi * G_CGS * h_c * ss_c)
    p_over_k = math.pi / 2 * G_CGS * sg_c * (sg_c + v / v_star * ss_c) / K_B
    np.testing.assert_allclose(molecular_ratio(sg, ss, h, disp), (p_over_k / 4.3e4) ** 0.92,
                               rtol=1e-6)


# -- map sums against analytic enclosed masses -----------------------------------------------------
def exp_enclosed(scale):
    return lambda r: -special.expm1(-r / scale) - r / scale * np.exp(-r / scale)


def sersic_enclosed(n, re):
    b = special.gammaincinv(2 * n, 0.5)
    return lambda r: special.gammainc(2 * n, b * (r / re) ** (1 / n))


def shear(q, angle):
    g = (1 - q) / (1 + q)
    return g * math.cos(2 * angle), g * math.sin(2 * angle)


CASES = [dict(inclination=0.0, angle=0.0, cx=0.0, cy=0.0),
         dict(inclination=1.1, angle=0.7, cx=3.3, cy=-1.8, disc_thickness=0.2),
         dict(inclination=math.pi / 2, angle=2.0, cx=-0.4, cy=0.25, disc_thickness=0.05,
              bulge_fraction=0.5),
         # discs thinner than a pixel: rendered on a refined grid (refined up to 32 × 32) and binned
         dict(inclination=math.pi / 2, angle=0.3, cx=0.2, cy=-0.1, disc_thickness=0.05,
              disc_scale=0.75),
         dict(inclination=1.5, angle=2.6, cx=-2.0, cy=1.3, disc_thickness=0.02, disc_scale=1.5),
         dict(inclination=1.4, angle=-0.8, cx=0.4, cy=0.45, disc_thickness=0.1, disc_scale=2.0),
         dict(inclination=math.pi / 2, angle=1.0, disc_thickness=0.01, disc_scale=1.6)]  # s = 32


@pytest.mark.parametrize("case", CASES)
def test_map_sums_equal_analytic_enclosed_mass_and_luminosity(case):
    h = w = 64
    cfg = {"domains": ALL, "pixel_scale": 0.5}
    out = run(cfg, **case)
    p = {**DEFAULTS, **case}
    scale = 500.0                                  # pc per px
    rd = p["disc_scale"] * 1e3 / scale
    q = math.sqrt(math.cos(p["inclination"]) ** 2
                  + (p["disc_thickness"] * math.sin(p["inclination"])) ** 2)
    g = shear(q, p["angle"])
    centre = ((w - 1) / 2 + p["cx"], (h - 1) / 2 + p["cy"])
    square = stamp_polygon(h, w)
    m_b = p["stellar_mass"] * p["bulge_fraction"]
    m_d = p["stellar_mass"] - m_b
    # elliptical exponential: enclosed fraction in the source-plane radius r = m √q
    disc = polygon_flux(exp_enclosed(rd * math.sqrt(q)), square, centre, g)
    bulge = polygon_flux(sersic_enclosed(4.0, 0.2 * rd), square, centre)
    stars = out["stars"][0].sum(dtype=np.float64) * scale**2
    assert stars == pytest.approx(m_d * disc + m_b * bulge, rel=1e-3)
    m_gas = p["stellar_mass"] * p["gas_fraction"] / (1 - p["gas_fraction"])
    gas = polygon_flux(exp_enclosed(2 * rd * math.sqrt(q)), square, centre, g)
    assert out["gas"][0].sum(dtype=np.float64) * scale**2 == pytest.approx(m_gas * gas, rel=1e-3)
    # NFW: M200, c → r_s, ρ_s; projected mass inside the square from the cylinder mass
    rho_crit = 3 * (70e5 / (1e6 * PC)) ** 2 / (8 * math.pi * G_CGS) * PC**3 / MSUN  # M_sun/pc³
    c = p["concentration"]
    r200 = (3 * p["halo_mass"] / (4 * math.pi * 200 * rho_crit)) ** (1 / 3)
    rs = r200 / c
    rho_s = p["halo_mass"] / (4 * math.pi * rs**3 * (math.log(1 + c) - c / (1 + c)))

    def m2d(r):
        x = r * scale / rs
        big_f = (np.arccosh(1 / x) / np.sqrt(1 - x * x) if x < 1 else
                 np.arccos(1 / x) / np.sqrt(x * x - 1) if x > 1 else 1.0)
        return 4 * math.pi * rho_s * rs**3 * (math.log(x / 2) + big_f) if x > 0 else 0.0

    dm = polygon_flux(m2d, square, centre)
    assert out["dm"][0].sum(dtype=np.float64) * scale**2 == pytest.approx(dm, rel=1e-3)
    assert out["truth/dm_in_image"][0] == pytest.approx(dm, rel=1e-3)


def hi_face_on(p, scale_pc, r_pc, n=4.0):
    """Face-on Σ_HI (M_sun/pc²) at radius r from the model's definitions, in cgs (bulge index n)."""
    rd = p["disc_scale"] * 1e3
    m_b = p["stellar_mass"] * p["bulge_fraction"]
    m_gas = p["stellar_mass"] * p["gas_fraction"] / (1 - p["gas_fraction"])
    gas = m_gas / (2 * math.pi * (2 * rd) ** 2) * math.exp(-r_pc / (2 * rd))
    b = special.gammaincinv(2 * n, 0.5)
    re = 0.2 * rd
    bulge = m_b * b ** (2 * n) / (2 * math.pi * n * re**2 * math.gamma(2 * n)) * math.exp(
        -b * (r_pc / re) ** (1 / n))
    stars = (p["stellar_mass"] - m_b) / (2 * math.pi * rd**2) * math.exp(-r_pc / rd) + bulge
    ratio = float(molecular_ratio(np.array([gas]), np.array([stars]),
                                  np.array([p["disc_thickness"] * rd]), 8.0)[0])
    return gas / (1 + ratio)


@pytest.mark.parametrize("n", [4.0, 2.5])
def test_hi_map_sum_equals_the_radial_integral_and_hi_plus_h2_is_gas(n):
    case = dict(inclination=0.9, angle=0.3, cx=0.3, cy=0.1)
    cfg = {"domains": ALL, "pixel_scale": 2.0, "height": 128, "width": 128,
           "bulge_sersic_index": n}
    out = run(cfg, **case)
    p = {**DEFAULTS, **case}
    total = integrate.quad(lambda r: 2 * math.pi * r * hi_face_on(p, 2000, r, n), 0, np.inf,
                           epsrel=1e-10, limit=400, points=None)[0]
    assert out["hi"][0].sum(dtype=np.float64) * 2000.0**2 == pytest.approx(total, rel=1e-3)
    assert out["truth/hi_in_image"][0] == pytest.approx(total, rel=1e-3)
    gas = out["gas"][0]
    assert np.abs(out["hi"][0] + out["h2"][0] - gas).max() <= 1e-6 * gas.max()
    assert np.all(out["hi"][0] >= 0) and np.all(out["h2"][0] >= 0)
    k_kms = MSUN / M_H / PC**2 / 1.8224e18          # K km/s per M_sun/pc² of HI
    np.testing.assert_allclose(out["hi_brightness"][0], out["hi"][0] * k_kms, rtol=1e-6)


def test_pixel_values_are_pixel_integrals_near_the_centre():
    case = dict(inclination=0.8, angle=0.4, cx=0.23, cy=-0.31, concentration=30.0)
    out = run({"domains": ["hi", "dm"], "height": 32, "width": 32, "pixel_scale": 0.5}, **case)
    p = {**DEFAULTS, **case}
    centre = (15.5 + p["cx"], 15.5 + p["cy"])
    q = math.sqrt(math.cos(0.8) ** 2 + (0.1 * math.sin(0.8)) ** 2)
    g = shear(q, 0.4)
    rd = 6.0
    for j, i in [(15, 15), (16, 16), (25, 5)]:
        ref = pixel_dblquad(lambda r: hi_face_on(p, 500, r * 500 / math.sqrt(q)) / q, j, i,
                            centre, g)
        assert out["hi"][0, i, j] == pytest.approx(ref, rel=2e-4), (j, i)
    del rd
    rho_crit = 3 * (70e5 / (1e6 * PC)) ** 2 / (8 * math.pi * G_CGS) * PC**3 / MSUN
    r200 = (3 * p["halo_mass"] / (800 * math.pi * rho_crit)) ** (1 / 3)
    rs, c = r200 / 30.0, 30.0
    rho_s = p["halo_mass"] / (4 * math.pi * rs**3 * (math.log(1 + c) - c / (1 + c)))

    def m2d(r):
        x = max(r * 500 / rs, 1e-300)
        big_f = (math.acosh(1 / x) / math.sqrt(1 - x * x) if x < 1 else
                 math.acos(1 / x) / math.sqrt(x * x - 1) if x > 1 else 1.0)
        return 4 * math.pi * rho_s * rs**3 * (math.log(x / 2) + big_f) / 500**2

    peak = out["dm"][0].max()
    for j, i in [(15, 15), (16, 15), (15, 16), (16, 16), (20, 9)]:
        ref = polygon_flux(m2d, pixel_polygon(j, i), centre)
        assert abs(out["dm"][0, i, j] - ref) <= 1e-4 * peak, (j, i)


# -- geometry: one centre, one inclination, one angle ----------------------------------------------
def moments(img, x0, y0):
    y, x = np.mgrid[: img.shape[0], : img.shape[1]]
    f = img.astype(np.float64)
    s = f.sum()
    mx, my = (f * x).sum() / s, (f * y).sum() / s
    qxx = (f * (x - x0) ** 2).sum() / s
    qyy = (f * (y - y0) ** 2).sum() / s
    qxy = (f * (x - x0) * (y - y0)).sum() / s
    return mx, my, qxx, qyy, qxy


def test_every_map_of_a_sample_shares_centre_inclination_and_angle():
    case = dict(inclination=1.0, angle=0.6, cx=0.37, cy=-0.21, bulge_fraction=0.0,
                disc_scale=1.0)
    out = run({"domains": ALL, "height": 256, "width": 256, "pixel_scale": 0.25}, **case)
    x0, y0 = 127.5 + 0.37, 127.5 - 0.21
    q = math.sqrt(math.cos(1.0) ** 2 + (0.1 * math.sin(1.0)) ** 2)
    g = (1 - q) / (1 + q)
    chi = 2 * g / (1 + g * g)                 # second-moment ellipticity of a sheared profile
    for d in ("stars", "gas", "hi", "h2"):
        mx, my, qxx, qyy, qxy = moments(out[d][0], x0, y0)
        assert abs(mx - x0) < 1e-3 and abs(my - y0) < 1e-3, d
        e1, e2 = (qxx - qyy) / (qxx + qyy), 2 * qxy / (qxx + qyy)
        assert math.hypot(e1, e2) == pytest.approx(chi, abs=2e-3), d
        assert 0.5 * math.atan2(e2, e1) == pytest.approx(0.6, abs=1e-3), d
    # the halo is round, centred on the same point (a window symmetric about it)
    out = run({"domains": ["dm", "stars"], "height": 64, "width": 64}, cx=3.0, cy=-2.0,
              inclination=1.0, angle=0.6)
    win = (slice(0, 60), slice(6, 64))        # rows 0..59 and columns 6..63: symmetric about it
    for d in ("dm", "stars"):
        mx, my, qxx, qyy, qxy = moments(out[d][0][win], 28.5, 29.5)
        assert abs(mx - 28.5) < 1e-4 and abs(my - 29.5) < 1e-4, d
    mx, my, qxx, qyy, qxy = moments(out["dm"][0][win], 28.5, 29.5)
    assert abs(qxy) < 1e-6 * qxx


# -- contract, noise, bad input --------------------------------------------------------------------
def test_keeps_the_contract_in_other_configurations():
    check_simulator(GalaxyDomains, {"domains": ["h2", "dm"], "height": 16, "width": 24})
    check_simulator(GalaxyDomains, {"domains": ALL, "height": 9, "width": 8})


def test_each_domain_takes_its_own_observation_noise():
    spec = {"simulator": "astro.galaxy_domains", "n": 4, "seed": 3,
            "config": {"domains": ["stars", "hi", "dm"], "height": 16, "width": 16},
            "params": {"inclination": {"dist": "uniform", "low": 0, "high": 1.5}},
            "obs_noise": {"stars": {"kind": "gaussian", "sigma": 5.0},
                          "hi": {"kind": "gaussian", "sigma": 0.5}},
            "output": {"store_clean": True}}
    b = deepbench.simulate(spec)
    for d, sigma in (("stars", 5.0), ("hi", 0.5)):
        resid = (b.outputs[d] - b.clean[d]).astype(np.float64)
        assert resid.std() == pytest.approx(sigma, rel=0.1), d
    assert "dm" not in b.clean                 # no noise declared for it: stored as simulated
    quiet = deepbench.simulate({k: v for k, v in spec.items() if k != "obs_noise"})
    np.testing.assert_array_equal(quiet.outputs["dm"], b.outputs["dm"])
    np.testing.assert_array_equal(quiet.outputs["stars"], b.clean["stars"])
    assert set(b.labels) >= {"halo_mass", "concentration", "stellar_mass", "bulge_fraction",
                             "disc_scale", "gas_fraction", "inclination", "angle",
                             "disc_thickness"}


def test_bad_input_is_named_before_any_work():
    with pytest.raises(SpecError, match=r"config\.domains: got \['stars', 'co'\]"):
        deepbench.simulate("astro.galaxy_domains", config={"domains": ["stars", "co"]})
    with pytest.raises(SpecError, match=r"config\.domains"):
        GalaxyDomains({"domains": ["gas", "gas"]})
    with pytest.raises(SpecError, match=r"params\.inclination.*<= 1\.5708"):
        deepbench.simulate("astro.galaxy_domains", inclination=2.0)
    with pytest.raises(SpecError, match=r"params\.gas_fraction.*<= 0\.99"):
        deepbench.simulate("astro.galaxy_domains", gas_fraction=1.0)
    with pytest.raises(SpecError, match=r"obs_noise\.co"):
        deepbench.simulate({"simulator": "astro.galaxy_domains", "n": 1, "seed": 0,
                            "obs_noise": {"co": {"kind": "gaussian", "sigma": 1.0}}})


def test_discs_too_thin_for_the_finest_grid_are_refused_with_the_fix():
    # edge-on along x at 0.5 kpc/px: q·R_d = 0.01 px needs y refined 100×, x 1×: allowed at 64²
    # (409,600 fine pixels), refused at 256² (6.6 million > 2²²)
    thin = dict(inclination=math.pi / 2, disc_thickness=0.01, disc_scale=0.5, angle=0.0)
    assert GalaxyDomains({}).check_params({k: np.array([v]) for k, v in {**DEFAULTS, **thin}.items()}) == []
    with pytest.raises(SpecError, match=r"params\.disc_thickness.*0\.01 px.*1×100 times finer"):
        deepbench.simulate("astro.galaxy_domains", config={"height": 256, "width": 256}, **thin)


def test_edge_on_stays_finite():
    out = run({"domains": ALL, "height": 32, "width": 32}, inclination=math.pi / 2,
              disc_thickness=0.01)
    for d in ALL:
        assert np.all(np.isfinite(out[d])), d


@settings(max_examples=25, deadline=None)
@given(st.fixed_dictionaries({
    "halo_mass": st.floats(1e9, 1e15), "concentration": st.floats(1, 60),
    "stellar_mass": st.floats(1e6, 1e12), "bulge_fraction": st.floats(0, 1),
    "disc_scale": st.floats(0.2, 20), "gas_fraction": st.floats(0, 0.99),
    "inclination": st.floats(0, math.pi / 2), "angle": st.floats(-6, 6),
    "disc_thickness": st.floats(0.01, 1), "cx": st.floats(-10, 10), "cy": st.floats(-10, 10)}))
def test_any_galaxy_gives_finite_non_negative_maps_that_add_up(case):
    cfg = {"domains": ALL, "height": 16, "width": 16}
    # discs too thin even for the finest grid (q·R_d < 1/128 px here) are refused, not rendered
    assume(not GalaxyDomains(cfg).check_params({k: np.array([v]) for k, v in case.items()}))
    out = run(cfg, **case)
    for d in ALL:
        assert np.all(np.isfinite(out[d])) and np.all(out[d] >= 0), d
    gas = out["gas"][0]
    assert np.all(np.abs(out["hi"][0] + out["h2"][0] - gas) <= 1e-5 * gas.max() + 1e-30)
    lum = case["stellar_mass"]
    assert out["truth/stars_in_image"][0] <= lum * (1 + 1e-4)
    m_gas = lum * case["gas_fraction"] / (1 - case["gas_fraction"])
    assert out["truth/gas_in_image"][0] <= m_gas * (1 + 1e-4) + 1e-30


def test_each_map_is_the_same_whatever_other_domains_are_rendered_with_it():
    rng = np.random.default_rng(7)
    n = 6
    p = {k: np.full(n, v) for k, v in DEFAULTS.items()}
    p.update(inclination=rng.uniform(0, 1.5, n), angle=rng.uniform(0, 3, n),
             cx=rng.uniform(-3, 3, n), cy=rng.uniform(-3, 3, n),
             bulge_fraction=rng.uniform(0, 0.6, n), disc_scale=rng.uniform(0.3, 4, n),
             concentration=rng.uniform(3, 40, n))
    cfg = {"height": 24, "width": 20}
    every = GalaxyDomains({**cfg, "domains": ALL}).simulate(p, rng).outputs
    for d in ALL:
        alone = GalaxyDomains({**cfg, "domains": [d]}).simulate(p, rng).outputs[d]
        np.testing.assert_array_equal(alone, every[d], err_msg=d)

"""astro.star and astro.sersic against references that share no code with the renderer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astro_reference import (
    moffat,
    pixel_dblquad,
    pixel_polygon,
    polygon_flux,
    sersic,
    stamp_polygon,
)
from scipy.special import erf

import deepbench
from deepbench.astro.simulators import Sersic, Star
from deepbench.errors import SpecError
from deepbench.testing import check_simulator


def _one(cls, config=None, **params):
    sim = cls(config or {})
    full = {p.name: p.default for p in sim.params if p.default is not None}
    full.update(params)
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in full.items()}
    res = sim.simulate(arrays, np.random.default_rng(0))
    return res.outputs["image"][0].astype(np.float64), res.truth["flux_in_image"][0]


def _centre(img_shape, cx, cy):
    h, w = img_shape
    return cx + (w - 1) / 2, cy + (h - 1) / 2


@pytest.mark.parametrize("fwhm", [0.8, 1.3, 2.1, 3.4, 5.0])
def test_round_gaussian_star_equals_the_erf_product(fwhm):
    cx, cy = 0.37, -0.21
    img, flux_in = _one(Star, {"profile": "gaussian", "height": 24, "width": 26}, cx=cx, cy=cy,
                        fwhm=fwhm, flux=1.0)
    x0, y0 = _centre(img.shape, cx, cy)
    s = fwhm / (2 * math.sqrt(2 * math.log(2)))
    fx = np.diff(0.5 * erf((np.arange(img.shape[1] + 1) - 0.5 - x0) / (math.sqrt(2) * s)))
    fy = np.diff(0.5 * erf((np.arange(img.shape[0] + 1) - 0.5 - y0) / (math.sqrt(2) * s)))
    ref = fy[:, None] * fx[None, :]
    assert np.abs(img - ref).max() < 1e-4 * ref.max()
    assert img.sum() == pytest.approx(ref.sum(), rel=1e-4)
    assert flux_in == pytest.approx(ref.sum(), rel=1e-4)


CASES_MOFFAT = [(1.2, 1.5, (0.0, 0.0)), (2.5, 2.5, (0.2, -0.1)), (3.0, 4.765, (0.0, 0.3)),
                (6.0, 10.0, (-0.25, 0.05))]


@pytest.mark.parametrize(("fwhm", "beta", "g"), CASES_MOFFAT)
def test_moffat_stamp_sum_and_pixels_match_independent_integrals(fwhm, beta, g):
    cx, cy = 0.23, 0.41
    img, flux_in = _one(Star, {"height": 20, "width": 22}, cx=cx, cy=cy, fwhm=fwhm, beta=beta,
                        g1=g[0], g2=g[1], flux=1.0)
    centre = _centre(img.shape, cx, cy)
    prof, enc = moffat(fwhm, beta)
    total = polygon_flux(enc, stamp_polygon(*img.shape), centre, g)
    assert img.sum() == pytest.approx(total, rel=1e-4)
    assert flux_in == pytest.approx(total, rel=1e-4)
    peak = img.max()
    j0, i0 = round(centre[0]), round(centre[1])
    for i in range(i0 - 2, i0 + 3):          # central pixels: the exact boundary integral
        for j in range(j0 - 2, j0 + 3):
            assert abs(img[i, j] - polygon_flux(enc, pixel_polygon(j, i), centre, g)) < 1e-4 * peak
    for i, j in [(i0 + 4, j0 - 3), (i0 - 6, j0 + 5), (2, 3)]:   # elsewhere: area quadrature
        assert abs(img[i, j] - pixel_dblquad(prof, j, i, centre, g)) < 1e-4 * peak


CASES_SERSIC = [(0.5, 2.0, (0.0, 0.0)), (1.0, 1.0, (0.3, 0.2)), (2.5, 1.5, (0.0, -0.4)),
                (4.0, 1.0, (0.0, 0.0)), (4.0, 3.0, (0.1, 0.3)), (6.0, 1.0, (0.2, -0.1)),
                (8.0, 1.0, (0.0, 0.0)), (0.3, 3.0, (0.2, 0.0))]


@pytest.mark.parametrize(("n", "re", "g"), CASES_SERSIC)
def test_sersic_stamp_sum_and_every_central_pixel_match_the_boundary_integral(n, re, g):
    cx, cy = -0.31, 0.17
    img, flux_in = _one(Sersic, {"height": 22, "width": 20}, cx=cx, cy=cy, sersic_index=n,
                        r_half=re, g1=g[0], g2=g[1], flux=1.0)
    centre = _centre(img.shape, cx, cy)
    prof, enc = sersic(n, re)
    total = polygon_flux(enc, stamp_polygon(*img.shape), centre, g)
    assert img.sum() == pytest.approx(total, rel=1e-4)
    assert flux_in == pytest.approx(total, rel=1e-4)
    peak = img.max()
    j0, i0 = round(centre[0]), round(centre[1])
    errs = [abs(img[i, j] - polygon_flux(enc, pixel_polygon(j, i), centre, g))
            for i in range(i0 - 3, i0 + 4) for j in range(j0 - 3, j0 + 4)]
    assert max(errs) < (1e-3 if n <= 6 else 1e-2) * peak
    for i, j in [(i0 + 5, j0 - 4), (i0 - 7, j0 + 6)]:
        assert abs(img[i, j] - pixel_dblquad(prof, j, i, centre, g)) < 1e-3 * peak


def _half_light_radius(img, x0, y0):
    """Radius of the circle holding half the image's flux, each pixel's flux spread uniformly over
    the pixel (circle-pixel overlaps from 16 × 16 sub-pixel points)."""
    from scipy.optimize import brentq

    sub = (np.arange(16) + 0.5) / 16 - 0.5
    yy, xx = np.indices(img.shape)
    dx = (xx[..., None, None] + sub[None, None, None, :] - x0)
    dy = (yy[..., None, None] + sub[None, None, :, None] - y0)
    r = np.hypot(dx, dy)

    def excess(radius):
        return (img * (r < radius).mean(axis=(2, 3))).sum() - 0.5 * img.sum()

    return brentq(excess, 0.5, min(img.shape) / 2)


@pytest.mark.parametrize(("cls", "params"), [
    (Sersic, {"sersic_index": 1.0, "r_half": 6.0}),
    (Sersic, {"sersic_index": 0.5, "r_half": 5.0}),
    (Star, {"fwhm": 6.0, "beta": 6.0})])
def test_half_light_radius_and_centroid_measured_from_the_image(cls, params):
    cx, cy = 0.3, -0.45
    img, flux_in = _one(cls, {"height": 96, "width": 96}, cx=cx, cy=cy, flux=1.0, **params)
    assert flux_in > 0.999
    x0, y0 = _centre(img.shape, cx, cy)
    yy, xx = np.indices(img.shape)
    assert abs((img * xx).sum() / img.sum() - x0) < 0.01
    assert abs((img * yy).sum() / img.sum() - y0) < 0.01
    if cls is Sersic:
        assert _half_light_radius(img, x0, y0) == pytest.approx(params["r_half"], rel=0.01)


@pytest.mark.parametrize("g", [(0.3, 0.0), (0.0, -0.25), (0.2, 0.35)])
def test_shear_changes_second_moments_as_the_reduced_shear_formula_says(g):
    kw = {"fwhm": 5.0, "flux": 1.0, "cx": 0.2, "cy": -0.3}
    cfg = {"profile": "gaussian", "height": 64, "width": 64}
    round_img, _ = _one(Star, cfg, **kw)
    img, _ = _one(Star, cfg, g1=g[0], g2=g[1], **kw)
    assert img.sum() == pytest.approx(1.0, abs=2e-5)       # all the flux, sheared or not
    assert round_img.sum() == pytest.approx(1.0, abs=2e-5)

    def moments(im):
        x0, y0 = _centre(im.shape, kw["cx"], kw["cy"])
        yy, xx = np.indices(im.shape)
        dx, dy = xx - x0, yy - y0
        f = im / im.sum()
        return (f * dx * dx).sum(), (f * dy * dy).sum(), (f * dx * dy).sum()

    # pixel integration adds 1/12 px² to Qxx and Qyy of any image: remove it before comparing
    qxx, qyy, qxy = moments(img)
    rxx, ryy, _ = moments(round_img)
    qxx, qyy, rxx, ryy = qxx - 1 / 12, qyy - 1 / 12, rxx - 1 / 12, ryy - 1 / 12
    g1, g2 = g
    gg = g1 * g1 + g2 * g2
    chi = complex(qxx - qyy, 2 * qxy) / (qxx + qyy)
    expected = 2 * complex(g1, g2) / (1 + gg)
    assert abs(chi - expected) < 1e-4
    assert (qxx + qyy) / (rxx + ryy) == pytest.approx((1 + gg) / (1 - gg), rel=1e-4)


def test_q_and_angle_are_the_same_shapes_as_their_reduced_shear():
    batch = deepbench.simulate("astro.sersic", n=3, seed=2, q={"dist": "uniform", "low": 0.2,
                               "high": 1.0}, angle={"dist": "uniform", "low": 0, "high": 3})
    g1, g2 = batch.truth["g1"], batch.truth["g2"]
    q, angle = batch.labels["q"], batch.labels["angle"]
    g = np.hypot(g1, g2)
    np.testing.assert_allclose((1 - g) / (1 + g), q, rtol=1e-12)
    np.testing.assert_allclose(np.mod(0.5 * np.arctan2(g2, g1) - angle + 1, math.pi), 1, atol=1e-12)
    sim = Sersic()
    params = {k: v for k, v in batch.labels.items() if k not in ("q", "angle")}
    direct = sim.simulate({**params, "g1": g1, "g2": g2}, np.random.default_rng(0))
    np.testing.assert_array_equal(direct.outputs["image"], batch.outputs["image"])


@pytest.mark.parametrize(("name", "params", "match"), [
    ("astro.star", {"beta": 1.0}, r"params\.beta: got .*1\.0.*> 1"),
    ("astro.star", {"beta": {"dist": "uniform", "low": 0.5, "high": 3}}, r"params\.beta"),
    ("astro.sersic", {"sersic_index": 0.2}, r"params\.sersic_index: got .*0\.2.*>= 0\.3"),
    ("astro.sersic", {"sersic_index": 9}, r"params\.sersic_index: got .*9.*<= 8"),
    ("astro.sersic", {"g1": 1.0}, r"params\.g1: got .*1\.0"),
    ("astro.sersic", {"g1": 0.8, "g2": 0.7}, r"params\.g1, params\.g2: got \(0\.8, 0\.7\)"),
    ("astro.star", {"g1": {"dist": "uniform", "low": -0.99, "high": 0.99},
                    "g2": {"dist": "uniform", "low": -0.99, "high": 0.99}}, r"\|g\| = "),
    ("astro.sersic", {"q": 0.0, "angle": 0.1}, r"params\.q: got .*0\.0.*> 0"),
    ("astro.sersic", {"flux": -1.0}, r"params\.flux: got .*-1\.0.*>= 0"),
    ("astro.star", {"flux": {"dist": "normal", "loc": 5, "scale": 1}}, r"params\.flux"),
])
def test_bad_input_is_refused_before_any_work(name, params, match):
    with pytest.raises(SpecError, match=match):
        deepbench.simulate(name, n=200, seed=0, **params)


def test_a_flat_shear_inside_the_unit_disc_is_drawn():
    batch = deepbench.simulate("astro.sersic", n=2, seed=0, g1=0.8, g2=0.0)
    assert np.isfinite(batch.outputs["image"]).all() and batch.truth["flux_in_image"].min() > 0


def test_a_shear_of_modulus_one_or_more_is_refused_by_simulate():
    sim = Sersic({"height": 8, "width": 8})
    params = {p.name: np.array([p.default], dtype=float) for p in sim.params if p.default is not None}
    params["g1"], params["g2"] = np.array([0.7]), np.array([0.72])
    with pytest.raises(SpecError, match=r"\|g\|"):
        sim.simulate(params, np.random.default_rng(0))


def test_stamps_keep_the_contract_in_other_configurations():
    check_simulator(Star, {"profile": "gaussian", "height": 12, "width": 17})
    check_simulator(Sersic, {"height": 9, "width": 31})
    check_simulator(Star, {"height": 8, "width": 8})


@pytest.mark.parametrize(("n", "re", "g"), [(4.0, 1.0, (0.0, 0.0)), (6.0, 2.0, (0.25, -0.2)),
                                            (1.0, 1.0, (0.4, 0.0))])
def test_every_pixel_of_a_sersic_stamp_is_within_1e3_of_the_peak(n, re, g):
    cx, cy = 0.44, -0.27
    img, _ = _one(Sersic, {"height": 14, "width": 15}, cx=cx, cy=cy, sersic_index=n, r_half=re,
                  g1=g[0], g2=g[1], flux=1.0)
    centre = _centre(img.shape, cx, cy)
    _, enc = sersic(n, re)
    ref = np.array([[polygon_flux(enc, pixel_polygon(j, i), centre, g) for j in range(15)]
                    for i in range(14)])
    assert np.abs(img - ref).max() < 1e-3 * ref.max()
    assert np.abs(img - ref).max() < 1e-4 * ref.max()     # what it achieves

"""Per-family observables on exact cases."""

import numpy as np
import pytest
from scipy.special import erf

import deepbench
from deepbench.errors import SpecError
from deepbench.metrics import observables as ob


def _block(h=32, w=32, rows=(10, 20), cols=(5, 25)):
    img = np.zeros((1, h, w))
    img[0, rows[0]:rows[1], cols[0]:cols[1]] = 1.0
    return img


def test_block_area_centroid_moments_orientation():
    img = _block()
    assert ob.area(img)[0] == 200.0
    np.testing.assert_allclose(ob.centroid(img), [[14.5, 14.5]])
    np.testing.assert_allclose(ob.second_moments(img), [[(20**2 - 1) / 12, (10**2 - 1) / 12, 0]])
    assert ob.orientation(img)[0] == pytest.approx(0.0)
    assert ob.orientation(img.transpose(0, 2, 1))[0] == pytest.approx(np.pi / 2)
    diag = np.eye(20)[None]
    assert ob.orientation(diag)[0] == pytest.approx(np.pi / 4)
    assert ob.ellipticity(diag)[0] == pytest.approx(1.0)


def test_shapes_area_is_exact_area():
    b = deepbench.simulate("shapes.ellipse", n=4, seed=2)
    np.testing.assert_allclose(ob.area(b.outputs["image"]), b.truth["area"], rtol=1e-5)


def _gaussian(sx, sy, h=96, w=96, cx=47.3, cy=48.1):
    ex, ey = np.arange(w + 1) - 0.5, np.arange(h + 1) - 0.5
    fx = np.diff(0.5 * erf((ex - cx) / (np.sqrt(2) * sx)))
    fy = np.diff(0.5 * erf((ey - cy) / (np.sqrt(2) * sy)))
    return (fy[:, None] * fx[None, :])[None]


def test_gaussian_light_radii_ellipticity_concentration():
    img = _gaussian(6.0, 6.0)
    # Pixel integrals at the centres add Sheppard's 1/12 px² to each second moment.
    s = np.sqrt(36 + 1 / 12)
    assert ob.half_light_radius(img)[0] == pytest.approx(s * np.sqrt(2 * np.log(2)), rel=0.01)
    expected_c = 5 * np.log10(np.sqrt(np.log(5)) / np.sqrt(np.log(1.25)))
    # r20 of a σ = 6 px profile is 4 px: assigning pixel flux to pixel centres costs ~1 % there
    assert ob.concentration(img)[0] == pytest.approx(expected_c, rel=0.02)
    big = _gaussian(14.0, 14.0, h=160, w=160, cx=80.2, cy=79.6)
    assert ob.concentration(big)[0] == pytest.approx(expected_c, rel=0.01)
    np.testing.assert_allclose(ob.centroid(img), [[47.3, 48.1]], atol=1e-6)
    flat = _gaussian(6.0, 3.0)
    q = np.sqrt((9 + 1 / 12) / (36 + 1 / 12))
    assert ob.ellipticity(flat)[0] == pytest.approx((1 - q) / (1 + q), rel=1e-6)
    assert ob.flux(flat)[0] == pytest.approx(1.0, abs=1e-9)


def test_half_light_radius_hand_case():
    img = np.zeros((1, 5, 5))
    img[0, 2, 2] = 1.0
    img[0, [1, 3, 2, 2], [2, 2, 1, 3]] = 1.0     # four neighbours at radius 1: total 5
    # cumulative flux 1 at r = 0 and 5 at r = 1; half (2.5) at r = (2.5 − 1)/4 = 0.375
    assert ob.half_light_radius(img)[0] == pytest.approx(0.375)


def test_gini_cases():
    one = np.zeros((1, 4, 4))
    one[0, 1, 2] = 7.0
    assert ob.gini(one)[0] == pytest.approx(1.0)
    assert ob.gini(np.ones((1, 4, 4)))[0] == pytest.approx(0.0)
    v = np.array([1.0, 2.0, 3.0, 4.0])
    direct = np.abs(v[:, None] - v[None, :]).sum() / (2 * v.mean() * 4 * 3)
    assert ob.gini(v.reshape(1, 2, 2))[0] == pytest.approx(direct)


def test_series_on_exact_pendulums():
    b = deepbench.simulate("physics.pendulum", n=3, seed=0, theta0=[0.3, 1.5, 2.8][0],
                           length=1.0, config={"stop": 40.0, "steps": 4000})
    t, th = b.outputs["t"], b.outputs["theta"]
    np.testing.assert_allclose(ob.period(th, t), b.truth["period"], rtol=1e-4)
    np.testing.assert_allclose(ob.amplitude(th), b.truth["amplitude"], rtol=1e-4)
    g = b.labels["g"] if "g" in b.labels else b.truth["g"]
    e = ob.pendulum_energy(th, b.outputs["omega"], b.labels["length"], g)
    m = b.labels["mass"] if "mass" in b.labels else 1.0
    np.testing.assert_allclose(e * np.reshape(m, (-1, 1)), b.outputs["total_energy"], rtol=1e-9,
                               atol=1e-12)


def test_spectral_peak_exact_and_refined():
    t = np.arange(1000) * 0.01                    # 10 s, 0.1 Hz bins
    x = np.stack([np.sin(2 * np.pi * 1.3 * t), np.cos(2 * np.pi * 2.0 * t + 0.4)])
    np.testing.assert_allclose(ob.spectral_peak(x, t), [1.3, 2.0], atol=1e-9)
    off = np.sin(2 * np.pi * 1.33 * t)[None] * np.hanning(1000)
    assert ob.spectral_peak(off, t)[0] == pytest.approx(1.33, abs=0.01)
    with pytest.raises(SpecError, match="equally spaced"):
        ob.spectral_peak(x, t**2)


def test_period_nan_without_two_crossings():
    t = np.linspace(0, 1, 100)
    assert np.isnan(ob.period(np.sin(np.pi * t)[None], t)[0])

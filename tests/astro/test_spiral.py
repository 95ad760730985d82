"""astro.spiral: arm ridges on the Ringermacher–Mead curve, flux fractions, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

import deepbench
from deepbench.astro.spiral import Spiral
from deepbench.errors import SpecError
from deepbench.testing import check_simulator


def _params(sim, **over):
    p = {q.name: np.array([float(q.default)]) for q in sim.params}
    p.update({k: np.array([float(v)]) for k, v in over.items()})
    return p


def rm_radius(phi, a, b, n):
    """r(φ) = A / log(B tan(φ / 2N)), written out again (NaN off the arm)."""
    arg = b * np.tan(phi / (2 * n))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = a / np.log(arg)
    return np.where((phi > 0) & (phi < n * math.pi) & (arg > 1), r, np.nan)


@pytest.mark.parametrize(("n_arms", "winding", "b", "a", "angle"), [
    (2, 4.0, 1.0, 8.0, 0.0), (3, 3.0, 1.5, 10.0, 0.7)])
def test_arm_ridges_along_rays_lie_on_the_formula(n_arms, winding, b, a, angle):
    size = 96
    sim = Spiral({"height": size, "width": size})
    p = _params(sim, n_arms=n_arms, winding=winding, arm_b=b, arm_scale=a, arm_width=1.0,
                disc_scale=30.0, angle=angle, cx=0.3, cy=-0.2)
    x0, y0 = p["cx"] + (size - 1) / 2, p["cy"] + (size - 1) / 2
    arms = sim._arms(p, x0, y0, np.cos(p["inclination"]))[0].astype(np.float64)
    radii = np.arange(3.0, 30.0, 0.02)
    checked, worst = 0, []
    for theta in np.linspace(0, 2 * math.pi, 24, endpoint=False):
        xs = x0[0] + radii * math.cos(theta + angle)
        ys = y0[0] + radii * math.sin(theta + angle)
        prof = ndimage.map_coordinates(arms, [ys, xs], order=3)
        peaks = np.flatnonzero((prof[1:-1] > prof[:-2]) & (prof[1:-1] >= prof[2:])) + 1
        expected = []
        for k in range(n_arms):
            for turn in range(6):
                phi = np.mod(theta - 2 * math.pi * k / n_arms, 2 * math.pi) + 2 * math.pi * turn
                expected.append(float(rm_radius(phi, a, b, winding)))
        expected = np.array([r for r in expected if np.isfinite(r)])
        gaps = np.abs(np.subtract.outer(expected, expected))
        np.fill_diagonal(gaps, np.inf)
        for r0, gap in zip(expected, gaps.min(axis=1), strict=True):
            if 5.0 < r0 < 25.0 and gap > 6.0:          # resolved ridges inside the image
                found = radii[peaks][np.argmin(np.abs(radii[peaks] - r0))]
                assert abs(found - r0) < 0.5, (theta, r0, found)
                worst.append(abs(found - r0))
                checked += 1
    assert checked >= 24
    print(f'max ridge offset {max(worst):.3f} px over {checked} ridge crossings')


def test_component_fluxes_match_their_fractions():
    sim = Spiral({"height": 128, "width": 128})
    p = _params(sim, bulge_fraction=0.25, arm_fraction=0.35, bulge_r_half=2.0,
                bulge_sersic_index=2.0, disc_scale=6.0, arm_scale=6.0, inclination=0.6,
                angle=0.4, flux=1e4)
    res = sim.simulate(p, np.random.default_rng(0))
    t = res.truth
    assert t["flux_bulge_in_image"][0] == pytest.approx(2500, rel=0.01)
    assert t["flux_arms_in_image"][0] == pytest.approx(3500, rel=0.01)
    assert t["flux_disc_in_image"][0] == pytest.approx(4000, rel=0.01)
    total = sum(v[0] for v in t.values())
    assert res.outputs["image"].sum(dtype=np.float64) == pytest.approx(total, rel=1e-5)


@pytest.mark.parametrize(("params", "match"), [
    ({"n_arms": 0}, r"params\.n_arms"), ({"bulge_fraction": 0.6}, r"params\.bulge_fraction"),
    ({"arm_b": 0.0}, r"params\.arm_b"), ({"flux": -5.0}, r"params\.flux"),
    ({"bulge_sersic_index": 9}, r"params\.bulge_sersic_index")])
def test_bad_spiral_input_is_refused_before_any_work(params, match):
    with pytest.raises(SpecError, match=match):
        deepbench.simulate("astro.spiral", n=1, **params)


def test_spiral_keeps_the_contract_in_another_configuration():
    check_simulator(Spiral, {"height": 20, "width": 24})

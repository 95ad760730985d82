"""scenes.arcs: arc flux is the annular-sector area (written out here) times the surface brightness,
arcs never overlap, stars are pixel-integrated, bad settings are named."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deepbench
from deepbench.astro.arcs import Arcs
from deepbench.errors import SpecError
from deepbench.testing import check_simulator

DEFAULTS = {p.name: float(p.default) for p in Arcs.params}


def run(config=None, n=200, seed=0, **params):
    sim = Arcs(config or {})
    p = {k: np.full(n, v) for k, v in DEFAULTS.items()}
    for k, v in params.items():
        p[k] = np.asarray(v, dtype=np.float64) * np.ones(n)
    return sim.simulate(p, np.random.default_rng(seed))


def test_arc_pixel_sums_equal_sector_area_times_surface_brightness():
    rng = np.random.default_rng(7)
    n = 300
    radius, thickness = rng.uniform(4, 20, n), rng.uniform(0.5, 6, n)
    sb = rng.uniform(1, 500, n)
    res = run(n=n, n_stars=0, radius=radius, thickness=thickness, surface_brightness=sb,
              n_arcs=rng.integers(1, 9, n), cx=rng.uniform(-3, 3, n), cy=rng.uniform(-3, 3, n))
    cat = res.catalog
    s = cat["sample_index"]
    r_in = np.maximum(radius[s] - thickness[s] / 2, 0)
    r_out = radius[s] + thickness[s] / 2
    area = cat["span"] / 2 * (r_out**2 - r_in**2)          # annular sector, independent formula
    np.testing.assert_allclose(cat["area"], area, rtol=1e-10)
    expected = np.bincount(s, area * sb[s], minlength=n)
    sums = res.outputs["image"].reshape(n, -1).sum(axis=1, dtype=np.float64)
    np.testing.assert_allclose(sums, expected, rtol=1e-5)     # the Must-show asks for 1 %
    np.testing.assert_allclose(res.truth["arc_flux_in_image"], expected, rtol=1e-5)
    assert np.all(res.outputs["image"] <= sb[:, None, None] * (1 + 1e-6))  # no overlaps


def test_arcs_stay_in_their_sectors_and_never_overlap():
    res = run(n=100, n_arcs=5, n_stars=0, seed=3, config={"span_min": 0.9, "span_max": 1.0})
    cat = res.catalog
    for b in range(3):
        rows = cat["sample_index"] == b
        start, span = cat["start"][rows], cat["span"][rows]
        order = np.argsort(start)
        start, span = start[order], span[order]
        gaps = np.diff(np.append(start, start[0] + 2 * math.pi)) - span
        assert np.all(gaps >= -1e-12)
        assert np.all((span >= 0.9 * 2 * math.pi / 5 - 1e-12) & (span <= 2 * math.pi / 5 + 1e-12))


def test_image_is_arcs_plus_pixel_integrated_stars():
    res = run(config={"profile": "gaussian"}, n=50, n_stars=6, fwhm=2.0)
    cat = res.catalog
    n = 50
    total = res.truth["arc_flux_in_image"] + res.truth["star_flux_in_image"]
    sums = res.outputs["image"].reshape(n, -1).sum(axis=1, dtype=np.float64)
    np.testing.assert_allclose(sums, total, rtol=1e-5)
    stars = cat["kind"] == 1
    assert np.bincount(cat["sample_index"][stars], minlength=n).tolist() == [6] * n
    inside = stars & (np.minimum(cat["x"], cat["y"]) > 8) & (np.maximum(cat["x"], cat["y"]) < 55)
    assert inside.sum() > 50
    np.testing.assert_allclose(cat["flux_in_image"][inside], cat["flux"][inside], rtol=1e-5)
    assert np.all((cat["flux"][stars] >= 500) & (cat["flux"][stars] <= 5000))


def test_keeps_the_contract_and_is_reproducible_through_the_pipeline():
    check_simulator(Arcs, {"profile": "gaussian", "height": 20, "width": 12})
    a = deepbench.simulate("scenes.arcs", n=6, seed=4, n_arcs={"dist": "integers", "low": 0,
                                                                 "high": 4})
    b = deepbench.simulate("scenes.arcs", n=6, seed=4, n_arcs={"dist": "integers", "low": 0,
                                                                 "high": 4})
    np.testing.assert_array_equal(a.outputs["image"], b.outputs["image"])


def test_bad_settings_are_named_before_any_work():
    with pytest.raises(SpecError, match=r"config\.span_max: got 0\.2; expected a value >= span_min"):
        deepbench.simulate("scenes.arcs", config={"span_min": 0.5, "span_max": 0.2})
    with pytest.raises(SpecError, match=r"config\.star_flux_max"):
        Arcs({"star_flux_min": 10.0, "star_flux_max": 1.0})
    with pytest.raises(SpecError, match=r"params\.thickness"):
        deepbench.simulate("scenes.arcs", thickness=0.0)

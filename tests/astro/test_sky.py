"""scenes.sky: catalogue bookkeeping, PSF convolution, exact shot noise, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal
from tests_support import poisson_chi2_pvalue

import deepbench
from deepbench.astro.simulators import Star
from deepbench.astro.sky import Sky, convolve
from deepbench.core.noise import PoissonGaussian
from deepbench.core.seeding import stage_rng
from deepbench.errors import SpecError
from deepbench.testing import check_simulator

SMALL = {"height": 48, "width": 40, "stamp_px": 16}


def _spec(n, config, params, noise=None):
    spec = {"simulator": "scenes.sky", "n": n, "seed": 3, "config": config, "params": params}
    if noise:
        spec["obs_noise"] = {"image": noise}
    return spec


def test_catalogue_fluxes_are_each_objects_own_noise_free_contribution():
    batch = deepbench.simulate(_spec(6, {**SMALL, "counts": "poisson"},
                                     {"n_stars": 4, "n_galaxies": 3, "sky": 50.0}))
    img, cat = batch.outputs["image"].astype(np.float64), batch.catalog
    for i in range(6):
        own = cat["flux_in_image"][cat["sample_index"] == i].sum()
        assert img[i].sum() - 50.0 * img[i].size == pytest.approx(own, rel=1e-6, abs=1e-2)
    assert np.all(cat["flux_in_image"] <= cat["flux"] * (1 + 1e-6))


def test_a_lone_star_is_the_pixel_integrated_psf_at_its_catalogue_position():
    batch = deepbench.simulate(_spec(3, {**SMALL, "psf": "moffat"},
                                     {"n_stars": 1, "n_galaxies": 0, "sky": 0.0,
                                      "psf_fwhm": 2.5, "psf_beta": 3.0}))
    cat = batch.catalog
    h, w = SMALL["height"], SMALL["width"]
    star = Star({"height": h, "width": w}).simulate({
        "cx": cat["x"] - (w - 1) / 2, "cy": cat["y"] - (h - 1) / 2, "flux": cat["flux"],
        "fwhm": np.full(3, 2.5), "beta": np.full(3, 3.0), "g1": np.zeros(3), "g2": np.zeros(3)},
        np.random.default_rng(0)).outputs["image"]
    # equal wherever the scene's stamp reaches (it stops stamp_px / 2 from the star)
    x, y = np.rint(cat["x"]).astype(int), np.rint(cat["y"]).astype(int)
    for i in range(3):
        sl = (slice(max(y[i] - 6, 0), y[i] + 6), slice(max(x[i] - 6, 0), x[i] + 6))
        np.testing.assert_allclose(batch.outputs["image"][i][sl], star[i][sl], rtol=1e-5,
                                   atol=1e-6 * cat["flux"][i])


def test_objects_near_the_edge_are_clipped_but_stay_in_the_catalogue():
    batch = deepbench.simulate(_spec(8, SMALL, {"n_stars": 5, "n_galaxies": 5, "sky": 1.0}))
    cat = batch.catalog
    assert len(cat["x"]) == 8 * 10
    ratio = cat["flux_in_image"] / cat["flux"]
    assert ratio.min() < 0.6 and np.all(ratio > 0)
    assert np.all((cat["bbox"][:, 0] >= -0.5) & (cat["bbox"][:, 2] <= SMALL["width"] - 0.5))


def test_psf_convolution_preserves_flux_and_equals_direct_convolution():
    sky = Sky({"psf": "moffat", "height": 64, "width": 64})
    kern = sky.psf_kernel(2.7, 2.5).astype(np.float64)
    assert kern.sum() == pytest.approx(1.0, abs=1e-6)
    assert kern.shape[0] % 2 == 1 and np.unravel_index(kern.argmax(), kern.shape) == (
        kern.shape[0] // 2,) * 2
    rng = np.random.default_rng(0)
    images = rng.exponential(1.0, (3, 20, 20)).astype(np.float32)
    images[0] = 0.0
    images[0, 7, 11] = 1.0                                    # a point source
    out = convolve(images, sky.psf_kernel(2.7, 2.5))
    np.testing.assert_allclose(out.sum(axis=(1, 2)), images.sum(axis=(1, 2)), rtol=1e-6)
    for i in range(3):
        direct = signal.convolve2d(images[i].astype(np.float64), kern, mode="full")
        np.testing.assert_allclose(out[i], direct, atol=1e-6 * images[i].max())
    np.testing.assert_allclose(out[0][7:7 + kern.shape[0], 11:11 + kern.shape[0]], kern, atol=1e-7)


def test_flat_background_variance_over_mean_is_one_over_the_gain():
    gain = 2.5
    spec = _spec(64, {"height": 128, "width": 128}, {"n_stars": 0, "n_galaxies": 0,
                                                     "sky": 400.0},
                 {"kind": "poisson_gaussian", "gain": gain, "sigma": 0.0})
    spec["output"] = {"store_clean": True}
    batch = deepbench.simulate(spec)
    noisy = batch.outputs["image"].astype(np.float64)
    assert noisy.size >= 10**6
    np.testing.assert_array_equal(batch.clean["image"], 400.0)
    assert noisy.var() / noisy.mean() == pytest.approx(1 / gain, rel=0.01)


@pytest.mark.parametrize("mean", [0.7, 6.5, 180.0, 2.0e4])
def test_shot_noise_sampler_passes_a_chi2_test_against_exact_poisson(mean):
    gain = 1.0
    x = np.full((40, 50, 50), mean, dtype=np.float32)               # 100,000 draws
    draws = PoissonGaussian(kind="poisson_gaussian", gain=gain, sigma=0.0).apply(
        x, stage_rng(11, 0, "obs_noise")).astype(np.float64).ravel()
    assert poisson_chi2_pvalue(draws, mean, tail=1e-4, bins=40) > 1e-3


@pytest.mark.parametrize(("config", "match"), [
    ({"stamp_px": 17}, r"config\.stamp_px: got 17"),
    ({"star_flux": [-1, 10]}, r"config\.star_flux"),
    ({"sersic_index": [0.1, 2]}, r"config\.sersic_index"),
    ({"positions": [[0, 0], [1, "a"]]}, r"config\.positions\[1\]: got \[1, 'a'\]"),
    ({"positions": [[0, 0]], "counts": "poisson"}, r"config\.counts: got 'poisson'.*fixed"),
])
def test_bad_configuration_is_refused_before_any_work(config, match):
    with pytest.raises(SpecError, match=match):
        deepbench.simulate("scenes.sky", n=1, config=config)


def test_a_bad_psf_beta_is_refused_before_any_work():
    with pytest.raises(SpecError, match=r"params\.psf_beta: got .*1\.0.*a number > 1"):
        deepbench.simulate("scenes.sky", n=1, psf_beta=1.0)


@pytest.mark.parametrize(("config", "params", "match"), [
    ({"height": 32, "width": 64}, {"psf_fwhm": {"dist": "uniform", "low": 3, "high": 40}},
     r"params\.psf_fwhm: got 3\d\.\d*.*no wider than the image \(32 px\)"),
    ({"positions": [[0, 0], [3, 4]]}, {"n_stars": 1, "n_galaxies": 2},
     r"params\.n_stars, params\.n_galaxies: got \(1\.0, 2\.0\).*= 2, the number"),
])
def test_a_wide_psf_or_a_count_unlike_the_positions_is_refused_before_any_work(config, params,
                                                                                  match):
    spec = {"simulator": "scenes.sky", "n": 50, "seed": 0, "config": config, "params": params}
    with pytest.raises(SpecError, match=match):
        deepbench.simulate(spec)
    sim = Sky(config)
    p = {q.name: np.full(2, float(q.default)) for q in sim.params}
    p.update({k: np.full(2, 40.0 if k == "psf_fwhm" else float(v)) for k, v in params.items()})
    with pytest.raises(SpecError, match=match.split(":")[0]):   # direct calls are guarded too
        sim.simulate(p, np.random.default_rng(0))


def test_negative_sky_is_refused():
    with pytest.raises(SpecError, match=r"params\.sky: got .*-1\.0.*>= 0"):
        deepbench.simulate("scenes.sky", n=1, sky=-1.0)


def test_segmentation_names_the_brightest_contributor():
    batch = deepbench.simulate(_spec(4, {**SMALL, "segmentation": True, "seg_threshold": 5.0},
                                     {"n_stars": 3, "n_galaxies": 3, "sky": 0.0}))
    seg, cat = batch.outputs["segmentation"], batch.catalog
    assert seg.dtype == np.int32 and seg.max() <= 6
    for i in range(4):
        rows = np.flatnonzero(cat["sample_index"] == i)
        for k in np.unique(seg[i])[1:]:          # a labelled pixel lies in its object's stamp
            x, y = cat["x"][rows[k - 1]], cat["y"][rows[k - 1]]
            yy, xx = np.nonzero(seg[i] == k)
            assert np.all((np.abs(xx - x) < 40) & (np.abs(yy - y) < 40))
        assert (seg[i] > 0).sum() > 0


def test_sky_keeps_the_contract_in_other_configurations():
    check_simulator(Sky, {**SMALL, "counts": "poisson", "segmentation": True, "psf": "gaussian"})


@pytest.mark.parametrize("sampler", ["table", "numpy"])
def test_both_samplers_run_from_a_spec_with_the_same_law(sampler):
    noise = {"kind": "poisson_gaussian", "gain": 2.0, "sigma": 0.0, "sampler": sampler}
    spec = _spec(16, {"height": 64, "width": 64}, {"n_stars": 0, "n_galaxies": 0, "sky": 300.0},
                 noise)
    spec["output"] = {"store_clean": True}
    a, b = deepbench.simulate(spec), deepbench.simulate(spec)
    np.testing.assert_array_equal(a.outputs["image"], b.outputs["image"])
    np.testing.assert_array_equal(a.clean["image"], 300.0)
    noisy = a.outputs["image"].astype(np.float64)
    assert noisy.mean() == pytest.approx(300.0, abs=0.05)
    assert noisy.var() / noisy.mean() == pytest.approx(1 / 2.0, rel=0.03)
    for bad in ("fast", "split"):                  # split was the table sampler's predecessor
        with pytest.raises(SpecError, match=r"sampler"):
            deepbench.simulate(_spec(1, {}, {}, {**noise, "sampler": bad}))


def test_scene_pixels_carry_exact_shot_noise_around_their_clean_value():
    """Scenes with stars and galaxies: (noisy − clean)·gain over all pixels has mean 0 and
    variance equal to the summed means, in bright and faint pixels alike."""
    gain = 2.0
    spec = _spec(200, SMALL, {"n_stars": 3, "n_galaxies": 2, "sky": 20.0},
                 {"kind": "poisson", "gain": gain})
    spec["output"] = {"store_clean": True}
    batch = deepbench.simulate(spec)
    lam = batch.clean["image"].astype(np.float64) * gain
    dev = batch.outputs["image"].astype(np.float64) * gain - lam
    for sel in (lam < 20 * gain + 0.5, (lam >= 20 * gain + 0.5) & (lam < 20 * gain + 50),
                lam >= 20 * gain + 50):
        assert sel.sum() > 2000
        assert abs(dev[sel].sum()) < 5 * np.sqrt(lam[sel].sum())
        assert (dev[sel] ** 2).sum() / lam[sel].sum() == pytest.approx(1.0, abs=0.05)

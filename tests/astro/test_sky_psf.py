"""scenes.sky: objects at given positions, and a PSF that changes from sample to sample.

References are written here from the formulas: a round Gaussian PSF integrates over pixel [i, j]
to a product of erf differences, and a galaxy through the PSF is the Sérsic stamp convolved
directly (``scipy.signal.convolve2d``) with that sample's erf-product kernel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal, special

import deepbench
from deepbench.astro.simulators import Sersic, Star

H, W, S = 40, 48, 24
U = lambda lo, hi: {"dist": "uniform", "low": lo, "high": hi}  # noqa: E731


def _gauss_pixels(x0: float, y0: float, fwhm: float, h: int, w: int) -> np.ndarray:
    """Exact pixel integrals (float64 (h, w)) of a unit-flux round Gaussian centred at (x0, y0)."""
    s = fwhm / (2 * math.sqrt(2 * math.log(2))) * math.sqrt(2)
    fx = np.diff(special.erf((np.arange(w + 1) - 0.5 - x0) / s)) / 2
    fy = np.diff(special.erf((np.arange(h + 1) - 0.5 - y0) / s)) / 2
    return fy[:, None] * fx[None, :]


def _window(x: float, y: float, size: int, grow: int = 0) -> tuple[slice, slice]:
    ox, oy = int(np.rint(x)) - S // 2 - grow, int(np.rint(y)) - S // 2 - grow
    return slice(max(oy, 0), max(oy + size, 0)), slice(max(ox, 0), max(ox + size, 0))


def _sky(n, config, params):
    return deepbench.simulate({"simulator": "scenes.sky", "n": n, "seed": 4,
                               "config": {"height": H, "width": W, "stamp_px": S, **config},
                               "params": {"sky": 0.0, **params}})


def test_stars_sit_at_the_given_positions_with_each_samples_gaussian_psf():
    given = [[-7.3, 4.6], [9.25, -6.5]]
    batch = _sky(5, {"psf": "gaussian", "positions": given},
                 {"n_stars": 2, "n_galaxies": 0, "psf_fwhm": U(1.2, 5.0)})
    cat, fwhm = batch.catalog, batch.labels["psf_fwhm"]
    assert np.ptp(fwhm) > 0.5                                   # the PSF differs per sample
    np.testing.assert_array_equal(cat["x"], np.tile([-7.3 + (W - 1) / 2, 9.25 + (W - 1) / 2], 5))
    np.testing.assert_array_equal(cat["y"], np.tile([4.6 + (H - 1) / 2, -6.5 + (H - 1) / 2], 5))
    assert np.all(cat["kind"] == 0)
    for i in range(5):
        ref = np.zeros((H, W))
        for r in np.flatnonzero(cat["sample_index"] == i):
            part = cat["flux"][r] * _gauss_pixels(cat["x"][r], cat["y"][r], fwhm[i], H, W)
            win = _window(cat["x"][r], cat["y"][r], S)
            ref[win] += part[win]                               # the stamp is what is drawn
        np.testing.assert_allclose(batch.outputs["image"][i], ref, rtol=0,
                                   atol=1e-5 * cat["flux"].max())  # 4e-6 seen


def test_stars_through_a_per_sample_moffat_psf_equal_astro_star():
    batch = _sky(4, {"psf": "moffat", "positions": [[1.4, -2.2]]},
                 {"n_stars": 1, "n_galaxies": 0, "psf_fwhm": U(1.5, 4.0),
                  "psf_beta": U(1.5, 6.0)})
    cat, lab = batch.catalog, batch.labels
    assert np.ptp(lab["psf_beta"]) > 0.5
    star = Star({"height": H, "width": W}).simulate({
        "cx": np.full(4, 1.4), "cy": np.full(4, -2.2), "flux": cat["flux"],
        "fwhm": lab["psf_fwhm"], "beta": lab["psf_beta"], "g1": np.zeros(4),
        "g2": np.zeros(4)}, np.random.default_rng(0)).outputs["image"]
    for i in range(4):
        win = _window(cat["x"][i], cat["y"][i], S)
        np.testing.assert_allclose(batch.outputs["image"][i][win], star[i][win], rtol=1e-5,
                                   atol=1e-6 * cat["flux"][i])


def test_a_galaxy_is_its_sersic_stamp_convolved_with_its_own_samples_psf():
    batch = _sky(4, {"psf": "gaussian", "positions": [[2.3, -1.7]], "r_half": [1.5, 3.0]},
                 {"n_stars": 0, "n_galaxies": 1, "psf_fwhm": U(1.0, 3.5)})
    cat, fwhm = batch.catalog, batch.labels["psf_fwhm"]
    for i in range(4):
        x, y = cat["x"][i], cat["y"][i]
        ox, oy = np.rint(x) - S // 2, np.rint(y) - S // 2
        stamp = Sersic({"height": S, "width": S}).simulate({
            "cx": np.array([x - ox - (S - 1) / 2]), "cy": np.array([y - oy - (S - 1) / 2]),
            "flux": cat["flux"][i:i + 1], "sersic_index": cat["sersic_index"][i:i + 1],
            "r_half": cat["r_half"][i:i + 1], "g1": cat["g1"][i:i + 1],
            "g2": cat["g2"][i:i + 1]}, np.random.default_rng(0)).outputs["image"][0]
        half = math.ceil(4 * fwhm[i])
        kern = _gauss_pixels(half, half, fwhm[i], 2 * half + 1, 2 * half + 1)
        drawn = signal.convolve2d(stamp.astype(np.float64), kern / kern.sum())
        ref = np.zeros((H + 2 * drawn.shape[0], W + 2 * drawn.shape[0]))
        o = drawn.shape[0]                                      # margin: place, then crop
        ref[o + int(oy) - half:o + int(oy) - half + drawn.shape[0],
            o + int(ox) - half:o + int(ox) - half + drawn.shape[1]] = drawn
        np.testing.assert_allclose(batch.outputs["image"][i], ref[o:o + H, o:o + W], rtol=0,
                                   atol=1e-4 * drawn.max())  # float32 FFTs: 2e-5 seen
        assert cat["flux_in_image"][i] == pytest.approx(ref[o:o + H, o:o + W].sum(), rel=1e-5)


def test_given_positions_keep_stars_then_galaxies_in_slot_order_and_the_bbox_uses_each_psf():
    given = [[0.0, 0.0], [10.0, 5.0], [-12.0, -9.0]]
    batch = _sky(3, {"positions": given}, {"n_stars": 1, "n_galaxies": 2,
                                           "psf_fwhm": {"dist": "choice", "values": [2.0, 4.0]}})
    cat, fwhm = batch.catalog, batch.labels["psf_fwhm"]
    np.testing.assert_array_equal(cat["kind"], np.tile([0, 1, 1], 3))
    np.testing.assert_array_equal(cat["x"] - (W - 1) / 2, np.tile([0.0, 10.0, -12.0], 3))
    star = cat["kind"] == 0
    np.testing.assert_allclose(cat["bbox"][star, 2] - cat["x"][star], 1.5 * fwhm)

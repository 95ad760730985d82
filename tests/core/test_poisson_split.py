"""The exact split Poisson sampler: χ² against exact probabilities, moments, tails, streams."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from deepbench.core import poisson
from deepbench.core.noise import Poisson, PoissonGaussian
from deepbench.core.poisson import poisson_split, shared_poisson, small_poisson
from deepbench.core.seeding import stage_rng


def _chi2_pvalue(draws: np.ndarray, mean: float) -> float:
    """χ² of the counts against scipy's exact Poisson probabilities (bins of expected >= 5)."""
    lo, hi = stats.poisson.ppf([1e-5, 1 - 1e-5], mean)
    edges = np.unique(np.r_[-0.5, np.linspace(lo, hi, 60).round() + 0.5, np.inf])
    observed = np.histogram(draws, edges)[0]
    expected = np.diff(np.r_[0.0, stats.poisson.cdf(edges[1:-1], mean), 1.0]) * draws.size
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    return stats.chi2.sf(chi2, keep.sum() - 1)


@pytest.mark.parametrize("mean", [0.02, 0.7, 6.5, 180.0, 400.0, 2.0e4, 3.0e5])
def test_shared_table_sampler_passes_chi2_against_exact_poisson(mean):
    draws = shared_poisson(np.array([mean, mean]), 50_000, stage_rng(5, 0, "obs_noise")).ravel()
    assert _chi2_pvalue(draws, mean) > 1e-3
    assert draws.mean() == pytest.approx(mean, abs=5 * np.sqrt(mean / draws.size))


@pytest.mark.parametrize("mean", [1e-3, 0.3, 2.5, 9.9])
def test_small_mean_sampler_passes_chi2_against_exact_poisson(mean):
    draws = small_poisson(np.full(100_000, mean), stage_rng(6, 0, "obs_noise"))
    assert _chi2_pvalue(draws, mean) > 1e-3
    assert draws.var() == pytest.approx(mean, rel=0.05)


def test_draws_outside_a_narrow_table_are_inverted_exactly(monkeypatch):
    monkeypatch.setattr(poisson, "TABLE_SIGMAS", 0.5)    # ~60 % of the draws fall outside
    monkeypatch.setattr(poisson, "TABLE_PAD", 0.0)
    draws = shared_poisson(np.array([150.0, 3.0]), 40_000, np.random.default_rng(1))
    assert np.mean(np.abs(draws[0] - 150) > 0.5 * np.sqrt(150) + 1) > 0.4
    assert _chi2_pvalue(draws[0], 150.0) > 1e-3 and _chi2_pvalue(draws[1], 3.0) > 1e-3


def test_zero_means_give_zero_counts():
    assert not shared_poisson(np.zeros(3), 1000, np.random.default_rng(0)).any()
    assert not small_poisson(np.zeros(1000), np.random.default_rng(0)).any()


def test_each_pixel_of_an_image_with_sources_follows_its_own_poisson_law():
    n_img, h, w = 4000, 3, 4
    lam = np.empty((n_img, h, w))
    lam[:] = [[200.0, 200.0, 203.5, 260.0], [200.0, 200.7, 212.0, 2.0e4], [200.0, 0.0, 1e-3, 0.0]]
    lam[n_img // 2:] *= 0.5                        # a second sky level in the same batch
    counts = poisson_split(lam, stage_rng(9, 0, "obs_noise"))
    for half in (slice(0, n_img // 2), slice(n_img // 2, None)):
        for i in range(h):
            for j in range(w):
                mean = lam[half][0, i, j]
                draws = counts[half][:, i, j]
                if mean == 0.0:
                    assert not draws.any()
                    continue
                sd = np.sqrt(mean / draws.size)
                assert abs(draws.mean() - mean) < 5 * sd + 1e-12
                if mean > 1:
                    assert _chi2_pvalue(draws, mean) > 1e-4


def test_split_variance_over_mean_of_a_flat_sky_is_one_over_the_gain():
    x = np.full((64, 128, 128), 400.0, dtype=np.float32)            # 1,048,576 pixels
    gain = 2.5
    y = Poisson(kind="poisson", gain=gain, sampler="split").apply(x, stage_rng(3, 0, "obs_noise"))
    assert y.dtype == np.float32
    assert y.astype(np.float64).var() / y.mean() == pytest.approx(1 / gain, rel=0.01)


def test_split_noise_is_reproducible_and_leaves_numpy_sampler_streams_alone():
    x = np.random.default_rng(0).uniform(100, 130, (5, 20, 20)).astype(np.float32)
    a = PoissonGaussian(kind="poisson_gaussian", gain=2.0, sigma=1.0, sampler="split").apply(
        x, stage_rng(4, 2, "obs_noise"))
    b = PoissonGaussian(kind="poisson_gaussian", gain=2.0, sigma=1.0, sampler="split").apply(
        x, stage_rng(4, 2, "obs_noise"))
    np.testing.assert_array_equal(a, b)
    numpy_kind = PoissonGaussian(kind="poisson_gaussian", gain=2.0, sigma=1.0)
    assert numpy_kind.sampler == "numpy"
    rng = stage_rng(4, 2, "obs_noise")
    shot = (rng.poisson(np.maximum(x, 0, dtype=np.float64) * 2.0) / 2.0).astype(np.float32)
    expected = shot + rng.standard_normal(x.shape, dtype=np.float32)
    np.testing.assert_array_equal(numpy_kind.apply(x, stage_rng(4, 2, "obs_noise")), expected)

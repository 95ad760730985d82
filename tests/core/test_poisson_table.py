"""The exact table Poisson sampler (``sampler: table``): χ² against exact probabilities, moments,
independence, tails, streams."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from tests_support import poisson_chi2_pvalue

from deepbench.core import poisson
from deepbench.core.noise import Poisson, PoissonGaussian
from deepbench.core.poisson import Tables, normal, shot_noise
from deepbench.core.seeding import stage_rng


def _draw_table(mean: float, n: int, rng: np.random.Generator, budget: int = 1 << 20
                ) -> np.ndarray:
    out = np.empty(n, dtype=np.float32)
    Tables(np.array([mean]), budget).draw(0, 1, n, rng, out)
    return out.astype(np.int64)


@pytest.mark.parametrize("mean", [0.02, 0.7, 6.5, 180.0, 400.0, 2.0e4, 3.0e5])
def test_floor_table_passes_chi2_against_exact_poisson(mean):
    draws = shot_noise(np.full((4, 25_000), mean), 1.0, stage_rng(5, 0, "obs_noise")).ravel()
    assert poisson_chi2_pvalue(draws, mean) > 1e-3
    assert draws.mean() == pytest.approx(mean, abs=5 * np.sqrt(mean / draws.size))


@pytest.mark.parametrize("budget", [16, 1 << 20])
def test_few_or_many_guide_cells_give_the_same_law(budget):
    """With 16 cells almost every draw walks the CDF; with 2^20 almost none does."""
    draws = _draw_table(180.0, 100_000, np.random.default_rng(4), budget)
    assert poisson_chi2_pvalue(draws, 180.0) > 1e-3


def test_draws_outside_a_narrow_table_are_inverted_exactly(monkeypatch):
    monkeypatch.setattr(poisson, "TABLE_SIGMAS", 0.5)    # ~60 % of the draws fall outside
    monkeypatch.setattr(poisson, "TABLE_PAD", 0.0)
    draws = shot_noise(np.repeat([[150.0], [3.0]], 40_000, axis=1), 1.0,
                       np.random.default_rng(1))
    assert np.mean(np.abs(draws[0] - 150) > 0.5 * np.sqrt(150) + 1) > 0.4
    assert poisson_chi2_pvalue(draws[0], 150.0) > 1e-3 and poisson_chi2_pvalue(draws[1], 3.0) > 1e-3


def test_zero_and_negative_means_give_zero_counts():
    x = np.zeros((3, 1000))
    x[1, ::7] = -2.0                               # negative values are clipped to a zero mean
    assert not shot_noise(x, 1.0, np.random.default_rng(0)).any()


def test_each_pixel_of_an_image_with_sources_follows_its_own_poisson_law():
    """Floors 200 and 100 in one batch; remainders from 0 (floor) through the faint process
    (< FAINT) and its edge to rng.poisson; a pixel at 0, one beyond the table's range."""
    n_img = 4000
    rest = np.array([0.0, 1e-3, 0.2, poisson.FAINT * (1 - 1e-9), poisson.FAINT, 0.7, 3.5, 60.0,
                     2.0e4])
    lam = np.empty((n_img, rest.size + 1))
    lam[:, :-1] = 200.0 + rest
    lam[:, -1] = 0.0
    lam[n_img // 2:, :-1] -= 100.0                 # a second floor in the same batch
    counts = shot_noise(lam, 1.0, stage_rng(9, 0, "obs_noise"))
    for half in (slice(0, n_img // 2), slice(n_img // 2, None)):
        floor = lam[half][:, :-1].min()
        for j in range(lam.shape[1]):
            mean = lam[half][0, j]
            draws = counts[half][:, j]
            if mean == 0.0:
                assert not draws.any()
                continue
            assert abs(draws.mean() - mean) < 5 * np.sqrt(mean / draws.size)
            assert poisson_chi2_pvalue(draws, mean) > 1e-4
            assert abs(draws.var() / mean - 1) < 0.15
        assert floor in (100.0, 200.0)


def test_faint_pixels_are_independent_poisson_variables():
    """The faint remainders share one Poisson process: each pixel's count must still be its own
    Poisson(s_i), independent of its neighbours' (a contingency χ² of two pixels' counts)."""
    lam = np.zeros((100_000, 3))                   # floor 0, two faint pixels per image
    lam[:, 1], lam[:, 2] = 0.4, 0.3
    counts = shot_noise(lam, 1.0, np.random.default_rng(12)).astype(np.int64)
    assert not counts[:, 0].any()
    for j, mean in ((1, 0.4), (2, 0.3)):
        assert poisson_chi2_pvalue(counts[:, j], mean) > 1e-3
    table = np.zeros((3, 3))
    np.add.at(table, (np.minimum(counts[:, 1], 2), np.minimum(counts[:, 2], 2)), 1)
    assert stats.chi2_contingency(table).pvalue > 1e-3


def test_the_faint_process_alone_gives_poisson_counts_per_pixel():
    """Floor 0: every count comes from the faint process; per pixel and in total exact."""
    rng = np.random.default_rng(3)
    s = np.linspace(0.01, 0.49, 50)
    lam = np.broadcast_to(s, (20_000, s.size)).copy()
    counts = shot_noise(lam, 1.0, rng)
    for j in (0, 17, 49):
        p0 = np.mean(counts[:, j] == 0)
        assert p0 == pytest.approx(np.exp(-s[j]), abs=5 * np.sqrt(np.exp(-s[j]) / 20_000))
        assert counts[:, j].mean() == pytest.approx(s[j], abs=5 * np.sqrt(s[j] / 20_000))
    total = counts.sum(axis=1)
    assert poisson_chi2_pvalue(total, s.sum()) > 1e-3


def test_flat_background_variance_over_mean_is_one_over_the_gain():
    x = np.full((64, 128, 128), 400.0, dtype=np.float32)            # 1,048,576 pixels
    gain = 2.5
    y = Poisson(kind="poisson", gain=gain).apply(x, stage_rng(3, 0, "obs_noise"))
    assert y.dtype == np.float32 and y.shape == x.shape
    assert y.astype(np.float64).var() / y.mean() == pytest.approx(1 / gain, rel=0.01)


def test_a_floor_beyond_the_table_is_drawn_per_pixel():
    x = np.full((2, 20_000), poisson.TABLE_MAX * 2)
    y = shot_noise(x, 1.0, np.random.default_rng(8))
    assert y.mean() == pytest.approx(poisson.TABLE_MAX * 2, rel=1e-4)
    assert y.var() / y.mean() == pytest.approx(1.0, rel=0.05)


def test_outputs_are_counts_over_the_gain_in_the_input_dtype_and_shape():
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        x = rng.uniform(0, 30, (3, 5, 7)).astype(dtype)
        y = shot_noise(x, 0.1, np.random.default_rng(1))
        assert y.dtype == dtype and y.shape == x.shape
        k = y.astype(np.float64) * 0.1
        np.testing.assert_allclose(k, np.round(k), atol=1e-4)
    one_d = shot_noise(np.full(1000, 3.0), 1.0, rng)                  # one image
    assert one_d.shape == (1000,) and one_d.mean() == pytest.approx(3.0, abs=0.3)
    assert shot_noise(np.zeros((0, 4)), 1.0, rng).shape == (0, 4)
    ints = Poisson(kind="poisson", gain=1.0).apply(np.full((2, 9), 4, dtype=np.int64), rng)
    assert ints.dtype == np.int64


def test_nan_means_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        shot_noise(np.array([[1.0, np.nan]]), 1.0, np.random.default_rng(0))


def test_table_noise_is_reproducible_and_leaves_numpy_sampler_streams_alone():
    x = np.random.default_rng(0).uniform(100, 130, (5, 20, 20)).astype(np.float32)
    noise = PoissonGaussian(kind="poisson_gaussian", gain=2.0, sigma=1.0)
    assert noise.sampler == "table"
    a = noise.apply(x, stage_rng(4, 2, "obs_noise"))
    np.testing.assert_array_equal(a, noise.apply(x, stage_rng(4, 2, "obs_noise")))
    numpy_kind = PoissonGaussian(kind="poisson_gaussian", gain=2.0, sigma=1.0, sampler="numpy")
    rng = stage_rng(4, 2, "obs_noise")
    shot = (rng.poisson(np.maximum(x, 0, dtype=np.float64) * 2.0) / 2.0).astype(np.float32)
    expected = shot + rng.standard_normal(x.shape, dtype=np.float32)
    np.testing.assert_array_equal(numpy_kind.apply(x, stage_rng(4, 2, "obs_noise")), expected)


def test_box_muller_read_noise_is_a_standard_normal():
    z = normal(400_001, 1.0, np.random.default_rng(21), np.float32).astype(np.float64)
    assert z.size == 400_001
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 5 / np.sqrt(z.size) and z.var() == pytest.approx(1.0, abs=0.01)
    for k in (1.0, 2.0, 3.0, 4.0):                 # two-sided tail masses
        expected = 2 * stats.norm.sf(k)
        assert np.mean(np.abs(z) > k) == pytest.approx(expected, abs=5 * np.sqrt(expected / z.size))
    half = z.size // 2 + 1                        # the cosine and sine halves are uncorrelated
    assert abs(np.corrcoef(z[:half - 1], z[half:])[0, 1]) < 5 / np.sqrt(half)
    scaled = normal(1001, 3.0, np.random.default_rng(21), np.float64)
    again = normal(1001, 1.0, np.random.default_rng(21), np.float64)
    assert scaled.dtype == np.float64
    np.testing.assert_allclose(scaled, 3.0 * again, rtol=1e-12)


def test_read_noise_leaves_the_shot_noise_alone_and_scales_with_sigma():
    x = np.random.default_rng(0).uniform(100, 130, (6, 30, 30)).astype(np.float32)
    shot = Poisson(kind="poisson", gain=2.0).apply(x, stage_rng(4, 1, "obs_noise"))
    one, three = (PoissonGaussian(kind="poisson_gaussian", gain=2.0, sigma=s).apply(
        x, stage_rng(4, 1, "obs_noise")) for s in (1.0, 3.0))
    zero = PoissonGaussian(kind="poisson_gaussian", gain=2.0, sigma=0.0).apply(
        x, stage_rng(4, 1, "obs_noise"))
    np.testing.assert_array_equal(zero, shot)
    read = one.astype(np.float64) - shot
    np.testing.assert_allclose(three - shot.astype(np.float64), 3.0 * read, atol=1e-4)
    assert read.std() == pytest.approx(1.0, abs=0.05)
    assert abs(np.corrcoef(read.ravel(), (shot - x).ravel())[0, 1]) < 0.05


def test_floors_beyond_the_table_budget_are_drawn_per_pixel(monkeypatch):
    """Distinct floors whose tables would not fit the budget go per pixel: same law, no table."""
    monkeypatch.setattr(poisson, "TABLE_ENTRIES", 400)  # room for the two smallest floors only
    floors = np.array([3.0, 40.0, 900.0, 5000.0])
    assert poisson._table_limit(floors) == 40.0
    lam = np.repeat(floors, 20_000).reshape(4, 20_000)
    counts = shot_noise(lam, 1.0, np.random.default_rng(17))
    for row, mean in zip(counts, floors, strict=True):
        assert poisson_chi2_pvalue(row, mean) > 1e-3


def test_read_noise_needs_its_generator():
    with pytest.raises(ValueError, match="read_rng"):
        shot_noise(np.ones((2, 3)), 1.0, np.random.default_rng(0), sigma=1.0)

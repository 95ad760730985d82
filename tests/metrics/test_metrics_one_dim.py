"""1-D distances against SciPy and against their formulas written out here."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from deepbench.errors import SpecError
from deepbench.metrics import (
    chi2_ndf,
    energy_distance,
    ks_statistic,
    separation_power,
    wasserstein1,
)

finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=40), st.lists(finite, min_size=1, max_size=40))
def test_w1_ks_energy_equal_scipy(x, y):
    assert abs(wasserstein1(x, y) - stats.wasserstein_distance(x, y)) <= 1e-12 * (
        1 + stats.wasserstein_distance(x, y))
    with warnings.catch_warnings():  # SciPy's p-value may warn; the statistic is what we compare
        warnings.simplefilter("ignore", RuntimeWarning)
        ks = stats.ks_2samp(x, y, method="asymp").statistic
    assert ks_statistic(x, y) == pytest.approx(ks, abs=1e-12)
    assert energy_distance(x, y) == pytest.approx(stats.energy_distance(x, y), rel=1e-9, abs=1e-12)


def test_w1_equals_scipy_to_1e12_on_large_samples():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=20_000), rng.standard_t(4, size=13_001)
    assert abs(wasserstein1(x, y) - stats.wasserstein_distance(x, y)) < 1e-12


def test_w1_equal_sizes_is_mean_sorted_difference():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=1000), rng.exponential(size=1000)
    assert wasserstein1(x, y) == pytest.approx(np.mean(np.abs(np.sort(x) - np.sort(y))), rel=1e-12)


@pytest.mark.parametrize("mu", [-1.5, 0.3, 2.0])
def test_w1_of_shifted_normals_tends_to_shift(mu):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=200_000), rng.normal(mu, 1.0, size=200_000)
    # statistical floor of W1 at n = 2e5 is ~ 0.003
    assert wasserstein1(x, y) == pytest.approx(abs(mu), abs=0.01)


def test_energy_distance_equals_pairwise_definition():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=300), rng.normal(0.5, 2, size=200)
    exy = np.abs(x[:, None] - y[None, :]).mean()
    exx = np.abs(x[:, None] - x[None, :]).mean()
    eyy = np.abs(y[:, None] - y[None, :]).mean()
    assert energy_distance(x, y) == pytest.approx(np.sqrt(2 * exy - exx - eyy), rel=1e-10)


def test_separation_power_by_hand():
    # bins [0,1), [1,2], x: 3 in bin 0, 1 in bin 1 -> h1 = (.75, .25); y: h2 = (.25, .75)
    x, y = [0.1, 0.2, 0.3, 1.5], [0.5, 1.2, 1.3, 1.9]
    expected = 0.5 * ((0.5**2) / 1.0 + (0.5**2) / 1.0)
    assert separation_power(x, y, bins=[0, 1, 2]) == pytest.approx(expected)
    assert separation_power(x, x, bins=10) == 0.0
    assert separation_power([0, 0.1], [5, 6], bins=[0, 1, 5, 7]) == pytest.approx(1.0)


def test_chi2_ndf_by_hand_and_near_one_for_one_distribution():
    # counts n = (3, 1), m = (1, 3): N = M = 4 -> chi2 = (2²/4 + 2²/4) = 2, ndf = 1
    assert chi2_ndf([0.1, 0.2, 0.3, 1.5], [0.5, 1.2, 1.3, 1.9], bins=[0, 1, 2]) == pytest.approx(2.0)
    rng = np.random.default_rng(5)
    vals = [chi2_ndf(rng.normal(size=5000), rng.normal(size=8000), bins=np.linspace(-3, 3, 31))
            for _ in range(20)]
    assert np.mean(vals) == pytest.approx(1.0, abs=0.15)


def test_one_dim_refuses_nan_and_empty():
    with pytest.raises(SpecError, match=r"x: got .1 non-finite values"):
        wasserstein1([1.0, np.nan], [1.0])
    with pytest.raises(SpecError, match=r"y: got .an empty sample"):
        ks_statistic([1.0], [])
    with pytest.raises(SpecError, match="bins"):
        separation_power([1.0], [2.0], bins=[1, 0])

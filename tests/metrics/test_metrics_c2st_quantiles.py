"""C2ST on Gaussians with known Bayes-optimal AUC; quantile MSE against Monte Carlo; curves."""

import numpy as np
import pytest
from scipy import integrate, stats

from deepbench.errors import SpecError
from deepbench.metrics import (
    amplification,
    c2st,
    density_quantile_mse,
    equivalent_sample_size,
    expected_quantile_mse,
    linearity_resolution,
    quantile_edges,
    quantile_fractions,
    quantile_mse,
)


def test_c2st_truth_vs_truth_at_20k_is_chance():
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(20_000, 10)), rng.normal(size=(20_000, 10))
    got = c2st(x, y, rng=rng)
    assert abs(got["auc"] - 0.5) < 0.02
    assert abs(got["jsd"]) < 0.01
    assert got["auc_error"] == pytest.approx(np.sqrt(10_001 / (12 * 5000 * 5000)), rel=1e-3)


def _jsd_bits_shifted_normals(delta):
    p = lambda t: stats.norm.pdf(t)  # noqa: E731
    q = lambda t: stats.norm.pdf(t, delta)  # noqa: E731
    m = lambda t: 0.5 * (p(t) + q(t))  # noqa: E731
    f = lambda t: 0.5 * (p(t) * np.log2(p(t) / m(t)) + q(t) * np.log2(q(t) / m(t)))  # noqa: E731
    return integrate.quad(f, -12, 12 + delta)[0]


@pytest.mark.parametrize("delta,n", [(1.0, 20_000), (3.0, 5_000)])
def test_c2st_shift_in_one_of_ten_dims_reaches_the_bayes_optimum(delta, n):
    # For N(0, 1) against N(δ, 1) in one coordinate the best possible AUC is Φ(δ/√2):
    # 0.760 for δ = 1 (so no classifier can exceed 0.95 there) and 0.983 for δ = 3.
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(n, 10)), rng.normal(size=(n, 10))
    x[:, 3] += delta
    got = c2st(x, y, rng=rng)
    optimum = stats.norm.cdf(delta / np.sqrt(2))
    assert got["auc"] == pytest.approx(optimum, abs=0.015)
    assert got["jsd"] == pytest.approx(_jsd_bits_shifted_normals(delta), abs=0.03)
    if delta == 3.0:
        assert got["auc"] > 0.95


@pytest.mark.parametrize("n_q,n", [(5, 100), (10, 1000), (50, 300)])
def test_quantile_mse_expectation_matches_monte_carlo(n_q, n):
    rng = np.random.default_rng(13)
    draws = rng.normal(size=(4000, n))
    mse = np.array([quantile_mse(d, n_q, cdf=stats.norm.cdf) for d in draws])
    assert mse.mean() == pytest.approx(expected_quantile_mse(n, n_q), rel=0.05)
    assert equivalent_sample_size(mse.mean(), n_q) == pytest.approx(n, rel=0.05)
    assert amplification(expected_quantile_mse(n, n_q), n_q, n_train=n // 2) == pytest.approx(2)


def test_quantile_fractions_from_cdf_and_edges_agree():
    rng = np.random.default_rng(14)
    x = rng.normal(size=1000)
    edges = stats.norm.ppf(np.arange(1, 8) / 8)
    a = quantile_fractions(x, 8, cdf=stats.norm.cdf)
    b = quantile_fractions(x, 8, edges=edges)
    np.testing.assert_array_equal(a, b)
    assert a.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(quantile_edges(rng.normal(size=400_000), 8), edges, atol=0.01)
    assert density_quantile_mse(np.full(8, 1 / 8)) == 0.0
    with pytest.raises(SpecError, match="n_quantiles"):
        quantile_mse(x, 1, cdf=stats.norm.cdf)
    with pytest.raises(SpecError, match="exactly one"):
        quantile_mse(x, 8)


def test_linearity_resolution_by_hand():
    measured = np.array([1.0, 3.0, 10.0, 10.0, 7.0])
    true = np.array([2.0, 2.0, 10.0, 10.0, 10.0])
    cond = np.array([0.5, 0.7, 5.0, 5.5, 20.0])
    got = linearity_resolution(measured, true, cond, bins=[0, 1, 10])
    np.testing.assert_allclose(got["count"], [2, 2])
    np.testing.assert_allclose(got["linearity"], [1.0, 1.0])
    np.testing.assert_allclose(got["resolution"], [np.std([1, 3], ddof=1) / 2, 0.0])
    with pytest.raises(SpecError, match="equal lengths"):
        linearity_resolution(measured, true[:2], cond, bins=[0, 1])

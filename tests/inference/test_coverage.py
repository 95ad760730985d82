"""Coverage, SBC and TARP on an exact conjugate posterior (passes) and on over-confident and biased
ones (fail), plus a hand-checked coverage and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from deepbench.errors import SpecError
from deepbench.inference.coverage import expected_coverage, plot, sbc_ranks, sbc_test, tarp


def conjugate(n_obs: int = 1000, draws: int = 200, d: int = 2, *, width: float = 1.0,
              bias: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """θ ~ N(0, I), m = 4 observations x ~ N(θ, I): the posterior is N(m·x̄/(m+1), I/(m+1)).
    ``width`` scales its standard deviation, ``bias`` shifts its mean (in posterior s.d.)."""
    rng = np.random.default_rng(seed)
    m = 4
    theta = rng.normal(size=(n_obs, d))
    xbar = theta + rng.normal(size=(n_obs, d)) / np.sqrt(m)
    sd = 1 / np.sqrt(m + 1)
    mean = m * xbar / (m + 1) + bias * sd
    samples = mean[:, None, :] + width * sd * rng.normal(size=(n_obs, draws, d))
    return samples, theta


def test_the_exact_posterior_passes_coverage_sbc_and_tarp():
    samples, truths = conjugate()
    cov = expected_coverage(samples, truths, names=["a", "b"])
    assert cov.passed
    assert np.abs(cov.coverage - cov.levels[:, None]).max() < 0.06
    assert (sbc_test(sbc_ranks(samples, truths), 200) > 1e-3).all()
    result = tarp(samples, truths)
    assert result.passed()
    assert result.max_deviation < 0.06


@pytest.mark.parametrize("kind", ["over-confident", "biased"])
def test_miscalibrated_posteriors_fail_coverage_and_tarp(kind):
    samples, truths = conjugate(width=0.7) if kind == "over-confident" else conjugate(bias=1.0)
    cov = expected_coverage(samples, truths)
    assert not cov.passed
    assert (cov.coverage[9] < cov.low[9]).all()  # the 50 % intervals cover too rarely
    assert (sbc_test(sbc_ranks(samples, truths), 200) < 1e-6).all()
    assert not tarp(samples, truths).passed()


def test_an_under_confident_posterior_covers_too_often():
    samples, truths = conjugate(width=1.4)
    cov = expected_coverage(samples, truths)
    assert not cov.passed
    assert (cov.coverage[9] > cov.high[9]).all()


def test_coverage_on_a_hand_checked_case():
    # draws 0..9 for each of 4 observations; truths at 4.5 (centre), 0.5, 9.5 (above all), 2.5
    samples = np.tile(np.arange(10.0), (4, 1))
    truths = np.array([4.5, 0.5, 9.5, 2.5])
    # fraction of draws below the truth: 0.5, 0.1, 1.0, 0.3 → the central interval first holds
    # it at credibility 0, 0.8, 1 (never below 1), 0.4
    cov = expected_coverage(samples, truths, levels=[0.1, 0.5, 0.9])
    np.testing.assert_array_equal(cov.coverage[:, 0], [0.25, 0.5, 0.75])
    np.testing.assert_array_equal(sbc_ranks(samples, truths)[:, 0], [5, 1, 10, 3])


def test_tarp_f_is_the_fraction_of_draws_nearer_the_reference():
    samples = np.array([[[0.0], [1.0], [2.0], [3.0]]])
    truths = np.array([[1.5]])
    # standardisation is the identity for one truth with zero spread: reference 0 → |draws| <
    # 1.5 for draws 0 and 1
    result = tarp(samples, truths, references=np.array([[0.0]]))
    assert result.f[0] == 0.5


def test_plot_writes_a_png(tmp_path):
    samples, truths = conjugate(n_obs=200, draws=50)
    out = plot(samples, truths, tmp_path / "c.png", names=["a", "b"])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_named():
    with pytest.raises(SpecError, match=r"truths: got \(3, 2\); expected shape \(4, 2\)"):
        expected_coverage(np.zeros((4, 10, 2)), np.zeros((3, 2)))
    with pytest.raises(SpecError, match=r"posterior samples: got 'non-finite values'"):
        tarp(np.full((4, 10, 1), np.nan), np.zeros(4))
    with pytest.raises(SpecError, match=r"levels: got \[0.5, 1.0\]; expected credibility levels"):
        expected_coverage(np.zeros((4, 10)), np.zeros(4), levels=[0.5, 1.0])

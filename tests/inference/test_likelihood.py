"""Exact likelihoods: the Gaussian expectation, scipy's Poisson pmf, the Poisson-Gaussian
convolution against its full sum, maximum-likelihood pulls against the Fisher error, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.special import logsumexp

import deepbench
from deepbench.core.noise import PoissonGaussian
from deepbench.errors import SpecError
from deepbench.inference.likelihood import element_log_likelihood, grad_log_likelihood
from deepbench.inference.model import Model

CIRCLE = {"simulator": "shapes.circle", "n": 64, "seed": 3,
          "config": {"height": 24, "width": 24},
          "params": {"radius": {"dist": "uniform", "low": 4, "high": 8},
                     "cx": {"dist": "uniform", "low": -2, "high": 2}},
          "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}},
          "output": {"store_clean": True}}
STAR = {"simulator": "astro.star", "n": 40, "seed": 4, "config": {"height": 24, "width": 24},
        "params": {"flux": {"dist": "uniform", "low": 2000, "high": 4000},
                   "fwhm": {"dist": "uniform", "low": 2.5, "high": 4}},
        "obs_noise": {"image": {"kind": "poisson", "gain": 1.0}}}


def test_gaussian_mean_log_likelihood_at_the_truth_is_the_expected_one():
    batch = deepbench.simulate(CIRCLE)
    ll = deepbench.log_likelihood(CIRCLE, batch.outputs["image"], batch.labels)
    d, sigma = 24 * 24, 0.1
    expected = -(d / 2) * (1 + np.log(2 * np.pi * sigma**2))
    assert ll.shape == (64,)
    assert abs(ll.mean() / expected - 1) < 0.01
    # the stored clean image is what the model computes
    np.testing.assert_allclose(Model(CIRCLE).clean(batch.labels), batch.clean["image"], atol=1e-6)


def test_poisson_log_likelihood_is_scipys_pmf_of_the_counts():
    batch = deepbench.simulate(STAR)
    ll = deepbench.log_likelihood(STAR, batch.outputs["image"], batch.labels)
    counts = np.rint(batch.outputs["image"].astype(np.float64))
    lam = Model(STAR).clean(batch.labels)
    expected = stats.poisson.logpmf(counts, lam).reshape(40, -1).sum(axis=1)
    np.testing.assert_array_equal(ll, expected)
    # a wrong flux is less likely for almost every sample
    worse = deepbench.log_likelihood(STAR, batch.outputs["image"],
                                     {**batch.labels, "flux": batch.labels["flux"] * 1.2})
    assert (worse < ll).mean() > 0.95


@pytest.mark.parametrize("gain,sigma", [(1.0, 0.5), (2.0, 3.0), (0.5, 0.05), (1.0, 40.0)])
def test_poisson_gaussian_is_the_full_convolution(gain, sigma):
    rng = np.random.default_rng(7)
    mu = np.concatenate([[0.0, 1e-3, 0.4], rng.uniform(0, 60, 40), [300.0]])
    x = rng.poisson(mu * gain) / gain + sigma * rng.normal(size=mu.size)
    x[:3] = [-0.3, 5.0, 100.0]  # far from the mean too
    got = element_log_likelihood(PoissonGaussian(kind="poisson_gaussian", gain=gain,
                                                 sigma=sigma), x, mu)
    k = np.arange(0, 4000)[None, :]
    lam = mu[:, None] * gain
    terms = stats.poisson.logpmf(k, lam) + stats.norm.logpdf(x[:, None], k / gain, sigma)
    np.testing.assert_allclose(got, logsumexp(terms, axis=1), rtol=1e-12, atol=1e-12)


def _fisher_sigma(model: Model, theta: dict, name: str, noise_sigma: float) -> np.ndarray:
    h = 1e-4
    up = model.clean({**theta, name: theta[name] + h})
    down = model.clean({**theta, name: theta[name] - h})
    d = ((up - down) / (2 * h)).reshape(up.shape[0], -1)
    return noise_sigma / np.sqrt((d * d).sum(axis=1))


def pulls(spec: dict, truth: dict, name: str, lo: float, hi: float, sigma: float,
          draws: int = 30) -> np.ndarray:
    """(θ̂ − θ)/σ_Fisher of the maximum-likelihood ``name`` over ``draws`` noise realisations."""
    model = Model(spec)
    fisher = _fisher_sigma(model, truth, name, sigma)[0]
    out = []
    for seed in range(draws):
        x = deepbench.simulate({**spec, "seed": seed}).outputs["image"]

        def nll(v: float, x: np.ndarray = x) -> float:
            return -float(deepbench.log_likelihood(model, x, {**truth, name: v})[0])

        best = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded",
                                        options={"xatol": 1e-7}).x
        out.append((best - truth[name][0]) / fisher)
    return np.array(out)


def test_maximum_likelihood_radius_of_a_circle_has_fisher_pulls():
    spec = {**CIRCLE, "n": 1, "params": {"radius": 6.3, "cx": 0.37}}
    p = pulls(spec, {"radius": np.array([6.3]), "cx": np.array([0.37])}, "radius", 5.5, 7.0, 0.1)
    assert abs(p.mean()) < 3 / np.sqrt(p.size)
    assert 0.7 < p.std(ddof=1) < 1.35


def test_maximum_likelihood_flux_of_a_star_has_fisher_pulls():
    spec = {"simulator": "astro.star", "n": 1, "config": {"height": 24, "width": 24},
            "params": {"flux": 800.0, "fwhm": 3.0, "cx": 0.2},
            "obs_noise": {"image": {"kind": "gaussian", "sigma": 2.0}}}
    p = pulls(spec, {"flux": np.array([800.0])}, "flux", 700, 900, 2.0)
    assert abs(p.mean()) < 3 / np.sqrt(p.size)
    assert 0.7 < p.std(ddof=1) < 1.35


def test_gradient_matches_the_analytic_flux_derivative():
    spec = {"simulator": "astro.star", "n": 1, "seed": 2, "config": {"height": 16, "width": 16},
            "params": {"flux": 500.0}, "obs_noise": {"image": {"kind": "gaussian", "sigma": 1.5}}}
    model = Model(spec)
    x = deepbench.simulate(spec).outputs["image"].astype(np.float64)
    # μ is linear in flux: d/dF log L = Σ (x − μ) μ₁ / σ², with μ₁ the unit-flux image
    unit = model.clean({"flux": 1.0})
    for flux in (450.0, 500.0, 560.0):
        grad = grad_log_likelihood(model, x, {"flux": flux}, ["flux"])["flux"]
        exact = ((x - flux * unit) * unit).sum() / 1.5**2
        np.testing.assert_allclose(grad, exact, rtol=1e-3)


def test_bad_input_is_named():
    batch = deepbench.simulate({**CIRCLE, "n": 2})
    x = batch.outputs["image"]
    with pytest.raises(SpecError, match=r"params.radius: got -1.0; expected a number > 0"):
        deepbench.log_likelihood(CIRCLE, x, {"radius": -1.0, "cx": 0.0})
    with pytest.raises(SpecError, match=r"x: got \(2, 20, 20\); expected observations of image "
                                        r"with shape \(B, 24, 24\)"):
        deepbench.log_likelihood(CIRCLE, np.zeros((2, 20, 20)), batch.labels)
    for value in (np.inf, np.nan, 1e300):  # cx is unbounded, yet must be a finite number
        with pytest.raises(SpecError, match=r"params.cx: got .*; expected a number.*finite, of "
                                            r"magnitude at most 1e\+100"):
            deepbench.log_likelihood(CIRCLE, x, {"radius": 5.0, "cx": value})
    with pytest.raises(SpecError, match=r"params.cx: got None; expected a value"):
        deepbench.log_likelihood(CIRCLE, x, {"radius": 5.0})
    with pytest.raises(SpecError, match=r"params.wobble: got 1; expected a parameter of "
                                        r"shapes.circle"):
        deepbench.log_likelihood(CIRCLE, x, {**batch.labels, "wobble": 1})
    with pytest.raises(SpecError, match=r"x: got 'non-finite values'"):
        deepbench.log_likelihood(CIRCLE, np.full((24, 24), np.nan), batch.labels)
    with pytest.raises(SpecError, match=r"simulator: got 'shapes.scene'; expected a "
                                        r"deterministic simulator"):
        Model({"simulator": "shapes.scene", "n": 1,
               "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}},
          "output": {"store_clean": True}})
    with pytest.raises(SpecError, match=r"output: got None; expected the name of an output with "
                                        r"observation noise \(the spec has none\)"):
        Model({"simulator": "shapes.circle", "n": 1})
    with pytest.raises(SpecError, match=r"x: got 'values off the lattice'"):
        deepbench.log_likelihood(STAR, np.full((24, 24), 0.5), {"flux": 2000, "fwhm": 3})

"""Grid reference posteriors: the linear-Gaussian case against its analytic posterior (C2ST),
a 1-D case against direct integration, priors, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import deepbench
from deepbench.errors import SpecError
from deepbench.inference.model import Model
from deepbench.inference.reference import grid_posterior, log_prior
from deepbench.metrics import c2st

# physics.oscillator without a drive is linear in (x0, v0): x(t) = x0·a(t) + v0·b(t)
OSC = {"simulator": "physics.oscillator", "n": 1, "seed": 11,
       "config": {"steps": 40, "stop": 4.0},
       "params": {"x0": {"dist": "uniform", "low": -3, "high": 3},
                  "v0": {"dist": "uniform", "low": -3, "high": 3}},
       "obs_noise": {"x": {"kind": "gaussian", "sigma": 0.3}}}


def analytic(model: Model, x: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the flat-prior posterior of a linear-Gaussian model."""
    a = np.stack([model.clean({"x0": 1.0, "v0": 0.0})[0], model.clean({"x0": 0.0, "v0": 1.0})[0]],
                 axis=1)
    cov = sigma**2 * np.linalg.inv(a.T @ a)
    mean = cov @ a.T @ x.ravel() / sigma**2
    return mean, cov


def test_a_linear_gaussian_posterior_matches_the_analytic_one():
    model = Model(OSC)
    x = deepbench.simulate(OSC).outputs["x"][0].astype(np.float64)
    mean, cov = analytic(model, x, 0.3)
    sd = np.sqrt(np.diag(cov))
    axes = {n: (m - 7 * s, m + 7 * s, 161) for n, m, s in zip(("x0", "v0"), mean, sd, strict=True)}
    post = grid_posterior(model, x, axes)
    np.testing.assert_allclose(post.mean, mean, atol=0.01 * sd.min())
    np.testing.assert_allclose(post.cov, cov, rtol=0.01, atol=0.01 * sd.min() ** 2)
    rng = np.random.default_rng(0)
    draws = post.sample(6000, rng)
    exact = rng.multivariate_normal(mean, cov, size=6000)
    result = c2st(draws, exact, rng=np.random.default_rng(1))
    assert result["auc"] <= 0.52


def test_a_one_parameter_posterior_equals_direct_integration():
    spec = {"simulator": "astro.star", "n": 1, "seed": 5, "config": {"height": 16, "width": 16},
            "params": {"fwhm": {"dist": "loguniform", "low": 2, "high": 5}, "flux": 300.0},
            "obs_noise": {"image": {"kind": "poisson", "gain": 1.0}}}
    x = deepbench.simulate(spec).outputs["image"][0]
    grid = np.linspace(2, 5, 601)
    post = grid_posterior(spec, x, {"fwhm": grid})
    ll = deepbench.log_likelihood(spec, x, {"fwhm": grid})
    dens = np.exp(ll - ll.max()) / grid  # log-uniform prior
    w = np.gradient(grid)
    np.testing.assert_allclose(post.marginal("fwhm"), dens * w / (dens * w).sum(), rtol=1e-9,
                               atol=1e-15)


def test_log_prior_densities():
    from deepbench.core.priors import LogUniform, Normal, TruncNormal, Uniform

    v = np.array([0.5, 1.0, 2.0, 4.0])
    np.testing.assert_array_equal(log_prior(Uniform(dist="uniform", low=1, high=2), v),
                                  [-np.inf, 0, 0, -np.inf])
    np.testing.assert_allclose(log_prior(LogUniform(dist="loguniform", low=1, high=4), v),
                               [-np.inf, 0, -np.log(2), -np.log(4)])
    np.testing.assert_allclose(log_prior(Normal(dist="normal", loc=1, scale=2), v),
                               -0.5 * ((v - 1) / 2) ** 2)
    got = log_prior(TruncNormal(dist="truncnormal", loc=1, scale=2, low=1, high=3), v)
    assert got[0] == -np.inf and got[3] == -np.inf


def test_bad_input_is_named():
    x = deepbench.simulate(OSC).outputs["x"][0]
    with pytest.raises(SpecError, match=r"axes.omega: got \(0, 1, 5\); expected a parameter of "
                                        r"physics.oscillator"):
        grid_posterior(OSC, x, {"omega": (0, 1, 5)})
    with pytest.raises(SpecError, match=r"axes.x0: got \[1.0, 0.0\]; expected increasing"):
        grid_posterior(OSC, x, {"x0": [1.0, 0.0]})
    with pytest.raises(SpecError, match=r"params.v0: got None; expected a value"):
        grid_posterior(OSC, x, {"x0": (-1, 1, 5)})
    with pytest.raises(SpecError, match=r"axes: got \['x0', 'v0', 'mass', 'stiffness'\]; "
                                        r"expected one to 3 parameters"):
        grid_posterior(OSC, x, {"x0": (0, 1, 3), "v0": (0, 1, 3), "mass": (1, 2, 3),
                                "stiffness": (1, 2, 3)})

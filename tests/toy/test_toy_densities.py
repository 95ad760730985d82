"""Toy densities: log-density and CDF against SciPy, samples against the exact CDF."""

import numpy as np
import pytest
from scipy import integrate, stats

import deepbench
from deepbench.errors import SpecError
from deepbench.testing import check_simulator
from deepbench.toy.densities import Camelback, GaussianMixture, Ring


@pytest.mark.parametrize("cls,config", [(Camelback, {}), (GaussianMixture, {}),
                                        (GaussianMixture, {"dim": 3, "components": 5}),
                                        (Ring, {})])
def test_contract(cls, config):
    check_simulator(cls, config)


def test_camelback_density_and_cdf_equal_scipy():
    sim = Camelback()
    x = np.linspace(-9, 9, 101)
    p = {"mu": 3.0, "sigma": 1.3, "weight": 0.3}
    ref = 0.3 * stats.norm.pdf(x, 3, 1.3) + 0.7 * stats.norm.pdf(x, -3, 1.3)
    np.testing.assert_allclose(np.exp(sim.log_density(x, p)), ref, rtol=1e-12)
    ref_cdf = 0.3 * stats.norm.cdf(x, 3, 1.3) + 0.7 * stats.norm.cdf(x, -3, 1.3)
    np.testing.assert_allclose(sim.cdf(x, p), ref_cdf, rtol=1e-12, atol=1e-300)
    # defaults: the GANplifying toy ½N(−4, 1) + ½N(4, 1)
    np.testing.assert_allclose(np.exp(sim.log_density([0.0, 4.0])),
                               [stats.norm.pdf(4.0), 0.5 * (stats.norm.pdf(0) + stats.norm.pdf(8))])


def test_camelback_samples_follow_the_cdf():
    b = deepbench.simulate("toy.camelback", n=20_000, seed=3)
    x = b.outputs["x"][:, 0]
    assert stats.kstest(x, Camelback().cdf).pvalue > 1e-3
    assert b.truth["component"].mean() == pytest.approx(0.5, abs=0.02)


def test_gaussian_mixture_density_and_cdf_equal_scipy():
    sim = GaussianMixture({"dim": 3, "components": 5})
    rng = np.random.default_rng(1)
    x = rng.normal(scale=3, size=(50, 3))
    s, sig = 2.5, 0.8
    means = s * np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0], [0, -1, 0]], float)
    pdf = np.mean([stats.multivariate_normal(m, sig**2 * np.eye(3)).pdf(x) for m in means], 0)
    cdf = np.mean([stats.multivariate_normal(m, sig**2 * np.eye(3)).cdf(x) for m in means], 0)
    p = {"separation": s, "sigma": sig}
    np.testing.assert_allclose(np.exp(sim.log_density(x, p)), pdf, rtol=1e-10)
    np.testing.assert_allclose(sim.cdf(x, p), cdf, rtol=2e-4, atol=1e-6)  # scipy's cdf is numeric


def test_gaussian_mixture_samples_and_config_check():
    b = deepbench.simulate("toy.gaussian_mixture", n=20_000, seed=4,
                           config={"dim": 2, "components": 3})
    x = b.outputs["x"]
    sim = GaussianMixture({"dim": 2, "components": 3})
    # the marginal of coordinate 0 is (1/3)[N(3, 1) + N(0, 1) + N(−3, 1)]
    marg = lambda t: (stats.norm.cdf(t, 3) + stats.norm.cdf(t) + stats.norm.cdf(t, -3)) / 3  # noqa: E731
    assert stats.kstest(x[:, 0], marg).pvalue > 1e-3
    assert np.mean(sim.cdf(np.zeros((1, 2)))) == pytest.approx(np.mean(np.all(x <= 0, 1)), abs=0.01)
    with pytest.raises(SpecError, match=r"config.components: got 5; expected at most 2 × dim = 4"):
        GaussianMixture({"dim": 2, "components": 5})


def test_ring_density_integrates_to_one_and_radius_cdf():
    sim = Ring()
    p = {"radius": 1.0, "width": 0.6}   # wide enough that negative r matters
    total = integrate.quad(lambda r: 2 * np.pi * r * np.exp(sim.log_density([[r, 0.0]], p))[0],
                           0, 10)[0]
    assert total == pytest.approx(1.0, rel=1e-8)
    b = deepbench.simulate("toy.ring", n=20_000, seed=5, radius=1.0, width=0.6)
    rho = np.hypot(*b.outputs["x"].T)
    assert stats.kstest(rho, lambda t: sim.radius_cdf(t, p)).pvalue > 1e-3
    # density along a ray equals the radial density / (2πρ) from scipy's normal
    r = np.array([0.5, 1.0, 2.0])
    ref = (stats.norm.pdf(r, 1, 0.6) + stats.norm.pdf(-r, 1, 0.6)) / (2 * np.pi * r)
    np.testing.assert_allclose(np.exp(sim.log_density(np.stack([r * 0.6, r * 0.8], 1), p)), ref,
                               rtol=1e-12)

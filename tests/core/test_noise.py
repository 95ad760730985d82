from __future__ import annotations

import numpy as np
import pytest

from deepbench.core.noise import Gaussian, ParamNoise, Poisson, PoissonGaussian, perturb
from deepbench.core.params import Param
from deepbench.errors import SpecError

LENGTH = Param("length", 1.0, "m", "length", low=0.0, open_low=True)


def test_gaussian_noise_level_and_pairing():
    x = np.zeros((2000, 8), dtype=np.float32)
    a = Gaussian(kind="gaussian", sigma=0.5).apply(x, np.random.default_rng(1))
    b = Gaussian(kind="gaussian", sigma=1.0).apply(x, np.random.default_rng(1))
    assert a.dtype == np.float32 and abs(a.std() - 0.5) < 0.01
    np.testing.assert_allclose(2 * a, b, rtol=1e-6)  # same draws, scaled: exact clean/noisy pairs


def test_poisson_noise_mean_and_variance():
    x = np.full(200000, 0.3)
    y = Poisson(kind="poisson", gain=100).apply(x, np.random.default_rng(2))
    assert abs(y.mean() - 0.3) < 1e-3
    assert abs(y.var() - 0.3 / 100) < 1e-4  # var = x / gain


def test_poisson_gaussian_variance_adds():
    x = np.full(200000, 0.5)
    y = PoissonGaussian(kind="poisson_gaussian", gain=50, sigma=0.1).apply(
        x, np.random.default_rng(3))
    assert abs(y.var() - (0.5 / 50 + 0.01)) < 5e-4


@pytest.mark.parametrize("mode", ["resample", "clip"])
def test_perturbation_respects_bounds(mode):
    v = np.full(5000, 0.1)
    out = perturb(v, ParamNoise(sigma=0.2), LENGTH, np.random.default_rng(0), mode, "f")
    assert np.all(out > 0)
    if mode == "resample":  # resampling is deterministic
        again = perturb(v, ParamNoise(sigma=0.2), LENGTH, np.random.default_rng(0), mode, "f")
        assert np.array_equal(out, again)


def test_perturbation_error_mode_names_the_field():
    with pytest.raises(SpecError, match="param_noise.length"):
        perturb(np.full(1000, 0.1), ParamNoise(sigma=0.5), LENGTH, np.random.default_rng(0),
                "error", "param_noise.length")


def test_relative_noise_scales_with_value():
    v = np.full(20000, 10.0)
    out = perturb(v, ParamNoise(sigma=0.1, relative=True), LENGTH, np.random.default_rng(0),
                  "error", "f")
    assert abs(out.std() - 1.0) < 0.03

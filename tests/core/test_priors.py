from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from deepbench.core.priors import Grid, Prior, grid_values

PRIOR = TypeAdapter(Prior)


def draw(spec: dict, n: int = 20000, seed: int = 0) -> np.ndarray:
    return PRIOR.validate_python(spec).sample(n, np.random.default_rng(seed))


def test_uniform_moments_and_range():
    x = draw({"dist": "uniform", "low": 2, "high": 5})
    assert x.min() >= 2 and x.max() < 5
    assert abs(x.mean() - 3.5) < 0.03


def test_loguniform_is_uniform_in_log():
    x = draw({"dist": "loguniform", "low": 1, "high": 100})
    assert abs(np.log10(x).mean() - 1.0) < 0.03


def test_normal_moments():
    x = draw({"dist": "normal", "loc": -1, "scale": 2})
    assert abs(x.mean() + 1) < 0.05 and abs(x.std() - 2) < 0.05


def test_truncnormal_stays_inside_and_matches_scipy_mean():
    from scipy import stats

    x = draw({"dist": "truncnormal", "loc": 0, "scale": 1, "low": 0.5, "high": 3})
    assert x.min() >= 0.5 and x.max() <= 3
    assert abs(x.mean() - stats.truncnorm(0.5, 3).mean()) < 0.02


def test_integer_priors():
    x = draw({"dist": "integers", "low": 3, "high": 5})
    assert set(np.unique(x)) == {3.0, 4.0, 5.0}
    p = draw({"dist": "poisson", "lam": 4})
    assert np.all(p == np.round(p)) and abs(p.mean() - 4) < 0.1


def test_choice_with_weights():
    x = draw({"dist": "choice", "values": [1, 2], "p": [0.25, 0.75]})
    assert abs((x == 2).mean() - 0.75) < 0.02


@pytest.mark.parametrize("bad, match", [
    ({"dist": "uniform", "low": 3, "high": 1}, "greater than low"),
    ({"dist": "normal", "loc": 0, "scale": -1}, "greater than 0"),
    ({"dist": "choice", "values": [1, 2], "p": [0.5]}, "entries"),
    ({"dist": "choice", "values": [1, 2], "p": [0.5, 0.6]}, "sum to 1"),
    ({"dist": "loguniform", "low": 0, "high": 1}, "> 0"),
    ({"dist": "gauss", "loc": 0}, "does not match"),
    ({"dist": "uniform", "low": 0, "high": 1, "extra": 1}, "Extra inputs"),
])
def test_invalid_priors_are_rejected(bad, match):
    with pytest.raises(ValidationError, match=match):
        PRIOR.validate_python(bad)


def test_grid_is_row_major_full_factorial():
    axes = {"a": Grid(dist="grid", values=[1, 2]), "b": Grid(dist="grid", values=[10, 20, 30])}
    v = grid_values(axes, np.arange(6))
    assert list(zip(v["a"], v["b"], strict=True)) == [
        (1, 10), (1, 20), (1, 30), (2, 10), (2, 20), (2, 30)]


@given(st.integers(0, 2**32 - 1), st.integers(1, 50))
def test_sampling_is_a_pure_function_of_the_generator(seed, n):
    spec = {"dist": "truncnormal", "loc": 1, "scale": 2, "low": 0, "high": 4}
    assert np.array_equal(draw(spec, n, seed), draw(spec, n, seed))

"""The GANplifying example's pieces: exact quantile edges, the 5-parameter fit, its masses."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from deepbench.toy.densities import Camelback

_PATH = Path(__file__).resolve().parents[2] / "examples" / "ganplifying.py"
spec = importlib.util.spec_from_file_location("ganplifying", _PATH)
gan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gan)


def test_true_edges_have_equal_probability():
    sim = Camelback()
    edges = gan.true_edges(sim, 20)
    np.testing.assert_allclose(np.diff(np.concatenate([[0], sim.cdf(edges), [1]])), 1 / 20,
                               atol=1e-6)


def test_fit_recovers_the_camelback_and_its_masses():
    rng = np.random.default_rng(1)
    x = np.where(rng.random(20_000) < 0.5, 4.0, -4.0) + rng.standard_normal(20_000)
    p = gan.fit_mixture(x)
    order = np.argsort(p[:2])[::-1]   # (right, left) mode
    np.testing.assert_allclose(p[:2][order], [4.0, -4.0], atol=0.05)
    np.testing.assert_allclose(p[2:4], [1.0, 1.0], atol=0.05)
    assert p[4] == pytest.approx(0.5, abs=0.02)
    masses = gan.mixture_mass(np.array([4.0, -4.0, 1.0, 1.0, 0.5]), gan.true_edges(Camelback(), 20))
    np.testing.assert_allclose(masses, 1 / 20, atol=1e-6)

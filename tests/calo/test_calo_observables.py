"""Observables on hand-made showers with known answers, and on simulated ones."""

from __future__ import annotations

import numpy as np
import pytest

from deepbench.calo import observables as obs
from deepbench.calo.geometry import PRESETS, reshape
from deepbench.calo.shower import Shower

G = PRESETS["calochallenge_ds2"]


def one_voxel(layer, angle, radius, energy=5.0):
    x = np.zeros((1, G.n_voxels))
    reshape(x, G)[0, layer, angle, radius] = energy
    return x


def test_voxel_centres_follow_the_flat_order():
    c = obs.voxel_centres(G)
    cube = lambda a: reshape(a[None], G)[0]  # noqa: E731
    assert (cube(c.layer)[7] == 7).all()
    assert cube(c.r)[0, 3, 2] == pytest.approx(2.5 * 4.65)
    assert cube(c.alpha)[0, 0, 0] == pytest.approx(-np.pi + np.pi / 16)
    assert np.allclose(c.eta, c.r * np.cos(c.alpha)) and np.allclose(c.phi, c.r * np.sin(c.alpha))


def test_single_voxel_shower():
    x = one_voxel(4, 3, 2)
    c = obs.voxel_centres(G)
    i = int(np.flatnonzero(x[0])[0])
    eta, width = obs.centre_and_width(x, G, "eta")
    assert eta[0, 4] == pytest.approx(c.eta[i]) and width[0, 4] == pytest.approx(0, abs=1e-6)
    assert eta[0, 0] == 0 and obs.layer_energy(x, G)[0, 4] == 5.0
    assert obs.total_energy(x)[0] == 5.0 and obs.hit_count(x)[0] == 1
    assert obs.sparsity(x, G)[0, 4] == pytest.approx(1 - 1 / 144)
    depth, dwidth = obs.longitudinal(x, G)
    assert depth[0] == pytest.approx(G.layer_edges_x0()[4:6].mean()) and dwidth[0] < 1e-6
    assert obs.response(x, np.array([10.0]))[0] == 0.5


def test_ring_is_centred():
    x = np.zeros((1, G.n_voxels))
    reshape(x, G)[0, 10, :, 1] = 1.0
    eta, _ = obs.centre_and_width(x, G, "eta")
    r, r_width = obs.centre_and_width(x, G, "r")
    assert abs(eta[0, 10]) < 1e-9 and r[0, 10] == pytest.approx(1.5 * 4.65)
    assert r_width[0, 10] == pytest.approx(0, abs=1e-6)


def test_linearity_resolution_and_correlation_on_simulated_showers():
    rng = np.random.default_rng(2)
    energy = np.repeat([5.0, 50.0], 400)
    res = Shower({"leakage": False, "threshold": 0.0}).simulate(
        {"energy": energy, "particle": np.zeros(800)}, rng)
    x = res.outputs["showers"]
    lr = obs.linearity_and_resolution(x, energy * 1e3, np.array([1e3, 1e4, 1e5]))
    assert lr["count"].tolist() == [400, 400]
    assert lr["linearity"] == pytest.approx(G.medium.e_hat, rel=0.01)
    lam = res.truth["spot_mean"][[0, -1]]
    assert lr["resolution"] == pytest.approx(1 / np.sqrt(lam), rel=0.1)
    names, corr = obs.correlation(obs.high_level(x, G, energy * 1e3))
    assert "response" in names and corr.shape == (len(names), len(names))
    assert np.allclose(np.diag(corr), 1) and np.allclose(corr, corr.T)
    counts, edges = obs.voxel_spectrum(x)
    assert counts.sum() == (x > 0).sum() and len(edges) == 61

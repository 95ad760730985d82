"""The physics example specs run end to end (shrunk), and `deepbench show` draws their series."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from conftest import EXAMPLES

import deepbench
from deepbench.errors import SpecError
from deepbench.io.gallery import gallery

SHRINK = {"pendulum": ["config.steps=50"], "hamiltonian_pendulum": ["config.steps=60"],
          "double_pendulum": ["config.steps=100"], "oscillator": ["config.steps=50"],
          "nbody": ["config.steps=100"]}


@pytest.mark.parametrize("name", sorted(SHRINK))
def test_example_generates_and_shows(name, tmp_path):
    out = deepbench.generate(EXAMPLES / f"{name}.yaml", tmp_path / "d.h5",
                             overrides=["n=24", "chunk_size=12", *SHRINK[name]])
    png = gallery(out, tmp_path / "g.png", count=4)
    assert png.stat().st_size > 5000
    with h5py.File(out) as f:
        if "max_energy_error" in f["truth"]:
            assert np.all(np.isfinite(f["truth/max_energy_error"][()]))
        for key in f.get("clean", {}):
            noisy, clean = f[f"outputs/{key}"][()], f[f"clean/{key}"][()]
            assert noisy.shape == clean.shape and not np.array_equal(noisy, clean)


def test_pendulum_example_keeps_clean_series_and_perturbed_gravity(tmp_path):
    out = deepbench.generate(EXAMPLES / "pendulum.yaml", tmp_path / "p.h5",
                             overrides=["n=30", "chunk_size=10", "config.steps=40"])
    with deepbench.load(out) as ds:
        lp, truth = ds.labels_perturbed, ds.truth
        g = lp["G"][()] * lp["M"][()] / lp["r"][()] ** 2
        assert np.array_equal(truth["g"][()], g)
        resid = ds.outputs["theta"][()] - ds.clean["theta"][()]
        assert 0.015 < resid.std() < 0.025  # sigma 0.02 rad
        t = ds.outputs["t"][()]
        assert np.all(np.diff(t, axis=1) >= 0) and not np.array_equal(t[0], t[1])


def test_parameter_noise_leaving_bounds_follows_on_invalid():
    spec = {"simulator": "physics.pendulum", "n": 50, "seed": 1, "config": {"steps": 10},
            "params": {"theta0": 3.1}, "param_noise": {"theta0": {"sigma": 0.2}}}
    with pytest.raises(SpecError, match="param_noise.theta0"):
        deepbench.simulate({**spec, "on_invalid": "error"})
    clipped = deepbench.simulate({**spec, "on_invalid": "clip"})
    assert clipped.labels_perturbed["theta0"].max() == np.pi
    resampled = deepbench.simulate(spec)
    assert np.all(np.abs(resampled.labels_perturbed["theta0"]) <= np.pi)
    np.testing.assert_allclose(resampled.outputs["theta"][:, 0],
                               resampled.labels_perturbed["theta0"], atol=1e-12)

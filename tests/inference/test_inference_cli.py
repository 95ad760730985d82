"""The `coverage` and `ladder` commands, run as real processes on small data."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import yaml

import deepbench
from deepbench.inference.model import Model

OSC = {"simulator": "physics.oscillator", "n": 300, "seed": 2, "config": {"steps": 30, "stop": 3.0},
       "params": {"x0": {"dist": "normal", "loc": 0, "scale": 1.5},
                  "v0": {"dist": "normal", "loc": 0, "scale": 1.5}},
       "obs_noise": {"x": {"kind": "gaussian", "sigma": 0.3}}}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deepbench.cli", *args], capture_output=True,
                          text=True)


def posterior_samples(path, draws: int, width: float) -> np.ndarray:
    """The exact (conjugate) posterior of the linear model x(t) = x0·a(t) + v0·b(t) under the
    N(0, 1.5²) priors, per observation, its s.d. scaled by ``width``."""
    model = Model(OSC)
    a = np.stack([model.clean({"x0": 1.0, "v0": 0.0})[0], model.clean({"x0": 0.0, "v0": 1.0})[0]],
                 axis=1)
    cov = np.linalg.inv(a.T @ a / 0.3**2 + np.eye(2) / 1.5**2)
    with deepbench.load(path) as ds:
        x = ds.outputs["x"][()]
    means = x @ a @ cov / 0.3**2
    rng = np.random.default_rng(5)
    chol = np.linalg.cholesky(cov) * width
    return means[:, None, :] + rng.normal(size=(len(x), draws, 2)) @ chol.T


def test_coverage_command_passes_the_exact_posterior_and_fails_an_overconfident_one(tmp_path):
    data = deepbench.generate(OSC, tmp_path / "osc.h5")
    for width, verdict in ((1.0, "calibrated: yes"), (0.7, "calibrated: NO")):
        post = tmp_path / f"post{width}.npz"
        np.savez(post, samples=posterior_samples(data, 100, width), names=np.array(["x0", "v0"]))
        proc = run("coverage", "--dataset", str(data), "--posterior-samples", str(post),
                   "-o", str(tmp_path / f"rep{width}"), "--strict")
        assert verdict in proc.stdout, proc.stdout + proc.stderr
        assert proc.returncode == (0 if width == 1.0 else 1)
        summary = json.loads((tmp_path / f"rep{width}" / "coverage.json").read_text())
        assert summary["calibrated"] is (width == 1.0)
        assert (tmp_path / f"rep{width}" / "coverage.png").stat().st_size > 1000


def test_coverage_command_names_bad_input(tmp_path):
    data = deepbench.generate({**OSC, "n": 20}, tmp_path / "osc.h5")
    post = tmp_path / "p.npz"
    np.savez(post, samples=np.zeros((20, 10, 3)), names=np.array(["x0", "v0", "wobble"]))
    proc = run("coverage", "--dataset", str(data), "--posterior-samples", str(post))
    assert proc.returncode == 2
    assert "--params: got ['wobble']; expected label names of the dataset (" in proc.stderr
    np.savez(post, samples=np.zeros((20, 10, 3)))
    proc = run("coverage", "--dataset", str(data), "--posterior-samples", str(post),
               "--params", "x0,v0")
    assert "expected samples of shape (N, S, 2) for the parameters x0, v0" in proc.stderr


def test_ladder_command(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({**OSC, "n": 20}))
    proc = run("ladder", str(spec), "-o", str(tmp_path / "lad"),
               "--axis", "obs_noise.x.sigma=0,0.1,0.5")
    assert proc.returncode == 0, proc.stderr
    assert "wrote 3 rungs" in proc.stdout
    assert (tmp_path / "lad" / "rung_002.h5").exists()
    proc = run("ladder", str(spec), "-o", str(tmp_path / "lad2"), "--axis", "obs_noise.y.sigma=0")
    assert proc.returncode == 2
    assert "--axis obs_noise.y.sigma" in proc.stderr
    assert not (tmp_path / "lad2").exists()

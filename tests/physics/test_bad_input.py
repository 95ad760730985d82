"""Bad physics input fails before any work, naming the field."""

from __future__ import annotations

import numpy as np
import pytest

import deepbench
from deepbench.errors import SpecError


@pytest.mark.parametrize(("name", "config", "field"), [
    ("physics.pendulum", {"start": 2.0, "stop": 1.0}, "config.stop"),
    ("physics.pendulum", {"steps": 10**6}, "config.steps"),
    ("physics.oscillator", {"sampling": "explicit", "times": [1.0, 0.5]}, "config.times"),
    ("physics.oscillator", {"times": [1.0]}, "config.times"),
    ("physics.hamiltonian_pendulum", {"dt": -0.1}, "config.dt"),
    ("physics.hamiltonian_pendulum", {"steps": 10**6, "every": 1}, "config.every"),
    ("physics.nbody", {"n_bodies": 65}, "config.n_bodies"),
    ("physics.nbody", {"n_bodies": 1}, "config.n_bodies"),
    ("physics.nbody", {"softening": -0.1}, "config.softening"),
    ("physics.nbody", {"initial": "kepler", "n_bodies": 3}, "config.n_bodies"),
])
def test_bad_settings_name_the_field(name, config, field):
    with pytest.raises(SpecError) as err:
        deepbench.simulate(name, n=1, config=config)
    assert any(p.field == field for p in err.value.problems), str(err.value)


def test_eccentricity_one_is_refused_before_work():
    with pytest.raises(SpecError, match="params.eccentricity"):
        deepbench.simulate("physics.nbody", n=1, eccentricity=1.0,
                           config={"initial": "kepler", "n_bodies": 2})


def test_step_too_large_for_the_period_is_refused_naming_dt():
    with pytest.raises(SpecError, match=r"config\.dt: got 0\.5; .*1/20 of the shortest period"):
        deepbench.simulate("physics.hamiltonian_pendulum", n=2, config={"dt": 0.5})
    with pytest.raises(SpecError, match=r"config\.dt"):
        deepbench.simulate("physics.nbody", n=1, config={
            "initial": "kepler", "n_bodies": 2, "dt": 0.2, "steps": 10}, eccentricity=0.9)
    with pytest.raises(SpecError, match=r"config\.dt"):
        deepbench.simulate("physics.double_pendulum", n=1, config={"dt": 0.2, "steps": 5})


def test_inactive_nbody_parameters_are_refused():
    with pytest.raises(SpecError, match="eccentricity is unused here"):
        deepbench.simulate("physics.nbody", n=1, eccentricity=0.2)


def test_close_encounters_are_flagged_in_truth():
    b = deepbench.simulate("physics.nbody", n=64, seed=2, virial_ratio=0.05,
                           config={"n_bodies": 3, "softening": 0.0, "steps": 400, "dt": 0.005})
    err = b.truth["max_energy_error"]
    assert err.shape == (64,) and np.all(np.isfinite(err)) and err.max() > 1e-3


@pytest.mark.parametrize("simulator, params", [
    ("physics.double_pendulum", {"length1": {"dist": "uniform", "low": 0.001, "high": 2.0}}),
    ("physics.hamiltonian_pendulum", {"length": {"dist": "loguniform", "low": 1e-4, "high": 1.0}}),
])
def test_a_step_too_long_for_some_drawn_sample_is_refused_before_any_work(tmp_path, simulator,
                                                                          params):
    spec = {"simulator": simulator, "n": 3000, "chunk_size": 100, "params": params}
    calls: list[int] = []
    with pytest.raises(SpecError, match=r"config\.dt: got .*1/20 of the shortest period"):
        deepbench.generate(spec, tmp_path / "d.h5", progress=lambda done, total: calls.append(done))
    assert calls == [] and list(tmp_path.iterdir()) == []  # no chunk computed, nothing written

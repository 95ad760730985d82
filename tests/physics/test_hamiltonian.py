"""physics.hamiltonian_pendulum: bounded energy error, convergence orders, exact trajectory."""

from __future__ import annotations

import numpy as np
import pytest

import deepbench
from deepbench.physics.hamiltonian import integrate
from deepbench.physics.pendulum import exact

Q0 = np.array([0.5, 2.0, 3.0])


def _energy_error(method: str, dt: float, steps: int) -> np.ndarray:
    q, p, _ = integrate(Q0, np.zeros(3), np.ones(3), np.full(3, 9.81), dt, steps, 1, method)
    h = 0.5 * p**2 + 9.81 * (1 - np.cos(q))
    return np.abs(h - h[:, :1]).max(axis=1) / h[:, 0]


@pytest.mark.parametrize("method", ["leapfrog", "yoshida4"])
def test_no_secular_energy_drift(method):
    short, long = _energy_error(method, 0.02, 1_000), _energy_error(method, 0.02, 10_000)
    assert np.all(long < 1.05 * short)  # bounded: ten times longer is no worse
    assert np.all(long < (2e-3 if method == "leapfrog" else 3e-5))


@pytest.mark.parametrize(("method", "order"), [("leapfrog", 2), ("yoshida4", 4)])
def test_error_scales_with_the_order(method, order):
    errors = [_energy_error(method, dt, round(4 / dt)) for dt in (0.02, 0.01, 0.005)]
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    np.testing.assert_allclose(ratios, 2.0**order, rtol=0.05)
    # the trajectory converges to the exact (elliptic) solution at the same order
    traj = []
    for dt in (0.02, 0.01):
        steps = round(4 / dt)
        q = integrate(Q0, np.zeros(3), np.ones(3), np.full(3, 9.81), dt, steps, 1, method)[0]
        ref = exact(Q0, np.zeros(3), np.full(3, np.sqrt(9.81)), np.arange(steps + 1) * dt)[0]
        traj.append(np.abs(q - ref).max())
    assert traj[0] / traj[1] == pytest.approx(2.0**order, rel=0.1)


def test_outputs_are_hamiltons_equations():
    b = deepbench.simulate("physics.hamiltonian_pendulum", n=4, seed=0, length=0.5, mass=2.0,
                           q0={"dist": "uniform", "low": -3, "high": 3}, p0=0.3,
                           config={"steps": 200, "every": 4, "dt": 0.005})
    o = b.outputs
    assert o["q"].shape == (4, 51)
    np.testing.assert_allclose(o["dq_dt"], o["p"] / (2.0 * 0.25))
    np.testing.assert_allclose(o["dp_dt"], -2.0 * 9.81 * 0.5 * np.sin(o["q"]), atol=1e-12)
    np.testing.assert_allclose(b.truth["max_energy_error"],
                               np.abs(o["H"] - o["H"][:, :1]).max(1) / o["H"][:, 0])
    assert np.all(b.truth["max_energy_error"] < 1e-6)

"""physics.hamiltonian_pendulum: bounded energy error, convergence orders, exact trajectory."""

from __future__ import annotations

import numpy as np
import pytest

import deepbench
from deepbench.physics.hamiltonian import integrate, sin_half_tan
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


_ANGLES = np.concatenate([
    np.linspace(-10.0, 10.0, 20_001), [0.0, -0.0, 1e-300, 5e-324, 1e-8, -1e-8],
    np.pi * np.arange(-64, 65), np.nextafter(np.pi, 0) * np.array([1, -1, 3, -3]),
    np.pi / 2 * np.array([1, -1, 3, -3]), [1e4, -12345.678, 1e6 + 0.1],
    np.random.default_rng(3).uniform(-100, 100, 10_000)])


def test_sin_from_the_half_angle_tangent_is_np_sin_to_a_few_ulp():
    # the integrator's force and H use sin q = 2τ/(1 + τ²), 1 − cos q = τ sin q, τ = tan(q/2)
    sin, one_minus_cos = sin_half_tan(_ANGLES)
    ref = np.sin(_ANGLES)
    assert np.all(np.abs(sin - ref) <= 4 * np.spacing(np.abs(ref)) + 1e-320)
    half = np.sin(_ANGLES / 2)
    ref = 2 * half * half  # 1 − cos q without cancellation near 0
    assert np.all(np.abs(one_minus_cos - ref) <= 8 * np.spacing(ref) + 1e-320)
    assert np.all(np.isfinite(sin)) and np.all(np.isfinite(one_minus_cos))


def test_integrator_force_is_the_half_angle_formula():
    q, _, force = integrate(Q0, np.array([0.0, 1.0, -2.0]), np.ones(3), np.full(3, 9.81), 0.01,
                            300, 3, "yoshida4")
    np.testing.assert_array_equal(force, sin_half_tan(q)[0])
    np.testing.assert_allclose(force, np.sin(q), rtol=0, atol=4e-16)


def test_sin_below_the_overflow_of_one_over_tau_is_zero_within_its_stated_bound():
    # the docstring: a few ulp for |q| >= 1e-307; below, 1/τ may overflow and sin q comes out 0,
    # within 5e-308 of the truth; τ = ±0 gives exactly ±0
    q = np.concatenate([np.geomspace(1e-307, 1e-300, 50), -np.geomspace(1e-307, 1e-300, 50)])
    sin = sin_half_tan(q)[0]
    assert np.all(np.abs(sin - np.sin(q)) <= 4 * np.spacing(np.abs(q)))
    tiny = np.concatenate([np.geomspace(5e-324, 1e-307, 200), [2.2250738585072014e-308]])
    sin = sin_half_tan(np.concatenate([tiny, -tiny]))[0]
    assert np.all(np.abs(sin - np.concatenate([tiny, -tiny])) <= 5e-308)
    assert np.any(sin == 0) and np.all(np.isfinite(sin))  # the overflow does happen here
    zeros = sin_half_tan(np.array([0.0, -0.0]))[0]
    assert zeros[0] == 0 and zeros[1] == 0 and np.signbit(zeros[1]) and not np.signbit(zeros[0])


@pytest.mark.parametrize("method", ["leapfrog", "yoshida4"])
def test_outputs_at_a_stride_are_the_full_series_subsampled_and_start_at_the_labels(method):
    spec = {"n": 5, "seed": 4, "q0": {"dist": "uniform", "low": -3, "high": 3},
            "p0": {"dist": "uniform", "low": -2, "high": 2},
            "length": {"dist": "uniform", "low": 0.5, "high": 2}}
    full = deepbench.simulate("physics.hamiltonian_pendulum",
                              config={"steps": 90, "every": 1, "method": method}, **spec)
    strided = deepbench.simulate("physics.hamiltonian_pendulum",
                                 config={"steps": 90, "every": 7, "method": method}, **spec)
    for name, series in full.outputs.items():
        np.testing.assert_array_equal(strided.outputs[name], series[:, ::7])
    np.testing.assert_array_equal(full.outputs["q"][:, 0], full.labels["q0"])
    np.testing.assert_array_equal(full.outputs["p"][:, 0], full.labels["p0"])


def test_energy_output_is_the_hamiltonian_of_the_stored_state():
    b = deepbench.simulate("physics.hamiltonian_pendulum", n=6, seed=2, mass=3.0,
                           length={"dist": "uniform", "low": 0.3, "high": 3},
                           q0={"dist": "uniform", "low": -3.1, "high": 3.1},
                           p0={"dist": "uniform", "low": -30, "high": 30},
                           config={"steps": 500, "dt": 0.002})
    o, lab = b.outputs, b.labels
    inertia, mgl = 3.0 * lab["length"] ** 2, 3.0 * 9.81 * lab["length"]
    ref = o["p"] ** 2 / (2 * inertia[:, None]) + mgl[:, None] * 2 * np.sin(o["q"] / 2) ** 2
    np.testing.assert_allclose(o["H"], ref, rtol=1e-14, atol=0)
    assert np.any(np.abs(o["q"]) > np.pi)  # rotating samples are in the set

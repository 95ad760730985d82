"""physics.double_pendulum: energy error at the default step, order, chaos."""

from __future__ import annotations

import numpy as np

from deepbench.physics.double_pendulum import DoublePendulum, integrate

ONES = {k: np.ones(1) for k in ("length1", "length2", "mass1", "mass2")} | {"g": np.full(1, 9.81)}


def _params(theta1, theta2):
    n = len(theta1)
    return {**{k: np.repeat(v, n) for k, v in ONES.items()}, "theta1": np.asarray(theta1),
            "theta2": np.asarray(theta2), "omega1": np.zeros(n), "omega2": np.zeros(n)}


def test_energy_error_below_1e6_over_20s_at_the_default_step():
    sim = DoublePendulum({"steps": 4000})  # default dt = 0.005 s: 20 s
    r = sim.simulate(_params([2.0, 3.0, -1.5], [2.0, -2.5, 3.0]), np.random.default_rng(0))
    assert np.all(r.truth["max_energy_error"] < 1e-6)
    e = r.outputs["energy"]
    assert np.all(np.abs(e - e[:, :1]) <= 1e-6 * e[:, :1])


def test_sixth_order_convergence():
    s = np.array([[2.0], [2.0], [0.0], [0.0]])
    ref = integrate(s, ONES, 0.00125, 800, 800)[:, :, -1]
    errs = [np.abs(integrate(s, ONES, dt, round(1 / dt), round(1 / dt))[:, :, -1] - ref).max()
            for dt in (0.01, 0.005)]
    assert 50 < errs[0] / errs[1] < 70  # 2⁶ = 64


def test_trajectories_1e9_apart_diverge_with_positive_lyapunov_exponent():
    sim = DoublePendulum({"steps": 1200, "every": 10, "dt": 0.01})  # 12 s
    r = sim.simulate(_params([2.0, 2.0 + 1e-9], [2.0, 2.0]), np.random.default_rng(0))
    o = r.outputs
    gap = np.sqrt(sum((o[k][0] - o[k][1]) ** 2 for k in ("theta1", "theta2", "omega1", "omega2")))
    t = np.arange(gap.size) * 0.1
    growing = (gap > 1e-8) & (gap < 1e-2)
    slope = np.polyfit(t[growing], np.log(gap[growing]), 1)[0]
    assert slope > 0.5  # the largest Lyapunov exponent estimate, 1/s
    assert gap[-1] > 1e-3

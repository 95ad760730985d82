"""physics.oscillator: closed form against solve_ivp in all three damping regimes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import deepbench
from deepbench.physics.oscillator import solve


def one(z: float) -> np.ndarray:
    return np.array([z])


@pytest.mark.parametrize("damping", [0.4, 2 * np.sqrt(10.0), 15.0])  # ζ ≈ 0.06, 1, 2.4
@pytest.mark.parametrize("force", [0.0, 3.0])
def test_closed_form_matches_dop853(damping, force):
    m, k, x0, v0, drive, phase = 1.0, 10.0, 0.7, -1.3, 2.5, 0.4
    t = np.linspace(0, 12, 301)

    def rhs(tt, y):
        return [y[1], (force * np.cos(drive * tt + phase) - damping * y[1] - k * y[0]) / m]

    ref = solve_ivp(rhs, (0, 12), [x0, v0], method="DOP853", rtol=3e-14, atol=1e-15, t_eval=t)
    x, v = solve(one(m), one(k), one(damping), one(x0), one(v0), one(force), one(drive),
                 one(phase), t)
    assert np.abs(x[0] - ref.y[0]).max() < 1e-9
    assert np.abs(v[0] - ref.y[1]).max() < 1e-9


def test_undamped_resonance_grows_linearly():
    t = np.linspace(0, 20, 201)
    x, v = solve(one(1.0), one(4.0), one(0.0), one(0.0), one(0.0), one(1.0), one(2.0),
                 one(0.0), t)
    np.testing.assert_allclose(x[0], t * np.sin(2 * t) / 4, atol=1e-12)


def test_strong_overdamping_neither_overflows_nor_cancels():
    b = deepbench.simulate("physics.oscillator", n=1, stiffness=100.0, damping=2000.0,
                           config={"stop": 50.0, "steps": 50})
    x = b.outputs["x"][0]
    assert np.all(np.isfinite(x)) and np.all(np.diff(x) <= 0) and x[-1] > 0
    assert b.truth["damping_ratio"][0] == pytest.approx(100.0)

"""physics.pendulum against mpmath (30 digits), an independent integration, and its own laws."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.special import ellipk

import deepbench
from deepbench.physics.pendulum import Pendulum, exact

G = 9.81
THETA = np.deg2rad([10.0, 90.0, 150.0, 170.0, -170.0, 30.0, 0.0])
OMEGA = np.array([0.0, 0.5, 0.0, 0.0, 0.0, 8.0, -7.0])  # the last two rotate (k² > 1)


def _mp_theta(theta0: float, omega0: float, w: float, times: np.ndarray) -> np.ndarray:
    """θ(t) at 30 digits from mpmath's Jacobi elliptic functions (same formulas, independent code)."""
    mpmath.mp.dps = 30
    th0, om0, w = mpmath.mpf(theta0), mpmath.mpf(omega0), mpmath.mpf(w)
    v, s = om0 / (2 * w), mpmath.sin(th0 / 2)
    m = v * v + s * s
    k = mpmath.sqrt(m)
    out = []
    for t in times:
        if m <= 1:
            u = w * mpmath.mpf(t) + mpmath.ellipf(mpmath.atan2(s, v), m)
            out.append(2 * mpmath.atan2(k * mpmath.ellipfun("sn", u, m=m),
                                        mpmath.ellipfun("dn", u, m=m)))
        else:
            sign = mpmath.sign(v)
            u = k * w * mpmath.mpf(t) + mpmath.ellipf(sign * th0 / 2, 1 / m)
            # am(u | 1/m) is the inverse of the incomplete integral F: solve F(φ) = u
            phi = mpmath.findroot(lambda x, u=u: mpmath.ellipf(x, 1 / m) - u,
                                  mpmath.pi * u / (2 * mpmath.ellipk(1 / m)))
            out.append(2 * sign * phi)
    return np.array([float(x) for x in out])


def _periods() -> np.ndarray:
    m = (0.5 * OMEGA / np.sqrt(G)) ** 2 + np.sin(THETA / 2) ** 2
    return np.where(m <= 1, 4 * ellipk(np.minimum(m, 1)), 2 * ellipk(1 / np.maximum(m, 1))
                    / np.sqrt(m)) / np.sqrt(G)


def test_exact_matches_mpmath_over_ten_periods():
    w = np.full(THETA.size, np.sqrt(G))
    horizon = 10 * _periods().max()
    t = np.linspace(0.0, horizon, 2001)
    uniform = exact(THETA, OMEGA, w, t, uniform=True)[0]
    direct = exact(THETA, OMEGA, w, t)[0]
    pick = np.arange(0, t.size, 250)
    for i in range(THETA.size):
        ref = _mp_theta(THETA[i], OMEGA[i], np.sqrt(G), t[pick])
        assert np.abs(uniform[i, pick] - ref).max() < 1e-10
        assert np.abs(direct[i, pick] - ref).max() < 1e-10
    assert np.abs(uniform - direct).max() < 1e-10  # addition theorem vs one ellipj per step


def test_exact_matches_dop853_over_ten_periods():
    w = np.full(THETA.size, np.sqrt(G))
    horizon = 10 * _periods().max()
    t = np.linspace(0.0, horizon, 501)

    def rhs(_, y):
        th, om = y[: THETA.size], y[THETA.size:]
        return np.concatenate([om, -G * np.sin(th)])

    sol = solve_ivp(rhs, (0, horizon), np.concatenate([THETA, OMEGA]), method="DOP853",
                    rtol=3e-14, atol=1e-15, t_eval=t)
    theta, omega = exact(THETA, OMEGA, w, t, uniform=True)[:2]
    assert np.abs(theta - sol.y[: THETA.size]).max() < 1e-9
    assert np.abs(omega - sol.y[THETA.size:]).max() < 1e-8


def test_libration_period_is_4K_over_omega0():
    amp = np.deg2rad([5.0, 60.0, 120.0, 170.0])
    w = np.sqrt(G / 2.0)
    period = 4 * ellipk(np.sin(amp / 2) ** 2) / w
    # one period later the state returns exactly; half a period later θ = −θ_max
    for frac, sign in ((1.0, 1.0), (0.5, -1.0)):
        th, om = exact(amp, np.zeros(4), np.full(4, w), np.array([0.0]), uniform=False)[:2]
        later = np.stack([exact(amp[i:i + 1], np.zeros(1), np.full(1, w),
                                np.array([frac * period[i]]))[0][0, 0] for i in range(4)])
        assert np.allclose(later, sign * amp, atol=1e-12, rtol=0)
    sim = Pendulum({"steps": 3})
    out = sim.simulate({"length": np.full(4, 2.0), "theta0": amp, "omega0": np.zeros(4),
                        "g": np.full(4, G), "mass": np.ones(4)}, np.random.default_rng(0))
    np.testing.assert_allclose(out.truth["period"], period, rtol=1e-14)
    np.testing.assert_allclose(out.truth["amplitude"], amp, rtol=1e-12)


def test_small_angle_agrees_to_third_order():
    errors = []
    for amp in (0.08, 0.04, 0.02):
        batch = deepbench.simulate("physics.pendulum", n=1, theta0=amp,
                                   config={"stop": 5.0, "steps": 400})
        small = deepbench.simulate("physics.pendulum", n=1, theta0=amp,
                                   config={"stop": 5.0, "steps": 400,
                                           "approximation": "small_angle"})
        errors.append(np.abs(batch.outputs["theta"] - small.outputs["theta"]).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all(np.abs(ratios - 8) < 0.1), ratios  # halving θ₀ divides the gap by 2³


def test_noise_on_G_M_r_reaches_truth_g_exactly():
    spec = {"simulator": "physics.pendulum", "n": 40, "seed": 3,
            "config": {"steps": 20},
            "params": {"G": 6.674e-11, "M": 5.972e24,
                       "r": {"dist": "uniform", "low": 6.3e6, "high": 6.4e6}},
            "param_noise": {"G": {"sigma": 0.01, "relative": True},
                            "M": {"sigma": 0.02, "relative": True},
                            "r": {"sigma": 1e4}}}
    b = deepbench.simulate(spec)
    lp = b.labels_perturbed
    assert np.array_equal(b.truth["g"], lp["G"] * lp["M"] / lp["r"] ** 2)
    assert not np.array_equal(lp["G"], b.labels["G"])
    # and the trajectories use that g: the small-angle frequency is √(g/L)
    w0 = 2 * np.pi / b.truth["period"]
    m = np.sin(b.labels["theta0"] / 2) ** 2
    np.testing.assert_allclose(w0 * 4 * ellipk(m) / (2 * np.pi), np.sqrt(b.truth["g"]),
                               rtol=1e-13)


def test_small_angle_bob_sits_at_theta_and_conserves_its_harmonic_energy():
    b = deepbench.simulate("physics.pendulum", n=3, theta0=0.3, omega0=0.2, length=2.0,
                           config={"approximation": "small_angle", "steps": 100})
    o = b.outputs
    np.testing.assert_allclose(o["x"] ** 2 + o["y"] ** 2, 4.0, rtol=1e-14)
    np.testing.assert_allclose(o["potential_energy"], 0.5 * 9.81 * 2.0 * o["theta"] ** 2)
    assert np.all(b.truth["max_energy_error"] < 1e-13)


@pytest.mark.parametrize("sampling", ["uniform", "random", "explicit"])
def test_time_grids_and_outputs_are_consistent(sampling):
    config = {"sampling": sampling, "stop": 3.0, "steps": 50}
    if sampling == "explicit":
        config = {"sampling": "explicit", "times": [0.0, 0.1, 0.5, 0.5, 2.0]}
    b = deepbench.simulate("physics.pendulum", n=6, seed=1, config=config,
                           theta0={"dist": "uniform", "low": -3, "high": 3},
                           omega0={"dist": "uniform", "low": -9, "high": 9}, length=0.7, mass=2.0)
    o, t = b.outputs, b.outputs["t"]
    assert np.all(np.diff(t, axis=1) >= 0)
    w = np.sqrt(9.81 / 0.7)
    ref = exact(b.labels["theta0"], b.labels["omega0"], np.full(6, w), t)  # per-row times
    np.testing.assert_allclose(o["theta"], ref[0], atol=1e-12, rtol=0)
    np.testing.assert_allclose(o["x"], 0.7 * np.sin(o["theta"]), atol=1e-12)
    np.testing.assert_allclose(o["y"], -0.7 * np.cos(o["theta"]), atol=1e-12)
    np.testing.assert_allclose(o["total_energy"], np.broadcast_to(o["total_energy"][:, :1], t.shape),
                               rtol=1e-12)
    assert np.all(b.truth["max_energy_error"] < 1e-12)
    if sampling == "random":
        assert not np.array_equal(t[0], t[1])


def test_unstable_equilibrium_stays():
    th, om = exact(np.array([np.pi]), np.zeros(1), np.ones(1), np.linspace(0, 5, 20))[:2]
    assert np.all(th == np.pi) and np.all(om == 0)


@pytest.mark.parametrize("deg", [179.99, 179.999, 179.9999])
def test_near_the_separatrix_error_is_the_conditioning_of_m(deg):
    """SciPy's ellipj is evaluated only at |u| <= K/2 (its expansion for m > 1 − 1e-9 fails far
    from 0); what is left is m's own rounding, about 1e-16/(1 − m) rad."""
    theta0 = np.deg2rad(np.array([deg]))
    m = np.sin(theta0[0] / 2) ** 2
    w = np.sqrt(G)
    t = np.linspace(0.0, 3 * 4 * ellipk(m) / w, 301)
    for uniform in (True, False):
        theta = exact(theta0, np.zeros(1), np.full(1, w), t, uniform=uniform)[0][0]
        ref = _mp_theta(theta0[0], 0.0, w, t[::50])
        assert np.abs(theta[::50] - ref).max() < 1e-15 / (1 - m)


@pytest.mark.parametrize("steps", [1000, 777, 50, 16])
def test_uniform_outputs_match_one_ellipj_per_step_and_their_formulas(steps):
    # simulate() on a uniform grid builds every output from the addition-theorem tables;
    # compare with the direct path (one ellipj call per time) and the textbook formulas
    theta0 = np.array([0.3, -2.0, 3.0, 179.999 / 180 * np.pi, np.pi, 1.0, -1.0, 0.0])
    omega0 = np.array([0.0, 1.5, -0.2, 0.0, 0.0, 9.0, -12.0, 0.0])  # rotating, resting, at rest
    length, mass = np.array([0.5, 1.0, 2.0, 1.0, 1.5, 0.7, 3.0, 1.0]), 2.5
    sim = Pendulum({"stop": 15.0, "steps": steps})
    params = {"theta0": theta0, "omega0": omega0, "length": length, "g": np.full(8, G),
              "mass": np.full(8, mass)}
    o = sim.simulate(params, np.random.default_rng(0)).outputs
    t = np.linspace(0.0, 15.0, steps)
    w = np.sqrt(G / length)
    theta, omega = exact(theta0, omega0, w, t)[:2]  # no tables: one ellipj per time
    lim = np.where(np.arange(8) == 3, 1e-15 / (1 - np.sin(theta0[3] / 2) ** 2), 1e-12)[:, None]
    assert np.all(np.abs(o["theta"] - theta) <= lim)
    # θ' too, also near the separatrix (where D = 1 − m sn²U sn²v would lose digits: on a
    # 16-step grid at 179.999° that gave θ' off by 6e-3 and y by 3e-2)
    np.testing.assert_allclose(o["omega"], omega, rtol=0, atol=1e-10)
    th = o["theta"]
    ll = length[:, None]
    # x, y and the energies come from sin(θ/2), cos(θ/2), not from θ: they agree with θ to the
    # tables' accuracy (≈1e-12; near the separatrix, the conditioning of m), not to round-off
    tol = np.maximum(lim, 3e-12)
    assert np.all(np.abs(o["x"] - ll * np.sin(th)) <= tol)
    assert np.all(np.abs(o["y"] + ll * np.cos(th)) <= tol)
    pe = mass * G * ll * 2 * np.sin(th / 2) ** 2
    assert np.all(np.abs(o["potential_energy"] - pe) <= 30 * mass * G * ll * tol)
    np.testing.assert_allclose(o["kinetic_energy"], 0.5 * mass * ll**2 * o["omega"] ** 2,
                               rtol=1e-14, atol=0)
    np.testing.assert_array_equal(o["total_energy"], o["kinetic_energy"] + o["potential_energy"])
    np.testing.assert_array_equal(o["t"], np.broadcast_to(t, (8, steps)))
    assert np.all(o["theta"][4] == np.pi) and np.all(o["theta"][7] == 0)


@pytest.mark.parametrize("steps", [16, 50, 1000])
def test_public_uniform_path_is_right_near_the_separatrix_on_both_sides(steps):
    # exact(..., uniform=True) and rotating samples use the addition theorem (_add); its
    # denominator must not lose digits where m sn²U sn²v → 1
    w = np.sqrt(G / 1.0)
    theta0 = np.array([179.999 / 180 * np.pi, 0.0, 0.0, -np.pi + 1e-6])
    omega0 = np.array([0.0, 2 * w * (1 + 1e-9), -2 * w * (1 + 1e-6), 2e-5])  # rotating: m > 1
    t = np.linspace(0.0, 12.0, steps)
    wv = np.full(4, w)
    fast = exact(theta0, omega0, wv, t, uniform=True)
    slow = exact(theta0, omega0, wv, t)  # one ellipj per time
    m = np.sin(theta0 / 2) ** 2 + (omega0 / (2 * w)) ** 2
    lim = (1e-14 / np.abs(1 - m))[:, None]
    for a, b in zip(fast, slow, strict=True):
        assert np.all(np.abs(a - b) <= lim * np.maximum(1.0, np.abs(b)))

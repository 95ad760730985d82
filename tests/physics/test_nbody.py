"""physics.nbody with softening 0: Kepler orbit, momentum, figure-eight, convergence orders."""

from __future__ import annotations

import numpy as np
import pytest

from deepbench.physics.nbody import FIGURE_EIGHT_PERIOD, NBody


def _run(config, **params):
    batch = len(next(iter(params.values())))
    sim = NBody({"softening": 0.0, **config})
    full = {"total_mass": np.ones(batch), **params}
    return sim.simulate(full, np.random.default_rng(5))


def test_kepler_period_and_eccentricity():
    e = np.array([0.0, 0.3, 0.6])
    steps = 2600  # dt = P/2000, 1.3 periods
    r = _run({"initial": "kepler", "n_bodies": 2, "dt": 2 * np.pi / 2000, "steps": steps},
             semi_major_axis=np.ones(3), eccentricity=e, mass_ratio=np.array([1.0, 0.5, 0.1]))
    x, v = r.outputs["positions"], r.outputs["velocities"]
    rel, vrel = x[:, :, 1] - x[:, :, 0], v[:, :, 1] - v[:, :, 0]
    # eccentricity from the Laplace–Runge–Lenz vector at every step (G M = 1)
    h = np.cross(rel, vrel)
    lrl = np.cross(vrel, h) - rel / np.linalg.norm(rel, axis=-1, keepdims=True)
    ecc = np.linalg.norm(lrl, axis=-1)
    assert np.all(np.abs(ecc - e[:, None]) <= 1e-6 * np.maximum(e[:, None], 1.0))
    # period: the relative vector crosses y = 0 upwards again; cubic Hermite root in the step
    dt = 2 * np.pi / 2000
    y, vy = rel[..., 1], vrel[..., 1]
    for b in range(3):
        j = np.flatnonzero((y[b, 1:] >= 0) & (y[b, :-1] < 0) & (rel[b, 1:, 0] > 0))[0]
        s = 0.5
        for _ in range(30):  # Newton on the Hermite cubic of y over [t_j, t_j+1]
            h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
            h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
            f = h00 * y[b, j] + h10 * dt * vy[b, j] + h01 * y[b, j + 1] + h11 * dt * vy[b, j + 1]
            df = ((6 * s**2 - 6 * s) * y[b, j] + (3 * s**2 - 4 * s + 1) * dt * vy[b, j]
                  + (-6 * s**2 + 6 * s) * y[b, j + 1] + (3 * s**2 - 2 * s) * dt * vy[b, j + 1])
            s -= f / df
        period = (j + s) * dt
        assert period == pytest.approx(2 * np.pi, rel=1e-6)
    np.testing.assert_allclose(r.truth["period"], 2 * np.pi)


def test_momentum_is_conserved():
    r = _run({"initial": "random", "n_bodies": 8, "dt": 0.001, "steps": 300},
             radius=np.ones(4), virial_ratio=np.full(4, 0.5))
    v = r.outputs["velocities"]
    mass = 1 / 8
    total = mass * v.sum(axis=2)  # (B, T, 3)
    scale = mass * np.linalg.norm(v, axis=-1).sum(axis=2)  # Σ|p_i|
    assert np.all(np.linalg.norm(total - total[:, :1], axis=-1) <= 1e-12 * scale)


def test_figure_eight_returns_after_one_period():
    r = _run({"initial": "figure_eight", "n_bodies": 3, "dt": FIGURE_EIGHT_PERIOD / 2000,
              "steps": 2000}, radius=np.ones(1), total_mass=np.full(1, 3.0))
    x = r.outputs["positions"][0]
    assert np.abs(x[-1] - x[0]).max() < 1e-3
    assert r.truth["max_energy_error"][0] < 1e-9


@pytest.mark.parametrize(("method", "order"), [("leapfrog", 2), ("yoshida4", 4)])
def test_energy_error_order(method, order):
    errors = []
    for n in (400, 800):
        r = _run({"initial": "kepler", "n_bodies": 2, "dt": 2 * np.pi / n, "steps": n,
                  "method": method}, semi_major_axis=np.ones(1), eccentricity=np.full(1, 0.5),
                 mass_ratio=np.ones(1))
        errors.append(r.truth["max_energy_error"][0])
    assert errors[0] / errors[1] == pytest.approx(2.0**order, rel=0.15)


def test_plummer_and_random_start_bound_in_the_centre_of_mass_frame():
    for initial in ("random", "plummer"):
        r = _run({"initial": initial, "n_bodies": 16, "steps": 2, "dt": 1e-4},
                 radius=np.ones(3), virial_ratio=np.full(3, 0.5))
        o = r.outputs
        assert np.all(o["kinetic_energy"][:, 0] + o["potential_energy"][:, 0] < 0)
        assert np.abs(o["positions"][:, 0].mean(axis=1)).max() < 1e-12
        if initial == "random":
            ratio = o["kinetic_energy"][:, 0] / -o["potential_energy"][:, 0]
            np.testing.assert_allclose(ratio, 0.5, rtol=1e-12)

"""The chaotic double pendulum, integrated with a fixed-step 6th-order Runge–Kutta scheme.

Series are ``(B, T)`` float64 per named output (batch axis first, then the recorded steps
t_j = j·every·dt).

Notes
-----
Two point masses m₁, m₂ on massless rods L₁, L₂; angles θ₁, θ₂ from the downward vertical,
Δ = θ₁ − θ₂, D = 2m₁ + m₂ − m₂ cos 2Δ:

    θ₁'' = [−g(2m₁ + m₂) sin θ₁ − m₂ g sin(θ₁ − 2θ₂) − 2 sin Δ m₂(ω₂²L₂ + ω₁²L₁ cos Δ)] / (L₁ D)
    θ₂'' = [2 sin Δ (ω₁²L₁(m₁ + m₂) + g(m₁ + m₂) cos θ₁ + ω₂²L₂m₂ cos Δ)] / (L₂ D)

The Hamiltonian is not separable in these coordinates, so the scheme is Butcher's explicit
7-stage 6th-order Runge–Kutta method (Butcher 1964; *Numerical Methods for ODEs*, 2016, §32),
whose energy error scales as dt⁶ and is stored per sample in ``truth/max_energy_error``
(energy E = T + V with V = (m₁ + m₂)gL₁(1 − cos θ₁) + m₂gL₂(1 − cos θ₂), zero at rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import SimResult
from deepbench.errors import Problem
from deepbench.physics import _common

# Butcher (1964), 7 stages, order 6
A = (
    (),
    (1 / 3,),
    (0.0, 2 / 3),
    (1 / 12, 1 / 3, -1 / 12),
    (-1 / 16, 9 / 8, -3 / 16, -3 / 8),
    (0.0, 9 / 8, -3 / 8, -3 / 4, 1 / 2),
    (9 / 44, -9 / 11, 63 / 44, 18 / 11, 0.0, -16 / 11),
)
WEIGHTS = (11 / 120, 0.0, 27 / 40, 27 / 40, -4 / 15, -4 / 15, 11 / 120)


class DoublePendulum(_common.Integrated):
    """Double pendulum (two lengths, two masses, g); chaotic at large energies."""

    name = "physics.double_pendulum"
    summary = ("chaotic double pendulum, fixed-step 6th-order Runge–Kutta; both angles, angular "
               "velocities, bob positions and energy over time")
    params = (
        Param("length1", 1.0, "m", "upper rod length L₁", low=0.0, open_low=True, high=1e4),
        Param("length2", 1.0, "m", "lower rod length L₂", low=0.0, open_low=True, high=1e4),
        Param("mass1", 1.0, "kg", "upper bob mass m₁", low=0.0, open_low=True, high=1e6),
        Param("mass2", 1.0, "kg", "lower bob mass m₂", low=0.0, open_low=True, high=1e6),
        Param("g", 9.81, "m/s^2", "gravitational acceleration", low=0.0, open_low=True,
              high=1e4),
        Param("theta1", 2.0, "rad", "initial upper angle from the downward vertical",
              low=-np.pi, high=np.pi),
        Param("theta2", 2.0, "rad", "initial lower angle from the downward vertical",
              low=-np.pi, high=np.pi),
        Param("omega1", 0.0, "rad/s", "initial upper angular velocity"),
        Param("omega2", 0.0, "rad/s", "initial lower angular velocity"),
    )
    settings: ClassVar[tuple[Setting, ...]] = _common.integrator_settings(0.005, 1000, ("rk6",))

    def outputs(self) -> tuple[Output, ...]:
        shape = (self.series_length,)
        return (
            Output("theta1", shape, "float64", "rad", "upper angle (continuous)"),
            Output("theta2", shape, "float64", "rad", "lower angle (continuous)"),
            Output("omega1", shape, "float64", "rad/s", "upper angular velocity"),
            Output("omega2", shape, "float64", "rad/s", "lower angular velocity"),
            Output("x1", shape, "float64", "m", "upper bob x = L₁ sin θ₁ (pivot at the origin)"),
            Output("y1", shape, "float64", "m", "upper bob y = −L₁ cos θ₁ (y up)"),
            Output("x2", shape, "float64", "m", "lower bob x"),
            Output("y2", shape, "float64", "m", "lower bob y"),
            Output("energy", shape, "float64", "J", "total energy (zero at rest hanging down)"),
        )

    def truth_outputs(self) -> tuple[Output, ...]:
        return (Output("max_energy_error", (), "float64", "",
                       "max |E(t) − E(0)| / E(0) over the recorded steps"),)

    def check_params(self, params: Mapping[str, np.ndarray]) -> list[Problem]:
        p, state = _physical(params)
        return _common.step_problems(self.config["dt"],
                                     shortest_period(state, energy(state, **p), **p), *_STEP)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        p, state = _physical(params)
        _common.check_step(self.config["dt"], shortest_period(state, energy(state, **p), **p),
                           *_STEP)
        th1, th2, w1, w2 = integrate(state, p, self.config["dt"], self.config["steps"],
                                     self.config["every"])
        l1, l2 = p["length1"][:, None], p["length2"][:, None]
        x1, y1 = l1 * np.sin(th1), -l1 * np.cos(th1)
        x2, y2 = x1 + l2 * np.sin(th2), y1 - l2 * np.cos(th2)
        e = energy(np.stack([th1, th2, w1, w2]), **{k: v[:, None] for k, v in p.items()})
        outputs = {"theta1": th1, "theta2": th2, "omega1": w1, "omega2": w2, "x1": x1, "y1": y1,
                   "x2": x2, "y2": y2, "energy": e}
        return SimResult(outputs, {"max_energy_error": _common.max_relative_error(e)})


def energy(state: np.ndarray, length1: np.ndarray, length2: np.ndarray, mass1: np.ndarray,
           mass2: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Total energy of ``state`` = (θ₁, θ₂, ω₁, ω₂) stacked on the first axis."""
    th1, th2, w1, w2 = state
    kinetic = 0.5 * (mass1 + mass2) * (length1 * w1) ** 2 + 0.5 * mass2 * (length2 * w2) ** 2 \
        + mass2 * length1 * length2 * w1 * w2 * np.cos(th1 - th2)
    potential = (mass1 + mass2) * g * length1 * 2 * np.sin(0.5 * th1) ** 2 \
        + mass2 * g * length2 * 2 * np.sin(0.5 * th2) ** 2
    return kinetic + potential


_STEP = ("config.dt", "2π over a bound on the angular rates from g/L and the energy")


def _physical(params: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The constants (lengths, masses, g) and the initial state (θ₁, θ₂, ω₁, ω₂) stacked (4, B)."""
    p = {k: params[k] for k in ("length1", "length2", "mass1", "mass2", "g")}
    state = np.stack([params["theta1"], params["theta2"], params["omega1"], params["omega2"]])
    return p, state


def shortest_period(state: np.ndarray, e0: np.ndarray, length1: np.ndarray, length2: np.ndarray,
                    mass1: np.ndarray, mass2: np.ndarray, g: np.ndarray) -> np.ndarray:
    """2π over a bound on the fastest rate: √((1 + m₂/m₁) g/L_min) plus the largest angular
    speed the energy allows, √(2E / λ_min) with λ_min ≥ det/trace of the mass matrix."""
    short = np.minimum(length1, length2)
    trace = (mass1 + mass2) * length1**2 + mass2 * length2**2
    det = mass1 * mass2 * length1**2 * length2**2
    rate = np.sqrt((1 + mass2 / mass1) * g / short) + np.sqrt(2 * np.abs(e0) * trace / det)
    return 2 * np.pi / rate


def _rhs(s: np.ndarray, l1: np.ndarray, l2: np.ndarray, m1: np.ndarray, m2: np.ndarray,
         g: np.ndarray) -> np.ndarray:
    th1, th2, w1, w2 = s
    delta = th1 - th2
    sd, cd = np.sin(delta), np.cos(delta)
    den = 2 * m1 + m2 - m2 * np.cos(2 * delta)
    a1 = (-g * (2 * m1 + m2) * np.sin(th1) - m2 * g * np.sin(th1 - 2 * th2)
          - 2 * sd * m2 * (w2 * w2 * l2 + w1 * w1 * l1 * cd)) / (l1 * den)
    a2 = 2 * sd * (w1 * w1 * l1 * (m1 + m2) + g * (m1 + m2) * np.cos(th1)
                   + w2 * w2 * l2 * m2 * cd) / (l2 * den)
    return np.stack([w1, w2, a1, a2])


def integrate(state: np.ndarray, p: Mapping[str, np.ndarray], dt: float, steps: int, every: int
              ) -> np.ndarray:
    """(θ₁, θ₂, ω₁, ω₂) at steps 0, every, … stacked as (4, B, T); batch vectorised."""
    args = (p["length1"], p["length2"], p["mass1"], p["mass2"], p["g"])
    rows = steps // every + 1
    out = np.empty((rows, *state.shape))
    out[0] = state
    s = state.copy()
    for j in range(1, steps + 1):  # sequential in time; the batch is vectorised
        ks: list[np.ndarray] = []
        for row in A:
            stage = s.copy()
            for a, k in zip(row, ks, strict=False):
                if a:
                    stage += (a * dt) * k
            ks.append(_rhs(stage, *args))
        for b, k in zip(WEIGHTS, ks, strict=True):
            if b:
                s += (b * dt) * k
        if j % every == 0:
            out[j // every] = s
    return out.transpose(1, 2, 0).copy()

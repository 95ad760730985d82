"""The damped, optionally driven harmonic oscillator, in closed form.

Series are ``(B, T)`` float64 per named output (batch axis first, then the times ``t``).

Notes
-----
m x'' + c x' + k x = F cos(Ω t + φ), with ω₀ = √(k/m) and ζ = c/(2√(km)). The solution is the
steady state x_p = A cos(Ωt + φ) + B sin(Ωt + φ), with D = (ω₀² − Ω²)² + (2ζω₀Ω)²,
A = (F/m)(ω₀² − Ω²)/D, B = (F/m)(2ζω₀Ω)/D (undamped resonance, D = 0: x_p = (F/m) t sin(Ωt + φ)/(2Ω)),
plus the transient y = x − x_p with y(0) = y₀, y'(0) = v₀:

    y = y₀ E_C(t) + (v₀ + ζω₀y₀) E_S(t),   y' = v₀ E_C(t) + (ω₀²(ζ² − 1) y₀ − ζω₀(v₀ + ζω₀y₀)) E_S(t)

where E_C = e^{−ζω₀t} cos ω₁t and E_S = e^{−ζω₀t} sin(ω₁t)/ω₁ (under-damped, ω₁ = ω₀√(1 − ζ²)),
E_C = e^{−ω₀t}, E_S = t e^{−ω₀t} (critical), and for ζ > 1 (γ = ω₀√(ζ² − 1)) E_C =
½(e^{−(ζω₀−γ)t} + e^{−(ζω₀+γ)t}), E_S = (e^{−(ζω₀−γ)t} − e^{−(ζω₀+γ)t})/(2γ) (through expm1
while 2γt < 1), written so that neither overflows nor cancels.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from deepbench.core.params import Output, Param
from deepbench.core.simulator import SimResult
from deepbench.physics import _common


class Oscillator(_common.GridSeries):
    """Damped, optionally driven harmonic oscillator (under-, critically and over-damped)."""

    name = "physics.oscillator"
    summary = ("damped, optionally driven harmonic oscillator in closed form (under-, critically "
               "and over-damped); position, velocity and energy over time")
    params = (
        Param("mass", 1.0, "kg", "mass m", low=0.0, open_low=True, high=1e6),
        Param("stiffness", 10.0, "N/m", "spring constant k", low=0.0, open_low=True, high=1e8),
        Param("damping", 0.5, "N s/m", "damping coefficient c (ζ = c / (2√(km)))", low=0.0,
              high=1e8),
        Param("x0", 1.0, "m", "initial position"),
        Param("v0", 0.0, "m/s", "initial velocity"),
        Param("force", 0.0, "N", "driving force amplitude F (0: free oscillator)"),
        Param("drive_frequency", 1.0, "rad/s", "driving angular frequency Ω", low=0.0,
              open_low=True, high=1e6),
        Param("drive_phase", 0.0, "rad", "driving phase φ", low=-2 * np.pi, high=2 * np.pi,
              period="2*pi"),
    )

    def outputs(self) -> tuple[Output, ...]:
        shape = (self.series_length,)
        return (
            Output("x", shape, "float64", "m", "position"),
            Output("v", shape, "float64", "m/s", "velocity"),
            Output("energy", shape, "float64", "J", "mechanical energy ½mv² + ½kx²"),
            _common.time_output(self.config),
        )

    def truth_outputs(self) -> tuple[Output, ...]:
        return (
            Output("natural_frequency", (), "float64", "rad/s", "ω₀ = √(k/m)"),
            Output("damping_ratio", (), "float64", "", "ζ = c / (2√(km)): < 1 under-, = 1 "
                   "critically, > 1 over-damped"),
            Output("steady_amplitude", (), "float64", "m",
                   "amplitude of the driven steady state, √(A² + B²) (0 when undriven)"),
        )

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        m, k, c = params["mass"], params["stiffness"], params["damping"]
        t = _common.grid_times(self.config, len(m), rng)
        x, v = solve(m, k, c, params["x0"], params["v0"], params["force"],
                     params["drive_frequency"], params["drive_phase"], t)
        energy = 0.5 * m[:, None] * v**2 + 0.5 * k[:, None] * x**2
        w0 = np.sqrt(k / m)
        zeta = c / (2 * np.sqrt(k * m))
        a, b, _ = _steady(w0, zeta, params["force"] / m, params["drive_frequency"])
        outputs = {"x": x, "v": v, "energy": energy,
                   "t": np.broadcast_to(t, x.shape).copy()}
        truth = {"natural_frequency": w0, "damping_ratio": zeta,
                 "steady_amplitude": np.where(np.isfinite(a), np.hypot(a, b), np.inf)}
        return SimResult(outputs, truth)


def col(z: np.ndarray) -> np.ndarray:
    """A (B,) array as a (B, 1) column."""
    return z[:, None]


def _steady(w0: np.ndarray, zeta: np.ndarray, f: np.ndarray, drive: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steady-state coefficients A, B (cos, sin) and the undamped-resonance mask."""
    detune = w0**2 - drive**2
    friction = 2 * zeta * w0 * drive
    d = detune**2 + friction**2
    resonant = (d == 0) & (f != 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(f == 0, 0.0, f * detune / d)
        b = np.where(f == 0, 0.0, f * friction / d)
    a = np.where(resonant, np.inf, a)
    return a, b, resonant


def solve(m: np.ndarray, k: np.ndarray, c: np.ndarray, x0: np.ndarray, v0: np.ndarray,
          force: np.ndarray, drive: np.ndarray, phase: np.ndarray, t: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form x(t), x'(t), each ``(B, T)``; ``t`` is ``(T,)`` or ``(B, T)`` (s)."""
    w0 = np.sqrt(k / m)
    zeta = c / (2 * np.sqrt(k * m))
    f = force / m
    a, b, resonant = _steady(w0, zeta, f, drive)
    a, b = np.where(resonant, 0.0, a), np.where(resonant, 0.0, b)
    t = np.broadcast_to(t, (len(m), t.shape[-1])) if t.ndim == 1 else t
    arg = col(drive) * t + col(phase)
    ca, sa = np.cos(arg), np.sin(arg)
    xp = col(a) * ca + col(b) * sa
    vp = col(drive) * (col(b) * ca - col(a) * sa)
    r = col(np.where(resonant, f / (2 * drive), 0.0))
    xp = xp + r * t * sa
    vp = vp + r * (sa + t * col(drive) * ca)
    y0 = x0 - (a * np.cos(phase) + b * np.sin(phase))  # x − x_p at t = 0
    yv0 = v0 - drive * (b * np.cos(phase) - a * np.sin(phase)) - np.where(
        resonant, f / (2 * drive) * np.sin(phase), 0.0)
    ec, es = _transient_basis(w0, zeta, t)
    damp = zeta * w0
    w = yv0 + damp * y0
    x = xp + col(y0) * ec + col(w) * es
    v = vp + col(yv0) * ec + col(w0**2 * (zeta**2 - 1) * y0 - damp * w) * es
    return x, v


def _transient_basis(w0: np.ndarray, zeta: np.ndarray, t: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """E_C(t), E_S(t) of the notes, per regime, ``(B, T)``."""
    damp = col(zeta * w0)
    ec, es = np.empty(t.shape), np.empty(t.shape)
    under, over = zeta < 1, zeta > 1
    critical = ~under & ~over
    if under.any():
        w1 = col(w0[under] * np.sqrt(1 - zeta[under] ** 2))
        tt = t[under]
        decay = np.exp(-damp[under] * tt)
        ec[under] = decay * np.cos(w1 * tt)
        es[under] = decay * np.sin(w1 * tt) / w1
    if critical.any():
        tt = t[critical]
        decay = np.exp(-damp[critical] * tt)
        ec[critical] = decay
        es[critical] = tt * decay
    if over.any():
        z = zeta[over]
        gamma = col(w0[over] * np.sqrt((z - 1) * (z + 1)))
        slow = col(w0[over] / (z + np.sqrt((z - 1) * (z + 1))))  # ζω₀ − γ without cancellation
        tt = t[over]
        fast = np.exp(-(damp[over] + gamma) * tt)
        slow_decay = np.exp(-slow * tt)
        ec[over] = 0.5 * (slow_decay + fast)
        x = 2 * gamma * tt
        es[over] = np.where(x < 1, fast * np.expm1(np.minimum(x, 1)), slow_decay - fast) / (
            2 * gamma)
    return ec, es

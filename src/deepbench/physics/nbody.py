"""N gravitating bodies (2 to 64) with Plummer softening, fixed-step symplectic integration.

Positions and velocities are ``(B, T, N, 3)`` float64 (batch, recorded step, body, xyz); the
energies are ``(B, T)``. Recorded steps are t_j = j·every·dt.

Notes
-----
N-body units with G = 1. The acceleration of body i is Σ_j m_j (x_j − x_i)/(|x_j − x_i|² + ε²)^{3/2}
and the potential energy −Σ_{i<j} m_i m_j/(|x_j − x_i|² + ε²)^{1/2}, with the same softening ε
(0 allowed), so the softened system conserves its own energy. Integration is kick-drift-kick
leapfrog or Yoshida's 4th-order composition (see ``_symplectic``), vectorised over the batch and
the bodies (pairwise differences as (B, N, N, 3) arrays).

Initial conditions (``config.initial``), all in the centre-of-mass frame:

* ``random``: N equal masses uniform in a ball of ``radius``, isotropic velocities rescaled to the
  virial ratio Q = K/|W| = ``virial_ratio`` (< 1, so the system is bound); drawn in ``simulate``.
* ``plummer``: Plummer sphere of scale length ``radius`` (Aarseth, Hénon & Wielen 1974: radii
  from the cumulative mass, truncated at 99.9 %; speeds q·v_esc with q² ~ Beta(3/2, 9/2), the
  exact distribution, by inverse CDF); drawn in ``simulate``.
* ``kepler``: two bodies (mass ratio q = m₂/m₁) at pericentre of an orbit with ``semi_major_axis``
  a and ``eccentricity`` e; period 2π√(a³/(G M)).
* ``figure_eight``: the Chenciner–Montgomery three-body choreography (initial values of Simó);
  equal masses M/3, lengths scaled by ``radius``; period 6.32591398·√(radius³/(M/3)).

A close encounter can break energy conservation at any fixed step: ``truth/max_energy_error``
holds each sample's worst relative energy error; filter on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import SimResult, Simulator
from deepbench.errors import Problem
from deepbench.physics import _common
from deepbench.physics._symplectic import SCHEMES

MAX_BODIES = 64
FIGURE_EIGHT_PERIOD = 6.32591398  # for G = m = 1 and the initial values below
FIGURE_EIGHT_X1 = (0.97000436, -0.24308753)
FIGURE_EIGHT_V3 = (-0.93240737, -0.86473146)
INITIAL = ("random", "plummer", "kepler", "figure_eight")
USES = {
    "random": ("total_mass", "radius", "virial_ratio"),
    "plummer": ("total_mass", "radius"),
    "kepler": ("total_mass", "semi_major_axis", "eccentricity", "mass_ratio"),
    "figure_eight": ("total_mass", "radius"),
}


class NBody(Simulator):
    """Gravitational N-body problem with softening; leapfrog or 4th-order Yoshida."""

    name = "physics.nbody"
    summary = ("N gravitating bodies (2–64), Plummer softening, symplectic fixed step; random, "
               "Plummer, Kepler binary or figure-eight initial conditions")
    params = (
        Param("total_mass", 1.0, "M (N-body units)", "total mass of the bodies", low=0.0,
              open_low=True, high=1e6),
        Param("radius", 1.0, "L (N-body units)", "size: ball radius (random), Plummer scale "
              "length (plummer), length scale (figure_eight)", low=0.0, open_low=True, high=1e6),
        Param("virial_ratio", 0.5, "", "K/|W| of the random system (0.5: virial equilibrium)",
              low=0.0, high=1.0, open_high=True),
        Param("semi_major_axis", 1.0, "L (N-body units)", "Kepler orbit semi-major axis",
              low=0.0, open_low=True, high=1e6),
        Param("eccentricity", 0.5, "", "Kepler orbit eccentricity", low=0.0, high=1.0,
              open_high=True),
        Param("mass_ratio", 1.0, "", "Kepler mass ratio m₂/m₁", low=0.0, open_low=True,
              high=1e6),
    )
    settings: ClassVar[tuple[Setting, ...]] = (
        Setting("n_bodies", 3, f"number of bodies N, 2 to {MAX_BODIES} (kepler: 2, "
                "figure_eight: 3)", int),
        Setting("initial", "random", "initial conditions", str, choices=INITIAL),
        Setting("softening", 0.01, "Plummer softening length ε >= 0 (0: exact Newtonian "
                "gravity), in forces and potential alike", float),
        *_common.integrator_settings(0.001, 1000, ("yoshida4", "leapfrog")),
    )

    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        problems = _common.check_integrator(config, path)
        n, initial, eps = config["n_bodies"], config["initial"], config["softening"]
        if not 2 <= n <= MAX_BODIES:
            problems.append(Problem(f"{path}.n_bodies", n, f"a body count in [2, {MAX_BODIES}]"))
        elif initial == "kepler" and n != 2:
            problems.append(Problem(f"{path}.n_bodies", n, "2 for initial: kepler"))
        elif initial == "figure_eight" and n != 3:
            problems.append(Problem(f"{path}.n_bodies", n, "3 for initial: figure_eight"))
        if not (np.isfinite(eps) and eps >= 0):
            problems.append(Problem(f"{path}.softening", eps,
                                    "a softening length >= 0 (0: no softening)"))
        return problems

    def inactive(self) -> dict[str, str]:
        used = USES[self.config["initial"]]
        return {p.name: f"initial: {self.config['initial']} does not use it" for p in self.params
                if p.name not in used}

    @property
    def stochastic(self) -> bool:
        return self.config["initial"] in ("random", "plummer")

    def outputs(self) -> tuple[Output, ...]:
        t, n = _common.recorded(self.config), self.config["n_bodies"]
        return (
            Output("positions", (t, n, 3), "float64", "L", "body positions (centre-of-mass "
                   "frame at t = 0)"),
            Output("velocities", (t, n, 3), "float64", "L/T", "body velocities"),
            Output("kinetic_energy", (t,), "float64", "E", "Σ ½ m v²"),
            Output("potential_energy", (t,), "float64", "E",
                   "−Σ_{i<j} m_i m_j / √(r² + ε²) (same softening as the forces)"),
        )

    def truth_outputs(self) -> tuple[Output, ...]:
        periodic = self.config["initial"] in PERIODIC
        return (
            Output("energy", (), "float64", "E", "initial total energy"),
            *([Output("period", (), "float64", "T", "orbital period (kepler and figure_eight "
                      "set-ups only)")] if periodic else []),
            Output("max_energy_error", (), "float64", "",
                   "max |E(t) − E(0)| / |E(0)| over the recorded steps: filter on it to drop "
                   "samples whose close encounters the fixed step did not resolve"),
        )

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        cfg = self.config
        batch = len(params["total_mass"])
        x, v, mass, period, shortest = initial_conditions(
            cfg["initial"], cfg["n_bodies"], params, rng, batch)
        _common.check_step(cfg["dt"], shortest, "config.dt", _SHORTEST[cfg["initial"]])
        if batch == 1:  # NumPy sums a length-1 batch in another order: pad so a sample's bytes
            x, v, mass = (np.concatenate([a, a]) for a in (x, v, mass))  # never depend on B
        xs, vs, kinetic, potential = integrate(x, v, mass, cfg["softening"], cfg["dt"],
                                               cfg["steps"], cfg["every"], cfg["method"])
        xs, vs, kinetic, potential = (a[:batch] for a in (xs, vs, kinetic, potential))
        total = kinetic + potential
        outputs = {"positions": xs, "velocities": vs, "kinetic_energy": kinetic,
                   "potential_energy": potential}
        truth = {"energy": total[:, 0], **({"period": period} if cfg["initial"] in PERIODIC else {}),
                 "max_energy_error": _common.max_relative_error(total)}
        return SimResult(outputs, truth)


PERIODIC = ("kepler", "figure_eight")  # set-ups with a known orbital period (truth/period)
_SHORTEST = {
    "random": "2π√(radius³/(G M)), the circular period at the system's radius",
    "plummer": "2π√(radius³/(G M)), the circular period at the scale length",
    "kepler": "the pericentre time scale P·(1 − e)^{3/2}",
    "figure_eight": "the figure-eight period",
}


def _isotropic(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Unit vectors (…, 3) from two uniforms: cos θ = 1 − 2u₁, φ = 2πu₂."""
    cos_t = 1 - 2 * u1
    sin_t = np.sqrt(np.maximum(0.0, 1 - cos_t**2))
    phi = 2 * np.pi * u2
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)


def initial_conditions(kind: str, n: int, params: Mapping[str, np.ndarray],
                       rng: np.random.Generator, batch: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions, velocities (B, N, 3), masses (B, N), period (B,) and shortest period (B,)."""
    total = params["total_mass"]
    mass = np.repeat((total / n)[:, None], n, axis=1)
    nan = np.full(batch, np.nan)
    if kind == "kepler":
        a, e, q = params["semi_major_axis"], params["eccentricity"], params["mass_ratio"]
        mass = np.stack([total / (1 + q), total * q / (1 + q)], axis=1)
        rp = a * (1 - e)
        vp = np.sqrt(total * (1 + e) / (a * (1 - e)))
        x, v = np.zeros((batch, 2, 3)), np.zeros((batch, 2, 3))
        frac = mass / total[:, None]
        x[:, 0, 0], x[:, 1, 0] = -frac[:, 1] * rp, frac[:, 0] * rp
        v[:, 0, 1], v[:, 1, 1] = -frac[:, 1] * vp, frac[:, 0] * vp
        period = 2 * np.pi * np.sqrt(a**3 / total)
        return x, v, mass, period, period * (1 - e) ** 1.5
    radius = params["radius"]
    circular = 2 * np.pi * np.sqrt(radius**3 / total)
    if kind == "figure_eight":
        x1 = np.array([*FIGURE_EIGHT_X1, 0.0])
        v3 = np.array([*FIGURE_EIGHT_V3, 0.0])
        x = np.broadcast_to(np.stack([x1, -x1, 0 * x1]), (batch, 3, 3)) * radius[:, None, None]
        scale = np.sqrt(total / 3 / radius)
        v = np.broadcast_to(np.stack([-v3 / 2, -v3 / 2, v3]), (batch, 3, 3)) * scale[:, None, None]
        period = FIGURE_EIGHT_PERIOD * np.sqrt(radius**3 / (total / 3))
        return x.copy(), v.copy(), mass, period, period
    u = rng.random((batch, n, 6))  # one draw: a batch's row equals that sample drawn alone
    if kind == "plummer":
        frac = np.clip(u[..., 0], 1e-12, 0.999)
        r = 1 / np.sqrt(frac ** (-2 / 3) - 1)
        from scipy.special import betaincinv

        speed = np.sqrt(betaincinv(1.5, 4.5, u[..., 3])) * np.sqrt(2.0) * (1 + r * r) ** -0.25
        x = _isotropic(u[..., 1], u[..., 2]) * (r * radius[:, None])[..., None]
        v = _isotropic(u[..., 4], u[..., 5]) * (speed * np.sqrt(total / radius)[:, None])[..., None]
        x, v = _centre(x, v, mass)
    else:
        x = _isotropic(u[..., 1], u[..., 2]) * (np.cbrt(u[..., 0]) * radius[:, None])[..., None]
        v = _isotropic(u[..., 4], u[..., 5]) * u[..., 3, None]
        x, v = _centre(x, v, mass)
        kinetic = 0.5 * np.sum(mass * np.sum(v * v, axis=-1), axis=-1)
        _, potential = _accelerations(x, mass, 0.0)
        scale = np.sqrt(params["virial_ratio"] * np.abs(potential) / np.maximum(kinetic, 1e-300))
        v = v * scale[:, None, None]
    return x, v, mass, nan, circular


def _centre(x: np.ndarray, v: np.ndarray, mass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = (mass / mass.sum(axis=1, keepdims=True))[..., None]
    return x - np.sum(w * x, axis=1, keepdims=True), v - np.sum(w * v, axis=1, keepdims=True)


def _accelerations(x: np.ndarray, mass: np.ndarray, eps: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Accelerations (B, N, 3) and potential energy (B,) with softening ``eps`` (G = 1)."""
    eye = np.eye(x.shape[1])[:, :, None]
    acc, pot = _forces(np.ascontiguousarray(x.transpose(2, 1, 0)), mass.T.copy(), eps, eye, True)
    return acc.transpose(2, 1, 0), pot  # type: ignore[return-value]


def _forces(x: np.ndarray, mass: np.ndarray, eps: float, eye: np.ndarray, energy: bool
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Accelerations (3, N, B) of positions (3, N, B), batch innermost (long contiguous loops),
    and the potential energy (B,) when ``energy``. Pairs are (N, N, B); d[:, i, j] = x_j − x_i."""
    d = x[:, None, :, :] - x[:, :, None, :]
    r2 = d[0] * d[0]
    r2 += d[1] * d[1]
    r2 += d[2] * d[2]
    r2 += eps * eps
    r2 += eye  # the diagonal has d = 0: any finite value there leaves it out
    inv = np.sqrt(r2)
    np.divide(1.0, inv, out=inv)
    mj = inv * mass[None, :, :]  # m_j / r_ij
    w = mj * inv
    w *= inv
    d *= w
    acc = d.sum(axis=2)
    potential = None
    if energy:
        mj *= mass[:, None, :]
        potential = -0.5 * (mj.sum(axis=(0, 1)) - np.einsum("iib->b", mj))
    return acc, potential


def integrate(x: np.ndarray, v: np.ndarray, mass: np.ndarray, eps: float, dt: float, steps: int,
              every: int, method: str) -> tuple[np.ndarray, ...]:
    """Positions, velocities (B, T, N, 3), kinetic and potential energy (B, T)."""
    kicks, drifts = SCHEMES[method]
    batch, n = mass.shape
    eye = np.eye(n)[:, :, None]
    m = mass.T.copy()  # (N, B)
    x, v = x.transpose(2, 1, 0).copy(), v.transpose(2, 1, 0).copy()  # (3, N, B)
    acc, pot = _forces(x, m, eps, eye, True)
    rows = steps // every + 1
    xs, vs = np.empty((rows, 3, n, batch)), np.empty((rows, 3, n, batch))
    potential = np.empty((rows, batch))
    xs[0], vs[0], potential[0] = x, v, pot
    tmp = np.empty_like(x)
    last = len(drifts) - 1
    for j in range(1, steps + 1):  # sequential in time; batch and bodies are vectorised
        record = j % every == 0
        np.multiply(acc, kicks[0] * dt, out=tmp)
        v += tmp
        for i, (d, c) in enumerate(zip(drifts, kicks[1:], strict=True)):
            np.multiply(v, d * dt, out=tmp)
            x += tmp
            acc, pot = _forces(x, m, eps, eye, record and i == last)
            np.multiply(acc, c * dt, out=tmp)
            v += tmp
        if record:
            r = j // every
            xs[r], vs[r], potential[r] = x, v, pot
    xs, vs = xs.transpose(3, 0, 2, 1).copy(), vs.transpose(3, 0, 2, 1).copy()  # (B, T, N, 3)
    kinetic = 0.5 * (np.sum(vs * vs, axis=-1) * mass[:, None, :]).sum(axis=-1)
    return xs, vs, kinetic, potential.T.copy()

"""The simple pendulum, solved exactly (Jacobi elliptic functions) or in the small-angle limit.

Series are ``(B, T)`` float64 per named output: batch axis first, then the observation times
``t`` (also an output, since random sampling gives each sample its own times).

Notes
-----
With ω₀ = √(g/L) the equation θ'' = −ω₀² sin θ conserves
``k² = m = θ'²/(4ω₀²) + sin²(θ/2)`` (energy over 2mgL). For ``m ≤ 1`` the motion librates,

    sin(θ/2) = k sn(ω₀t + u₀ | m),   cos(θ/2) = dn(ω₀t + u₀ | m),   θ' = 2kω₀ cn(ω₀t + u₀ | m),

with period 4K(m)/ω₀ and amplitude 2 arcsin k; for ``m > 1`` it rotates,

    θ/2 = ±am(kω₀t + v₀ | 1/m),   θ' = ±2kω₀ dn(kω₀t + v₀ | 1/m),

one revolution taking 2K(1/m)/(kω₀). ``u₀ = F(φ₀ | m)`` with sin φ₀ = sin(θ₀/2)/k,
cos φ₀ = θ'₀/(2kω₀), and ``v₀ = F(θ₀/2 | 1/m)`` (SciPy's ``ellipj``/``ellipkinc`` take the
parameter m = k²). θ is continuous: a rotating pendulum's angle grows past ±π. The bob is at
x = L sin θ, y = −L cos θ (pivot at the origin, y up); the potential energy is mgL(1 − cos θ),
zero at the bottom. On uniform grids the addition theorem for sn, cn, dn gives the series from
``ellipj`` at ≈3·T^⅓ offsets and block starts per sample instead of T arguments; ``ellipj`` is
only evaluated at |u| ≤ K/2 (see :func:`ellipj_reduced`).

``approximation: small_angle`` is the harmonic oscillator θ = θ₀ cos ω₀t + (θ'₀/ω₀) sin ω₀t with
its own (harmonic) potential ½mgLθ², so its energy is conserved too and the difference to the
exact solution is the approximation gap alone.

References: Lawden, *Elliptic Functions and Applications* (1989), ch. 5; DLMF §22.19.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from deepbench.core.params import Alternative, Output, Param, Setting
from deepbench.core.simulator import SimResult
from deepbench.physics import _common

GRAVITY = (
    Param("g", 9.81, "m/s^2", "gravitational acceleration (or give G, M, r)", low=0.0,
          open_low=True, high=1e4),
    Param("G", None, "m^3/(kg s^2)", "gravitational constant (with M, r: g = G·M/r²)", low=0.0,
          open_low=True),
    Param("M", None, "kg", "mass of the attracting body (with G, r)", low=0.0, open_low=True),
    Param("r", None, "m", "distance from the attracting body's centre (with G, M)", low=0.0,
          open_low=True),
)
GRAVITY_ALTERNATIVE = Alternative("g", (("g",), ("G", "M", "r")),
                                  lambda p: p["G"] * p["M"] / p["r"] ** 2)
BLOCK = 1 << 15  # elements per cache block of rows in the uniform-grid path
NEAR_SEPARATRIX = 0.99  # SciPy parameter above which the uniform tables call ellipj at every entry


class Pendulum(_common.GridSeries):
    """Simple (Newtonian) pendulum: exact nonlinear solution at any amplitude, or small-angle."""

    name = "physics.pendulum"
    version = 2  # 2: uniform grids: outputs via the addition theorem, tables by repeated addition
    summary = ("simple pendulum, exact (Jacobi elliptic functions; libration and rotation) or "
               "small-angle; angle, angular velocity, bob position and energies over time")
    params = (
        Param("length", 1.0, "m", "arm length L", low=0.0, open_low=True, high=1e4),
        Param("theta0", 1.0, "rad", "initial angle from the downward vertical", low=-math.pi,
              high=math.pi),
        Param("omega0", 0.0, "rad/s", "initial angular velocity"),
        *GRAVITY,
        Param("mass", 1.0, "kg", "bob mass (scales the energies only)", low=0.0, open_low=True,
              high=1e6),
    )
    alternatives = (GRAVITY_ALTERNATIVE,)
    settings: ClassVar[tuple[Setting, ...]] = (
        *_common.GRID_SETTINGS,
        Setting("approximation", "exact", "exact: nonlinear solution at any amplitude; "
                "small_angle: the textbook harmonic solution", str,
                choices=("exact", "small_angle")),
    )

    def outputs(self) -> tuple[Output, ...]:
        shape = (self.series_length,)
        return (
            Output("theta", shape, "float64", "rad", "angle from the downward vertical "
                   "(continuous: grows past ±π when rotating)"),
            Output("omega", shape, "float64", "rad/s", "angular velocity dθ/dt"),
            Output("x", shape, "float64", "m", "bob position x = L sin θ (pivot at the origin)"),
            Output("y", shape, "float64", "m", "bob position y = −L cos θ (y up)"),
            Output("kinetic_energy", shape, "float64", "J", "½ m L² ω²"),
            Output("potential_energy", shape, "float64", "J",
                   "m g L (1 − cos θ) (small_angle: ½ m g L θ²)"),
            Output("total_energy", shape, "float64", "J", "kinetic + potential"),
            _common.time_output(self.config),
        )

    def truth_outputs(self) -> tuple[Output, ...]:
        return (
            Output("period", (), "float64", "s", "libration period 4K(m)/ω₀, or the time of one "
                   "revolution 2K(1/m)/(kω₀) when rotating (small_angle: 2π/ω₀)"),
            Output("amplitude", (), "float64", "rad",
                   "largest angle 2 arcsin k when librating; NaN when rotating"),
            Output("rotating", (), "float64", "", "1 when the pendulum goes over the top, else 0"),
            Output("max_energy_error", (), "float64", "",
                   "max |E(t) − E(0)| / E(0) over the series (round-off only here)"),
        )

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        length, mass, g = params["length"], params["mass"], params["g"]
        theta0, omega_i = params["theta0"], params["omega0"]
        w0 = np.sqrt(g / length)
        batch = len(length)
        t = _common.grid_times(self.config, batch, rng)
        uniform = self.config["sampling"] == "uniform"
        small = self.config["approximation"] == "small_angle"
        names = [o.name for o in self.outputs()]
        outputs = {n: np.empty((batch, t.shape[-1])) for n in names}
        energy_error = np.empty(batch)
        solution = None if small else _Exact(theta0, omega_i, w0, t, uniform)
        for rows in _row_blocks(batch, t.shape[-1]):  # cache blocking: a few rows at a time
            dst = {n: a[rows] for n, a in outputs.items()}
            if solution is None:
                tt = t[rows] if t.ndim == 2 else t
                state = small_angle(theta0[rows], omega_i[rows], w0[rows], tt)
                _observe(dst, state, tt, length[rows], mass[rows], g[rows], harmonic=True)
            else:
                solution.observe(rows, dst, length[rows], mass[rows], g[rows])
            energy_error[rows] = _common.max_relative_error(outputs["total_energy"][rows])
        if small:
            period = 2 * np.pi / w0
            amplitude = np.hypot(theta0, omega_i / w0)
            rotating = np.zeros(batch)
        else:
            m = (0.5 * omega_i / w0) ** 2 + np.sin(0.5 * theta0) ** 2
            period, amplitude, rotating = _period(m, w0)
        truth = {"period": period, "amplitude": amplitude, "rotating": rotating,
                 "max_energy_error": energy_error}
        return SimResult(outputs, truth)


def _observe(dst: dict[str, np.ndarray], state: tuple[np.ndarray, ...], t: np.ndarray,
             length: np.ndarray, mass: np.ndarray, g: np.ndarray, harmonic: bool) -> None:
    """Fill the output series of a block of rows from θ, θ', sin θ and 1 − cos θ; ``harmonic``
    uses the small-angle model's potential ½mgLθ². The state may already sit in the outputs
    (θ, θ' in theirs, sin θ in x, 1 − cos θ in y): each is read before it is overwritten."""
    theta, omega, sin_theta, one_minus_cos = state
    if theta is not dst["theta"]:
        dst["theta"][...] = theta
    if omega is not dst["omega"]:
        dst["omega"][...] = omega
    if harmonic:
        shape = 0.5 * theta * theta
        np.multiply(shape, (mass * g * length)[:, None], out=dst["potential_energy"])
    else:
        np.multiply(one_minus_cos, (mass * g * length)[:, None], out=dst["potential_energy"])
    np.multiply(sin_theta, length[:, None], out=dst["x"])
    np.subtract(one_minus_cos, 1.0, out=dst["y"])
    dst["y"] *= length[:, None]
    np.multiply(omega, omega, out=dst["kinetic_energy"])
    dst["kinetic_energy"] *= (0.5 * mass * length**2)[:, None]
    np.add(dst["kinetic_energy"], dst["potential_energy"], out=dst["total_energy"])
    dst["t"][...] = t


def _period(m: np.ndarray, w0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from scipy.special import ellipk

    lib = m <= 1
    k = np.sqrt(m)
    with np.errstate(divide="ignore"):
        period = np.where(lib, 4 * ellipk(np.minimum(m, 1.0)) / w0,
                          2 * ellipk(1 / np.maximum(m, 1.0)) / (k * w0))
    amplitude = np.where(lib, 2 * np.arcsin(np.minimum(k, 1.0)), np.nan)
    return period, amplitude, (~lib).astype(np.float64)


def small_angle(theta0: np.ndarray, omega_i: np.ndarray, w0: np.ndarray, t: np.ndarray
                ) -> tuple[np.ndarray, ...]:
    """Harmonic solution: θ, θ', sin θ and 1 − cos θ (the bob sits at angle θ; only the
    dynamics are approximated)."""
    phase = w0[:, None] * t
    c, s = np.cos(phase), np.sin(phase)
    theta = theta0[:, None] * c + (omega_i / w0)[:, None] * s
    omega = omega_i[:, None] * c - (theta0 * w0)[:, None] * s
    return theta, omega, np.sin(theta), 2 * np.sin(0.5 * theta) ** 2


def exact(theta0: np.ndarray, omega_i: np.ndarray, w0: np.ndarray, t: np.ndarray, *,
          uniform: bool = False, out: tuple[np.ndarray, ...] | None = None
          ) -> tuple[np.ndarray, ...]:
    """Exact θ(t), θ'(t), sin θ and 1 − cos θ, each ``(B, T)`` (written into ``out`` if given).

    ``t`` is ``(T,)`` (shared) or ``(B, T)``; ``uniform`` says a shared ``t`` is equally spaced,
    which enables the addition-theorem path.
    """
    if out is None:
        out = tuple(np.empty((len(theta0), t.shape[-1])) for _ in range(4))
    _Exact(theta0, omega_i, w0, t, uniform).fill(slice(None), out)
    return out


class _Exact:
    """The per-sample part of the exact solution (k, u₀, the ``ellipj`` tables of the uniform
    path), computed once for the batch; :meth:`fill` then writes the series of a block of rows."""

    def __init__(self, theta0: np.ndarray, omega_i: np.ndarray, w0: np.ndarray, t: np.ndarray,
                 uniform: bool) -> None:
        from scipy.special import ellipk, ellipkinc

        half = 0.5 * theta0
        s_half = np.sin(half)
        v = 0.5 * omega_i / w0
        m = v * v + s_half * s_half
        self.lib = m <= 1
        with np.errstate(invalid="ignore", divide="ignore"):
            self.k = np.sqrt(m)
            self.sign = np.where(v < 0, -1.0, 1.0)
            self.param = np.where(self.lib, m, 1 / m)  # SciPy's parameter: m, or 1/m when rotating
            self.rate = np.where(self.lib, w0, self.k * w0)
            u0 = np.where(self.lib, ellipkinc(np.arctan2(s_half, v), self.param),
                          ellipkinc(self.sign * half, self.param))
            self.turn = np.where(self.lib, 0.0, np.pi / (2 * ellipk(self.param)))
        self.top = ~np.isfinite(u0)  # the unstable equilibrium θ₀ = ±π, θ'₀ = 0 (u₀ = K(1) = ∞)
        u0[self.top] = 0.0
        self.u0, self.w0, self.theta0, self.t = u0, w0, theta0, t
        self.tables = None
        if uniform and t.ndim == 1 and t.size >= 16:
            self.tables = _uniform_tables(u0 + self.rate * t[0], self.rate * (t[1] - t[0]),
                                          self.param, t.size)

    def observe(self, rows: slice, dst: dict[str, np.ndarray], length: np.ndarray,
                mass: np.ndarray, g: np.ndarray) -> None:
        """Every output series of the samples ``rows`` into ``dst`` (each (rows, T)).

        On the uniform path the librating samples' outputs come straight from the tables
        (:func:`_observe_added`); the others (rotating, resting at the top, and every sample on
        other grids) go through θ, θ', sin θ and 1 − cos θ (:meth:`fill`, :func:`_observe`).
        """
        t = self.t[rows] if self.t.ndim == 2 else self.t
        if self.tables is None:  # written straight into the outputs: sin θ into x, 1 − cos θ into y
            state = (dst["theta"], dst["omega"], dst["x"], dst["y"])
            self.fill(rows, state)
            _observe(dst, state, t, length, mass, g, harmonic=False)
            return
        plain = self.lib[rows] & ~self.top[rows]
        if plain.any():  # every row of the block; the other rows are overwritten below
            starts, offsets = (tuple(a[rows] for a in table) for table in self.tables)
            _observe_added(dst, starts, offsets, self.param[rows], self.k[rows], self.w0[rows],
                           length, mass, g)
            dst["t"][...] = t
        other = np.flatnonzero(~plain)
        if other.size:
            state = tuple(np.empty((other.size, t.shape[-1])) for _ in range(4))
            self.fill(np.arange(rows.start, rows.stop)[other], state)
            part = {n: np.empty_like(state[0]) for n in dst}
            _observe(part, state, t, length[other], mass[other], g[other], harmonic=False)
            for n, a in part.items():
                dst[n][other] = a

    def fill(self, rows: slice | np.ndarray, out: tuple[np.ndarray, ...]) -> None:
        """θ, θ', sin θ, 1 − cos θ of the samples ``rows`` (a slice or indices) into ``out``
        (each (rows, T))."""
        t = self.t[rows] if self.t.ndim == 2 else self.t
        lib, top = self.lib[rows], self.top[rows]
        u0, rate, param = self.u0[rows], self.rate[rows], self.param[rows]
        if self.tables is None:
            sn, cn, dn = ellipj_reduced(u0[:, None] + rate[:, None] * t, param)
        else:
            starts, offsets = (tuple(a[rows] for a in table) for table in self.tables)
            sn, cn, dn = _add(starts, offsets, param, t.shape[-1])
        if lib.any():  # rotating rows get meaningless values here, overwritten below
            _librate(out, sn, cn, dn, self.k[rows], self.w0[rows])
        if not lib.all():
            ro = np.flatnonzero(~lib)
            part = tuple(np.empty((ro.size, t.shape[-1])) for _ in range(4))
            _rotate(part, sn[ro], cn[ro], dn[ro], u0[ro], rate[ro], self.turn[rows][ro],
                    t[ro] if t.ndim == 2 else t, self.sign[rows][ro])
            for a, p in zip(out, part, strict=True):
                a[ro] = p
        if top.any():
            for arr, value in zip(out, (self.theta0[rows][top][:, None], 0.0, 0.0, 2.0),
                                  strict=True):
                arr[top] = value


def _row_blocks(batch: int, steps: int) -> list[slice]:
    """Slices of rows holding about ``BLOCK`` elements each (cache blocking, not per sample)."""
    rows = max(1, BLOCK // steps)
    return [slice(a, min(batch, a + rows)) for a in range(0, batch, rows)]


def ellipj_reduced(u: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sn, cn, dn of ``u`` (rows of ``m``, 0 <= m <= 1) from ``ellipj`` at |x| <= K/2 only.

    u is reduced to r ∈ [−K, K] with sn, cn changing sign every 2K, and |r| > K/2 is reflected
    about K (DLMF 22.4.iii): sn r = ± cn x/dn x, cn r = k' sn x/dn x, dn r = k'/dn x with
    x = K − |r|. SciPy's ``ellipj`` switches to a first-order expansion in 1 − m for
    m > 1 − 1e-9, which is wrong far from u = 0; near u = 0 it is accurate, so this keeps the
    motion close to the separatrix correct (to ≈1e-16/(1 − m) rad, the conditioning of m itself).
    """
    from scipy.special import ellipj, ellipk

    big_k = ellipk(m)[:, None]
    kp = np.sqrt(np.maximum(0.0, 1.0 - m))[:, None]
    with np.errstate(invalid="ignore"):  # K = ∞ at m = 1: nothing to reduce
        j = np.where(np.isfinite(big_k), np.round(u / (2 * big_k)), 0.0)
        r = np.where(j != 0, u - 2 * big_k * j, u)
    far = np.abs(r) > 0.5 * big_k
    x = np.where(far, big_k - np.abs(r), r)
    sn, cn, dn, _ = ellipj(x, m[:, None])
    odd = np.where(np.fmod(j, 2) == 0, 1.0, -1.0)
    if far.any():
        sn, cn, dn = (np.where(far, np.sign(r) * cn / dn, sn), np.where(far, kp * sn / dn, cn),
                      np.where(far, kp / dn, dn))
    return odd * sn, odd * cn, dn


def _uniform_tables(start: np.ndarray, step: np.ndarray, m: np.ndarray, steps: int
                    ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """sn, cn, dn at the block starts ``start + S²·j·step`` and at the offsets ``j·step``
    (j < S²), from which :func:`_add` gives them at ``start + j·step`` (j < steps; DLMF 22.8.1–3).

    With S = ⌈T^⅓⌉, ``ellipj`` runs four times per sample (at ``step``, ``S·step``, ``S²·step`` and
    ``start``); the multiples j·step, j·S·step (j < S) and the block starts (j < ⌈T/S²⌉) follow by
    repeated addition, each a few ulp (tested against one ``ellipj`` per step). Near the
    separatrix (parameter > NEAR_SEPARATRIX), where repeated addition loses digits, ``ellipj``
    gives every entry (about 3·T^⅓ calls). The rest is one more application of the addition
    theorem.
    """
    from scipy.special import ellipj

    size = max(1, round(steps ** (1 / 3)))
    while size**3 < steps:
        size += 1
    blocks = -(-steps // size**2)
    fine = _multiples(tuple(ellipj(step, m)[:3]), None, m, size)
    coarse = _multiples(_one_ellipj(step * size, m), None, m, size)
    starts = _multiples(_one_ellipj(step * size**2, m), _one_ellipj(start, m), m, blocks)
    near = np.flatnonzero(m > NEAR_SEPARATRIX)  # repeated addition loses digits there: direct
    if near.size:
        mn = m[near]
        direct = (ellipj(step[near, None] * np.arange(size), mn[:, None])[:3],
                  ellipj_reduced((step[near] * size)[:, None] * np.arange(size), mn),
                  ellipj_reduced(start[near, None]
                                 + (step[near] * size**2)[:, None] * np.arange(blocks), mn))
        for table, exact_rows in zip((fine, coarse, starts), direct, strict=True):
            for a, d in zip(table, exact_rows, strict=True):
                a[near] = d
    return starts, _add(coarse, fine, m)


def _one_ellipj(u: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, ...]:
    """sn, cn, dn of one argument per sample (B,), reduced as in :func:`ellipj_reduced`."""
    return tuple(a[:, 0] for a in ellipj_reduced(u[:, None], m))


def _multiples(inc: tuple[np.ndarray, ...], first: tuple[np.ndarray, ...] | None,
               m: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sn, cn, dn at first + j·inc for j < count, as (B, count), by repeated addition (``first``
    None: 0, where sn, cn, dn = 0, 1, 1)."""
    b = len(m)
    out = tuple(np.empty((b, count)) for _ in range(3))
    if first is None:
        first = (np.zeros(b), np.ones(b), np.ones(b))
    for a, f in zip(out, first, strict=True):
        a[:, 0] = f
    si, ci, di = inc
    for j in range(1, count):  # sequential in j (each multiple from the last); vectorised over B
        sa, ca, da = (a[:, j - 1] for a in out)
        ns = sa * (ci * di) + si * (ca * da)
        nc = ca * ci - (sa * da) * (si * di)
        nd = da * di - (m * sa * ca) * (si * ci)
        inv = 1.0 / np.sqrt(ns * ns + nc * nc)
        out[0][:, j], out[1][:, j], out[2][:, j] = ns * inv, nc * inv, nd * inv
    return out


def _add(u: tuple[np.ndarray, ...], v: tuple[np.ndarray, ...], m: np.ndarray,
         keep: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sn, cn, dn of every sum U_a + v_b, flattened to (B, A·Bv) with b fastest (the first
    ``keep`` columns if given):
    ((sn U cn v dn v + sn v cn U dn U), (cn U cn v − sn U dn U sn v dn v),
    (dn U dn v − m sn U cn U sn v cn v)) / D, D = 1 − m sn²U sn²v evaluated as the norm of the
    first two numerators (sn² + cn² = 1): the difference loses digits near the separatrix."""
    su, cu, du = (a[:, :, None] for a in u)
    sv, cv, dv = (a[:, None, :] for a in v)
    mm = m[:, None, None]
    sn = su * (cv * dv)
    sn += (cu * du) * sv
    cn = cu * cv
    cn -= (su * du) * (sv * dv)
    dn = du * dv
    dn -= (mm * su * cu) * (sv * cv)
    inv = np.sqrt(sn * sn + cn * cn)
    np.divide(1.0, inv, out=inv)
    sn *= inv
    cn *= inv
    dn *= inv
    shape = (len(m), su.shape[1] * sv.shape[2])
    return tuple(a.reshape(shape)[:, :keep] for a in (sn, cn, dn))  # type: ignore[return-value]


def _observe_added(dst: dict[str, np.ndarray], starts: tuple[np.ndarray, ...],
                   offsets: tuple[np.ndarray, ...], m: np.ndarray, k: np.ndarray, w0: np.ndarray,
                   length: np.ndarray, mass: np.ndarray, g: np.ndarray) -> None:
    """The output series of librating samples on the uniform grid, from the tables of
    :func:`_uniform_tables` (sn, cn, dn at block starts U and offsets v, (rows, ·) each):
    time j is start j // A plus offset j % A, where A is the number of offsets."""
    steps, width = dst["theta"].shape[1], offsets[0].shape[1]
    full = steps // width
    c = {"m": m, "k": k, "w": 2 * k * w0, "L": length, "2L": 2 * length,
         "V": 2 * mass * g * length, "T": 0.5 * mass * length**2}
    c = {name: v[:, None] for name, v in c.items()}
    groups = [(0, full, width)] if full else []
    if steps > full * width:  # the last block is cut short
        groups.append((full, 1, steps - full * width))
    for first, count, size in groups:
        cols = slice(first * width, first * width + count * size)
        out = {n: dst[n][:, cols] for n in dst if n != "t"}
        su, cu, du = (a[:, first:first + count, None] for a in starts)
        sv, cv, dv = (a[:, None, :size] for a in offsets)
        _librate_added(out, (su, cu, du), (sv, cv, dv), c)


def _librate_added(out: dict[str, np.ndarray], u: tuple[np.ndarray, ...],
                   v: tuple[np.ndarray, ...], c: dict[str, np.ndarray]) -> None:
    """Outputs at U + v for every start U and offset v, written into ``out`` ((rows, U·v)
    blocks of the series, v fastest), through the addition theorem (DLMF 22.8.1–3):
    k sn(U + v) = k(snU cnv dnv + snv cnU dnU)/D = sin(θ/2),
    dn(U + v) = (dnU dnv − m snU cnU snv cnv)/D = cos(θ/2), θ' = 2kω₀(cnU cnv − snU dnU snv dnv)/D,
    with D = 1 − m sn²U sn²v evaluated as the norm of the first two numerators.
    ``u`` holds (rows, U, 1) and ``v`` (rows, 1, v) arrays, ``c`` the per-sample constants as
    (rows, 1). Each product of a start factor and an offset factor is one pass over the block; the
    output arrays double as scratch (D in total_energy, the numerators of sin(θ/2) and cos(θ/2) in
    the potential and kinetic energies)."""
    su, cu, du = u
    sv, cv, dv = v
    theta, omega, x, y = out["theta"], out["omega"], out["x"], out["y"]
    sin_half, cos_half, d = out["potential_energy"], out["kinetic_energy"], out["total_energy"]
    shape = (len(su), su.shape[1], sv.shape[2])

    def outer(a: np.ndarray, b: np.ndarray, dst: np.ndarray) -> None:
        view = dst.view()
        view.shape = shape  # a view of the series, never a copy (numpy raises if it cannot)
        np.multiply(a, b, out=view)

    m, k, w = (c[name][:, :, None] for name in ("m", "k", "w"))
    outer(k * su, cv * dv, sin_half)
    outer(k * cu * du, sv, y)
    sin_half += y
    outer(du, dv, cos_half)
    outer(m * su * cu, sv * cv, y)
    cos_half -= y
    np.multiply(sin_half, sin_half, out=d)  # D² = (D k sn)² + (D dn)², as (k sn)² + dn² = 1:
    np.multiply(cos_half, cos_half, out=y)  # no cancellation (1 − m sn²U sn²v loses digits
    d += y  # near the separatrix, where m sn² → 1)
    np.sqrt(d, out=d)
    outer(w * cu, cv, omega)
    outer(w * su * du, sv * dv, y)
    omega -= y
    omega /= d
    np.divide(sin_half, cos_half, out=theta)  # D cancels: θ = 2 arctan(sin(θ/2) / cos(θ/2))
    np.arctan(theta, out=theta)
    theta *= 2
    sin_half /= d
    cos_half /= d
    np.multiply(sin_half, cos_half, out=x)
    x *= c["2L"]  # L sin θ = 2L sin(θ/2) cos(θ/2)
    sin_half *= sin_half  # (1 − cos θ) / 2
    np.multiply(sin_half, c["2L"], out=y)
    y -= c["L"]  # −L cos θ
    sin_half *= c["V"]  # potential energy mgL(1 − cos θ)
    np.multiply(omega, omega, out=cos_half)
    cos_half *= c["T"]  # kinetic energy ½mL²θ'²
    np.add(cos_half, sin_half, out=d)


def _librate(dst: tuple[np.ndarray, ...], sn: np.ndarray, cn: np.ndarray, dn: np.ndarray,
             k: np.ndarray, w0: np.ndarray) -> None:
    theta, omega, sin_theta, one_minus_cos = dst
    ks = sn * k[:, None]  # sin(θ/2); cos(θ/2) = dn
    np.divide(ks, dn, out=theta)
    np.arctan(theta, out=theta)
    theta *= 2
    np.multiply(cn, (2 * k * w0)[:, None], out=omega)
    np.multiply(ks, dn, out=sin_theta)
    sin_theta *= 2
    np.multiply(ks, ks, out=one_minus_cos)
    one_minus_cos *= 2


def _rotate(dst: tuple[np.ndarray, ...], sn: np.ndarray, cn: np.ndarray, dn: np.ndarray,
            u0: np.ndarray, rate: np.ndarray, turn: np.ndarray, t: np.ndarray, sign: np.ndarray
            ) -> None:
    theta, omega, sin_theta, one_minus_cos = dst
    s = sign[:, None]
    am = np.arctan2(sn, cn)  # am(u) up to whole turns; am(u) − πu/(2K) is periodic, |·| < π/2
    smooth = (u0[:, None] + rate[:, None] * t) * turn[:, None]
    am += 2 * np.pi * np.round((smooth - am) / (2 * np.pi))
    np.multiply(am, 2 * s, out=theta)
    np.multiply(dn, 2 * rate[:, None] * s, out=omega)
    np.multiply(sn, cn, out=sin_theta)
    sin_theta *= 2 * s
    np.multiply(sn, sn, out=one_minus_cos)
    one_minus_cos *= 2

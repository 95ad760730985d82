"""``calo.shower``: GFlash-style electromagnetic showers read out in a calorimeter geometry.

Notes
-----
Per shower, with incident energy E (GeV) and the geometry's medium (X0, R_M, Ec, Z; for W/Si
sampling the effective medium with F_S and ê, see :mod:`deepbench.calo.materials`):

1. (ln T, ln α) are bivariate normal with the GFlash means, widths and correlation (sampling
   corrections for sampling media), drawn from two standard normals and our own Cholesky
   factor; T ≥ 1, α ≥ 1.1 (GFlash clamps), β = (α − 1)/T (:mod:`deepbench.calo.gflash`).
2. Photons first travel a depth t0 ~ Exponential(9/7 X0) (conversion mean free path, PDG),
   then shower like electrons; electrons have t0 = 0.
3. The shower deposits E_vis = ê · E (sampling media: the readout is calibrated to a MIP, so an
   electron's response is e/mip = ê; homogeneous media: E_vis = E) through spots, as GFlash does:
   the energy of layer l follows the energy profile, f_l = P(α, β(t₂ − t0)) − P(α, β(t₁ − t0)),
   and the number of spots follows the GFlash multiplicity λ (93 ln Z E^0.876 homogeneous,
   10.3 ln Z E^0.959 sampling) spread along the axis by the spots' own Gamma profile
   (T_s = T (t1 + t2 Z), α_s = α (a1 + a2 Z), fraction q_l); every spot of layer l carries
   w_l = E_vis f_l / (λ q_l), so the mean energy of a layer is exactly E_vis f_l. A spot of layer
   l lands in a radial bin with the two-component CDF difference over the bin (R_C, R_T, p at
   the layer's centre depth τ = (t − t0)/T) and in an angular bin with probability 1/n_alpha
   (uniform azimuth); in a Cartesian cell with the closed-form rectangle integral of the same
   profile. By Poisson thinning, the counts per voxel are independent Poisson(λ q_l p_v): a
   shower costs O(voxels), and only layers × radial bins distinct means are computed for
   cylindrical geometries (regular ones draw the (layer, radius) counts and spread each count
   uniformly over the angular bins, which is the same distribution). Spots outside the grid
   (deeper than the last layer or beyond its transverse edges) are leaked energy, Poisson counts
   of their own. Fluctuations of the total come from the spot counts:
   Var(E) = Σ_l E_vis f_l w_l given the shower's profiles.
   With an incidence ``angle`` θ (Cartesian geometries), the axis crosses layer l at
   x = z_mid tan θ, the longitudinal profiles run along the axis (depths / cos θ) and a spot's
   offset from the axis is projected along the axis onto the layer (× 1/cos θ in x).
4. Readout: optional Gaussian noise per voxel (``noise`` MeV), a per-shower constant term
   (× (1 + c z)), then voxels below ``threshold`` (MeV) are set to 0 (``threshold: 0`` is no
   threshold). Voxel energies are float32 MeV.

With ``leakage: false`` the voxel probabilities are renormalised to sum to 1 (nothing leaks).
Energy bookkeeping, per shower and exact: deposited = visible + leaked, and
Σ showers + below_threshold = visible + readout_shift (noise and constant term; 0 without them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from deepbench.calo import gflash
from deepbench.calo.geometry import PRESETS, WSI_DS, AnyGeometry, Geometry, from_xml, preset
from deepbench.calo.materials import MATERIALS
from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import SimResult, Simulator
from deepbench.errors import Problem, SpecError

PARTICLES = ("electron", "photon")  # the integer code of `particle` indexes this tuple
MEDIA = {"W/Si": WSI_DS, **MATERIALS}   # media of custom geometries; W/Si as in dataset 2


@lru_cache(maxsize=16)
def _custom(xml: str, thickness: tuple[float, ...], medium: str) -> Geometry:
    return from_xml(xml, thickness, MEDIA[medium], name=f"custom ({Path(xml).name})")


class Shower(Simulator):
    """Electromagnetic shower (electron or photon) in a CaloChallenge-style voxel geometry."""

    name = "calo.shower"
    version = 2   # 2: spot counts follow the spot profile; angle; ild_like; geometry attributes
    summary = ("GFlash-style electromagnetic showers (electrons, photons) in CaloChallenge, "
               "FAST.AR-like geometries; per-voxel Poisson spot counts, MeV per voxel")
    params = (
        Param("energy", 10.0, "GeV", "incident energy (each geometry supports a range: "
              "CaloChallenge 1–1000 GeV, fastar 1–100 GeV)", low=1.0, high=1000.0),
        Param("particle", 0, "", "incident particle: 0 = electron, 1 = photon", low=0, high=1,
              kind="int"),
        Param("angle", 0.0, "rad", "incidence angle between the shower axis and the layer "
              "normal, tilted towards +x (Cartesian geometries only: the CaloChallenge binnings "
              "are centred on the shower axis)", low=0.0, high=1.0),
    )
    settings: ClassVar[tuple[Setting, ...]] = (
        Setting("geometry", "calochallenge_ds2", "readout geometry preset, or custom (give "
                "binning_xml, layer_thickness and material)", str,
                choices=(*PRESETS, "custom")),
        Setting("binning_xml", "", "custom geometry: path of a CaloChallenge binning XML", str),
        Setting("layer_thickness", (), "custom geometry: thickness of each layer (mm), one per "
                "<Layer> of the XML", tuple, unit="mm"),
        Setting("material", "W/Si", "custom geometry: medium, one of " + ", ".join(MEDIA), str,
                choices=tuple(MEDIA)),
        Setting("noise", 0.0, "Gaussian noise per voxel (σ, MeV), before the threshold", float,
                low=0.0, unit="MeV"),
        Setting("constant_term", 0.0, "constant resolution term c: every voxel of a shower is "
                "scaled by 1 + c z, z ~ N(0, 1)", float, low=0.0, high=0.5),
        Setting("threshold", 0.01515, "readout threshold (MeV): smaller voxel values are set to 0 "
                "(default: CaloChallenge's 15.15 keV); 0 turns it off (noise may then leave "
                "negative voxels)", float, low=0.0, unit="MeV"),
        Setting("leakage", True, "false: renormalise the voxel probabilities so nothing leaks",
                bool),
    )

    def check_config(self, config: Mapping[str, object], path: str) -> list[Problem]:
        custom = config["geometry"] == "custom"
        given = [k for k in ("binning_xml", "layer_thickness") if bool(config[k]) != custom]
        if given:
            need = "a value (geometry is custom)" if custom else "nothing unless geometry is custom"
            return [Problem(f"{path}.{k}", config[k], need) for k in given]
        if not custom:
            return []
        thickness = config["layer_thickness"]
        assert isinstance(thickness, tuple)
        if not all(isinstance(d, int | float) and not isinstance(d, bool) for d in thickness):
            return [Problem(f"{path}.layer_thickness", list(thickness), "numbers > 0 (mm)")]
        try:
            _custom(str(config["binning_xml"]), thickness, str(config["material"]))
        except SpecError as exc:
            return [Problem(f"{path}.{p.field}", p.value, p.expected) for p in exc.problems]
        return []

    def inactive(self) -> dict[str, str]:
        if self.geometry.kind == "cartesian":
            return {}
        return {"angle": f"geometry {self.geometry.name} is a cylindrical binning centred on the "
                         "shower axis; an incidence angle needs a Cartesian geometry (ild_like)"}

    @property
    def geometry(self) -> AnyGeometry:
        cfg = self.config
        if cfg["geometry"] == "custom":
            return _custom(cfg["binning_xml"], cfg["layer_thickness"], cfg["material"])
        return preset(cfg["geometry"])

    @property
    def stochastic(self) -> bool:
        return True

    def outputs(self) -> tuple[Output, ...]:
        g = self.geometry
        order = ("layer → angle → radius, CaloChallenge order" if g.kind == "cylindrical"
                 else "layer → y → x")
        return (Output("showers", (g.n_voxels,), "float32", "MeV",
                       f"energy per voxel, {order}; {g.name}: {g.doc}",
                       attrs=tuple(g.attributes().items())),)

    def truth_outputs(self) -> tuple[Output, ...]:
        n_layers = self.geometry.n_layers
        scalar = [("t_max", "X0", "depth of the shower maximum T (after the clamp T >= 1)"),
                  ("alpha", "", "Gamma-profile shape α (after the clamp α >= 1.1)"),
                  ("beta", "1/X0", "Gamma-profile rate β = (α − 1)/T"),
                  ("spot_t_max", "X0", "maximum T_s of the spot-count profile"),
                  ("spot_alpha", "", "shape α_s of the spot-count profile"),
                  ("start_depth", "X0", "depth along the axis where the shower starts (photon "
                   "conversion; 0 for electrons)"),
                  ("spot_mean", "", "mean spot count λ"),
                  ("n_spots", "", "spots drawn (in the grid and leaked)"),
                  ("deposited", "MeV", "energy of all spots (visible + leaked)"),
                  ("visible", "MeV", "energy of the spots inside the voxel grid"),
                  ("leaked", "MeV", "energy of the spots outside the grid"),
                  ("below_threshold", "MeV", "readout energy removed by the threshold"),
                  ("readout_shift", "MeV", "energy added by noise and the constant term (0 "
                   "without them; the float32 rounding of the voxels is not counted)")]
        return (*(Output(n, (), "float64", u, d) for n, u, d in scalar),
                Output("expected_layer_energy", (n_layers,), "float64", "MeV",
                       "analytic expectation of the visible energy per layer given this "
                       "shower's T, α, start depth and angle"),
                Output("layer_spot_energy", (n_layers,), "float64", "MeV",
                       "energy of each spot in a layer: E_vis × (energy-profile fraction) / "
                       "(λ × spot-profile fraction)"))

    def check_params(self, params: Mapping[str, np.ndarray]) -> list[Problem]:
        g = self.geometry
        lo, hi = g.energy_range
        e = np.asarray(params["energy"], dtype=np.float64)
        bad = ~((e >= lo) & (e <= hi))
        if bad.any():
            return [Problem("params.energy", float(e[bad][0]),
                            f"an energy in [{lo:g}, {hi:g}] GeV, the range of geometry {g.name}")]
        return []

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        g, cfg = self.geometry, self.config
        energy = np.asarray(params["energy"], dtype=np.float64)
        photon = np.asarray(params["particle"]) == 1
        angle = np.asarray(params.get("angle", np.zeros(len(energy))), dtype=np.float64)
        t_max, alpha, beta = gflash.draw_t_alpha(gflash.individual(energy, g.medium),
                                                 *rng.standard_normal((2, len(energy))))
        start = rng.exponential(gflash.PHOTON_PATH_X0, len(energy)) * photon
        prof = profiles(g, energy, t_max, alpha, beta, start, angle)
        if not cfg["leakage"]:
            prof = prof.contained()
        lam = gflash.spot_count(energy, g.medium)
        e_vis = energy * 1e3 * g.medium.e_hat
        w = _spot_energy(e_vis[:, None] * prof.energy, lam[:, None] * prof.spots)     # (B, L)
        counts, in_layer = draw_counts(g, prof.spot_means(lam), rng, layer_totals=True)
        n_side = rng.poisson(lam[:, None] * prof.spots * np.clip(1.0 - prof.containment, 0, 1))
        tail_s = np.clip(1.0 - prof.spots.sum(axis=1), 0.0, 1.0)
        n_back = rng.poisson(lam * tail_s)
        w_back = _spot_energy(e_vis * np.clip(1.0 - prof.energy.sum(axis=1), 0.0, 1.0),
                              lam * tail_s)
        visible = (in_layer * w).sum(axis=1)
        leaked = (n_side * w).sum(axis=1) + n_back * w_back
        readout = _readout(counts, w, g, cfg, rng)
        smeared = cfg["noise"] > 0.0 or cfg["constant_term"] > 0.0
        shift = readout.sum(axis=1, dtype=np.float64) - visible if smeared else 0.0 * visible
        below_sum = np.zeros(len(energy))
        thr = cfg["threshold"]
        light = (w > 0.0) & (w < thr)        # layers whose spots weigh less than the threshold
        if thr > 0.0 and (smeared or light.any()):  # else every nonzero voxel >= one spot
            below = readout < thr
            below_sum = np.where(below, readout, 0.0).sum(axis=1, dtype=np.float64)
            readout[below] = 0.0
        n_spots = in_layer.sum(axis=1) + n_side.sum(axis=1) + n_back
        t_s, a_s, _ = gflash.spot_profile(t_max, alpha, g.medium)
        truth = {"t_max": t_max, "alpha": alpha, "beta": beta, "spot_t_max": t_s,
                 "spot_alpha": a_s, "start_depth": start, "spot_mean": lam,
                 "n_spots": n_spots.astype(np.float64), "deposited": visible + leaked,
                 "visible": visible, "leaked": leaked, "below_threshold": below_sum,
                 "readout_shift": shift,
                 "expected_layer_energy": e_vis[:, None] * prof.energy * prof.containment,
                 "layer_spot_energy": w}
        return SimResult({"showers": readout}, truth)


def _spot_energy(energy: np.ndarray, mean_count: np.ndarray) -> np.ndarray:
    """Energy per spot, energy / mean count (0 where no spot is expected)."""
    ok = mean_count > 0.0
    return np.where(ok, energy / np.where(ok, mean_count, 1.0), 0.0)


def _per_layer(counts: np.ndarray, g: AnyGeometry) -> np.ndarray:
    """Spot counts summed per layer, (B, L) int64, from (B, L, …) or flat (B, n_voxels) counts."""
    if counts.ndim > 2:
        return counts.sum(axis=tuple(range(2, counts.ndim)))
    bounds = np.concatenate([[0], np.cumsum(g.voxels_per_layer)])
    csum = np.concatenate([np.zeros((len(counts), 1), np.int64), np.cumsum(counts, axis=1)],
                          axis=1)
    return csum[:, bounds[1:]] - csum[:, bounds[:-1]]


def _readout(counts: np.ndarray, w: np.ndarray, g: AnyGeometry, cfg: Mapping[str, object],
             rng: np.random.Generator) -> np.ndarray:
    """Voxel energies (B, n_voxels) float32 MeV: spots × the layer's spot energy, then noise and
    the constant term."""
    noise, const = float(cfg["noise"]), float(cfg["constant_term"])  # type: ignore[arg-type]
    w32 = w.astype(np.float32)
    if counts.ndim > 2:
        scale = w32.reshape(*w32.shape, *(1,) * (counts.ndim - 2))
    else:
        scale = w32[:, np.repeat(np.arange(g.n_layers), g.voxels_per_layer)]
    showers = np.empty(counts.shape, dtype=np.float32)   # C order, also for a transposed view
    np.multiply(counts, scale, out=showers, casting="unsafe")
    showers = showers.reshape(len(counts), -1)
    if noise > 0.0:
        showers += (noise * rng.standard_normal(showers.shape)).astype(np.float32)
    if const > 0.0:
        showers *= (1.0 + const * rng.standard_normal(len(showers))).astype(np.float32)[:, None]
    return showers


@dataclass(frozen=True)
class Profiles:
    """Per shower and layer: the energy-profile fraction ``energy`` (B, L), the spot-profile
    fraction ``spots`` (B, L), and ``transverse``, the share of a layer's spots in each radial bin
    (B, L, R; cylindrical, summed over angles) or cell (B, L, n_y, n_x; Cartesian)."""

    energy: np.ndarray
    spots: np.ndarray
    transverse: np.ndarray

    @property
    def containment(self) -> np.ndarray:
        """Transverse share of each layer inside the grid, (B, L)."""
        return self.transverse.sum(axis=tuple(range(2, self.transverse.ndim)))

    def contained(self) -> Profiles:
        """Renormalised so that nothing leaks (every fraction sums to 1 inside the grid)."""
        axes = tuple(range(2, self.transverse.ndim))
        return Profiles(self.energy / self.energy.sum(axis=1, keepdims=True),
                        self.spots / self.spots.sum(axis=1, keepdims=True),
                        self.transverse / self.transverse.sum(axis=axes, keepdims=True))

    def spot_means(self, lam: np.ndarray) -> np.ndarray:
        """Mean spot count per radial bin (cylindrical, summed over angles) or per cell."""
        extra = (1,) * (self.transverse.ndim - 2)
        return (lam[:, None] * self.spots).reshape(*self.spots.shape, *extra) * self.transverse


def profiles(g: AnyGeometry, energy: np.ndarray, t_max: np.ndarray, alpha: np.ndarray,
             beta: np.ndarray, start: np.ndarray, angle: np.ndarray | None = None) -> Profiles:
    """Longitudinal (energy and spot count) and transverse profiles of each layer.

    The axis enters at ``angle`` (rad, towards +x; Cartesian geometries): layer l spans the axis
    depths [t_l, t_l+1] / cos θ − t0; a spot's offset from the axis is projected along the axis
    onto the layer's mid-plane, centred at x = z_mid tan θ and stretched by 1/cos θ in x. Radii
    of bins beyond a layer's last edge are zero-width padding.
    """
    angle = np.zeros(len(energy)) if angle is None else angle
    cos = np.cos(angle)
    depth = g.layer_edges_x0()[None, :] / cos[:, None] - start[:, None]             # (B, L + 1)
    e_frac = np.diff(gflash.longitudinal_cdf(depth, alpha[:, None], beta[:, None]), axis=1)
    _, a_s, b_s = gflash.spot_profile(t_max, alpha, g.medium)
    s_frac = np.diff(gflash.longitudinal_cdf(depth, a_s[:, None], b_s[:, None]), axis=1)
    mid = 0.5 * (depth[:, 1:] + depth[:, :-1])
    rc, rt, p = gflash.radial(energy[:, None], np.maximum(mid, 0.0) / t_max[:, None], g.medium)
    rm_mm = 10.0 * g.medium.rm_cm
    if g.kind == "cylindrical":
        assert isinstance(g, Geometry)
        r_edges = _padded_edges(g) / rm_mm                                              # (L, R + 1)
        cdf = gflash.radial_cdf(r_edges[None], rc[..., None], rt[..., None], p[..., None])
        return Profiles(e_frac, s_frac, np.diff(cdf, axis=2))
    z_mm = np.concatenate([[0.0], np.cumsum(g.layer_thickness)])
    shift = 0.5 * (z_mm[1:] + z_mm[:-1])[None, :] * np.tan(angle)[:, None]            # (B, L)
    x_edges = (g.x_edges()[None, None, :] - shift[..., None]) * (cos[:, None, None] / rm_mm)
    half = g.n_y // 2        # the profile is even in y: cells y >= 0, mirrored (n_y even)
    y_edges = np.broadcast_to(g.y_edges()[half:] / rm_mm, (*shift.shape, g.n_y + 1 - half))
    upper = gflash.cell_fractions(x_edges, y_edges, rc, rt, p)
    cells = np.concatenate([upper[..., ::-1, :], upper], axis=-2)
    return Profiles(e_frac, s_frac, cells)


def _padded_edges(g: Geometry) -> np.ndarray:
    width = max(len(e) for e in g.r_edges)
    return np.array([list(e) + [e[-1]] * (width - len(e)) for e in g.r_edges], dtype=np.float64)


def draw_counts(g: AnyGeometry, means: np.ndarray, rng: np.random.Generator,
                general: bool = False, layer_totals: bool = False
                ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Spot counts per voxel, int64: a (B, L, A, R) view (regular cylindrical geometries, from
    the (B, L, R) means summed over angles), (B, L, n_y, n_x) (Cartesian, from per-cell means),
    or flat (B, n_voxels) in CaloChallenge order.

    A regular cylindrical geometry draws one Poisson count per (layer, radius) cell and splits it
    uniformly over the angular bins with a multinomial draw (Poisson splitting: the same law as
    independent Poisson counts per voxel; empty cells cost nothing). Otherwise, or with
    ``general``, one Poisson draw per voxel. With ``layer_totals``, also the counts per layer
    (B, L).
    """
    if g.kind == "cartesian":
        counts = rng.poisson(means)
    elif g.regular and not general:
        n_a = g.shape[1]
        cells = rng.poisson(means)                                                  # (B, L, R)
        split = rng.multinomial(cells, np.full(n_a, 1.0 / n_a))                    # (B, L, R, A)
        counts = split.transpose(0, 1, 3, 2)   # a (B, L, A, R) view; the readout copies
        return (counts, cells.sum(axis=2)) if layer_totals else counts
    else:
        counts = _per_voxel(g, means, rng)
    return (counts, _per_layer(counts, g)) if layer_totals else counts


def _per_voxel(g: AnyGeometry, means: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One Poisson draw per voxel, flat (B, n_voxels) in CaloChallenge order."""
    assert isinstance(g, Geometry)
    b = means.shape[0]
    per_layer = []
    for layer, (edges, n_a) in enumerate(zip(g.r_edges, g.n_alpha, strict=True)):
        m = means[:, layer, : len(edges) - 1] / n_a                                # (B, R_l)
        per_layer.append(np.broadcast_to(m[:, None, :], (b, n_a, len(edges) - 1)).reshape(b, -1))
    return rng.poisson(np.concatenate(per_layer, axis=1))


def expected_layer_fractions(g: AnyGeometry, energy: float, particle: int = 0, nodes: int = 32,
                             angle: float = 0.0) -> np.ndarray:
    """Expected visible energy per layer over E_vis, (L,), integrated over the simulator's own
    (T, α) distribution (clamps included; Gauss–Hermite in the two standard normals) and, for
    photons, over the start depth (Gauss–Laguerre)."""
    x, w = np.polynomial.hermite.hermgauss(nodes)
    z, wz = np.sqrt(2.0) * x, w / np.sqrt(np.pi)
    z1, z2 = (a.ravel() for a in np.meshgrid(z, z, indexing="ij"))
    weight = np.outer(wz, wz).ravel()
    if particle == 1:
        u, wu = np.polynomial.laguerre.laggauss(16)
        start = np.repeat(u * gflash.PHOTON_PATH_X0, z1.size)
        z1, z2, weight = np.tile(z1, u.size), np.tile(z2, u.size), np.outer(wu, weight).ravel()
    else:
        start = np.zeros(z1.size)
    e = np.full(z1.size, float(energy))
    t, a, b = gflash.draw_t_alpha(gflash.individual(e, g.medium), z1, z2)
    prof = profiles(g, e, t, a, b, start, np.full(z1.size, float(angle)))
    return weight @ (prof.energy * prof.containment)

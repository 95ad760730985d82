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
   electron's response is e/mip = ê; homogeneous media: E_vis = E) through spots: their number
   is Poisson with the GFlash mean λ (93 ln Z E^0.876 homogeneous, 10.3 ln Z E^0.959 sampling)
   and each carries E_vis/λ. A spot lands in voxel v with probability p_v = (longitudinal
   Gamma-profile fraction of the layer: P(α, β(t₂ − t0)) − P(α, β(t₁ − t0))) × (radial
   two-component CDF difference over the radial bin, with R_C, R_T, p at the layer's centre depth
   τ = (t − t0)/T) × (1/n_alpha, uniform azimuth). By Poisson thinning, the counts per voxel are
   independent Poisson(λ p_v): a shower costs O(voxels), and only layers × radial bins distinct
   means are computed (regular geometries draw the (layer, radius) counts and spread each count
   uniformly over the angular bins, which is the same distribution). Spots outside the grid
   (deeper than the last layer or beyond the last radial edge) are leaked energy, a Poisson count
   of its own. All fluctuations of the total come from the spot count: σ/E = 1/√λ.
4. Readout: optional Gaussian noise per voxel (``noise`` MeV), a per-shower constant term
   (× (1 + c z)), then voxels below ``threshold`` (MeV) are set to 0 (``threshold: 0`` is no
   threshold). Voxel energies are float32 MeV.

With ``leakage: false`` the voxel probabilities are renormalised to sum to 1 (nothing leaks).
Energy bookkeeping, per shower and exact: deposited = visible + leaked, and
Σ showers + below_threshold = visible + readout_shift (noise and constant term; 0 without them).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from deepbench.calo import gflash
from deepbench.calo.geometry import PRESETS, WSI_DS, Geometry, from_xml, preset
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
    summary = ("GFlash-style electromagnetic showers (electrons, photons) in CaloChallenge, "
               "FAST.AR-like geometries; per-voxel Poisson spot counts, MeV per voxel")
    params = (
        Param("energy", 10.0, "GeV", "incident energy (each geometry supports a range: "
              "CaloChallenge 1–1000 GeV, fastar 1–100 GeV)", low=1.0, high=1000.0),
        Param("particle", 0, "", "incident particle: 0 = electron, 1 = photon", low=0, high=1,
              kind="int"),
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

    @property
    def geometry(self) -> Geometry:
        cfg = self.config
        if cfg["geometry"] == "custom":
            return _custom(cfg["binning_xml"], cfg["layer_thickness"], cfg["material"])
        return preset(cfg["geometry"])

    @property
    def stochastic(self) -> bool:
        return True

    def outputs(self) -> tuple[Output, ...]:
        g = self.geometry
        return (Output("showers", (g.n_voxels,), "float32", "MeV",
                       f"energy per voxel, CaloChallenge order (layer → angle → radius); "
                       f"{g.name}: {g.doc}"),)

    def truth_outputs(self) -> tuple[Output, ...]:
        n_layers = self.geometry.n_layers
        scalar = [("t_max", "X0", "depth of the shower maximum T (after the clamp T >= 1)"),
                  ("alpha", "", "Gamma-profile shape α (after the clamp α >= 1.1)"),
                  ("beta", "1/X0", "Gamma-profile rate β = (α − 1)/T"),
                  ("start_depth", "X0", "depth where the shower starts (photon conversion; 0 "
                   "for electrons)"),
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
                       "shower's T, α and start depth"))

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
        t_max, alpha, beta = gflash.draw_t_alpha(gflash.individual(energy, g.medium),
                                                 *rng.standard_normal((2, len(energy))))
        start = rng.exponential(gflash.PHOTON_PATH_X0, len(energy)) * photon
        prob = voxel_probabilities(g, energy, t_max, alpha, beta, start)
        if not cfg["leakage"]:
            prob /= prob.sum(axis=(1, 2), keepdims=True)
        lam = gflash.spot_count(energy, g.medium)
        e_vis = energy * 1e3 * g.medium.e_hat
        e_spot = e_vis / lam
        counts = draw_counts(g, lam[:, None, None] * prob, rng)
        n_leak = rng.poisson(lam * np.clip(1.0 - prob.sum(axis=(1, 2)), 0.0, 1.0))
        n_in = counts.sum(axis=tuple(range(1, counts.ndim)))
        visible = n_in * e_spot
        readout = _readout(counts, e_spot, cfg, rng)
        smeared = cfg["noise"] > 0.0 or cfg["constant_term"] > 0.0
        shift = readout.sum(axis=1, dtype=np.float64) - visible if smeared else 0.0 * visible
        below_sum = np.zeros(len(energy))
        thr = cfg["threshold"]
        if thr > 0.0 and (smeared or e_spot.min() < thr):  # else every nonzero voxel >= one spot
            below = readout < thr
            below_sum = np.where(below, readout, 0.0).sum(axis=1, dtype=np.float64)
            readout[below] = 0.0
        truth = {"t_max": t_max, "alpha": alpha, "beta": beta, "start_depth": start,
                 "spot_mean": lam, "n_spots": (n_in + n_leak).astype(np.float64),
                 "deposited": (n_in + n_leak) * e_spot, "visible": visible,
                 "leaked": n_leak * e_spot, "below_threshold": below_sum,
                 "readout_shift": shift,
                 "expected_layer_energy": e_vis[:, None] * prob.sum(axis=2)}
        return SimResult({"showers": readout}, truth)


def _readout(counts: np.ndarray, e_spot: np.ndarray, cfg: Mapping[str, object],
             rng: np.random.Generator) -> np.ndarray:
    """Voxel energies (B, n_voxels) float32 MeV: spots × spot energy, then noise, constant term."""
    noise, const = float(cfg["noise"]), float(cfg["constant_term"])  # type: ignore[arg-type]
    scale = e_spot.astype(np.float32).reshape(-1, *(1,) * (counts.ndim - 1))
    showers = np.empty(counts.shape, dtype=np.float32)   # C order, also for a transposed view
    np.multiply(counts, scale, out=showers, casting="unsafe")
    showers = showers.reshape(len(counts), -1)
    if noise > 0.0:
        showers += (noise * rng.standard_normal(showers.shape)).astype(np.float32)
    if const > 0.0:
        showers *= (1.0 + const * rng.standard_normal(len(showers))).astype(np.float32)[:, None]
    return showers


def voxel_probabilities(g: Geometry, energy: np.ndarray, t_max: np.ndarray, alpha: np.ndarray,
                        beta: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Probability that a spot lands in each (layer, radial bin), summed over angles, (B, L, R).

    Radial bins of a layer with fewer bins than the widest layer are zero-width padding.
    """
    edges_t = g.layer_edges_x0()
    depth = edges_t[None, :] - start[:, None]                                   # (B, L + 1)
    long_frac = np.diff(gflash.longitudinal_cdf(depth, alpha[:, None], beta[:, None]), axis=1)
    mid = 0.5 * (depth[:, 1:] + depth[:, :-1])
    tau = np.maximum(mid, 0.0) / t_max[:, None]                                  # (B, L)
    rc, rt, p = gflash.radial(energy[:, None], tau, g.medium)
    r_edges = _padded_edges(g) / (10.0 * g.medium.rm_cm)                         # (L, R + 1)
    cdf = gflash.radial_cdf(r_edges[None], rc[..., None], rt[..., None], p[..., None])
    return long_frac[..., None] * np.diff(cdf, axis=2)


def _padded_edges(g: Geometry) -> np.ndarray:
    width = max(len(e) for e in g.r_edges)
    return np.array([list(e) + [e[-1]] * (width - len(e)) for e in g.r_edges], dtype=np.float64)


def draw_counts(g: Geometry, means: np.ndarray, rng: np.random.Generator,
                general: bool = False) -> np.ndarray:
    """Spot counts per voxel in CaloChallenge order, int64 (B, n_voxels), or a (B, L, A, R) view
    for regular geometries, from the (B, L, R) means summed over angles.

    A regular geometry draws one Poisson count per (layer, radius) cell and splits it uniformly
    over the angular bins with a multinomial draw (Poisson splitting: the same law as independent
    Poisson counts per voxel; empty cells cost nothing). Otherwise, or with ``general``, one
    Poisson draw per voxel.
    """
    b = means.shape[0]
    if g.regular and not general:
        n_a = g.shape[1]
        split = rng.multinomial(rng.poisson(means), np.full(n_a, 1.0 / n_a))      # (B, L, R, A)
        return split.transpose(0, 1, 3, 2)             # a (B, L, A, R) view; the readout copies
    per_layer = []
    for layer, (edges, n_a) in enumerate(zip(g.r_edges, g.n_alpha, strict=True)):
        m = means[:, layer, : len(edges) - 1] / n_a                                # (B, R_l)
        per_layer.append(np.broadcast_to(m[:, None, :], (b, n_a, len(edges) - 1)).reshape(b, -1))
    return rng.poisson(np.concatenate(per_layer, axis=1))


def expected_layer_fractions(g: Geometry, energy: float, particle: int = 0, nodes: int = 32
                             ) -> np.ndarray:
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
    return weight @ voxel_probabilities(g, e, t, a, b, start).sum(axis=2)

"""Shower observables, in one module: the CaloChallenge high-level features and more.

Every function takes ``showers`` (N, n_voxels) in MeV, flat in CaloChallenge order, and a
:class:`~deepbench.calo.geometry.Geometry`; voxel positions are the bin centres of the
challenge's ``XMLHandler``: r the midpoint of the radial bin (mm), α the midpoint of
``linspace(−π, π, n_alpha + 1)``, η = r cos α, φ = r sin α. Centres of energy and widths follow
``HighLevelFeatures.py`` (widths √(⟨x²⟩ − ⟨x⟩²), clipped at 0; 1e-16 MeV added to the energy in
the denominators, so empty layers give 0); sparsity is 1 − the fraction of voxels above the
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepbench.calo.geometry import AnyGeometry, Geometry

TINY = 1e-16  # MeV, as in the challenge's HighLevelFeatures


@dataclass(frozen=True)
class VoxelCentres:
    """Per-voxel layer index, r (mm), α (rad), η = r cos α and φ = r sin α (mm), each (n_voxels,)."""

    layer: np.ndarray
    r: np.ndarray
    alpha: np.ndarray
    eta: np.ndarray
    phi: np.ndarray


def voxel_centres(g: AnyGeometry) -> VoxelCentres:
    """Voxel centres; for a Cartesian grid η = x and φ = y of the cell centre, r = √(x² + y²),
    α = atan2(y, x)."""
    if not isinstance(g, Geometry):
        xe, ye = g.x_edges(), g.y_edges()
        x = np.tile(0.5 * (xe[1:] + xe[:-1]), g.n_y * g.n_layers)
        y = np.tile(np.repeat(0.5 * (ye[1:] + ye[:-1]), g.n_x), g.n_layers)
        layer = np.repeat(np.arange(g.n_layers), g.n_x * g.n_y)
        return VoxelCentres(layer, np.hypot(x, y), np.arctan2(y, x), x, y)
    layer, r, alpha = [], [], []
    for i, (edges, n_a) in enumerate(zip(g.r_edges, g.n_alpha, strict=True)):
        e = np.asarray(edges, dtype=np.float64)
        a_edges = np.linspace(-np.pi, np.pi, n_a + 1)
        mid_r, mid_a = 0.5 * (e[1:] + e[:-1]), 0.5 * (a_edges[1:] + a_edges[:-1])
        layer.append(np.full(n_a * mid_r.size, i))
        r.append(np.tile(mid_r, n_a))                 # angle-major, radius fastest
        alpha.append(np.repeat(mid_a, mid_r.size))
    r_all, a_all = np.concatenate(r), np.concatenate(alpha)
    return VoxelCentres(np.concatenate(layer), r_all, a_all, r_all * np.cos(a_all),
                        r_all * np.sin(a_all))


def layer_energy(showers: np.ndarray, g: AnyGeometry) -> np.ndarray:
    """Energy per layer, (N, L) float64 MeV."""
    bounds = np.concatenate([[0], np.cumsum(g.voxels_per_layer)])
    csum = np.concatenate([np.zeros((len(showers), 1)), np.cumsum(showers, axis=1,
                                                                  dtype=np.float64)], axis=1)
    return csum[:, bounds[1:]] - csum[:, bounds[:-1]]


def total_energy(showers: np.ndarray) -> np.ndarray:
    """Total energy, (N,) float64 MeV."""
    return showers.sum(axis=1, dtype=np.float64)


def response(showers: np.ndarray, incident_mev: np.ndarray) -> np.ndarray:
    """E_vis / E_inc, (N,)."""
    return total_energy(showers) / np.asarray(incident_mev, dtype=np.float64).reshape(-1)


def _per_layer_sum(values: np.ndarray, g: AnyGeometry) -> np.ndarray:
    return layer_energy(values, g)


def centre_and_width(showers: np.ndarray, g: AnyGeometry, coordinate: str
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Centre of energy and width in ``coordinate`` ("eta", "phi" or "r") per layer, (N, L) each,
    in mm."""
    x = getattr(voxel_centres(g), coordinate)
    e = np.asarray(showers, dtype=np.float64)
    norm = layer_energy(e, g) + TINY
    centre = _per_layer_sum(e * x, g) / norm
    second = _per_layer_sum(e * x * x, g) / norm
    return centre, np.sqrt(np.clip(second - centre**2, 0.0, None))


def overall_centre_and_width(showers: np.ndarray, g: AnyGeometry, coordinate: str
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Centre of energy and width in ``coordinate`` over the whole shower, (N,) each, mm."""
    x = getattr(voxel_centres(g), coordinate)
    e = np.asarray(showers, dtype=np.float64)
    norm = e.sum(axis=1) + TINY
    centre = e @ x / norm
    return centre, np.sqrt(np.clip(e @ (x * x) / norm - centre**2, 0.0, None))


def longitudinal(showers: np.ndarray, g: AnyGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Longitudinal centre of gravity and width in radiation lengths (layer centres), (N,) each."""
    edges = g.layer_edges_x0()
    depth = 0.5 * (edges[1:] + edges[:-1])
    el = layer_energy(showers, g)
    norm = el.sum(axis=1) + TINY
    centre = el @ depth / norm
    return centre, np.sqrt(np.clip(el @ depth**2 / norm - centre**2, 0.0, None))


def sparsity(showers: np.ndarray, g: AnyGeometry, threshold: float = 0.0) -> np.ndarray:
    """1 − fraction of voxels above ``threshold`` (MeV), per layer, (N, L)."""
    above = layer_energy((showers > threshold).astype(np.float64), g)
    return 1.0 - above / np.asarray(g.voxels_per_layer, dtype=np.float64)


def hit_count(showers: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Number of voxels above ``threshold`` (MeV), (N,)."""
    return (showers > threshold).sum(axis=1)


def voxel_spectrum(showers: np.ndarray, bins: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of the nonzero voxel energies (counts, edges); default 60 log bins 1 keV–1 TeV."""
    edges = np.logspace(-3, 6, 61) if bins is None else np.asarray(bins)
    values = showers[showers > 0]
    return np.histogram(values, bins=edges)[0], edges


def linearity_and_resolution(showers: np.ndarray, incident_mev: np.ndarray,
                             bins: np.ndarray) -> dict[str, np.ndarray]:
    """Mean response ⟨E_vis/E_inc⟩ and resolution σ(E_vis)/⟨E_vis⟩ in bins of incident energy
    (MeV edges): keys ``centre`` (geometric bin centre), ``count``, ``linearity``,
    ``resolution``; empty bins give NaN."""
    inc = np.asarray(incident_mev, dtype=np.float64).reshape(-1)
    tot = total_energy(showers)
    idx = np.digitize(inc, bins) - 1
    n_bins = len(bins) - 1
    ok = (idx >= 0) & (idx < n_bins)
    count = np.bincount(idx[ok], minlength=n_bins).astype(np.float64)
    ratio = tot / inc
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_r = np.bincount(idx[ok], ratio[ok], n_bins) / count
        mean_e = np.bincount(idx[ok], tot[ok], n_bins) / count
        var_e = np.bincount(idx[ok], tot[ok] ** 2, n_bins) / count - mean_e**2
        res = np.sqrt(np.clip(var_e, 0, None) * count / (count - 1)) / mean_e
    res[count < 2] = np.nan
    return {"centre": np.sqrt(bins[1:] * bins[:-1]), "count": count, "linearity": mean_r,
            "resolution": res}


def high_level(showers: np.ndarray, g: AnyGeometry, incident_mev: np.ndarray | None = None
               ) -> dict[str, np.ndarray]:
    """The per-shower observables as named columns (N,) — the input of :func:`correlation`."""
    out: dict[str, np.ndarray] = {"e_total": total_energy(showers)}
    if incident_mev is not None:
        out["response"] = response(showers, incident_mev)
    for c in ("eta", "phi", "r"):
        out[f"centre_{c}"], out[f"width_{c}"] = overall_centre_and_width(showers, g, c)
    out["depth_centre"], out["depth_width"] = longitudinal(showers, g)
    out["hits"] = hit_count(showers).astype(np.float64)
    return out


def correlation(features: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """(names, Pearson correlation matrix) of the given per-shower observables."""
    names = list(features)
    return names, np.corrcoef(np.stack([np.asarray(features[k], float) for k in names]))

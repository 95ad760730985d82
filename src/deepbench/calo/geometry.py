"""Calorimeter geometries: CaloChallenge-style cylindrical binnings with layer depths and material.

A geometry is a stack of readout layers along the shower axis; layer ``l`` has radial bin edges
``r_edges[l]`` (mm, starting at 0) and ``n_alpha[l]`` equal azimuthal bins starting at −π. The
voxel order is the CaloChallenge one: layer → angle → radius, i.e. the flat index of
(l, a, r) in a regular geometry is ``(l · n_alpha + a) · n_r + r``. The binning XMLs carry neither
depths nor materials, so each preset states them.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepbench.calo.materials import Material, material, sampling_mixture
from deepbench.errors import Problem, SpecError


@dataclass(frozen=True)
class Geometry:
    """A readout geometry. Lengths in mm; ``energy_range`` in GeV (the preset's support)."""

    name: str
    r_edges: tuple[tuple[float, ...], ...]
    n_alpha: tuple[int, ...]
    layer_thickness: tuple[float, ...]
    medium: Material
    energy_range: tuple[float, float] = (1.0, 1000.0)
    pid: int = 11
    doc: str = ""

    @property
    def n_layers(self) -> int:
        return len(self.n_alpha)

    @property
    def voxels_per_layer(self) -> tuple[int, ...]:
        return tuple(a * (len(e) - 1) for a, e in zip(self.n_alpha, self.r_edges, strict=True))

    @property
    def n_voxels(self) -> int:
        return sum(self.voxels_per_layer)

    @property
    def regular(self) -> bool:
        """Every layer has the same radial edges and number of angular bins."""
        return len(set(self.r_edges)) == 1 and len(set(self.n_alpha)) == 1

    @property
    def shape(self) -> tuple[int, int, int]:
        """(layers, angles, radii) of a regular geometry."""
        if not self.regular:
            raise ValueError(f"geometry {self.name} is not regular: layers differ in binning")
        return self.n_layers, self.n_alpha[0], len(self.r_edges[0]) - 1

    def layer_edges_x0(self) -> np.ndarray:
        """Depths of the layer boundaries in radiation lengths of the medium, (L + 1,)."""
        mm = np.concatenate([[0.0], np.cumsum(self.layer_thickness)])
        return mm / (10.0 * self.medium.x0_cm)

    def to_xml(self) -> str:
        """The CaloChallenge binning XML of this geometry."""
        lines = ["<Bins>", f'   <Bin pid="{self.pid}" name="electron">']
        for i, (edges, na) in enumerate(zip(self.r_edges, self.n_alpha, strict=True)):
            e = ",".join(f"{x:g}" for x in edges)
            lines.append(f'      <Layer id="{i}" r_edges="{e}" n_bin_alpha="{na}" />')
        return "\n".join([*lines, "   </Bin>", "</Bins>", ""])


def reshape(showers: np.ndarray, geometry: Geometry) -> np.ndarray:
    """(N, n_voxels) → (N, layers, angles, radii) for a regular geometry (a view, no copy)."""
    return showers.reshape(showers.shape[0], *geometry.shape)


def read_binning(source: str | Path, field: str = "binning_xml"
                 ) -> tuple[tuple[tuple[float, ...], ...], tuple[int, ...]]:
    """(r_edges per layer in mm, n_alpha per layer) of the first ``Bin`` of a binning XML file.

    Raises :class:`SpecError` naming ``field`` if the file is missing, does not parse or holds no
    well-formed layer.
    """
    try:
        root = ET.parse(source).getroot()
    except (OSError, ET.ParseError) as exc:
        raise SpecError([Problem(field, str(source), f"a readable CaloChallenge binning XML ({exc})")]
                        ) from None
    first = root.find("./Bin")
    layers = [] if first is None else first.findall("./Layer")
    try:
        edges = tuple(tuple(float(x) for x in lay.attrib["r_edges"].split(",")) for lay in layers)
        n_alpha = tuple(int(lay.attrib.get("n_bin_alpha", "1")) for lay in layers)
    except (KeyError, ValueError) as exc:
        raise SpecError([Problem(field, str(source), f"Layer elements with numeric r_edges and "
                                 f"n_bin_alpha ({exc})")]) from None
    if not layers or any(len(e) < 1 for e in edges) or any(a < 1 for a in n_alpha):
        raise SpecError([Problem(field, str(source), "a <Bins><Bin><Layer r_edges=… "
                                 "n_bin_alpha=…/> structure with at least one layer")])
    # A layer with r_edges="0" has no voxel (dataset 1); keep it, it holds 0 voxels.
    return edges, n_alpha


def from_xml(source: str | Path, layer_thickness: list[float] | tuple[float, ...],
             medium: str | Material, *, name: str = "custom",
             energy_range: tuple[float, float] = (1.0, 1000.0)) -> Geometry:
    """A custom geometry: a binning XML plus one thickness per layer (mm) and a material name."""
    edges, n_alpha = read_binning(source)
    if len(layer_thickness) != len(edges):
        raise SpecError([Problem("layer_thickness", list(layer_thickness),
                                 f"{len(edges)} thicknesses, one per layer of {source}")])
    if any(not (math.isfinite(d) and d > 0) for d in layer_thickness):
        raise SpecError([Problem("layer_thickness", list(layer_thickness), "numbers > 0 (mm)")])
    mat = medium if isinstance(medium, Material) else material(medium)
    return Geometry(name, edges, n_alpha, tuple(float(d) for d in layer_thickness), mat,
                    energy_range)


def _regular(name: str, n_layers: int, n_alpha: int, n_r: int, dr: float, thickness: float,
             medium: Material, energy_range: tuple[float, float], doc: str) -> Geometry:
    edges = tuple(round(i * dr, 6) for i in range(n_r + 1))
    return Geometry(name, (edges,) * n_layers, (n_alpha,) * n_layers, (thickness,) * n_layers,
                    medium, energy_range, doc=doc)


WSI_DS = sampling_mixture("W", 1.4, "Si", 0.3)

PRESETS: dict[str, Geometry] = {
    "calochallenge_ds2": _regular(
        "calochallenge_ds2", 45, 16, 9, 4.65, 3.4, WSI_DS, (1.0, 1000.0),
        "CaloChallenge dataset 2: 45 layers × 16 α × 9 r (6480 voxels), r step 4.65 mm; each "
        "readout layer is two W/Si sampling pairs (1.4 mm W + 0.3 mm Si), 3.4 mm ≈ 0.8 X0"),
    "calochallenge_ds3": _regular(
        "calochallenge_ds3", 45, 50, 18, 2.325, 3.4, WSI_DS, (1.0, 1000.0),
        "CaloChallenge dataset 3: 45 layers × 50 α × 18 r (40500 voxels), r step 2.325 mm; the "
        "same W/Si layers as dataset 2"),
    "fastar": _regular(
        "fastar", 24, 24, 24, 2.5, 25.0 * 8.903 / 24, material("PbWO4"), (1.0, 100.0),
        "FAST.AR-like PbWO4 block: 24 depth cells × 24 φ × 24 r, 25 X0 deep (9.27 mm cells), "
        "r step 2.5 mm (60 mm ≈ 3.1 R_M; our choice)"),
}


def preset(name: str, field: str = "config.geometry") -> Geometry:
    if name not in PRESETS:
        raise SpecError([Problem(field, name, "one of " + ", ".join(PRESETS))])
    return PRESETS[name]

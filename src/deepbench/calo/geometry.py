"""Calorimeter geometries: CaloChallenge-style cylindrical binnings and Cartesian layered grids,
with layer depths and material.

A cylindrical geometry (:class:`Geometry`) is a stack of readout layers along the shower axis;
layer ``l`` has radial bin edges ``r_edges[l]`` (mm, starting at 0) and ``n_alpha[l]`` equal
azimuthal bins starting at −π. The voxel order is the CaloChallenge one: layer → angle → radius,
i.e. the flat index of (l, a, r) in a regular geometry is ``(l · n_alpha + a) · n_r + r``. The
binning XMLs carry neither depths nor materials, so each preset states them.

A Cartesian geometry (:class:`CartesianGeometry`) is a stack of layers of ``n_y × n_x`` square
cells of side ``cell`` mm, centred on the entry point; voxel order layer → y → x (row-major
images, flat index ``(l · n_y + i) · n_x + j``); cell ``[i, j]`` spans
x ∈ [(j − n_x/2)·cell, (j + 1 − n_x/2)·cell], likewise y with ``i``.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepbench.calo.materials import Material, material, sampling_mixture
from deepbench.errors import Problem, SpecError, StoreError


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

    kind = "cylindrical"

    def attributes(self) -> dict[str, str]:
        """The full geometry as string attributes (stored on ``outputs/showers``)."""
        return _attributes(self, {"r_edges_mm": [list(e) for e in self.r_edges],
                                  "n_alpha": list(self.n_alpha),
                                  "voxel_order": "layer, alpha, radius (alpha bins from -pi)"})

    def to_xml(self) -> str:
        """The CaloChallenge binning XML of this geometry."""
        lines = ["<Bins>", f'   <Bin pid="{self.pid}" name="electron">']
        for i, (edges, na) in enumerate(zip(self.r_edges, self.n_alpha, strict=True)):
            e = ",".join(f"{x:g}" for x in edges)
            lines.append(f'      <Layer id="{i}" r_edges="{e}" n_bin_alpha="{na}" />')
        return "\n".join([*lines, "   </Bin>", "</Bins>", ""])


@dataclass(frozen=True)
class CartesianGeometry:
    """A layered grid of ``n_y × n_x`` square cells of side ``cell`` (mm) per layer, centred on
    the entry point. Lengths in mm; ``energy_range`` in GeV."""

    name: str
    n_x: int
    n_y: int
    cell: float
    layer_thickness: tuple[float, ...]
    medium: Material
    energy_range: tuple[float, float] = (1.0, 1000.0)
    doc: str = ""

    kind = "cartesian"
    regular = True

    def __post_init__(self) -> None:
        if self.n_y % 2:
            raise ValueError(f"geometry {self.name}: n_y must be even (the grid is centred on "
                             f"the entry point between two rows), got {self.n_y}")

    @property
    def n_layers(self) -> int:
        return len(self.layer_thickness)

    @property
    def voxels_per_layer(self) -> tuple[int, ...]:
        return (self.n_x * self.n_y,) * self.n_layers

    @property
    def n_voxels(self) -> int:
        return self.n_layers * self.n_x * self.n_y

    @property
    def shape(self) -> tuple[int, int, int]:
        """(layers, y cells, x cells)."""
        return self.n_layers, self.n_y, self.n_x

    def x_edges(self) -> np.ndarray:
        """Cell edges in x (mm), (n_x + 1,), symmetric about the entry point."""
        return (np.arange(self.n_x + 1) - self.n_x / 2) * self.cell

    def y_edges(self) -> np.ndarray:
        """Cell edges in y (mm), (n_y + 1,)."""
        return (np.arange(self.n_y + 1) - self.n_y / 2) * self.cell

    def layer_edges_x0(self) -> np.ndarray:
        """Depths of the layer boundaries in radiation lengths of the medium, (L + 1,)."""
        mm = np.concatenate([[0.0], np.cumsum(self.layer_thickness)])
        return mm / (10.0 * self.medium.x0_cm)

    def attributes(self) -> dict[str, str]:
        """The full geometry as string attributes (stored on ``outputs/showers``)."""
        return _attributes(self, {"n_x": self.n_x, "n_y": self.n_y, "cell_mm": self.cell,
                                  "voxel_order": "layer, y, x (row-major layer images)"})

    def to_xml(self) -> str:
        raise StoreError(f"geometry {self.name} is a Cartesian grid; the CaloChallenge binning "
                         "XML describes cylindrical (layer, alpha, radius) binnings only")


AnyGeometry = Geometry | CartesianGeometry


def _attributes(g: AnyGeometry, binning: dict[str, object]) -> dict[str, str]:
    m = g.medium
    medium = {"name": m.name, "density_g_cm3": m.density, "x0_cm": m.x0_cm, "rm_cm": m.rm_cm,
              "ec_mev": m.ec_mev, "z": m.z, "sampling_fraction_f_s": m.f_s, "e_hat": m.e_hat}
    return {"geometry": g.name, "geometry_kind": g.kind, "n_layers": str(g.n_layers),
            "n_voxels": str(g.n_voxels),
            "binning": json.dumps(binning),
            "layer_thickness_mm": json.dumps(list(g.layer_thickness)),
            "layer_edges_x0": json.dumps([round(float(x), 9) for x in g.layer_edges_x0()]),
            "medium": json.dumps(medium),
            "energy_range_gev": json.dumps(list(g.energy_range))}


def reshape(showers: np.ndarray, geometry: AnyGeometry) -> np.ndarray:
    """(N, n_voxels) → (N, layers, angles, radii) for a regular cylindrical geometry, or
    (N, layers, y, x) for a Cartesian one (a view, no copy)."""
    showers = np.asarray(showers)
    if showers.ndim != 2 or showers.shape[1] != geometry.n_voxels:
        raise ValueError(f"showers of shape {showers.shape} do not fit geometry {geometry.name} "
                         f"({geometry.n_voxels} voxels per shower)")
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
WSI_ILD = sampling_mixture("W", 2.8, "Si", 0.5)

PRESETS: dict[str, AnyGeometry] = {
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
    "ild_like": CartesianGeometry(
        "ild_like", 32, 32, 5.0, (3.3,) * 30, WSI_ILD, (1.0, 1000.0),
        "ILD-like Si/W grid: 30 layers of 32 × 32 cells of 5 × 5 mm (30720 voxels); each layer "
        "one sampling pair of 2.8 mm W + 0.5 mm Si (≈ 0.8 X0 of W, 24 X0 in all; our choice)"),
}


def preset(name: str, field: str = "config.geometry") -> AnyGeometry:
    if name not in PRESETS:
        raise SpecError([Problem(field, name, "one of " + ", ".join(PRESETS))])
    return PRESETS[name]

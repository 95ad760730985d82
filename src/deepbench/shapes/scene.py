"""Shape scenes: several shapes of mixed kinds on one canvas, with a per-object catalogue.

The number of objects per image is a parameter (``n_objects``, drawn in the ``params`` stage);
each object's kind, position, size, aspect, rotation and (for polygons) side count are drawn in the
``simulate`` stage. Each object is drawn by its shape class's geometry (the same exact rasteriser as
the single-shape simulators), and objects are composited by taking the per-pixel maximum of their
coverages, so pixels stay in [0, 1] and overlaps do not add.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import ImageSimulator, SimResult
from deepbench.errors import Problem
from deepbench.shapes import raster
from deepbench.shapes.simulators import (
    IMAGE_SETTINGS,
    Arc,
    Circle,
    Ellipse,
    Line,
    Polygon,
    Rectangle,
    ShapeSimulator,
)

KINDS = ("rectangle", "polygon", "ellipse", "circle", "arc", "line")
TAU = 2 * math.pi


class ShapeScene(ImageSimulator):
    """k shapes on one canvas; catalogue rows give each object's kind, centre, size, box."""

    name = "shapes.scene"
    version = 3  # 3: curved crossings solved without sin/cos (last bits of curved pixels)
    summary = "several anti-aliased shapes on one canvas, with an object catalogue and masks"
    params = (Param("n_objects", 2, "", "number of shapes in the image", low=0, high=64,
                    kind="int"),)
    settings = (
        *IMAGE_SETTINGS,
        Setting("line_width", 1.0, "outline width when filled is false", float, low=0.1,
                high=64, unit="px"),
        Setting("kinds", KINDS, "shape kinds to draw from, uniformly", tuple),
        Setting("size_min", 3.0, "smallest object size (circumradius-like scale)", float,
                low=0.5, high=4096, unit="px"),
        Setting("size_max", 7.0, "largest object size", float, low=0.5, high=4096, unit="px"),
        Setting("margin", 0.0, "keep object centres this far inside the image edges", float,
                low=0, high=4096, unit="px"),
        Setting("masks", False, "store a per-object coverage mask (H, W) in the catalogue", bool),
    )

    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        problems = []
        bad = [k for k in config["kinds"] if k not in KINDS]
        if bad or not config["kinds"]:
            problems.append(Problem(f"{path}.kinds", list(config["kinds"]),
                                    f"a non-empty list of {', '.join(KINDS)}"))
        if config["size_max"] < config["size_min"]:
            problems.append(Problem(f"{path}.size_max", config["size_max"],
                                    f"a value >= size_min ({config['size_min']})"))
        if 2 * config["margin"] >= min(config["height"], config["width"]):
            problems.append(Problem(f"{path}.margin", config["margin"],
                                    "less than half the smaller image side"))
        return problems

    @property
    def stochastic(self) -> bool:
        return True

    def outputs(self) -> tuple[Output, ...]:
        return (Output("image", self.shape, "float32", "",
                       "per-pixel maximum of the objects' pixel-area coverages, in [0, 1]"),)

    def catalog_columns(self) -> tuple[Output, ...]:
        cols = [
            Output("kind", (), "int64", "", "index into config.kinds"),
            Output("x", (), "float64", "px", "centre x in pixel coordinates (column)"),
            Output("y", (), "float64", "px", "centre y in pixel coordinates (row)"),
            Output("size", (), "float64", "px", "scale: half-width, circumradius, semi-major "
                   "axis, arc radius or half-length"),
            Output("aspect", (), "float64", "", "minor/major ratio in (0, 1]"),
            Output("angle", (), "float64", "rad", "rotation (arc: start angle)"),
            Output("n_sides", (), "int64", "", "polygon sides (0 for other kinds)"),
            Output("area", (), "float64", "px^2", "exact area of the drawn object (filled shape or "
                   "outline band; lines are always filled), also where it leaves the image"),
            Output("bbox", (4,), "float64", "px", "x_min, y_min, x_max, y_max of the drawn "
                   "object (tight)"),
        ]
        if self.config["masks"]:
            cols.append(Output("mask", self.shape, "float32", "",
                               "the object's own exact pixel coverage"))
        return tuple(cols)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        counts = params["n_objects"].astype(np.int64)
        objects = self._draw(counts, rng)
        edges = self._edges(objects)
        moved = edges.moved(objects["x"], objects["y"])
        catalog = {"sample_index": objects["sample"],
                   "kind": _kind_index(objects["kind"], self._kinds()),
                   **{k: objects[k] for k in ("x", "y", "size", "aspect", "angle", "n_sides")},
                   "area": edges.area(), "bbox": moved.bbox()}
        if self.config["masks"]:
            catalog["mask"] = np.empty((counts.sum(), *self.shape), dtype=np.float32)
        image = _composite(moved, counts, objects["sample"], self.shape, self.config["antialias"],
                           catalog.get("mask"))
        return SimResult({"image": image}, {}, catalog)

    def _kinds(self) -> np.ndarray:
        return np.array([KINDS.index(k) for k in self.config["kinds"]])

    def _draw(self, counts: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Every object's kind, centre, size, aspect, angle, side count and arc span, ordered by
        sample, then slot."""
        h, w = self.shape
        cfg = self.config
        sample = np.repeat(np.arange(counts.size), counts)
        r = sample.size
        kinds = self._kinds()
        kind = kinds[rng.integers(0, kinds.size, r)]
        m = cfg["margin"]
        x = rng.uniform(m - 0.5, w - 0.5 - m, r)
        y = rng.uniform(m - 0.5, h - 0.5 - m, r)
        size = rng.uniform(cfg["size_min"], cfg["size_max"], r)
        aspect = rng.uniform(0.5, 1.0, r)
        angle = rng.uniform(0.0, TAU, r)
        n_sides = rng.integers(3, 9, r, endpoint=True)
        span = rng.uniform(math.pi / 2, 3 * math.pi / 2, r)
        uses_aspect = np.isin(kind, [KINDS.index("rectangle"), KINDS.index("ellipse")])
        return {"sample": sample, "kind": kind, "x": x, "y": y, "size": size,
                "aspect": np.where(uses_aspect, aspect, 1.0), "angle": angle,
                "n_sides": np.where(kind == KINDS.index("polygon"), n_sides, 0), "span": span}

    def _edges(self, objects: Mapping[str, np.ndarray]) -> raster.Edges:
        """All objects' boundaries at the origin, from the shape classes' own geometry."""
        r = objects["kind"].size
        line_width = None if self.config["filled"] else self.config["line_width"]
        edges = raster.Edges(r)
        for k, name in enumerate(KINDS):
            sel = np.flatnonzero(objects["kind"] == k)
            if sel.size:
                params = SHAPE_PARAMS[name]({key: v[sel] for key, v in objects.items()})
                width = None if name == "line" or line_width is None else np.full(sel.size, line_width)
                edges = edges + SHAPES[name].drawn(params, width).relabel(sel, r)
        return edges


# Each kind's parameters from an object's scale ``size``, ``aspect`` (minor/major), ``angle``,
# ``n_sides`` and arc ``span``; the geometry itself is the shape class's.
SHAPES: dict[str, type[ShapeSimulator]] = {
    "rectangle": Rectangle, "polygon": Polygon, "ellipse": Ellipse, "circle": Circle, "arc": Arc,
    "line": Line}
SHAPE_PARAMS: dict[str, Callable[[Mapping[str, np.ndarray]], dict[str, np.ndarray]]] = {
    "rectangle": lambda o: {"width": 2 * o["size"], "height": 2 * o["size"] * o["aspect"],
                            "angle": o["angle"]},
    "polygon": lambda o: {"radius": o["size"], "n_sides": o["n_sides"], "angle": o["angle"]},
    "ellipse": lambda o: {"a": o["size"], "b": o["size"] * o["aspect"], "angle": o["angle"]},
    "circle": lambda o: {"radius": o["size"]},
    "arc": lambda o: {"radius": 0.75 * o["size"], "thickness": 0.5 * o["size"],
                      "start": o["angle"], "end": o["angle"] + o["span"]},
    "line": lambda o: {"length": 2 * o["size"], "thickness": np.maximum(1.0, o["size"] / 4),
                       "angle": o["angle"]},
}


def _composite(edges: raster.Edges, counts: np.ndarray, sample: np.ndarray, shape: tuple[int, int],
               antialias: bool, masks: np.ndarray | None) -> np.ndarray:
    """Per-pixel maximum of each sample's object coverages (objects ordered by sample, then slot),
    sub-batch by sub-batch; each object's coverage is also stored in ``masks`` when given."""
    b = counts.size
    slot = np.arange(sample.size) - np.repeat(np.cumsum(counts) - counts, counts)
    if masks is None:  # straight into the images, without making each object's image
        return raster.maximum(edges, shape, sample, slot, b, antialias)
    image = np.zeros((b, *shape), dtype=np.float32)
    for o0, o1, cover in raster.blocks(edges, shape, antialias):
        masks[o0:o1] = cover
        for j in np.unique(slot[o0:o1]):  # within a slot each sample appears once
            rows = np.flatnonzero(slot[o0:o1] == j)
            idx = sample[o0 + rows]
            image[idx] = np.maximum(image[idx], cover[rows])
    return image


def _kind_index(kind: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Position of each object's kind within the configured ``kinds`` list."""
    lookup = np.full(len(KINDS), -1)
    lookup[kinds] = np.arange(kinds.size)
    return lookup[kind]

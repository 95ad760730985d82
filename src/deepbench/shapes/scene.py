"""Shape scenes: several shapes of mixed kinds on one canvas, with a per-object catalogue.

The number of objects per image is a parameter (``n_objects``, drawn in the ``params`` stage);
each object's kind, position, size, aspect, rotation and (for polygons) side count are drawn in the
``simulate`` stage. Objects are composited by taking the per-pixel maximum of their coverages, so
pixels stay in [0, 1] and overlaps do not add.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import SimResult, Simulator
from deepbench.errors import Problem
from deepbench.shapes import raster
from deepbench.shapes.simulators import IMAGE_SETTINGS

KINDS = ("rectangle", "polygon", "ellipse", "circle", "arc", "line")
TAU = 2 * math.pi


class ShapeScene(Simulator):
    """k shapes on one canvas; catalogue rows give each object's kind, centre, size, box."""

    name = "shapes.scene"
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

    @property
    def shape(self) -> tuple[int, int]:
        return (self.config["height"], self.config["width"])

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
            Output("area", (), "float64", "px^2", "analytic area of the filled shape"),
            Output("bbox", (4,), "float64", "px", "x_min, y_min, x_max, y_max (tight)"),
        ]
        if self.config["masks"]:
            cols.append(Output("mask", self.shape, "float32", "", "the object's own coverage"))
        return tuple(cols)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        h, w = self.shape
        cfg = self.config
        counts = params["n_objects"].astype(np.int64)
        b = counts.size
        sample = np.repeat(np.arange(b), counts)  # objects ordered by sample, then slot
        slot = np.arange(sample.size) - np.repeat(np.cumsum(counts) - counts, counts)
        r = sample.size
        kinds = np.array([KINDS.index(k) for k in cfg["kinds"]])
        kind = kinds[rng.integers(0, kinds.size, r)]
        m = cfg["margin"]
        x = rng.uniform(m - 0.5, w - 0.5 - m, r)
        y = rng.uniform(m - 0.5, h - 0.5 - m, r)
        size = rng.uniform(cfg["size_min"], cfg["size_max"], r)
        aspect = rng.uniform(0.5, 1.0, r)
        angle = rng.uniform(0.0, TAU, r)
        n_sides = rng.integers(3, 9, r, endpoint=True)
        span = rng.uniform(math.pi / 2, 3 * math.pi / 2, r)

        style = {"shape": self.shape, "antialias": cfg["antialias"]}
        outline = {"filled": cfg["filled"], "line_width": cfg["line_width"]}
        coverage = np.empty((r, h, w), dtype=np.float32) if cfg["masks"] else None
        image = np.zeros((b, h, w), dtype=np.float32)
        area = np.zeros(r)
        bbox = np.zeros((r, 4))
        n_sides = np.where(kind == KINDS.index("polygon"), n_sides, 0)
        for k, name in enumerate(KINDS):
            sel = np.flatnonzero(kind == k)
            if sel.size == 0:
                continue
            xs, ys, s, q, a = x[sel], y[sel], size[sel], aspect[sel], angle[sel]
            if name == "rectangle":
                img = raster.render_rectangle(xs, ys, 2 * s, 2 * s * q, a, **style, **outline)
                area[sel] = 4 * s * s * q
                box = raster.bounding_box_rectangle(xs, ys, 2 * s, 2 * s * q, a)
            elif name == "polygon":
                ns = n_sides[sel]
                img = raster.render_polygon(xs, ys, s, ns, a, **style, **outline)
                area[sel] = raster.area_polygon(s, ns)
                box = raster.bounding_box_polygon(xs, ys, s, ns, a)
            elif name == "ellipse":
                img = raster.render_ellipse(xs, ys, s, s * q, a, **style, **outline)
                area[sel] = math.pi * s * s * q
                box = raster.bounding_box_ellipse(xs, ys, s, s * q, a)
            elif name == "circle":
                img = raster.render_ellipse(xs, ys, s, s, np.zeros_like(s), **style, **outline)
                area[sel] = math.pi * s * s
                box = raster.bounding_box_ellipse(xs, ys, s, s, np.zeros_like(s))
            elif name == "arc":
                t = s * 0.5
                end = a + span[sel]
                img = raster.render_arc(xs, ys, s * 0.75, a, end, t, **style, **outline)
                area[sel] = span[sel] * 0.75 * s * t
                box = raster.bounding_box_arc(xs, ys, s * 0.75, t, a, end)
            else:  # line
                t = np.maximum(1.0, s / 4)
                img = raster.render_line(xs, ys, 2 * s, a, t, **style)
                area[sel] = 2 * s * t
                box = raster.bounding_box_line(xs, ys, 2 * s, a, t)
            bbox[sel] = np.stack(box, axis=-1)
            if coverage is not None:
                coverage[sel] = img
            for j in np.unique(slot[sel]):  # within a slot each sample appears once
                part = slot[sel] == j
                idx = sample[sel[part]]
                image[idx] = np.maximum(image[idx], img[part])
        uses_aspect = np.isin(kind, [KINDS.index("rectangle"), KINDS.index("ellipse")])
        catalog = {"sample_index": sample, "kind": _kind_index(kind, kinds), "x": x, "y": y,
                   "size": size, "aspect": np.where(uses_aspect, aspect, 1.0),
            "angle": angle, "n_sides": n_sides, "area": area, "bbox": bbox}
        if coverage is not None:
            catalog["mask"] = coverage
        return SimResult({"image": image}, {}, catalog)


def _kind_index(kind: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Position of each object's kind within the configured ``kinds`` list."""
    lookup = np.full(len(KINDS), -1)
    lookup[kinds] = np.arange(kinds.size)
    return lookup[kind]

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
        masks = np.empty((r, h, w), dtype=np.float32) if cfg["masks"] else None
        image = np.zeros((b, h, w), dtype=np.float32)
        slot = np.arange(r) - np.repeat(np.cumsum(counts) - counts, counts)
        n_sides = np.where(kind == KINDS.index("polygon"), n_sides, 0)
        is_ = {name: kind == KINDS.index(name) for name in KINDS}
        # per-object geometry of each kind, in the terms of the renderer that draws it
        thick_line = np.maximum(1.0, size / 4)
        box_w = 2 * size
        box_h = np.where(is_["line"], thick_line, 2 * size * aspect)
        minor = np.where(is_["circle"], size, size * aspect)
        tilt = np.where(is_["circle"], 0.0, angle)
        arc_r, arc_t = 0.75 * size, 0.5 * size
        area = np.select(
            [is_["rectangle"], is_["polygon"], is_["ellipse"] | is_["circle"], is_["arc"], is_["line"]],
            [box_w * box_h, raster.area_polygon(size, np.maximum(n_sides, 3)), np.pi * size * minor,
             span * arc_r * arc_t, box_w * box_h])
        bbox = np.zeros((r, 4))
        # kinds that share a renderer are drawn in one call (lines are never outlined)
        groups = [(is_["rectangle"] | is_["line"]) if cfg["filled"] else is_["rectangle"],
                  is_["line"] if not cfg["filled"] else np.zeros(r, dtype=bool),
                  is_["polygon"], is_["ellipse"] | is_["circle"], is_["arc"]]
        for g, mask in enumerate(groups):
            sel = np.flatnonzero(mask)
            if sel.size == 0:
                continue
            xs, ys, a = x[sel], y[sel], angle[sel]
            if g == 0:
                img = raster.render_rectangle(xs, ys, box_w[sel], box_h[sel], a, **style, **outline)
                box = raster.bounding_box_rectangle(xs, ys, box_w[sel], box_h[sel], a)
            elif g == 1:
                img = raster.render_line(xs, ys, box_w[sel], a, box_h[sel], **style)
                box = raster.bounding_box_line(xs, ys, box_w[sel], a, box_h[sel])
            elif g == 2:
                img = raster.render_polygon(xs, ys, size[sel], n_sides[sel], a, **style, **outline)
                box = raster.bounding_box_polygon(xs, ys, size[sel], n_sides[sel], a)
            elif g == 3:
                img = raster.render_ellipse(xs, ys, size[sel], minor[sel], tilt[sel], **style,
                                            **outline)
                box = raster.bounding_box_ellipse(xs, ys, size[sel], minor[sel], tilt[sel])
            else:
                end = a + span[sel]
                img = raster.render_arc(xs, ys, arc_r[sel], a, end, arc_t[sel], **style, **outline)
                box = raster.bounding_box_arc(xs, ys, arc_r[sel], arc_t[sel], a, end)
            bbox[sel] = np.stack(box, axis=-1)
            if masks is not None:
                masks[sel] = img
            for j in np.unique(slot[sel]):  # a loop over slots: within one, samples are distinct
                part = slot[sel] == j
                idx = sample[sel[part]]
                image[idx] = np.maximum(image[idx], img[part])
        uses_aspect = np.isin(kind, [KINDS.index("rectangle"), KINDS.index("ellipse")])
        catalog = {"sample_index": sample, "kind": _kind_index(kind, kinds), "x": x, "y": y,
                   "size": size, "aspect": np.where(uses_aspect, aspect, 1.0),
            "angle": angle, "n_sides": n_sides, "area": area, "bbox": bbox}
        if masks is not None:
            catalog["mask"] = masks
        return SimResult({"image": image}, {}, catalog)


def _kind_index(kind: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Position of each object's kind within the configured ``kinds`` list."""
    lookup = np.full(len(KINDS), -1)
    lookup[kinds] = np.arange(kinds.size)
    return lookup[kind]

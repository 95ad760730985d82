"""Single-shape simulators: rectangle, regular polygon, ellipse, circle, arc, line segment.

Each renders one shape per sample onto an ``(H, W)`` float32 image of pixel-area coverage in
[0, 1]. Positions ``cx``, ``cy`` are offsets in px of the shape's centre from the image centre
((W − 1)/2, (H − 1)/2), +x to the right (columns), +y down (rows); angles are radians from +x
towards +y. ``truth/area`` is the analytic area (px²) of the drawn region and
``truth/angle_canonical`` the rotation reduced by the shape's symmetry (e.g. a square mod π/2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from deepbench.core.params import Alternative, Output, Param, Setting
from deepbench.core.simulator import SimResult, Simulator
from deepbench.shapes import raster

TAU = 2 * math.pi
FAR = 1e6  # px: position offsets are clipped here for drawing (labels keep the value drawn)

POSITION = (
    Param("cx", 0.0, "px", "centre x, offset from the image centre (+x = right)"),
    Param("cy", 0.0, "px", "centre y, offset from the image centre (+y = down)"),
)
LINE_WIDTH = Param("line_width", 1.0, "px", "outline width (used when filled is false)",
                   low=0.0, open_low=True, high=512.0)

IMAGE_SETTINGS = (
    Setting("height", 28, "image height in pixels (rows)", int, low=8, high=1024, unit="px"),
    Setting("width", 28, "image width in pixels (columns)", int, low=8, high=1024, unit="px"),
    Setting("antialias", True, "pixel-area coverage; false gives the original two-colour 0/1 "
            "rendering (pixel on iff its centre is inside)", bool),
    Setting("filled", True, "filled shape, or an outline of width line_width px", bool),
)


def _angle(period: str) -> Param:
    return Param("angle", 0.0, "rad", "rotation from +x towards +y", low=-TAU,
                 high=TAU, period=period)


class ShapeSimulator(Simulator):
    """Shared declarations and plumbing for single-shape images."""

    settings: ClassVar[tuple[Setting, ...]] = IMAGE_SETTINGS

    @property
    def shape(self) -> tuple[int, int]:
        return (self.config["height"], self.config["width"])

    def outputs(self) -> tuple[Output, ...]:
        return (Output("image", self.shape, "float32", "",
                       "pixel-area coverage of the shape in [0, 1] (before observation noise)"),)

    def truth_outputs(self) -> tuple[Output, ...]:
        return (
            Output("area", (), "float64", "px^2",
                   "analytic area of the filled shape, or perimeter × line_width for outlines"),
            Output("angle_canonical", (), "float64", "rad",
                   "rotation reduced modulo the shape's rotational symmetry, in [0, period)"),
        )

    def inactive(self) -> dict[str, str]:
        if self.config.get("filled", False):
            return {"line_width": "it is the outline width; set config.filled: false for outlines"}
        return {}

    def centre(self, params: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Centre in pixel coordinates. Offsets beyond ±FAR px are drawn at ±FAR: a shape there is
        wholly outside the image either way (extents are at most 8192 px), and the rasteriser's
        float32 arithmetic stays finite."""
        h, w = self.shape
        cx, cy = np.clip(params["cx"], -FAR, FAR), np.clip(params["cy"], -FAR, FAR)
        return cx + (w - 1) / 2, cy + (h - 1) / 2

    def style(self, params: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return {"shape": self.shape, "filled": self.config["filled"],
                "line_width": params.get("line_width", 1.0), "antialias": self.config["antialias"]}

    def area(self, params: Mapping[str, np.ndarray], filled_area: np.ndarray,
             perimeter: np.ndarray) -> np.ndarray:
        return filled_area if self.config["filled"] else perimeter * params["line_width"]


class Rectangle(ShapeSimulator):
    """Rectangle of ``width`` × ``height`` px rotated by ``angle``."""

    name = "shapes.rectangle"
    summary = "filled or outlined rectangle, anti-aliased"
    params = (*POSITION,
              Param("width", 12.0, "px", "side length along the rotated x axis", low=0.0,
                    open_low=True, high=4096.0),
              Param("height", 8.0, "px", "side length along the rotated y axis", low=0.0,
                    open_low=True, high=4096.0),
              _angle("pi (pi/2 when width == height)"), LINE_WIDTH)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        cx, cy = self.centre(params)
        w, h, a = params["width"], params["height"], params["angle"]
        image = raster.render_rectangle(cx, cy, w, h, a, **self.style(params))
        period = np.where(w == h, math.pi / 2, math.pi)
        return SimResult({"image": image}, {
            "area": self.area(params, w * h, 2 * (w + h)),
            "angle_canonical": np.mod(a, period)})


class Polygon(ShapeSimulator):
    """Regular polygon with ``n_sides`` sides, given by circumradius or side length."""

    name = "shapes.polygon"
    summary = "regular n-gon (n >= 3), filled or outlined, anti-aliased"
    params = (*POSITION,
              Param("radius", 8.0, "px", "circumradius (centre to vertex)", low=0.0,
                    open_low=True, high=4096.0),
              Param("side", None, "px", "side length (alternative to radius)", low=0.0,
                    open_low=True, high=4096.0),
              Param("n_sides", 5, "", "number of sides", low=3, high=64, kind="int"),
              _angle("2*pi/n_sides"), LINE_WIDTH)
    alternatives = (Alternative("radius", (("radius",), ("side",)),
                                lambda p: p["side"] / (2 * np.sin(np.pi / p["n_sides"]))),)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        cx, cy = self.centre(params)
        r, n, a = params["radius"], params["n_sides"].astype(np.int64), params["angle"]
        image = raster.render_polygon(cx, cy, r, n, a, **self.style(params))
        side = 2 * r * np.sin(np.pi / n)
        return SimResult({"image": image}, {
            "area": self.area(params, raster.area_polygon(r, n), n * side),
            "angle_canonical": np.mod(a, TAU / n)})


class Ellipse(ShapeSimulator):
    """Ellipse with semi-axes ``a`` (along ``angle``) and ``b``."""

    name = "shapes.ellipse"
    summary = "ellipse, filled or outlined, anti-aliased"
    params = (*POSITION,
              Param("a", 10.0, "px", "semi-axis along the rotated x axis", low=0.0,
                    open_low=True, high=4096.0),
              Param("b", 6.0, "px", "semi-axis along the rotated y axis", low=0.0,
                    open_low=True, high=4096.0),
              _angle("pi (any when a == b)"), LINE_WIDTH)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        cx, cy = self.centre(params)
        a, b, ang = params["a"], params["b"], params["angle"]
        image = raster.render_ellipse(cx, cy, a, b, ang, **self.style(params))
        return SimResult({"image": image}, {
            "area": self.area(params, raster.area_ellipse(a, b), raster.perimeter_ellipse(a, b)),
            "angle_canonical": np.where(a == b, 0.0, np.mod(ang, math.pi))})


class Circle(ShapeSimulator):
    """Circle (disc) of radius ``radius``."""

    name = "shapes.circle"
    summary = "circle, filled or outlined, anti-aliased"
    params = (*POSITION,
              Param("radius", 8.0, "px", "radius", low=0.0, open_low=True, high=4096.0),
              LINE_WIDTH)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        cx, cy = self.centre(params)
        r = params["radius"]
        image = raster.render_ellipse(cx, cy, r, r, np.zeros_like(r), **self.style(params))
        return SimResult({"image": image}, {
            "area": self.area(params, np.pi * r * r, TAU * r),
            "angle_canonical": np.zeros_like(r)})


class Arc(ShapeSimulator):
    """Annular sector: mid-line ``radius``, radial ``thickness``, from ``start`` to ``end``.

    The sector runs from ``start`` towards increasing angle to ``end`` (mod 2π); ``end == start``
    (mod 2π) gives the full ring.
    """

    name = "shapes.arc"
    summary = "annular sector (thick arc), filled or outlined, anti-aliased"
    params = (*POSITION,
              Param("radius", 9.0, "px", "radius of the arc's mid-line", low=0.0, open_low=True,
                    high=4096.0),
              Param("thickness", 3.0, "px", "radial thickness (r_out − r_in)", low=0.0,
                    open_low=True, high=8192.0),
              Param("start", 0.0, "rad", "start angle, from +x towards +y", low=-TAU,
                    high=TAU, period="2*pi"),
              Param("end", 2.0, "rad", "end angle, from +x towards +y", low=-TAU,
                    high=TAU, period="2*pi"),
              LINE_WIDTH)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        cx, cy = self.centre(params)
        r, t = params["radius"], params["thickness"]
        start = params["start"]
        span = np.mod(params["end"] - start, TAU)
        span = np.where(span == 0, TAU, span)
        image = raster.render_arc(cx, cy, r, start, start + span, t, **self.style(params))
        r_in, r_out = np.maximum(r - t / 2, 0.0), r + t / 2  # thickness > 2·radius: a pie slice
        perimeter = span * (r_in + r_out) + np.where(span < TAU, 2 * (r_out - r_in), 0.0)
        return SimResult({"image": image}, {
            "area": self.area(params, span / 2 * (r_out**2 - r_in**2), perimeter),
            "angle_canonical": np.mod(start, TAU)})


class Line(ShapeSimulator):
    """Line segment of ``length`` and ``thickness`` (butt ends) centred on (cx, cy)."""

    name = "shapes.line"
    summary = "thick line segment, anti-aliased"
    settings = tuple(s for s in IMAGE_SETTINGS if s.name != "filled")
    params = (*POSITION,
              Param("length", 16.0, "px", "length along the direction angle", low=0.0,
                    open_low=True, high=8192.0),
              Param("thickness", 2.0, "px", "thickness across the segment", low=0.0,
                    open_low=True, high=4096.0),
              _angle("pi"))

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        cx, cy = self.centre(params)
        length, t, a = params["length"], params["thickness"], params["angle"]
        image = raster.render_line(cx, cy, length, a, t, shape=self.shape,
                                   antialias=self.config["antialias"])
        return SimResult({"image": image}, {"area": length * t,
                                            "angle_canonical": np.mod(a, math.pi)})

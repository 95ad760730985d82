"""Single-shape simulators: rectangle, regular polygon, ellipse, circle, arc, line segment.

Each renders one shape per sample onto an ``(H, W)`` float32 image whose pixel values are the
exact area of the shape inside the pixel, in [0, 1]. Positions ``cx``, ``cy`` are offsets in px of
the shape's centre from the image centre ((W − 1)/2, (H − 1)/2), +x to the right (columns), +y down
(rows); angles are radians from +x towards +y. ``truth/area`` is the exact area (px²) of what is
drawn (the filled shape or the outline band) and ``truth/angle_canonical`` the rotation reduced by
the shape's symmetry (e.g. a square mod π/2) into [0, period).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from deepbench.core.params import Alternative, Output, Param, Setting
from deepbench.core.simulator import ImageSimulator, SimResult
from deepbench.shapes import raster

TAU = 2 * math.pi
FAR = 1e6  # px: position offsets are clipped here for drawing (labels keep the value drawn)

POSITION = (
    Param("cx", 0.0, "px", "centre x, offset from the image centre (+x = right)"),
    Param("cy", 0.0, "px", "centre y, offset from the image centre (+y = down)"),
)

IMAGE_SETTINGS = (
    Setting("height", 28, "image height in pixels (rows)", int, low=8, high=1024, unit="px"),
    Setting("width", 28, "image width in pixels (columns)", int, low=8, high=1024, unit="px"),
    Setting("antialias", True, "exact pixel-area coverage; false gives the original two-colour 0/1 "
            "rendering (pixel on iff its centre is inside)", bool),
    Setting("filled", True, "filled shape, or an outline of width line_width px", bool),
)


def _angle(period: str) -> Param:
    return Param("angle", 0.0, "rad", "rotation from +x towards +y", low=-TAU,
                 high=TAU, period=period)


def _outline(band: str) -> Param:
    return Param("line_width", 1.0, "px", f"outline width (used when filled is false): {band}",
                 low=0.0, open_low=True, high=512.0)


def wrap(angle: np.ndarray, period: np.ndarray | float) -> np.ndarray:
    """``angle`` reduced to [0, period) (``np.mod`` alone can round up to ``period`` itself)."""
    m = np.mod(angle, period)
    return np.where(m >= period, m - period, m) + 0.0  # + 0.0 turns −0.0 into 0.0


class ShapeSimulator(ImageSimulator):
    """Shared declarations and plumbing for single-shape images.

    Each shape class knows its geometry in one place, :meth:`region`: the shape at the origin,
    grown by ``grow`` px, as exact boundary edges. The image, the outline band, ``truth/area`` and
    the scenes' catalogue all derive from it.
    """

    version = 2
    settings: ClassVar[tuple[Setting, ...]] = IMAGE_SETTINGS

    def outputs(self) -> tuple[Output, ...]:
        return (Output("image", self.shape, "float32", "",
                       "exact area of the shape inside each pixel, in [0, 1] (before observation "
                       "noise); 0/1 at pixel centres when antialias is false"),)

    def truth_outputs(self) -> tuple[Output, ...]:
        return (
            Output("area", (), "float64", "px^2",
                   "exact area of what is drawn: the filled shape, or the outline band (whole "
                   "shape, also where it leaves the image)"),
            Output("angle_canonical", (), "float64", "rad",
                   "rotation reduced modulo the shape's rotational symmetry, in [0, period)"),
        )

    def inactive(self) -> dict[str, str]:
        if self.config.get("filled", False):
            return {"line_width": "it is the outline width; set config.filled: false for outlines"}
        return {}

    @classmethod
    def region(cls, p: Mapping[str, np.ndarray], grow: np.ndarray) -> raster.Edges:
        """The shape centred at the origin, grown by ``grow`` px (negative: shrunk), (B,) regions.

        Every parameter, and ``grow``, arrives as a float64 array of shape (B,).
        """
        raise NotImplementedError

    @classmethod
    def drawn(cls, p: Mapping[str, np.ndarray], line_width: np.ndarray | None) -> raster.Edges:
        """The filled shape (``line_width`` None), or the band between it grown and shrunk by
        line_width/2 (the shrunk shape is a hole; where it vanishes the band is the grown shape)."""
        size = np.broadcast_shapes(*(np.shape(v) for v in p.values()), (1,))
        p = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), size) for k, v in p.items()}
        if line_width is None:
            return cls.region(p, np.zeros(size))
        g = np.broadcast_to(np.asarray(line_width, dtype=np.float64) / 2, size)
        return cls.region(p, g) + cls.region(p, -g).reversed()

    def canonical_angle(self, p: Mapping[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        h, w = self.shape
        edges = self.drawn(params, None if self.config.get("filled", True) else params["line_width"])
        # centres beyond ±FAR px are drawn at ±FAR: wholly outside the image either way (extents
        # are at most 8192 px), and the arithmetic stays finite; labels keep the value drawn
        cx, cy = np.clip(params["cx"], -FAR, FAR), np.clip(params["cy"], -FAR, FAR)
        moved = edges.moved(cx + (w - 1) / 2, cy + (h - 1) / 2)
        image = raster.rasterise(moved, self.shape, self.config["antialias"])
        return SimResult({"image": image}, {"area": edges.area(),
                                            "angle_canonical": self.canonical_angle(params)})


def _box(half_w: np.ndarray, half_h: np.ndarray, angle: np.ndarray) -> raster.Edges:
    """Rectangles with half-sides half_w (along angle) and half_h; empty where either is <= 0."""
    u = np.array([-1.0, 1.0, 1.0, -1.0]) * half_w[:, None]
    v = np.array([-1.0, -1.0, 1.0, 1.0]) * half_h[:, None]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    count = np.where((half_w > 0) & (half_h > 0), 4, 0)
    return raster.polygon(c * u - s * v, s * u + c * v, count)


class Rectangle(ShapeSimulator):
    """Rectangle of ``width`` × ``height`` px rotated by ``angle``."""

    name = "shapes.rectangle"
    summary = "filled or outlined rectangle, exact pixel areas"
    params = (*POSITION,
              Param("width", 12.0, "px", "side length along the rotated x axis", low=0.0,
                    open_low=True, high=4096.0),
              Param("height", 8.0, "px", "side length along the rotated y axis", low=0.0,
                    open_low=True, high=4096.0),
              _angle("pi (pi/2 when width == height)"),
              _outline("the band between the rectangle grown and shrunk by line_width/2 (mitred "
                       "corners); once line_width >= the shorter side it is the whole grown "
                       "rectangle"))

    @classmethod
    def region(cls, p: Mapping[str, np.ndarray], grow: np.ndarray) -> raster.Edges:
        return _box(p["width"] / 2 + grow, p["height"] / 2 + grow, p["angle"])

    def canonical_angle(self, p: Mapping[str, np.ndarray]) -> np.ndarray:
        return wrap(p["angle"], np.where(p["width"] == p["height"], math.pi / 2, math.pi))


class Polygon(ShapeSimulator):
    """Regular polygon with ``n_sides`` sides, given by circumradius or side length."""

    name = "shapes.polygon"
    summary = "regular n-gon (n >= 3), filled or outlined, exact pixel areas"
    params = (*POSITION,
              Param("radius", 8.0, "px", "circumradius (centre to vertex)", low=0.0,
                    open_low=True, high=4096.0),
              Param("side", None, "px", "side length (alternative to radius)", low=0.0,
                    open_low=True, high=4096.0),
              Param("n_sides", 5, "", "number of sides", low=3, high=64, kind="int"),
              _angle("2*pi/n_sides"),
              _outline("the band between the polygon grown and shrunk by line_width/2 (each side "
                       "moved along its normal, mitred corners); once line_width >= twice the "
                       "apothem it is the whole grown polygon"))
    alternatives = (Alternative("radius", (("radius",), ("side",)),
                                lambda p: p["side"] / (2 * np.sin(np.pi / p["n_sides"]))),)

    @classmethod
    def region(cls, p: Mapping[str, np.ndarray], grow: np.ndarray) -> raster.Edges:
        n = np.rint(p["n_sides"]).astype(np.int64)
        if np.any(n < 3):
            raise ValueError(f"n_sides must be >= 3, got {int(n.min())}")
        apothem = p["radius"] * np.cos(np.pi / n) + grow
        r = apothem / np.cos(np.pi / n)
        phi = (p["angle"])[:, None] + TAU * np.arange(int(n.max()))[None, :] / n[:, None]
        return raster.polygon(r[:, None] * np.cos(phi), r[:, None] * np.sin(phi),
                              np.where(apothem > 0, n, 0))

    def canonical_angle(self, p: Mapping[str, np.ndarray]) -> np.ndarray:
        return wrap(p["angle"], TAU / np.rint(p["n_sides"]))


class Ellipse(ShapeSimulator):
    """Ellipse with semi-axes ``a`` (along ``angle``) and ``b``."""

    name = "shapes.ellipse"
    version = 3  # 3: curved crossings solved without sin/cos (last bits of curved pixels)
    summary = "ellipse, filled or outlined, exact pixel areas"
    params = (*POSITION,
              Param("a", 10.0, "px", "semi-axis along the rotated x axis", low=0.0,
                    open_low=True, high=4096.0),
              Param("b", 6.0, "px", "semi-axis along the rotated y axis", low=0.0,
                    open_low=True, high=4096.0),
              _angle("pi (any when a == b)"),
              _outline("the band between the ellipses with semi-axes (a + line_width/2, "
                       "b + line_width/2) and (a − line_width/2, b − line_width/2) (not the "
                       "parallel curves: line_width wide at the ends of the axes, a little less "
                       "between them); once line_width >= 2·min(a, b) it is the whole outer "
                       "ellipse"))

    @classmethod
    def region(cls, p: Mapping[str, np.ndarray], grow: np.ndarray) -> raster.Edges:
        return raster.ellipse(p["a"] + grow, p["b"] + grow, p["angle"])

    def canonical_angle(self, p: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.where(p["a"] == p["b"], 0.0, wrap(p["angle"], math.pi))


class Circle(ShapeSimulator):
    """Circle (disc) of radius ``radius``."""

    name = "shapes.circle"
    version = 3  # 3: curved crossings solved without sin/cos (last bits of curved pixels)
    summary = "circle, filled or outlined, exact pixel areas"
    params = (*POSITION,
              Param("radius", 8.0, "px", "radius", low=0.0, open_low=True, high=4096.0),
              _outline("the ring radius ± line_width/2; once line_width >= 2·radius it is the "
                       "disc of radius radius + line_width/2"))

    @classmethod
    def region(cls, p: Mapping[str, np.ndarray], grow: np.ndarray) -> raster.Edges:
        r = p["radius"] + grow
        return raster.ellipse(r, r, np.zeros_like(r))

    def canonical_angle(self, p: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.zeros_like(p["radius"])


class Arc(ShapeSimulator):
    """Annular sector: mid-line ``radius``, radial ``thickness``, from ``start`` to ``end``.

    The sector runs from ``start`` towards increasing angle to ``end`` (mod 2π); ``end == start``
    (mod 2π) gives the full ring. A thickness above twice the radius gives a pie slice (inner
    radius 0).
    """

    name = "shapes.arc"
    version = 3  # 3: curved crossings solved without sin/cos (last bits of curved pixels)
    summary = "annular sector (thick arc), filled or outlined, exact pixel areas"
    params = (*POSITION,
              Param("radius", 9.0, "px", "radius of the arc's mid-line", low=0.0, open_low=True,
                    high=4096.0),
              Param("thickness", 3.0, "px", "radial thickness (r_out − r_in)", low=0.0,
                    open_low=True, high=8192.0),
              Param("start", 0.0, "rad", "start angle, from +x towards +y", low=-TAU,
                    high=TAU, period="2*pi"),
              Param("end", 2.0, "rad", "end angle, from +x towards +y", low=-TAU,
                    high=TAU, period="2*pi"),
              _outline("the band between the sector grown and shrunk by line_width/2: radii "
                       "r_in ∓ line_width/2 and r_out ± line_width/2, and each straight side moved "
                       "along its normal (mitred corners; for a span above π the wedge is the "
                       "union of the two half-planes); once line_width >= the thickness (or the "
                       "sector's width) it is the whole grown sector"))

    @classmethod
    def region(cls, p: Mapping[str, np.ndarray], grow: np.ndarray) -> raster.Edges:
        r, t, start = p["radius"], p["thickness"], p["start"]
        span = np.mod(p["end"] - p["start"], TAU)
        span = np.where(span == 0, TAU, span)
        r_in = np.maximum(r - t / 2, 0.0)  # thickness > 2·radius: a pie slice
        return raster.annular_sector(r_in - grow, r + t / 2 + grow, start, span, grow)

    def canonical_angle(self, p: Mapping[str, np.ndarray]) -> np.ndarray:
        return wrap(p["start"], TAU)


class Line(ShapeSimulator):
    """Line segment of ``length`` and ``thickness`` (butt ends) centred on (cx, cy)."""

    name = "shapes.line"
    summary = "thick line segment (a rotated rectangle), exact pixel areas"
    settings = tuple(s for s in IMAGE_SETTINGS if s.name != "filled")
    params = (*POSITION,
              Param("length", 16.0, "px", "length along the direction angle", low=0.0,
                    open_low=True, high=8192.0),
              Param("thickness", 2.0, "px", "thickness across the segment", low=0.0,
                    open_low=True, high=4096.0),
              _angle("pi"))

    @classmethod
    def region(cls, p: Mapping[str, np.ndarray], grow: np.ndarray) -> raster.Edges:
        return _box(p["length"] / 2 + grow, p["thickness"] / 2 + grow, p["angle"])

    def canonical_angle(self, p: Mapping[str, np.ndarray]) -> np.ndarray:
        return wrap(p["angle"], math.pi)

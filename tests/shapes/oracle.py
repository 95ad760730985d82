"""An exact pixel-coverage oracle written independently of the renderer.

Each shape is built as a shapely geometry (curves as polygons of many vertices) and clipped
against every pixel square; a pixel's value is the clipped area. Shapely (GEOS) does the clipping
and the shoelace areas, so the oracle shares no code and no method with ``deepbench.shapes.raster``.

Curves are polygons whose vertices lie on the curve; their own per-pixel error is at most the
sagitta times the chord length inside a pixel (< 2e-6 px² for the sizes used in the tests).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

BIG = 1e5


def coverage(geom: BaseGeometry, shape: tuple[int, int]) -> np.ndarray:
    """Exact area of ``geom`` inside each pixel [i, j] = [j − ½, j + ½] × [i − ½, i + ½], (H, W)."""
    h, w = shape
    out = np.zeros(shape)
    if geom.is_empty:
        return out
    x0, y0, x1, y1 = geom.bounds
    j0, j1 = max(int(math.floor(x0 + 0.5)), 0), min(int(math.ceil(x1 + 0.5)), w)
    i0, i1 = max(int(math.floor(y0 + 0.5)), 0), min(int(math.ceil(y1 + 0.5)), h)
    if j1 <= j0 or i1 <= i0:
        return out
    cols = np.arange(j0, j1)
    for i in range(i0, i1):
        strip = geom.intersection(box(j0 - 0.5, i - 0.5, j1 - 0.5, i + 0.5))
        if strip.is_empty:
            continue
        cells = shapely.box(cols - 0.5, i - 0.5, cols + 0.5, i + 0.5)
        out[i, j0:j1] = shapely.area(shapely.intersection(strip, cells))
    return out


def in_image(geom: BaseGeometry, shape: tuple[int, int]) -> float:
    h, w = shape
    return geom.intersection(box(-0.5, -0.5, w - 0.5, h - 0.5)).area


def _ring(cx: float, cy: float, a: float, b: float, angle: float, n: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    c, s = math.cos(angle), math.sin(angle)
    u, v = a * np.cos(t), b * np.sin(t)
    return np.stack([cx + c * u - s * v, cy + s * u + c * v], axis=1)


def vertices_for(radius: float) -> int:
    """Vertices for a curve of this radius: sagitta ≤ 1e-6 px (at most 60,000, sagitta 1.4e-6 px)."""
    return int(min(max(math.pi * math.sqrt(max(radius, 1e-3) / 2e-6), 64), 60_000))


def ellipse(cx: float, cy: float, a: float, b: float, angle: float) -> BaseGeometry:
    if a <= 0 or b <= 0:
        return Polygon()
    return Polygon(_ring(cx, cy, a, b, angle, vertices_for(max(a, b))))


def regular_polygon(cx: float, cy: float, radius: float, n: int, angle: float) -> BaseGeometry:
    k = np.arange(n)
    phi = angle + 2 * np.pi * k / n
    return Polygon(np.stack([cx + radius * np.cos(phi), cy + radius * np.sin(phi)], axis=1))


def rectangle(cx: float, cy: float, width: float, height: float, angle: float) -> BaseGeometry:
    c, s = math.cos(angle), math.sin(angle)
    u = np.array([-1, 1, 1, -1]) * width / 2
    v = np.array([-1, -1, 1, 1]) * height / 2
    return Polygon(np.stack([cx + c * u - s * v, cy + s * u + c * v], axis=1))


def mitred_band(geom: Polygon, line_width: float) -> BaseGeometry:
    """The band between a convex polygon grown and shrunk by line_width/2, mitred corners.

    Each is the intersection of the half-planes of the polygon's sides, moved out (in) by
    line_width/2 along their normals (shapely's own mitred buffer simplifies small sides).
    """
    return _offset(geom, line_width / 2).difference(_offset(geom, -line_width / 2))


def _offset(geom: Polygon, g: float) -> BaseGeometry:
    xy = np.asarray(geom.exterior.coords)[:-1]
    if not shapely.Polygon(xy).exterior.is_ccw:  # counter-clockwise: (e_y, −e_x) points out
        xy = xy[::-1]
    region = box(-BIG, -BIG, BIG, BIG)
    for p, q in zip(xy, np.roll(xy, -1, axis=0), strict=True):
        e = (q - p) / np.hypot(*(q - p))
        n = np.array([e[1], -e[0]])
        foot = p + g * n
        inner = foot - n * BIG
        region = region.intersection(Polygon([foot + e * BIG, foot - e * BIG, inner - e * BIG,
                                              inner + e * BIG]))
    return region


def annular_sector(cx: float, cy: float, r_in: float, r_out: float, start: float, span: float,
                   grow: float = 0.0) -> BaseGeometry:
    """{max(r_in, 0) − grow ≤ ρ ≤ r_out + grow} ∩ the wedge whose side lines are moved out by grow
    (the wedge is the intersection of the two half-planes for span ≤ π, their union beyond)."""
    lo, hi = max(max(r_in, 0.0) - grow, 0.0), r_out + grow
    if hi <= lo:
        return Polygon()
    ring = ellipse(0, 0, hi, hi, 0)
    if lo > 0:
        ring = ring.difference(ellipse(0, 0, lo, lo, 0))
    if span < 2 * np.pi:
        halves = []
        for ang, side in ((start, 1), (start + span, -1)):
            e = np.array([math.cos(ang), math.sin(ang)])
            n = side * np.array([math.sin(ang), -math.cos(ang)])  # outward normal
            foot = grow * n
            inner = foot - n * BIG  # the half-plane n·p <= grow, as a big square
            halves.append(Polygon([foot + e * BIG, foot - e * BIG, inner - e * BIG, inner + e * BIG]))
        wedge = halves[0].union(halves[1]) if span > np.pi else halves[0].intersection(halves[1])
        ring = ring.intersection(wedge)
    return shapely.affinity.translate(ring, cx, cy)

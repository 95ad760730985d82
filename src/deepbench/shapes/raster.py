"""Vectorised, anti-aliased rasterisers for 2-D shapes, batched over samples.

Conventions (the project's, stated once): images are ``(B, H, W)`` float32 arrays indexed
``[b, y, x]``; pixel ``[i, j]`` covers x ∈ [j − ½, j + ½], y ∈ [i − ½, i + ½], so pixel centres sit
at integer coordinates. Pixel values are the shape's coverage of the pixel, in [0, 1]. Angles are
radians from +x towards +y. Geometric arguments are arrays of shape ``(B,)`` (scalars broadcast).

Method: exact in x, ``SUBROWS``-point midpoint rule in y. On each sub-row the shape is a union of
disjoint intervals ``[lo, hi]`` in x, computed in closed form per sample and row (half-planes for
polygons, a quadratic for ellipses, disc differences and wedges for annular sectors). The covered
length of pixel ``j`` is ``A(j + ½) − A(j − ½)`` with ``A(x) = Σ clip(x, lo, hi)``, evaluated for the
whole batch at the ``W + 1`` pixel edges with one broadcast ``clip`` per interval and sub-row. So the
sum over a row is exactly the shape's chord length, areas and centroids converge fast, and thin
shapes keep their exact width. Outlines are the shape grown by ``line_width/2`` minus the shape
shrunk by it (mitered for polygons, exact parallel curves for ellipses): their area is
perimeter × line width.
``antialias=False`` gives the two-colour rendering: 1 where the pixel centre is inside, else 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

F32 = np.float32
SUBROWS = 2  # bands per pixel row for the y integral (each sampled at two pieces)
_BIG = 1e6
_EPS = 1e-9
Image = NDArray[np.float32]
Arr = NDArray[np.float64]
Interval = tuple[Arr, Arr]  # (lo, hi), each (H, B); empty when hi <= lo
Spans = Callable[[Arr], list[Interval]]  # dy (H, B) → disjoint intervals in dx
Box = tuple[Arr, Arr, Arr, Arr]
Extent = tuple[Arr, Arr, Arr, Arr]  # y_min, y_max and the vertices next to them (B,)

__all__ = [
    "render_rectangle", "render_polygon", "render_ellipse", "render_arc", "render_line",
    "area_rectangle", "area_polygon", "area_ellipse", "area_arc", "area_line", "centroid_arc",
    "perimeter_ellipse", "bounding_box_rectangle", "bounding_box_polygon", "bounding_box_ellipse",
    "bounding_box_arc", "bounding_box_line", "SUBROWS",
]


# -- plumbing ----------------------------------------------------------------------------------
# Internally rows are (H, B) and pixel work is (H, W + 1, B): the batch is the innermost axis, so every
# broadcast inner loop is long and contiguous; the result is transposed once into (B, H, W).
def _batch(*values: ArrayLike) -> list[Arr]:
    arrays = [np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in values]
    return [np.ascontiguousarray(a) for a in np.broadcast_arrays(*arrays)]


def _rows(cy: Arr, h: int) -> Arr:
    """Row-centre y minus cy, (H, B)."""
    return np.arange(h, dtype=np.float64)[:, None] - cy[None, :]


def _samples(rows: Arr, extent: Extent | None) -> list[tuple[Arr, NDArray[np.float32] | None]]:
    """Sample rows (H, B) and weights for the y integral of each pixel row.

    Each row is cut into ``SUBROWS`` bands and each band into two pieces, each sampled at its
    middle. With an ``extent`` (y_min, y_max, s_lo, s_hi) of a convex region, bands are clipped to
    [y_min, y_max] (exact horizontal top and bottom edges) and split at the vertices s_lo/s_hi next
    to the extremes, where a nearly horizontal edge bends the chord length sharply.
    """
    h = 1.0 / SUBROWS
    out: list[tuple[Arr, NDArray[np.float32] | None]] = []
    for k in range(SUBROWS):
        top, bottom = rows - 0.5 + k * h, rows - 0.5 + (k + 1) * h
        if extent is None:
            out += [(top + h / 4, None), (bottom - h / 4, None)]
            continue
        y_min, y_max, s_lo, s_hi = extent
        top, bottom = np.maximum(top, y_min), np.minimum(bottom, y_max)
        mid = (top + bottom) / 2
        # a vertex counts as inside a band only clear of its ends, so that rounding noise (e.g. after
        # a rotation by a symmetry of the shape) cannot flip the choice of sample points
        split = np.where((s_lo > top + _EPS) & (s_lo < bottom - _EPS), s_lo,
                         np.where((s_hi > top + _EPS) & (s_hi < bottom - _EPS), s_hi, mid))
        for a, b in ((top, split), (split, bottom)):
            length = np.maximum(b - a, 0.0)
            out.append(((a + b) / 2, (length * (2 * SUBROWS)).astype(F32)[:, None, :]))
    return out


def _raster(spans: Spans, cx: Arr, cy: Arr, shape: tuple[int, int], antialias: bool,
            extent: Extent | None = None) -> Image:
    """Coverage image (B, H, W) of the region whose rows ``spans`` gives, relative to (cx, cy)."""
    if not antialias:
        return _transpose(_inside(spans, cx, cy, shape))
    h, w = shape
    edges = ((np.arange(w + 1, dtype=np.float64) - 0.5)[:, None] - cx[None, :]).astype(F32)
    acc = np.zeros((h, w + 1, cx.size), dtype=F32)
    tmp = np.empty_like(acc)
    for y, weight in _samples(_rows(cy, h), extent):
        for lo, hi in spans(y):
            empty = ~(hi > lo)
            lo32 = np.clip(np.where(empty, 0.0, lo), -_BIG, _BIG).astype(F32)[:, None, :]
            hi32 = np.clip(np.where(empty, 0.0, hi), -_BIG, _BIG).astype(F32)[:, None, :]
            np.maximum(edges, lo32, out=tmp)
            np.minimum(tmp, hi32, out=tmp)
            if weight is not None:
                tmp *= weight
            acc += tmp
    diff = np.subtract(acc[:, 1:], acc[:, :-1], out=tmp[:, 1:])  # contiguous, then one transpose
    diff *= F32(1 / (2 * SUBROWS))
    np.clip(diff, F32(0), F32(1), out=diff)
    return np.ascontiguousarray(diff.transpose(2, 0, 1))


def _inside(spans: Spans, cx: Arr, cy: Arr, shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Pixel centres inside the region, (H, W, B)."""
    h, w = shape
    xc = (np.arange(w, dtype=np.float64)[:, None] - cx[None, :]).astype(F32)
    on = np.zeros((h, w, cx.size), dtype=bool)
    for lo, hi in spans(_rows(cy, h)):
        keep = (hi >= lo)[:, None, :]
        on |= (xc >= lo.astype(F32)[:, None, :]) & (xc <= hi.astype(F32)[:, None, :]) & keep
    return on


def _transpose(on: NDArray[np.bool_]) -> Image:
    return np.ascontiguousarray(on.transpose(2, 0, 1), dtype=F32)


def _outline(spans_at: Callable[[Arr], Spans], cx: Arr, cy: Arr, lw: Arr,
             shape: tuple[int, int], antialias: bool,
             extent_at: Callable[[Arr], Extent | None] = lambda grow: None) -> Image:
    """Band between the region grown by lw/2 and the region shrunk by lw/2."""
    if not antialias:
        return _transpose(_inside(spans_at(lw / 2), cx, cy, shape)
                          & ~_inside(spans_at(-lw / 2), cx, cy, shape))
    out = _raster(spans_at(lw / 2), cx, cy, shape, True, extent_at(lw / 2))
    out -= _raster(spans_at(-lw / 2), cx, cy, shape, True, extent_at(-lw / 2))
    return np.clip(out, F32(0), F32(1), out=out)


def _halfplanes(dy: Arr, planes: list[tuple[Arr, Arr, Arr]]) -> Interval:
    """Row interval (H, B) of the intersection of half-planes ``nx·dx + ny·dy <= c`` (each (B,))."""
    nx, ny, c = (np.stack(v)[:, None, :] for v in zip(*planes, strict=True))  # (E, 1, B)
    pos, neg = nx > 1e-12, nx < -1e-12
    inv = 1.0 / np.where(pos | neg, nx, 1.0)
    bound = (ny * inv) * -dy[None]
    bound += c * inv                                                           # (E, H, B)
    hi = np.where(pos, bound, np.inf).min(axis=0)
    lo = np.where(neg, bound, -np.inf).max(axis=0)
    flat = ~(pos | neg)
    if flat.any():  # horizontal edges: the whole row, or nothing
        blocked = (flat & (c - ny * dy[None] < 0)).any(axis=0)
        hi = np.where(blocked, -np.inf, hi)
    return lo, hi


def _intersect(a: Interval, b: Interval) -> Interval:
    return np.maximum(a[0], b[0]), np.minimum(a[1], b[1])


def _subtract(a: Interval, g: Interval) -> tuple[Interval, Interval]:
    """a minus g as two disjoint intervals (either may be empty)."""
    gone = ~(g[1] > g[0])
    g_lo = np.where(gone, np.inf, g[0])
    g_hi = np.where(gone, np.inf, g[1])
    return (a[0], np.minimum(a[1], g_lo)), (np.maximum(a[0], g_hi), a[1])


def _ellipse_row(dy: Arr, a: Arr, b: Arr, angle: Arr) -> Interval:
    """Row interval of the rotated ellipse (u/a)² + (v/b)² <= 1 (empty where a or b <= 0)."""
    real = (a > 0) & (b > 0)
    a, b = np.where(real, a, 1.0), np.where(real, b, 1.0)
    c, s = np.cos(angle), np.sin(angle)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # vanishing axes: empty
        ia2, ib2 = 1 / (a * a), 1 / (b * b)
        qa = c * c * ia2 + s * s * ib2
        qb = 2 * dy * (c * s * (ia2 - ib2))
        qc = dy * dy * (s * s * ia2 + c * c * ib2) - 1
        disc = qb * qb - 4 * qa * qc
        root = np.sqrt(np.maximum(disc, 0))
        lo = (-qb - root) / (2 * qa)
        hi = (-qb + root) / (2 * qa)
    keep = (disc >= 0) & real & np.isfinite(lo) & np.isfinite(hi)
    return np.where(keep, lo, np.inf), np.where(keep, hi, -np.inf)


def _polygon_planes(radius: Arr, n: NDArray[np.int64], angle: Arr, grow: Arr
                    ) -> list[tuple[Arr, Arr, Arr]]:
    apothem = radius * np.cos(np.pi / n) + grow
    planes = []
    for k in range(int(n.max())):  # loop over edges, not samples; extra edges repeat (harmless)
        phi = angle + (2 * (k % n) + 1) * np.pi / n
        planes.append((np.cos(phi), np.sin(phi), apothem))
    return planes


def _vertex_extent(y: Arr, count: NDArray[np.int64] | None = None) -> Extent:
    """Extent from vertex y's (B, V), of which the first ``count`` per sample are real: min, max,
    and the second-lowest and second-highest."""
    if count is not None:
        y = np.where(np.arange(y.shape[1])[None, :] < count[:, None], y, np.nan)
    y = np.sort(y, axis=1)  # NaN padding sorts last
    last = (np.full(len(y), y.shape[1]) if count is None else count) - 1
    rows = np.arange(len(y))
    return y[:, 0], y[rows, last], y[:, 1], y[rows, last - 1]


def _polygon_extent(radius: Arr, n: NDArray[np.int64], angle: Arr, grow: Arr) -> Extent:
    """Extent of a (grown) regular polygon: its vertices sit at (apothem + grow)/cos(π/n)."""
    r = (radius * np.cos(np.pi / n) + grow) / np.cos(np.pi / n)
    k = np.arange(int(n.max()))[None, :]
    y = r[:, None] * np.sin(angle[:, None] + 2 * np.pi * k / n[:, None])
    return _vertex_extent(y, n)


def _box_extent(width: Arr, height: Arr, angle: Arr, grow: Arr) -> Extent:
    hw, hh = width / 2 + grow, height / 2 + grow
    c, s = np.cos(angle), np.sin(angle)
    y = np.stack([s * hw + c * hh, s * hw - c * hh, -s * hw + c * hh, -s * hw - c * hh], axis=1)
    return _vertex_extent(y)


def _ellipse_extent(a: Arr, b: Arr, angle: Arr) -> Extent:
    ey = np.hypot(a * np.sin(angle), b * np.cos(angle))
    return -ey, ey, -ey, ey


def _box_planes(width: Arr, height: Arr, angle: Arr, grow: Arr) -> list[tuple[Arr, Arr, Arr]]:
    c, s = np.cos(angle), np.sin(angle)
    hw, hh = width / 2 + grow, height / 2 + grow
    return [(c, s, hw), (-c, -s, hw), (-s, c, hh), (s, -c, hh)]


def _convex(planes_at: Callable[[Arr], list[tuple[Arr, Arr, Arr]]],
            extent_at: Callable[[Arr], Extent], cx: Arr, cy: Arr, lw: Arr,
            shape: tuple[int, int], filled: bool, antialias: bool) -> Image:
    """A convex polygon given by its half-planes (grown by ``grow`` px): filled, or its outline."""

    def at(grow: Arr) -> Spans:
        planes = planes_at(grow)
        return lambda dy: [_halfplanes(dy, planes)]

    if filled:
        zero = np.zeros_like(cx)
        return _raster(at(zero), cx, cy, shape, antialias, extent_at(zero))
    return _outline(at, cx, cy, lw, shape, antialias, extent_at)


# -- public renderers --------------------------------------------------------------------------
def render_rectangle(cx: ArrayLike, cy: ArrayLike, width: ArrayLike, height: ArrayLike,
                     angle: ArrayLike, *, shape: tuple[int, int], filled: bool = True,
                     line_width: ArrayLike = 1.0, antialias: bool = True) -> Image:
    """Rectangle ``width`` × ``height`` px centred on (cx, cy) px, rotated by ``angle`` rad.

    The outline is the band of width ``line_width`` px centred on the edges (mitered corners); its
    area is exactly 2·(width + height)·line_width.
    """
    cx, cy, width, height, angle, lw = _batch(cx, cy, width, height, angle, line_width)
    return _convex(lambda grow: _box_planes(width, height, angle, grow),
                   lambda grow: _box_extent(width, height, angle, grow),
                   cx, cy, lw, shape, filled, antialias)


def render_line(cx: ArrayLike, cy: ArrayLike, length: ArrayLike, angle: ArrayLike,
                thickness: ArrayLike, *, shape: tuple[int, int], antialias: bool = True) -> Image:
    """Segment of ``length`` px and ``thickness`` px (butt ends) centred on (cx, cy), along ``angle``."""
    return render_rectangle(cx, cy, length, thickness, angle, shape=shape, antialias=antialias)


def render_polygon(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, n_sides: ArrayLike,
                   angle: ArrayLike, *, shape: tuple[int, int], filled: bool = True,
                   line_width: ArrayLike = 1.0, antialias: bool = True) -> Image:
    """Regular ``n_sides``-gon of circumradius ``radius`` px; its first vertex points along ``angle``."""
    cx, cy, radius, nf, angle, lw = _batch(cx, cy, radius, n_sides, angle, line_width)
    n = np.rint(nf).astype(np.int64)
    if np.any(n < 3):
        raise ValueError(f"n_sides must be >= 3, got {int(n.min())}")

    return _convex(lambda grow: _polygon_planes(radius, n, angle, grow),
                   lambda grow: _polygon_extent(radius, n, angle, grow),
                   cx, cy, lw, shape, filled, antialias)


def _ellipse_offset_row(dy: Arr, a: Arr, b: Arr, angle: Arr, s: Arr) -> Interval:
    """Row interval of the ellipse's parallel body at signed distance ``s`` (dilation s > 0).

    The boundary is q(t) = (a cos t, b sin t) + s·n(t), n the unit outward normal; its image-frame
    height Y(t) runs monotonically between its extremes ±(R + s), R = √(a² sin²θ + b² cos²θ), on
    each of the two branches (while s > −b²/a). Each branch is solved for Y(t) = y by Newton's method
    from the base ellipse's closed-form solution, clamped to the branch.
    """
    st, ct = np.sin(angle), np.cos(angle)
    big_r = np.hypot(a * st, b * ct)
    phi = np.arctan2(a * st, b * ct)  # base ellipse: Y(t) = R sin(t + φ)
    reach = big_r + s
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.clip(dy / np.where(reach > 0, reach, 1.0), -1.0, 1.0)
    half = np.arcsin(ratio)  # in [−π/2, π/2]
    xs = []
    for t0, lo, hi, sign in ((half - phi, -np.pi / 2 - phi, np.pi / 2 - phi, 1.0),
                             (np.pi - half - phi, np.pi / 2 - phi, 3 * np.pi / 2 - phi, -1.0)):
        t = t0
        lo, hi = lo + np.zeros_like(t), hi + np.zeros_like(t)
        for _ in range(5):  # Newton, safeguarded by bisection of the bracket [lo, hi]
            c, sn = np.cos(t), np.sin(t)
            norm = np.sqrt((b * c) ** 2 + (a * sn) ** 2)
            fu, fv = a + s * b / norm, b + s * a / norm
            dinv = -(a * a - b * b) * sn * c / norm**3
            resid = sign * ((c * fu) * st + (sn * fv) * ct - dy)  # increasing in t on [lo, hi]
            slope = sign * ((-sn * fu + c * s * b * dinv) * st + (c * fv + sn * s * a * dinv) * ct)
            below = resid < 0
            lo = np.where(below, t, lo)
            hi = np.where(below, hi, t)
            with np.errstate(invalid="ignore", divide="ignore"):
                t_new = t - resid / slope
            t = np.where((t_new >= lo) & (t_new <= hi), t_new, (lo + hi) / 2)
        c, sn = np.cos(t), np.sin(t)
        norm = np.sqrt((b * c) ** 2 + (a * sn) ** 2)
        xs.append(c * (a + s * b / norm) * ct - sn * (b + s * a / norm) * st)
    inside = (np.abs(dy) <= reach) & (b + s > 0)
    return (np.where(inside, np.minimum(*xs), np.inf), np.where(inside, np.maximum(*xs), -np.inf))


def render_ellipse(cx: ArrayLike, cy: ArrayLike, a: ArrayLike, b: ArrayLike, angle: ArrayLike, *,
                   shape: tuple[int, int], filled: bool = True, line_width: ArrayLike = 1.0,
                   antialias: bool = True) -> Image:
    """Ellipse with semi-axes ``a`` (along ``angle``) and ``b`` px centred on (cx, cy).

    The outline is the band within ``line_width``/2 of the ellipse (between its exact parallel
    curves), so its area is perimeter × line width; exact while line_width/2 < b²/a (the smallest
    radius of curvature), beyond which the inner edge near the major-axis tips is approximate.
    """
    cx, cy, a, b, angle, lw = _batch(cx, cy, a, b, angle, line_width)
    if filled:
        return _raster(lambda dy: [_ellipse_row(dy, a, b, angle)], cx, cy, shape, antialias,
                       _ellipse_extent(a, b, angle))

    def at(grow: Arr) -> Spans:
        if np.array_equal(a, b):  # circles: the parallel curves are circles
            return lambda dy: [_ellipse_row(dy, a + grow, a + grow, angle)]
        return lambda dy: [_ellipse_offset_row(dy, a, b, angle, grow)]

    def extent(grow: Arr) -> Extent:
        reach = np.maximum(np.hypot(a * np.sin(angle), b * np.cos(angle)) + grow, 0)
        return -reach, reach, -reach, reach

    return _outline(at, cx, cy, lw, shape, antialias, extent)


def render_arc(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, start: ArrayLike, end: ArrayLike,
               thickness: ArrayLike, *, shape: tuple[int, int], filled: bool = True,
               line_width: ArrayLike = 1.0, antialias: bool = True) -> Image:
    """Annular sector: mid-line ``radius`` px, radial ``thickness`` px, angles ``start`` → ``end`` rad.

    The sector runs from ``start`` towards increasing angle; ``end − start`` is clipped to [0, 2π].
    An inner radius below zero (thickness > 2·radius) gives a pie slice.
    """
    cx, cy, radius, start, end, thickness, lw = _batch(cx, cy, radius, start, end, thickness,
                                                       line_width)
    span = np.clip(end - start, 0.0, 2 * np.pi)
    full = span >= 2 * np.pi - 1e-12
    wide = (span > np.pi) & ~full  # the sector is the ring minus a convex gap: up to 4 intervals
    if wide.any() and not wide.all():  # render the two kinds apart: the others need only 2 intervals
        out = np.empty((cx.size, *shape), dtype=F32)
        for part in (wide, ~wide):
            out[part] = render_arc(cx[part], cy[part], radius[part], start[part], end[part],
                                   thickness[part], shape=shape, filled=filled, line_width=lw[part],
                                   antialias=antialias)
        return out
    r_in, r_out = radius - thickness / 2, radius + thickness / 2
    s1, c1 = np.sin(start), np.cos(start)
    s2, c2 = np.sin(start + span), np.cos(start + span)
    zero = np.zeros_like(cx)

    def at(grow: Arr) -> Spans:
        def spans(dy: Arr) -> list[Interval]:
            outer = _ellipse_row(dy, r_out + grow, r_out + grow, zero)
            inner = _ellipse_row(dy, r_in - grow, r_in - grow, zero)
            ring = _subtract(outer, inner)
            if wide.any():
                gap = _halfplanes(dy, [(-s1, c1, -grow), (s2, -c2, -grow)])
                return [*_subtract(ring[0], gap), *_subtract(ring[1], gap)]
            wedge = _halfplanes(dy, [(s1, -c1, grow), (-s2, c2, grow)])
            out = []
            for piece in ring:
                lo, hi = _intersect(piece, wedge)
                out.append((np.where(full, piece[0], lo), np.where(full, piece[1], hi)))
            return out

        return spans

    if filled:
        return _raster(at(zero), cx, cy, shape, antialias)
    return _outline(at, cx, cy, lw, shape, antialias)


# -- analytic areas, centroids, perimeters, boxes (float64, (B,)) ------------------------------
def area_rectangle(width: ArrayLike, height: ArrayLike) -> NDArray[np.float64]:
    """Area width × height (px²)."""
    return np.asarray(width, dtype=np.float64) * np.asarray(height, dtype=np.float64)


def area_line(length: ArrayLike, thickness: ArrayLike) -> NDArray[np.float64]:
    """Area length × thickness (px²)."""
    return area_rectangle(length, thickness)


def area_polygon(radius: ArrayLike, n_sides: ArrayLike) -> NDArray[np.float64]:
    """Regular n-gon area (n/2)·R²·sin(2π/n) (px²)."""
    r, n = np.asarray(radius, dtype=np.float64), np.asarray(n_sides, dtype=np.float64)
    return n / 2 * r * r * np.sin(2 * np.pi / n)


def area_ellipse(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Ellipse area π·a·b (px²)."""
    return np.pi * np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)


def area_arc(radius: ArrayLike, thickness: ArrayLike, start: ArrayLike, end: ArrayLike
             ) -> NDArray[np.float64]:
    """Annular-sector area span·radius·thickness (px²), span = clip(end − start, 0, 2π)."""
    span = np.clip(np.asarray(end, np.float64) - np.asarray(start, np.float64), 0, 2 * np.pi)
    return span * np.asarray(radius, np.float64) * np.asarray(thickness, np.float64)


def centroid_arc(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, thickness: ArrayLike,
                 start: ArrayLike, end: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Annular-sector centroid (px): distance (2/3)(r₂³ − r₁³)/(r₂² − r₁²)·sin(s/2)/(s/2) on the bisector."""
    cx, cy, r, t, start, end = _batch(cx, cy, radius, thickness, start, end)
    span = np.clip(end - start, 0, 2 * np.pi)
    r1, r2 = r - t / 2, r + t / 2
    dist = 2 / 3 * (r2**3 - r1**3) / (r2**2 - r1**2) * np.sinc(span / (2 * np.pi))
    mid = start + span / 2
    return cx + dist * np.cos(mid), cy + dist * np.sin(mid)


def perimeter_ellipse(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Ellipse perimeter (px), Ramanujan's second approximation (relative error < 4e-5 for b/a ≥ 0.1)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    h = ((a - b) / (a + b)) ** 2
    return np.pi * (a + b) * (1 + 3 * h / (10 + np.sqrt(4 - 3 * h)))


def _extent(w: NDArray[np.float64], h: NDArray[np.float64], angle: NDArray[np.float64]
            ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    c, s = np.abs(np.cos(angle)), np.abs(np.sin(angle))
    return (c * w + s * h) / 2, (s * w + c * h) / 2


def bounding_box_rectangle(cx: ArrayLike, cy: ArrayLike, width: ArrayLike, height: ArrayLike,
                           angle: ArrayLike) -> Box:
    """Tight axis-aligned box (x_min, y_min, x_max, y_max) in px."""
    cx, cy, w, h, angle = _batch(cx, cy, width, height, angle)
    ex, ey = _extent(w, h, angle)
    return cx - ex, cy - ey, cx + ex, cy + ey


def bounding_box_line(cx: ArrayLike, cy: ArrayLike, length: ArrayLike, angle: ArrayLike,
                      thickness: ArrayLike) -> Box:
    """Tight axis-aligned box of the segment's rectangle (px)."""
    return bounding_box_rectangle(cx, cy, length, thickness, angle)


def bounding_box_polygon(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, n_sides: ArrayLike,
                         angle: ArrayLike) -> Box:
    """Tight axis-aligned box of the regular polygon's vertices (px)."""
    cx, cy, r, nf, angle = _batch(cx, cy, radius, n_sides, angle)
    n = np.rint(nf).astype(np.int64)
    k = np.arange(int(n.max()))[None, :]
    phi = angle[:, None] + 2 * np.pi * (k % n[:, None]) / n[:, None]
    x, y = r[:, None] * np.cos(phi), r[:, None] * np.sin(phi)
    return cx + x.min(1), cy + y.min(1), cx + x.max(1), cy + y.max(1)


def bounding_box_ellipse(cx: ArrayLike, cy: ArrayLike, a: ArrayLike, b: ArrayLike,
                         angle: ArrayLike) -> Box:
    """Tight axis-aligned box of the rotated ellipse (px)."""
    cx, cy, a, b, angle = _batch(cx, cy, a, b, angle)
    c, s = np.cos(angle), np.sin(angle)
    ex, ey = np.hypot(a * c, b * s), np.hypot(a * s, b * c)
    return cx - ex, cy - ey, cx + ex, cy + ey


def bounding_box_arc(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, thickness: ArrayLike,
                     start: ArrayLike, end: ArrayLike) -> Box:
    """Tight axis-aligned box of the annular sector: its four corners and the outer extremes in range."""
    cx, cy, r, t, start, end = _batch(cx, cy, radius, thickness, start, end)
    span = np.clip(end - start, 0, 2 * np.pi)
    r1, r2 = np.maximum(r - t / 2, 0), r + t / 2
    ends = np.stack([start, start + span], axis=1)
    px = np.concatenate([r1[:, None] * np.cos(ends), r2[:, None] * np.cos(ends)], axis=1)
    py = np.concatenate([r1[:, None] * np.sin(ends), r2[:, None] * np.sin(ends)], axis=1)
    axes = np.arange(4) * np.pi / 2
    inside = np.mod(axes[None, :] - start[:, None], 2 * np.pi) <= span[:, None]
    ax = np.where(inside, r2[:, None] * np.cos(axes), np.nan)
    ay = np.where(inside, r2[:, None] * np.sin(axes), np.nan)
    xs, ys = np.concatenate([px, ax], axis=1), np.concatenate([py, ay], axis=1)
    return cx + np.nanmin(xs, 1), cy + np.nanmin(ys, 1), cx + np.nanmax(xs, 1), cy + np.nanmax(ys, 1)

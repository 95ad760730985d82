"""Vectorised, anti-aliased rasterisers for 2-D shapes, batched over samples.

Conventions (the project's, stated once): images are ``(B, H, W)`` float32 arrays indexed
``[b, y, x]``; pixel ``[i, j]`` covers x ∈ [j − ½, j + ½], y ∈ [i − ½, i + ½], so pixel centres sit
at integer coordinates and the image centre is ((W − 1)/2, (H − 1)/2). Pixel values approximate the
shape's coverage of the pixel area, in [0, 1]. Angles are radians from +x towards +y (array
coordinates). Geometric arguments are arrays of shape ``(B,)``; Python scalars broadcast.

Method: every shape is described by a signed distance ``d`` in px (negative inside), evaluated at
the pixel centres with the separable trick (an affine function of x and y is the sum of a per-column
and a per-row term, one broadcast ``add`` per sample batch). Coverage is the ramp
``clip(½ − δ − d, 0, 1)``. The distances are mitered (max over edge half-planes) so that the level
sets ``{d ≤ s}`` have area ``A + P·s + K·s²``; the ramp then over-counts by ``K/12`` px², removed
exactly by moving the boundary inwards by ``δ`` (``Kδ² − Pδ + K/12 = 0``). Ellipses use
``d = (ρ − 1)/|∇ρ|`` with ``ρ² = (u/a)² + (v/b)²`` (exact for circles), whose level sets have
``K = π(a² + b²)/(2ab)``. Rectangles and lines are the product of two exact slab coverages
``clip(w/2 + ½ − |u|, 0, min(1, w))`` (area exact, also below 1 px). Outlines (``filled=False``) are
the band ``|d| ≤ line_width/2`` centred on the boundary with mitered corners; the quadratic terms
cancel, so its area is perimeter × line width. ``antialias=False`` gives the two-colour rendering:
1 where the pixel centre is inside (``d ≤ 0``), else 0.

Small images are computed in an ``(H, W, B)`` layout (long contiguous inner loops over the batch) and
transposed once; large ones directly in ``(B, H, W)``; both in batch chunks that stay in cache.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

F32 = np.float32
Image = NDArray[np.float32]
Arr = NDArray[np.float64]
Box = tuple[Arr, Arr, Arr, Arr]

_CHUNK = 1 << 19  # pixels per chunk of the batch (a few MB per temporary)
_SMALL = 48 * 48  # images up to this many pixels use the batch-innermost (H, W, B) layout
_FAR = 1e6  # "infinitely" far, in px (float32-safe)

__all__ = [
    "render_rectangle", "render_polygon", "render_ellipse", "render_arc", "render_line",
    "area_rectangle", "area_polygon", "area_ellipse", "area_arc", "area_line", "centroid_arc",
    "perimeter_ellipse", "bounding_box_rectangle", "bounding_box_polygon", "bounding_box_ellipse",
    "bounding_box_arc", "bounding_box_line",
]


# -- plumbing ----------------------------------------------------------------------------------
def _batch(*values: ArrayLike) -> list[Arr]:
    """Broadcast the arguments to common 1-D float64 arrays (B,)."""
    arrays = [np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in values]
    out = np.broadcast_arrays(*arrays)
    if out[0].ndim != 1:
        raise ValueError(f"geometric arguments must be scalars or 1-D arrays, got shape {out[0].shape}")
    return [np.ascontiguousarray(a) for a in out]


class _Grid:
    """Pixel-centre coordinates relative to per-sample centres, for one chunk of the batch.

    ``lin(ax, ay, c)`` is the full array ax·(x − cx) + ay·(y − cy) + c, made by one broadcast add of a
    column term and a row term; ``col(v)`` broadcasts a per-sample constant.
    """

    def __init__(self, shape: tuple[int, int], cx: Arr, cy: Arr):
        h, w = shape
        self.t = h * w <= _SMALL
        self.n = cx.size
        self.dx = np.arange(w, dtype=np.float64)[None, :] - cx[:, None]  # (b, W)
        self.dy = np.arange(h, dtype=np.float64)[None, :] - cy[:, None]  # (b, H)
        self.full = (h, w, self.n) if self.t else (self.n, h, w)

    def _x(self, v: Arr) -> NDArray[np.float32]:
        if self.t:
            return np.ascontiguousarray(v.T, dtype=F32)[None, :, :]
        return v.astype(F32)[:, None, :]

    def _y(self, v: Arr) -> NDArray[np.float32]:
        if self.t:
            return np.ascontiguousarray(v.T, dtype=F32)[:, None, :]
        return v.astype(F32)[:, :, None]

    def col(self, v: Arr) -> NDArray[np.float32]:
        v = np.asarray(v, dtype=F32)
        return v[None, None, :] if self.t else v[:, None, None]

    def lin(self, ax: Arr, ay: Arr, c: Arr | float = 0.0) -> NDArray[np.float32]:
        c = np.asarray(c, dtype=np.float64)
        x = self._x(ax[:, None] * self.dx + (c[:, None] if c.ndim else c))
        return np.add(x, self._y(ay[:, None] * self.dy), out=np.empty(self.full, dtype=F32))

    def lin_into(self, out: NDArray[np.float32], ax: Arr, ay: Arr, c: Arr) -> None:
        np.add(self._x(ax[:, None] * self.dx + c[:, None]), self._y(ay[:, None] * self.dy), out=out)

    def radius(self) -> NDArray[np.float32]:
        """Distance of each pixel centre from the sample's centre."""
        r = np.add(self._x(self.dx * self.dx), self._y(self.dy * self.dy),
                   out=np.empty(self.full, dtype=F32))
        return np.sqrt(r, out=r)

    def store(self, result: NDArray, out: Image) -> None:
        np.copyto(out.transpose(1, 2, 0) if self.t else out, result)


Kernel = Callable[[_Grid, dict[str, Arr]], NDArray]


def _render(shape: tuple[int, int], kernel: Kernel, cx: Arr, cy: Arr, **params: Arr) -> Image:
    """Run ``kernel`` over cache-sized chunks of the batch, into a (B, H, W) float32 image."""
    h, w = int(shape[0]), int(shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"shape must be two positive ints (height, width), got {shape}")
    out = np.empty((cx.size, h, w), dtype=F32)
    step = max(1, _CHUNK // (h * w))
    for b0 in range(0, cx.size, step):  # chunks of the batch, not single samples
        part = slice(b0, b0 + step)
        grid = _Grid((h, w), cx[part], cy[part])
        grid.store(kernel(grid, {k: v[part] for k, v in params.items()}), out[part])
    return out


def _shift(k: Arr, perimeter: Arr) -> Arr:
    """Inward boundary shift δ (px) that cancels the ramp's area bias K/12: Kδ² − Pδ + K/12 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (1 + BETA**2) / 12
        root = np.sqrt(np.maximum(perimeter * perimeter - 4 * k * k * v, 0))
        delta = 2 * k * v / (perimeter + root)
    return np.where(np.isfinite(delta), delta, np.inf)


BETA = 0.5


def _profile(grid, d, shift):
    """F(t) = CDF of box_1 ⊛ box_β at t = −d − shift."""
    beta = BETA
    np.add(d, grid.col(shift), out=d)
    np.negative(d, out=d)
    if beta <= 0:
        d += F32(0.5)
        return np.clip(d, 0, 1, out=d)
    h1, h2 = (1 + beta) / 2, (1 - beta) / 2
    x = np.abs(d)
    np.minimum(x, F32(h1), out=x)
    m = np.subtract(x, F32(h2))
    np.maximum(m, 0, out=m)
    m *= m
    m *= F32(1 / (2 * beta))
    x -= m
    np.copysign(x, d, out=x)
    x += F32(0.5)
    return x


def _finish(grid: _Grid, d: NDArray[np.float32], p: dict[str, Arr], shift: Arr,
            filled: bool, antialias: bool) -> NDArray:
    """Coverage from a signed distance: ramp (filled) or band |d| ≤ lw/2 (outline); or 0/1."""
    if filled:
        if not antialias:
            return d <= 0
        return _profile(grid, d, shift)
    lw = np.maximum(p["lw"], 0)
    np.abs(d, out=d)
    if not antialias:
        return d <= grid.col(lw / 2)
    np.subtract(grid.col(lw / 2 + 0.5), d, out=d)
    np.maximum(d, 0, out=d)
    return np.minimum(d, grid.col(np.minimum(lw, 1)), out=d)


# -- shape kernels -----------------------------------------------------------------------------
def _edge_cdf(grid: _Grid, t: NDArray[np.float32], a: Arr, b: Arr) -> NDArray[np.float32]:
    """Exact coverage of a unit pixel by the half-plane whose boundary lies ``t`` px beyond its
    centre, for edge normals (cos φ, sin φ) with a = max(|cos φ|, |sin φ|), b = the other; in place.

    The pixel projected on the normal is the trapezoid box_a ⊛ box_b, so the coverage is
    ½ + sign(t)·(min(|t|, h₁)/a − max(min(|t|, h₁) − h₂, 0)²/(2ab)), h₁,₂ = (a ± b)/2.
    """
    b = np.maximum(b, 1e-4)
    x = np.abs(t)
    np.minimum(x, grid.col((a + b) / 2), out=x)
    m = np.subtract(x, grid.col((a - b) / 2))
    np.maximum(m, 0, out=m)
    m *= m
    m *= grid.col(1 / (2 * a * b))
    x *= grid.col(1 / a)
    x -= m
    np.copysign(x, t, out=x)
    x += F32(0.5)
    return x


def _slab(grid: _Grid, ax: Arr, ay: Arr, width: Arr, antialias: bool) -> NDArray:
    """Coverage of the band |ax·dx + ay·dy| ≤ width/2 by each pixel (exact for a unit box)."""
    u = grid.lin(ax, ay)
    np.abs(u, out=u)
    if not antialias:
        return u <= grid.col(width / 2)
    a, b = np.maximum(np.abs(ax), np.abs(ay)), np.minimum(np.abs(ax), np.abs(ay))
    width = np.maximum(width, 0)
    inner = np.subtract(grid.col(width / 2), u)
    cover = _edge_cdf(grid, inner, a, b)
    if np.any(width < a + b):  # thin: the far edge reaches into the pixel too
        np.add(u, grid.col(width / 2), out=u)
        cover += _edge_cdf(grid, u, a, b)
        cover -= F32(1)
        np.maximum(cover, 0, out=cover)
    return cover


def _box(grid: _Grid, p: dict[str, Arr], grow: float, antialias: bool) -> NDArray:
    c, s = np.cos(p["angle"]), np.sin(p["angle"])
    lw = np.maximum(p["lw"], 0) * grow
    u = _slab(grid, c, s, p["width"] + lw, antialias)
    v = _slab(grid, -s, c, p["height"] + lw, antialias)
    return np.multiply(u, v, out=u) if antialias else np.logical_and(u, v, out=u)


def _rectangle_kernel(filled: bool, antialias: bool) -> Kernel:
    def kernel(grid: _Grid, p: dict[str, Arr]) -> NDArray:
        if filled:
            return _box(grid, p, 0.0, antialias)
        outer, inner = _box(grid, p, 1.0, antialias), _box(grid, p, -1.0, antialias)
        if not antialias:  # centres in the closed band: inside the outer, not strictly in the inner
            c, s = np.cos(p["angle"]), np.sin(p["angle"])
            lw = np.maximum(p["lw"], 0)
            strict = ((np.abs(grid.lin(c, s)) < grid.col((p["width"] - lw) / 2))
                      & (np.abs(grid.lin(-s, c)) < grid.col((p["height"] - lw) / 2)))
            return outer & ~strict
        outer -= inner
        return np.maximum(outer, 0, out=outer)

    return kernel


def _polygon_kernel(filled: bool, antialias: bool) -> Kernel:
    def kernel(grid: _Grid, p: dict[str, Arr]) -> NDArray:
        n = p["n"].astype(np.int64)
        apothem = p["radius"] * np.cos(np.pi / n)
        d = tmp = None
        for k in range(int(n.max())):  # edges, not samples; samples with fewer sides repeat edges
            phi = p["angle"] + (2 * (k % n) + 1) * np.pi / n
            if d is None:
                d = grid.lin(np.cos(phi), np.sin(phi), -apothem)
                continue
            if tmp is None:
                tmp = np.empty_like(d)
            grid.lin_into(tmp, np.cos(phi), np.sin(phi), -apothem)
            np.maximum(d, tmp, out=d)
        kk = n * np.tan(np.pi / n)  # level sets {d ≤ s}: area K (apothem + s)²
        shift = _shift(kk, 2 * kk * apothem)
        shift = np.where(p["radius"] > 0, shift, np.inf)
        return _finish(grid, d, p, shift, filled, antialias)

    return kernel


def _ellipse_kernel(filled: bool, antialias: bool) -> Kernel:
    def kernel(grid: _Grid, p: dict[str, Arr]) -> NDArray:
        a, b = p["a"], p["b"]
        real = (a > 0) & (b > 0)
        a, b = np.where(real, a, 1.0), np.where(real, b, 1.0)
        if np.array_equal(a, b):  # circles: the exact distance
            d = grid.radius()
            d -= grid.col(a)
        else:  # d = (ρ − 1)/|∇ρ|, ρ² = (u/a)² + (v/b)²
            c, s = np.cos(p["angle"]), np.sin(p["angle"])
            u = grid.lin(c / a, s / a)  # u/a
            v = grid.lin(-s / b, c / b)  # v/b
            np.multiply(u, u, out=u)
            np.multiply(v, v, out=v)
            rho2 = np.add(u, v)
            u *= grid.col(1 / (a * a))
            v *= grid.col(1 / (b * b))
            u += v  # |∇(ρ²)/2|² = u²/a⁴ + v²/b⁴
            d = np.sqrt(rho2)
            np.maximum(u, F32(1e-30), out=u)
            rho2 += F32(1e-12)  # so that the centre itself is deep inside, not 0/0
            np.divide(rho2, u, out=rho2)
            np.sqrt(rho2, out=rho2)  # 1/|∇ρ|
            d -= F32(1)
            d *= rho2
        kk = np.pi * (a * a + b * b) / (2 * a * b)
        shift = np.where(real, _shift(kk, perimeter_ellipse(a, b)), np.inf)
        if not filled:
            d += grid.col(np.where(real, 0.0, _FAR))
        return _finish(grid, d, p, shift, filled, antialias)

    return kernel


def _arc_kernel(filled: bool, antialias: bool) -> Kernel:
    def kernel(grid: _Grid, p: dict[str, Arr]) -> NDArray:
        radius, t, start = p["radius"], np.maximum(p["t"], 0), p["start"]
        span = np.clip(p["end"] - start, 0, 2 * np.pi)
        full = span >= 2 * np.pi - 1e-9
        d = grid.radius()  # ring: | r − radius | − t/2
        d -= grid.col(radius)
        np.abs(d, out=d)
        d -= grid.col(t / 2)
        # wedge: intersection (span ≤ π) or union (span > π) of two half-planes through the centre,
        # as sign·max(sign·a, sign·b); a full turn is no constraint
        sign = np.where(span > np.pi, -1.0, 1.0)
        s1, c1 = np.sin(start), np.cos(start)
        s2, c2 = np.sin(start + span), np.cos(start + span)
        on = np.where(full, 0.0, sign)
        off = np.where(full, -_FAR, 0.0)
        w = grid.lin(on * s1, -on * c1, off)
        w2 = grid.lin(-on * s2, on * c2, off)
        np.maximum(w, w2, out=w)
        if np.any(sign < 0):
            w *= grid.col(np.where(full, 1.0, sign))
        np.maximum(d, w, out=d)
        # level-set area A + P·s + K·s²: arcs cancel (ring) or add span/2 (pie), corners add 1 each
        # (mitered right angles) or cot(span/2) at a pie's apex
        r1, r2 = radius - t / 2, radius + t / 2
        pie = r1 <= 0
        with np.errstate(divide="ignore"):
            apex = np.maximum(1 / np.tan(np.maximum(span, 1e-9) / 2), -2.0)
        kk = np.where(pie, span / 2 + np.where(full, 0.0, 2 + apex), np.where(full, 0.0, 4.0))
        perimeter = span * (r2 + np.maximum(r1, 0)) + np.where(full, 0.0, 2 * np.where(pie, r2, t))
        shift = np.where((t > 0) & (span > 0) & (r2 > 0), _shift(kk, perimeter), np.inf)
        if not filled:
            d += grid.col(np.where((t > 0) & (span > 0), 0.0, _FAR))
        return _finish(grid, d, p, shift, filled, antialias)

    return kernel


# -- public renderers --------------------------------------------------------------------------
def render_rectangle(cx: ArrayLike, cy: ArrayLike, width: ArrayLike, height: ArrayLike,
                     angle: ArrayLike, *, shape: tuple[int, int], filled: bool = True,
                     line_width: ArrayLike = 1.0, antialias: bool = True) -> Image:
    """Rectangle ``width`` × ``height`` px centred on (cx, cy) px, ``width`` along ``angle`` rad.

    The outline is the band of ``line_width`` px centred on the edges (mitered corners), of area
    2·(width + height)·line_width. Returns float32 coverage (B, H, W).
    """
    cx, cy, width, height, angle, lw = _batch(cx, cy, width, height, angle, line_width)
    return _render(shape, _rectangle_kernel(filled, antialias), cx, cy, width=width, height=height,
                   angle=angle, lw=lw)


def render_line(cx: ArrayLike, cy: ArrayLike, length: ArrayLike, angle: ArrayLike,
                thickness: ArrayLike, *, shape: tuple[int, int], antialias: bool = True) -> Image:
    """Segment of ``length`` × ``thickness`` px (butt ends) centred on (cx, cy), along ``angle`` rad.

    Returns float32 coverage (B, H, W); the area is length × thickness, also for thickness < 1 px.
    """
    return render_rectangle(cx, cy, length, thickness, angle, shape=shape, antialias=antialias)


def render_polygon(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, n_sides: ArrayLike,
                   angle: ArrayLike, *, shape: tuple[int, int], filled: bool = True,
                   line_width: ArrayLike = 1.0, antialias: bool = True) -> Image:
    """Regular ``n_sides``-gon (int ≥ 3, per sample) of circumradius ``radius`` px centred on (cx, cy).

    Its first vertex points along ``angle`` rad. Returns float32 coverage (B, H, W).
    """
    cx, cy, radius, nf, angle, lw = _batch(cx, cy, radius, n_sides, angle, line_width)
    n = np.rint(nf)
    if n.size and n.min() < 3:
        raise ValueError(f"n_sides must be >= 3, got {int(n.min())}")
    return _render(shape, _polygon_kernel(filled, antialias), cx, cy, radius=radius, n=n,
                   angle=angle, lw=lw)


def render_ellipse(cx: ArrayLike, cy: ArrayLike, a: ArrayLike, b: ArrayLike, angle: ArrayLike, *,
                   shape: tuple[int, int], filled: bool = True, line_width: ArrayLike = 1.0,
                   antialias: bool = True) -> Image:
    """Ellipse with semi-axes ``a`` (along ``angle`` rad) and ``b`` px centred on (cx, cy) px.

    Returns float32 coverage (B, H, W). The outline band is ``line_width`` px wide, centred on the
    ellipse, of area ≈ perimeter × line width.
    """
    cx, cy, a, b, angle, lw = _batch(cx, cy, a, b, angle, line_width)
    return _render(shape, _ellipse_kernel(filled, antialias), cx, cy, a=a, b=b, angle=angle, lw=lw)


def render_arc(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, start: ArrayLike, end: ArrayLike,
               thickness: ArrayLike, *, shape: tuple[int, int], filled: bool = True,
               line_width: ArrayLike = 1.0, antialias: bool = True) -> Image:
    """Annular sector: mid-line ``radius`` px, radial ``thickness`` px, from ``start`` to ``end`` rad.

    The sector runs from ``start`` towards increasing angle, ``end − start`` clipped to [0, 2π]; an
    inner radius below zero (thickness > 2·radius) gives a pie slice. Returns float32 (B, H, W).
    """
    cx, cy, radius, start, end, t, lw = _batch(cx, cy, radius, start, end, thickness, line_width)
    return _render(shape, _arc_kernel(filled, antialias), cx, cy, radius=radius, start=start,
                   end=end, t=t, lw=lw)


# -- analytic areas, centroids, perimeters, boxes (float64, (B,)) ------------------------------
def area_rectangle(width: ArrayLike, height: ArrayLike) -> Arr:
    """Area width × height (px²)."""
    return np.asarray(width, dtype=np.float64) * np.asarray(height, dtype=np.float64)


def area_line(length: ArrayLike, thickness: ArrayLike) -> Arr:
    """Area length × thickness (px²)."""
    return area_rectangle(length, thickness)


def area_polygon(radius: ArrayLike, n_sides: ArrayLike) -> Arr:
    """Regular n-gon area (n/2)·R²·sin(2π/n) (px²), R the circumradius."""
    r, n = np.asarray(radius, dtype=np.float64), np.asarray(n_sides, dtype=np.float64)
    return n / 2 * r * r * np.sin(2 * np.pi / n)


def area_ellipse(a: ArrayLike, b: ArrayLike) -> Arr:
    """Ellipse area π·a·b (px²)."""
    return np.pi * np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)


def area_arc(radius: ArrayLike, thickness: ArrayLike, start: ArrayLike, end: ArrayLike) -> Arr:
    """Annular-sector area (span/2)·(r_out² − r_in²) = span·radius·thickness (px²).

    span = clip(end − start, 0, 2π); r_in is clamped at 0 (a pie slice).
    """
    r, t = np.asarray(radius, np.float64), np.asarray(thickness, np.float64)
    span = np.clip(np.asarray(end, np.float64) - np.asarray(start, np.float64), 0, 2 * np.pi)
    r1, r2 = np.maximum(r - t / 2, 0), r + t / 2
    return span / 2 * (r2 * r2 - r1 * r1)


def centroid_arc(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, thickness: ArrayLike,
                 start: ArrayLike, end: ArrayLike) -> tuple[Arr, Arr]:
    """Annular-sector centroid (px): (2/3)(r₂³ − r₁³)/(r₂² − r₁²)·sin(s/2)/(s/2) along the bisector."""
    cx, cy, r, t, start, end = _batch(cx, cy, radius, thickness, start, end)
    span = np.clip(end - start, 0, 2 * np.pi)
    r1, r2 = np.maximum(r - t / 2, 0), r + t / 2
    dist = 2 / 3 * (r2**2 + r2 * r1 + r1**2) / (r2 + r1) * np.sinc(span / (2 * np.pi))
    mid = start + span / 2
    return cx + dist * np.cos(mid), cy + dist * np.sin(mid)


def perimeter_ellipse(a: ArrayLike, b: ArrayLike) -> Arr:
    """Ellipse perimeter (px), Ramanujan's second approximation (relative error < 4e-5 for b/a ≥ 0.1)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    h = ((a - b) / (a + b)) ** 2
    return np.pi * (a + b) * (1 + 3 * h / (10 + np.sqrt(4 - 3 * h)))


def bounding_box_rectangle(cx: ArrayLike, cy: ArrayLike, width: ArrayLike, height: ArrayLike,
                           angle: ArrayLike) -> Box:
    """Tight axis-aligned box (x_min, y_min, x_max, y_max) of the rotated rectangle, in px."""
    cx, cy, w, h, angle = _batch(cx, cy, width, height, angle)
    c, s = np.abs(np.cos(angle)), np.abs(np.sin(angle))
    ex, ey = (c * w + s * h) / 2, (s * w + c * h) / 2
    return cx - ex, cy - ey, cx + ex, cy + ey


def bounding_box_line(cx: ArrayLike, cy: ArrayLike, length: ArrayLike, angle: ArrayLike,
                      thickness: ArrayLike) -> Box:
    """Tight axis-aligned box (x_min, y_min, x_max, y_max) of the segment's rectangle, in px."""
    return bounding_box_rectangle(cx, cy, length, thickness, angle)


def bounding_box_polygon(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, n_sides: ArrayLike,
                         angle: ArrayLike) -> Box:
    """Tight axis-aligned box (x_min, y_min, x_max, y_max) of the regular polygon, in px."""
    cx, cy, r, nf, angle = _batch(cx, cy, radius, n_sides, angle)
    n = np.rint(nf).astype(np.int64)
    k = np.arange(int(n.max()))[None, :]
    phi = angle[:, None] + 2 * np.pi * (k % n[:, None]) / n[:, None]
    x, y = r[:, None] * np.cos(phi), r[:, None] * np.sin(phi)
    return cx + x.min(1), cy + y.min(1), cx + x.max(1), cy + y.max(1)


def bounding_box_ellipse(cx: ArrayLike, cy: ArrayLike, a: ArrayLike, b: ArrayLike,
                         angle: ArrayLike) -> Box:
    """Tight axis-aligned box (x_min, y_min, x_max, y_max) of the rotated ellipse, in px."""
    cx, cy, a, b, angle = _batch(cx, cy, a, b, angle)
    c, s = np.cos(angle), np.sin(angle)
    ex, ey = np.hypot(a * c, b * s), np.hypot(a * s, b * c)
    return cx - ex, cy - ey, cx + ex, cy + ey


def bounding_box_arc(cx: ArrayLike, cy: ArrayLike, radius: ArrayLike, thickness: ArrayLike,
                     start: ArrayLike, end: ArrayLike) -> Box:
    """Exact axis-aligned box (x_min, y_min, x_max, y_max) of the annular sector, in px.

    It is spanned by the four corners and the outer circle's axis extremes that lie in the range.
    """
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

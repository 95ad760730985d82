"""Exact rasterisation of regions bounded by line segments and elliptical arcs, batched.

Conventions (the project's, stated once): images are ``(B, H, W)`` float32 arrays indexed
``[b, y, x]``; pixel ``[i, j]`` covers x ∈ [j − ½, j + ½], y ∈ [i − ½, i + ½], so pixel centres sit
at integer coordinates. Angles are radians from +x towards +y.

A batch of regions is given by its oriented boundary, :class:`Edges`: straight segments and
elliptical arcs ``P(t) = C + U cos t + V sin t``, each owned by one region, oriented so that the
area ½∮(x dy − y dx) is positive. Holes are boundaries of the opposite orientation inside (the
winding number is 1 on the region and 0 elsewhere), so annuli and outline bands need nothing else.

Anti-aliased pixel values are the exact area of the region inside the pixel. The method is the one
font rasterisers use: every boundary piece is split at the pixel grid lines (straight pieces by
linear interpolation, arcs in closed form, after splitting them where x or y turns), and each
piece inside cell (i, j) adds ∫ (x_right − x) dy, the signed area between it and the cell's right
side, to cell j and the rest of its signed height ∫ dy, the "cover", to cell j + 1; one cumulative
sum along each row then gives every pixel's winding-number integral. For arcs ∫ x dy has a closed
form, so curved boundaries are exact too (to rounding, about 1e-12 px² at 1000 px). Pieces left of
the image count as being on its left edge, pieces right of it or above or below are dropped, so
shapes partly or wholly outside are exact. ``antialias=False`` uses the same pieces: each crossing
of a row of pixel centres adds ±1 at the first centre to its right, and the cumulative sum is the
winding number at every centre (a pixel is on iff its centre is inside).

Work is vectorised over every piece of a sub-batch of ``BATCH`` regions at once (``np.repeat`` over
crossing counts, ``np.bincount`` into the cell buffers), so the buffers stay in cache. Everything
is float64 until the final cast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Arr = NDArray[np.float64]
Image = NDArray[np.float32]
TAU = 2 * np.pi
BATCH = 256  # regions per sub-batch: keeps the accumulation buffers and temporaries in cache

__all__ = ["Edges", "polygon", "ellipse", "annular_sector", "rasterise", "TAU"]

# rows of the (5, S) segment blocks and (9, A) arc blocks
SEG_ROWS = ("owner", "x0", "y0", "x1", "y1")
ARC_ROWS = ("owner", "cx", "cy", "ux", "uy", "vx", "vy", "t0", "t1")


@dataclass(frozen=True)
class Edges:
    """Oriented boundaries of ``n`` regions.

    ``segments`` are blocks of shape (5, S) with rows owner, x0, y0, x1, y1; ``arcs`` blocks of
    shape (9, A) with rows owner, cx, cy, ux, uy, vx, vy, t0, t1 (the arc runs from t0 to t1, in
    either direction, |t1 − t0| ≤ 2π). Owners (region indices, stored as floats) are sorted within
    each block.
    """

    n: int
    segments: tuple[Arr, ...] = ()
    arcs: tuple[Arr, ...] = ()

    def __add__(self, other: Edges) -> Edges:
        if other.n != self.n:
            raise ValueError(f"cannot join edges of {self.n} and {other.n} regions")
        return Edges(self.n, self.segments + other.segments, self.arcs + other.arcs)

    def reversed(self) -> Edges:
        """The same boundaries traversed backwards (a region becomes a hole)."""
        return Edges(self.n, tuple(s[[0, 3, 4, 1, 2]] for s in self.segments),
                     tuple(a[[0, 1, 2, 3, 4, 5, 6, 8, 7]] for a in self.arcs))

    def moved(self, dx: ArrayLike, dy: ArrayLike) -> Edges:
        """Region k translated by (dx[k], dy[k]) px."""
        dx, dy = (np.broadcast_to(np.asarray(v, dtype=np.float64), (self.n,)) for v in (dx, dy))

        def shift(block: Arr, rows: Sequence[tuple[int, Arr]]) -> Arr:
            out = block.copy()
            owner = block[0].astype(np.intp)
            for row, d in rows:
                out[row] += d[owner]
            return out

        return Edges(self.n, tuple(shift(s, ((1, dx), (2, dy), (3, dx), (4, dy))) for s in self.segments),
                     tuple(shift(a, ((1, dx), (2, dy))) for a in self.arcs))

    def relabel(self, owners: NDArray[np.int64], n: int) -> Edges:
        """Region k becomes region owners[k] of n (owners increasing)."""
        def move(block: Arr) -> Arr:
            out = block.copy()
            out[0] = owners[block[0].astype(np.intp)]
            return out

        return Edges(n, tuple(move(s) for s in self.segments), tuple(move(a) for a in self.arcs))

    def area(self) -> Arr:
        """Each region's area (px²), (n,): Green's theorem over its boundary, exact to rounding."""
        total = np.zeros(self.n)
        for o, x0, y0, x1, y1 in self.segments:
            total += np.bincount(o.astype(np.intp), 0.5 * (x0 * y1 - x1 * y0), minlength=self.n)
        for o, cx, cy, ux, uy, vx, vy, t0, t1 in self.arcs:
            x0, y0 = _arc_point(cx, ux, vx, t0), _arc_point(cy, uy, vy, t0)
            x1, y1 = _arc_point(cx, ux, vx, t1), _arc_point(cy, uy, vy, t1)
            part = 0.5 * (cx * (y1 - y0) - cy * (x1 - x0) + (ux * vy - vx * uy) * (t1 - t0))
            total += np.bincount(o.astype(np.intp), part, minlength=self.n)
        return total

    def bbox(self) -> NDArray[np.float64]:
        """Tight axis-aligned box (x_min, y_min, x_max, y_max) of each region (px), (n, 4)."""
        lo = np.full((2, self.n), np.inf)
        hi = np.full((2, self.n), -np.inf)
        for o, x0, y0, x1, y1 in self.segments:
            for k, (a, b) in enumerate(((x0, x1), (y0, y1))):
                np.minimum.at(lo[k], o.astype(np.intp), np.minimum(a, b))
                np.maximum.at(hi[k], o.astype(np.intp), np.maximum(a, b))
        for o, cx, cy, ux, uy, vx, vy, t0, t1 in self.arcs:
            t_lo, t_hi = np.minimum(t0, t1), np.maximum(t0, t1)
            for k, (c, u, v) in enumerate(((cx, ux, vx), (cy, uy, vy))):
                m, phi = np.hypot(u, v), np.arctan2(v, u)
                ends = (_arc_point(c, u, v, t0), _arc_point(c, u, v, t1))
                k_hi = np.ceil((t_lo - phi) / np.pi)  # first turning point at or after t_lo
                turns = [np.where(phi + (k_hi + i) * np.pi <= t_hi,
                                  c + m * np.cos((k_hi + i) * np.pi), np.nan) for i in range(3)]
                vals = np.stack([*ends, *turns])
                np.minimum.at(lo[k], o.astype(np.intp), np.nanmin(vals, axis=0))
                np.maximum.at(hi[k], o.astype(np.intp), np.nanmax(vals, axis=0))
        return np.stack([lo[0], lo[1], hi[0], hi[1]], axis=1)

    def block(self, o0: int, o1: int) -> tuple[Arr, Arr]:
        """All segments and all arcs of regions o0 ≤ k < o1."""
        def cut(blocks: tuple[Arr, ...], rows: int) -> Arr:
            parts = []
            for b in blocks:
                i0, i1 = np.searchsorted(b[0], (o0, o1))
                parts.append(b[:, i0:i1])
            return np.concatenate(parts, axis=1) if parts else np.empty((rows, 0))

        return cut(self.segments, 5), cut(self.arcs, 9)


def _arc_point(c: Arr, u: Arr, v: Arr, t: Arr) -> Arr:
    return c + u * np.cos(t) + v * np.sin(t)


def _owners(n: int, keep: NDArray[np.bool_]) -> Arr:
    """Owner column for pieces laid out (n, K), flattened row-major, keeping ``keep``."""
    return np.broadcast_to(np.arange(n, dtype=np.float64)[:, None], keep.shape)[keep]


# -- region builders (regions at the origin; move them with Edges.moved) -----------------------
def polygon(x: Arr, y: Arr, count: NDArray[np.int64] | None = None) -> Edges:
    """Closed polygons from vertices (n, V) in positive order; the first ``count`` are real.

    Regions whose count is 0 are empty.
    """
    n, v = x.shape
    k = np.arange(v)[None, :]
    count = np.full(n, v) if count is None else np.asarray(count)
    keep = k < count[:, None]
    nxt = np.where(k + 1 < count[:, None], k + 1, 0)
    rows = np.arange(n)[:, None]
    seg = np.stack([_owners(n, keep), x[keep], y[keep], x[rows, nxt][keep], y[rows, nxt][keep]])
    return Edges(n, (seg,))


def ellipse(a: Arr, b: Arr, angle: Arr) -> Edges:
    """Ellipses with semi-axes a (along ``angle``) and b, centred at the origin; empty where a or b <= 0."""
    keep = (a > 0) & (b > 0)
    c, s = np.cos(angle[keep]), np.sin(angle[keep])
    a, b = a[keep], b[keep]
    zero = np.zeros_like(a)
    arc = np.stack([np.flatnonzero(keep).astype(np.float64), zero, zero, a * c, a * s, -b * s, b * c,
                    zero, zero + TAU])
    return Edges(keep.size, arcs=(arc,))


def annular_sector(r_in: Arr, r_out: Arr, start: Arr, span: Arr, grow: Arr) -> Edges:
    """Annular sectors r_in ≤ ρ ≤ r_out, start ≤ φ ≤ start + span, their straight sides moved out by grow.

    The wedge is the set of points on the inner side of both side lines, each shifted along its
    outward normal by ``grow`` (negative: inwards); for span > π it is the union of the two
    half-planes (the complement of the gap's wedge); span ≥ 2π is the full annulus. The region's
    boundary is the part of the annulus boundary inside the wedge plus the part of the wedge
    boundary inside the annulus (both found in closed form). Empty where r_out <= max(r_in, 0).
    """
    r_in = np.maximum(r_in, 0.0)
    keep = r_out > r_in
    full = span >= TAU
    a1, a2 = start, start + np.minimum(span, TAU)
    arcs = []
    for radius, outer in ((r_out, True), (r_in, False)):
        for s0, length in _circle_in_wedge(radius, a1 - np.pi / 2, a2 + np.pi / 2, grow,
                                           span > np.pi, full):
            t0, t1 = (s0, s0 + length) if outer else (s0 + length, s0)
            arcs.append((keep & (length > 0) & (radius > 0), radius, t0, t1))
    # the side lines n·p = grow, n1 = (sin a1, −cos a1), n2 = (−sin a2, cos a2); each side runs along
    # its line from the wedge's apex, at σ = −grow·cot(span/2) from the line's foot point grow·n
    with np.errstate(divide="ignore", invalid="ignore"):
        apex = np.where(full, 0.0, -grow / np.tan(np.where(full, 1.0, span) / 2))
    segs = []
    for ang, nx, ny, outward in ((a1, np.sin(a1), -np.cos(a1), True),
                                 (a2, -np.sin(a2), np.cos(a2), False)):
        ex, ey = np.cos(ang), np.sin(ang)
        fx, fy = grow * nx, grow * ny
        for lo, hi in _line_in_annulus(grow, apex, r_in, r_out):
            p0, p1 = (lo, hi) if outward else (hi, lo)
            segs.append((keep & ~full & (hi > lo), fx + p0 * ex, fy + p0 * ey, fx + p1 * ex, fy + p1 * ey))
    return Edges(r_in.size, (_pack(segs),), (_pack_arcs(arcs),))


def _pack(pieces: list[tuple[NDArray[np.bool_], Arr, Arr, Arr, Arr]]) -> Arr:
    keep = np.stack([p[0] for p in pieces], axis=1)  # (n, K): owner-major order
    cols = [np.stack([p[i] for p in pieces], axis=1)[keep] for i in range(1, 5)]
    return np.stack([_owners(keep.shape[0], keep), *cols])


def _pack_arcs(pieces: list[tuple[NDArray[np.bool_], Arr, Arr, Arr]]) -> Arr:
    keep = np.stack([p[0] for p in pieces], axis=1)
    r, t0, t1 = (np.stack([p[i] for p in pieces], axis=1)[keep] for i in (1, 2, 3))
    zero = np.zeros_like(r)
    return np.stack([_owners(keep.shape[0], keep), zero, zero, r, zero, zero, r, t0, t1])


def _circle_in_wedge(radius: Arr, psi1: Arr, psi2: Arr, c: Arr, union: NDArray[np.bool_],
                     full: NDArray[np.bool_]) -> list[tuple[Arr, Arr]]:
    """Three arcs (start, length) covering the circle |p| = radius inside the wedge
    {e(psi1)·p <= c} ∩ {e(psi2)·p <= c}, or inside their union where ``union``; all of it where ``full``."""
    h1, h2 = _arc_in_halfplane(radius, psi1, c), _arc_in_halfplane(radius, psi2, c)
    both = _arc_intersection(h1, h2)                               # convex wedge: ≤ 2 arcs
    rest = _arc_intersection(h2, (h1[0] + h1[1], TAU - h1[1]))    # union: h1, then h2 minus h1
    pieces = [(np.where(union, h1[0], both[0][0]), np.where(union, h1[1], both[0][1])),
              (np.where(union, rest[0][0], both[1][0]), np.where(union, rest[0][1], both[1][1])),
              (rest[1][0], np.where(union, rest[1][1], 0.0))]
    return [(np.where(full, 0.0, s), np.where(full, TAU if i == 0 else 0.0, length))
            for i, (s, length) in enumerate(pieces)]


def _arc_in_halfplane(radius: Arr, psi: Arr, c: Arr) -> tuple[Arr, Arr]:
    """Arc (start, length) of ρ cos(φ − psi) <= c: full when c >= ρ, empty when c <= −ρ."""
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.arccos(np.clip(np.where(radius > 0, c / radius, 1.0), -1.0, 1.0))
    return psi + half, TAU - 2 * half


def _arc_intersection(p: tuple[Arr, Arr], q: tuple[Arr, Arr]) -> tuple[tuple[Arr, Arr], ...]:
    """Intersection of two circular arcs (start, length) as two arcs (either may be empty)."""
    (s1, l1), (s2, l2) = p, q
    d = np.mod(s2 - s1, TAU)
    first = (s1 + d, np.maximum(np.minimum(l1, d + l2) - d, 0.0))
    second = (s1, np.maximum(np.minimum(l1, d + l2 - TAU), 0.0))
    return first, second


def _line_in_annulus(c: Arr, start: Arr, r_in: Arr, r_out: Arr) -> tuple[tuple[Arr, Arr], ...]:
    """Intervals of σ >= start on a line at distance |c| from the centre, inside r_in <= ρ <= r_out
    (σ = 0 at the foot of the perpendicular); two, either may be empty."""
    s_out = np.sqrt(np.maximum(r_out * r_out - c * c, 0.0))
    s_in = np.sqrt(np.maximum(r_in * r_in - c * c, 0.0))
    return ((np.maximum(-s_out, start), -s_in), (np.maximum(s_in, start), s_out))


# -- rasterisation -----------------------------------------------------------------------------
def rasterise(edges: Edges, shape: tuple[int, int], antialias: bool = True) -> Image:
    """Coverage images (n, H, W) float32 of the regions: exact pixel areas, or 0/1 at pixel centres."""
    h, w = shape
    out = np.empty((edges.n, h, w), dtype=np.float32)
    for o0 in range(0, edges.n, BATCH):
        o1 = min(edges.n, o0 + BATCH)
        seg, arc = edges.block(o0, o1)
        # pixel edges at integers: pixel j spans [j, j + 1]
        seg = seg + np.array([-o0, 0.5, 0.5, 0.5, 0.5])[:, None]
        arc = arc + np.array([-o0, 0.5, 0.5, 0, 0, 0, 0, 0, 0])[:, None]
        if antialias:
            out[o0:o1] = _coverage(seg, arc, o1 - o0, h, w)
        else:
            out[o0:o1] = _centres(seg, arc, o1 - o0, h, w)
    return out


def _coverage(seg: Arr, arc: Arr, n: int, h: int, w: int) -> Image:
    cells = [_segment_cells(seg, h, w), _arc_cells(_monotone(arc), h, w)]
    index = np.concatenate([c[0] for c in cells])
    area = np.concatenate([c[1] for c in cells])
    cover = np.concatenate([c[2] for c in cells])
    stride = w + 2
    acc = np.bincount(np.concatenate([index, index + 1]), np.concatenate([area, cover - area]),
                      minlength=n * h * stride)
    acc = np.cumsum(acc.reshape(n, h, stride)[:, :, :w], axis=2)
    np.negative(acc, out=acc)
    return np.clip(acc, 0.0, 1.0).astype(np.float32)


def _split(lo: Arr, hi: Arr, limit: int) -> tuple[NDArray[np.intp], Arr, Arr, Arr]:
    """Split [lo, hi] at the integers inside it and inside [0, limit].

    Returns the source index of each piece, the piece bounds a <= b, and its cell floor((a+b)/2)
    clipped to [0, limit] (pieces left of 0 get cell 0 and pieces right of ``limit`` cell
    ``limit``).
    """
    first = np.maximum(np.floor(lo) + 1, 0.0)
    last = np.minimum(np.ceil(hi) - 1, float(limit))
    count = (np.maximum(last - first + 1, 0.0)).astype(np.intp) + 1
    src = np.repeat(np.arange(lo.size), count)
    k = np.arange(src.size) - np.repeat(np.cumsum(count) - count, count)
    f = first[src] + k
    a = np.where(k == 0, lo[src], f - 1)
    b = np.where(k == count[src] - 1, hi[src], f)
    cell = np.clip(np.floor((a + b) / 2), 0, limit)
    return src, a, b, cell


def _segment_cells(seg: Arr, h: int, w: int) -> tuple[NDArray[np.intp], Arr, Arr]:
    """Cell index (flattened, row stride w + 2), area ∫(x_right − x)dy and cover ∫dy of every piece."""
    o, x0, y0, x1, y1 = seg
    moving = y0 != y1
    o, x0, y0, x1, y1 = o[moving], x0[moving], y0[moving], x1[moving], y1[moving]
    ylo, yhi = np.clip(np.minimum(y0, y1), 0, h), np.clip(np.maximum(y0, y1), 0, h)
    inside = yhi > ylo
    o, x0, y0, x1, y1, ylo, yhi = (v[inside] for v in (o, x0, y0, x1, y1, ylo, yhi))
    slope = (x1 - x0) / (y1 - y0)
    # rows: split [ylo, yhi] at the grid lines (limit h − 1: nothing lies beyond h after clipping)
    src, ya, yb, row = _split(ylo, yhi, h - 1)
    sign = np.where(y1 > y0, 1.0, -1.0)[src]
    xa = x0[src] + (ya - y0[src]) * slope[src]
    xb = x0[src] + (yb - y0[src]) * slope[src]
    dy = (yb - ya) * sign
    base = (o[src] * h + row) * (w + 2)
    # columns
    xlo, xhi = np.minimum(xa, xb), np.maximum(xa, xb)
    src2, a, b, col = _split(xlo, xhi, w)
    width = xhi - xlo
    span = width[src2]
    frac = np.divide(b - a, span, out=np.ones_like(a), where=span > 0)
    cover = dy[src2] * frac
    xbar = np.clip((a + b) / 2, 0.0, float(w))
    area = cover * (col + 1 - xbar)
    return (base[src2] + col).astype(np.intp), area, cover


def _monotone(arc: Arr) -> Arr:
    """Split arcs where x or y turns: rows owner, cx, cy, ux, uy, vx, vy, ta, tb, sign (ta < tb)."""
    o, cx, cy, ux, uy, vx, vy, t0, t1 = arc
    t_lo, t_hi = np.minimum(t0, t1), np.maximum(t0, t1)
    sign = np.where(t1 >= t0, 1.0, -1.0)
    cuts = [t_lo, t_hi]
    for u, v in ((ux, vx), (uy, vy)):
        phi = np.arctan2(v, u)
        k = np.floor((t_lo - phi) / np.pi) + 1
        cuts += [np.clip(phi + (k + i) * np.pi, t_lo, t_hi) for i in range(3)]
    t = np.sort(np.stack(cuts, axis=1), axis=1)  # (A, 8)
    ta, tb = t[:, :-1].ravel(), t[:, 1:].ravel()
    src = np.repeat(np.arange(o.size), 7)
    keep = tb > ta
    src, ta, tb = src[keep], ta[keep], tb[keep]
    return np.stack([o[src], cx[src], cy[src], ux[src], uy[src], vx[src], vy[src], ta, tb, sign[src]])


def _invert(c: Arr, u: Arr, v: Arr, value: Arr, t_lo: Arr, t_hi: Arr) -> Arr:
    """t in [t_lo, t_hi] with c + u cos t + v sin t = value, on a branch where that is monotone."""
    m, phi = np.hypot(u, v), np.arctan2(v, u)
    k = np.floor(((t_lo + t_hi) / 2 - phi) / np.pi)
    odd = np.mod(k, 2) == 1
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.clip((value - c) / m, -1.0, 1.0)
    s = np.arccos(np.where(odd, -q, q))
    return np.clip(phi + k * np.pi + s, t_lo, t_hi)


def _arc_cells(arc: Arr, h: int, w: int) -> tuple[NDArray[np.intp], Arr, Arr]:
    """Like :func:`_segment_cells` for monotone arcs, with ∫ x dy in closed form."""
    o, cx, cy, ux, uy, vx, vy, ta, tb, sign = arc
    ya, yb = _arc_point(cy, uy, vy, ta), _arc_point(cy, uy, vy, tb)
    rising = yb > ya
    ylo_raw, yhi_raw = np.minimum(ya, yb), np.maximum(ya, yb)
    ylo, yhi = np.clip(ylo_raw, 0, h), np.clip(yhi_raw, 0, h)
    inside = yhi > ylo
    o, cx, cy, ux, uy, vx, vy, ta, tb, sign, rising, ylo_raw, yhi_raw, ylo, yhi = (
        v[inside] for v in (o, cx, cy, ux, uy, vx, vy, ta, tb, sign, rising, ylo_raw, yhi_raw, ylo, yhi))
    src, y_a, y_b, row = _split(ylo, yhi, h - 1)
    cys, uys, vys, tas, tbs, rs = cy[src], uy[src], vy[src], ta[src], tb[src], rising[src]
    # parameters of the row piece's ends: the arc's own ends where not cut, else solved in closed form
    t_ylo = np.where(rs, tas, tbs)
    t_yhi = np.where(rs, tbs, tas)
    t1 = np.where(y_a <= ylo_raw[src], t_ylo, _invert(cys, uys, vys, y_a, tas, tbs))
    t2 = np.where(y_b >= yhi_raw[src], t_yhi, _invert(cys, uys, vys, y_b, tas, tbs))
    tc, td = np.minimum(t1, t2), np.maximum(t1, t2)
    cxs, uxs, vxs = cx[src], ux[src], vx[src]
    xc, xd = _arc_point(cxs, uxs, vxs, tc), _arc_point(cxs, uxs, vxs, td)
    x_rising = xd > xc
    xlo, xhi = np.minimum(xc, xd), np.maximum(xc, xd)
    base = (o[src] * h + row) * (w + 2)
    src2, a, b, col = _split(xlo, xhi, w)
    # parameter bounds of each cell piece
    r = src[src2]
    c2, u2, v2 = cx[r], ux[r], vx[r]
    tc2, td2, xr = tc[src2], td[src2], x_rising[src2]
    t_xlo, t_xhi = np.where(xr, tc2, td2), np.where(xr, td2, tc2)
    s1 = np.where(a <= xlo[src2], t_xlo, _invert(c2, u2, v2, a, tc2, td2))
    s2 = np.where(b >= xhi[src2], t_xhi, _invert(c2, u2, v2, b, tc2, td2))
    p, q = np.minimum(s1, s2), np.maximum(s1, s2)
    half, mid = (q - p) / 2, (q + p) / 2
    sh, sm, cm = np.sin(half), np.sin(mid), np.cos(mid)
    uy2, vy2 = uy[r], vy[r]
    sgn = sign[r]
    dy = -2 * sh * (uy2 * sm - vy2 * cm) * sgn                       # y(q) − y(p), oriented
    # ∫ (x − cx) dy over [p, q] = det·Δt/2 + (ux vy + vx uy)(sin 2q − sin 2p)/4
    #                             + (vx vy − ux uy)(sin² q − sin² p)/2
    s2h = 2 * sh * np.cos(half)                                     # sin(q − p)
    cos2m, sin2m = 1 - 2 * sm * sm, 2 * sm * cm
    integral = ((u2 * vy2 - v2 * uy2) * half + (u2 * vy2 + v2 * uy2) * cos2m * s2h / 2
                + (v2 * vy2 - u2 * uy2) * sin2m * s2h / 2) * sgn
    left = (a + b) / 2 <= 0
    area = np.where(left, dy, (col + 1 - c2) * dy - integral)
    return (base[src2] + col).astype(np.intp), area, dy


def _centres(seg: Arr, arc: Arr, n: int, h: int, w: int) -> Image:
    """0/1 images: 1 where the pixel centre has a non-zero winding number."""
    stride = w + 1
    index, step = [], []
    o, x0, y0, x1, y1 = seg
    for own, ylo, yhi, sign, x_at in (
            (o, np.minimum(y0, y1), np.maximum(y0, y1), np.where(y1 > y0, 1.0, -1.0),
             lambda yc, s: x0[s] + (yc - y0[s]) * ((x1 - x0) / np.where(y1 != y0, y1 - y0, 1.0))[s]),
            _arc_crossing_source(_monotone(arc))):
        # centre rows y = i + 1/2 with ylo <= y < yhi
        first = np.maximum(np.ceil(ylo - 0.5), 0.0)
        last = np.minimum(np.ceil(yhi - 0.5) - 1, h - 1.0)
        count = np.maximum(last - first + 1, 0).astype(np.intp)
        src = np.repeat(np.arange(ylo.size), count)
        row = first[src] + (np.arange(src.size) - np.repeat(np.cumsum(count) - count, count))
        x = x_at(row + 0.5, src)
        col = np.clip(np.ceil(x - 0.5), 0, w)
        index.append(((own[src] * h + row) * stride + col).astype(np.intp))
        step.append(sign[src])
    acc = np.bincount(np.concatenate(index), np.concatenate(step), minlength=n * h * stride)
    winding = np.cumsum(acc.reshape(n, h, stride)[:, :, :w], axis=2)
    return (np.abs(winding) > 0.5).astype(np.float32)


def _arc_crossing_source(arc: Arr) -> tuple:
    o, cx, cy, ux, uy, vx, vy, ta, tb, sign = arc
    ya, yb = _arc_point(cy, uy, vy, ta), _arc_point(cy, uy, vy, tb)
    rising = yb > ya
    orient = np.where(rising, sign, -sign)

    def x_at(yc: Arr, s: NDArray[np.intp]) -> Arr:
        t = _invert(cy[s], uy[s], vy[s], yc, ta[s], tb[s])
        return _arc_point(cx[s], ux[s], vx[s], t)

    return o, np.minimum(ya, yb), np.maximum(ya, yb), orient, x_at

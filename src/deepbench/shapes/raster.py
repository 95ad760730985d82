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
form (chord trapezoid plus elliptic segment), so curved boundaries are exact too. Pieces left of
the image count as being on its left edge, pieces right of it or above or below are dropped, so
shapes partly or wholly outside are exact. ``antialias=False`` uses the same pieces: each crossing
of a row of pixel centres adds ±1 at the first centre to its right, and the cumulative sum is the
winding number at every centre (a pixel is on iff its centre is inside).

Work is vectorised over every piece of a sub-batch of regions (at most ``BATCH_CELLS`` cells;
a call's sub-batches hold equally many regions, rounded up to a multiple of ``align``, the last
the rest) at once
(pieces enumerated from crossing counts, straight and curved ones in the same splits, then one
``np.bincount`` of all deposits into the cell buffers); the buffer holds only
the rows that some piece crosses (the others are 0), column-major, so the sums along x are one
vectorised add per grid column. :func:`maximum` composites regions straight from those rows into
their images. Everything is float64 until the final cast.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Arr = NDArray[np.float64]
Image = NDArray[np.float32]
TAU = 2 * np.pi
BATCH_CELLS = 1 << 20  # cells per sub-batch at most: the buffers and temporaries stay in cache
Lines = list[tuple[NDArray[np.intp], NDArray[np.intp] | None]]  # see _row_sums
COLUMN_MAJOR_UP_TO = 66  # widest row (W + 2 cells) summed column by column

__all__ = ["Edges", "polygon", "ellipse", "annular_sector", "rasterise", "blocks", "maximum", "TAU"]

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
            c0, s0, c1, s1 = np.cos(t0), np.sin(t0), np.cos(t1), np.sin(t1)
            x0, y0 = cx + ux * c0 + vx * s0, cy + uy * c0 + vy * s0
            x1, y1 = cx + ux * c1 + vx * s1, cy + uy * c1 + vy * s1
            part = 0.5 * (cx * (y1 - y0) - cy * (x1 - x0) + (ux * vy - vx * uy) * (t1 - t0))
            total += np.bincount(o.astype(np.intp), part, minlength=self.n)
        return total

    def bbox(self) -> NDArray[np.float64]:
        """Tight axis-aligned box (x_min, y_min, x_max, y_max) of each region (px), (n, 4)."""
        lo = np.full((2, self.n), np.inf)
        hi = np.full((2, self.n), -np.inf)
        for o, x0, y0, x1, y1 in self.segments:
            for k, (a, b) in enumerate(((x0, x1), (y0, y1))):
                _extremes(lo[k], hi[k], o, np.minimum(a, b), np.maximum(a, b))
        for o, cx, cy, ux, uy, vx, vy, t0, t1 in self.arcs:
            t_lo, t_hi = np.minimum(t0, t1), np.maximum(t0, t1)
            c0, s0, c1, s1 = np.cos(t0), np.sin(t0), np.cos(t1), np.sin(t1)
            for k, (c, u, v) in enumerate(((cx, ux, vx), (cy, uy, vy))):
                m, phi = np.hypot(u, v), np.arctan2(v, u)
                ends = (c + u * c0 + v * s0, c + u * c1 + v * s1)
                k_hi = np.ceil((t_lo - phi) / np.pi)  # first turning point at or after t_lo
                # there the coordinate is c + m·cos(jπ) = c ± m (cos of a float multiple of π
                # of these sizes rounds to ±1 exactly)
                odd = k_hi - 2.0 * np.floor(k_hi * 0.5)  # k_hi mod 2 (without np.mod's cost)
                turns = [np.where(phi + (k_hi + i) * np.pi <= t_hi,
                                  c + m * (1.0 - 2.0 * np.abs(odd - (i % 2))), np.nan)
                         for i in range(3)]
                vals = np.stack([*ends, *turns])
                _extremes(lo[k], hi[k], o, np.nanmin(vals, axis=0), np.nanmax(vals, axis=0))
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


def _extremes(lo: Arr, hi: Arr, owner: Arr, low: Arr, high: Arr) -> None:
    """lo[k] = min(lo[k], low[i]) and hi[k] = max(hi[k], high[i]) over the i with owner[i] = k
    (owners sorted): one reduction per run of equal owners (``np.minimum.at`` without its cost)."""
    if not owner.size:
        return
    starts = np.flatnonzero(np.diff(owner, prepend=-1.0))
    own = owner[starts].astype(np.intp)
    lo[own] = np.minimum(lo[own], np.minimum.reduceat(low, starts))
    hi[own] = np.maximum(hi[own], np.maximum.reduceat(high, starts))


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
    out = np.empty((edges.n, *shape), dtype=np.float32)
    for o0, o1, images in blocks(edges, shape, antialias):
        out[o0:o1] = images
    return out


def blocks(edges: Edges, shape: tuple[int, int], antialias: bool = True, align: int = 1
           ) -> Iterator[tuple[int, int, Image]]:
    """The images of regions o0 ≤ k < o1, sub-batch by sub-batch (``align`` divides o0).

    The yielded array is a scratch buffer, overwritten by the next sub-batch: use it before
    asking for the next one (this keeps the working set in cache for callers that reduce it).
    """
    h, w = shape
    scratch: Image | None = None
    for o0, o1, rows, acc in _sub_batches(edges, shape, antialias, align):
        if scratch is None:
            scratch = np.empty((min(o1 - o0, edges.n), h, w), dtype=np.float32)
        images = scratch[: o1 - o0]
        flat = images.reshape(-1, w)
        flat.fill(0.0)
        flat[rows] = acc.T
        yield o0, o1, images


def maximum(edges: Edges, shape: tuple[int, int], image: NDArray[np.intp], slot: NDArray[np.intp],
            n_images: int, antialias: bool = True) -> Image:
    """Per-pixel maximum of the regions' images, (n_images, H, W): region k is drawn into image
    ``image[k]`` (non-decreasing), where it is the ``slot[k]``-th region (distinct within an image).

    The same values as the maximum over :func:`blocks`' images, without making them: per sub-batch
    and per slot the rows that some piece crosses go straight into the images (the images' other
    rows, and the regions' empty rows, stay 0), so the per-region images are never filled, written
    and read again.
    """
    h, w = shape
    out = np.zeros((n_images, h, w), dtype=np.float32)
    if not edges.n:
        return out
    # rows as single items: NumPy gathers and scatters those faster than rows of a 2-D array
    row_type = np.dtype((np.void, 4 * w))
    flat = out.reshape(n_images * h, w).view(row_type).reshape(-1)
    buf = np.empty((0, w), dtype=np.float32)
    for o0, o1, rows, acc in _sub_batches(edges, shape, antialias, slot=slot, clamp=False):
        n = o1 - o0
        # rows are ordered by slot, then region and line: row (j·n + k)·h + i of the sub-batch goes
        # to row image[o0 + k]·h + i of the output (a table over one slot's rows: no division)
        table = (image[o0:o1, None] * h + np.arange(h)).ravel()
        bounds = np.searchsorted(rows, np.arange(int(slot[o0:o1].max()) + 2) * (n * h))
        for j in range(bounds.size - 1):  # over the slots, not the samples: each image once per slot
            part = slice(bounds[j], bounds[j + 1])
            t = rows[part] - j * n * h
            np.take(table, t, out=t)
            if buf.shape[0] < t.size:
                buf = np.empty((t.size, w), dtype=np.float32)
            vals = buf[: t.size]
            vals.T[...] = acc[:, part]
            if not j and antialias:  # rounding leaves ±1e-16 (later slots: the maximum with >= 0)
                np.maximum(vals, 0.0, out=vals)
            if j:  # an image's first region finds nothing drawn there yet (regions are in image order)
                np.maximum(vals, np.take(flat, t).view(np.float32).reshape(-1, w), out=vals)
            flat[t] = vals.view(row_type).reshape(-1)
    return out


def _sub_batches(edges: Edges, shape: tuple[int, int], antialias: bool, align: int = 1,
                 slot: NDArray[np.intp] | None = None, clamp: bool = True
                 ) -> Iterator[tuple[int, int, NDArray[np.intp], Arr]]:
    """Per sub-batch of regions o0 ≤ k < o1 (``align`` divides o0): the rows (over the sub-batch,
    region-major, or slot-major then region-major where ``slot`` is given) that some piece crosses,
    and their pixel values, (W, rows), >= 0 (anti-aliased; unless not ``clamp``: then rounding
    may leave values of about −1e-16) or 0/1."""
    h, w = shape
    step = max(align, BATCH_CELLS // (h * (w + 2)) // align * align)
    if edges.n > step:  # as many sub-batches, of (nearly) equal sizes
        size = -(-edges.n // -(-edges.n // step))
        step = -(-size // align) * align
    pieces = _coverage if antialias else _centres
    for o0 in range(0, edges.n, step):
        o1 = min(edges.n, o0 + step)
        seg, arc = edges.block(o0, o1)
        # owners relative to the sub-batch; pixel edges at integers (pixel j spans [j, j + 1])
        seg += np.array([-o0, 0.5, 0.5, 0.5, 0.5])[:, None]  # (block() returns new arrays)
        arc += np.array([-o0, 0.5, 0.5, 0, 0, 0, 0, 0, 0])[:, None]
        n_rows = (o1 - o0) * h
        if slot is not None:  # slot-major: region k's rows become those of region slot·n + k
            shift = slot[o0:o1] * float(o1 - o0)
            seg[0] += shift[seg[0].astype(np.intp)]
            arc[0] += shift[arc[0].astype(np.intp)]
            n_rows *= int(slot[o0:o1].max()) + 1
        # (vanishing radii give infinite scales, whose products are never used)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            line, col, weight, stride = pieces(seg, _monotone(arc), h, w)
            rows, acc = _row_sums(line, col, weight, n_rows, stride, w)
        if antialias:
            acc = acc[:w]
            if clamp:  # rounding leaves ±1e-16; above 1 it rounds to 1 in float32
                np.maximum(acc, 0.0, out=acc)
        else:
            acc = (acc[:w] != 0).astype(np.float64)  # winding number non-zero
        yield o0, o1, rows, acc


def _coverage(seg: Arr, arcs: dict[str, Arr], h: int, w: int
              ) -> tuple[Lines, list[NDArray[np.intp]], Arr, int]:
    """Every piece's row (over the sub-batch; as the row pieces' rows and each piece's row piece)
    and column, the weights for exact pixel areas, and the row stride: piece i of n adds its area
    (weight i) to its cell and cover − area (weight i + n) to the next one.

    A piece's area is −∫(x_right − x)dy and its cover −∫dy (negated, so that regions of positive
    orientation come out positive); for arcs ∫ x dy is the chord's trapezoid plus the elliptic
    segment between chord and arc, (det/2)(Δt − sin Δt). Straight segments and sub-arcs are split
    together, segments first: at the rows (:func:`_row_pieces`), then at the columns.
    """
    line, xlo, xhi, dy, k, r, lo_end, hi_end = _row_pieces(seg, arcs, h)
    src, a, b, col, first, last = _split(xlo, xhi, w)  # columns
    kc = int(first[k]) if k < first.size else src.size  # the first arc piece
    n = src.size
    weight = np.empty(2 * n)
    area, cover = weight[:n], weight[n:]
    # straight: the piece's share of its row piece's height, and its mean x clipped to the image
    span = xhi[:k] - xlo[:k]
    flat = ~(span > 0)  # a vertical piece is a single piece, all of its source's height
    span[flat] = 1.0
    frac = b[:kc] - a[:kc]
    frac[first[:k][flat]] = 1.0
    frac /= span[src[:kc]]
    np.multiply(dy[src[:kc]], frac, out=cover[:kc])
    mid = a[:kc] + b[:kc]
    mid *= 0.5
    np.add(col[:kc], 1, out=area[:kc])
    area[:kc] -= _clip(mid, w)
    area[:kc] *= cover[:kc]
    # arcs: pieces run in x order, so sgn(Δt) is the sub-arc's sgn(dx/dt): cover =
    # sign·sgn(Δt)·(y0 − y1) and the segment term sign·sgn(Δt)·(det/2)(Δt − sin Δt) =
    # sign·(det/2)(|Δt| − sin |Δt|)
    r = r[src[kc:] - k]
    (t0, x0, y0), (t1, x1, y1) = _ends(arcs, "x", r, a[kc:], b[kc:], first[k:] - kc, last[k:] - kc,
                                       lo_end, hi_end)
    dt = np.abs(t1 - t0)
    arc_cover = cover[kc:]
    np.multiply(y0 - y1, arcs["orient"][r], out=arc_cover)
    xbar = (x0 + x1) / 2
    area[kc:] = np.where(xbar <= 0, arc_cover,
                         arc_cover * (col[kc:] + 1 - xbar) + arcs["half_det"][r] * (dt - _sin(dt)))
    cover -= area
    return [(line.astype(np.intp), src)], [col.astype(np.intp)], weight, w + 2


def _row_pieces(seg: Arr, arcs: dict[str, Arr], h: int
                ) -> tuple[Arr, Arr, Arr, Arr, int, NDArray[np.intp], tuple[Arr, Arr, Arr],
                           tuple[Arr, Arr, Arr]]:
    """Segments and sub-arcs split at the rows, segments first: each row piece's image row (over
    the sub-batch) and x range; for the k straight ones their signed height; for the arc ones
    their sub-arc r and (t, x, y) at their ends of lower and higher x."""
    o, x0, y0, x1, y1 = seg
    ylo, yhi = _clip(np.minimum(y0, y1), h), _clip(np.maximum(y0, y1), h)
    inside = yhi > ylo
    o, x0, y0, x1, y1, ylo, yhi = (v[inside] for v in (o, x0, y0, x1, y1, ylo, yhi))
    rising = arcs["yb"] > arcs["ya"]
    lo_end = tuple(np.where(rising, arcs[k + "a"], arcs[k + "b"]) for k in ("t", "x", "y"))
    hi_end = tuple(np.where(rising, arcs[k + "b"], arcs[k + "a"]) for k in ("t", "x", "y"))
    alo, ahi = _clip(lo_end[2].copy(), h), _clip(hi_end[2].copy(), h)
    (rs,) = np.nonzero(ahi > alo)
    src, ya, yb, row, first, last = _split(np.concatenate([ylo, alo[rs]]),
                                           np.concatenate([yhi, ahi[rs]]), h - 1)
    ns, n = o.size, src.size
    k = int(first[ns]) if ns < first.size else n  # the first arc piece
    line, xlo, xhi = np.empty(n), np.empty(n), np.empty(n)
    # straight: x by linear interpolation
    slope = (x1 - x0) / (y1 - y0)
    s = src[:k]
    x0s, y0s, ss = x0[s], y0[s], slope[s]
    xa, xb = x0s + (ya[:k] - y0s) * ss, x0s + (yb[:k] - y0s) * ss
    dy = (ya[:k] - yb[:k]) * np.sign(y1 - y0)[s]
    np.add(o[s] * h, row[:k], out=line[:k])
    np.minimum(xa, xb, out=xlo[:k])
    np.maximum(xa, xb, out=xhi[:k])
    # arcs: the ends where they cross the rows, in closed form
    r = rs[src[k:] - ns]
    p0, p1 = _ends(arcs, "y", r, ya[k:], yb[k:], first[ns:] - k, last[ns:] - k,
                   tuple(e[rs] for e in lo_end), tuple(e[rs] for e in hi_end))
    np.add(arcs["owner"][r] * h, row[k:], out=line[k:])
    x_rising = p1[1] > p0[1]
    lo_end = tuple(np.where(x_rising, u, v) for u, v in zip(p0, p1, strict=True))
    hi_end = tuple(np.where(x_rising, v, u) for u, v in zip(p0, p1, strict=True))
    xlo[k:], xhi[k:] = lo_end[1], hi_end[1]
    return line, xlo, xhi, dy, k, r, lo_end, hi_end


def _row_sums(lines: Lines, cols: list[NDArray[np.intp]], weight: Arr, n_rows: int, stride: int, width: int
              ) -> tuple[NDArray[np.intp], Arr]:
    """Cumulative sums along x of the weights added at (line, col), for the rows that have any;
    the pieces' (line, col) come in parts, in order (with n pieces and 2n weights, weight n + i goes
    to the cell after piece i's). A part's lines are given as (line, src): piece i's is
    line[src[i]] (src None: line[i]). Only the first ``width`` columns are summed.

    Only rows that some piece crosses can be non-zero, so the buffer holds just those (about a
    third of a scene's rows). It is returned as (stride, rows). For narrow images it is laid out
    column-major: the sums along x then
    add whole contiguous columns, one vectorised add per column over every row of the sub-batch,
    instead of NumPy's row-wise cumulative sum, which runs latency-bound (one dependent add per
    cell). Each row is still summed left to right, so an image never depends on its batch and the
    result is the same to the bit.
    """
    active = np.zeros(n_rows, dtype=bool)
    for line, _ in lines:
        active[line] = True
    rows = np.flatnonzero(active)
    m = rows.size
    place = np.empty(n_rows, dtype=np.intp)  # each active row's place in the buffer
    place[rows] = np.arange(m)
    wide = stride > COLUMN_MAJOR_UP_TO  # wide rows: NumPy's row-wise sum is fine, and the later
    # transposed scatter into the images would cost more than it saves
    n = sum(col.size for col in cols)
    index = np.empty(weight.size, dtype=np.intp)  # the buffer cell of every deposit
    k = 0
    for (line, src), col in zip(lines, cols, strict=True):
        part = index[k: k + col.size]
        k += col.size
        if src is None:
            np.take(place, line, out=part)
        else:
            np.take(place[line], src, out=part)
        if wide:
            part *= stride
            part += col
        else:
            part += col * m
    first = index[:n]
    if weight.size > n:  # a second deposit per piece, in the next cell
        np.add(first, 1 if wide else m, out=index[n:])
    acc = np.bincount(index, weight, minlength=m * stride)
    if wide:
        acc = acc.astype(np.float64, copy=False).reshape(m, stride)
        np.cumsum(acc, axis=1, out=acc)
        return rows, acc.T
    acc = acc.astype(np.float64, copy=False).reshape(stride, m)
    for j in range(1, width):  # over the image's columns (the cells after them are not needed),
        np.add(acc[j - 1], acc[j], out=acc[j])  # each add vectorised over all rows
    return rows, acc


def _clip(x: Arr, limit: int) -> Arr:
    """x clipped to [0, limit], in place (``np.clip`` without its Python-level overhead)."""
    np.maximum(x, 0.0, out=x)
    return np.minimum(x, float(limit), out=x)


def _split(lo: Arr, hi: Arr, limit: int) -> tuple[NDArray[np.intp], Arr, Arr, Arr, NDArray[np.intp],
                                                  NDArray[np.intp]]:
    """Split [lo, hi] at the integers inside it and inside [0, limit].

    Returns each piece's source index, its bounds a <= b, its cell (pieces left of 0 fall in cell
    0, right of ``limit`` in cell ``limit``), and the index of each source's first and last piece.
    Pieces of a source are consecutive, in order.
    """
    first = np.floor(lo)  # the first grid line inside, and the last
    first += 1
    np.maximum(first, 0.0, out=first)
    last = np.ceil(hi)
    last -= 1
    np.minimum(last, float(limit), out=last)
    last -= first
    count = last.astype(np.intp)
    count += 2
    np.maximum(count, 1, out=count)  # pieces = lines + 1
    ends = np.cumsum(count)
    start = ends - count
    ends -= 1  # each source's last piece
    n = int(ends[-1]) + 1 if ends.size else 0
    first -= start
    if n < 3 * lo.size:  # short runs: marking each source's start and summing beats np.repeat
        src = np.zeros(n, dtype=np.intp)
        src[start[1:]] = 1
        np.cumsum(src, out=src)
        b = first[src]
    else:
        src = np.repeat(np.arange(lo.size), count)
        b = np.repeat(first, count)
    b += np.arange(n, dtype=np.float64)  # the grid line at each piece's upper end
    a = b - 1
    cell = np.maximum(a, 0.0)
    np.minimum(cell, float(limit), out=cell)
    a[start] = lo
    b[ends] = hi
    return src, a, b, cell, start, ends


def _monotone(arc: Arr) -> dict[str, Arr]:
    """Arcs split where x or y turns, with what is needed to solve x(t) = X and y(t) = Y on them.

    Keys: owner, cx, cy, ux, uy, vx, vy, det (ux·vy − vx·uy), sign (+1 where the arc runs towards
    increasing t), ta < tb, the end points xa, ya, xb, yb, per coordinate the branch (base, scale)
    with t = base + arccos(scale·(coordinate − centre)) on the sub-arc, and for pieces traversed in
    order of increasing x their orientation ``orient``, and ``half_det`` = sign·det/2; ``solvex``
    and ``solvey`` hold, row by row, what :func:`_solve` needs.
    """
    o, cx, cy, ux, uy, vx, vy, t0, t1 = arc
    t_lo, t_hi = np.minimum(t0, t1), np.maximum(t0, t1)
    cuts = []
    phis = []
    for u, v in ((ux, vx), (uy, vy)):
        phi = np.arctan2(v, u)
        k = np.floor((t_lo - phi) / np.pi) + 1
        cuts += [np.minimum(np.maximum(phi + (k + i) * np.pi, t_lo), t_hi) for i in range(3)]
        phis.append(phi)
    t = np.empty((o.size, 8))  # (A, 8): t_lo, the six turning points in order, t_hi
    t[:, 0], t[:, 7] = t_lo, t_hi  # (the turning points are clipped to [t_lo, t_hi])
    for i, c in enumerate(_sort6(cuts)):
        t[:, i + 1] = c
    ta, tb = t[:, :-1].ravel(), t[:, 1:].ravel()
    keep = tb > ta
    src = np.repeat(np.arange(o.size), 7)[keep]
    ta, tb = ta[keep], tb[keep]
    out = {name: v[src] for name, v in (("owner", o), ("cx", cx), ("cy", cy), ("ux", ux), ("uy", uy),
                                          ("vx", vx), ("vy", vy))}
    out["det"] = out["ux"] * out["vy"] - out["vx"] * out["uy"]
    out["sign"] = np.where(t1 >= t0, 1.0, -1.0)[src]
    out["ta"], out["tb"] = ta, tb
    mid = (ta + tb) / 2
    for axis, u, v, phi in (("x", ux, vx, phis[0]), ("y", uy, vy, phis[1])):
        phi = phi[src]
        k = np.floor((mid - phi) / np.pi)
        # vanishing radii: no grid line crosses (scale is infinite, P and Q unused; the caller
        # silences the floating-point warnings)
        # (−1)^k as 1 − 2(k − 2⌊k/2⌋): exact for these whole numbers, cheaper than np.mod
        parity = np.floor(k * 0.5)
        parity *= -2.0
        parity += k
        scale = out["scale" + axis] = (1.0 - 2.0 * parity) / np.hypot(u, v)[src]
        # cos and sin of the branch's base angle φ + kπ, φ = atan2(v, u), then the other
        # coordinate's c + P·q + Q·√(1 − q²) at t = base + arccos q
        cb, sb = out["u" + axis] * scale, out["v" + axis] * scale
        other = "y" if axis == "x" else "x"
        uo, vo = out["u" + other], out["v" + other]
        out["P" + axis] = uo * cb + vo * sb
        out["Q" + axis] = vo * cb - uo * sb
        out["base" + axis] = phi + k * np.pi
        out["solve" + axis] = np.stack([out["c" + axis], scale, out["base" + axis], out["Q" + axis],
                                        out["P" + axis], out["c" + other]], axis=1)
    # end points: each sub-arc ends where the next one of its arc starts, the last ones at t_hi
    c, sn = np.cos(ta), np.sin(ta)
    c_hi, s_hi = np.cos(t_hi), np.sin(t_hi)
    last = np.flatnonzero(np.diff(src, append=o.size))  # each arc's last sub-arc
    for axis, ca, ua, va in (("x", cx, ux, vx), ("y", cy, uy, vy)):
        start = out[axis + "a"] = out["c" + axis] + out["u" + axis] * c + out["v" + axis] * sn
        end = out[axis + "b"] = np.empty_like(start)
        end[:-1] = start[1:]
        end[last] = (ca + ua * c_hi + va * s_hi)[src[last]]
    # pieces are later traversed in order of x: their orientation is sign·sgn(dt/dx)
    out["orient"] = np.where(out["xb"] > out["xa"], out["sign"], -out["sign"])
    out["half_det"] = out["sign"] * out["det"] / 2  # the elliptic segment's sign is sign·sgn(dt)²
    return out


def _sort6(v: list[Arr]) -> list[Arr]:
    """Six arrays sorted elementwise (an optimal 12-comparator network; for these small arrays
    it is cheaper than ``np.sort`` along a short axis)."""
    v = list(v)
    for layer in (((0, 5), (1, 3), (2, 4)), ((1, 2), (3, 4)), ((0, 3), (2, 5)),
                  ((0, 1), (2, 3), (4, 5)), ((1, 2), (3, 4))):
        for i, j in layer:
            v[i], v[j] = np.minimum(v[i], v[j]), np.maximum(v[i], v[j])
    return v


def _solve(arcs: dict[str, Arr], axis: str, value: Arr, r: NDArray[np.intp]) -> tuple[Arr, Arr]:
    """Parameter t where sub-arc r[i] has coordinate ``axis`` = value[i], and the other coordinate.

    With q = cos(t − base) the other coordinate is c + P·q + Q·√(1 − q²) (the sub-arc's P, Q from
    :func:`_monotone`): no trigonometric call besides the ``arccos`` for t.
    """
    # one gather of the sub-arcs' rows of (c, scale, base, Q, P, other c): cheaper than six
    c, scale, base, big_q, big_p, c_other = np.take(arcs["solve" + axis], r, axis=0).T
    q = value - c
    q *= scale
    np.maximum(q, -1.0, out=q)
    np.minimum(q, 1.0, out=q)
    t = np.arccos(q)
    t += base
    root = np.subtract(1.0, q)
    root *= 1.0 + q  # (1 − q)(1 + q): no cancellation near |q| = 1
    np.sqrt(root, out=root)
    root *= big_q
    q *= big_p
    q += c_other
    q += root
    return t, q
def _ends(arcs: dict[str, Arr], axis: str, r: NDArray[np.intp], a: Arr, b: Arr,
          start: NDArray[np.intp], ends: NDArray[np.intp], lo_end: tuple[Arr, Arr, Arr],
          hi_end: tuple[Arr, Arr, Arr]) -> tuple[tuple[Arr, Arr, Arr], tuple[Arr, Arr, Arr]]:
    """(t, x, y) at both ends of consecutive pieces [a, b] (in coordinate ``axis``) of sub-arcs r.

    The pieces of source k run from ``start[k]`` to ``ends[k]``. A piece ends at its source's own
    end point (``lo_end``/``hi_end``, (t, x, y) per source) where it reaches it, else where the
    sub-arc crosses the grid line, solved once and shared with the next piece.
    """
    i, j = (1, 2) if axis == "x" else (2, 1)  # the coordinate's place in (t, x, y), the other's
    n = a.size
    # the coordinate itself is a and b: a source's first piece starts at its clipped lower end,
    # which is lo_end's unless the image's edge cut it, and pieces meet at grid lines
    lower, upper = [np.empty(n), a, a], [np.empty(n), b, b]
    lower[j], upper[j] = np.empty(n), np.empty(n)
    for k in (0, j):
        lower[k][start] = lo_end[k]
    crossing = np.ones(n, dtype=bool)  # grid lines, or the image's near edge
    crossing[start] = a[start] > lo_end[i]
    cut = np.flatnonzero(crossing)
    lower[0][cut], lower[j][cut] = _solve(arcs, axis, a[cut], r[cut])
    for k in (0, j):
        upper[k][:-1] = lower[k][1:]
        upper[k][ends] = hi_end[k]
    cut = ends[b[ends] < hi_end[i]]  # cut by the image's far edge
    upper[0][cut], upper[j][cut] = _solve(arcs, axis, b[cut], r[cut])
    return (lower[0], lower[1], lower[2]), (upper[0], upper[1], upper[2])


def _sin(x: Arr) -> Arr:
    """sin x as 2τ/(1 + τ²), τ = tan(x/2): NumPy's float64 ``tan`` is vectorised (SIMD), its
    ``sin`` is not; within a few units in the last place of ``np.sin`` (|x| ≤ π/2 here)."""
    tau = np.tan(0.5 * x)
    return 2.0 * (tau / (1.0 + tau * tau))


def _centres(seg: Arr, arcs: dict[str, Arr], h: int, w: int
             ) -> tuple[Lines, list[NDArray[np.intp]], Arr, int]:
    """Like :func:`_coverage` for 0/1 images: each crossing of a row of pixel centres steps the
    winding number by ±1 at the first centre to its right."""
    o, x0, y0, x1, y1 = seg
    slope = (x1 - x0) / np.where(y1 != y0, y1 - y0, 1.0)
    rising = arcs["yb"] > arcs["ya"]

    def arc_x(yc: Arr, s: NDArray[np.intp]) -> Arr:
        return _solve(arcs, "y", yc, s)[1]  # the x where the sub-arc crosses the row of centres

    lines, cols, steps = [], [], []
    for own, ylo, yhi, sign, x_at in (
            (o, np.minimum(y0, y1), np.maximum(y0, y1), np.sign(y1 - y0),
             lambda yc, s: x0[s] + (yc - y0[s]) * slope[s]),
            (arcs["owner"], np.minimum(arcs["ya"], arcs["yb"]), np.maximum(arcs["ya"], arcs["yb"]),
             np.where(rising, arcs["sign"], -arcs["sign"]), arc_x)):
        # rows of centres y = i + 1/2 with ylo <= y < yhi
        first = np.maximum(np.ceil(ylo - 0.5), 0.0)
        last = np.minimum(np.ceil(yhi - 0.5) - 1, h - 1.0)
        count = np.maximum(last - first + 1, 0).astype(np.intp)
        src = np.repeat(np.arange(ylo.size), count)
        row = first[src] + (np.arange(src.size) - np.repeat(np.cumsum(count) - count, count))
        cols.append(np.clip(np.ceil(x_at(row + 0.5, src) - 0.5), 0, w).astype(np.intp))
        lines.append((own[src] * h + row).astype(np.intp))
        steps.append(sign[src])
    return [(line, None) for line in lines], cols, np.concatenate(steps), w + 1

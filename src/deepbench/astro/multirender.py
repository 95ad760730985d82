"""Pixel integrals of several fields around one centre, on shared nodes, for a whole batch.

The method of :mod:`deepbench.astro.render` — (1) a fourth-order separable filter of the values at
the pixel centres, (2) a 4 × 4 Gauss–Legendre rule on a ``box`` × ``box`` block of pixels around
the centre, (3) nested dyadic refinement of the 2 × 2 pixels around the pixel corner nearest the
centre — for K fields at once: every node is visited once and a :class:`FieldSet` returns all K
values there, so the work the fields share (offsets, radii, logarithms, common factors) is done
once per node instead of once per field. Each field has its own refinement depth per sample; a
field's pixels depend neither on the other fields nor on the rest of the batch (the refined cells
are summed in float64 in a fixed order, and cells below a field's depth are exact zeros).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(4)
NODES = _GL_NODES / 2.0                                   # on (−½, ½)
_W1 = (_GL_WEIGHTS / 2.0).astype(np.float32)                # 1-D weights on (−½, ½), sum 1
BOX = 10
_FILTER_CHUNK = 4                                        # images per filter call

# the filter 1 + δ²/24 − 17 δ⁴/5760 = C0 + C1 (g₋₁ + g₊₁) + C2 (g₋₂ + g₊₂), applied as
# (g₋₁ + g₊₁) + K2 (g₋₂ + g₊₂) + K0 g per axis (1/C1 times the filter): the grid values are
# evaluated times GRID_SCALE = C1²
_C2 = -17.0 / 5760.0
_C1 = 1.0 / 24.0 - 4.0 * _C2
_C0 = 1.0 - 2.0 / 24.0 + 6.0 * _C2
_K0, _K2 = np.float32(_C0 / _C1), np.float32(_C2 / _C1)
GRID_SCALE = _C1 * _C1


class FieldSet(Protocol):
    """K fields of a batch, evaluated at image-plane offsets from each sample's centre."""

    count: int

    def view(self, sel: slice | np.ndarray, scale: float, batch_last: bool) -> FieldView:
        """The samples ``sel``, laid out for offsets with the batch axis first (``(s, ...)``) or
        last (``(..., s)``), values multiplied by ``scale``."""
        ...


class FieldView(Protocol):
    def select(self, fields: np.ndarray) -> FieldView:
        """The same samples, only the fields ``fields`` (indices, increasing)."""
        ...

    def __call__(self, dx: np.ndarray, dy: np.ndarray, out: np.ndarray) -> None:
        """Write the K fields at offsets ``dx``, ``dy`` (float32 px, broadcastable) to ``out[k]``
        (float32, K × the broadcast shape)."""
        ...


def render_fields(fields: FieldSet, x0: np.ndarray, y0: np.ndarray, levels: np.ndarray,
                  shape: tuple[int, int], *, box: int = BOX, block: int = 16,
                  refine_block: int = 32) -> np.ndarray:
    """Pixel integrals (float32, (K, B, H, W)) of ``fields`` centred on (``x0``, ``y0``).

    ``x0``, ``y0``: absolute centres (px, float64 (B,)); ``levels``: refinement depth per field
    and sample (int, (K, B), at least 1).
    """
    h, w = shape
    k, n = fields.count, len(x0)
    levels = np.asarray(levels, dtype=np.int64).reshape(k, n)
    out = np.empty((k, n, h, w), dtype=np.float32)
    for s in range(0, n, block):
        sl = slice(s, s + block)
        out[:, sl] = _grid(fields.view(sl, GRID_SCALE, False), k, x0[sl], y0[sl], shape)
    order = np.argsort(levels.max(axis=0), kind="stable")  # similar depths: less wasted work
    for s in range(0, n, refine_block):
        idx = order[s:s + refine_block]
        view = fields.view(idx, 1.0, True)
        _box(out, view, idx, x0[idx], y0[idx], min(box, h), min(box, w))
        _cusp(out, view, idx, x0[idx], y0[idx], levels[:, idx])
    return out


def _grid(view: FieldView, k: int, x0: np.ndarray, y0: np.ndarray, shape: tuple[int, int]
          ) -> np.ndarray:
    """Part 1: the fields at the centres of an (H + 4, W + 4) grid, filtered to pixel integrals."""
    h, w = shape
    n, hh, ww = len(x0), h + 4, w + 4
    dx = (np.arange(-2, w + 2) - x0[:, None]).astype(np.float32)[:, None, :]
    dy = (np.arange(-2, h + 2) - y0[:, None]).astype(np.float32)[:, :, None]
    f = np.empty((k, n, hh, ww), dtype=np.float32)
    view(dx, dy, f)
    images = f.reshape(k * n, hh * ww)
    t = np.zeros(_FILTER_CHUNK * hh * ww, dtype=np.float32)  # t[:2], t[-2:]: read, never written
    for c in range(0, k * n, _FILTER_CHUNK):   # a few images at a time: they stay in cache
        flat = images[c:c + _FILTER_CHUNK].reshape(-1)
        tmp = t[:flat.size]
        _filter_flat(flat, tmp, 1)
        _filter_flat(tmp, flat, ww)
    return f[:, :, 2:-2, 2:-2]


def _filter_flat(g: np.ndarray, out: np.ndarray, step: int) -> None:
    """out[k] = (g[k−s] + g[k+s]) + K2 (g[k−2s] + g[k+2s]) + K0 g[k] on the flat array (wrapped
    neighbours only reach the two-pixel border, which is discarded)."""
    s = step
    o = out[2 * s:-2 * s]
    np.add(g[s:-3 * s], g[3 * s:-s], out=o)
    far = g[:-4 * s] + g[4 * s:]
    far *= _K2
    o += far
    np.multiply(g[2 * s:-2 * s], _K0, out=far)
    o += far


def _corner(x0: np.ndarray) -> np.ndarray:
    """Index k of the pixel corner k − ½ nearest to each centre (int64)."""
    return np.rint(x0 + 0.5).astype(np.int64)


def _weighted_nodes(f: np.ndarray) -> np.ndarray:
    """Σ over the 4 × 4 nodes (axes −4 and −2 of (..., m, kx, m, n)) with the Gauss–Legendre
    weights, x nodes first, in a fixed order (a sample must not depend on its batch)."""
    rows = f[..., 0, :] * _W1[0]                                   # (..., m, kx, n)
    for j in range(1, 4):
        rows += f[..., j, :] * _W1[j]
    out = rows[..., 0, :, :] * _W1[0]                              # (..., kx, n)
    for m in range(1, 4):
        out += rows[..., m, :, :] * _W1[m]
    return out


def _box(out: np.ndarray, view: FieldView, idx: np.ndarray, x0: np.ndarray, y0: np.ndarray,
         ky: int, kx: int) -> None:
    """Part 2: 4 × 4 Gauss–Legendre over the box × box pixels around the centre."""
    k, _, h, w = out.shape
    n = len(idx)
    sx = np.clip(_corner(x0) - kx // 2, 0, w - kx)
    sy = np.clip(_corner(y0) - ky // 2, 0, h - ky)
    xs = np.arange(kx)[:, None, None] + NODES[None, :, None] + (sx - x0)[None, None, :]
    ys = np.arange(ky)[:, None, None] + NODES[None, :, None] + (sy - y0)[None, None, :]
    f = np.empty((k, ky, 4, kx, 4, n), dtype=np.float32)
    view(xs.astype(np.float32)[None, None], ys.astype(np.float32)[:, :, None, None], f)
    vals = _weighted_nodes(f)                                               # (K, ky, kx, n)
    rows = sy[:, None, None] + np.arange(ky)[None, :, None]
    cols = sx[:, None, None] + np.arange(kx)[None, None, :]
    out[:, idx[:, None, None], rows, cols] = vals.transpose(0, 3, 1, 2)


def _level_axis(x0: np.ndarray, nlev: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per level and axis: cell-centre offsets from the centre (L, 4, n), the inner cells (L, 4, n)
    and whether each cell lies in the second pixel of the 2 × 2 block (L, 4, n).

    The level-ℓ block is centred on v_ℓ, the vertex of the grid (½ + ℤ) · 2^{1−ℓ} nearest to the
    centre (v_1 is the nearest pixel corner); its cells have side 2^{−ℓ}, and the four inner ones
    touch v_{ℓ+1}.
    """
    spacing = 2.0 ** -np.arange(0, nlev + 1)[:, None]                    # 2^{1−ℓ}, ℓ = 1..L+1
    v = spacing * np.rint((x0 + 0.5) / spacing) - 0.5                      # (L + 1, n)
    side = spacing[1:]
    cell = np.arange(4)[None, :, None]
    centres = v[:-1, None, :] + side[:, :, None] * (cell - 1.5)             # (L, 4, n)
    j = np.rint((v[1:] - v[:-1]) / side)[:, None, :]
    inner = (cell == j + 1) | (cell == j + 2)
    return centres - x0, inner, centres > v[0]


def _cusp(out: np.ndarray, view: FieldView, idx: np.ndarray, x0: np.ndarray, y0: np.ndarray,
          levels: np.ndarray) -> None:
    """Part 3: nested refinement of the 2 × 2 pixels around the corner nearest the centre, to
    each field's own depth ``levels`` ((K, n)); a field is evaluated only down to the deepest
    level any of these samples needs for it."""
    k, _, h, w = out.shape
    n = len(idx)
    deepest = levels.max(axis=1)                                            # (K,)
    nlev = int(deepest.max())
    cx, inx, px = _level_axis(x0, nlev)
    cy, iny, py = _level_axis(y0, nlev)
    side = 2.0 ** -np.arange(1, nlev + 1)
    node = side[:, None, None, None] * NODES[None, None, :, None]          # (L, 1, 4, 1)
    dx = (cx[:, :, None, :] + node).astype(np.float32)                     # (L, 4, 4, n)
    dy = (cy[:, :, None, :] + node).astype(np.float32)
    cells = np.zeros((k, nlev, 4, 4, n))                                    # (K, L, 4, 4, n)
    top = 0
    for bottom in np.unique(deepest):     # levels top+1 … bottom: the fields that reach them
        active = np.flatnonzero(deepest >= bottom)
        f = np.empty((len(active), bottom - top, 4, 4, 4, 4, n), dtype=np.float32)
        view.select(active)(dx[top:bottom, None, None], dy[top:bottom, :, :, None, None], f)
        cells[active, top:bottom] = _weighted_nodes(f)
        top = bottom
    lev = np.arange(1, nlev + 1)[None, :, None]                             # (1, L, 1)
    weight = (side * side)[None, :, None] * (lev <= levels[:, None, :])     # (K, L, n)
    cells *= weight[:, :, None, None, :]
    refined = (iny[:, :, None, :] & inx[:, None, :, :])[None] \
        & (lev < levels[:, None, :])[:, :, None, None, :]                   # (K, L, 4, 4, n)
    cells[refined] = 0.0
    # Σ over column cells, row cells, then levels, each in a fixed order (the levels beyond a
    # field's depth add exact zeros at the end): the same sums for any batch and block depth
    col = np.stack([~px, px], axis=2)                                       # (L, 4, 2, n)
    row = np.stack([~py, py], axis=2)
    by_col = cells[:, :, :, 0, None, :] * col[None, :, None, 0]               # (K, L, 4, 2, n)
    for j in range(1, 4):
        by_col += cells[:, :, :, j, None, :] * col[None, :, None, j]
    by_pix = by_col[:, :, 0, None, :, :] * row[None, :, 0, :, None, :]      # (K, L, 2, 2, n)
    for i in range(1, 4):
        by_pix += by_col[:, :, i, None, :, :] * row[None, :, i, :, None, :]
    pix = np.add.accumulate(by_pix, axis=1)[:, -1]                          # (K, 2, 2, n)
    kx, ky = _corner(x0), _corner(y0)
    rows = (ky - 1)[:, None, None] + np.arange(2)[None, :, None]
    cols = (kx - 1)[:, None, None] + np.arange(2)[None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)                            # (n, 2, 2)
    ok = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    sample = np.broadcast_to(idx[:, None, None], ok.shape)
    out[:, sample[ok], rows[ok], cols[ok]] = pix.transpose(0, 3, 1, 2)[:, ok]


__all__ = ["BOX", "GRID_SCALE", "FieldSet", "FieldView", "render_fields"]

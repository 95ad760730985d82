"""Pixel integrals of sheared radial profiles, for a whole batch at once.

A pixel's value is the integral of the profile over the pixel (``[j − ½, j + ½] × [i − ½, i + ½]``),
computed in three nested parts:

1. every pixel: a fourth-order separable filter of the values at the pixel centres. In 1-D the
   pixel integral is f + f''/24 + f''''/1920 + …; with f'' = δ² − δ⁴/12 + … from finite differences
   this is the 5-tap filter 1 + δ²/24 − 17 δ⁴/5760, applied along y and then x (the pixel box is
   separable) to the values on a grid two pixels wider than the image on every side;
2. a ``box`` × ``box`` block of pixels around the centre (where the profile is curved on the pixel
   scale): a 4 × 4 Gauss–Legendre rule per pixel;
3. the 2 × 2 pixels around the pixel corner nearest the centre: nested dyadic refinement. Level ℓ
   splits the 2 × 2 block of cells of side 2^{1−ℓ} around a grid vertex into 4 × 4 cells of side
   2^{−ℓ}; the twelve not touching the vertex nearest the centre are integrated with the 4 × 4 rule
   (the centre is at least half a cell away from each), the other four are refined at level ℓ + 1.
   The last level integrates all sixteen. Smooth profiles (Gaussian, Moffat) use one level; a
   cusped Sérsic uses as many as make the innermost block hold < 1e-5 of the flux (per sample, so
   a sample's pixels never depend on the rest of its batch).

Offsets from the centre are formed in float64 and evaluated in float32; the refined cells are
summed in float64. Batches are processed in blocks of ``block`` samples so that temporaries stay in
cache; the box and the refinement keep the batch as the innermost (contiguous) axis.
"""

from __future__ import annotations

import math

import numpy as np

from deepbench.astro.profiles import Profile, shear_form

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(4)
NODES = _NODES / 2.0                                    # on (−½, ½)
W2 = np.outer(_WEIGHTS, _WEIGHTS) / 4.0                 # 4 × 4 product weights, sum 1
MAX_LEVELS = 24
CUSP_TOL = 1e-5
BOX = 10

_C2 = -17.0 / 5760.0
_C1 = 1.0 / 24.0 - 4.0 * _C2
_C0 = 1.0 - 2.0 / 24.0 + 6.0 * _C2


def cusp_levels(profile: Profile) -> np.ndarray:
    """Refinement levels per sample (int64, (B,)): the innermost block, of side 2^{1−L}, holds
    < CUSP_TOL of the flux even at the central intensity I₀ (1 for profiles without a cusp)."""
    if not profile.cusp:
        return np.ones(np.shape(profile.log_i0), dtype=np.int64)
    need = 1.0 + 0.5 * (profile.log_i0 / math.log(2.0) - math.log2(CUSP_TOL))
    return np.clip(np.ceil(need), 1, MAX_LEVELS).astype(np.int64)


def render(profile: Profile, x0: np.ndarray, y0: np.ndarray, g1: np.ndarray, g2: np.ndarray,
           shape: tuple[int, int], *, box: int = BOX, block: int = 16, refine_block: int = 64
           ) -> np.ndarray:
    """Pixel integrals (float32, (B, H, W)) of unit-flux profiles.

    ``x0``, ``y0``: absolute centres (px, float64 (B,)); ``g1``, ``g2``: reduced shears (B,).
    """
    h, w = shape
    out = np.empty((len(x0), h, w), dtype=np.float32)
    form = shear_form(g1, g2)
    levels = cusp_levels(profile)
    for s in range(0, len(x0), block):
        sl = slice(s, s + block)
        out[sl] = _filtered(profile.take(sl), x0[sl], y0[sl], tuple(v[sl] for v in form), shape)
    order = np.argsort(levels, kind="stable")  # blocks of similar depth: less wasted refinement
    for s in range(0, len(x0), refine_block):
        idx = order[s:s + refine_block]
        p, abc, sub = profile.take(idx), tuple(v[idx] for v in form), out[idx]
        _box(sub, p, x0[idx], y0[idx], abc, min(box, h), min(box, w))
        _cusp(sub, p, x0[idx], y0[idx], abc, levels[idx])
        out[idx] = sub
    return out


Form = tuple[np.ndarray, np.ndarray, np.ndarray]


def _filtered(p: Profile, x0: np.ndarray, y0: np.ndarray, abc: Form, shape: tuple[int, int]
              ) -> np.ndarray:
    """Part 1: values at the centres of an (H + 4, W + 4) grid, filtered to pixel integrals."""
    h, w = shape
    n, hh, ww = len(x0), h + 4, w + 4
    a, b, c = (v.astype(np.float32) for v in abc)
    dx = (np.arange(-2, w + 2) - x0[:, None]).astype(np.float32)
    dy = (np.arange(-2, h + 2) - y0[:, None]).astype(np.float32)
    u = np.empty((n, hh, 3), np.float32)                # r² = [1, dy, c dy²] · [a dx², 2b dx, 1]
    u[:, :, 0] = 1.0
    u[:, :, 1] = dy
    u[:, :, 2] = c[:, None] * dy * dy
    v = np.empty((n, 3, ww), np.float32)
    v[:, 0] = a[:, None] * dx * dx
    v[:, 1] = (2.0 * b)[:, None] * dx
    v[:, 2] = 1.0
    f = p(np.matmul(u, v)).ravel()
    t = np.empty_like(f)
    t[:2] = t[-2:] = 0.0  # never written by the x pass; read (and discarded) by the y pass
    _filter_flat(f, t, 1)
    _filter_flat(t, f, ww)
    return f.reshape(n, hh, ww)[:, 2:-2, 2:-2]


def _filter_flat(g: np.ndarray, out: np.ndarray, step: int) -> None:
    """out[k] = C0 g[k] + C1 (g[k−s] + g[k+s]) + C2 (g[k−2s] + g[k+2s]) on the flat array (wrapped
    neighbours only reach the two-pixel border, which is discarded)."""
    s = step
    o = out[2 * s:-2 * s]
    np.add(g[s:-3 * s], g[3 * s:-s], out=o)
    o *= np.float32(_C1)
    far = g[:-4 * s] + g[4 * s:]
    far *= np.float32(_C2)
    o += far
    np.multiply(g[2 * s:-2 * s], np.float32(_C0), out=far)
    o += far


def _corner(x0: np.ndarray) -> np.ndarray:
    """Index k of the pixel corner k − ½ nearest to each centre (int64; same rounding as the
    refinement's vertices)."""
    return np.rint(x0 + 0.5).astype(np.int64)


def _radius2_last(dx: np.ndarray, dy: np.ndarray, abc) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Source r² on the outer product of x offsets (..., kx, m, n) and y offsets (..., ky, m, n),
    batch last: result (..., ky, m, kx, m, n)."""
    a, b, c = (v.astype(np.float32) for v in abc)
    dx = dx[..., None, None, :, :, :]
    dy = dy[..., :, :, None, None, :]
    r2 = dy * ((2.0 * b) * dx)
    r2 += (a * dx) * dx
    r2 += (c * dy) * dy
    return r2


def _weighted_nodes(f: np.ndarray) -> np.ndarray:
    """Σ over the 4 × 4 nodes (axes −4 and −2 of (..., m, kx, m, n)) with the Gauss–Legendre
    weights, in a fixed order (BLAS or einsum reductions may round differently with the batch size,
    and a sample must not depend on its batch)."""
    out = np.zeros(f.shape[:-4] + f.shape[-3:-2] + f.shape[-1:], dtype=np.float32)
    for m in range(4):
        for k in range(4):
            out += np.float32(W2[m, k]) * f[..., m, :, k, :]
    return out


def _box(img: np.ndarray, p: Profile, x0, y0, abc, ky: int, kx: int) -> None:  # type: ignore[no-untyped-def]
    """Part 2: 4 × 4 Gauss–Legendre over the box × box pixels around the centre."""
    n, h, w = img.shape
    sx = np.clip(_corner(x0) - kx // 2, 0, w - kx)
    sy = np.clip(_corner(y0) - ky // 2, 0, h - ky)
    xs = np.arange(kx)[:, None, None] + NODES[None, :, None] + (sx - x0)[None, None, :]
    ys = np.arange(ky)[:, None, None] + NODES[None, :, None] + (sy - y0)[None, None, :]
    f = p(_radius2_last(xs.astype(np.float32), ys.astype(np.float32), abc), last=True)
    vals = _weighted_nodes(f)                                               # (ky, kx, n)
    rows = sy[:, None, None] + np.arange(ky)[None, :, None]
    cols = sx[:, None, None] + np.arange(kx)[None, None, :]
    img[np.arange(n)[:, None, None], rows, cols] = vals.transpose(2, 0, 1)


def _level_axis(x0: np.ndarray, nlev: int):  # type: ignore[no-untyped-def]
    """Per level and axis: cell-centre offsets from the centre (L, 4, n), the inner cells (L, 4, n)
    and whether each cell lies in the second pixel of the 2 × 2 block (L, 4, n).

    The level-ℓ block is centred on v_ℓ, the vertex of the grid (½ + ℤ) · 2^{1−ℓ} nearest to the
    centre (v_1 is the nearest pixel corner); its cells have side h = 2^{−ℓ}, and the four inner
    ones touch v_{ℓ+1} ∈ {v_ℓ − h, v_ℓ, v_ℓ + h}.
    """
    spacing = 2.0 ** -np.arange(0, nlev + 1)[:, None]                    # 2^{1−ℓ}, ℓ = 1..L+1
    v = spacing * np.rint((x0 + 0.5) / spacing) - 0.5                      # (L + 1, n)
    hl = spacing[1:]
    cell = np.arange(4)[None, :, None]
    centres = v[:-1, None, :] + hl[:, :, None] * (cell - 1.5)               # (L, 4, n)
    j = np.rint((v[1:] - v[:-1]) / hl)[:, None, :]
    inner = (cell == j + 1) | (cell == j + 2)
    return centres - x0, inner, centres > v[0]


def _cusp(img: np.ndarray, p: Profile, x0: np.ndarray, y0: np.ndarray, abc: Form,
          levels: np.ndarray) -> None:
    """Part 3: nested refinement of the 2 × 2 pixels around the corner nearest the centre."""
    n, h, w = img.shape
    nlev = int(levels.max())
    cx, inx, px = _level_axis(x0, nlev)
    cy, iny, py = _level_axis(y0, nlev)
    hl = 2.0 ** -np.arange(1, nlev + 1)
    node = hl[:, None, None, None] * NODES[None, None, :, None]            # (L, 1, 4, 1)
    dx = (cx[:, :, None, :] + node).astype(np.float32)                     # (L, 4, 4, n)
    dy = (cy[:, :, None, :] + node).astype(np.float32)
    f = p(_radius2_last(dx, dy, abc), last=True)                           # (L, 4, 4, 4, 4, n)
    cells = _weighted_nodes(f).astype(np.float64)                           # (L, 4, 4, n)
    lev = np.arange(1, nlev + 1)[:, None]
    cells *= ((hl * hl)[:, None] * (lev <= levels))[:, None, None, :]
    cells[iny[:, :, None, :] & inx[:, None, :, :] & (lev < levels)[:, None, None, :]] = 0.0
    sel_x = np.stack([~px, px], axis=2).astype(np.float64)                 # (L, 4, 2, n)
    sel_y = np.stack([~py, py], axis=2).astype(np.float64)
    terms = cells[:, :, :, None, None, :] * (sel_y[:, :, None, :, None, :]
                                            * sel_x[:, None, :, None, :, :])   # (L, 4, 4, 2, 2, n)
    # summed one (level, i, j) after another from 0 (a reduction over the outer axis runs in that
    # order): never depends on the block's size or depth
    pix = np.add.reduce(terms.reshape(-1, 2, 2, n), axis=0, initial=0.0)
    kx, ky = _corner(x0), _corner(y0)
    rows = (ky - 1)[:, None, None] + np.arange(2)[None, :, None]
    cols = (kx - 1)[:, None, None] + np.arange(2)[None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)
    ok = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    bidx = np.broadcast_to(np.arange(n)[:, None, None], ok.shape)
    img[bidx[ok], rows[ok], cols[ok]] = pix.transpose(2, 0, 1)[ok]

"""An exact Poisson sampler for images whose pixels share a floor: Poisson(b) + Poisson(λ − b).

Shot noise on a sky image is Poisson of (sky + sources) per pixel. Poisson variables add, so a
pixel of mean λ ≥ b is drawn exactly as ``Poisson(b) + Poisson(λ − b)`` with the two parts
independent. :func:`poisson_split` takes b as each image's smallest mean. The shared part comes
from a per-image inverse-CDF table (:func:`shared_poisson`: 53 random bits per pixel, a guide-table
lookup and, rarely, a step or two along the CDF, all in integers); the remainder, non-zero only on
the sources, from :func:`small_poisson` (sequential inverse CDF) where it is at most 10 and from
``rng.poisson`` where it is larger.

Exactness: each draw is the inverse CDF of the Poisson law at a 53-bit uniform, with the CDF in
double precision. The shared table holds P(X ≤ k) for k within ±(7√b + 10) of b, normalised to the
in-table mass P(lo ≤ X ≤ hi) from ``scipy.special.pdtr`` (the regularised incomplete gamma
function); a uniform falling outside the table (probability < 1e-12) is inverted by
``scipy.stats.poisson.ppf``.

References: Chen & Asau (1974), "On generating random variates from an empirical distribution"
(guide tables); Devroye (1986), *Non-Uniform Random Variate Generation*, §X.3 (Poisson by
sequential inversion).
"""

from __future__ import annotations

import math

import numpy as np

TABLE_MAX = 1e6      # larger shared means (wider tables) are left to the per-pixel part
TABLE_SIGMAS, TABLE_PAD = 7.0, 10.0   # the table spans mean ± (7 √mean + 10)
SMALL_MAX = 10.0     # per-pixel means above this go to rng.poisson (PTRS)
GUIDE_PER_ENTRY = 4  # guide cells per CDF entry: about 1 draw in 4 walks the CDF
BLOCK_PIXELS = 1 << 16
_BITS = 53
_ONE = float(2**_BITS)


def poisson_split(lam: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exact Poisson counts (int64, shape of ``lam``) of means ``lam`` (float64 (B, ...), >= 0).

    The first axis indexes images; each image's smallest mean is drawn by table, the rest per
    pixel. The stream consumed depends only on ``lam``'s values and shape.
    """
    b = lam.shape[0]
    flat = lam.reshape(b, -1)
    out = np.empty(flat.shape, dtype=np.int64)
    per = max(1, BLOCK_PIXELS // max(flat.shape[1], 1))
    for s in range(0, b, per):                   # blocks of images: temporaries stay in cache
        out[s:s + per] = _split_block(flat[s:s + per], rng)
    return out.reshape(lam.shape)


def _split_block(lam: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    base = lam.min(axis=1) if lam.shape[1] else np.zeros(lam.shape[0])
    base = np.where(base <= TABLE_MAX, base, 0.0)
    counts = shared_poisson(base, lam.shape[1], rng).ravel()
    rest = lam - base[:, None]                   # >= 0: each image's minimum was subtracted
    rest = rest.ravel()
    big = np.flatnonzero(rest > SMALL_MAX)
    counts[big] += rng.poisson(rest[big])
    rest[big] = 0.0
    nonzero = np.count_nonzero(rest)
    if 2 * nonzero < rest.size:                  # sparse sources: draw only where they are
        where = np.flatnonzero(rest)
        counts[where] += small_poisson(rest[where], rng)
    else:
        counts += small_poisson(rest, rng)
    return counts.reshape(lam.shape)


def small_poisson(mean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exact Poisson draws (int64) of means ``mean`` (float64, each in [0, SMALL_MAX]) by
    sequential inverse CDF: the smallest k with u < P(X ≤ k), the CDF summed term by term."""
    u = rng.random(mean.size)
    term = np.exp(-mean)
    todo = np.flatnonzero(u >= term)             # X = 0 unless u >= P(X = 0)
    out = np.zeros(mean.size, dtype=np.int64)
    u, cdf, term, lam, k = u[todo], term[todo], term[todo], mean[todo], 1
    while todo.size:                             # expected steps: the mean; at most ~45
        term = term * lam / k
        cdf += term
        out[todo] = k
        go = u >= cdf
        if k > 60 or not go.any():               # 1 − P(X ≤ 60 | 10) < 1e-25: float noise only
            break
        todo, u, cdf, term, lam, k = todo[go], u[go], cdf[go], term[go], lam[go], k + 1
    return out


def shared_poisson(mean: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` exact Poisson draws of mean ``mean[i]`` for each row i (int64 (B, size)), by
    inverse CDF with a guide table per row (``mean`` float64 (B,), each in [0, TABLE_MAX]).

    A draw whose guide cell holds a single value takes it (one lookup); the others walk the CDF
    from the cell's first candidate, in integers (u · 2^53 against ⌈2^53 · CDF⌉)."""
    means, which = np.unique(mean, return_inverse=True)   # images of one sky share a table
    top, value, guide, direct, m = _tables(means)
    rows = which.astype(np.uint64)[:, None]
    raw = rng.bit_generator.random_raw((mean.size, size))    # 64 random bits per draw
    cell = raw >> np.uint64(64 - m.bit_length() + 1)          # floor(u · M), u = top 53 bits
    cell += rows * np.uint64(m)
    cell = cell.view(np.int64).ravel()
    out = direct.ravel()[cell]
    slow = np.flatnonzero(out < 0)                # a cell straddling a CDF step, or a tail
    bits = (raw.ravel()[slow] >> np.uint64(64 - _BITS)).view(np.int64)   # u · 2^53, an integer
    row = which[slow // size]
    idx = guide.ravel()[cell[slow] + row] + row * top.shape[1]
    todo = np.flatnonzero(top.ravel()[idx] <= bits)
    while todo.size:                             # walk up the CDF: rarely more than a step
        idx[todo] += 1
        todo = todo[top.ravel()[idx[todo]] <= bits[todo]]
    got = value.ravel()[idx]
    tail = np.flatnonzero(got < 0)
    if tail.size:                                # outside the table: invert the CDF directly
        from scipy import stats

        got[tail] = stats.poisson.ppf(bits[tail] / _ONE, means[row[tail]])
    out[slow] = got
    return out.reshape(mean.size, size)


def _tables(mean: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Per row i, padded to one length K: the CDF entries P(X ≤ lo_i − 1 + e), e = 0 … K − 2, then
    a sentinel, as integers ⌈2^53 · CDF⌉ (int64 (B, K); u < CDF iff u · 2^53 < that); the value of
    each entry (int64 (B, K): lo_i − 1 + e inside the table, −1 for the tails e = 0 and k > hi_i);
    the guide table (int64 (B, M + 1)): cell j holds the number of entries with CDF <= j/M; the
    value of each cell that no CDF step crosses (int64 (B, M); −2 where one does); and M (a power
    of two)."""
    from scipy.special import pdtr

    half = np.ceil(TABLE_SIGMAS * np.sqrt(mean) + TABLE_PAD)
    lo = np.maximum(np.floor(mean) - half, 0).astype(np.int64)[:, None]
    hi = np.floor(mean).astype(np.int64)[:, None] + half.astype(np.int64)[:, None]
    width = int((hi - lo).max(initial=0)) + 1
    ks = lo - 1 + np.arange(width + 2)[None, :]
    inside = (ks >= lo) & (ks <= hi)
    with np.errstate(divide="ignore"):           # log(0) = −inf for a zero mean: p = 0 beyond 0
        step = np.log(mean[:, None] / np.maximum(ks, 1))     # log p_k − log p_{k−1}
    step[~inside] = 0.0
    step[:, :2] = 0.0
    logp = np.cumsum(step, axis=1)               # log p_k − log p_lo, summed from small terms
    logp -= np.where(inside, logp, -np.inf).max(axis=1, keepdims=True)
    p = np.where(inside, np.exp(logp), 0.0)
    below = np.where(lo[:, 0] > 0, pdtr(np.maximum(lo[:, 0] - 1, 0), mean), 0.0)   # P(X < lo)
    mass = pdtr(hi[:, 0], mean) - below          # P(lo ≤ X ≤ hi)
    p *= (mass / p.sum(axis=1))[:, None]
    cdf = below[:, None] + np.cumsum(p, axis=1)
    cdf[ks > hi] = 1.0                           # beyond this row's table: u < 1 stops here
    cdf[:, -1] = 2.0                             # sentinel
    top = np.ceil(cdf * _ONE).astype(np.int64)   # exact: scaling by a power of two
    value = np.where(inside, ks, -1)
    m = 1 << max(4, math.ceil(math.log2(GUIDE_PER_ENTRY * width)))
    first = np.minimum(np.ceil(cdf * m), m + 1).astype(np.int64)   # CDF <= j/M iff first <= j
    first += np.arange(mean.size)[:, None] * (m + 2)
    counts = np.bincount(first.ravel(), minlength=mean.size * (m + 2)).reshape(mean.size, m + 2)
    guide = np.cumsum(counts, axis=1)[:, :m + 1]
    single = guide[:, 1:] == guide[:, :-1]       # no CDF entry inside the cell: one value
    first_value = np.take_along_axis(value, np.minimum(guide[:, :-1], value.shape[1] - 1), axis=1)
    direct = np.where(single, first_value, -2)
    return top, value, guide, direct, m

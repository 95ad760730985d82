"""Exact Poisson shot noise for images on a floor (a sky): Poisson(b) + Poisson(λ − b).

Shot noise on a sky image is Poisson of (sky + sources) per pixel. Poisson variables add, so a
pixel of mean λ ≥ b is drawn exactly as ``Poisson(b) + Poisson(λ − b)`` with the two parts
independent. :func:`shot_noise` takes b as each image's smallest mean (its floor) and draws

1. the floor part of every pixel by inverse CDF from a guide table per distinct floor
   (:class:`Tables`; floors above ``TABLE_MAX``, or whose tables would exceed ``TABLE_ENTRIES``
   together, are taken as 0 and their images drawn per pixel): 32 random bits per pixel pick
   one of M cells (M a power of two); a cell that no CDF step crosses holds its value k / gain
   (one lookup, written straight into the output); the others (about 0.5 % of the draws for a
   sky of 400 e⁻) draw 21 more bits and find their entry by bisection between the cell's guide
   bounds, in integers (a 53-bit u · 2^53 against ⌈2^53 · CDF⌉);
2. the remainder s = λ − b, non-zero only where sources are, per pixel with ``rng.poisson`` where
   s ≥ ``FAINT``; the fainter pixels (PSF wings, FFT round-off) together as one unit-rate Poisson
   process on the line where they lie end to end (interval i of length s_i; exponential spacings):
   its counts in disjoint intervals are independent Poisson(s_i), so each pixel gets exactly its
   own law, at a cost proportional to the number of counts rather than of pixels. A source pixel's
   floor count k is read back exactly from the stored k / gain (k < 2^23), and the output is
   (k + source count) / gain rounded once to the output dtype.

Images are drawn in blocks of ``BLOCK_PIXELS`` so that temporaries stay in cache; Gaussian read
noise (:func:`normal`) is added block by block from its own stream.

Exactness: each table draw is the inverse CDF of the Poisson law at a 53-bit uniform, with the CDF
in double precision. The table holds P(X ≤ k) for k within ±(7√b + 10) of b, normalised to the
in-table mass P(lo ≤ X ≤ hi) from ``scipy.special.pdtr`` (the regularised incomplete gamma
function); a uniform falling outside the table (probability < 1e-12) is inverted by
``scipy.stats.poisson.ppf``. The only approximation is float64 rounding (of the CDF, and of the
cumulative sums that place the faint intervals: ~1e-16 of a block's faint total, far below the
float32 rounding of the input image itself), the same any sampler driven by float64 uniforms makes.

References: Chen & Asau (1974), "On generating random variates from an empirical distribution"
(guide tables); Devroye (1986), *Non-Uniform Random Variate Generation*, §I.2 (inversion) and
§VI.1 (Poisson processes by exponential spacings).
"""

from __future__ import annotations

import math

import numpy as np

TABLE_MAX = 1e6      # larger floors (wider tables) are left to the per-pixel part
TABLE_SIGMAS, TABLE_PAD = 7.0, 10.0   # the table spans mean ± (7 √mean + 10)
CELLS_PER_ENTRY = 64  # guide cells per CDF entry (at most MAX_CELLS, and one per 16 pixels)
MAX_CELLS = 1 << 20
TABLE_ENTRIES = 1 << 21  # CDF entries of all tables together (distinct floors × widest table)
FAINT = 0.5          # remainders below this (in counts) go to the Poisson process
BLOCK_PIXELS = 1 << 17
_BITS = 53
_ONE = float(2**_BITS)


def shot_noise(x: np.ndarray, gain: float, rng: np.random.Generator, sigma: float = 0.0,
               read_rng: np.random.Generator | None = None) -> np.ndarray:
    """``Poisson(max(x, 0) · gain) / gain``, exact, in ``x``'s dtype and shape, plus Gaussian read
    noise of standard deviation ``sigma`` (output units) drawn from ``read_rng`` if ``sigma`` > 0.

    ``x`` (float32 or float64, (B, ...); a 1-D array is one image) holds the means in output units;
    the first axis indexes images, each drawn on its own floor. The random streams consumed depend
    only on ``x``'s values and shape (``rng``'s not on ``sigma``).

    Raises
    ------
    ValueError
        If ``x`` holds NaN, or a mean (× gain) beyond what ``rng.poisson`` accepts.
    """
    if sigma > 0 and read_rng is None:
        raise ValueError("read_rng: got None; expected a Generator for read noise of sigma > 0")
    if x.size == 0:
        return np.empty(x.shape, dtype=x.dtype)
    flat = x.reshape(x.shape[0], -1) if x.ndim >= 2 else x.reshape(1, -1)
    b, p = flat.shape
    out = np.empty(flat.shape, dtype=x.dtype)
    floor = flat.min(axis=1)
    if np.isnan(floor).any():
        raise ValueError("x: got NaN; expected Poisson means >= 0 (NaN is not a mean)")
    floor = np.maximum(floor, 0)
    base = floor.astype(np.float64) * gain
    big = ~(base <= _table_limit(base))
    floor[big], base[big] = 0, 0.0               # beyond the tables: every pixel per pixel
    tables = Tables(base, min(MAX_CELLS, max(16, flat.size // 16)), gain, x.dtype)
    per = max(1, BLOCK_PIXELS // p)
    for s in range(0, b, per):                   # blocks of images: temporaries stay in cache
        e = min(s + per, b)
        block = out[s:e].reshape(-1)
        tables.draw(s, e, p, rng, block)         # the floor part, k / gain
        src, rest = _remainders(flat[s:e], floor[s:e], base[s:e], gain)
        if src.size:                             # k recovered exactly: k < 2^23, 1 ulp << 1/2
            k = np.rint(block[src].astype(np.float64) * gain)
            k += _source_counts(rest, rng)
            k /= gain
            block[src] = k
        if sigma > 0:
            block += normal(block.size, sigma, read_rng, block.dtype)
    return out.reshape(x.shape)


def _table_limit(base: np.ndarray) -> float:
    """The largest floor given a table: at most TABLE_MAX, and the tables of the distinct floors up
    to it (padded to the widest) hold at most TABLE_ENTRIES CDF entries; larger floors are drawn
    per pixel."""
    means = np.unique(base[base <= TABLE_MAX])
    widths = 2.0 * np.ceil(TABLE_SIGMAS * np.sqrt(means) + TABLE_PAD) + 3.0
    fits = np.arange(1, means.size + 1) * widths <= TABLE_ENTRIES   # a prefix: both grow
    return float(means[fits][-1]) if fits.any() else -1.0


def normal(size: int, sigma: float, rng: np.random.Generator, dtype: type) -> np.ndarray:
    """``size`` draws of N(0, sigma²) in ``dtype`` by the Box–Muller transform: pairs
    (ρ cos θ, ρ sin θ) with ρ = sigma √(−2 ln(1 − U)) from a 53-bit uniform U (float64; so the
    largest |z| is 8.6 sigma, beyond which the normal holds 1e-17) and θ = 2π V from a 24-bit
    uniform V, the cosine and sine in float32 (the resolution of NumPy's float32 normals)."""
    half = (size + 1) // 2
    rho = rng.random(half)
    np.subtract(1.0, rho, out=rho)
    np.log(rho, out=rho)
    np.multiply(rho, -2.0 * sigma * sigma, out=rho)
    np.sqrt(rho, out=rho)
    theta = rng.random(half, dtype=np.float32)
    np.multiply(theta, np.float32(2.0 * math.pi), out=theta)
    z = np.empty(2 * half, dtype=dtype)
    np.cos(theta, out=z[:half])
    np.sin(theta, out=z[half:])
    np.multiply(z[:half], rho, out=z[:half], casting="same_kind")
    np.multiply(z[half:], rho, out=z[half:], casting="same_kind")
    return z[:size]


def _remainders(x: np.ndarray, floor: np.ndarray, base: np.ndarray, gain: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the pixels above their image's floor, and their remainders λ − b (float64)."""
    src = np.flatnonzero(x > floor[:, None].astype(x.dtype))
    lam = x.ravel()[src].astype(np.float64)
    lam *= gain
    lam -= base[src // x.shape[1]]
    return src, lam


def _source_counts(rest: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exact Poisson counts (float64) of means ``rest`` (float64 >= 0): ``rng.poisson`` for the
    bright ones, one Poisson process along the faint ones laid end to end."""
    out = np.zeros(rest.size)
    bright = rest >= FAINT
    idx = np.flatnonzero(bright)
    out[idx] = rng.poisson(rest[idx])
    idx = np.flatnonzero(~bright)
    if idx.size:
        edges = np.cumsum(rest[idx])
        points = _process(float(edges[-1]), rng)
        out[idx] = np.bincount(np.searchsorted(edges, points, side="right"), minlength=idx.size)
    return out


def _process(length: float, rng: np.random.Generator) -> np.ndarray:
    """Points of a unit-rate Poisson process on [0, length) (float64, increasing), by cumulative
    exponential spacings drawn in batches of the expected number plus a margin."""
    size = int(length + 6.0 * math.sqrt(length)) + 16
    points = np.cumsum(rng.standard_exponential(size))
    while points[-1] < length:                   # rare: the margin ran out
        more = np.cumsum(rng.standard_exponential(size))
        more += points[-1]
        points = np.concatenate([points, more])
    return points[:np.searchsorted(points, length)]


class Tables:
    """Inverse-CDF guide tables of the Poisson laws of ``mean`` (float64 (B,), each in
    [0, TABLE_MAX]; one table per distinct value) with at most ``budget`` cells in all; draws are
    returned as k / ``gain`` in ``dtype``."""

    def __init__(self, mean: np.ndarray, budget: int, gain: float = 1.0,
                 dtype: type = np.float32):
        self.means, self.which = np.unique(mean, return_inverse=True)
        self.which = self.which.reshape(-1)
        self.gain = gain
        half = np.ceil(TABLE_SIGMAS * np.sqrt(self.means) + TABLE_PAD)
        width = int(2 * half.max(initial=0.0)) + 1
        share = max(16, budget // max(self.means.size, 1))
        cells = min(CELLS_PER_ENTRY * width, share)
        self.bits = max(4, min(32, math.ceil(math.log2(cells))))
        self.top, self.value, self.guide, direct = _tables(self.means, 1 << self.bits)
        self.direct = np.where(direct >= 0, direct / gain, -1.0).astype(dtype).ravel()

    def draw(self, start: int, stop: int, size: int, rng: np.random.Generator,
             out: np.ndarray) -> None:
        """``size`` draws for each of the rows ``start:stop`` into ``out`` (flat (n · size,)), as
        k / gain: 32 random bits each, two per 64-bit word of the generator."""
        n, m = stop - start, self.bits
        k = n * size
        words = rng.bit_generator.random_raw((k + 1) // 2).view(np.uint32)[:k]
        cells = np.right_shift(words, np.uint32(32 - m)).astype(np.intp)
        rows = self.which[start:stop]
        if self.means.size > 1:
            cells.reshape(n, size)[...] += (rows << m)[:, None]
        np.take(self.direct, cells, out=out, mode="wrap")   # every cell is in range
        slow = np.flatnonzero(out < 0)           # a cell a CDF step crosses, or a tail
        if slow.size:
            out[slow] = self._walk(words[slow], rows[slow // size], rng) / self.gain

    def _walk(self, words: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Inverse CDF at u = (word, 21 fresh bits) / 2^53: the first CDF entry above u, by
        bisection between the word's guide cell's bounds (all draws at once)."""
        fresh = rng.bit_generator.random_raw(words.size) >> np.uint64(64 - (_BITS - 32))
        bits = ((words.astype(np.uint64) << np.uint64(_BITS - 32)) | fresh).view(np.int64)
        cell = (words >> np.uint32(32 - self.bits)).astype(np.intp)
        lo, hi = self.guide[rows, cell], self.guide[rows, cell + 1]    # the answer is in [lo, hi]
        top = self.top.ravel()
        offset = rows * self.top.shape[1]
        while True:
            todo = np.flatnonzero(lo < hi)
            if not todo.size:
                break
            mid = (lo[todo] + hi[todo]) >> 1
            up = top[offset[todo] + mid] <= bits[todo]
            lo[todo] = np.where(up, mid + 1, lo[todo])
            hi[todo] = np.where(up, hi[todo], mid)
        idx = lo + offset
        got = self.value.ravel()[idx]
        tail = np.flatnonzero(got < 0)
        if tail.size:                            # outside the table: invert the CDF directly
            from scipy import stats

            got[tail] = stats.poisson.ppf(bits[tail] / _ONE, self.means[rows[tail]])
        return got


def _tables(mean: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row i, padded to one length K: the CDF entries P(X ≤ lo_i − 1 + e), e = 0 … K − 2, then
    a sentinel, as integers ⌈2^53 · CDF⌉ (int64 (B, K); u < CDF iff u · 2^53 < that); the value of
    each entry (int64 (B, K): lo_i − 1 + e inside the table, −1 for the tails e = 0 and k > hi_i);
    the guide table (int64 (B, M + 1)): cell j holds the number of entries with CDF <= j/M, the
    first candidate for a u in [j/M, (j + 1)/M) (and cell j + 1 the last); and the value of each
    of the M cells that no CDF step crosses (int64 (B, M); −2 where one does)."""
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
    first = np.minimum(np.ceil(cdf * m), m + 1).astype(np.int64)   # CDF <= j/M iff first <= j
    first += np.arange(mean.size)[:, None] * (m + 2)
    counts = np.bincount(first.ravel(), minlength=mean.size * (m + 2)).reshape(mean.size, m + 2)
    guide = np.cumsum(counts, axis=1)[:, :m + 1]
    single = guide[:, 1:] == guide[:, :-1]       # no CDF entry inside the cell: one value
    first_value = np.take_along_axis(value, np.minimum(guide[:, :-1], value.shape[1] - 1), axis=1)
    direct = np.where(single, first_value, -2)
    return top, value, guide, direct

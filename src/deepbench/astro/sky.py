"""``scenes.sky``: stars and Sérsic galaxies seen through a PSF on a sky background, with a catalogue.

Generative process per image (counts, positions and shapes drawn in the ``simulate`` stage):

1. the numbers of stars and galaxies are the parameters ``n_stars`` and ``n_galaxies`` (rounded),
   or Poisson draws with those means (``config.counts: poisson``);
2. positions are uniform over the image, or given (``config.positions``: one [cx, cy] offset from
   the image centre per object, stars first, the same in every image); star and galaxy fluxes
   log-uniform in their configured ranges; galaxies get a Sérsic index, half-light radius
   (uniform), axis ratio (uniform in [q_min, 1]) and a uniform position angle;
3. each object is drawn on its own stamp of ``stamp_px`` × ``stamp_px`` pixels around its nearest
   pixel, as exact pixel integrals (:mod:`deepbench.astro.render`). The PSF (``psf_fwhm``,
   ``psf_beta``) is a per-sample parameter, stored as a label. A star is the pixel-integrated PSF
   itself; a galaxy stamp is convolved with its sample's PSF kernel (the pixel-integrated PSF on
   ±⌈4 FWHM⌉ px, normalised to unit sum) by batched real FFTs (one FFT size per kernel size), so
   galaxy images carry one extra pixel-box blur (1/12 px² in each second moment) that stars do not;
4. stamps are added onto the canvas, clipped at its edges; the sky level (counts per pixel) is
   added everywhere. This is the noise-free image (``clean/image`` when noise is configured).

Shot noise and read noise are observation noise (``obs_noise: {image: {kind: poisson_gaussian,
gain: …, sigma: …}}``): counts × gain electrons are Poisson-drawn exactly, divided by the gain, and
Gaussian read noise is added. Light beyond a stamp is not drawn; the catalogue says exactly what
the image holds: ``flux`` is each object's total flux, ``flux_in_image`` the sum of its own
noise-free contribution to the image's pixels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from deepbench.astro.profiles import Profile, g_from_q_angle
from deepbench.astro.render import render
from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import ImageSimulator, SimResult
from deepbench.errors import Problem, SpecError

STAR, GALAXY = 0, 1
PSF_BETA = 3.5  # the Moffat index passed along when the PSF is Gaussian (unused there)
BLOCK = 64  # images drawn together
STAMP_BLOCK = 64  # stamps filtered together by the renderer (its default, 16, suits 64 x 64)


class Sky(ImageSimulator):
    """Stars and galaxies through a PSF on a sky background; per-object catalogue."""

    name = "scenes.sky"
    version = 3  # 2: PSF parameters are labels (were config.psf_fwhm, psf_beta); config.positions
    # 3: galaxy stamps clipped at 0 after the PSF FFT; float32 sum of stamps; default Poisson
    # sampler table
    summary = "sky image: stars and Sérsic galaxies, PSF, sky background, catalogue (+ segmentation)"
    params = (
        Param("n_stars", 3, "", "number of stars (the Poisson mean with config.counts: poisson)",
              low=0, high=1000),
        Param("n_galaxies", 2, "", "number of galaxies (the Poisson mean with config.counts: "
              "poisson)", low=0, high=1000),
        Param("sky", 100.0, "counts", "sky background per pixel (counts, i.e. ADU)", low=0.0,
              high=1e9),
        Param("psf_fwhm", 3.0, "px", "PSF full width at half maximum (no wider than the image)",
              low=0.5, high=1024.0),
        Param("psf_beta", 3.5, "", "Moffat index β of the PSF (> 1; the wings fall as r^-2β)",
              low=1.0, open_low=True, high=100.0),
    )
    settings = (
        Setting("height", 128, "image height in pixels (rows)", int, low=8, high=8192, unit="px"),
        Setting("width", 128, "image width in pixels (columns)", int, low=8, high=8192, unit="px"),
        Setting("counts", "fixed", "fixed: n_stars, n_galaxies rounded; poisson: Poisson draws "
                "with those means (simulate stage)", str, choices=("fixed", "poisson")),
        Setting("psf", "moffat", "PSF profile: moffat or gaussian", str,
                choices=("moffat", "gaussian")),
        Setting("positions", (), "empty: positions uniform over the image; else one [cx, cy] "
                "offset from the image centre per object (stars first, then galaxies), the same "
                "in every image (needs counts: fixed and n_stars + n_galaxies = their number)",
                tuple, unit="px"),
        Setting("stamp_px", 32, "side of each object's stamp (even); light beyond it is not drawn",
                int, low=8, high=1024, unit="px"),
        Setting("star_flux", (1e2, 1e5), "star fluxes, log-uniform in [low, high]", tuple,
                unit="counts"),
        Setting("galaxy_flux", (3e2, 3e5), "galaxy fluxes, log-uniform in [low, high]", tuple,
                unit="counts"),
        Setting("r_half", (1.0, 5.0), "galaxy half-light radii (circularised), uniform", tuple,
                unit="px"),
        Setting("sersic_index", (0.5, 4.0), "galaxy Sérsic indices, uniform in [0.3, 8]", tuple),
        Setting("q_min", 0.3, "smallest galaxy axis ratio b/a (uniform in [q_min, 1])", float,
                low=0.05, high=1.0),
        Setting("segmentation", False, "also output a segmentation map: per pixel the 1-based slot "
                "of the object contributing most flux, 0 where none contributes > seg_threshold",
                bool),
        Setting("seg_threshold", 1.0, "smallest contribution that claims a pixel", float, low=0.0,
                high=1e12, unit="counts"),
    )

    # -- declaration --------------------------------------------------------------------------------
    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        problems = []
        if config["stamp_px"] % 2:
            problems.append(Problem(f"{path}.stamp_px", config["stamp_px"], "an even number"))
        ranges = {"star_flux": (0.0, math.inf, True), "galaxy_flux": (0.0, math.inf, True),
                  "r_half": (0.05, 4096.0, False), "sersic_index": (0.3, 8.0, False)}
        for key, (lo, hi, positive) in ranges.items():
            v = config[key]
            ok = (len(v) == 2 and all(isinstance(x, int | float) for x in v) and lo <= v[0] <= v[1]
                  <= hi and (not positive or v[0] > 0))
            if not ok:
                what = f"[low, high] with {'0 < ' if positive else f'{lo} <= '}low <= high"
                problems.append(Problem(f"{path}.{key}", list(v),
                                        what + ("" if math.isinf(hi) else f" <= {hi}")))
        return problems + _position_problems(config, path)

    def check_params(self, params: Mapping[str, np.ndarray]) -> list[Problem]:
        """A PSF no wider than the image; given positions need one object per position."""
        problems = []
        side = min(self.shape)
        wide = np.flatnonzero(~(params["psf_fwhm"] <= side))
        if wide.size:
            problems.append(Problem("params.psf_fwhm", float(params["psf_fwhm"][wide[0]]),
                                    f"a PSF no wider than the image ({side} px)"))
        given = len(self.config["positions"])
        if given:
            total = np.rint(params["n_stars"]) + np.rint(params["n_galaxies"])
            off = np.flatnonzero(total != given)
            if off.size:
                i = int(off[0])
                problems.append(Problem("params.n_stars, params.n_galaxies",
                                        (float(params["n_stars"][i]),
                                         float(params["n_galaxies"][i])),
                                        f"n_stars + n_galaxies = {given}, the number of "
                                        "config.positions"))
        return problems

    def inactive(self) -> dict[str, str]:
        if self.config["psf"] == "gaussian":
            return {"psf_beta": "it is the Moffat index; config.psf is gaussian"}
        return {}

    @property
    def stochastic(self) -> bool:
        return True

    def outputs(self) -> tuple[Output, ...]:
        out = [Output("image", self.shape, "float32", "counts",
                      "pixel-integrated stars and galaxies through the PSF, plus the sky")]
        if self.config["segmentation"]:
            out.append(Output("segmentation", self.shape, "int32", "",
                              "1-based slot of the object contributing most to the pixel "
                              "(catalogue row order within the image); 0: none", noisy=False))
        return tuple(out)

    def catalog_columns(self) -> tuple[Output, ...]:
        return (
            Output("kind", (), "int64", "", "0 star, 1 galaxy"),
            Output("x", (), "float64", "px", "centre x in pixel coordinates (column)"),
            Output("y", (), "float64", "px", "centre y in pixel coordinates (row)"),
            Output("flux", (), "float64", "counts", "total flux over the whole plane"),
            Output("flux_in_image", (), "float64", "counts",
                   "sum of the object's own noise-free contribution to the image"),
            Output("r_half", (), "float64", "px", "half-light radius before the PSF (0: star)"),
            Output("sersic_index", (), "float64", "", "Sérsic index (0: star)"),
            Output("g1", (), "float64", "", "reduced shear g1 (0: star)"),
            Output("g2", (), "float64", "", "reduced shear g2 (0: star)"),
            Output("bbox", (4,), "float64", "px", "x_min, y_min, x_max, y_max: centre ± (1.5 PSF "
                   "FWHM for a star; 2 r_half/√q + FWHM for a galaxy), clipped to the image"),
        )

    # -- the physics ---------------------------------------------------------------------------------
    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        problems = self.check_params(params)
        if problems:  # the pipeline checked before any work; this guards direct calls
            raise SpecError(problems)
        h, w = self.shape
        cat = self._draw_objects(params, rng)
        b = params["sky"].size
        canvas = np.empty((b, h, w), dtype=np.float32)
        seg = np.zeros((b, h, w), dtype=np.int32) if self.config["segmentation"] else None
        cat["flux_in_image"] = np.zeros(cat["x"].size)
        bounds = np.searchsorted(cat["sample_index"], np.arange(0, b + BLOCK, BLOCK))
        sky = params["sky"].astype(np.float32)
        scratch: dict[tuple[int, ...], np.ndarray] = {}   # padded canvases, reused across blocks
        for k, start in enumerate(range(0, b, BLOCK)):   # blocks of images bound the memory
            stop = min(start + BLOCK, b)
            rows = slice(bounds[k], bounds[k + 1])
            part = {key: v[rows] for key, v in cat.items()}
            part["sample_index"] = part["sample_index"] - start
            self._draw_block(part, canvas[start:stop], sky[start:stop],
                             None if seg is None else seg[start:stop], scratch)
            cat["flux_in_image"][rows] = part["flux_in_image"]
        cat["bbox"] = self._bbox(cat)
        del cat["psf_fwhm"], cat["psf_beta"]
        outputs = {"image": canvas}
        if seg is not None:
            outputs["segmentation"] = seg
        return SimResult(outputs, {}, cat)

    def _draw_block(self, cat: dict[str, np.ndarray], canvas: np.ndarray, sky: np.ndarray,
                    seg: np.ndarray | None, scratch: dict[tuple[int, ...], np.ndarray]) -> None:
        """Draw the objects ``cat`` (sample_index relative to the block) and the sky onto
        ``canvas``: stamps are added, layer by layer, into a canvas padded by the largest overhang
        (so no stamp is clipped), whose inside then becomes the image."""
        b, h, w = canvas.shape
        groups = [(st, o, sel, _intersects(o, st.shape[1], self.shape))
                  for st, o, sel in self._stamps(cat)]
        pad = max([_overhang(o[hit], st.shape[1], self.shape) for st, o, _, hit in groups] + [0])
        shape = (b, h + 2 * pad, w + 2 * pad)
        if shape in scratch:                     # zeroing mapped pages beats fresh ones
            buf = scratch[shape]
            buf.fill(0.0)
        else:
            scratch.clear()
            buf = scratch.setdefault(shape, np.zeros(shape, dtype=np.float32))
        layers = _Layers(buf, None if seg is None else self.config["seg_threshold"])
        first = np.searchsorted(cat["sample_index"], cat["sample_index"])  # each image's 1st row
        for stamps, origins, sel, hit in groups:
            cat["flux_in_image"][sel] = _in_image(stamps, origins, self.shape)
            if not hit.all():
                stamps, origins, sel = stamps[hit], origins[hit], sel[hit]
            layers.add(stamps, origins + pad, cat["sample_index"][sel], sel - first[sel] + 1)
        np.add(buf[:, pad:pad + h, pad:pad + w], sky[:, None, None], out=canvas)
        if seg is not None:
            seg[...] = layers.ids[:, pad:pad + h, pad:pad + w]

    def _draw_objects(self, params: Mapping[str, np.ndarray], rng: np.random.Generator
                      ) -> dict[str, np.ndarray]:
        cfg = self.config
        h, w = self.shape
        if cfg["counts"] == "poisson":
            n_star, n_gal = rng.poisson(params["n_stars"]), rng.poisson(params["n_galaxies"])
        else:
            n_star = np.rint(params["n_stars"]).astype(np.int64)
            n_gal = np.rint(params["n_galaxies"]).astype(np.int64)
        counts = n_star + n_gal
        sample = np.repeat(np.arange(counts.size), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        slot = np.arange(sample.size) - first
        kind = np.where(slot < n_star[sample], STAR, GALAXY)
        r = sample.size
        if cfg["positions"]:   # given offsets from the image centre, slot by slot
            given = np.asarray(cfg["positions"], dtype=np.float64)
            x, y = given[slot, 0] + (w - 1) / 2, given[slot, 1] + (h - 1) / 2
        else:
            x, y = rng.uniform(-0.5, w - 0.5, r), rng.uniform(-0.5, h - 0.5, r)
        lo = np.where(kind == STAR, cfg["star_flux"][0], cfg["galaxy_flux"][0])
        hi = np.where(kind == STAR, cfg["star_flux"][1], cfg["galaxy_flux"][1])
        flux = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        gal = kind == GALAXY
        r_half = np.where(gal, rng.uniform(*cfg["r_half"], r), 0.0)
        n = np.where(gal, rng.uniform(*cfg["sersic_index"], r), 0.0)
        g1, g2 = g_from_q_angle(rng.uniform(cfg["q_min"], 1.0, r), rng.uniform(0, math.pi, r))
        return {"sample_index": sample, "kind": kind.astype(np.int64), "x": x, "y": y,
                "flux": flux, "r_half": r_half, "sersic_index": n, "g1": np.where(gal, g1, 0.0),
                "g2": np.where(gal, g2, 0.0), "psf_fwhm": params["psf_fwhm"][sample],
                "psf_beta": params["psf_beta"][sample] if "psf_beta" in params
                else np.full(r, PSF_BETA)}

    def psf_kernel(self, fwhm: float = 3.0, beta: float = 3.5) -> np.ndarray:
        """The PSF kernel (float32 (K, K), K odd, centred, unit sum) of one FWHM (px) and Moffat β:
        the pixel-integrated PSF on ±4 FWHM (at most the image's longer side)."""
        return psf_kernels(self.config["psf"], np.array([fwhm], dtype=np.float64),
                           np.array([beta], dtype=np.float64), max(self.shape))[0]

    def _stamps(self, cat: dict[str, np.ndarray]
                ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Stars, then galaxies (grouped by PSF kernel size): stamps with flux (float32 (R, T, T)),
        their origins (R, 2) (x, y) and the catalogue rows they belong to."""
        cfg = self.config
        s = cfg["stamp_px"]
        origin = np.stack([np.rint(cat["x"]) - s // 2, np.rint(cat["y"]) - s // 2], axis=1)
        local_x, local_y = cat["x"] - origin[:, 0], cat["y"] - origin[:, 1]
        out = []
        star = np.flatnonzero(cat["kind"] == STAR)
        gal = np.flatnonzero(cat["kind"] == GALAXY)
        if star.size:
            prof = Profile(cfg["psf"], {"fwhm": cat["psf_fwhm"][star],
                                        "beta": cat["psf_beta"][star]})
            zero = np.zeros(star.size)
            img = render(prof, local_x[star], local_y[star], zero, zero, (s, s), block=STAMP_BLOCK)
            img *= cat["flux"][star].astype(np.float32)[:, None, None]
            out.append((img, origin[star].astype(np.int64), star))
        halves = kernel_half(cat["psf_fwhm"][gal], max(self.shape))
        for half in np.unique(halves):        # one FFT size per kernel size, never per batch
            g = gal[halves == half]
            prof = Profile("sersic", {"n": cat["sersic_index"][g], "r_half": cat["r_half"][g]})
            img = render(prof, local_x[g], local_y[g], cat["g1"][g], cat["g2"][g], (s, s),
                         block=STAMP_BLOCK)
            psf, which = np.unique(np.stack([cat["psf_fwhm"][g], cat["psf_beta"][g]], axis=1),
                                   axis=0, return_inverse=True)   # each distinct PSF once
            kern = psf_kernels(cfg["psf"], psf[:, 0], psf[:, 1], max(self.shape))
            img = convolve_each(img, kern, which.reshape(-1))
            np.maximum(img, 0.0, out=img)     # FFT round-off (~1e-7 of the flux) below zero
            img *= cat["flux"][g].astype(np.float32)[:, None, None]
            out.append((img, (origin[g] - half).astype(np.int64), g))
        if not out:
            out.append((np.zeros((0, s, s), np.float32), np.zeros((0, 2), np.int64),
                        np.zeros(0, np.int64)))
        return out

    def _bbox(self, cat: dict[str, np.ndarray]) -> np.ndarray:
        """Centre ± (1.5 FWHM for a star; 2 r_half/√q + FWHM for a galaxy), clipped to the image."""
        h, w = self.shape
        fwhm = cat["psf_fwhm"]
        g = np.hypot(cat["g1"], cat["g2"])
        major = cat["r_half"] * np.sqrt((1 + g) / (1 - g))
        half = np.where(cat["kind"] == STAR, 1.5 * fwhm, 2 * major + fwhm)
        return np.stack([np.clip(cat["x"] - half, -0.5, w - 0.5), np.clip(cat["y"] - half, -0.5, h - 0.5),
                         np.clip(cat["x"] + half, -0.5, w - 0.5), np.clip(cat["y"] + half, -0.5, h - 0.5)],
                        axis=1)


def kernel_half(fwhm: np.ndarray, longest: int) -> np.ndarray:
    """Half-size (int64) of the PSF kernels of FWHM ``fwhm`` (px): ⌈4 FWHM⌉, at most ``longest``."""
    return np.minimum(np.ceil(4.0 * np.asarray(fwhm)), longest).astype(np.int64)


def psf_kernels(kind: str, fwhm: np.ndarray, beta: np.ndarray, longest: int) -> np.ndarray:
    """PSF kernels (float32 (R, K, K), K = 2 half + 1 odd, centred, each of unit sum): the
    pixel-integrated ``kind`` PSF (moffat or gaussian) of each FWHM (px) and β, on ±half px with
    half = :func:`kernel_half`; all ``fwhm`` must share that half-size."""
    halves = kernel_half(fwhm, longest)
    if np.unique(halves).size > 1:
        raise ValueError(f"fwhm: got kernel half-sizes {np.unique(halves).tolist()}; expected one")
    r = len(fwhm)
    half = int(halves[0]) if r else 0
    k = 2 * half + 1
    at = np.full(r, float(half))
    kern = render(Profile(kind, {"fwhm": np.asarray(fwhm, np.float64),
                                 "beta": np.asarray(beta, np.float64)}),
                  at, at, np.zeros(r), np.zeros(r), (k, k))
    total = kern.reshape(r, -1).sum(axis=1, dtype=np.float64)
    return (kern / total[:, None, None]).astype(np.float32)


def convolve_each(images: np.ndarray, kernels: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Full linear convolution of each image i (N, S, S) with kernel ``which[i]`` of ``kernels``
    (U, K, K), by real FFTs (each kernel transformed once): float32 (N, S + K − 1, S + K − 1)."""
    from scipy import fft

    s, k = images.shape[-1], kernels.shape[-1]
    t = s + k - 1
    n = fft.next_fast_len(t, real=True)
    spec = fft.rfft2(images, s=(n, n), workers=1)
    kspec = fft.rfft2(kernels, s=(n, n), workers=1)
    spec *= kspec[0] if len(kernels) == 1 else kspec[which]
    return fft.irfft2(spec, s=(n, n), workers=1)[:, :t, :t].astype(np.float32)


def convolve(images: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Full linear convolution of each image (N, S, S) with ``kernel`` (K, K), by real FFTs:
    float32 (N, S + K − 1, S + K − 1)."""
    return convolve_each(images, kernel[None], np.zeros(len(images), dtype=np.int64))


def _intersects(origins: np.ndarray, t: int, shape: tuple[int, int]) -> np.ndarray:
    """Whether each t × t stamp at ``origins`` (R, 2) (x, y) overlaps the image (bool (R,))."""
    h, w = shape
    return ((origins[:, 0] > -t) & (origins[:, 0] < w) & (origins[:, 1] > -t)
            & (origins[:, 1] < h))


def _overhang(origins: np.ndarray, t: int, shape: tuple[int, int]) -> int:
    """How far (px) the t × t stamps at ``origins`` reach beyond the image on any side."""
    if not origins.size:
        return 0
    h, w = shape
    return int(max(0, -origins.min(), origins[:, 0].max() + t - w, origins[:, 1].max() + t - h))


def _in_image(stamps: np.ndarray, origins: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Each stamp's flux inside the image (float64 (R,)): its sum over the pixels inside."""
    h, w = shape
    t = stamps.shape[1]
    rows = origins[:, 1, None] + np.arange(t)[None, :]
    cols = origins[:, 0, None] + np.arange(t)[None, :]
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    values = np.where(inside, stamps, np.float32(0.0))
    return values.reshape(len(stamps), t * t).sum(axis=1, dtype=np.float64)


class _Layers:
    """Adds stamps into a padded canvas (B, H', W'), one layer at a time: a layer holds at most one
    stamp per image, so its windows never overlap and a fancy-indexed ``+=`` adds them all. With
    a ``threshold`` it also keeps, per pixel, the largest contribution above it and its id (ties
    go to the later stamp)."""

    def __init__(self, buf: np.ndarray, threshold: float | None):
        self.buf = buf
        self.threshold = threshold
        if threshold is not None:
            self.best = np.zeros_like(buf)
            self.ids = np.zeros(buf.shape, dtype=np.int32)

    def add(self, stamps: np.ndarray, origins: np.ndarray, sample: np.ndarray,
            ids: np.ndarray) -> None:
        """Add ``stamps`` (float32 (R, T, T)) at ``origins`` (R, 2) (x, y, in the padded canvas) of
        images ``sample`` (R,), sorted by image; ``ids`` (R,) label them in the segmentation."""
        if not stamps.size:
            return
        t = stamps.shape[1]
        rank = np.arange(sample.size) - np.searchsorted(sample, sample)   # slot within its image
        order = np.argsort(rank, kind="stable")
        bounds = np.searchsorted(rank[order], np.arange(rank.max() + 2))
        views = [np.lib.stride_tricks.sliding_window_view(a, (t, t), axis=(1, 2),
                                                          writeable=True)
                 for a in ((self.buf,) if self.threshold is None
                           else (self.buf, self.best, self.ids))]
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            k = order[lo:hi]
            at = (sample[k], origins[k, 1], origins[k, 0])
            part = stamps[k]
            views[0][at] += part
            if self.threshold is not None:
                best, owner = views[1][at], views[2][at]
                claim = (part > self.threshold) & (part >= best)
                views[1][at] = np.where(claim, part, best)
                views[2][at] = np.where(claim, ids[k][:, None, None], owner)


def _position_problems(config: Mapping[str, Any], path: str) -> list[Problem]:
    """Given positions: pairs of finite numbers, with fixed counts."""
    given = config["positions"]
    if not given:
        return []
    problems = []
    for i, xy in enumerate(given):
        if not (isinstance(xy, list | tuple) and len(xy) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                and abs(v) <= 8192 for v in xy)):
            problems.append(Problem(f"{path}.positions[{i}]", xy, "a pair [cx, cy] of finite "
                                    "offsets from the image centre, |cx|, |cy| <= 8192 px"))
    if config["counts"] != "fixed":
        problems.append(Problem(f"{path}.counts", config["counts"],
                                "fixed when config.positions are given"))
    return problems

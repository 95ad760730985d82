"""``scenes.arcs``: the original DeepBench "lensing image" — arcs around a centre, plus stars.

Each image holds ``n_arcs`` annular sectors of one ring (mid-line ``radius``, radial ``thickness``,
all centred on the lens centre ``cx``, ``cy``) and ``n_stars`` point sources. The ring is cut into
``n_arcs`` equal sectors from a random rotation; arc k lies inside sector k, with a span that is a
random fraction (``config.span_min`` … ``span_max``) of the sector and a random position inside it,
so arcs never overlap. An arc has uniform surface brightness ``surface_brightness`` (counts/px²):
its pixels hold the exact area of the arc inside the pixel times that brightness (the shapes'
exact rasteriser), so an image's arc flux is Σ area × brightness exactly, for the part inside the
image. Stars are pixel-integrated Moffat or Gaussian profiles (:mod:`deepbench.astro.render`) of
FWHM ``fwhm``, at uniform random positions, with log-uniform fluxes in [``star_flux_min``,
``star_flux_max``]. Arc geometry and star positions and fluxes are drawn in the ``simulate`` stage
and listed in the catalogue, one row per object (``kind`` 0 arc, 1 star).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from deepbench.astro.profiles import Profile
from deepbench.astro.render import render
from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import ImageSimulator, SimResult
from deepbench.errors import Problem
from deepbench.shapes import raster

TAU = 2 * math.pi


class Arcs(ImageSimulator):
    """Arcs (annular sectors of uniform brightness) around a lens centre, plus Moffat stars."""

    name = "scenes.arcs"
    summary = "original DeepBench lensing image: exact annular-sector arcs around a centre + stars"
    params = (
        Param("cx", 0.0, "px", "lens centre x, offset from the image centre (+x = right)",
              low=-4096.0, high=4096.0),
        Param("cy", 0.0, "px", "lens centre y, offset from the image centre (+y = down)",
              low=-4096.0, high=4096.0),
        Param("radius", 14.0, "px", "radius of the arcs' mid-line", low=0.0, open_low=True,
              high=4096.0),
        Param("thickness", 2.5, "px", "radial thickness of the arcs (r_out − r_in)", low=0.0,
              open_low=True, high=8192.0),
        Param("n_arcs", 3, "", "number of arcs on the ring", low=0, high=16, kind="int"),
        Param("surface_brightness", 100.0, "counts/px^2", "surface brightness of the arcs",
              low=0.0, high=1e9),
        Param("n_stars", 4, "", "number of stars", low=0, high=64, kind="int"),
        Param("fwhm", 2.5, "px", "stars' PSF full width at half maximum", low=0.5, high=64.0),
    )
    settings = (
        Setting("height", 64, "image height in pixels (rows)", int, low=8, high=4096, unit="px"),
        Setting("width", 64, "image width in pixels (columns)", int, low=8, high=4096, unit="px"),
        Setting("span_min", 0.3, "smallest arc span, as a fraction of its sector 2π/n_arcs",
                float, low=0.01, high=1.0),
        Setting("span_max", 0.8, "largest arc span, as a fraction of its sector", float,
                low=0.01, high=1.0),
        Setting("star_flux_min", 500.0, "smallest star flux (log-uniform)", float, low=0.0,
                high=1e12, unit="counts"),
        Setting("star_flux_max", 5000.0, "largest star flux", float, low=0.0, high=1e12,
                unit="counts"),
        Setting("profile", "moffat", "stars' PSF profile: moffat or gaussian", str,
                choices=("moffat", "gaussian")),
        Setting("beta", 3.5, "Moffat index β of the stars' PSF", float, low=1.01, high=100.0),
    )

    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        problems = []
        if config["span_max"] < config["span_min"]:
            problems.append(Problem(f"{path}.span_max", config["span_max"],
                                    f"a value >= span_min ({config['span_min']})"))
        if not 0 < config["star_flux_min"] <= config["star_flux_max"]:
            problems.append(Problem(f"{path}.star_flux_max", config["star_flux_max"],
                                    f"a value >= star_flux_min ({config['star_flux_min']}) > 0"))
        return problems

    @property
    def stochastic(self) -> bool:
        return True

    def outputs(self) -> tuple[Output, ...]:
        return (Output("image", self.shape, "float32", "counts",
                       "arcs (exact area × surface brightness) + pixel-integrated stars"),)

    def truth_outputs(self) -> tuple[Output, ...]:
        return (Output("arc_area", (), "float64", "px^2", "total exact area of the arcs (also "
                       "outside the image)"),
                Output("arc_flux_in_image", (), "float64", "counts", "arc flux inside the image"),
                Output("star_flux_in_image", (), "float64", "counts",
                       "star flux inside the image"))

    def catalog_columns(self) -> tuple[Output, ...]:
        def col(name: str, unit: str, doc: str) -> Output:
            return Output(name, (), "float64", unit, doc)

        return (Output("kind", (), "int64", "", "0 arc, 1 star"),
                col("x", "px", "arc: ring centre; star: centre (column coordinate)"),
                col("y", "px", "arc: ring centre; star: centre (row coordinate)"),
                col("flux", "counts", "total flux (arc: area × surface brightness)"),
                col("flux_in_image", "counts", "flux inside the image"),
                col("start", "rad", "arc start angle from +x towards +y (0 for stars)"),
                col("span", "rad", "arc angular span (0 for stars)"),
                col("area", "px^2", "exact arc area (0 for stars)"))

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        h, w = self.shape
        b = params["cx"].size
        xc, yc = params["cx"] + (w - 1) / 2, params["cy"] + (h - 1) / 2
        arcs = self._draw_arcs(params, rng)
        stars = self._draw_stars(params, rng)
        image = np.zeros((b, h, w), dtype=np.float32)
        cover = arcs.pop("cover")
        cover *= arcs["sb"].astype(np.float32)[:, None, None]
        arcs["flux_in_image"] = _accumulate(image, cover, arcs["sample"])
        stars["flux_in_image"] = _accumulate(image, stars.pop("images"), stars["sample"])
        catalog = _catalog(arcs, stars, xc, yc)
        truth = {"arc_area": np.bincount(arcs["sample"], arcs["area"], minlength=b),
                 "arc_flux_in_image": np.bincount(arcs["sample"], arcs["flux_in_image"],
                                                  minlength=b),
                 "star_flux_in_image": np.bincount(stars["sample"], stars["flux_in_image"],
                                                   minlength=b)}
        return SimResult({"image": image}, truth, catalog)

    def _draw_arcs(self, p: Mapping[str, np.ndarray], rng: np.random.Generator
                   ) -> dict[str, np.ndarray]:
        h, w = self.shape
        counts = p["n_arcs"].astype(np.int64)
        sample = np.repeat(np.arange(counts.size), counts)
        slot = np.arange(sample.size) - np.repeat(np.cumsum(counts) - counts, counts)
        n = counts[sample]
        rotation = rng.uniform(0.0, TAU, counts.size)[sample]
        frac = rng.uniform(self.config["span_min"], self.config["span_max"], sample.size)
        offset = rng.uniform(0.0, 1.0, sample.size)
        sector = TAU / np.maximum(n, 1)
        span = frac * sector
        start = rotation + slot * sector + offset * (sector - span)
        r, t = p["radius"][sample], p["thickness"][sample]
        r_in = np.maximum(r - t / 2, 0.0)
        edges = raster.annular_sector(r_in, r + t / 2, start, span, np.zeros(sample.size))
        moved = edges.moved(p["cx"][sample] + (w - 1) / 2, p["cy"][sample] + (h - 1) / 2)
        return {"sample": sample, "start": np.mod(start, TAU), "span": span,
                "area": edges.area(), "sb": p["surface_brightness"][sample],
                "cover": raster.rasterise(moved, self.shape)}

    def _draw_stars(self, p: Mapping[str, np.ndarray], rng: np.random.Generator
                    ) -> dict[str, np.ndarray]:
        h, w = self.shape
        counts = p["n_stars"].astype(np.int64)
        sample = np.repeat(np.arange(counts.size), counts)
        x = rng.uniform(-0.5, w - 0.5, sample.size)
        y = rng.uniform(-0.5, h - 0.5, sample.size)
        lo, hi = math.log(self.config["star_flux_min"]), math.log(self.config["star_flux_max"])
        flux = np.exp(rng.uniform(lo, hi, sample.size))
        cfg = {"fwhm": p["fwhm"][sample], "beta": np.full(sample.size, self.config["beta"])}
        zero = np.zeros(sample.size)
        images = render(Profile(self.config["profile"], cfg), x, y, zero, zero, self.shape)
        images *= flux.astype(np.float32)[:, None, None]
        return {"sample": sample, "x": x, "y": y, "flux": flux, "images": images}


def _accumulate(image: np.ndarray, objects: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """Add each object's image (objects ordered by sample) to its sample's image, slot by slot (a
    sample appears once per slot); returns each object's sum (float64)."""
    sums = objects.reshape(len(objects), objects[0].size if len(objects) else 0).sum(
        axis=1, dtype=np.float64)
    if not sample.size:
        return sums
    first = np.searchsorted(sample, sample)               # index of each sample's first object
    slot = np.arange(sample.size) - first
    for j in range(int(slot.max()) + 1):
        rows = np.flatnonzero(slot == j)
        image[sample[rows]] += objects[rows]
    return sums


def _catalog(arcs: Mapping[str, np.ndarray], stars: Mapping[str, np.ndarray], xc: np.ndarray,
             yc: np.ndarray) -> dict[str, np.ndarray]:
    """One row per object, ordered by sample, arcs before stars within a sample."""
    na, ns = arcs["sample"].size, stars["sample"].size
    zeros = np.zeros(ns)
    rows = {
        "sample_index": (arcs["sample"], stars["sample"]),
        "kind": (np.zeros(na, np.int64), np.ones(ns, np.int64)),
        "x": (xc[arcs["sample"]], stars["x"]), "y": (yc[arcs["sample"]], stars["y"]),
        "flux": (arcs["area"] * arcs["sb"], stars["flux"]),
        "flux_in_image": (arcs["flux_in_image"], stars["flux_in_image"]),
        "start": (arcs["start"], zeros), "span": (arcs["span"], zeros),
        "area": (arcs["area"], zeros)}
    order = np.argsort(np.concatenate(rows["sample_index"]), kind="stable")
    return {k: np.concatenate(v)[order] for k, v in rows.items()}

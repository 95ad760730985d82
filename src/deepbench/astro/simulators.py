"""Single-object astronomical stamps: stars (Moffat or Gaussian) and Sérsic galaxies.

Pixel values are the integrals of the profile over each pixel (counts per pixel), accurate in every
pixel including a Sérsic cusp (see :mod:`deepbench.astro.render`). ``flux`` is the total flux over
the whole plane; the stamp holds the part inside it, stored as ``truth/flux_in_image``. Positions
``cx``, ``cy`` are offsets in px from the image centre ((W − 1)/2, (H − 1)/2). Ellipticity is an
area-preserving reduced shear (g1, g2), or equivalently an axis ratio ``q`` and major-axis angle
``angle`` (then g1, g2 go to ``truth/``); sizes (FWHM, half-light radius) are circularised, √(ab).
See :mod:`deepbench.astro.profiles` for the formulas and the conversion to astropy's parameters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from deepbench.astro.profiles import Profile, g_from_q_angle
from deepbench.astro.render import render
from deepbench.core.params import Alternative, Output, Param, Setting
from deepbench.core.simulator import ImageSimulator, SimResult
from deepbench.errors import Problem, SpecError

POSITION = (
    Param("cx", 0.0, "px", "centre x, offset from the image centre (+x = right)",
          low=-4096.0, high=4096.0),
    Param("cy", 0.0, "px", "centre y, offset from the image centre (+y = down)",
          low=-4096.0, high=4096.0),
)
FLUX = Param("flux", 1000.0, "counts", "total flux over the whole plane (counts, i.e. ADU)",
             low=0.0, high=1e12)
# |g| < 1 is a joint constraint: the bounds give each component (−1, 1) and ``check_params`` (a
# pre-flight over every drawn value, before any work) refuses |g| >= 1.
SHEAR = (
    Param("g1", 0.0, "", "reduced shear along x (area-preserving; |g| = √(g1² + g2²) < 1)",
          low=-1.0, high=1.0, open_low=True, open_high=True),
    Param("g2", 0.0, "", "reduced shear along the diagonal (area-preserving; see g1)",
          low=-1.0, high=1.0, open_low=True, open_high=True),
    Param("q", None, "", "axis ratio b/a (alternative to g1, g2 with angle)", low=0.0, high=1.0,
          open_low=True),
    Param("angle", None, "rad", "major-axis angle from +x towards +y (alternative to g1, g2 with q)",
          low=-2 * math.pi, high=2 * math.pi, period="pi"),
)
SHEAR_ALTERNATIVES = (
    Alternative("g1", (("g1",), ("q", "angle")), lambda p: g_from_q_angle(p["q"], p["angle"])[0]),
    Alternative("g2", (("g2",), ("q", "angle")), lambda p: g_from_q_angle(p["q"], p["angle"])[1]),
)
IMAGE_SETTINGS = (
    Setting("height", 64, "image height in pixels (rows)", int, low=8, high=4096, unit="px"),
    Setting("width", 64, "image width in pixels (columns)", int, low=8, high=4096, unit="px"),
)


def shear_problems(g1: np.ndarray, g2: np.ndarray) -> list[Problem]:
    """The problem (if any) with the first sample whose reduced shear has |g| >= 1."""
    bad = np.flatnonzero(~(np.hypot(g1, g2) < 1.0))
    if not bad.size:
        return []
    i = int(bad[0])
    return [Problem("params.g1, params.g2", (float(g1[i]), float(g2[i])),
                    "a reduced shear with |g| = √(g1² + g2²) < 1 (or give q and angle)")]


class ProfileStamp(ImageSimulator):
    """Shared plumbing: one sheared radial profile per stamp."""

    settings: ClassVar[tuple[Setting, ...]] = IMAGE_SETTINGS
    alternatives = SHEAR_ALTERNATIVES

    def outputs(self) -> tuple[Output, ...]:
        return (Output("image", self.shape, "float32", "counts",
                       "integral of the profile over each pixel (before observation noise)"),)

    def truth_outputs(self) -> tuple[Output, ...]:
        return (Output("flux_in_image", (), "float64", "counts",
                       "the part of the total flux inside the stamp (sum of the pixel integrals)"),)

    def profile(self, params: Mapping[str, np.ndarray]) -> Profile:
        raise NotImplementedError

    def check_params(self, params: Mapping[str, np.ndarray]) -> list[Problem]:
        return shear_problems(params["g1"], params["g2"])

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        problems = shear_problems(params["g1"], params["g2"])
        if problems:  # the pipeline checked before any work; this guards direct calls
            raise SpecError(problems)
        h, w = self.shape
        x0, y0 = params["cx"] + (w - 1) / 2, params["cy"] + (h - 1) / 2
        image = render(self.profile(params), x0, y0, params["g1"], params["g2"], self.shape)
        flux_in = image.reshape(len(x0), -1).sum(axis=1, dtype=np.float64) * params["flux"]
        image *= params["flux"].astype(np.float32)[:, None, None]
        return SimResult({"image": image}, {"flux_in_image": flux_in})


class Star(ProfileStamp):
    """A point source seen through a Moffat or Gaussian PSF."""

    name = "astro.star"
    summary = "star: Moffat or Gaussian PSF profile, pixel-integrated, sub-pixel centre"
    params = (*POSITION, FLUX,
              Param("fwhm", 3.0, "px", "full width at half maximum (circularised, √(ab))",
                    low=0.5, high=1024.0),
              Param("beta", 3.5, "", "Moffat power-law index β (> 1; the wings fall as r^-2β)",
                    low=1.0, open_low=True, high=100.0),
              *SHEAR)
    settings = (*IMAGE_SETTINGS,
                Setting("profile", "moffat", "PSF profile: moffat or gaussian", str,
                        choices=("moffat", "gaussian")),)

    def inactive(self) -> dict[str, str]:
        if self.config["profile"] == "gaussian":
            return {"beta": "it is the Moffat index; config.profile is gaussian"}
        return {}

    def profile(self, params: Mapping[str, np.ndarray]) -> Profile:
        return Profile(self.config["profile"], params)


class Sersic(ProfileStamp):
    """A Sérsic galaxy, I(r) = I₀ exp(−b_n (r/r_half)^{1/n}) with the exact b_n."""

    name = "astro.sersic"
    summary = "Sérsic galaxy: exact b_n, pixel-integrated (cusp included), sheared"
    params = (*POSITION, FLUX,
              Param("sersic_index", 1.0, "", "Sérsic index n (0.5 Gaussian, 1 exponential, "
                    "4 de Vaucouleurs)", low=0.3, high=8.0),
              Param("r_half", 4.0, "px", "half-light radius (circularised, √(ab))", low=0.05,
                    high=4096.0),
              *SHEAR)

    def profile(self, params: Mapping[str, np.ndarray]) -> Profile:
        return Profile("sersic", {"n": params["sersic_index"], "r_half": params["r_half"]})

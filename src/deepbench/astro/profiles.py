"""Radial surface-brightness profiles with unit total flux, and the shear convention.

Every profile is circular in the *source plane* and made elliptical by an area-preserving reduced
shear ``g = g1 + i g2`` (|g| < 1). An image-plane offset ``d = (dx, dy)`` from the centre maps to the
source plane by ``M d`` with

    M = [[1 − g1, −g2], [−g2, 1 + g1]] / √(1 − |g|²),     det M = 1,

so the source radius is ``r² = A dx² + 2 B dx dy + C dy²`` (:func:`shear_form`). The isophotes are
ellipses with axis ratio ``q = b/a = (1 − |g|)/(1 + |g|)`` and the major axis at the position angle
``θ = ½ arg g`` (radians from +x towards +y); the area is unchanged, so a size parameter (half-light
radius, FWHM) is the circularised one, √(ab). Conversion to astropy's ``Sersic2D``: semi-major
``r_eff = r_half / √q``, ``ellip = 1 − q``, ``theta = θ``.

Profiles (``r`` the source-plane radius, all normalised to unit flux over the whole plane):

- Gaussian: ``exp(−r²/2σ²) / 2πσ²``, σ = FWHM / (2√(2 ln 2));
- Moffat: ``(β − 1)/(πα²) · (1 + r²/α²)^−β``, β > 1, α = FWHM / (2√(2^{1/β} − 1));
- Sérsic: ``I₀ exp(−b_n (r/r_e)^{1/n})`` with ``b_n = gammaincinv(2n, ½)`` exactly (so r_e is the
  half-light radius) and ``I₀ = b_n^{2n} / (2π n r_e² Γ(2n))``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
_TINY = np.float32(1e-30)  # keeps log(r²) finite at r = 0 (the value there is the limit anyway)


def g_from_q_angle(q: np.ndarray, angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reduced shear (g1, g2) of isophotes with axis ratio ``q`` = b/a and major-axis angle ``angle``."""
    g = (1.0 - q) / (1.0 + q)
    return g * np.cos(2.0 * angle), g * np.sin(2.0 * angle)


def q_angle_from_g(g1: np.ndarray, g2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axis ratio b/a and major-axis angle in [0, π) of the reduced shear (g1, g2)."""
    g = np.hypot(g1, g2)
    return (1.0 - g) / (1.0 + g), np.mod(0.5 * np.arctan2(g2, g1), math.pi)


def shear_form(g1: np.ndarray, g2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients (A, B, C) of the source radius² = A dx² + 2B dx dy + C dy² (float64, (B,))."""
    s = 1.0 - g1 * g1 - g2 * g2
    return ((1.0 - g1) ** 2 + g2 * g2) / s, -2.0 * g2 / s, ((1.0 + g1) ** 2 + g2 * g2) / s


def sersic_b(n: np.ndarray) -> np.ndarray:
    """Exact b_n: half the light of a Sérsic profile lies inside r_e (``gammaincinv(2n, 1/2)``)."""
    from scipy.special import gammaincinv

    return gammaincinv(2.0 * np.asarray(n, dtype=np.float64), 0.5)


def moffat_alpha(fwhm: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Moffat core width α (px) for a given FWHM and β."""
    return fwhm / (2.0 * np.sqrt(np.exp2(1.0 / beta) - 1.0))


class Profile:
    """A batch of circular unit-flux profiles of one kind, evaluated on source radii² (float32).

    ``kind`` is ``"gaussian"`` (needs ``fwhm``), ``"moffat"`` (``fwhm``, ``beta``) or ``"sersic"``
    (``n``, ``r_half``); parameter arrays are float64 ``(B,)``. ``cusp`` says whether nested
    refinement at the centre is needed (Sérsic).
    """

    def __init__(self, kind: str, params: Mapping[str, np.ndarray]):
        self.kind = kind
        if kind == "gaussian":
            sigma = params["fwhm"] * FWHM_TO_SIGMA
            self.k = -0.5 / sigma**2                       # f = exp(log_i0 + k r²)
            self.log_i0 = -np.log(2.0 * math.pi * sigma**2)
        elif kind == "moffat":
            alpha = moffat_alpha(params["fwhm"], params["beta"])
            self.k = 1.0 / alpha**2                        # f = exp(log_i0 − β log1p(k r²))
            self.beta = params["beta"]
            self.log_i0 = np.log((params["beta"] - 1.0) / (math.pi * alpha**2))
        elif kind == "sersic":
            from scipy.special import gammaln

            n, re = params["n"], params["r_half"]
            self.b = sersic_b(n)                           # f = exp(log_i0 − b exp(p log r² + k))
            self.p = 0.5 / n
            self.k = -np.log(re) / n
            self.log_i0 = (2.0 * n * np.log(self.b) - np.log(2.0 * math.pi * n * re**2)
                           - gammaln(2.0 * n))
        else:
            raise ValueError(f"kind: got {kind!r}; expected gaussian, moffat or sersic")

    def take(self, sl: slice | np.ndarray) -> Profile:
        """The profiles of the samples ``sl`` (a slice or an index array)."""
        new = object.__new__(Profile)
        new.__dict__.update({k: (v[sl] if isinstance(v, np.ndarray) else v)
                             for k, v in self.__dict__.items()})
        return new

    @property
    def cusp(self) -> bool:
        return self.kind == "sersic"

    def __call__(self, r2: np.ndarray, *, last: bool = False) -> np.ndarray:
        """Intensity (flux / px², unit total flux) at source radii² ``r2`` (float32, (B, ...), or
        (..., B) with ``last``); overwrites ``r2`` and returns it."""
        shape = (-1,) if last else (-1,) + (1,) * (r2.ndim - 1)

        def c(a: np.ndarray) -> np.ndarray:
            return a.astype(np.float32).reshape(shape)

        if self.kind == "gaussian":
            r2 *= c(self.k)
        elif self.kind == "moffat":
            r2 *= c(self.k)
            np.log1p(r2, out=r2)
            r2 *= c(-self.beta)
        else:
            r2 += _TINY
            np.log(r2, out=r2)
            r2 *= c(self.p)
            r2 += c(self.k)
            np.exp(r2, out=r2)
            r2 *= c(-self.b)
        r2 += c(self.log_i0)
        return np.exp(r2, out=r2)

    def enclosed(self, r: np.ndarray) -> np.ndarray:
        """Fraction of the flux inside source radius ``r`` (float64, broadcasts with the batch)."""
        if self.kind == "gaussian":
            return -np.expm1(self.k * r**2)
        if self.kind == "moffat":
            return 1.0 - (1.0 + self.k * r**2) ** (1.0 - self.beta)
        from scipy.special import gammainc

        return gammainc(1.0 / self.p, self.b * np.exp(self.p * np.log(r**2) + self.k))

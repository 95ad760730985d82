"""Noise prescriptions, always kept apart.

* Parameter noise perturbs the true parameters before simulation (both are stored as labels).
* Observation noise is added to an output: ``gaussian`` (sigma, in the output's unit), ``poisson``
  (counts = value × gain are Poisson-sampled, then divided by the gain), or ``poisson_gaussian``
  (their sum). Draws do not depend on the noise level, so clean/noisy pairs are exact.

Both Poisson kinds take ``sampler``: ``table`` (default; :func:`deepbench.core.poisson.shot_noise`:
each image's smallest mean, its floor, is drawn from an inverse-CDF table and the rest per pixel or,
where faint, as one Poisson process; Poisson(b) + Poisson(λ − b) is exactly Poisson(λ)) or ``numpy``
(``rng.poisson`` on every value). Both are exact, with different random streams; ``table`` treats
the first axis as images and is the faster one on images with a background (sky). With ``table``,
``poisson_gaussian`` draws its read noise by Box–Muller from a child stream
(:func:`deepbench.core.poisson.normal`), so its shot noise equals the ``poisson`` kind's.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from deepbench.core.numbers import MAX_POISSON, Real
from deepbench.core.params import Param
from deepbench.core.poisson import shot_noise
from deepbench.errors import SpecError

OnInvalid = Literal["resample", "clip", "error"]
Sampler = Literal["table", "numpy"]
MAX_RESAMPLE = 1000


class ParamNoise(BaseModel):
    """Gaussian perturbation of one parameter: absolute (``sigma`` in its unit) or relative."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    sigma: Annotated[Real, Field(ge=0)]
    relative: bool = False

    def perturb(self, values: np.ndarray, eps: np.ndarray) -> np.ndarray:
        step = self.sigma * eps
        return values * (1.0 + step) if self.relative else values + step


def perturb(values: np.ndarray, noise: ParamNoise, param: Param, rng: np.random.Generator,
            on_invalid: OnInvalid, field: str) -> np.ndarray:
    """Perturbed copy of ``values``; out-of-bounds results are resampled, clipped or rejected."""
    out = noise.perturb(values, rng.standard_normal(values.shape))
    if param.kind == "int":
        out = np.round(out)
    bad = ~param.contains(out)
    if not bad.any():
        return out
    if on_invalid == "clip":
        return param.clip(out)
    if on_invalid == "error":
        i = int(np.flatnonzero(bad)[0])
        raise SpecError(field, float(out[i]), f"perturbed values within bounds: {param.allowed()} "
                        "(set on_invalid: resample or clip to allow this)")
    for _ in range(MAX_RESAMPLE):  # deterministic: the stream is consumed in a fixed order
        idx = np.flatnonzero(bad)
        redo = noise.perturb(values[idx], rng.standard_normal(idx.size))
        if param.kind == "int":
            redo = np.round(redo)
        out[idx] = redo
        bad[idx] = ~param.contains(redo)
        if not bad.any():
            return out
    raise SpecError(field, noise.sigma, f"a noise level that keeps {param.name} within its bounds "
                    f"({param.allowed()}) after at most {MAX_RESAMPLE} redraws")


class Gaussian(BaseModel):
    """Additive white Gaussian noise with standard deviation ``sigma`` (output units)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    kind: Literal["gaussian"]
    sigma: Annotated[Real, Field(ge=0)]

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        noise = rng.standard_normal(x.shape, dtype=_float(x))
        noise *= self.sigma
        noise += x
        return noise


class Poisson(BaseModel):
    """Shot noise: ``Poisson(x · gain) / gain``; ``x`` must be >= 0."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    kind: Literal["poisson"]
    gain: Annotated[Real, Field(gt=0, le=MAX_POISSON)]
    sampler: Sampler = "table"

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.sampler == "table":
            if x.dtype in (np.float32, np.float64):
                return shot_noise(x, self.gain, rng)
            return shot_noise(x.astype(np.float64), self.gain, rng).astype(x.dtype)
        lam = np.maximum(x, 0, dtype=np.float64)
        lam *= self.gain
        return (rng.poisson(lam) / self.gain).astype(x.dtype)


class PoissonGaussian(BaseModel):
    """Shot noise plus additive Gaussian (read) noise: ``Poisson(x·gain)/gain + sigma·N(0, 1)``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    kind: Literal["poisson_gaussian"]
    gain: Annotated[Real, Field(gt=0, le=MAX_POISSON)]
    sigma: Annotated[Real, Field(ge=0)]
    sampler: Sampler = "table"

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.sampler == "table" and x.dtype in (np.float32, np.float64):
            # the read noise from a child stream (Box–Muller), added block by block: the shot
            # noise equals the poisson kind's, whatever sigma
            return shot_noise(x, self.gain, rng, self.sigma, rng.spawn(1)[0])
        shot = Poisson(kind="poisson", gain=self.gain, sampler=self.sampler).apply(x, rng)
        return Gaussian(kind="gaussian", sigma=self.sigma).apply(shot, rng)


ObsNoise = Annotated[Gaussian | Poisson | PoissonGaussian, Field(discriminator="kind")]


def _float(x: np.ndarray) -> type:
    return np.float32 if x.dtype == np.float32 else np.float64

"""Priors: how a parameter's true value is drawn for each sample.

A prior is a small frozen pydantic model with a vectorised ``sample(n, rng)`` and a ``support()``
that is checked against the parameter's bounds before any work. In a spec a prior is written as a
plain number (a constant) or a mapping with a ``dist`` key, e.g. ``{dist: uniform, low: 2, high: 5}``.
``grid`` is special: its values come from the global sample index, not from a random stream.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special

from deepbench.core.numbers import MAX_POISSON, Integer, Number, Real


class _Prior(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    integer: bool = False  # whether draws are integers

    def support(self) -> tuple[float, float]:
        raise NotImplementedError

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class Constant(_Prior):
    """The same value for every sample."""

    dist: Literal["constant"] = "constant"
    value: Number

    def support(self) -> tuple[float, float]:
        return (float(self.value), float(self.value))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.full(n, float(self.value))


class _Interval(_Prior):
    """A prior on [low, high]."""

    low: Number
    high: Number

    @model_validator(mode="after")
    def _order(self) -> _Interval:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        return self

    def support(self) -> tuple[float, float]:
        return (float(self.low), float(self.high))


class Uniform(_Interval):
    """Uniform on [low, high)."""

    dist: Literal["uniform"]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


class LogUniform(Uniform):
    """Log-uniform (reciprocal) on [low, high), low > 0."""

    dist: Literal["loguniform"]  # type: ignore[assignment]

    @model_validator(mode="after")
    def _positive(self) -> LogUniform:
        if self.low <= 0:
            raise ValueError(f"low must be > 0 for a log-uniform prior, got {self.low}")
        return self

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.exp(rng.uniform(math.log(self.low), math.log(self.high), n))


class Normal(_Prior):
    """Gaussian with mean ``loc`` and standard deviation ``scale`` (unbounded support)."""

    dist: Literal["normal"]
    loc: Number
    scale: Annotated[Real, Field(gt=0)]

    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.loc + self.scale * rng.standard_normal(n)


class TruncNormal(_Interval):
    """Gaussian ``(loc, scale)`` truncated to [low, high], drawn by inverse CDF (no rejection)."""

    dist: Literal["truncnormal"]
    loc: Number
    scale: Annotated[Real, Field(gt=0)]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        a = (self.low - self.loc) / self.scale
        b = (self.high - self.loc) / self.scale
        pa, pb = special.ndtr(a), special.ndtr(b)
        u = rng.uniform(pa, pb, n)
        x = self.loc + self.scale * special.ndtri(u)
        return np.clip(x, self.low, self.high)


class Poisson(_Prior):
    """Poisson counts with mean ``lam`` (integers >= 0)."""

    dist: Literal["poisson"]
    lam: Annotated[Real, Field(gt=0, le=MAX_POISSON)]
    integer: bool = True

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.poisson(self.lam, n).astype(np.float64)


class Integers(_Prior):
    """Integers uniform on [low, high], both ends included."""

    dist: Literal["integers"]
    low: Integer
    high: Integer
    integer: bool = True

    @model_validator(mode="after")
    def _order(self) -> Integers:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def support(self) -> tuple[float, float]:
        return (float(self.low), float(self.high))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(self.low, self.high, n, endpoint=True).astype(np.float64)


class Choice(_Prior):
    """One of the listed ``values``, with optional probabilities ``p`` (summing to 1)."""

    dist: Literal["choice"]
    values: Annotated[list[Number], Field(min_length=1)]
    p: list[Annotated[Real, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.p is not None:
            if len(self.p) != len(self.values):
                raise ValueError(f"p has {len(self.p)} entries but values has {len(self.values)}")
            if not math.isclose(sum(self.p), 1.0, rel_tol=0, abs_tol=1e-9):
                raise ValueError(f"p must sum to 1, sums to {sum(self.p)}")
        return self

    def support(self) -> tuple[float, float]:
        return (float(min(self.values)), float(max(self.values)))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        values = np.asarray(self.values, dtype=np.float64)
        if self.p is None:
            return values[rng.integers(0, len(values), n)]
        cdf = np.cumsum(self.p)
        cdf[-1] = 1.0
        return values[np.searchsorted(cdf, rng.uniform(size=n), side="right")]


class Grid(_Prior):
    """Full-factorial axis: the values are taken in turn from the global sample index."""

    dist: Literal["grid"]
    values: Annotated[list[Number], Field(min_length=1)]

    def support(self) -> tuple[float, float]:
        return (float(min(self.values)), float(max(self.values)))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise TypeError("grid values come from the sample index; use grid_values()")


Prior = Annotated[
    Constant | Uniform | LogUniform | Normal | TruncNormal | Poisson | Integers | Choice | Grid,
    Field(discriminator="dist"),
]

PRIOR_NAMES = ("constant", "uniform", "normal", "truncnormal", "loguniform", "poisson", "integers",
               "choice", "grid")


def grid_values(axes: dict[str, Grid], index: np.ndarray) -> dict[str, np.ndarray]:
    """Values of each grid axis for the given global grid indices (row-major, first axis slowest)."""
    sizes = [len(g.values) for g in axes.values()]
    coords = np.unravel_index(index, sizes) if sizes else ()
    return {
        name: np.asarray(g.values, dtype=np.float64)[c]
        for (name, g), c in zip(axes.items(), coords, strict=True)
    }

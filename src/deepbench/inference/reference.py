"""Reference posteriors on a grid: p(θ | x) ∝ p(x | θ) p(θ) over one to three parameters.

The likelihood is exact (:mod:`deepbench.inference.likelihood`); the prior is the spec's prior of
each gridded parameter (uniform, log-uniform, normal or truncated normal, as their densities), or
flat. Parameters not gridded keep the values given (or the spec's constants). The posterior is
normalised over the grid cells; :meth:`GridPosterior.sample` draws a cell by its mass and a point
uniformly within it, so samples are continuous and can be compared with an SBI method's by a
classifier two-sample test. Accurate when the grid spans the posterior's mass and resolves it
(say ≥ 5 cells per posterior standard deviation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepbench.core.priors import LogUniform, Normal, TruncNormal, Uniform
from deepbench.errors import SpecError
from deepbench.inference.likelihood import log_likelihood
from deepbench.inference.model import Model

MAX_DIMS = 3
BATCH = 4096  # grid points per likelihood call


def log_prior(prior: Any, values: np.ndarray) -> np.ndarray:
    """Log density of a spec prior at ``values`` (up to a constant); SpecError for discrete or
    constant priors."""
    v = np.asarray(values, dtype=np.float64)
    if isinstance(prior, LogUniform):
        inside = (v >= prior.low) & (v <= prior.high)
        return np.where(inside, -np.log(np.where(v > 0, v, 1.0)), -np.inf)
    if isinstance(prior, Uniform):
        return np.where((v >= prior.low) & (v <= prior.high), 0.0, -np.inf)
    if isinstance(prior, TruncNormal):
        inside = (v >= prior.low) & (v <= prior.high)
        return np.where(inside, -0.5 * ((v - prior.loc) / prior.scale) ** 2, -np.inf)
    if isinstance(prior, Normal):
        return -0.5 * ((v - prior.loc) / prior.scale) ** 2
    raise SpecError("prior", getattr(prior, "dist", type(prior).__name__),
                    "a continuous prior (uniform, loguniform, normal, truncnormal) to grid over")


@dataclass
class GridPosterior:
    """A normalised posterior on a regular grid: ``axes`` (name → points), ``log_prob`` (log
    probability mass per cell, the grid's shape)."""

    names: list[str]
    axes: list[np.ndarray]
    log_prob: np.ndarray

    @property
    def prob(self) -> np.ndarray:
        return np.exp(self.log_prob)

    def _points(self) -> np.ndarray:
        mesh = np.meshgrid(*self.axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    @property
    def mean(self) -> np.ndarray:
        return self.prob.ravel() @ self._points()

    @property
    def cov(self) -> np.ndarray:
        p = self.prob.ravel()
        d = self._points() - self.mean
        return (d * p[:, None]).T @ d

    def marginal(self, name: str) -> np.ndarray:
        """Probability mass per point of one axis."""
        j = self.names.index(name)
        other = tuple(i for i in range(len(self.names)) if i != j)
        return self.prob.sum(axis=other)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws, shape (n, d): a cell by its mass, then uniform within the cell (the cell of a
        point spans half the spacing to each neighbour)."""
        p = self.prob.ravel()
        cells = rng.choice(p.size, size=n, p=p / p.sum())
        idx = np.unravel_index(cells, self.log_prob.shape)
        out = np.empty((n, len(self.axes)))
        for j, (axis, i) in enumerate(zip(self.axes, idx, strict=True)):
            step = np.diff(axis)
            lo = axis[i] - 0.5 * np.concatenate([[step[0]], step])[i]
            hi = axis[i] + 0.5 * np.concatenate([step, [step[-1]]])[i]
            out[:, j] = rng.uniform(lo, hi)
        return out


def grid_posterior(source: Any, x: Any, axes: Mapping[str, Any], *,
                   params: Mapping[str, Any] | None = None, prior: str = "spec",
                   output: str | None = None, class_: str | int | None = None) -> GridPosterior:
    """The posterior of the parameters in ``axes`` given one observation ``x``.

    ``axes`` maps each parameter (one to three) to its grid points (increasing, evenly spaced or
    not) or to ``(low, high, n)``; ``params`` fixes the other free parameters; ``prior`` is
    ``"spec"`` (the spec's priors) or ``"flat"``.
    """
    model = source if isinstance(source, Model) else Model(source, output=output, class_=class_)
    if not 1 <= len(axes) <= MAX_DIMS:
        raise SpecError("axes", list(axes), f"one to {MAX_DIMS} parameters to grid over")
    if prior not in ("spec", "flat"):
        raise SpecError("prior", prior, "'spec' or 'flat'")
    names, grids = [], []
    for name, spec in axes.items():
        if name not in model.priors:
            raise SpecError(f"axes.{name}", spec, f"a parameter of {model.sim.name} "
                            f"({', '.join(model.priors)})")
        grid = _axis(name, spec)
        names.append(name)
        grids.append(grid)
    obs = model.check_observation(x)
    if obs.shape[0] != 1:
        raise SpecError("x", obs.shape, "one observation")
    fixed = {k: v for k, v in (params or {}).items() if k not in axes}
    mesh = np.meshgrid(*grids, indexing="ij")
    points = np.stack([m.ravel() for m in mesh], axis=1)
    logp = np.empty(points.shape[0])
    for start in range(0, points.shape[0], BATCH):
        chunk = points[start:start + BATCH]
        theta = {**fixed, **{n: chunk[:, j] for j, n in enumerate(names)}}
        logp[start:start + BATCH] = log_likelihood(model, obs, theta)
    if prior == "spec":
        for j, n in enumerate(names):
            logp += log_prior(model.priors[n], points[:, j])
    logp += np.log(_cell_volumes(grids)).ravel()
    if not np.isfinite(logp).any():
        raise SpecError("axes", {n: [g[0], g[-1]] for n, g in zip(names, grids, strict=True)},
                        "a grid where the posterior is positive somewhere")
    logp -= np.logaddexp.reduce(logp)
    return GridPosterior(names, grids, logp.reshape(mesh[0].shape))


def _axis(name: str, spec: Any) -> np.ndarray:
    if isinstance(spec, tuple) and len(spec) == 3:
        lo, hi, n = spec
        grid = np.linspace(float(lo), float(hi), int(n))
    else:
        grid = np.asarray(spec, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2 or not (np.diff(grid) > 0).all() or \
            not np.isfinite(grid).all():
        raise SpecError(f"axes.{name}", spec, "increasing finite grid points (at least 2), or "
                        "(low, high, n)")
    return grid


def _cell_volumes(grids: list[np.ndarray]) -> np.ndarray:
    widths = []
    for g in grids:
        step = np.diff(g)
        widths.append(0.5 * (np.concatenate([[step[0]], step]) + np.concatenate([step, [step[-1]]])))
    mesh = np.meshgrid(*widths, indexing="ij")
    return np.prod(mesh, axis=0)

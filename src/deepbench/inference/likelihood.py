"""Exact log-likelihoods log p(x | θ) of observations under a spec's observation noise.

The clean output μ(θ) comes from the simulator (:class:`~deepbench.inference.model.Model`); pixels
are independent given θ, so log p(x | θ) is a sum over the output's elements of:

* ``gaussian`` (σ):          log N(x; μ, σ²)
* ``poisson`` (gain g):      log Pois(k; λ) with k = x·g (an integer count) and λ = max(μ, 0)·g —
  the probability of the observed count, as ``scipy.stats.poisson.logpmf``;
* ``poisson_gaussian`` (g, σ): log Σₖ Pois(k; λ) N(x − k/g; 0, σ²), the exact convolution, summed
  over k ≥ 0 within ±(10 s.d. + 10) counts of the summand's maximum (the summand is log-concave
  in k, so the omitted terms are below e⁻⁵⁰ of the largest; tested against the full sum to 1e-12).

Densities are with respect to x in the output's unit (Lebesgue for the Gaussian kinds, counting
measure on the lattice k/g for Poisson).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from deepbench.core.noise import Gaussian, Poisson, PoissonGaussian
from deepbench.errors import SpecError
from deepbench.inference.model import Model

MAX_TERMS = 4_000_000  # elements × summands evaluated at once in the Poisson-Gaussian sum
_LOG_2PI = float(np.log(2 * np.pi))


def log_likelihood(source: Any, x: Any, params: Mapping[str, Any], *,
                   output: str | None = None, class_: str | int | None = None) -> np.ndarray:
    """log p(x | θ) per sample, shape (B,), for a spec or stored dataset ``source``.

    ``x`` holds B observations of the output (or one, without the batch axis); ``params`` maps
    parameter names to scalars or (B,) arrays (x and θ broadcast against each other). Parameters
    the spec fixes may be omitted. Natural log; densities per unit of the output.
    """
    model = source if isinstance(source, Model) else Model(source, output=output, class_=class_)
    obs = model.check_observation(x)
    mu = model.clean(params)
    if obs.shape[0] != mu.shape[0] and 1 not in (obs.shape[0], mu.shape[0]):
        raise SpecError("x", obs.shape[0], f"{mu.shape[0]} observations (one per parameter set) "
                        "or 1")
    obs, mu = np.broadcast_arrays(obs, mu)
    per_element = element_log_likelihood(model.noise, obs, mu)
    return per_element.reshape(per_element.shape[0], -1).sum(axis=1)


def element_log_likelihood(noise: Gaussian | Poisson | PoissonGaussian, x: np.ndarray,
                           mu: np.ndarray) -> np.ndarray:
    """log p(x | μ) element by element under one observation-noise model."""
    if isinstance(noise, Gaussian):
        if noise.sigma == 0:
            raise SpecError("obs_noise.sigma", 0, "sigma > 0 for a likelihood (sigma = 0 is no "
                            "noise: the density is a delta)")
        z = (x - mu) / noise.sigma
        return -0.5 * z * z - np.log(noise.sigma) - 0.5 * _LOG_2PI
    lam = np.maximum(mu, 0.0) * noise.gain
    if isinstance(noise, Poisson) or noise.sigma == 0:
        return _poisson(x * noise.gain, lam)
    return _poisson_gaussian(x * noise.gain, lam, noise.sigma * noise.gain,
                             float(np.log(noise.sigma)))


def _poisson(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    from scipy.stats import poisson

    counts = np.rint(k)
    if (np.abs(k - counts) > 1e-3 + 1e-6 * np.abs(counts)).any() or (counts < 0).any():
        raise SpecError("x", "values off the lattice", "Poisson observations: non-negative "
                        "multiples of 1/gain (counts / gain)")
    return poisson.logpmf(counts, lam)


def _poisson_gaussian(y: np.ndarray, lam: np.ndarray, s: float, log_sigma: float
                      ) -> np.ndarray:
    """log Σₖ Pois(k; λ) N(y − k; 0, s²) + log s − log σ, with y = x·g and s = σ·g in counts."""
    from scipy.special import gammaln, logsumexp

    y, lam = np.broadcast_arrays(y, lam)
    flat_y, flat_lam = y.ravel(), lam.ravel()
    out = np.empty(flat_y.shape)
    mode = _mode(flat_y, flat_lam, s)
    sd = 1.0 / np.sqrt(1.0 / (mode + 0.5) + 1.0 / s**2)
    centre = np.rint(mode)
    log_lam = np.log(np.where(flat_lam > 0, flat_lam, 1.0))
    half = int(np.ceil(10 * sd.max(initial=0.0) + 10))
    offsets = np.arange(-half, half + 1)
    step = max(1, MAX_TERMS // offsets.size)
    for start in range(0, flat_y.size, step):
        sl = slice(start, start + step)
        k = centre[sl, None] + offsets
        valid = k >= 0
        k = np.maximum(k, 0)
        lam_s = flat_lam[sl, None]
        log_pois = np.where(lam_s > 0, k * log_lam[sl, None] - lam_s - gammaln(k + 1),
                            np.where(k == 0, 0.0, -np.inf))
        terms = np.where(valid, log_pois - 0.5 * ((flat_y[sl, None] - k) / s) ** 2, -np.inf)
        out[sl] = logsumexp(terms, axis=1)
    return out.reshape(y.shape) - log_sigma - 0.5 * _LOG_2PI


def _mode(y: np.ndarray, lam: np.ndarray, s: float) -> np.ndarray:
    """The k ≥ 0 maximising log Pois(k; λ) − (y − k)²/(2s²), on the continuum (Newton on the
    monotone derivative log λ − log(k + ½) + (y − k)/s², from the precision-weighted guess)."""
    pos = lam > 0
    k = np.where(pos, (y * lam + lam * s**2) / (lam + s**2), 0.0)
    k = np.maximum(k, 0.0)
    log_lam = np.log(np.where(pos, lam, 1.0))
    for _ in range(30):
        f = log_lam - np.log(k + 0.5) + (y - k) / s**2
        fp = -1.0 / (k + 0.5) - 1.0 / s**2
        k = np.maximum(k - f / fp, 0.0)
    return np.where(pos, k, 0.0)


def grad_log_likelihood(source: Any, x: Any, params: Mapping[str, Any],
                        names: Sequence[str] | None = None, *, rel_step: float = 1e-3,
                        output: str | None = None, class_: str | int | None = None
                        ) -> dict[str, np.ndarray]:
    """∂ log p(x | θ)/∂θ by central finite differences, per named parameter, shape (B,) each.

    The step is ``rel_step · max(|θ|, 1)``, one-sided where a bound is within a step; the default
    1e-3 suits outputs that carry float32-level rounding (a smaller step amplifies it). Meaningful
    where μ(θ) is smooth in θ (not across a shape's pixel-edge events at float precision; a shape's
    exact pixel integrals are continuous and piecewise smooth in its parameters).
    """
    model = source if isinstance(source, Model) else Model(source, output=output, class_=class_)
    names = list(model.free if names is None else names)
    base = {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in params.items()}
    grads = {}
    for name in names:
        if name not in model.priors:
            raise SpecError("names", name, f"a parameter of the model ({', '.join(model.priors)})")
        theta = base.get(name, np.array([model.fixed.get(name, np.nan)]))
        h = rel_step * np.maximum(np.abs(theta), 1.0)
        p = model.sim.param(name)
        up = np.where(p.contains(theta + h), theta + h, theta)
        down = np.where(p.contains(theta - h), theta - h, theta)
        ll_up = log_likelihood(model, x, {**base, name: up})
        ll_down = log_likelihood(model, x, {**base, name: down})
        grads[name] = (ll_up - ll_down) / (up - down)
    return grads

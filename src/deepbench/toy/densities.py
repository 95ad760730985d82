"""Toy simulators whose density is known exactly: ``toy.camelback``, ``toy.gaussian_mixture``,
``toy.ring``.

Each returns ``x`` (B, d) float64 and, besides ``simulate``, exposes vectorised
``log_density(x, params)`` (natural log, per unit of x^d) and ``cdf(x, params)`` (the joint CDF
P(X ≤ x) componentwise; the ring gives the CDF of its radius instead). ``params`` maps names to
arrays broadcastable to (B,); missing names take their declared defaults.

Notes
-----
- camelback (Butter et al., arXiv:2008.06545): p(x) = w N(x; μ, σ²) + (1 − w) N(x; −μ, σ²),
  the GANplifying toy at μ = 4, σ = 1, w = ½.
- gaussian mixture in d dimensions with k ≤ 2d equal-weight isotropic components of standard
  deviation σ centred at ±s eⱼ (component j < d at +s e_j, j ≥ d at −s e_{j−d}):
  p(x) = (1/k) Σⱼ Πᵢ N(xᵢ; μⱼᵢ, σ²), and, each component being a product over coordinates,
  F(x) = (1/k) Σⱼ Πᵢ Φ((xᵢ − μⱼᵢ)/σ).
- ring: x = r (cos θ, sin θ) with θ ~ U[0, 2π) and r ~ N(R, w²); the polar radius ρ = |r| has
  density f(ρ) = [φ((ρ − R)/w) + φ((ρ + R)/w)]/w, so p(x) = f(|x|)/(2π|x|) and
  P(ρ ≤ t) = Φ((t − R)/w) − Φ((−t − R)/w).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import log_ndtr, logsumexp, ndtr

from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import SimResult, Simulator
from deepbench.errors import Problem

LOG_2PI = float(np.log(2.0 * np.pi))


def _p(sim: Simulator, params: Mapping[str, Any] | None, name: str) -> np.ndarray:
    given = {} if params is None else params
    v = given[name] if name in given else sim.param(name).default
    return np.asarray(v, dtype=np.float64)


def _normal_logpdf(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    z = (x - mu) / sigma
    return -0.5 * z * z - np.log(sigma) - 0.5 * LOG_2PI


class _Toy(Simulator):
    @property
    def stochastic(self) -> bool:
        return True

    def truth_outputs(self) -> tuple[Output, ...]:
        return (Output("component", (), "float64", "", "index of the mixture component drawn"),)


class Camelback(_Toy):
    """½N(−μ, σ²) + ½N(μ, σ²) (weights w, 1 − w), the GANplifying toy."""

    name = "toy.camelback"
    summary = "1-D two-Gaussian mixture w N(μ, σ²) + (1 − w) N(−μ, σ²) with exact density and CDF"
    params = (
        Param("mu", 4.0, "", "centre of the right mode (the left one is at −μ)", low=0.0, high=1e6),
        Param("sigma", 1.0, "", "standard deviation of each mode", low=0.0, open_low=True,
              high=1e6),
        Param("weight", 0.5, "", "weight w of the right mode", low=0.0, high=1.0),
    )

    def outputs(self) -> tuple[Output, ...]:
        return (Output("x", (1,), "float64", "", "the sample"),)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        mu, sigma, w = params["mu"], params["sigma"], params["weight"]
        right = rng.random(mu.shape) < w
        x = np.where(right, mu, -mu) + sigma * rng.standard_normal(mu.shape)
        return SimResult({"x": x[:, None]}, {"component": right.astype(np.float64)})

    def log_density(self, x: Any, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """log p(x) for x (B,) or (B, 1)."""
        v = np.asarray(x, dtype=np.float64).reshape(-1)
        mu, sigma, w = (_p(self, params, n) for n in ("mu", "sigma", "weight"))
        with np.errstate(divide="ignore"):
            return np.logaddexp(np.log(w) + _normal_logpdf(v, mu, sigma),
                                np.log1p(-w) + _normal_logpdf(v, -mu, sigma))

    def cdf(self, x: Any, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """P(X ≤ x) for x (B,) or (B, 1)."""
        v = np.asarray(x, dtype=np.float64).reshape(-1)
        mu, sigma, w = (_p(self, params, n) for n in ("mu", "sigma", "weight"))
        return w * ndtr((v - mu) / sigma) + (1 - w) * ndtr((v + mu) / sigma)


class GaussianMixture(_Toy):
    """k equal-weight isotropic Gaussians at ±s eⱼ in d dimensions."""

    name = "toy.gaussian_mixture"
    summary = ("d-dimensional mixture of k ≤ 2d equal-weight isotropic Gaussians at ±s along the "
               "axes, with exact density and CDF")
    params = (
        Param("separation", 3.0, "", "distance s of every component centre from the origin",
              low=0.0, high=1e6),
        Param("sigma", 1.0, "", "standard deviation of each component in every coordinate",
              low=0.0, open_low=True, high=1e6),
    )
    settings = (
        Setting("dim", 2, "number of dimensions d", int, low=1, high=1024),
        Setting("components", 4, "number of components k (at most 2d)", int, low=1, high=2048),
    )

    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        if config["components"] > 2 * config["dim"]:
            return [Problem(f"{path}.components", config["components"],
                            f"at most 2 × dim = {2 * config['dim']}")]
        return []

    def outputs(self) -> tuple[Output, ...]:
        return (Output("x", (self.config["dim"],), "float64", "", "the sample"),)

    def unit_means(self) -> np.ndarray:
        """Component centres for s = 1, (k, d): +e_j for j < d, −e_{j−d} after."""
        d, k = self.config["dim"], self.config["components"]
        j = np.arange(k)
        m = np.zeros((k, d))
        m[j, j % d] = np.where(j < d, 1.0, -1.0)
        return m

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        s, sigma = params["separation"], params["sigma"]
        comp = rng.integers(self.config["components"], size=s.shape)
        z = rng.standard_normal((s.size, self.config["dim"]))
        x = s[:, None] * self.unit_means()[comp] + sigma[:, None] * z
        return SimResult({"x": x}, {"component": comp.astype(np.float64)})

    def _parts(self, x: Any, params: Mapping[str, Any] | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        v = np.asarray(x, dtype=np.float64).reshape(-1, self.config["dim"])
        s = np.reshape(_p(self, params, "separation"), (-1, 1, 1))
        sigma = np.reshape(_p(self, params, "sigma"), (-1, 1, 1))
        z = (v[:, None, :] - s * self.unit_means()[None]) / sigma   # (B, k, d)
        return v, z, sigma

    def log_density(self, x: Any, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """log p(x) for x (B, d)."""
        v, z, sigma = self._parts(x, params)
        d = v.shape[1]
        per = -0.5 * np.sum(z * z, axis=2) - d * np.log(sigma[:, :, 0]) - 0.5 * d * LOG_2PI
        return logsumexp(per, axis=1) - np.log(self.config["components"])

    def cdf(self, x: Any, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """Joint CDF P(X₁ ≤ x₁, …, X_d ≤ x_d) for x (B, d)."""
        _, z, _ = self._parts(x, params)
        return np.exp(logsumexp(np.sum(log_ndtr(z), axis=2), axis=1)) / self.config["components"]


class Ring(_Toy):
    """x = r(cos θ, sin θ), θ uniform, r ~ N(R, w²)."""

    name = "toy.ring"
    summary = "2-D ring: uniform angle, Gaussian radius N(R, w²); exact density and radial CDF"
    params = (
        Param("radius", 3.0, "", "ring radius R", low=0.0, high=1e6),
        Param("width", 0.3, "", "standard deviation w of the radius", low=0.0, open_low=True,
              high=1e6),
    )

    def truth_outputs(self) -> tuple[Output, ...]:
        return (Output("angle", (), "float64", "rad", "polar angle θ of the sample"),)

    def outputs(self) -> tuple[Output, ...]:
        return (Output("x", (2,), "float64", "", "the sample (x, y)"),)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        theta = rng.uniform(0.0, 2 * np.pi, params["radius"].shape)
        r = params["radius"] + params["width"] * rng.standard_normal(theta.shape)
        x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
        return SimResult({"x": x}, {"angle": theta})

    def log_density(self, x: Any, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """log p(x) for x (B, 2)."""
        v = np.asarray(x, dtype=np.float64).reshape(-1, 2)
        rho = np.hypot(v[:, 0], v[:, 1])
        big_r, w = _p(self, params, "radius"), _p(self, params, "width")
        with np.errstate(divide="ignore"):
            radial = np.logaddexp(_normal_logpdf(rho, big_r, w), _normal_logpdf(-rho, big_r, w))
            return radial - np.log(2 * np.pi * rho)

    def radius_cdf(self, t: Any, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """P(|x| ≤ t) for t ≥ 0."""
        v = np.asarray(t, dtype=np.float64)
        big_r, w = _p(self, params, "radius"), _p(self, params, "width")
        return np.clip(ndtr((v - big_r) / w) - ndtr((-v - big_r) / w), 0.0, 1.0)

    cdf = radius_cdf

"""The GANplifying study on ``toy.camelback`` without deep learning.

Butter et al. (arXiv:2008.06545) asked how many true samples a generator trained on n_train
samples is worth. Here the "generators" are a 5-parameter two-Gaussian fit (maximum likelihood;
the study's upper benchmark) and a Gaussian kernel density estimate, both trained on n_train = 100
draws of ½N(−4, 1) + ½N(4, 1). Their quantile MSE over N_q = 20 regions of equal true probability,
as a function of the number of samples drawn from them, is compared with the exact expectation
(1 − 1/N_q)/(N_q n) for n true samples; the equivalent sample size is n_eq = (1 − 1/N_q)/(N_q MSE).

Run: ``python examples/ganplifying.py [-o docs/ganplifying.png]``; prints the amplification factors.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import optimize, stats
from scipy.special import expit, ndtr

import deepbench
from deepbench.metrics import (
    equivalent_sample_size,
    expected_quantile_mse,
    quantile_fractions,
)
from deepbench.toy.densities import Camelback

N_Q, N_TRAIN, REPEATS = 20, 100, 30
N_GEN = np.unique(np.geomspace(10, 100_000, 17).astype(int))


def true_edges(sim: Camelback, n_q: int) -> np.ndarray:
    """Inner edges of the N_q equal-probability regions of the camelback (exact CDF inverted)."""
    grid = np.linspace(-12, 12, 200_001)
    return np.interp(np.arange(1, n_q) / n_q, sim.cdf(grid), grid)


def fit_mixture(x: np.ndarray) -> np.ndarray:
    """Maximum-likelihood (μ₁, μ₂, σ₁, σ₂, w) of w N(μ₁, σ₁²) + (1 − w) N(μ₂, σ₂²)."""
    def nll(p: np.ndarray) -> float:
        m1, m2, s1, s2, w = p[0], p[1], np.exp(p[2]), np.exp(p[3]), expit(p[4])
        dens = w * stats.norm.pdf(x, m1, s1) + (1 - w) * stats.norm.pdf(x, m2, s2)
        return -float(np.sum(np.log(dens + 1e-300)))

    start = np.array([x[x > 0].mean(), x[x <= 0].mean(), 0.0, 0.0, 0.0])
    p = optimize.minimize(nll, start, method="Nelder-Mead",
                          options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-9}).x
    return np.array([p[0], p[1], np.exp(p[2]), np.exp(p[3]), expit(p[4])])


def mixture_mass(p: np.ndarray, edges: np.ndarray) -> np.ndarray:
    cdf = p[4] * ndtr((edges - p[0]) / p[2]) + (1 - p[4]) * ndtr((edges - p[1]) / p[3])
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def mixture_sample(p: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    first = rng.random(n) < p[4]
    return np.where(first, p[0], p[1]) + np.where(first, p[2], p[3]) * rng.standard_normal(n)


def run(out: str | None) -> dict[str, float]:
    sim = Camelback()
    edges = true_edges(sim, N_Q)
    rng = np.random.default_rng(2020)
    mse = {"fit": np.zeros(N_GEN.size), "kde": np.zeros(N_GEN.size)}
    limit = {"fit": 0.0, "kde": 0.0, "train": 0.0}
    for r in range(REPEATS):
        train = deepbench.simulate("toy.camelback", n=N_TRAIN, seed=r).outputs["x"][:, 0]
        p = fit_mixture(train)
        kde = stats.gaussian_kde(train)
        limit["fit"] += np.mean((mixture_mass(p, edges) - 1 / N_Q) ** 2) / REPEATS
        kde_cdf = ndtr((np.concatenate([edges])[:, None] - train[None, :]) /
                       np.sqrt(kde.covariance[0, 0])).mean(1)
        limit["kde"] += np.mean((np.diff(np.concatenate([[0], kde_cdf, [1]])) - 1 / N_Q) ** 2) \
            / REPEATS
        limit["train"] += np.mean((quantile_fractions(train, N_Q, edges=edges) - 1 / N_Q) ** 2) \
            / REPEATS
        for i, n in enumerate(N_GEN):
            for name, draw in (("fit", mixture_sample(p, n, rng)),
                               ("kde", kde.resample(n, seed=rng)[0])):
                frac = quantile_fractions(draw, N_Q, edges=edges)
                mse[name][i] += np.mean((frac - 1 / N_Q) ** 2) / REPEATS
    result = {f"{k}_n_eq": float(equivalent_sample_size(v, N_Q)) for k, v in limit.items()}
    result.update({f"{k}_amplification": result[f"{k}_n_eq"] / N_TRAIN for k in ("fit", "kde")})
    if out:
        plot(out, mse, limit)
    return result


def plot(out: str, mse: dict[str, np.ndarray], limit: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=90)
    ax.loglog(N_GEN, expected_quantile_mse(N_GEN, N_Q), "k-", label="true samples, exact")
    ax.loglog(N_GEN, mse["fit"], "o-", ms=3, color="tab:red", label="5-parameter fit")
    ax.loglog(N_GEN, mse["kde"], "s-", ms=3, color="tab:blue", label="KDE")
    ax.axhline(limit["train"], color="0.5", ls=":", label=f"the {N_TRAIN} training samples")
    ax.axvline(N_TRAIN, color="0.8", lw=0.8)
    for name, c in (("fit", "tab:red"), ("kde", "tab:blue")):
        ax.axhline(limit[name], color=c, ls="--", lw=0.8)
    ax.set_xlabel("samples drawn")
    ax.set_ylabel(f"quantile MSE ({N_Q} quantiles)")
    ax.set_title(f"camelback, trained on {N_TRAIN}, mean of {REPEATS} trainings", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--out", default=None)
    res = run(ap.parse_args().out)
    print("  ".join(f"{k} {v:.1f}" for k, v in res.items()))

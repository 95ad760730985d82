"""Throughput and peak memory of ``calo.shower``, one worker, each beside a yardstick.

Run: ``python benchmarks/calo.py`` (all cases) or ``--case NAME``. Each case runs in a fresh
subprocess pinned to one BLAS thread and reports showers/s (best of ``--repeats``) of the whole
pipeline chunk (parameter draws, simulation, copies), of ``simulate`` alone, the peak RSS of that
subprocess and, measured interleaved in the same process, the yardstick: ``rng.poisson`` over the
same (B, n_voxels) per-voxel means (the cost of one Poisson draw per voxel, the floor of the
straightforward per-voxel approach).
"""

from __future__ import annotations

import os

from timing import best, peak_rss_mb, run_cases


def best_cold(fn, repeats: int) -> float:
    return best(fn, repeats, warm_up=False)

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

CASES = {
    "ds2": {"simulator": "calo.shower", "config": {"geometry": "calochallenge_ds2"},
            "params": {"energy": {"dist": "loguniform", "low": 1.0, "high": 1000.0}}},
    "ds3": {"simulator": "calo.shower", "config": {"geometry": "calochallenge_ds3"},
            "params": {"energy": {"dist": "loguniform", "low": 1.0, "high": 1000.0}}},
    "fastar": {"simulator": "calo.shower", "config": {"geometry": "fastar"},
               "params": {"energy": {"dist": "uniform", "low": 1.0, "high": 100.0}}},
    "ild": {"simulator": "calo.shower", "config": {"geometry": "ild_like"},
            "params": {"energy": {"dist": "loguniform", "low": 1.0, "high": 1000.0}}},
}
LABEL = {"ds2": "CaloChallenge dataset-2 geometry (6480 voxels), electrons, log-uniform 1 GeV–1 TeV",
         "ds3": "CaloChallenge dataset-3 geometry (40500 voxels), electrons, log-uniform 1 GeV–1 TeV",
         "fastar": "FAST.AR-like PbWO4 24×24×24 (13824 voxels), electrons, uniform 1–100 GeV",
         "ild": "ILD-like Si/W grid 30 × 32 × 32 (30720 voxels), electrons, normal incidence, "
                "log-uniform 1 GeV–1 TeV"}




def run_case(name: str, n: int, repeats: int) -> None:
    import numpy as np
    from threadpoolctl import threadpool_limits

    from deepbench.calo import gflash
    from deepbench.calo.shower import Shower, profiles
    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve

    threadpool_limits(1)
    plan = Plan(resolve({**CASES[name], "n": n, "chunk_size": n, "seed": 1}))
    sim = Shower(CASES[name]["config"])
    g = sim.geometry
    rng = np.random.Generator(np.random.SFC64(1))
    prior = CASES[name]["params"]["energy"]
    lo, hi = np.log(prior["low"]), np.log(prior["high"])
    energy = (np.exp(rng.uniform(lo, hi, n)) if prior["dist"] == "loguniform"
              else rng.uniform(prior["low"], prior["high"], n))
    params = {"energy": energy, "particle": np.zeros(n)}
    if g.kind == "cartesian":
        params["angle"] = np.zeros(n)
    t_max, alpha, beta = gflash.draw_t_alpha(gflash.individual(energy, g.medium),
                                             *rng.standard_normal((2, n)))
    lam = gflash.spot_count(energy, g.medium)
    means = profiles(g, energy, t_max, alpha, beta, np.zeros(n)).spot_means(lam)
    if g.kind == "cylindrical":       # (B, L, R) summed over angles → per voxel
        n_l, n_a, n_r = g.shape
        means = np.broadcast_to(means[:, :, None, :] / n_a, (n, n_l, n_a, n_r))
    means = np.ascontiguousarray(means).reshape(n, -1)
    plan.simulate_chunk(0)
    times = {"pipeline": [], "simulate": [], "yardstick": []}
    for _ in range(repeats):          # interleaved, so that load changes hit all three alike
        times["pipeline"].append(best_cold(lambda: plan.simulate_chunk(0), 1))
        times["simulate"].append(best_cold(lambda: sim.simulate(params, rng), 1))
        times["yardstick"].append(best_cold(lambda: rng.poisson(means), 1))
    best = {k: min(v) for k, v in times.items()}
    rss = peak_rss_mb()
    print(f"{name}: pipeline {n / best['pipeline']:,.0f} showers/s "
          f"({best['pipeline'] / n * 1e3:.3f} ms/shower)  simulate() {n / best['simulate']:,.0f}/s"
          f"  peak RSS {rss:.0f} MB  |  yardstick rng.poisson per voxel "
          f"{n / best['yardstick']:,.0f}/s  ratio pipeline/yardstick "
          f"{best['yardstick'] / best['pipeline']:.0%}  load average {os.getloadavg()[0]:.1f}",
          flush=True)


def chunk_size(name: str) -> int:
    """Default showers per chunk: 250 for dataset 3 and ild_like, else 2000."""
    return {"ds3": 250, "ild": 250}.get(name, 2000)


def main() -> None:
    run_cases(__file__, __doc__, LABEL, run_case, default_n=chunk_size, repeats=5)


if __name__ == "__main__":
    main()

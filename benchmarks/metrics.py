"""Metrics throughput and the Must-show statistics at full size.

Run: ``python benchmarks/metrics.py [--evaluate N]`` (``--evaluate 100000`` adds the full
``deepbench evaluate`` of N dataset-2 showers against truth; its datasets are generated first,
untimed, in a temporary folder).

Prints, each beside a yardstick measured in the same run: FPD and KPD on 50k × 40 (yardstick:
the unavoidable NumPy work, one Gram matrix Xᵀ X of 50k × 40 for FPD and one 5000 × 5000 × 40
kernel product for KPD); FPD at d = 5, 50k each, against the closed form; C2ST at 20k; the
evaluate wall time. One BLAS/OpenMP thread (``threadpoolctl``), load average of the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from timing import best, peak_rss_mb  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--evaluate", type=int, default=0, help="showers for the evaluate run (0: skip)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only-evaluate", action="store_true", help="skip the metric timings")
    args = ap.parse_args()
    if args.only_evaluate:
        evaluate_showers(args.evaluate)
        print(f"peak RSS {peak_rss_mb():.0f} MB; load average at end: {os.getloadavg()}")
        return
    from deepbench.metrics import c2st, fpd, frechet_gaussian, kpd

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((50_000, 40)), rng.standard_normal((50_000, 40))
    print(f"load average at start: {os.getloadavg()}")
    with threadpool_limits(1):
        t_fpd = best(lambda: fpd(x, y), args.repeats, warm_up=False)
        t_gram = best(lambda: x.T @ x, args.repeats)
        t_kpd = best(lambda: kpd(x, y), args.repeats, warm_up=False)
        a = x[:5000].astype(np.float32)
        t_mm = best(lambda: a @ a.T, args.repeats)
        print(f"FPD 50k x 40: {t_fpd:.2f} s (yardstick Gram matrix {t_gram * 1e3:.1f} ms, "
              f"ratio {t_fpd / t_gram:.0f})")
        print(f"KPD 50k x 40: {t_kpd:.2f} s (yardstick 5000x5000x40 float32 product "
              f"{t_mm * 1e3:.1f} ms, ratio {t_kpd / t_mm:.0f})")

        d = 5
        r = np.random.default_rng(1)
        ma, mb = r.normal(size=(d, d)), r.normal(size=(d, d))
        c1, c2 = ma @ ma.T / d + 0.5 * np.eye(d), mb @ mb.T / d + 0.5 * np.eye(d)
        m1, m2 = np.zeros(d), np.full(d, 0.5)
        exact = frechet_gaussian(m1, c1, m2, c2)
        devs = []
        for s in range(5):
            g = np.random.default_rng(100 + s)
            xa = m1 + g.standard_normal((50_000, d)) @ np.linalg.cholesky(c1).T
            ya = m2 + g.standard_normal((50_000, d)) @ np.linalg.cholesky(c2).T
            devs.append(fpd(xa, ya, rng=g).value / exact - 1)
        print(f"FPD d=5, 50k each, 5 seeds: relative deviation from the closed form {exact:.4f}: "
              + ", ".join(f"{v:+.2%}" for v in devs))

        z1, z2 = rng.standard_normal((20_000, 10)), rng.standard_normal((20_000, 10))
        t0 = time.perf_counter()
        same = c2st(z1, z2)
        t_c = time.perf_counter() - t0
        shifted = z1.copy()
        shifted[:, 3] += 1.0
        one = c2st(shifted, z2)
        shifted[:, 3] += 2.0
        three = c2st(shifted, z2)
        print(f"C2ST 20k x 10: truth vs truth AUC {same['auc']:.4f} ({t_c:.1f} s); 1σ shift in "
              f"1 of 10 dims AUC {one['auc']:.4f} (Bayes optimum 0.7602); 3σ AUC "
              f"{three['auc']:.4f} (optimum 0.9831)")
    if args.evaluate:
        evaluate_showers(args.evaluate)
    print(f"peak RSS {peak_rss_mb():.0f} MB; load average at end: {os.getloadavg()}")


def evaluate_showers(n: int) -> None:
    import deepbench
    from deepbench.metrics.evaluate import evaluate
    from deepbench.metrics.report import write_report

    spec = {"name": "ds2", "simulator": "calo.shower", "n": n, "chunk_size": 2000,
            "config": {"geometry": "calochallenge_ds2"},
            "params": {"energy": {"dist": "loguniform", "low": 1, "high": 1000}}}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ref = deepbench.generate(spec, Path(tmp) / "ref.h5")
        gen = deepbench.generate({**spec, "seed": 777}, Path(tmp) / "gen.h5")
        print(f"(generating the two files took {time.perf_counter() - t0:.0f} s)")
        rng = np.random.default_rng(5)
        a = rng.standard_normal((5000, 6480)).astype(np.float32)
        t0 = time.perf_counter()
        for _ in range(3):
            a.sum()
        t_sum = (time.perf_counter() - t0) / 3 * (2 * n / 5000)
        print(f"evaluate: generated {n} + {n} showers; load average {os.getloadavg()}")
        t0 = time.perf_counter()
        ev = evaluate(ref, gen)
        write_report(ev, Path(tmp) / "report")
        t_eval = time.perf_counter() - t0
        print(f"evaluate of {n} ds2 showers against truth (reading both files, drawing {n} fresh "
              f"showers, all metrics, plots, HTML): {t_eval:.1f} s; flagged: {ev.flagged or 'none'}"
              f" (yardstick: summing the 2 x {n} x 6480 voxels in memory {t_sum:.2f} s)")


if __name__ == "__main__":
    main()

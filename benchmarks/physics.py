"""Throughput and peak memory of the physics family, one worker, each beside a yardstick.

Run: ``python benchmarks/physics.py`` (all cases) or ``--case NAME``. Each case runs in a fresh
subprocess pinned to one BLAS thread and goes through the real pipeline (``Plan.simulate_chunk``:
parameter draws, simulation, no store). It prints the best of ``--repeats`` (default 3) as
samples/s and as seconds for the case's workload, a yardstick measured in the same process (a
direct-``ellipj`` pendulum, ``np.sin`` over the same number of values, ...), the peak RSS of the
subprocess and the load average when it finished. ``--baseline-python PY`` also runs every case with
another interpreter (e.g. the venv of an earlier commit), so before and after come from one run.
On a shared machine the wall-clock figures move with the load; the pendulum and Hamiltonian cases
therefore also print the CPU time of ``simulate`` (best of the repeats). The README's physics table
holds the figures measured with this script.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from timing import best, peak_rss_mb  # noqa: E402

UNIFORM = {"dist": "uniform"}


def _cpu(fn, repeats: int) -> float:
    """Shortest CPU time (s) of this process over ``repeats`` calls of ``fn``, after a warm-up."""
    fn()
    shortest = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        fn()
        shortest = min(shortest, time.process_time() - t)
    return shortest
PENDULUM = {"simulator": "physics.pendulum",
            "params": {"length": {**UNIFORM, "low": 0.5, "high": 2.0},
                       "theta0": {**UNIFORM, "low": -3.0, "high": 3.0},
                       "omega0": {**UNIFORM, "low": -1.0, "high": 1.0}},
            "config": {"start": 0.0, "stop": 20.0, "steps": 1000}}




def _pipeline(spec: dict, n: int, chunk: int):
    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve

    plan = Plan(resolve({**spec, "n": n, "chunk_size": chunk, "seed": 1}))
    def run() -> None:
        for k in range(plan.spec.n_chunks):
            plan.simulate_chunk(k)  # dropped at once, as a store would after writing it

    return run


def _simulate_only(spec: dict, n: int, chunk: int):
    """The simulator's own ``simulate`` on the same drawn parameters (no pipeline copies)."""
    from deepbench.core.seeding import stage_rng
    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve

    plan = Plan(resolve({**spec, "n": n, "chunk_size": chunk, "seed": 1}))
    c = plan.classes[0]
    params = plan._draw(c, np.arange(chunk), stage_rng(1, 0, "params"))

    def run() -> None:
        for _ in range(n // chunk):
            c.sim.simulate(params, stage_rng(1, 0, "simulate"))

    return run


def case_pendulum(repeats: int) -> tuple[str, int, float, str]:
    n = 10_000
    seconds = best(_pipeline(PENDULUM, n, 1000), repeats)
    alone = best(_simulate_only(PENDULUM, n, 1000), repeats)
    cpu = _cpu(_simulate_only(PENDULUM, n, 1000), repeats)
    times = np.linspace(0.0, 20.0, 1000).tolist()  # the same grid, one ellipj call per step
    direct = {**PENDULUM, "config": {"sampling": "explicit", "times": times}}
    yard = best(_pipeline(direct, n, 1000), repeats)
    yard_cpu = _cpu(_simulate_only(direct, n, 1000), repeats)
    x = np.random.default_rng(0).uniform(-3, 3, (1000, 1000))
    sin = best(lambda: [np.sin(x) for _ in range(10)], repeats)
    return ("exact pendulum, 10,000 × 1,000 uniform steps (8 outputs)", n, seconds,
            f"simulate() alone: {alone:.2f} s ({cpu:.2f} s CPU); direct ellipj per step: "
            f"{yard:.2f} s ({yard / seconds:.1f}× slower; simulate() {yard_cpu:.2f} s CPU, "
            f"{yard_cpu / cpu:.1f}× slower); one np.sin over the (B, T) array: {sin:.2f} s")


def case_small_angle(repeats: int) -> tuple[str, int, float, str]:
    n = 100_000
    spec = {**PENDULUM, "config": {"steps": 100, "stop": 10.0, "approximation": "small_angle"}}
    seconds = best(_pipeline(spec, n, 10_000), repeats)
    return ("small-angle pendulum, 100 steps", n, seconds,
            "original DeepBench: about 3,000 series/s")


def case_hamiltonian(repeats: int) -> tuple[str, int, float, str]:
    n = 100_000
    spec = {"simulator": "physics.hamiltonian_pendulum",
            "params": {"q0": {**UNIFORM, "low": -2.5, "high": 2.5},
                       "p0": {**UNIFORM, "low": -1.0, "high": 1.0}},
            "config": {"dt": 0.01, "steps": 100, "method": "yoshida4"}}
    seconds = best(_pipeline(spec, n, 10_000), repeats)
    alone = best(_simulate_only(spec, n, 10_000), repeats)
    cpu = _cpu(_simulate_only(spec, n, 10_000), repeats)
    q = np.random.default_rng(0).uniform(-3, 3, 10_000)
    floor = best(lambda: [np.sin(q) for _ in range(301 * (n // 10_000))], repeats)
    return ("Hamiltonian pendulum, 100 Yoshida-4 steps", n, seconds,
            f"simulate() alone: {n / alone:,.0f} series/s ({n / cpu:,.0f}/s of CPU); 301 np.sin "
            f"calls per series (the force evaluations, as np.sin): {n / floor:,.0f} series/s "
            f"({floor / alone:.0%} of simulate's time); original DeepBench: about 2 series/s")


def case_nbody(repeats: int) -> tuple[str, int, float, str]:
    n = 1000
    spec = {"simulator": "physics.nbody", "params": {"radius": 1.0, "virial_ratio": 0.5},
            "config": {"n_bodies": 3, "initial": "random", "dt": 0.001, "steps": 1000,
                       "method": "yoshida4"}}
    seconds = best(_pipeline(spec, n, 1000), repeats)
    leap = {**spec, "config": {**spec["config"], "method": "leapfrog"}}
    yard = best(_pipeline(leap, n, 1000), repeats)
    return ("N-body, 1,000 three-body systems × 1,000 Yoshida-4 steps", n, seconds,
            f"same with leapfrog (1 force evaluation per step instead of 3): {yard:.2f} s")


def case_double(repeats: int) -> tuple[str, int, float, str]:
    n = 1000
    spec = {"simulator": "physics.double_pendulum",
            "params": {"theta1": {**UNIFORM, "low": -3, "high": 3},
                       "theta2": {**UNIFORM, "low": -3, "high": 3}},
            "config": {"dt": 0.005, "steps": 1000}}
    seconds = best(_pipeline(spec, n, 1000), repeats)
    return ("double pendulum, 1,000 × 1,000 RK6 steps (5 s)", n, seconds, "")


def case_oscillator(repeats: int) -> tuple[str, int, float, str]:
    n = 10_000
    spec = {"simulator": "physics.oscillator",
            "params": {"damping": {**UNIFORM, "low": 0.0, "high": 15.0},
                       "force": {**UNIFORM, "low": 0.0, "high": 2.0}},
            "config": {"steps": 1000}}
    seconds = best(_pipeline(spec, n, 1000), repeats)
    return ("damped driven oscillator, 10,000 × 1,000 steps", n, seconds, "")


CASES = {"pendulum": case_pendulum, "small_angle": case_small_angle,
         "hamiltonian": case_hamiltonian, "nbody": case_nbody, "double": case_double,
         "oscillator": case_oscillator}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--case", choices=sorted(CASES), action="append",
                    help="run only these cases (repeatable)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tag", default="this checkout", help=argparse.SUPPRESS)
    ap.add_argument("--baseline-python", help="also run every case with this interpreter (e.g. "
                    "the venv of an earlier commit: its deepbench is measured, with this script)")
    args = ap.parse_args()
    if os.environ.get("_DB_CHILD"):  # a subprocess that measures one case
        label, n, seconds, yardstick = CASES[args.case[0]](args.repeats)
        rss = peak_rss_mb()
        print(f"| {label} ({args.tag}) | {n / seconds:,.0f} | {seconds:.2f} | {rss:,.0f} | "
              f"{yardstick} | {os.getloadavg()[0]:.1f} |", flush=True)
        return
    print("| case (one worker) | samples/s | s for the case | peak RSS (MB) | yardstick, same "
          "process | load average |\n|---|---:|---:|---:|---|---:|", flush=True)
    runs = [(sys.executable, "this checkout")]
    if args.baseline_python:
        runs.append((args.baseline_python, "baseline"))
    env = {**os.environ, "_DB_CHILD": "1"}
    for name in args.case or list(CASES):
        for python, tag in runs:
            subprocess.run([python, __file__, "--case", name, "--repeats", str(args.repeats),
                            "--tag", tag], check=True, env=env)


if __name__ == "__main__":
    main()

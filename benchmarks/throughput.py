"""Throughput and peak memory of DeepBench simulators and the HDF5 pipeline, one worker.

Run: ``python benchmarks/throughput.py`` (all cases) or ``--case NAME``. Each case runs in a fresh
subprocess pinned to one BLAS thread, reports samples/s (best of ``--repeats``, default 5) and the peak RSS of
that subprocess. The README's table holds the figures measured with this script.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

SCENE = {"simulator": "shapes.scene", "params": {"n_objects": 2},
         "config": {"height": 28, "width": 28, "size_min": 3, "size_max": 7},
         "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}}}
SINGLE_256 = {"config": {"height": 256, "width": 256},
              "params": {"cx": {"dist": "uniform", "low": -20, "high": 20},
                         "cy": {"dist": "uniform", "low": -20, "high": 20}},
              "classes": [
                  {"simulator": "shapes.rectangle",
                   "params": {"width": {"dist": "uniform", "low": 40, "high": 120},
                              "height": {"dist": "uniform", "low": 40, "high": 120},
                              "angle": {"dist": "uniform", "low": 0, "high": 3.14}}},
                  {"simulator": "shapes.polygon",
                   "params": {"radius": {"dist": "uniform", "low": 30, "high": 80},
                              "n_sides": {"dist": "integers", "low": 3, "high": 8},
                              "angle": {"dist": "uniform", "low": 0, "high": 6.28}}},
                  {"simulator": "shapes.ellipse",
                   "params": {"a": {"dist": "uniform", "low": 40, "high": 80},
                              "b": {"dist": "uniform", "low": 20, "high": 40},
                              "angle": {"dist": "uniform", "low": 0, "high": 3.14}}},
                  {"simulator": "shapes.circle",
                   "params": {"radius": {"dist": "uniform", "low": 20, "high": 80}}},
                  {"simulator": "shapes.arc",
                   "params": {"radius": {"dist": "uniform", "low": 40, "high": 80},
                              "thickness": {"dist": "uniform", "low": 5, "high": 20},
                              "start": {"dist": "uniform", "low": 0, "high": 6.28},
                              "end": {"dist": "uniform", "low": 0, "high": 6.28}}},
                  {"simulator": "shapes.line",
                   "params": {"length": {"dist": "uniform", "low": 40, "high": 200},
                              "thickness": {"dist": "uniform", "low": 2, "high": 10},
                              "angle": {"dist": "uniform", "low": 0, "high": 3.14}}}]}


def _in_memory(spec: dict, n: int, chunk: int, repeats: int) -> float:
    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve

    plan = Plan(resolve({**spec, "n": n, "chunk_size": chunk, "seed": 1}))
    plan.simulate_chunk(0)  # warm-up
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        for k in range(plan.spec.n_chunks):
            plan.simulate_chunk(k)
        best = max(best, n / (time.perf_counter() - t))
    return best


def case_scene28(repeats: int) -> tuple[str, float]:
    return "28x28 scenes, 2 shapes, anti-aliased, gaussian noise", _in_memory(
        SCENE, 40_000, 2000, repeats)


def case_scene28_aliased(repeats: int) -> tuple[str, float]:
    spec = {**SCENE, "config": {**SCENE["config"], "antialias": False}}
    return "28x28 scenes, 2 shapes, aliased (0/1), gaussian noise", _in_memory(
        spec, 40_000, 2000, repeats)


def case_single256(repeats: int) -> tuple[str, float]:
    return "256x256 single shapes (6 classes mixed)", _in_memory(SINGLE_256, 3000, 250, repeats)


def case_hdf5_64(repeats: int) -> tuple[str, float]:
    import deepbench

    spec = {**SINGLE_256, "config": {"height": 64, "width": 64},
            "params": {"cx": {"dist": "uniform", "low": -5, "high": 5},
                       "cy": {"dist": "uniform", "low": -5, "high": 5}},
            "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.05}},
            "n": 200_000, "chunk_size": 2000, "seed": 1, "output": {"compression": "lzf"}}
    for c in spec["classes"]:  # shrink sizes to the 64x64 canvas
        for p in c["params"].values():
            if isinstance(p, dict) and p.get("dist") == "uniform" and p["high"] > 6.3:
                p["low"], p["high"] = p["low"] / 4, p["high"] / 4
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        deepbench.generate(spec, Path(tmp) / "d.h5")
        rate = spec["n"] / (time.perf_counter() - t)
    return "200,000 images 64x64 -> HDF5 (lzf), end to end", rate


CASES = {"scene28": case_scene28, "scene28_aliased": case_scene28_aliased,
         "single256": case_single256, "hdf5_64": case_hdf5_64}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--case", choices=sorted(CASES))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if args.case:
        label, rate = CASES[args.case](args.repeats)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {label} | {rate:,.0f} | {rss:,.0f} |", flush=True)
        return
    print("| case (one worker) | samples/s | peak RSS (MB) |\n|---|---:|---:|", flush=True)
    for name in CASES:
        subprocess.run([sys.executable, __file__, "--case", name, "--repeats",
                        str(args.repeats)], check=True)


if __name__ == "__main__":
    main()

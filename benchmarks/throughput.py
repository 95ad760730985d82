"""Throughput and peak memory of DeepBench simulators and the HDF5 pipeline, one worker.

Run: ``python benchmarks/throughput.py`` (all cases) or ``--case NAME``. Each case runs in a fresh
subprocess pinned to one BLAS thread, reports samples/s (best of ``--repeats``, default 5) and the peak
RSS of that subprocess. The README's table holds the figures measured with this script.

The machine these run on is shared, so absolute rates move by tens of percent from run to run. Each
in-memory case therefore also measures a yardstick in the same process, interleaved with its own
repeats: drawing the Gaussian observation noise alone for images of the same size (the same
``Gaussian.apply`` on zeros, SFC64 stream), and prints the case's rate as a fraction of it.

``--cpu`` times both with the process's CPU clock (``time.process_time``) instead of the wall clock:
on a heavily shared machine that leaves out the time the process waits for a core (cache and memory
contention remain).

``--baseline-python PY`` also runs the in-memory cases with another interpreter (e.g. the venv of a
checkout of an earlier commit: its ``deepbench`` is measured, with this script), and
``--legacy-python PY`` runs ``legacy_deepbench.py`` with the venv holding DeepBench 0.2.3, so all
figures come from one run.
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

CLOCK = time.perf_counter  # time.process_time with --cpu

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


LEGACY = {"simulator": "shapes.scene", "params": {"n_objects": 2},
          "config": {"height": 28, "width": 28, "kinds": ["rectangle", "arc"], "antialias": False},
          "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.6}}}


def _noise(shape: tuple[int, int], n: int, chunk: int) -> float:
    """Images/s of the Gaussian observation noise alone (the yardstick)."""
    import numpy as np

    from deepbench.core.noise import Gaussian

    noise = Gaussian(kind="gaussian", sigma=0.1)
    rng = np.random.Generator(np.random.SFC64(1))
    zeros = np.zeros((chunk, *shape), dtype=np.float32)
    t = CLOCK()
    for _ in range(n // chunk):
        noise.apply(zeros, rng)
    return n // chunk * chunk / (CLOCK() - t)


def _in_memory(spec: dict, n: int, chunk: int, repeats: int) -> tuple[float, float]:
    """Best samples/s of simulating ``n`` samples in chunks, and the best yardstick rate, interleaved."""
    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve

    plan = Plan(resolve({**spec, "n": n, "chunk_size": chunk, "seed": 1}))
    plan.simulate_chunk(0)  # warm-up
    config = spec.get("config", {})
    shape = (config.get("height", 28), config.get("width", 28))
    best, yardstick = 0.0, 0.0
    for _ in range(repeats):
        t = CLOCK()
        for k in range(plan.spec.n_chunks):
            plan.simulate_chunk(k)
        best = max(best, n / (CLOCK() - t))
        yardstick = max(yardstick, _noise(shape, n, chunk))
    return best, yardstick


Result = tuple[str, float, float | None]  # label, samples/s, yardstick (noise alone) samples/s


def case_scene28(repeats: int) -> Result:
    return ("28x28 scenes, 2 shapes, anti-aliased, gaussian noise",
            *_in_memory(SCENE, 40_000, 2000, repeats))


def case_scene28_aliased(repeats: int) -> Result:
    spec = {**SCENE, "config": {**SCENE["config"], "antialias": False}}
    return ("28x28 scenes, 2 shapes, aliased (0/1), gaussian noise",
            *_in_memory(spec, 40_000, 2000, repeats))


def case_rect_arc28(repeats: int) -> Result:
    """The legacy comparison's workload: a rectangle and an arc per 28x28 image, aliased, noise 0.6."""
    return ("28x28 rectangle + arc scenes, aliased, gaussian noise (legacy workload)",
            *_in_memory(LEGACY, 40_000, 2000, repeats))


def case_rect_arc28_aa(repeats: int) -> Result:
    spec = {**LEGACY, "config": {**LEGACY["config"], "antialias": True}}
    return ("28x28 rectangle + arc scenes, anti-aliased, gaussian noise",
            *_in_memory(spec, 40_000, 2000, repeats))


def case_single256(repeats: int) -> Result:
    return "256x256 single shapes (6 classes mixed)", *_in_memory(SINGLE_256, 3000, 250, repeats)


def case_hdf5_64(repeats: int) -> Result:
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
    return "200,000 images 64x64 -> HDF5 (lzf), end to end", rate, None


CASES = {"scene28": case_scene28, "scene28_aliased": case_scene28_aliased,
         "rect_arc28": case_rect_arc28, "rect_arc28_aa": case_rect_arc28_aa,
         "single256": case_single256, "hdf5_64": case_hdf5_64}
IN_MEMORY = ("scene28", "scene28_aliased", "rect_arc28", "rect_arc28_aa", "single256")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--case", choices=sorted(CASES), action="append",
                    help="run only these cases (repeatable)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tag", default="this checkout", help=argparse.SUPPRESS)
    ap.add_argument("--cpu", action="store_true", help="time with the CPU clock of the process")
    ap.add_argument("--baseline-python", help="also run the in-memory cases with this interpreter")
    ap.add_argument("--legacy-python", help="interpreter of a venv with deepbench==0.2.3")
    args = ap.parse_args()
    if os.environ.get("_DB_CHILD"):  # a subprocess that measures one case
        global CLOCK
        if args.cpu:
            CLOCK = time.process_time
            args.tag += ", CPU time"
        label, rate, yardstick = CASES[args.case[0]](args.repeats)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ratio = "" if yardstick is None else f"{yardstick:,.0f} | {rate / yardstick:.1%}"
        print(f"| {label} ({args.tag}) | {rate:,.0f} | {ratio or '– | –'} | {rss:,.0f} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)
        return
    print("| case (one worker) | samples/s | noise alone, same process (samples/s) | ratio | "
          "peak RSS (MB) | load average |\n|---|---:|---:|---:|---:|---:|", flush=True)
    runs = [(sys.executable, "this checkout")]
    if args.baseline_python:
        runs.append((args.baseline_python, "baseline"))
    env = {**os.environ, "_DB_CHILD": "1"}
    for name in args.case or list(CASES):
        for python, tag in runs:
            if tag == "baseline" and name not in IN_MEMORY:
                continue
            subprocess.run([python, __file__, "--case", name, "--repeats", str(args.repeats),
                            "--tag", tag, *(["--cpu"] if args.cpu else [])], check=True, env=env)
    if args.legacy_python:
        legacy = Path(__file__).with_name("legacy_deepbench.py")
        subprocess.run([args.legacy_python, str(legacy)], check=True, env=env)


if __name__ == "__main__":
    main()

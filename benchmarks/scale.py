"""Scale: a large dataset to Zarr against HDF5, and two workers against one.

Run: ``python benchmarks/scale.py`` (both parts) or ``--part stores`` / ``--part workers``.

- ``stores``: ``--n`` (default 1,000,000) noisy 64×64 images of six shape classes, generated with
  ``deepbench generate --dask local:2`` into ``.zarr`` and into ``.h5`` (the yardstick): samples/s
  of the whole command and the peak RSS of the client and of each worker process.
- ``workers``: the same spec with ``--n-workers-case`` samples (default 200,000) into Zarr and
  HDF5, with ``--workers 1`` (the yardstick), ``--workers 2`` and ``--dask local:2``.

Every run is one ``deepbench generate`` subprocess, timed from start to exit (start-up, cluster
start and the final rename included). Peak RSS is each process's kernel high-water mark (VmHWM),
polled every 0.1 s for the client and all its descendants (Dask nannies included; the largest
non-client figure is reported as the worker peak), with the CPU seconds (user + system) of the
client and of all the others: the client's share is the serial part (merge, catalogue, records).
The total CPU of the run is exact (the kernel's account of the command and every process it
waited for); "CPU bound" is the speed-up over the yardstick that the case's CPU allows on two idle
cores, 2 × CPU(yardstick) / CPU(case), the figure that a loaded machine leaves least disturbed.
Outputs go to a temporary folder and are deleted after each run. The machine's load average is
printed before and after each run: on a shared machine, compare each figure with its yardstick
from the same invocation.

``--repeats R`` runs the ``workers`` cases R times, interleaved, and reports the best of each;
``--baseline-python PY`` runs every such case with PY too (e.g. the venv of a checkout of main),
interleaved with this one, so before and after share the machine's moments.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SHAPES = [  # six classes; sizes for a 64×64 canvas
    {"simulator": "shapes.rectangle",
     "params": {"width": {"dist": "uniform", "low": 10, "high": 30},
                "height": {"dist": "uniform", "low": 10, "high": 30},
                "angle": {"dist": "uniform", "low": 0, "high": 3.14}}},
    {"simulator": "shapes.polygon",
     "params": {"radius": {"dist": "uniform", "low": 7.5, "high": 20},
                "n_sides": {"dist": "integers", "low": 3, "high": 8},
                "angle": {"dist": "uniform", "low": 0, "high": 6.28}}},
    {"simulator": "shapes.ellipse",
     "params": {"a": {"dist": "uniform", "low": 10, "high": 20},
                "b": {"dist": "uniform", "low": 5, "high": 10},
                "angle": {"dist": "uniform", "low": 0, "high": 3.14}}},
    {"simulator": "shapes.circle", "params": {"radius": {"dist": "uniform", "low": 5, "high": 20}}},
    {"simulator": "shapes.arc",
     "params": {"radius": {"dist": "uniform", "low": 10, "high": 20},
                "thickness": {"dist": "uniform", "low": 1.25, "high": 5},
                "start": {"dist": "uniform", "low": 0, "high": 6.28},
                "end": {"dist": "uniform", "low": 0, "high": 6.28}}},
    {"simulator": "shapes.line",
     "params": {"length": {"dist": "uniform", "low": 10, "high": 50},
                "thickness": {"dist": "uniform", "low": 0.5, "high": 2.5},
                "angle": {"dist": "uniform", "low": 0, "high": 3.14}}},
]


def spec(n: int, chunk: int) -> dict:
    return {"name": "scale64", "n": n, "chunk_size": chunk, "seed": 1,
            "config": {"height": 64, "width": 64},
            "params": {"cx": {"dist": "uniform", "low": -5, "high": 5},
                       "cy": {"dist": "uniform", "low": -5, "high": 5}},
            "classes": copy.deepcopy(SHAPES),
            "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.05}},
            "output": {"compression": "lzf"}}


def _hwm_kb(p: psutil.Process) -> int:
    try:
        with open(f"/proc/{p.pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(spec_file: Path, out: Path, extra: list[str], n: int, python: str = sys.executable
        ) -> dict:
    """One ``deepbench generate`` subprocess: wall time, peak RSS and CPU of client and workers."""
    load = os.getloadavg()[0]
    cmd = [python, "-m", "deepbench.cli", "generate", str(spec_file), "-o", str(out), *extra]
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        try:
            procs = [proc, *proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            peaks[p.pid] = max(peaks.get(p.pid, 0), _hwm_kb(p))
            try:
                t = p.cpu_times()
                cpu[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        time.sleep(0.1)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    client = peaks.pop(proc.pid, 0)
    client_cpu = cpu.pop(proc.pid, 0.0)
    total_cpu = usage.ru_utime + usage.ru_stime  # the command and every process it waited for
    size = _size(out)
    shutil.rmtree(out) if out.is_dir() else out.unlink()
    return {"rate": n / wall, "wall": wall, "client_mb": client / 1024,
            "worker_mb": max(peaks.values(), default=0) / 1024, "processes": len(peaks),
            "disk_gb": size / 1e9, "client_cpu": client_cpu, "worker_cpu": sum(cpu.values()),
            "total_cpu": total_cpu, "load_before": load, "load_after": os.getloadavg()[0]}


def row(label: str, r: dict, yard: dict | None) -> str:
    ratio = f"{r['rate'] / yard['rate']:.2f}×" if yard else "yardstick"
    bound = f"{2 * yard['total_cpu'] / r['total_cpu']:.2f}×" if yard else "—"
    return (f"| {label} | {r['rate']:,.0f} | {ratio} | {r['client_mb']:,.0f} | "
            f"{r['worker_mb']:,.0f} | {r['client_cpu']:,.1f} / {r['worker_cpu']:,.1f} | "
            f"{r['total_cpu']:,.1f} | {bound} | {r['disk_gb']:.2f} | {r['load_before']:.1f} / "
            f"{r['load_after']:.1f} |")


HEADER = ("| run | samples/s | vs yardstick | client peak RSS (MB) | worker peak RSS (MB) | "
          "CPU s client / workers | CPU s total | CPU bound | on disk (GB) | "
          "load avg before / after |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")


def part_stores(tmp: Path, n: int, chunk: int) -> None:
    spec_file = tmp / "spec.json"
    spec_file.write_text(json.dumps(spec(n, chunk)))
    print(f"\n{n:,} images 64×64, chunk_size {chunk}, lzf, --dask local:2\n\n{HEADER}", flush=True)
    h5 = run(spec_file, tmp / "d.h5", ["--dask", "local:2"], n)
    print(row("HDF5 (yardstick)", h5, None), flush=True)
    zs = run(spec_file, tmp / "d.zarr", ["--dask", "local:2"], n)
    print(row("Zarr", zs, h5), flush=True)


WORKER_CASES = (["--workers", "1"], ["--workers", "2"], ["--dask", "local:2"])


def part_workers(tmp: Path, n: int, chunk: int, repeats: int, pythons: dict[str, str],
                 suffixes: list[str]) -> None:
    """Every case ``repeats`` times, interleaved (and with each interpreter); the best of each."""
    spec_file = tmp / "spec.json"
    spec_file.write_text(json.dumps(spec(n, chunk)))
    print(f"\n{n:,} images 64×64, chunk_size {chunk}, lzf; best of {repeats}, interleaved\n",
          flush=True)
    best: dict[tuple[str, str, int], dict] = {}
    for rep in range(repeats):
        for suffix in suffixes:
            for i, extra in enumerate(WORKER_CASES):
                for who, python in pythons.items():
                    r = run(spec_file, tmp / f"d{suffix}", extra, n, python)
                    print(f"  run {rep + 1}: {who} {suffix} {' '.join(extra)}: {r['rate']:,.0f}/s, "
                          f"CPU {r['total_cpu']:.1f} s, load {r['load_before']:.1f}", flush=True)
                    key = (who, suffix, i)
                    if key not in best or r["rate"] > best[key]["rate"]:
                        best[key] = r
    print(f"\n{HEADER}")
    for who in pythons:
        for suffix in suffixes:
            yard = best[who, suffix, 0]
            for i, extra in enumerate(WORKER_CASES):
                label = f"{who}: {suffix} {' '.join(extra)}" + (" (yardstick)" if i == 0 else "")
                print(row(label, best[who, suffix, i], None if i == 0 else yard), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["stores", "workers"])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--n-workers-case", type=int, default=200_000)
    ap.add_argument("--chunk", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=1, help="runs of each workers case (best kept)")
    ap.add_argument("--store", choices=["zarr", "h5"], help="workers cases for one store only")
    ap.add_argument("--baseline-python", help="also run the workers cases with this interpreter")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()}", flush=True)
    pythons = {"this": sys.executable}
    if args.baseline_python:
        pythons["baseline"] = args.baseline_python
    suffixes = [f".{args.store}"] if args.store else [".zarr", ".h5"]
    with tempfile.TemporaryDirectory(prefix="deepbench-scale-") as tmp:
        if args.part in (None, "stores"):
            part_stores(Path(tmp), args.n, args.chunk)
        if args.part in (None, "workers"):
            part_workers(Path(tmp), args.n_workers_case, args.chunk, args.repeats, pythons,
                         suffixes)


if __name__ == "__main__":
    main()

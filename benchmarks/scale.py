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
Outputs go to a temporary folder and are deleted after each run. The machine's load average is
printed before and after each run: on a shared machine, compare each figure with its yardstick
from the same invocation.
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


def run(spec_file: Path, out: Path, extra: list[str], n: int) -> dict:
    """One ``deepbench generate`` subprocess: wall time, peak RSS of client and workers."""
    load = os.getloadavg()[0]
    cmd = [sys.executable, "-m", "deepbench.cli", "generate", str(spec_file), "-o", str(out),
           *extra]
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}
    while proc.poll() is None:
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
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    client = peaks.pop(proc.pid, 0)
    client_cpu = cpu.pop(proc.pid, 0.0)
    size = _size(out)
    shutil.rmtree(out) if out.is_dir() else out.unlink()
    return {"rate": n / wall, "wall": wall, "client_mb": client / 1024,
            "worker_mb": max(peaks.values(), default=0) / 1024, "processes": len(peaks),
            "disk_gb": size / 1e9, "client_cpu": client_cpu,
            "worker_cpu": sum(cpu.values()), "load_before": load, "load_after": os.getloadavg()[0]}


def row(label: str, r: dict, yard: dict | None) -> str:
    ratio = f"{r['rate'] / yard['rate']:.2f}×" if yard else "yardstick"
    return (f"| {label} | {r['rate']:,.0f} | {ratio} | {r['client_mb']:,.0f} | "
            f"{r['worker_mb']:,.0f} | {r['client_cpu']:,.0f} / {r['worker_cpu']:,.0f} | "
            f"{r['disk_gb']:.2f} | {r['load_before']:.1f} / "
            f"{r['load_after']:.1f} |")


HEADER = ("| run | samples/s | vs yardstick | client peak RSS (MB) | worker peak RSS (MB) | "
          "CPU s client / workers | on disk (GB) | load avg before / after |\n"
          "|---|---:|---:|---:|---:|---:|---:|---|")


def part_stores(tmp: Path, n: int, chunk: int) -> None:
    spec_file = tmp / "spec.json"
    spec_file.write_text(json.dumps(spec(n, chunk)))
    print(f"\n{n:,} images 64×64, chunk_size {chunk}, lzf, --dask local:2\n\n{HEADER}", flush=True)
    h5 = run(spec_file, tmp / "d.h5", ["--dask", "local:2"], n)
    print(row("HDF5 (yardstick)", h5, None), flush=True)
    zs = run(spec_file, tmp / "d.zarr", ["--dask", "local:2"], n)
    print(row("Zarr", zs, h5), flush=True)


def part_workers(tmp: Path, n: int, chunk: int) -> None:
    spec_file = tmp / "spec.json"
    spec_file.write_text(json.dumps(spec(n, chunk)))
    print(f"\n{n:,} images 64×64, chunk_size {chunk}, lzf\n\n{HEADER}", flush=True)
    for suffix in (".zarr", ".h5"):
        one = run(spec_file, tmp / f"d{suffix}", ["--workers", "1"], n)
        print(row(f"{suffix} --workers 1 (yardstick)", one, None), flush=True)
        for extra in (["--workers", "2"], ["--dask", "local:2"]):
            r = run(spec_file, tmp / f"d{suffix}", extra, n)
            print(row(f"{suffix} {' '.join(extra)}", r, one), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["stores", "workers"])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--n-workers-case", type=int, default=200_000)
    ap.add_argument("--chunk", type=int, default=2000)
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="deepbench-scale-") as tmp:
        if args.part in (None, "stores"):
            part_stores(Path(tmp), args.n, args.chunk)
        if args.part in (None, "workers"):
            part_workers(Path(tmp), args.n_workers_case, args.chunk)


if __name__ == "__main__":
    main()

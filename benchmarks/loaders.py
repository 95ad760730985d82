"""Loader throughput: the PyTorch map-style dataset from HDF5 and the streaming dataset, each beside
a yardstick measured in the same process.

Run: ``python benchmarks/loaders.py [-n 25600] [--repeats 5] [--only map|stream]``.
One BLAS and one torch thread.
The dataset is ``examples/shapes.yaml`` (28×28 float32 images of six classes, Gaussian noise,
gzip level 4) with ``n`` samples, generated once into a temporary folder.

- ``map``: ``DataLoader(StoreDataset(path, "image", "class_index"), batch_size=256,
  num_workers=1)``, one epoch in order per repeat (a fresh worker each time, its start-up
  included). Yardstick: plain ``h5py`` reading the same 256-row slices of ``outputs/image`` and
  ``labels/class_index`` (file opened per repeat). ``map-in-process`` is the same with
  ``num_workers=0`` (no worker, no inter-process transfer: the dataset's own cost over plain
  h5py); ``map-batch-sampler`` reads each batch as one item (``ds[indices]`` through
  ``DataLoader(batch_size=None, sampler=BatchSampler(…))``, one worker: no per-sample items, no
  collation). ``map-shuffled`` is ``map`` with ``shuffle=True`` (the block cache decompresses
  each storage block once per epoch); its yardstick is ``h5py`` reading the same shuffled
  batches as sorted point selections (on the first 20 batches only: it is slow).
- ``stream``: ``StreamingDataset(spec, "image", "class_index", batch_size=256)`` (built once)
  iterated for one epoch in this process (``DataLoader(batch_size=None)``), and
  ``stream-samples``: the same yielding samples collated by ``DataLoader(batch_size=256)``.
  Yardstick: ``Plan.simulate_chunk`` over every chunk of the same spec, i.e. the simulator's own
  rate through the pipeline (what ``deepbench.simulate`` does, without its final concatenation).

Every case alternates with its yardstick (best of ``--repeats`` each, after one untimed run of
each), so both see the same machine load. Each rate is given by wall clock and per CPU-second
(this process plus its reaped DataLoader workers, so worker start-up and inter-process transfer
count): on a shared machine the CPU figure moves far less between runs. Peak RSS is the
high-water mark after each case of this process, or of its worker processes for the cases with a
worker, so it only grows through the run. The load average (1 min) is printed before and after each case.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from timing import peak_rss_mb  # noqa: E402  (benchmarks/timing.py)

ROOT = Path(__file__).resolve().parents[1]
BATCH = 256


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def report(name: str, n: int, t: tuple[float, float], yard_name: str, n_yard: int,
           t_yard: tuple[float, float], rss: float, before: str) -> None:
    """Samples/s by wall clock and per CPU-second (this process and its finished workers)."""
    wall, cpu = n / t[0], n / t[1]
    wall_y, cpu_y = n_yard / t_yard[0], n_yard / t_yard[1]
    print(f"{name:17s} {wall:9,.0f}/s wall {cpu:9,.0f}/CPU-s | {yard_name}: {wall_y:9,.0f}/s wall "
          f"{cpu_y:9,.0f}/CPU-s | ratio wall {wall / wall_y:5.2f} CPU {cpu / cpu_y:5.2f} | "
          f"peak RSS {rss:4.0f} MB | load {before} → {load()}", flush=True)


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Wall-clock and CPU seconds of one call (CPU: this process plus the children it reaped)."""
    def cpu() -> float:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + kids.ru_utime + kids.ru_stime

    w, c = time.perf_counter(), cpu()
    fn()
    return time.perf_counter() - w, cpu() - c


def interleaved(yardstick, case, repeats: int):  # type: ignore[no-untyped-def]
    """Best (wall, CPU) times of ``yardstick`` and ``case`` run alternately (after one untimed run
    of each), so both see the same machine load; wall and CPU minima are taken separately."""
    yardstick(), case()
    runs_y, runs = [], []
    for _ in range(repeats):
        runs_y.append(timed(yardstick))
        runs.append(timed(case))
    return (min(r[0] for r in runs_y), min(r[1] for r in runs_y)), \
        (min(r[0] for r in runs), min(r[1] for r in runs))


def children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def bench_map(path: Path, n: int, repeats: int) -> None:
    import h5py
    import numpy as np
    import torch
    from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

    from deepbench.io.torch import StoreDataset

    def h5_slices() -> None:
        with h5py.File(path, "r") as f:
            img, cls = f["outputs/image"], f["labels/class_index"]
            for a in range(0, n, BATCH):
                img[a:a + BATCH], cls[a:a + BATCH]

    def epoch(shuffle: bool, workers: int = 1) -> None:
        ds = StoreDataset(path, "image", "class_index")
        gen = torch.Generator().manual_seed(0)
        for _ in DataLoader(ds, batch_size=BATCH, num_workers=workers, shuffle=shuffle,
                            generator=gen):
            pass

    before = load()
    t_yard, t = interleaved(h5_slices, lambda: epoch(False), repeats)
    report("map", n, t, "h5py same slices", n, t_yard, children_rss_mb(), before)
    before = load()
    t_yard, t = interleaved(h5_slices, lambda: epoch(False, 0), repeats)
    report("map-in-process", n, t, "h5py same slices", n, t_yard, peak_rss_mb(), before)

    def sampled() -> None:
        ds = StoreDataset(path, "image", "class_index")
        sampler = BatchSampler(SequentialSampler(ds), batch_size=BATCH, drop_last=False)
        for _ in DataLoader(ds, batch_size=None, sampler=sampler, num_workers=1):
            pass

    before = load()
    t_yard, t = interleaved(h5_slices, sampled, repeats)
    report("map-batch-sampler", n, t, "h5py same slices", n, t_yard, children_rss_mb(), before)

    order = torch.randperm(n, generator=torch.Generator().manual_seed(0)).numpy()
    few = [np.sort(order[a:a + BATCH]) for a in range(0, 20 * BATCH, BATCH)]

    def h5_points() -> None:
        with h5py.File(path, "r") as f:
            img, cls = f["outputs/image"], f["labels/class_index"]
            for rows in few:
                img[rows], cls[rows]

    before = load()
    t_yard, t = interleaved(h5_points, lambda: epoch(True), repeats)
    report("map-shuffled", n, t, "h5py point selections", 20 * BATCH, t_yard, children_rss_mb(),
           before)


def bench_stream(spec: dict, n: int, repeats: int) -> None:
    from torch.utils.data import DataLoader

    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve
    from deepbench.io.torch import StreamingDataset

    plan = Plan(resolve(spec))

    def own() -> None:
        for k in range(plan.spec.n_chunks):
            plan.simulate_chunk(k)

    streams = (StreamingDataset(spec, "image", "class_index", batch_size=BATCH),
               StreamingDataset(spec, "image", "class_index"))  # built once, like a training run

    def batched() -> None:
        for _ in DataLoader(streams[0], batch_size=None):
            pass

    def samples() -> None:
        for _ in DataLoader(streams[1], batch_size=BATCH):
            pass

    for name, fn in (("stream", batched), ("stream-samples", samples)):
        before = load()
        t_yard, t = interleaved(own, fn, repeats)
        report(name, n, t, "Plan.simulate_chunk", n, t_yard, peak_rss_mb(), before)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=25_600, help="samples (default 25,600 = 100 batches)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", choices=("map", "stream"), help="run only these cases")
    args = ap.parse_args()

    import torch
    import yaml
    from threadpoolctl import threadpool_limits

    import deepbench

    torch.set_num_threads(1)
    threadpool_limits(1)
    spec = yaml.safe_load((ROOT / "examples" / "shapes.yaml").read_text())
    spec["n"] = args.n
    print(f"# {args.n:,} 28×28 shapes, batch {BATCH}; python {sys.version.split()[0]}, "
          f"torch {torch.__version__}, {os.cpu_count()} CPUs", flush=True)
    if args.only != "stream":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "shapes.h5"
            t = time.perf_counter()
            deepbench.generate(spec, path)
            print(f"# generated in {time.perf_counter() - t:.1f} s", flush=True)
            bench_map(path, args.n, args.repeats)
    if args.only != "map":
        bench_stream(spec, args.n, args.repeats)


if __name__ == "__main__":
    main()

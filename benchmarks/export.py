"""Export throughput: samples/s of each ML export format of a 28×28 shapes dataset, beside a
yardstick measured in the same run (reading the image output from HDF5 and writing each sample
with ``np.save`` into memory: the work every per-sample format cannot avoid).

Run: ``python benchmarks/export.py [N]`` (default 5000 samples). Prints samples/s, the ratio to the
yardstick, the peak RSS of the process and the load average.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import best, peak_rss_mb

import deepbench
from deepbench.io.export import export

FORMATS = ("npy", "webdataset", "hf", "png8", "png", "jpeg", "imagefolder")


def main(n: int = 5000) -> None:
    spec = {"name": "bench", "n": n, "seed": 1, "chunk_size": 1000,
            "config": {"height": 28, "width": 28},
            "classes": [{"simulator": "shapes.circle"}, {"simulator": "shapes.rectangle"}],
            "params": {"cx": {"dist": "uniform", "low": -3, "high": 3}},
            "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}},
            "splits": {"fractions": {"train": 0.8, "test": 0.2}}}
    with tempfile.TemporaryDirectory() as tmp:
        data = deepbench.generate(spec, Path(tmp) / "d.h5")

        def yardstick() -> None:
            with deepbench.load(data) as ds:
                images = ds.outputs["image"][()]
            for img in images:
                np.save(io.BytesIO(), img)

        base = best(yardstick, 3)
        print(f"{n} samples of 28x28 float32; load average {os.getloadavg()[0]:.2f}")
        print(f"{'yardstick (h5 read + np.save each)':36s} {n / base:10,.0f} samples/s")
        for fmt in FORMATS:
            out = Path(tmp) / fmt
            t = best(lambda fmt=fmt, out=out: export(data, out, fmt, overwrite=True), 2)
            print(f"{fmt:36s} {n / t:10,.0f} samples/s   {base / t:6.3f} x yardstick")
    print(f"peak RSS {peak_rss_mb():.0f} MB; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)

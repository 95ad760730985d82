"""Throughput of the original DeepBench 0.2.3 on the shape-scene workload, for comparison.

The old package has our import name, so it is measured in a virtual environment of its own:

    python3 -m venv legacy-venv && legacy-venv/bin/pip install deepbench==0.2.3
    OMP_NUM_THREADS=1 legacy-venv/bin/python benchmarks/legacy_deepbench.py

or, to measure it in the same run as the current package,
``python benchmarks/throughput.py --legacy-python legacy-venv/bin/python``.

Workload: 28×28 images, each a filled rectangle plus an arc (its documented example), aliased as
the old package renders them, with Gaussian noise (level 0.6); per-image shape parameters are passed
explicitly, drawn from a seeded generator. Prints images/s (best of 3) and the peak RSS.
"""

from __future__ import annotations

import resource
import time

import numpy as np
from deepbench.image.shape_image import ShapeImage  # the legacy package


def run(n: int, rng: np.random.Generator) -> float:
    image = ShapeImage(image_shape=(28, 28), object_noise_level=0.6)
    start = time.perf_counter()
    for i in range(n):  # the legacy API makes one image per call
        params = [
            {"center": (int(rng.integers(10, 16)), int(rng.integers(10, 16))),
             "width": int(rng.integers(6, 12)), "height": int(rng.integers(4, 10)), "fill": True},
            {"center": (int(rng.integers(10, 16)), int(rng.integers(10, 16))),
             "radius": float(rng.uniform(6, 9)), "theta1": float(rng.uniform(0, 45)),
             "theta2": float(rng.uniform(85, 120))},
        ]
        image.combine_objects(["rectangle", "arc"], params, seed=i)
    return n / (time.perf_counter() - start)


def main() -> None:
    rng = np.random.default_rng(0)
    run(50, rng)  # warm-up (matplotlib imports, caches)
    best = max(run(2000, rng) for _ in range(3))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"legacy deepbench 0.2.3: 28x28 rectangle+arc scenes, aliased, gaussian noise: "
          f"{best:,.0f} images/s, peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()

"""Throughput of ``astro.galaxy_domains`` (and ``scenes.arcs``), one worker, beside yardsticks.

Run: ``python benchmarks/domains.py`` (all cases) or ``--case NAME``. Each case runs in a fresh
subprocess pinned to one BLAS thread and reports samples/s (best of ``--repeats``) of a whole
pipeline chunk (parameter draws, simulation, copies; ``Plan.simulate_chunk``) on the wall clock and
on the process's CPU clock (less sensitive to other processes on a shared machine), the peak RSS of
that subprocess and the load average, with two yardsticks measured in the same process:

- ``noise``: ``rng.standard_normal`` filling the same float32 maps (one per domain), the floor of
  touching every pixel once;
- ``point-sampled``: plain NumPy evaluating the same four closed-form maps at the pixel centres
  only (float32: two exponential discs, a Sérsic bulge, the NFW closed form), which is what a
  quick script would do and which is not a pixel integral (it misses the cusps' flux).

``--baseline-python PY`` then runs the same cases with another interpreter (e.g. the venv of a
checkout of the previous commit), for a before/after comparison on the same machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from timing import best, peak_rss_mb, run_cases

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

U = lambda lo, hi: {"dist": "uniform", "low": lo, "high": hi}  # noqa: E731
LOG = lambda lo, hi: {"dist": "loguniform", "low": lo, "high": hi}  # noqa: E731
GALAXY = {"cx": U(-1, 1), "cy": U(-1, 1), "halo_mass": LOG(1e11, 1e13),
          "concentration": U(5, 15), "stellar_mass": LOG(1e9, 1e11),
          "bulge_fraction": U(0, 0.5), "disc_scale": LOG(1, 5), "gas_fraction": U(0.05, 0.6),
          "inclination": U(0, 1.5), "angle": U(0, 3.14159), "disc_thickness": U(0.05, 0.2)}
CASES = {
    "domains4": {"simulator": "astro.galaxy_domains",
                 "config": {"height": 64, "width": 64, "domains": ["stars", "gas", "hi", "dm"]},
                 "params": GALAXY},
    "domains_all": {"simulator": "astro.galaxy_domains",
                    "config": {"height": 64, "width": 64,
                               "domains": ["stars", "gas", "hi", "hi_brightness", "h2", "dm"]},
                    "params": GALAXY},
    "arcs64": {"simulator": "scenes.arcs", "config": {"height": 64, "width": 64},
               "params": {"n_arcs": {"dist": "integers", "low": 1, "high": 4},
                          "n_stars": {"dist": "integers", "low": 0, "high": 6},
                          "radius": U(8, 20), "thickness": U(1, 4)}},
}
LABEL = {"domains4": "64×64 galaxy maps, 4 domains (stars, gas, HI, dark matter)",
         "domains_all": "64×64 galaxy maps, all 6 domains (+ HI brightness, H2)",
         "arcs64": "64×64 arcs + stars (1–4 arcs, 0–6 Moffat stars)"}


def run_case(name: str, n: int, repeats: int) -> None:
    import numpy as np
    from threadpoolctl import threadpool_limits

    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve

    threadpool_limits(1)
    spec = {**CASES[name], "n": n, "chunk_size": n, "seed": 1}
    plan = Plan(resolve(spec))
    k = len(plan.outputs)
    shape = plan.outputs[0].shape
    rng = np.random.Generator(np.random.SFC64(1))
    t, t_noise, t_point = float("inf"), float("inf"), float("inf")
    cpu, cpu_noise = float("inf"), float("inf")
    plan.simulate_chunk(0)
    for _ in range(repeats):   # interleaved, so that the machine's load hits all alike
        t = min(t, best(lambda: plan.simulate_chunk(0), 1, warm_up=False))
        cpu = min(cpu, best(lambda: plan.simulate_chunk(0), 1, warm_up=False,
                            clock=time.process_time))
        t_noise = min(t_noise, best(lambda: rng.standard_normal((n * k, *shape),
                                                                dtype=np.float32), 1))
        cpu_noise = min(cpu_noise, best(lambda: rng.standard_normal((n * k, *shape),
                                                                    dtype=np.float32), 1,
                                        clock=time.process_time))
        if name.startswith("domains"):
            t_point = min(t_point, best(lambda: _point_sampled(n, shape), 1))
    rss = peak_rss_mb()
    load = os.getloadavg()[0]
    line = (f"{name}: {n / t:,.0f} samples/s  peak RSS {rss:.0f} MB  load {load:.1f}  |  "
            f"noise for the same {k} maps {n / t_noise:,.0f}/s (ratio {t_noise / t:.2f})")
    if name.startswith("domains"):
        line += f"; point-sampled NumPy 4 maps {n / t_point:,.0f}/s (ratio {t_point / t:.2f})"
    line += (f"  |  CPU clock: {n / cpu:,.0f} samples/s, noise {n / cpu_noise:,.0f}/s "
             f"(ratio {cpu_noise / cpu:.2f})")
    print(line, flush=True)


def _point_sampled(n: int, shape: tuple[int, ...]) -> list:  # type: ignore[type-arg]
    """Stars (disc + bulge), gas, and NFW dark matter at the pixel centres, float32."""
    import numpy as np

    h, w = shape
    y, x = np.mgrid[:h, :w].astype(np.float32)
    x = (x - (w - 1) / 2)[None]
    y = (y - (h - 1) / 2)[None]
    q = np.linspace(0.3, 1.0, n, dtype=np.float32)[:, None, None]
    r = np.sqrt(x * x + (y / q) ** 2)
    rd = np.float32(6.0)
    stars = np.exp(-r / rd) + np.float32(5.0) * np.exp(-np.float32(7.67) * (r / np.float32(1.2))
                                                         ** np.float32(0.25))
    gas = np.exp(-r / (2 * rd))
    hi = gas / (1 + (gas * (gas + stars)) ** np.float32(0.92))
    xr = np.sqrt(x * x + y * y) / np.float32(40.0) + np.float32(1e-6)
    xr = np.broadcast_to(xr, r.shape)
    with np.errstate(invalid="ignore"):
        big = np.where(xr < 1, np.arccosh(1 / np.minimum(xr, 1)) / np.sqrt(1 - np.minimum(xr, 1) ** 2),
                       np.arccos(1 / np.maximum(xr, 1)) / np.sqrt(np.maximum(xr, 1) ** 2 - 1))
        dm = (1 - big) / (xr * xr - 1)
    return [stars, gas, hi, dm]


def main() -> None:
    args = sys.argv[1:]
    baseline = None
    if "--baseline-python" in args:
        at = args.index("--baseline-python")
        baseline = args[at + 1]
        del args[at:at + 2]
        sys.argv[1:] = args
    run_cases(__file__, __doc__, LABEL, run_case, default_n=lambda name: 2000, repeats=5)
    if baseline is not None:
        print(f"## baseline: {baseline}", flush=True)
        subprocess.run([baseline, __file__, *args], check=True)


if __name__ == "__main__":
    main()

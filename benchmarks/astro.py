"""Throughput and peak memory of the astro family, one worker, each beside a yardstick.

Run: ``python benchmarks/astro.py`` (all cases) or ``--case NAME``. Each case runs in a fresh
subprocess pinned to one BLAS thread and reports samples/s (best of ``--repeats``) of the whole
pipeline chunk (parameter draws, simulation, observation noise), the peak RSS of that subprocess,
the same rate in CPU time (``time.process_time``: steadier on a loaded machine), and, measured in
the same process in CPU time, yardsticks:

- ``noise``: ``rng.standard_normal`` filling the same float32 images (the cost floor of touching
  every pixel once);
- ``point-sampled``: a plain-NumPy Sérsic evaluated at pixel centres (float64, ``np.power``), what
  the original DeepBench and most quick scripts do (and what loses up to 10 % of a cusp's flux);
- sky cases: ``rng.poisson`` of a flat 400 e⁻ sky on the same images (NumPy's exact Poisson alone).

The load average at the end of each case is printed too: the machine is shared.
"""

from __future__ import annotations

import os
import time

from timing import best, peak_rss_mb, run_cases

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

U = lambda lo, hi: {"dist": "uniform", "low": lo, "high": hi}  # noqa: E731
POS = {"cx": U(-2, 2), "cy": U(-2, 2)}
CASES = {
    "sersic64": {"simulator": "astro.sersic", "config": {"height": 64, "width": 64},
                 "params": {**POS, "sersic_index": U(0.5, 6.0), "r_half": U(1.0, 8.0),
                            "g1": U(-0.3, 0.3), "g2": U(-0.3, 0.3), "flux": 1e4}},
    "moffat64": {"simulator": "astro.star", "config": {"height": 64, "width": 64},
                 "params": {**POS, "fwhm": U(1.5, 6.0), "beta": U(2.0, 5.0), "flux": 1e4}},
    "sky128": {"simulator": "scenes.sky", "config": {"height": 128, "width": 128},
               "params": {"n_stars": 3, "n_galaxies": 2, "sky": 200.0},
               "obs_noise": {"image": {"kind": "poisson_gaussian", "gain": 2.0, "sigma": 5.0}}},
}
CASES["spiral64"] = {"simulator": "astro.spiral", "config": {"height": 64, "width": 64},
                    "params": {**POS, "n_arms": {"dist": "choice", "values": [2, 3]},
                               "winding": U(2.0, 5.0), "arm_width": U(0.8, 2.0),
                               "inclination": U(0.0, 1.0), "angle": U(0.0, 3.14)}}
CASES["sky128_clean"] = {k: v for k, v in CASES["sky128"].items() if k != "obs_noise"}
CASES["sky128_numpy"] = {**CASES["sky128"], "obs_noise": {"image": {
    **CASES["sky128"]["obs_noise"]["image"], "sampler": "numpy"}}}
LABEL = {"sersic64": "64×64 Sérsic (n 0.5–6, r_half 1–8 px, sheared), pixel-integrated",
         "moffat64": "64×64 Moffat star (FWHM 1.5–6 px), pixel-integrated",
         "sky128": "128×128 sky: 3 stars + 2 galaxies, Moffat PSF, sky, exact Poisson + read noise",
         "spiral64": "64×64 spiral (2–3 arms, winding 2–5, inclined, rotated)",
         "sky128_clean": "the same sky scenes without observation noise",
         "sky128_numpy": "the same sky scenes, exact Poisson by rng.poisson (sampler: numpy)"}




def run_case(name: str, n: int, repeats: int) -> None:
    import numpy as np
    from threadpoolctl import threadpool_limits

    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve

    threadpool_limits(1)
    spec = {**CASES[name], "n": n, "chunk_size": n, "seed": 1}
    plan = Plan(resolve(spec))
    t = best(lambda: plan.simulate_chunk(0), repeats)
    t_cpu = best(lambda: plan.simulate_chunk(0), repeats, warm_up=False, clock=time.process_time)
    shape = plan.outputs[0].shape
    rng = np.random.Generator(np.random.SFC64(1))
    t_noise = best(lambda: rng.standard_normal((n, *shape), dtype=np.float32), repeats,
                   clock=time.process_time)
    extra = ""
    if name == "sersic64":
        t_point = best(lambda: _point_sampled_sersic(n, rng), repeats, clock=time.process_time)
        extra = f"  point-sampled NumPy Sérsic {n / t_point:,.0f}/s"
    if name.startswith("sky"):   # NumPy's own exact Poisson of the flat sky, in electrons
        sky = np.full((n, *shape), 200.0 * 2.0)
        t_pois = best(lambda: rng.poisson(sky), repeats, clock=time.process_time)
        extra = f"  rng.poisson fill of the sky (400 e-) {n / t_pois:,.0f}/s"
    rss = peak_rss_mb()
    print(f"{name}: {n / t:,.0f} samples/s ({n / t_cpu:,.0f}/s in CPU time)  peak RSS {rss:.0f} MB"
          "  |  yardsticks: "
          f"(CPU time) standard_normal fill {n / t_noise:,.0f}/s{extra}  |  load average "
          f"{os.getloadavg()[0]:.1f}")


def _point_sampled_sersic(n: int, rng) -> object:  # type: ignore[no-untyped-def]
    import numpy as np
    from scipy.special import gammaincinv

    idx = rng.uniform(0.5, 6.0, n)[:, None, None]
    re = rng.uniform(1.0, 8.0, n)[:, None, None]
    b = gammaincinv(2 * idx, 0.5)
    y, x = np.mgrid[:64, :64] - 31.5
    r = np.hypot(x, y)[None]
    return np.exp(-b * (np.power(r / re, 1 / idx) - 1)).astype(np.float32)


def chunk_size(name: str) -> int:
    """Default samples per chunk: 512 for the sky scenes, 256 for the spiral, else 2048."""
    return 512 if name.startswith("sky") else 256 if name == "spiral64" else 2048


def main() -> None:
    run_cases(__file__, __doc__, LABEL, run_case, default_n=chunk_size, repeats=5)


if __name__ == "__main__":
    main()

"""The table Poisson sampler (``sampler: table``) against ``rng.poisson``: exactness and speed.

Run: ``python benchmarks/poisson.py``. One process, one thread. Prints

- for each mean, a χ² test of 10⁷ draws of the floor table (a flat image) and, for means below
  ``FAINT``, of the faint Poisson process alone, against scipy's exact Poisson probabilities,
  with mean and variance;
- CPU time per pixel (best of 7, ``time.process_time``) of ``rng.poisson`` (the yardstick) and of
  :func:`deepbench.core.poisson.shot_noise` on the same arrays: a flat sky of 400 e⁻, the same
  sky with the sky level varying per image, and 128×128 ``scenes.sky`` images (3 stars, 2 galaxies,
  sky 200 counts, gain 2);
- the load average, since the machine is shared.
"""

from __future__ import annotations

import os
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")


def chi2(draws, mean):  # type: ignore[no-untyped-def]
    import numpy as np
    from scipy import stats

    lo, hi = stats.poisson.ppf([1e-7, 1 - 1e-7], mean)
    edges = np.unique(np.r_[-0.5, np.arange(lo, hi + 1) + 0.5, np.inf])
    observed = np.histogram(draws, edges)[0]
    expected = np.diff(np.r_[0.0, stats.poisson.cdf(edges[1:-1], mean), 1.0]) * draws.size
    keep = expected > 5
    value = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    return value, keep.sum() - 1, stats.chi2.sf(value, keep.sum() - 1)


def cpu_ns(fn, size, repeats=7):  # type: ignore[no-untyped-def]
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best / size * 1e9


def main() -> None:
    import numpy as np

    import deepbench
    from deepbench.core.poisson import FAINT, shot_noise

    rng = np.random.Generator(np.random.SFC64(2026))
    n = 10_000_000
    print("# exactness: 10^7 draws per mean, chi2 against scipy.stats.poisson")
    for mean in (0.05, 0.3, 1.0, 7.5, 400.0, 1.0e4, 2.5e5):
        d = shot_noise(np.full((10, n // 10), mean), 1.0, rng).ravel()
        c, dof, p = chi2(d, mean)
        line = (f"table   mean {mean:>9g}: mean {d.mean():.5f} var {d.var():.5f}  chi2 {c:.1f} / "
                f"{dof} dof, p = {p:.3f}")
        if mean < FAINT:   # a zero pixel per image makes the floor 0: all from the faint process
            lam = np.full((n // 1000, 1001), mean)
            lam[:, 0] = 0.0
            s = shot_noise(lam, 1.0, rng)[:, 1:].ravel()
            cs, dofs, ps = chi2(s, mean)
            line += f"  | faint: mean {s.mean():.5f} var {s.var():.5f} chi2 {cs:.1f}/{dofs}, p = {ps:.3f}"
        print(line, flush=True)
    print("# speed: CPU ns per pixel, best of 7 (yardstick rng.poisson on the same means)")
    flat = np.full((64, 128 * 128), 400.0)
    varying = flat * np.linspace(0.5, 2.0, 64)[:, None]
    sky = deepbench.simulate({"simulator": "scenes.sky", "n": 64, "seed": 1,
                              "config": {"height": 128, "width": 128},
                              "params": {"n_stars": 3, "n_galaxies": 2, "sky": 200.0}})
    scene = np.maximum(sky.outputs["image"], 0, dtype=np.float64).reshape(64, -1) * 2.0
    for name, lam in (("flat sky 400 e-", flat), ("sky 200-800 e- per image", varying),
                      ("sky128 scenes (3 stars + 2 galaxies)", scene)):
        t_np = cpu_ns(lambda lam=lam: rng.poisson(lam), lam.size)
        t_table = cpu_ns(lambda lam=lam: shot_noise(lam, 1.0, rng), lam.size)
        print(f"{name}: rng.poisson {t_np:.1f} ns/px, table {t_table:.1f} ns/px "
              f"(ratio {t_np / t_table:.2f})", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""The split Poisson sampler (``sampler: split``) against ``rng.poisson``: exactness and speed.

Run: ``python benchmarks/poisson.py``. One process, one thread. Prints

- for each mean, a χ² test of 10⁷ draws of the shared-table sampler (and of the small-mean
  sampler for means <= 10) against scipy's exact Poisson probabilities, with mean and variance;
- CPU time per pixel (best of 7, ``time.process_time``) of ``rng.poisson`` (the yardstick) and of
  :func:`deepbench.core.poisson.poisson_split` on the same arrays: a flat sky of 400 e⁻, the same
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
    from deepbench.core.poisson import poisson_split, shared_poisson, small_poisson

    rng = np.random.Generator(np.random.SFC64(2026))
    n = 10_000_000
    print("# exactness: 10^7 draws per mean, chi2 against scipy.stats.poisson")
    for mean in (0.05, 1.0, 7.5, 400.0, 1.0e4, 2.5e5):
        d = np.concatenate([shared_poisson(np.array([mean] * 10), n // 10, rng).ravel()])
        c, dof, p = chi2(d, mean)
        line = (f"shared  mean {mean:>9g}: mean {d.mean():.5f} var {d.var():.5f}  chi2 {c:.1f} / "
                f"{dof} dof, p = {p:.3f}")
        if mean <= 10:
            s = small_poisson(np.full(n, mean), rng)
            cs, dofs, ps = chi2(s, mean)
            line += f"  | small: mean {s.mean():.5f} var {s.var():.5f} chi2 {cs:.1f}/{dofs}, p = {ps:.3f}"
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
        t_split = cpu_ns(lambda lam=lam: poisson_split(lam, rng), lam.size)
        print(f"{name}: rng.poisson {t_np:.1f} ns/px, split {t_split:.1f} ns/px "
              f"(ratio {t_np / t_split:.2f})", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

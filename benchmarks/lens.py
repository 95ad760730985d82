"""Throughput of ``scenes.lens`` (one worker), beside yardsticks measured in the same process.

Run: ``python benchmarks/lens.py [-n 1024] [--repeats 3]``. Each case runs in a fresh subprocess
pinned to one BLAS thread and reports images/s (best of ``--repeats``) of the whole pipeline
chunk (parameter draws, simulation, observation noise) and the peak RSS of that subprocess. The
scene: 64×64 at 0.05 arcsec/px, an SIE (θ_E 0.6–1.3 arcsec, q 0.5–1) with external shear lensing a
sheared Sérsic source (n 0.5–4, r_half 0.05–0.5 arcsec) within 0.3 arcsec of the lens centre.

Yardsticks (same process, same scenes):

- ``lenstronomy``: if importable (``pip install lenstronomy``; not a DeepBench dependency),
  lenstronomy's ``ImageModel`` of the same SIE + shear + elliptical Sérsic with
  ``supersampling_factor`` 3 and no PSF, one image per call (its API is per image);
- ``numpy``: the Sérsic source evaluated once at the 64×64 pixel centres without any lens
  (float64), the cost floor of touching every pixel with the profile.

The load average of the machine is printed with every line: the machine is shared, so compare
the ratio to the yardstick rather than the absolute rate.
"""

from __future__ import annotations

import os
import time

from timing import best, peak_rss_mb, run_cases

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

U = lambda lo, hi: {"dist": "uniform", "low": lo, "high": hi}  # noqa: E731
SCENE = {"theta_e": U(0.6, 1.3), "lens_q": U(0.5, 1.0), "lens_angle": U(0.0, 3.14159),
         "gamma1": U(-0.1, 0.1), "gamma2": U(-0.1, 0.1), "lens_x": U(-0.05, 0.05),
         "lens_y": U(-0.05, 0.05), "src_x": U(-0.3, 0.3), "src_y": U(-0.3, 0.3),
         "src_g1": U(-0.3, 0.3), "src_g2": U(-0.3, 0.3), "src_sersic_index": U(0.5, 4.0),
         "src_r_half": U(0.05, 0.5), "src_flux": 1000.0}
CASES = {
    "lens64": {"simulator": "scenes.lens", "config": {"height": 64, "width": 64},
               "params": SCENE},
    "lens64_full": {"simulator": "scenes.lens",
                    "config": {"height": 64, "width": 64, "lens_light": True, "psf": "gaussian",
                               "psf_fwhm": 0.12},
                    "params": {**SCENE, "light_flux": 5000.0, "light_r_half": 0.5, "sky": 50.0},
                    "obs_noise": {"image": {"kind": "poisson_gaussian", "gain": 2.0,
                                            "sigma": 3.0}}},
}
LABEL = {"lens64": "64×64 SIE + shear lensing a Sérsic source, no PSF, no noise",
         "lens64_full": "the same with Sérsic lens light, Gaussian PSF (0.12\"), sky, exact "
                        "Poisson + read noise"}


def run_case(name: str, n: int, repeats: int) -> None:
    from threadpoolctl import threadpool_limits

    from deepbench.dataset.plan import Plan
    from deepbench.dataset.spec import resolve

    threadpool_limits(1)
    plan = Plan(resolve({**CASES[name], "n": n, "chunk_size": n, "seed": 1}))
    load0 = os.getloadavg()[0]
    t = best(lambda: plan.simulate_chunk(0), repeats)
    batch = plan.simulate_chunk(0)
    labels = batch.groups["labels"]
    t_np = best(lambda: _numpy_sersic(labels), repeats)
    line = (f"{name}: {n / t:,.0f} images/s  peak RSS {peak_rss_mb():.0f} MB  |  numpy Sérsic at "
            f"pixel centres {n / t_np:,.0f}/s")
    rate_lt = _lenstronomy(labels, min(n, 200))
    if rate_lt:
        line += f"  lenstronomy 3×3 {rate_lt:,.0f}/s (ratio {n / t / rate_lt:.2f}×)"
    print(line + f"  load {load0:.1f}→{os.getloadavg()[0]:.1f}", flush=True)


def _numpy_sersic(p) -> object:  # type: ignore[no-untyped-def]
    import numpy as np
    from scipy.special import gammaincinv

    n = p["src_sersic_index"][:, None, None]
    re = p["src_r_half"][:, None, None] / 0.05
    b = gammaincinv(2 * n, 0.5)
    y, x = np.mgrid[:64, :64] - 31.5
    r = np.hypot(x - p["src_x"][:, None, None] / 0.05, y - p["src_y"][:, None, None] / 0.05)
    return np.exp(-b * (np.power(r / re, 1 / n) - 1)).astype(np.float32)


def _lenstronomy(p, count: int) -> float | None:  # type: ignore[no-untyped-def]
    """lenstronomy images/s for the first ``count`` scenes (3×3 supersampling), or None."""
    try:
        import numpy as np
        from lenstronomy.Data.imaging_data import ImageData
        from lenstronomy.Data.psf import PSF
        from lenstronomy.ImSim.image_model import ImageModel
        from lenstronomy.LensModel.lens_model import LensModel
        from lenstronomy.LightModel.light_model import LightModel
    except ImportError:
        return None
    ps = 0.05
    data = ImageData(image_data=np.zeros((64, 64)), transform_pix2angle=np.eye(2) * ps,
                     ra_at_xy_0=-31.5 * ps, dec_at_xy_0=-31.5 * ps)
    model = ImageModel(data, PSF(psf_type="NONE"), lens_model_class=LensModel(["SIE", "SHEAR"]),
                       source_model_class=LightModel(["SERSIC_ELLIPSE"]),
                       kwargs_numerics={"supersampling_factor": 3})
    kwargs = []
    for k in range(count):
        e = (1 - p["lens_q"][k]) / (1 + p["lens_q"][k])
        kwargs.append(([{"theta_E": p["theta_e"][k], "e1": e * np.cos(2 * p["lens_angle"][k]),
                         "e2": e * np.sin(2 * p["lens_angle"][k]), "center_x": p["lens_x"][k],
                         "center_y": p["lens_y"][k]},
                        {"gamma1": p["gamma1"][k], "gamma2": p["gamma2"][k],
                         "ra_0": p["lens_x"][k], "dec_0": p["lens_y"][k]}],
                       [{"amp": 1.0, "R_sersic": p["src_r_half"][k],
                         "n_sersic": p["src_sersic_index"][k], "e1": p["src_g1"][k],
                         "e2": p["src_g2"][k], "center_x": p["src_x"][k],
                         "center_y": p["src_y"][k]}]))
    model.image(*kwargs[0])
    t = time.perf_counter()
    for kl, ks in kwargs:
        model.image(kl, ks)
    return count / (time.perf_counter() - t)


def main() -> None:
    run_cases(__file__, __doc__, LABEL, run_case, default_n=lambda name: 1024, repeats=3)


if __name__ == "__main__":
    main()

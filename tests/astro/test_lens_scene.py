"""scenes.lens: pixel integrals against a brute-force renderer written in the tests, ring radius,
surface-brightness conservation, magnification, κ map, PSF, errors and the example spec."""

from __future__ import annotations

import itertools
import math

import h5py
import numpy as np
import pytest
from conftest import EXAMPLES
from lens_reference import lensed_sersic
from scipy import integrate, special

import deepbench
from deepbench.astro.lens import Lensing
from deepbench.astro.lensing import Lens
from deepbench.errors import SpecError
from deepbench.testing import check_simulator

PS = 0.05


def _params(n: int = 1, **over) -> dict[str, np.ndarray]:
    sim = Lensing({})
    full = {p.name: p.default for p in sim.params}
    full.update(over)
    return {k: np.broadcast_to(np.asarray(v, np.float64), (n,)).copy() for k, v in full.items()}


def _run(config=None, n: int = 1, **over):
    return Lensing(config or {}).simulate(_params(n, **over), np.random.default_rng(0))


def _random_scenes(seed: int, count: int, n_range=(0.5, 2.0)) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        out.append({"theta_e": rng.uniform(0.6, 1.2), "lens_q": rng.uniform(0.5, 1.0),
                    "lens_angle": rng.uniform(0, np.pi), "gamma1": rng.uniform(-0.1, 0.1),
                    "gamma2": rng.uniform(-0.1, 0.1), "lens_x": rng.uniform(-0.1, 0.1),
                    "lens_y": rng.uniform(-0.1, 0.1), "src_x": rng.uniform(-0.3, 0.3),
                    "src_y": rng.uniform(-0.3, 0.3), "src_g1": rng.uniform(-0.3, 0.3),
                    "src_g2": rng.uniform(-0.3, 0.3), "src_sersic_index": rng.uniform(*n_range),
                    "src_r_half": rng.uniform(0.1, 0.5), "src_flux": 1000.0})
    return out


def test_scenes_lens_keeps_the_contract_in_other_configurations():
    check_simulator("scenes.lens", {"lens_light": True, "psf": "moffat", "kappa_map": True,
                                    "height": 24, "width": 20})
    check_simulator("scenes.lens", {"psf": "gaussian", "pixel_scale": 0.1, "psf_fwhm": 0.3})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lensed_image_matches_a_16x16_subsampled_rendering(seed):
    scenes = _random_scenes(seed, 2)
    res = _run(n=2, **{k: [s[k] for s in scenes] for k in scenes[0]})
    for k, scene in enumerate(scenes):
        ref = lensed_sersic(scene, (64, 64), PS, 16)
        img = res.outputs["image"][k].astype(np.float64)
        assert np.abs(img - ref).max() < 1e-3 * ref.max()
        assert res.truth["src_flux_in_image"][k] == pytest.approx(img.sum(), rel=1e-6)


def test_a_source_behind_an_sis_makes_a_ring_at_the_einstein_radius():
    res = _run(theta_e=1.0, lens_q=1.0, gamma1=0.0, gamma2=0.0, lens_x=0.0, lens_y=0.0,
               src_x=0.0, src_y=0.0, src_r_half=0.05, src_sersic_index=1.0, src_flux=1.0)
    img = res.outputs["image"][0].astype(np.float64)
    y, x = np.mgrid[:64, :64] - 31.5
    radius = (np.hypot(x, y) * img).sum() / img.sum() * PS
    assert radius == pytest.approx(1.0, rel=0.01)
    ring = np.hypot(x, y) * PS
    assert img[np.abs(ring - 1.0) < 0.1].sum() > 0.9 * img.sum()
    assert res.truth["n_images"][0] == -1 and np.isinf(res.truth["magnification"][0])


def test_surface_brightness_is_conserved():
    # A source far wider than the field has the same brightness everywhere: whatever the lens
    # does, every pixel then holds that brightness times the pixel area.
    re, flux = 2000.0, 1e9
    b = special.gammaincinv(1.0, 0.5)
    sb = flux * b / (math.pi * re**2)                      # n = 0.5: I0 = b / (π r_e²)
    res = _run(theta_e=1.3, lens_q=0.6, lens_angle=0.4, gamma1=0.08, gamma2=-0.05,
               src_sersic_index=0.5, src_r_half=re, src_flux=flux)
    img = res.outputs["image"][0].astype(np.float64)
    assert np.abs(img / (sb * PS**2) - 1.0).max() < 2e-5


def test_the_flux_of_a_small_source_is_magnified_by_the_point_magnification():
    # 0.2 px sources away from the caustics (|μ| < 6); the images are sub-pixel
    res = _run(n=3, theta_e=1.0, lens_q=[0.7, 0.9, 1.0], lens_angle=0.3, gamma1=[0.05, 0.0, 0.0],
               gamma2=0.02, src_x=[0.45, -0.4, 0.5], src_y=[0.1, 0.2, -0.3], src_r_half=0.01,
               src_sersic_index=1.0, src_flux=1.0)
    assert (res.truth["magnification"] < 6).all()
    assert np.allclose(res.truth["src_flux_in_image"], res.truth["magnification"], rtol=0.01)
    lens = Lens(np.full(3, 31.5), np.full(3, 31.5), np.full(3, 20.0), np.array([0.7, 0.9, 1.0]),
                np.full(3, 0.3), np.array([0.05, 0.0, 0.0]), np.full(3, 0.02))
    mag, n = lens.magnification(31.5 + np.array([9.0, -8.0, 10.0]), 31.5 + np.array([2, 4, -6.0]))
    assert np.allclose(res.truth["magnification"], mag, rtol=1e-9)
    assert np.array_equal(res.truth["n_images"], n)


def test_the_kappa_map_is_the_pixel_mean_of_the_sie_convergence():
    q, ang, te = 0.6, 0.5, 0.6
    res = _run({"kappa_map": True, "height": 16, "width": 16}, theta_e=te, lens_q=q,
               lens_angle=ang, lens_x=0.013, lens_y=-0.021, gamma1=0.1)
    kap = res.outputs["kappa"][0]
    x0, y0 = 7.5 + 0.013 / PS, 7.5 - 0.021 / PS
    c, s = math.cos(ang), math.sin(ang)

    def kappa(y, x):
        dx, dy = x - x0, y - y0
        xp, yp = c * dx + s * dy, -s * dx + c * dy
        return te / PS / (2 * math.sqrt(q * xp * xp + yp * yp / q))

    # far, far, near, beside the centre, and the pixel holding the centre (x 7.76, y 7.08)
    for i, j in [(2, 3), (7, 13), (9, 6), (8, 7), (7, 7), (7, 8)]:
        xs = sorted({j - 0.5, j + 0.5, min(max(x0, j - 0.5), j + 0.5)})   # split at the
        ys = sorted({i - 0.5, i + 0.5, min(max(y0, i - 0.5), i + 0.5)})   # singular centre
        ref = sum(integrate.dblquad(kappa, xa, xb, ya, yb, epsabs=1e-11, epsrel=1e-10)[0]
                  for xa, xb in itertools.pairwise(xs) for ya, yb in itertools.pairwise(ys))
        assert kap[i, j] == pytest.approx(ref, rel=1e-5)


def test_lens_light_is_the_astro_sersic_and_the_psf_keeps_the_flux():
    base = dict(light_flux=3000.0, light_r_half=0.4, light_sersic_index=3.0, lens_q=0.7,
                lens_angle=0.6, src_flux=500.0)
    plain = _run(**base).outputs["image"][0].astype(np.float64)
    lit = _run({"lens_light": True}, **base).outputs["image"][0].astype(np.float64)
    q, ang = 0.7, 0.6
    galaxy = deepbench.simulate("astro.sersic", n=1, seed=0, config={"height": 64, "width": 64},
                                flux=3000.0, r_half=0.4 / PS, sersic_index=3.0, q=q, angle=ang)
    assert np.allclose(lit - plain, galaxy.outputs["image"][0], rtol=0, atol=1e-3)
    blurred = _run({"psf": "gaussian", "psf_fwhm": 0.15}, **base).outputs["image"][0]
    assert blurred.sum() == pytest.approx(plain.sum(), rel=2e-3)
    assert blurred.max() < plain.max()


def test_sky_is_added_to_every_pixel():
    a = _run().outputs["image"][0]
    b = _run(sky=100.0).outputs["image"][0]
    assert np.allclose(b - a, 100.0, atol=1e-4)


def test_bad_input_is_refused_naming_the_field():
    with pytest.raises(SpecError, match=r"src_g1.*\|g\|"):
        _run(src_g1=0.8, src_g2=0.7)
    with pytest.raises(SpecError, match=r"config\.psf_fwhm: got 0\.01; expected a PSF FWHM"):
        Lensing({"psf": "gaussian", "psf_fwhm": 0.01})
    assert Lensing({}).check_params(_params(src_g1=0.8, src_g2=0.7))


def test_lens_finding_example_validates_and_generates(tmp_path):
    out = deepbench.generate(EXAMPLES / "lens_finding.yaml", tmp_path / "l.h5",
                             overrides=["n=16", "chunk_size=8"])
    with h5py.File(out) as f:
        assert f["outputs/image"].shape == (16, 64, 64)
        cls = f["labels/class_index"][()]
        assert set(cls) == {0, 1}
        n_img = f["truth/n_images"][()]
        assert (n_img[cls == 0] >= 2).all() and (n_img[cls == 1] <= 2).all()
        assert np.isfinite(f["labels/theta_e"][()]).all()
        assert not np.array_equal(f["outputs/image"][()], f["clean/image"][()])

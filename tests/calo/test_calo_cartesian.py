"""The ILD-like Cartesian grid, the incidence angle and the spots' own longitudinal profile."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import integrate, stats

from deepbench.calo import gflash
from deepbench.calo import observables as obs
from deepbench.calo.geometry import PRESETS, CartesianGeometry, reshape
from deepbench.calo.shower import Shower, profiles
from deepbench.errors import SpecError
from deepbench.testing import check_simulator

ILD = PRESETS["ild_like"]


def simulate(config: dict, n: int, energy: float, angle: float = 0.0, particle: int = 0,
             seed: int = 0):
    params = {"energy": np.full(n, energy), "particle": np.full(n, float(particle))}
    if angle or Shower(config).geometry.kind == "cartesian":
        params["angle"] = np.full(n, angle)
    return Shower(config).simulate(params, np.random.default_rng(seed))


def test_ild_like_preset_is_30_layers_of_5_mm_cells_in_w_si():
    assert ILD.shape == (30, 32, 32) and ILD.n_voxels == 30720 and ILD.cell == 5.0
    assert np.allclose(np.diff(ILD.x_edges()), 5.0) and ILD.x_edges()[0] == -80.0
    assert ILD.medium.sampling and ILD.medium.name == "W/Si 2.8/0.5 mm"
    # 2.8 mm of W per layer is 0.80 X0 of W; the effective medium gives ~24 X0 in all
    assert 2.8 / (10 * 0.3504) == pytest.approx(0.80, abs=0.005)
    assert ILD.layer_edges_x0()[-1] == pytest.approx(24.1, abs=0.1)
    flat = np.arange(ILD.n_voxels)[None]
    assert reshape(flat, ILD)[0, 4, 7, 9] == (4 * 32 + 7) * 32 + 9     # layer → y → x
    with pytest.raises(ValueError, match=r"do not fit geometry ild_like \(30720 voxels"):
        reshape(np.zeros((2, 100)), ILD)
    with pytest.raises(ValueError, match="n_y must be even"):
        CartesianGeometry("odd", 4, 3, 5.0, (1.0,), ILD.medium)


@pytest.mark.parametrize("config", [{"geometry": "ild_like"},
                                    {"geometry": "ild_like", "noise": 0.1, "threshold": 0.3}],
                         ids=str)
def test_contract(config):
    check_simulator("calo.shower", config)


@pytest.mark.parametrize("box", [(0.0, 1.0, 0.0, 2.0), (-0.5, 0.3, 0.2, 1.7), (-3, -1, -2, 4),
                                 (0.1, 0.2, -0.05, 0.05)])
@pytest.mark.parametrize("radius", [0.05, 0.7, 3.0])
def test_cell_fraction_is_the_integral_of_the_planar_profile(box, radius):
    x1, x2, y1, y2 = box
    density = lambda y, x: radius**2 / (np.pi * (x * x + y * y + radius**2) ** 2)  # noqa: E731
    ref = integrate.dblquad(density, x1, x2, y1, y2, epsabs=1e-13, epsrel=1e-11)[0]
    got = gflash.cell_fractions(np.array([x1, x2]), np.array([y1, y2]), np.array(radius),
                                np.array(radius), np.array(1.0))
    assert got[0, 0] == pytest.approx(ref, rel=1e-9, abs=1e-14)


def test_cells_match_independently_sampled_spots():
    """Spots drawn one by one (two-component radius by inversion of r²/(r² + R²), uniform
    azimuth, projected along a tilted axis) fall into the cells with the simulator's
    probabilities (chi-square)."""
    rng = np.random.default_rng(11)
    rc, rt, p, angle, shift_mm = 0.15, 0.9, 0.6, 0.4, 12.0
    rm_mm = 10 * ILD.medium.rm_cm
    n = 400_000
    radius = np.where(rng.random(n) < p, rc, rt)
    u = rng.random(n)
    r = radius * np.sqrt(u / (1 - u)) * rm_mm
    phi = rng.uniform(0, 2 * np.pi, n)
    x = shift_mm + r * np.cos(phi) / np.cos(angle)
    y = r * np.sin(phi)
    counts = np.histogram2d(y, x, bins=[ILD.y_edges(), ILD.x_edges()])[0]
    xe = (ILD.x_edges() - shift_mm) * np.cos(angle) / rm_mm
    prob = gflash.cell_fractions(xe, ILD.y_edges() / rm_mm, np.array(rc), np.array(rt),
                                 np.array(p))
    assert counts.sum() / n == pytest.approx(prob.sum(), abs=4 * np.sqrt(prob.sum() / n))
    expected = n * prob
    keep = expected > 20
    chi2 = ((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_mean_centre_shifts_by_depth_times_tan_angle():
    """On a fine, wide grid the expected energy centre of each layer is z tan θ (z the layer's
    mid-depth), and the simulated showers reproduce it within Monte Carlo error."""
    fine = CartesianGeometry("fine", 4000, 40, 0.5, ILD.layer_thickness, ILD.medium)  # ±1 m
    z_mid = np.cumsum(ILD.layer_thickness) - 0.5 * np.asarray(ILD.layer_thickness)
    e = np.array([50.0])
    t, a, b = gflash.draw_t_alpha(gflash.individual(e, ILD.medium), np.zeros(1), np.zeros(1))
    xc = 0.5 * (fine.x_edges()[1:] + fine.x_edges()[:-1])
    for angle in (0.0, 0.3, 0.6):
        px = profiles(fine, e, t, a, b, np.zeros(1), np.array([angle])).transverse.sum(2)[0]
        centre = (px * xc).sum(1) / px.sum(1)
        assert np.abs(centre - z_mid * np.tan(angle)).max() < 0.06      # mm
    res = simulate({"geometry": "ild_like", "threshold": 0.0}, 300, 50.0, angle=0.3, seed=4)
    x = res.outputs["showers"]
    centre, _ = obs.centre_and_width(x, ILD, "eta")                    # η = x for a grid
    assert np.allclose(obs.voxel_centres(ILD).eta[:32], 0.5 * (ILD.x_edges()[1:]
                                                                + ILD.x_edges()[:-1]))
    layers = slice(3, 20)            # the shower's body; the cell size aliases the core ±2 mm
    mean = centre[:, layers].mean(0)
    se = centre[:, layers].std(0, ddof=1) / np.sqrt(len(centre))
    assert np.abs(mean - z_mid[layers] * np.tan(0.3)).max() < 1.5
    slope = np.polyfit(z_mid[layers], mean, 1, w=1 / se)[0]
    assert slope == pytest.approx(np.tan(0.3), rel=0.03)


def test_angle_lengthens_the_path_through_each_layer():
    """Along a tilted axis a layer is 1/cos θ thicker: the longitudinal (energy and spot)
    profiles at θ equal the normal-incidence ones of layers 1/cos θ thick, and on a grid wide
    enough the transverse containment hardly changes."""
    angle = 0.5
    wide = CartesianGeometry("wide", 64, 64, 5.0, ILD.layer_thickness, ILD.medium)
    thick = CartesianGeometry("thick", 64, 64, 5.0,
                              tuple(d / np.cos(angle) for d in ILD.layer_thickness), ILD.medium)
    e = np.array([5.0, 30.0, 300.0])
    t, a, b = gflash.draw_t_alpha(gflash.individual(e, ILD.medium), np.zeros(3), np.zeros(3))
    start = np.array([0.0, 0.7, 0.0])
    tilted = profiles(wide, e, t, a, b, start, np.full(3, angle))
    straight = profiles(thick, e, t, a, b, start, np.zeros(3))
    assert np.allclose(tilted.energy, straight.energy, rtol=1e-12, atol=1e-15)
    assert np.allclose(tilted.spots, straight.spots, rtol=1e-12, atol=1e-15)
    assert np.allclose(tilted.containment[:, :20], straight.containment[:, :20], atol=2e-3)


def test_angle_is_refused_for_cylindrical_geometries_and_out_of_range():
    from deepbench.dataset.spec import resolve

    base = {"name": "a", "seed": 1, "n": 3, "simulator": "calo.shower"}
    with pytest.raises(SpecError, match=r"params.angle: .*no value: angle is unused here "
                       r"\(geometry calochallenge_ds2 is a cylindrical binning"):
        resolve({**base, "params": {"energy": 10, "angle": 0.2}})
    with pytest.raises(SpecError, match=r"params.angle: .*<= 1"):
        resolve({**base, "config": {"geometry": "ild_like"},
                 "params": {"energy": 10, "angle": 1.5}})
    spec = resolve({**base, "config": {"geometry": "ild_like"},
                    "params": {"energy": 10, "angle": 0.2}})
    assert spec is not None


@pytest.mark.parametrize("geometry", ["calochallenge_ds2", "fastar"])
def test_spot_counts_follow_the_spot_profile(geometry):
    """Spots per layer (voxel energy / the layer's spot energy) against λ × the spot profile
    integrated over the layer, computed from the truth with scipy's Gamma distribution; each
    layer's spot energy makes its mean energy that of the energy profile."""
    g = PRESETS[geometry]
    res = simulate({"geometry": geometry, "threshold": 0.0, "leakage": False}, 400, 20.0,
                   seed=7)
    t = res.truth
    z = g.medium.z
    t1, t2, a1, a2 = (0.813, 0.0019, 0.844, 0.0026) if g.medium.sampling else \
        (0.698, 0.00212, 0.639, 0.00334)
    assert np.allclose(t["spot_t_max"], np.maximum(0.5, t["t_max"] * (t1 + t2 * z)))
    assert np.allclose(t["spot_alpha"], np.maximum(1.1, t["alpha"] * (a1 + a2 * z)))
    beta_s = (t["spot_alpha"] - 1) / t["spot_t_max"]
    edges = g.layer_edges_x0()
    cdf = stats.gamma.cdf(edges[None, :], t["spot_alpha"][:, None],
                          scale=1 / beta_s[:, None])
    q = np.diff(cdf, axis=1)
    q /= q.sum(1, keepdims=True)                         # leakage off: renormalised
    expected = t["spot_mean"][:, None] * q
    w = t["layer_spot_energy"]
    counts = reshape(res.outputs["showers"], g).sum(axis=(2, 3), dtype=np.float64)
    n = np.round(counts / np.where(w > 0, w, 1))
    zscore = (n.sum(0) - expected.sum(0)) / np.sqrt(expected.sum(0) + 1e-12)
    assert np.abs(zscore).max() < 4.5
    # the spot energy w_l = E_vis f_l / (λ q_l) with f the energy profile
    f = np.diff(stats.gamma.cdf(edges[None, :], t["alpha"][:, None],
                                scale=t["t_max"][:, None] / (t["alpha"][:, None] - 1)), axis=1)
    f /= f.sum(1, keepdims=True)
    e_vis = 20e3 * g.medium.e_hat
    ok = expected > 1e-6
    assert np.allclose((w * expected)[ok], (e_vis * f)[ok], rtol=1e-6)


def test_full_geometry_is_in_the_attributes_of_the_output(tmp_path):
    import h5py

    from deepbench.dataset.generate import generate

    for name in ("calochallenge_ds2", "ild_like"):
        out = tmp_path / f"{name}.h5"
        generate({"name": "g", "seed": 1, "n": 2, "simulator": "calo.shower",
                  "config": {"geometry": name}, "params": {"energy": 10}}, out)
        g = PRESETS[name]
        with h5py.File(out, "r") as f:
            attrs = dict(f["outputs/showers"].attrs)
            labels = set(f["labels"])
        assert attrs["geometry"] == name and attrs["geometry_kind"] == g.kind
        assert int(attrs["n_voxels"]) == g.n_voxels and int(attrs["n_layers"]) == g.n_layers
        assert json.loads(attrs["layer_thickness_mm"]) == list(g.layer_thickness)
        assert np.allclose(json.loads(attrs["layer_edges_x0"]), g.layer_edges_x0())
        medium = json.loads(attrs["medium"])
        assert medium["x0_cm"] == g.medium.x0_cm and medium["rm_cm"] == g.medium.rm_cm
        binning = json.loads(attrs["binning"])
        if name == "ild_like":
            assert (binning["n_x"], binning["n_y"], binning["cell_mm"]) == (32, 32, 5.0)
            assert "angle" in labels
        else:
            assert binning["r_edges_mm"] == [list(e) for e in g.r_edges]
            assert binning["n_alpha"] == list(g.n_alpha) and "angle" not in labels

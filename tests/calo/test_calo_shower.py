"""calo.shower: contract, energy bookkeeping, profiles against the analytic expectation,
resolution from the simulator's own terms, and errors before work."""

from __future__ import annotations

import numpy as np
import pytest

from deepbench.calo.geometry import PRESETS, reshape
from deepbench.calo.shower import Shower, draw_counts, expected_layer_fractions
from deepbench.errors import SpecError
from deepbench.testing import check_simulator

CONFIGS = [{"noise": 0.5, "constant_term": 0.02}, {"leakage": False, "threshold": 0.0},
           {"geometry": "fastar"}, {"geometry": "calochallenge_ds3"}]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_contract_in_other_configurations(config):
    check_simulator("calo.shower", config)


def run(config: dict, energy, particle=0, n: int = 1, seed: int = 0, chunk: int = 1000):
    """Simulate n showers in chunks; yield (energy, SimResult) per chunk."""
    sim = Shower(config)
    rng = np.random.default_rng(seed)
    for start in range(0, n, chunk):
        b = min(chunk, n - start)
        params = {"energy": np.broadcast_to(np.asarray(energy, float), (n,))[start:start + b].copy(),
                  "particle": np.full(b, float(particle))}
        yield params["energy"], sim.simulate(params, rng)


@pytest.mark.parametrize("geometry", sorted(PRESETS))
@pytest.mark.parametrize("extra", [{}, {"noise": 0.3, "constant_term": 0.05, "threshold": 0.2}])
def test_energy_is_conserved(geometry, extra):
    rng = np.random.default_rng(1)
    lo, hi = PRESETS[geometry].energy_range
    energy = np.exp(rng.uniform(np.log(lo), np.log(hi), 64))
    ((_, res),) = run({"geometry": geometry, **extra}, energy, n=64, particle=1)
    x, t = res.outputs["showers"].astype(np.float64), res.truth
    assert res.outputs["showers"].dtype == np.float32
    assert np.allclose(t["visible"] + t["leaked"], t["deposited"], rtol=1e-12)
    assert np.allclose(x.sum(1) + t["below_threshold"], t["visible"] + t["readout_shift"],
                       rtol=1e-5, atol=1e-3)
    g = PRESETS[geometry]
    per_layer = reshape(x, g).sum(axis=(2, 3))
    if not extra:
        assert (t["readout_shift"] == 0).all() and (t["below_threshold"] == 0).all()
        assert np.allclose(x.sum(1) + t["leaked"], t["deposited"], rtol=1e-5)
        # every voxel holds a whole number of its layer's spots
        w = t["layer_spot_energy"].astype(np.float32)
        n = reshape(x, g) / np.where(w > 0, w, 1)[:, :, None, None]
        assert np.allclose(n, np.round(n), atol=1e-3)
        assert np.allclose(per_layer, np.round(n).sum(axis=(2, 3)) * t["layer_spot_energy"],
                           rtol=1e-5, atol=1e-3)
    else:
        assert (x[x != 0] >= 0.2).all()


@pytest.mark.parametrize("geometry, n, particle", [
    ("calochallenge_ds2", 1500, 0), ("calochallenge_ds2", 1500, 1), ("calochallenge_ds3", 300, 0),
    ("fastar", 1500, 0), ("ild_like", 200, 0)])
def test_mean_layer_fractions_match_the_integrated_expectation(geometry, n, particle):
    g = PRESETS[geometry]
    energy = 20.0
    fractions, spot_var, profile = [], [], []
    e_vis = energy * 1e3 * g.medium.e_hat
    for _, res in run({"geometry": geometry, "threshold": 0.0}, energy, particle, n, chunk=300):
        per_layer = reshape(res.outputs["showers"], g).sum(axis=(2, 3), dtype=np.float64)
        fractions.append(per_layer / e_vis)
        el = res.truth["expected_layer_energy"]
        spot_var.append(el * res.truth["layer_spot_energy"] / e_vis**2)   # Poisson spots
        profile.append(el / e_vis)
    f = np.concatenate(fractions)
    expected = expected_layer_fractions(g, energy, particle)
    # Monte Carlo error from the model: spot statistics given the profiles + profile fluctuations
    # (deep layers hold rare, heavy spots: the sample spread of a few hundred showers misses them)
    se = np.sqrt((np.concatenate(spot_var).mean(0) + np.concatenate(profile).var(0)) / n)
    z = (f.mean(axis=0) - expected) / np.maximum(se, 1e-12)
    assert np.abs(z).max() < 4.5, (z.round(1), expected.round(4))
    assert f.sum(1).mean() == pytest.approx(expected.sum(), abs=4 * f.sum(1).std() / np.sqrt(n))


def test_photons_start_deeper():
    g = PRESETS["calochallenge_ds2"]
    depth = np.arange(g.n_layers)
    cog = [(expected_layer_fractions(g, 50.0, p) * depth).sum() for p in (0, 1)]
    assert cog[1] - cog[0] == pytest.approx(9 / 7 / 0.806, rel=0.1)  # 9/7 X0, 0.806 X0 per layer
    ((_, res),) = run({}, 50.0, 1, 2000, chunk=2000)
    assert res.truth["start_depth"].mean() == pytest.approx(9 / 7, rel=0.1)


@pytest.mark.parametrize("energy", [1.0, 30.0, 1000.0])
def test_resolution_follows_the_simulators_own_terms(energy):
    noise, const, n = 0.2, 0.01, 2500
    g = PRESETS["calochallenge_ds2"]
    totals, spot_var = [], []
    for _, res in run({"leakage": False, "threshold": 0.0, "noise": noise, "constant_term": const},
                      energy, 0, n, seed=3, chunk=500):
        totals.append(res.outputs["showers"].sum(1, dtype=np.float64))
        # Var of Poisson spots of energy w_l, mean E_l / w_l per layer: Σ_l E_l w_l
        t = res.truth
        spot_var.append((t["expected_layer_energy"] * t["layer_spot_energy"]).sum(1))
    total = np.concatenate(totals)
    e_vis = energy * 1e3 * g.medium.e_hat
    v = np.concatenate(spot_var).mean() / e_vis**2 + g.n_voxels * noise**2 / e_vis**2
    predicted = np.sqrt((1 + const**2) * v + const**2)
    assert total.std() / total.mean() == pytest.approx(predicted, rel=0.05)


@pytest.mark.parametrize("energy, n", [(1.0, 10_000), (1000.0, 400)])
def test_mean_visible_energy_matches_expectation(energy, n):
    g = PRESETS["calochallenge_ds2"]
    totals = [res.outputs["showers"].sum(1, dtype=np.float64)
              for _, res in run({"leakage": False, "threshold": 0.0}, energy, 0, n, seed=4,
                                chunk=2500)]
    assert np.concatenate(totals).mean() == pytest.approx(energy * 1e3 * g.medium.e_hat,
                                                          rel=0.005)


def test_angular_split_has_the_law_of_independent_poisson_voxels():
    g = PRESETS["calochallenge_ds2"]
    rng = np.random.default_rng(8)
    n = 1500
    means = np.broadcast_to(rng.exponential(0.5, (1, g.n_layers, 9)) * 16,
                            (n, g.n_layers, 9)).copy()
    fast = draw_counts(g, means, rng).reshape(n, -1)
    slow = draw_counts(g, means, rng, general=True)
    mu = np.repeat(means[0][:, None, :] / 16, 16, axis=1).ravel()
    for counts in (fast, slow):
        z = (counts.mean(0) - mu) / np.sqrt(mu / n)
        assert np.abs(z).max() < 5.5
        assert counts.var(0).mean() == pytest.approx(mu.mean(), rel=0.04)   # Poisson: var = mean


def test_energy_outside_the_presets_range_is_refused_before_work():
    sim = Shower({"geometry": "fastar"})
    problems = sim.check_params({"energy": np.array([10.0, 150.0]), "particle": np.zeros(2)})
    assert [str(p) for p in problems] == [
        "params.energy: got 150.0; expected an energy in [1, 100] GeV, the range of geometry "
        "fastar"]
    assert Shower().check_params({"energy": np.array([1.0, 1000.0]),
                                  "particle": np.zeros(2)}) == []


def test_unknown_geometry_and_particle_are_refused():
    with pytest.raises(SpecError, match=r"config.geometry: got 'ds9'; expected one of"):
        Shower({"geometry": "ds9"})
    bad = Shower().param("particle")
    assert not bad.contains(np.array([2.0])).any() and not bad.contains(np.array([0.5])).any()


def test_custom_geometry_from_the_challenges_xml():
    from calo_support import binning

    xml = str(binning("binning_dataset_1_photons.xml"))
    config = {"geometry": "custom", "binning_xml": xml, "layer_thickness": [5.0] * 24,
              "material": "PbWO4"}
    check_simulator("calo.shower", config)
    sim = Shower(config)
    assert sim.outputs()[0].shape == (368,)
    ((_, res),) = run(config, 30.0, 0, 50, chunk=50)
    x, t = res.outputs["showers"].astype(np.float64), res.truth
    assert x.shape == (50, 368)
    assert np.allclose(x.sum(1) + t["leaked"], t["deposited"], rtol=1e-5)


def test_custom_geometry_errors_name_the_setting(tmp_path):
    from calo_support import binning

    xml = str(binning("binning_dataset_2.xml"))
    with pytest.raises(SpecError, match=r"config.layer_thickness: .*expected 45 thicknesses"):
        Shower({"geometry": "custom", "binning_xml": xml, "layer_thickness": [3.4] * 44})
    bad = tmp_path / "bad.xml"
    bad.write_text("<Bins")
    with pytest.raises(SpecError, match=r"config.binning_xml: .*readable CaloChallenge binning"):
        Shower({"geometry": "custom", "binning_xml": str(bad), "layer_thickness": [1.0]})
    with pytest.raises(SpecError, match=r"config.material: got 'Fe'"):
        Shower({"geometry": "custom", "binning_xml": xml, "layer_thickness": [3.4] * 45,
                "material": "Fe"})
    with pytest.raises(SpecError, match=r"config.binning_xml: .*expected nothing unless geometry "
                       r"is custom"):
        Shower({"binning_xml": xml})
    with pytest.raises(SpecError, match=r"config.layer_thickness: .*expected a value"):
        Shower({"geometry": "custom", "binning_xml": xml})


def test_bad_particle_and_energy_are_refused_by_the_pipeline_before_work(tmp_path):
    from deepbench.dataset.generate import generate
    from deepbench.dataset.spec import resolve

    base = {"name": "bad", "seed": 1, "n": 5, "simulator": "calo.shower"}
    with pytest.raises(SpecError, match=r"params.particle: .*integer >= 0 and <= 1; \[2\] are "
                       r"outside"):
        resolve({**base, "params": {"particle": 2, "energy": 10}})
    spec = {**base, "config": {"geometry": "fastar"},
            "params": {"energy": {"dist": "uniform", "low": 50, "high": 500}}}
    with pytest.raises(SpecError, match=r"params.energy: got .*; expected an energy in \[1, 100\] "
                       r"GeV, the range of geometry fastar"):
        generate(spec, tmp_path / "bad.h5")
    assert not (tmp_path / "bad.h5").exists()

"""The material table against PDG values, and the sampling mixture rules."""

from __future__ import annotations

import pytest

from deepbench.calo.materials import E_S_MEV, MATERIALS, material, sampling_mixture
from deepbench.errors import SpecError

# PDG atomic and nuclear properties: X0 as a mass thickness (g/cm²), and R_M = X0 E_s / Ec.
X0_MASS = {"PbWO4": 7.39, "W": 6.76, "Pb": 6.37, "Si": 21.82}


@pytest.mark.parametrize("name", sorted(X0_MASS))
def test_table_agrees_with_pdg_mass_thickness_and_moliere_rule(name):
    m = MATERIALS[name]
    assert m.x0_mass == pytest.approx(X0_MASS[name], rel=2e-3)
    assert m.rm_cm == pytest.approx(m.x0_cm * E_S_MEV / m.ec_mev, rel=2e-3)
    assert m.source


def test_pbwo4_effective_z_is_mass_weighted():
    a = {"Pb": (82, 207.2), "W": (74, 183.84), "O": (8, 15.999)}
    counts = {"Pb": 1, "W": 1, "O": 4}
    mass = sum(counts[k] * a[k][1] for k in a)
    z = sum(counts[k] * a[k][1] / mass * a[k][0] for k in a)
    assert MATERIALS["PbWO4"].z == pytest.approx(z, abs=0.01)


def test_wsi_mixture_of_dataset_2():
    mix = sampling_mixture("W", 1.4, "Si", 0.3)
    assert 2 * 1.7 / (10 * mix.x0_cm) == pytest.approx(0.8, abs=0.01)   # layer 3.4 mm ≈ 0.8 X0
    assert mix.e_hat == pytest.approx(1 / (1 + 0.007 * 60))
    assert mix.f_s == pytest.approx(mix.x0_cm * 10 / 1.7)
    assert 72 < mix.z < 74 and MATERIALS["W"].rm_cm < mix.rm_cm < MATERIALS["Si"].rm_cm
    assert 0.03 < mix.mip_fraction < 0.04   # CaloChallenge uses 0.033


def test_one_component_mixture_is_the_material():
    mix = sampling_mixture("W", 1.0, "W", 1.0)
    w = MATERIALS["W"]
    assert (mix.x0_cm, mix.ec_mev, mix.z) == pytest.approx((w.x0_cm, w.ec_mev, w.z))
    assert mix.rm_cm == pytest.approx(w.x0_cm * E_S_MEV / w.ec_mev)   # PDG: R_M = X0 E_s / Ec


def test_unknown_material_names_the_field():
    with pytest.raises(SpecError, match=r"material: got 'Fe'; expected one of PbWO4, W, Pb, Si"):
        material("Fe")
    with pytest.raises(SpecError, match=r"active: got 'Xe'"):
        sampling_mixture("W", 1.0, "Xe", 1.0)

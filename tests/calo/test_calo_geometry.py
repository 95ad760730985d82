"""Geometry presets against the CaloChallenge's own binning XMLs; custom geometries and errors."""

from __future__ import annotations

import numpy as np
import pytest
from calo_support import binning

from deepbench.calo.geometry import PRESETS, from_xml, read_binning, reshape
from deepbench.errors import SpecError, StoreError


@pytest.mark.parametrize("name, xml, n_voxels", [
    ("calochallenge_ds2", "binning_dataset_2.xml", 6480),
    ("calochallenge_ds3", "binning_dataset_3.xml", 40500)])
def test_presets_match_the_challenge_binning(name, xml, n_voxels):
    g = PRESETS[name]
    edges, n_alpha = read_binning(binning(xml))
    assert g.n_voxels == n_voxels
    assert g.n_alpha == n_alpha
    assert np.allclose(np.array(g.r_edges), np.array(edges), rtol=0, atol=1e-9)
    # voxel order layer → angle → radius: the flat index of (l, a, r)
    n_l, n_a, n_r = g.shape
    flat = np.arange(n_voxels)[None]
    lar = reshape(flat, g)[0]
    assert lar[3, 5, 7] == (3 * n_a + 5) * n_r + 7


def test_fastar_is_24_cubed_and_25_x0_deep():
    g = PRESETS["fastar"]
    assert g.shape == (24, 24, 24) and g.medium.name == "PbWO4"
    assert g.layer_edges_x0()[-1] == pytest.approx(25.0)


def test_xml_round_trip(tmp_path):
    for g in PRESETS.values():
        if g.kind == "cartesian":
            with pytest.raises(StoreError, match=r"ild_like is a Cartesian grid"):
                g.to_xml()
            continue
        path = tmp_path / f"{g.name}.xml"
        path.write_text(g.to_xml())
        assert read_binning(path) == (g.r_edges, g.n_alpha)


def test_custom_geometry_from_an_irregular_xml():
    g = from_xml(binning("binning_dataset_1_photons.xml"), [3.0] * 24, "PbWO4")
    assert g.n_layers == 24 and not g.regular    # the first <Bin>; layers 4–11, 13–23 are empty
    assert g.n_voxels == 368                     # dataset 1 photons: 368 voxels
    with pytest.raises(ValueError, match="not regular"):
        _ = g.shape


def test_custom_geometry_errors(tmp_path):
    xml = binning("binning_dataset_2.xml")
    with pytest.raises(SpecError, match=r"layer_thickness: .*expected 45 thicknesses"):
        from_xml(xml, [3.4] * 44, "W")
    with pytest.raises(SpecError, match=r"material: got 'Cu'"):
        from_xml(xml, [3.4] * 45, "Cu")
    bad = tmp_path / "bad.xml"
    bad.write_text("<Bins><Bin><Layer r_edges='0,1'")
    with pytest.raises(SpecError, match=r"binning_xml: .*readable CaloChallenge binning XML"):
        read_binning(bad)
    with pytest.raises(SpecError, match=r"binning_xml: .*readable"):
        read_binning(tmp_path / "missing.xml")
    odd = tmp_path / "odd.xml"
    odd.write_text("<Bins><Bin><Layer r_edges='0,a' n_bin_alpha='1'/></Bin></Bins>")
    with pytest.raises(SpecError, match=r"binning_xml: .*numeric r_edges"):
        read_binning(odd)

"""CaloChallenge layout: export, a reader written from the published format description,
features computed by that reader against ours, and import errors."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import h5py
import numpy as np
import pytest

from deepbench.calo import observables as obs
from deepbench.calo.geometry import PRESETS
from deepbench.dataset.generate import generate
from deepbench.dataset.view import load
from deepbench.errors import StoreError
from deepbench.io import calochallenge
from deepbench.io.export import export

SPEC = {"name": "calo", "seed": 5, "n": 12, "simulator": "calo.shower",
        "config": {"geometry": "calochallenge_ds2"},
        "params": {"energy": {"dist": "loguniform", "low": 1, "high": 1000}, "particle": 0}}


def reference_reader(h5, xml):
    """From the format description only: datasets incident_energies (N, 1), showers (N, voxels),
    MeV; XML <Bins><Bin><Layer r_edges n_bin_alpha/>; flat index layer → alpha → r; alpha bin
    centres from −π; η = r cos α, φ = r sin α."""
    with h5py.File(h5, "r") as f:
        inc, showers = f["incident_energies"][:], f["showers"][:]
    layers = ET.parse(xml).getroot().find("Bin").findall("Layer")
    feats, start = {"E_layer": [], "EC_eta": [], "width_r": []}, 0
    for lay in layers:
        r = [float(x) for x in lay.get("r_edges").split(",")]
        n_a, n_r = int(lay.get("n_bin_alpha")), len(r) - 1
        block = showers[:, start:start + n_a * n_r].astype(np.float64)
        start += n_a * n_r
        r_mid = [(r[i] + r[i + 1]) / 2 for i in range(n_r)]
        a_mid = [-math.pi + (2 * j + 1) * math.pi / n_a for j in range(n_a)]
        eta = np.array([rm * math.cos(a) for a in a_mid for rm in r_mid])
        rr = np.array([rm for _ in a_mid for rm in r_mid])
        e = block.sum(1)
        feats["E_layer"].append(e)
        feats["EC_eta"].append((block * eta).sum(1) / (e + 1e-16))
        ec_r = (block * rr).sum(1) / (e + 1e-16)
        feats["width_r"].append(np.sqrt(np.clip((block * rr**2).sum(1) / (e + 1e-16) - ec_r**2,
                                                0, None)))
    return inc, showers, {k: np.stack(v, 1) for k, v in feats.items()}, start


def test_export_round_trips_through_a_reader_of_the_published_format(tmp_path):
    src = tmp_path / "ds.h5"
    generate(SPEC, src)
    out = export(src, tmp_path / "showers.h5", "calochallenge")
    inc, showers, feats, n_voxels = reference_reader(out, tmp_path / "showers.xml")
    g = PRESETS["calochallenge_ds2"]
    assert inc.shape == (12, 1) and showers.shape == (12, 6480) and n_voxels == 6480
    with load(src) as ds:
        assert np.allclose(inc[:, 0], ds.labels["energy"][()] * 1e3)
        assert np.array_equal(showers, ds.outputs["showers"][()])
    assert np.allclose(feats["E_layer"], obs.layer_energy(showers, g))
    assert np.allclose(feats["EC_eta"], obs.centre_and_width(showers, g, "eta")[0], atol=1e-9)
    # widths √(⟨r²⟩ − ⟨r⟩²) of one-voxel layers cancel to ~√eps: compare to 1e-4 mm
    assert np.allclose(feats["width_r"], obs.centre_and_width(showers, g, "r")[1], atol=1e-4)
    inc2, showers2, g2 = calochallenge.read(out)
    assert g2 is g and np.array_equal(showers2, showers) and np.array_equal(inc2, inc)


def test_import_of_an_unknown_voxel_count_names_the_geometries_tried(tmp_path):
    path = tmp_path / "odd.h5"
    with h5py.File(path, "w") as f:
        f["incident_energies"] = np.ones((2, 1))
        f["showers"] = np.zeros((2, 100))
    with pytest.raises(StoreError, match=r"100 voxels per shower fit no known geometry; tried "
                       r"calochallenge_ds2 \(6480\), calochallenge_ds3 \(40500\), fastar \(13824\)"):
        calochallenge.read(path)
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f["showers"] = np.zeros((2, 100))
    with pytest.raises(StoreError, match=r"missing \['incident_energies'\]"):
        calochallenge.read(tmp_path / "bad.h5")


def test_cli_export_and_show(tmp_path):
    from click.testing import CliRunner

    from deepbench.cli import main

    src = tmp_path / "ds.h5"
    generate(SPEC, src)
    runner = CliRunner()
    r = runner.invoke(main, ["export", str(src), "--format", "calochallenge", "-o",
                             str(tmp_path / "x.h5")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "x.h5").is_file() and (tmp_path / "x.xml").is_file()
    r = runner.invoke(main, ["export", str(src), "--format", "calochallenge", "-o",
                             str(tmp_path / "x.h5")])
    assert r.exit_code != 0 and "exists" in r.output
    r = runner.invoke(main, ["show", str(src), "-o", str(tmp_path / "show.png")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "show.png").stat().st_size > 10_000

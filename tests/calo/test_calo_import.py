"""`deepbench import`: a CaloChallenge file becomes a DeepBench dataset (and exports back to the
same arrays); bad inputs are named, and an unknown voxel count names the geometries tried."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from deepbench.cli import main
from deepbench.dataset.generate import generate
from deepbench.dataset.view import load
from deepbench.io.export import export

SPEC = {"name": "calo", "seed": 3, "n": 10, "simulator": "calo.shower",
        "params": {"energy": {"dist": "loguniform", "low": 1, "high": 1000}}}


@pytest.fixture()
def challenge_file(tmp_path):
    src = tmp_path / "ds.h5"
    generate(SPEC, src)
    return src, export(src, tmp_path / "challenge.h5", "calochallenge")


def test_import_round_trips_and_keeps_the_geometry(tmp_path, challenge_file):
    src, cc = challenge_file
    out = tmp_path / "imported.h5"
    r = CliRunner().invoke(main, ["import", str(cc), "-o", str(out)])
    assert r.exit_code == 0, r.output
    with load(out) as ds, load(src) as orig:
        assert np.array_equal(ds.outputs["showers"][()], orig.outputs["showers"][()])
        assert np.allclose(ds.labels["energy"][()], orig.labels["energy"][()], rtol=1e-15)
        assert (ds.labels["particle"][()] == 0).all()
        assert ds.outputs["showers"].attrs["geometry"] == "calochallenge_ds2"
        assert json.loads(ds.outputs["showers"].attrs["layer_thickness_mm"]) == [3.4] * 45
        assert ds.metadata["imported"]["source"] == "challenge.h5"
    back = export(out, tmp_path / "again.h5", "calochallenge")
    with h5py.File(back) as a, h5py.File(cc) as b:
        assert np.array_equal(a["showers"][()], b["showers"][()])
        assert np.array_equal(a["incident_energies"][()], b["incident_energies"][()])
    r = CliRunner().invoke(main, ["import", str(cc), "-o", str(out)])
    assert r.exit_code != 0 and "exists" in r.output


def test_import_errors_name_the_input(tmp_path, challenge_file):
    _, cc = challenge_file
    runner = CliRunner()
    r = runner.invoke(main, ["import", str(cc), "-o", str(tmp_path / "x.h5"), "--geometry",
                             "ds9", "--particle", "muon"])
    assert r.exit_code == 2
    assert "--particle: got 'muon'; expected one of electron, photon" in r.output
    assert "--geometry: got 'ds9'; expected one of calochallenge_ds2, calochallenge_ds3" \
        in r.output
    r = runner.invoke(main, ["import", str(cc), "-o", str(tmp_path / "x.zarr")])
    assert r.exit_code == 2 and "--out: got" in r.output and ".h5 or .hdf5" in r.output
    r = runner.invoke(main, ["import", str(cc), "-o", str(tmp_path / "x.h5"), "--geometry",
                             "fastar"])
    assert r.exit_code == 1 and "6480 voxels per shower do not fit geometry fastar" in r.output
    odd = tmp_path / "odd.h5"
    with h5py.File(odd, "w") as f:
        f["incident_energies"] = np.ones((2, 1))
        f["showers"] = np.zeros((2, 100))
    r = runner.invoke(main, ["import", str(odd), "-o", str(tmp_path / "y.h5")])
    assert r.exit_code == 1
    assert ("100 voxels per shower fit no known geometry; tried calochallenge_ds2 (6480), "
            "calochallenge_ds3 (40500), fastar (13824)") in r.output
    (tmp_path / "text.h5").write_text("not hdf5")
    r = runner.invoke(main, ["import", str(tmp_path / "text.h5"), "-o", str(tmp_path / "z.h5")])
    assert r.exit_code == 1 and "not a readable HDF5 file" in r.output
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "y.h5").exists()


def test_cartesian_datasets_are_refused_by_the_challenge_export(tmp_path):
    from deepbench.errors import StoreError

    src = tmp_path / "ild.h5"
    generate({**SPEC, "config": {"geometry": "ild_like"}}, src)
    with pytest.raises(StoreError, match="ild_like is a Cartesian grid"):
        export(src, tmp_path / "x.h5", "calochallenge")
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "x.xml").exists()
    r = CliRunner().invoke(main, ["show", str(src), "-o", str(tmp_path / "ild.png")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "ild.png").stat().st_size > 10_000

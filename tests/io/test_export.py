"""Export never loses an existing folder and never leaves a partial one behind."""

from __future__ import annotations

import numpy as np
import pytest

import deepbench
from deepbench.errors import OutputExistsError, StoreError
from deepbench.io import export as export_module
from deepbench.io.export import export


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    spec = {"simulator": "shapes.circle", "n": 6, "seed": 2, "config": {"height": 8, "width": 8},
            "params": {"radius": {"dist": "uniform", "low": 1, "high": 3}}}
    return deepbench.generate(spec, tmp_path_factory.mktemp("export") / "d.h5")


def existing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old export")
    return out


def leftovers(tmp_path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name not in ("out", "in.h5"))


def test_a_bad_input_is_refused_before_the_existing_output_is_touched(tmp_path):
    out = existing(tmp_path)
    bad = tmp_path / "in.h5"
    bad.write_text("not a dataset")
    with pytest.raises(StoreError, match="in.h5: not a readable HDF5 file"):
        export(bad, out, "npz", overwrite=True)
    assert (out / "keep.txt").read_text() == "old export"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt, writer", [("npz", "_npz"), ("png", "_png")])
def test_a_failed_export_keeps_the_old_output_and_removes_the_partial_one(
        stored, tmp_path, monkeypatch, fmt, writer):
    out = existing(tmp_path)

    def fail(ds, folder):  # type: ignore[no-untyped-def]
        (folder / "half-written").write_text("x")
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_module, writer, fail)
    with pytest.raises(RuntimeError, match="disk full"):
        export(stored, out, fmt, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert leftovers(tmp_path) == []


def test_overwrite_replaces_the_folder_once_the_new_one_is_complete(stored, tmp_path):
    out = existing(tmp_path)
    (tmp_path / "out.partial").mkdir()  # stale, from a killed export
    with pytest.raises(OutputExistsError, match="out exists; pass --overwrite"):
        export(stored, out, "npz")
    assert export(stored, out, "npz", overwrite=True) == out
    assert sorted(p.name for p in out.iterdir()) == ["dataset.npz", "export.json", "metadata.json"]
    with np.load(out / "dataset.npz") as z:
        assert z["outputs/image"].shape == (6, 8, 8)
    assert leftovers(tmp_path) == []


def test_an_existing_file_in_place_of_the_folder_is_replaced_with_overwrite(stored, tmp_path):
    out = tmp_path / "out"
    out.write_text("a file")
    export(stored, out, "png", overwrite=True)
    assert (out / "labels.csv").read_text().count("\n") == 7
    assert leftovers(tmp_path) == []

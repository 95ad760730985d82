"""The Zarr v3 store: the same arrays as the HDF5 store, completion markers and verified resume,
xarray's named dimensions, one reading interface, bit-exact conversion and the store choice."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr
from tests_support import dataset_bytes, stored_arrays

import deepbench
from deepbench.errors import OutputExistsError, SpecError, StoreError
from deepbench.stores.zarr import marker_key

SCENES = {"simulator": "shapes.scene", "n": 90, "chunk_size": 20, "seed": 3,
          "config": {"height": 16, "width": 16, "masks": True},
          "params": {"n_objects": {"dist": "integers", "low": 0, "high": 3}},
          "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}},
          "splits": {"fractions": {"train": 0.6, "test": 0.4},
                     "ood": {"crowded": {"n_objects": {"ge": 2}}}},
          "output": {"compression": "lzf"}}


class Interrupt(Exception):
    pass


def interrupted(spec, out, after: int = 2) -> None:
    def stop(done: int, total: int) -> None:
        if done >= after:
            raise Interrupt

    with pytest.raises(Interrupt):
        deepbench.generate(spec, out, progress=stop)


@pytest.mark.parametrize("which", ["small", "scenes"])
def test_zarr_holds_exactly_what_hdf5_holds(tmp_path, small_spec, which):
    spec = small_spec if which == "small" else SCENES
    h5 = deepbench.generate(spec, tmp_path / "d.h5")
    zs = deepbench.generate(spec, tmp_path / "d.zarr")
    assert zs == tmp_path / "d.zarr" and (zs / "zarr.json").is_file()
    assert stored_arrays(zs) == stored_arrays(h5)
    assert not (tmp_path / "d.zarr.partial").exists() and not (zs / "_deepbench").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.h5", "d.zarr"]  # no lock left


def test_zarr_layout_dimension_names_and_xarray(tmp_path):
    xr = pytest.importorskip("xarray")
    out = deepbench.generate(SCENES, tmp_path / "s.zarr")
    root = zarr.open_group(out, mode="r")
    image = root["outputs/image"]
    assert image.metadata.dimension_names == ("sample", "image_dim1", "image_dim2")
    assert image.chunks[0] == 20 and json.loads(root.attrs["deepbench"])["spec"]["n"] == 90
    with xr.open_zarr(out, group="outputs", consolidated=False) as ds:
        assert ds["image"].dims == ("sample", "image_dim1", "image_dim2")
        assert ds.sizes["sample"] == 90
    with xr.open_zarr(out, group="catalog", consolidated=False) as cat:
        assert cat["bbox"].dims == ("object", "bbox_dim1")
        assert np.all(np.diff(cat["sample_index"].values) >= 0)
    with xr.open_zarr(out, group="labels", consolidated=False) as labels:
        assert labels["n_objects"].attrs["description"]


def test_resume_recomputes_a_chunk_without_marker_and_a_damaged_one(tmp_path, small_spec):
    ref = deepbench.generate(small_spec, tmp_path / "ref.zarr")
    out = tmp_path / "d.zarr"
    interrupted(small_spec, out, after=3)
    partial = Path(str(out) + ".partial")
    (partial / marker_key(1)).unlink()  # chunk 1 written, its marker lost
    image = zarr.open_array(partial, path="outputs/image", mode="r+")
    image[20:40] = 7.0  # ... and its rows damaged: only a recomputation restores them
    image[0:5] = -1.0  # chunk 0 keeps its marker, but its data no longer match it
    messages: list[str] = []
    with pytest.raises(OutputExistsError, match="holds an interrupted run; pass --resume"):
        deepbench.generate(small_spec, out)
    deepbench.generate(small_spec, out, resume=True, log=messages.append)
    assert [m.split(":")[0] for m in messages] == ["chunk 0"]
    assert "differs from the recorded" in messages[0] and "recomputing" in messages[0]
    assert stored_arrays(out) == stored_arrays(ref)


def test_resume_of_a_different_spec_and_existing_outputs_are_refused(tmp_path, small_spec):
    out = tmp_path / "d.zarr"
    interrupted(small_spec, out)
    other = copy.deepcopy(small_spec)
    other["seed"] = 12
    with pytest.raises(OutputExistsError, match="an interrupted run of a different spec"):
        deepbench.generate(other, out, resume=True)
    deepbench.generate(small_spec, out, resume=True)
    with pytest.raises(OutputExistsError, match="d.zarr exists; pass --overwrite"):
        deepbench.generate(small_spec, out)
    deepbench.generate(other, out, overwrite=True)
    with deepbench.load(out) as ds:
        assert ds.spec["seed"] == 12


def test_output_format_in_the_spec_and_bad_suffixes(tmp_path, small_spec):
    from deepbench.dataset.spec import resolve

    assert "format" not in resolve(small_spec).to_json()["output"]  # run ids stay as they were
    spec = copy.deepcopy(small_spec)
    spec["output"]["format"] = "zarr"
    assert resolve(spec).to_json()["output"]["format"] == "zarr"
    out = deepbench.generate(spec, tmp_path / "plain")
    with deepbench.load(out) as ds:
        assert ds.format == "zarr" and len(ds) == 70
    with pytest.raises(SpecError, match=r"out: got '.*d\.nc'; expected a path ending in \.h5 "
                                        r"\(hdf5\) or \.zarr \(zarr\), or output.format"):
        deepbench.generate(small_spec, tmp_path / "d.nc")
    with pytest.raises(SpecError, match=r"expected a path ending in \.zarr for output.format zarr"):
        deepbench.generate(spec, tmp_path / "d.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]


def test_convert_round_trip_is_bit_exact(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    h5 = deepbench.generate(SCENES, tmp_path / "a.h5")
    zs = deepbench.convert(h5, tmp_path / "b.zarr")
    back = deepbench.convert(zs, tmp_path / "c.h5")
    direct = deepbench.generate(SCENES, tmp_path / "d.zarr")
    assert stored_arrays(zs) == stored_arrays(h5) == stored_arrays(direct)
    assert dataset_bytes(back) == dataset_bytes(h5)
    with deepbench.load(zs) as a, deepbench.load(h5) as b:
        assert a.metadata == b.metadata  # creation time included


def test_convert_refuses_a_damaged_source(tmp_path):
    zs = deepbench.generate(SCENES, tmp_path / "a.zarr")
    zarr.open_array(zs, path="labels/n_objects", mode="r+")[45] = 9.0
    with pytest.raises(StoreError, match="chunk 2 no longer matches the hash in its provenance"):
        deepbench.convert(zs, tmp_path / "b.h5")
    assert not (tmp_path / "b.h5").exists()


def test_load_info_show_export_read_zarr_like_hdf5(tmp_path):
    from click.testing import CliRunner

    from deepbench.cli import main

    h5 = deepbench.generate(SCENES, tmp_path / "a.h5")
    zs = deepbench.generate(SCENES, tmp_path / "a.zarr")
    with deepbench.load(zs) as z, deepbench.load(h5) as h:
        for key in (3, slice(5, 40, 7), [17, 2, 17, -1]):
            za, ha = z[key], h[key]
            assert za.keys() == ha.keys()
            assert all(np.array_equal(za[k], ha[k]) for k in za)
        for i in (0, 44, -1):
            zo, ho = z.objects(i), h.objects(i)
            assert zo.keys() == ho.keys() and all(np.array_equal(zo[k], ho[k]) for k in zo)
        assert repr(z) == repr(h).replace("a.h5", "a.zarr")
    z.close()
    with pytest.raises(StoreError, match=r"a.zarr: the dataset is closed"):
        z[0]
    runner = CliRunner()
    for path in (h5, zs):
        info = runner.invoke(main, ["info", str(path)])
        assert info.exit_code == 0 and "90 samples" in info.output, info.output
        assert runner.invoke(main, ["show", str(path), "-o", str(path) + ".png"]).exit_code == 0
        result = runner.invoke(main, ["export", str(path), "--format", "npz",
                                      "-o", str(path) + ".npz.d"])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "a.zarr.npz.d" / "dataset.npz").read_bytes() == \
        (tmp_path / "a.h5.npz.d" / "dataset.npz").read_bytes()


def test_load_says_what_is_not_a_dataset(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="empty: not a DeepBench dataset"):
        deepbench.load(tmp_path / "empty")
    with pytest.raises(StoreError, match="nothing.zarr: no such dataset file"):
        deepbench.load(tmp_path / "nothing.zarr")
    zarr.open_group(tmp_path / "bare.zarr", mode="w")
    with pytest.raises(StoreError, match=r"not a DeepBench dataset \(no 'deepbench' attribute\)"):
        deepbench.load(tmp_path / "bare.zarr")


CLI = [sys.executable, "-c", "import sys; from deepbench.cli import main; sys.argv[0] = "
       "'deepbench'; main()"]


def test_cli_unknown_suffix_is_one_line_exit_2(tmp_path):
    from conftest import EXAMPLES

    proc = subprocess.run([*CLI, "generate", str(EXAMPLES / "shapes.yaml"), "-o",
                           str(tmp_path / "d.nc")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: out: got '{tmp_path / 'd.nc'}'; expected a path ending in .h5 (hdf5) or .zarr "
        "(zarr), or output.format in the spec"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_gives_the_same_zarr(tmp_path):
    from conftest import EXAMPLES

    spec = str(EXAMPLES / "shape_scenes.yaml")
    sets = ["--set", "n=240", "--set", "chunk_size=20", "--set", "config.height=128",
            "--set", "config.width=128"]
    ref = deepbench.generate(spec, tmp_path / "ref.h5", overrides=[s for s in sets if s != "--set"])
    out = tmp_path / "killed.zarr"
    markers = Path(str(out) + ".partial") / "_deepbench" / "chunks"
    proc = subprocess.Popen([*CLI, "generate", spec, "-o", str(out), *sets],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(markers.glob("*.json"))) < 3:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "the run finished before it could be killed"
    assert 3 <= len(list(markers.glob("*.json"))) < 12
    subprocess.run([*CLI, "generate", spec, "-o", str(out), *sets, "--resume"], check=True,
                   capture_output=True)
    assert stored_arrays(out) == stored_arrays(ref)


def test_a_locked_local_zarr_output_is_refused_and_untouched(tmp_path, small_spec):
    from deepbench.errors import OutputBusyError
    from deepbench.stores.lock import OutputLock

    out = tmp_path / "d.zarr"
    with OutputLock(out), pytest.raises(OutputBusyError, match="d.zarr is being written by "
                                                                "another run"):
        deepbench.generate(small_spec, out)
    assert list(tmp_path.iterdir()) == []


def test_a_chunk_that_differs_from_the_declared_layout_is_refused(tmp_path, small_spec):
    from deepbench.dataset.generate import run_id
    from deepbench.dataset.plan import plan_for
    from deepbench.dataset.spec import resolve
    from deepbench.stores.zarr import ZarrStore

    spec = resolve(small_spec)
    plan = plan_for(spec.dumps())
    with ZarrStore(tmp_path / "d.zarr") as store:
        store.begin(plan, run_id(spec), overwrite=False, resume=False, log=print)
        chunk = plan.simulate_chunk(0)
        chunk.groups["outputs"]["image"] = chunk.groups["outputs"]["image"].astype("float64")
        with pytest.raises(StoreError, match=r"chunk 0 holds .*'float64'.* but the plan declares"):
            store.sink.write(chunk, plan)


def test_a_task_encodes_one_zarr_chunk_at_a_time(tmp_path, monkeypatch):
    """A writing process uses one core: the Blosc encodes of a chunk's many Zarr chunks never
    overlap (Zarr's default would run up to ten at once; each encode here waits 5 ms to show it),
    and Zarr's own setting is left as it was."""
    import threading

    from zarr.codecs import BloscCodec

    encode, lock = BloscCodec._encode_sync, threading.Lock()
    running, most = [0], [0]

    def counted(self, chunk_bytes, chunk_spec):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.005)
        try:
            return encode(self, chunk_bytes, chunk_spec)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(BloscCodec, "_encode_sync", counted)
    spec = {**copy.deepcopy(SCENES), "n": 40, "chunk_size": 40,
            "config": {"height": 128, "width": 128}}  # rows of 64 KiB: 4 Zarr chunks per array
    before = zarr.config.get("async.concurrency")
    out = deepbench.generate(spec, tmp_path / "d.zarr")
    assert zarr.open_array(out / "outputs" / "image", mode="r").nchunks > 2
    assert most[0] == 1
    assert zarr.config.get("async.concurrency") == before

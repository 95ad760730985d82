"""The pipeline end to end in-process: layout, reproducibility, resume, overwrite safety."""

from __future__ import annotations

import copy
import json

import h5py
import numpy as np
import pytest
from tests_support import dataset_bytes

import deepbench
from deepbench.dataset.executors import InProcess, run_task
from deepbench.errors import OutputExistsError
from deepbench.stores.hdf5 import workdir_for


def arrays(path) -> dict:
    return dataset_bytes(path)


def test_layout_labels_truth_and_splits(tmp_path, small_spec):
    out = deepbench.generate(small_spec, tmp_path / "d.h5")
    with h5py.File(out, "r") as f:
        assert f["outputs/image"].shape == (70, 16, 20)
        assert f["outputs/image"].dtype == np.float32
        assert f["clean/image"].shape == (70, 16, 20)
        assert f["outputs/image"].attrs["unit"] == ""
        ci = f["labels/class_index"][()]
        names = json.loads(f["labels/class_index"].attrs["class_names"])
        assert names == ["circle", "rectangle"]
        radius = f["labels/radius"][()]
        assert np.all(np.isnan(radius[ci == 1])) and np.all(radius[ci == 0] >= 2)
        w, wp = f["labels/width"][()], f["labels_perturbed/width"][()]
        assert np.all(np.isfinite(wp[ci == 1])) and not np.allclose(w[ci == 1], wp[ci == 1])
        assert f["labels/radius"].attrs["unit"] == "px"
        area = f["truth/area"][()]
        np.testing.assert_allclose(area[ci == 0], np.pi * radius[ci == 0] ** 2)
        np.testing.assert_allclose(area[ci == 1], wp[ci == 1] * 4)  # truth follows the drawn value
        noise = f["outputs/image"][()] - f["clean/image"][()]
        assert abs(noise.std() - 0.05) < 0.005
        splits = {k: v[()] for k, v in f["splits"].items()}
        assert set(splits) == {"train", "test", "big"}
        assert np.all(radius[splits["big"]] > 5.5)
        everything = np.concatenate(list(splits.values()))
        assert np.array_equal(np.sort(everything), np.arange(70))  # disjoint and complete
        meta = json.loads(f.attrs["deepbench"])
    assert meta["spec"]["classes"][1]["params"]["height"] == {"dist": "constant", "value": 4}
    assert meta["versions"]["numpy"] == np.__version__
    assert len(meta["chunks"]["sha256"]) == 4 and meta["chunks"]["completed"] == [0, 1, 2, 3]
    assert not workdir_for(out).exists()


def test_same_spec_twice_and_with_two_workers_is_byte_identical(tmp_path, small_spec):
    a = deepbench.generate(small_spec, tmp_path / "a.h5")
    b = deepbench.generate(small_spec, tmp_path / "b.h5", workers=2)
    assert arrays(a) == arrays(b)
    with deepbench.load(a) as ds:
        assert ds.metadata["run_id"] == json.loads(h5py.File(b, "r").attrs["deepbench"])["run_id"]


def test_noise_level_change_leaves_clean_labels_truth_identical(tmp_path, small_spec):
    a = arrays(deepbench.generate(small_spec, tmp_path / "a.h5"))
    louder = copy.deepcopy(small_spec)
    louder["obs_noise"]["image"]["sigma"] = 0.3
    b = arrays(deepbench.generate(louder, tmp_path / "b.h5"))
    for key in a:
        if key.startswith(("clean/", "labels", "truth/", "splits/")):
            assert a[key] == b[key], key
    assert a["outputs/image"] != b["outputs/image"]


def test_in_memory_simulate_equals_stored(tmp_path, small_spec):
    batch = deepbench.simulate(small_spec)
    with deepbench.load(deepbench.generate(small_spec, tmp_path / "d.h5")) as ds:
        assert np.array_equal(batch.outputs["image"], ds.outputs["image"][()])
        assert np.array_equal(batch.labels["class_index"], ds.labels["class_index"][()])
        assert len(ds) == 70 and set(ds[3]) >= {"image", "label.class_index"}


def test_existing_output_is_never_overwritten_without_overwrite(tmp_path, small_spec):
    out = tmp_path / "d.h5"
    out.write_bytes(b"precious")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        deepbench.generate(small_spec, out)
    assert out.read_bytes() == b"precious"
    deepbench.generate(small_spec, out, overwrite=True)
    with deepbench.load(out) as ds:
        assert len(ds) == 70


class Interrupt(Exception):
    pass


def test_resume_completes_an_interrupted_run_identically(tmp_path, small_spec):
    full = deepbench.generate(small_spec, tmp_path / "full.h5")
    out = tmp_path / "part.h5"

    def stop_after_two(done: int, total: int) -> None:
        if done >= 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        deepbench.generate(small_spec, out, progress=stop_after_two)
    work = workdir_for(out)
    assert not out.exists() and len(list(work.glob("chunk-*.h5"))) == 2
    (work / "chunk-000003.h5.tmp99").write_bytes(b"half-written")  # as if killed mid-write
    with pytest.raises(OutputExistsError, match="--resume"):
        deepbench.generate(small_spec, out)
    other = copy.deepcopy(small_spec)
    other["seed"] = 12
    with pytest.raises(OutputExistsError, match="different spec"):
        deepbench.generate(other, out, resume=True)
    deepbench.generate(small_spec, out, resume=True)
    assert arrays(full) == arrays(out)
    assert not work.exists()


def test_scene_catalogue_rows_are_sorted_by_sample(tmp_path):
    spec = {"simulator": "shapes.scene", "n": 50, "chunk_size": 7, "seed": 3,
            "config": {"height": 32, "width": 32, "masks": True},
            "params": {"n_objects": {"dist": "integers", "low": 0, "high": 3}}}
    a = deepbench.generate(spec, tmp_path / "a.h5")
    b = deepbench.generate(spec, tmp_path / "b.h5", workers=2)
    assert arrays(a) == arrays(b)
    with deepbench.load(a) as ds:
        idx = ds.catalog["sample_index"][()]
        counts = np.bincount(idx, minlength=50)
        assert np.array_equal(counts, ds.labels["n_objects"][()].astype(int))
        assert np.all(np.diff(idx) >= 0)
        assert ds.catalog["mask"].shape == (idx.size, 32, 32)
        objs = ds.objects(5)
        assert len(objs["x"]) == counts[5]


def test_grid_example_is_a_full_factorial_repeated(tmp_path):
    from conftest import EXAMPLES

    with deepbench.load(deepbench.generate(EXAMPLES / "polygon_grid.yaml", tmp_path / "g.h5")) as ds:
        n = 4 * 3 * 6 * 3 * 3
        assert len(ds) == 2 * n
        combos = np.stack([ds.labels[k][()] for k in ("n_sides", "radius", "angle", "cx", "cy")], 1)
        assert len(np.unique(combos[:n], axis=0)) == n  # every combination once per pass
        assert np.array_equal(combos[:n], combos[n:])
        # the second pass is the same objects: the images are identical (no noise in this spec)
        assert np.array_equal(ds.outputs["image"][:n], ds.outputs["image"][n:])


@pytest.mark.parametrize("mode", ["clip", "resample"])
def test_on_invalid_keeps_perturbed_values_inside_bounds(tmp_path, mode):
    spec = {"simulator": "shapes.circle", "n": 400, "chunk_size": 100, "on_invalid": mode,
            "params": {"radius": {"dist": "uniform", "low": 0.2, "high": 1.0}},
            "param_noise": {"radius": {"sigma": 1.0}}}
    batch = deepbench.simulate(spec)
    r = batch.labels_perturbed["radius"]
    assert np.all(r > 0) and not np.array_equal(r, batch.labels["radius"])
    np.testing.assert_allclose(batch.truth["area"], np.pi * r**2)


def test_on_invalid_error_stops_the_run_naming_the_field(tmp_path):
    from deepbench.errors import SpecError

    spec = {"simulator": "shapes.circle", "n": 400, "on_invalid": "error",
            "params": {"radius": 0.5}, "param_noise": {"radius": {"sigma": 1.0}}}
    with pytest.raises(SpecError, match="param_noise.radius"):
        deepbench.generate(spec, tmp_path / "x.h5")


def test_whole_files_are_byte_identical_with_a_pinned_creation_time(tmp_path, small_spec, monkeypatch):
    import hashlib

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = deepbench.generate(small_spec, tmp_path / "a.h5")
    b = deepbench.generate(small_spec, tmp_path / "b.h5", workers=2)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    with deepbench.load(a) as ds:
        assert ds.metadata["created"] == "2023-11-14T22:13:20+00:00"


def test_hdf5_chunks_stay_near_one_megabyte(tmp_path):
    spec = {"simulator": "shapes.scene", "n": 40, "chunk_size": 10, "seed": 1,
            "config": {"height": 128, "width": 128, "masks": True}, "params": {"n_objects": 3}}
    with h5py.File(deepbench.generate(spec, tmp_path / "s.h5"), "r") as f:
        for name in ("outputs/image", "catalog/mask", "catalog/x", "labels/n_objects"):
            d = f[name]
            assert np.prod(d.chunks) * d.dtype.itemsize <= 1 << 20, (name, d.chunks)


class Reversed(InProcess):
    """An executor whose chunks complete last-first (the worst order for an in-order merge)."""

    def run(self, spec, chunks, sink):
        for k in sorted(chunks, reverse=True):
            yield run_task(spec.dumps(), k, sink)


def test_chunks_finishing_in_any_order_give_the_same_file(tmp_path, small_spec, monkeypatch):
    import hashlib

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    spec = {"simulator": "shapes.scene", "n": 50, "chunk_size": 7, "seed": 3,
            "config": {"height": 16, "width": 16, "masks": True},
            "params": {"n_objects": {"dist": "integers", "low": 0, "high": 3}},
            "splits": {"fractions": {"train": 0.5, "test": 0.5}}}
    for s in (small_spec, spec):
        a = deepbench.generate(s, tmp_path / "a.h5", overwrite=True)
        b = deepbench.generate(s, tmp_path / "b.h5", executor=Reversed(), overwrite=True)
        assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_a_class_absent_from_the_first_chunk_keeps_its_truth_column(tmp_path):
    spec = {"n": 40, "chunk_size": 10, "seed": 1,
            "classes": [{"simulator": "shapes.circle", "weight": 100},
                        {"simulator": "shapes.polygon", "weight": 1, "params": {"side": 4}}]}
    with deepbench.load(deepbench.generate(spec, tmp_path / "m.h5")) as ds:
        ci = ds.labels["class_index"][()]
        radius = ds.truth["radius"][()]
    assert ci[:10].max() == 0 and (ci == 1).any()  # the polygon appears after chunk 0
    np.testing.assert_allclose(radius[ci == 1], 4 / (2 * np.sin(np.pi / 5)))
    assert np.isnan(radius[ci == 0]).all()

"""The lazy view: indexing by int, slice and index arrays, closed files, malformed metadata."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import deepbench
from deepbench.errors import StoreError

N = 30


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    spec = {"simulator": "shapes.scene", "n": N, "chunk_size": 10, "seed": 5,
            "config": {"height": 12, "width": 14},
            "params": {"n_objects": {"dist": "integers", "low": 0, "high": 3}},
            "splits": {"fractions": {"train": 0.5, "test": 0.5}}}
    return deepbench.generate(spec, tmp_path_factory.mktemp("view") / "scenes.h5")


@pytest.fixture
def ds(stored):
    with deepbench.load(stored) as view:
        yield view


def test_int_index_and_negative_index(ds):
    images = ds.outputs["image"][()]
    assert np.array_equal(ds[3]["image"], images[3])
    assert np.array_equal(ds[-1]["image"], images[N - 1])
    assert ds[-N]["label.n_objects"] == ds[0]["label.n_objects"]
    assert np.array_equal(ds[np.int64(4)]["image"], images[4])
    for bad in (N, -N - 1, 10**20):
        with pytest.raises(IndexError, match=f"sample {bad} out of range for {N} samples"):
            ds[bad]


@pytest.mark.parametrize("key", [slice(2, 11, 3), slice(None, None, -1), slice(-5, None),
                                 slice(5, 2), slice(None, None, 7), [7, 2, 7, -1], [],
                                 np.array([29, 0, 15]), range(4, 8), (1, 2)],
                         ids=["step", "reversed", "tail", "empty", "stride", "list-dup-neg",
                              "empty-list", "array", "range", "tuple"])
def test_batched_reads_return_arrays_in_the_order_asked(ds, key):
    expected_idx = np.arange(N)[key] if not isinstance(key, list | tuple | range) \
        else np.array(key, dtype=np.int64) % N
    batch = ds[key]
    images, labels = ds.outputs["image"][()], ds.labels["n_objects"][()]
    assert set(batch) == {"image", "label.n_objects"}
    assert batch["image"].shape == (len(expected_idx), 12, 14)
    assert np.array_equal(batch["image"], images[expected_idx])
    assert np.array_equal(batch["label.n_objects"], labels[expected_idx])


def test_a_batch_is_one_read_per_dataset(ds, monkeypatch):
    calls: list[str] = []
    original = h5py.Dataset.__getitem__

    def counting(self, key):  # type: ignore[no-untyped-def]
        calls.append(self.name)
        return original(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", counting)
    ds[[25, 3, 17, 3, 9]]
    ds[1:29:4]
    assert sorted(calls) == sorted(["/outputs/image", "/labels/n_objects"] * 2)


@pytest.mark.parametrize("key, error, message", [
    (1.5, TypeError, "an int, a slice, or a 1-D list or array of ints; got float"),
    ("image", TypeError, "got str"),
    (True, TypeError, "got bool"),
    (None, TypeError, "got NoneType"),
    ([1.5, 2], TypeError, "got a list or array of float64"),
    (np.array([[1, 2]]), TypeError, "got a 2-D array"),
    (np.array([True, False]), TypeError, "got a list or array of bool"),
    ([0, N], IndexError, f"index {N} out of range for {N} samples"),
    ([-N - 1], IndexError, f"index {-N - 1} out of range for {N} samples"),
])
def test_bad_keys_raise_clear_errors(ds, key, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        ds[key]


def test_objects_validates_its_index(ds):
    index = ds.catalog["sample_index"][()]
    last = ds.objects(-1)
    assert np.array_equal(last["sample_index"], index[index == N - 1])
    assert np.array_equal(ds.objects(np.int64(2))["x"], ds.catalog["x"][()][index == 2])
    with pytest.raises(IndexError, match=f"sample {N} out of range for {N} samples"):
        ds.objects(N)
    with pytest.raises(IndexError, match=f"sample {-N - 1} out of range"):
        ds.objects(-N - 1)
    with pytest.raises(TypeError, match="an int sample index; got float"):
        ds.objects(1.5)


def test_a_closed_dataset_says_so(stored):
    view = deepbench.load(stored)
    view.close()
    for action in (lambda: view[0], lambda: list(view), lambda: view[0:2], lambda: view.objects(0),
                   lambda: view.outputs, lambda: view.splits):
        with pytest.raises(StoreError, match=r"scenes.h5: the dataset is closed \(open it again "
                                             r"with deepbench.load\)"):
            action()
    assert len(view) == N  # metadata stays readable
    view.close()  # closing twice is harmless


def corrupt(stored, tmp_path, change) -> str:
    path = tmp_path / "bad.h5"
    path.write_bytes(stored.read_bytes())
    with h5py.File(path, "a") as f:
        change(f)
    return str(path)


def set_meta(update):  # type: ignore[no-untyped-def]
    def change(f):  # type: ignore[no-untyped-def]
        meta = json.loads(f.attrs["deepbench"])
        update(meta)
        f.attrs["deepbench"] = json.dumps(meta)
    return change


MALFORMED = [
    (lambda f: f.attrs.__setitem__("deepbench", "{not json"),
     r"malformed 'deepbench' attribute \(not JSON: Expecting property name"),
    (lambda f: f.attrs.__setitem__("deepbench", "[1, 2]"),
     r"malformed 'deepbench' attribute \(expected a JSON object, got list\)"),
    (lambda f: f.attrs.__delitem__("deepbench"), r"not a DeepBench dataset \(no 'deepbench' attribute\)"),
    (set_meta(lambda m: m.pop("spec")), r"malformed 'deepbench' attribute \(missing 'spec'\)"),
    (set_meta(lambda m: m["spec"].pop("n")), r"malformed 'deepbench' attribute \(missing 'spec.n'\)"),
    (set_meta(lambda m: m["spec"].update(n="30")),
     r"malformed 'deepbench' attribute \('spec.n' is str, expected int\)"),
    (set_meta(lambda m: m["chunks"].pop("completed")), r"missing 'chunks.completed'"),
    (set_meta(lambda m: m.update(class_names=None)), r"'class_names' is NoneType, expected list"),
    (set_meta(lambda m: m["spec"].update(n=31)),
     r"outputs/image has 30 rows but the provenance says 31 samples"),
    (lambda f: f.__delitem__("outputs"), r"no outputs \(an incomplete or foreign file\)"),
]


@pytest.mark.parametrize("change, message", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_provenance_is_a_store_error(stored, tmp_path, change, message):
    path = corrupt(stored, tmp_path, change)
    with pytest.raises(StoreError, match=message):
        deepbench.load(path)


def test_cli_info_show_export_report_a_malformed_file(stored, tmp_path):
    from click.testing import CliRunner

    from deepbench.cli import main

    path = corrupt(stored, tmp_path, set_meta(lambda m: m.pop("run_id")))
    runner = CliRunner()
    for args in (["info", path], ["show", path, "-o", str(tmp_path / "g.png")],
                 ["export", path, "--format", "png", "-o", str(tmp_path / "png")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, result.output
        assert "error: " in result.output and "missing 'run_id'" in result.output
    assert not (tmp_path / "png").exists() and not (tmp_path / "png.partial").exists()

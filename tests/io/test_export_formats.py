"""The ML export formats: Hugging Face datasets, WebDataset shards, NPY, 8/16-bit PNG, JPEG and
the image-folder layout, each read back with the tool it is meant for and compared to the store."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import deepbench
from deepbench.cli import main
from deepbench.errors import SpecError, StoreError
from deepbench.io.export import export, quantise

SPEC = {"name": "two-shapes", "n": 40, "seed": 3, "chunk_size": 16,
        "config": {"height": 12, "width": 10},
        "classes": [{"simulator": "shapes.circle",
                     "params": {"radius": {"dist": "uniform", "low": 2, "high": 4}}},
                    {"simulator": "shapes.rectangle",
                     "params": {"width": {"dist": "uniform", "low": 3, "high": 8}}}],
        "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}},
        "splits": {"fractions": {"train": 0.6, "val": 0.2, "test": 0.2}},
        "output": {"store_clean": True}}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return deepbench.generate(SPEC, tmp_path_factory.mktemp("formats") / "d.h5")


@pytest.fixture(scope="module")
def store(stored):
    with deepbench.load(stored) as ds:
        yield {"image": ds.outputs["image"][()], "clean": ds.clean["image"][()],
               "labels": {k: v[()] for k, v in ds.labels.items()},
               "truth": {k: v[()] for k, v in ds.truth.items()},
               "splits": ds.splits, "classes": ds.class_names, "metadata": ds.metadata,
               "units": {k: v.attrs["unit"] for k, v in ds.labels.items()}}


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "export.json"}


# ---- Hugging Face ---------------------------------------------------------------------------------

def test_the_hf_export_loads_back_with_datasets_and_equals_the_store(stored, store, tmp_path):
    datasets = pytest.importorskip("datasets")
    from deepbench.io.hf import provenance

    cli("export", str(stored), "--format", "hf", "-o", str(tmp_path / "hf"))
    loaded = datasets.load_from_disk(str(tmp_path / "hf" / "dataset"))
    assert sorted(loaded) == ["test", "train", "val"]
    for split, part in loaded.items():
        rows = part.with_format("numpy", dtype=None)[:]  # dtype=None: the stored dtypes
        scalars = {c: v for c, v in rows.items() if c.startswith(("label", "truth"))}
        assert {v.dtype for v in scalars.values()} == {np.dtype(np.float64), np.dtype(np.int64)}
        idx = np.sort(store["splits"][split])
        np.testing.assert_array_equal(rows["index"], idx)
        assert rows["image"].dtype == np.float32
        np.testing.assert_array_equal(rows["image"], store["image"][idx])
        np.testing.assert_array_equal(rows["clean.image"], store["clean"][idx])
        for k, v in store["labels"].items():
            np.testing.assert_array_equal(scalars[f"label.{k}"], v[idx])
        for k, v in store["truth"].items():
            np.testing.assert_array_equal(scalars[f"truth.{k}"], v[idx])
        f = part.features
        assert f["image"] == datasets.Array2D(shape=(12, 10), dtype="float32")
        assert f["label.class_index"] == datasets.ClassLabel(names=["circle", "rectangle"])
        assert f["label.radius"] == datasets.Value("float64")
        assert provenance(part.info) == store["metadata"]
        assert part.info.config_name == store["metadata"]["run_id"]
        assert "label.radius: px; " in part.info.description
        assert "label.class_index: dimensionless; " in part.info.description


def test_to_hf_without_splits_is_one_dataset_in_sample_order(tmp_path):
    pytest.importorskip("datasets")
    from deepbench.io.hf import to_hf

    spec = {"simulator": "physics.pendulum", "n": 5, "seed": 1,
            "config": {"steps": 7}}
    path = deepbench.generate(spec, tmp_path / "p.h5")
    part = to_hf(path, cache_dir=tmp_path / "cache")
    rows = part.with_format("numpy", dtype=None)[:]
    with deepbench.load(path) as ds:
        np.testing.assert_array_equal(rows["index"], np.arange(5))
        for name, d in ds.outputs.items():
            assert d.ndim == 2  # (N, T): a fixed-length list feature per sample
            np.testing.assert_array_equal(rows[name], d[()])
            assert part.features[name].length == 7


# ---- WebDataset -----------------------------------------------------------------------------------

def test_webdataset_shards_are_byte_identical_and_read_with_plain_tarfile(stored, store, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    export(stored, first, "webdataset")
    export(stored, second, "webdataset")
    assert digest(first) == digest(second)
    shards = sorted(first.glob("shard-*.tar"))
    assert [p.name for p in shards] == ["shard-000000.tar", "shard-000001.tar", "shard-000002.tar"]
    seen = []
    for k, shard in enumerate(shards):
        with tarfile.open(shard) as tar:
            members = tar.getmembers()
            assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == \
                {(0, 0, 0, "", "", 0o644)}
            names = [m.name for m in members]
            keys = sorted({n.split(".", 1)[0] for n in names})
            assert len(keys) == min(16, 40 - 16 * k)  # one shard per spec chunk
            for key in keys:
                i = int(key)
                seen.append(i)
                assert names[names.index(f"{key}.image.npy"):][:3] == \
                    [f"{key}.image.npy", f"{key}.json", f"{key}.cls"]
                image = np.load(io.BytesIO(tar.extractfile(f"{key}.image.npy").read()))
                np.testing.assert_array_equal(image, store["image"][i])
                record = json.loads(tar.extractfile(f"{key}.json").read())
                cls = int(tar.extractfile(f"{key}.cls").read())
                assert cls == store["labels"]["class_index"][i] and record["index"] == i
                assert record["class"] == store["classes"][cls]
                assert i in store["splits"][record["split"]]
                for name, v in store["labels"].items():
                    want = float(v[i])
                    got = record[f"labels.{name}"]
                    assert got is None if np.isnan(want) else got == want
    assert seen == list(range(40))


def test_webdataset_shards_equal_what_the_tarfile_module_writes(stored, tmp_path):
    """The shard writer builds its ustar headers itself; the standard library, given the same
    members and fields, writes the very same bytes."""
    out = export(stored, tmp_path / "w", "webdataset")
    for shard in sorted(out.glob("shard-*.tar")):
        with tarfile.open(shard) as tar:
            members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as ref:
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode, info.uid, info.gid = len(data), 0, 0o644, 0, 0
                info.uname = info.gname = ""
                ref.addfile(info, io.BytesIO(data))
        assert shard.read_bytes() == buf.getvalue()


# ---- images -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, bits, suffix", [("png", 16, "png"), ("png8", 8, "png")])
def test_png_exports_record_a_mapping_that_recovers_the_values(stored, store, tmp_path, fmt, bits,
                                                               suffix):
    out = export(stored, tmp_path / fmt, fmt)
    info = json.loads((out / "export.json").read_text())
    lo, hi = info["lo"], info["hi"]
    assert (info["format"], info["bits"], info["output"]) == (fmt, bits, "image")
    assert lo == float(store["image"].min()) and hi == float(store["image"].max())
    top = 2 ** bits - 1
    assert info["value"] == f"lo + pixel / {top} * (hi - lo)"
    with open(out / "labels.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 40
    for row in rows:
        i = int(row["index"])
        pixels = np.asarray(Image.open(out / row["file"]))
        assert pixels.dtype == (np.uint16 if bits == 16 else np.uint8)
        value = lo + pixels / top * (hi - lo)
        assert np.abs(value - store["image"][i]).max() <= 0.5 * (hi - lo) / top * (1 + 1e-9)
        assert row["class"] == store["classes"][store["labels"]["class_index"][i]]
        assert float(row["width"]) == store["labels"]["width"][i] or np.isnan(float(row["width"]))
    assert info["metadata"] == store["metadata"]


def test_jpeg_export_states_its_quality_and_measured_error(stored, store, tmp_path):
    runs = {}
    for q in (30, 95):
        cli("export", str(stored), "--format", "jpeg", "--quality", str(q), "-o",
            str(tmp_path / f"q{q}"))
        info = json.loads((tmp_path / f"q{q}" / "export.json").read_text())
        assert info["quality"] == q and info["bits"] == 8
        lo, hi = info["lo"], info["hi"]
        worst = 0
        for i in range(40):
            decoded = np.asarray(Image.open(tmp_path / f"q{q}" / "images" / f"{i:07d}.jpg"))
            worst = max(worst, int(np.abs(decoded.astype(int) -
                                          quantise(store["image"][i], lo, hi, 8)).max()))
        assert info["max_abs_jpeg_error"] == worst
        runs[q] = worst
    assert runs[30] > runs[95]  # the quality is what the encoder was given


def test_a_bad_jpeg_quality_is_refused_before_work(stored, tmp_path):
    for q in (0, 96, 2.5, True):
        with pytest.raises(SpecError, match=r"--quality: got .*; expected an integer in \[1, 95\]"):
            export(stored, tmp_path / "j", "jpeg", quality=q)
    assert not (tmp_path / "j").exists()


def test_the_hf_imagefolder_loader_reads_the_image_folder_export(stored, store, tmp_path,
                                                                 monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    out = export(stored, tmp_path / "folder", "imagefolder")
    info = json.loads((out / "export.json").read_text())
    assert info["splits"] == {k: int(v.size) for k, v in store["splits"].items()}
    assert info["left_out"] == 0 and info["bits"] == 8
    # torchvision's ImageFolder(root=out/<split>) sees exactly the class folders of PNGs
    for split in ("train", "val", "test"):
        assert sorted(p.name for p in (out / split).iterdir() if p.is_dir()) == \
            ["circle", "rectangle"]
    loaded = datasets.load_dataset("imagefolder", data_dir=str(out),
                                   cache_dir=str(tmp_path / "cache"))
    names = {"train": "train", "validation": "val", "test": "test"}
    assert sorted(loaded) == sorted(names)
    cls = store["labels"]["class_index"]
    for hf_split, split in names.items():
        part = loaded[hf_split]
        idx = store["splits"][split]
        assert len(part) == idx.size
        assert Counter(part["class"]) == Counter(store["classes"][c] for c in cls[idx])
        for row in part.select(range(3)):
            i = row["index"]
            assert row["class"] == store["classes"][cls[i]] and i in idx
            np.testing.assert_array_equal(np.asarray(row["image"]),
                                          quantise(store["image"][i], info["lo"], info["hi"], 8))
            assert row["cx"] == store["labels"]["cx"][i]


def test_an_image_folder_without_splits_goes_to_train(tmp_path):
    spec = {"simulator": "shapes.circle", "n": 3, "config": {"height": 8, "width": 8},
            "params": {"cx": 100.0}}  # wholly outside: every pixel 0
    path = deepbench.generate(spec, tmp_path / "c.h5")
    out = export(path, tmp_path / "f", "imagefolder")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == \
        [f"train/circle/000000{i}.png" for i in range(3)]
    # a constant output: the mapping degenerates to lo == hi and pixel 0
    info = json.loads((out / "export.json").read_text())
    assert info["lo"] == info["hi"]
    assert np.asarray(Image.open(out / "train/circle/0000000.png")).max() == 0


def test_image_formats_need_an_image_output(tmp_path):
    path = deepbench.generate({"simulator": "physics.pendulum", "n": 2, "config": {"steps": 3}},
                              tmp_path / "p.h5")
    for fmt in ("png8", "jpeg", "imagefolder"):
        with pytest.raises(StoreError, match=r"image export needs an image output \(N, H, W\)"):
            export(path, tmp_path / fmt, fmt)


# ---- NPY --------------------------------------------------------------------------------------

def test_npy_export_holds_every_array_memory_mappable(stored, store, tmp_path):
    out = export(stored, tmp_path / "npy", "npy")
    image = np.load(out / "outputs" / "image.npy", mmap_mode="r")
    np.testing.assert_array_equal(image, store["image"])
    np.testing.assert_array_equal(np.load(out / "clean" / "image.npy"), store["clean"])
    for k, v in store["labels"].items():
        np.testing.assert_array_equal(np.load(out / "labels" / f"{k}.npy"), v)
    for k, v in store["splits"].items():
        np.testing.assert_array_equal(np.load(out / "splits" / f"{k}.npy"), v)
    assert list(np.load(out / "class_names.npy")) == store["classes"]
    assert json.loads((out / "metadata.json").read_text()) == store["metadata"]


def test_to_hf_in_many_small_blocks_keeps_sample_order(stored, store, tmp_path, monkeypatch):
    pytest.importorskip("datasets")
    from deepbench.io import hf

    monkeypatch.setattr(hf, "BLOCK", 5)  # splits of 8 and 24 rows: several Arrow batches each
    for split, part in hf.to_hf(stored, cache_dir=tmp_path).items():
        rows = part.with_format("numpy", dtype=None)[:]
        idx = np.sort(store["splits"][split])
        np.testing.assert_array_equal(rows["index"], idx)
        np.testing.assert_array_equal(rows["image"], store["image"][idx])
        np.testing.assert_array_equal(rows["label.radius"], store["labels"]["radius"][idx])

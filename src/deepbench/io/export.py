"""Export a stored dataset: ``npz`` (one NumPy archive), ``png`` (a folder of images + CSV) or
``calochallenge`` (showers in the CaloChallenge HDF5 layout, see :mod:`deepbench.io.calochallenge`).

PNG export writes 16-bit greyscale images; the linear map from stored values is
``value = lo + pixel / 65535 · (hi − lo)`` with ``lo``/``hi`` the dataset's min/max, written to
``export.json`` beside ``labels.csv`` (one row per sample: file, split, class and every label).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from deepbench.dataset.view import Dataset, load
from deepbench.errors import OutputExistsError, SpecError, StoreError
from deepbench.stores import layout

if TYPE_CHECKING:
    from typing import Any

FORMATS = ("npz", "png", "calochallenge")


def export(path: str | Path, out: Path, fmt: str, *, overwrite: bool = False) -> Path:
    """Export the dataset at ``path`` into the folder ``out`` in format ``fmt``.

    The input is opened and checked first. The export is written into ``out.partial`` and only
    when it is complete does it replace ``out`` (with ``overwrite``); a failed export removes
    ``out.partial`` and leaves an existing ``out`` as it was.
    """
    if fmt not in FORMATS:
        raise SpecError("--format", fmt, f"one of {', '.join(FORMATS)}")
    if fmt == "calochallenge":  # one HDF5 file + its binning XML (deepbench.io.calochallenge)
        from deepbench.io.calochallenge import export_dataset

        return export_dataset(path, out, overwrite=overwrite)
    out = Path(out)
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} exists; pass --overwrite to replace it")
    with load(path) as ds:
        if fmt == "png":
            _image_output(ds)
        tmp = out.with_name(out.name + ".partial")
        _remove(tmp)
        tmp.mkdir(parents=True)
        try:
            _npz(ds, tmp) if fmt == "npz" else _png(ds, tmp)
        except BaseException:
            _remove(tmp)
            raise
    _replace(tmp, out)
    return out


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _replace(new: Path, out: Path) -> None:
    """Put the complete folder ``new`` at ``out``; the old ``out`` goes only once ``new`` is there."""
    if not (out.exists() or out.is_symlink()):
        new.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, old / out.name)
    try:
        new.rename(out)
    except BaseException:
        os.replace(old / out.name, out)
        _remove(new)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _image_output(ds: Dataset) -> tuple[str, Any]:
    """The first image output (N, H, W) of ``ds``, which PNG export writes."""
    found = [(k, v) for k, v in ds.outputs.items() if v.ndim == 3]
    if not found:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in ds.outputs.items())
        raise StoreError(f"{ds.path}: PNG export needs an image output (N, H, W); this dataset has "
                         f"{shapes}")
    return found[0]


def _npz(ds: Dataset, out: Path) -> None:
    arrays = {}
    for group in (*layout.PER_SAMPLE, layout.CATALOG):
        for name, d in getattr(ds, group).items():
            arrays[f"{group}/{name}"] = d[()]
    for name, idx in ds.splits.items():
        arrays[f"{layout.SPLITS}/{name}"] = idx
    arrays["class_names"] = np.array(ds.class_names)
    np.savez_compressed(out / "dataset.npz", **arrays)
    (out / "metadata.json").write_text(json.dumps(ds.metadata, indent=1))


def _png(ds: Dataset, out: Path, block: int = 1024) -> None:
    from PIL import Image

    name, data = _image_output(ds)
    n = len(ds)
    lo, hi = np.inf, -np.inf
    for s in range(0, n, block):
        part = data[s:s + block]
        lo, hi = min(lo, float(part.min())), max(hi, float(part.max()))
    scale = 65535.0 / (hi - lo) if hi > lo else 0.0
    split_of = np.full(n, "", dtype=object)
    for split, idx in ds.splits.items():
        split_of[idx] = split
    labels = {k: v[()] for k, v in ds.labels.items()}
    (out / "images").mkdir()
    with open(out / "labels.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        cols = [c for c in labels if c != layout.CLASS_INDEX]
        writer.writerow(["index", "file", "split", "class", *cols])
        for s in range(0, n, block):
            part = np.rint((data[s:s + block] - lo) * scale).astype(np.uint16)
            for j, img in enumerate(part):
                i = s + j
                file = f"images/{i:07d}.png"
                Image.fromarray(img).save(out / file)  # 16-bit greyscale
                cls = ds.class_names[int(labels[layout.CLASS_INDEX][i])] \
                    if layout.CLASS_INDEX in labels \
                    else ds.class_names[0]
                writer.writerow([i, file, split_of[i], cls, *(repr(float(labels[c][i]))
                                                               for c in cols)])
    (out / "export.json").write_text(json.dumps(
        {"output": name, "lo": lo, "hi": hi, "value": "lo + pixel / 65535 * (hi - lo)",
         "metadata": ds.metadata}, indent=1))

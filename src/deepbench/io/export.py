"""Export a stored dataset: ``npz`` (one NumPy archive) or ``png`` (a folder of images + CSV).

PNG export writes 16-bit greyscale images; the linear map from stored values is
``value = lo + pixel / 65535 · (hi − lo)`` with ``lo``/``hi`` the dataset's min/max, written to
``export.json`` beside ``labels.csv`` (one row per sample: file, split, class and every label).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np

from deepbench.dataset.view import load
from deepbench.errors import OutputExistsError, SpecError

FORMATS = ("npz", "png")


def export(path: str | Path, out: Path, fmt: str, *, overwrite: bool = False) -> Path:
    """Export the dataset at ``path`` into the folder ``out`` in format ``fmt``."""
    if fmt not in FORMATS:
        raise SpecError("--format", fmt, f"one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists():
        if not overwrite:
            raise OutputExistsError(f"{out} exists; pass --overwrite to replace it")
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with load(path) as ds:
        if fmt == "npz":
            _npz(ds, tmp)
        else:
            _png(ds, tmp)
    tmp.rename(out)
    return out


def _npz(ds, out: Path) -> None:  # type: ignore[no-untyped-def]
    arrays = {}
    for group in ("outputs", "clean", "labels", "labels_perturbed", "truth", "catalog"):
        for name, d in getattr(ds, group).items():
            arrays[f"{group}/{name}"] = d[()]
    for name, idx in ds.splits.items():
        arrays[f"splits/{name}"] = idx
    arrays["class_names"] = np.array(ds.class_names)
    np.savez_compressed(out / "dataset.npz", **arrays)
    (out / "metadata.json").write_text(json.dumps(ds.metadata, indent=1))


def _png(ds, out: Path, block: int = 1024) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    name, data = next((k, v) for k, v in ds.outputs.items() if v.ndim == 3)
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
        cols = [c for c in labels if c != "class_index"]
        writer.writerow(["index", "file", "split", "class", *cols])
        for s in range(0, n, block):
            part = np.rint((data[s:s + block] - lo) * scale).astype(np.uint16)
            for j, img in enumerate(part):
                i = s + j
                file = f"images/{i:07d}.png"
                Image.fromarray(img).save(out / file)  # 16-bit greyscale
                cls = ds.class_names[int(labels["class_index"][i])] if "class_index" in labels \
                    else ds.class_names[0]
                writer.writerow([i, file, split_of[i], cls, *(repr(float(labels[c][i]))
                                                               for c in cols)])
    (out / "export.json").write_text(json.dumps(
        {"output": name, "lo": lo, "hi": hi, "value": "lo + pixel / 65535 * (hi - lo)",
         "metadata": ds.metadata}, indent=1))

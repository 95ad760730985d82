"""Hugging Face ``datasets`` export: a stored dataset as a ``datasets.Dataset`` (or a
``DatasetDict`` with one entry per stored split), with typed features and the provenance.

Columns: ``index`` (the sample's index in the store), every output under its own name, then
``clean.<name>``, ``label.<param>``, ``label_perturbed.<param>`` and ``truth.<name>``. Arrays keep
their stored dtype and shape: ``(H, W)`` → ``Array2D``, ``(D, H, W)`` → ``Array3D``, 4-D →
``Array4D``, ``(T,)`` → a fixed-length ``List``, scalars → ``Value``; ``label.class_index`` is a
``ClassLabel`` with the class names. The catalogue (a variable number of rows per sample) is not
exported. ``info.description`` lists each column with its unit and meaning and ends with the
dataset's provenance JSON (versions included) after the line ``provenance:``;
``info.config_name`` is the run id.

Values are stored exactly (float64 labels as Arrow doubles). Read them back with
``with_format("numpy", dtype=None)``: the plain ``numpy`` format of ``datasets`` casts every
float to float32.

Rows are written to Arrow files in blocks of samples, so memory stays bounded by one block.
``datasets`` is an optional dependency: ``pip install 'deepbench[hf]'``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from deepbench.dataset.view import Dataset, _read_rows, load
from deepbench.errors import DeepBenchError, StoreError
from deepbench.stores import layout

if TYPE_CHECKING:  # pragma: no cover
    import datasets

__all__ = ["to_hf", "features"]
PROVENANCE_MARK = "provenance:"
BLOCK = 512  # samples per Arrow batch
_PREFIX = {layout.OUTPUTS: "", layout.CLEAN: "clean.", layout.LABELS: "label.",
           layout.LABELS_PERTURBED: "label_perturbed.", layout.TRUTH: "truth."}


class MissingDependencyError(DeepBenchError, ImportError):
    """An optional dependency is not installed."""


def require_datasets() -> Any:
    """Import ``datasets`` or explain how to install it."""
    try:
        import datasets
    except ImportError as exc:
        raise MissingDependencyError("Hugging Face export needs the 'datasets' package: "
                                     "pip install 'deepbench[hf]'") from exc
    return datasets


def _columns(ds: Dataset) -> dict[str, tuple[str, Any]]:
    """Column name → (group, lazy array), in the documented order."""
    return {f"{_PREFIX[g]}{name}": (g, d) for g in layout.PER_SAMPLE
            for name, d in getattr(ds, g).items()}


def _feature(name: str, d: Any, class_names: list[str]) -> Any:
    hf = require_datasets()
    if name == f"label.{layout.CLASS_INDEX}":
        return hf.ClassLabel(names=list(class_names))
    shape, dtype = tuple(d.shape[1:]), np.dtype(d.dtype).name
    arrays = {2: hf.Array2D, 3: hf.Array3D, 4: hf.Array4D, 5: hf.Array5D}
    if not shape:
        return hf.Value(dtype)
    if len(shape) == 1:
        return hf.List(hf.Value(dtype), length=shape[0])
    if len(shape) in arrays:
        return arrays[len(shape)](shape=shape, dtype=dtype)
    raise StoreError(f"{name}: {len(shape)}-D samples have no Hugging Face array feature")


def features(ds: Dataset) -> datasets.Features:
    """The typed ``datasets.Features`` of ``ds``'s export."""
    hf = require_datasets()
    cols = _columns(ds)
    return hf.Features({"index": hf.Value("int64"),
                        **{c: _feature(c, d, ds.class_names) for c, (_, d) in cols.items()}})


def _description(ds: Dataset) -> str:
    lines = [f"DeepBench dataset {ds.metadata['spec'].get('name', '')} ({len(ds)} samples, "
             f"run id {ds.metadata['run_id']}). Columns (unit; meaning):",
             "index: sample index in the stored dataset"]
    for c, (_, d) in _columns(ds).items():
        unit = d.attrs.get("unit", "") or "dimensionless"
        lines.append(f"{c}: {unit}; {d.attrs.get('description', '')}")
    lines.append(PROVENANCE_MARK)
    lines.append(json.dumps(ds.metadata, sort_keys=True))
    return "\n".join(lines)


def provenance(info: Any) -> dict[str, Any]:
    """The provenance stored in a ``datasets.DatasetInfo`` (or a Dataset's ``info``)."""
    text = info.description
    return json.loads(text[text.index(PROVENANCE_MARK) + len(PROVENANCE_MARK):])


def _write_split(ds: Dataset, idx: np.ndarray, feats: Any, file: Path) -> None:
    from datasets.arrow_writer import ArrowWriter

    cols = _columns(ds)
    writer = ArrowWriter(features=feats, path=str(file))
    try:
        idx = np.sort(idx)
        for s in range(0, idx.size, BLOCK):
            rows = idx[s:s + BLOCK]
            batch: dict[str, Any] = {"index": rows.astype(np.int64)}
            for c, (_, d) in cols.items():
                batch[c] = _read_rows(d, rows)  # the view's one-read row gather
            writer.write_batch({k: list(v) for k, v in batch.items()})
        writer.finalize()
    finally:
        writer.close()


def to_hf(source: str | Path | Dataset, *, cache_dir: str | Path | None = None
          ) -> datasets.Dataset | datasets.DatasetDict:
    """The stored dataset ``source`` (a path, or an open :class:`Dataset`) as Hugging Face data.

    Returns a ``datasets.DatasetDict`` with one ``Dataset`` per stored split (rows in sample
    order), or a single ``Dataset`` of every sample when the dataset has no splits. The Arrow
    files go to ``cache_dir`` (default: a new temporary folder, kept for the life of the
    returned object's files; call ``save_to_disk`` to keep them elsewhere).
    """
    hf = require_datasets()
    if not isinstance(source, Dataset):
        with load(source) as ds:
            return to_hf(ds, cache_dir=cache_dir)
    ds = source
    folder = Path(cache_dir) if cache_dir is not None else Path(tempfile.mkdtemp(prefix="deepbench-hf-"))
    folder.mkdir(parents=True, exist_ok=True)
    feats = features(ds)
    splits = ds.splits or {"": np.arange(len(ds))}
    parts = {}
    for split, idx in splits.items():
        file = folder / f"{split or 'all'}.arrow"
        _write_split(ds, np.asarray(idx, dtype=np.int64), feats, file)
        info = hf.DatasetInfo(description=_description(ds), features=feats,
                              dataset_name=ds.metadata["spec"].get("name") or None,
                              config_name=ds.metadata["run_id"])
        parts[split] = hf.Dataset.from_file(str(file), info=info,
                                            split=hf.NamedSplit(split) if split else None)
    return parts[""] if "" in parts else hf.DatasetDict(parts)

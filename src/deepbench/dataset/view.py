"""``load``: a lazy, read-only view of a stored dataset (nothing is read until sliced)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.errors import StoreError
from deepbench.stores import layout
from deepbench.stores.base import StoredArrays

Key = int | slice | Sequence[int] | np.ndarray
_KEY_HELP = "an int, a slice, or a 1-D list or array of ints"
# provenance keys every dataset has (dotted paths) and their JSON types
_REQUIRED: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("spec", dict), ("spec.n", int), ("spec.classes", list), ("class_names", list),
    ("run_id", str), ("created", str), ("versions", dict), ("simulators", dict),
    ("chunks", dict), ("chunks.count", int), ("chunks.size", int), ("chunks.completed", list))


class Dataset:
    """A stored dataset, HDF5 or Zarr. Groups are mappings of name → lazy array (``h5py.Dataset``
    or ``zarr.Array``: ``shape``, ``dtype``, ``attrs``; slice to read).

    Use as a context manager or call :meth:`close`. ``ds[i]`` returns sample ``i`` as a dict of
    arrays from ``outputs`` and ``labels`` (label names prefixed ``label.``); ``ds[a:b:c]`` and
    ``ds[[i, j, ...]]`` return the same keys with the batch axis first, in the order asked
    (negative indices count from the end). Opening checks the provenance attribute and that every
    per-sample array has ``len(ds)`` rows, raising :class:`StoreError` otherwise.
    """

    def __init__(self, path: str | Path):
        from deepbench.stores import format_of, is_url, store_class

        self.path: Path | str = path if is_url(path) else Path(path)
        self.format = format_of(path)
        self._arrays: StoredArrays = store_class(self.format).open_arrays(path)
        try:
            self.metadata: dict[str, Any] = _metadata(self._arrays.attrs, self.path)
            _check_rows(self._arrays, self.path, int(self.metadata["spec"]["n"]))
        except BaseException:
            self._arrays.close()
            raise

    @property
    def name(self) -> str:
        """The last part of the dataset's path or URL."""
        return str(self.path).rstrip("/").rsplit("/", 1)[-1]

    def _group(self, name: str) -> dict[str, Any]:
        if self._arrays.closed:
            raise StoreError(f"{self.path}: the dataset is closed (open it again with "
                             "deepbench.load)")
        return self._arrays.group(name)

    @property
    def outputs(self) -> dict[str, Any]:
        return self._group(layout.OUTPUTS)

    @property
    def clean(self) -> dict[str, Any]:
        return self._group(layout.CLEAN)

    @property
    def labels(self) -> dict[str, Any]:
        return self._group(layout.LABELS)

    @property
    def labels_perturbed(self) -> dict[str, Any]:
        return self._group(layout.LABELS_PERTURBED)

    @property
    def truth(self) -> dict[str, Any]:
        return self._group(layout.TRUTH)

    @property
    def catalog(self) -> dict[str, Any]:
        return self._group(layout.CATALOG)

    @property
    def splits(self) -> dict[str, np.ndarray]:
        return {k: v[()] for k, v in self._group(layout.SPLITS).items()}

    @property
    def class_names(self) -> list[str]:
        return list(self.metadata["class_names"])

    @property
    def spec(self) -> dict[str, Any]:
        """The resolved spec the dataset was made from."""
        return self.metadata["spec"]

    def __len__(self) -> int:
        return int(self.metadata["spec"]["n"])

    def __getitem__(self, key: Key) -> dict[str, Any]:
        """Sample ``key`` (an int) or a batch (a slice or a 1-D list/array of ints)."""
        columns = {**self.outputs, **{f"label.{k}": v for k, v in self.labels.items()}}
        if _is_int(key):
            i = _in_range(int(key), len(self), "sample")  # type: ignore[arg-type]
            return {k: v[i] for k, v in columns.items()}
        idx = _indices(key, len(self))
        return {k: _read_rows(v, idx) for k, v in columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self[i]

    def objects(self, i: int) -> dict[str, np.ndarray]:
        """Catalogue rows of sample ``i`` (negative counts from the end; rows sorted by sample)."""
        if not _is_int(i):
            raise TypeError(f"objects() takes an int sample index; got {type(i).__name__}")
        cat = self.catalog
        i = _in_range(int(i), len(self), "sample")
        if not cat:
            return {}
        lo, hi = np.searchsorted(cat[layout.SAMPLE_INDEX][()], [i, i + 1])
        return {k: v[lo:hi] for k, v in cat.items()}

    def close(self) -> None:
        self._arrays.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._arrays.closed:
            return f"<deepbench.Dataset {self.name}: closed>"
        outs = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.outputs.items())
        return f"<deepbench.Dataset {self.name}: {len(self)} samples; {outs}>"


def _is_int(key: object) -> bool:
    return isinstance(key, int | np.integer) and not isinstance(key, bool | np.bool_)


def _in_range(i: int, n: int, what: str) -> int:
    if not -n <= i < n:
        raise IndexError(f"{what} {i} out of range for {n} samples")
    return i % n


def _indices(key: object, n: int) -> np.ndarray:
    """Non-negative int64 sample indices for a slice or a 1-D sequence of ints."""
    if isinstance(key, slice):
        return np.arange(n, dtype=np.int64)[key]
    if isinstance(key, str | bytes | bool | np.bool_) or not isinstance(
            key, Sequence | np.ndarray | range):
        raise TypeError(f"a dataset is indexed by {_KEY_HELP}; got {type(key).__name__}")
    idx = np.asarray(key)
    if idx.ndim != 1:
        raise TypeError(f"a dataset is indexed by {_KEY_HELP}; got a {idx.ndim}-D array")
    if idx.size == 0:
        return np.zeros(0, dtype=np.int64)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"a dataset is indexed by {_KEY_HELP}; got a list or array of {idx.dtype}")
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"index {idx[bad][0]} out of range for {n} samples")
    return idx.astype(np.int64) % n


def _read_rows(d: Any, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` of ``d`` in that order, with one read (sorted, unique indices)."""
    if idx.size == 0:
        return np.zeros((0, *d.shape[1:]), dtype=d.dtype)
    rows, back = np.unique(idx, return_inverse=True)
    if rows[-1] - rows[0] + 1 == rows.size:  # contiguous: a plain slice is fastest
        block = d[int(rows[0]):int(rows[-1]) + 1]
    else:
        block = d[rows]
    return block[back.reshape(-1)]


def _metadata(attrs: Mapping[str, Any], path: Path | str) -> dict[str, Any]:
    """The provenance attribute, parsed and checked for the keys every reader relies on."""
    if layout.PROVENANCE not in attrs:
        raise StoreError(f"{path}: not a DeepBench dataset (no '{layout.PROVENANCE}' attribute)")
    bad = f"{path}: malformed '{layout.PROVENANCE}' attribute"
    try:
        meta = json.loads(attrs[layout.PROVENANCE])
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{bad} (not JSON: {exc})") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{bad} (expected a JSON object, got {type(meta).__name__})")
    for dotted, kind in _REQUIRED:
        node: Any = meta
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise StoreError(f"{bad} (missing {dotted!r})")
            node = node[part]
        if not isinstance(node, kind) or isinstance(node, bool):
            raise StoreError(f"{bad} ({dotted!r} is {type(node).__name__}, expected "
                             f"{kind.__name__ if isinstance(kind, type) else kind})")
    return meta


def _check_rows(arrays: StoredArrays, path: Path | str, n: int) -> None:
    """Every per-sample array must have ``n`` rows, and there must be outputs."""
    if not arrays.group(layout.OUTPUTS):
        raise StoreError(f"{path}: no outputs (an incomplete or foreign file)")
    for group in layout.PER_SAMPLE:
        for name, d in arrays.group(group).items():
            shape = getattr(d, "shape", None)
            if not shape or shape[0] != n:
                rows = shape[0] if shape else "no"
                raise StoreError(f"{path}: {group}/{name} has {rows} rows but the provenance "
                                 f"says {n} samples")


def load(path: str | Path) -> Dataset:
    """Open a stored dataset lazily (see :class:`Dataset`)."""
    return Dataset(path)

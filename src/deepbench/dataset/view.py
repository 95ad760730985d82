"""``load``: a lazy, read-only view of a stored dataset (nothing is read until sliced)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from deepbench.errors import StoreError

Key = int | slice | Sequence[int] | np.ndarray
_KEY_HELP = "an int, a slice, or a 1-D list or array of ints"
_PER_SAMPLE = ("outputs", "clean", "labels", "labels_perturbed", "truth")
# provenance keys every dataset has (dotted paths) and their JSON types
_REQUIRED: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("spec", dict), ("spec.n", int), ("spec.classes", list), ("class_names", list),
    ("run_id", str), ("created", str), ("versions", dict), ("simulators", dict),
    ("chunks", dict), ("chunks.count", int), ("chunks.size", int), ("chunks.completed", list))


class Dataset:
    """A stored dataset. Groups are mappings of name → ``h5py.Dataset`` (lazy; slice to read).

    Use as a context manager or call :meth:`close`. ``ds[i]`` returns sample ``i`` as a dict of
    arrays from ``outputs`` and ``labels`` (label names prefixed ``label.``); ``ds[a:b:c]`` and
    ``ds[[i, j, ...]]`` return the same keys with the batch axis first, in the order asked
    (negative indices count from the end). Opening checks the provenance attribute and that every
    per-sample dataset has ``len(ds)`` rows, raising :class:`StoreError` otherwise.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise StoreError(f"{self.path}: no such dataset file")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise StoreError(f"{self.path}: not a readable HDF5 file ({exc})") from None
        try:
            self.metadata: dict[str, Any] = _metadata(self._file, self.path)
            _check_rows(self._file, self.path, int(self.metadata["spec"]["n"]))
        except BaseException:
            self._file.close()
            raise

    def _open(self) -> h5py.File:
        if not self._file:
            raise StoreError(f"{self.path}: the dataset is closed (open it again with "
                             "deepbench.load)")
        return self._file

    def _group(self, name: str) -> dict[str, h5py.Dataset]:
        f = self._open()
        return dict(f[name].items()) if name in f else {}

    @property
    def outputs(self) -> dict[str, h5py.Dataset]:
        return self._group("outputs")

    @property
    def clean(self) -> dict[str, h5py.Dataset]:
        return self._group("clean")

    @property
    def labels(self) -> dict[str, h5py.Dataset]:
        return self._group("labels")

    @property
    def labels_perturbed(self) -> dict[str, h5py.Dataset]:
        return self._group("labels_perturbed")

    @property
    def truth(self) -> dict[str, h5py.Dataset]:
        return self._group("truth")

    @property
    def catalog(self) -> dict[str, h5py.Dataset]:
        return self._group("catalog")

    @property
    def splits(self) -> dict[str, np.ndarray]:
        return {k: v[()] for k, v in self._group("splits").items()}

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
        lo, hi = np.searchsorted(cat["sample_index"][()], [i, i + 1])
        return {k: v[lo:hi] for k, v in cat.items()}

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if not self._file:
            return f"<deepbench.Dataset {self.path.name}: closed>"
        outs = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.outputs.items())
        return f"<deepbench.Dataset {self.path.name}: {len(self)} samples; {outs}>"


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


def _read_rows(d: h5py.Dataset, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` of ``d`` in that order, with one h5py read (sorted, unique indices)."""
    if idx.size == 0:
        return np.zeros((0, *d.shape[1:]), dtype=d.dtype)
    rows, back = np.unique(idx, return_inverse=True)
    if rows[-1] - rows[0] + 1 == rows.size:  # contiguous: a plain slice is fastest
        block = d[int(rows[0]):int(rows[-1]) + 1]
    else:
        block = d[rows]
    return block[back.reshape(-1)]


def _metadata(f: h5py.File, path: Path) -> dict[str, Any]:
    """The provenance attribute, parsed and checked for the keys every reader relies on."""
    if "deepbench" not in f.attrs:
        raise StoreError(f"{path}: not a DeepBench dataset (no 'deepbench' attribute)")
    bad = f"{path}: malformed 'deepbench' attribute"
    try:
        meta = json.loads(f.attrs["deepbench"])
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


def _check_rows(f: h5py.File, path: Path, n: int) -> None:
    """Every per-sample dataset must have ``n`` rows, and there must be outputs."""
    if "outputs" not in f or not len(f["outputs"]):
        raise StoreError(f"{path}: no outputs (an incomplete or foreign file)")
    for group in _PER_SAMPLE:
        for name, d in (f[group].items() if group in f else ()):
            if not isinstance(d, h5py.Dataset) or d.ndim == 0 or d.shape[0] != n:
                rows = d.shape[0] if isinstance(d, h5py.Dataset) and d.ndim else "no"
                raise StoreError(f"{path}: {group}/{name} has {rows} rows but the provenance "
                                 f"says {n} samples")


def load(path: str | Path) -> Dataset:
    """Open a stored dataset lazily (see :class:`Dataset`)."""
    return Dataset(path)

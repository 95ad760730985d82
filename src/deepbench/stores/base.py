"""The store protocol: what the pipeline asks of any store (HDF5 today, Zarr next).

A run talks to a :class:`Store` (own the output, prepare or resume a run, record and verify chunks,
finalise); executors only get its :class:`ChunkSink`, a small picklable description that writes one
chunk wherever a task runs. Only the runner (``dataset/generate.py``) knows both store and executor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.dataset.plan import Chunk, Plan

Log = Callable[[str], None]
Arrays = Mapping[str, Mapping[str, np.ndarray]]  # group → name → array


def digest(groups: Arrays) -> str:
    """SHA-256 over every array (group, name, dtype, shape and bytes, in sorted order)."""
    h = hashlib.sha256()
    for group in sorted(groups):
        for name in sorted(groups[group]):
            a = np.ascontiguousarray(groups[group][name])
            h.update(f"{group}/{name}:{a.dtype.str}:{a.shape}".encode())
            h.update(a.tobytes())
    return h.hexdigest()


@dataclass
class ChunkRecord:
    """What the run keeps of a written chunk: its content hash, its catalogue's row count, and its
    labels when splits need them."""

    index: int
    sha256: str
    catalog_rows: int = 0
    labels: dict[str, np.ndarray] | None = None

    @classmethod
    def of(cls, index: int, groups: Arrays, sha256: str, keep_labels: bool) -> ChunkRecord:
        from deepbench.stores.layout import CATALOG, LABELS, SAMPLE_INDEX

        cat = groups.get(CATALOG, {})
        rows = len(cat[SAMPLE_INDEX]) if cat else 0
        labels = {k: np.asarray(v) for k, v in groups.get(LABELS, {}).items()} \
            if keep_labels else None
        return cls(index, sha256, rows, labels)


class InOrder:
    """Hands chunk records to ``append`` strictly in chunk order; a record that arrives early waits
    for its turn, so what is assembled never depends on the order in which chunks finish."""

    def __init__(self, append: Callable[[ChunkRecord], None]):
        self._append = append
        self._waiting: dict[int, ChunkRecord] = {}
        self.next = 0  # the next chunk index to append

    def add(self, record: ChunkRecord) -> None:
        self._waiting[record.index] = record
        while self.next in self._waiting:
            self._append(self._waiting.pop(self.next))
            self.next += 1

    def check_complete(self, n_chunks: int) -> None:
        from deepbench.errors import StoreError

        if self.next != n_chunks:
            raise StoreError(f"chunks {self.next}… were never written; the run is incomplete")


class ChunkSink(Protocol):
    """Picklable: writes one chunk from any process and returns its record."""

    def write(self, chunk: Chunk, plan: Plan) -> ChunkRecord: ...


class StoredArrays(Protocol):
    """A finished dataset opened for reading: lazy arrays (``shape``, ``dtype``, ``ndim``,
    ``attrs``, NumPy-style slicing, 1-D index arrays) by group, and the root attributes."""

    @property
    def attrs(self) -> Mapping[str, Any]: ...

    @property
    def closed(self) -> bool: ...

    def group(self, name: str) -> dict[str, Any]:
        """Arrays of group ``name`` by name (empty when the group is absent)."""
        ...

    def close(self) -> None: ...


class Store(Protocol):
    """One dataset being written, in one format. Use as a context manager: leaving it releases
    the output. Constructed from the output location; :func:`deepbench.stores.open_store` picks
    the class, :func:`deepbench.stores.format_of` asks each class whether it ``recognises`` an
    existing dataset, which ``open_arrays`` then opens for reading."""

    sink: ChunkSink

    @staticmethod
    def recognises(location: str | Path) -> bool:
        """Whether the existing ``location`` is a dataset of this format (cheap; no reading)."""
        ...

    @staticmethod
    def open_arrays(location: str | Path) -> StoredArrays:
        """Open a finished dataset for reading (raises StoreError when it is unreadable)."""
        ...

    def begin(self, plan: Plan, run_id: str, *, overwrite: bool, resume: bool,
              log: Log) -> dict[int, ChunkRecord]:
        """Own the output, then start a fresh run or resume one; returns the chunks kept, each
        verified against its recorded content hash (failures are recomputed, and logged)."""
        ...

    def record(self, record: ChunkRecord) -> None:
        """Note a completed chunk durably, so a resumed run can verify it (a store may also start
        assembling the dataset here, in chunk order)."""
        ...

    def finalise(self, provenance: Mapping[str, Any], splits: Mapping[str, np.ndarray]
                 ) -> Path | str:
        """Complete the dataset (every chunk recorded) and give it its name."""
        ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...

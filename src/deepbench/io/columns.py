"""Columns for loaders: which stored arrays make a model's inputs and targets, read as batches.

A column is named ``group/name`` (``outputs/image``, ``labels/radius``, ``truth/area``,
``clean/image``, ``labels_perturbed/width``), or by its bare name, looked up in ``outputs``, then
``labels``, then ``truth``; ``index`` is the global sample index (int64). Used by the PyTorch and
JAX loaders; imports neither.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from deepbench.errors import SpecError
from deepbench.stores import layout

INDEX = "index"  # pseudo-column: the global sample index
_SEARCH = (layout.OUTPUTS, layout.LABELS, layout.TRUTH)  # where a bare name is looked up
Names = str | Sequence[str] | None


def as_names(names: Names) -> tuple[str, ...]:
    """A column selection as a tuple of names (``None`` is no columns)."""
    if names is None:
        return ()
    if isinstance(names, str):
        return (names,)
    return tuple(names)


def resolve_columns(field: str, names: Names, available: Mapping[str, Any]
                    ) -> tuple[tuple[str, str], ...]:
    """``(group, name)`` of each column of ``names`` among ``available`` (group → names).

    Raises :class:`SpecError` naming ``field``, the unknown column and the columns there are.
    """
    found = []
    for name in as_names(names):
        if not isinstance(name, str):
            raise SpecError(field, name, "a column name (str) or a list of them")
        found.append(_resolve(field, name, available))
    return tuple(found)


def _resolve(field: str, name: str, available: Mapping[str, Any]) -> tuple[str, str]:
    if name == INDEX:
        return INDEX, INDEX
    if "/" in name:
        group, _, short = name.partition("/")
        if short in available.get(group, ()):
            return group, short
    else:
        for group in _SEARCH:
            if name in available.get(group, ()):
                return group, name
    there = [f"{g}/{n}" for g in layout.PER_SAMPLE for n in available.get(g, ())]
    raise SpecError(field, name, f"a stored column: {INDEX!r}, a bare name found in outputs, "
                    f"labels or truth, or one of {', '.join(there)}")


def pick(columns: tuple[tuple[str, str], ...], groups: Mapping[str, Mapping[str, Any]],
         index: np.ndarray, rows: np.ndarray | slice) -> list[np.ndarray]:
    """The arrays of ``columns`` for ``rows`` of in-memory ``groups`` (a simulated chunk) whose
    global sample indices are ``index``."""
    return [index[rows] if g == INDEX else np.asarray(groups[g][n])[rows] for g, n in columns]


def available_in(ds: Any) -> dict[str, list[str]]:
    """Group → array names of a loaded dataset (per-sample groups only)."""
    return {g: list(getattr(ds, g)) for g in layout.PER_SAMPLE}


def lazy_arrays(ds: Any, columns: tuple[tuple[str, str], ...]) -> list[Any]:
    """The lazy arrays of ``columns`` in a loaded dataset (``None`` for ``index``), looked up once:
    opening a group's mapping costs milliseconds, a batch should not pay it."""
    groups = {g: getattr(ds, g) for g in {g for g, _ in columns} if g != INDEX}
    return [None if g == INDEX else groups[g][n] for g, n in columns]


class BlockCache:
    """Reads rows of lazy stored arrays one storage chunk (block) at a time, keeping the most
    recently used decompressed blocks up to ``max_bytes``: random batches then cost one
    decompression per block per pass over the blocks held, not one per batch touching it.
    Stored datasets are read-only, so a held block never goes stale."""

    def __init__(self, max_bytes: int = 128 << 20):
        self.max_bytes = max_bytes
        self._blocks: OrderedDict[tuple[str, str, int], np.ndarray] = OrderedDict()
        self._held = 0

    def rows(self, key: tuple[str, str], d: Any, rows: np.ndarray) -> np.ndarray:
        """Sorted unique ``rows`` of the lazy array ``d`` (named ``key``)."""
        per_block = _block_rows(d)
        out = np.empty((rows.size, *d.shape[1:]), dtype=d.dtype)
        blocks = rows // per_block
        first = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1], True])
        for a, b in zip(first[:-1], first[1:], strict=True):  # one step per block touched
            k = int(blocks[a])
            out[a:b] = self._block(key, d, k, per_block)[rows[a:b] - k * per_block]
        return out

    def _block(self, key: tuple[str, str], d: Any, k: int, per_block: int) -> np.ndarray:
        name = (*key, k)
        if name in self._blocks:
            self._blocks.move_to_end(name)
            return self._blocks[name]
        block = np.asarray(d[k * per_block:(k + 1) * per_block])
        if block.nbytes <= self.max_bytes:
            self._blocks[name] = block
            self._held += block.nbytes
            while self._held > self.max_bytes:
                self._held -= self._blocks.popitem(last=False)[1].nbytes
        return block


def _block_rows(d: Any) -> int:
    """Rows of one storage chunk of ``d`` (about 1 MiB of rows for an unchunked array)."""
    chunks = getattr(d, "chunks", None)
    if chunks:
        return max(1, int(chunks[0]))
    row = max(1, int(np.prod(d.shape[1:], dtype=np.int64)) * d.dtype.itemsize)
    return max(1, (1 << 20) // row)


def read_batch(arrays: Sequence[Any], columns: tuple[tuple[str, str], ...], samples: np.ndarray,
               cache: BlockCache) -> list[np.ndarray]:
    """Rows ``samples`` (global indices, any order, repeats allowed) of each column (its lazy
    array from :func:`lazy_arrays`), read block by block through ``cache``."""
    samples = np.asarray(samples, dtype=np.int64)
    rows, back = np.unique(samples, return_inverse=True)
    in_order = rows.size == samples.size and bool((rows == samples).all())
    out = []
    for (g, n), d in zip(columns, arrays, strict=True):
        if g == INDEX:
            out.append(samples.copy())
            continue
        block = cache.rows((g, n), d, rows)
        out.append(block if in_order else block[back.reshape(-1)])
    return out


def split_samples(splits: Mapping[str, np.ndarray], split: str | None, n: int) -> np.ndarray:
    """Global sample indices of ``split`` (all ``n`` samples for ``None``), sorted."""
    if split is None:
        return np.arange(n, dtype=np.int64)
    if not isinstance(split, str) or split not in splits:
        allowed = ", ".join(map(repr, splits)) if splits else "none (the dataset has no splits)"
        raise SpecError("split", split, f"one of the dataset's splits: {allowed}")
    return np.asarray(splits[split], dtype=np.int64)

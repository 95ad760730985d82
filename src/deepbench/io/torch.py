"""PyTorch datasets: a map-style :class:`StoreDataset` over a stored dataset (HDF5 or Zarr) and an
on-the-fly :class:`StreamingDataset` that simulates from a spec without touching disk.

Needs the ``torch`` extra. Columns are chosen by name (see :mod:`deepbench.io.columns`): ``x`` and
``y`` each take one name (the item holds that tensor) or a list of names (a tuple of tensors);
with no ``y`` an item is ``x`` alone. Tensors keep the stored dtypes (float32 images, float64
labels, int64 ``class_index`` and ``index``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from deepbench.errors import SpecError
from deepbench.io.columns import (
    BlockCache,
    Names,
    available_in,
    lazy_arrays,
    pick,
    read_batch,
    resolve_columns,
    split_samples,
)

Transform = Callable[[Any], Any] | None

__all__ = ["StoreDataset", "StreamingDataset"]


def _shape(names: Names, tensors: Sequence[torch.Tensor]) -> Any:
    """One tensor for a single name, a tuple for a list of names."""
    return tensors[0] if isinstance(names, str) else tuple(tensors)


class _Items:
    """Builds items ``(x, y)`` (or ``x``) from column arrays, applying the transforms."""

    def __init__(self, x: Names, y: Names, nx: int, transform: Transform,
                 target_transform: Transform):
        self.x, self.y, self.nx = x, y, nx
        self.transform, self.target_transform = transform, target_transform

    def make(self, tensors: Sequence[torch.Tensor]) -> Any:
        x = _shape(self.x, tensors[:self.nx])
        if self.transform is not None:
            x = self.transform(x)
        if self.y is None:
            return x
        y = _shape(self.y, tensors[self.nx:])
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def many(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        """Items of a batch of column arrays (batch axis first), one per row."""
        columns = [torch.from_numpy(a).unbind(0) for a in arrays]
        plain = self.transform is None and self.target_transform is None
        if plain and isinstance(self.x, str) and (self.y is None or isinstance(self.y, str)):
            return list(columns[0]) if self.y is None else list(zip(*columns, strict=True))
        return [self.make(row) for row in zip(*columns, strict=True)]


def _default_x(available: Mapping[str, Sequence[str]]) -> str:
    return f"outputs/{next(iter(available['outputs']))}"


class StoreDataset(Dataset):
    """Map-style dataset over a stored dataset: item ``i`` is sample ``i`` of ``split`` (or of the
    whole dataset) as ``(x, y)``.

    Parameters
    ----------
    path : str or Path
        An HDF5 file or a Zarr store (path or fsspec URL), read through :func:`deepbench.load`.
    x, y : str or list of str, optional
        Input and target columns (``"image"``, ``["radius", "class_index"]``, ``"truth/area"``,
        ``"index"``); ``x`` defaults to the first output, and without ``y`` an item is ``x`` alone.
    split : str, optional
        A stored split (``"train"``, ``"test"``, an OOD split); item ``i`` is then the ``i``-th
        sample of that split, in index order.
    transform, target_transform : callable, optional
        Applied to ``x`` and to ``y`` of every item.
    cache_bytes : int
        Decompressed storage blocks kept per process (most recently used first; 128 MiB), so
        shuffled batches do not decompress a block again for every batch that touches it.

    Notes
    -----
    The file is opened lazily, once per process (so a ``DataLoader`` with ``num_workers > 0``
    under ``spawn`` or ``fork`` opens it in each worker; pickling drops the handle).
    ``__getitems__`` reads a whole batch at once (the ``DataLoader`` calls it with each batch of
    indices, then collates the items); ``ds[list_of_indices]`` returns the batch already
    stacked, for ``DataLoader(ds, batch_size=None, sampler=BatchSampler(...))`` without the
    per-sample collation.
    """

    def __init__(self, path: str | Path, x: Names = None, y: Names = None, *,
                 split: str | None = None, transform: Transform = None,
                 target_transform: Transform = None, cache_bytes: int = 128 << 20):
        import deepbench

        self.path = path
        with deepbench.load(path) as ds:
            available = available_in(ds)
            x = _default_x(available) if x is None else x
            cols_x = resolve_columns("x", x, available)
            cols_y = resolve_columns("y", y, available)
            self.samples = split_samples(ds.splits, split, len(ds))
        self.columns = cols_x + cols_y
        self.split = split
        self._items = _Items(x, y, len(cols_x), transform, target_transform)
        self.cache_bytes = cache_bytes
        self._ds: Any = None
        self._pid: int | None = None
        self._cache = BlockCache(cache_bytes)
        self._arrays: list[Any] = []

    def _dataset(self) -> Any:
        """The opened store, opened on first use in this process."""
        if self._ds is None or self._pid != os.getpid():
            import deepbench

            self._ds, self._pid = deepbench.load(self.path), os.getpid()
            self._cache = BlockCache(self.cache_bytes)
            self._arrays = lazy_arrays(self._ds, self.columns)
        return self._ds

    def __len__(self) -> int:
        return int(self.samples.size)

    def _positions(self, indices: Any) -> np.ndarray:
        pos = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(self)
        bad = (pos < -n) | (pos >= n)
        if bad.any():
            raise IndexError(f"index {pos[bad][0]} out of range for {n} samples")
        return self.samples[pos % n] if n else pos

    def __getitem__(self, i: int | Sequence[int]) -> Any:
        """Item ``i``; for a list or array of indices, the whole batch as one item (batch axis
        first; transforms then see the batch): what ``DataLoader(ds, batch_size=None,
        sampler=BatchSampler(...))`` asks for, with no per-sample collation."""
        if isinstance(i, int | np.integer):
            return self.__getitems__([i])[0]
        self._dataset()
        arrays = read_batch(self._arrays, self.columns, self._positions(i), self._cache)
        return self._items.make([torch.from_numpy(a) for a in arrays])

    def __getitems__(self, indices: Sequence[int]) -> list[Any]:
        """Items ``indices`` (a batch), read with one read per column."""
        self._dataset()
        arrays = read_batch(self._arrays, self.columns, self._positions(indices), self._cache)
        return self._items.many(arrays)

    def close(self) -> None:
        """Close this process's handle on the store (it reopens on next use)."""
        if self._ds is not None:
            self._ds.close()
            self._ds, self._cache, self._arrays = None, BlockCache(self.cache_bytes), []

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_ds"], state["_pid"], state["_cache"], state["_arrays"] = None, None, None, None
        return state

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit the store may be gone
            self.close()


def _distributed(rank: int | None, world_size: int | None) -> tuple[int, int]:
    """Rank and world size: as given, else from ``torch.distributed`` when initialised, else 0, 1."""
    initialised = torch.distributed.is_available() and torch.distributed.is_initialized()
    if world_size is None:
        world_size = torch.distributed.get_world_size() if initialised else 1
    if rank is None:
        rank = torch.distributed.get_rank() if initialised else 0
    for field, v, low in (("world_size", world_size, 1), ("rank", rank, 0)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < low:
            raise SpecError(field, v, f"an integer >= {low}")
    if rank >= world_size:
        raise SpecError("rank", rank, f"an integer in [0, {world_size - 1}] (world_size "
                        f"{world_size})")
    return int(rank), int(world_size)


class StreamingDataset(IterableDataset):
    """Simulates a spec chunk by chunk while iterating, writing nothing: the samples, in the same
    bytes, that ``deepbench.generate`` would store for that spec.

    Parameters
    ----------
    spec : path, mapping or ResolvedSpec
        A dataset spec (validated completely, parameters pre-flighted, before any work).
    x, y, transform, target_transform
        As for :class:`StoreDataset` (without ``batch_size`` the transforms apply per sample,
        with it per batch).
    overrides : iterable of str
        ``a.b=value`` overrides, as ``deepbench generate --set``.
    split : str, optional
        Only the samples of this split of the spec (computed as the store computes it).
    batch_size : int, optional
        Yield ready batches of this many samples (use ``DataLoader(ds, batch_size=None)``);
        ``drop_last`` drops each shard's last short batch.
    rank, world_size : int, optional
        This process's place among distributed processes; default from ``torch.distributed`` when
        it is initialised (read here, in the main process), else 0 and 1.
    shuffle, seed :
        Visit chunks, and samples within a chunk, in an order drawn from ``(seed, epoch)``
        (see :meth:`set_epoch`); without ``shuffle`` a shard yields its samples in index order.

    Notes
    -----
    Work is sharded by chunk: shard ``s = rank · num_workers + worker_id`` of ``S = world_size ·
    num_workers`` computes the chunks at positions ``s, s + S, …`` of the epoch's chunk order, so
    every sample index of the split is yielded exactly once per epoch over all ranks and workers,
    whatever order shards finish in. A shard with no chunk yields nothing (use
    ``chunk_size`` ≤ n / S to keep every worker busy).
    """

    def __init__(self, spec: Any, x: Names = None, y: Names = None, *,
                 overrides: Iterable[str] = (), split: str | None = None,
                 batch_size: int | None = None, drop_last: bool = False,
                 rank: int | None = None, world_size: int | None = None,
                 shuffle: bool = False, seed: int = 0, transform: Transform = None,
                 target_transform: Transform = None):
        from deepbench.dataset.plan import plan_for
        from deepbench.dataset.resolved import ResolvedSpec
        from deepbench.dataset.spec import resolve
        from deepbench.stores import layout

        resolved = spec if isinstance(spec, ResolvedSpec) else resolve(spec, overrides)
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, int) or batch_size < 1):
            raise SpecError("batch_size", batch_size, "an integer >= 1, or None for samples")
        self.rank, self.world_size = _distributed(rank, world_size)
        self.spec_json = resolved.dumps()
        plan = plan_for(self.spec_json)
        plan.check_params()  # values only a simulator can judge, before any work
        available = {g: list(v) for g, v in layout.per_sample(plan).items()}
        x = _default_x(available) if x is None else x
        self.columns = resolve_columns("x", x, available) + resolve_columns("y", y, available)
        self.samples = _stream_split(plan, resolved, split)
        self.n_chunks = resolved.n_chunks
        self.split, self.batch_size, self.drop_last = split, batch_size, drop_last
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0
        self._items = _Items(x, y, len(resolve_columns("x", x, available)), transform,
                             target_transform)

    @property
    def n_samples(self) -> int:
        """Samples of the split over all ranks and workers. (No ``__len__``: a DataLoader would
        take it for the items of one process, which are batches or a shard's share.)"""
        return int(self.samples.size)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order ``shuffle`` draws (call before each epoch's iteration)."""
        self.epoch = int(epoch)

    def chunk_order(self) -> np.ndarray:
        """Chunk indices in this epoch's order (shared by every shard)."""
        if not self.shuffle:
            return np.arange(self.n_chunks)
        return _order_rng(self.seed, self.epoch).permutation(self.n_chunks)

    def shard(self) -> tuple[int, int]:
        """``(s, S)``: this iterator's shard and the number of shards (ranks × workers)."""
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        return self.rank * workers + worker, self.world_size * workers

    def __iter__(self) -> Iterator[Any]:
        from deepbench.dataset.plan import plan_for

        plan = plan_for(self.spec_json)
        s, total = self.shard()
        chunks = self.chunk_order()[s::total]
        parts = self._parts(plan, chunks)
        if self.batch_size is None:
            for arrays in parts:
                yield from self._items.many(arrays)
        else:
            yield from self._batches(parts)

    def _parts(self, plan: Any, chunks: np.ndarray) -> Iterator[list[np.ndarray]]:
        """Column arrays of each chunk's samples in the split (in the epoch's order)."""
        spec = plan.spec
        for k in chunks:
            start, stop = spec.chunk_bounds(int(k))
            lo, hi = np.searchsorted(self.samples, [start, stop])
            if lo == hi:
                continue  # no sample of the split here: nothing to simulate
            index = np.arange(start, stop, dtype=np.int64)
            rows: np.ndarray | slice = self.samples[lo:hi] - start
            if hi - lo == stop - start:
                rows = slice(None)
            if self.shuffle:
                order = _order_rng(self.seed, self.epoch, int(k) + 1)
                rows = order.permutation(np.arange(stop - start)[rows])
            chunk = plan.simulate_chunk(int(k))
            yield pick(self.columns, chunk.groups, index, rows)

    def _batches(self, parts: Iterator[list[np.ndarray]]) -> Iterator[Any]:
        """Batches of ``batch_size`` rows: views of a chunk's arrays, except a batch that spans two
        chunks, which is copied together."""
        size = self.batch_size
        carry: list[np.ndarray] | None = None  # fewer than ``size`` rows left from earlier chunks
        for arrays in parts:
            start, n = 0, len(arrays[0])
            if carry is not None:
                start = min(size - len(carry[0]), n)
                carry = [np.concatenate([c, a[:start]]) for c, a in zip(carry, arrays, strict=True)]
                if len(carry[0]) < size:
                    continue
                yield self._batch(carry)
                carry = None
            for a in range(start, n - size + 1, size):
                yield self._batch([c[a:a + size] for c in arrays])
            rest = start + (n - start) // size * size
            carry = [c[rest:] for c in arrays] if rest < n else None
        if carry is not None and not self.drop_last:
            yield self._batch(carry)

    def _batch(self, arrays: list[np.ndarray]) -> Any:
        return self._items.make([torch.from_numpy(np.ascontiguousarray(a)) for a in arrays])


def _order_rng(seed: int, epoch: int, sub: int = 0) -> np.random.Generator:
    """Stream of the shuffle order of ``epoch`` (``sub`` 0: chunks; k + 1: samples of chunk k)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(epoch, sub)))


def _stream_split(plan: Any, spec: Any, split: str | None) -> np.ndarray:
    """Sorted global indices of ``split`` of the spec, computed as the store computes them (from
    the resolved spec as given: the order of its split fractions matters)."""
    from deepbench.dataset.splits import compute_splits

    if split is None:
        return np.arange(spec.n, dtype=np.int64)
    if not spec.splits:
        return split_samples({}, split, spec.n)
    labels: dict[str, np.ndarray] = {}
    if spec.splits.get("ood"):  # OOD conditions need every label: the parameter stages only
        parts = [plan.chunk_labels(k) for k in range(spec.n_chunks)]
        labels = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return split_samples(compute_splits(spec, labels), split, spec.n)


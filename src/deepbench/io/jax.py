"""A NumPy batch iterator over a stored dataset, for JAX (or any array) code.

Yields plain NumPy arrays, which ``jax.numpy`` functions and ``jax.device_put`` take as they are;
DeepBench never imports jax. Columns are chosen as for the PyTorch loaders
(:mod:`deepbench.io.columns`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.errors import SpecError
from deepbench.io.columns import (
    BlockCache,
    Names,
    available_in,
    lazy_arrays,
    read_batch,
    resolve_columns,
    split_samples,
)

__all__ = ["BatchIterator"]


class BatchIterator:
    """Batches ``(x, y)`` of NumPy arrays (batch axis first) from a stored dataset.

    Parameters
    ----------
    path : str or Path
        An HDF5 file or a Zarr store.
    x, y : str or list of str, optional
        Columns as for :class:`deepbench.io.torch.StoreDataset`: one name gives an array, a list
        a tuple of arrays; ``x`` defaults to the first output; without ``y`` a batch is ``x``.
    batch_size : int
        Samples per batch.
    shuffle, seed :
        Without ``shuffle`` batches follow the sample order; with it, epoch ``e`` visits the
        samples in a permutation drawn from ``(seed, e)`` alone (the same on every machine).
    drop_last : bool
        Drop the last batch when it is short.
    split : str, optional
        Only the samples of this stored split.

    Storage blocks are read whole and the most recent ``cache_bytes`` of them kept (see
    :class:`deepbench.io.columns.BlockCache`). Iterating again gives the next epoch (0, 1, 2, …);
    :meth:`epoch` gives any epoch directly. The store stays open until :meth:`close` (or the end of
    a ``with`` block).
    """

    def __init__(self, path: str | Path, x: Names = None, y: Names = None, *,
                 batch_size: int = 32, shuffle: bool = False, seed: int = 0,
                 drop_last: bool = False, split: str | None = None,
                 cache_bytes: int = 128 << 20):
        import deepbench

        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise SpecError("batch_size", batch_size, "an integer >= 1")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SpecError("seed", seed, "an integer >= 0")
        self._ds = deepbench.load(path)
        try:
            available = available_in(self._ds)
            x = f"outputs/{next(iter(available['outputs']))}" if x is None else x
            self._x = resolve_columns("x", x, available)
            self._y = resolve_columns("y", y, available)
            self.samples = split_samples(self._ds.splits, split, len(self._ds))
            self._arrays = lazy_arrays(self._ds, self._x + self._y)
        except BaseException:
            self._ds.close()
            raise
        self.x_names, self.y_names = x, y
        self.batch_size, self.shuffle, self.seed, self.drop_last = batch_size, shuffle, seed, drop_last
        self._next_epoch = 0
        self._cache = BlockCache(cache_bytes)

    def __len__(self) -> int:
        """Batches per epoch."""
        n = self.samples.size
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """Global sample indices in the order epoch ``epoch`` visits them."""
        if not self.shuffle:
            return self.samples
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(epoch,)))
        return self.samples[rng.permutation(self.samples.size)]

    def epoch(self, epoch: int) -> Iterator[Any]:
        """The batches of epoch ``epoch``."""
        order = self.order(epoch)
        for b in range(len(self)):
            arrays = read_batch(self._arrays, self._x + self._y,
                                order[b * self.batch_size:(b + 1) * self.batch_size], self._cache)
            x = arrays[0] if isinstance(self.x_names, str) else tuple(arrays[:len(self._x)])
            if self.y_names is None:
                yield x
            else:
                ys = arrays[len(self._x):]
                yield x, (ys[0] if isinstance(self.y_names, str) else tuple(ys))

    def __iter__(self) -> Iterator[Any]:
        e, self._next_epoch = self._next_epoch, self._next_epoch + 1
        return self.epoch(e)

    def close(self) -> None:
        self._ds.close()

    def __enter__(self) -> BatchIterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

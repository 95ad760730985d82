"""The NumPy batch iterator for JAX: stored rows exactly, seeded shuffles, drop_last, splits, and
no jax (or torch) import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import deepbench
from deepbench.errors import SpecError
from deepbench.io.columns import BlockCache
from deepbench.io.jax import BatchIterator

SPEC = {"name": "jax", "seed": 9, "n": 50, "chunk_size": 20, "config": {"height": 8, "width": 8},
        "classes": [{"simulator": "shapes.circle",
                     "params": {"radius": {"dist": "uniform", "low": 1, "high": 3}}},
                    {"simulator": "shapes.rectangle", "params": {"width": 3, "height": 2}}],
        "splits": {"fractions": {"train": 0.8, "test": 0.2}}}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    path = deepbench.generate(SPEC, tmp_path_factory.mktemp("jax") / "d.h5")
    with deepbench.load(path) as ds:
        return path, ds.outputs["image"][()], ds.labels["class_index"][()], ds.splits


def test_batches_in_order_are_the_stored_arrays(stored):
    path, image, cls, _ = stored
    with BatchIterator(path, "image", ["class_index", "index"], batch_size=16) as it:
        batches = list(it)
    assert len(it) == 4 and [len(x) for x, _ in batches] == [16, 16, 16, 2]
    assert all(type(x) is np.ndarray for x, _ in batches)
    assert np.concatenate([x for x, _ in batches]).tobytes() == image.tobytes()
    np.testing.assert_array_equal(np.concatenate([y[0] for _, y in batches]), cls)
    np.testing.assert_array_equal(np.concatenate([y[1] for _, y in batches]), np.arange(50))


def test_shuffle_depends_on_seed_and_epoch_only_and_covers_the_split_once(stored):
    path, image, _, splits = stored
    it = BatchIterator(path, "image", "index", batch_size=8, shuffle=True, seed=4, split="train")
    first, second = ([i for _, idx in epoch for i in idx.tolist()] for epoch in (list(it), list(it)))
    assert sorted(first) == sorted(second) == splits["train"].tolist()
    assert first != second  # iterating again is the next epoch
    again = BatchIterator(path, "image", "index", batch_size=8, shuffle=True, seed=4, split="train")
    assert [i for _, idx in again.epoch(1) for i in idx.tolist()] == second
    other = BatchIterator(path, "index", batch_size=8, shuffle=True, seed=5, split="train")
    assert [i for idx in other.epoch(0) for i in idx.tolist()] != first
    for x, idx in again.epoch(3):
        np.testing.assert_array_equal(x, image[idx])


def test_drop_last_and_len(stored):
    path, *_ = stored
    it = BatchIterator(path, "index", batch_size=16, drop_last=True, shuffle=True)
    assert len(it) == 3 and [len(b) for b in it] == [16, 16, 16]
    assert len(BatchIterator(path, batch_size=50)) == 1
    assert len(BatchIterator(path, batch_size=51, drop_last=True)) == 0


def test_bad_arguments_are_named(stored):
    path, *_ = stored
    with pytest.raises(SpecError, match="batch_size: got 0; expected an integer >= 1"):
        BatchIterator(path, batch_size=0)
    with pytest.raises(SpecError, match="seed: got -1; expected an integer >= 0"):
        BatchIterator(path, seed=-1)
    with pytest.raises(SpecError, match="split: got 'val'; expected one of the dataset's splits: "
                                        "'test', 'train'"):
        BatchIterator(path, split="val")
    with pytest.raises(SpecError, match="x: got 'truth/radius'"):
        BatchIterator(path, "truth/radius")


def test_the_block_cache_reads_each_block_once_and_stays_within_its_budget():
    reads = []

    class Lazy:  # a lazy array of 100 rows stored in blocks of 10
        shape, dtype, chunks = (100, 3), np.dtype("float64"), (10, 3)
        data = np.arange(300.0).reshape(100, 3)

        def __getitem__(self, key):
            reads.append((key.start, key.stop))
            return self.data[key].copy()

    cache = BlockCache(max_bytes=2 * 10 * 3 * 8)  # two blocks
    d = Lazy()
    rows = np.array([1, 5, 12, 19, 95])
    np.testing.assert_array_equal(cache.rows(("g", "a"), d, rows), d.data[rows])
    assert reads == [(0, 10), (10, 20), (90, 100)]
    np.testing.assert_array_equal(cache.rows(("g", "a"), d, np.array([13, 96])), d.data[[13, 96]])
    assert len(reads) == 3  # blocks 1 and 9 were the two most recent: no read
    cache.rows(("g", "a"), d, np.array([0]))
    assert reads[-1] == (0, 10) and cache._held <= cache.max_bytes


def test_importing_the_loader_imports_neither_jax_nor_torch():
    code = ("import sys, deepbench.io.jax; "
            "print(sorted({'jax', 'torch'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

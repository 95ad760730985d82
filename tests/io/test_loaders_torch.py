"""PyTorch loaders: the map-style dataset yields exactly the stored arrays (also from spawned
workers), the streaming dataset yields every sample once across workers and ranks, in the stored
bytes, and a tiny CNN trains through the loader."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch  # the `torch` extra: CI installs it (see .ci/run), so a missing torch fails here
from torch.utils.data import DataLoader

import deepbench
from deepbench.errors import SpecError
from deepbench.io.torch import StoreDataset, StreamingDataset

SPEC = {
    "name": "loaders", "seed": 5, "n": 90, "chunk_size": 10,
    "config": {"height": 12, "width": 12},
    "classes": [
        {"simulator": "shapes.circle", "params": {"radius": {"dist": "uniform", "low": 2, "high": 5}}},
        {"simulator": "shapes.rectangle", "weight": 2,
         "params": {"width": {"dist": "uniform", "low": 3, "high": 8}, "height": 4}},
    ],
    "params": {"cx": {"dist": "uniform", "low": -1, "high": 1}},
    "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}},
    "splits": {"fractions": {"train": 0.6, "val": 0.2, "test": 0.2},
               "ood": {"big": {"radius": {"gt": 4.5}}}},
    "output": {"store_clean": True},
}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return deepbench.generate(SPEC, tmp_path_factory.mktemp("torch") / "d.h5")


@pytest.fixture(scope="module")
def stored_zarr(stored, tmp_path_factory):
    return deepbench.convert(stored, tmp_path_factory.mktemp("torch") / "d.zarr")


@pytest.fixture(scope="module")
def arrays(stored):
    """Every stored column read directly (with the sample index), and the splits."""
    with deepbench.load(stored) as ds:
        cols = {"image": ds.outputs["image"][()], "clean": ds.clean["image"][()],
                "radius": ds.labels["radius"][()], "class_index": ds.labels["class_index"][()],
                "area": ds.truth["area"][()], "index": np.arange(len(ds))}
        return cols, ds.splits


def stacked(batches, n_y):
    xs = torch.cat([b[0] for b in batches]).numpy()
    ys = [torch.cat([b[1][j] for b in batches]).numpy() for j in range(n_y)]
    return xs, ys


# -- map-style ----------------------------------------------------------------------------------
def test_two_spawned_workers_yield_exactly_the_stored_arrays(stored, arrays):
    cols, _ = arrays
    ds = StoreDataset(stored, "image", ["radius", "class_index", "index"])
    loader = DataLoader(ds, batch_size=7, num_workers=2, multiprocessing_context="spawn")
    x, (radius, cls, index) = stacked(list(loader), 3)
    assert x.dtype == np.float32 and cls.dtype == np.int64 and radius.dtype == np.float64
    assert x.tobytes() == cols["image"].tobytes()
    np.testing.assert_array_equal(radius, cols["radius"])  # NaN where a class has no radius
    np.testing.assert_array_equal(cls, cols["class_index"])
    np.testing.assert_array_equal(index, np.arange(SPEC["n"]))


@pytest.mark.parametrize("which", ["hdf5", "zarr"])
def test_a_split_and_shuffled_batched_reads_give_the_stored_rows(which, stored, stored_zarr, arrays):
    cols, splits = arrays
    path = stored if which == "hdf5" else stored_zarr
    ds = StoreDataset(path, ["image", "clean/image"], ["truth/area", "index"], split="train")
    assert len(ds) == splits["train"].size
    loader = DataLoader(ds, batch_size=16, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    for (x, clean), (area, index) in loader:
        rows = index.numpy()
        assert np.isin(rows, splits["train"]).all()
        np.testing.assert_array_equal(x.numpy(), cols["image"][rows])
        np.testing.assert_array_equal(clean.numpy(), cols["clean"][rows])
        np.testing.assert_array_equal(area.numpy(), cols["area"][rows])


def test_getitems_keeps_the_order_asked_and_repeats(stored, arrays):
    cols, splits = arrays
    ds = StoreDataset(stored, "image", "index", split="test")
    asked = [3, 0, 3, -1, 16, 2]
    items = ds.__getitems__(asked)
    want = splits["test"][np.array(asked) % len(ds)]
    assert [int(y) for _, y in items] == want.tolist()
    for (x, _), one in zip(items, asked, strict=True):
        assert torch.equal(x, ds[one][0])
    with pytest.raises(IndexError, match="index 17 out of range for 17 samples"):
        ds[len(ds)]


def test_a_list_of_indices_is_one_stacked_batch_for_a_batch_sampler(stored, arrays):
    from torch.utils.data import BatchSampler, SequentialSampler

    cols, splits = arrays
    ds = StoreDataset(stored, "image", ["class_index", "index"], split="val")
    x, (cls, index) = ds[[2, 0, 2]]
    np.testing.assert_array_equal(index.numpy(), splits["val"][[2, 0, 2]])
    np.testing.assert_array_equal(x.numpy(), cols["image"][index.numpy()])
    sampler = BatchSampler(SequentialSampler(ds), batch_size=5, drop_last=False)
    batches = list(DataLoader(ds, batch_size=None, sampler=sampler))
    assert len(ds) == 16 and [len(b[0]) for b in batches] == [5, 5, 5, 1]
    x, (cls, index) = stacked(batches, 2)
    np.testing.assert_array_equal(index, splits["val"])
    assert x.tobytes() == cols["image"][splits["val"]].tobytes()
    np.testing.assert_array_equal(cls, cols["class_index"][splits["val"]])


def test_transforms_default_columns_and_no_target(stored, arrays):
    cols, _ = arrays
    ds = StoreDataset(stored, transform=lambda x: x[None] * 2,
                      y="class_index", target_transform=lambda y: y + 10)
    x, y = ds[4]
    assert x.shape == (1, 12, 12) and torch.equal(x[0], torch.from_numpy(cols["image"][4] * 2))
    assert int(y) == cols["class_index"][4] + 10
    only_x = StoreDataset(stored, "radius")[1]
    assert isinstance(only_x, torch.Tensor) and only_x.item() == cols["radius"][1]


def test_the_store_opens_lazily_and_pickling_drops_the_handle(stored):
    ds = StoreDataset(stored, "image")
    assert ds._ds is None  # nothing open until the first read
    ds[0]
    assert ds._ds is not None
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._ds is None and torch.equal(clone[5], ds[5])
    ds.close()
    assert ds._ds is None and torch.equal(ds[5], clone[5])


def test_bad_columns_and_splits_are_named(stored):
    with pytest.raises(SpecError, match=r"y: got 'radios'; expected a stored column: 'index', .*"
                                        r"labels/radius"):
        StoreDataset(stored, "image", "radios")
    with pytest.raises(SpecError, match=r"split: got 'training'; expected one of the dataset's "
                                        r"splits: 'big', 'test', 'train', 'val'"):
        StoreDataset(stored, split="training")
    with pytest.raises(SpecError, match="x: got 3; expected a column name"):
        StoreDataset(stored, [3])


# -- streaming ----------------------------------------------------------------------------------
def test_two_workers_times_two_ranks_yield_every_index_once_in_the_stored_bytes(arrays):
    cols, _ = arrays
    seen = []
    for rank in range(2):
        ds = StreamingDataset(SPEC, "image", ["index", "class_index"], rank=rank, world_size=2)
        # fork: the spawn start method is shown by the map-style test above (and costs seconds)
        loader = DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="fork")
        seen.append(list(loader))
    x, (index, cls) = stacked(seen[0] + seen[1], 2)
    assert np.sort(index).tolist() == list(range(SPEC["n"]))  # each index exactly once
    per_rank = [set(stacked(s, 2)[1][0].tolist()) for s in seen]
    assert not per_rank[0] & per_rank[1] and all(per_rank)
    assert x.tobytes() == cols["image"][index].tobytes()
    np.testing.assert_array_equal(cls, cols["class_index"][index])


def test_streamed_splits_are_the_stored_splits(arrays):
    cols, splits = arrays
    for name in ("train", "big"):
        got = list(StreamingDataset(SPEC, "image", "index", split=name))
        assert [int(i) for _, i in got] == splits[name].tolist()
        np.testing.assert_array_equal(torch.stack([x for x, _ in got]).numpy(),
                                      cols["image"][splits[name]])


def test_batches_shuffle_per_epoch_and_repeat_for_the_same_seed(arrays):
    cols, _ = arrays
    ds = StreamingDataset(SPEC, "image", "index", batch_size=8, shuffle=True, seed=3)
    epochs = []
    for e in (0, 1, 0):
        ds.set_epoch(e)
        batches = list(ds)
        assert [len(b[1]) for b in batches] == [8] * 11 + [2]
        index = torch.cat([b[1] for b in batches]).numpy()
        assert np.sort(index).tolist() == list(range(SPEC["n"]))
        np.testing.assert_array_equal(torch.cat([b[0] for b in batches]).numpy(), cols["image"][index])
        epochs.append(index)
    assert not np.array_equal(epochs[0], epochs[1])
    np.testing.assert_array_equal(epochs[0], epochs[2])
    assert ds.n_samples == SPEC["n"]
    dropped = StreamingDataset(SPEC, "index", batch_size=8, drop_last=True, rank=1, world_size=2)
    assert [len(b) for b in dropped] == [8] * 5  # 45 samples in rank 1's 5 chunks


def test_rank_world_size_and_batch_size_are_checked():
    assert StreamingDataset(SPEC).shard() == (0, 1)  # no torch.distributed: one process
    with pytest.raises(SpecError, match=r"rank: got 2; expected an integer in \[0, 1\]"):
        StreamingDataset(SPEC, rank=2, world_size=2)
    with pytest.raises(SpecError, match="world_size: got 0; expected an integer >= 1"):
        StreamingDataset(SPEC, world_size=0)
    with pytest.raises(SpecError, match="batch_size: got 0"):
        StreamingDataset(SPEC, batch_size=0)
    with pytest.raises(SpecError, match="split: got 'big'; expected one of the dataset's splits: "
                                        "none"):
        StreamingDataset({**SPEC, "splits": None}, split="big")


# -- training -----------------------------------------------------------------------------------
@pytest.fixture
def one_thread():
    """One intra-op thread: on a shared 2-core machine two threads make tiny steps 100× slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_a_tiny_cnn_trains_for_two_epochs_and_its_loss_decreases(tmp_path, one_thread):
    spec = {"name": "cnn", "seed": 1, "n": 512, "chunk_size": 256, "config": {"height": 28, "width": 28},
            "classes": [{"simulator": "shapes.circle",
                         "params": {"radius": {"dist": "uniform", "low": 4, "high": 9}}},
                        {"simulator": "shapes.line",
                         "params": {"length": {"dist": "uniform", "low": 10, "high": 20},
                                    "angle": {"dist": "uniform", "low": 0, "high": 3.14}}}],
            "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}}}
    path = deepbench.generate(spec, tmp_path / "shapes.h5")
    torch.manual_seed(0)
    data = StoreDataset(path, "image", "class_index", transform=lambda x: x[None])
    loader = DataLoader(data, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Flatten(), torch.nn.Linear(4 * 13 * 13, 2))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(2):
        total = 0.0
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
        losses.append(total / len(data))
    assert losses[1] < losses[0] < np.log(2) + 0.1

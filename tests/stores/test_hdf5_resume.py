"""Resume verifies every chunk file it keeps (the hash of its data against the run's record)."""

from __future__ import annotations

import copy
import json

import h5py
import pytest
from tests_support import dataset_bytes

import deepbench
from deepbench.stores.base import digest
from deepbench.stores.hdf5 import MANIFEST, chunk_path, workdir_for


class Interrupt(Exception):
    pass


def interrupted(spec: dict, out, after: int = 3) -> None:
    """Start a run of ``spec`` into ``out`` and stop it once ``after`` chunks are done."""

    def stop(done: int, total: int) -> None:
        if done >= after:
            raise Interrupt

    with pytest.raises(Interrupt):
        deepbench.generate(spec, out, progress=stop)


def flip_bytes(path, count: int = 64) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + count):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("compression", ["gzip", "none"])
def test_flipped_bytes_in_a_chunk_file_are_detected_and_recomputed(tmp_path, small_spec,
                                                                   compression):
    spec = copy.deepcopy(small_spec)
    spec["output"]["compression"] = compression
    ref = deepbench.generate(spec, tmp_path / "ref.h5")
    out = tmp_path / "d.h5"
    interrupted(spec, out)
    flip_bytes(chunk_path(workdir_for(out), 1))
    messages: list[str] = []
    deepbench.generate(spec, out, resume=True, log=messages.append)
    assert [m.split(":")[0] for m in messages] == ["chunk 1"]
    assert "recomputing" in messages[0]
    assert dataset_bytes(out) == dataset_bytes(ref)


def test_a_chunk_file_rewritten_validly_with_h5py_is_detected(tmp_path, small_spec):
    ref = deepbench.generate(small_spec, tmp_path / "ref.h5")
    out = tmp_path / "d.h5"
    interrupted(small_spec, out)
    path = chunk_path(workdir_for(out), 0)
    with h5py.File(path, "r+") as f:  # valid HDF5, other pixels, and a matching attribute
        f["outputs/image"][0] += 1.0
        groups = {g: {n: d[()] for n, d in f[g].items()} for g in f}
        f.attrs["sha256"] = digest(groups)
    messages: list[str] = []
    deepbench.generate(small_spec, out, resume=True, log=messages.append)
    assert len(messages) == 1 and messages[0].startswith("chunk 0: its data hash")
    assert dataset_bytes(out) == dataset_bytes(ref)


def test_chunks_written_but_not_recorded_are_recomputed(tmp_path, small_spec):
    ref = deepbench.generate(small_spec, tmp_path / "ref.h5")
    out = tmp_path / "d.h5"
    interrupted(small_spec, out)
    work = workdir_for(out)
    lines = (work / MANIFEST).read_text().splitlines()
    assert [json.loads(line)["chunk"] for line in lines] == [0, 1, 2]
    (work / MANIFEST).write_text(lines[0] + "\n" + lines[1][:20])  # a torn last line
    messages: list[str] = []
    deepbench.generate(small_spec, out, resume=True, log=messages.append)
    assert [m.split(":")[0] for m in messages] == ["chunk 1", "chunk 2"]
    assert dataset_bytes(out) == dataset_bytes(ref)


def test_intact_chunks_are_kept_without_a_message(tmp_path, small_spec):
    out = tmp_path / "d.h5"
    interrupted(small_spec, out)
    messages: list[str] = []
    calls: list[tuple[int, int]] = []
    deepbench.generate(small_spec, out, resume=True, log=messages.append,
                       progress=lambda done, total: calls.append((done, total)))
    assert messages == []
    assert calls == [(3, 4), (4, 4)]  # three chunks kept, one computed
    with deepbench.load(out) as ds:
        assert ds.metadata["chunks"]["completed"] == [0, 1, 2, 3]


def test_in_order_hands_records_on_in_chunk_order_whatever_the_arrival():
    from deepbench.errors import StoreError
    from deepbench.stores.base import ChunkRecord, InOrder

    seen: list[int] = []
    order = InOrder(lambda r: seen.append(r.index))
    for k in (2, 0, 3, 1):
        order.add(ChunkRecord(k, ""))
    assert seen == [0, 1, 2, 3]
    order.check_complete(4)
    with pytest.raises(StoreError, match="chunks 4… were never written"):
        order.check_complete(5)

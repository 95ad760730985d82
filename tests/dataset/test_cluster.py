"""The Dask executor on a real local cluster (worker processes on loopback): the same bytes as an
in-process run, also when a worker dies or a task fails once; clear errors before any work."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import distributed  # noqa: E402 - the dask extra is part of the test extra
import pytest
from tests_support import stored_arrays

import deepbench
from deepbench.dataset.cluster import DaskExecutor, parse_address
from deepbench.errors import SpecError
from deepbench.stores.hdf5 import HDF5ChunkSink

SPEC = {"simulator": "shapes.scene", "n": 120, "chunk_size": 10, "seed": 5,
        "config": {"height": 32, "width": 32, "masks": True},
        "params": {"n_objects": {"dist": "integers", "low": 0, "high": 4}},
        "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}},
        "splits": {"fractions": {"train": 0.8, "test": 0.2}}}


def sha(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  silence_logs=50) as c:
        yield c


@pytest.fixture
def reference(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return deepbench.generate(SPEC, tmp_path / "ref.h5")


def same(out: Path, reference: Path) -> bool:
    """Byte-identical files (HDF5), or the same arrays, attributes and provenance (Zarr)."""
    if out.suffix == ".h5":
        return sha(out) == sha(reference)
    return stored_arrays(out) == stored_arrays(reference)


@pytest.mark.slow
def test_a_local_cluster_gives_the_in_process_bytes(tmp_path, reference):
    out = deepbench.generate(SPEC, tmp_path / "d.h5", executor=DaskExecutor("local:2"))
    assert sha(out) == sha(reference)


@pytest.mark.slow
def test_a_cluster_writes_zarr_in_place_with_the_in_process_bytes(tmp_path, reference, cluster):
    """The two worker processes write their rows into the Zarr store themselves: the arrays equal
    the in-process HDF5 run's, and every stored (compressed) chunk file the in-process Zarr run's."""
    zs = deepbench.generate(SPEC, tmp_path / "d.zarr",
                            executor=DaskExecutor(cluster.scheduler_address))
    assert stored_arrays(zs) == stored_arrays(reference)
    assert _chunk_files(zs) == _chunk_files(deepbench.generate(SPEC, tmp_path / "ref.zarr"))


def _chunk_files(root: Path) -> dict[str, bytes]:
    """Every file of a Zarr store (compressed chunks and metadata) by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "zarr.json"}


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".h5", ".zarr"])
def test_a_worker_killed_mid_run_still_gives_the_same_bytes(tmp_path, reference, cluster, suffix):
    executor = DaskExecutor(cluster.scheduler_address)
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        if done == 2 and not killed:
            pids = executor._client.run(os.getpid)
            killed.append(next(iter(pids.values())))
            os.kill(killed[0], signal.SIGKILL)

    out = deepbench.generate(SPEC, tmp_path / f"d{suffix}", executor=executor, progress=kill_one)
    assert killed and same(out, reference)


@dataclass(frozen=True)
class FailsOnce(HDF5ChunkSink):
    """A sink whose chunk 3 fails on its first attempt (a marker file remembers the attempt)."""

    marker: str = ""

    def write(self, chunk, plan):
        if chunk.index == 3 and not Path(self.marker).exists():
            Path(self.marker).touch()
            raise OSError("transient failure")
        return super().write(chunk, plan)


@pytest.mark.slow
def test_a_task_that_fails_once_is_retried(tmp_path, reference, cluster):
    from deepbench.dataset.plan import plan_for
    from deepbench.dataset.spec import resolve
    from deepbench.stores.hdf5 import workdir_for

    out = tmp_path / "d.h5"
    spec = resolve(SPEC)
    work = workdir_for(out)
    work.mkdir()
    sink = FailsOnce(str(work), marker=str(tmp_path / "failed-once"))
    with DaskExecutor(cluster.scheduler_address) as executor:
        records = {r.index: r for r in executor.run(spec, range(spec.n_chunks), sink)}
    assert (tmp_path / "failed-once").exists() and sorted(records) == list(range(12))
    plan = plan_for(spec.dumps())
    for k in (0, 3, 11):  # the chunk files hold what the plan computes
        from deepbench.stores.base import digest

        assert records[k].sha256 == digest(plan.simulate_chunk(k).groups)


@pytest.mark.slow
def test_local_workers_run_one_thread_quietly_without_dasks_malloc_trim(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)  # another cluster set it here
    before = dict(os.environ)
    def environ() -> tuple[str | None, str | None]:
        return os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")

    def housekeeping() -> tuple[set[int], list[object]]:
        import dask
        import numpy  # noqa: F401 - its BLAS is one of the thread pools inspected
        from threadpoolctl import threadpool_info

        return ({p["num_threads"] for p in threadpool_info()},
                [dask.config.get(k) for k in ("distributed.admin.tick.interval",
                                              "distributed.worker.profile.enabled")])

    with DaskExecutor("local:1") as executor:
        seen = executor._client.run(environ)
        pools, config = next(iter(executor._client.run(housekeeping).values()))
        stealing = executor._cluster.scheduler.extensions.get("stealing")
    assert list(seen.values()) == [(None, "1")]
    assert pools <= {1} and config == ["1s", False]  # one thread; housekeeping every second
    assert stealing is None  # no work stealing between identical local workers
    assert dict(os.environ) == before  # nothing of the workers' set-up stays in this process


def test_an_unreachable_scheduler_fails_within_the_timeout_and_writes_nothing(tmp_path):
    executor = DaskExecutor("tcp://127.0.0.1:9", timeout=1.5)
    with pytest.raises(SpecError, match=r"--dask: got 'tcp://127.0.0.1:9'; expected a reachable"):
        deepbench.generate(SPEC, tmp_path / "d.h5", executor=executor)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["local:0", "local:x", "localhost", "8786", ""])
def test_bad_addresses_are_named(value):
    with pytest.raises(SpecError, match="local, local:N with N >= 1, or a scheduler address"):
        parse_address(value)


def test_parse_address_forms():
    assert parse_address("local:3") == ("local", 3)
    assert parse_address("local") == ("local", os.cpu_count() or 1)
    assert parse_address("tcp://10.0.0.1:8786") == ("tcp://10.0.0.1:8786", None)


def cli(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}import sys; from deepbench.cli import main; sys.argv[0] = 'deepbench'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


@pytest.mark.slow
def test_cli_dask_options(tmp_path):
    from conftest import EXAMPLES

    spec = str(EXAMPLES / "shapes.yaml")
    out = tmp_path / "d.h5"
    for args, fragment in (((spec, "-o", str(out), "--dask", "local:0"), "local:N with N >= 1"),
                           ((spec, "-o", str(out), "--dask", "local:2", "--workers", "2"),
                            "no --workers with --dask")):
        proc = cli("generate", *args)
        assert proc.returncode == 2 and fragment in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    proc = cli("generate", spec, "-o", str(out), "--dask", "local:1",
               prelude="import sys; sys.modules['distributed'] = None; ")
    assert proc.returncode == 2 and "pip install 'deepbench[dask]'" in proc.stderr
    assert list(tmp_path.iterdir()) == []
    proc = cli("generate", spec, "-o", str(out), "--set", "n=60", "--set", "chunk_size=20",
               "--dask", "local:1")
    assert proc.returncode == 0, proc.stderr
    with deepbench.load(out) as ds:
        assert len(ds) == 60

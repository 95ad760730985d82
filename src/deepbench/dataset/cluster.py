"""A Dask distributed executor: chunk tasks on a local cluster or on an existing scheduler.

``local`` or ``local:N`` starts a ``LocalCluster`` of N worker processes (default: one per CPU) on
loopback, one thread each (Dask's nanny sets ``OMP_NUM_THREADS=1`` and friends in every worker),
its HTTP endpoint on a random loopback port (no dashboard unless bokeh is installed), and without
Dask's default ``MALLOC_TRIM_THRESHOLD_=65536`` in the workers' environment: with it, every large
NumPy temporary of a chunk became a fresh ``mmap`` (about 4× the page faults and 45 % more CPU per
chunk, measured on 64×64 shape scenes), and without the workers' statistical profiler (a stack
sample every 10 ms: about 4 % of their CPU). The housekeeping of a local cluster runs less often
(:data:`LOCAL_CONFIG`: event-loop health check every 1 s instead of 20 ms, system and memory
monitors every 5 s and 1 s, no work stealing between identical workers): idle, its scheduler and
nannies then cost the client about 1 % of a core instead of 3 %, and each worker 0.6 % instead of
2 %. The client fetches each task's small record from its worker directly, not through the
scheduler. Workers of an existing cluster are set up by whoever starts them (docs/cluster.md).
``tcp://host:port`` (any ``scheme://`` Dask understands) uses a running scheduler; its workers must
see the output's directory at the same path (a shared file system). One task per spec
chunk, at most ``in_flight`` per worker submitted at a time so memory stays flat, each retried on
failure; a worker that dies has its tasks rescheduled by Dask. Tasks are pure and idempotent, so the
dataset is byte-identical to an in-process run.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from deepbench.dataset.executors import THREAD_VARS, run_task
from deepbench.dataset.resolved import ResolvedSpec
from deepbench.errors import SpecError
from deepbench.stores.base import ChunkRecord, ChunkSink

CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before giving up
# Dask settings of a local cluster (see the module docstring); None unsets a pre-spawn variable.
LOCAL_CONFIG: dict[str, Any] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    **{f"distributed.nanny.pre-spawn-environ.{var}": 1 for var in THREAD_VARS},
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.scheduler.work-stealing": False,
}
_LOCAL = re.compile(r"^local(?::(\d+))?$")


def parse_address(value: str) -> tuple[str, int | None]:
    """``("local", N)`` or ``(address, None)``; anything else is a SpecError naming the forms."""
    allowed = "local, local:N with N >= 1, or a scheduler address such as tcp://host:8786"
    m = _LOCAL.match(value)
    if m:
        n = int(m.group(1)) if m.group(1) is not None else (os.cpu_count() or 1)
        if n < 1:
            raise SpecError("--dask", value, allowed)
        return "local", n
    if re.match(r"^[a-z][a-z0-9+.-]*://[^\s/]+", value):
        return value, None
    raise SpecError("--dask", value, allowed)


class DaskExecutor:
    """Runs chunk tasks on a Dask cluster; use as a context manager (connects on entry)."""

    def __init__(self, address: str, *, in_flight: int = 2, retries: int = 2,
                 timeout: float = CONNECT_TIMEOUT):
        self.address, self.n_workers = parse_address(address)
        self.in_flight, self.retries, self.timeout = in_flight, retries, timeout
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise SpecError("--dask", address, "the dask extra installed: pip install "
                            "'deepbench[dask]'") from None
        self._client: Any = None
        self._cluster: Any = None
        self._environ: dict[str, str] | None = None

    def __enter__(self) -> DaskExecutor:
        from distributed import Client, LocalCluster

        if self.address == "local":
            import dask

            # Dask also copies the pre-spawn variables into this process's own environment,
            # which __exit__ undoes.
            self._environ = dict(os.environ)
            try:
                with dask.config.set(LOCAL_CONFIG):
                    self._cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1,
                                                 processes=True, host="127.0.0.1",
                                                 dashboard_address="127.0.0.1:0",
                                                 silence_logs=40)
                self._client = Client(self._cluster, direct_to_workers=True)
            except BaseException:
                self.__exit__()
                raise
            return self
        try:
            self._client = Client(self.address, timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            raise SpecError("--dask", self.address, f"a reachable Dask scheduler (none answered "
                            f"within {self.timeout:g} s: {exc})") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None
        if self._environ is not None:
            os.environ.clear()
            os.environ.update(self._environ)
            self._environ = None

    def run(self, spec: ResolvedSpec, chunks: Iterable[int], sink: ChunkSink
            ) -> Iterator[ChunkRecord]:
        from distributed import as_completed

        if self._client is None:
            raise RuntimeError("use DaskExecutor as a context manager")
        text, token = spec.dumps(), uuid.uuid4().hex[:8]  # fresh keys: never a cached result
        limit = self.in_flight * max(1, len(self._client.scheduler_info()["workers"]))
        queue = iter(chunks)

        def submit(k: int) -> Any:
            return self._client.submit(run_task, text, k, sink, key=f"deepbench-{token}-{k}",
                                       retries=self.retries, pure=False)

        pending = as_completed([submit(k) for _, k in zip(range(limit), queue, strict=False)])
        for future in pending:
            record = future.result()
            future.release()
            yield record
            nxt = next(queue, None)
            if nxt is not None:
                pending.add(submit(nxt))

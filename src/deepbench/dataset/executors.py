"""Executors run chunk tasks; a task computes one chunk and writes it through the store's chunk
sink. Tasks are pure and idempotent, so any executor (in-process, local processes, later a Dask
cluster) gives the same bytes. An executor sees the resolved spec and the sink, never the store.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Protocol

from deepbench.dataset.plan import plan_for
from deepbench.dataset.resolved import ResolvedSpec
from deepbench.stores.base import ChunkRecord, ChunkSink

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


class Executor(Protocol):
    """Runs chunk tasks. A context manager: entering starts or connects its workers (before the
    store touches the output, so an unreachable cluster leaves nothing behind); leaving stops them."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...

    def run(self, spec: ResolvedSpec, chunks: Iterable[int], sink: ChunkSink
            ) -> Iterator[ChunkRecord]:
        """Compute and write each chunk; yield its record as each one completes."""
        ...


def run_task(spec_json: str, k: int, sink: ChunkSink) -> ChunkRecord:
    """One chunk task: simulate chunk ``k`` of the spec (canonical JSON) and write it."""
    plan = plan_for(spec_json)
    return sink.write(plan.simulate_chunk(k), plan)


class InProcess:
    """Runs chunks one after another in this process."""

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def run(self, spec: ResolvedSpec, chunks: Iterable[int], sink: ChunkSink
            ) -> Iterator[ChunkRecord]:
        text = spec.dumps()
        for k in chunks:
            yield run_task(text, k, sink)


def _single_thread() -> None:
    for var in THREAD_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pass


class LocalProcesses:
    """Runs chunks in ``workers`` spawned local processes, one BLAS/FFT thread each, at most two
    tasks per worker in flight."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalProcesses:
        import multiprocessing as mp

        self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                         initializer=_single_thread)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def run(self, spec: ResolvedSpec, chunks: Iterable[int], sink: ChunkSink
            ) -> Iterator[ChunkRecord]:
        pool = self._pool
        if pool is None:
            raise RuntimeError("use LocalProcesses as a context manager")
        text = spec.dumps()
        queue = iter(chunks)
        pending = {pool.submit(run_task, text, k, sink)
                   for _, k in zip(range(2 * self.workers), queue, strict=False)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: f.result().index):
                yield fut.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(run_task, text, nxt, sink))

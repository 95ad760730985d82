"""Executors run chunk tasks; a task computes one chunk and writes its file. Tasks are pure and
idempotent, so any executor (in-process, local processes, later a Dask cluster) gives the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from deepbench.dataset import hdf5
from deepbench.dataset.plan import Plan

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


class Executor(Protocol):
    def run(self, resolved: Mapping[str, Any], chunks: Iterable[int], workdir: Path
            ) -> Iterator[tuple[int, str]]:
        """Compute and write each chunk; yield ``(chunk, sha256)`` as each one completes."""
        ...


@lru_cache(maxsize=4)
def _plan(resolved_json: str) -> Plan:
    import json

    return Plan(json.loads(resolved_json))


def run_task(resolved_json: str, k: int, workdir: str) -> tuple[int, str]:
    """One chunk task: simulate chunk ``k`` and write it to ``workdir``; returns (k, sha256)."""
    plan = _plan(resolved_json)
    return k, hdf5.write_chunk(Path(workdir), plan.simulate_chunk(k), plan)


def _dumps(resolved: Mapping[str, Any]) -> str:
    import json

    return json.dumps(resolved, sort_keys=True)


class InProcess:
    """Runs chunks one after another in this process."""

    def run(self, resolved: Mapping[str, Any], chunks: Iterable[int], workdir: Path
            ) -> Iterator[tuple[int, str]]:
        text = _dumps(resolved)
        for k in chunks:
            yield run_task(text, k, str(workdir))


def _single_thread() -> None:
    for var in THREAD_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pass


class LocalProcesses:
    """Runs chunks in ``workers`` local processes, one BLAS/FFT thread each."""

    def __init__(self, workers: int):
        self.workers = workers

    def run(self, resolved: Mapping[str, Any], chunks: Iterable[int], workdir: Path
            ) -> Iterator[tuple[int, str]]:
        import multiprocessing as mp

        text = _dumps(resolved)
        todo = list(chunks)
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_single_thread) as pool:
            pending = set()
            queue = iter(todo)
            for k in queue:  # keep at most 2 tasks per worker in flight
                pending.add(pool.submit(run_task, text, k, str(workdir)))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending.add(pool.submit(run_task, text, nxt, str(workdir)))

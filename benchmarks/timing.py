"""Timing helpers shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable


def best(fn: Callable[[], object], repeats: int, *, warm_up: bool = True,
         clock: Callable[[], float] = time.perf_counter) -> float:
    """Shortest time (s) of ``repeats`` calls of ``fn`` on ``clock`` (wall clock unless given,
    e.g. ``time.process_time`` for CPU time on a loaded machine), after one untimed call."""
    if warm_up:
        fn()
    shortest = float("inf")
    for _ in range(repeats):
        t = clock()
        fn()
        shortest = min(shortest, clock() - t)
    return shortest


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

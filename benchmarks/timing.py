"""Timing helpers shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable


def best(fn: Callable[[], object], repeats: int, *, warm_up: bool = True) -> float:
    """Shortest wall-clock time (s) of ``repeats`` calls of ``fn``, after one untimed call."""
    if warm_up:
        fn()
    shortest = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        shortest = min(shortest, time.perf_counter() - t)
    return shortest


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

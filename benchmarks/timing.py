"""Timing helpers shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping


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


def run_cases(script: str, doc: str, labels: Mapping[str, str],
              run_case: Callable[[str, int, int], None], *, default_n: Callable[[str], int],
              repeats: int) -> None:
    """The command line of a case-by-case benchmark: ``--case NAME`` (default: every case in
    ``labels``' order), ``-n`` samples per chunk (default ``default_n(case)``), ``--repeats``.
    Each case runs in a fresh subprocess of ``script`` (``--inner``), so its peak RSS is its own."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--case", choices=sorted(labels))
    ap.add_argument("-n", type=int, help="samples per chunk (default: per case)")
    ap.add_argument("--repeats", type=int, default=repeats)
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        run_case(args.case, args.n, args.repeats)
        return
    for name in [args.case] if args.case else list(labels):
        print(f"# {labels[name]}", flush=True)
        subprocess.run([sys.executable, script, "--inner", "--case", name,
                        "-n", str(args.n or default_n(name)), "--repeats", str(args.repeats)],
                       check=True)

"""Size estimates of a run, made before any work: one chunk in memory, the dataset on disk.

A run computes one chunk at a time per worker, so its memory is set by ``chunk_size``, not by
``n``. :func:`check_memory` (called by ``resolve``) refuses, naming the numbers:

* a chunk whose arrays exceed the memory budget (``MEMORY_BUDGET``, 2 GiB; the environment
  variable ``DEEPBENCH_MEMORY_BUDGET`` sets another, e.g. ``8GiB``);
* more than ``MAX_CHUNKS`` chunks (100,000: the provenance lists a SHA-256 per chunk, and chunk
  bookkeeping is per chunk), so ``n: 1000000000000`` fails at once instead of hanging;
* a dataset whose labels and splits, gathered for all ``n`` samples when the run is finished,
  exceed the memory budget.

:func:`check_disk` (called by ``generate``) refuses a dataset larger than the free space of the
output directory unless ``force``. All sizes are uncompressed estimates in bytes.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from deepbench.errors import SpecError

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.dataset.resolved import ResolvedSpec

MEMORY_BUDGET = 2 * 1024**3
MAX_CHUNKS = 100_000
ENV_BUDGET = "DEEPBENCH_MEMORY_BUDGET"
_UNITS = {"": 1, "B": 1, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4,
          "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}


@dataclass(frozen=True)
class Estimate:
    """Sizes in bytes (uncompressed).

    ``sample_memory``: one sample's share of a chunk's arrays in memory (upper bound of the
    catalogue rows); ``chunk_bytes``: ``sample_memory`` × rows of the largest chunk;
    ``sample_disk``: one sample's stored bytes (mean catalogue rows); ``dataset_bytes``: every
    sample plus the split indices; ``finish_bytes``: memory of the finishing step, which gathers
    the labels of all samples (twice: chunk parts and their concatenation) and computes splits.
    """

    n_chunks: int
    sample_memory: int
    chunk_bytes: int
    sample_disk: float
    dataset_bytes: int
    finish_bytes: int


def estimate(resolved: ResolvedSpec) -> Estimate:
    """Estimate the sizes of the run described by a resolved spec (see :class:`Estimate`).

    Per sample, for each declared output of per-sample size ``s`` pixels, computed itemsize ``c``
    (the simulator's dtype) and stored itemsize ``t`` (``output.dtype``): ``s·(2c + t)`` (the
    class's result, the chunk array, the stored cast), ``+ s·c`` for observation-noise draws and
    ``+ s·t`` for a stored clean copy. Labels, perturbed labels and ``class_index`` take 8 bytes
    each, truth ``8 × its size``. Catalogue rows cannot be known before simulating: a simulator
    with catalogue columns and an ``n_objects`` parameter is taken to have, per sample, the upper
    bound of that prior's values (memory) or their mean (disk), capped by the parameter's bounds;
    without ``n_objects``, one row per sample. Temporary buffers inside ``simulate`` and the noise
    stage are not counted, so the budget is compared with this estimate, not a measured peak.
    """
    from deepbench.dataset.plan import Plan

    plan = Plan(resolved)
    n, rows = resolved.n, min(resolved.chunk_size, resolved.n)
    outputs_memory = outputs_disk = 0
    for o in plan.outputs:
        size = math.prod(o.shape)
        c, t = np.dtype(o.dtype).itemsize, np.dtype(resolved.output.dtype.get(o.name, o.dtype)).itemsize
        noisy, clean = o.name in plan.obs_noise, o.name in plan.obs_noise and resolved.output.store_clean
        outputs_memory += size * (2 * c + t + c * noisy + t * clean)
        outputs_disk += size * t * (1 + clean)
    labels = 8 * (len(plan.label_columns) + len(plan.perturbed_columns) + (len(plan.classes) > 1))
    truth = sum(8 * math.prod(o.shape) for o in plan.truth_outputs.values())
    row = 8 + sum(math.prod(o.shape) * np.dtype(o.dtype).itemsize
                  for o in plan.catalog_columns.values()) if plan.catalog_columns else 0
    most, mean = _catalog_rows(resolved)
    sample_memory = outputs_memory + labels + truth + most * row
    sample_disk = outputs_disk + labels + truth + mean * row
    with_splits = bool(resolved.splits)
    return Estimate(
        n_chunks=resolved.n_chunks, sample_memory=int(sample_memory),
        chunk_bytes=int(sample_memory) * rows, sample_disk=sample_disk,
        dataset_bytes=math.ceil(n * (sample_disk + 8 * with_splits)),
        finish_bytes=n * (16 * len(plan.label_columns) + 8 * (len(plan.classes) > 1)
                          + 26 * with_splits))


def _catalog_rows(resolved: ResolvedSpec) -> tuple[float, float]:
    """Catalogue rows per sample: (upper bound, mean), the largest over the classes."""
    from deepbench.core import registry

    most = mean = 0.0
    for c in resolved.classes:
        sim = registry.get(c.simulator)(c.config)
        if not sim.catalog_columns():
            continue
        prior = c.params.get("n_objects")
        if prior is None:
            most, mean = max(most, 1.0), max(mean, 1.0)
            continue
        hi, avg = _prior_max_mean(prior)
        hi = min(hi, sim.param("n_objects").high)
        most, mean = max(most, hi), max(mean, min(avg, hi))
    return most, mean


def _prior_max_mean(prior: Mapping[str, Any]) -> tuple[float, float]:
    """Largest value and mean of a prior given as a resolved dict (Poisson/normal: mean + 10σ)."""
    dist = prior["dist"]
    if dist == "constant":
        return float(prior["value"]), float(prior["value"])
    if dist in ("choice", "grid"):
        values = np.asarray(prior["values"], dtype=np.float64)
        p = prior.get("p")
        return float(values.max()), float(np.average(values, weights=p))
    if dist == "poisson":
        return prior["lam"] + 10 * math.sqrt(prior["lam"]) + 10, float(prior["lam"])
    if dist == "normal":
        return prior["loc"] + 10 * prior["scale"], float(prior["loc"])
    return float(prior["high"]), (prior["low"] + prior["high"]) / 2


def memory_budget() -> int:
    """The memory budget in bytes: ``DEEPBENCH_MEMORY_BUDGET`` if set, else ``MEMORY_BUDGET``."""
    text = os.environ.get(ENV_BUDGET)
    if text is None:
        return MEMORY_BUDGET
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*", text, flags=re.IGNORECASE)
    if not match or float(match.group(1)) <= 0:
        raise SpecError(ENV_BUDGET, text, "a size in bytes such as 2GiB, 512MiB or 1000000")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").upper()])


def size(nbytes: float) -> str:
    """Bytes as a short human-readable size (binary units), e.g. ``'11.4 TiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(nbytes) < 1024 or unit == "TiB":
            return f"{nbytes:.3g} {unit}"
        nbytes /= 1024
    return f"{nbytes:.3g} TiB"  # pragma: no cover


def check_memory(resolved: ResolvedSpec, budget: int | None = None) -> Estimate:
    """Refuse (SpecError) too many chunks, a chunk or a finishing step over the memory budget."""
    n, rows = resolved.n, resolved.chunk_size
    if -(-n // rows) > MAX_CHUNKS:
        raise SpecError("n", n, f"at most {MAX_CHUNKS:,} chunks of chunk_size {rows} "
                        f"({MAX_CHUNKS * rows:,} samples); raise chunk_size (up to 1,000,000)")
    budget = memory_budget() if budget is None else budget
    est = estimate(resolved)
    if est.chunk_bytes > budget:
        fit = budget // max(est.sample_memory, 1)
        raise SpecError("chunk_size", rows, f"a chunk within the memory budget of {size(budget)} "
                        f"({ENV_BUDGET}): {min(rows, n)} samples × {size(est.sample_memory)} = "
                        f"{size(est.chunk_bytes)}; at most {fit} samples per chunk fit")
    if est.finish_bytes > budget:
        raise SpecError("n", n, f"a dataset whose labels and splits fit the memory budget of "
                        f"{size(budget)} ({ENV_BUDGET}) when the run is finished: "
                        f"{size(est.finish_bytes)} for {n:,} samples")
    return est


def check_in_memory(resolved: ResolvedSpec, budget: int | None = None) -> None:
    """Refuse an in-memory batch (``deepbench.simulate``) of all ``n`` samples over the budget."""
    budget = memory_budget() if budget is None else budget
    est = estimate(resolved)
    total = est.sample_memory * resolved.n
    if total > budget:
        raise SpecError("n", resolved.n, f"a batch within the memory budget of {size(budget)} "
                        f"({ENV_BUDGET}): about {size(total)}; use deepbench.generate for "
                        "large datasets")


def check_disk(resolved: ResolvedSpec, directory: Path, *, force: bool = False) -> None:
    """Refuse a dataset larger than the free space in ``directory`` unless ``force``.

    The chunk files and the merged file coexist until the merge is done, so twice the
    (uncompressed) dataset size is asked for; compression usually makes the real need smaller.
    """
    if force:
        return
    est = estimate(resolved)
    free = shutil.disk_usage(directory).free
    need = 2 * est.dataset_bytes
    if need > free:
        raise SpecError("n", resolved.n, f"a dataset that fits on the disk: about {size(need)} "
                        f"needed ({size(est.dataset_bytes)} uncompressed, twice while chunk files "
                        f"and the merged file coexist), {size(free)} free in {directory}; pass "
                        "force=True (--force) to try anyway")

"""``generate``: resolve a spec, run its chunks with an executor, and store the dataset.

This runner is the only place that knows both the store and the executor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.dataset.budget import check_disk
from deepbench.dataset.executors import Executor, InProcess, LocalProcesses
from deepbench.dataset.plan import Plan, plan_for
from deepbench.dataset.resolved import ResolvedSpec
from deepbench.dataset.spec import resolve
from deepbench.dataset.splits import compute_splits
from deepbench.errors import SpecError
from deepbench.stores import format_for, is_url, open_store
from deepbench.stores.base import ChunkRecord, Log

Progress = Callable[[int, int], None]  # (chunks done, chunks total)
_LOG = logging.getLogger("deepbench")


def versions() -> dict[str, str]:
    """Versions that determine the bytes of a dataset."""
    import h5py
    import scipy

    from deepbench._version import __version__

    return {"deepbench": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "h5py": h5py.__version__}


def created() -> str:
    """Creation time (UTC, ISO 8601); ``SOURCE_DATE_EPOCH`` pins it, making whole files byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.isoformat(timespec="seconds")


def run_id(spec: ResolvedSpec) -> str:
    """Content hash of the resolved spec (seed and simulator versions included) and the versions."""
    text = json.dumps({"spec": spec.to_json(), "versions": versions()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def generate(spec: str | Path | Mapping[str, Any] | ResolvedSpec, out: str | Path, *,
             overrides: Iterable[str] = (), workers: int = 1, overwrite: bool = False,
             resume: bool = False, progress: Progress | None = None,
             log: Log | None = None, executor: Executor | None = None,
             force: bool = False) -> Path | str:
    """Generate the dataset described by ``spec`` into ``out``: an HDF5 file (``.h5``) or a Zarr
    store (``.zarr``, a local path or any fsspec URL), or what the spec's ``output.format`` says.

    Validation happens before any file is touched; then the run takes ``OUT.lock`` (a second run on
    the same output fails at once, naming the holder). An existing ``out`` is only replaced with
    ``overwrite`` (and only once the new file is complete); ``resume`` finishes an interrupted run
    of the same resolved spec, verifying every chunk it keeps and recomputing (and logging through
    ``log``) those that fail. The result is byte-identical for any number of ``workers``, and for
    any ``executor`` (default: in-process, or local processes when ``workers`` > 1). A dataset
    larger than the free disk space is refused before any work unless ``force``.
    """
    resolved = spec if isinstance(spec, ResolvedSpec) else resolve(spec, overrides)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SpecError("workers", workers, "an integer >= 1")
    fmt = format_for(out, resolved.output.format)
    if not is_url(out):
        out = Path(out)
        if not out.parent.is_dir():
            raise SpecError("out", str(out), "a path in an existing directory")
        check_disk(resolved, out.parent, force=force)
    plan = plan_for(resolved.dumps())
    plan.check_params()  # values only a simulator can judge, before any work
    if executor is not None and workers != 1:
        raise SpecError("workers", workers, "1 when an executor is given (it decides the workers)")
    if executor is None:
        executor = InProcess() if workers == 1 else LocalProcesses(workers)
    rid = run_id(resolved)
    with executor, open_store(out, fmt) as store:
        records = store.begin(plan, rid, overwrite=overwrite, resume=resume,
                              log=log or _LOG.warning)
        todo = [k for k in range(resolved.n_chunks) if k not in records]
        if progress:
            progress(len(records), resolved.n_chunks)
        for record in executor.run(resolved, todo, store.sink):
            store.record(record)
            records[record.index] = record
            if progress:
                progress(len(records), resolved.n_chunks)
        return store.finalise(provenance(plan, rid, records),
                              compute_splits(resolved, _labels(records)))


def provenance(plan: Plan, rid: str, records: Mapping[int, ChunkRecord]) -> dict[str, Any]:
    """The provenance stored with a dataset (resolved spec, versions, run id, chunk hashes)."""
    spec = plan.spec
    return {
        "format": "deepbench-dataset/1",
        "spec": spec.to_json(),
        "seed": spec.seed,
        "versions": versions(),
        "simulators": {c.simulator: c.simulator_version for c in spec.classes},
        "class_names": plan.class_names,
        "run_id": rid,
        "created": created(),
        "chunks": {"count": spec.n_chunks, "size": spec.chunk_size,
                   "sha256": [records[k].sha256 for k in range(spec.n_chunks)],
                   "completed": sorted(records)},
    }


def _labels(records: Mapping[int, ChunkRecord]) -> dict[str, np.ndarray]:
    """Labels of the whole dataset in sample order (kept by the records only when splits need them)."""
    parts = [records[k].labels for k in sorted(records)]
    if not parts or parts[0] is None:
        return {}
    return {name: np.concatenate([p[name] for p in parts if p is not None]) for name in parts[0]}

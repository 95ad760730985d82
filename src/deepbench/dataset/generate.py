"""``generate``: resolve a spec, run its chunks with an executor, and store the dataset."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.dataset import hdf5
from deepbench.dataset.budget import check_disk
from deepbench.dataset.executors import InProcess, LocalProcesses
from deepbench.dataset.plan import Plan
from deepbench.dataset.spec import resolve
from deepbench.dataset.splits import compute_splits
from deepbench.errors import OutputExistsError, SpecError

Progress = Callable[[int, int], None]  # (chunks done, chunks total)


def versions() -> dict[str, str]:
    """Versions that determine the bytes of a dataset."""
    import h5py
    import scipy

    from deepbench import __version__

    return {"deepbench": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "h5py": h5py.__version__}


def created() -> str:
    """Creation time (UTC, ISO 8601); ``SOURCE_DATE_EPOCH`` pins it, making whole files byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.isoformat(timespec="seconds")


def run_id(resolved: Mapping[str, Any]) -> str:
    """Content hash of the resolved spec (seed and simulator versions included) and the versions."""
    text = json.dumps({"spec": resolved, "versions": versions()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def workdir_for(out: Path) -> Path:
    return out.with_name(out.name + ".partial.d")


def generate(spec: str | Path | Mapping[str, Any], out: str | Path, *,
             overrides: Iterable[str] = (), workers: int = 1, overwrite: bool = False,
             resume: bool = False, progress: Progress | None = None, force: bool = False) -> Path:
    """Generate the dataset described by ``spec`` into the HDF5 file ``out``.

    Validation happens before any file is touched. An existing ``out`` is only replaced with
    ``overwrite`` (and only once the new file is complete); ``resume`` finishes an interrupted run
    of the same resolved spec. The result is byte-identical for any number of ``workers``.
    A dataset larger than the free disk space is refused before any work unless ``force``.
    """
    resolved = resolve(spec, overrides)
    if not isinstance(workers, int) or workers < 1:
        raise SpecError("workers", workers, "an integer >= 1")
    out = Path(out)
    if not out.parent.is_dir():
        raise SpecError("out", str(out), "a path in an existing directory")
    check_disk(resolved, out.parent, force=force)
    work = workdir_for(out)
    rid = run_id(resolved)
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} exists; pass --overwrite to replace it")
    if work.exists():
        if overwrite and not resume:
            shutil.rmtree(work)
        elif resume:
            previous = json.loads((work / "run.json").read_text()).get("run_id") \
                if (work / "run.json").exists() else None
            if previous != rid:
                raise OutputExistsError(
                    f"{work} holds an interrupted run of a different spec (run id {previous}, "
                    f"this one is {rid}); pass --overwrite to start again")
        else:
            raise OutputExistsError(
                f"{work} holds an interrupted run; pass --resume to finish it or --overwrite to "
                "start again")
    work.mkdir(exist_ok=True)
    (work / "run.json").write_text(json.dumps({"run_id": rid, "spec": resolved}, sort_keys=True))

    plan = Plan(resolved)
    done = hdf5.completed_chunks(work, plan.n_chunks)
    todo = [k for k in range(plan.n_chunks) if k not in done]
    executor = InProcess() if workers == 1 else LocalProcesses(workers)
    if progress:
        progress(len(done), plan.n_chunks)
    for k, digest in executor.run(resolved, todo, work):
        done[k] = digest
        if progress:
            progress(len(done), plan.n_chunks)

    splits = compute_splits(resolved, _labels(work, plan))
    provenance = {
        "format": "deepbench-dataset/1",
        "spec": resolved,
        "seed": resolved["seed"],
        "versions": versions(),
        "simulators": {c["simulator"]: c["simulator_version"] for c in resolved["classes"]},
        "class_names": plan.class_names,
        "run_id": rid,
        "created": created(),
        "chunks": {"count": plan.n_chunks, "size": plan.chunk_size,
                   "sha256": [done[k] for k in range(plan.n_chunks)],
                   "completed": sorted(done)},
    }
    partial = out.with_name(out.name + ".partial")
    hdf5.merge(work, plan, partial, provenance, splits)
    os.replace(partial, out)
    shutil.rmtree(work)
    return out


def _labels(work: Path, plan: Plan) -> dict[str, np.ndarray]:
    import h5py

    parts: dict[str, list[np.ndarray]] = {}
    for k in range(plan.n_chunks):
        with h5py.File(hdf5.chunk_path(work, k), "r") as f:
            for name, d in f["labels"].items():
                parts.setdefault(name, []).append(d[()])
    return {k: np.concatenate(v) for k, v in parts.items()}

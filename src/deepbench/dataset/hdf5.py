"""HDF5 store: one layout for every family, readable with plain h5py.

A run writes each chunk to its own small file in ``OUT.partial.d/`` (atomically: written as
``.tmp`` and renamed), so a killed run loses at most the chunks in flight and workers never share a
file handle. When every chunk exists they are copied, in chunk order, into ``OUT.partial``, which
is renamed to ``OUT`` when complete. Layout of the final file::

    outputs/<name>   (N, ...)   declared outputs, attrs unit, description
    clean/<name>     (N, ...)   noise-free outputs (output.store_clean)
    labels/<param>   (N,)       true parameter values (float64); labels/class_index for mixtures
    labels_perturbed/<param>    values after parameter noise
    truth/<name>     (N, ...)   derived latent truth, attrs unit, description
    catalog/<col>    (R, ...)   per-object rows, with sample_index (rows sorted by sample)
    splits/<name>    (M,)       sample indices (int64)
    attrs["deepbench"]          provenance JSON
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from deepbench.dataset.plan import GROUPS, Chunk, Plan

CHUNK_BYTES = 1 << 20  # target size of one HDF5 chunk


def chunk_path(workdir: Path, k: int) -> Path:
    return workdir / f"chunk-{k:06d}.h5"


def write_chunk(workdir: Path, chunk: Chunk) -> str:
    """Write one chunk file atomically; returns its SHA-256."""
    final = chunk_path(workdir, chunk.index)
    tmp = final.with_suffix(f".tmp{os.getpid()}")
    digest = chunk.sha256()
    with h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["chunk"] = chunk.index
        f.attrs["start"] = chunk.start
        f.attrs["stop"] = chunk.stop
        f.attrs["sha256"] = digest
        for group, arrays in chunk.groups.items():
            g = f.create_group(group)
            for name, arr in arrays.items():
                g.create_dataset(name, data=arr)
    os.replace(tmp, final)
    return digest


def completed_chunks(workdir: Path, n_chunks: int) -> dict[int, str]:
    """Chunks already written in ``workdir`` (index → SHA-256); stray temporary files are removed."""
    done = {}
    for tmp in workdir.glob("chunk-*.tmp*"):
        tmp.unlink(missing_ok=True)
    for k in range(n_chunks):
        path = chunk_path(workdir, k)
        if path.exists():
            try:
                with h5py.File(path, "r") as f:
                    done[k] = str(f.attrs["sha256"])
            except (OSError, KeyError):  # unreadable: recompute it
                path.unlink()
    return done


def _chunks_for(shape: tuple[int, ...], itemsize: int, rows: int) -> tuple[int, ...]:
    per_row = max(1, int(np.prod(shape[1:], dtype=np.int64)) * itemsize)
    n = max(1, min(rows, shape[0], CHUNK_BYTES // per_row))
    return (n, *shape[1:])


def merge(workdir: Path, plan: Plan, target: Path, provenance: Mapping[str, Any],
          splits: Mapping[str, np.ndarray]) -> None:
    """Copy every chunk file, in chunk order, into one HDF5 file at ``target``."""
    out = plan.resolved["output"]
    compression = None if out["compression"] == "none" else out["compression"]
    opts: dict[str, Any] = {"compression": compression}
    if compression == "gzip":
        opts["compression_opts"] = out["compression_level"]
    if compression:
        opts["shuffle"] = True

    with h5py.File(chunk_path(workdir, 0), "r") as first:
        layout = {g: {name: (d.shape[1:], d.dtype) for name, d in first[g].items()}
                  for g in first if g != "catalog"}
    rows: dict[str, list[Any]] = {}
    for k in range(plan.n_chunks):
        with h5py.File(chunk_path(workdir, k), "r") as f:
            if "catalog" in f:
                for name, d in f["catalog"].items():
                    rows.setdefault(name, [d.shape[1:], d.dtype, 0])
                    rows[name][2] += d.shape[0]

    with h5py.File(target, "w", track_order=True) as f:
        datasets = {}
        for group in GROUPS:
            if group in layout:
                for name, (shape, dtype) in layout[group].items():
                    full = (plan.n, *shape)
                    datasets[group, name] = f.create_dataset(
                        f"{group}/{name}", shape=full, dtype=dtype,
                        chunks=_chunks_for(full, dtype.itemsize, plan.chunk_size), **opts)
            elif group == "catalog" and rows:
                for name, (shape, dtype, count) in rows.items():
                    full = (count, *shape)
                    datasets[group, name] = f.create_dataset(
                        f"catalog/{name}", shape=full, dtype=dtype,
                        chunks=_chunks_for(full, dtype.itemsize, 4096) if count else None,
                        **(opts if count else {}))
        offset = 0
        for k in range(plan.n_chunks):
            with h5py.File(chunk_path(workdir, k), "r") as src:
                start, stop = int(src.attrs["start"]), int(src.attrs["stop"])
                for group in src:
                    for name, d in src[group].items():
                        if group == "catalog":
                            datasets[group, name][offset:offset + d.shape[0]] = d[()]
                        else:
                            datasets[group, name][start:stop] = d[()]
                if "catalog" in src:
                    offset += src["catalog/sample_index"].shape[0]
        _describe(f, plan)
        for name, idx in splits.items():
            f.create_dataset(f"splits/{name}", data=np.asarray(idx, dtype=np.int64))
        f.attrs["deepbench"] = json.dumps(provenance, sort_keys=True)


def _describe(f: h5py.File, plan: Plan) -> None:
    for o in plan.outputs:
        for group in ("outputs", "clean"):
            if f"{group}/{o.name}" in f:
                f[f"{group}/{o.name}"].attrs.update({"unit": o.unit, "description": o.doc})
    for group in ("labels", "labels_perturbed"):
        if group in f:
            for name, d in f[group].items():
                unit, doc = plan.param_unit(name)
                if name == "class_index":
                    unit, doc = "", "index into attrs['class_names']"
                    d.attrs["class_names"] = json.dumps(plan.class_names)
                d.attrs.update({"unit": unit, "description": doc})
    for name, o in plan.truth_outputs.items():
        if f"truth/{name}" in f:
            f[f"truth/{name}"].attrs.update({"unit": o.unit, "description": o.doc})
    for name, o in plan.catalog_columns.items():
        if f"catalog/{name}" in f:
            f[f"catalog/{name}"].attrs.update({"unit": o.unit, "description": o.doc})
    if "catalog/sample_index" in f:
        f["catalog/sample_index"].attrs.update(
            {"unit": "", "description": "global index of the sample the object belongs to"})

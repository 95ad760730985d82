"""HDF5 store: one layout for every family, readable with plain h5py.

A run writes each chunk to its own small file in ``OUT.partial.d/`` (atomically: written as
``.tmp`` and renamed), so a killed run loses at most the chunks in flight and workers never share a
file handle. Chunk files already hold the final HDF5 chunking and compression (the HDF5 chunk rows
divide the spec's chunk size), so compression happens in the workers and the merge into
``OUT.partial`` copies compressed HDF5 chunks as they are, in chunk order; ``OUT.partial`` is
renamed to ``OUT`` when complete. Layout of the final file::

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


def storage(plan: Plan) -> dict[str, Any]:
    """h5py dataset options (filters) from the spec's ``output`` section."""
    out = plan.resolved["output"]
    compression = None if out["compression"] == "none" else out["compression"]
    opts: dict[str, Any] = {"compression": compression}
    if compression == "gzip":
        opts["compression_opts"] = out["compression_level"]
    if compression:
        opts["shuffle"] = True
    return opts


def rows_per_chunk(shape: tuple[int, ...], itemsize: int, chunk_size: int) -> int:
    """HDF5 chunk rows: the largest divisor of ``chunk_size`` whose chunk stays within CHUNK_BYTES."""
    per_row = max(1, int(np.prod(shape, dtype=np.int64)) * itemsize)
    limit = max(1, CHUNK_BYTES // per_row)
    return max(d for d in range(1, min(limit, chunk_size) + 1) if chunk_size % d == 0)


def write_chunk(workdir: Path, chunk: Chunk, plan: Plan) -> str:
    """Write one chunk file atomically, with the final file's chunking and filters; returns its SHA-256."""
    final = chunk_path(workdir, chunk.index)
    tmp = final.with_suffix(f".tmp{os.getpid()}")
    digest = chunk.sha256()
    opts = storage(plan)
    with h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["chunk"] = chunk.index
        f.attrs["start"] = chunk.start
        f.attrs["stop"] = chunk.stop
        f.attrs["sha256"] = digest
        for group, arrays in chunk.groups.items():
            g = f.create_group(group)
            for name, arr in arrays.items():
                if group == "catalog":
                    g.create_dataset(name, data=arr)
                else:
                    rows = rows_per_chunk(arr.shape[1:], arr.itemsize, plan.chunk_size)
                    g.create_dataset(name, data=arr, chunks=(rows, *arr.shape[1:]),
                                     maxshape=(None, *arr.shape[1:]), **opts)
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


def merge(workdir: Path, plan: Plan, target: Path, provenance: Mapping[str, Any],
          splits: Mapping[str, np.ndarray]) -> None:
    """Assemble every chunk file, in chunk order, into one HDF5 file at ``target``.

    Per-sample datasets are copied as raw compressed HDF5 chunks (no decompression); catalogue
    rows are concatenated. Memory stays bounded by one chunk file's catalogue.
    """
    opts = storage(plan)
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
                    step = rows_per_chunk(shape, dtype.itemsize, plan.chunk_size)
                    datasets[group, name] = f.create_dataset(
                        f"{group}/{name}", shape=(plan.n, *shape), dtype=dtype,
                        chunks=(step, *shape), maxshape=(None, *shape), **opts)
            elif group == "catalog" and rows:
                for name, (shape, dtype, count) in rows.items():
                    per_row = max(1, int(np.prod(shape, dtype=np.int64)) * dtype.itemsize)
                    chunks = (max(1, min(count, CHUNK_BYTES // per_row)), *shape) if count else None
                    datasets[group, name] = f.create_dataset(
                        f"catalog/{name}", shape=(count, *shape), dtype=dtype, chunks=chunks,
                        **(opts if count else {}))
        offset = 0
        for k in range(plan.n_chunks):
            with h5py.File(chunk_path(workdir, k), "r") as src:
                start = int(src.attrs["start"])
                for group in src:
                    for name, d in src[group].items():
                        dst = datasets[group, name]
                        if group == "catalog":
                            dst[offset:offset + d.shape[0]] = d[()]
                        else:
                            _copy_chunks(d, dst, start)
                if "catalog" in src:
                    offset += src["catalog/sample_index"].shape[0]
        _describe(f, plan)
        for name, idx in splits.items():
            f.create_dataset(f"splits/{name}", data=np.asarray(idx, dtype=np.int64))
        f.attrs["deepbench"] = json.dumps(provenance, sort_keys=True)


def _copy_chunks(src: h5py.Dataset, dst: h5py.Dataset, start: int) -> None:
    """Copy every stored chunk of ``src`` into ``dst`` at row offset ``start``, still compressed."""
    step = src.chunks[0]
    zeros = (0,) * (src.ndim - 1)
    for row in range(0, src.shape[0], step):
        mask, data = src.id.read_direct_chunk((row, *zeros))
        dst.id.write_direct_chunk((start + row, *zeros), data, mask)


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

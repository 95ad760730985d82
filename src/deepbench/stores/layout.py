"""The one store layout every family shares, spelled once.

``outputs/<name>`` (N, …) declared outputs · ``clean/<name>`` noise-free outputs ·
``labels/<param>`` true parameters (and ``labels/class_index`` for mixtures) ·
``labels_perturbed/<param>`` after parameter noise · ``truth/<name>`` derived latent truth ·
``catalog/<column>`` per-object rows with ``sample_index`` · ``splits/<name>`` sample indices ·
root attribute ``deepbench``: provenance JSON. Every array carries ``unit`` and ``description``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.dataset.plan import Plan

OUTPUTS = "outputs"
CLEAN = "clean"
LABELS = "labels"
LABELS_PERTURBED = "labels_perturbed"
TRUTH = "truth"
CATALOG = "catalog"
SPLITS = "splits"
PER_SAMPLE = (OUTPUTS, CLEAN, LABELS, LABELS_PERTURBED, TRUTH)  # arrays of N rows
GROUPS = (*PER_SAMPLE, CATALOG)  # in the order they are written
PROVENANCE = "deepbench"  # root attribute holding the provenance JSON
SAMPLE_INDEX = "sample_index"  # catalogue column: the global sample an object belongs to
CLASS_INDEX = "class_index"  # label column of mixtures: index into the class names
CLASS_NAMES = "class_names"  # attribute of labels/class_index (JSON list)
CHUNK_BYTES = 1 << 20  # target size of one stored chunk (HDF5 chunk or Zarr chunk)
CATALOG_CHUNK_ROWS = 4096  # at most, per stored chunk of a catalogue column (its length is open)


def rows_per_chunk(shape: tuple[int, ...], itemsize: int, chunk_size: int) -> int:
    """Rows of one stored chunk of a per-sample array: the largest divisor of ``chunk_size`` whose
    chunk stays within CHUNK_BYTES (so two spec chunks never share a stored chunk)."""
    per_row = max(1, int(np.prod(shape, dtype=np.int64)) * itemsize)
    limit = max(1, CHUNK_BYTES // per_row)
    return max(d for d in range(1, min(limit, chunk_size) + 1) if chunk_size % d == 0)


def catalog_rows_per_chunk(shape: tuple[int, ...], itemsize: int) -> int:
    """Rows of one stored chunk of a catalogue column."""
    per_row = max(1, int(np.prod(shape, dtype=np.int64)) * itemsize)
    return max(1, min(CATALOG_CHUNK_ROWS, CHUNK_BYTES // per_row))


def attributes(plan: Plan, group: str, name: str) -> dict[str, str]:
    """``unit`` and ``description`` of the array ``group/name`` of a dataset made by ``plan``."""
    if group in (OUTPUTS, CLEAN):
        o = next(o for o in plan.outputs if o.name == name)
        return {"unit": o.unit, "description": o.doc, **dict(o.attrs)}
    if group in (LABELS, LABELS_PERTURBED):
        if name == CLASS_INDEX:
            return {"unit": "", "description": f"index into attrs['{CLASS_NAMES}']"}
        unit, doc = plan.param_unit(name)
        return {"unit": unit, "description": doc}
    if group == TRUTH:
        o = plan.truth_outputs[name]
        return {"unit": o.unit, "description": o.doc}
    if name == SAMPLE_INDEX:
        return {"unit": "", "description": "global index of the sample the object belongs to"}
    o = plan.catalog_columns[name]
    return {"unit": o.unit, "description": o.doc}


def per_sample(plan: Plan) -> dict[str, dict[str, tuple[tuple[int, ...], str]]]:
    """Per-sample arrays every chunk of ``plan`` holds: group → name → (shape of a sample, dtype).

    Derived from the declarations (a plan puts every declared column in every chunk): outputs in
    their declared dtype or the spec's ``output.dtype``, labels and truth float64, class_index int64.
    Groups without arrays are left out, as chunks leave them out.
    """
    spec = plan.spec
    out = {o.name: (tuple(o.shape), str(spec.output.dtype.get(o.name, o.dtype)))
           for o in plan.outputs}
    found: dict[str, dict[str, tuple[tuple[int, ...], str]]] = {
        OUTPUTS: out,
        CLEAN: {k: v for k, v in out.items() if k in spec.obs_noise and spec.output.store_clean},
        LABELS: {name: ((), "float64") for name in plan.label_columns},
        LABELS_PERTURBED: {name: ((), "float64") for name in plan.perturbed_columns},
        TRUTH: {name: (tuple(o.shape), "float64") for name, o in plan.truth_outputs.items()},
    }
    if len(plan.classes) > 1:
        found[LABELS][CLASS_INDEX] = ((), "int64")
    return {g: v for g, v in found.items() if v}


def dimension_names(group: str, name: str, ndim: int) -> tuple[str, ...]:
    """Names of the axes of ``group/name``: ``sample`` (per-sample groups), ``object`` (catalogue)
    or ``<split>_index`` (splits) first, then ``<name>_dim<i>``, shared by arrays of one name."""
    first = {CATALOG: "object", SPLITS: f"{name}_index"}.get(group, "sample")
    return (first, *(f"{name}_dim{i}" for i in range(1, ndim)))

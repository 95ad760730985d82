"""The one store layout every family shares, spelled once.

``outputs/<name>`` (N, …) declared outputs · ``clean/<name>`` noise-free outputs ·
``labels/<param>`` true parameters (and ``labels/class_index`` for mixtures) ·
``labels_perturbed/<param>`` after parameter noise · ``truth/<name>`` derived latent truth ·
``catalog/<column>`` per-object rows with ``sample_index`` · ``splits/<name>`` sample indices ·
root attribute ``deepbench``: provenance JSON. Every array carries ``unit`` and ``description``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def attributes(plan: Plan, group: str, name: str) -> dict[str, str]:
    """``unit`` and ``description`` of the array ``group/name`` of a dataset made by ``plan``."""
    if group in (OUTPUTS, CLEAN):
        o = next(o for o in plan.outputs if o.name == name)
        return {"unit": o.unit, "description": o.doc}
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

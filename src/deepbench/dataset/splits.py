"""Deterministic splits: out-of-distribution regions by structured conditions, then fractions.

OOD splits take every sample whose true labels match all conditions of the split (in the order the
splits are listed; a sample goes to the first that matches). The remaining samples are permuted by a
stream that depends only on the seed and cut by the fractions, in the order listed. Conditions are
data (``{length: {gt: 2.0}}``), never code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from deepbench.core.seeding import split_rng
from deepbench.dataset.resolved import ResolvedSpec
from deepbench.stores.layout import CLASS_INDEX


def condition_mask(labels: Mapping[str, np.ndarray], condition: Mapping[str, Mapping[str, Any]],
                   class_names: list[str]) -> np.ndarray:
    """Samples whose labels satisfy every comparison of ``condition``."""
    n = len(next(iter(labels.values())))
    mask = np.ones(n, dtype=bool)
    for column, comp in condition.items():
        if column == "class":
            values = labels.get(CLASS_INDEX, np.zeros(n))
            lookup = {name: i for i, name in enumerate(class_names)}
            comp = {k: ([lookup[x] for x in v] if k == "in" else lookup[v]) for k, v in comp.items()}
        else:
            values = labels[column]
        for op, ref in comp.items():
            if op == "gt":
                mask &= values > ref
            elif op == "ge":
                mask &= values >= ref
            elif op == "lt":
                mask &= values < ref
            elif op == "le":
                mask &= values <= ref
            elif op == "eq":
                mask &= values == ref
            elif op == "ne":
                mask &= values != ref
            elif op == "in":
                mask &= np.isin(values, ref)
    return mask


def compute_splits(resolved: ResolvedSpec, labels: Mapping[str, np.ndarray]
                   ) -> dict[str, np.ndarray]:
    """Split name → sorted int64 sample indices."""
    spec = resolved.splits
    if not spec:
        return {}
    n = resolved.n
    names = resolved.class_names
    free = np.ones(n, dtype=bool)
    out: dict[str, np.ndarray] = {}
    for name, condition in spec.get("ood", {}).items():
        mask = condition_mask(labels, condition, names) & free
        out[name] = np.flatnonzero(mask)
        free &= ~mask
    pool = np.flatnonzero(free)
    perm = pool[split_rng(resolved.seed).permutation(pool.size)]
    start = 0
    fractions = spec.get("fractions", {})
    for i, (name, frac) in enumerate(fractions.items()):
        last = i == len(fractions) - 1 and abs(sum(fractions.values()) - 1) < 1e-9
        stop = pool.size if last else start + int(round(frac * pool.size))
        out[name] = np.sort(perm[start:stop])
        start = stop
    return out

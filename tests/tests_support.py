"""Helpers shared by tests."""

from __future__ import annotations

import json

import h5py
import numpy as np
from scipy import stats


def dataset_bytes(path) -> dict:
    """Every dataset's dtype, shape, bytes and attrs, plus provenance without the creation time."""
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                found[name] = (obj.dtype.str, obj.shape, obj[()].tobytes(),
                               sorted((k, str(v)) for k, v in obj.attrs.items()))
        f.visititems(visit)
        meta = json.loads(f.attrs["deepbench"])
    meta.pop("created")
    found["@deepbench"] = json.dumps(meta, sort_keys=True)
    return found


def stored_arrays(path) -> dict:
    """What :func:`dataset_bytes` compares, read through ``deepbench.load`` (either store): every
    array's dtype, shape, bytes and attributes, the splits, and the provenance without the
    creation time."""
    import deepbench
    from deepbench.stores import layout

    found = {}
    with deepbench.load(path) as ds:
        for group in (*layout.PER_SAMPLE, layout.CATALOG):
            for name, d in getattr(ds, group).items():
                a = d[()]
                found[f"{group}/{name}"] = (a.dtype.str, a.shape, a.tobytes(),
                                            sorted((k, str(v)) for k, v in d.attrs.items()))
        for name, idx in ds.splits.items():
            found[f"splits/{name}"] = (idx.dtype.str, idx.tobytes())
        meta = dict(ds.metadata)
    meta.pop("created")
    found["@deepbench"] = json.dumps(meta, sort_keys=True)
    return found


def poisson_chi2_pvalue(draws: np.ndarray, mean: float, tail: float = 1e-5, bins: int = 60) -> float:
    """p-value of a χ² test of integer ``draws`` against scipy's exact Poisson(``mean``) pmf
    (bins between the ``tail`` quantiles, merged into expected counts > 5)."""
    lo, hi = stats.poisson.ppf([tail, 1 - tail], mean)
    edges = np.unique(np.r_[-0.5, np.linspace(lo, hi, bins).round() + 0.5, np.inf])
    observed = np.histogram(draws, edges)[0]
    expected = np.diff(np.r_[0.0, stats.poisson.cdf(edges[1:-1], mean), 1.0]) * draws.size
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    return float(stats.chi2.sf(chi2, keep.sum() - 1))

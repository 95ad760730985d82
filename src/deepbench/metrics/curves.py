"""Linearity and resolution curves versus a conditioning variable.

In bins of the conditioning variable c (e.g. the incident energy): linearity = ⟨m/t⟩, the mean
response of a measured quantity m to its true value t, and resolution = σ(m)/⟨m⟩ (standard
deviation with the n − 1 denominator). Empty bins give NaN; resolution needs two samples.
(``deepbench.calo.observables.linearity_and_resolution`` is the same for showers.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from deepbench.errors import SpecError


def linearity_resolution(measured: ArrayLike, true: ArrayLike, condition: ArrayLike,
                         bins: ArrayLike) -> dict[str, np.ndarray]:
    """Keys ``centre`` (bin midpoints), ``count``, ``linearity``, ``resolution``, each (n_bins,)."""
    m = np.asarray(measured, dtype=np.float64).reshape(-1)
    t = np.asarray(true, dtype=np.float64).reshape(-1)
    c = np.asarray(condition, dtype=np.float64).reshape(-1)
    edges = np.asarray(bins, dtype=np.float64)
    if not (m.size == t.size == c.size):
        raise SpecError("measured/true/condition", (m.size, t.size, c.size), "equal lengths")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise SpecError("bins", edges.tolist()[:5], "increasing edges, at least two")
    nb = edges.size - 1
    idx = np.searchsorted(edges, c, side="right") - 1
    idx[c == edges[-1]] = nb - 1
    ok = (idx >= 0) & (idx < nb)
    i = idx[ok]
    count = np.bincount(i, minlength=nb).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        lin = np.bincount(i, m[ok] / t[ok], nb) / count
        mean = np.bincount(i, m[ok], nb) / count
        var = (np.bincount(i, m[ok] ** 2, nb) - count * mean**2) / (count - 1)
        res = np.sqrt(np.clip(var, 0.0, None)) / mean
    res[count < 2] = np.nan
    return {"centre": 0.5 * (edges[1:] + edges[:-1]), "count": count, "linearity": lin,
            "resolution": res}

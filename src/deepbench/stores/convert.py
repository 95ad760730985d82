"""``convert``: copy a dataset into another store (HDF5 ⇄ Zarr), bit-exact.

The copy goes through the same store protocol as a run: each chunk's rows are read from the
source, checked against the content hash its provenance recorded, and written by the target
store's sink; the target's own assembly (HDF5 merge, Zarr catalogue append) and the source's
provenance and splits complete it. So a converted dataset holds the same arrays, attributes and
provenance, and a round trip HDF5 → Zarr → HDF5 gives the same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from deepbench.errors import SpecError, StoreError
from deepbench.stores import format_for, is_url, layout, open_store
from deepbench.stores.base import Log, digest

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.dataset.plan import Chunk, Plan
    from deepbench.dataset.view import Dataset

# the order in which a plan fills a chunk's groups (the order the HDF5 store keeps)
_CHUNK_ORDER = (layout.LABELS, layout.LABELS_PERTURBED, layout.TRUTH, layout.OUTPUTS, layout.CLEAN)


def convert(src: str | Path, dst: str | Path, *, overwrite: bool = False,
            log: Log | None = None) -> Path | str:
    """Copy the dataset ``src`` into ``dst``, whose suffix (``.h5``, ``.zarr``) picks the store.

    Raises :class:`StoreError` if a chunk of ``src`` no longer matches the hash in its provenance
    (the target is then left as ``DST.partial`` state and never named ``dst``).
    """
    from deepbench.dataset.plan import plan_for
    from deepbench.dataset.resolved import ResolvedSpec
    from deepbench.dataset.view import load

    fmt = format_for(dst)
    if not is_url(dst) and not Path(dst).parent.is_dir():
        raise SpecError("out", str(dst), "a path in an existing directory")
    with load(src) as ds:
        meta = ds.metadata
        spec = ResolvedSpec.from_json(meta["spec"])
        plan = plan_for(spec.dumps())
        recorded = meta["chunks"].get("sha256") or [None] * spec.n_chunks
        with open_store(dst, fmt) as store:
            store.begin(plan, str(meta["run_id"]), overwrite=overwrite, resume=False,
                        log=log or (lambda message: None))
            index = ds.catalog[layout.SAMPLE_INDEX][()] if ds.catalog else None
            for k in range(spec.n_chunks):
                chunk = _chunk(ds, plan, k, index, recorded[k])
                store.record(store.sink.write(chunk, plan))
            return store.finalise(meta, ds.splits)


def _chunk(ds: Dataset, plan: Plan, k: int, index: np.ndarray | None, recorded: Any) -> Chunk:
    """Chunk ``k`` as the plan made it, read back from ``ds`` and checked against ``recorded``."""
    from deepbench.dataset.plan import Chunk

    start, stop = plan.spec.chunk_bounds(k)
    declared = layout.per_sample(plan)
    groups: dict[str, dict[str, np.ndarray]] = {}
    for group in _CHUNK_ORDER:
        stored = getattr(ds, group)
        if group in declared:
            groups[group] = {name: np.asarray(stored[name][start:stop]) for name in declared[group]}
    candidates = [groups]
    if index is not None:
        lo, hi = (int(i) for i in np.searchsorted(index, [start, stop]))
        cat = ds.catalog
        names = [n for n in (layout.SAMPLE_INDEX, *plan.catalog_columns) if n in cat]
        rows = {name: np.asarray(cat[name][lo:hi]) for name in names}
        # a chunk with no objects may or may not have had an (empty) catalogue: the hash decides
        candidates = [{**groups, layout.CATALOG: rows}] + ([groups] if hi == lo else [])
    for candidate in candidates:
        if recorded is None or digest(candidate) == recorded:
            return Chunk(k, start, stop, candidate)
    raise StoreError(f"{ds.path}: chunk {k} no longer matches the hash in its provenance; the "
                     "dataset is damaged, regenerate it")

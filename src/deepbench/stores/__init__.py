"""Stores: where a dataset's chunks are written and how it is read back (HDF5 and Zarr).

A store is one class (see :class:`deepbench.stores.base.Store`) named in :data:`STORES` with the
output suffixes it owns; it writes (``begin``/``sink``/``record``/``finalise``) and reads
(``open_arrays``). Everything else picks a store here, by suffix or by the spec's
``output.format`` — nothing outside this module branches on a store's type.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deepbench.errors import SpecError, StoreError

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.stores.base import Store

# format → (class as "module:attr", suffixes); the first suffix is the one suggested
STORES: dict[str, tuple[str, tuple[str, ...]]] = {
    "hdf5": ("deepbench.stores.hdf5:HDF5Store", (".h5", ".hdf5")),
    "zarr": ("deepbench.stores.zarr:ZarrStore", (".zarr",)),
}
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(location: str | Path) -> bool:
    """Whether ``location`` is an fsspec URL (``s3://…``, ``memory://…``) rather than a path."""
    return isinstance(location, str) and bool(_URL.match(location))


def store_class(fmt: str) -> Any:
    module, attr = STORES[fmt][0].split(":")
    return getattr(importlib.import_module(module), attr)


def _suffixes() -> str:
    return " or ".join(f"{s[0]} ({fmt})" for fmt, (_, s) in STORES.items())


def format_for(out: str | Path, fmt: str | None = None) -> str:
    """The store format of the output ``out``: its suffix, or ``fmt`` (the spec's
    ``output.format``) when the suffix is not a store's; they must agree when both are known."""
    name = str(out).rstrip("/").lower()
    by_suffix = next((f for f, (_, sfx) in STORES.items() if name.endswith(sfx)), None)
    if fmt is not None and fmt not in STORES:
        raise SpecError("output.format", fmt, f"one of {', '.join(STORES)}")
    if by_suffix and fmt and by_suffix != fmt:
        raise SpecError("out", str(out), f"a path ending in {STORES[fmt][1][0]} for output.format "
                        f"{fmt} (or drop output.format)")
    if by_suffix is None and fmt is None:
        raise SpecError("out", str(out), f"a path ending in {_suffixes()}, or output.format in "
                        "the spec")
    return by_suffix or fmt  # type: ignore[return-value]


def open_store(out: str | Path, fmt: str | None = None) -> Store:
    """A writable store for ``out`` (see :func:`format_for`)."""
    return store_class(format_for(out, fmt))(out)  # type: ignore[no-any-return]


def format_of(location: str | Path) -> str:
    """The format of an existing dataset: a local file is HDF5, a directory or URL is Zarr (each
    store class says what it recognises)."""
    for fmt in STORES:
        if store_class(fmt).recognises(location):
            return fmt
    if is_url(location) or Path(location).exists():
        raise StoreError(f"{location}: not a DeepBench dataset (expected an HDF5 file or a Zarr "
                         "store)")
    raise StoreError(f"{location}: no such dataset file")

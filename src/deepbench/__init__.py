"""DeepBench: benchmark data for machine learning from mechanistic physics models.

Light at import: heavy or optional dependencies (h5py, scipy, matplotlib, torch, dask, zarr) are
imported only by the functions that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deepbench._version import __version__

__all__ = ["simulate", "generate", "load", "convert", "list_simulators", "describe",
           "log_likelihood", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.api import describe, list_simulators, simulate
    from deepbench.dataset.generate import generate
    from deepbench.dataset.view import load
    from deepbench.inference.likelihood import log_likelihood
    from deepbench.stores.convert import convert

_LAZY = {
    "simulate": "deepbench.api",
    "list_simulators": "deepbench.api",
    "describe": "deepbench.api",
    "generate": "deepbench.dataset.generate",
    "load": "deepbench.dataset.view",
    "convert": "deepbench.stores.convert",
    "log_likelihood": "deepbench.inference.likelihood",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'deepbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

"""The resolved spec: a typed, frozen record of everything a run needs, every default filled in.

``resolve()`` (in :mod:`deepbench.dataset.spec`) builds it after full validation. Its JSON form
(:meth:`ResolvedSpec.to_json`) is what is stored as provenance and hashed into the run id, and all a
worker needs: :meth:`ResolvedSpec.from_json` rebuilds the same object. Nested mappings (priors,
noise, splits) stay in their JSON form; treat them as read-only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SPEC_FORMAT = 1


@dataclass(frozen=True)
class ClassEntry:
    """One class of the mixture (a single-simulator spec has one)."""

    name: str
    simulator: str
    simulator_version: int
    weight: float
    config: Mapping[str, Any]
    params: Mapping[str, Mapping[str, Any]]  # parameter → prior (JSON form)
    param_noise: Mapping[str, Mapping[str, Any]]  # parameter → noise (JSON form)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "simulator": self.simulator,
                "simulator_version": self.simulator_version, "weight": self.weight,
                "config": _copy(self.config), "params": _copy(self.params),
                "param_noise": _copy(self.param_noise)}


@dataclass(frozen=True)
class OutputOptions:
    """How outputs are stored: compression, stored dtypes per output, clean copies, and the store
    format (``None``: chosen by the output's suffix)."""

    compression: str  # "gzip", "lzf" or "none"
    compression_level: int
    dtype: Mapping[str, str]
    store_clean: bool
    format: str | None = None  # "hdf5", "zarr" or None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"compression": self.compression,
                                "compression_level": self.compression_level,
                                "dtype": dict(self.dtype), "store_clean": self.store_clean}
        if self.format is not None:  # only when given: older run ids stay unchanged
            data["format"] = self.format
        return data


@dataclass(frozen=True)
class ResolvedSpec:
    """A validated dataset spec with every default filled (see the module docstring)."""

    format: int
    name: str
    seed: int
    n: int
    repeat: int
    chunk_size: int
    on_invalid: str
    classes: tuple[ClassEntry, ...]
    obs_noise: Mapping[str, Mapping[str, Any]]
    splits: Mapping[str, Any] | None
    output: OutputOptions

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResolvedSpec:
        """Rebuild from the JSON form (as stored in provenance)."""
        return cls(
            format=data["format"], name=data["name"], seed=data["seed"], n=data["n"],
            repeat=data["repeat"], chunk_size=data["chunk_size"], on_invalid=data["on_invalid"],
            classes=tuple(ClassEntry(**_copy(c)) for c in data["classes"]),
            obs_noise=_copy(data["obs_noise"]), splits=_ordered_splits(data["splits"]),
            output=OutputOptions(**_copy(data["output"])))

    def to_json(self) -> dict[str, Any]:
        """The JSON-able dict stored as provenance and hashed into the run id."""
        return {"format": self.format, "name": self.name, "seed": self.seed, "n": self.n,
                "repeat": self.repeat, "chunk_size": self.chunk_size,
                "on_invalid": self.on_invalid, "classes": [c.to_json() for c in self.classes],
                "obs_noise": _copy(self.obs_noise), "splits": _splits_with_order(self.splits),
                "output": self.output.to_json()}

    def dumps(self) -> str:
        """Canonical JSON text (sorted keys): the form sent to workers."""
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> ResolvedSpec:
        return cls.from_json(json.loads(text))

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    @property
    def n_chunks(self) -> int:
        return -(-self.n // self.chunk_size)

    def chunk_bounds(self, k: int) -> tuple[int, int]:
        """Global sample range [start, stop) of chunk ``k``."""
        return k * self.chunk_size, min(self.n, (k + 1) * self.chunk_size)


def _splits_with_order(splits: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The splits with ``order``: the names of the OOD and fraction splits as listed. Splits are
    assigned in that order, and the canonical JSON sorts keys, so the order must be data."""
    if splits is None:
        return None
    out = _copy(splits)
    out["order"] = {k: list(splits[k]) for k in ("ood", "fractions") if k in splits}
    return out


def _ordered_splits(splits: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Inverse of :func:`_splits_with_order`: each group back in its listed order (JSON written
    before ``order`` existed keeps the order it has)."""
    if splits is None:
        return None
    out = _copy(splits)
    order = out.pop("order", {})
    for key, names in order.items():
        out[key] = {name: out[key][name] for name in names}
    return out


def _copy(value: Any) -> Any:
    """Deep copy of a JSON-like value (dicts, lists, scalars); tuples become lists."""
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value

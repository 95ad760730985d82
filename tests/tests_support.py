"""Helpers shared by tests."""

from __future__ import annotations

import json

import h5py


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

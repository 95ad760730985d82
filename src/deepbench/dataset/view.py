"""``load``: a lazy, read-only view of a stored dataset (nothing is read until sliced)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from deepbench.errors import StoreError


class Dataset:
    """A stored dataset. Groups are mappings of name → ``h5py.Dataset`` (lazy; slice to read).

    Use as a context manager or call :meth:`close`. ``ds[i]`` returns sample ``i`` as a dict of
    arrays from ``outputs`` and ``labels``.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise StoreError(f"{self.path}: no such dataset file")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise StoreError(f"{self.path}: not a readable HDF5 file ({exc})") from None
        if "deepbench" not in self._file.attrs:
            self._file.close()
            raise StoreError(f"{self.path}: not a DeepBench dataset (no 'deepbench' attribute)")
        self.metadata: dict[str, Any] = json.loads(self._file.attrs["deepbench"])

    def _group(self, name: str) -> dict[str, h5py.Dataset]:
        return dict(self._file[name].items()) if name in self._file else {}

    @property
    def outputs(self) -> dict[str, h5py.Dataset]:
        return self._group("outputs")

    @property
    def clean(self) -> dict[str, h5py.Dataset]:
        return self._group("clean")

    @property
    def labels(self) -> dict[str, h5py.Dataset]:
        return self._group("labels")

    @property
    def labels_perturbed(self) -> dict[str, h5py.Dataset]:
        return self._group("labels_perturbed")

    @property
    def truth(self) -> dict[str, h5py.Dataset]:
        return self._group("truth")

    @property
    def catalog(self) -> dict[str, h5py.Dataset]:
        return self._group("catalog")

    @property
    def splits(self) -> dict[str, np.ndarray]:
        return {k: v[()] for k, v in self._group("splits").items()}

    @property
    def class_names(self) -> list[str]:
        return list(self.metadata["class_names"])

    @property
    def spec(self) -> dict[str, Any]:
        """The resolved spec the dataset was made from."""
        return self.metadata["spec"]

    def __len__(self) -> int:
        return int(self.metadata["spec"]["n"])

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"sample {i} out of range for {len(self)} samples")
        i %= len(self)
        sample = {k: v[i] for k, v in self.outputs.items()}
        sample.update({f"label.{k}": v[i] for k, v in self.labels.items()})
        return sample

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self[i]

    def objects(self, i: int) -> dict[str, np.ndarray]:
        """Catalogue rows of sample ``i`` (rows are sorted by sample_index)."""
        cat = self.catalog
        if not cat:
            return {}
        idx = cat["sample_index"]
        lo, hi = np.searchsorted(idx[()], [i, i + 1])
        return {k: v[lo:hi] for k, v in cat.items()}

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        outs = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.outputs.items())
        return f"<deepbench.Dataset {self.path.name}: {len(self)} samples; {outs}>"


def load(path: str | Path) -> Dataset:
    """Open a stored dataset lazily (see :class:`Dataset`)."""
    return Dataset(path)

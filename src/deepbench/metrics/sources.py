"""Where the samples of an evaluation come from, read in chunks: a DeepBench store, a plain
HDF5/NPZ file of arrays (a model's samples, or a CaloChallenge file), or fresh truth drawn from
a reference dataset's spec with a new seed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.errors import DeepBenchError, SpecError

CHUNK = 4096  # rows read at a time


@dataclass
class Source:
    """Rows of named arrays: ``arrays[name]`` are sliceable (N, …) arrays (lazy for files);
    ``labels[name]`` (N,) label columns when the source has them."""

    description: str
    arrays: dict[str, Any]
    labels: dict[str, Any] = field(default_factory=dict)
    closer: Any = None

    @property
    def n(self) -> int:
        return int(next(iter(self.arrays.values())).shape[0])

    def chunks(self, names: list[str], labels: list[str], size: int = CHUNK
               ) -> Iterator[dict[str, np.ndarray]]:
        for a in range(0, self.n, size):
            b = min(a + size, self.n)
            out = {k: np.asarray(self.arrays[k][a:b]) for k in names}
            out.update({f"label.{k}": np.asarray(self.labels[k][a:b], dtype=np.float64)
                        .reshape(-1) for k in labels})
            yield out

    def close(self) -> None:
        if self.closer is not None:
            self.closer()


def open_store(path: str | Path) -> tuple[Source, dict[str, Any]]:
    """A DeepBench dataset as a source, and its provenance metadata."""
    from deepbench.dataset.view import load

    ds = load(path)
    return Source(f"{path} ({ds.format})", dict(ds.outputs), dict(ds.labels), ds.close), \
        ds.metadata


def _is_store(path: Path) -> bool:
    """A DeepBench dataset: a Zarr directory, or an HDF5 file with the provenance attribute."""
    if path.is_dir():
        return True
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return "deepbench" in f.attrs
    except OSError:
        return False


def open_generated(path: str | Path, wanted: list[str]) -> Source:
    """The generated sample: a DeepBench store, an HDF5 file (datasets named like the reference's
    outputs, at the root or under ``outputs/``; a CaloChallenge file's ``showers`` and
    ``incident_energies``), or an ``.npz`` with the same names (a single array is taken for a
    single wanted output)."""
    p = Path(path)
    if not p.exists():
        raise SpecError("--generated", str(path), "an existing HDF5, NPZ or DeepBench file")
    if _is_store(p):
        return open_store(p)[0]
    if p.suffix == ".npz":
        data = dict(np.load(p))
        closer = None
    else:
        import h5py

        try:
            f = h5py.File(p, "r")
        except OSError as exc:
            raise SpecError("--generated", str(path), "an HDF5 (.h5) or NumPy (.npz) file") from exc
        data = {k: v for k, v in f.items() if hasattr(v, "shape")}
        if "outputs" in f:
            data.update({k: v for k, v in f["outputs"].items()})
        if "labels" in f:
            data.update({f"label.{k}": v for k, v in f["labels"].items()})
        closer = f.close
    arrays: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    if "incident_energies" in data:             # CaloChallenge: MeV, (N, 1)
        labels["energy"] = _GeV(data["incident_energies"])
    for k, v in data.items():
        if k.startswith("label."):
            labels[k[6:]] = v
    for name in wanted:
        if name in data:
            arrays[name] = data[name]
    plain = [k for k in data if not k.startswith("label.") and k != "incident_energies"]
    if not arrays and len(wanted) == 1 and len(plain) == 1:
        arrays[wanted[0]] = data[plain[0]]
    missing = [w for w in wanted if w not in arrays]
    if missing:
        if closer:
            closer()
        raise SpecError("--generated", f"{path} with arrays {sorted(data)}",
                        f"arrays named {missing} (the reference's outputs)")
    return Source(str(path), arrays, labels, closer)


class _GeV:
    """CaloChallenge incident energies (N, 1) MeV read lazily as GeV (N,)."""

    def __init__(self, d: Any):
        self.d = d

    def __len__(self) -> int:
        return len(self.d)

    def __getitem__(self, key: Any) -> np.ndarray:
        return np.asarray(self.d[key], dtype=np.float64).reshape(-1) / 1e3


def truth_seed(run_id: str) -> int:
    """The default seed of the fresh truth sample: a hash of the reference's run id, so the
    report is reproducible and the seed differs from the reference's."""
    return int.from_bytes(hashlib.sha256(f"{run_id}/evaluate".encode()).digest()[:7], "big")


class TruthSource:
    """Fresh samples of the reference's spec: same classes, priors and noise; new seed, n rows;
    computed chunk by chunk and never stored."""

    def __init__(self, spec: dict[str, Any], n: int, seed: int):
        from deepbench.dataset.plan import Plan
        from deepbench.dataset.resolved import ResolvedSpec

        data = dict(spec)
        data.update(n=int(n), seed=int(seed), splits=None)
        self.resolved = ResolvedSpec.from_json(data)
        self.plan = Plan(self.resolved)
        self.plan.check_params()
        self.n = int(n)
        self.description = f"fresh truth (seed {seed})"

    def chunks(self, names: list[str], labels: list[str], size: int = CHUNK
               ) -> Iterator[dict[str, np.ndarray]]:
        for k in range(self.resolved.n_chunks):
            groups = self.plan.simulate_chunk(k).groups
            out = {name: groups["outputs"][name] for name in names}
            out.update({f"label.{k2}": np.asarray(groups["labels"][k2], np.float64)
                        for k2 in labels})
            yield out

    def close(self) -> None:
        pass


def check_rows(chunk: dict[str, np.ndarray], shapes: dict[str, tuple[int, ...]], what: str,
               start: int) -> None:
    """Refuse a chunk whose per-sample shapes differ from the reference or that holds NaN/inf."""
    for name, shape in shapes.items():
        a = chunk[name]
        if tuple(a.shape[1:]) != tuple(shape):
            raise SpecError(f"{what}: {name}", f"per-sample shape {tuple(a.shape[1:])}",
                            f"{tuple(shape)}, as in the reference")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            rows = np.flatnonzero(~np.isfinite(a.reshape(len(a), -1)).all(axis=1))
            raise SpecError(f"{what}: {name}", f"NaN or inf in samples {(rows + start)[:5].tolist()}"
                            f"{' …' if rows.size > 5 else ''}", "finite values only")


__all__ = ["CHUNK", "DeepBenchError", "Source", "TruthSource", "check_rows", "open_generated",
           "open_store", "truth_seed"]

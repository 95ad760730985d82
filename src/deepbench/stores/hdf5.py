"""HDF5 store: one layout for every family (see :mod:`deepbench.stores.layout`), plain h5py.

A run owns ``OUT`` through ``OUT.lock`` (:mod:`deepbench.stores.lock`). Each chunk is written to
its own small file in ``OUT.partial.d/`` (as ``.tmp`` then renamed), so a killed run loses at most
the chunks in flight and workers never share a file handle; the run appends each completed chunk's
content hash to ``OUT.partial.d/chunks.jsonl``. A resumed run re-reads every chunk file it keeps
and compares the hash of its data with that record; a chunk that fails is recomputed. Chunk files
already hold the final HDF5 chunking and compression (the HDF5 chunk rows divide the spec's chunk
size), so compression happens in the workers, and the merge into ``OUT.partial`` copies compressed
HDF5 chunks as they are, in chunk order; ``OUT.partial`` is renamed to ``OUT`` when complete.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from deepbench.errors import OutputExistsError, StoreError
from deepbench.stores import layout
from deepbench.stores.base import ChunkRecord, InOrder, Log, digest
from deepbench.stores.layout import CHUNK_BYTES, rows_per_chunk  # noqa: F401 - re-exported
from deepbench.stores.lock import OutputLock

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.dataset.plan import Chunk, Plan
    from deepbench.dataset.resolved import OutputOptions, ResolvedSpec

MANIFEST = "chunks.jsonl"
RUN = "run.json"


def workdir_for(out: Path) -> Path:
    return out.with_name(out.name + ".partial.d")


def chunk_path(workdir: Path, k: int) -> Path:
    return workdir / f"chunk-{k:06d}.h5"


def filters(output: OutputOptions) -> dict[str, Any]:
    """h5py dataset options (filters) from the spec's ``output`` section."""
    compression = None if output.compression == "none" else output.compression
    opts: dict[str, Any] = {"compression": compression}
    if compression == "gzip":
        opts["compression_opts"] = output.compression_level
    if compression:
        opts["shuffle"] = True
    return opts


@dataclass(frozen=True)
class HDF5ChunkSink:
    """Writes chunk files into a run's work directory (picklable; sent to executors)."""

    workdir: str

    def write(self, chunk: Chunk, plan: Plan) -> ChunkRecord:
        """Write one chunk file atomically with the final file's chunking and filters."""
        final = chunk_path(Path(self.workdir), chunk.index)
        tmp = final.with_suffix(f".tmp{os.getpid()}")
        sha = digest(chunk.groups)
        opts = filters(plan.spec.output)
        with h5py.File(tmp, "w", track_order=True) as f:
            f.attrs.update({"chunk": chunk.index, "start": chunk.start, "stop": chunk.stop,
                            "sha256": sha})
            for group, arrays in chunk.groups.items():
                g = f.create_group(group)
                for name, arr in arrays.items():
                    if group == layout.CATALOG:
                        g.create_dataset(name, data=arr)
                        continue
                    rows = rows_per_chunk(arr.shape[1:], arr.itemsize, plan.spec.chunk_size)
                    g.create_dataset(name, data=arr, chunks=(rows, *arr.shape[1:]),
                                     maxshape=(None, *arr.shape[1:]), **opts)
        os.replace(tmp, final)
        return ChunkRecord.of(chunk.index, chunk.groups, sha, plan.spec.splits is not None)


class HDF5Store:
    """The dataset file ``out`` being written (see the module docstring)."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.work = workdir_for(self.out)
        self.partial = self.out.with_name(self.out.name + ".partial")
        self.sink = HDF5ChunkSink(str(self.work))
        self._lock = OutputLock(self.out)
        self._merger: _Merger | None = None

    def begin(self, plan: Plan, run_id: str, *, overwrite: bool, resume: bool,
              log: Log) -> dict[int, ChunkRecord]:
        self._lock.acquire()  # before anything is opened for writing
        try:
            self._prepare(plan.spec, run_id, overwrite, resume)
            kept = self._verified(plan.spec, log)
            self._merger = _Merger(self.partial, self.work, plan)
            for k in sorted(kept):
                self._merger.add(kept[k])
            return kept
        except BaseException:
            self.__exit__()
            raise

    def _prepare(self, spec: ResolvedSpec, run_id: str, overwrite: bool, resume: bool) -> None:
        if self.out.exists() and not overwrite:
            raise OutputExistsError(f"{self.out} exists; pass --overwrite to replace it")
        if self.work.exists() and not resume:
            if not overwrite:
                raise OutputExistsError(f"{self.work} holds an interrupted run; pass --resume to "
                                        "finish it or --overwrite to start again")
            shutil.rmtree(self.work)
        if self.work.exists():
            previous = _run_id(self.work / RUN)
            if previous != run_id:
                raise OutputExistsError(
                    f"{self.work} holds an interrupted run of a different spec (run id "
                    f"{previous}, this one is {run_id}); pass --overwrite to start again")
        try:
            self.work.mkdir(exist_ok=True)
            (self.work / RUN).write_text(json.dumps({"run_id": run_id, "spec": spec.to_json()},
                                                    sort_keys=True))
        except PermissionError as exc:
            raise StoreError(f"cannot write in {self.out.parent}: {exc.strerror}") from None

    def _verified(self, spec: ResolvedSpec, log: Log) -> dict[int, ChunkRecord]:
        """Chunk files kept from an interrupted run, each checked against its recorded hash."""
        for tmp in self.work.glob("chunk-*.tmp*"):
            tmp.unlink(missing_ok=True)
        recorded = _manifest(self.work / MANIFEST)
        kept: dict[int, ChunkRecord] = {}
        for k in range(spec.n_chunks):
            path = chunk_path(self.work, k)
            if not path.exists():
                continue
            record, problem = _check(path, k, recorded.get(k), spec.splits is not None)
            if record is None:
                log(f"chunk {k}: {problem}; recomputing it")
                path.unlink()
            else:
                kept[k] = record
        _rewrite_manifest(self.work / MANIFEST, kept)
        return kept

    def record(self, record: ChunkRecord) -> None:
        with open(self.work / MANIFEST, "a") as fh:
            fh.write(json.dumps({"chunk": record.index, "sha256": record.sha256}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        assert self._merger is not None, "begin() first"
        self._merger.add(record)

    def finalise(self, provenance: Mapping[str, Any], splits: Mapping[str, np.ndarray]) -> Path:
        assert self._merger is not None, "begin() first"
        self._merger.finish(provenance, splits)
        os.replace(self.partial, self.out)
        shutil.rmtree(self.work)
        return self.out

    @staticmethod
    def recognises(location: str | Path) -> bool:
        """An existing local file (read as HDF5)."""
        from deepbench.stores import is_url

        return not is_url(location) and Path(location).is_file()

    @staticmethod
    def open_arrays(location: str | Path) -> HDF5Arrays:
        return HDF5Arrays(Path(location))

    def __enter__(self) -> HDF5Store:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._merger is not None:
            self._merger.close()
        self._lock.release()


# -- resume: records and verification ----------------------------------------------------------
def _run_id(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_text())["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _manifest(path: Path) -> dict[int, str]:
    """Recorded hashes; a torn last line (power loss) is ignored."""
    found: dict[int, str] = {}
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
                found[int(entry["chunk"])] = str(entry["sha256"])
            except (ValueError, KeyError, TypeError):
                continue
    return found


def _rewrite_manifest(path: Path, kept: Mapping[int, ChunkRecord]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps({"chunk": k, "sha256": r.sha256}) + "\n"
                           for k, r in sorted(kept.items())))
    os.replace(tmp, path)


def _check(path: Path, k: int, recorded: str | None, keep_labels: bool
           ) -> tuple[ChunkRecord | None, str]:
    """Read a chunk file whole and compare the hash of its data with the recorded one."""
    if recorded is None:
        return None, "written but not recorded before the interruption"
    try:
        with h5py.File(path, "r") as f:
            groups = {g: {name: d[()] for name, d in f[g].items()} for g in f}
    except Exception as exc:  # noqa: BLE001 - any failure to read the file means: recompute
        return None, f"unreadable ({type(exc).__name__}: {exc})"
    found = digest(groups)
    if found != recorded:
        return None, f"its data hash {found[:12]}… differs from the recorded {recorded[:12]}…"
    return ChunkRecord.of(k, groups, found, keep_labels), ""


# -- the merge ---------------------------------------------------------------------------------
class _Merger:
    """Assembles chunk files into the final file while the run goes on, strictly in chunk order.

    Per-sample arrays are copied as raw compressed HDF5 chunks (no decompression); catalogue rows
    are appended to resizable datasets. A chunk that arrives early waits (on disk) for its turn, so
    the file's bytes never depend on the order in which chunks finish.
    """

    def __init__(self, target: Path, workdir: Path, plan: Plan):
        self.workdir, self.plan = workdir, plan
        self.opts = filters(plan.spec.output)
        self.file = h5py.File(target, "w", track_order=True)
        self.order = InOrder(self._append)
        self.rows = 0  # catalogue rows written so far
        self.datasets: dict[tuple[str, str], h5py.Dataset] = {}

    def add(self, record: ChunkRecord) -> None:
        self.order.add(record)

    def _append(self, record: ChunkRecord) -> None:
        with h5py.File(chunk_path(self.workdir, record.index), "r") as src:
            if record.index == 0:
                self._create_per_sample(src)
            start = int(src.attrs["start"])
            for group in src:
                for name, d in src[group].items():
                    if group == layout.CATALOG:
                        self._append_rows(name, d)
                    else:
                        _copy_chunks(d, self.datasets[group, name], start)
        self.rows += record.catalog_rows

    def _create_per_sample(self, first: h5py.File) -> None:
        shapes = {g: {name: (d.shape[1:], d.dtype) for name, d in first[g].items()}
                  for g in first if g != layout.CATALOG}
        for group in layout.PER_SAMPLE:
            for name, (shape, dtype) in shapes.get(group, {}).items():
                step = rows_per_chunk(shape, dtype.itemsize, self.plan.spec.chunk_size)
                self.datasets[group, name] = self.file.create_dataset(
                    f"{group}/{name}", shape=(self.plan.spec.n, *shape), dtype=dtype,
                    chunks=(step, *shape), maxshape=(None, *shape), **self.opts)

    def _append_rows(self, name: str, src: h5py.Dataset) -> None:
        key = (layout.CATALOG, name)
        if key not in self.datasets:  # a column first seen here: nothing was before it
            rows = layout.catalog_rows_per_chunk(src.shape[1:], src.dtype.itemsize)
            self.datasets[key] = self.file.create_dataset(
                f"{layout.CATALOG}/{name}", shape=(self.rows, *src.shape[1:]), dtype=src.dtype,
                chunks=(rows, *src.shape[1:]), maxshape=(None, *src.shape[1:]), **self.opts)
        dst = self.datasets[key]
        dst.resize(self.rows + src.shape[0], axis=0)
        dst[self.rows:] = src[()]

    def finish(self, provenance: Mapping[str, Any], splits: Mapping[str, np.ndarray]) -> None:
        self.order.check_complete(self.plan.spec.n_chunks)
        _describe(self.file, self.plan)
        for name, idx in splits.items():
            self.file.create_dataset(f"{layout.SPLITS}/{name}",
                                     data=np.asarray(idx, dtype=np.int64))
        self.file.attrs[layout.PROVENANCE] = json.dumps(provenance, sort_keys=True)
        self.close()

    def close(self) -> None:
        if self.file.id.valid:
            self.file.close()


def _copy_chunks(src: h5py.Dataset, dst: h5py.Dataset, start: int) -> None:
    """Copy every stored chunk of ``src`` into ``dst`` at row offset ``start``, still compressed."""
    step = src.chunks[0]
    zeros = (0,) * (src.ndim - 1)
    for row in range(0, src.shape[0], step):
        mask, data = src.id.read_direct_chunk((row, *zeros))
        dst.id.write_direct_chunk((start + row, *zeros), data, mask)


def _describe(f: h5py.File, plan: Plan) -> None:
    """Units and descriptions on every array (class names on labels/class_index)."""
    for o in plan.outputs:
        for group in (layout.OUTPUTS, layout.CLEAN):
            if f"{group}/{o.name}" in f:
                f[f"{group}/{o.name}"].attrs.update(layout.attributes(plan, group, o.name))
    for group in (layout.LABELS, layout.LABELS_PERTURBED):
        for name, d in (f[group].items() if group in f else ()):
            if name == layout.CLASS_INDEX:
                d.attrs[layout.CLASS_NAMES] = json.dumps(plan.class_names)
            d.attrs.update(layout.attributes(plan, group, name))
    for group, names in ((layout.TRUTH, plan.truth_outputs),
                         (layout.CATALOG, [*plan.catalog_columns, layout.SAMPLE_INDEX])):
        for name in names:
            if f"{group}/{name}" in f:
                f[f"{group}/{name}"].attrs.update(layout.attributes(plan, group, name))



# -- reading -----------------------------------------------------------------------------------
class HDF5Arrays:
    """A finished HDF5 dataset opened for reading (see :class:`deepbench.stores.base.Arrays`)."""

    def __init__(self, path: Path):
        try:
            self._file = h5py.File(path, "r")
        except OSError as exc:
            raise StoreError(f"{path}: not a readable HDF5 file ({exc})") from None

    @property
    def attrs(self) -> Mapping[str, Any]:
        return self._file.attrs

    @property
    def closed(self) -> bool:
        return not self._file

    def group(self, name: str) -> dict[str, Any]:
        return dict(self._file[name].items()) if name in self._file else {}

    def close(self) -> None:
        self._file.close()

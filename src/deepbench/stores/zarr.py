"""Zarr v3 store: the layout of :mod:`deepbench.stores.layout`, written chunk by chunk in place.

``OUT`` is a Zarr v3 group (a directory, or any fsspec URL). A run writes ``OUT.partial``, renamed
to ``OUT`` when complete. The per-sample arrays are created up front from the plan's declarations
(:func:`deepbench.stores.layout.per_sample`), with Zarr chunks whose row count divides the spec's
chunk size, so each task writes its own rows directly and no two tasks share a Zarr chunk; a task
checks its chunk against the declared layout first. Catalogue rows (their number is known only at
the end) go to a per-chunk part, ``_deepbench/parts/<k>.npz`` (an uncompressed NumPy archive,
one file), which the run appends to
``catalog/<column>`` strictly in chunk order as chunks are recorded — the HDF5 merger's order, so
both stores hold the same rows. After its data a task writes a completion marker
``_deepbench/chunks/<k>.json`` (chunk index, the content hash of its arrays by
:func:`deepbench.stores.base.digest`, catalogue rows); Zarr does not store a chunk equal to the fill
value, so the data alone could not tell written from never written. ``--resume`` keeps a chunk only
if its marker is there and the hash of its region (re-read) equals the marker's; the catalogue is
rebuilt from the parts of the chunks kept. ``_deepbench/`` is removed when the run completes.

A task encodes and writes its Zarr chunks one at a time (``async.concurrency`` 1 while it writes),
so a writing process uses one core, as HDF5's does: Zarr's default runs up to ten chunk encodes at
once in its own thread pool, which made ``--workers 1`` use more than one core and ``--workers N``
more than N.

Compression, from the spec's ``output`` section (Blosc, byte shuffle, fixed settings, so the bytes
are deterministic): ``gzip`` → Blosc ``zlib`` at ``compression_level``; ``lzf`` (no Zarr codec) →
Blosc ``lz4`` at level 5; ``none`` → no compressor.

Local outputs are locked (``OUT.lock``, :mod:`deepbench.stores.lock`) and renamed atomically; for
an object-store URL no lock is taken (one run per output is then the caller's promise) and the
final rename is fsspec's copy-and-delete.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from deepbench.errors import OutputExistsError, StoreError
from deepbench.stores import is_url, layout
from deepbench.stores.base import ChunkRecord, InOrder, Log, digest
from deepbench.stores.lock import OutputLock

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.dataset.plan import Chunk, Plan
    from deepbench.dataset.resolved import OutputOptions

WORK = "_deepbench"  # the run's own keys inside OUT.partial, removed on completion
RUN = f"{WORK}/run.json"
WRITE_CONCURRENCY = 1  # Zarr chunks a task encodes at once: one core per writing process


def _zarr() -> Any:
    try:
        import zarr
    except ImportError:
        raise StoreError("a Zarr output needs the zarr extra: pip install 'deepbench[zarr]'"
                         ) from None
    return zarr


def _fs(location: str) -> tuple[Any, str]:
    import fsspec

    return fsspec.core.url_to_fs(location)  # type: ignore[no-any-return]


def compressors(output: OutputOptions) -> Any:
    """Zarr codecs for the spec's compression (see the module docstring)."""
    from zarr.codecs import BloscCodec

    if output.compression == "none":
        return None
    if output.compression == "gzip":
        return [BloscCodec(cname="zlib", clevel=output.compression_level, shuffle="shuffle")]
    return [BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")]


def marker_key(k: int) -> str:
    return f"{WORK}/chunks/{k:06d}.json"


def part_key(k: int) -> str:
    return f"{WORK}/parts/{k:06d}.npz"


def _write_part(fs: Any, key: str, rows: Mapping[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez(buf, **dict(rows))  # type: ignore[arg-type]
    fs.pipe_file(key, buf.getvalue())


def _read_part(fs: Any, key: str) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(fs.cat_file(key)), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


@dataclass(frozen=True)
class ZarrChunkSink:
    """Writes one chunk's rows into ``OUT.partial`` (picklable; sent to executors)."""

    root: str

    def write(self, chunk: Chunk, plan: Plan) -> ChunkRecord:
        zarr = _zarr()
        _check_layout(chunk, plan)
        group = zarr.open_group(self.root, mode="r+")
        fs, root = _fs(self.root)
        with zarr.config.set({"async.concurrency": WRITE_CONCURRENCY}):
            for name, arrays in chunk.groups.items():
                if name == layout.CATALOG:
                    _write_part(fs, f"{root}/{part_key(chunk.index)}", arrays)
                    continue
                for col, arr in arrays.items():
                    group[f"{name}/{col}"][chunk.start:chunk.stop] = arr
        sha = digest(chunk.groups)
        record = ChunkRecord.of(chunk.index, chunk.groups, sha, plan.spec.splits is not None)
        marker = {"chunk": chunk.index, "sha256": sha, "catalog_rows": record.catalog_rows,
                  "catalog": layout.CATALOG in chunk.groups}
        fs.pipe_file(f"{root}/{marker_key(chunk.index)}", json.dumps(marker).encode())
        return record


def _check_layout(chunk: Chunk, plan: Plan) -> None:
    """The chunk holds exactly the declared per-sample arrays (the arrays exist already)."""
    declared = layout.per_sample(plan)
    found = {g: {n: (tuple(a.shape[1:]), str(a.dtype)) for n, a in arrays.items()}
             for g, arrays in chunk.groups.items() if g != layout.CATALOG}
    if found != {g: {n: (s, str(np.dtype(d))) for n, (s, d) in v.items()}
                 for g, v in declared.items()}:
        raise StoreError(f"chunk {chunk.index} holds {found}, but the plan declares {declared}; "
                         "the simulator's outputs differ from its declaration")


def _create(group: Any, path: str, shape: tuple[int, ...], dtype: Any, rows: int,
            output: OutputOptions, length: int, attrs: Mapping[str, str] | None = None,
            dims: tuple[str, ...] | None = None) -> Any:
    return group.create_array(path, shape=(length, *shape), chunks=(rows, *shape), dtype=dtype,
                              compressors=compressors(output), fill_value=0,
                              dimension_names=dims, attributes=dict(attrs or {}), overwrite=True)


class ZarrStore:
    """The Zarr dataset ``out`` being written (see the module docstring)."""

    def __init__(self, out: str | Path):
        self.out = str(out).rstrip("/")
        self.partial = self.out + ".partial"
        self.local = not is_url(self.out)
        self.sink = ZarrChunkSink(self.partial)
        self._lock = OutputLock(Path(self.out)) if self.local else None
        self._catalog: _Catalog | None = None

    # -- reading ---------------------------------------------------------------------------------
    @staticmethod
    def recognises(location: str | Path) -> bool:
        """A local directory holding ``zarr.json``, or any URL not ending in an HDF5 suffix."""
        if is_url(location):
            return not str(location).lower().endswith((".h5", ".hdf5"))
        return (Path(location) / "zarr.json").is_file()

    @staticmethod
    def open_arrays(location: str | Path) -> ZarrArrays:
        return ZarrArrays(str(location))

    # -- writing ---------------------------------------------------------------------------------
    def begin(self, plan: Plan, run_id: str, *, overwrite: bool, resume: bool,
              log: Log) -> dict[int, ChunkRecord]:
        zarr = _zarr()
        if self._lock is not None:
            self._lock.acquire()  # before anything is opened for writing
        try:
            fs, root = _fs(self.partial)
            if fs.exists(_fs(self.out)[1]) and not overwrite:
                raise OutputExistsError(f"{self.out} exists; pass --overwrite to replace it")
            if fs.exists(root) and not resume:
                if not overwrite:
                    raise OutputExistsError(f"{self.partial} holds an interrupted run; pass "
                                            "--resume to finish it or --overwrite to start again")
                fs.rm(root, recursive=True)
            previous = _run_id(fs, root)
            if previous is not None and previous != run_id:
                raise OutputExistsError(
                    f"{self.partial} holds an interrupted run of a different spec (run id "
                    f"{previous}, this one is {run_id}); pass --overwrite to start again")
            if previous is None:
                self._create(zarr, fs, root, plan, run_id)
                kept: dict[int, ChunkRecord] = {}
            else:
                kept = self._verified(zarr, fs, root, plan, log)
            self._catalog = _Catalog(zarr.open_group(self.partial, mode="r+"), self.partial, plan)
            for k in sorted(kept):
                self._catalog.add(kept[k])
            return kept
        except BaseException:
            self.__exit__()
            raise

    def _create(self, zarr: Any, fs: Any, root: str, plan: Plan, run_id: str) -> None:
        if fs.exists(root):
            fs.rm(root, recursive=True)
        try:
            group = zarr.open_group(self.partial, mode="w")
        except PermissionError as exc:
            raise StoreError(f"cannot write {self.partial}: {exc.strerror}") from None
        spec = plan.spec
        for name, arrays in layout.per_sample(plan).items():
            for col, (shape, dtype) in arrays.items():
                attrs = layout.attributes(plan, name, col)
                if col == layout.CLASS_INDEX:
                    attrs[layout.CLASS_NAMES] = json.dumps(plan.class_names)
                rows = layout.rows_per_chunk(shape, np.dtype(dtype).itemsize, spec.chunk_size)
                _create(group, f"{name}/{col}", shape, dtype, rows, spec.output, spec.n, attrs,
                        layout.dimension_names(name, col, 1 + len(shape)))
        fs.makedirs(f"{root}/{WORK}/chunks", exist_ok=True)
        fs.makedirs(f"{root}/{WORK}/parts", exist_ok=True)
        fs.pipe_file(f"{root}/{RUN}", json.dumps({"run_id": run_id}).encode())

    def _verified(self, zarr: Any, fs: Any, root: str, plan: Plan, log: Log
                  ) -> dict[int, ChunkRecord]:
        """Chunks kept from an interrupted run: marker present, region re-read and re-hashed."""
        group = zarr.open_group(self.partial, mode="r+")
        keep_labels = plan.spec.splits is not None
        kept: dict[int, ChunkRecord] = {}
        for k in range(plan.spec.n_chunks):
            marker = _marker(fs, f"{root}/{marker_key(k)}")
            if marker is None:
                continue  # never completed (or its marker is damaged): recompute
            try:
                groups = _region(group, fs, root, plan, k, marker)
                found = digest(groups)
                problem = "" if found == marker["sha256"] else (
                    f"its data hash {found[:12]}… differs from the recorded "
                    f"{str(marker['sha256'])[:12]}…")
            except Exception as exc:  # noqa: BLE001 - any failure to read means: recompute
                problem = f"unreadable ({type(exc).__name__}: {exc})"
            if problem:
                log(f"chunk {k}: {problem}; recomputing it")
                fs.rm(f"{root}/{marker_key(k)}")
                continue
            kept[k] = ChunkRecord.of(k, groups, found, keep_labels)
        return kept

    def record(self, record: ChunkRecord) -> None:
        assert self._catalog is not None, "begin() first"
        self._catalog.add(record)

    def finalise(self, provenance: Mapping[str, Any], splits: Mapping[str, np.ndarray]
                 ) -> Path | str:
        assert self._catalog is not None, "begin() first"
        group = self._catalog.finish()
        for name, idx in splits.items():
            idx = np.asarray(idx, dtype=np.int64)
            arr = group.create_array(f"{layout.SPLITS}/{name}", shape=idx.shape,
                                     chunks=(max(1, min(idx.size, 1 << 17)),), dtype=np.int64,
                                     compressors=compressors(self._catalog.plan.spec.output),
                                     fill_value=0, overwrite=True,
                                     dimension_names=layout.dimension_names(layout.SPLITS, name, 1))
            arr[...] = idx
        group.attrs[layout.PROVENANCE] = json.dumps(provenance, sort_keys=True)
        fs, root = _fs(self.partial)
        fs.rm(f"{root}/{WORK}", recursive=True)
        self._rename(fs, root)
        return Path(self.out) if self.local else self.out

    def _rename(self, fs: Any, root: str) -> None:
        """``OUT.partial`` → ``OUT``; an old ``OUT`` (``--overwrite``) goes only after that."""
        if not self.local:
            target = _fs(self.out)[1]
            if fs.exists(target):
                fs.rm(target, recursive=True)
            fs.mv(root, target, recursive=True)
            return
        out = Path(self.out)
        if not out.exists():
            os.replace(self.partial, out)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / out.name)
        os.replace(self.partial, out)
        shutil.rmtree(old, ignore_errors=True)

    def __enter__(self) -> ZarrStore:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.release()


def _run_id(fs: Any, root: str) -> str | None:
    try:
        return str(json.loads(fs.cat_file(f"{root}/{RUN}"))["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _marker(fs: Any, key: str) -> dict[str, Any] | None:
    try:
        marker = json.loads(fs.cat_file(key))
        if isinstance(marker, dict) and isinstance(marker.get("sha256"), str):
            return marker
    except (OSError, ValueError):
        pass
    return None


def _region(group: Any, fs: Any, root: str, plan: Plan, k: int, marker: Mapping[str, Any]
            ) -> dict[str, dict[str, np.ndarray]]:
    """The arrays of chunk ``k`` as stored: its rows of every per-sample array, and its part."""
    start, stop = plan.spec.chunk_bounds(k)
    groups = {name: {col: group[f"{name}/{col}"][start:stop] for col in arrays}
              for name, arrays in layout.per_sample(plan).items()}
    if marker.get("catalog"):
        groups[layout.CATALOG] = _read_part(fs, f"{root}/{part_key(k)}")
    return groups


class _Catalog:
    """Appends each chunk's catalogue part to ``catalog/<column>`` strictly in chunk order (a
    chunk that arrives early waits, as in the HDF5 merger); columns are created when first seen."""

    def __init__(self, group: Any, location: str, plan: Plan):
        self.group, self.plan = group, plan
        self.fs, self.root = _fs(location)
        self.order = InOrder(self._append)
        self.rows = 0
        self.columns: dict[str, Any] = {}

    def add(self, record: ChunkRecord) -> None:
        self.order.add(record)

    def _append(self, record: ChunkRecord) -> None:
        key = f"{self.root}/{part_key(record.index)}"
        if not self.fs.exists(key):
            return
        for col, src in sorted(_read_part(self.fs, key).items()):
            if col not in self.columns:
                shape = tuple(src.shape[1:])
                self.columns[col] = _create(
                    self.group, f"{layout.CATALOG}/{col}", shape, src.dtype,
                    layout.catalog_rows_per_chunk(shape, src.dtype.itemsize), self.plan.spec.output,
                    self.rows, layout.attributes(self.plan, layout.CATALOG, col),
                    layout.dimension_names(layout.CATALOG, col, src.ndim))
            dst = self.columns[col]
            n = src.shape[0]
            dst.resize((self.rows + n, *dst.shape[1:]))
            if n:
                dst[self.rows:self.rows + n] = src
        self.rows += record.catalog_rows

    def finish(self) -> Any:
        self.order.check_complete(self.plan.spec.n_chunks)
        return self.group


# -- reading -----------------------------------------------------------------------------------
class ZarrArrays:
    """A finished Zarr dataset opened for reading (see :class:`deepbench.stores.base.StoredArrays`)."""

    def __init__(self, location: str):
        zarr = _zarr()
        try:
            self._group = zarr.open_group(location, mode="r")
        except Exception as exc:  # noqa: BLE001 - zarr raises several kinds for a foreign path
            raise StoreError(f"{location}: not a readable Zarr store ({type(exc).__name__}: "
                             f"{exc})") from None
        self._closed = False

    @property
    def attrs(self) -> Mapping[str, Any]:
        return self._group.attrs  # type: ignore[no-any-return]

    @property
    def closed(self) -> bool:
        return self._closed

    def group(self, name: str) -> dict[str, Any]:
        if name not in self._group:
            return {}
        arrays = dict(self._group[name].arrays())
        return {k: arrays[k] for k in sorted(arrays)}  # by name, as h5py lists them

    def close(self) -> None:
        self._closed = True

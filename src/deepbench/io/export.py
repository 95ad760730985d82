"""Export a stored dataset into files other tools read.

==============  =====================================================================  ========
format          what is written into the folder ``out``                                lossless
==============  =====================================================================  ========
``npz``         ``dataset.npz`` (every per-sample group, catalogue, splits) + ``metadata.json``  yes
``npy``         one ``<group>/<name>.npy`` per array (memory-mappable) + ``metadata.json``  yes
``png``         ``images/<index>.png``, 16-bit greyscale, + ``labels.csv``             no (16 bit)
``png8``        the same, 8-bit greyscale                                              no (8 bit)
``jpeg``        the same as JPEG (the original DeepBench's format), 8-bit, ``quality``  no
``imagefolder`` ``<split>/<class>/<index>.png`` (8-bit) + ``<split>/metadata.csv``      no (8 bit)
``webdataset``  ``shard-<k>.tar`` per spec chunk: ``<index>.<output>.npy``, ``.json``, ``.cls``  yes
``hf``          a Hugging Face ``datasets`` folder (``save_to_disk``), see :mod:`deepbench.io.hf`  yes
``calochallenge``  showers in the CaloChallenge HDF5 layout (:mod:`deepbench.io.calochallenge`)
==============  =====================================================================  ========

Every folder gets ``export.json``: the format, the provenance of the dataset, and for the image
formats the value mapping of the first image output ``(N, H, W)``: ``value = lo + pixel / (2**bits -
1) · (hi − lo)`` with ``lo``/``hi`` the minimum and maximum over the whole output, ``bits`` 16 or 8,
and for JPEG its ``quality`` (JPEG is lossy beyond that quantisation: ``max_abs_jpeg_error`` records
the largest difference, in pixel steps, between a decoded JPEG and the quantised image, measured
over every exported image). ``labels.csv`` / ``metadata.csv`` hold one row per image: index,
file (``file_name`` in ``metadata.csv``, the column Hugging Face reads), split, class and every
label (``repr`` of the float64 value).

The image-folder layout is what torchvision's ``ImageFolder(root=out/<split>)`` and the Hugging
Face ``load_dataset("imagefolder", data_dir=out)`` loader read as they are (splits from the
folder names ``train``/``val``/``test``, classes from the sub-folder names, labels from
``metadata.csv``). A dataset without splits goes into ``train/``; samples in no split are left out
(``export.json`` counts them).

WebDataset shards are byte-reproducible: POSIX ustar archives (read by ``tarfile``, GNU tar and
``webdataset``) with members in sample order then field order, mtime 0, uid and gid 0, no user or
group names, mode 0644, padded to 10240-byte records.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from deepbench.dataset.view import Dataset, load
from deepbench.errors import OutputExistsError, SpecError, StoreError
from deepbench.stores import layout

if TYPE_CHECKING:
    from typing import Any

IMAGE_FORMATS = ("png", "png8", "jpeg", "imagefolder")
FORMATS = ("npz", "npy", *IMAGE_FORMATS, "webdataset", "hf", "calochallenge")
JPEG_QUALITY = 95  # default JPEG quality (Pillow's scale 1-95; the original DeepBench saved at 75)
BLOCK = 1024  # samples read at once


def export(path: str | Path, out: Path, fmt: str, *, overwrite: bool = False,
           quality: int = JPEG_QUALITY) -> Path:
    """Export the dataset at ``path`` into the folder ``out`` in format ``fmt`` (see the module
    docstring); ``quality`` (1-95) is the JPEG quality.

    The input is opened and checked first. The export is written into ``out.partial`` and only
    when it is complete does it replace ``out`` (with ``overwrite``); a failed export removes
    ``out.partial`` and leaves an existing ``out`` as it was.
    """
    if fmt not in FORMATS:
        raise SpecError("--format", fmt, f"one of {', '.join(FORMATS)}")
    if isinstance(quality, bool) or not isinstance(quality, int | np.integer) \
            or not 1 <= quality <= 95:
        raise SpecError("--quality", quality, "an integer in [1, 95] (JPEG quality)")
    if fmt == "calochallenge":  # one HDF5 file + its binning XML (deepbench.io.calochallenge)
        from deepbench.io.calochallenge import export_dataset

        return export_dataset(path, out, overwrite=overwrite)
    out = Path(out)
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} exists; pass --overwrite to replace it")
    with load(path) as ds:
        if fmt in IMAGE_FORMATS:
            _image_output(ds)
        if fmt == "hf":
            from deepbench.io.hf import require_datasets

            require_datasets()
        tmp = out.with_name(out.name + ".partial")
        _remove(tmp)
        tmp.mkdir(parents=True)
        try:
            writer = globals()[f"_{fmt}"]  # looked up now, so tests can replace one
            info = writer(ds, tmp, quality) if fmt == "jpeg" else writer(ds, tmp)
            (tmp / "export.json").write_text(json.dumps(
                {"format": fmt, **(info or {}), "metadata": ds.metadata}, indent=1))
        except BaseException:
            _remove(tmp)
            raise
    _replace(tmp, out)
    return out


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _replace(new: Path, out: Path) -> None:
    """Put the complete folder ``new`` at ``out``; the old ``out`` goes only once ``new`` is there."""
    if not (out.exists() or out.is_symlink()):
        new.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, old / out.name)
    try:
        new.rename(out)
    except BaseException:
        os.replace(old / out.name, out)
        _remove(new)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _image_output(ds: Dataset) -> tuple[str, Any]:
    """The first image output (N, H, W) of ``ds``, which the image formats write."""
    found = [(k, v) for k, v in ds.outputs.items() if v.ndim == 3]
    if not found:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in ds.outputs.items())
        raise StoreError(f"{ds.path}: image export needs an image output (N, H, W); this dataset "
                         f"has {shapes}")
    return found[0]


def _blocks(n: int, size: int = BLOCK) -> Iterator[tuple[int, int]]:
    for s in range(0, n, size):
        yield s, min(n, s + size)


# ---- lossless array formats --------------------------------------------------------------------

def _npz(ds: Dataset, out: Path) -> None:
    arrays = {}
    for group in (*layout.PER_SAMPLE, layout.CATALOG):
        for name, d in getattr(ds, group).items():
            arrays[f"{group}/{name}"] = d[()]
    for name, idx in ds.splits.items():
        arrays[f"{layout.SPLITS}/{name}"] = idx
    arrays["class_names"] = np.array(ds.class_names)
    np.savez_compressed(out / "dataset.npz", **arrays)
    (out / "metadata.json").write_text(json.dumps(ds.metadata, indent=1))


def _npy(ds: Dataset, out: Path) -> None:
    """One ``.npy`` per array, copied block by block (memory bounded by one block)."""
    for group in (*layout.PER_SAMPLE, layout.CATALOG):
        for name, d in getattr(ds, group).items():
            (out / group).mkdir(exist_ok=True)
            target = np.lib.format.open_memmap(out / group / f"{name}.npy", mode="w+",
                                               dtype=d.dtype, shape=d.shape)
            for s, e in _blocks(d.shape[0]):
                target[s:e] = d[s:e]
            target.flush()
            del target
    for name, idx in ds.splits.items():
        (out / layout.SPLITS).mkdir(exist_ok=True)
        np.save(out / layout.SPLITS / f"{name}.npy", idx)
    np.save(out / "class_names.npy", np.array(ds.class_names))
    (out / "metadata.json").write_text(json.dumps(ds.metadata, indent=1))


# ---- images: one quantisation, one writer ------------------------------------------------------

def value_range(data: Any, n: int) -> tuple[float, float]:
    """Minimum and maximum of ``data[:n]``, read block by block."""
    lo, hi = np.inf, -np.inf
    for s, e in _blocks(n):
        part = data[s:e]
        lo, hi = min(lo, float(part.min())), max(hi, float(part.max()))
    return lo, hi


def quantise(x: np.ndarray, lo: float, hi: float, bits: int) -> np.ndarray:
    """``rint((x − lo) / (hi − lo) · (2**bits − 1))`` as uint8 or uint16 (all zero if hi == lo)."""
    top = (1 << bits) - 1
    scale = top / (hi - lo) if hi > lo else 0.0
    q = np.rint((np.asarray(x, dtype=np.float64) - lo) * scale)
    return np.clip(q, 0, top).astype(np.uint16 if bits == 16 else np.uint8)


def _save(img: np.ndarray, file: Path, kind: str, quality: int) -> None:
    from PIL import Image

    if kind == "jpeg":
        Image.fromarray(img).save(file, format="JPEG", quality=quality)
    else:
        Image.fromarray(img).save(file, format="PNG")


def _rows(ds: Dataset) -> tuple[np.ndarray, list[str], dict[str, np.ndarray], np.ndarray]:
    """Per sample: split name (``""`` if none), class name, labels (without class_index)."""
    n = len(ds)
    split_of = np.full(n, "", dtype=object)
    for split, idx in ds.splits.items():
        split_of[idx] = split
    labels = {k: v[()] for k, v in ds.labels.items()}
    cls = labels.pop(layout.CLASS_INDEX, np.zeros(n, dtype=np.int64))
    return split_of, list(ds.class_names), labels, np.asarray(cls, dtype=np.int64)


def _images(ds: Dataset, out: Path, kind: str, bits: int, quality: int,
            place: Callable[[int, str, str], str], csv_of: Callable[[str], Path | None],
            file_column: str = "file") -> dict[str, Any]:
    """Write every sample's image to ``out / place(i, split, class)``; one CSV row per written
    image into ``csv_of(split)`` (None: not written), its path relative to the CSV in column
    ``file_column``. Returns the value mapping."""
    name, data = _image_output(ds)
    n = len(ds)
    lo, hi = value_range(data, n)
    split_of, class_names, labels, cls = _rows(ds)
    cols = list(labels)
    writers: dict[Path, Any] = {}
    handles = []
    worst = 0
    try:
        for s, e in _blocks(n):
            part = quantise(data[s:e], lo, hi, bits)
            for j, img in enumerate(part):
                i = s + j
                target = csv_of(split_of[i])
                if target is None:
                    continue
                file = place(i, split_of[i], class_names[cls[i]])
                (out / file).parent.mkdir(parents=True, exist_ok=True)
                _save(img, out / file, kind, quality)
                if kind == "jpeg":
                    worst = max(worst, _jpeg_error(out / file, img))
                if target not in writers:
                    fh = open(target, "w", newline="")  # noqa: SIM115 (closed below)
                    handles.append(fh)
                    writers[target] = csv.writer(fh)
                    writers[target].writerow(["index", file_column, "split", "class", *cols])
                rel = os.path.relpath(out / file, target.parent).replace(os.sep, "/")
                writers[target].writerow([i, rel, split_of[i], class_names[cls[i]],
                                          *(repr(float(labels[c][i])) for c in cols)])
    finally:
        for fh in handles:
            fh.close()
    top = (1 << bits) - 1
    mapping = {"output": name, "lo": lo, "hi": hi, "bits": bits,
               "value": f"lo + pixel / {top} * (hi - lo)"}
    if kind == "jpeg":
        mapping |= {"quality": quality, "max_abs_jpeg_error": worst}
    return mapping


def _jpeg_error(file: Path, img: np.ndarray) -> int:
    from PIL import Image

    with Image.open(file) as im:
        back = np.asarray(im, dtype=np.int16)
    return int(np.abs(back - img.astype(np.int16)).max())


def _flat(ds: Dataset, out: Path, kind: str, bits: int, quality: int) -> dict[str, Any]:
    suffix = "jpg" if kind == "jpeg" else "png"
    (out / "images").mkdir()
    table = out / "labels.csv"
    return _images(ds, out, kind, bits, quality,
                   lambda i, split, cls: f"images/{i:07d}.{suffix}", lambda split: table)


def _png(ds: Dataset, out: Path) -> dict[str, Any]:
    return _flat(ds, out, "png", 16, 0)


def _png8(ds: Dataset, out: Path) -> dict[str, Any]:
    return _flat(ds, out, "png", 8, 0)


def _jpeg(ds: Dataset, out: Path, quality: int = JPEG_QUALITY) -> dict[str, Any]:
    return _flat(ds, out, "jpeg", 8, quality)


def _imagefolder(ds: Dataset, out: Path) -> dict[str, Any]:
    for c in ds.class_names:
        if not c or c.startswith(".") or "/" in c or os.sep in c:
            raise StoreError(f"{ds.path}: class name {c!r} cannot be a folder name")
    unsplit = not ds.splits

    def folder(split: str) -> str:
        return "train" if unsplit else split

    def place(i: int, split: str, cls: str) -> str:
        return f"{folder(split)}/{cls}/{i:07d}.png"

    def csv_of(split: str) -> Path | None:
        if not split and not unsplit:
            return None
        (out / folder(split)).mkdir(exist_ok=True)
        return out / folder(split) / "metadata.csv"

    mapping = _images(ds, out, "png", 8, 0, place, csv_of, "file_name")  # the name HF reads
    covered = sum(int(idx.size) for idx in ds.splits.values())
    return {**mapping, "splits": ({"train": len(ds)} if unsplit else
                                  {k: int(v.size) for k, v in ds.splits.items()}),
            "left_out": 0 if unsplit else len(ds) - covered}


# ---- WebDataset ----------------------------------------------------------------------------------

def _ustar_header(name: str, size: int) -> bytes:
    """One POSIX ustar header block: regular file, mode 0644, uid/gid 0, mtime 0, no owner
    names (the standard library's ``tarfile`` builds the same fields, 30× slower)."""
    raw = name.encode("utf-8")
    if len(raw) > 100:
        raise StoreError(f"webdataset member name {name!r} is longer than 100 bytes")
    h = bytearray(512)
    h[0:len(raw)] = raw
    h[100:108] = b"0000644\0"
    h[108:116] = h[116:124] = b"0000000\0"  # uid, gid
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"00000000000\0"  # mtime
    h[148:156] = b" " * 8  # checksum field counts as spaces while summing
    h[156:157] = b"0"  # regular file
    h[257:265] = b"ustar\x0000"
    # devmajor and devminor stay NUL, as the standard library writes them for regular files
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def _member(parts: list[bytes], name: str, data: bytes) -> None:
    parts += [_ustar_header(name, len(data)), data, bytes(-len(data) % 512)]


def _write_tar(path: Path, parts: list[bytes]) -> None:
    """The members, then two zero blocks, padded to a multiple of 10240 bytes (as tar does)."""
    size = sum(map(len, parts)) + 1024
    with open(path, "wb") as fh:
        fh.writelines(parts)
        fh.write(bytes(1024 + (-size % 10240)))


def _npy_header(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    """The ``.npy`` header ``np.save`` writes for one C-ordered array of ``shape`` and ``dtype``:
    each sample's ``.npy`` is this header followed by its raw bytes."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": tuple(shape)})
    return buf.getvalue()


def _webdataset(ds: Dataset, out: Path) -> dict[str, Any]:
    """One tar shard per spec chunk; per sample ``<index>.<output>.npy`` for every output,
    ``<index>.json`` (labels, perturbed labels, truth, class, split) and ``<index>.cls``."""
    n, size = len(ds), int(ds.metadata["chunks"]["size"])
    split_of, class_names, _, cls = _rows(ds)
    scalars = {f"{g}.{k}": v for g in (layout.LABELS, layout.LABELS_PERTURBED, layout.TRUTH)
               for k, v in getattr(ds, g).items() if v.ndim == 1}
    shards = []
    for k, (s, e) in enumerate(_blocks(n, size)):
        outs = {name: np.ascontiguousarray(d[s:e]) for name, d in ds.outputs.items()}
        heads = {name: _npy_header(a.shape[1:], a.dtype) for name, a in outs.items()}
        cols = {key: d[s:e] for key, d in scalars.items()}
        shard = f"shard-{k:06d}.tar"
        parts: list[bytes] = []
        for j in range(e - s):
            i = s + j
            key = f"{i:07d}"
            for name in sorted(outs):
                _member(parts, f"{key}.{name}.npy", heads[name] + outs[name][j].tobytes())
            record = {c: _json_number(v[j]) for c, v in cols.items()}
            record |= {"class": class_names[cls[i]], "split": split_of[i], "index": i}
            _member(parts, f"{key}.json", json.dumps(record, sort_keys=True).encode())
            _member(parts, f"{key}.cls", str(int(cls[i])).encode())
        _write_tar(out / shard, parts)
        shards.append({"file": shard, "first": s, "count": e - s})
    return {"shards": shards, "fields": [*(f"{o}.npy" for o in sorted(ds.outputs)), "json", "cls"]}


def _json_number(v: Any) -> Any:
    x = v.item() if hasattr(v, "item") else v
    return None if isinstance(x, float) and not np.isfinite(x) else x


def _hf(ds: Dataset, out: Path) -> dict[str, Any]:
    from deepbench.io.hf import require_datasets, to_hf

    hf = require_datasets()
    bars = hf.is_progress_bar_enabled()
    hf.disable_progress_bars()  # one line per split on stderr is noise in a CLI export
    try:
        with tempfile.TemporaryDirectory(prefix=".hf-cache-", dir=out) as cache:
            to_hf(ds, cache_dir=cache).save_to_disk(str(out / "dataset"))
    finally:
        if bars:
            hf.enable_progress_bars()
    return {"load": "datasets.load_from_disk(<folder>/dataset)"}


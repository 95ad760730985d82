"""The CaloChallenge 2022 file layout, written and read.

A file holds ``incident_energies`` (N, 1) and ``showers`` (N, n_voxels), both float MeV, gzip
compressed; the geometry travels as the challenge's binning XML written beside it
(``FILE.xml`` for ``FILE.h5``), so the challenge's own ``evaluate.py``/``HighLevelFeatures.py``
read our files. Reading matches the voxel count against the geometries known here (every preset,
plus the XML beside the file when present) and says which were tried when none fits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path

import h5py
import numpy as np

from deepbench.calo.geometry import PRESETS, AnyGeometry, Geometry, from_xml
from deepbench.errors import OutputExistsError, Problem, SpecError, StoreError

SIMULATOR = "calo.shower"
# the presets a CaloChallenge file can hold (its binning XML describes cylindrical binnings only)
CYLINDRICAL = {k: g for k, g in PRESETS.items() if isinstance(g, Geometry)}


def binning_path(path: str | Path) -> Path:
    """The binning XML written beside ``path`` (same name, ``.xml``)."""
    return Path(path).with_suffix(".xml")


def write(path: str | Path, incident_mev: np.ndarray, showers: np.ndarray,
          geometry: AnyGeometry, *, overwrite: bool = False) -> Path:
    """Write ``path`` (HDF5) and its binning XML; both appear only when complete."""
    path = Path(path)
    if not isinstance(geometry, Geometry):
        raise StoreError(f"geometry {geometry.name} is a Cartesian grid; the CaloChallenge "
                         "layout holds cylindrical (layer, alpha, radius) binnings only")
    incident = np.asarray(incident_mev, dtype=np.float64).reshape(-1, 1)
    if showers.ndim != 2 or showers.shape[1] != geometry.n_voxels or len(showers) != len(incident):
        raise StoreError(f"showers {showers.shape} do not fit {len(incident)} incident energies "
                         f"and geometry {geometry.name} ({geometry.n_voxels} voxels)")
    xml = binning_path(path)
    for p in (path, xml):
        if p.exists() and not overwrite:
            raise OutputExistsError(f"{p} exists; pass --overwrite to replace it")
    tmp = path.with_name(path.name + ".partial")
    try:
        with h5py.File(tmp, "w") as f:
            f.create_dataset("incident_energies", data=incident, compression="gzip")
            f.create_dataset("showers", data=showers, compression="gzip")
        xml_tmp = xml.with_name(xml.name + ".partial")
        xml_tmp.write_text(geometry.to_xml())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(xml_tmp, xml)
    os.replace(tmp, path)
    return path


def export_dataset(source: str | Path, out: str | Path, *, overwrite: bool = False) -> Path:
    """Export a DeepBench dataset of ``calo.shower`` samples (one geometry) to the challenge layout."""
    from deepbench.dataset.view import load

    with load(source) as ds:
        geometry = _dataset_geometry(ds.spec, ds.path)
        if "showers" not in ds.outputs or "energy" not in ds.labels:
            raise StoreError(f"{ds.path}: no outputs/showers and labels/energy to export")
        return write(out, ds.labels["energy"][()] * 1e3, ds.outputs["showers"][()], geometry,
                     overwrite=overwrite)


def _dataset_geometry(spec: dict, path: object) -> AnyGeometry:
    from deepbench.calo.show import dataset_geometry

    geometry = dataset_geometry(spec)
    if geometry is None:
        classes = spec.get("classes", [])
        raise StoreError(f"{path}: CaloChallenge export needs samples of {SIMULATOR} in one "
                         f"configuration; this dataset has "
                         f"{sorted(str(c.get('simulator')) for c in classes)}")
    return geometry


def read(path: str | Path, geometries: Iterable[Geometry] = ()
         ) -> tuple[np.ndarray, np.ndarray, Geometry]:
    """(incident energies (N, 1) MeV, showers (N, n_voxels) MeV, matching geometry) of a file.

    The geometry is the first whose voxel count fits among ``geometries``, the binning XML beside
    the file (the preset with that binning; otherwise its layer depths are unknown and W/Si
    3.4 mm layers are assumed), then the presets.
    """
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise StoreError(f"{path}: not a readable HDF5 file ({exc})") from None
    with f:
        missing = [k for k in ("incident_energies", "showers") if k not in f]
        if missing:
            raise StoreError(f"{path}: not in the CaloChallenge layout; missing {missing}")
        incident, showers = f["incident_energies"][()], f["showers"][()]
    candidates = list(geometries)
    xml = binning_path(path)
    if xml.is_file():                       # the binning beside the file decides, if it parses
        from deepbench.calo.geometry import read_binning

        binning = read_binning(xml, field=str(xml))
        same = [g for g in CYLINDRICAL.values() if (g.r_edges, g.n_alpha) == binning]
        candidates += same or [from_xml(xml, [3.4] * len(binning[0]),
                                        CYLINDRICAL["calochallenge_ds2"].medium,
                                        name=f"{xml.name} (layer depths unknown)")]
    candidates += [g for g in CYLINDRICAL.values() if g not in candidates]
    for g in candidates:
        if g.n_voxels == showers.shape[1]:
            return incident, showers, g
    tried = ", ".join(f"{g.name} ({g.n_voxels})" for g in candidates)
    raise StoreError(f"{path}: {showers.shape[1]} voxels per shower fit no known geometry; tried "
                     f"{tried}")


def import_file(source: str | Path, out: str | Path, *, geometry: str | None = None,
                particle: str = "electron", overwrite: bool = False) -> Path:
    """Import a CaloChallenge file into a DeepBench HDF5 dataset ``out``.

    ``outputs/showers`` (float32 MeV, with the geometry attributes), ``labels/energy`` (GeV) and
    ``labels/particle``; the provenance records the source file, its SHA-256 and the geometry
    (``config.geometry``). The geometry is the preset ``geometry`` when given (its voxel count
    must fit), else found as :func:`read` finds it. The file appears only when complete.
    """
    import hashlib
    import json
    from datetime import datetime

    from deepbench._version import __version__
    from deepbench.calo.shower import PARTICLES, Shower
    from deepbench.stores import layout

    out = Path(out)
    problems = []
    if particle not in PARTICLES:
        problems.append(Problem("--particle", particle, "one of " + ", ".join(PARTICLES)))
    if geometry is not None and geometry not in CYLINDRICAL:
        problems.append(Problem("--geometry", geometry, "one of " + ", ".join(CYLINDRICAL)))
    if out.suffix not in (".h5", ".hdf5"):
        problems.append(Problem("--out", str(out), "an HDF5 path ending in .h5 or .hdf5"))
    if problems:
        raise SpecError(problems)
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} exists; pass --overwrite to replace it")
    incident, showers, g = read(source, [CYLINDRICAL[geometry]] if geometry else ())
    if geometry is not None and g is not CYLINDRICAL[geometry]:
        raise StoreError(f"{source}: {showers.shape[1]} voxels per shower do not fit geometry "
                         f"{geometry} ({CYLINDRICAL[geometry].n_voxels})")
    if g.name not in CYLINDRICAL:
        raise StoreError(f"{source}: the binning beside it matches no preset ({g.name}); layer "
                         f"depths and material are unknown, so it cannot be imported as "
                         f"{SIMULATOR}. Presets: {', '.join(CYLINDRICAL)}")
    n = len(showers)
    energy = np.asarray(incident, dtype=np.float64).reshape(n) / 1e3
    sim = Shower({"geometry": g.name})
    digest = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    meta = {
        "format": "deepbench-dataset/1", "run_id": digest[:16], "seed": None,
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "class_names": ["shower"], "simulators": {SIMULATOR: sim.version},
        "versions": {"deepbench": __version__, "numpy": np.__version__, "h5py": h5py.__version__},
        "chunks": {"count": 1, "size": n, "completed": [0]},
        "imported": {"format": "calochallenge", "source": Path(source).name, "sha256": digest},
        "spec": {"name": Path(source).stem, "n": n, "seed": None, "chunk_size": n,
                 "classes": [{"name": "shower", "simulator": SIMULATOR,
                              "simulator_version": sim.version, "config": dict(sim.config),
                              "params": {"energy": {"dist": "imported"},
                                         "particle": {"dist": "constant",
                                                      "value": PARTICLES.index(particle)}}}]}}
    (o,) = sim.outputs()
    tmp = out.with_name(out.name + ".partial")
    try:
        with h5py.File(tmp, "w") as f:
            d = f.create_dataset(f"{layout.OUTPUTS}/showers", data=showers.astype(np.float32),
                                 compression="gzip")
            d.attrs.update({"unit": o.unit, "description": o.doc, **dict(o.attrs)})
            for name, values in (("energy", energy),
                                 ("particle", np.full(n, float(PARTICLES.index(particle))))):
                p = sim.param(name)
                d = f.create_dataset(f"{layout.LABELS}/{name}", data=values)
                d.attrs.update({"unit": p.unit, "description": p.doc})
            f.attrs[layout.PROVENANCE] = json.dumps(meta, sort_keys=True, default=list)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)
    return out

"""The ``deepbench`` command line: generate, validate, list, describe, info, show, export,
convert, import, evaluate, coverage, ladder, check-simulator, convert-legacy."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from deepbench._version import __version__
from deepbench.errors import DeepBenchError, SpecError

EXIT_SPEC = 2


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn DeepBench errors into a one-line message and an exit code (2 for bad input)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SpecError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_SPEC)
        except DeepBenchError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deepbench")
def main() -> None:
    """DeepBench: benchmark datasets from mechanistic physics models, exactly reproducible."""


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-o", "--out", required=True, metavar="OUT",
              help="Output: an HDF5 file (.h5) or a Zarr store (.zarr; a path or an fsspec URL).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a spec field, e.g. --set params.width=4 --set obs_noise={}.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Local processes computing chunks (one BLAS thread each).")
@click.option("--dask", "dask_address", default=None, metavar="local[:N]|ADDRESS",
              help="Run chunks on a Dask cluster: a local one of N worker processes, or a "
                   "scheduler address such as tcp://host:8786 (needs the dask extra).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output when done.")
@click.option("--resume", is_flag=True, help="Finish an interrupted run of the same spec.")
@click.option("--force", is_flag=True, help="Run even if the dataset looks larger than the free "
              "disk space.")
@_guard
def generate(spec: str, out: str, overrides: tuple[str, ...], workers: int,
             dask_address: str | None, overwrite: bool, resume: bool, force: bool) -> None:
    """Generate the dataset described by SPEC into OUT."""
    from deepbench.dataset.generate import generate as run
    from deepbench.dataset.spec import resolve

    executor = None
    if dask_address is not None:
        if workers != 1:
            raise SpecError("--workers", workers, "no --workers with --dask (the cluster decides)")
        from deepbench.dataset.cluster import DaskExecutor

        executor = DaskExecutor(dask_address)
    resolved = resolve(spec, overrides)  # fail before any work or file is touched
    n = resolved.n

    def log(message: str) -> None:
        click.echo(f"warning: {message}", err=True)

    if sys.stderr.isatty():
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(f"{resolved.name}: chunks", total=None, rate="")

            def progress(done: int, total: int) -> None:
                elapsed = bar.tasks[task].elapsed or 0.0
                rate = f"{done * resolved.chunk_size / elapsed:,.0f} samples/s" \
                    if elapsed > 0 and done else ""
                bar.update(task, completed=done, total=total, rate=rate)

            path = run(resolved, out, workers=workers, overwrite=overwrite, resume=resume,
                       progress=progress, log=log, executor=executor, force=force)
    else:
        path = run(resolved, out, workers=workers, overwrite=overwrite, resume=resume, log=log,
                   executor=executor, force=force)
    click.echo(f"wrote {n} samples to {path}")


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved spec as JSON.")
@_guard
def validate(spec: str, overrides: tuple[str, ...], as_json: bool) -> None:
    """Check SPEC completely (no work done); print the resolved spec with --json."""
    from deepbench.dataset.budget import estimate, memory_budget, size
    from deepbench.dataset.generate import run_id
    from deepbench.dataset.spec import resolve

    resolved = resolve(spec, overrides)
    if as_json:
        click.echo(json.dumps(resolved.to_json(), indent=2))
    else:
        classes = ", ".join(f"{c.name} ({c.simulator})" for c in resolved.classes)
        click.echo(f"ok: {resolved.name}: {resolved.n} samples, classes: {classes}; "
                   f"run id {run_id(resolved)}")
        est = estimate(resolved)
        click.echo(f"estimated: {est.n_chunks} chunks; one chunk {size(est.chunk_bytes)} in memory "
                   f"(budget {size(memory_budget())}); dataset {size(est.dataset_bytes)} on disk, "
                   "uncompressed")


@main.command("list")
@_guard
def list_() -> None:
    """List the registered simulators."""
    from deepbench.core import registry

    for name in registry.names():
        cls = registry.get(name)
        click.echo(f"{name:24s} v{cls.version}  [{registry.package(name)}]  {cls.summary}")


@main.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.option("--markdown", is_flag=True, help="The reference of every simulator, as Markdown.")
@_guard
def describe(name: str | None, as_json: bool, markdown: bool) -> None:
    """Show a simulator's parameters, settings and outputs."""
    from deepbench.api import describe as info
    from deepbench.api import reference_markdown

    if markdown:
        click.echo(reference_markdown())
        return
    if name is None:
        raise SpecError("NAME", None, "a simulator name (see deepbench list), or --markdown")
    d = info(name)
    if as_json:
        click.echo(json.dumps(d, indent=2, default=list))
        return
    click.echo(f"{d['name']} (version {d['version']}): {d['summary']}\n\nparameters:")
    for p in d["params"]:
        lo = "-inf" if p["low"] is None else f"{p['low']:g}"
        hi = "inf" if p["high"] is None else f"{p['high']:g}"
        br = ("(" if p["open_low"] else "[") + f"{lo}, {hi}" + (")" if p["open_high"] else "]")
        extra = f"; period {p['period']}" if p["period"] else ""
        click.echo(f"  {p['name']:12s} default {p['default']!s:8s} {p['unit'] or '-':6s} "
                   f"{br:16s} {p['doc']}{extra}")
    for a in d["alternatives"]:
        opts = " or ".join("(" + ", ".join(o) + ")" for o in a["options"])
        click.echo(f"  give exactly one of {opts} for {a['target']}")
    click.echo("settings (config):")
    for s in d["settings"]:
        click.echo(f"  {s['name']:12s} default {s['default']!s:8s} {s['doc']}")
    for title in ("outputs", "truth", "catalog"):
        if d[title]:
            click.echo(f"{title}:")
            for o in d[title]:
                click.echo(f"  {o['name']:12s} shape {tuple(o['shape'])!s:12s} "
                           f"{o['unit'] or '-':6s} {o['doc']}")


@main.command()
@click.argument("path")
@_guard
def info(path: str) -> None:
    """Summarise a dataset (HDF5 or Zarr): provenance, shapes and label statistics."""
    import numpy as np

    from deepbench.dataset.view import load
    from deepbench.stores import layout

    with load(path) as ds:
        m = ds.metadata
        click.echo(f"{ds.name}: {len(ds)} samples ({ds.format}), run id {m['run_id']}, created "
                   f"{m['created']}")
        click.echo("versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()))
        click.echo("simulators: " + ", ".join(f"{k} v{v}" for k, v in m["simulators"].items()))
        click.echo(f"chunks: {len(m['chunks']['completed'])}/{m['chunks']['count']} of "
                   f"{m['chunks']['size']}")
        for group in (layout.OUTPUTS, layout.CLEAN, layout.TRUTH, layout.CATALOG):
            for name, d in getattr(ds, group).items():
                click.echo(f"  {group}/{name}: {d.shape} {d.dtype} "
                           f"[{d.attrs.get('unit', '')}]")
        for group in (layout.LABELS, layout.LABELS_PERTURBED):
            for name, d in getattr(ds, group).items():
                v = d[()]
                ok = v[np.isfinite(v)] if v.dtype.kind == "f" else v
                stats = (f"min {ok.min():.4g}  mean {ok.mean():.4g}  max {ok.max():.4g}"
                         if ok.size else "all NaN")
                click.echo(f"  {group}/{name}: {stats}")
        if ds.class_names and len(ds.class_names) > 1:
            counts = np.bincount(ds.labels[layout.CLASS_INDEX][()],
                                 minlength=len(ds.class_names))
            click.echo("  classes: " + ", ".join(
                f"{n} {c}" for n, c in zip(ds.class_names, counts, strict=True)))
        for name, idx in ds.splits.items():
            click.echo(f"  splits/{name}: {idx.size} samples")


@main.command()
@click.argument("path")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False))
@click.option("-n", "count", default=16, show_default=True, type=click.IntRange(1, 400))
@click.option("--output", "output_name", default=None, help="Which output to show.")
@_guard
def show(path: str, out: str, count: int, output_name: str | None) -> None:
    """Save a gallery of the first samples with their labels as a PNG."""
    from deepbench.io.gallery import gallery

    click.echo(f"wrote {gallery(path, out, count=count, output=output_name)}")


@main.command()
@click.argument("path")
@click.option("--format", "fmt", required=True,
              type=click.Choice(["npz", "npy", "png", "png8", "jpeg", "imagefolder", "webdataset",
                                 "hf", "calochallenge"]))
@click.option("-o", "--out", required=True, type=click.Path())
@click.option("--overwrite", is_flag=True)
@click.option("--quality", default=95, show_default=True, type=int,
              help="JPEG quality, 1-95 (recorded in export.json).")
@_guard
def export(path: str, fmt: str, out: str, overwrite: bool, quality: int) -> None:
    """Export a dataset into the folder OUT: npz/npy arrays, 16-bit (png) or 8-bit (png8) PNGs or
    JPEGs with labels.csv, an image-folder tree (split/class/index.png), WebDataset tar shards, a
    Hugging Face datasets folder (hf), or (calo.shower datasets) a CaloChallenge HDF5 file. The
    value mapping of every lossy format is written to OUT/export.json."""
    from deepbench.io.export import export as run

    click.echo(f"wrote {run(path, Path(out), fmt, overwrite=overwrite, quality=quality)}")


@main.command()
@click.argument("path")
@click.option("-o", "--out", required=True, metavar="OUT",
              help="Target: .h5 (HDF5) or .zarr (Zarr; a path or an fsspec URL).")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT when done.")
@_guard
def convert(path: str, out: str, overwrite: bool) -> None:
    """Copy the dataset PATH into another store, bit-exact (each chunk checked against the hash
    in its provenance)."""
    from deepbench.stores.convert import convert as run

    click.echo(f"wrote {run(path, out, overwrite=overwrite)}")


@main.command("check-simulator")
@click.argument("name")
@click.option("--config", "settings", multiple=True, metavar="KEY=VALUE",
              help="A setting of the instance under test (YAML value), e.g. --config size=3.")
@click.option("--batch-size", default=4, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@_guard
def check_simulator(name: str, settings: tuple[str, ...], batch_size: int, seed: int) -> None:
    """Check that simulator NAME keeps the contract (deepbench.testing.check_simulator): complete
    declaration, outputs of the declared shapes and dtypes, same seed same bytes, batch equal to
    per-sample results, no global RNG use. Exit code 1 with one line per fault otherwise."""
    import yaml

    from deepbench.core import registry
    from deepbench.testing import ContractError
    from deepbench.testing import check_simulator as check

    config: dict[str, Any] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError("--config", item, "KEY=VALUE, e.g. size=3")
        config[key] = yaml.safe_load(value)
    cls = registry.get(name)
    where = registry.package(name)
    try:
        check(cls, config or None, batch_size=batch_size, seed=seed)
    except ContractError as exc:
        click.echo(f"FAIL: {exc}\n(package {where})", err=True)
        sys.exit(1)
    click.echo(f"ok: {name} v{cls.version} (package {where}) keeps the simulator contract")


@main.command("convert-legacy")
@click.argument("old", type=click.Path(dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="The DeepBench spec to write (YAML).")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT.")
@_guard
def convert_legacy(old: str, out: str, overwrite: bool) -> None:
    """Convert an original DeepBench 0.2 config OLD into a DeepBench spec OUT; print one warning
    per behaviour of the original that the spec does not reproduce (also written into OUT as
    comments)."""
    from deepbench.errors import OutputExistsError
    from deepbench.io.legacy import convert_legacy_file, dump

    conv = convert_legacy_file(old)
    target = Path(out)
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; pass --overwrite to replace it")
    target.write_text(dump(conv, source=Path(old).name))
    for w in conv.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"wrote {target} ({len(conv.warnings)} behaviours differ from the original)")


@main.command()
@click.option("--dataset", "dataset", required=True, metavar="FILE",
              help="The stored dataset whose labels are the true parameters.")
@click.option("--posterior-samples", "posterior", required=True, metavar="FILE",
              help="NPZ or HDF5 with `samples` (N, S, d), and optionally `names` (d) and "
                   "`index` (N sample indices into the dataset; default 0..N-1).")
@click.option("--params", default=None, metavar="A,B",
              help="Label names of the d parameters (when the file has no `names`).")
@click.option("-o", "--out", default=None, type=click.Path(file_okay=False),
              help="Folder for coverage.json and coverage.png.")
@click.option("--confidence", default=0.99, show_default=True, type=click.FloatRange(0, 1,
              min_open=True, max_open=True), help="Joint confidence of the coverage band.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when a test fails.")
@_guard
def coverage(dataset: str, posterior: str, params: str | None, out: str | None,
             confidence: float, strict: bool) -> None:
    """Check a posterior estimator's calibration: expected coverage with its binomial band,
    SBC ranks and TARP, against the true parameters stored in DATASET."""
    from deepbench.inference.report import coverage_report

    report = coverage_report(dataset, posterior, params=params, out=out, confidence=confidence)
    click.echo(report.text)
    if strict and not report.passed:
        sys.exit(1)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Folder for the rungs (rung_000.h5, ...) and ladder.json / ladder.csv.")
@click.option("--axis", "axes", multiple=True, required=True, metavar="FIELD=V1,V2,...",
              help="A spec field and its values, e.g. obs_noise.image.sigma=0,0.05,0.1 "
                   "(FIELD=[...] for values with commas); several axes make every combination.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a field of the base spec.")
@click.option("--train", default=None, metavar="CMD",
              help="Run CMD per rung ({data}: the rung's dataset, {rung}: its index); its last "
                   "printed line, as JSON, is the rung's metric.")
@click.option("--format", "fmt", type=click.Choice(["h5", "zarr"]), default="h5",
              show_default=True)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--overwrite", is_flag=True, help="Replace an existing ladder.")
@click.option("--resume", is_flag=True, help="Finish an interrupted ladder.")
@_guard
def ladder(spec: str, out: str, axes: tuple[str, ...], overrides: tuple[str, ...],
           train: str | None, fmt: str, workers: int, overwrite: bool, resume: bool) -> None:
    """Generate a difficulty ladder: one dataset per combination of axis values (objects and
    parameters shared across rungs that differ only in noise), with a summary table."""
    from deepbench.inference.ladder import format_table, parse_axis
    from deepbench.inference.ladder import ladder as run

    parsed = dict(parse_axis(a) for a in axes)

    def log(message: str) -> None:
        click.echo(f"warning: {message}", err=True)

    rungs = run(spec, out, parsed, overrides=overrides, train=train, fmt=fmt, workers=workers,
                overwrite=overwrite, resume=resume, log=log)
    click.echo(format_table(rungs, list(parsed)))
    click.echo(f"wrote {len(rungs)} rungs and ladder.csv to {out}")


@main.command()
@click.option("--reference", required=True, metavar="DATASET",
              help="The reference DeepBench dataset (HDF5 or Zarr).")
@click.option("--generated", required=True, metavar="FILE",
              help="The sample to judge: a DeepBench dataset, an HDF5 or NPZ file of arrays named "
                   "like the reference's outputs, or a CaloChallenge file.")
@click.option("-o", "--out", "out_dir", default="report", show_default=True, metavar="REPORT_DIR",
              help="Folder for report.json, the PNG plots and report.html.")
@click.option("--fail-above", "fail_above", multiple=True, metavar="METRIC=VALUE",
              help="Exit with code 1 when the generated METRIC exceeds VALUE (for CI).")
@click.option("--seed", default=None, type=int, help="Seed of the fresh truth sample (default: "
              "derived from the reference's run id).")
@_guard
def evaluate(reference: str, generated: str, out_dir: str, fail_above: tuple[str, ...],
             seed: int | None) -> None:
    """Score a generated sample against a reference dataset, beside a fresh truth sample's floor."""
    from deepbench.metrics.evaluate import evaluate as run
    from deepbench.metrics.evaluate import parse_fail_above
    from deepbench.metrics.report import write_report

    limits = parse_fail_above(fail_above)  # an unknown metric fails before any work
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      transient=True) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            ev = run(reference, generated, seed=seed, fail_above=limits, progress=progress)
    else:
        ev = run(reference, generated, seed=seed, fail_above=limits)
    out = write_report(ev, out_dir)
    click.echo(f"{'metric':22s} {'truth floor':>12s} {'generated':>12s}")
    for name, r in ev.summary.items():
        click.echo(f"{name:22s} {r['truth']:12.4g} {r['generated']:12.4g}"
                   f"{'  FLAGGED' if r['flagged'] else ''}")
    verdict = "flagged: " + ", ".join(ev.flagged) if ev.flagged else "passed (within truth floors)"
    click.echo(f"{verdict}\nwrote {out / 'report.html'}")
    if ev.failed:
        click.echo("error: above the --fail-above limits: " + ", ".join(
            f"{k} = {v:.4g} > {limits[k]:g}" for k, v in ev.failed.items()), err=True)
        sys.exit(1)


@main.command("import")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="The DeepBench HDF5 dataset to write (.h5).")
@click.option("--format", "fmt", type=click.Choice(["calochallenge"]), default="calochallenge",
              show_default=True)
@click.option("--geometry", default=None, help="Preset the file was binned in (default: found "
              "from the binning XML beside the file, then by voxel count).")
@click.option("--particle", default="electron", show_default=True,
              help="Incident particle of every shower (electron or photon).")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT when done.")
@_guard
def import_(source: str, out: str, fmt: str, geometry: str | None, particle: str,
            overwrite: bool) -> None:
    """Import a CaloChallenge HDF5 file (incident_energies, showers) as a DeepBench dataset of
    calo.shower samples (outputs/showers with the geometry attributes, labels/energy)."""
    from deepbench.io.calochallenge import import_file

    path = import_file(source, out, geometry=geometry, particle=particle, overwrite=overwrite)
    click.echo(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    main()

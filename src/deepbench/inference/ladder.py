"""Difficulty ladders: one dataset per combination of spec values, and a table of the rungs.

``ladder(spec, out_dir, {"obs_noise.image.sigma": [0, 0.05, 0.1]})`` writes ``rung_000.h5`` … in
``out_dir`` (every rung is the base spec with its axis values set, as ``--set`` would) and
``ladder.json`` / ``ladder.csv`` listing each rung's values, its difference from the base resolved
spec, run id and path, and optionally a metric from a user's training command. Every rung stores
``clean/`` (``output.store_clean`` is set), so rungs that differ only in observation noise share
``clean/``, ``labels/`` and ``truth/`` byte for byte: the seed stages draw the parameters and the
objects before the noise. Every rung is resolved before any is generated.
"""

from __future__ import annotations

import csv
import itertools
import json
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from deepbench.dataset.resolved import ResolvedSpec
from deepbench.errors import OutputExistsError, SpecError

MAX_RUNGS = 1000


@dataclass
class Rung:
    index: int
    values: dict[str, Any]
    path: str
    run_id: str
    difference: dict[str, list[Any]]
    metric: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_axis(text: str) -> tuple[str, list[Any]]:
    """``FIELD=V1,V2,…`` (each value YAML) or ``FIELD=[V1, V2, …]`` (a YAML list, for values
    that contain commas, such as mappings)."""
    key, sep, values = text.partition("=")
    if not sep or not key or not values:
        raise SpecError("--axis", text, "FIELD=V1,V2,... e.g. obs_noise.image.sigma=0,0.05,0.1")
    try:
        parsed = yaml.safe_load(values) if values.lstrip().startswith("[") else \
            [yaml.safe_load(v) for v in values.split(",")]
    except yaml.YAMLError as exc:
        raise SpecError(f"--axis {key}", values, f"YAML values ({exc.problem})") from None
    if not isinstance(parsed, list) or not parsed:
        raise SpecError(f"--axis {key}", values, "a non-empty list of values")
    return key, parsed


def plan_rungs(spec: Any, axes: Mapping[str, Sequence[Any]], overrides: Sequence[str] = ()
               ) -> tuple[ResolvedSpec, list[tuple[dict[str, Any], ResolvedSpec]]]:
    """The base resolved spec and every rung's values and resolved spec (SpecError naming the
    axis and the value when a rung is not a valid spec)."""
    from deepbench.dataset.spec import apply_overrides, load_spec, resolve

    if not axes:
        raise SpecError("--axis", None, "at least one axis FIELD=V1,V2,...")
    raw = apply_overrides(load_spec(spec), [*overrides, "output.store_clean=true"])
    base = resolve(raw)
    names = list(axes)
    combos = list(itertools.product(*(axes[n] for n in names)))
    if len(combos) > MAX_RUNGS:
        raise SpecError("--axis", len(combos), f"at most {MAX_RUNGS} rungs")
    rungs = []
    for combo in combos:
        values = dict(zip(names, combo, strict=True))
        sets = [f"{k}={json.dumps(v)}" for k, v in values.items()]
        try:
            rungs.append((values, resolve(apply_overrides(raw, sets))))
        except SpecError as exc:
            key = next((k for k in names if k in str(exc)), names[0])
            raise SpecError(f"--axis {key}", values[key], f"a value that gives a valid spec "
                            f"({exc})") from None
    return base, rungs


def ladder(spec: Any, out_dir: str | Path, axes: Mapping[str, Sequence[Any]], *,
           overrides: Sequence[str] = (), train: str | None = None, fmt: str = "h5",
           overwrite: bool = False, resume: bool = False,
           log: Callable[[str], None] | None = None, **generate_options: Any) -> list[Rung]:
    """Generate every rung into ``out_dir`` and write the summary table; returns the rungs.

    ``train`` is a command run once per rung with ``{data}`` replaced by the rung's dataset path
    (and ``{rung}`` by its index); the last line it prints, parsed as JSON (a number or an
    object), is the rung's metric. ``resume`` keeps rungs already complete.
    """
    from deepbench.dataset.generate import generate, run_id

    if fmt not in ("h5", "zarr"):
        raise SpecError("--format", fmt, "h5 or zarr")
    base, rungs = plan_rungs(spec, axes, overrides)
    out = Path(out_dir)
    table = out / "ladder.json"
    if table.exists() and not (overwrite or resume):
        raise OutputExistsError(f"{out} holds a ladder; pass --resume to finish it or "
                                "--overwrite to replace it")
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for i, (values, resolved) in enumerate(rungs):
        path = out / f"rung_{i:03d}.{fmt}"
        rid = run_id(resolved)
        if resume and not overwrite and path.exists():
            if _run_id_of(path) != rid:
                raise OutputExistsError(f"{path} holds another spec's dataset (not rung {i} of "
                                        "this ladder); pass --overwrite to replace it")
        else:
            generate(resolved, path, overwrite=overwrite, resume=resume, log=log,
                     **generate_options)
        rung = Rung(i, values, path.name, rid,
                    _difference(base.to_json(), resolved.to_json()))
        if train:
            rung.metric = _train(train, path, i)
        results.append(rung)
    _write_table(out, results, list(axes))
    return results


def _run_id_of(path: Path) -> str | None:
    from deepbench.dataset.view import load

    with load(path) as ds:
        return str(ds.metadata.get("run_id"))


def _train(command: str, path: Path, index: int) -> Any:
    argv = [a.replace("{data}", str(path)).replace("{rung}", str(index))
            for a in shlex.split(command)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SpecError("--train", command, f"a command that succeeds (exit {proc.returncode} on "
                        f"rung {index}: {proc.stderr.strip()[-300:]})")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise SpecError("--train", command, "a command whose last printed line is JSON (a "
                        f"number or an object); rung {index} printed "
                        f"{lines[-1][:80] if lines else 'nothing'!r}") from None


def _difference(base: Any, rung: Any, path: str = "") -> dict[str, list[Any]]:
    """Leaf paths where the rung's resolved spec differs from the base: path → [base, rung]."""
    if isinstance(base, dict) and isinstance(rung, dict):
        diff: dict[str, list[Any]] = {}
        for key in sorted(set(base) | set(rung)):
            sub = f"{path}.{key}" if path else str(key)
            diff.update(_difference(base.get(key), rung.get(key), sub))
        return diff
    if isinstance(base, list) and isinstance(rung, list) and len(base) == len(rung):
        diff = {}
        for i, (a, b) in enumerate(zip(base, rung, strict=True)):
            diff.update(_difference(a, b, f"{path}.{i}"))
        return diff
    return {} if base == rung else {path: [base, rung]}


def _write_table(out: Path, rungs: list[Rung], axes: list[str]) -> None:
    (out / "ladder.json").write_text(json.dumps([asdict(r) for r in rungs], indent=1,
                                                default=str) + "\n")
    metric_keys: list[str] = []
    for r in rungs:
        if isinstance(r.metric, dict):
            metric_keys += [k for k in r.metric if k not in metric_keys]
    with open(out / "ladder.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        head = ["rung", *axes, "run_id", "path", "difference"]
        head += [f"metric.{k}" for k in metric_keys] or (["metric"] if any(
            r.metric is not None for r in rungs) else [])
        w.writerow(head)
        for r in rungs:
            diff = "; ".join(f"{k}: {json.dumps(a)} -> {json.dumps(b)}"
                             for k, (a, b) in r.difference.items())
            row = [r.index, *(json.dumps(r.values[a]) for a in axes), r.run_id, r.path, diff]
            if metric_keys:
                row += [json.dumps(r.metric.get(k)) if isinstance(r.metric, dict) else ""
                        for k in metric_keys]
            elif r.metric is not None or len(head) > len(row):
                row.append(json.dumps(r.metric))
            w.writerow(row)


def format_table(rungs: list[Rung], axes: list[str]) -> str:
    """The rungs as an aligned text table (for the terminal)."""
    rows = [["rung", *axes, "run id", "metric"]]
    for r in rungs:
        rows.append([str(r.index), *(json.dumps(r.values[a]) for a in axes), r.run_id,
                     "" if r.metric is None else json.dumps(r.metric)])
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)

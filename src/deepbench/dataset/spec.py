"""The dataset spec: a YAML/dict schema (pydantic, unknown keys forbidden) and its resolution.

``resolve(spec)`` validates everything a run needs before any work starts and returns the resolved
spec: a plain JSON-able dict with every default filled in. That dict is what is hashed into the run
id and stored as provenance, and all a worker needs to rebuild the plan.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from deepbench.core import registry
from deepbench.core.noise import ObsNoise, OnInvalid, ParamNoise
from deepbench.core.numbers import Real
from deepbench.core.priors import Constant, Grid, Prior
from deepbench.core.simulator import Simulator
from deepbench.dataset import budget, specfile
from deepbench.dataset.resolved import SPEC_FORMAT, ResolvedSpec
from deepbench.errors import Problem, SpecError

DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "int32", "int64")
COMPARATORS = ("gt", "ge", "lt", "le", "eq", "ne", "in")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)


def _priors(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: ({"dist": "constant", "value": v} if isinstance(v, int | float)
                    and not isinstance(v, bool) else v) for k, v in value.items()}
    return value


class ClassSpec(_Strict):
    """One class of a mixture: a simulator with its own settings, priors and parameter noise."""

    name: str | None = None
    simulator: str
    weight: Annotated[Real, Field(gt=0)] = 1.0
    config: dict[str, Any] = {}
    params: dict[str, Prior] = {}
    param_noise: dict[str, ParamNoise] = {}

    _numbers = field_validator("params", mode="before")(classmethod(lambda cls, v: _priors(v)))


class Comparison(_Strict):
    """A condition on one label column; all given comparisons must hold."""

    gt: Real | None = None
    ge: Real | None = None
    lt: Real | None = None
    le: Real | None = None
    eq: Real | str | None = None
    ne: Real | str | None = None
    in_: list[Real | str] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _not_empty(self) -> Comparison:
        if all(getattr(self, k) is None for k in ("gt", "ge", "lt", "le", "eq", "ne", "in_")):
            raise ValueError(f"a condition needs at least one of {', '.join(COMPARATORS)}")
        return self


class SplitSpec(_Strict):
    """Deterministic splits: out-of-distribution regions first, then fractions of the rest."""

    fractions: dict[str, Annotated[Real, Field(gt=0, le=1)]] = {}
    ood: dict[str, dict[str, Comparison]] = {}

    @model_validator(mode="after")
    def _check(self) -> SplitSpec:
        total = sum(self.fractions.values())
        if total > 1 + 1e-9:
            raise ValueError(f"fractions sum to {total:g}; they must sum to at most 1")
        both = set(self.fractions) & set(self.ood)
        if both:
            raise ValueError(f"split names used twice: {sorted(both)}")
        for name, cond in self.ood.items():
            if not cond:
                raise ValueError(f"ood split {name!r} has no condition")
        return self


class OutputSpec(_Strict):
    """How outputs are stored."""

    compression: Literal["gzip", "lzf", "none"] = "gzip"
    compression_level: Annotated[int, Field(ge=0, le=9)] = 4
    dtype: dict[str, Literal[DTYPES]] = {}  # type: ignore[valid-type]
    store_clean: bool = False
    format: Literal["hdf5", "zarr"] | None = None  # None: from the output's suffix


class DatasetSpec(_Strict):
    """A dataset: one simulator (or a mixture of ``classes``), priors, noise, splits, storage."""

    name: str = "dataset"
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    n: Annotated[int, Field(gt=0)] | None = None
    repeat: Annotated[int, Field(gt=0)] = 1
    chunk_size: Annotated[int, Field(gt=0, le=1_000_000)] = 1000
    simulator: str | None = None
    config: dict[str, Any] = {}
    params: dict[str, Prior] = {}
    param_noise: dict[str, ParamNoise] = {}
    obs_noise: dict[str, ObsNoise] = {}
    on_invalid: OnInvalid = "resample"
    classes: Annotated[list[ClassSpec], Field(min_length=1)] | None = None
    splits: SplitSpec | None = None
    output: OutputSpec = OutputSpec()

    _numbers = field_validator("params", mode="before")(classmethod(lambda cls, v: _priors(v)))


# ---------------------------------------------------------------------------------------------
def load_spec(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Raw spec dict from a YAML path or a mapping (deep-copied; the caller's object is untouched)."""
    if isinstance(source, Mapping):
        _check_structure("spec", source)
        return copy.deepcopy(dict(source))
    path = Path(source)
    if not path.is_file():
        raise SpecError("spec", str(source), "a path to an existing YAML file")
    try:
        data = specfile.load_text(specfile.read_text(path))
    except specfile.SpecTextError as exc:
        raise SpecError("spec", str(source), exc.expected) from None
    except yaml.YAMLError as exc:
        raise SpecError("spec", str(source), f"valid YAML ({exc})") from None
    except OSError as exc:
        raise SpecError("spec", str(source), f"a readable file ({exc.strerror})") from None
    if not isinstance(data, dict):
        raise SpecError("spec", data, "a YAML mapping at the top level")
    return data


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``a.b.c=value`` overrides (value parsed as YAML); list items by index (``classes.0.weight``)."""
    raw = copy.deepcopy(raw)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise SpecError("--set", item, "KEY=VALUE, e.g. params.width=4 or obs_noise={}")
        try:
            value = specfile.load_text(text)
        except specfile.SpecTextError as exc:
            raise SpecError(f"--set {key}", text, exc.expected) from None
        except yaml.YAMLError:
            value = text
        node: Any = raw
        parts = key.split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            where = ".".join(parts[: depth + 1])
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise SpecError(f"--set {where}", part, f"an index below {len(node)}")
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    if not isinstance(node.get(part), dict | list):
                        node[part] = {}
                    node = node[part]
            else:
                raise SpecError(f"--set {where}", node, "a mapping or list to set a key in")
    _check_structure("spec", raw)
    return raw


def _check_structure(field: str, value: Any) -> None:
    """SpecError unless ``value`` is within the size and nesting limits of a spec."""
    try:
        specfile.check_structure(value)
    except specfile.SpecTextError as exc:
        raise SpecError(field, value, exc.expected) from None


_TYPE_TAGS = ("str", "int", "float", "bool")  # union members pydantic names in a location


def _from_pydantic(err: ValidationError) -> SpecError:
    problems = []
    errors = err.errors(include_url=False)
    fields = [".".join(str(p) for p in e["loc"] if not (isinstance(p, str) and p.startswith(
        "function-"))) for e in errors]
    for e, field in zip(errors, fields, strict=True):
        head, _, tag = field.rpartition(".")
        if tag in _TYPE_TAGS and head in fields:  # the other member of `number | str` said why
            continue
        field = field or "spec"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "no such key here (unknown keys are not allowed)"
        elif e["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        elif e["type"] == "union_tag_invalid":
            msg = msg.replace("Input tag", "dist/kind")
        problems.append(Problem(field, e.get("input"), msg))
    return SpecError(problems)


def parse(raw: Mapping[str, Any]) -> DatasetSpec:
    """Schema validation only (types, unknown keys, ranges)."""
    try:
        return DatasetSpec.model_validate(raw)
    except ValidationError as err:
        raise _from_pydantic(err) from None


# ---------------------------------------------------------------------------------------------
def resolve(source: str | Path | Mapping[str, Any] | DatasetSpec,
            overrides: Iterable[str] = ()) -> ResolvedSpec:
    """Validate completely and return the resolved spec (every default filled).

    The steps: read and parse the spec, resolve each class (simulator, settings, priors,
    parameter noise), check the classes against each other, fix ``n``, check the splits, and
    assemble the dict; finally the run's size is checked against the memory budget
    (:mod:`deepbench.dataset.budget`).

    Raises
    ------
    SpecError
        Naming the field path, the value and what is allowed, for every problem found.
    """
    spec = source if isinstance(source, DatasetSpec) else parse(
        apply_overrides(load_spec(source), overrides))
    entries, prefix, problems = _entries(spec)
    classes, sims, more = _resolve_classes(spec, entries, prefix)
    problems += more
    if problems:
        raise SpecError(problems)
    problems += _check_classes(spec, classes, sims, prefix)
    n, more = _resolve_n(spec, classes)
    problems += more
    if spec.splits is not None:
        problems += _check_splits(spec.splits, _label_columns(classes), [c["name"] for c in classes])
    if problems:
        raise SpecError(problems)
    resolved = _assemble(spec, n, classes)
    budget.check_memory(resolved)  # chunk size and count within the memory budget
    return resolved


def _entries(spec: DatasetSpec) -> tuple[list[ClassSpec], list[str], list[Problem]]:
    """The classes to resolve (a single simulator is one class) and their field-path prefixes."""
    if (spec.simulator is None) == (spec.classes is None):
        raise SpecError("simulator", spec.simulator, "exactly one of 'simulator' or 'classes'")
    if spec.classes is None:
        assert spec.simulator is not None
        return ([ClassSpec(simulator=spec.simulator, config={}, params={},
                           param_noise=spec.param_noise)], [""], [])
    problems = []
    if spec.param_noise:
        problems.append(Problem("param_noise", spec.param_noise,
                                "parameter noise inside each entry of 'classes'"))
    return list(spec.classes), [f"classes.{i}." for i in range(len(spec.classes))], problems


def _resolve_classes(spec: DatasetSpec, entries: list[ClassSpec], prefix: list[str]
                     ) -> tuple[list[dict[str, Any]], list[Simulator], list[Problem]]:
    """Each class resolved: simulator with settings, priors with defaults, parameter noise."""
    classes: list[dict[str, Any]] = []
    sims: list[Simulator] = []
    problems: list[Problem] = []
    for entry, pre in zip(entries, prefix, strict=True):
        try:
            cls = registry.get(entry.simulator, field=pre + "simulator")
            sim = cls({**spec.config, **entry.config},
                      path="config" if not entry.config else pre + "config")
        except SpecError as exc:
            problems += exc.problems
            continue
        sims.append(sim)
        params, more = _resolve_params(sim, spec.params, entry.params, pre)
        problems += more
        noise, more = _resolve_noise(params, entry.param_noise,
                                     "param_noise" if not pre else pre + "param_noise")
        problems += more
        classes.append({
            "name": entry.name or sim.name.rsplit(".", 1)[-1],
            "simulator": sim.name,
            "simulator_version": sim.version,
            "weight": entry.weight,
            "config": _jsonable(sim.config),
            "params": params,
            "param_noise": noise,
        })
    return classes, sims, problems


def _check_classes(spec: DatasetSpec, classes: list[dict[str, Any]], sims: list[Simulator],
                   prefix: list[str]) -> list[Problem]:
    """Classes against each other: distinct names, the same outputs, no grid in a mixture."""
    problems: list[Problem] = []
    names = [c["name"] for c in classes]
    if len(set(names)) != len(names):
        problems.append(Problem("classes", names, "distinct class names (set 'name' per class)"))
    problems += _check_outputs(sims, spec, prefix)
    if spec.classes is not None and any(
            p["dist"] == "grid" for c in classes for p in c["params"].values()):
        problems.append(Problem("classes", "grid", "grid priors only with a single simulator"))
    return problems


def _resolve_n(spec: DatasetSpec, classes: list[dict[str, Any]]) -> tuple[int | None, list[Problem]]:
    """The number of samples: given, or grid size × repeat for a full factorial."""
    grids = [p for p in classes[0]["params"].values() if p["dist"] == "grid"]
    grid_size = math.prod(len(p["values"]) for p in grids) if len(classes) == 1 else 1
    n = spec.n
    if grids:
        if n is None:
            return grid_size * spec.repeat, []
        if n != grid_size * spec.repeat:
            return n, [Problem("n", n, f"grid size × repeat = {grid_size} × {spec.repeat} = "
                               f"{grid_size * spec.repeat} (or leave n out)")]
    elif n is None:
        return n, [Problem("n", None, "a number of samples > 0")]
    elif spec.repeat != 1:
        return n, [Problem("repeat", spec.repeat, "1 unless a parameter has a grid prior")]
    return n, []


def _assemble(spec: DatasetSpec, n: int | None, classes: list[dict[str, Any]]) -> ResolvedSpec:
    """The resolved spec (its JSON form is hashed into the run id)."""
    return ResolvedSpec.from_json({
        "format": SPEC_FORMAT,
        "name": spec.name,
        "seed": spec.seed,
        "n": n,
        "repeat": spec.repeat,
        "chunk_size": spec.chunk_size,
        "on_invalid": spec.on_invalid,
        "classes": classes,
        "obs_noise": {k: v.model_dump() for k, v in spec.obs_noise.items()},
        "splits": spec.splits.model_dump(by_alias=True, exclude_none=True)
        if spec.splits else None,
        "output": spec.output.model_dump(exclude_none=True),
    })


def _resolve_params(sim: Simulator, shared: Mapping[str, Any], own: Mapping[str, Any],
                    pre: str) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    declared = {p.name: p for p in sim.params}
    given: dict[str, tuple[str, Any]] = {}
    for source, path in ((shared, "params"), (own, pre + "params")):
        for key, prior in source.items():
            if key not in declared:
                close = difflib.get_close_matches(key, declared, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(Problem(f"{path}.{key}", prior.model_dump(exclude={"integer"}),
                                        f"a parameter of {sim.name} ({hint}"
                                        f"known: {', '.join(declared)})"))
                continue
            given[key] = (f"{path}.{key}", prior)

    # alternative parameterisations: exactly one option per canonical parameter
    unused: set[str] = set()
    for alt in sim.alternatives:
        chosen = [opt for opt in alt.options if any(name in given for name in opt)]
        if len(chosen) > 1:
            problems.append(Problem(f"{pre}params", sorted(n for o in chosen for n in o if n in given),
                                    "exactly one of " + " or ".join(
                                        "(" + ", ".join(o) + ")" for o in alt.options)))
            continue
        option = chosen[0] if chosen else alt.options[0]
        for opt in alt.options:
            if opt is not option:
                unused.update(opt)

    inactive = sim.inactive()
    for name, why in inactive.items():
        if name in given:
            problems.append(Problem(given[name][0], given[name][1].model_dump(exclude={"integer"}),
                                    f"no value: {name} is unused here ({why})"))
    params: dict[str, Any] = {}
    for p in sim.params:
        if p.name in unused or p.name in inactive:
            continue
        if p.name in given:
            path, prior = given[p.name]
        else:
            if p.default is None:
                problems.append(Problem(f"{pre}params.{p.name}", None,
                                        f"a value or prior: {p.allowed()}; {p.doc}"))
                continue
            path, prior = f"{pre}params.{p.name}", Constant(value=p.default)
        problems += _check_prior(p, prior, path)
        params[p.name] = prior.model_dump(exclude={"integer"})
    return params, problems


def _check_prior(p: Any, prior: Any, path: str) -> list[Problem]:
    lo, hi = prior.support()
    shown = prior.model_dump(exclude={"integer"})
    if isinstance(prior, Grid | Constant) or prior.dist == "choice":
        values = prior.values if hasattr(prior, "values") else [prior.value]
        bad = [v for v in values if not p.contains([v])[0]]
        if bad:
            return [Problem(path, shown, f"values with {p.allowed()}; {bad} are outside")]
        return []
    if p.kind == "int" and not prior.integer:
        return [Problem(path, shown, f"an integer prior (integers, poisson, choice, grid) for "
                        f"{p.name}: {p.allowed()}")]
    if not p.interval_inside(lo, hi):
        return [Problem(path, shown, f"a prior whose support [{lo:g}, {hi:g}] stays within "
                        f"{p.allowed()}")]
    return []


def _resolve_noise(params: Mapping[str, Any], noise: Mapping[str, ParamNoise],
                   path: str) -> tuple[dict[str, Any], list[Problem]]:
    problems = []
    for key in noise:
        if key not in params:
            problems.append(Problem(f"{path}.{key}", noise[key].model_dump(),
                                    f"a parameter being drawn ({', '.join(params)})"))
    return {k: v.model_dump() for k, v in noise.items() if k in params}, problems


def _check_outputs(sims: list[Simulator], spec: DatasetSpec, prefix: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    first = {o.name: o for o in sims[0].outputs()}
    for sim, pre in zip(sims[1:], prefix[1:], strict=False):
        other = {o.name: (o.shape, o.dtype) for o in sim.outputs()}
        mine = {k: (o.shape, o.dtype) for k, o in first.items()}
        if other != mine:
            problems.append(Problem(pre + "simulator", sim.name,
                                    f"a simulator with the same outputs as the first class {mine}; "
                                    f"got {other}"))
    for key, noise in spec.obs_noise.items():
        if key not in first or not first[key].noisy:
            allowed = [k for k, o in first.items() if o.noisy]
            problems.append(Problem(f"obs_noise.{key}", noise.model_dump(),
                                    f"an output that takes noise ({', '.join(allowed)})"))
    for key, dtype in spec.output.dtype.items():
        if key not in first:
            problems.append(Problem(f"output.dtype.{key}", dtype,
                                    f"a declared output ({', '.join(first)})"))
    return problems


def _label_columns(classes: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for c in classes:
        cols += [k for k in c["params"] if k not in cols]
    return cols


def _check_splits(splits: SplitSpec, columns: list[str], class_names: list[str]) -> list[Problem]:
    problems = []
    allowed = columns + ["class_index", "class"]
    for name, cond in splits.ood.items():
        for col, comp in cond.items():
            path = f"splits.ood.{name}.{col}"
            if col not in allowed:
                problems.append(Problem(path, comp.model_dump(by_alias=True, exclude_none=True),
                                        f"a label column ({', '.join(allowed)})"))
                continue
            values = [comp.eq, comp.ne, *(comp.in_ or [])]
            if col == "class":
                if any(getattr(comp, k) is not None for k in ("gt", "ge", "lt", "le")):
                    problems.append(Problem(path, comp.model_dump(by_alias=True, exclude_none=True),
                                            "eq, ne or in with class names"))
                bad = [v for v in values if v is not None and v not in class_names]
                if bad:
                    problems.append(Problem(path, bad, f"class names ({', '.join(class_names)})"))
            elif any(isinstance(v, str) for v in values):
                problems.append(Problem(path, [v for v in values if isinstance(v, str)],
                                        f"numbers to compare {col} with"))
    return problems


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value

"""Contract checks for simulators: call :func:`check_simulator` in your own tests.

Every DeepBench simulator, built-in or from a plugin package, promises the same things: a complete
declaration, outputs that match it, determinism given the ``rng``, no hidden state and no global
random state. :func:`check_simulator` verifies these promises on a small batch built from the
declared defaults and on a few deterministic values drawn inside finite bounds, and raises
:class:`ContractError` (an ``AssertionError``) naming the simulator and every broken rule::

    from deepbench.testing import check_simulator
    from toyplugin import Constant

    def test_contract():
        check_simulator(Constant)
        check_simulator(Constant, {"size": 3})     # one call per configuration worth checking

The rules (the name in brackets is what a failure message cites):

- [name] ``name`` reads ``family.snake_name``; ``version`` is a positive integer.
- [summary] ``summary`` is a non-empty string.
- [params] each parameter has a unit string (``""`` for dimensionless), a non-empty doc, bounds
  with low <= high, a default inside the bounds or ``None``, an integer default when
  ``kind="int"``; names are unique.
- [settings] each setting has a doc and a default that passes its own check; names are unique; the
  default configuration (and the one given) is accepted.
- [alternatives] targets and options name declared parameters; deriving the target from a
  non-default option gives one finite value per sample.
- [inactive] ``inactive()`` names declared parameters.
- [schema] outputs, truth and catalogue columns are well-formed declarations (unique names, a
  valid dtype, a shape of non-negative integers, a doc); there is at least one output.
- [simulate] ``simulate`` runs on the batch and returns a :class:`SimResult`.
- [outputs] exactly the declared outputs, each ``(B, *shape)`` with the declared dtype.
- [truth] exactly the declared truth, each ``(B, *shape)`` with the declared dtype.
- [catalog] a catalogue iff columns are declared: an integer ``sample_index`` in [0, B),
  non-decreasing, and every declared column ``(R, *shape)`` with its dtype.
- [finite] floating-point outputs, truth and catalogue columns hold no NaN or infinity.
- [deterministic] the same seed gives the same bytes.
- [rng-independent] when ``stochastic`` is False, a different ``rng`` gives the same bytes.
- [batch-invariant] when ``stochastic`` is False, a batch equals its samples simulated one by one.
- [inputs-unchanged] ``simulate`` mutates neither the parameter arrays, nor the mapping holding
  them, nor ``self.config``.
- [check-params] ``check_params`` accepts the batch of defaults.
- [global-rng] ``simulate`` leaves the global ``np.random`` and ``random`` states untouched, and
  its result does not depend on the global seed.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepbench.core.params import Output, Param
from deepbench.core.simulator import SimResult, Simulator
from deepbench.errors import DeepBenchError, SpecError

__all__ = ["ContractError", "Violation", "check_simulator"]

Arrays = dict[str, np.ndarray]
_NAME = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"


@dataclass(frozen=True)
class Violation:
    """One broken rule: which (see the module docstring) and what was seen."""

    rule: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.detail}"


class ContractError(DeepBenchError, AssertionError):
    """A simulator breaks one or more contract rules; ``rules`` lists which."""

    def __init__(self, simulator: str, violations: Sequence[Violation]):
        self.simulator = simulator
        self.violations = tuple(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        n = len(self.violations)
        super().__init__(f"simulator {simulator} breaks the simulator contract "
                         f"({n} problem{'s' * (n != 1)}):\n{lines}")

    @property
    def rules(self) -> tuple[str, ...]:
        """The names of the broken rules, in the order found."""
        return tuple(v.rule for v in self.violations)


def check_simulator(cls: type[Simulator] | str, config: Mapping[str, Any] | None = None, *,
                    batch_size: int = 4, seed: int = 0) -> None:
    """Check that a simulator keeps the DeepBench simulator contract.

    Parameters
    ----------
    cls : type[Simulator] or str
        The simulator class, or a registered name.
    config : mapping, optional
        Settings for the instance under test (default: every setting's default).
    batch_size : int, default 4
        Samples per checked batch (at least 2, so that batch invariance means something).
    seed : int, default 0
        Seed of the generators handed to ``simulate`` and of the values drawn inside the bounds.

    Raises
    ------
    ContractError
        If any rule is broken; the message names the simulator and lists every broken rule with
        what was seen. It subclasses ``AssertionError``, so pytest reports it as a failure.

    Notes
    -----
    All declaration rules are checked; then the behaviour rules on three batches: defaults (a
    ``None`` default gets a typical value inside the bounds), values within max(|default| / 2, 1)
    of the defaults, and values uniform inside finite bounds (drawn from ``default_rng(seed)``,
    clipped, rounded for integers). Like the dataset pipeline, it leaves out non-default
    alternatives and ``inactive()`` parameters. A batch that the simulator's own
    ``check_params`` refuses (the pipeline would stop before any work) is not simulated, but the
    defaults must pass it. A ``stochastic`` simulator is exempt from the
    rng-independent and batch-invariant rules. After ``simulate`` raises, touches global random
    state or mutates its inputs, the remaining behaviour rules are skipped.

    Examples
    --------
    >>> from deepbench.testing import check_simulator
    >>> check_simulator("shapes.circle", {"filled": False})
    """
    if isinstance(cls, str):
        from deepbench.core import registry

        cls = registry.get(cls)
    if batch_size < 2:
        raise ValueError(f"batch_size: got {batch_size}; expected an integer >= 2")
    found = list(_declaration(cls))
    sim = _instantiate(cls, config, found)
    if sim is not None:
        found += _instance_declaration(sim)
        if not any(v.rule in ("alternatives", "schema") for v in found):
            found += _behaviour(sim, batch_size, seed)
    if found:
        raise ContractError(getattr(cls, "name", cls.__name__), _trim(found))


# -- declaration ------------------------------------------------------------------------------------
def _declaration(cls: type[Simulator]) -> Iterator[Violation]:
    import re

    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not re.match(_NAME, name):
        yield Violation("name", f"name {name!r} does not read family.snake_name")
    version = getattr(cls, "version", None)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        yield Violation("name", f"version {version!r} is not a positive integer")
    if not isinstance(cls.summary, str) or not cls.summary.strip():
        yield Violation("summary", "summary is empty: say in one line what it simulates")
    yield from _params(cls.params)
    yield from _settings(cls)
    yield from _alternatives(cls)


def _params(params: Sequence[Param]) -> Iterator[Violation]:
    if not params:
        yield Violation("params", "no parameter is declared; simulate learns the batch size from "
                        "the parameter arrays")
    seen: set[str] = set()
    for p in params:
        where = f"param {p.name!r}"
        if p.name in seen:
            yield Violation("params", f"{where} is declared twice")
        seen.add(p.name)
        if not isinstance(p.unit, str):
            yield Violation("params", f"{where} has unit {p.unit!r}; expected a string "
                            "('' only when dimensionless)")
        if not isinstance(p.doc, str) or not p.doc.strip():
            yield Violation("params", f"{where} has no doc")
        if p.kind not in ("float", "int"):
            yield Violation("params", f"{where} has kind {p.kind!r}; expected 'float' or 'int'")
        if not p.low <= p.high:  # also catches NaN bounds
            yield Violation("params", f"{where} has bounds [{p.low}, {p.high}]")
        if p.default is None:
            continue
        if isinstance(p.default, bool) or not isinstance(p.default, int | float | np.number):
            yield Violation("params", f"{where} has default {p.default!r}; expected a number")
        elif not p.contains(np.float64(p.default)) and (p.kind == "float"
                                                        or float(p.default).is_integer()):
            yield Violation("params", f"{where} has default {p.default!r} outside {p.allowed()}")
        elif p.kind == "int" and not float(p.default).is_integer():
            yield Violation("params", f"{where} is an integer parameter with default {p.default!r}")


def _settings(cls: type[Simulator]) -> Iterator[Violation]:
    seen: set[str] = set()
    for s in cls.settings:
        if s.name in seen:
            yield Violation("settings", f"setting {s.name!r} is declared twice")
        seen.add(s.name)
        if not isinstance(s.doc, str) or not s.doc.strip():
            yield Violation("settings", f"setting {s.name!r} has no doc")
        default = tuple(s.default) if isinstance(s.default, list) else s.default
        for problem in s.check(default, f"settings.{s.name}.default"):
            yield Violation("settings", f"setting {s.name!r} fails its own check: {problem}")


def _alternatives(cls: type[Simulator]) -> Iterator[Violation]:
    declared = {p.name for p in cls.params}
    for alt in cls.alternatives:
        names = [alt.target, *(n for option in alt.options for n in option)]
        unknown = [n for n in names if n not in declared]
        if unknown:
            yield Violation("alternatives", f"alternative for {alt.target!r} names undeclared "
                            f"parameters {unknown}")
        if not alt.options or not all(alt.options):
            yield Violation("alternatives", f"alternative for {alt.target!r} has an empty option")


def _instantiate(cls: type[Simulator], config: Mapping[str, Any] | None,
                 found: list[Violation]) -> Simulator | None:
    attempts = [("the default configuration", None)]
    if config is not None:
        attempts.append((f"configuration {dict(config)!r}", config))
    sim = None
    for what, cfg in attempts:
        try:
            sim = cls(cfg)
        except SpecError as exc:
            found.append(Violation("settings", f"{what} is rejected: {exc}"))
            return None
        except Exception as exc:  # a broken constructor is a finding, not a crash of the check
            found.append(Violation("settings", f"constructing with {what} raised {exc!r}"))
            return None
    return sim


def _instance_declaration(sim: Simulator) -> list[Violation]:
    found: list[Violation] = []
    declared = {p.name for p in sim.params}
    try:
        unknown = sorted(set(sim.inactive()) - declared)
        if unknown:
            found.append(Violation("inactive", f"inactive() names undeclared parameters {unknown}"))
        groups = {"outputs": sim.outputs(), "truth": sim.truth_outputs(),
                  "catalog": sim.catalog_columns()}
    except Exception as exc:
        return [*found, Violation("schema", f"declaring outputs raised {exc!r}")]
    if not groups["outputs"]:
        found.append(Violation("schema", "outputs() declares no output"))
    if any(o.name == "sample_index" for o in groups["catalog"]):
        found.append(Violation("schema", "catalog column 'sample_index' is implicit; do not declare it"))
    for group, decls in groups.items():
        found += [Violation("schema", f"{group} {d}") for d in _schema(decls)]
    return found


def _schema(decls: Sequence[Output]) -> Iterator[str]:
    seen: set[str] = set()
    for o in decls:
        if o.name in seen:
            yield f"{o.name!r} is declared twice"
        seen.add(o.name)
        try:
            np.dtype(o.dtype)
        except TypeError:
            yield f"{o.name!r} has dtype {o.dtype!r}, which numpy does not know"
        if not isinstance(o.shape, tuple) or not all(
                isinstance(n, int | np.integer) and n >= 0 for n in o.shape):
            yield f"{o.name!r} has shape {o.shape!r}; expected a tuple of non-negative integers"
        if not isinstance(o.unit, str):
            yield f"{o.name!r} has unit {o.unit!r}; expected a string"
        if not isinstance(o.doc, str) or not o.doc.strip():
            yield f"{o.name!r} has no doc"


# -- behaviour ------------------------------------------------------------------------------------
def _behaviour(sim: Simulator, n: int, seed: int) -> list[Violation]:
    found = _alternative_derivations(sim, n)
    rng = np.random.default_rng(seed)
    batches = {"defaults": _batch(sim, n, None),
               "values near the defaults": _batch(sim, n, rng, near=True),
               "values drawn inside the bounds": _batch(sim, n, rng)}
    for what, params in batches.items():
        refused = sim.check_params(params)
        if refused and what == "defaults":
            return [*found, Violation("check-params", f"check_params refuses the defaults: "
                                                      f"{refused[0]}")]
        if refused:  # values the simulator refuses before any work are never simulated
            continue
        for check in (_check_result, _check_determinism, _check_batch_invariance, _check_global_rng):
            try:
                new = check(sim, params, seed)
            except _Abort as stop:
                return [*found, Violation(stop.rule, f"{stop.detail} (batch: {what})")]
            seen = {v.rule for v in found}  # one report per rule: the first batch that breaks it
            found += [Violation(v.rule, f"{v.detail} (batch: {what})") for v in new if v.rule not in seen]
    return found


class _Abort(Exception):
    """``simulate`` failed in a way that makes the remaining checks meaningless."""

    def __init__(self, rule: str, detail: str):
        super().__init__(detail)
        self.rule, self.detail = rule, detail


def _typical(p: Param) -> float:
    """A value inside the bounds for a parameter without a default."""
    lo, hi = p.low, p.high
    if math.isfinite(lo) and math.isfinite(hi):
        value = (lo + hi) / 2
    elif math.isfinite(lo):
        value = lo + 1.0
    elif math.isfinite(hi):
        value = hi - 1.0
    else:
        value = 0.0
    return float(np.round(value)) if p.kind == "int" else value


def _active(sim: Simulator) -> list[Param]:
    """The parameters the pipeline passes: default alternative options only, none inactive."""
    skip = set(sim.inactive())
    for alt in sim.alternatives:
        skip.update(n for option in alt.options[1:] for n in option)
    return [p for p in sim.params if p.name not in skip]


def _batch(sim: Simulator, n: int, rng: np.random.Generator | None, near: bool = False) -> Arrays:
    """Float64 arrays (n,) of the active parameters.

    Without ``rng``, every value is the default. With ``rng``, a parameter with finite bounds is
    drawn uniformly inside them, or, with ``near``, every parameter is drawn uniformly within
    max(|default| / 2, 1) of its default and clipped into its bounds.
    """
    out = {}
    for p in _active(sim):
        value = _value(p)
        arr = np.full(n, value)
        if rng is not None and near:
            arr = p.clip(value + max(abs(value) / 2, 1.0) * rng.uniform(-1.0, 1.0, n))
        elif rng is not None and math.isfinite(p.low) and math.isfinite(p.high) and p.low <= p.high:
            arr = p.clip(rng.uniform(p.low, p.high, n))
        out[p.name] = arr
    return out


def _alternative_derivations(sim: Simulator, n: int) -> list[Violation]:
    found = []
    base = _batch(sim, n, None)
    for alt in sim.alternatives:
        for option in alt.options[1:]:
            params = {**base, **{name: np.full(n, _value(sim.param(name))) for name in option}}
            try:
                target = np.asarray(alt.derive(params))
            except Exception as exc:
                found.append(Violation("alternatives", f"deriving {alt.target!r} from {option} "
                                       f"raised {exc!r}"))
                continue
            if target.shape != (n,) or not np.all(np.isfinite(target)):
                found.append(Violation("alternatives", f"deriving {alt.target!r} from {option} gave "
                                       f"shape {target.shape} (finite: {np.isfinite(target).all()}); "
                                       f"expected {n} finite values"))
    return found


def _value(p: Param) -> float:
    """The default, or a typical value inside the bounds when there is no usable default."""
    usable = isinstance(p.default, int | float | np.number) and not isinstance(p.default, bool)
    return float(p.default) if usable else _typical(p)


def _run(sim: Simulator, params: Arrays, rng: np.random.Generator) -> SimResult:
    """Call ``simulate`` on copies, checking inputs and global random state around the call."""
    given = {k: v.copy() for k, v in params.items()}
    config = copy.deepcopy(sim.config)
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        result = sim.simulate(given, rng)
    except Exception as exc:
        raise _Abort("simulate", f"simulate raised {exc!r}") from exc
    if not _same_np_state(np_state, np.random.get_state()) or py_state != random.getstate():  # noqa: NPY002
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)
        raise _Abort("global-rng", "simulate changed the global np.random or random state; "
                     "draw from the rng argument instead")
    changed = sorted(set(given) ^ set(params)) + sorted(
        k for k in params if k in given and not _same(given[k], params[k]))
    if changed:
        raise _Abort("inputs-unchanged", f"simulate mutated the parameters {changed}")
    if sim.config != config:
        raise _Abort("inputs-unchanged", "simulate mutated self.config")
    if not isinstance(result, SimResult):
        raise _Abort("simulate", f"simulate returned {type(result).__name__}; expected SimResult")
    return result


def _same_np_state(a: Any, b: Any) -> bool:
    pairs = zip(a, b, strict=True)
    return all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y for x, y in pairs)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Same dtype, shape and bytes (so NaN equals NaN and -0.0 differs from 0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _arrays(result: SimResult) -> Arrays:
    """Every array of a result, keyed ``group/name``."""
    out = {f"outputs/{k}": np.asarray(v) for k, v in result.outputs.items()}
    out.update({f"truth/{k}": np.asarray(v) for k, v in result.truth.items()})
    out.update({f"catalog/{k}": np.asarray(v) for k, v in (result.catalog or {}).items()})
    return out


def _differences(a: SimResult, b: SimResult) -> list[str]:
    x, y = _arrays(a), _arrays(b)
    return sorted(set(x) ^ set(y)) + sorted(k for k in x if k in y and not _same(x[k], y[k]))


def _check_result(sim: Simulator, params: Arrays, seed: int) -> list[Violation]:
    if not params:
        raise _Abort("params", "no parameter is active, so simulate cannot learn the batch size")
    n = len(next(iter(params.values())))
    result = _run(sim, params, np.random.default_rng(seed))
    found = _compare(sim.outputs(), result.outputs, n, "outputs")
    found += _compare(sim.truth_outputs(), result.truth, n, "truth")
    found += _check_catalog(sim, result, n)
    for key, arr in _arrays(result).items():
        if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            found.append(Violation("finite", f"{key} holds {bad} NaN or infinite values"))
    return found


def _compare(decls: Sequence[Output], got: Mapping[str, Any], rows: int, rule: str
             ) -> list[Violation]:
    found = []
    declared = {o.name for o in decls}
    for extra in sorted(set(got) - declared):
        found.append(Violation(rule, f"{rule}/{extra} is returned but not declared"))
    for o in decls:
        if o.name not in got:
            found.append(Violation(rule, f"{rule}/{o.name} is declared but not returned"))
            continue
        arr = np.asarray(got[o.name])
        want = (rows, *o.shape)
        if arr.shape != want or arr.dtype != np.dtype(o.dtype):
            found.append(Violation(rule, f"{rule}/{o.name} is {arr.dtype} {arr.shape}; "
                                   f"declared {np.dtype(o.dtype)} {want}"))
    return found


def _check_catalog(sim: Simulator, result: SimResult, n: int) -> list[Violation]:
    columns = sim.catalog_columns()
    if result.catalog is None:
        return [Violation("catalog", "catalog columns are declared but simulate returned no "
                          "catalog")] if columns else []
    if not columns:
        return [Violation("catalog", "simulate returned a catalog but declares no catalog columns")]
    index = np.asarray(result.catalog.get("sample_index", np.zeros(0, dtype=np.float64)))
    if "sample_index" not in result.catalog or index.dtype.kind not in "iu" or index.ndim != 1:
        return [Violation("catalog", "catalog/sample_index must be a 1-d integer array")]
    if index.size and (index.min() < 0 or index.max() >= n or np.any(np.diff(index) < 0)):
        return [Violation("catalog", f"catalog/sample_index must be non-decreasing in [0, {n})")]
    rest = {k: v for k, v in result.catalog.items() if k != "sample_index"}
    return _compare(columns, rest, index.size, "catalog")


def _check_determinism(sim: Simulator, params: Arrays, seed: int) -> list[Violation]:
    first = _run(sim, params, np.random.default_rng(seed))
    again = _run(sim, params, np.random.default_rng(seed))
    found = []
    if diff := _differences(first, again):
        found.append(Violation("deterministic", f"the same seed gave different {diff}"))
    if not sim.stochastic:
        other = _run(sim, params, np.random.default_rng(seed + 1))
        if diff := _differences(first, other):
            found.append(Violation("rng-independent", f"stochastic is False but another rng gave "
                                   f"different {diff}; draw nothing or declare stochastic = True"))
    return found


def _check_batch_invariance(sim: Simulator, params: Arrays, seed: int) -> list[Violation]:
    if sim.stochastic:
        return []
    whole = _arrays(_run(sim, params, np.random.default_rng(seed)))
    n = len(next(iter(params.values())))
    for i in range(n):
        alone = _arrays(_run(sim, {k: v[i:i + 1] for k, v in params.items()},
                             np.random.default_rng(seed)))
        diff = sorted(set(whole) ^ set(alone)) + sorted(
            k for k in whole if k in alone and not _same(_sample(whole, k, i), alone[k]))
        if diff:
            return [Violation("batch-invariant", f"sample {i} simulated alone differs from the "
                              f"same sample in a batch of {n} in {diff}")]
    return []


def _sample(arrays: Arrays, key: str, i: int) -> np.ndarray:
    """Sample ``i`` of a batched array, or its catalogue rows (re-indexed to 0)."""
    if not key.startswith("catalog/"):
        return arrays[key][i:i + 1]
    rows = arrays["catalog/sample_index"] == i
    return np.zeros_like(arrays[key][rows]) if key == "catalog/sample_index" else arrays[key][rows]


def _check_global_rng(sim: Simulator, params: Arrays, seed: int) -> list[Violation]:
    saved = np.random.get_state()  # noqa: NPY002
    try:
        results = []
        for global_seed in (1, 2):
            np.random.seed(global_seed)  # noqa: NPY002
            results.append(_run(sim, params, np.random.default_rng(seed)))
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    if diff := _differences(*results):
        return [Violation("global-rng", f"changing the global np.random seed changed {diff}")]
    return []


def _trim(found: Sequence[Violation]) -> list[Violation]:
    """At most three violations per rule, so that a message stays readable."""
    kept: list[Violation] = []
    for v in found:
        if sum(k.rule == v.rule for k in kept) < 3:
            kept.append(v)
    return kept


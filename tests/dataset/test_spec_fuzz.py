"""Fuzzing specs: a mutated spec resolves or raises SpecError; nothing else, no hang, no damage.

A mutation is a path into one of a few valid specs (chosen by an integer) and an operation:
replace by a hostile value, delete, add an unknown key, wrap in a list or mapping, turn into a
string. Each hypothesis example checks a batch of mutated specs, so the suite checks 2,300 in a
few seconds; a spec that resolves must be JSON-able with finite numbers and compute its first
chunk with finite values and no RuntimeWarning.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_support import dataset_bytes

import deepbench
from deepbench.cli import main
from deepbench.dataset.budget import estimate
from deepbench.dataset.plan import Plan
from deepbench.dataset.spec import resolve
from deepbench.errors import SpecError

BASES: list[dict[str, Any]] = [
    {"simulator": "shapes.polygon", "n": 6, "chunk_size": 4, "seed": 3,
     "config": {"height": 8, "width": 10, "filled": False},
     "params": {"radius": {"dist": "uniform", "low": 2, "high": 4}, "n_sides": {
         "dist": "integers", "low": 3, "high": 6}, "cx": {"dist": "normal", "loc": 0, "scale": 1},
         "line_width": 1.5, "angle": {"dist": "choice", "values": [0, 1], "p": [0.5, 0.5]}},
     "param_noise": {"radius": {"sigma": 0.1, "relative": True}},
     "obs_noise": {"image": {"kind": "poisson_gaussian", "gain": 50, "sigma": 0.01}},
     "on_invalid": "clip", "output": {"store_clean": True, "dtype": {"image": "float16"}}},
    {"n": 8, "chunk_size": 5, "config": {"height": 8, "width": 8},
     "classes": [{"simulator": "shapes.circle", "weight": 1,
                  "params": {"radius": {"dist": "truncnormal", "loc": 3, "scale": 1, "low": 1,
                                        "high": 4}}},
                 {"simulator": "shapes.rectangle", "name": "box", "weight": 2.5,
                  "params": {"width": {"dist": "loguniform", "low": 1, "high": 5}}}],
     "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}},
     "splits": {"fractions": {"train": 0.5, "test": 0.5},
                "ood": {"far": {"class": {"in": ["box"]}, "cx": {"ge": -1, "lt": 2}}}}},
    {"simulator": "shapes.scene", "n": 4, "config": {"height": 10, "width": 12, "masks": True,
                                                     "kinds": ["arc", "line"], "margin": 1.0},
     "params": {"n_objects": {"dist": "grid", "values": [0, 2]}}, "repeat": 2},
]

HOSTILE: list[Any] = [
    math.inf, -math.inf, math.nan, 1e308, -1e308, 10**30, -(10**30), 2**63, -1, 0, 1e-320, 0.5,
    "abc", "1e400", "", "3", None, True, False, [], {}, [1, 2, 3], {"dist": "uniform"},
    {"dist": "normal", "loc": 0, "scale": 0}, {"kind": "gaussian"}, [[[[[[]]]]]], "x" * 5000,
    {"a": {"b": {"c": 1}}}, 10**1000, -0.0, [math.nan], {"in": [math.inf]},
]
OPS = ("replace", "replace", "replace", "delete", "unknown", "wrap_list", "wrap_dict", "string")


def mutate(spec: dict[str, Any], where: int, op: str, value: Any) -> dict[str, Any]:
    """A copy of ``spec`` with one mutation at the path that ``where`` picks (digit by digit)."""
    spec = copy.deepcopy(spec)
    parent: Any = spec
    key: Any = None
    node: Any = spec
    while isinstance(node, dict | list) and len(node) and (where % 3 or key is None):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        where //= 3
        parent, key = node, keys[where % len(keys)]
        node = parent[key]
        where //= len(keys)
    if key is None or op == "unknown":
        target = node if isinstance(node, dict) else parent
        if isinstance(target, dict):
            target["zzz_unknown"] = copy.deepcopy(value)
        return spec
    if op == "delete":
        del parent[key]
    elif op == "wrap_list":
        parent[key] = [node]
    elif op == "wrap_dict":
        parent[key] = {"value": node}
    elif op == "string":
        parent[key] = str(node)
    else:
        parent[key] = copy.deepcopy(value)
    return spec


MUTATION = st.tuples(st.integers(0, 3), st.integers(0, 10**9), st.sampled_from(OPS),
                     st.sampled_from(HOSTILE))


def outcome(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The resolved spec, or None for a SpecError; any other exception fails the test."""
    try:
        resolved = resolve(spec)
    except SpecError as exc:
        assert str(exc) and len(str(exc)) < 10_000
        return None
    text = json.dumps(resolved.to_json(), allow_nan=False)  # JSON-able, every number finite
    assert json.loads(text) == resolved.to_json()
    assert estimate(resolved).chunk_bytes > 0
    try:  # the first chunk computes with finite, in-bounds labels (RuntimeWarnings are errors)
        chunk = Plan(resolved).simulate_chunk(0)
    except SpecError:  # on_invalid: error, or noise that redraws cannot bring within bounds
        return resolved
    for group in chunk.groups.values():
        for array in group.values():
            assert array.dtype.kind in "iu" or np.isfinite(array[~np.isnan(array)]).all()
    return resolved


FUZZ = settings(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@settings(FUZZ, max_examples=100)
@given(st.randoms(use_true_random=False))
def test_randomly_mutated_specs_resolve_or_raise_spec_error(rnd):
    """100 examples × 20 specs, each with 1–3 stacked mutations."""
    for _ in range(20):
        spec = BASES[rnd.randrange(len(BASES))]
        for _ in range(rnd.randint(1, 3)):
            spec = mutate(spec, rnd.randrange(10**9), rnd.choice(OPS), rnd.choice(HOSTILE))
        outcome(spec)


@settings(FUZZ, max_examples=30)
@given(st.lists(MUTATION, min_size=10, max_size=10))
def test_mutations_drawn_by_hypothesis_resolve_or_raise_spec_error(mutations):
    """30 examples × 10 specs, from strategies hypothesis can shrink to a minimal mutation."""
    for base, where, op, value in mutations:
        outcome(mutate(BASES[base % len(BASES)], where, op, value))


def test_the_fuzzer_reaches_both_outcomes():
    mutated = [mutate(BASES[i % 3], i * 7919, OPS[i % len(OPS)], HOSTILE[i % len(HOSTILE)])
               for i in range(300)]
    results = [outcome(s) for s in mutated]
    assert 0.05 < sum(r is not None for r in results) / len(results) < 0.95
    assert all(outcome(base) for base in BASES)


def test_mutated_specs_through_the_cli_exit_0_or_2_and_never_damage_the_output(tmp_path):
    out = tmp_path / "out.h5"
    deepbench.generate(BASES[0], out)
    before = out.read_bytes()
    runner = CliRunner()
    codes = set()
    for i in range(12):
        spec = mutate(BASES[i % 3], i * 104729 + 11, OPS[i % len(OPS)], HOSTILE[(i * 5) % 31])
        path = tmp_path / f"m{i}.yaml"
        path.write_text(json.dumps(spec))  # JSON is YAML; inf/nan become .inf-like tokens
        result = runner.invoke(main, ["generate", str(path), "-o", str(out), "--overwrite",
                                      "--set", "n=3"])
        codes.add(result.exit_code)
        if result.exit_code == 0:
            with deepbench.load(out) as ds:
                assert len(ds) == 3
            before = out.read_bytes()
        else:
            assert result.exit_code == 2, result.output
            assert result.output.startswith("error: "), result.output
            assert out.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".yaml")) == \
            ["out.h5"]
    assert codes == {0, 2}


def test_a_rejected_overwrite_keeps_the_existing_file_byte_identical(tmp_path):
    out = tmp_path / "out.h5"
    deepbench.generate(BASES[2], out)
    expected = dataset_bytes(out)
    bad = copy.deepcopy(BASES[2])
    bad["config"]["margin"] = math.nan
    with pytest.raises(SpecError, match="config.margin: got nan; expected a finite number"):
        deepbench.generate(bad, out, overwrite=True)
    assert dataset_bytes(out) == expected

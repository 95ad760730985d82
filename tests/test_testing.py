"""The simulator contract: every registered simulator keeps it, and each rule catches a broken toy."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from deepbench.core import registry
from deepbench.core.params import Alternative, Output, Param, Setting
from deepbench.core.simulator import SimResult, Simulator
from deepbench.errors import DeepBenchError
from deepbench.testing import ContractError, check_simulator

# Configurations beyond the defaults that change which code runs.
EXTRA_CONFIGS = [
    ("shapes.rectangle", {"filled": False, "antialias": False}),
    ("shapes.polygon", {"filled": False}),
    ("shapes.ellipse", {"filled": False, "height": 17, "width": 23}),
    ("shapes.circle", {"filled": False}),
    ("shapes.arc", {"filled": False}),
    ("shapes.line", {"antialias": False}),
    ("shapes.scene", {"masks": True, "filled": False, "kinds": ["polygon", "arc"]}),
]


@pytest.mark.parametrize("name", registry.names())
def test_every_registered_simulator_keeps_the_contract(name):
    check_simulator(registry.get(name))


@pytest.mark.parametrize("name, config", EXTRA_CONFIGS, ids=[f"{n}-{c}" for n, c in EXTRA_CONFIGS])
def test_shapes_keep_the_contract_in_other_configurations(name, config):
    check_simulator(name, config)


# -- a toy that keeps the contract, and broken variants of it -------------------------------------
class Blob(Simulator):
    """A round Gaussian blob on a small square image."""

    name = "toy.blob"
    summary = "round Gaussian blob"
    params = (Param("amplitude", 1.0, "", "peak value", low=0.0, high=10.0),
              Param("sigma", 2.0, "px", "standard deviation", low=0.0, open_low=True, high=8.0),
              Param("n_rings", 1, "", "number of rings", low=0, high=3, kind="int"),
              Param("fwhm", None, "px", "full width at half maximum (alternative to sigma)",
                    low=0.0, open_low=True, high=20.0))
    settings = (Setting("size", 8, "image side", int, low=2, high=64, unit="px"),)
    alternatives = (Alternative("sigma", (("sigma",), ("fwhm",)), lambda p: p["fwhm"] / 2.3548),)

    def outputs(self) -> tuple[Output, ...]:
        n = self.config["size"]
        return (Output("image", (n, n), "float32", "", "the blob"),)

    def truth_outputs(self) -> tuple[Output, ...]:
        return (Output("total", (), "float64", "", "sum over the image"),)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        x = np.arange(self.config["size"]) - (self.config["size"] - 1) / 2
        r2 = x[None, :, None] ** 2 + x[None, None, :] ** 2
        s2 = 2 * params["sigma"][:, None, None] ** 2
        img = params["amplitude"][:, None, None] * np.exp(-r2 / s2)
        img *= 1 + np.cos(params["n_rings"][:, None, None] * np.sqrt(r2)) / 4
        return SimResult({"image": img.astype(np.float32)}, {"total": img.sum(axis=(1, 2))})


class Dots(Blob):
    """A stochastic toy with a catalogue: n_rings random dots per sample."""

    name = "toy.dots"

    @property
    def stochastic(self) -> bool:
        return True

    def catalog_columns(self) -> tuple[Output, ...]:
        return (Output("x", (), "float64", "px", "dot column"),)

    def simulate(self, params: Mapping[str, np.ndarray], rng: np.random.Generator) -> SimResult:
        result = Blob.simulate(self, params, rng)
        counts = params["n_rings"].astype(np.int64)
        index = np.repeat(np.arange(counts.size), counts)
        return SimResult(result.outputs, result.truth,
                         {"sample_index": index, "x": rng.uniform(0, 8, index.size)})


def variant(base: type[Simulator] = Blob, **attrs: Any) -> type[Simulator]:
    """A subclass of ``base`` with some attributes replaced."""
    return type("Broken", (base,), attrs)


def simulate_then(change):  # type: ignore[no-untyped-def]
    """A ``simulate`` that calls the good one, then lets ``change`` spoil its result or inputs."""
    def simulate(self, params, rng):  # type: ignore[no-untyped-def]
        result = Blob.simulate(self, params, rng)
        change(self, params, rng, result)
        return result
    return simulate


def set_output(name, value):  # type: ignore[no-untyped-def]
    return simulate_then(lambda s, p, r, res: res.outputs.__setitem__(name, value(res.outputs)))


def test_good_toys_pass():
    check_simulator(Blob)
    check_simulator(Blob, {"size": 5})
    check_simulator(Dots)


def p(name: str = "amplitude", **changes: Any) -> tuple[Param, ...]:
    """Blob's parameters with one of them changed."""
    from dataclasses import replace

    return tuple(replace(q, **changes) if q.name == name else q for q in Blob.params)


DECLARATION = {
    "name-not-dotted": (variant(name="blob"), "name", "family.snake_name"),
    "name-capitals": (variant(name="toy.Blob"), "name", "family.snake_name"),
    "version-zero": (variant(version=0), "name", "positive integer"),
    "empty-summary": (variant(summary="  "), "summary", "summary is empty"),
    "no-params": (variant(params=(), alternatives=()), "params", "no parameter"),
    "unit-missing": (variant(params=p(unit=None)), "params", "'amplitude' has unit None"),
    "doc-missing": (variant(params=p(doc="")), "params", "'amplitude' has no doc"),
    "default-out-of-bounds": (variant(params=p(default=11.0)), "params", "default 11.0 outside"),
    "default-on-open-bound": (variant(params=p("sigma", default=0.0)), "params", "outside"),
    "int-default-not-integer": (variant(params=p("n_rings", default=1.5)), "params",
                                "integer parameter with default 1.5"),
    "default-not-a-number": (variant(params=p(default="1")), "params", "expected a number"),
    "bounds-reversed": (variant(params=p(low=5.0, high=1.0, default=None)), "params", "bounds"),
    "duplicate-param": (variant(params=(*Blob.params, Blob.params[0])), "params", "declared twice"),
    "setting-default-fails": (variant(settings=(Setting("size", 1, "image side", int, low=2),)),
                              "settings", "fails its own check"),
    "setting-doc-missing": (variant(settings=(Setting("size", 8, "", int),)), "settings", "no doc"),
    "alternative-undeclared": (variant(alternatives=(Alternative("sigma", (("sigma",), ("fwhm2",)),
                                                                 lambda q: q["fwhm2"]),)),
                               "alternatives", r"undeclared parameters \['fwhm2'\]"),
    "alternative-derive-breaks": (variant(alternatives=(Alternative("sigma", (("sigma",), ("fwhm",)),
                                                                    lambda q: q["fwhm"][:1]),)),
                                  "alternatives", "expected 4 finite values"),
    "inactive-undeclared": (variant(inactive=lambda self: {"gamma": "never used"}), "inactive",
                            "'gamma'"),
    "bad-dtype": (variant(outputs=lambda self: (Output("image", (8, 8), "float33", "", "x"),)),
                  "schema", "dtype 'float33'"),
    "output-doc-missing": (variant(outputs=lambda self: (Output("image", (8, 8), "float32", "", ""),)),
                           "schema", "no doc"),
    "no-outputs": (variant(outputs=lambda self: ()), "schema", "declares no output"),
    "duplicate-truth": (variant(truth_outputs=lambda self: (Blob.truth_outputs(self)[0],) * 2),
                        "schema", "truth 'total' is declared twice"),
}


@pytest.mark.parametrize("cls, rule, text", DECLARATION.values(), ids=DECLARATION.keys())
def test_each_declaration_rule_catches_its_break(cls, rule, text):
    with pytest.raises(ContractError, match=text) as info:
        check_simulator(cls)
    assert rule in info.value.rules
    assert f"[{rule}]" in str(info.value)


def bump_global(self, params, rng, result):  # type: ignore[no-untyped-def]
    result.outputs["image"] += np.random.random()  # noqa: NPY002 - the bug under test


def read_global(self, params, rng, result):  # type: ignore[no-untyped-def]
    result.outputs["image"] += np.random.get_state()[1][0] % 7  # noqa: NPY002 - the bug under test


def hidden_counter(self, params, rng, result):  # type: ignore[no-untyped-def]
    type(self).calls = getattr(type(self), "calls", 0) + 1
    result.outputs["image"] += type(self).calls


def batch_normalised(self, params, rng, result):  # type: ignore[no-untyped-def]
    result.outputs["image"] /= result.outputs["image"].max()


def mutate(self, params, rng, result):  # type: ignore[no-untyped-def]
    params["amplitude"] *= 2


def raise_error(self, params, rng):  # type: ignore[no-untyped-def]
    raise ZeroDivisionError("oops")


BEHAVIOUR = {
    "wrong-shape": (set_output("image", lambda o: o["image"][:, :, :-1]), "outputs",
                    r"outputs/image is float32 \(4, 8, 7\); declared float32 \(4, 8, 8\)"),
    "wrong-dtype": (set_output("image", lambda o: o["image"].astype(np.float64)), "outputs",
                    "outputs/image is float64"),
    "undeclared-output": (set_output("extra", lambda o: o["image"]), "outputs",
                          "outputs/extra is returned but not declared"),
    "missing-output": (simulate_then(lambda s, p, r, res: res.outputs.pop("image")), "outputs",
                       "outputs/image is declared but not returned"),
    "truth-shape": (simulate_then(lambda s, p, r, res: res.truth.__setitem__(
        "total", res.truth["total"][:, None])), "truth", r"truth/total is float64 \(4, 1\)"),
    "not-finite": (simulate_then(lambda s, p, r, res: res.outputs["image"].__setitem__(
        (0, 0, 0), np.nan)), "finite", "outputs/image holds 1 NaN"),
    "global-rng-used": (simulate_then(bump_global), "global-rng", "changed the global"),
    "global-seed-read": (simulate_then(read_global), "global-rng", "global np.random seed changed"),
    "non-deterministic": (simulate_then(hidden_counter), "deterministic",
                          r"the same seed gave different \['outputs/image'\]"),
    "batch-dependent": (simulate_then(batch_normalised), "batch-invariant", "simulated alone differs"),
    "mutates-params": (simulate_then(mutate), "inputs-unchanged", r"mutated the parameters \['amplitude'\]"),
    "adds-a-param": (simulate_then(lambda s, p, r, res: p.__setitem__("x", p["sigma"])),
                     "inputs-unchanged", r"\['x'\]"),
    "mutates-config": (simulate_then(lambda s, p, r, res: s.config.__setitem__("size", 9)),
                       "inputs-unchanged", "self.config"),
    "raises": (raise_error, "simulate", "ZeroDivisionError"),
    "returns-a-dict": (lambda self, params, rng: {"image": 0}, "simulate", "returned dict"),
}


@pytest.mark.parametrize("simulate, rule, text", BEHAVIOUR.values(), ids=BEHAVIOUR.keys())
def test_each_behaviour_rule_catches_its_break(simulate, rule, text):
    with pytest.raises(ContractError, match=text) as info:
        check_simulator(variant(simulate=simulate))
    assert rule in info.value.rules


def test_rng_use_needs_stochastic_true():
    noisy = simulate_then(lambda s, p, r, res: res.outputs["image"].__iadd__(
        r.standard_normal(res.outputs["image"].shape, dtype=np.float32)))
    with pytest.raises(ContractError, match="stochastic is False but another rng") as info:
        check_simulator(variant(simulate=noisy))
    assert info.value.rules[0] == "rng-independent"
    check_simulator(variant(simulate=noisy, stochastic=property(lambda self: True)))


def spoil_catalog(change):  # type: ignore[no-untyped-def]
    def simulate(self, params, rng):  # type: ignore[no-untyped-def]
        result = Dots.simulate(self, params, rng)
        change(result.catalog)
        return result
    return simulate


CATALOG = {
    "missing": (variant(Dots, simulate=Blob.simulate), "catalog columns are declared but"),
    "undeclared": (variant(Blob, simulate=Dots.simulate), "declares no catalog columns"),
    "index-out-of-range": (variant(Dots, simulate=spoil_catalog(
        lambda c: c["sample_index"].__iadd__(4))), r"non-decreasing in \[0, 4\)"),
    "index-float": (variant(Dots, simulate=spoil_catalog(
        lambda c: c.__setitem__("sample_index", c["sample_index"] * 1.0))), "1-d integer array"),
    "column-shape": (variant(Dots, simulate=spoil_catalog(
        lambda c: c.__setitem__("x", c["x"][:, None]))), "catalog/x is float64"),
}


@pytest.mark.parametrize("cls, text", CATALOG.values(), ids=CATALOG.keys())
def test_catalog_rule_catches_its_break(cls, text):
    with pytest.raises(ContractError, match=text) as info:
        check_simulator(cls)
    assert info.value.rules[0] == "catalog"


def test_failures_name_the_simulator_and_every_broken_rule():
    cls = variant(name="toy.bad", summary="", simulate=simulate_then(batch_normalised))
    with pytest.raises(AssertionError) as info:  # plain pytest / unittest code can catch this
        check_simulator(cls)
    err = info.value
    assert isinstance(err, ContractError) and isinstance(err, DeepBenchError)
    assert str(err).startswith("simulator toy.bad breaks the simulator contract (2 problems):")
    assert err.rules == ("summary", "batch-invariant")


def test_global_random_state_is_restored_even_for_a_sim_that_uses_it():
    np.random.seed(5)  # noqa: NPY002 - the state under test
    random.seed(5)
    before, py_before = np.random.get_state()[1].copy(), random.getstate()  # noqa: NPY002
    with pytest.raises(ContractError):
        check_simulator(variant(simulate=simulate_then(bump_global)))
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    assert random.getstate() == py_before


def test_a_rejected_config_is_reported():
    with pytest.raises(ContractError, match=r"\[settings\] configuration \{'size': 1\} is rejected"):
        check_simulator(Blob, {"size": 1})


def test_by_name_and_batch_size():
    check_simulator("shapes.circle", batch_size=2)
    with pytest.raises(ValueError, match="batch_size: got 1"):
        check_simulator(Blob, batch_size=1)


def test_the_readme_example_keeps_the_contract():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Writing a simulator", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    check_simulator(namespace["Pendulum"])
    check_simulator(namespace["Pendulum"], {"n_steps": 2})

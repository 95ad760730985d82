"""Every malformed spec fails before any work, naming the field, the value and what is allowed."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

from deepbench.dataset.spec import apply_overrides, resolve
from deepbench.errors import SpecError

BASE = {"simulator": "shapes.circle", "n": 10, "params": {"radius": 4}}


def with_(**changes):
    spec = copy.deepcopy(BASE)
    spec.update(changes)
    return spec


MALFORMED = [
    # (spec, field named in the message, fragment of what is allowed)
    (with_(simulator="shapes.circel"), "simulator", "did you mean 'shapes.circle'"),
    (with_(colour="red"), "colour", "unknown keys are not allowed"),
    (with_(n=0), "n", "greater than 0"),
    (with_(n="many"), "n", "valid integer"),
    (with_(seed=-1), "seed", "greater than or equal to 0"),
    (with_(chunk_size=0), "chunk_size", "greater than 0"),
    (with_(params={"radius": {"dist": "normal", "loc": 5, "scale": 1}}), "params.radius",
     "support [-inf, inf] stays within a number > 0"),
    (with_(params={"radius": {"dist": "uniform", "low": -1, "high": 3}}), "params.radius",
     "stays within a number > 0"),
    (with_(params={"raduis": 4}), "params.raduis", "did you mean 'radius'"),
    (with_(params={"radius": {"dist": "gaussian", "loc": 4}}), "params.radius", "dist"),
    (with_(params={"radius": {"dist": "uniform", "low": 5, "high": 2}}), "params.radius",
     "greater than low"),
    (with_(config={"height": 4}), "config.height", "[8, 1024]"),
    (with_(config={"antialias": "yes"}), "config.antialias", "type bool"),
    (with_(config={"colour": 1}), "config.colour", "a setting of shapes.circle"),
    (with_(obs_noise={"image": {"kind": "gaussian", "sigma": -1}}), "obs_noise.image.gaussian.sigma",
     "greater than or equal to 0"),
    (with_(obs_noise={"picture": {"kind": "gaussian", "sigma": 1}}), "obs_noise.picture",
     "an output that takes noise"),
    (with_(param_noise={"width": {"sigma": 0.1}}), "param_noise.width", "a parameter being drawn"),
    (with_(on_invalid="ignore"), "on_invalid", "'resample', 'clip' or 'error'"),
    (with_(splits={"ood": {"far": {"radius": {"bigger": 3}}}}), "splits.ood.far.radius.bigger",
     "unknown keys"),
    (with_(splits={"ood": {"far": {"length": {"gt": 3}}}}), "splits.ood.far.length",
     "a label column"),
    (with_(splits={"fractions": {"train": 0.9, "test": 0.3}}), "splits", "sum to at most 1"),
    (with_(output={"compression": "zip"}), "output.compression", "'gzip', 'lzf' or 'none'"),
    (with_(output={"dtype": {"mask": "float32"}}), "output.dtype.mask", "a declared output"),
    (with_(simulator=None), "simulator", "exactly one of 'simulator' or 'classes'"),
    (with_(params={"radius": {"dist": "grid", "values": [2, 3]}}, n=5), "n",
     "grid size × repeat = 2 × 1 = 2"),
    ({"simulator": "shapes.polygon", "n": 3, "params": {"radius": 3, "side": 2}}, "params",
     "exactly one of (radius) or (side)"),
    ({"simulator": "shapes.polygon", "n": 3, "params": {"n_sides": {"dist": "uniform", "low": 3,
                                                                     "high": 6}}},
     "params.n_sides", "an integer prior"),
    ({"n": 4, "classes": [{"simulator": "shapes.circle"},
                          {"simulator": "shapes.circle", "config": {"height": 30}}]},
     "classes.1.simulator", "the same outputs"),
    ({"n": 4, "classes": [{"simulator": "shapes.circle", "weight": 0}]}, "classes.0.weight",
     "greater than 0"),
]


@pytest.mark.parametrize("spec, field, allowed", MALFORMED,
                         ids=[f"{i}-{m[1]}" for i, m in enumerate(MALFORMED)])
def test_malformed_spec_names_field_value_and_allowed(spec, field, allowed):
    with pytest.raises(SpecError) as info:
        resolve(spec)
    text = str(info.value)
    assert field in text, text
    assert allowed in text, text
    assert "got" in text


def test_there_are_at_least_fifteen_malformed_cases():
    assert len(MALFORMED) >= 15


def test_resolve_fills_every_default_and_leaves_the_input_untouched():
    spec = copy.deepcopy(BASE)
    resolved = resolve(spec)
    assert spec == BASE
    (cls,) = resolved.classes
    assert cls.config == {"height": 28, "width": 28, "antialias": True, "filled": True}
    assert cls.params["cx"] == {"dist": "constant", "value": 0.0}
    assert cls.params["radius"] == {"dist": "constant", "value": 4}
    assert resolved.output.compression == "gzip"


def test_several_problems_are_reported_together():
    with pytest.raises(SpecError) as info:
        resolve(with_(n=0, chunk_size=0))
    assert len(info.value.problems) == 2


def test_grid_sets_n_from_grid_size_and_repeat():
    resolved = resolve({"simulator": "shapes.circle", "repeat": 3,
                        "params": {"radius": {"dist": "grid", "values": [2, 3, 4]},
                                   "cx": {"dist": "grid", "values": [0, 1]}}})
    assert resolved.n == 18


def test_overrides_make_the_complexity_ladder_easy():
    raw = {"simulator": "shapes.circle", "n": 5,
           "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.2}}}
    out = apply_overrides(raw, ["obs_noise={}", "params.radius=3.5", "config.height=12"])
    assert out["obs_noise"] == {} and out["params"]["radius"] == 3.5
    assert out["config"]["height"] == 12 and raw["obs_noise"]  # the input is not mutated
    with pytest.raises(SpecError, match="--set"):
        apply_overrides(raw, ["novalue"])


def test_example_specs_resolve(tmp_path):
    from conftest import EXAMPLES

    paths = sorted(EXAMPLES.glob("*.yaml"))
    assert len(paths) >= 3
    for path in paths:
        assert resolve(path).n > 0


def test_parameters_unused_by_the_configuration_are_rejected_and_not_stored():
    with pytest.raises(SpecError, match="params.line_width.*config.filled: false"):
        resolve({"simulator": "shapes.circle", "n": 2, "params": {"line_width": 2}})
    filled = resolve({"simulator": "shapes.circle", "n": 2}).classes[0].params
    outline = resolve({"simulator": "shapes.circle", "n": 2, "config": {"filled": False},
                       "params": {"line_width": 2}}).classes[0].params
    assert "line_width" not in filled and outline["line_width"]["value"] == 2


def test_angles_given_in_degrees_by_mistake_are_caught():
    with pytest.raises(SpecError, match=r"params.angle.*\(unit: rad\)"):
        resolve({"simulator": "shapes.rectangle", "n": 2,
                 "params": {"angle": {"dist": "uniform", "low": 0, "high": 90}}})


INF, NAN = float("inf"), float("nan")
SCENE = {"simulator": "shapes.scene", "n": 4}
TWO = {"n": 4, "classes": [{"simulator": "shapes.circle"}, {"simulator": "shapes.rectangle"}]}
NON_FINITE = [
    # (spec, field named in the message, fragment of what is allowed)
    (with_(params={"cx": INF}), "params.cx.constant.value", "a finite number"),
    (with_(params={"radius": NAN}), "params.radius.constant.value", "a finite number"),
    (with_(params={"radius": 10**400}), "params.radius.constant.value",
     "a number of magnitude at most 1e+100"),
    (with_(params={"cx": {"dist": "normal", "loc": 0, "scale": INF}}), "params.cx.normal.scale",
     "a finite number"),
    (with_(params={"cx": {"dist": "normal", "loc": NAN, "scale": 1}}), "params.cx.normal.loc",
     "a finite number"),
    (with_(params={"cx": {"dist": "uniform", "low": -1e308, "high": 1e308}}),
     "params.cx.uniform.low", "a number of magnitude at most 1e+100"),
    (with_(params={"cx": {"dist": "uniform", "low": "-1e300", "high": 1}}),
     "params.cx.uniform.low", "a number of magnitude at most 1e+100"),
    (with_(params={"cx": {"dist": "poisson", "lam": 1e16}}), "params.cx.poisson.lam",
     "Input should be less than or equal to 1000000000000000"),
    (with_(params={"cx": {"dist": "choice", "values": [1, 2], "p": [INF, 0]}}),
     "params.cx.choice.p.0", "a finite number"),
    (with_(params={"cx": {"dist": "integers", "low": -10**130, "high": 3}}),
     "params.cx.integers.low", "a number of magnitude at most 1e+100"),
    (with_(params={"cx": {"dist": "grid", "values": [0, NAN]}}), "params.cx.grid.values.1",
     "a finite number"),
    ({**TWO, "classes": [{"simulator": "shapes.circle", "weight": INF},
                         {"simulator": "shapes.rectangle"}]}, "classes.0.weight",
     "a finite number"),
    ({**TWO, "classes": [{"simulator": "shapes.circle", "weight": 1e308},
                         {"simulator": "shapes.rectangle", "weight": 1e308}]},
     "classes.0.weight", "a number of magnitude at most 1e+100"),
    (with_(obs_noise={"image": {"kind": "gaussian", "sigma": INF}}),
     "obs_noise.image.gaussian.sigma", "a finite number"),
    (with_(obs_noise={"image": {"kind": "poisson", "gain": 1e300}}),
     "obs_noise.image.poisson.gain", "a number of magnitude at most 1e+100"),
    (with_(obs_noise={"image": {"kind": "poisson", "gain": 1e20}}),
     "obs_noise.image.poisson.gain", "Input should be less than or equal to 1000000000000000"),
    (with_(obs_noise={"image": {"kind": "poisson_gaussian", "gain": 1, "sigma": NAN}}),
     "obs_noise.image.poisson_gaussian.sigma", "a finite number"),
    (with_(param_noise={"radius": {"sigma": INF}}), "param_noise.radius.sigma",
     "a finite number"),
    (with_(splits={"fractions": {"train": NAN}}), "splits.fractions.train", "a finite number"),
    (with_(splits={"ood": {"far": {"radius": {"gt": NAN}}}}), "splits.ood.far.radius.gt",
     "a finite number"),
    (with_(splits={"ood": {"far": {"radius": {"in": [1, INF]}}}}), "splits.ood.far.radius.in.1",
     "a finite number"),
    ({**SCENE, "config": {"margin": NAN}}, "config.margin", "a finite number"),
    ({**SCENE, "config": {"size_max": INF}}, "config.size_max", "a finite number"),
]


@pytest.mark.parametrize("spec, field, allowed", NON_FINITE,
                         ids=[f"{i}-{m[1]}" for i, m in enumerate(NON_FINITE)])
def test_non_finite_and_overflowing_numbers_are_refused(spec, field, allowed):
    with pytest.raises(SpecError, match=rf"{re.escape(field)}: got .*; expected {re.escape(allowed)}"):
        resolve(spec)


def test_the_largest_allowed_numbers_generate_finite_data(tmp_path):
    import deepbench

    batch = deepbench.simulate("shapes.circle", n=4, seed=1,
                               cx={"dist": "uniform", "low": -1e100, "high": 1e100},
                               radius=4096)
    assert np.isfinite(batch.outputs["image"]).all() and batch.outputs["image"].max() <= 1e-6
    batch = deepbench.simulate("shapes.circle", n=4, seed=1, radius=4096,
                               cx={"dist": "uniform", "low": -1e15, "high": 1e15})
    assert np.isfinite(batch.outputs["image"]).all()
    assert np.isfinite(batch.labels["cx"]).all()


def test_a_huge_bad_value_gives_a_short_message():
    with pytest.raises(SpecError, match=r"^n: got \[0, 1, 2, .*, 21\.\.\.; expected Input should be a "
                                        r"valid integer$") as info:
        resolve(with_(n=list(range(9000))))
    assert len(str(info.value)) < 200

"""The resolved spec is a typed, frozen record whose JSON form round-trips exactly."""

from __future__ import annotations

import dataclasses
import json

import pytest

from deepbench.dataset.resolved import ResolvedSpec
from deepbench.dataset.spec import resolve


def test_json_form_round_trips_and_is_canonical(small_spec):
    spec = resolve(small_spec)
    assert ResolvedSpec.from_json(spec.to_json()) == spec
    assert ResolvedSpec.loads(spec.dumps()) == spec
    assert json.loads(spec.dumps()) == spec.to_json()
    assert spec.dumps() == json.dumps(json.loads(spec.dumps()), sort_keys=True)


def test_fields_are_attributes_a_reader_can_follow(small_spec):
    spec = resolve(small_spec)
    assert (spec.seed, spec.n, spec.chunk_size, spec.n_chunks) == (11, 70, 20, 4)
    assert spec.class_names == ["circle", "rectangle"]
    assert spec.classes[1].simulator == "shapes.rectangle" and spec.classes[1].weight == 2
    assert spec.classes[1].param_noise["width"] == {"sigma": 0.1, "relative": True}
    assert spec.output.store_clean and spec.output.compression == "gzip"
    assert spec.chunk_bounds(3) == (60, 70)


def test_it_is_frozen_and_its_json_is_a_copy(small_spec):
    spec = resolve(small_spec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.n = 5  # type: ignore[misc]
    data = spec.to_json()
    data["classes"][0]["params"]["radius"]["low"] = -100
    assert spec.classes[0].params["radius"]["low"] == 2

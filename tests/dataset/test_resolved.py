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


def test_the_order_of_splits_is_part_of_the_resolved_spec(tmp_path):
    """Splits are cut in the order listed, so that order survives the canonical JSON, enters the
    run id, and a stored dataset's splits are recomputed exactly from its provenance."""
    import deepbench
    from deepbench.dataset.generate import run_id
    from deepbench.dataset.splits import compute_splits

    base = {"simulator": "shapes.circle", "n": 200, "seed": 1, "chunk_size": 64,
            "params": {"radius": {"dist": "uniform", "low": 3, "high": 6}},
            "config": {"height": 12, "width": 12}}
    big, mid = {"radius": {"gt": 5.0}}, {"radius": {"gt": 4.5}}  # overlapping: first listed wins
    given = {**base, "splits": {"ood": {"big": big, "mid": mid},
                                "fractions": {"train": 0.8, "val": 0.1, "test": 0.1}}}
    swapped = {**base, "splits": {"ood": {"mid": mid, "big": big},
                                  "fractions": {"test": 0.1, "train": 0.8, "val": 0.1}}}
    a, b = resolve(given), resolve(swapped)
    assert run_id(a) != run_id(b)
    again = ResolvedSpec.loads(a.dumps())
    assert again == a and list(again.splits["ood"]) == ["big", "mid"]
    assert list(again.splits["fractions"]) == ["train", "val", "test"]
    with deepbench.load(deepbench.generate(given, tmp_path / "d.h5")) as ds:
        stored = ds.splits
        labels = {k: v[()] for k, v in ds.labels.items()}
        recomputed = compute_splits(ResolvedSpec.from_json(ds.spec), labels)
    assert stored.keys() == recomputed.keys()
    assert all((stored[k] == recomputed[k]).all() for k in stored)
    assert min(stored[k].size for k in ("big", "mid", "train", "val", "test")) > 0

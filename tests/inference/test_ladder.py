"""Difficulty ladders: rungs share clean/labels/truth byte for byte, the table lists each rung's
difference and run id, a training command's metric is collected, bad axes are named."""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest

import deepbench
from deepbench.errors import OutputExistsError, SpecError
from deepbench.inference.ladder import ladder, parse_axis

SPEC = {"simulator": "shapes.circle", "n": 40, "chunk_size": 16, "seed": 9,
        "config": {"height": 16, "width": 16},
        "params": {"radius": {"dist": "uniform", "low": 3, "high": 6}},
        "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.1}}}


def arrays(path, group):
    with deepbench.load(path) as ds:
        return {k: v[()].tobytes() for k, v in getattr(ds, group).items()}


def test_a_noise_ladder_shares_clean_labels_and_truth(tmp_path):
    rungs = ladder(SPEC, tmp_path / "lad", {"obs_noise.image.sigma": [0, 0.05, 0.2]})
    paths = [tmp_path / "lad" / r.path for r in rungs]
    for group in ("clean", "labels", "truth"):
        first = arrays(paths[0], group)
        assert first
        assert all(arrays(p, group) == first for p in paths[1:])
    outs = [arrays(p, "outputs")["image"] for p in paths]
    assert len(set(outs)) == 3  # the noise differs
    with deepbench.load(paths[0]) as ds:  # sigma 0: the image is the clean image
        np.testing.assert_array_equal(ds.outputs["image"][()], ds.clean["image"][()])
    table = json.loads((tmp_path / "lad" / "ladder.json").read_text())
    assert [t["values"] for t in table] == [{"obs_noise.image.sigma": v} for v in (0, 0.05, 0.2)]
    assert table[1]["difference"] == {"obs_noise.image.sigma": [0.1, 0.05]}
    assert len({t["run_id"] for t in table}) == 3
    with deepbench.load(paths[2]) as ds:
        assert ds.metadata["run_id"] == table[2]["run_id"]
    rows = list(csv.DictReader(open(tmp_path / "lad" / "ladder.csv")))
    assert [r["obs_noise.image.sigma"] for r in rows] == ["0", "0.05", "0.2"]
    assert "obs_noise.image.sigma: 0.1 -> 0.2" in rows[2]["difference"]


def test_two_axes_make_the_product_and_a_training_command_gives_each_rungs_metric(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import sys, json, deepbench\n"
                      "ds = deepbench.load(sys.argv[1])\n"
                      "print('training...')\n"
                      "print(json.dumps({'std': float(ds.outputs['image'][()].std()), "
                      "'rung': int(sys.argv[2])}))\n")
    rungs = ladder(SPEC, tmp_path / "lad",
                   {"obs_noise.image.sigma": [0.0, 0.3], "params.radius": [2, 5]},
                   train=f"{sys.executable} {script} {{data}} {{rung}}")
    assert [r.values for r in rungs] == [
        {"obs_noise.image.sigma": s, "params.radius": r} for s in (0.0, 0.3) for r in (2, 5)]
    assert [r.metric["rung"] for r in rungs] == [0, 1, 2, 3]
    assert rungs[3].metric["std"] > rungs[1].metric["std"]  # more noise, more spread
    rows = list(csv.DictReader(open(tmp_path / "lad" / "ladder.csv")))
    assert rows[2]["metric.rung"] == "2"


def test_an_existing_ladder_is_kept_unless_asked(tmp_path):
    ladder(SPEC, tmp_path / "lad", {"obs_noise.image.sigma": [0.1, 0.2]})
    before = (tmp_path / "lad" / "rung_001.h5").read_bytes()
    with pytest.raises(OutputExistsError, match="pass --resume"):
        ladder(SPEC, tmp_path / "lad", {"obs_noise.image.sigma": [0.1, 0.2]})
    ladder(SPEC, tmp_path / "lad", {"obs_noise.image.sigma": [0.1, 0.2]}, resume=True)
    assert (tmp_path / "lad" / "rung_001.h5").read_bytes() == before
    with pytest.raises(OutputExistsError, match="rung_001.h5 holds another spec's dataset"):
        ladder(SPEC, tmp_path / "lad", {"obs_noise.image.sigma": [0.1, 0.3]}, resume=True)


def test_bad_axes_are_named(tmp_path):
    with pytest.raises(SpecError, match=r"--axis obs_noise.image.sigmaa: got 0.1; expected a "
                                        r"value that gives a valid spec"):
        ladder(SPEC, tmp_path / "lad", {"obs_noise.image.sigmaa": [0.1]})
    with pytest.raises(SpecError, match=r"--axis params.wobble"):
        ladder(SPEC, tmp_path / "lad", {"params.wobble": [1, 2]})
    with pytest.raises(SpecError, match=r"--axis obs_noise.image.sigma: got -1"):
        ladder(SPEC, tmp_path / "lad", {"obs_noise.image.sigma": [0.1, -1]})
    assert not (tmp_path / "lad").exists()  # nothing generated
    with pytest.raises(SpecError, match=r"--axis: got 'sigma'; expected FIELD=V1,V2"):
        parse_axis("sigma")
    assert parse_axis("obs_noise.image.sigma=0,0.05") == ("obs_noise.image.sigma", [0, 0.05])
    assert parse_axis("classes=[[a, b], [c]]") == ("classes", [["a", "b"], ["c"]])

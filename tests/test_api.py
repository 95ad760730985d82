from __future__ import annotations

import numpy as np
import pytest

import deepbench
from deepbench.errors import SpecError


def test_simulate_by_name_with_keyword_priors():
    batch = deepbench.simulate("shapes.circle", n=8, seed=1,
                               radius={"dist": "uniform", "low": 4, "high": 8})
    assert batch.outputs["image"].shape == (8, 28, 28)
    r = batch.labels["radius"]
    assert np.all((r >= 4) & (r < 8))
    again = deepbench.simulate("shapes.circle", n=8, seed=1,
                               radius={"dist": "uniform", "low": 4, "high": 8})
    assert np.array_equal(batch.outputs["image"], again.outputs["image"])


def test_alternative_parameterisation_stores_the_derived_value_as_truth():
    batch = deepbench.simulate("shapes.polygon", n=4, side=6.0, n_sides=6)
    np.testing.assert_allclose(batch.truth["radius"], 6.0)  # hexagon: side == circumradius
    assert "radius" not in batch.labels and np.all(batch.labels["side"] == 6)


def test_bad_keyword_is_a_spec_error():
    with pytest.raises(SpecError, match="params.radus"):
        deepbench.simulate("shapes.circle", radus=3)
    with pytest.raises(SpecError, match="did you mean"):
        deepbench.simulate("shapes.circel")


def test_list_and_describe():
    names = deepbench.list_simulators()
    assert {"shapes.rectangle", "shapes.polygon", "shapes.ellipse", "shapes.circle",
            "shapes.arc", "shapes.line", "shapes.scene"} <= set(names)
    d = deepbench.describe("shapes.polygon")
    p = {x["name"]: x for x in d["params"]}
    assert p["radius"]["unit"] == "px" and p["n_sides"]["low"] == 3
    assert d["outputs"][0]["shape"] == [28, 28]


def test_simulator_reference_in_docs_is_in_sync():
    from conftest import ROOT

    from deepbench.api import reference_markdown

    text = (ROOT / "docs" / "simulators.md").read_text()
    hint = "regenerate: deepbench describe --markdown > docs/simulators.md"
    assert text.strip() == reference_markdown().strip(), hint

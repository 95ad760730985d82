"""Plan.chunk_labels draws a chunk's labels without simulating, equal to the simulated chunk's."""

from __future__ import annotations

import numpy as np

from deepbench.dataset.plan import Plan
from deepbench.dataset.spec import resolve


def test_chunk_labels_equal_the_simulated_chunks_labels(small_spec):
    for spec in (small_spec, {**small_spec, "classes": small_spec["classes"][:1]}):
        plan = Plan(resolve(spec))
        for k in range(plan.spec.n_chunks):
            drawn = plan.chunk_labels(k)
            simulated = plan.simulate_chunk(k).groups["labels"]
            assert list(drawn) == list(simulated)
            assert ("class_index" in drawn) == (len(plan.classes) > 1)
            for name, v in simulated.items():
                assert drawn[name].dtype == v.dtype
                np.testing.assert_array_equal(drawn[name], v)

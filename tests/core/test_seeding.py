from __future__ import annotations

import numpy as np

from deepbench.core.seeding import STAGES, stage_rng


def test_stages_are_append_only():
    # New stages go at the end; these positions are part of the reproducibility contract.
    assert STAGES[:4] == ("params", "param_noise", "simulate", "obs_noise")


def test_streams_depend_only_on_seed_chunk_stage_sub():
    a = stage_rng(5, 3, "simulate", 1).random(8)
    b = stage_rng(5, 3, "simulate", 1).random(8)
    assert np.array_equal(a, b)
    others = [stage_rng(6, 3, "simulate", 1), stage_rng(5, 4, "simulate", 1),
              stage_rng(5, 3, "params", 1), stage_rng(5, 3, "simulate", 0)]
    for rng in others:
        assert not np.array_equal(a, rng.random(8))

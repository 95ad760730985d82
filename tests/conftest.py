"""Shared fixtures: small specs that run fast."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def small_spec() -> dict:
    """A two-class, noisy, split dataset small enough for unit tests (4 chunks)."""
    return {
        "name": "small",
        "seed": 11,
        "n": 70,
        "chunk_size": 20,
        "config": {"height": 16, "width": 20},
        "classes": [
            {"simulator": "shapes.circle",
             "params": {"radius": {"dist": "uniform", "low": 2, "high": 6}}},
            {"simulator": "shapes.rectangle", "weight": 2,
             "params": {"width": {"dist": "uniform", "low": 3, "high": 9}, "height": 4,
                        "angle": {"dist": "uniform", "low": 0, "high": 3}},
             "param_noise": {"width": {"sigma": 0.1, "relative": True}}},
        ],
        "params": {"cx": {"dist": "normal", "loc": 0, "scale": 1}},
        "obs_noise": {"image": {"kind": "gaussian", "sigma": 0.05}},
        "splits": {"fractions": {"train": 0.7, "test": 0.3},
                   "ood": {"big": {"radius": {"gt": 5.5}}}},
        "output": {"store_clean": True},
    }

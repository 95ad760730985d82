"""The CaloChallenge binning XMLs the calo tests compare against: copies of the challenge's public
files (also in the project's ``shared/reference/calochallenge``) shipped in ``tests/calo/data`` so
the suite runs from any clone."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


def binning(name: str) -> Path:
    """Path of the challenge's binning file ``name``; fails the test with a clear message if absent."""
    path = DATA / name
    if not path.is_file():
        pytest.fail(f"CaloChallenge binning file {name} not found in {DATA}")
    return path

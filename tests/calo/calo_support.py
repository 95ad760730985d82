"""Where the CaloChallenge binning XMLs live: ``../shared/reference/calochallenge`` relative to the
repository root (for a git worktree, the root of the main checkout that owns it). Tests that need
them fail (never skip) when the folder is absent."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[2]
RELATIVE = Path("..") / "shared" / "reference" / "calochallenge"


def _roots() -> list[Path]:
    roots = [HERE]
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                                cwd=HERE, capture_output=True, text=True, timeout=10, check=True)
        roots.append(Path(common.stdout.strip()).parent)
    except (OSError, subprocess.SubprocessError):
        pass
    return roots


def binning(name: str) -> Path:
    """Path of the challenge's binning file ``name``; fails the test with a clear message if absent."""
    tried = [root / RELATIVE for root in _roots()]
    for folder in tried:
        if (folder / name).is_file():
            return folder / name
    pytest.fail(f"CaloChallenge binning file {name} not found in "
                f"{', '.join(str(f.resolve()) for f in tried)}: these tests need the challenge's "
                "XMLs in ../shared/reference/calochallenge relative to the repository root")

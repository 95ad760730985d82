"""Third-party simulators: a package declaring the entry-point group is picked up by the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from plugin_support import pip_install, write_package

CLI = [sys.executable, "-m", "deepbench.cli"]
pytestmark = pytest.mark.slow


def run(target: Path, *args: str) -> subprocess.CompletedProcess:
    """Run in a fresh interpreter that sees the packages installed into ``target``."""
    paths = [str(target), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run(list(args), capture_output=True, text=True, env=env, cwd=target.parent)


def test_an_installed_plugin_is_listed_described_generated_and_checked(tmp_path):
    target = tmp_path / "site"
    pip_install(write_package(tmp_path / "src", "toyplugin",
                              {"toyplugin.constant": "toyplugin:Constant"}), target)
    assert (target / "toyplugin-0.1.dist-info" / "entry_points.txt").exists()

    listed = run(target, *CLI, "list")
    assert listed.returncode == 0, listed.stderr
    assert "toyplugin.constant" in listed.stdout and "shapes.circle" in listed.stdout

    described = run(target, *CLI, "describe", "toyplugin.constant")
    assert described.returncode == 0, described.stderr
    assert "level" in described.stdout and "constant image" in described.stdout

    spec = tmp_path / "plugin.yaml"
    spec.write_text("simulator: toyplugin.constant\nn: 6\nconfig: {size: 3}\n"
                    "params: {level: {dist: uniform, low: 0.2, high: 0.8}}\n")
    out = tmp_path / "plugin.h5"
    made = run(target, *CLI, "generate", str(spec), "-o", str(out))
    assert made.returncode == 0, made.stderr
    with h5py.File(out, "r") as f:
        image, level = f["outputs/image"][()], f["labels/level"][()]
    assert image.shape == (6, 3, 3)
    expected = np.broadcast_to(level[:, None, None], image.shape).astype(np.float32)
    np.testing.assert_array_equal(image, expected)

    checked = run(target, sys.executable, "-c", "from deepbench.testing import check_simulator; "
                  "check_simulator('toyplugin.constant'); check_simulator('toyplugin.constant', {'size': 1})")
    assert checked.returncode == 0, checked.stderr

    # A second distribution claiming the same name for another class: an error naming both.
    pip_install(write_package(tmp_path / "src", "toyclash", {"toyplugin.constant": "toyclash:Constant"}),
                target)
    clash = run(target, *CLI, "list")
    assert clash.returncode == 1 and "Traceback" not in clash.stderr
    assert "simulator 'toyplugin.constant' is declared twice" in clash.stderr
    assert "'toyplugin:Constant' (package toyplugin)" in clash.stderr
    assert "'toyclash:Constant' (package toyclash)" in clash.stderr

"""docs/plugins.md is executed: its package is built from the page's code blocks, installed with
pip, listed, checked, generated from the page's spec, and the page's own test passes."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import h5py
import numpy as np
import pytest
from plugin_support import pip_install, write_package
from test_plugins import CLI, run

pytestmark = pytest.mark.slow
DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), flags=re.S)


def test_every_code_block_of_the_plugin_page_runs(tmp_path):
    module, test_code = blocks("python")
    project = tomllib.loads(blocks("toml")[0])["project"]
    entry_points = project["entry-points"]["deepbench.simulators"]
    assert project["name"] == "decaykit" and entry_points == {"decaykit.decay": "decaykit:Decay"}
    site = tmp_path / "site"
    pip_install(write_package(tmp_path / "src", project["name"], entry_points, module), site)

    commands = [line.split("#")[0].split() for line in blocks("bash")[0].splitlines()]
    expected = {"list": "decaykit.decay           v1  [decaykit]  exponential decay",
                "check-simulator": "ok: decaykit.decay v1 (package decaykit) keeps the simulator "
                                   "contract", "describe": "mean lifetime"}
    (tmp_path / "decay.yaml").write_text(blocks("yaml")[0])
    for words in commands:
        assert words[0] == "deepbench"
        done = run(site, *CLI, *words[1:])
        assert done.returncode == 0, (words, done.stderr)
        if words[1] in expected:
            assert expected[words[1]] in done.stdout, done.stdout
    with h5py.File(tmp_path / "decay.h5", "r") as f:
        assert "clean" not in f or "n" not in f["clean"]  # the spec asks for no clean copies
        n0, tau = f["labels/n0"][()], f["labels/tau"][()]
        t, n = f["outputs/t"][()], f["outputs/n"][()]
        half = f["truth/half_life"][()]
    assert n.shape == (200, 20) and t.shape == (200, 20)
    np.testing.assert_allclose(half, tau * np.log(2), rtol=1e-15)
    # Poisson counts around the exact decay law: integer-valued, mean over the batch matches
    assert np.all(n == np.round(n))
    expected_n = n0[:, None] * np.exp(-t / tau[:, None])
    z = (n.sum() - expected_n.sum()) / np.sqrt(expected_n.sum())
    assert abs(z) < 5

    (tmp_path / "test_decay.py").write_text(test_code)
    ran = run(site, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
              str(tmp_path / "test_decay.py"))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout

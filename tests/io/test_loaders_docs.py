"""The README's training snippets run as they are, and its test command is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]


def section(title: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_the_training_snippets_run_and_train(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", section("Training a model (PyTorch, JAX)"), re.S)
    assert len(blocks) == 3
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared 2-core machine: one intra-op thread keeps steps fast
    try:
        namespace: dict = {}
        for code in blocks:  # one session, in order, as a reader would type them
            exec(compile(code, "README.md", "exec"), namespace)
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out.split()
    losses = [float(x) for x in printed[1::2]]
    assert printed[0::2] == ["0", "1", "0", "1"] and all(0 <= x < 5 for x in losses)
    assert namespace["x"].shape == (128, 28, 28)  # the JAX iterator ran to its end


def test_the_readme_test_command_is_what_ci_runs():
    readme_cmd = section("Set-up: two commands").split("```bash\n")[2].split("\n```")[0]
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert readme_cmd == ci
    assert "torch==2.13.0" in ci and ".[test,torch]" in ci

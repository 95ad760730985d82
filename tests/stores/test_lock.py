"""One run owns an output: a second run on it fails at once, naming the holder, and never damages
what is there."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES
from tests_support import dataset_bytes

import deepbench
from deepbench.errors import OutputBusyError, OutputExistsError, StoreError
from deepbench.stores.lock import OutputLock, lock_path

CLI = [sys.executable, "-m", "deepbench.cli"]


def test_a_held_output_refuses_a_second_run_before_touching_anything(tmp_path, small_spec):
    out = tmp_path / "d.h5"
    out.write_bytes(b"precious")
    with OutputLock(out):
        for kwargs in ({}, {"resume": True}, {"overwrite": True, "resume": True}):
            with pytest.raises(OutputBusyError, match=rf"pid {os.getpid()} on .* since"):
                deepbench.generate(small_spec, out, **kwargs)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["d.h5", "d.h5.lock"]
    assert out.read_bytes() == b"precious" and not lock_path(out).exists()
    deepbench.generate(small_spec, out, overwrite=True)  # free again once released
    assert not lock_path(out).exists()


def test_the_lock_is_released_when_a_run_fails(tmp_path, small_spec):
    out = tmp_path / "d.h5"
    out.write_bytes(b"x")
    with pytest.raises(OutputExistsError):
        deepbench.generate(small_spec, out)
    assert not lock_path(out).exists()
    with OutputLock(out):  # and can be taken again
        pass


def _as_nobody(fn) -> tuple[int, str]:
    """Run ``fn`` in a forked child with the uid of 'nobody' (root ignores write permissions)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read)
        code, text = 0, ""
        try:
            os.setgid(65534)
            os.setuid(65534)
            fn()
        except BaseException as exc:  # noqa: BLE001
            code, text = 1, f"{type(exc).__name__}: {exc}"
        os.write(write, f"{code}|{text}".encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    code, _, text = os.read(read, 65536).decode().partition("|")
    os.close(read)
    return int(code), text


def test_a_read_only_output_directory_is_a_clear_error(small_spec):
    import h5py  # noqa: F401 - imported before the fork, as a real run would have it

    folder = Path(tempfile.mkdtemp())  # under the system temp dir, which 'nobody' can traverse
    try:
        folder.chmod(0o555)

        def run() -> None:
            deepbench.generate(small_spec, folder / "d.h5")

        if os.geteuid() == 0:
            code, text = _as_nobody(run)
        else:
            try:
                run()
                code, text = 0, ""
            except StoreError as exc:
                code, text = 1, f"StoreError: {exc}"
        assert code == 1 and text.startswith("StoreError: cannot create the lock file")
        assert "must be writable" in text and list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)
        folder.rmdir()


SLOW = ["--set", "n=800", "--set", "chunk_size=100", "--set", "config.height=128",
        "--set", "config.width=128"]


def start(out: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "generate", str(EXAMPLES / "shape_scenes.yaml"), "-o", str(out),
                             *SLOW, *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    ref = tmp_path_factory.mktemp("ref") / "ref.h5"
    subprocess.run([*CLI, "generate", str(EXAMPLES / "shape_scenes.yaml"), "-o", str(ref), *SLOW],
                   check=True, capture_output=True)
    return dataset_bytes(ref)


@pytest.mark.slow
@pytest.mark.parametrize("first, second", [((), ("--resume",)), (("--resume",), ()),
                                           (("--overwrite", "--resume"),
                                            ("--overwrite", "--resume"))])
def test_two_concurrent_runs_on_one_output(tmp_path, reference, first, second):
    out = tmp_path / "d.h5"
    a = start(out, *first)
    deadline = time.time() + 30
    while not lock_path(out).exists() and time.time() < deadline:
        time.sleep(0.005)
    b = start(out, *second)
    b_err = b.communicate(timeout=60)[1]
    a_err = a.communicate(timeout=120)[1]
    assert a.returncode == 0, a_err
    assert b.returncode == 1 and "is being written by another run (pid" in b_err, b_err
    assert str(a.pid) in b_err
    assert dataset_bytes(out) == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.h5"]


@pytest.mark.slow
def test_two_runs_started_together_exactly_one_succeeds(tmp_path):
    out = tmp_path / "d.h5"
    runs = [start(out), start(out, "--resume")]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in runs]
    assert sorted(code for code, _ in results) == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert "is being written by another run" in loser or "exists" in loser
    with deepbench.load(out) as ds:
        assert len(ds) == 800 and ds.outputs["image"][-1].sum() > 0

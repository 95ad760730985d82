"""End-to-end: the real ``deepbench`` CLI in a subprocess, read back with plain h5py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import EXAMPLES
from tests_support import dataset_bytes

CLI = [sys.executable, "-m", "deepbench.cli"]
pytestmark = pytest.mark.slow


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return proc


def test_generate_info_show_export_on_the_example(tmp_path):
    out = tmp_path / "shapes.h5"
    run("generate", str(EXAMPLES / "shapes.yaml"), "-o", str(out), "--set", "n=300",
        "--set", "chunk_size=100")
    with h5py.File(out, "r") as f:  # plain h5py, no deepbench
        assert f["outputs/image"].shape == (300, 28, 28)
        assert f["outputs/image"].attrs["description"]
        assert f["clean/image"].dtype == np.float32
        assert f["labels/class_index"].shape == (300,)
        assert set(json.loads(f["labels/class_index"].attrs["class_names"])) == {
            "rectangle", "polygon", "ellipse", "circle", "arc", "line"}
        assert {"cx", "cy", "width", "radius", "n_sides", "a", "b", "start", "end",
                "length"} <= set(f["labels"])
        assert set(f["truth"]) == {"area", "angle_canonical"}
        sizes = sum(f[f"splits/{k}"].shape[0] for k in ("train", "val", "test"))
        assert sizes == 300
        meta = json.loads(f.attrs["deepbench"])
        assert meta["spec"]["n"] == 300 and meta["seed"] == 2024
        assert len(meta["chunks"]["sha256"]) == 3 and meta["run_id"]
        assert meta["simulators"]["shapes.arc"] == 3
    info = run("info", str(out)).stdout
    assert "300 samples" in info and "labels/radius" in info
    png = tmp_path / "grid.png"
    run("show", str(out), "-o", str(png), "-n", "9")
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"
    folder = tmp_path / "png"
    run("export", str(out), "--format", "png", "-o", str(folder))
    rows = (folder / "labels.csv").read_text().splitlines()
    assert len(rows) == 301 and rows[0].startswith("index,file,split,class")
    assert len(list((folder / "images").glob("*.png"))) == 300
    run("export", str(out), "--format", "npz", "-o", str(tmp_path / "npz"))
    with np.load(tmp_path / "npz" / "dataset.npz") as z:
        assert z["outputs/image"].shape == (300, 28, 28)


def test_bad_spec_exits_2_before_any_work(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("simulator: shapes.circel\nn: 5\n")
    out = tmp_path / "x.h5"
    proc = run("generate", str(spec), "-o", str(out), check=False)
    assert proc.returncode == 2
    assert "simulator: got 'shapes.circel'" in proc.stderr and "did you mean" in proc.stderr
    assert not out.exists() and not Path(str(out) + ".partial.d").exists()
    assert run("validate", str(spec), check=False).returncode == 2
    proc = run("validate", str(EXAMPLES / "shapes.yaml"), "--set", "params.cx.low=x", check=False)
    assert proc.returncode == 2 and "params.cx" in proc.stderr


def test_existing_output_is_kept_without_overwrite(tmp_path):
    out = tmp_path / "d.h5"
    out.write_bytes(b"keep me")
    proc = run("generate", str(EXAMPLES / "polygon_grid.yaml"), "-o", str(out), check=False)
    assert proc.returncode != 0 and "--overwrite" in proc.stderr
    assert out.read_bytes() == b"keep me"


def test_list_describe_version():
    assert "shapes.polygon" in run("list").stdout
    text = run("describe", "shapes.arc").stdout
    assert "thickness" in text and "rad" in text
    assert run("--version").stdout.strip().startswith("deepbench")
    assert run("describe", "shapes.arcc", check=False).returncode == 2


def test_sigkill_mid_run_then_resume_is_byte_identical(tmp_path):
    spec = str(EXAMPLES / "shape_scenes.yaml")
    sets = ["--set", "n=600", "--set", "chunk_size=20", "--set", "config.height=256",
            "--set", "config.width=256"]
    ref = tmp_path / "ref.h5"
    run("generate", spec, "-o", str(ref), *sets, "--workers", "2")

    out = tmp_path / "killed.h5"
    work = Path(str(out) + ".partial.d")
    proc = subprocess.Popen([*CLI, "generate", spec, "-o", str(out), *sets],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(work.glob("chunk-*.h5"))) < 3:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "the run finished before it could be killed"
    done = len(list(work.glob("chunk-*.h5")))
    assert 3 <= done < 30
    run("generate", spec, "-o", str(out), *sets, "--resume")
    assert dataset_bytes(out) == dataset_bytes(ref)


VALIDATE_TIMED = """
import json, resource, sys, time
from deepbench.cli import main

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

found = {}
for path in sys.argv[1:]:
    start, used = time.perf_counter(), cpu()
    try:
        main(["validate", path], standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = exc.code
    found[path] = [code, cpu() - used, time.perf_counter() - start]
# ru_maxrss keeps the parent's resident size at fork across exec (Linux), so a big test
# process would show through; the new address space's own high-water mark is VmHWM.
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/status") as fh:
        peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
except OSError:
    pass
found["maxrss_mb"] = peak / 1024
print(json.dumps(found))
"""


def hostile_inputs() -> dict[str, bytes]:
    """Spec files under 1 MB built to cost time or memory."""
    mb = 1_000_000
    laughs = "\n".join(['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)])
    deep_block = "".join("  " * d + "a:\n" for d in range(950)) + "  " * 950 + "1\n"
    return {
        "valid": (EXAMPLES / "shapes.yaml").read_bytes(),  # first: it pays the lazy imports
        "laughs": laughs.encode(),
        "deep_flow": ("n: " + "[" * 10_000 + "]" * 10_000).encode(),
        "deep_mapping": ("n: " + "{a: " * 10_000 + "1" + "}" * 10_000).encode(),
        "deep_block": deep_block.encode(),
        "flat_list": ("n: [" + ",".join(["1"] * (mb // 2 - 4)) + "]").encode(),
        "long_string": ("name: " + "x" * (mb - 10)).encode(),
        "many_keys": "".join(f"k{i}: 1\n" for i in range(110_000)).encode()[:mb - 1],
        "aliases": ("a: &a 1\nb: [" + ",".join(["*a"] * (mb // 3 - 10)) + "]").encode(),
        "sexagesimal": ("seed: " + "1:" * (mb // 2 - 10) + "1").encode(),
        "binary": np.random.default_rng(0).bytes(mb - 1),
        "comment": ("#" + "x" * (mb - 40) + "\nsimulator: shapes.circle\nn: 5\n").encode(),
    }


def test_validate_on_any_input_under_1_mb_takes_under_2_s_and_200_mb(tmp_path):
    paths = {}
    for name, data in hostile_inputs().items():
        assert len(data) < 1_000_000, name
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_bytes(data)
    proc = subprocess.run([sys.executable, "-c", VALIDATE_TIMED, *map(str, paths.values())],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, path in paths.items():
        code, cpu, wall = found[str(path)]
        assert code == (0 if name in ("valid", "comment") else 2), (name, proc.stderr)
        assert cpu < 2.0 and wall < 20, (name, cpu, wall)  # CPU time: robust to a busy machine
    assert found["maxrss_mb"] < 200, found["maxrss_mb"]
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("error: ") == len(paths) - 2

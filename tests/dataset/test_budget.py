"""Size estimates before any work: a chunk over the memory budget, a dataset over the free disk."""

from __future__ import annotations

import shutil
import time
from collections import namedtuple

import pytest
from click.testing import CliRunner

import deepbench
from deepbench.dataset import budget
from deepbench.dataset.spec import resolve
from deepbench.errors import SpecError

GiB = 1024**3


def circle(**changes):
    spec = {"simulator": "shapes.circle", "n": 10, "chunk_size": 10,
            "config": {"height": 16, "width": 16}}
    spec.update(changes)
    return spec


def test_chunk_estimate_counts_every_array_of_a_chunk():
    plain = budget.estimate(resolve(circle()))
    # image float32 computed, copied into the chunk and cast: 3 × 256 px × 4 B;
    # labels cx, cy, radius: 3 × 8 B; truth area, angle_canonical: 2 × 8 B
    assert plain.sample_memory == 3 * 256 * 4 + 3 * 8 + 2 * 8
    assert plain.chunk_bytes == 10 * plain.sample_memory
    assert plain.sample_disk == 256 * 4 + 3 * 8 + 2 * 8
    noisy = budget.estimate(resolve(circle(
        obs_noise={"image": {"kind": "gaussian", "sigma": 0.1}},
        output={"store_clean": True, "dtype": {"image": "float16"}})))
    # + noise draws (float32), clean copy (float16); the stored image is float16
    assert noisy.sample_memory == 256 * (4 + 4 + 2 + 4 + 2) + 3 * 8 + 2 * 8
    assert noisy.sample_disk == 256 * (2 + 2) + 3 * 8 + 2 * 8


def test_catalogue_rows_use_the_upper_bound_in_memory_and_the_mean_on_disk():
    spec = {"simulator": "shapes.scene", "n": 100, "chunk_size": 100,
            "config": {"height": 8, "width": 8, "masks": True},
            "params": {"n_objects": {"dist": "integers", "low": 0, "high": 10}}}
    est = budget.estimate(resolve(spec))
    row = 8 + 8 * 8 + 4 * 8 + 64 * 4  # sample_index, 8 scalar columns, bbox, mask
    assert est.sample_memory == 3 * 64 * 4 + 8 + 10 * row
    assert est.sample_disk == 64 * 4 + 8 + 5 * row
    spec["params"]["n_objects"] = {"dist": "poisson", "lam": 3}
    with pytest.raises(SpecError, match="params.n_objects"):  # support [0, inf) is not allowed
        resolve(spec)


def test_a_chunk_over_the_memory_budget_is_refused_before_any_work():
    spec = circle(n=10**6, chunk_size=10**6, config={"height": 1024, "width": 1024})
    with pytest.raises(SpecError, match=r"chunk_size: got 1000000; expected a chunk within the memory "
                                        r"budget of 2 GiB \(DEEPBENCH_MEMORY_BUDGET\): 1000000 samples "
                                        r"× 12 MiB = 11.4 TiB; at most 170 samples per chunk fit"):
        resolve(spec)


def test_the_memory_budget_can_be_set_in_the_environment(monkeypatch):
    monkeypatch.setenv("DEEPBENCH_MEMORY_BUDGET", "64KiB")
    with pytest.raises(SpecError, match=r"memory budget of 64 KiB .* at most 21 samples per chunk"):
        resolve(circle(n=100, chunk_size=100))
    monkeypatch.setenv("DEEPBENCH_MEMORY_BUDGET", "lots")
    with pytest.raises(SpecError, match=r"DEEPBENCH_MEMORY_BUDGET: got 'lots'; expected a size in "
                                        r"bytes such as 2GiB, 512MiB or 1000000"):
        resolve(circle())


def test_a_huge_n_is_refused_at_once():
    start = time.perf_counter()
    with pytest.raises(SpecError, match=r"n: got 1000000000000; expected at most 100,000 chunks "
                                        r"of chunk_size 1000 \(100,000,000 samples\)"):
        resolve(circle(n=10**12, chunk_size=1000))
    with pytest.raises(SpecError, match="n: got 10000000000; expected a dataset whose labels and "
                                        "splits fit the memory budget"):
        resolve(circle(n=10**10, chunk_size=10**6, config={"height": 8, "width": 8}))
    assert time.perf_counter() - start < 5


def test_in_memory_simulate_is_held_to_the_budget():
    with pytest.raises(SpecError, match=r"n: got 10000000; expected a batch within the memory budget "
                                        r"of 2 GiB \(DEEPBENCH_MEMORY_BUDGET\): about 88 GiB"):
        deepbench.simulate("shapes.circle", n=10**7)


Usage = namedtuple("Usage", "total used free")


def test_a_dataset_larger_than_the_free_disk_is_refused_unless_forced(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**6, 10**6 - 5000, 5000))
    out = tmp_path / "d.h5"
    with pytest.raises(SpecError, match=r"n: got 10; expected a dataset that fits on the disk: about "
                                        r"20.8 KiB needed \(10.4 KiB uncompressed, twice while chunk "
                                        r"files and the merged file coexist\), 4.88 KiB free .*"
                                        r"force=True \(--force\)"):
        deepbench.generate(circle(), out)
    assert list(tmp_path.iterdir()) == []
    assert deepbench.generate(circle(), out, force=True) == out


def test_validate_prints_the_estimates(tmp_path):
    from deepbench.cli import main

    path = tmp_path / "spec.yaml"
    path.write_text("simulator: shapes.circle\nn: 100\nchunk_size: 50\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "estimated: 2 chunks; one chunk 461 KiB in memory (budget 2 GiB); " \
           "dataset 310 KiB on disk, uncompressed" in result.output


def test_cli_generate_force_overrides_the_disk_check(tmp_path, monkeypatch):
    from deepbench.cli import main

    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**6, 10**6 - 5000, 5000))
    spec = tmp_path / "spec.yaml"
    spec.write_text("simulator: shapes.circle\nn: 10\nconfig: {height: 16, width: 16}\n")
    out = tmp_path / "d.h5"
    refused = CliRunner().invoke(main, ["generate", str(spec), "-o", str(out)])
    assert refused.exit_code == 2 and "error: n: got 10; expected a dataset that fits on the disk" \
        in refused.output
    assert not out.exists()
    forced = CliRunner().invoke(main, ["generate", str(spec), "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.exists()

"""deepbench evaluate end to end: showers mis-scaled by 5 % are flagged, a second truth sample
passes, bad input is refused naming the problem, the HTML report renders in Chromium."""

import json
import re
import shutil
import subprocess

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

import deepbench
from deepbench.cli import main
from deepbench.metrics.evaluate import SUMMARY, evaluate

CALO = {"name": "ds2", "simulator": "calo.shower", "n": 1500, "chunk_size": 500,
        "config": {"geometry": "calochallenge_ds2"},
        "params": {"energy": {"dist": "loguniform", "low": 10, "high": 100}}}


@pytest.fixture(scope="module")
def calo(tmp_path_factory):
    d = tmp_path_factory.mktemp("calo_eval")
    ref = deepbench.generate(CALO, d / "ref.h5")
    second = deepbench.generate({**CALO, "seed": 12345}, d / "second.h5")
    with deepbench.load(second) as ds:
        showers, energy = ds.outputs["showers"][()], ds.labels["energy"][()]
    bad = d / "scaled.h5"      # a CaloChallenge-layout file: energies × 1.05
    with h5py.File(bad, "w") as f:
        f["showers"] = showers * np.float32(1.05)
        f["incident_energies"] = (energy * 1e3)[:, None]
    return d, ref, second, bad, showers, energy


@pytest.fixture(scope="module")
def passed(calo):
    d, ref, second, *_ = calo
    return CliRunner().invoke(main, ["evaluate", "--reference", str(ref), "--generated",
                                     str(second), "-o", str(d / "rep_ok")])


def test_second_truth_sample_passes_and_floors_are_reported(calo, passed):
    d = calo[0]
    result = passed
    assert result.exit_code == 0, result.output
    report = json.loads((d / "rep_ok" / "report.json").read_text())
    assert report["passed"] and report["flagged"] == []
    assert set(report["summary"]) == set(SUMMARY)
    for row in report["summary"].values():          # a truth floor for every metric
        assert np.isfinite(row["truth"]) and np.isfinite(row["generated"])
    assert "response" in report["features"] and "e_layer_44" in report["features"]
    for png in ("histograms.png", "correlations.png", "linearity.png"):
        assert (d / "rep_ok" / png).stat().st_size > 1000
    assert "passed" in result.output


def test_energies_scaled_by_5_percent_are_flagged(calo):
    d, ref, _, bad, *_ = calo
    result = CliRunner().invoke(main, ["evaluate", "--reference", str(ref), "--generated", str(bad),
                                       "-o", str(d / "rep_bad"), "--fail-above", "c2st_auc=0.6"])
    assert result.exit_code == 1
    assert re.search(r"above the --fail-above limits: c2st_auc = 0\.\d+ > 0\.6", result.output)
    report = json.loads((d / "rep_bad" / "report.json").read_text())
    assert not report["passed"]
    assert {"w1_max", "ks_max", "separation_power_max", "fpd", "c2st_auc", "coverage"} <= set(
        report["flagged"])
    i = report["features"].index("response")
    ks = report["per_feature"]["ks"]
    assert ks["generated"][i] > 5 * ks["truth"][i]


def test_bad_inputs_are_refused_naming_the_problem(calo):
    d, ref, _, _, showers, energy = calo
    runner = CliRunner()

    def run(gen, *extra):
        return runner.invoke(main, ["evaluate", "--reference", str(ref), "--generated", str(gen),
                                    "-o", str(d / "rep_err"), *extra])

    np.savez(d / "short.npz", showers=showers[:, :-1])
    r = run(d / "short.npz")
    assert r.exit_code == 2
    assert "generated: showers: got 'per-sample shape (6479,)'; expected (6480,), as in the " \
        "reference" in r.output
    nan = showers.copy()
    nan[7, 3] = np.nan
    np.savez(d / "nan.npz", showers=nan)
    r = run(d / "nan.npz")
    assert r.exit_code == 2 and "NaN or inf in samples [7]" in r.output
    np.savez(d / "other.npz", images=showers, more=showers)
    r = run(d / "other.npz")
    assert r.exit_code == 2 and "expected arrays named ['showers']" in r.output
    r = run(d / "second.h5", "--fail-above", "fidelity=0.1")
    assert r.exit_code == 2 and "--fail-above: got 'fidelity=0.1'; expected METRIC=VALUE with " \
        "METRIC one of w1_max" in r.output
    r = run(d / "second.h5", "--fail-above", "kpd=abc")
    assert r.exit_code == 2 and "expected kpd=NUMBER" in r.output
    assert not (d / "rep_err").exists()            # nothing written for refused input


def test_npz_and_zarr_inputs_and_toy_family(tmp_path):
    ref = deepbench.generate({"name": "gm", "simulator": "toy.gaussian_mixture", "n": 3000,
                              "config": {"dim": 3, "components": 6}}, tmp_path / "ref.zarr")
    b = deepbench.simulate("toy.gaussian_mixture", n=3000, seed=99,
                           config={"dim": 3, "components": 6}, separation=3.6)
    np.savez(tmp_path / "samples.npz", b.outputs["x"])          # one unnamed array
    ev = evaluate(ref, tmp_path / "samples.npz")
    assert ev.features == ["x[0]", "x[1]", "x[2]"] and "kpd" in ev.flagged


def _browser():
    return next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
                None)


@pytest.mark.skipif(_browser() is None, reason="no Chromium/Chrome installed")
def test_html_report_renders_in_headless_chromium(calo, passed):
    page = calo[0] / "rep_ok" / "report.html"
    assert "src=\"data:image/png;base64," in page.read_text() and "<img" in page.read_text()
    dom = subprocess.run([_browser(), "--headless", "--no-sandbox", "--disable-gpu",
                          "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-rendered="ok"' in dom.stdout       # every inlined image decoded
    assert "data-errors=\"yes\"" not in dom.stdout   # no script error on the page
    assert "DeepBench evaluation" in dom.stdout

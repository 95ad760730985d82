"""``deepbench coverage``: read posterior samples and a dataset's true parameters, run the
calibration diagnostics, print a summary and write ``coverage.json`` and ``coverage.png``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.errors import SpecError
from deepbench.inference.coverage import expected_coverage, plot, sbc_ranks, sbc_test, tarp

SBC_SIGNIFICANCE = 0.01
TARP_SIGNIFICANCE = 0.01


@dataclass
class CoverageReport:
    summary: dict[str, Any]
    text: str
    passed: bool


def read_posterior(path: str | Path) -> dict[str, np.ndarray]:
    """``samples`` (N, S, d), optional ``names`` and ``index`` from an NPZ or HDF5 file."""
    path = Path(path)
    if not path.is_file():
        raise SpecError("--posterior-samples", str(path), "an existing .npz or .h5 file")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    elif path.suffix in (".h5", ".hdf5"):
        import h5py

        with h5py.File(path, "r") as f:
            data = {k: f[k][()] for k in f if isinstance(f[k], h5py.Dataset)}
    else:
        raise SpecError("--posterior-samples", str(path), "a .npz or .h5 file")
    if "samples" not in data:
        raise SpecError("--posterior-samples", sorted(data), "a file with an array `samples` "
                        "of shape (N, S, d)")
    if "names" in data:
        data["names"] = np.array([n.decode() if isinstance(n, bytes) else str(n)
                                  for n in np.atleast_1d(data["names"])])
    return data


def coverage_report(dataset: str | Path, posterior: str | Path, *, params: str | None = None,
                    out: str | Path | None = None, confidence: float = 0.99) -> CoverageReport:
    """Run expected coverage, SBC and TARP for the posterior samples against the dataset's labels."""
    from deepbench.dataset.view import load

    post = read_posterior(posterior)
    samples = np.asarray(post["samples"], dtype=np.float64)
    if samples.ndim == 2:
        samples = samples[..., None]
    if params is not None:
        names = [p.strip() for p in params.split(",") if p.strip()]
    elif "names" in post:
        names = list(post["names"])
    else:
        raise SpecError("--params", None, "the label names of the parameters (the file has no "
                        "`names` array)")
    if samples.ndim != 3 or samples.shape[2] != len(names):
        raise SpecError("--posterior-samples", samples.shape, f"samples of shape (N, S, "
                        f"{len(names)}) for the parameters {', '.join(names)}")
    with load(dataset) as ds:
        labels = ds.labels
        missing = [n for n in names if n not in labels]
        if missing:
            raise SpecError("--params", missing, "label names of the dataset "
                            f"({', '.join(labels)})")
        n = len(ds)
        index = np.asarray(post.get("index", np.arange(samples.shape[0])))
        if index.shape != (samples.shape[0],) or not np.issubdtype(index.dtype, np.integer) \
                or (index < 0).any() or (index >= n).any():
            raise SpecError("index", index.shape, f"{samples.shape[0]} sample indices in "
                            f"[0, {n}) (one per posterior)")
        truths = np.stack([labels[name][()][index] for name in names], axis=1)
    cov = expected_coverage(samples, truths, confidence=confidence, names=names)
    sbc_p = sbc_test(sbc_ranks(samples, truths), samples.shape[1])
    tr = tarp(samples, truths)
    passed = cov.passed and bool((sbc_p > SBC_SIGNIFICANCE).all()) and tr.passed(TARP_SIGNIFICANCE)
    summary = {
        "n_posteriors": int(samples.shape[0]), "n_draws": int(samples.shape[1]),
        "parameters": names, "confidence": confidence,
        "coverage": {"levels": cov.levels.tolist(),
                     "empirical": {nm: cov.coverage[:, j].tolist() for j, nm in enumerate(names)},
                     "band_low": cov.low.tolist(), "band_high": cov.high.tolist(),
                     "passed": cov.passed},
        "sbc": {"p_values": dict(zip(names, sbc_p.tolist(), strict=True)),
                "significance": SBC_SIGNIFICANCE},
        "tarp": {"ks_pvalue": tr.ks_pvalue, "max_deviation": tr.max_deviation,
                 "significance": TARP_SIGNIFICANCE, "passed": tr.passed(TARP_SIGNIFICANCE)},
        "calibrated": passed,
    }
    lines = [f"{samples.shape[0]} posteriors × {samples.shape[1]} draws; "
             f"coverage band at {confidence:.0%} joint confidence",
             f"{'parameter':<16}{'max |cov − α|':>15}{'in band':>9}{'SBC p':>10}"]
    for j, nm in enumerate(names):
        inside = ((cov.coverage[:, j] >= cov.low) & (cov.coverage[:, j] <= cov.high)).all()
        dev = np.abs(cov.coverage[:, j] - cov.levels).max()
        lines.append(f"{nm:<16}{dev:>15.3f}{'yes' if inside else 'NO':>9}{sbc_p[j]:>10.3g}")
    lines.append(f"TARP: KS p = {tr.ks_pvalue:.3g}, max |ECP − α| = {tr.max_deviation:.3f}")
    lines.append(f"calibrated: {'yes' if passed else 'NO'}")
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "coverage.json").write_text(json.dumps(summary, indent=1) + "\n")
        plot(samples, truths, folder / "coverage.png", names=names, confidence=confidence)
        lines.append(f"wrote {folder / 'coverage.json'} and {folder / 'coverage.png'}")
    return CoverageReport(summary, "\n".join(lines), passed)

"""The evaluation report: ``report.json``, PNG plots and a self-contained ``report.html``.

Plots: ``histograms.png`` (the observables with the largest generated separation power: reference
filled, fresh truth and generated as lines; below, generated/reference with the truth band, the
fresh-truth/reference ratio ± its Poisson error), ``correlations.png`` (correlation matrix of
generated minus reference beside fresh truth minus reference, one colour scale) and, when the
reference has a conditioning variable, ``linearity.png`` (linearity and resolution curves).
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import Any

import numpy as np

from deepbench.metrics.evaluate import Evaluation, write_json
from deepbench.metrics.multi_dim import correlation

COLOURS = {"reference": "0.75", "truth": "tab:blue", "generated": "tab:red"}
N_HIST = 12


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def histograms(ev: Evaluation, out: Path, count: int = N_HIST) -> Path:
    """Histograms with ratio panels and truth bands of the ``count`` most different observables."""
    plt = _plt()
    sp = np.asarray(ev.per_feature["separation_power"]["generated"])
    order = np.argsort(-sp, kind="stable")[:count]
    cols = min(4, len(order))
    rows = -(-len(order) // cols)
    fig = plt.figure(figsize=(3.4 * cols, 3.3 * rows), dpi=80)
    grid = fig.add_gridspec(2 * rows, cols, height_ratios=[3, 1] * rows, hspace=0.3, wspace=0.3)
    for pos, i in enumerate(order):
        r, c = divmod(pos, cols)
        top, bottom = fig.add_subplot(grid[2 * r, c]), fig.add_subplot(grid[2 * r + 1, c])
        ref = ev.samples["reference"].features[:, i]
        lo, hi = np.percentile(ref, [0.5, 99.5])
        edges = np.linspace(lo, hi if hi > lo else lo + 1, 41)
        h = {k: np.histogram(np.clip(s.features[:, i], edges[0], edges[-1]), edges)[0]
             for k, s in ev.samples.items()}
        dens = {k: v / max(v.sum(), 1) for k, v in h.items()}
        top.stairs(dens["reference"], edges, fill=True, color=COLOURS["reference"],
                   label="reference")
        top.stairs(dens["truth"], edges, color=COLOURS["truth"], ls="--", label="fresh truth")
        top.stairs(dens["generated"], edges, color=COLOURS["generated"], label="generated")
        top.set_title(f"{ev.features[i]}  (sep. {sp[i]:.3g})", fontsize=8)
        top.tick_params(labelbottom=False, labelsize=6)
        with np.errstate(divide="ignore", invalid="ignore"):
            rt = dens["truth"] / dens["reference"]
            err = rt * np.sqrt(1 / h["truth"] + 1 / h["reference"])
            rg = dens["generated"] / dens["reference"]
        ok = np.isfinite(rt) & np.isfinite(err)
        rt, err = np.where(ok, rt, np.nan), np.where(ok, err, 0.0)
        mid = 0.5 * (edges[1:] + edges[:-1])
        bottom.fill_between(mid, rt - err, rt + err, step="mid", color=COLOURS["truth"],
                            alpha=0.3, lw=0)
        bottom.plot(mid, rg, ".", color=COLOURS["generated"], ms=3)
        bottom.axhline(1.0, color="k", lw=0.5)
        bottom.set_ylim(0.5, 1.5)
        bottom.tick_params(labelsize=6)
        if pos == 0:
            top.legend(fontsize=6)
            bottom.set_ylabel("/ reference", fontsize=6)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def correlations(ev: Evaluation, out: Path) -> Path:
    """Correlation-matrix differences to the reference, generated and fresh truth."""
    plt = _plt()
    r_ref = correlation(ev.samples["reference"].features)
    diffs = {k: correlation(ev.samples[k].features) - r_ref for k in ("generated", "truth")}
    vmax = max(0.05, max(float(np.abs(d).max()) for d in diffs.values()))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), dpi=80)
    for ax, (k, d) in zip(axes, diffs.items(), strict=True):
        im = ax.imshow(d, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"corr({'generated' if k == 'generated' else 'fresh truth'}) − corr(reference)",
                     fontsize=9)
        ax.tick_params(labelsize=5)
    fig.colorbar(im, ax=axes, shrink=0.8)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def linearity(ev: Evaluation, out: Path) -> Path | None:
    """Linearity and resolution versus the conditioning variable (log bins), when there is one."""
    from deepbench.metrics.curves import linearity_resolution

    conds = {k: s.condition for k, s in ev.samples.items()}
    if any(c is None for c in conds.values()):
        return None
    plt = _plt()
    ref = conds["reference"][:, 2]
    lo, hi = float(ref.min()), float(ref.max())
    edges = np.geomspace(lo, hi, 11) if lo > 0 and hi > lo else np.linspace(lo, hi + 1, 11)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), dpi=80)
    for k, c in conds.items():
        cur = linearity_resolution(c[:, 0], c[:, 1], c[:, 2], edges)
        style = {"color": COLOURS[k], "marker": "o", "ms": 3,
                 "ls": "--" if k == "truth" else "-", "label": k}
        axes[0].plot(cur["centre"], cur["linearity"], **style)
        axes[1].plot(cur["centre"], cur["resolution"], **style)
    for ax, title in zip(axes, ("linearity ⟨measured / true⟩", "resolution σ/⟨measured⟩"),
                         strict=True):
        ax.set_xscale("log" if lo > 0 else "linear")
        ax.set_xlabel(ev.condition_doc or "condition", fontsize=8)
        ax.set_title(title, fontsize=9)
    axes[0].legend(fontsize=7)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def _fmt(v: Any) -> str:
    return "—" if v is None else f"{v:.4g}" if isinstance(v, float) else html.escape(str(v))


def html_report(ev: Evaluation, images: list[Path], out: Path) -> Path:
    """A self-contained HTML page (images inlined as base64 data URIs)."""
    rows = []
    for name, r in ev.summary.items():
        te = f" ± {_fmt(r['truth_error'])}" if r.get("truth_error") is not None else ""
        ge = f" ± {_fmt(r['generated_error'])}" if r.get("generated_error") is not None else ""
        cls = ' class="flag"' if r["flagged"] else ""
        rows.append(f"<tr{cls}><td>{name}</td><td>{_fmt(r['truth'])}{te}</td>"
                    f"<td>{_fmt(r['generated'])}{ge}</td><td>{'yes' if r['flagged'] else ''}</td>"
                    f"<td>{html.escape(r['description'])}</td></tr>")
    feats = []
    pf = ev.per_feature
    for i, name in enumerate(ev.features):
        feats.append("<tr><td>" + html.escape(name) + "</td>" + "".join(
            f"<td>{_fmt(pf[m]['truth'][i])}</td><td>{_fmt(pf[m]['generated'][i])}</td>"
            for m in ("w1", "ks", "separation_power")) + "</tr>")
    figs = "".join(
        f'<figure><img alt="{p.stem}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}"><figcaption>{p.stem}</figcaption></figure>'
        for p in images)
    verdict = ("indistinguishable from truth at this sample size" if not ev.flagged
               else "flagged: " + ", ".join(ev.flagged))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>DeepBench evaluation</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:1em auto}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 6px}}
tr.flag{{background:#fdd}}img{{max-width:100%}}</style></head>
<body data-rendered="pending">
<h1>DeepBench evaluation</h1>
<p>Reference <code>{html.escape(ev.reference)}</code> ({ev.n_reference} samples); generated
<code>{html.escape(ev.generated)}</code> ({ev.n_generated} samples); fresh truth: {ev.n_generated}
samples of the reference's spec, seed {ev.seed}.</p>
<p id="verdict"><b>{html.escape(verdict)}</b></p>
<h2>Metrics: truth floor beside generated</h2>
<table><tr><th>metric</th><th>truth vs reference</th><th>generated vs reference</th>
<th>flagged</th><th>meaning</th></tr>{''.join(rows)}</table>
<h2>Plots</h2>{figs}
<h2>Per observable (standardised): truth | generated</h2>
<table><tr><th>observable</th><th colspan="2">W1</th><th colspan="2">KS</th>
<th colspan="2">separation power</th></tr>{''.join(feats)}</table>
<script>
window.addEventListener("error", function () {{
  document.body.setAttribute("data-errors", "yes");
}});
window.addEventListener("load", function () {{
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.length > 0 && imgs.every(function (i) {{ return i.complete && i.naturalWidth > 0; }});
  document.body.setAttribute("data-rendered", ok ? "ok" : "broken");
}});
</script>
</body></html>
"""
    out.write_text(page, encoding="utf-8")
    return out


def write_report(ev: Evaluation, out_dir: str | Path) -> Path:
    """Write report.json, the PNG plots and report.html into ``out_dir`` (created); return it."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    write_json(ev, d / "report.json")
    images = [histograms(ev, d / "histograms.png"), correlations(ev, d / "correlations.png")]
    lin = linearity(ev, d / "linearity.png")
    if lin is not None:
        images.append(lin)
    tmp = d / "report.html.partial"
    html_report(ev, images, tmp)
    os.replace(tmp, d / "report.html")
    return d

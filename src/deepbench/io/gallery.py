"""A gallery PNG of the first samples of a dataset, each titled with its labels (matplotlib).

Images are drawn as a grid; time series ``(N, T)`` as small multiples (one panel per sample, against
the ``t`` output when the dataset has one); trajectories ``(N, T, bodies, 3)`` as x–y paths.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from deepbench.dataset.view import load
from deepbench.errors import DeepBenchError, SpecError
from deepbench.stores import layout


def gallery(path: str | Path, out: str | Path, *, count: int = 16, output: str | None = None,
            columns: int | None = None) -> Path:
    """Draw the first ``count`` images of ``output`` with their labels to the PNG ``out``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:
        raise DeepBenchError("showing a dataset needs matplotlib: pip install 'deepbench[plot]'"
                             ) from None
    out = Path(out)
    with load(path) as ds:
        outputs = ds.outputs
        name = output or _first_declared(ds.spec, outputs)
        if name not in outputs:
            raise SpecError("--output", name, f"one of {', '.join(outputs)}")
        data = outputs[name]
        from deepbench.io import domains_gallery  # paired domains: one column per output

        if output is None and domains_gallery.wanted(ds.spec):
            k = min(count, 6, len(ds))
            maps = {n: outputs[n][:k] for n in domains_gallery.order(ds.spec, list(outputs))
                    if outputs[n].ndim == 3}
            labels = {n: d[:k] for n, d in ds.labels.items()}
            return domains_gallery.draw(plt, out, maps, {n: outputs[n].attrs.get("unit", "")
                                                         for n in maps},
                                        [_title(i, labels, ds.class_names) for i in range(k)])
        if name == "showers" and ds.spec.get("classes", [{}])[0].get("simulator") == "calo.shower":
            from deepbench.calo import show  # calorimeter showers: profiles and layer images

            geometry = show.dataset_geometry(ds.spec)
            if geometry is not None:
                return show.draw(plt, out, data[:show.MEAN_OVER], geometry,
                                 {n: d[:count] for n, d in ds.labels.items()}, count=min(count, 4))
        if _is_series(data):  # time series: small multiples instead of images
            k = min(count, len(ds))
            times = outputs["t"][:k] if "t" in outputs and name != "t" else None
            unit = data.attrs.get("unit", "")
            return _small_multiples(plt, out, name, unit, data[:k], times,
                                    {n: d[:k] for n, d in ds.labels.items()}, ds.class_names,
                                    columns)
        if data.ndim not in (3, 4):
            raise SpecError("--output", name, "an image output (N, H, W) or (N, C, H, W), a "
                            "series (N, T) or trajectories (N, T, bodies, 3)")
        k = min(count, len(ds))
        images = data[:k]
        if images.ndim == 4:
            images = images[:, 0]
        if data.attrs.get("unit") in ASTRO_UNITS:
            images = asinh_stretch(images)
        labels = {n: d[:k] for n, d in ds.labels.items()}
        names = ds.class_names
        objects = [ds.objects(i) for i in range(k)] if ds.catalog else None

    cols = columns or math.ceil(math.sqrt(k))
    rows = math.ceil(k / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.8 * rows), squeeze=False)
    lo, hi = float(np.min(images)), float(np.max(images))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= k:
            continue
        ax.imshow(images[i], cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(_title(i, labels, names), fontsize=6)
        if objects is not None and "bbox" in objects[i]:  # catalogue boxes, in pixel coordinates
            for x0, y0, x1, y1 in objects[i]["bbox"]:
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=0.6,
                                       edgecolor="tab:orange"))
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


ASTRO_UNITS = ("counts", "e-", "ADU")


def asinh_stretch(images: np.ndarray) -> np.ndarray:
    """Astronomical display stretch (Lupton et al. 1999): asinh((I − sky) / (3σ)) per image, with
    the sky the median and σ the MAD-estimated noise (or 1e-3 of the peak for noise-free images)."""
    x = images.astype(np.float64)
    sky = np.median(x, axis=(1, 2), keepdims=True)
    sigma = 1.4826 * np.median(np.abs(x - sky), axis=(1, 2), keepdims=True)
    peak = np.max(x - sky, axis=(1, 2), keepdims=True)
    scale = np.maximum(sigma, 1e-3 * np.maximum(peak, 1e-30))
    return np.arcsinh((x - sky) / (3 * scale))


def _title(i: int, labels: dict[str, np.ndarray], names: list[str]) -> str:
    parts = []
    if layout.CLASS_INDEX in labels:
        parts.append(names[int(labels[layout.CLASS_INDEX][i])])
    for key, v in labels.items():
        if key != layout.CLASS_INDEX and np.isfinite(v[i]):
            parts.append(f"{key}={v[i]:.3g}")
    lines, line = [], ""
    for p in parts:
        if len(line) + len(p) > 28:
            lines.append(line)
            line = ""
        line = f"{line} {p}".strip()
    lines.append(line)
    return "\n".join(lines[:4])


def _is_series(data) -> bool:  # type: ignore[no-untyped-def]
    return data.ndim == 2 or (data.ndim == 4 and data.shape[-1] == 3)


def _small_multiples(plt, out: Path, name: str, unit: str, series: np.ndarray,  # type: ignore[no-untyped-def]
                     times: np.ndarray | None, labels: dict[str, np.ndarray], names: list[str],
                     columns: int | None) -> Path:
    """One panel per sample: the series against time, or each body's x–y path."""
    k = len(series)
    cols = columns or math.ceil(math.sqrt(k))
    rows = math.ceil(k / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.2 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.axis("off")
            continue
        if series.ndim == 4:  # (T, bodies, 3): path of every body in the x–y plane
            ax.plot(series[i, :, :, 0], series[i, :, :, 1], lw=0.6)
            ax.set_aspect("equal", adjustable="datalim")
        else:
            x = times[i] if times is not None else np.arange(series.shape[1])
            ax.plot(x, series[i], lw=0.7)
        ax.tick_params(labelsize=5)
        ax.set_title(_title(i, labels, names), fontsize=6)
    label = f"{name} [{unit}]" if unit else name
    xlabel = "x–y paths" if series.ndim == 4 else ("t [s]" if times is not None else "step")
    fig.suptitle(f"{label} vs {xlabel}" if series.ndim == 2 else f"{label}: {xlabel}", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _first_declared(spec: dict, outputs: dict) -> str:  # type: ignore[type-arg]
    """The simulator's first declared output (the store lists names alphabetically)."""
    try:
        from deepbench.core import registry

        first = spec["classes"][0]
        sim = registry.get(first["simulator"])(first["config"])
        name = sim.outputs()[0].name
    except Exception:  # an unknown or changed simulator: fall back to the first stored name
        return next(iter(outputs))
    return name if name in outputs else next(iter(outputs))

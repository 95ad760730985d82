"""A gallery PNG of the first samples of a dataset, each titled with its labels (matplotlib)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from deepbench.dataset.view import load
from deepbench.errors import DeepBenchError, SpecError


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
        name = output or next(iter(outputs))
        if name not in outputs:
            raise SpecError("--output", name, f"one of {', '.join(outputs)}")
        data = outputs[name]
        if data.ndim not in (3, 4):
            raise SpecError("--output", name, "an image output (N, H, W) or (N, C, H, W)")
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
    if "class_index" in labels:
        parts.append(names[int(labels["class_index"][i])])
    for key, v in labels.items():
        if key != "class_index" and np.isfinite(v[i]):
            parts.append(f"{key}={v[i]:.3g}")
    lines, line = [], ""
    for p in parts:
        if len(line) + len(p) > 28:
            lines.append(line)
            line = ""
        line = f"{line} {p}".strip()
    lines.append(line)
    return "\n".join(lines[:4])

"""A gallery PNG of the first samples of a dataset, each titled with its labels (matplotlib)."""

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

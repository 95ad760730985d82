"""Gallery of paired multi-domain maps: one row per sample, one column per domain (output).

Used by ``deepbench show`` for simulators whose outputs are views of the same object on one grid
(``astro.galaxy_domains``): each column has its own colour map and an asinh stretch, its title the
domain's name and unit, each row the sample's labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: simulators whose image outputs are drawn side by side when no ``--output`` is asked for
SIDE_BY_SIDE = ("astro.galaxy_domains",)
CMAPS = {"stars": "afmhot", "gas": "viridis", "hi": "bone", "hi_brightness": "cividis",
         "h2": "inferno", "dm": "magma"}


def wanted(spec: dict[str, Any]) -> bool:
    """Whether the dataset's (first) simulator is drawn domain by domain."""
    classes = spec.get("classes") or [{}]
    return classes[0].get("simulator") in SIDE_BY_SIDE


def order(spec: dict[str, Any], names: list[str]) -> list[str]:
    """``names`` in the simulator's declared order (``config.domains``), the rest after them."""
    declared = list((spec.get("classes") or [{}])[0].get("config", {}).get("domains", []))
    return [n for n in declared if n in names] + [n for n in names if n not in declared]


def stretch(images: np.ndarray) -> np.ndarray:
    """asinh(x / s) per image with s = 1e-2 of its largest |value| (maps span decades)."""
    x = images.astype(np.float64)
    scale = 1e-2 * np.max(np.abs(x), axis=(1, 2), keepdims=True)
    return np.arcsinh(x / np.maximum(scale, 1e-300))


def draw(plt: Any, out: Path, maps: dict[str, np.ndarray], units: dict[str, str],
         titles: list[str]) -> Path:
    """One row per sample (``titles``), one column per domain in ``maps`` ((k, H, W) each)."""
    names = list(maps)
    rows = len(titles)
    fig, axes = plt.subplots(rows, len(names), figsize=(1.9 * len(names), 2.0 * rows + 0.3),
                             squeeze=False)
    for c, name in enumerate(names):
        shown = stretch(maps[name])
        for r in range(rows):
            ax = axes[r, c]
            ax.imshow(shown[r], cmap=CMAPS.get(name, "gray"), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                unit = units.get(name, "")
                ax.set_title(f"{name} [{unit}]" if unit else name, fontsize=7)
            if c == 0:
                ax.set_ylabel(titles[r], fontsize=5)
    fig.suptitle("the domains of each galaxy, side by side (asinh stretch per map)", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out

"""``deepbench show`` for showers: mean longitudinal and radial profiles, and single showers as
layer images (radius × layer, summed over angle; and the angle × radius image of the layer
holding most energy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from deepbench.calo import observables as obs
from deepbench.calo.geometry import AnyGeometry, Geometry

MEAN_OVER = 1000  # showers averaged for the mean profiles


def dataset_geometry(spec: dict[str, Any]) -> AnyGeometry | None:
    """The geometry of a dataset whose classes are all ``calo.shower`` in one configuration."""
    from deepbench.calo.shower import Shower

    classes = spec.get("classes", [])
    configs = [c.get("config", {}) for c in classes if c.get("simulator") == Shower.name]
    if not configs or len(configs) != len(classes) or any(c != configs[0] for c in configs):
        return None
    return Shower(configs[0]).geometry


def draw(plt: Any, out: Path, showers: np.ndarray, g: AnyGeometry, labels: dict[str, np.ndarray],
         count: int = 4) -> Path:
    """Write the figure to ``out``: 2 profile panels, then ``count`` showers (2 panels each)."""
    k = min(count, len(showers))
    fig, axes = plt.subplots(1 + k, 2, figsize=(7.0, 2.6 * (1 + k)), squeeze=False)
    el = obs.layer_energy(showers, g)
    depth = g.layer_edges_x0()
    ax = axes[0, 0]
    ax.step(depth[:-1], el.mean(0), where="post")
    ax.set(xlabel="depth [X0]", ylabel="mean energy per layer [MeV]", title="longitudinal")
    ax = axes[0, 1]
    cartesian = not isinstance(g, Geometry)
    if cartesian:     # energy density in rings of one cell width around the entry point
        r = obs.voxel_centres(g).r
        edges = np.arange(0.0, r.max() + g.cell, g.cell)
        ring = np.histogram(r, edges, weights=showers.mean(0, dtype=np.float64))[0]
        ax.step(edges[:-1], ring / (np.pi * np.diff(edges**2)), where="post")
        ax.set_yscale("log")
    elif g.regular:
        edges = np.asarray(g.r_edges[0])
        radial = showers.reshape(len(showers), *g.shape).sum(axis=(1, 2)).mean(0)
        ax.step(edges[:-1], radial / (np.pi * np.diff(edges**2)), where="post")
        ax.set_yscale("log")
    ax.set(xlabel="r [mm]", ylabel="mean energy density [MeV/mm²]", title="radial")
    for i in range(k):
        title = ", ".join(f"{n}={v[i]:.4g}" for n, v in labels.items())
        if not g.regular:
            axes[1 + i, 0].plot(el[i])
            axes[1 + i, 0].set_title(title, fontsize=7)
            continue
        cube = showers[i].reshape(g.shape)
        axes[1 + i, 0].imshow(np.log10(cube.sum(1).T + 1e-3), aspect="auto", origin="lower")
        axes[1 + i, 0].set(xlabel="layer", ylabel="x cell" if cartesian else "radial bin",
                           title=title)
        layer = int(np.argmax(el[i]))
        axes[1 + i, 1].imshow(np.log10(cube[layer] + 1e-3), aspect="auto", origin="lower")
        axes[1 + i, 1].set(xlabel="x cell" if cartesian else "radial bin",
                           ylabel="y cell" if cartesian else "angular bin",
                           title=f"layer {layer} (log10 MeV)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out

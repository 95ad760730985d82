"""Worst pixel error of the shape simulators against the independent oracle, over random batches.

Run: ``python benchmarks/raster_accuracy.py [--n 200] [--size 128]`` (needs the test extra, for
shapely). Every shape kind, filled and outlined, at random sizes (0.3 px to larger than the image),
positions (partly and wholly outside included), angles and aspect ratios; prints, per kind, the
largest |pixel − exact coverage| and the largest |image sum − exact area inside the image| relative
to that area. The oracle is ``tests/shapes/oracle.py`` (shapely clipping against every pixel).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "shapes"))

import oracle as O  # noqa: E402

import deepbench  # noqa: E402


def shapes(rng: np.random.Generator, size: int):
    """(name, params, filled, geometry) for one random shape of each kind."""
    s = float(np.exp(rng.uniform(np.log(0.3), np.log(1.5 * size))))
    q, ang, lw = rng.uniform(0.05, 1), rng.uniform(-6, 6), rng.uniform(0.2, 6)
    dx, dy = rng.uniform(-0.5, 0.5, 2) * (size + 2 * s)
    c = (dx + (size - 1) / 2, dy + (size - 1) / 2)
    n = int(rng.integers(3, 12))
    start, span = rng.uniform(-3, 3), rng.uniform(0.05, 2 * math.pi)
    end = start + span if start + span <= 2 * math.pi else start + span - 2 * math.pi
    r_in, r_out = s * (1 - q), s * (1 + q)
    g = lw / 2
    pos = {"cx": dx, "cy": dy}
    yield "rectangle", {**pos, "width": s, "height": s * q, "angle": ang}, True, O.rectangle(
        *c, s, s * q, ang)
    yield "polygon", {**pos, "radius": s, "n_sides": n, "angle": ang}, True, O.regular_polygon(
        *c, s, n, ang)
    yield "line", {**pos, "length": s, "thickness": s * q, "angle": ang}, True, O.rectangle(
        *c, s, s * q, ang)
    yield "ellipse", {**pos, "a": s, "b": s * q, "angle": ang}, True, O.ellipse(*c, s, s * q, ang)
    yield "circle", {**pos, "radius": s}, True, O.ellipse(*c, s, s, 0)
    yield "arc", {**pos, "radius": s, "thickness": 2 * s * q, "start": start, "end": end}, True, \
        O.annular_sector(*c, r_in, r_out, start, span)
    yield "rectangle", {**pos, "width": s, "height": s * q, "angle": ang, "line_width": lw}, False, \
        O.mitred_band(O.rectangle(*c, s, s * q, ang), lw)
    yield "polygon", {**pos, "radius": s, "n_sides": n, "angle": ang, "line_width": lw}, False, \
        O.mitred_band(O.regular_polygon(*c, s, n, ang), lw)
    yield "ellipse", {**pos, "a": s, "b": s * q, "angle": ang, "line_width": lw}, False, \
        O.ellipse(*c, s + g, s * q + g, ang).difference(O.ellipse(*c, s - g, s * q - g, ang))
    yield "arc", {**pos, "radius": s, "thickness": 2 * s * q, "start": start, "end": end,
                  "line_width": lw}, False, \
        O.annular_sector(*c, r_in, r_out, start, span, g).difference(
            O.annular_sector(*c, r_in, r_out, start, span, -g))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200, help="random shapes per kind")
    ap.add_argument("--size", type=int, default=128, help="image side (px)")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    worst: dict[str, list[float]] = {}
    for _ in range(args.n):
        for name, params, filled, geom in shapes(rng, args.size):
            config = {"height": args.size, "width": args.size}
            if name != "line":
                config["filled"] = filled
            batch = deepbench.simulate(f"shapes.{name}", n=1, config=config, **params)
            img = batch.outputs["image"][0].astype(np.float64)
            inside = O.in_image(geom, (args.size, args.size))
            key = name + ("" if filled else " outline")
            pixel = np.abs(img - O.coverage(geom, (args.size, args.size))).max()
            total = abs(img.sum() - inside) / max(inside, 1e-12) if inside > 1e-9 else img.sum()
            truth = abs(batch.truth["area"][0] - geom.area) / geom.area
            old = worst.get(key, [0.0, 0.0, 0.0])
            worst[key] = [max(old[0], pixel), max(old[1], total), max(old[2], truth)]
    print(f"{args.n} random shapes per kind at {args.size}x{args.size}")
    print("| kind | worst pixel error | worst relative sum error (in image) | worst truth/area error |")
    print("|---|---:|---:|---:|")
    for key, (pixel, total, truth) in worst.items():
        print(f"| {key} | {pixel:.1e} | {total:.1e} | {truth:.1e} |")


if __name__ == "__main__":
    main()

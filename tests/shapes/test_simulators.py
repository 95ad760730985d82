"""Shape simulators: labels, truth and catalogue agree with the images they describe."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deepbench
from deepbench.core import registry
from deepbench.shapes.scene import KINDS

U = {"dist": "uniform"}


def uniform(low: float, high: float) -> dict:
    return {**U, "low": low, "high": high}


CASES = [
    ("shapes.rectangle", {"width": uniform(8, 20), "height": uniform(8, 20), "angle": uniform(0, 6)}),
    ("shapes.polygon", {"radius": uniform(6, 12), "n_sides": {"dist": "integers", "low": 3, "high": 9},
                        "angle": uniform(0, 6)}),
    ("shapes.ellipse", {"a": uniform(8, 12), "b": uniform(4, 8), "angle": uniform(0, 6)}),
    ("shapes.circle", {"radius": uniform(4, 12)}),
    ("shapes.arc", {"radius": uniform(8, 14), "thickness": uniform(4, 8), "start": uniform(0, 3),
                    "end": uniform(4, 6)}),
]


@pytest.mark.parametrize("filled", [True, False])
@pytest.mark.parametrize("name, params", CASES, ids=[c[0] for c in CASES])
def test_truth_area_matches_the_image(name, params, filled):
    outline = {} if filled else {"line_width": {"dist": "uniform", "low": 0.3, "high": 12}}
    batch = deepbench.simulate(name, n=40, seed=3, config={"height": 64, "width": 64, "filled": filled},
                               **outline, **params)
    total = batch.outputs["image"].sum(axis=(1, 2), dtype=np.float64)
    np.testing.assert_allclose(total, batch.truth["area"], rtol=1e-5)


def test_line_truth_area_matches_the_image():
    batch = deepbench.simulate("shapes.line", n=40, seed=3, config={"height": 64, "width": 64},
                               length=uniform(8, 30), thickness=uniform(0.3, 4), angle=uniform(0, 6))
    total = batch.outputs["image"].sum(axis=(1, 2), dtype=np.float64)
    np.testing.assert_allclose(total, batch.truth["area"], rtol=1e-5)


def test_filled_truth_areas_are_the_analytic_formulas():
    p = {"cx": np.zeros(3), "cy": np.zeros(3)}
    cases = [
        ("shapes.rectangle", {"width": [3.0, 7.5, 0.3], "height": [2.0, 1.0, 0.3], "angle": [0, 1, 2]},
         lambda q: q["width"] * q["height"]),
        ("shapes.polygon", {"radius": [3.0, 7.5, 0.3], "n_sides": [3, 6, 11], "angle": [0, 1, 2]},
         lambda q: q["n_sides"] / 2 * q["radius"] ** 2 * np.sin(2 * np.pi / q["n_sides"])),
        ("shapes.ellipse", {"a": [3.0, 7.5, 0.3], "b": [2.0, 1.0, 0.3], "angle": [0, 1, 2]},
         lambda q: np.pi * q["a"] * q["b"]),
        ("shapes.arc", {"radius": [3.0, 7.5, 2.0], "thickness": [2.0, 1.0, 5.0], "start": [0, 1, 2],
                        "end": [2, 1, -2]},  # a sector, a full ring, a pie slice
         lambda q: np.mod(q["end"] - q["start"], 2 * np.pi + 1e-300) / 2
         * ((q["radius"] + q["thickness"] / 2) ** 2 - np.maximum(q["radius"] - q["thickness"] / 2, 0) ** 2)),
    ]
    for name, values, formula in cases:
        q = {k: np.asarray(v, dtype=float) for k, v in values.items()}
        sim = registry.get(name)()
        area = sim.simulate({**p, **q}, np.random.default_rng(0)).truth["area"]
        expected = formula(q)
        if name == "shapes.arc":
            expected[1] = np.pi * (8**2 - 7**2)  # end == start: the full ring
        np.testing.assert_allclose(area, expected, rtol=1e-12)


def test_angle_canonical_respects_symmetry():
    b = deepbench.simulate("shapes.polygon", n=3, n_sides=4, angle={"dist": "choice",
                                                                      "values": [0.1, 0.1 + math.pi / 2]})
    np.testing.assert_allclose(b.truth["angle_canonical"], 0.1)
    sq = deepbench.simulate("shapes.rectangle", n=2, width=5, height=5, angle=0.2 + math.pi / 2)
    np.testing.assert_allclose(sq.truth["angle_canonical"], 0.2)
    rect = deepbench.simulate("shapes.rectangle", n=2, width=6, height=5, angle=0.2 + math.pi / 2)
    np.testing.assert_allclose(rect.truth["angle_canonical"], 0.2 + math.pi / 2)


def test_positions_are_offsets_from_the_image_centre():
    b = deepbench.simulate("shapes.circle", n=1, config={"height": 41, "width": 60}, radius=5,
                           cx=3.0, cy=-2.0)
    img = b.outputs["image"][0]
    ys, xs = np.mgrid[:41, :60]
    assert abs((img * xs).sum() / img.sum() - (29.5 + 3)) < 0.01
    assert abs((img * ys).sum() / img.sum() - (20 - 2)) < 0.01


def test_scene_catalogue_describes_each_object():
    batch = deepbench.simulate("shapes.scene", n=30, seed=5,
                               config={"height": 48, "width": 48, "masks": True, "margin": 8},
                               n_objects={"dist": "integers", "low": 1, "high": 4})
    cat = batch.catalog
    counts = np.bincount(cat["sample_index"], minlength=30)
    assert np.array_equal(counts, batch.labels["n_objects"].astype(int))
    assert set(np.unique(cat["kind"])) <= set(range(len(KINDS)))
    masks = cat["mask"]
    # each mask's sum is its object's analytic area (objects may cross the border: compare inside ones)
    x0, y0, x1, y1 = cat["bbox"].T
    inside = (x0 > -0.5) & (y0 > -0.5) & (x1 < 47.5) & (y1 < 47.5)
    np.testing.assert_allclose(masks.sum(axis=(1, 2), dtype=np.float64)[inside], cat["area"][inside],
                               rtol=1e-5)
    # the image is the per-pixel maximum of its objects' masks
    for i in range(30):
        rows = cat["sample_index"] == i
        np.testing.assert_allclose(batch.outputs["image"][i], masks[rows].max(axis=0), atol=1e-6)
    # masks lie within their boxes
    ys, xs = np.mgrid[:48, :48]
    on = masks > 1e-6
    assert np.all(np.where(on, xs, 1e9).min(axis=(1, 2)) + 0.5 >= x0)
    assert np.all(np.where(on, xs, -1e9).max(axis=(1, 2)) - 0.5 <= x1)


def test_scene_with_chosen_kinds_and_aliasing():
    batch = deepbench.simulate("shapes.scene", n=10, seed=1,
                               config={"kinds": ["circle", "line"], "antialias": False})
    assert set(np.unique(batch.outputs["image"])) <= {0.0, 1.0}
    assert set(np.unique(batch.catalog["kind"])) <= {0, 1}


def test_scene_masks_are_the_single_shape_images():
    """Scenes draw with the shape classes' geometry: each mask is the single-shape image."""
    batch = deepbench.simulate("shapes.scene", n=40, seed=9, n_objects=2,
                               config={"height": 40, "width": 36, "masks": True, "filled": False,
                                       "line_width": 1.5, "size_max": 12})
    cat = batch.catalog
    kinds = [KINDS[k] for k in cat["kind"]]
    for i, kind in enumerate(kinds):
        s, q, a = cat["size"][i], cat["aspect"][i], cat["angle"][i]
        params = {"rectangle": {"width": 2 * s, "height": 2 * s * q, "angle": a},
                  "polygon": {"radius": s, "n_sides": int(cat["n_sides"][i]), "angle": a},
                  "ellipse": {"a": s, "b": s * q, "angle": a},
                  "circle": {"radius": s},
                  "line": {"length": 2 * s, "thickness": max(1.0, s / 4), "angle": a}}.get(kind)
        if params is None:  # the arc's span is not in the catalogue
            continue
        config = {"height": 40, "width": 36}
        if kind != "line":
            params["line_width"], config["filled"] = 1.5, False
        alone = deepbench.simulate(f"shapes.{kind}", n=1, config=config, cx=cat["x"][i] - 17.5,
                                   cy=cat["y"][i] - 19.5, **params)
        np.testing.assert_allclose(cat["mask"][i], alone.outputs["image"][0], atol=1e-6)
        np.testing.assert_allclose(cat["area"][i], alone.truth["area"][0], rtol=1e-12)

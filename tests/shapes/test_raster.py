"""Rasterisers against exact references: analytic areas, centroids, outline areas; properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepbench.shapes import raster as R

SHAPE = (128, 128)
N = 60
YS, XS = np.mgrid[: SHAPE[0], : SHAPE[1]]


def moments(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    total = img.sum(axis=(1, 2), dtype=np.float64)
    return total, (img * XS).sum(axis=(1, 2)) / total, (img * YS).sum(axis=(1, 2)) / total


@pytest.fixture
def place():
    """Random sub-pixel centres near the middle of a 128×128 image and random rotations."""
    rng = np.random.default_rng(2024)
    return (63.5 + rng.uniform(-4, 4, N), 63.5 + rng.uniform(-4, 4, N), rng.uniform(0, 2 * np.pi, N),
            rng)


def check(img, area, cx, cy, rel=0.01, cen=0.05):
    total, mx, my = moments(img)
    assert img.dtype == np.float32 and img.shape == (len(cx), *SHAPE)
    assert img.min() >= 0 and img.max() <= 1
    np.testing.assert_array_less(np.abs(total / area - 1), rel)
    np.testing.assert_array_less(np.hypot(mx - cx, my - cy), cen)


@pytest.mark.parametrize("size", [8, 12, 30])
def test_rectangle_and_line_area_and_centroid(place, size):
    cx, cy, angle, rng = place
    w, h = rng.uniform(size, 2 * size, N), rng.uniform(size, 2 * size, N)
    check(R.render_rectangle(cx, cy, w, h, angle, shape=SHAPE), w * h, cx, cy)
    length = rng.uniform(size, 2 * size, N)  # stays inside the image
    check(R.render_line(cx, cy, length, angle, w, shape=SHAPE), length * w, cx, cy)


@pytest.mark.parametrize("n", range(3, 11))
@pytest.mark.parametrize("size", [8, 20])
def test_polygon_area_and_centroid(place, n, size):
    cx, cy, angle, rng = place
    # smallest extent across (vertex to opposite edge or vertex) at least `size` px
    across = 1 + math.cos(math.pi / n) if n % 2 else 2 * math.cos(math.pi / n)
    r = rng.uniform(size, 1.5 * size, N) / across
    area = n / 2 * r**2 * math.sin(2 * math.pi / n)
    np.testing.assert_allclose(R.area_polygon(r, n), area)
    check(R.render_polygon(cx, cy, r, np.full(N, n), angle, shape=SHAPE), area, cx, cy)


@pytest.mark.parametrize("size", [8, 20])
def test_ellipse_and_circle_area_and_centroid(place, size):
    cx, cy, angle, rng = place
    b = rng.uniform(size / 2, size, N)
    a = b * rng.uniform(1, 2.5, N)
    check(R.render_ellipse(cx, cy, a, b, angle, shape=SHAPE), math.pi * a * b, cx, cy)
    check(R.render_ellipse(cx, cy, b, b, angle, shape=SHAPE), math.pi * b * b, cx, cy)


@pytest.mark.parametrize("size", [8, 14])
def test_annular_sector_area_and_centroid(place, size):
    cx, cy, start, rng = place
    t = rng.uniform(size, 1.5 * size, N)
    radius = rng.uniform(t / 2 + 1, 40, N)
    span = np.maximum(rng.uniform(0.3, 2 * np.pi, N), size / radius)  # arc length >= size
    area = span * radius * t
    np.testing.assert_allclose(R.area_arc(radius, t, start, start + span), area)
    ex, ey = R.centroid_arc(cx, cy, radius, t, start, start + span)
    total, mx, my = moments(R.render_arc(cx, cy, radius, start, start + span, t, shape=SHAPE))
    np.testing.assert_array_less(np.abs(total / area - 1), 0.01)
    np.testing.assert_array_less(np.hypot(mx - ex, my - ey), 0.05)


def test_annular_sector_centroid_formula_against_numerical_integration():
    r1, r2, s0, s1 = 3.0, 7.0, 0.4, 2.9
    rho, th = np.meshgrid(np.linspace(r1, r2, 2001), np.linspace(s0, s1, 2001), indexing="ij")
    w = rho  # polar area element
    x = (w * rho * np.cos(th)).sum() / w.sum()
    y = (w * rho * np.sin(th)).sum() / w.sum()
    ex, ey = R.centroid_arc(0.0, 0.0, 5.0, 4.0, s0, s1)
    assert abs(ex[0] - x) < 1e-3 and abs(ey[0] - y) < 1e-3


@pytest.mark.parametrize("lw", [1.0, 2.0, 3.0])
def test_outline_area_is_perimeter_times_width(place, lw):
    cx, cy, angle, rng = place
    w, h = rng.uniform(10, 40, N), rng.uniform(10, 40, N)
    total, *_ = moments(R.render_rectangle(cx, cy, w, h, angle, shape=SHAPE, filled=False,
                                           line_width=lw))
    np.testing.assert_array_less(np.abs(total / (2 * (w + h) * lw) - 1), 0.03)
    r, n = rng.uniform(8, 40, N), rng.integers(3, 11, N)
    total, *_ = moments(R.render_polygon(cx, cy, r, n, angle, shape=SHAPE, filled=False, line_width=lw))
    np.testing.assert_array_less(np.abs(total / (2 * n * r * np.sin(np.pi / n) * lw) - 1), 0.03)
    total, *_ = moments(R.render_ellipse(cx, cy, r, r, angle, shape=SHAPE, filled=False, line_width=lw))
    np.testing.assert_array_less(np.abs(total / (2 * np.pi * r * lw) - 1), 0.03)
    a = rng.uniform(10, 30, N)
    b = np.maximum(a * rng.uniform(0.25, 1, N), np.sqrt(0.55 * lw * a))  # exact while lw/2 < b²/a
    total, *_ = moments(R.render_ellipse(cx, cy, a, b, angle, shape=SHAPE, filled=False, line_width=lw))
    np.testing.assert_array_less(np.abs(total / (R.perimeter_ellipse(a, b) * lw) - 1), 0.03)
    radius, t = rng.uniform(15, 40, N), rng.uniform(5, 10, N)
    span = rng.uniform(0.5, 2 * np.pi, N)
    perimeter = 2 * span * radius + np.where(span < 2 * np.pi, 2 * t, 0)
    total, *_ = moments(R.render_arc(cx, cy, radius, angle, angle + span, t, shape=SHAPE, filled=False,
                                     line_width=lw))
    np.testing.assert_array_less(np.abs(total / (perimeter * lw) - 1), 0.03)


def test_ellipse_perimeter_matches_numerical_integral():
    a, b = 10.0, 4.0
    t = np.linspace(0, 2 * np.pi, 200001)
    exact = np.trapezoid(np.hypot(a * np.sin(t), b * np.cos(t)), t)
    assert abs(R.perimeter_ellipse(a, b) / exact - 1) < 1e-6


def test_aliased_rendering_is_two_colour_and_close_in_area(place):
    cx, cy, angle, rng = place
    w, h = rng.uniform(30, 60, N), rng.uniform(30, 60, N)
    img = R.render_rectangle(cx, cy, w, h, angle, shape=SHAPE, antialias=False)
    assert set(np.unique(img)) <= {0.0, 1.0}
    total, *_ = moments(img)
    assert abs(np.mean(total / (w * h)) - 1) < 0.01  # unbiased on average
    np.testing.assert_array_less(np.abs(total / (w * h) - 1), 0.05)
    img = R.render_arc(cx, cy, np.full(N, 30.0), angle, angle + 3, np.full(N, 10.0), shape=SHAPE,
                       antialias=False)
    assert set(np.unique(img)) <= {0.0, 1.0}
    assert abs(np.mean(img.sum(axis=(1, 2)) / 900) - 1) < 0.02


def test_axis_aligned_pixel_exact_rectangle():
    # a rectangle on pixel boundaries covers whole pixels exactly; a half-pixel offset halves edges
    img = R.render_rectangle(10.5, 20.5, 8.0, 4.0, 0.0, shape=(40, 30))[0]
    assert img.sum() == pytest.approx(32, abs=1e-4)
    assert set(np.round(np.unique(img), 5)) == {0.0, 1.0}
    img = R.render_rectangle(10.0, 20.0, 8.0, 4.0, 0.0, shape=(40, 30))[0]
    assert img[20, 10] == 1 and img[20, 14] == pytest.approx(0.5) and img[22, 14] == pytest.approx(0.25)


def test_bounding_boxes_contain_the_rendered_shape(place):
    cx, cy, angle, rng = place
    s = rng.uniform(5, 20, N)
    cases = [
        (R.render_rectangle(cx, cy, 2 * s, s, angle, shape=SHAPE),
         R.bounding_box_rectangle(cx, cy, 2 * s, s, angle)),
        (R.render_polygon(cx, cy, s, np.full(N, 5), angle, shape=SHAPE),
         R.bounding_box_polygon(cx, cy, s, np.full(N, 5), angle)),
        (R.render_ellipse(cx, cy, 2 * s, s, angle, shape=SHAPE),
         R.bounding_box_ellipse(cx, cy, 2 * s, s, angle)),
        (R.render_arc(cx, cy, 2 * s, angle, angle + 2, s, shape=SHAPE),
         R.bounding_box_arc(cx, cy, 2 * s, s, angle, angle + 2)),
    ]
    for img, (x0, y0, x1, y1) in cases:
        on = img > 1e-6
        rows, cols = on.any(axis=2), on.any(axis=1)
        first_col = np.argmax(cols, axis=1)
        last_col = SHAPE[1] - 1 - np.argmax(cols[:, ::-1], axis=1)
        first_row = np.argmax(rows, axis=1)
        last_row = SHAPE[0] - 1 - np.argmax(rows[:, ::-1], axis=1)
        # pixels touched lie within the box (± half a pixel), and the box is tight to a pixel
        assert np.all(first_col + 0.5 >= x0) and np.all(last_col - 0.5 <= x1)
        assert np.all(first_row + 0.5 >= y0) and np.all(last_row - 0.5 <= y1)
        assert np.all(first_col - 0.5 <= x0 + 1) and np.all(last_col + 0.5 >= x1 - 1)


# -- properties --------------------------------------------------------------------------------
centres = st.floats(20, 44)
angles = st.floats(0, 2 * math.pi)


@settings(max_examples=40, deadline=None)
@given(centres, centres, st.floats(2, 15), st.floats(2, 15), angles, st.booleans())
def test_values_in_unit_interval_and_area_monotone(cx, cy, w, h, angle, filled):
    small = R.render_rectangle(cx, cy, w, h, angle, shape=(64, 64), filled=filled)
    big = R.render_rectangle(cx, cy, w * 1.1, h * 1.1, angle, shape=(64, 64), filled=filled)
    assert small.min() >= 0 and small.max() <= 1
    assert big.sum() >= small.sum() - 1e-3
    e_small = R.render_ellipse(cx, cy, w, h, angle, shape=(64, 64))
    e_big = R.render_ellipse(cx, cy, w + 0.5, h + 0.5, angle, shape=(64, 64))
    assert e_small.min() >= 0 and e_small.max() <= 1 and e_big.sum() >= e_small.sum() - 1e-3


@settings(max_examples=40, deadline=None)
@given(centres, centres, st.floats(3, 18), st.integers(3, 12), angles)
def test_regular_polygon_invariant_under_rotation_by_its_symmetry(cx, cy, r, n, angle):
    a = R.render_polygon(cx, cy, r, n, angle, shape=(64, 64))
    b = R.render_polygon(cx, cy, r, n, angle + 2 * math.pi / n, shape=(64, 64))
    assert np.max(np.abs(a - b)) < 1e-4


@settings(max_examples=25, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(3, 12), angles)
def test_non_square_images_give_the_same_area(dx, dy, r, angle):
    wide = R.render_polygon(36 + dx, 20 + dy, r, 5, angle, shape=(40, 72))
    square = R.render_polygon(32 + dx, 32 + dy, r, 5, angle, shape=(64, 64))
    assert abs(wide.sum() - square.sum()) < 1e-3


def test_batch_rendering_equals_rendering_each_sample_alone(place):
    cx, cy, angle, rng = place
    r, n = rng.uniform(4, 20, N), rng.integers(3, 9, N)
    batch = R.render_polygon(cx, cy, r, n, angle, shape=SHAPE)
    for i in (0, 7, 31):
        alone = R.render_polygon(cx[i], cy[i], r[i], n[i], angle[i], shape=SHAPE)
        np.testing.assert_array_equal(batch[i], alone[0])

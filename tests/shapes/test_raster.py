"""Every pixel against an independent exact oracle (shapely clipping, see ``oracle.py``).

Straight-edged shapes must match the exact pixel coverage to 1e-6 (float32 rounding is 6e-8),
curved ones to 1e-4; image sums must equal the exact area inside the image to 1e-4 relative and
``truth/area`` the exact area of what is drawn.
"""

from __future__ import annotations

import math

import numpy as np
import oracle as O
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import deepbench
from deepbench.shapes import raster as R
from deepbench.shapes.simulators import Polygon, wrap

STRAIGHT, CURVED = 1e-6, 1e-4
IMAGES = st.sampled_from([(28, 28), (128, 128)])
SIZES = st.one_of(st.floats(0.3, 3), st.floats(3, 40), st.floats(40, 180))
ANGLES = st.floats(-2 * math.pi, 2 * math.pi)
ASPECTS = st.floats(0.05, 1)
OFFSETS = st.floats(0, 1)  # position as a fraction of a range reaching past the image edges
FAST = settings(max_examples=12, deadline=None)


def draw(name: str, shape: tuple[int, int], filled: bool = True, antialias: bool = True,
         **params: float) -> tuple[np.ndarray, float]:
    config = {"height": shape[0], "width": shape[1], "antialias": antialias}
    if name != "shapes.line":
        config["filled"] = filled
    batch = deepbench.simulate(name, n=1, config=config, **params)
    return batch.outputs["image"][0].astype(np.float64), float(batch.truth["area"][0])


def place(shape: tuple[int, int], fx: float, fy: float, reach: float) -> tuple[float, float]:
    """Offsets from the image centre spanning the image and ``reach`` px beyond each edge."""
    h, w = shape
    return (fx - 0.5) * (w + 2 * reach), (fy - 0.5) * (h + 2 * reach)


def assert_exact(img: np.ndarray, area: float, geom, shape: tuple[int, int], tol: float) -> None:
    ref = O.coverage(geom, shape)
    worst = np.abs(img - ref).max()
    assert worst <= tol, f"pixel error {worst:.3g} at {np.unravel_index(np.abs(img - ref).argmax(), shape)}"
    inside = O.in_image(geom, shape)
    assert abs(img.sum() - inside) <= 1e-4 * inside + 1e-6, (img.sum(), inside)
    assert abs(area - geom.area) <= max(tol, 1e-12) * max(geom.area, 1.0), (area, geom.area)


def end_of(start: float, span: float) -> float:
    """An ``end`` within the parameter's bounds [−2π, 2π] with (end − start) mod 2π = span."""
    return start + span if start + span <= 2 * math.pi else start + span - 2 * math.pi


def centre(shape: tuple[int, int], dx: float, dy: float) -> tuple[float, float]:
    return dx + (shape[1] - 1) / 2, dy + (shape[0] - 1) / 2


# -- filled shapes ---------------------------------------------------------------------------------
@FAST
@given(IMAGES, SIZES, ASPECTS, ANGLES, OFFSETS, OFFSETS)
def test_rectangle_pixels_are_exact(shape, size, aspect, angle, fx, fy):
    dx, dy = place(shape, fx, fy, size)
    img, area = draw("shapes.rectangle", shape, width=size, height=size * aspect, angle=angle,
                     cx=dx, cy=dy)
    assert_exact(img, area, O.rectangle(*centre(shape, dx, dy), size, size * aspect, angle), shape,
                 STRAIGHT)


@FAST
@given(IMAGES, SIZES, st.integers(3, 12), ANGLES, OFFSETS, OFFSETS)
def test_polygon_pixels_are_exact(shape, size, n, angle, fx, fy):
    dx, dy = place(shape, fx, fy, size)
    img, area = draw("shapes.polygon", shape, radius=size, n_sides=n, angle=angle, cx=dx, cy=dy)
    assert_exact(img, area, O.regular_polygon(*centre(shape, dx, dy), size, n, angle), shape,
                 STRAIGHT)


@FAST
@given(IMAGES, SIZES, st.floats(0.3, 6), ANGLES, OFFSETS, OFFSETS)
def test_line_pixels_are_exact(shape, length, thickness, angle, fx, fy):
    dx, dy = place(shape, fx, fy, length)
    img, area = draw("shapes.line", shape, length=length, thickness=thickness, angle=angle, cx=dx,
                     cy=dy)
    assert_exact(img, area, O.rectangle(*centre(shape, dx, dy), length, thickness, angle), shape,
                 STRAIGHT)


@FAST
@given(IMAGES, SIZES, ASPECTS, ANGLES, OFFSETS, OFFSETS)
def test_ellipse_and_circle_pixels_are_exact(shape, size, aspect, angle, fx, fy):
    dx, dy = place(shape, fx, fy, size)
    img, area = draw("shapes.ellipse", shape, a=size, b=size * aspect, angle=angle, cx=dx, cy=dy)
    assert_exact(img, area, O.ellipse(*centre(shape, dx, dy), size, size * aspect, angle), shape,
                 CURVED)
    img, area = draw("shapes.circle", shape, radius=size * aspect, cx=dx, cy=dy)
    assert_exact(img, area, O.ellipse(*centre(shape, dx, dy), size * aspect, size * aspect, 0),
                 shape, CURVED)


@FAST
@given(IMAGES, SIZES, st.floats(0.05, 2.5), ANGLES, st.floats(0.05, 2 * math.pi), OFFSETS, OFFSETS)
def test_annular_sector_pixels_are_exact(shape, radius, rel_thickness, start, span, fx, fy):
    thickness = radius * rel_thickness  # above 2: a pie slice
    dx, dy = place(shape, fx, fy, radius)
    img, area = draw("shapes.arc", shape, radius=radius, thickness=thickness, start=start,
                     end=end_of(start, span), cx=dx, cy=dy)
    geom = O.annular_sector(*centre(shape, dx, dy), radius - thickness / 2, radius + thickness / 2,
                            start, span)
    assert_exact(img, area, geom, shape, CURVED)


# -- outlines against the documented bands ---------------------------------------------------------
@FAST
@given(IMAGES, SIZES, ASPECTS, ANGLES, st.floats(0.2, 8), OFFSETS, OFFSETS)
def test_rectangle_and_polygon_outlines_are_the_mitred_band(shape, size, aspect, angle, lw, fx, fy):
    dx, dy = place(shape, fx, fy, size)
    c = centre(shape, dx, dy)
    img, area = draw("shapes.rectangle", shape, filled=False, width=size, height=size * aspect,
                     angle=angle, line_width=lw, cx=dx, cy=dy)
    assert_exact(img, area, O.mitred_band(O.rectangle(*c, size, size * aspect, angle), lw), shape,
                 STRAIGHT)
    n = 3 + int(aspect * 9)
    img, area = draw("shapes.polygon", shape, filled=False, radius=size, n_sides=n, angle=angle,
                     line_width=lw, cx=dx, cy=dy)
    assert_exact(img, area, O.mitred_band(O.regular_polygon(*c, size, n, angle), lw), shape, STRAIGHT)


@FAST
@given(IMAGES, SIZES, ASPECTS, ANGLES, st.floats(0.2, 8), OFFSETS, OFFSETS)
def test_ellipse_and_circle_outlines_are_the_documented_band(shape, size, aspect, angle, lw, fx, fy):
    dx, dy = place(shape, fx, fy, size)
    c = centre(shape, dx, dy)
    g = lw / 2
    img, area = draw("shapes.ellipse", shape, filled=False, a=size, b=size * aspect, angle=angle,
                     line_width=lw, cx=dx, cy=dy)
    band = O.ellipse(*c, size + g, size * aspect + g, angle).difference(
        O.ellipse(*c, size - g, size * aspect - g, angle))
    assert_exact(img, area, band, shape, CURVED)
    img, area = draw("shapes.circle", shape, filled=False, radius=size, line_width=lw, cx=dx, cy=dy)
    assert_exact(img, area, O.ellipse(*c, size + g, size + g, 0).difference(
        O.ellipse(*c, size - g, size - g, 0)), shape, CURVED)


@FAST
@given(IMAGES, SIZES, st.floats(0.05, 2.5), ANGLES, st.floats(0.05, 2 * math.pi), st.floats(0.2, 8),
       OFFSETS, OFFSETS)
def test_arc_outline_is_the_documented_band(shape, radius, rel_thickness, start, span, lw, fx, fy):
    thickness = radius * rel_thickness
    dx, dy = place(shape, fx, fy, radius)
    c = centre(shape, dx, dy)
    img, area = draw("shapes.arc", shape, filled=False, radius=radius, thickness=thickness,
                     start=start, end=end_of(start, span), line_width=lw, cx=dx, cy=dy)
    r_in, r_out = radius - thickness / 2, radius + thickness / 2
    band = O.annular_sector(*c, r_in, r_out, start, span, lw / 2).difference(
        O.annular_sector(*c, r_in, r_out, start, span, -lw / 2))
    assert_exact(img, area, band, shape, CURVED)


def test_outline_truth_when_the_width_exceeds_a_side_or_the_thickness():
    # the issue's cases: a 6 × 1 rectangle outlined 2 px wide is the 8 × 3 grown rectangle
    img, area = draw("shapes.rectangle", (28, 28), filled=False, width=6, height=1, line_width=2)
    assert area == pytest.approx(24) and img.sum() == pytest.approx(24, rel=1e-6)
    # a full ring thinner than the line: the annulus between the grown radii
    img, area = draw("shapes.arc", (64, 64), filled=False, radius=10, thickness=1, start=0, end=0,
                     line_width=2)
    assert area == pytest.approx(math.pi * (11.5**2 - 8.5**2)) and img.sum() == pytest.approx(area)
    img, area = draw("shapes.circle", (28, 28), filled=False, radius=1, line_width=3)
    assert area == pytest.approx(math.pi * 2.5**2)


# -- the issue's regressions and thin shapes -------------------------------------------------------
def test_issue_pixel_is_the_exact_coverage():
    img, _ = draw("shapes.polygon", (28, 28), radius=8, n_sides=4, angle=-0.7, cx=0.25, cy=-0.13)
    assert img[19, 11] == pytest.approx(0.31212688, abs=1e-6)


@pytest.mark.parametrize("params, geom", [
    ({"length": 16, "thickness": 0.3, "angle": 0.0095}, O.rectangle(13.5, 13.5, 16, 0.3, 0.0095)),
    ({"length": 0.5, "thickness": 0.5, "angle": 0.0}, O.rectangle(13.5, 13.5, 0.5, 0.5, 0)),
    ({"length": 20, "thickness": 0.3, "angle": 1e-9}, O.rectangle(13.5, 13.5, 20, 0.3, 1e-9)),
])
def test_thin_and_near_horizontal_shapes(params, geom):
    img, area = draw("shapes.line", (28, 28), **params)
    assert_exact(img, area, geom, (28, 28), STRAIGHT)
    assert img.sum() == pytest.approx(params["length"] * params["thickness"], rel=1e-5)


def test_large_images_keep_pixels_exact():
    """Rows of 1024 pixels: the cumulative sums keep every pixel exact and interiors at 1."""
    x0, x1, y0, y1 = 11.3, 1011.6, 60.85, 961.55
    img, area = draw("shapes.rectangle", (1024, 1024), width=x1 - x0, height=y1 - y0, angle=0.0,
                     cx=(x0 + x1) / 2 - 511.5, cy=(y0 + y1) / 2 - 511.5)
    edges = np.arange(1025) - 0.5
    ox = np.clip(np.minimum(edges[1:], x1) - np.maximum(edges[:-1], x0), 0, None)
    oy = np.clip(np.minimum(edges[1:], y1) - np.maximum(edges[:-1], y0), 0, None)
    assert np.abs(img - np.outer(oy, ox)).max() <= STRAIGHT
    assert img.sum() == pytest.approx(area, rel=1e-7)
    for name, params in [("shapes.polygon", {"radius": 700, "n_sides": 7, "angle": 0.3}),
                         ("shapes.ellipse", {"a": 720, "b": 600, "angle": 0.4})]:
        img, _ = draw(name, (1024, 1024), **params)
        assert np.abs(img[200:824, 200:824] - 1).max() <= STRAIGHT


def test_wholly_outside_shapes_draw_nothing():
    for name, params in [("shapes.rectangle", {"cx": 40}), ("shapes.circle", {"cy": -60}),
                         ("shapes.arc", {"cx": -50, "cy": 50})]:
        img, area = draw(name, (28, 28), **params)
        assert img.max() == 0 and area > 0


# -- aliased rendering -----------------------------------------------------------------------------
@FAST
@given(IMAGES, st.floats(1, 60), ASPECTS, ANGLES, st.floats(0.3, 2 * math.pi), OFFSETS, OFFSETS)
def test_aliased_pixels_are_on_iff_their_centre_is_inside(shape, size, aspect, angle, span, fx, fy):
    dx, dy = place(shape, fx, fy, size)
    c = centre(shape, dx, dy)
    end = end_of(angle, span)
    cases = [
        ("shapes.rectangle", {"width": size, "height": size * aspect, "angle": angle},
         O.rectangle(*c, size, size * aspect, angle)),
        ("shapes.ellipse", {"a": size, "b": size * aspect, "angle": angle},
         O.ellipse(*c, size, size * aspect, angle)),
        ("shapes.arc", {"radius": size, "thickness": size * aspect, "start": angle, "end": end},
         O.annular_sector(*c, size * (1 - aspect / 2), size * (1 + aspect / 2), angle, span)),
    ]
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    for name, params, geom in cases:
        img, _ = draw(name, shape, antialias=False, cx=dx, cy=dy, **params)
        assert set(np.unique(img)) <= {0.0, 1.0}
        boundary = geom.boundary
        shapely.prepare(geom)
        shapely.prepare(boundary)
        inside = shapely.contains_xy(geom, xs, ys)
        clear = ~shapely.dwithin(boundary, shapely.points(xs, ys), 1e-5)
        np.testing.assert_array_equal(img[clear] == 1, inside[clear])


# -- angles, boxes, batches -------------------------------------------------------------------------
@pytest.mark.parametrize("period", [math.pi / 2, math.pi, 2 * math.pi / 7, 2 * math.pi])
def test_angle_canonical_lies_in_zero_to_period(period):
    tiny = np.nextafter(0.0, -1.0)
    x = np.array([-1e-17, tiny, -0.0, 0.0, period, -period, np.nextafter(period, 0), 3 * period,
                  -2 * period - 1e-16, 1e-300, -1e-300, 6.283185307179586, -6.283185307179586])
    out = wrap(x, period)
    assert np.all(out >= 0) and np.all(out < period)
    assert not np.any(np.signbit(out))
    np.testing.assert_allclose(out[[3, 4, 5]], 0)


def test_angle_canonical_of_the_simulators_at_the_boundary():
    for name, key, period in [("shapes.rectangle", "angle", math.pi),
                              ("shapes.polygon", "angle", 2 * math.pi / 5),
                              ("shapes.ellipse", "angle", math.pi), ("shapes.line", "angle", math.pi),
                              ("shapes.arc", "start", 2 * math.pi)]:
        for value in (-1e-17, -2 * math.pi, 2 * math.pi, np.nextafter(0.0, -1.0), -period):
            out = deepbench.simulate(name, n=1, **{key: value}).truth["angle_canonical"][0]
            assert 0 <= out < period and not np.signbit(out), (name, value, out)


@settings(max_examples=20, deadline=None)
@given(SIZES, ASPECTS, ANGLES, st.floats(-40, 40), st.floats(-40, 40), st.floats(0.05, 2 * math.pi))
def test_bounding_boxes_are_tight(size, aspect, angle, x, y, span):
    cases = [
        (R.ellipse(np.array([size]), np.array([size * aspect]), np.array([angle])),
         O.ellipse(0, 0, size, size * aspect, angle)),
        (R.annular_sector(np.array([size * (1 - aspect)]), np.array([size]), np.array([angle]),
                          np.array([span]), np.zeros(1)),
         O.annular_sector(0, 0, size * (1 - aspect), size, angle, span)),
    ]
    for edges, geom in cases:
        box = edges.moved([x], [y]).bbox()[0]
        np.testing.assert_allclose(box, np.add(geom.bounds, [x, y, x, y]), atol=1e-5 * size)


def test_batches_equal_samples_drawn_alone():
    rng = np.random.default_rng(3)
    n = 1300  # two sub-batches of 650 (at most 1 << 20 cells of 28 x 30 each)
    params = {"radius": rng.uniform(0.5, 20, n), "n_sides": rng.integers(3, 9, n).astype(float),
              "angle": rng.uniform(0, 6, n), "cx": rng.uniform(-20, 20, n), "cy": rng.uniform(-20, 20, n)}
    sim = Polygon({"filled": False})
    batch = sim.simulate({**params, "line_width": np.full(n, 1.5)}, rng).outputs["image"]
    assert [o1 - o0 for o0, o1, _ in R.blocks(sim.drawn(params, np.full(n, 1.5)), (28, 28))] == [650, 650]
    for i in (0, 649, 650, 1299):
        alone = sim.simulate({k: v[i:i + 1] for k, v in params.items()} | {"line_width": np.full(1, 1.5)},
                             rng).outputs["image"]
        np.testing.assert_array_equal(batch[i], alone[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from([-1.5, -0.0, 0.0, 2.0, np.inf])), max_size=12),
       st.lists(st.floats(-3, 3), min_size=6, max_size=6))
def test_per_owner_extremes_equal_ufunc_at(items, start):
    items.sort(key=lambda t: t[0])  # owners sorted (stable: values keep their order)
    owner = np.array([o for o, _ in items], dtype=np.float64)
    low = np.array([v for _, v in items], dtype=np.float64)
    high = -low
    lo, hi = np.array(start), -np.array(start)
    ref_lo, ref_hi = lo.copy(), hi.copy()
    np.minimum.at(ref_lo, owner.astype(np.intp), low)
    np.maximum.at(ref_hi, owner.astype(np.intp), high)
    R._extremes(lo, hi, owner, low, high)
    np.testing.assert_array_equal(lo.view(np.int64), ref_lo.view(np.int64))  # to the bit, ±0 too
    np.testing.assert_array_equal(hi.view(np.int64), ref_hi.view(np.int64))


@pytest.mark.parametrize("antialias", [True, False])
def test_sub_batches_are_equal_sized_and_do_not_change_images(monkeypatch, antialias):
    rng = np.random.default_rng(4)
    n = 203
    edges = (R.ellipse(rng.uniform(0.5, 9, n), rng.uniform(0.5, 9, n), rng.uniform(0, 6, n))
             + R.polygon(*np.multiply.outer([[-1, 1, 1, -1], [-1, -1, 1, 1]], rng.uniform(0.3, 6, n))
                         .transpose(0, 2, 1)))
    edges = edges.moved(rng.uniform(-2, 30, n), rng.uniform(-2, 30, n))
    image = np.arange(n) // 3
    slot = np.arange(n) % 3
    whole = R.rasterise(edges, (28, 28), antialias)
    top = R.maximum(edges, (28, 28), image, slot, image[-1] + 1, antialias)
    monkeypatch.setattr(R, "BATCH_CELLS", 50 * 28 * 30)  # at most 50 regions: 5 sub-batches
    sizes = [o1 - o0 for o0, o1, *_ in R._sub_batches(edges, (28, 28), antialias)]
    assert sizes == [41, 41, 41, 41, 39]
    assert [o1 - o0 for o0, o1, _ in R.blocks(edges, (28, 28), antialias, align=4)] == [44, 44, 44, 44, 27]
    np.testing.assert_array_equal(R.rasterise(edges, (28, 28), antialias), whole)
    np.testing.assert_array_equal(R.maximum(edges, (28, 28), image, slot, image[-1] + 1, antialias), top)
    assert whole.max() > 0.9 and np.count_nonzero(whole) > 20 * n


@settings(max_examples=20, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(1, 12), st.integers(3, 12), st.floats(-3, 3))
def test_polygon_invariant_under_rotation_by_its_symmetry(dx, dy, r, n, angle):
    a, _ = draw("shapes.polygon", (40, 40), radius=r, n_sides=n, angle=angle, cx=dx, cy=dy)
    b, _ = draw("shapes.polygon", (40, 40), radius=r, n_sides=n, angle=angle + 2 * math.pi / n,
                cx=dx, cy=dy)
    assert np.abs(a - b).max() < 1e-6


def test_segment_sine_from_the_half_angle_tangent_is_np_sin_to_a_few_ulp():
    # the elliptic-segment term (Δt − sin Δt) takes sin Δt as 2τ/(1 + τ²), τ = tan(Δt/2)
    x = np.concatenate([np.linspace(0, np.pi / 2, 100_001), [5e-324, 1e-300, 1e-8, np.pi / 2],
                        -np.linspace(0, np.pi / 2, 1001)])
    ref = np.sin(x)
    assert np.all(np.abs(R._sin(x) - ref) <= 4 * np.spacing(np.abs(ref)) + 1e-320)


def test_six_value_sorting_network_sorts_every_input():
    # zero-one principle: a comparator network sorts every input iff it sorts all 2^6 0/1 inputs;
    # then ties, repeated values and ±inf as the sub-arcs meet them, against np.sort
    bits = (np.arange(64)[:, None] >> np.arange(6)) & 1
    rng = np.random.default_rng(0)
    values = np.concatenate([bits.astype(np.float64), rng.integers(-2, 3, (500, 6)).astype(float),
                             rng.normal(size=(500, 6)), np.full((1, 6), np.inf),
                             [[np.inf, -np.inf, 0.0, 1.0, -1.0, 0.0]]])
    out = np.stack(R._sort6(list(values.T)), axis=1)
    np.testing.assert_array_equal(out, np.sort(values, axis=1))

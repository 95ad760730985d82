"""astro.multirender (several fields on shared nodes) against exact pixel integrals written here: the
erf product of a round Gaussian, the boundary integral of a cusped Sérsic and of a sheared
exponential; and its promise that a field's pixels depend neither on the other fields nor on the
rest of the batch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astro_reference import pixel_polygon, polygon_flux, sersic, stamp_polygon
from scipy import special

from deepbench.astro.multirender import render_fields


class Fields:
    """Test fields: 0 a round Gaussian (σ px), 1 a round Sérsic (n, r_e px), 2 an exponential of
    scale ``rd`` px sheared by (g1, g2); each with unit flux, written out again here."""

    def __init__(self, p: dict[str, np.ndarray], which=(0, 1, 2)):
        self.p, self.which, self.count = p, tuple(which), len(which)

    def view(self, sel, scale, batch_last):
        return View({k: v[sel] for k, v in self.p.items()}, self.which, scale, batch_last)


class View:
    def __init__(self, p, which, scale, batch_last):
        self.p, self.which, self.scale, self.batch_last = p, which, scale, batch_last
        self.shape = (-1,) if batch_last else (-1, 1, 1)

    def select(self, fields):
        return View(self.p, tuple(self.which[i] for i in fields), self.scale, self.batch_last)

    def __call__(self, dx, dy, out):
        c = {k: v.reshape(self.shape) for k, v in self.p.items()}
        dx, dy = dx.astype(np.float64), dy.astype(np.float64)
        for slot, field in enumerate(self.which):
            if field == 0:
                s2 = c["sigma"] ** 2
                v = np.exp(-(dx * dx + dy * dy) / (2 * s2)) / (2 * math.pi * s2)
            elif field == 1:
                b = special.gammaincinv(2 * c["n"], 0.5)
                i0 = b ** (2 * c["n"]) / (2 * math.pi * c["n"] * c["re"] ** 2
                                          * special.gamma(2 * c["n"]))
                r = np.sqrt(dx * dx + dy * dy)
                v = i0 * np.exp(-b * (r / c["re"]) ** (1 / c["n"]))
            else:
                g1, g2 = c["g1"], c["g2"]
                k = 1 / np.sqrt(1 - g1 * g1 - g2 * g2)
                u, w = k * ((1 - g1) * dx - g2 * dy), k * (-g2 * dx + (1 + g1) * dy)
                v = np.exp(-np.sqrt(u * u + w * w) / c["rd"]) / (2 * math.pi * c["rd"] ** 2)
            out[slot] = v * self.scale


def levels_for(p):
    """Depths that put < 1e-5 of the flux in the innermost block (as the astro renderer does)."""
    log_i0 = np.log(special.gammaincinv(8.0, 0.5) ** 8 / (2 * math.pi * 4 * p["re"] ** 2
                                                          * math.gamma(8)))
    sersic_levels = np.ceil(1 + 0.5 * (log_i0 / math.log(2) + math.log2(1e5))).astype(int)
    return np.stack([np.ones_like(sersic_levels), sersic_levels, np.full_like(sersic_levels, 6)])


PARAMS = {"sigma": np.array([1.2, 2.5, 0.8]), "n": np.array([4.0, 4.0, 2.0]),
          "re": np.array([1.5, 0.6, 3.0]), "rd": np.array([3.0, 1.5, 6.0]),
          "g1": np.array([0.2, -0.1, 0.0]), "g2": np.array([0.1, 0.3, 0.0]),
          "x0": np.array([15.2, 14.71, 16.0]), "y0": np.array([13.9, 15.5, 14.33])}
H, W = 30, 32


@pytest.fixture(scope="module")
def rendered():
    return render_fields(Fields(PARAMS), PARAMS["x0"], PARAMS["y0"], levels_for(PARAMS), (H, W))


def test_gaussian_field_equals_the_erf_product_in_every_pixel(rendered):
    for s in range(3):
        sig, x0, y0 = PARAMS["sigma"][s], PARAMS["x0"][s], PARAMS["y0"][s]
        fx = np.diff(special.erf((np.arange(W + 1) - 0.5 - x0) / (math.sqrt(2) * sig)) / 2)
        fy = np.diff(special.erf((np.arange(H + 1) - 0.5 - y0) / (math.sqrt(2) * sig)) / 2)
        exact = fy[:, None] * fx[None, :]
        assert np.abs(rendered[0, s] - exact).max() <= 1e-4 * exact.max(), s  # as astro.star
        assert rendered[0, s].sum(dtype=np.float64) == pytest.approx(exact.sum(), rel=1e-4)


@pytest.mark.parametrize("s", range(3))
def test_cusped_sersic_and_sheared_exponential_match_the_boundary_integral(rendered, s):
    centre = (PARAMS["x0"][s], PARAMS["y0"][s])
    g = (PARAMS["g1"][s], PARAMS["g2"][s])
    rd = PARAMS["rd"][s]

    def exp_enclosed(r):
        return -special.expm1(-r / rd) - r / rd * np.exp(-r / rd)

    for field, enc, shear in ((1, sersic(PARAMS["n"][s], PARAMS["re"][s])[1], (0.0, 0.0)),
                              (2, exp_enclosed, g)):
        img = rendered[field, s].astype(np.float64)
        total = polygon_flux(enc, stamp_polygon(H, W), centre, shear)
        assert img.sum() == pytest.approx(total, rel=1e-4), field
        j0, i0 = round(centre[0]), round(centre[1])
        errs = [abs(img[i, j] - polygon_flux(enc, pixel_polygon(j, i), centre, shear))
                for i in range(i0 - 2, i0 + 3) for j in range(j0 - 2, j0 + 3)]
        assert max(errs) < 1e-3 * img.max(), field


def test_a_field_depends_neither_on_the_other_fields_nor_on_the_batch(rendered):
    levels = levels_for(PARAMS)
    for which in ((1,), (2, 0), (0, 1)):
        alone = render_fields(Fields(PARAMS, which), PARAMS["x0"], PARAMS["y0"],
                              levels[list(which)], (H, W))
        for slot, field in enumerate(which):
            np.testing.assert_array_equal(alone[slot], rendered[field])
    for s in range(3):
        one = {k: v[s:s + 1] for k, v in PARAMS.items()}
        single = render_fields(Fields(one), one["x0"], one["y0"], levels[:, s:s + 1], (H, W))
        np.testing.assert_array_equal(single[:, 0], rendered[:, s])

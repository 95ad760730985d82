"""DeepBench 0.2 migration: every original config converts, validates and generates; the warnings
name each behaviour that differs; and the geometry and physics of the conversion agree with the
original's rules, re-implemented here from its published source (DeepBench 0.2.3)."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import deepbench
from deepbench.cli import main
from deepbench.errors import SpecError
from deepbench.io.legacy import convert_legacy, convert_legacy_file

DATA = Path(__file__).parent / "data" / "legacy_configs"
CONFIGS = sorted(DATA.glob("*.yaml"))
EXPECTED = {  # the behaviours each reference config depends on that DeepBench does differently
    "pendulum.yaml": ["seed", "small-angle", "outputs", "time-noise"],
    "shapes_rectangle_arc.yaml": ["seed", "swapped-arguments", "import-time-default",
                                  "import-time-default", "composite", "same-noise"],
    "sky_galaxies.yaml": ["seed", "import-time-default", "import-time-default", "scaling",
                          "composite", "psf-blur", "poisson-noise", "same-noise"],
    "sky_star.yaml": ["moffat-alpha", "scaling", "psf-blur", "same-noise"],
}


def test_the_reference_configs_are_all_covered():
    assert [p.name for p in CONFIGS] == sorted(EXPECTED)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_legacy_config_converts_and_generates(path, tmp_path):
    out = tmp_path / "new.yaml"
    result = CliRunner().invoke(main, ["convert-legacy", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    conv = convert_legacy_file(path)
    assert conv.codes == EXPECTED[path.name]
    for w in conv.warnings:  # each warning on stderr and as a comment in the spec
        assert f"warning: {w}" in result.output
        assert f"#  - {w}" in out.read_text()
    assert yaml.safe_load(out.read_text()) == conv.spec
    old = yaml.safe_load(path.read_text())
    data = deepbench.generate(out, tmp_path / "d.h5")
    with deepbench.load(data) as ds:
        assert len(ds) == old["total_runs"]
        assert ds.metadata["seed"] == old.get("seed", 0)
        if "image_shape" in old["image_parameters"]:
            assert ds.outputs["image"].shape[1:] == tuple(old["image_parameters"]["image_shape"])
            assert sorted(ds.class_names) == sorted(old["object_parameters"])


def test_the_pendulum_x_is_the_original_formula_at_the_original_times(tmp_path):
    conv = convert_legacy_file(DATA / "pendulum.yaml")
    old = yaml.safe_load((DATA / "pendulum.yaml").read_text())
    p, t = old["image_parameters"], np.array(old["object_parameters"]["time"])
    path = deepbench.generate(conv.spec, tmp_path / "p.h5")
    with h5py.File(path, "r") as f:
        x, times = f["outputs/x"][()], f["outputs/t"][()]
    L, th0, g = p["pendulum_arm_length"], p["starting_angle_radians"], p["acceleration_due_to_gravity"]
    legacy = L * np.sin(th0 * np.cos(np.sqrt(g / L) * t))  # Pendulum.simulate_pendulum_dynamics
    np.testing.assert_array_equal(times, np.broadcast_to(t, times.shape))
    np.testing.assert_allclose(x, np.broadcast_to(legacy, x.shape), rtol=1e-12, atol=1e-14)


def legacy_rectangle(h, w, center, width, height, line_width=1):
    """Original rule (filled, angle 0): pixel [i, j] is on iff its centre (row i, column j) lies
    inside the rectangle of (width + lw) rows × (height + lw) columns centred on ``center``."""
    i, j = np.mgrid[:h, :w]
    a, b = (width + line_width) / 2, (height + line_width) / 2
    return ((np.abs(i - center[0]) < a) & (np.abs(j - center[1]) < b)).astype(np.float32)


def legacy_arc(h, w, center, radius, theta1, theta2, line_width=1):
    """Original rule (matplotlib Wedge in (row, column) coordinates): on iff the centre lies at a
    distance in (r − lw, r) and at an angle, from the row axis towards the column axis, in
    (theta1, theta2) degrees."""
    i, j = np.mgrid[:h, :w]
    d = np.hypot(i - center[0], j - center[1])
    phi = np.degrees(np.arctan2(j - center[1], i - center[0])) % 360
    inside = (d > radius - line_width) & (d < radius) & (phi > theta1) & (phi < theta2)
    return inside.astype(np.float32)


def test_shapes_land_where_the_original_put_them(tmp_path):
    old = {"object_type": "shape", "object_name": "ShapeImage", "total_runs": 2, "seed": 1,
           "image_parameters": {"image_shape": [28, 30]},
           "object_parameters": {
               "rectangle": {"object": {"center": [11.3, 14.6], "width": 10, "height": 6,
                                        "fill": True}, "instance": {}},
               "arc": {"object": {"center": [12.2, 15.1], "radius": 8.3, "theta1": 10,
                                  "theta2": 120, "line_width": 2.2}, "instance": {}}}}
    given = copy.deepcopy(old)
    conv = convert_legacy(old)
    assert old == given  # the input is not modified (the original mutated its config)
    assert "import-time-default" not in conv.codes and "same-noise" not in conv.codes
    for cls in conv.spec["classes"]:
        spec = {"n": 1, "simulator": cls["simulator"], "params": cls["params"],
                "config": {**conv.spec["config"], **cls["config"]}}
        image = deepbench.simulate(spec).outputs["image"][0]
        obj = old["object_parameters"][cls["name"]]["object"]
        want = legacy_rectangle(28, 30, obj["center"], obj["width"], obj["height"]) \
            if cls["name"] == "rectangle" else \
            legacy_arc(28, 30, obj["center"], obj["radius"], obj["theta1"], obj["theta2"],
                       obj["line_width"])
        assert want.sum() > 20
        np.testing.assert_array_equal(image, want)


def grid_flux(profile, half: float, step: float) -> float:
    """Midpoint rule over the square [-half, half]²."""
    x = np.arange(-half, half, step) + step / 2
    return float(sum(profile(x, y).sum() for y in x) * step**2)


def test_sky_fluxes_give_a_peak_surface_brightness_of_one():
    from scipy.integrate import quad
    from scipy.special import gammaincinv

    conv = convert_legacy_file(DATA / "sky_galaxies.yaml")
    cls = {c["name"]: c["params"] for c in conv.spec["classes"]}
    star, galaxy = cls["star"], cls["galaxy"]
    # astropy Moffat2D with amplitude 1, gamma = radius 1.5, alpha 2.5 (the config's star)
    gamma, alpha = 1.5, 2.5
    assert star["fwhm"] == pytest.approx(2 * gamma * math.sqrt(2 ** (1 / alpha) - 1), rel=1e-12)
    moffat, _ = quad(lambda r: 2 * math.pi * r * (1 + r**2 / gamma**2) ** -alpha, 0, math.inf)
    assert star["flux"] == pytest.approx(moffat, rel=1e-9)
    # astropy Sersic2D peak-normalised: exp(-b (r / r_eff)^(1/n)) on the ellipse of axis ratio
    # q = 1 - ellip = 0.5 (major axis along x), r_eff = 6, n = 1.5; summed on a fine grid
    n, r_eff, q = 1.5, 6.0, 0.5
    b = gammaincinv(2 * n, 0.5)
    sersic = grid_flux(lambda x, y: np.exp(-b * (np.hypot(x, y / q) / r_eff) ** (1 / n)),
                       half=120.0, step=0.06)
    assert galaxy["flux"] == pytest.approx(sersic, rel=1e-3)
    assert galaxy["r_half"] == pytest.approx(r_eff * math.sqrt(q))


def test_pendulum_noise_and_hierarchical_gravity_convert_with_their_warnings():
    old = {"object_type": "physics", "object_name": "Pendulum", "total_runs": 4, "seed": 3,
           "image_parameters": {"pendulum_arm_length": 1.5, "starting_angle_radians": 0.3,
                                "big_G_newton": 2.0, "phi_planet": 4.9,
                                "noise_std_percent": {"pendulum_arm_length": 0.1,
                                                      "starting_angle_radians": 0.0,
                                                      "acceleration_due_to_gravity": None,
                                                      "big_G_newton": 0.05,
                                                      "phi_planet": None},
                                "coefficient_friction": 0.2},
           "object_parameters": {"time": 0.5}}
    conv = convert_legacy(old)
    assert conv.spec["params"] == {"omega0": 0.0, "length": 1.5, "theta0": 0.3, "G": 2.0,
                                        "M": 4.9, "r": 1.0, "mass": 10.0}
    assert conv.spec["param_noise"] == {"length": {"sigma": 0.1, "relative": True},
                                        "G": {"sigma": 0.05, "relative": True}}
    assert conv.spec["config"]["times"] == [0.5]
    assert conv.codes == ["seed", "hierarchical-g", "friction", "small-angle", "outputs",
                          "per-time-noise"]
    batch = deepbench.simulate(conv.spec)
    np.testing.assert_array_equal(batch.labels["G"] * batch.labels["M"], 2.0 * 4.9)  # g = G·phi
    pert = batch.labels_perturbed  # G carries the parameter noise into g (M and r are exact)
    assert sorted(pert) == ["G", "length"] and np.all(pert["G"] != 2.0)
    np.testing.assert_allclose(batch.truth["g"], pert["G"] * 4.9, rtol=1e-14)


@pytest.mark.parametrize("change, field, expected", [
    (lambda c: c.pop("total_runs"), "total_runs", "a value (required by DeepBench 0.2)"),
    (lambda c: c.update(total_runs=0), "total_runs", "a positive integer"),
    (lambda c: c.update(object_type="video"), "object_type", "one of shape, sky, astro, physics"),
    (lambda c: c.update(colour="red"), "colour", "one of the keys"),
    (lambda c: c.update(object_name="HamiltonianPendulum"), "object_name", "Pendulum"),
    (lambda c: c["image_parameters"].update(pendulum_arm_length="long"),
     "image_parameters.pendulum_arm_length", "a finite number"),
    (lambda c: c["object_parameters"].update(time=[]), "object_parameters.time",
     "a time in s or a list of times"),
])
def test_a_bad_legacy_config_is_refused_naming_the_field(change, field, expected):
    config = yaml.safe_load((DATA / "pendulum.yaml").read_text())
    change(config)
    with pytest.raises(SpecError, match=rf"{re.escape(field)}: got .*; expected {re.escape(expected)}"):
        convert_legacy(config)


def test_convert_legacy_does_not_overwrite_without_asking(tmp_path):
    out = tmp_path / "new.yaml"
    out.write_text("keep")
    r = CliRunner().invoke(main, ["convert-legacy", str(DATA / "sky_star.yaml"), "-o", str(out)])
    assert r.exit_code == 1 and "exists; pass --overwrite" in r.output
    assert out.read_text() == "keep"


def test_a_single_astro_object_keeps_its_amplitude_as_the_peak(tmp_path):
    old = {"object_type": "astro", "object_name": "StarObject", "total_runs": 3, "seed": 2,
           "image_parameters": {"image_dimensions": 32, "radius": 2.0, "amplitude": 5.0},
           "object_parameters": {"center_x": 10.0, "center_y": 20.0, "alpha": 3.0}}
    conv = convert_legacy(old)
    assert conv.codes == ["psf-blur"]
    assert conv.spec["simulator"] == "astro.star" and conv.spec["n"] == 3
    p = conv.spec["params"]
    assert (p["cx"], p["cy"]) == (10.0 - 15.5, 20.0 - 15.5)  # column, row of the original
    assert p["flux"] == pytest.approx(5.0 * math.pi * 2.0**2 / (3.0 - 1))  # peak 5: no scaling
    image = deepbench.simulate(conv.spec).outputs["image"][0]
    assert np.unravel_index(np.argmax(image), image.shape) == (20, 10)  # [row, column]

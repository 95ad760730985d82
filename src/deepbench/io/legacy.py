"""Migration from the original DeepBench 0.2: turn its YAML configs into DeepBench specs.

An original config holds ``object_type`` (``shape``, ``sky``, ``astro`` or ``physics``),
``object_name``, ``total_runs``, ``image_parameters``, ``object_parameters`` and optionally
``seed``, ``parameter_noise`` and ``name``. :func:`convert_legacy` returns the equivalent spec and
one :class:`LegacyWarning` for every behaviour of the original that the converted spec does not
reproduce (the facts below were read from the DeepBench 0.2.3 source):

- images of several objects (``shape``/``sky``) become a mixture with one class per object: the
  original summed every object into each image, DeepBench draws one object per image;
- the original added the same observation noise to every image (seed 42), and with a ``seed``
  drew the same parameter noise for every image; without one it seeded each image from an
  unseeded generator (not reproducible);
- its ``parameter_noise`` added uniform [0, p) noise to every object argument (for the pendulum:
  to the observation times) — dropped here;
- shapes: it passed the ``instance`` mapping to the shape functions and ignored ``object`` (the
  arguments were swapped), so its shapes took random defaults drawn once at import; its
  ``center`` indexed ``(row, column)``; matplotlib patches rotated rectangles about a corner;
- sky: every object was min–max scaled to [0, 1] and blurred by a Gaussian of σ = 0.7 px; its
  ``poisson`` noise added Poisson(λ) counts independent of the signal;
- pendulum: ``x = L sin(θ₀ cos(√(g/L) t))`` (DeepBench's ``approximation: small_angle``), with
  ``noise_std_percent`` redrawn at every time point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deepbench.errors import Problem, SpecError

__all__ = ["LegacyWarning", "Conversion", "convert_legacy", "convert_legacy_file", "dump"]

KEYS = ("object_type", "object_name", "total_runs", "image_parameters", "object_parameters")
OPTIONAL = ("seed", "parameter_noise", "name")
LEGACY_BLUR_SIGMA = 0.7  # px: scipy.ndimage.gaussian_filter applied to every astro object
LEGACY_NOISE_SEED = 42  # the seed of the observation noise of every shape and sky image


@dataclass(frozen=True)
class LegacyWarning:
    """One behaviour of the original that the converted spec does not reproduce."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass
class Conversion:
    """The converted spec (a plain dict, ready for ``deepbench.generate``) and the warnings."""

    spec: dict[str, Any]
    warnings: list[LegacyWarning] = field(default_factory=list)

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(LegacyWarning(code, message))

    @property
    def codes(self) -> list[str]:
        return [w.code for w in self.warnings]


def dump(conv: Conversion, source: str = "") -> str:
    """The converted spec as YAML, headed by the warnings as comments."""
    import yaml

    named = f" {source}" if source else ""
    lines = [f"# Converted from the DeepBench 0.2 config{named} by deepbench convert-legacy.",
             "# Behaviours of the original that this spec does not reproduce:"]
    lines += [f"#  - {w}" for w in conv.warnings] or ["#  (none)"]
    body = yaml.safe_dump(conv.spec, sort_keys=False, allow_unicode=True,
                          default_flow_style=None, width=100)
    return "\n".join(lines) + "\n" + body


def convert_legacy_file(path: str | Path) -> Conversion:
    """:func:`convert_legacy` of the YAML file at ``path``."""
    import yaml

    try:
        config = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(str(path), "", f"a readable YAML file ({exc})") from exc
    return convert_legacy(config)


def convert_legacy(config: Mapping[str, Any]) -> Conversion:
    """Convert an original DeepBench 0.2 config (a mapping) into a DeepBench spec.

    The input is not modified. Raises :class:`SpecError` naming the field for a config that is
    malformed or uses something without a DeepBench counterpart.
    """
    _check_keys(config)
    kind, obj = config["object_type"], config["object_name"]
    conv = Conversion({"name": str(config.get("name") or f"legacy-{obj}".lower()),
                       "seed": _seed(config), "n": _positive_int(config, "total_runs")})
    _seed_warnings(config, conv)
    image, objects = dict(config["image_parameters"] or {}), config["object_parameters"] or {}
    if kind == "physics":
        if obj != "Pendulum":
            raise SpecError("object_name", obj, "Pendulum (the physics object convert-legacy maps)")
        _pendulum(image, objects, config.get("parameter_noise"), conv)
    elif kind == "astro":
        if obj not in ("StarObject", "GalaxyObject"):
            raise SpecError("object_name", obj, "StarObject or GalaxyObject")
        _astro_single(obj, image, objects, conv)
    else:
        expected = {"shape": "ShapeImage", "sky": "SkyImage"}[kind]
        if obj != expected:
            raise SpecError("object_name", obj, f"{expected} for object_type {kind}")
        _composite(kind, image, objects, config.get("parameter_noise"), conv)
    return conv


# ---- checks and common parts -------------------------------------------------------------------

def _check_keys(config: Any) -> None:
    if not isinstance(config, Mapping):
        raise SpecError("config", config, "a mapping in the DeepBench 0.2 format")
    problems = [Problem(k, None, "a value (required by DeepBench 0.2)")
                for k in KEYS if k not in config]
    problems += [Problem(k, config[k], f"one of the keys {', '.join(KEYS + OPTIONAL)}")
                 for k in config if k not in KEYS + OPTIONAL]
    if "object_type" in config and config["object_type"] not in ("shape", "sky", "astro",
                                                                   "physics"):
        problems.append(Problem("object_type", config["object_type"],
                                "one of shape, sky, astro, physics"))
    for k in ("image_parameters", "object_parameters"):
        if k in config and config[k] is not None and not isinstance(config[k], Mapping):
            problems.append(Problem(k, config[k], "a mapping"))
    if problems:
        raise SpecError(problems)


def _positive_int(config: Mapping[str, Any], key: str) -> int:
    v = config[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise SpecError(key, v, "a positive integer")
    return v


def _seed(config: Mapping[str, Any]) -> int:
    v = config.get("seed", 0)
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**63:
        raise SpecError("seed", v, "an integer in [0, 2**63)")
    return v


def _seed_warnings(config: Mapping[str, Any], conv: Conversion) -> None:
    if "seed" not in config:
        conv.warn("seed", "no seed: the original seeded each image from an unseeded generator "
                  "(not reproducible); here seed 0 fixes every byte")
    elif config["object_type"] == "physics" or "parameter_noise" in config:
        conv.warn("seed", f"seed {config['seed']}: the original reused this one seed for every "
                  "image, so every image got the same noise draws; here each sample draws its "
                  "own from the seed")


def _number(where: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise SpecError(where, v, "a finite number")
    return float(v)


def _image_shape(image: Mapping[str, Any]) -> tuple[int, int]:
    shape = image.get("image_shape")
    if not (isinstance(shape, list | tuple) and len(shape) == 2
            and all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)):
        raise SpecError("image_parameters.image_shape", shape, "[rows, columns], two positive "
                        "integers")
    return int(shape[0]), int(shape[1])


def _unknown(where: str, given: Mapping[str, Any], known: tuple[str, ...]) -> None:
    extra = [k for k in given if k not in known]
    if extra:
        raise SpecError(f"{where}.{extra[0]}", given[extra[0]],
                        f"one of {', '.join(known)} (what convert-legacy maps)")


def _observation_noise(image: Mapping[str, Any], conv: Conversion, shared_seed: bool) -> None:
    level = _number("image_parameters.object_noise_level", image.get("object_noise_level", 0.0))
    kind = image.get("object_noise_type", "gaussian")
    if kind not in ("gaussian", "poisson"):
        raise SpecError("image_parameters.object_noise_type", kind, "gaussian or poisson")
    if level <= 0:
        return
    if kind == "gaussian":
        conv.spec["obs_noise"] = {"image": {"kind": "gaussian", "sigma": level}}
    else:
        conv.spec["obs_noise"] = {"image": {"kind": "gaussian", "sigma": math.sqrt(level)}}
        conv.warn("poisson-noise", f"object_noise_type poisson added Poisson({level:g}) counts "
                  "independent of the image (mean offset +λ, integer steps); here Gaussian noise "
                  f"of the same variance, σ = √λ = {math.sqrt(level):.4g}, without the offset")
    if shared_seed:
        conv.warn("same-noise", f"the original added one noise image (seed "
                  f"{LEGACY_NOISE_SEED}) to every image: all its images had identical noise; here "
                  "each sample has its own noise draw")


# ---- shape and sky images: one class per object ------------------------------------------------

def _composite(kind: str, image: Mapping[str, Any], objects: Mapping[str, Any], noise: Any,
               conv: Conversion) -> None:
    known = ("image_shape", "object_noise_level", "object_noise_type") + \
        (("scale",) if kind == "sky" else ())
    _unknown("image_parameters", image, known)
    h, w = _image_shape(image)
    if not isinstance(objects, Mapping) or not objects:
        raise SpecError("object_parameters", objects, "a mapping of object type -> {object, "
                        "instance}, at least one")
    classes = []
    for key, entry in objects.items():
        where = f"object_parameters.{key}"
        if not isinstance(entry, Mapping) or set(entry) - {"object", "instance"}:
            raise SpecError(where, entry, "a mapping with 'object' and 'instance' mappings")
        obj, inst = dict(entry.get("object") or {}), dict(entry.get("instance") or {})
        if kind == "shape":
            classes.append(_shape_class(key, obj, inst, h, w, conv))
        else:
            classes.append(_sky_class(key, obj, inst, h, w, conv, scaled=image.get("scale", True)))
    conv.spec["config"] = {"height": h, "width": w}
    conv.spec["classes"] = classes
    if len(classes) > 1:
        conv.warn("composite", f"the original summed all {len(classes)} objects "
                  f"({', '.join(objects)}) into every image; here each image holds one of them, "
                  "as the classes of a mixture (equal weights). For many objects per image use "
                  "shapes.scene or scenes.sky")
    if kind == "sky":
        conv.warn("psf-blur", f"the original blurred every object with a Gaussian of σ = "
                  f"{LEGACY_BLUR_SIGMA} px (scipy.ndimage.gaussian_filter) on top of its profile; "
                  "here the profiles are not blurred")
    _observation_noise(image, conv, shared_seed=True)
    if noise is not None:
        conv.warn("parameter-noise", f"parameter_noise {noise}: the original added uniform "
                  f"[0, {noise}) noise to every object argument (the same draws for every "
                  "image when seeded, and failing on scalar arguments); dropped here: give "
                  "priors in params or param_noise instead")


def _center(where: str, given: Any, h: int, w: int) -> tuple[float, float]:
    """Original ``center`` (row, column) in pixels → (cx, cy) offsets from the image centre."""
    if not (isinstance(given, list | tuple) and len(given) == 2):
        raise SpecError(where, given, "[row, column], two numbers")
    row, col = (_number(where, v) for v in given)
    return col - (w - 1) / 2, row - (h - 1) / 2


def _shape_class(key: str, obj: dict[str, Any], inst: dict[str, Any], h: int, w: int,
                 conv: Conversion) -> dict[str, Any]:
    where = f"object_parameters.{key}.object"
    if "swapped-arguments" not in conv.codes:
        conv.warn("swapped-arguments", "the original passed each shape's 'instance' mapping to "
                  "the shape function and ignored 'object' (ShapeImage.combine_objects received "
                  "them swapped), so its shapes took its random defaults; here the 'object' "
                  "arguments are used as written")
    if inst:
        conv.warn("instance-ignored", f"object_parameters.{key}.instance {inst} has no "
                  "DeepBench meaning for shapes and is ignored")
    params: dict[str, Any] = {}
    lw = _number(f"{where}.line_width", obj.get("line_width", 1))
    if "center" in obj:
        params["cx"], params["cy"] = _center(f"{where}.center", obj["center"], h, w)
    else:
        params["cx"] = {"dist": "choice", "values": [c - (w - 1) / 2 for c in range(10, 16)]}
        params["cy"] = {"dist": "choice", "values": [r - (h - 1) / 2 for r in range(10, 16)]}
        _import_default(conv, key, "center", "row and column integers in [10, 15]")
    if key == "rectangle":
        _unknown(where, obj, ("center", "width", "height", "angle", "line_width", "fill"))
        filled = bool(obj.get("fill", False))
        grow = lw if filled else 0.0  # the original drew (w + lw) × (h + lw), outlines centred on w
        for theirs, ours in (("height", "width"), ("width", "height")):  # (row, column) → (x, y)
            if theirs in obj:
                params[ours] = _number(f"{where}.{theirs}", obj[theirs]) + grow
            else:
                params[ours] = {"dist": "choice", "values": [v + grow for v in range(10, 16)]}
                _import_default(conv, key, theirs, "an integer in [10, 15]")
        angle = _number(f"{where}.angle", obj.get("angle", 0))
        params["angle"] = 0.0 - math.radians(angle)  # a transpose reverses the sense of rotation
        if angle:
            conv.warn("rotation-pivot", f"{key}: matplotlib rotated the rectangle by {angle:g}° "
                      "about its corner; here it turns about its centre (angle −angle in radians)")
        config = {"filled": filled, "antialias": False}
        if not filled:
            params["line_width"] = lw
        return {"name": key, "simulator": "shapes.rectangle", "config": config, "params": params}
    if key == "arc":
        _unknown(where, obj, ("center", "radius", "theta1", "theta2", "line_width"))
        ranges = {"radius": (8.0, 12.0), "theta1": (0.0, 45.0), "theta2": (85.0, 120.0)}
        given = {}
        for arg, (lo, hi) in ranges.items():
            if arg in obj:
                given[arg] = _number(f"{where}.{arg}", obj[arg])
            else:
                _import_default(conv, key, arg, f"uniform in [{lo:g}, {hi:g})",
                                f"the middle of that range, {(lo + hi) / 2:g}")
                given[arg] = (lo + hi) / 2
        # matplotlib Wedge: the ring r − lw .. r between theta1 and theta2 (degrees, row axis
        # towards column axis); transposed into (x, y) an angle φ becomes 90° − φ
        params |= {"radius": given["radius"] - lw / 2, "thickness": lw,
                   "start": math.radians(90.0 - given["theta2"]),
                   "end": math.radians(90.0 - given["theta1"])}
        return {"name": key, "simulator": "shapes.arc",
                "config": {"filled": True, "antialias": False}, "params": params}
    raise SpecError(f"object_parameters.{key}", obj, "rectangle or arc (the shapes "
                    "convert-legacy maps)")


def _import_default(conv: Conversion, key: str, arg: str, how: str,
                    here: str = "each sample draws from that range") -> None:
    conv.warn("import-time-default", f"{key}.{arg} is not given: the original used a random "
              f"default drawn once at import ({how}), the same for every image of a session; "
              f"here {here}")


def _sky_class(key: str, obj: dict[str, Any], inst: dict[str, Any], h: int, w: int,
               conv: Conversion, scaled: bool) -> dict[str, Any]:
    if key not in ("star", "galaxy"):
        raise SpecError(f"object_parameters.{key}", key, "star or galaxy (the sky objects "
                        "convert-legacy maps)")
    cls = _astro(key, f"object_parameters.{key}", obj, inst, h, w, conv, scaled)
    if scaled and "scaling" not in conv.codes:
        conv.warn("scaling", "the original min–max scaled every object to [0, 1] before adding "
                  "it (scale: true), so 'amplitude' had no effect; here each object's flux is "
                  "set so that its peak surface brightness is 1 (values are pixel integrals)")
    return cls


def _astro(key: str, where: str, obj: Mapping[str, Any], inst: Mapping[str, Any], h: int, w: int,
           conv: Conversion, scaled: bool) -> dict[str, Any]:
    """A star (Moffat) or galaxy (Sérsic) class; ``obj`` holds create_object arguments and
    ``inst`` the constructor's."""
    known_inst = ("radius", "amplitude", "noise_level", "seed") + \
        (("n", "ellipse", "theta") if key == "galaxy" else ())
    _unknown(f"{where}.instance", inst, known_inst)
    _unknown(f"{where}.object", obj, ("center_x", "center_y") + (("alpha",) if key == "star"
                                                                 else ()))
    default_center = 5.0 if key == "galaxy" else None
    centre = []
    for arg, size in (("center_x", w), ("center_y", h)):
        if arg not in obj and default_center is None:
            raise SpecError(f"{where}.object.{arg}", None, "a number (required by the original)")
        centre.append(_number(f"{where}.object.{arg}", obj.get(arg, default_center)) -
                      (size - 1) / 2)
    noise = _number(f"{where}.instance.noise_level", inst.get("noise_level", 0.0 if scaled or
                                                               key == "star" else 0.2))
    if noise > 0:
        conv.warn("object-noise", f"{key}: noise_level {noise:g} added Poisson noise to the "
                  "object before the blur; dropped here (use obs_noise)")
    amplitude = _number(f"{where}.instance.amplitude", inst.get("amplitude", 1.0))
    peak = 1.0 if scaled else amplitude
    params: dict[str, Any] = {"cx": centre[0], "cy": centre[1]}
    if key == "star":
        gamma = _number(f"{where}.instance.radius", inst.get("radius", 1.0))
        alpha = _number(f"{where}.object.alpha", obj.get("alpha", 1.0))
        beta = alpha
        if alpha <= 1.0:
            beta = 1.01
            conv.warn("moffat-alpha", f"star alpha {alpha:g}: a Moffat profile with power ≤ 1 "
                      "holds infinite flux; DeepBench needs beta > 1, here beta = 1.01 with the "
                      "same FWHM")
        params["fwhm"] = 2 * gamma * math.sqrt(2 ** (1 / alpha) - 1)  # astropy Moffat2D
        params["beta"] = beta
        params["flux"] = peak * math.pi * gamma**2 / (beta - 1)
        return {"name": key, "simulator": "astro.star", "config": {"profile": "moffat"},
                "params": params}
    from scipy.special import gamma as gamma_fn
    from scipy.special import gammaincinv

    r_eff = _number(f"{where}.instance.radius", inst.get("radius", 25.0))
    n = _number(f"{where}.instance.n", inst.get("n", 1.0))
    for arg, value in (("ellipse", 0.5), ("theta", 0.0)):
        if arg not in inst:
            how = "uniform in [0.1, 0.9)" if arg == "ellipse" else "uniform in [-1.5, 1.5) rad"
            _import_default(conv, key, arg, how, f"the middle of that range, {value:g}")
    ellip = _number(f"{where}.instance.ellipse", inst.get("ellipse", 0.5))
    q = 1.0 - ellip
    b = float(gammaincinv(2 * n, 0.5))
    # astropy Sersic2D: I(r) = amplitude · exp(−b_n ((r / r_eff)^(1/n) − 1)), r_eff along the
    # major axis; total flux = I0 · 2π q r_eff² n Γ(2n) / b^(2n) with central I0 = amplitude e^b
    central = peak if scaled else amplitude * math.exp(b)
    params |= {"sersic_index": n, "r_half": r_eff * math.sqrt(q), "q": q,
               "angle": _number(f"{where}.instance.theta", inst.get("theta", 0.0)),
               "flux": float(central * 2 * math.pi * q * r_eff**2 * n * gamma_fn(2 * n)
                             / b ** (2 * n))}
    return {"name": key, "simulator": "astro.sersic", "params": params}


def _astro_single(obj_name: str, image: dict[str, Any], objects: Mapping[str, Any],
                  conv: Conversion) -> None:
    key = "star" if obj_name == "StarObject" else "galaxy"
    dims = image.pop("image_dimensions", None)
    if isinstance(dims, int) and not isinstance(dims, bool):
        dims = [dims, dims]
    h, w = _image_shape({"image_shape": dims})
    cls = _astro(key, "image_parameters", dict(objects), image, h, w, conv, scaled=False)
    conv.spec |= {"simulator": cls["simulator"], "config": {"height": h, "width": w,
                                                           **cls.get("config", {})},
                  "params": cls["params"]}
    conv.warn("psf-blur", f"the original blurred the object with a Gaussian of σ = "
              f"{LEGACY_BLUR_SIGMA} px (scipy.ndimage.gaussian_filter); here it is not blurred")


# ---- the pendulum ---------------------------------------------------------------------------

_PENDULUM = {"pendulum_arm_length": "length", "starting_angle_radians": "theta0",
             "acceleration_due_to_gravity": "g", "big_G_newton": "G", "phi_planet": "M"}


def _pendulum(image: dict[str, Any], objects: Mapping[str, Any], noise: Any,
              conv: Conversion) -> None:
    _unknown("image_parameters", image, (*_PENDULUM, "noise_std_percent", "mass_pendulum_bob",
                                         "coefficient_friction"))
    _unknown("object_parameters", objects, ("time", "noiseless", "seed"))
    params: dict[str, Any] = {"omega0": 0.0}
    for theirs, ours in _PENDULUM.items():
        if image.get(theirs) is not None:
            params[ours] = _number(f"image_parameters.{theirs}", image[theirs])
    if "g" not in params:
        if "G" not in params or "M" not in params:
            raise SpecError("image_parameters.acceleration_due_to_gravity", None,
                            "a number, or both big_G_newton and phi_planet")
        params["r"] = 1.0  # g = G · phi with phi = M / r²: M = phi at r = 1 m
        conv.warn("hierarchical-g", "g = big_G_newton · phi_planet becomes G, M = phi_planet "
                  "and r = 1 m (g = G·M/r²)")
    for need in ("length", "theta0"):
        if need not in params:
            raise SpecError(f"image_parameters.{_key_of(need)}", None, "a number")
    params["mass"] = _number("image_parameters.mass_pendulum_bob",
                             image.get("mass_pendulum_bob", 10.0))
    friction = _number("image_parameters.coefficient_friction",
                       image.get("coefficient_friction", 0.0))
    if friction:
        conv.warn("friction", f"coefficient_friction {friction:g} was ignored by the original's "
                  "dynamics too; it is dropped")
    time = objects.get("time")
    times = [time] if isinstance(time, int | float) and not isinstance(time, bool) else time
    if not isinstance(times, list) or not times:
        raise SpecError("object_parameters.time", time, "a time in s or a list of times")
    times = [_number("object_parameters.time", t) for t in times]
    conv.spec |= {"simulator": "physics.pendulum",
                  "config": {"sampling": "explicit", "times": times,
                             "approximation": "small_angle"},
                  "params": params}
    conv.warn("small-angle", "the original computed x = L sin(θ₀ cos(√(g/L) t)), the small-angle "
              "solution: converted with approximation: small_angle, whose output x is that "
              "formula; approximation: exact gives the true nonlinear motion")
    conv.warn("outputs", "the original returned only the bob's x position; here x is one output "
              "beside theta, omega, y, the energies and t")
    _pendulum_noise(image.get("noise_std_percent"), bool(objects.get("noiseless", False)), conv)
    if noise is not None:
        conv.warn("time-noise", f"parameter_noise {noise}: the original added uniform [0, "
                  f"{noise}) noise to the observation times (object_parameters.time); dropped "
                  "here, the times are used as given (sampling: random draws random times)")


def _key_of(ours: str) -> str:
    return next(k for k, v in _PENDULUM.items() if v == ours)


def _pendulum_noise(levels: Any, noiseless: bool, conv: Conversion) -> None:
    if levels is None:
        levels = {}
    if not isinstance(levels, Mapping):
        raise SpecError("image_parameters.noise_std_percent", levels, "a mapping parameter -> "
                        "relative standard deviation")
    noise = {}
    for theirs, level in levels.items():
        if theirs not in _PENDULUM:
            raise SpecError(f"image_parameters.noise_std_percent.{theirs}", level,
                            f"one of {', '.join(_PENDULUM)}")
        if level is None:
            continue
        s = _number(f"image_parameters.noise_std_percent.{theirs}", level)
        if s > 0 and not noiseless:
            noise[_PENDULUM[theirs]] = {"sigma": s, "relative": True}
    if noise:
        conv.spec["param_noise"] = noise
        conv.warn("per-time-noise", "noise_std_percent: the original drew a new perturbed value "
                  "of each parameter at every time point; here one perturbation per sample "
                  "(param_noise, relative), stored in labels_perturbed/")

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from types import SimpleNamespace

import pytest

from deepbench.core import registry
from deepbench.core.registry import RegistryError
from deepbench.core.simulator import Simulator
from deepbench.errors import DeepBenchError, SpecError, UnknownSimulatorError


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownSimulatorError, match="did you mean 'shapes.polygon'"):
        registry.get("shapes.polygn")
    with pytest.raises(SpecError):  # also a SpecError, so callers need catch only one
        registry.get("nope")


def test_registration_is_lazy_and_import_is_light():
    code = ("import sys, deepbench; deepbench.list_simulators(); "
            "heavy = {'torch', 'dask', 'zarr', 'matplotlib', 'h5py', 'scipy', "
            "'deepbench.shapes.raster'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- registration -------------------------------------------------------------------------------
class Sprite(Simulator):
    """A registrable toy (never simulated here)."""

    name = "toy.sprite"
    summary = "toy"


@pytest.fixture
def fresh(monkeypatch):
    """An empty run-time table and an entry-point table read afresh; both restored afterwards."""
    monkeypatch.setattr(registry, "_runtime", {})
    monkeypatch.setattr(registry, "_installed", None)
    return monkeypatch


def installed(monkeypatch, *entries: tuple[str, str, str]) -> None:
    """Pretend the installed distributions declare these (name, target, distribution) entries."""
    eps = [SimpleNamespace(name=n, value=v, dist=SimpleNamespace(name=d)) for n, v, d in entries]
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group=None: [e for e in eps if group == registry.GROUP])


def test_the_built_in_families_come_from_entry_points(fresh):
    assert {"shapes.circle", "shapes.scene"} <= set(registry.names())
    installed(fresh, ("toy.sprite", f"{__name__}:Sprite", "toys"))
    registry._installed = None
    assert registry.names() == ["toy.sprite"]
    assert registry.get("toy.sprite") is Sprite


def test_a_name_declared_twice_by_two_distributions_names_both(fresh):
    installed(fresh, ("toy.sprite", f"{__name__}:Sprite", "toys-a"),
              ("toy.sprite", "toys_b:Sprite", "toys-b"))
    with pytest.raises(RegistryError, match=r"simulator 'toy.sprite' is declared twice: "
                       r"'[\w.]+:Sprite' \(package toys-a\) and 'toys_b:Sprite' \(package toys-b\)"):
        registry.names()


def test_the_same_target_declared_twice_is_not_a_conflict(fresh):
    target = f"{__name__}:Sprite"
    installed(fresh, ("toy.sprite", target, "toys"), ("toy.sprite", target, "toys-again"))
    assert registry.names() == ["toy.sprite"]


@pytest.mark.parametrize("target, message", [
    ("toys_not_installed.mod:Sprite", r"points at 'toys_not_installed.mod:Sprite', which cannot be "
                                      r"loaded: No module named 'toys_not_installed'"),
    ("deepbench.shapes.simulators:Sprite", r"which cannot be loaded: .*has no attribute 'Sprite'"),
    ("collections:OrderedDict", "which is not a deepbench Simulator subclass"),
    ("deepbench.shapes.simulators:Circle", r"points at a class named 'shapes.circle'; the two must "
                                           "agree"),
])
def test_a_bad_target_is_a_clear_registry_error(fresh, target, message):
    registry.register("toy.sprite", target)
    with pytest.raises(RegistryError, match=message) as info:
        registry.get("toy.sprite")
    assert str(info.value).startswith("simulator 'toy.sprite'")
    assert isinstance(info.value, DeepBenchError)


def test_register_adds_a_name_at_run_time(fresh):
    registry.register("toy.sprite", f"{__name__}:Sprite")
    registry.register("toy.sprite", f"{__name__}:Sprite")  # the same again is harmless
    assert "toy.sprite" in registry.names() and registry.get("toy.sprite") is Sprite


@pytest.mark.parametrize("name, target, message", [
    ("sprite", "m:Sprite", "simulator name 'sprite' must read family.snake_name"),
    ("Toy.Sprite", "m:Sprite", "must read family.snake_name"),
    ("toy.sprite.v2", "m:Sprite", "must read family.snake_name"),
    ("toy.sprite", "m.Sprite", "simulator target 'm.Sprite' must read 'package.module:ClassName'"),
    ("shapes.circle", "m:Circle", "simulator 'shapes.circle' is already registered as "
                                  "'deepbench.shapes.simulators:Circle'"),
])
def test_register_validates(fresh, name, target, message):
    with pytest.raises(RegistryError, match=message.replace(".", r"\.")):
        registry.register(name, target)
    assert name not in registry._runtime

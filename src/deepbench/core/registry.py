"""Registry of simulators by dotted name (``family.snake_name``).

Families register themselves: built-in families and third-party packages alike declare one entry
point per simulator in the group ``deepbench.simulators`` (name = the simulator's dotted name, value =
``"package.module:ClassName"``)::

    [project.entry-points."deepbench.simulators"]
    "shapes.circle" = "deepbench.shapes.simulators:Circle"

The table is read lazily from the installed package metadata on first use, and a class is imported
only when it is asked for, so ``import deepbench`` stays light. :func:`register` adds a name at run
time (notebooks, tests). Unknown names fail with a did-you-mean suggestion.
"""

from __future__ import annotations

import difflib
import importlib
import re
from typing import TYPE_CHECKING

from deepbench.errors import DeepBenchError, UnknownSimulatorError

if TYPE_CHECKING:  # pragma: no cover
    from deepbench.core.simulator import Simulator

GROUP = "deepbench.simulators"
NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")

_installed: dict[str, str] | None = None  # from entry points, read once
_runtime: dict[str, str] = {}  # from register()
_packages: dict[str, str] = {}  # name -> the distribution whose entry point declared it
RUNTIME = "(registered at run time)"


class RegistryError(DeepBenchError, RuntimeError):
    """A simulator entry is malformed or two packages claim one name for different classes."""


def _read_entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    found: dict[str, tuple[str, str]] = {}
    for ep in entry_points(group=GROUP):
        where = ep.dist.name if ep.dist is not None else "?"
        if ep.name in found and found[ep.name][0] != ep.value:
            raise RegistryError(f"simulator {ep.name!r} is declared twice: {found[ep.name][0]!r} "
                                f"(package {found[ep.name][1]}) and {ep.value!r} (package {where})")
        found[ep.name] = (ep.value, where)
    _packages.clear()
    _packages.update({name: where for name, (_, where) in found.items()})
    return {name: value for name, (value, _) in found.items()}


def _entries() -> dict[str, str]:
    global _installed
    if _installed is None:
        _installed = _read_entry_points()
    return {**_installed, **_runtime}


def register(name: str, target: str) -> None:
    """Register ``name`` → ``"package.module:ClassName"`` at run time; a name taken by a different
    target is an error."""
    if not NAME.match(name):
        raise RegistryError(f"simulator name {name!r} must read family.snake_name")
    if ":" not in target:
        raise RegistryError(f"simulator target {target!r} must read 'package.module:ClassName'")
    known = _entries().get(name)
    if known is not None and known != target:
        raise RegistryError(f"simulator {name!r} is already registered as {known!r}")
    _runtime[name] = target


def package(name: str) -> str:
    """The installed distribution (package) that declares simulator ``name``, or
    ``"(registered at run time)"`` for a name added by :func:`register`."""
    entries = _entries()
    if name in _runtime and _runtime[name] != (_installed or {}).get(name):
        return RUNTIME
    if name not in entries:
        get(name)  # raises with a did-you-mean
    return _packages.get(name, "?")


def names() -> list[str]:
    """Every registered simulator name, sorted."""
    return sorted(_entries())


def get(name: str, *, field: str = "simulator") -> type[Simulator]:
    """The simulator class registered as ``name`` (imported now)."""
    from deepbench.core.simulator import Simulator

    entries = _entries()
    if not isinstance(name, str) or name not in entries:
        close = difflib.get_close_matches(str(name), entries, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise UnknownSimulatorError(field, name, f"a registered simulator ({hint}"
                                    f"known: {', '.join(sorted(entries))})")
    module, _, attr = entries[name].partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"simulator {name!r} points at {entries[name]!r}, which cannot be "
                            f"loaded: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Simulator)):
        raise RegistryError(f"simulator {name!r} points at {entries[name]!r}, which is not a "
                            "deepbench Simulator subclass")
    if getattr(cls, "name", None) != name:
        raise RegistryError(f"simulator {name!r} points at a class named "
                            f"{getattr(cls, 'name', None)!r}; the two must agree")
    return cls

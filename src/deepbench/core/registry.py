"""Registry of simulators by dotted name (``family.snake_name``).

Entries are lazy ``"module:Class"`` strings, so registering imports nothing heavy; the class is
imported on first use. Unknown names fail with a did-you-mean suggestion.
"""

from __future__ import annotations

import difflib
import importlib

from deepbench.core.simulator import Simulator
from deepbench.errors import UnknownSimulatorError

_ENTRIES: dict[str, str] = {}


def register(name: str, target: str) -> None:
    """Register ``name`` → ``"package.module:ClassName"``; re-registering a name is an error."""
    if name in _ENTRIES and _ENTRIES[name] != target:
        raise ValueError(f"simulator {name!r} is already registered as {_ENTRIES[name]!r}")
    _ENTRIES[name] = target


def names() -> list[str]:
    """Every registered simulator name, sorted."""
    return sorted(_ENTRIES)


def get(name: str, *, field: str = "simulator") -> type[Simulator]:
    """The simulator class registered as ``name``."""
    if not isinstance(name, str) or name not in _ENTRIES:
        close = difflib.get_close_matches(str(name), _ENTRIES, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise UnknownSimulatorError(field, name, f"a registered simulator ({hint}"
                                    f"known: {', '.join(names())})")
    module, _, attr = _ENTRIES[name].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls


for _name, _target in {
    "shapes.rectangle": "deepbench.shapes.simulators:Rectangle",
    "shapes.polygon": "deepbench.shapes.simulators:Polygon",
    "shapes.ellipse": "deepbench.shapes.simulators:Ellipse",
    "shapes.circle": "deepbench.shapes.simulators:Circle",
    "shapes.arc": "deepbench.shapes.simulators:Arc",
    "shapes.line": "deepbench.shapes.simulators:Line",
    "shapes.scene": "deepbench.shapes.scene:ShapeScene",
}.items():
    register(_name, _target)

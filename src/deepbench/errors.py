"""Exceptions raised by DeepBench.

Every error about user input names the field (a dotted path into the spec), the value that was
given and what is allowed, and subclasses both :class:`DeepBenchError` and the matching builtin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class DeepBenchError(Exception):
    """Base class of every error DeepBench raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was given, what is allowed."""

    field: str
    value: object
    expected: str

    def __str__(self) -> str:
        return f"{self.field}: got {show(self.value)}; expected {self.expected}"


SHOW_CHARS = 80  # longest shown value, in characters
LISTED_PROBLEMS = 20  # problems listed in one message; the rest are counted


def show(value: object, limit: int = SHOW_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, built without materialising a long string.

    Containers (dict, list, tuple, set) are walked with a character budget, so a value that
    expands to billions of elements (YAML aliases), refers to itself or is nested 10,000 levels
    deep costs at most about ``limit`` steps; huge integers are described by their digit count.
    """
    parts: list[str] = []
    _walk(value, parts, [limit + 1])
    text = "".join(parts)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _emit(parts: list[str], budget: list[int], text: str) -> None:
    parts.append(text)
    budget[0] -= len(text)


def _walk(value: object, parts: list[str], budget: list[int]) -> None:
    if budget[0] <= 0:
        return
    if isinstance(value, dict):
        _walk_items(list(value.items())[:budget[0]], "{", "}", parts, budget, pairs=True)
    elif isinstance(value, list | tuple):
        tail = "," if isinstance(value, tuple) and len(value) == 1 else ""
        brackets = "()" if isinstance(value, tuple) else "[]"
        _walk_items(value[:budget[0]], brackets[0], tail + brackets[1], parts, budget)
    elif isinstance(value, set | frozenset):
        _walk_items(list(value)[:budget[0]], "{", "}", parts, budget)
    elif isinstance(value, str | bytes):
        _emit(parts, budget, repr(value[:budget[0] + 2]))
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        _emit(parts, budget, f"<int with {_digits(value)} digits>")
    else:
        _emit(parts, budget, repr(value))


def _walk_items(items: Sequence[Any], opening: str, closing: str, parts: list[str],
                budget: list[int], pairs: bool = False) -> None:
    _emit(parts, budget, opening)
    for i, item in enumerate(items):
        if budget[0] <= 0:
            return
        if i:
            _emit(parts, budget, ", ")
        if pairs:
            _walk(item[0], parts, budget)
            _emit(parts, budget, ": ")
            _walk(item[1], parts, budget)
        else:
            _walk(item, parts, budget)
    _emit(parts, budget, closing)


def _digits(value: int) -> int:
    """Decimal digits of ``abs(value)`` without converting it to a string."""
    n = abs(value)
    guess = int(n.bit_length() * math.log10(2)) + 1
    return guess if n >= 10 ** (guess - 1) else guess - 1


class SpecError(DeepBenchError, ValueError):
    """A dataset spec, parameter or setting is invalid.

    ``SpecError("params.length.low", -1.0, "a number > 0 (unit: m)")`` reads
    ``params.length.low: got -1.0; expected a number > 0 (unit: m)``.
    """

    def __init__(self, field: str | Sequence[Problem], value: object = None, expected: str = ""):
        if isinstance(field, str):
            problems: tuple[Problem, ...] = (Problem(field, value, expected),)
        else:
            problems = tuple(field)
        self.problems = problems
        if len(problems) == 1:
            message = str(problems[0])
        else:
            listed = "\n".join(f"  - {p}" for p in problems[:LISTED_PROBLEMS])
            more = len(problems) - LISTED_PROBLEMS
            message = f"{len(problems)} problems in the spec:\n{listed}" + (
                f"\n  ... and {more} more" if more > 0 else "")
        super().__init__(message)

    @property
    def field(self) -> str:
        return self.problems[0].field


class UnknownSimulatorError(SpecError, KeyError):
    """No simulator is registered under the given name."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class OutputExistsError(DeepBenchError, FileExistsError):
    """The output exists and neither ``overwrite`` nor ``resume`` allows touching it."""


class StoreError(DeepBenchError, OSError):
    """A dataset file is missing, incomplete, or does not match what was asked of it."""


class OutputBusyError(DeepBenchError, BlockingIOError):
    """Another run holds the output's lock; nothing was touched."""

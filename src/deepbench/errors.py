"""Exceptions raised by DeepBench.

Every error about user input names the field (a dotted path into the spec), the value that was
given and what is allowed, and subclasses both :class:`DeepBenchError` and the matching builtin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DeepBenchError(Exception):
    """Base class of every error DeepBench raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was given, what is allowed."""

    field: str
    value: object
    expected: str

    def __str__(self) -> str:
        return f"{self.field}: got {_show(self.value)}; expected {self.expected}"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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
            message = f"{len(problems)} problems in the spec:\n" + "\n".join(
                f"  - {p}" for p in problems
            )
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

"""Shared pieces of the physics family: time grids, step-size checks, energy errors.

Series are ``(B, T)`` float64 per named output (batch axis first, then time); N-body positions and
velocities are ``(B, T, N, 3)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from deepbench.core.params import Output, Setting
from deepbench.core.simulator import Simulator
from deepbench.errors import Problem, SpecError

MAX_STEPS = 100_000  # most time points a series may have (closed-form grids and recorded steps)
MAX_INTEGRATION_STEPS = 10_000_000  # most integrator steps per series
MIN_STEPS_PER_PERIOD = 20  # an integrator step is at most 1/20 of the shortest period

# -- closed-form simulators: a time grid in ``config`` -----------------------------------------
GRID_SETTINGS = (
    Setting("start", 0.0, "first observation time (uniform and random sampling)", float, unit="s"),
    Setting("stop", 10.0, "last observation time (uniform and random sampling); > start", float,
            unit="s"),
    Setting("steps", 200, f"number of observation times T (uniform and random sampling), "
            f"2 to {MAX_STEPS}", int),
    Setting("sampling", "uniform", "uniform: T equally spaced times from start to stop; random: "
            "T sorted uniform draws in [start, stop] per sample (drawn in the simulate stage); "
            "explicit: the list `times`", str, choices=("uniform", "random", "explicit")),
    Setting("times", (), "observation times in s, non-decreasing (sampling: explicit)", tuple),
)


def check_grid(config: Mapping[str, Any], path: str) -> list[Problem]:
    """Problems with the time grid settings (run before any work)."""
    problems = []
    if config["sampling"] == "explicit":
        times = config["times"]
        ok = all(isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t)
                 for t in times)
        if not ok or not 1 <= len(times) <= MAX_STEPS:
            problems.append(Problem(f"{path}.times", times, f"1 to {MAX_STEPS} finite numbers (s)"))
        elif any(b < a for a, b in zip(times, times[1:], strict=False)):
            problems.append(Problem(f"{path}.times", times, "non-decreasing times (s)"))
        return problems
    if config["times"]:
        problems.append(Problem(f"{path}.times", config["times"],
                                "no times unless sampling is 'explicit'"))
    if not config["stop"] > config["start"]:
        problems.append(Problem(f"{path}.stop", config["stop"],
                                f"a time > start = {config['start']} (s)"))
    if not 2 <= config["steps"] <= MAX_STEPS:
        problems.append(Problem(f"{path}.steps", config["steps"],
                                f"an integer in [2, {MAX_STEPS}]"))
    for key in ("start", "stop"):
        if not math.isfinite(config[key]):
            problems.append(Problem(f"{path}.{key}", config[key], "a finite time (s)"))
    return problems


def grid_length(config: Mapping[str, Any]) -> int:
    return len(config["times"]) if config["sampling"] == "explicit" else config["steps"]


def grid_times(config: Mapping[str, Any], batch: int, rng: np.random.Generator) -> np.ndarray:
    """Observation times, ``(T,)`` when shared by the batch, ``(B, T)`` when drawn per sample."""
    if config["sampling"] == "explicit":
        return np.asarray(config["times"], dtype=np.float64)
    start, stop, steps = config["start"], config["stop"], config["steps"]
    if config["sampling"] == "uniform":
        return np.linspace(start, stop, steps)
    t = rng.uniform(start, stop, size=(batch, steps))
    t.sort(axis=1)
    return t


def time_output(config: Mapping[str, Any]) -> Output:
    return Output("t", (grid_length(config),), "float64", "s",
                  "observation times (the same row for every sample unless sampling is random)",
                  noisy=False)


# -- integrators: a fixed step in ``config`` -----------------------------------------------------
def integrator_settings(dt: float, steps: int, methods: tuple[str, ...]) -> tuple[Setting, ...]:
    return (
        Setting("dt", dt, f"integration step (s); at most 1/{MIN_STEPS_PER_PERIOD} of the "
                "shortest period of each sample (checked at run time)", float, unit="s"),
        Setting("steps", steps, f"number of integration steps (1 to {MAX_INTEGRATION_STEPS})", int),
        Setting("every", 1, f"record every k-th step: T = steps // every + 1 time points "
                f"(at most {MAX_STEPS}), the first at t = 0", int),
        Setting("method", methods[0], "integration scheme", str, choices=methods),
    )


def check_integrator(config: Mapping[str, Any], path: str) -> list[Problem]:
    problems = []
    dt, steps, every = config["dt"], config["steps"], config["every"]
    if not (math.isfinite(dt) and dt > 0):
        problems.append(Problem(f"{path}.dt", dt, "a step > 0 (s)"))
    if not 1 <= steps <= MAX_INTEGRATION_STEPS:
        problems.append(Problem(f"{path}.steps", steps,
                                f"an integer in [1, {MAX_INTEGRATION_STEPS}]"))
    elif not 1 <= every <= steps:
        problems.append(Problem(f"{path}.every", every, f"an integer in [1, steps = {steps}]"))
    elif steps // every + 1 > MAX_STEPS:
        problems.append(Problem(f"{path}.every", every, f"a stride that records at most "
                                f"{MAX_STEPS} time points (steps // every + 1)"))
    return problems


def recorded(config: Mapping[str, Any]) -> int:
    return config["steps"] // config["every"] + 1


def step_problems(dt: float, period: np.ndarray, field: str, what: str) -> list[Problem]:
    """The problem (if any) with a step ``dt`` longer than the allowed fraction of ``period``,
    each sample's shortest period (s)."""
    period = np.asarray(period, dtype=np.float64)
    limit = period / MIN_STEPS_PER_PERIOD
    bad = ~(dt <= limit)
    if not bad.any():
        return []
    i = int(np.flatnonzero(bad)[0])
    return [Problem(field, dt, f"a step <= 1/{MIN_STEPS_PER_PERIOD} of the shortest period "
                    f"({what}); a sample has period {period[i]:.6g} s, so dt <= "
                    f"{limit[i]:.6g} s")]


def check_step(dt: float, period: np.ndarray, field: str, what: str) -> None:
    """Raise the step problem, if any (the run-time backstop of ``check_params``)."""
    problems = step_problems(dt, period, field, what)
    if problems:
        raise SpecError(problems)


def max_relative_error(energy: np.ndarray) -> np.ndarray:
    """Worst ``|E(t) − E(0)| / |E(0)|`` per sample over ``(B, T)`` (absolute where E(0) = 0)."""
    return relative_spread(np.max(energy, axis=1), np.min(energy, axis=1), energy[:, 0])


def relative_spread(high: np.ndarray, low: np.ndarray, e0: np.ndarray) -> np.ndarray:
    """``max(high − e0, e0 − low) / |e0|`` (absolute where e0 = 0): the worst relative energy
    error from each sample's largest, smallest and first energy."""
    scale = np.where(e0 != 0, np.abs(e0), 1.0)
    # max |E − e0| from the extremes: rounding is monotone, so this is the same number without
    # two (B, T) temporaries
    return np.maximum(high - e0, e0 - low) / scale


class GridSeries(Simulator):
    """Series observed on the configured time grid (``GRID_SETTINGS``): the grid is checked before
    any work, random observation times make the simulator stochastic, every series has
    ``series_length`` values."""

    settings = GRID_SETTINGS

    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        return check_grid(config, path)

    @property
    def stochastic(self) -> bool:
        return bool(self.config["sampling"] == "random")

    @property
    def series_length(self) -> int:
        return grid_length(self.config)


class Integrated(Simulator):
    """Series from a fixed-step integrator (``integrator_settings``), checked before any work;
    every series has ``series_length`` recorded steps."""

    def check_config(self, config: Mapping[str, Any], path: str) -> list[Problem]:
        return check_integrator(config, path)

    @property
    def series_length(self) -> int:
        return recorded(self.config)

"""A spec seen as a statistical model: parameters θ → clean output μ(θ) → observation noise.

:class:`Model` takes a spec (or a stored dataset, whose provenance holds its resolved spec), picks
one output and one class, and evaluates the simulator's clean output for given parameter values.
Parameters not given take the spec's constant values; a parameter the spec draws from a prior must
be given. Only deterministic simulators have a clean output that is a function of θ alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from deepbench.core.noise import Gaussian, ObsNoise, Poisson, PoissonGaussian
from deepbench.core.numbers import MAX_MAGNITUDE
from deepbench.core.priors import Constant, Prior
from deepbench.dataset.plan import Plan
from deepbench.dataset.resolved import ResolvedSpec
from deepbench.errors import Problem, SpecError

Noise = Gaussian | Poisson | PoissonGaussian
_PRIOR = TypeAdapter(Prior)
_OBS = TypeAdapter(ObsNoise)
STORE_SUFFIXES = (".h5", ".hdf5", ".zarr")


def resolved_spec(source: Any) -> ResolvedSpec:
    """The resolved spec of a spec (path, mapping, ResolvedSpec) or of a stored dataset (a
    ``deepbench.load`` view or the path of an ``.h5``/``.zarr`` store)."""
    from deepbench.dataset.spec import resolve
    from deepbench.dataset.view import Dataset, load

    if isinstance(source, ResolvedSpec):
        return source
    if isinstance(source, Dataset):
        return ResolvedSpec.from_json(source.spec)
    if isinstance(source, str | Path) and str(source).rstrip("/").endswith(STORE_SUFFIXES):
        with load(source) as ds:
            return ResolvedSpec.from_json(ds.spec)
    return resolve(source)


class Model:
    """θ ↦ clean output of one output of one class of a spec, with that output's noise model.

    ``output`` defaults to the simulator's only output carrying observation noise; ``class_``
    (name or index) to the only class.
    """

    def __init__(self, source: Any, *, output: str | None = None,
                 class_: str | int | None = None):
        self.spec = resolved_spec(source)
        plan = Plan(self.spec)
        names = plan.class_names
        if class_ is None:
            if len(names) > 1:
                raise SpecError("class", None, f"one of the spec's classes ({', '.join(names)})")
            ci = 0
        elif isinstance(class_, int) and 0 <= class_ < len(names):
            ci = class_
        elif class_ in names:
            ci = names.index(class_)
        else:
            raise SpecError("class", class_, f"one of the spec's classes ({', '.join(names)})")
        self.class_name = names[ci]
        entry = plan.classes[ci]
        self.sim = entry.sim
        if self.sim.stochastic:
            raise SpecError("simulator", self.sim.name, "a deterministic simulator: this one draws "
                            "from its random stream, so its clean output is not a function of "
                            "the parameters and the likelihood has no closed form")
        noisy = [o.name for o in plan.outputs if o.name in plan.obs_noise]
        if output is None:
            if len(noisy) != 1:
                raise SpecError("output", None, "the name of an output with observation noise "
                                f"({', '.join(noisy) or 'the spec has none'})")
            output = noisy[0]
        if output not in noisy:
            raise SpecError("output", output, "an output with observation noise in the spec "
                            f"({', '.join(noisy) or 'none'})")
        self.output = output
        self.shape = next(o.shape for o in plan.outputs if o.name == output)
        self.noise: Noise = plan.obs_noise[output]  # type: ignore[assignment]
        self.priors: dict[str, Any] = dict(entry.priors)
        self.fixed = {k: float(p.value) for k, p in self.priors.items()
                      if isinstance(p, Constant)}
        self.free = [k for k in self.priors if k not in self.fixed]

    # ---------------------------------------------------------------------------------------
    def inputs(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The simulator's inputs for a batch: given values (broadcast to one batch size) over the
        spec's constants; SpecError naming any unknown, missing or out-of-bounds parameter."""
        known = {p.name for p in self.sim.params}
        problems = [Problem(f"params.{k}", v, f"a parameter of {self.sim.name} "
                            f"({', '.join(sorted(known))})") for k, v in params.items()
                    if k not in known]
        missing = [k for k in self.free if k not in params]
        problems += [Problem(f"params.{k}", None, "a value: the spec draws this parameter from a "
                             "prior, so the model needs it") for k in missing]
        if problems:
            raise SpecError(problems)
        arrays = {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in params.items()}
        size = max((a.size for a in arrays.values()), default=1)
        batch: dict[str, np.ndarray] = {}
        for k in self.priors:
            v = arrays.get(k, np.array([self.fixed.get(k, np.nan)]))
            if v.ndim != 1 or v.size not in (1, size):
                raise SpecError(f"params.{k}", v.shape, f"a scalar or an array of shape ({size},)")
            batch[k] = np.broadcast_to(v, (size,)).copy()
        for k, v in batch.items():
            p = self.sim.param(k)
            bad = ~p.contains(v) | ~(np.abs(v) <= MAX_MAGNITUDE)
            if bad.any():
                problems.append(Problem(f"params.{k}", float(v[bad][0]),
                                        f"{p.allowed()}, finite, of magnitude at most "
                                        f"{MAX_MAGNITUDE:g}"))
        if problems:
            raise SpecError(problems)
        derived = {alt.target: alt.derive(batch) for alt in self.sim.alternatives
                   if alt.options[0][0] not in batch}
        inputs = {**batch, **derived}
        problems = self.sim.check_params(inputs)
        if problems:
            raise SpecError(problems)
        return inputs

    def clean(self, params: Mapping[str, Any]) -> np.ndarray:
        """μ(θ): the noise-free output for a batch of parameters, float64, shape (B, *shape)."""
        inputs = self.inputs(params)
        result = self.sim.simulate(inputs, np.random.default_rng(0))  # deterministic: unused
        return np.asarray(result.outputs[self.output], dtype=np.float64)

    def check_observation(self, x: Any) -> np.ndarray:
        """``x`` as float64 of shape (B, *shape) (a single observation gains the batch axis)."""
        arr = np.asarray(x, dtype=np.float64)
        if arr.shape == self.shape:
            arr = arr[None]
        if arr.shape[1:] != self.shape:
            raise SpecError("x", arr.shape, f"observations of {self.output} with shape "
                            f"(B, {', '.join(map(str, self.shape))})")
        if not np.isfinite(arr).all():
            raise SpecError("x", "non-finite values", "finite observations")
        return arr

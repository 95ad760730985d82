from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from deepbench.core import registry
from deepbench.errors import SpecError, UnknownSimulatorError


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


@pytest.mark.parametrize("name", registry.names())
def test_contract_every_simulator(name):
    """Declared outputs, dtypes and shapes; purity; batch-size invariance; determinism."""
    sim = registry.get(name)()
    params = {p.name: np.full(5, float(p.default)) for p in sim.params if p.default is not None}
    result = sim.simulate(params, np.random.default_rng(0))
    for o in sim.outputs():
        arr = result.outputs[o.name]
        assert arr.shape == (5, *o.shape) and arr.dtype == np.dtype(o.dtype)
        assert np.all(np.isfinite(arr))
    for o in sim.truth_outputs():
        assert result.truth[o.name].shape == (5, *o.shape)
    before = {k: v.copy() for k, v in params.items()}
    again = sim.simulate(params, np.random.default_rng(0))
    assert all(np.array_equal(before[k], params[k]) for k in params)  # inputs untouched
    for o in sim.outputs():
        assert np.array_equal(result.outputs[o.name], again.outputs[o.name])
    if not sim.catalog_columns():  # per-sample physics: one sample alone gives the same row
        single = sim.simulate({k: v[:1] for k, v in params.items()}, np.random.default_rng(0))
        for o in sim.outputs():
            np.testing.assert_array_equal(single.outputs[o.name][0], result.outputs[o.name][0])

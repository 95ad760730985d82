from __future__ import annotations

import subprocess
import sys

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

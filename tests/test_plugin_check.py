"""``deepbench list`` names each simulator's package, and ``deepbench check-simulator`` passes a
well-behaved plugin and fails broken ones with a message naming the fault (real CLI, real pip)."""

from __future__ import annotations

import sys

import pytest
from plugin_support import pip_install, write_package
from test_plugins import CLI, run

pytestmark = pytest.mark.slow

BROKEN = '''\
"""Two broken simulators: a wrong output shape, and a draw from the global NumPy generator."""
import numpy as np

from deepbench.core.params import Output, Param
from deepbench.core.simulator import SimResult, Simulator


class WrongShape(Simulator):
    """Declares (4, 4) images but returns (4, 5)."""

    name = "toybroken.wrong_shape"
    summary = "declares 4x4, returns 4x5"
    params = (Param("level", 0.5, "", "pixel value", low=0.0, high=1.0),)

    def outputs(self):
        return (Output("image", (4, 4), "float32", "", "an image"),)

    def simulate(self, params, rng):
        level = params["level"].astype(np.float32)
        return SimResult({"image": np.broadcast_to(level[:, None, None], (level.size, 4, 5)).copy()})


class GlobalRng(Simulator):
    """Noise from np.random instead of the rng it is given."""

    name = "toybroken.global_rng"
    summary = "noise from the global generator"
    stochastic = True
    params = (Param("level", 0.5, "", "pixel value", low=0.0, high=1.0),)

    def outputs(self):
        return (Output("image", (4, 4), "float32", "", "an image"),)

    def simulate(self, params, rng):
        level = params["level"][:, None, None]
        noise = np.random.standard_normal((level.shape[0], 4, 4))  # noqa: NPY002 (the fault)
        return SimResult({"image": (level + noise).astype(np.float32)})
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugins")
    target = root / "site"
    pip_install(write_package(root / "src", "toyplugin",
                              {"toyplugin.constant": "toyplugin:Constant"}), target)
    pip_install(write_package(root / "src", "toybroken",
                              {"toybroken.wrong_shape": "toybroken:WrongShape",
                               "toybroken.global_rng": "toybroken:GlobalRng"}, BROKEN), target)
    return target


def test_list_names_the_package_of_every_simulator(site):
    listed = run(site, *CLI, "list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "[toyplugin]" in rows["toyplugin.constant"]
    assert "[toybroken]" in rows["toybroken.wrong_shape"]
    assert "[deepbench]" in rows["shapes.circle"] and "[deepbench]" in rows["calo.shower"]


def test_a_good_plugin_passes_check_simulator(site):
    for extra in ((), ("--config", "size=1"), ("--config", "size=7", "--batch-size", "3")):
        checked = run(site, *CLI, "check-simulator", "toyplugin.constant", *extra)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.strip() == ("ok: toyplugin.constant v1 (package toyplugin) keeps "
                                          "the simulator contract")


def test_a_wrong_output_shape_fails_naming_the_fault(site):
    checked = run(site, *CLI, "check-simulator", "toybroken.wrong_shape")
    assert checked.returncode == 1 and checked.stdout == ""
    assert "Traceback" not in checked.stderr
    assert "FAIL: simulator toybroken.wrong_shape breaks the simulator contract" in checked.stderr
    assert "[outputs] outputs/image is float32 (4, 4, 5); declared float32 (4, 4, 4)" \
        in checked.stderr
    assert "(package toybroken)" in checked.stderr


def test_global_rng_use_fails_naming_the_fault(site):
    checked = run(site, *CLI, "check-simulator", "toybroken.global_rng")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert "FAIL: simulator toybroken.global_rng breaks the simulator contract" in checked.stderr
    assert "[global-rng] simulate changed the global np.random" in checked.stderr


def test_check_simulator_refuses_a_bad_option_and_an_unknown_name(site):
    bad = run(site, *CLI, "check-simulator", "toyplugin.constant", "--config", "size")
    assert bad.returncode == 2 and "--config: got 'size'; expected KEY=VALUE" in bad.stderr
    unknown = run(site, *CLI, "check-simulator", "toyplugin.constnt")
    assert unknown.returncode == 2 and "did you mean 'toyplugin.constant'" in unknown.stderr


def test_the_python_checker_sees_the_same_faults(site):
    code = ("from deepbench.testing import check_simulator, ContractError\n"
            "for name in ('toybroken.wrong_shape', 'toybroken.global_rng'):\n"
            "    try:\n        check_simulator(name)\n    except ContractError as e:\n"
            "        print(name, ','.join(e.rules))\n")
    out = run(site, sys.executable, "-c", code)
    assert out.returncode == 0, out.stderr
    rules = dict(line.split(" ") for line in out.stdout.splitlines())
    assert "outputs" in rules["toybroken.wrong_shape"].split(",")
    assert "global-rng" in rules["toybroken.global_rng"].split(",")


def test_package_names_the_distribution_or_run_time_registration(monkeypatch):
    from deepbench.core import registry
    from deepbench.errors import UnknownSimulatorError

    assert registry.package("shapes.circle") == "deepbench"
    monkeypatch.setitem(registry._runtime, "toyx.thing", "toyx:Thing")
    assert registry.package("toyx.thing") == "(registered at run time)"
    with pytest.raises(UnknownSimulatorError, match="did you mean 'toyx.thing'"):
        registry.package("toyx.thin")

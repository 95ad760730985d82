"""Build and install tiny third-party simulator packages, offline, for the plugin tests.

A fresh virtual environment may have no build backend at all (Python >= 3.12 venvs ship without
setuptools, and setuptools < 70 needs ``wheel`` to build one), and CI has no network. So each toy
package carries its own in-tree PEP 517 backend (standard library only, ``backend-path``) and is
built and installed by the real ``pip install --no-deps --no-build-isolation --no-index
--target DIR``: pip reads the package's ``pyproject.toml``, builds a wheel and installs it with its
``entry_points.txt``, exactly as for a published plugin.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

BACKEND = '''\
"""Minimal PEP 517 backend: a pure-Python wheel from [project], standard library only."""
import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path


def _digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    name, version = project["name"], project["version"]
    info = f"{name}-{version}.dist-info"
    files = {p.as_posix(): p.read_bytes() for p in sorted(Path(name).rglob("*.py"))}
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n".encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\\nGenerator: toy\\nRoot-Is-Purelib: true\\n"
                              b"Tag: py3-none-any\\n")
    files[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\\n" + "".join(f"{k} = {v}\\n" for k, v in eps.items())
        for group, eps in project.get("entry-points", {}).items()).encode()
    rows = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files.items()]
    files[f"{info}/RECORD"] = "\\n".join([*rows, f"{info}/RECORD,,", ""]).encode()
    wheel = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel
'''

CONSTANT = '''\
"""A third-party simulator: a constant image."""
import numpy as np

from deepbench.core.params import Output, Param, Setting
from deepbench.core.simulator import SimResult, Simulator


class Constant(Simulator):
    """Every pixel equals ``level``."""

    name = "toyplugin.constant"
    summary = "constant image (a plugin test)"
    params = (Param("level", 0.5, "", "pixel value", low=0.0, high=1.0),)
    settings = (Setting("size", 4, "image side", int, low=1, high=64, unit="px"),)

    def outputs(self):
        n = self.config["size"]
        return (Output("image", (n, n), "float32", "", "the constant image"),)

    def simulate(self, params, rng):
        n = self.config["size"]
        level = params["level"].astype(np.float32)
        return SimResult({"image": np.broadcast_to(level[:, None, None], (level.size, n, n)).copy()})
'''


def write_package(root: Path, dist: str, entry_points: dict[str, str], module: str = CONSTANT
                  ) -> Path:
    """Write package ``dist`` (one module, ``dist/__init__.py``) with its pyproject and backend."""
    src = root / dist
    (src / dist).mkdir(parents=True)
    (src / dist / "__init__.py").write_text(module)
    (src / "_toy_backend.py").write_text(BACKEND)
    eps = "\n".join(f'"{name}" = "{target}"' for name, target in entry_points.items())
    (src / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = []
        build-backend = "_toy_backend"
        backend-path = ["."]

        [project]
        name = "{dist}"
        version = "0.1"

        [project.entry-points."deepbench.simulators"]
        """) + eps + "\n")
    return src


def pip_install(package: Path, target: Path) -> None:
    """Build ``package`` and install it into ``target`` with the real pip, offline."""
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                           "--no-index", "--disable-pip-version-check", "--quiet", "--target",
                           str(target), str(package)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"pip install failed:\n{proc.stdout}\n{proc.stderr}")

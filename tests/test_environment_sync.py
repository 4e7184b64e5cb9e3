"""environment.yml (conda-forge) and pyproject.toml (PyPI) must describe the same environment."""
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPI_TO_CONDA = {"matplotlib": "matplotlib-base", "cupy-cuda12x": "cupy"}

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _split(requirement: str):
    name, bound = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def _pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    out = {}
    for req in reqs:
        name, bound = _split(req)
        out[PYPI_TO_CONDA.get(name, name)] = bound
    return out, project["requires-python"].replace(" ", "")


def _environment():
    deps = {}
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"^dependencies:\s*$", line):
            in_deps = True
            continue
        if in_deps and re.match(r"^\S", line):
            break
        m = re.match(r"^\s+-\s+([^#\s][^#]*?)\s*(#.*)?$", line)
        if in_deps and m:
            name, bound = _split(m.group(1))
            deps[name] = bound
    return deps


def test_same_packages_and_bounds():
    pyproject, _ = _pyproject()
    env = _environment()
    env.pop("python")
    assert env == pyproject


def test_same_python():
    _, requires_python = _pyproject()
    assert _environment()["python"] == requires_python


def test_torch_is_never_a_dependency():
    pyproject, _ = _pyproject()
    assert "torch" not in pyproject and "pytorch" not in _environment()

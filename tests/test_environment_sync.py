"""pyproject.toml (PyPI), environment.yml + environment-gpu.yml (conda-forge) and
requirements/lock.txt (the exact versions) must describe the same environment."""
import re
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
PYPI_TO_CONDA = {"matplotlib": "matplotlib-base", "cupy-cuda12x": "cupy"}
GPU_EXTRA = "gpu"

# The lock is universal: it must give one version of each package in each of these.
PYTHONS = ["3.10.12", "3.11.9", "3.12.4", "3.13.1"]
PLATFORMS = [  # (sys_platform, platform_system, os_name)
    ("linux", "Linux", "posix"),
    ("darwin", "Darwin", "posix"),
    ("win32", "Windows", "nt"),
]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pyproject_requirements(extras=None):
    """Runtime requirements plus those of `extras` (default: every extra), as packaging Requirements."""
    project = _project()
    groups = project["optional-dependencies"]
    reqs = list(project["dependencies"])
    for extra in groups if extras is None else extras:
        reqs += groups[extra]
    return [Requirement(r) for r in reqs]


# --- conda ---------------------------------------------------------------------------------

def _split(requirement: str):
    name, bound = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def _as_conda(reqs):
    return {PYPI_TO_CONDA.get(canonicalize_name(r.name), canonicalize_name(r.name)): str(r.specifier)
            for r in reqs}


def _environment(filename="environment.yml"):
    deps = {}
    in_deps = False
    for line in (ROOT / filename).read_text().splitlines():
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
    # environment.yml has everything but the gpu extra; environment-gpu.yml has exactly that
    cpu_extras = [e for e in _project()["optional-dependencies"] if e != GPU_EXTRA]
    env = _environment()
    env.pop("python")
    assert env == _as_conda(_pyproject_requirements(cpu_extras))
    gpu_only = _as_conda(Requirement(r) for r in _project()["optional-dependencies"][GPU_EXTRA])
    assert _environment("environment-gpu.yml") == gpu_only


def test_base_environment_does_not_need_a_gpu():
    # cupy pulls in CUDA and has no macOS build: `conda env create` must work everywhere
    assert "cupy" not in _environment()


def test_same_python():
    assert _environment()["python"] == _project()["requires-python"].replace(" ", "")


def test_torch_is_never_a_dependency():
    names = {canonicalize_name(r.name) for r in _pyproject_requirements()}
    assert "torch" not in names and "pytorch" not in _environment()


# --- the lock ------------------------------------------------------------------------------

def _environments():
    for python in PYTHONS:
        for sys_platform, platform_system, os_name in PLATFORMS:
            yield {
                "python_version": ".".join(python.split(".")[:2]),
                "python_full_version": python,
                "sys_platform": sys_platform,
                "platform_system": platform_system,
                "os_name": os_name,
                "implementation_name": "cpython",
                "platform_python_implementation": "CPython",
                "platform_machine": "x86_64",
            }


def parse_lock(text):
    """{name: [(version, marker or None), ...]} from a pip constraints file of `name==version` pins."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        spec = list(req.specifier)
        assert len(spec) == 1 and spec[0].operator == "==", f"not an exact pin: {line!r}"
        pins.setdefault(canonicalize_name(req.name), []).append((spec[0].version, req.marker))
    return pins


def lock_problems(requirements, lock_text):
    """What is wrong with the lock for these requirements: a missing package, a pin outside its
    range, or not exactly one pin for some Python version and platform."""
    pins = parse_lock(lock_text)
    problems = []
    for req in requirements:
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{name}: not in the lock")
            continue
        for version, marker in pins[name]:
            if not req.specifier.contains(version, prereleases=True):
                problems.append(f"{name}=={version} is outside {req}")
        for env in _environments():
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            chosen = [v for v, m in pins[name] if m is None or m.evaluate(env)]
            if len(chosen) != 1:
                where = f"Python {env['python_full_version']} on {env['sys_platform']}"
                problems.append(f"{name}: {len(chosen)} pins for {where}: {chosen}")
    return problems


def test_lock_matches_pyproject():
    assert lock_problems(_pyproject_requirements(), LOCK.read_text()) == []


def test_lock_says_how_to_regenerate_it():
    header = [line for line in LOCK.read_text().splitlines() if line.startswith("#")]
    assert any("make lock" in line for line in header)


# The checker itself, on small synthetic locks.
REQS = [Requirement("numpy>=1.26"), Requirement("voila>=0.5")]
GOOD = """\
numpy==2.2.6 ; python_full_version < '3.11'  # via course
numpy==2.4.6 ; python_full_version >= '3.11'
voila==0.5.13
"""


def test_checker_accepts_a_good_lock():
    assert lock_problems(REQS, GOOD) == []
    assert parse_lock(GOOD)["numpy"][0] == ("2.2.6", Marker("python_full_version < '3.11'"))


@pytest.mark.parametrize("bad, expected", [
    (GOOD.replace("numpy==2.2.6", "numpy==1.25.2"), "numpy==1.25.2 is outside numpy>=1.26"),
    (GOOD.replace("voila==0.5.13\n", ""), "voila: not in the lock"),
    (GOOD.replace("< '3.11'", "< '3.12'"), "numpy: 2 pins for Python 3.11.9 on linux"),
    (GOOD.replace(">= '3.11'", ">= '3.12'"), "numpy: 0 pins for Python 3.11.9 on linux"),
    (GOOD.replace("voila==0.5.13", "voila==0.5.13 ; sys_platform != 'win32'"),
     "voila: 0 pins for Python 3.10.12 on win32"),
])
def test_checker_finds_a_bad_lock(bad, expected):
    assert any(p.startswith(expected) for p in lock_problems(REQS, bad)), lock_problems(REQS, bad)


def test_checker_honours_requirement_markers():
    # a requirement only for Linux needs no pin elsewhere
    linux_only = [Requirement("cupy-cuda12x>=13.0; sys_platform == 'linux'")]
    assert lock_problems(linux_only, "cupy-cuda12x==14.2.0 ; sys_platform == 'linux'\n") == []

"""The README's architecture picture is true: every import in course/ follows its layers.

The layers are read from the picture itself (the numbered lines of the ``text`` block under
"## Layout"), so the picture and this test cannot drift apart.
"""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
NOT_IN_THE_LIBRARY = ("course.classroom", "matplotlib", "ipywidgets", "IPython", "PIL")


def _picture():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Layout\n"):]
    (block,) = re.findall(r"^```text\n(.*?)^```", section, flags=re.S | re.M)[:1]
    return block


def _layers():
    """{module prefix: layer number} from the numbered lines of the picture."""
    layers = {}
    for line in _picture().splitlines():
        m = re.match(r"^\s*(\d+)\s+(\S.*?)\s{2,}", line)
        if m:
            for name in m.group(2).split(","):
                layers["course." + name.strip()] = int(m.group(1))
    return layers


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(p): p for p in sorted(COURSE.rglob("*.py"))}


def _imports(name: str, path: Path):
    """Every module ``name`` imports, anywhere in the file (also inside functions), made absolute."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            out.add(module)
            out |= {f"{module}.{a.name}" for a in node.names}  # `from . import nn` imports course.nn
    return out


def _layer_of(module: str, layers):
    """The layer of a course module: that of its longest prefix in the picture (None: not in it)."""
    best = None
    for prefix, layer in layers.items():
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best


def test_the_picture_has_the_layers_it_shows():
    layers = _layers()
    assert layers["course.backend"] == 0 and layers["course.tensor"] == 1
    assert layers["course.nn"] == layers["course.data"] == 2
    assert layers["course.optim"] < layers["course.optim.lr_scheduler"] < layers["course.training"]


def test_every_library_module_has_a_layer_and_every_classroom_module_is_listed():
    layers, modules = _layers(), _modules()
    library = [m for m in modules if m != "course" and not m.startswith("course.classroom")]
    assert [m for m in library if _layer_of(m, layers) is None] == []
    listed = set(re.findall(r"[a-z_]+", _picture().split("- - -")[0])) - {"course", "classroom"}
    top = {m.split(".")[2] for m in modules if m.startswith("course.classroom.")}
    assert top - {"progress_bar"} <= listed, f"classroom modules missing from the picture: {top - listed}"


def test_the_library_never_imports_the_classroom_or_a_plotting_library():
    offenders = []
    for name, path in _modules().items():
        if name.startswith("course.classroom"):
            continue
        for imported in _imports(name, path):
            if imported.startswith(NOT_IN_THE_LIBRARY):
                offenders.append(f"{name} imports {imported}")
    assert offenders == []


def test_no_module_imports_one_above_it():
    layers, modules = _layers(), _modules()
    offenders = []
    for name, path in modules.items():
        if name == "course" or name.startswith("course.classroom"):
            continue
        own = _layer_of(name, layers)
        for imported in _imports(name, path):
            if not imported.startswith("course.") or imported not in modules:
                continue
            theirs = _layer_of(imported, layers)
            if theirs is None or theirs[0] == own[0] or imported.startswith(name + "."):
                continue  # within its own part, or a package exposing its own subpackage
            if theirs[1] >= own[1]:
                offenders.append(f"{name} (layer {own[1]}) imports {imported} (layer {theirs[1]})")
    assert offenders == []


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The rules above can fail: a tensor module that imports optim is caught."""
    fake = tmp_path / "course"
    (fake / "optim").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "optim" / "__init__.py").write_text("")
    (fake / "tensor.py").write_text("def f():\n    from .optim import SGD\n    import matplotlib\n")
    (tmp_path / "README.md").write_text((ROOT / "README.md").read_text())
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "COURSE", fake)
    with pytest.raises(AssertionError, match="course.tensor .layer 1. imports course.optim .layer 3."):
        test_no_module_imports_one_above_it()
    with pytest.raises(AssertionError, match="course.tensor imports matplotlib"):
        test_the_library_never_imports_the_classroom_or_a_plotting_library()


def test_import_course_loads_no_classroom_and_no_plotting():
    code = ("import sys, course, course.optim.lr_scheduler, course.training, course.lr_finder; "
            f"print(sorted(m for m in sys.modules if m.startswith({NOT_IN_THE_LIBRARY!r})))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_no_two_modules_share_a_name_and_none_is_dead():
    """A newcomer finds a thing by its name: each module name once, and each module used somewhere."""
    modules = _modules()
    names = [m.rsplit(".", 1)[-1] for m, p in modules.items() if p.name != "__init__.py"]
    assert sorted({n for n in names if names.count(n) > 1}) == []
    users = [p for p in list(COURSE.rglob("*.py")) + list(ROOT.glob("notebooks/**/*.ipynb"))
             + list(ROOT.glob("app/*.ipynb")) + list((ROOT / "tests").rglob("*.py"))]
    texts = {p: p.read_text() for p in users}
    dead = []
    for name, path in modules.items():
        if path.name == "__init__.py":
            continue
        short = name.rsplit(".", 1)[-1]
        if not any(re.search(rf"\b{short}\b", text) for p, text in texts.items() if p != path):
            dead.append(name)
    assert dead == []

"""Re-execute notebooks in place so that their stored outputs are real (``make notebooks``).

Usage: ``python tools/execute_notebooks.py [NOTEBOOK ...]`` (default: every notebook
under notebooks/, solutions included, and the app in app/).  Runs are deterministic: every notebook seeds
its own randomness, and the environment below pins what else could vary.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)  # saved widget state only bloats the file
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps would change every file on every run
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False, coalesce_streams=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    _number_widget_views(nb)
    nbformat.write(nb, path)
    return elapsed


def _number_widget_views(nb) -> None:
    """Widget views point at random model ids (uuid4) of models that are not saved; number them
    instead, so that re-running an unchanged notebook leaves its file byte for byte the same."""
    views = (out["data"]["application/vnd.jupyter.widget-view+json"]
             for cell in nb.cells for out in cell.get("outputs", ())
             if "application/vnd.jupyter.widget-view+json" in out.get("data", {}))
    for k, view in enumerate(views):
        view["model_id"] = f"{k:032x}"


def main(argv: list[str]) -> int:
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.setdefault("COURSE_BACKEND", "numpy")
    paths = [Path(a) for a in argv] or sorted(
        p for folder in ("notebooks", "app") for p in (ROOT / folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts)
    total = 0.0
    for path in paths:
        seconds = execute(path.resolve())
        total += seconds
        print(f"{seconds:6.1f} s  {path.relative_to(ROOT) if path.is_absolute() else path}", flush=True)
    print(f"{total:6.1f} s  total ({len(paths)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Every notebook in a real JupyterLab: runs clean, and every slider redraws its figure.

Per notebook: open it, Run All Cells, assert no cell shows an error other than the cells
tagged ``raises-exception``; then move each slider one notch and time the new image; push
the first sliders to both ends of their range and check the kernel lives and nothing
breaks; screenshot the first widget. ``make test-browser`` runs this file.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROWS
from lab_page import LabNotebook
from servers import ROOT

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_SLIDERS = 8  # per notebook, to keep the run under its time budget
ENDS_FOR = 2  # sliders per notebook pushed to both ends of their range


def _expected_error_cells(name: str) -> set[int]:
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return {i for i, c in enumerate(code) if "raises-exception" in c.get("metadata", {}).get("tags", [])}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_in_lab(name, browser, lab, screenshot_dir):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    nb = LabNotebook(page, lab.url, name)
    try:
        nb.open()
        run_all = nb.run_all()
        counts = nb.executed_counts()
        assert counts and all(c.startswith("[") and c[1:-2].strip().isdigit() for c in counts), \
            f"not every cell ran: {counts}"
        errors = set(nb.cells_with_tracebacks())
        assert errors <= _expected_error_cells(name), f"error output in code cells {sorted(errors)}"

        handles = nb.sliders()
        n = min(handles.count(), MAX_SLIDERS)
        times = []
        for i in range(n):
            handle = handles.nth(i)
            handle.scroll_into_view_if_needed()
            now, lo, hi = nb.slider_value(handle)
            key = "ArrowLeft" if now >= hi else "ArrowRight"
            ms = nb.press_and_time(handle, key)
            assert ms is not None, f"slider {i} of {name}: the figure did not change"
            times.append(ms)
            if i == 0:
                nb.cell_of(handle).locator(".jp-Cell-outputWrapper").screenshot(
                    path=str(screenshot_dir / f"{Path(name).stem}.png"))
        for i in range(min(n, ENDS_FOR)):  # robustness: both ends of the range
            handle = handles.nth(i)
            for key in ("End", "Home"):
                nb.press_and_time(handle, key, timeout_ms=20_000)
                nb.wait_idle(timeout=60)
            assert "dead" not in nb.kernel_states()
            errors = set(nb.cells_with_tracebacks())
            assert errors <= _expected_error_cells(name), f"slider {i} at an end broke cells {sorted(errors)}"
            ms = nb.press_and_time(handle, "ArrowRight")  # still alive and redrawing
            assert ms is not None, f"slider {i} of {name} froze after visiting the ends of its range"
        ROWS.append({"notebook": name, "cells": len(counts), "sliders": n, "times": times, "run_all": run_all})
    finally:
        try:
            nb.shutdown_kernels(context)
        finally:
            context.close()

"""Fixtures for the browser tests: headless Chromium (Debian's) and a JupyterLab server."""
from __future__ import annotations

import os
import shutil
import statistics
from pathlib import Path

import pytest

from servers import ROOT, copy_tree, start_lab

playwright_api = pytest.importorskip("playwright.sync_api", reason="run `make test-browser`, which installs it")

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
# Where element screenshots go: docs/screenshots with `make screenshots`, else a temporary folder.
SCREENSHOTS = os.environ.get("COURSE_SCREENSHOTS")

ROWS: list[dict] = []  # one row per notebook, printed as a table at the end


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test-browser` installs it "
                    "(apt-get install chromium), or set COURSE_CHROMIUM.")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab over a temporary copy of notebooks/."""
    tmp = tmp_path_factory.mktemp("lab")
    root = copy_tree(ROOT / "notebooks", tmp / "notebooks")
    server = start_lab(root, tmp)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    path = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    tr = terminalreporter
    tr.section("notebooks in JupyterLab (headless Chromium)")
    tr.write_line(f"{'notebook':<36} {'cells':>5} {'sliders':>7} {'median slider->image':>21} {'max':>7} {'run all':>8}")
    for r in ROWS:
        med = f"{statistics.median(r['times']):.0f} ms" if r["times"] else "-"
        mx = f"{max(r['times']):.0f} ms" if r["times"] else "-"
        tr.write_line(f"{r['notebook']:<36} {r['cells']:>5} {r['sliders']:>7} {med:>21} {mx:>7} {r['run_all']:>6.1f} s")
    all_times = [t for r in ROWS for t in r["times"]]
    if all_times:
        tr.write_line(f"all sliders: {len(all_times)}, median {statistics.median(all_times):.0f} ms, "
                      f"max {max(all_times):.0f} ms (target: 250 ms)")


def copy_screenshot(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)

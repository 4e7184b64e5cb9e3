"""The playground served by Voila (``make play``): it renders with no code, and reacts."""
from __future__ import annotations

import shutil

import pytest

from servers import ROOT, start_voila

_WATCH_JS = """
(timeout) => { window.__courseWatch = new Promise((resolve) => {
  const t0 = performance.now();
  const obs = new MutationObserver((records) => {
    if (records.some(r => r.target.tagName === 'IMG' || [...r.addedNodes].some(n => n.tagName === 'IMG' ||
                                                       (n.querySelector && n.querySelector('img'))))) {
      obs.disconnect(); resolve(performance.now() - t0);
    }
  });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  setTimeout(() => { obs.disconnect(); resolve(null); }, timeout);
}); }
"""


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("voila")
    notebook = tmp / "playground.ipynb"
    shutil.copyfile(ROOT / "app" / "playground.ipynb", notebook)
    server = start_voila(notebook, tmp)
    yield server
    server.stop()


def test_playground_in_voila(browser, voila, screenshot_dir):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        page.goto(voila.url, wait_until="domcontentloaded", timeout=120_000)
        handle = page.locator(".widget-slider .noUi-handle").first
        handle.wait_for(timeout=120_000)
        page.locator(".widget-output img, .jp-OutputArea-output img").first.wait_for(timeout=60_000)
        assert "import" not in page.inner_text("body"), "Voila must show no code"
        assert "Traceback" not in page.inner_text("body")

        page.evaluate(_WATCH_JS, 20_000)  # the lr slider
        handle.focus()
        handle.press("ArrowRight")
        assert page.evaluate("() => window.__courseWatch") is not None, "the race did not redraw"

        page.evaluate(_WATCH_JS, 20_000)  # the scheduler
        page.locator(".widget-dropdown select").filter(has_text="OneCycleLR").select_option("OneCycleLR")
        assert page.evaluate("() => window.__courseWatch") is not None, "choosing a scheduler did not redraw"

        page.locator(".widget-vbox").first.screenshot(path=str(screenshot_dir / "playground.png"))

        for key in ("End", "Home"):  # both ends of the lr range: a message, never a crash
            page.evaluate(_WATCH_JS, 20_000)
            handle.press(key)
            page.evaluate("() => window.__courseWatch")
            if key == "End":
                assert "diverged at step" in page.inner_text("body"), "no message at 100x the tuned lrs"
        assert "Traceback" not in page.inner_text("body")
        page.evaluate(_WATCH_JS, 20_000)
        handle.press("ArrowRight")
        assert page.evaluate("() => window.__courseWatch") is not None, "the race froze after the ends"
    finally:
        page.close()

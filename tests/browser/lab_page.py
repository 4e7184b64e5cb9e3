"""Driving one notebook in JupyterLab: open, run all, read errors, move sliders, time the redraw."""
from __future__ import annotations

import json
import re
import time
import urllib.request

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
TRACEBACK = "Traceback (most recent call last)"
WIDGET_ERRORS = ("Error displaying widget", "Failed to load model class", "Error rendering")

# Runs in the page: resolves with the time (ms after the key press) at which an <img> in
# `cell` got a new src, or a new <img> appeared in it.
_WATCH_JS = """
([cell, timeout]) => { window.__courseWatch = new Promise((resolve) => {
  let pressed = null;
  const onKey = () => { if (pressed === null) pressed = performance.now(); };
  document.addEventListener('keydown', onKey, true);
  const done = (value) => { observer.disconnect(); document.removeEventListener('keydown', onKey, true);
                            clearTimeout(timer); resolve(value); };
  const observer = new MutationObserver((records) => {
    if (pressed === null) return;
    for (const r of records) {
      if ((r.type === 'attributes' && r.target.tagName === 'IMG') ||
          (r.type === 'childList' && [...r.addedNodes].some(n => n.tagName === 'IMG' ||
                                       (n.querySelector && n.querySelector('img'))))) {
        done(performance.now() - pressed); return;
      }
    }
  });
  observer.observe(cell, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  const timer = setTimeout(() => done(null), timeout);
}); }
"""


class LabNotebook:
    def __init__(self, page, base_url: str, name: str):
        self.page, self.base_url, self.name = page, base_url, name
        self.panel = page.locator(PANEL)

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/lab/tree/{self.name}?reset", wait_until="domcontentloaded")
        self.panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
        # a kernel that has started and is idle (no indicator yet means no kernel yet)
        self.panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(timeout=120_000)
        self.wait_idle()

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Wait until the kernel is idle and no cell is queued or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = self.page.evaluate(
                """(sel) => {
                    const p = document.querySelector(sel);
                    if (!p) return true;
                    const status = p.querySelector('.jp-Notebook-ExecutionIndicator');
                    const running = [...p.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('[*]'));
                    const state = status ? status.getAttribute('data-status') : 'idle';
                    return running || (state !== 'idle');
                }""", PANEL)
            if not busy:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: kernel still busy after {timeout} s")

    def run_all(self) -> float:
        start = time.perf_counter()
        for _ in range(3):  # the click can land before the notebook takes commands: then try again
            self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and all(c == "[ ]:" for c in self.executed_counts()):
                time.sleep(0.2)
            if not all(c == "[ ]:" for c in self.executed_counts()):
                break
        self.wait_idle(timeout=300)
        return time.perf_counter() - start

    def code_cells(self):
        return self.panel.locator(".jp-CodeCell")

    def executed_counts(self) -> list[str]:
        return [t.strip() for t in self.panel.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]

    def cells_with_tracebacks(self) -> list[int]:
        """Indices (among code cells) whose outputs show a traceback or a widget error."""
        texts = self.page.evaluate(
            """(sel) => [...document.querySelector(sel).querySelectorAll('.jp-CodeCell')]
                        .map(c => (c.querySelector('.jp-Cell-outputWrapper') || c).innerText)""", PANEL)
        return [i for i, t in enumerate(texts) if TRACEBACK in t or any(w in t for w in WIDGET_ERRORS)]

    def sliders(self):
        return self.panel.locator(".widget-slider .noUi-handle")

    def cell_of(self, locator):
        return locator.locator("xpath=ancestor::div[contains(@class, 'jp-CodeCell')][1]")

    def press_and_time(self, handle, key: str, timeout_ms: int = 15_000):
        """Press ``key`` on a slider handle; ms until its cell shows a new image (None: never)."""
        cell = self.cell_of(handle)
        handle.focus()
        self.page.evaluate(_WATCH_JS, [cell.element_handle(), timeout_ms])  # starts watching, returns at once
        handle.press(key)
        return self.page.evaluate("() => window.__courseWatch")

    def slider_value(self, handle) -> tuple[float, float, float]:
        now, lo, hi = (handle.get_attribute(a) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
        return float(now), float(lo), float(hi)

    def kernel_states(self) -> list[str]:
        with urllib.request.urlopen(f"{self.base_url}/api/kernels", timeout=10) as r:
            return [k["execution_state"] for k in json.load(r)]

    def shutdown_kernels(self, context) -> None:
        """Through the REST API, which needs the _xsrf cookie echoed as X-XSRFToken."""
        xsrf = next((c["value"] for c in context.cookies() if c["name"] == "_xsrf"), "")
        with urllib.request.urlopen(f"{self.base_url}/api/kernels", timeout=10) as r:
            kernels = json.load(r)
        for k in kernels:
            req = urllib.request.Request(f"{self.base_url}/api/kernels/{k['id']}", method="DELETE",
                                         headers={"X-XSRFToken": xsrf, "Cookie": f"_xsrf={xsrf}"})
            urllib.request.urlopen(req, timeout=30).close()

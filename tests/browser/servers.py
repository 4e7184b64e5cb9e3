"""Start and stop JupyterLab and Voila on 127.0.0.1 for the browser tests.

Both serve a temporary copy of the notebooks, so autosave never writes into the repository,
and read their settings from a temporary folder (news off, no windowing: every cell renders).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dst


def _env(tmp: Path) -> dict:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    settings = tmp / "lab-settings"
    for name, value in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp / "lab-workspaces")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
    env.pop("MPLBACKEND", None)  # kernels must use the inline backend
    env.setdefault("COURSE_BACKEND", "numpy")
    return env


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


class Server:
    """A server process; ``url`` is its base address."""

    def __init__(self, args: list[str], tmp: Path, port: int, ready_path: str, name: str):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = tmp / f"{name}.log"
        self._log_file = open(self.log, "w")
        self.proc = subprocess.Popen(args, cwd=tmp, env=_env(tmp), stdout=self._log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_http(self.url + ready_path, self.proc, self.log)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


def start_lab(root: Path, tmp: Path) -> Server:
    port = free_port()
    args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
            "--LabApp.news_url=None", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
            "--ServerApp.allow_root=True"]
    return Server(args, tmp, port, "/api/status", "lab")


def start_voila(notebook: Path, tmp: Path) -> Server:
    port = free_port()
    args = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1"]
    return Server(args, tmp, port, "/", "voila")

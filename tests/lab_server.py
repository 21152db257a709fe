"""``make lab`` for the tests: JupyterLab started by the Makefile on a copy of the project.

The copy (``project_copy``) keeps the tests off the project's own files (JupyterLab saves a
notebook before the Voila preview renders it). The store target is not remade (``-o store``:
the session's store is used, through the environment), the venv is this interpreter's, and
Jupyter's configuration, data and runtime folders are private to the test, so no workspace,
trust database or setting of the user's is read or written.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TOKEN = "observatory-lab-test-token"
START_TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LabServer:
    """A running ``make lab``: its URL, token, runtime folder and log."""

    process: subprocess.Popen
    port: int
    runtime_dir: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET", body: dict | None = None) -> dict:
        """A call to the Jupyter server's REST API, authenticated with the token."""
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else {}

    def page(self, path: str) -> str:
        """The HTML of a page of the server (the token in the query)."""
        separator = "&" if "?" in path else "?"
        url = f"{self.url}{path}{separator}token={TOKEN}"
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read().decode()

    def wait_ready(self) -> float:
        """Wait until the server answers its status API; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < START_TIMEOUT_S:
            if self.process.poll() is not None:
                raise AssertionError(f"make lab exited {self.process.returncode}:\n{self.text()}")
            with contextlib.suppress(OSError, urllib.error.URLError):
                self.api("/api/status")
                return time.monotonic() - started
            time.sleep(0.5)
        raise AssertionError(f"JupyterLab did not answer in {START_TIMEOUT_S} s:\n{self.text()}")

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> int:
        """Shut the server down through its API (kernels too); the exit status of make."""
        with contextlib.suppress(OSError, urllib.error.URLError):
            self.api("/api/shutdown", method="POST")
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # our own process group: make, jupyter, kernels
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout=30)


@contextlib.contextmanager
def make_lab(project: Path, scratch: Path, environment: dict[str, str]) -> Iterator[LabServer]:
    """Run ``make lab`` in ``project`` on a free loopback port until the block ends."""
    folders = {name: scratch / name for name in ("config", "data", "runtime")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = scratch / "lab.log"
    env = {
        **environment,
        "JUPYTER_CONFIG_DIR": str(folders["config"]),
        "JUPYTER_DATA_DIR": str(folders["data"]),
        "JUPYTER_RUNTIME_DIR": str(folders["runtime"]),
    }
    command = [
        "make",
        "--no-print-directory",
        "-o",
        "store",
        "lab",
        f"VENV={sys.prefix}",
        f"LAB_PORT={port}",
        f"LAB_ARGS=--no-browser --ServerApp.token={TOKEN}",
    ]
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = LabServer(process, port, folders["runtime"], log)
    try:
        yield server
    finally:
        server.stop()

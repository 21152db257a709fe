"""Helpers shared by the batch tests (tests/unit/test_batch.py) and the fault suite.

On the test path through ``pythonpath`` in pyproject.toml; plain functions, no fixtures.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from observatory_lib.runtime.batch import FORMATS, MANIFEST_NAME, TEMP_PREFIX

# a batch in its own process, so that the test can SIGKILL it mid-run
_BATCH_SCRIPT = """
import sys
from observatory_lib.runtime.batch import run_batch

if __name__ == "__main__":
    jobs = [(f"R{{i}}", {{"region_code": code}}) for i, code in enumerate({codes!r})]
    run_batch({notebook!r}, jobs, sys.argv[1], workers=2, progress=False{options})
"""


def regions(*codes: str) -> list[tuple[str, dict]]:
    """Batch jobs named after their region."""
    return [(code, {"region_code": code}) for code in codes]


def manifest(root: Path) -> dict:
    """The jobs of a batch's manifest."""
    return json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))["jobs"]


def temp_entries(root: Path) -> list[str]:
    """Names of the temporary files and directories left in an output root."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith(TEMP_PREFIX))


def wait_for(condition, timeout: float, what: str):
    """Poll ``condition`` until it is true (returned) or fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def processes_with(marker: str) -> list[int]:
    """Pids of the processes whose environment holds ``marker`` (Linux /proc)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:  # the process ended while we looked, or is not ours to read
            continue
    return found


def kill_batch_midway(
    tmp_path: Path, notebook: Path, codes: list[str], *, scheduler: str | None, timeout: float
) -> tuple[Path, int]:
    """Run a batch in a child process, SIGKILL it once a job is done, wait for its workers.

    Returns the batch's output root and the killed process's pid.
    """
    options = f", scheduler={scheduler!r}" if scheduler else ""
    script = tmp_path / "batch_script.py"
    source = _BATCH_SCRIPT.format(codes=codes, notebook=str(notebook), options=options)
    script.write_text(textwrap.dedent(source))
    root = tmp_path / "out"
    marker = uuid.uuid4().hex
    env = {**os.environ, "OBSERVATORY_TEST_RUN": marker}
    driver = subprocess.Popen([sys.executable, str(script), str(root)], env=env)
    try:
        wait_for(
            lambda: (
                (root / MANIFEST_NAME).exists()
                and any(e["status"] == "ok" for e in manifest(root).values())
            ),
            timeout,
            "the first job to finish",
        )
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    # the workers notice the dead driver (or the cluster's workers exit with it), kill their
    # kernels and exit
    wait_for(lambda: not processes_with(f"OBSERVATORY_TEST_RUN={marker}"), 30, "the workers")
    return root, driver.pid


def check_complete_job_directories(root: Path) -> None:
    """Every job directory holds all formats, complete; the manifest parses."""
    for entry in root.iterdir():
        if entry.name.startswith(TEMP_PREFIX) or not entry.is_dir():
            continue
        names = sorted(p.name for p in entry.iterdir())
        assert names == sorted(f"{entry.name}.{e}" for e in FORMATS), entry.name
        json.loads((entry / f"{entry.name}.json").read_text("utf-8"))
        assert (entry / f"{entry.name}.pdf").read_bytes().rstrip().endswith(b"%%EOF")
    json.loads((root / MANIFEST_NAME).read_text("utf-8"))


_PID_PROBE_CELLS = [
    "import os\n\nfrom observatory_lib.runtime.records import publish_record",
    'mark = "a"  # suffix of the variable this job leaves behind',
    "publish_record(\n"
    "    {\n"
    '        "kernel_pid": os.getpid(),\n'
    '        "worker_pid": os.getppid(),\n'
    '        "leftover": sorted(n for n in dir() if n.startswith("leftover_")),\n'
    '        "env_mark": os.environ.get("OBSERVATORY_TEST_MARK"),\n'
    "    }\n"
    ")\n"
    'globals()[f"leftover_{mark}"] = True',
]


def pid_probe(directory: Path) -> Path:
    """A notebook whose record names its kernel's and its worker's process ids."""
    cells = [nbformat.v4.new_code_cell(source) for source in _PID_PROBE_CELLS]
    cells[1].metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = directory / "pid_probe.ipynb"
    nbformat.write(notebook, path)
    return path


def is_running(pid: int) -> bool:
    """Whether ``pid`` runs (a killed kernel stays a zombie until its worker reaps it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"

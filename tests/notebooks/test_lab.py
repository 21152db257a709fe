"""``make lab``: JupyterLab on loopback, on the project, with the project's kernel and the
widget, leaflet and Voila-preview extensions; stopped through its API.

The Voila preview itself, in a browser, is in tests/apps/test_lab_preview.py.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from jupyter_client import BlockingKernelClient
from lab_server import make_lab
from project_copy import Workbench, copy_project

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

EXTENSIONS = {
    "@voila-dashboards/jupyterlab-preview",
    "@jupyter-widgets/jupyterlab-manager",
    "jupyter-leaflet",
}
PROBE = (
    "import json, sys, observatory_lib, observatory_lib.indicators.recipes\n"
    "print(json.dumps({'library': observatory_lib.__file__, 'prefix': sys.prefix}))"
)


def _kernel_says(connection_file, code: str) -> str:
    """What ``code`` prints in the kernel of ``connection_file``."""
    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        printed: list[str] = []

        def keep(message) -> None:
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                printed.append("\n".join(message["content"]["traceback"]))

        reply = client.execute_interactive(code, output_hook=keep, timeout=120)
        assert reply["content"]["status"] == "ok", "".join(printed)
        return "".join(printed)
    finally:
        client.stop_channels()


def test_make_lab_serves_the_project_on_loopback_with_its_kernel(tmp_path):
    workbench = Workbench(copy_project(tmp_path / "project"))
    with make_lab(workbench.root, tmp_path / "jupyter", workbench.environment()) as lab:
        lab.wait_ready()
        page = lab.page("/lab")
        config = json.loads(
            re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1)
        )
        assert {e["name"] for e in config["federated_extensions"]} >= EXTENSIONS
        assert config["serverRoot"].rstrip("/") == str(workbench.root)
        listed = lab.api("/api/contents/notebooks")
        names = {item["name"] for item in listed["content"]}
        assert {"start_here.ipynb", "region_scorecard.ipynb", "apps"} <= names

        kernel = lab.api("/api/kernels", method="POST", body={"name": "python3"})
        said = json.loads(_kernel_says(lab.runtime_dir / f"kernel-{kernel['id']}.json", PROBE))
        assert said["library"].startswith(str(workbench.root / "observatory_lib"))
        assert said["prefix"] == sys.prefix  # the environment the batch runs
        listening = lab.log.read_text()
        assert f"http://127.0.0.1:{lab.port}/lab" in listening
    assert lab.process.returncode is not None

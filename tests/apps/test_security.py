"""Security properties of ``observatory serve`` not proved by test_server.py or test_serve.py.

Already covered elsewhere, so not repeated here: the host/token rule without a server
(tests/unit/test_serve.py), Voila's tree/contents/files routes, the shutdown POST without an
XSRF token, the portal's hidden files, and a link parameter that does not convert
(tests/apps/test_server.py, test_mapping_tool.py, test_region_explorer.py).

Two servers: the session's ``live_server`` (loopback, no token), and for the token and the
failing-app properties a second one (``guarded_server``) started with a token and a store
whose geometry table is corrupt, so that loading the map raises an unexpected exception
(not an ``ObservatoryError``) in the kernel: the case ``show_tracebacks`` must hide.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from app_browser import POLYGONS, TEST_POOLS, assert_clean

from observatory_lib import paths
from observatory_lib.data.store import current_version
from observatory_lib.runtime import serve

pytestmark = [pytest.mark.app, pytest.mark.slow]

TRACEBACK_MARKERS = ("Traceback", 'File "', "site-packages", "most recent call last")
TOKEN = "observatory-test-token-" + "x" * 16


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect (e.g. to a login page) as its status instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, str]:
    """Status and body of one request, without following redirects."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


def assert_no_traceback(text: str) -> None:
    """No sign of a Python traceback in what a visitor sees."""
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, marker


# --- the open loopback server --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        # Notebooks of the repository outside notebooks/apps, by name and by traversal.
        "voila/render/region_scorecard.ipynb",
        "voila/render/../region_scorecard.ipynb",
        "voila/render/..%2Fregion_scorecard.ipynb",
        "voila/render/%2e%2e/region_scorecard.ipynb",
        "voila/render/mapping_tool.ipynb%2F..%2F..%2Fregion_scorecard.ipynb",
        # Near misses of the allow-list.
        "voila/render/apps/mapping_tool.ipynb",
        "voila/render/Mapping_Tool.ipynb",
        "voila/render/mapping_tool.ipynb/",
    ],
)
def test_only_allow_listed_notebooks_render(live_server, path):
    status, body = fetch(live_server.url + path)
    assert status == 404, path
    assert_no_traceback(body)


@pytest.mark.parametrize(
    "path",
    [
        "voila/static/../../region_scorecard.ipynb",
        "voila/templates/lab/../../../notebooks/region_scorecard.ipynb",
    ],
)
def test_static_routes_do_not_reach_the_notebooks(live_server, path):
    """Voila's kept static routes must not become a way to read the repository's files."""
    status, body = fetch(live_server.url + path)
    assert status in {403, 404, 500}, path  # 500: tornado's own refusal, plain body
    assert '"nbformat"' not in body and "cells" not in body
    assert_no_traceback(body)


@pytest.mark.parametrize(
    "path",
    [
        "tree",
        "lab",
        "api/contents",
        "api/contents/mapping_tool.ipynb",
        "files/mapping_tool.ipynb",
        "api/terminals",
        "api/sessions",
        "api/kernelspecs",
    ],
)
def test_no_jupyter_server_file_tree_or_apis(live_server, path):
    """Beyond Voila's own tree (test_server.py): Jupyter Server's tree, contents and terminals."""
    status, body = fetch(live_server.url + path)
    assert status == 404, path
    assert_no_traceback(body)


def test_requests_without_xsrf_token_cannot_touch_a_kernel(live_server):
    """The XSRF check guards the kernel API too, not only the shutdown beacon.

    A page on another site could otherwise interrupt, restart or delete a visitor's kernel.
    """
    kernel_id = server_kernel_ids(live_server)[0]
    kernel_url = f"{live_server.url}api/kernels/{kernel_id}"
    for method, url in [
        ("DELETE", kernel_url),
        ("POST", f"{kernel_url}/interrupt"),
        ("POST", f"{kernel_url}/restart"),
    ]:
        status, body = fetch(url, method=method)
        assert status in {403, 404}, (method, url, status)
        assert_no_traceback(body)
    assert fetch(kernel_url)[0] == 200  # still alive
    assert kernel_id in server_kernel_ids(live_server)


@pytest.mark.parametrize(
    ("query", "named"),
    [({"level": 9}, "level"), ({"region_code": "XX99"}, "XX99")],
)
def test_invalid_link_values_show_a_plain_message(app_page, live_server, query, named):
    """Values that parse but are not valid (level 9, an unknown region) give one sentence."""
    app_page.goto(live_server.app_url("mapping_tool", **query), wait_until="domcontentloaded")
    message = app_page.locator(".observatory-message")
    message.wait_for()
    assert named in message.inner_text()
    assert_no_traceback(app_page.inner_text("body"))
    assert_clean(app_page.log)


def test_link_values_are_shown_as_text_not_markup(app_page, live_server):
    """A region code carrying HTML is escaped in the message (no injected element runs)."""
    payload = "%3Cimg%20id%3Dinjected%20src%3Dx%20onerror%3Dalert(1)%3E"
    app_page.goto(
        live_server.app_url("mapping_tool", region_code=payload), wait_until="domcontentloaded"
    )
    message = app_page.locator(".observatory-message")
    message.wait_for()
    assert "<img" in message.inner_text()
    assert app_page.locator("#injected").count() == 0


def server_kernel_ids(server: serve.ServerProcess) -> list[str]:
    """The ids of the kernels the server runs, from their connection files' names."""
    import psutil

    ids = []
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            command_line = " ".join(child.cmdline())
        except psutil.Error:  # a culled kernel not yet reaped (zombie) or already gone
            continue
        match = re.search(r"kernel-([0-9a-f-]{36})\.json", command_line)
        if match:
            ids.append(match.group(1))
    return ids


# --- a server with a token and a broken store ---------------------------------------------


def broken_app_data(root: Path) -> dict:
    """A copy of the current store and its prepared app data, whose NUTS-2 layer is broken.

    The kernel reads the layer when it builds the map, outside any error handling of the
    app: it meets a raw JSON error, as an unexpected bug would.
    """
    source = paths.store_dir()
    version = current_version(source)
    shutil.copytree(source / version, root / "store" / version)
    (root / "store" / "CURRENT").write_text(version, encoding="utf-8")
    key = (paths.app_data_dir() / "CURRENT").read_text(encoding="utf-8").strip()
    shutil.copytree(paths.app_data_dir() / key, root / "apps" / key)
    (root / "apps" / "CURRENT").write_text(key, encoding="utf-8")
    (root / "apps" / key / "geometry_nuts2.json").write_text("{not json", encoding="utf-8")
    return {"OBSERVATORY_STORE": str(root / "store"), "OBSERVATORY_APP_DATA": str(root / "apps")}


def wait_answering(server: serve.ServerProcess, timeout: float = 240.0) -> None:
    """Wait until the start page answers with the token (the pools are not awaited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited:\n{server.log()[-3000:]}")
        try:
            if fetch(f"{server.url}?token={TOKEN}")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the server did not answer in {timeout} s:\n{server.log()[-3000:]}")


@pytest.fixture(scope="module")
def guarded_server(chromium_executable, app_data, tmp_path_factory):
    """``observatory serve`` on loopback with a token and broken app data; stopped after."""
    root = tmp_path_factory.mktemp("guarded")
    env = {**os.environ, **broken_app_data(root)}
    env.pop(serve.TOKEN_ENVIRONMENT_VARIABLE, None)
    with serve.launch_server(
        root / "serve.log", token=TOKEN, env=env, options=[TEST_POOLS]
    ) as server:
        wait_answering(server)
        yield server


@pytest.mark.parametrize(
    "path",
    ["", "voila/render/mapping_tool.ipynb", "portal/", "api/kernels"],
)
def test_with_a_token_requests_without_it_are_refused(guarded_server, path):
    status, body = fetch(guarded_server.url + path)
    assert status in {302, 403}, (path, status)  # 302: to the login page, which is gone
    assert "observatory-app-link" not in body and "jupyter-config-data" not in body


def test_with_a_token_requests_carrying_it_are_served(guarded_server):
    status, body = fetch(f"{guarded_server.url}?token={TOKEN}")
    assert status == 200 and "observatory-app-link" in body
    header = {"Authorization": f"token {TOKEN}"}
    status, body = fetch(guarded_server.url, headers=header)
    assert status == 200 and "observatory-app-link" in body
    status, _ = fetch(f"{guarded_server.url}?token={'y' * len(TOKEN)}")
    assert status in {302, 403}


def test_a_failing_app_shows_a_plain_sentence_and_logs_the_detail(browser, guarded_server):
    """An unexpected exception in the app: no traceback on the page, the detail in the log."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(
            guarded_server.app_url("mapping_tool", token=TOKEN), wait_until="domcontentloaded"
        )
        page.get_by_text("could not finish loading").first.wait_for(timeout=120_000)
        body = page.inner_text("body")
        assert_no_traceback(body)
        assert "JSONDecodeError" not in body and "geometry_nuts2" not in body
        assert page.locator(POLYGONS).count() == 0
    finally:
        context.close()
    assert "JSONDecodeError" in guarded_server.log()

"""``observatory serve`` over HTTP: allow-listed routes only, no CDN, XSRF on, kernels freed."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from app_browser import POLYGONS, assert_clean, wait_for_polygons

pytestmark = [pytest.mark.app, pytest.mark.slow]


def fetch(url: str, method: str = "GET") -> tuple[int, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


def test_landing_page_lists_the_apps_and_the_portal(live_server):
    status, body = fetch(live_server.url)
    assert status == 200
    assert 'href="/voila/render/mapping_tool.ipynb"' in body
    assert 'href="/voila/render/region_explorer.ipynb"' in body
    assert 'href="/voila/render/sector_explorer.ipynb"' in body
    assert 'href="/voila/render/compare_regions.ipynb"' in body
    assert 'href="/portal/"' in body
    assert "https://" not in body and "http://" not in body  # nothing from outside


@pytest.mark.parametrize(
    "path",
    [
        "voila/tree",
        "voila/tree/",
        "voila/api/contents",
        "voila/files/mapping_tool.ipynb",
        "voila/render/../data/catalog.yaml",
        "voila/render/scratch.ipynb",
        "data/catalog.yaml",
        "portal/.hidden.html",
        "portal/../data/catalog.yaml",
    ],
)
def test_nothing_but_the_apps_and_the_portal_is_served(live_server, path):
    status, body = fetch(live_server.url + path)
    assert status == 404, path
    assert "Traceback" not in body


def test_portal_files_are_served_read_only(live_server):
    status, body = fetch(live_server.url + "portal/")
    assert (status, body) == (200, "<h1>Portal</h1>")
    status, body = fetch(live_server.url + "portal/scorecards/DE21/DE21.html")
    assert status == 200 and "DE21" in body


def test_app_page_links_no_cdn_asset(live_server):
    status, body = fetch(live_server.app_url("region_explorer"))
    assert status == 200
    for needle in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "fontawesome"):
        assert needle not in body


def test_xsrf_check_stays_on(live_server):
    status, _ = fetch(live_server.url + "voila/api/shutdown/" + "0" * 8, method="POST")
    assert status == 403


def test_kernel_is_shut_down_when_the_page_closes(browser, live_server):
    """The template's shutdown beacon carries the XSRF token, so the kernel does not leak."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.app_url("region_explorer"), wait_until="domcontentloaded")
    page.locator(".observatory-explorer").wait_for(timeout=90_000)
    config = json.loads(page.evaluate("document.getElementById('jupyter-config-data').textContent"))
    kernel_url = f"{live_server.url}api/kernels/{config['kernelId']}"
    assert fetch(kernel_url)[0] == 200
    page.close(run_before_unload=True)
    context.close()
    deadline = time.monotonic() + 20
    while fetch(kernel_url)[0] == 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert fetch(kernel_url)[0] == 404


def test_landing_page_in_the_browser_is_clean(app_page, live_server):
    app_page.goto(live_server.url)
    assert app_page.locator("a.observatory-app-link").count() == 4
    assert_clean(app_page.log)


def test_an_app_page_loads_the_project_page_script_and_no_jupyterlab(
    app_page, live_server, regions_drawn
):
    """The page's scripts: the template's own, not Voila's JupyterLab front end.

    The project's page script (frontend/, built by ``make frontend``) replaces voila.js, its
    chunks and the federated extensions: an app page asks the server for a handful of files,
    none under ``/voila/static/`` or ``/voila/labextensions/``, and is drawn and visible.
    """
    app_page.goto(live_server.app_url("mapping_tool"))
    wait_for_polygons(app_page, len(regions_drawn[2]))
    paths = [urllib.parse.urlsplit(url).path for url in app_page.log.requests]
    assert any(path.endswith("/static/observatory-app.js") for path in paths), paths
    assert not [p for p in paths if p.startswith(("/voila/static/", "/voila/labextensions/"))]
    assert len(paths) <= 10, paths
    assert app_page.locator("#rendered_cells").is_visible()
    assert app_page.locator(POLYGONS).first.is_visible()
    assert_clean(app_page.log)

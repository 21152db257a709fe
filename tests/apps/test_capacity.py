"""Burst capacity: a visitor beyond the kernel cap gets the overflow page at once, not a hang.

A server of its own with a cap equal to its pools (one kernel per app, no kernel started
for a visitor beyond them): the first visitor of the mapping tool takes the pooled kernel,
the next one arrives before it is replaced and gets the static page of the default map.
"""

from __future__ import annotations

import os
import time
import urllib.request

import pytest
from accessibility import assert_accessible
from app_browser import POLYGONS, assert_clean, wait_for_polygons

from observatory_lib.runtime import serve

pytestmark = [pytest.mark.app, pytest.mark.slow]

CAPPED = [
    'VoilaKernelManager.kernel_pools_config={"default": {"pool_size": 1}}',
    "ObservatoryKernelPolicy.max_kernels=4",
    "ObservatoryKernelPolicy.max_cold_starts=0",
    "ObservatoryKernelPolicy.refill_quiet_seconds=30",
]


@pytest.fixture(scope="module")
def capped_server(chromium_executable, app_data, tmp_path_factory):
    log = tmp_path_factory.mktemp("capped") / "serve.log"
    with serve.launch_server(log, env=dict(os.environ), options=CAPPED) as server:
        server.wait_ready(timeout=240)
        yield server


def timed_get(url: str) -> tuple[float, dict, str]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read().decode("utf-8")
        return time.perf_counter() - start, dict(response.headers), body


def test_beyond_the_cap_the_overflow_page_comes_within_a_second(
    browser, capped_server, regions_drawn
):
    first = browser.new_context()
    page = first.new_page()
    try:
        page.goto(capped_server.app_url("mapping_tool"), wait_until="domcontentloaded")
        wait_for_polygons(page, len(regions_drawn[2]))  # the pooled kernel, live
        seconds, headers, body = timed_get(capped_server.app_url("mapping_tool"))
        assert seconds < 1.0
        assert headers.get(serve.OVERFLOW_HEADER) == "1"
        assert "The live tool is busy" in body
        assert body.count("<path") == len(regions_drawn[2])  # the same default map
        assert "Location quotient (LQ) · Automotive · NUTS 2" in body
        assert "Kernel cap reached" in capped_server.log()
    finally:
        first.close()


def test_the_overflow_page_is_clean_in_a_browser(browser, app_page, capped_server):
    first = browser.new_context()
    page = first.new_page()
    try:
        page.goto(capped_server.app_url("compare_regions"), wait_until="domcontentloaded")
        page.locator(".observatory-compare").wait_for()  # the pooled kernel, live
        app_page.goto(capped_server.app_url("compare_regions"), wait_until="domcontentloaded")
        app_page.locator(".observatory-busy").wait_for(timeout=5_000)
        assert app_page.locator(".observatory-compare table").count() >= 3
        assert app_page.locator(POLYGONS).count() == 0  # a static page: no Leaflet, no kernel
        assert_clean(app_page.log)
    finally:
        first.close()


@pytest.mark.parametrize("app", [spec.name for spec in serve.allowed_apps()])
def test_the_overflow_pages_have_no_accessibility_violation(app_page, app_data, app):
    # a static page the public reads when the live tool is busy: axe-clean as the portal is
    page_file = app_data.directory / "overflow" / f"{app}.html"
    app_page.goto(page_file.resolve().as_uri(), wait_until="load")
    assert_accessible(app_page, f"the overflow page of the {app.replace('_', ' ')}")

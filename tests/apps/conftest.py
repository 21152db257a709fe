"""Browser tests of the Voila apps: a live ``observatory serve`` and Debian's chromium.

The session starts one server on a free loopback port (``serve.launch_server``, the same code
as ``observatory serve``) on the session's test store, waits for its pools of preheated
kernels, and stops it at the end. Playwright for Python drives ``/usr/bin/chromium``
(``OBSERVATORY_CHROMIUM``); ``playwright install`` is never run.

Without chromium or the playwright package the tests are skipped with the reason, except when
the ``CI`` environment variable is set: then they fail, so a CI run cannot pass without them.
Each page records its console, errors and requests (``app_browser.PageLog``); the tests check
it with ``app_browser.assert_clean`` (which documents the harmless warnings it ignores).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from app_browser import PAGE_TIMEOUT_MS, TEST_POOLS, PageLog
from browser import CHROMIUM, CHROMIUM_ARGS

from observatory_lib.runtime import serve


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail when running in CI (the CI variable is set)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's chromium and the playwright package, or a skip (a failure in CI)."""
    path = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).is_file() else None)
    if path is None:
        unavailable(
            f"chromium not found at {CHROMIUM}: install it (apt-get install chromium) or set "
            "OBSERVATORY_CHROMIUM; the tests never download a browser"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the playwright package is missing: pip install -e '.[test]'")
    return path


@pytest.fixture(scope="session")
def portal_dir(tmp_path_factory) -> Path:
    """A tiny portal for the server to serve: an index and DE21's scorecard."""
    root = tmp_path_factory.mktemp("outputs")
    (root / "index.html").write_text("<h1>Portal</h1>", encoding="utf-8")
    scorecard = root / "scorecards" / "DE21"
    scorecard.mkdir(parents=True)
    (scorecard / "DE21.html").write_text("<h1>Oberbayern (DE21)</h1>", encoding="utf-8")
    (root / ".hidden.html").write_text("secret", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def app_data(built_store):
    """The apps' prepared data of the test store (what ``observatory serve`` prepares)."""
    from observatory_lib.products.apps import bundle, prepare

    return bundle.load_bundle(prepare.ensure_app_bundle(built_store))


@pytest.fixture(scope="session")
def live_server(chromium_executable, app_data, portal_dir, tmp_path_factory):
    """``observatory serve`` on a free port with the test store; stopped after the session."""
    env = {**os.environ, "OBSERVATORY_OUTPUTS": str(portal_dir)}
    log = tmp_path_factory.mktemp("server") / "serve.log"
    with serve.launch_server(log, env=env, options=[TEST_POOLS]) as server:
        server.wait_ready(timeout=240)
        yield server


@pytest.fixture(scope="session")
def regions_drawn(built_store) -> dict:
    """Per NUTS level, the NUTS 2016 regions that have a geometry: ``{level: {code: name}}``."""
    geometries = built_store.geometries
    regions = built_store.regions
    names = regions[regions["nuts_edition"] == 2016].drop_duplicates("region_code")
    names = names.set_index("region_code")["region_name"]
    drawn = {}
    for level in (0, 1, 2, 3):
        rows = geometries[
            (geometries["nuts_edition"] == 2016) & (geometries["nuts_level"] == level)
        ]
        rows = rows[rows.geometry.notna() & ~rows.geometry.is_empty]
        codes = sorted(set(rows["region_code"]))
        drawn[level] = {code: str(names.get(code, "")) for code in codes}
    return drawn


@pytest.fixture(scope="session")
def browser(chromium_executable):
    """One headless chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        yield launched
        launched.close()


@pytest.fixture
def app_page(browser):
    """A fresh browser context and page, recording its console and requests."""
    context = browser.new_context(viewport={"width": 1500, "height": 950}, accept_downloads=True)
    new_page = context.new_page()
    new_page.set_default_timeout(PAGE_TIMEOUT_MS)
    log = PageLog()
    new_page.on("console", lambda message: log.console.append((message.type, message.text)))
    new_page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    new_page.on("request", lambda request: log.requests.append(request.url))
    new_page.on(
        "requestfailed",
        lambda request: log.failed.append(f"{request.url} {request.failure}"),
    )
    new_page.log = log
    yield new_page
    context.close()

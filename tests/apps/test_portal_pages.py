"""The portal in a real browser: read from ``file://`` as a reader opens ``outputs/``, and
served by ``observatory serve`` under ``/portal/``.

axe-core finds no accessibility violation on its pages (tables in ``<details>`` opened, the
search box shown by its script); the search narrows the list of regions as one types; a
region on the map of Europe opens its scorecard. The portal is built from the session's real
store into ``<portal_dir>/observatory/``, beside the placeholder index the server tests read,
with a stand-in scorecard page for every NUTS-2 region (the real batch is the notebooks'
tier).
"""

from __future__ import annotations

import json
import re

import pytest
from accessibility import assert_accessible
from app_browser import LOCAL_SCHEMES, assert_clean

from observatory_lib.indicators import recipes
from observatory_lib.products import portal
from observatory_lib.products.kit.links import scorecard_path
from observatory_lib.runtime import serve

pytestmark = [pytest.mark.app, pytest.mark.integration]

SITE = "observatory"
AXE_PAGES = [
    "index.html",
    "categories/automotive.html",
    "methodology.html",
    "accessibility.html",
    "mapping-tool.html",
    "downloads.html",
    "sources.html",
]


@pytest.fixture(scope="session")
def observatory_portal(portal_dir, built_store):
    """The real portal on the session's store, in ``portal_dir/observatory``."""
    root = portal_dir / SITE
    codes = recipes.geometries(built_store, 2)["region_code"]
    names = recipes.statistics_regions(built_store)["region_name"]
    jobs = {}
    for code in codes:
        page = root / scorecard_path(code)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{names[code]}'
            f"</title></head><body><main><h1>{names[code]} ({code})</h1></main></body></html>",
            encoding="utf-8",
        )
        jobs[code] = {"status": "ok", "outputs": [f"{code}/{code}.html"]}
    (root / "scorecards" / "manifest.json").write_text(json.dumps({"jobs": jobs}))
    portal.write_portal_downloads(built_store, root)
    portal.build_portal(built_store, root, apps=serve.allowed_apps())
    return root


@pytest.fixture(params=["file", "served"])
def open_portal(request, app_page, observatory_portal):
    """Open a portal page from the files or from the server; returns the page opener."""

    def opener(name: str):
        if request.param == "file":
            url = (observatory_portal / name).as_uri()
        else:
            server = request.getfixturevalue("live_server")
            url = f"{server.url}portal/{SITE}/{name}"
        app_page.goto(url, wait_until="load")
        return app_page

    opener.mode = request.param
    return opener


def assert_offline(page) -> None:
    """No error, and nothing fetched but the portal's own files (or the server's pages)."""
    if page.url.startswith("file:"):
        outside = [u for u in page.log.requests if u.split(":")[0] not in {"file", *LOCAL_SCHEMES}]
        assert outside == [] and page.log.failed == [], (outside, page.log.failed)
        assert page.log.errors() == [] and page.log.page_errors == []
    else:
        assert_clean(page.log)


@pytest.mark.parametrize("name", AXE_PAGES)
def test_portal_page_has_no_accessibility_violation(open_portal, name):
    page = open_portal(name)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    assert_accessible(page, f"the portal's {name} ({open_portal.mode})")
    assert_offline(page)


@pytest.mark.parametrize(
    "name", ["index.html", "downloads.html", "methodology.html", "sources.html"]
)
def test_portal_page_has_no_accessibility_violation_at_phone_width(
    app_page, observatory_portal, name
):
    """At 400 px wide the tables scroll: each scrolling region can be reached by keyboard."""
    app_page.set_viewport_size({"width": 400, "height": 860})
    app_page.goto((observatory_portal / name).as_uri(), wait_until="load")
    app_page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    width = app_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"{name} scrolls sideways as a whole ({width} px)"
    assert_accessible(app_page, f"the portal's {name} at 400 px")


def visible_regions(page) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('#scorecard-list li[data-search]'))"
        ".filter(li => li.offsetParent !== null).map(li => li.querySelector('a').textContent)"
    )


def test_the_search_narrows_the_regions_as_one_types(open_portal, built_store):
    page = open_portal("index.html")
    search = page.get_by_label("Find a region by name, NUTS code or country")
    assert search.is_visible()  # the script showed it
    every = visible_regions(page)
    assert len(every) >= 330

    search.fill("oberbayern")
    assert visible_regions(page) == ["Oberbayern (DE21)"]
    assert page.locator("#region-filter-status").inner_text() == "1 region matches."
    assert page.locator('section.country[data-country="FR"]').is_hidden()

    search.fill("Deutschland")  # the own-language country name
    germany = visible_regions(page)
    n_german = int((recipes.geometries(built_store, 2)["country_code"] == "DE").sum())
    assert len(germany) == n_german and all(re.search(r"\(DE\w+\)$", r) for r in germany)

    search.fill("ILE DE")  # no accents, any case, words in any order
    assert "Ile-de-France (FR10)" in visible_regions(page)

    search.fill("no such region")
    assert visible_regions(page) == []
    assert page.get_by_text("No region matches your search.").is_visible()

    search.fill("")
    assert visible_regions(page) == every
    assert_offline(page)


def test_a_region_on_the_map_opens_its_scorecard(open_portal):
    page = open_portal("index.html")
    region = page.locator('svg.map-links a[data-code="DE21"]')
    assert region.get_attribute("aria-label") == "Oberbayern (DE21)"
    region.click()
    page.wait_for_url(re.compile(r"/scorecards/DE21/DE21\.html$"))
    assert page.locator("h1").inner_text() == "Oberbayern (DE21)"
    assert_offline(page)


def test_a_map_region_is_reached_and_opened_with_the_keyboard(open_portal):
    page = open_portal("index.html")
    page.locator('svg.map-links a[data-code="FRY4"]').focus()  # an outermost region, in an inset
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "La Réunion (FRY4)"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/scorecards/FRY4/FRY4\.html$"))


def test_the_mapping_tool_page_opens_the_apps_only_when_served(open_portal):
    page = open_portal("mapping-tool.html")
    link = page.get_by_role("link", name="Open the mapping tool")
    if open_portal.mode == "file":
        assert link.is_hidden()  # from the files the apps cannot run
    else:
        href = link.get_attribute("href")
        assert href.startswith("/voila/render/mapping_tool.ipynb?level=2&")
    assert page.locator("svg.map[role=img] path.region").count() >= 330
    assert_offline(page)

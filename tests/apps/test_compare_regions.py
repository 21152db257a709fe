"""Compare regions in a real browser, served by a live ``observatory serve``."""

from __future__ import annotations

import pytest
from app_browser import assert_clean, check_png, saved_download

from observatory_lib.products.kit.downloads import read_csv_table

pytestmark = [pytest.mark.app, pytest.mark.slow]

BOX = ".observatory-compare[data-regions='{}']"


def open_comparison(page, server, regions: str, shown: str | None = None) -> None:
    page.goto(server.app_url("compare_regions", regions=regions), wait_until="domcontentloaded")
    page.locator(BOX.format(shown or regions)).wait_for()


def test_regions_side_by_side(app_page, live_server):
    open_comparison(app_page, live_server, "DE21,FR10,ITC4")
    header = app_page.inner_text(".observatory-key-facts tr >> nth=0")
    assert header.split()[-3:] == ["DE21", "FR10", "ITC4"]
    assert app_page.locator(".observatory-compare-scoreboard tr").count() >= 7
    assert app_page.locator(".observatory-compare-portfolio tr").count() > 3
    assert app_page.locator("svg.observatory-chart").count() == 1
    assert "Oberbayern (DE21)" in app_page.inner_text(BOX.format("DE21,FR10,ITC4"))
    assert_clean(app_page.log)


def test_a_bad_code_gets_one_line_with_the_nearest_codes(app_page, live_server):
    open_comparison(app_page, live_server, "DE21,DE2X,FR10", shown="DE21,FR10")
    messages = app_page.locator(".observatory-compare .observatory-message")
    assert messages.count() == 1
    text = messages.inner_text()
    assert text.startswith("Unknown NUTS region 'DE2X'; nearest valid NUTS region codes: DE2")
    assert "\n" not in text.strip()
    assert "Traceback" not in app_page.inner_text("body")
    assert_clean(app_page.log)


def test_the_region_set_is_in_the_address(app_page, live_server):
    open_comparison(app_page, live_server, "DE21,FR10")
    app_page.click(".observatory-regions")  # the tag box shows its input when clicked
    app_page.keyboard.type("NL33")
    app_page.keyboard.press("Enter")
    app_page.locator(BOX.format("DE21,FR10,NL33")).wait_for()
    app_page.wait_for_function("location.search === '?regions=DE21,FR10,NL33'")
    assert_clean(app_page.log)
    shared = app_page.context.new_page()  # someone opening the shared link
    shared.goto(app_page.url, wait_until="domcontentloaded")
    shared.locator(BOX.format("DE21,FR10,NL33")).wait_for(timeout=90_000)


def test_tables_and_chart_download(app_page, live_server, tmp_path):
    open_comparison(app_page, live_server, "DE21,FR10")
    link = app_page.locator(".observatory-downloads a", has_text="Scoreboard")
    table, metadata = read_csv_table(saved_download(app_page, link, tmp_path))
    assert {"node_code", "label", "DE21", "FR10"} <= set(table.columns)
    assert metadata["title"][0] == "Comparison of DE21, FR10: scoreboard"
    link = app_page.locator(".observatory-downloads a", has_text="Key facts")
    facts, _ = read_csv_table(saved_download(app_page, link, tmp_path))
    assert "population_persons" in set(facts["indicator_code"])
    check_png(saved_download(app_page, app_page.locator("button.observatory-png"), tmp_path))
    assert_clean(app_page.log)

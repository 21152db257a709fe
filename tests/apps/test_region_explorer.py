"""The region explorer in a real browser, served by a live ``observatory serve``."""

from __future__ import annotations

import pytest
from app_browser import assert_clean, check_png, saved_download

from observatory_lib.products.kit.downloads import read_csv_table

pytestmark = [pytest.mark.app, pytest.mark.slow]

PANEL = ".observatory-explorer[data-region-code='{}']"


def open_explorer(page, server, code: str, **query) -> None:
    url = server.app_url("region_explorer", region_code=code, **query)
    page.goto(url, wait_until="domcontentloaded")
    page.locator(PANEL.format(code)).wait_for()


def test_explorer_shows_portfolio_scoreboard_and_chart(app_page, live_server):
    open_explorer(app_page, live_server, "DE21")
    panel = app_page.locator(PANEL.format("DE21"))
    text = panel.inner_text()
    assert "Oberbayern (DE21)" in text
    assert "default peers" in text
    assert app_page.locator(".observatory-portfolio tr").count() > 5
    assert app_page.locator(".observatory-comparison tr").count() > 2
    assert app_page.locator("svg.observatory-chart").count() == 1
    assert_clean(app_page.log)


def test_explorer_takes_peers_from_the_link(app_page, live_server):
    open_explorer(app_page, live_server, "DE21", peers="DE11,FR10")
    text = app_page.inner_text(PANEL.format("DE21"))
    assert "chosen peers" in text
    assert "Stuttgart (DE11)" in text
    assert "(FR10)" in text
    assert_clean(app_page.log)


def test_search_by_name_switches_region(app_page, live_server):
    open_explorer(app_page, live_server, "DE21")
    app_page.fill(".observatory-search input", "Stuttgart (DE11)")
    app_page.locator(PANEL.format("DE11")).wait_for()
    assert "Stuttgart" in app_page.inner_text(PANEL.format("DE11"))
    assert_clean(app_page.log)


def test_portfolio_downloads_as_csv(app_page, live_server, tmp_path):
    open_explorer(app_page, live_server, "DE21")
    link = app_page.locator(".observatory-downloads a", has_text="Cluster portfolio")
    with app_page.expect_download() as download:
        link.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    table, metadata = read_csv_table(saved)
    assert saved.name == "DE21_cluster_portfolio.csv"
    assert {"category_code", "stars", "lq", "employment_persons"} <= set(table.columns)
    assert table["region_code"].eq("DE21").all()
    assert len(table) > 40
    assert metadata["title"][0].startswith("Cluster portfolio of Oberbayern")
    assert_clean(app_page.log)


def test_unknown_region_gets_one_message(app_page, live_server):
    url = live_server.app_url("region_explorer", region_code="DE2X")
    app_page.goto(url, wait_until="domcontentloaded")
    message = app_page.locator(".observatory-message")
    message.wait_for()
    assert "DE2X" in message.inner_text()
    assert "Traceback" not in app_page.inner_text("body")
    assert_clean(app_page.log)


def test_the_chart_downloads_as_a_png(app_page, live_server, tmp_path):
    open_explorer(app_page, live_server, "DE21")
    saved = saved_download(app_page, app_page.locator("button.observatory-png"), tmp_path)
    assert saved.name == "DE21_scoreboard_vs_peers.png"
    check_png(saved)
    assert_clean(app_page.log)


OPPORTUNITIES = ".observatory-opportunities[data-category-type='{}'] tr[data-category-code]"


def test_explorer_shows_the_diversification_opportunities(app_page, live_server):
    open_explorer(app_page, live_server, "FR10")
    panel = app_page.locator(PANEL.format("FR10"))
    assert "Diversification opportunities" in panel.inner_text()
    assert app_page.locator(OPPORTUNITIES.format("traded")).count() == 10
    assert app_page.locator(OPPORTUNITIES.format("emerging")).count() > 0
    headers = app_page.locator(".observatory-opportunities th").all_inner_texts()
    assert "Related strengths and their proximity" in headers
    first = app_page.locator(OPPORTUNITIES.format("traded")).first.inner_text()
    assert "not available" not in first.split("\t")[2]  # the best has a density
    assert_clean(app_page.log)


def test_the_address_restores_the_region_and_its_opportunities(app_page, live_server):
    open_explorer(app_page, live_server, "DE21")
    app_page.fill(".observatory-search input", "Stuttgart (DE11)")
    app_page.locator(PANEL.format("DE11")).wait_for()
    app_page.wait_for_url("**region_code=DE11**")
    shown = app_page.locator(OPPORTUNITIES.format("traded")).all_inner_texts()
    assert len(shown) > 3
    assert_clean(app_page.log)
    shared = app_page.context.new_page()  # someone opening the shared link
    shared.goto(app_page.url, wait_until="domcontentloaded")
    shared.locator(PANEL.format("DE11")).wait_for(timeout=90_000)
    assert shared.locator(OPPORTUNITIES.format("traded")).all_inner_texts() == shown


def test_a_region_without_opportunities_says_why(app_page, live_server):
    open_explorer(app_page, live_server, "DE2")
    note = app_page.locator(".observatory-no-opportunities")
    assert "is a NUTS-1 region" in note.inner_text()
    assert app_page.locator(".observatory-opportunities").count() == 0
    assert_clean(app_page.log)


def test_opportunities_download_as_csv(app_page, live_server, tmp_path):
    open_explorer(app_page, live_server, "DE21")
    link = app_page.locator(".observatory-downloads a", has_text="Diversification opportunities")
    with app_page.expect_download() as download:
        link.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    table, metadata = read_csv_table(saved)
    assert saved.name == "DE21_diversification_opportunities.csv"
    assert table["region_code"].eq("DE21").all()
    assert {"traded", "emerging"} == set(table["category_type"])
    assert table["relatedness_density"].dropna().between(0, 100).all()
    assert table["lq"].lt(1).all()
    assert table["supporting_strengths"].notna().all()
    assert metadata["title"][0].startswith("Diversification opportunities of Oberbayern (DE21)")
    assert_clean(app_page.log)

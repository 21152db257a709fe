"""The sector explorer in a real browser, served by a live ``observatory serve``."""

from __future__ import annotations

import pytest
from app_browser import (
    assert_clean,
    check_png,
    fills,
    saved_download,
    wait_for_new_fills,
    wait_for_polygons,
)

from observatory_lib.products.kit.downloads import read_csv_table

pytestmark = [pytest.mark.app, pytest.mark.slow]

SECTOR = ".observatory-sector[data-category-code='{}']"


def open_sector(page, server, count: int, category: str = "automotive", **query) -> None:
    url = server.app_url("sector_explorer", category_code=category, **query)
    page.goto(url, wait_until="domcontentloaded")
    page.locator(SECTOR.format(category)).wait_for()
    wait_for_polygons(page, count)


def selected_label(page, selector: str) -> str:
    return page.eval_on_selector(selector, "s => s.options[s.selectedIndex].text")


def ranked_codes(page) -> list[str]:
    return page.eval_on_selector_all(
        ".observatory-ranking tr[data-region-code]", "rows => rows.map(r => r.dataset.regionCode)"
    )


def test_map_ranking_and_concentration_of_a_sector(app_page, live_server, regions_drawn):
    open_sector(app_page, live_server, len(regions_drawn[2]))
    text = app_page.inner_text(SECTOR.format("automotive"))
    assert "Share of the 10 largest regions" in text and "Gini" in text
    assert len(ranked_codes(app_page)) == 25
    assert "not available" in text  # wages and growth, until the data have them
    assert "Location quotient" in app_page.inner_text(".observatory-legend")
    assert_clean(app_page.log)


def test_picking_another_sector_changes_map_and_ranking(app_page, live_server, regions_drawn):
    open_sector(app_page, live_server, len(regions_drawn[2]))
    before_fills, before_ranking = fills(app_page), ranked_codes(app_page)
    app_page.select_option(".observatory-category select", label="Biopharmaceuticals")
    app_page.locator(SECTOR.format("biopharmaceuticals")).wait_for()
    wait_for_new_fills(app_page, before_fills)
    assert ranked_codes(app_page) != before_ranking
    app_page.wait_for_function("location.search.includes('category_code=biopharmaceuticals')")
    assert_clean(app_page.log)


def test_link_parameters_restore_the_view(app_page, live_server, regions_drawn):
    open_sector(
        app_page, live_server, len(regions_drawn[1]), "blue-growth", level=1, indicator="stars"
    )
    assert selected_label(app_page, ".observatory-level select").replace("\xa0", " ") == "NUTS 1"
    assert selected_label(app_page, ".observatory-indicator select") == "Stars"
    assert "Blue Growth" in app_page.inner_text(SECTOR.format("blue-growth"))
    assert_clean(app_page.log)


def test_ranking_and_map_download(app_page, live_server, regions_drawn, tmp_path):
    open_sector(app_page, live_server, len(regions_drawn[2]))
    link = app_page.locator(".observatory-sector .observatory-downloads a")
    table, metadata = read_csv_table(saved_download(app_page, link, tmp_path))
    assert table["category_code"].eq("automotive").all()
    assert table["rank_in_category"].tolist() == list(range(1, len(table) + 1))
    assert table["region_code"].head(25).tolist() == ranked_codes(app_page)
    assert metadata["title"][0].startswith("Automotive: regions ranked by stars, LQ and employment")
    png = saved_download(app_page, app_page.locator("button.observatory-png"), tmp_path)
    assert png.name == "automotive_nuts2_2015_lq.png"
    check_png(png)
    assert_clean(app_page.log)


def test_an_unknown_sector_gets_one_message(app_page, live_server):
    app_page.goto(live_server.app_url("sector_explorer", category_code="automotiv"))
    message = app_page.locator(".observatory-message")
    message.wait_for()
    assert "Unknown category 'automotiv'" in message.inner_text()
    assert "automotive" in message.inner_text()
    assert_clean(app_page.log)

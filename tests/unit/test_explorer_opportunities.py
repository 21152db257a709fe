"""The region explorer's diversification opportunities (toy store).

The prepared data hold the recipe layer's opportunities and supporting strengths (copied, not
recomputed); the explorer shows the scorecard's "where next" numbers, headed and written as the
publications are; a missing density stays "not available"; a region without opportunities
says why in one sentence; the opportunities are in the view's CSV download and its address.
"""

from __future__ import annotations

import base64
import math
import re

import pytest

from observatory_lib.constants import DEFAULT_STAR_PRESET
from observatory_lib.indicators import policy_recipes
from observatory_lib.products import region_scorecard
from observatory_lib.products.apps import bundle, prepare
from observatory_lib.products.apps import region_explorer as explorer
from observatory_lib.products.kit.downloads import read_csv_table
from observatory_lib.products.kit.labels import COLUMN_LABELS, label_for
from observatory_lib.products.region_scorecard.where_next import N_SUPPORT_SHOWN

NUMBERS = ("lq", "relatedness_density", "european_employment_persons", "european_employment_share")


@pytest.fixture
def prepared(toy_store, tmp_path):
    prepare.write_bundle(toy_store, DEFAULT_STAR_PRESET, tmp_path, "toy")
    return bundle.AppBundle(tmp_path)


def same(shown, expected) -> bool:
    """Equal numbers, or missing on both sides (the prepared data say None, pandas NaN)."""
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return shown is None
    return shown is not None and math.isclose(shown, float(expected), rel_tol=1e-12)


def panel_of(html: str) -> str:
    start = html.index("<h4>Diversification opportunities</h4>")
    return html[start : html.index("<h4>", start + 5)]


def test_the_prepared_opportunities_are_the_recipe_layers(toy_store, prepared):
    expected = policy_recipes.opportunities(toy_store)
    support = policy_recipes.opportunity_support(toy_store)
    assert len(expected) > 5
    for code, rows in expected.groupby("region_code"):
        shown = {
            (row["category_type"], row["category_code"]): row
            for row in prepared.region_opportunities(code)
        }
        assert len(shown) == len(rows), code
        for row in rows.to_dict("records"):
            mine = shown[(row["category_type"], row["category_code"])]
            assert mine["rank_in_region"] == row["rank_in_region"]
            assert mine["n_related_strengths"] == row["n_related_strengths"]
            assert all(same(mine[field], row[field]) for field in NUMBERS), (code, row)
            links = support[
                (support["region_code"] == code)
                & (support["category_code"] == row["category_code"])
            ].sort_values("support_rank")
            assert [s["category_code"] for s in mine["related_strengths"]] == list(
                links["related_category_code"]
            )
            assert [s["proximity"] for s in mine["related_strengths"]] == list(links["proximity"])
    # missing stays missing: the one emerging industry has no related category, so no density
    blue = next(
        r for r in prepared.region_opportunities("DE11") if r["category_type"] == "emerging"
    )
    assert blue["relatedness_density"] is None
    assert prepared.region_opportunities("DE1") == []


@pytest.mark.parametrize("code", ["DE11", "AT11", "BE21"])
def test_the_explorer_shows_the_scorecards_where_next(toy_store, prepared, code):
    part = region_scorecard.build(toy_store, code, n_draws=20).where_next
    assert part["available"]
    rows = [
        row
        for row in explorer.opportunity_rows(prepared, code)
        if row["category_type"] == "traded" and row["relatedness_density"] is not None
    ]
    card = part["opportunities"].to_dict("records")
    assert [row["category_code"] for row in rows[: len(card)]] == [c["category_code"] for c in card]
    for mine, theirs in zip(rows, card, strict=False):
        assert mine["rank_in_region"] == theirs["rank_in_region"]
        assert all(same(mine[field], theirs[field]) for field in NUMBERS)
        strengths = [
            {key: s[key] for key in ("category_code", "category_name", "proximity")}
            for s in mine["related_strengths"][:N_SUPPORT_SHOWN]
        ]
        assert strengths == theirs["related_strengths"]


def test_the_panel_is_headed_and_written_as_the_publications(prepared):
    panel = panel_of(explorer.explorer_html(prepared, "DE11", [], "default peers"))
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", panel)
    assert set(headers) <= {label.header for label in COLUMN_LABELS.values()}
    assert label_for("relatedness_density").header in headers
    assert label_for("european_employment_persons").header in headers
    metalworking = re.search(r'<tr data-category-code="metalworking-technology">(.*?)</tr>', panel)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", metalworking.group(1))
    # the toy store's five years give the category's European growth a column
    assert cells == ["1", "Metalworking Technology", "50", "0.40", "Automotive (0.33)",
                     "3\u00a0850", "9.3%", "1.4%"]  # fmt: skip
    blue = re.search(r'<tr data-category-code="blue-growth">(.*?)</tr>', panel).group(1)
    assert "not available" in blue  # no density: never 0
    assert "<h5>Traded categories</h5>" in panel and "<h5>Emerging industries</h5>" in panel
    assert label_for("european_growth_pct").header in headers
    assert "not available: a single year" not in panel


@pytest.mark.parametrize(
    ("code", "because"),
    [
        ("DE12", "its location quotients are not known"),
        ("DE1", "is a NUTS-1 region"),
        ("DE", "is a NUTS-0 region"),
    ],
)
def test_a_region_without_opportunities_says_why_in_one_sentence(prepared, code, because):
    html = explorer.explorer_html(prepared, code, [], "default peers")
    panel = panel_of(html)
    sentence = re.search(r'class="observatory-note observatory-no-opportunities">([^<]*)<', panel)
    text = sentence.group(1)
    assert because in text
    assert text.endswith(".") and text.count(". ") == 0
    assert "<table" not in panel
    assert "Diversification opportunities (CSV)" not in html


def test_the_opportunities_are_in_the_views_download(prepared, tmp_path):
    html = explorer.explorer_html(prepared, "DE11", [], "default peers")
    link = re.search(
        r'download="([^"]+)" href="data:text/csv;charset=utf-8;base64,([^"]+)">'
        r"Diversification opportunities \(CSV\)",
        html,
    )
    assert link.group(1) == "DE11_diversification_opportunities.csv"
    saved = tmp_path / link.group(1)
    saved.write_bytes(base64.b64decode(link.group(2)))
    table, metadata = read_csv_table(saved)
    assert list(table.columns) == explorer.OPPORTUNITY_DOWNLOAD
    assert metadata["title"][0] == "Diversification opportunities of Stuttgart (DE11), 2015"
    assert table["region_code"].eq("DE11").all() and len(table) == 3
    metalworking = table.set_index("category_code").loc["metalworking-technology"]
    assert metalworking["supporting_strengths"] == "Automotive (0.33)"
    assert metalworking["relatedness_density"] == 50
    assert math.isnan(table.set_index("category_code").loc["blue-growth", "relatedness_density"])


def test_the_address_follows_the_region_and_chosen_peers(prepared):
    assert explorer.explorer_query("DE11", ["AT11", "BE21"], "chosen peers") == (
        "region_code=DE11&peers=AT11%2CBE21"
    )
    html = explorer.explorer_html(prepared, "DE11", ["AT11"], "default peers")
    assert 'data-observatory-query="region_code=DE11&amp;peers="' in html

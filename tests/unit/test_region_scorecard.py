"""Region scorecards on the toy store: parameters, content, the JSON twin, gaps, files, caching.

Expectations come from the toy store's frames (``tests/toy_store.py``) and from the recipe
layer every product shares (``indicators.recipes``).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from toy_store import COUNTRY_NAMES, NUTS3, REGION_NAMES, REGIONS, YEAR

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators import change_recipes, recipes
from observatory_lib.indicators.peers import compare_with_peers
from observatory_lib.products import region_scorecard
from observatory_lib.products.kit.labels import stars_text
from observatory_lib.products.kit.map_styles import NOT_AVAILABLE
from observatory_lib.products.region_scorecard import (
    build_scorecard,
    coerce_peers,
    coerce_year,
    scorecard_images,
    table_html,
    write_scorecard_files,
)
from observatory_lib.products.region_scorecard import change as change_module
from observatory_lib.products.region_scorecard import files as scorecard_files
from observatory_lib.products.region_scorecard.spec import (
    DEFAULT_DRAWS,
    KEY_FACT_MAX_LAG,
    KEY_FACTS,
    N_STRENGTHS,
    N_TOP_CATEGORIES,
)

N_DRAWS = 200
PEERS = ["DE12", "AT11", "BE21"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def de11(toy_store):
    return build_scorecard(toy_store, "DE11", peers=",".join(PEERS), n_draws=N_DRAWS)


def _latest(context, region_code, indicator_code, year=YEAR):
    """A region's value of ``year`` or the latest up to KEY_FACT_MAX_LAG years earlier."""
    rows = context[
        (context["region_code"] == region_code)
        & (context["indicator_code"] == indicator_code)
        & context["value"].notna()
        & context["year"].between(year - KEY_FACT_MAX_LAG, year)
    ]
    if rows.empty:
        return None
    row = rows.sort_values("year").iloc[-1]
    return int(row["year"]), float(row["value"])


def _portfolio_order(rated, region_code, kind):
    """The region's categories of ``kind`` by stars, then LQ, then employment (missing last)."""
    rows = rated[(rated["region_code"] == region_code) & (rated["category_type"] == kind)]
    ordered = rows.assign(stars=rows["stars"].astype("Float64")).sort_values(
        ["stars", "lq", "employment_persons"], ascending=False, na_position="last"
    )
    return ordered["category_code"].tolist()


# --- parameter coercion (no store) --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ("   ", []),
        ("default", []),
        ("Default", []),
        ([], []),
        ((), []),
        ("[]", []),
        ("DE12", ["DE12"]),
        ("DE12,DE13", ["DE12", "DE13"]),
        ("DE12, DE13", ["DE12", "DE13"]),
        ("DE12 DE13", ["DE12", "DE13"]),
        (" de12 ,, de13 ", ["DE12", "DE13"]),
        ("DE12,DE13,DE12", ["DE12", "DE13"]),
        ('["DE12", "DE13"]', ["DE12", "DE13"]),
        (["DE12", " de13 "], ["DE12", "DE13"]),
        (("DE12",), ["DE12"]),
    ],
)
def test_coerce_peers_accepts_lists_strings_and_json(value, expected):
    assert coerce_peers(value) == expected


@pytest.mark.parametrize(
    "value",
    [5, 3.2, {"DE12": 1}, True, ["DE12", 3], '["DE12", 3]', '{"a": 1}', "[DE12", "DE-12"],
)
def test_coerce_peers_rejects_other_types_saying_what_is_accepted(value):
    with pytest.raises(ObservatoryError) as caught:
        coerce_peers(value)
    message = str(caught.value)
    assert "comma" in message
    assert "JSON list" in message
    assert "default" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2015, 2015), ("2015", 2015), (" 2015 ", 2015), (2015.0, 2015), (np.int64(2014), 2014)],
)
def test_coerce_year_accepts_whole_numbers_and_numeric_strings(value, expected):
    year = coerce_year(value)
    assert year == expected
    assert type(year) is int


@pytest.mark.parametrize("value", [True, None, "20x5", 2015.5, "", [2015], 99, float("nan")])
def test_coerce_year_rejects_anything_else(value):
    with pytest.raises(ObservatoryError, match="whole number"):
        coerce_year(value)


def test_stars_text_draws_stars_and_names_missing_criteria():
    assert stars_text(2, 3) == "★★☆"
    assert stars_text(0, 3) == "☆☆☆"
    assert stars_text(1, 3, 2) == f"★ (+2 {NOT_AVAILABLE})"
    assert stars_text(pd.NA, 3) == NOT_AVAILABLE
    assert stars_text(None) == NOT_AVAILABLE
    assert region_scorecard.stars_text is stars_text


def test_table_html_escapes_and_says_not_available_for_empty_tables():
    html = table_html(pd.DataFrame({"Category": ["<b>x</b>"], "LQ": [NOT_AVAILABLE]}))
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert NOT_AVAILABLE in html
    assert NOT_AVAILABLE in table_html(pd.DataFrame())
    assert table_html(pd.DataFrame(), empty_text="") == ""


# --- a region with every section (DE11) ----------------------------------------------------


def test_header_names_the_region_and_the_store(toy_store, de11):
    header = de11.header
    assert header["region_code"] == "DE11"
    assert header["region_name"] == REGION_NAMES["DE11"]
    assert (header["country_code"], header["country_name"]) == ("DE", COUNTRY_NAMES["DE"])
    assert (header["nuts_level"], header["nuts_edition"], header["year"]) == (2, 2016, YEAR)
    assert header["store_version"] == toy_store.version
    markdown = de11.header_markdown()
    assert markdown.startswith(f"## {REGION_NAMES['DE11']} (DE11)")
    assert f"store version {toy_store.version}" in markdown
    assert "cluster data (SBS) 2015 and 2017-07-31" in header["data_vintage"]


def test_key_facts_equal_the_store_and_the_eu_average(toy_store, de11):
    context = toy_store.context_indicators
    facts = de11.key_facts.set_index("indicator_code")
    assert list(facts.index) == [spec.indicator_code for spec in KEY_FACTS]
    for spec in KEY_FACTS:
        code = spec.indicator_code
        fact = facts.loc[code]
        year, value = _latest(context, "DE11", code)
        assert (int(fact["year"]), fact["value"]) == (year, pytest.approx(value)), code
        # the EU-28 average: unweighted mean over the EU regions of the level with a value
        values = [_latest(context, region, code) for region in REGIONS]
        values = [found[1] for found in values if found is not None]
        assert fact["n_eu_regions"] == len(values), code
        expected_eu = 100.0 if spec.eu_value is not None else np.mean(values)
        assert fact["eu_average"] == pytest.approx(expected_eu), code
        assert fact["relative_to_eu"] == pytest.approx(100 * value / expected_eu), code
        peers = [_latest(context, peer, code) for peer in PEERS]
        peers = [found[1] for found in peers if found is not None]
        assert fact["n_peers_with_data"] == len(peers), code
        assert fact["peer_average"] == pytest.approx(np.mean(peers)), code
    # Burgenland has no R&D intensity: one EU region and one peer fewer
    assert facts.loc["rd_intensity_pct_gdp", "n_eu_regions"] == len(REGIONS) - 1
    assert facts.loc["rd_intensity_pct_gdp", "n_peers_with_data"] == len(PEERS) - 1
    # GDP has no 2015 value: the latest earlier year is used and shown
    assert facts.loc["gdp_pps_per_hab", "year"] == 2014
    table = de11.key_facts_table()
    assert table["Indicator [unit, year]"].iloc[1].endswith(", 2014]")
    assert table["EU-28 average"].iloc[2] == "100"


def test_portfolio_ranks_traded_categories_by_stars_then_lq_then_employment(toy_store, de11):
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    portfolio = de11.portfolio
    assert portfolio["category_code"].tolist() == _portfolio_order(rated, "DE11", "traded")
    assert portfolio["rank"].tolist() == list(range(1, len(portfolio) + 1))
    assert len(portfolio) <= N_TOP_CATEGORIES
    assert set(portfolio["category_type"]) == {"traded"}
    cells = rated[rated["region_code"] == "DE11"].set_index("category_code")
    for row in de11.record()["portfolio"]:
        cell = cells.loc[row["category_code"]]
        assert row["lq"] == cell["lq"]
        assert row["employment_persons"] == cell["employment_persons"]
        assert row["size_share"] == cell["size_share"]
        assert row["stars"] == cell["stars"]
    strongest = de11.record()["strongest_category"]
    assert strongest["category_code"] == portfolio["category_code"].iloc[0] == "automotive"
    assert strongest["stars"] == cells.loc["automotive", "stars"] == 2
    table = de11.portfolio_table()
    assert table["Stars"].iloc[0] == "★★☆"
    assert table["LQ"].iloc[0] == f"{cells.loc['automotive', 'lq']:.2f}"


@pytest.mark.parametrize("region_code", ["AT11", "AT12", "BE10", "BE21", "DE12"])
def test_portfolio_order_in_every_region(toy_store, region_code):
    card = build_scorecard(toy_store, region_code, peers="DE11", n_draws=20)
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    assert card.portfolio["category_code"].tolist() == _portfolio_order(
        rated, region_code, "traded"
    )
    assert card.emerging["category_code"].tolist() == _portfolio_order(
        rated, region_code, "emerging"
    )


def test_emerging_industries(toy_store, de11):
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    emerging = rated[(rated["region_code"] == "DE11") & (rated["category_type"] == "emerging")]
    record = de11.record()
    assert [row["category_code"] for row in record["emerging"]] == ["blue-growth"]
    row = record["emerging"][0]
    cell = emerging.set_index("category_code").loc["blue-growth"]
    assert (row["employment_persons"], row["lq"]) == (cell["employment_persons"], cell["lq"])
    assert "Blue Growth" in de11.emerging_markdown()


def test_cluster_summary_counts_the_rated_traded_clusters(toy_store, de11):
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    traded = rated[(rated["region_code"] == "DE11") & (rated["category_type"] == "traded")]
    summary = de11.record()["cluster_summary"]
    assert summary["has_cluster_data"] is True
    assert summary["n_clusters_rated"] == int(traded["stars"].notna().sum())
    assert summary["n_starred_clusters"] == int((traded["stars"].fillna(0) >= 1).sum())
    starred = traded.loc[traded["stars"].fillna(0) >= 1, "employment_persons"].sum()
    total = traded["region_employment_persons"].iloc[0]
    assert summary["region_employment_persons"] == total
    assert summary["starred_employment_share_pct"] == pytest.approx(100 * starred / total)
    totals = toy_store.region_employment_totals.set_index(["region_code", "nuts_level", "year"])
    assert summary["n_sections_imputed"] == totals.loc[("DE11", 2, YEAR), "n_sections_imputed"] > 0
    assert "estimated from the parent region" in de11.cluster_summary_markdown()


def test_scoreboard_section_equals_the_recipe_layer(toy_store, de11):
    board = de11.record()["scoreboard"]
    result = recipes.scoreboard(toy_store, 2)
    overall = result.overall.set_index("region_code").loc["DE11"]
    assert board["available"] is True
    assert board["score"] == overall["score"]
    assert board["rank_europe"] == overall["rank_europe"]
    assert board["performance_group"] == overall["performance_group"]
    assert board["n_regions_scored"] == int(result.overall["score"].notna().sum())
    ranks = recipes.rank_intervals(toy_store, 2, n_draws=N_DRAWS, seed=0).ranks
    own = ranks.set_index("region_code").loc["DE11"]
    assert (board["rank_p05"], board["rank_p95"]) == (own["rank_p05"], own["rank_p95"])
    assert board["rank_median"] == own["rank_median"]
    assert board["rank_p05"] <= board["rank_europe"] <= board["rank_p95"]
    assert (board["n_draws"], board["seed"]) == (N_DRAWS, 0)
    interval = f"{int(own['rank_p05'])}–{int(own['rank_p95'])}"
    assert f"rank interval **{interval}**" in de11.scoreboard_markdown()
    comparison = compare_with_peers(result, "DE11", PEERS)
    dimensions = comparison.loc[comparison["node_type"] == "dimension"].set_index("node_code")
    rows = [row for row in de11.record()["dimensions"] if row["node_type"] == "dimension"]
    assert len(rows) == len(result.framework.dimensions)
    for row in rows:
        expected = dimensions.loc[row["node_code"]]
        assert row["region_score"] == pytest.approx(expected["region_score"])
        assert row["peer_average_score"] == pytest.approx(expected["peer_average_score"])
        assert row["assessment"] == expected["assessment"]


def test_strengths_and_weaknesses_are_the_extremes_against_the_peers(de11):
    strengths, weaknesses = de11.strengths, de11.weaknesses
    assert de11.strengths_basis == "peers"
    assert (strengths["assessment"] == "strength").all()
    assert (weaknesses["assessment"] == "weakness").all()
    assert strengths["difference"].is_monotonic_decreasing
    assert weaknesses["difference"].is_monotonic_increasing
    assert len(strengths) <= N_STRENGTHS and len(weaknesses) <= N_STRENGTHS
    indicators = de11.indicators
    difference = indicators["region_score"] - indicators["peer_average_score"]
    np.testing.assert_allclose(indicators["difference"], difference)
    expected = indicators[indicators["assessment"] == "strength"].nlargest(
        N_STRENGTHS, "difference"
    )
    assert strengths["indicator_code"].tolist() == expected["indicator_code"].tolist()
    assert (strengths["difference"] >= 10).all() and (weaknesses["difference"] <= -10).all()


def test_record_is_strict_json_with_the_parameters(toy_store, de11):
    record = de11.record()
    text = json.dumps(record, allow_nan=False)
    assert json.loads(text) == record
    assert record["parameters"] == {
        "region_code": "DE11",
        "year": YEAR,
        "star_preset": "eco2008",
        "peers": PEERS,
        "framework_variant": "default",
        "n_draws": N_DRAWS,
        "seed": 0,
    }
    assert record["peers"] == PEERS
    assert record["peer_method"] == "chosen peers"
    assert record["region_name"] == REGION_NAMES["DE11"]
    assert record["store_version"] == toy_store.version


def test_default_draws_and_peers(toy_store):
    card = build_scorecard(toy_store, "DE11")
    assert DEFAULT_DRAWS == recipes.DEFAULT_DRAWS == 1000
    assert card.parameters["n_draws"] == DEFAULT_DRAWS
    assert card.scoreboard["n_draws"] == DEFAULT_DRAWS
    assert f"{DEFAULT_DRAWS} Monte Carlo draws" in card.methods_note
    # default peers: the other regions of the level, the region itself left out
    assert sorted(card.peers) == sorted(code for code in REGIONS if code != "DE11")
    assert card.record()["parameters"]["peers"] == []
    assert card.peer_method.startswith("default peers")


def test_region_code_is_normalised(toy_store, de11):
    again = build_scorecard(toy_store, " de11 ", peers=PEERS, n_draws=N_DRAWS)
    assert again.record() == de11.record()


def test_own_code_among_the_peers_is_left_out(toy_store):
    card = build_scorecard(toy_store, "DE11", peers="DE11,DE12", n_draws=20)
    assert card.peers == ("DE12",)
    assert "DE11 was listed among its own peers and left out." in card.notes


def test_provenance_and_methods_are_printed(de11):
    assert "Source: Eurostat" in de11.provenance
    assert "© EuroGeographics for the administrative boundaries" in de11.provenance
    assert "sbs_r_nuts06_r2" in de11.provenance
    assert "Location quotient" in de11.methods_note
    assert f"{N_DRAWS} Monte Carlo draws" in de11.methods_note
    assert {"nama_10r_2gdp", "sbs_r_nuts06_r2"} <= set(de11.sources["dataset_code"])


# --- missing data ----------------------------------------------------------------------------


def test_region_with_missing_lqs_says_not_available_never_zero(toy_store):
    card = build_scorecard(toy_store, "DE12", peers="DE11", n_draws=20)
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    assert rated.loc[rated["region_code"] == "DE12", "lq"].isna().all()  # DE12's total is unknown
    record = card.record()
    json.dumps(record, allow_nan=False)
    rows = record["portfolio"] + record["emerging"]
    assert rows and all(row["lq"] is None for row in rows)
    assert all(row["focus_share"] is None for row in rows)
    assert all(row["employment_persons"] is not None for row in rows)  # employment is known
    table = card.portfolio_table()
    assert (table["LQ"] == NOT_AVAILABLE).all()
    assert not (table["LQ"] == "0").any()
    assert table["Data note"].str.contains("LQ not available").all()
    # LQ and focus are missing: two of the three star criteria are named, not drawn empty
    assert all(f"+2 {NOT_AVAILABLE}" in text for text in table["Stars"])
    summary = record["cluster_summary"]
    assert summary["region_employment_persons"] is None
    assert summary["starred_employment_share_pct"] is None
    assert summary["specialisation_diversity"] is None
    assert f"**{NOT_AVAILABLE}**" in card.cluster_summary_markdown()
    assert any("Location quotients and focus not available" in note for note in card.notes)
    lq_map = card.strongest_category_map.set_index("region_code")["value"]
    assert np.isnan(lq_map["DE12"])
    assert lq_map.drop(index="DE12").notna().all()


def test_nuts3_region_has_no_clusters_and_no_scoreboard(toy_store):
    card = build_scorecard(toy_store, "DE111", n_draws=20)
    record = card.record()
    json.dumps(record, allow_nan=False)
    assert record["nuts_level"] == 3
    assert record["region_name"] == NUTS3["DE111"]
    assert record["portfolio"] == [] and record["emerging"] == []
    summary = record["cluster_summary"]
    assert summary["has_cluster_data"] is False
    assert "do not cover NUTS level 3" in summary["reason"]
    assert record["scoreboard"]["available"] is False
    assert record["scoreboard"]["reason"]
    assert record["strengths_basis"] == "none"
    assert record["strongest_category"] is None
    assert f"Cluster data: {NOT_AVAILABLE}" in card.cluster_summary_markdown()
    assert card.scoreboard_markdown().startswith(f"Ecosystem scoreboard: {NOT_AVAILABLE} (")
    # only the population exists at NUTS 3 in the toy store
    facts = card.key_facts.set_index("indicator_code")
    assert facts["value"].notna().tolist() == [code == "population_persons" for code in facts.index]
    shown = card.key_facts_table()
    missing = card.key_facts["value"].isna().to_numpy()
    assert (shown.loc[missing, "DE111"] == NOT_AVAILABLE).all()
    images = scorecard_images(card, toy_store)
    assert images["category_map"].png is None
    assert images["dimension_chart"].png is None
    assert images["locator"].png.startswith(PNG_SIGNATURE)


def test_confidential_cell_is_flagged_in_the_portfolio(toy_store):
    card = build_scorecard(toy_store, "BE10", peers="BE21", n_draws=20)
    record = card.record()
    row = next(r for r in record["portfolio"] if r["category_code"] == "biopharmaceuticals")
    assert row["employment_persons"] is None and row["stars"] is None and row["lq"] is None
    assert row["has_confidential_cells"] is True
    notes = card.portfolio.set_index("category_code")["data_note"]
    assert notes["biopharmaceuticals"] == "employment not available (suppressed cells)"
    assert "employment not available (suppressed cells): Biopharmaceuticals" in (
        card.portfolio_notes_markdown()
    )
    table = card.portfolio_table().set_index("Category")
    assert table.loc["Biopharmaceuticals", "Employment (persons)"] == NOT_AVAILABLE
    assert table.loc["Biopharmaceuticals", "Stars"] == NOT_AVAILABLE
    assert record["cluster_summary"]["n_categories_not_available"] == 1
    assert any("Biopharmaceuticals" in note and "suppressed" in note for note in record["notes"])


def test_category_map_marks_the_suppressed_region_confidential(toy_store):
    card = build_scorecard(toy_store, "BE21", peers="BE10", n_draws=20)
    assert card.strongest_category["category_code"] == "biopharmaceuticals"
    lq_map = card.strongest_category_map.set_index("region_code")
    assert lq_map.loc["BE10", "status"] == "confidential"
    assert np.isnan(lq_map.loc["BE10", "value"])
    assert lq_map.drop(index="BE10")["status"].isna().all()


# --- bad inputs -----------------------------------------------------------------------------


def test_unknown_region_names_the_nearest_codes(toy_store):
    with pytest.raises(UnknownCodeError) as caught:
        build_scorecard(toy_store, "DE1X")
    message = str(caught.value)
    assert "Unknown NUTS region 'DE1X'" in message
    assert "DE11" in message and "DE12" in message


def test_malformed_region_code_explains_the_format(toy_store):
    with pytest.raises(UnknownCodeError, match="two-letter country code"):
        build_scorecard(toy_store, "not a code")


def test_unknown_peer_names_the_nearest_codes(toy_store):
    with pytest.raises(UnknownCodeError) as caught:
        build_scorecard(toy_store, "DE11", peers="DE12,DE1X")
    message = str(caught.value)
    assert "'DE1X'" in message
    nearest = message.split("nearest valid region codes: ")[1].split(".")[0].split(", ")
    assert nearest[:2] == ["DE12", "DE11"]


def test_peer_at_another_level_is_refused(toy_store):
    with pytest.raises(UnknownCodeError, match="same NUTS level"):
        build_scorecard(toy_store, "DE11", peers=["DE1"])


def test_year_without_cluster_data_is_refused(toy_store):
    with pytest.raises(
        UnknownCodeError,
        match="Years with cluster data at NUTS level 2: 2011, 2012, 2013, 2014, 2015",
    ):
        build_scorecard(toy_store, "DE11", year=2010)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"year": "20x5"}, "whole number"),
        ({"peers": 5}, "JSON list"),
        ({"peers": {"DE12": 1}}, "JSON list"),
        ({"n_draws": 0}, "n_draws=0"),
        ({"star_preset": "eco"}, "eco2008, eocic, panorama4"),
        ({"framework_variant": "innovation"}, "innovation_focus"),
    ],
)
def test_bad_parameters_are_refused_naming_the_accepted_values(toy_store, kwargs, expected):
    with pytest.raises(ObservatoryError, match=expected):
        build_scorecard(toy_store, "DE11", **kwargs)


# --- figures and files --------------------------------------------------------------------------


def test_scorecard_images_are_png_bytes(toy_store, de11):
    images = scorecard_images(de11, toy_store)
    assert set(images) == {"locator", "category_map", "change_chart", "dimension_chart"}
    for name, image in images.items():
        assert image.name == name
        assert image.png.startswith(PNG_SIGNATURE), name
        assert image.alt
    assert "DE11" in images["locator"].alt
    assert "Automotive" in images["category_map"].alt
    # the same card gives the same bytes
    again = scorecard_images(de11, toy_store)
    assert {k: v.png for k, v in again.items()} == {k: v.png for k, v in images.items()}


def test_write_scorecard_files(toy_store, de11, tmp_path, monkeypatch):
    images = scorecard_images(de11, toy_store)
    assert write_scorecard_files(de11, "", images) == []
    atomic = []
    original = scorecard_files.write_bytes_atomic

    def spy(target, data):
        atomic.append(target.name)
        return original(target, data)

    monkeypatch.setattr(scorecard_files, "write_bytes_atomic", spy)
    target = tmp_path / "out"
    written = write_scorecard_files(de11, target, images)
    names = sorted(path.name for path in written)
    assert names == [
        "DE11_category_map.png",
        "DE11_change_chart.png",
        "DE11_clusters.csv",
        "DE11_clusters_panel.csv",
        "DE11_dimension_chart.png",
        "DE11_locator.png",
    ]
    assert sorted(atomic) == [name for name in names if name.endswith(".png")]
    panel = (target / "DE11_clusters_panel.csv").read_text(encoding="utf-8-sig")
    assert "region_code,nuts_level,category_code,category_type,year,indicator_code" in panel
    assert sorted(path.name for path in target.iterdir()) == names  # no temporary file left
    csv = (target / "DE11_clusters.csv").read_text(encoding="utf-8-sig")
    assert "Source: Eurostat" in csv
    assert "automotive" in csv and "blue-growth" in csv
    assert (target / "DE11_locator.png").read_bytes() == images["locator"].png


def test_write_scorecard_files_keeps_the_old_file_when_a_write_fails(toy_store, de11, tmp_path):
    images = scorecard_images(de11, toy_store)
    target = tmp_path / "out"
    write_scorecard_files(de11, target, images)
    broken = {**images, "locator": dataclasses.replace(images["locator"], png="not bytes")}
    with pytest.raises(TypeError):
        write_scorecard_files(de11, target, broken)
    assert (target / "DE11_locator.png").read_bytes() == images["locator"].png
    assert not [path for path in target.iterdir() if path.name.startswith(".obs-tmp-")]


def test_relative_output_dir_goes_under_outputs(toy_store, de11, outputs):
    images = scorecard_images(de11, toy_store)
    written = write_scorecard_files(de11, "cards", images)
    assert written and all(path.parent == outputs / "cards" for path in written)


# --- cache independence ---------------------------------------------------------------------


def test_results_do_not_depend_on_cache_state_or_order(toy_store):
    region_scorecard.clear_cache()
    cold = build_scorecard(toy_store, "DE12", peers="DE11,AT11", n_draws=N_DRAWS)
    cold_json = json.dumps(cold.record(), sort_keys=True)
    cold_images = {k: v.png for k, v in scorecard_images(cold, toy_store).items()}
    for code in ("DE11", "BE21", "AT12", "DE111"):
        card = build_scorecard(toy_store, code, n_draws=N_DRAWS)
        scorecard_images(card, toy_store)  # shared backgrounds and memoised tables
    warm = build_scorecard(toy_store, "DE12", peers="DE11,AT11", n_draws=N_DRAWS)
    assert json.dumps(warm.record(), sort_keys=True) == cold_json
    assert {k: v.png for k, v in scorecard_images(warm, toy_store).items()} == cold_images
    # and after forgetting everything (recipes and figure backgrounds)
    region_scorecard.clear_cache()
    again = build_scorecard(toy_store, "DE12", peers="DE11,AT11", n_draws=N_DRAWS)
    assert json.dumps(again.record(), sort_keys=True) == cold_json
    assert {k: v.png for k, v in scorecard_images(again, toy_store).items()} == cold_images


def test_clear_cache_forgets_the_recipe_tables(toy_store):
    build_scorecard(toy_store, "DE11", n_draws=20)
    board = recipes.scoreboard(toy_store, 2)
    assert recipes.scoreboard(toy_store, 2) is board
    region_scorecard.clear_cache()
    assert recipes.scoreboard(toy_store, 2) is not board


# --- change over time ---------------------------------------------------------------------


def test_change_part_takes_its_numbers_from_the_recipe_layer(toy_store, de11):
    change = de11.change
    assert change["available"] and change["window"] == (2011, 2015)
    table = change["table"].set_index("category_code")
    assert list(table.index) == de11.portfolio["category_code"].head(5).tolist()
    shift = change_recipes.shift_share(toy_store, 2, (2011, 2015)).set_index(
        ["region_code", "category_code"]
    )
    for code, row in table.iterrows():
        expected = shift.loc[("DE11", code)]
        assert row["regional_component"] == pytest.approx(expected["regional_component"])
        parts = (
            row["european_growth_component"]
            + row["category_mix_component"]
            + row["regional_component"]
        )
        assert parts == pytest.approx(row["actual_change"])
    # DE11 grows 3 % a year in the toy store, every category alike
    assert table.loc["automotive", "employment_cagr_pct"] == pytest.approx(3.0, abs=0.05)
    record = de11.record()["change"]
    assert record["window"] == [2011, 2015] and record["available"] is True
    assert {row["category_code"] for row in record["categories"]} == set(table.index)
    html = _change_html(de11, toy_store)
    assert "Change of the leading traded categories, 2011–2015" in html
    assert "+3.0%" in html  # the growth in the house style, signed


def test_a_change_across_a_series_break_is_not_computed_and_said_so(toy_store):
    card = build_scorecard(toy_store, "BE21", peers="DE11", n_draws=N_DRAWS)
    table = card.change["table"]
    assert (table["status"] == change_module.STATUS_BREAK).all()
    assert table["regional_component"].isna().all()
    html = _change_html(card, toy_store)
    # not computed: a missing cell, the reason in a footnote and the break flag after the stars
    assert "not computed for" in html and "series breaks between the two years" in html
    assert "b: break in time series" in html
    assert "%" not in html.split("<tbody")[1].split("</tbody>")[0]


def _change_html(card, store) -> str:
    from observatory_lib.products.region_scorecard import publication

    doc = publication.document(card, store)
    image = region_scorecard.ScorecardImage("change_chart", png=None, alt="chart", note="none")
    return "".join(part.data for part in publication.change_over_time(doc, card, image))


def test_the_first_year_has_no_change(toy_store):
    card = build_scorecard(toy_store, "DE11", year=2011, peers="AT11", n_draws=N_DRAWS)
    assert not card.change["available"]
    assert "first year with cluster data" in card.change_markdown()
    assert card.record()["change"]["categories"] == []


def test_a_series_break_is_flagged_in_the_portfolio_table(toy_store):
    from observatory_lib.products.region_scorecard import publication

    card = build_scorecard(toy_store, "BE21", year=2013, peers="DE11", n_draws=N_DRAWS)
    assert (card.portfolio["flag"] == "b").any()
    doc = publication.document(card, toy_store)
    html = "".join(part.data for part in publication.clusters(doc, card))
    assert "\u00a0b</td>" in html and "b: break in time series" in html

"""Region scorecards on the real store: content, the JSON twin, missing data, caching, speed.

The parameter coercion and the toy-store content tests are in
``tests/unit/test_region_scorecard.py``.
"""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.errors import UnknownCodeError
from observatory_lib.indicators import recipes
from observatory_lib.indicators.clusters import (
    compute_cluster_indicators,
    compute_structural_indicators,
)
from observatory_lib.indicators.framework import load_framework
from observatory_lib.indicators.peers import compare_with_peers
from observatory_lib.indicators.scoreboard import EU28_COUNTRIES, compute_scoreboard
from observatory_lib.indicators.stars import rate_stars
from observatory_lib.indicators.uncertainty import simulate_rank_uncertainty
from observatory_lib.products import region_scorecard
from observatory_lib.products.kit.map_styles import NOT_AVAILABLE
from observatory_lib.products.region_scorecard import (
    build_scorecard,
    scorecard_images,
    write_scorecard_files,
)
from observatory_lib.products.region_scorecard.spec import (
    DEFAULT_DRAWS,
    N_STRENGTHS,
    N_TOP_CATEGORIES,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(built_store):
    return built_store


@pytest.fixture(scope="module")
def rated(store):
    indicators = compute_cluster_indicators(
        store.cluster_employment, store.region_employment_totals, level=2
    )
    return rate_stars(indicators, "eco2008")


@pytest.fixture(scope="module")
def scoreboard_result(store, rated):
    """The scoreboard as the recipe layer defines it, computed here from the engine."""
    structural = compute_structural_indicators(rated, min_stars=recipes.MIN_STARS)
    context = store.context_indicators
    context = context.loc[~context["indicator_code"].isin(structural["indicator_code"])]
    indicators = pd.concat([context, structural], ignore_index=True)
    framework = load_framework()
    rows = indicators.loc[
        indicators["nuts_level"].eq(2)
        & indicators["indicator_code"].isin(framework.indicator_codes)
        & indicators["value"].notna()
    ]
    present = set(rows["region_code"].str[:2])
    countries = [country for country in EU28_COUNTRIES if country in present]
    return compute_scoreboard(
        indicators,
        framework,
        store.regions,
        level=2,
        reference_countries=countries,
        nuts_edition=STATISTICS_EDITION,
    )


@pytest.fixture(scope="module")
def de11(store):
    return build_scorecard(store, "DE11", peers="DE12,DE13,DE21")


@pytest.fixture(scope="module")
def mt00(store):
    return build_scorecard(store, "MT00")


def test_unknown_region_names_the_nearest_codes(store):
    with pytest.raises(UnknownCodeError) as caught:
        build_scorecard(store, "DE1X")
    message = str(caught.value)
    assert "Unknown NUTS region 'DE1X'" in message
    assert "DE11" in message and "DE12" in message


def test_malformed_region_code_explains_the_format(store):
    with pytest.raises(UnknownCodeError, match="two-letter country code"):
        build_scorecard(store, "not a code")


def test_region_code_is_normalised(store, de11):
    assert build_scorecard(store, " de11 ", peers="DE12,DE13,DE21").record() == de11.record()


def test_unknown_peer_names_the_nearest_codes(store):
    with pytest.raises(UnknownCodeError) as caught:
        build_scorecard(store, "DE11", peers="DE12,DE1X")
    message = str(caught.value)
    assert "'DE1X'" in message
    nearest = message.split("nearest valid region codes: ")[1].split(".")[0].split(", ")
    assert nearest and all(code.startswith("DE") for code in nearest)


def test_peer_at_another_level_is_refused(store):
    with pytest.raises(UnknownCodeError, match="same NUTS level"):
        build_scorecard(store, "DE11", peers=["DE1"])


def test_year_without_cluster_data_is_refused(store):
    with pytest.raises(UnknownCodeError, match="Years with cluster data"):
        build_scorecard(store, "DE11", year=2016)


def test_record_is_strict_json_with_the_parameters(de11):
    record = de11.record()
    text = json.dumps(record, allow_nan=False)
    assert json.loads(text) == record
    assert record["parameters"] == {
        "region_code": "DE11",
        "year": 2015,
        "star_preset": "eco2008",
        "peers": ["DE12", "DE13", "DE21"],
        "framework_variant": "default",
        "n_draws": DEFAULT_DRAWS,
        "seed": 0,
    }
    assert DEFAULT_DRAWS == 1000
    assert record["peers"] == ["DE12", "DE13", "DE21"]
    assert record["region_name"] == "Stuttgart"
    assert record["store_version"]
    assert len(record["portfolio"]) == N_TOP_CATEGORIES
    assert {row["category_code"] for row in record["emerging"]} <= set(
        de11.emerging["category_code"]
    )


def test_portfolio_numbers_equal_the_cluster_indicators(store, de11, rated):
    record = de11.record()
    top = record["portfolio"][0]
    cell = rated.loc[
        (rated["region_code"] == "DE11")
        & (rated["category_code"] == top["category_code"])
        & (rated["year"] == 2015)
    ].iloc[0]
    assert top["lq"] == cell["lq"]
    assert top["employment_persons"] == cell["employment_persons"]
    assert top["size_share"] == cell["size_share"]
    assert top["stars"] == cell["stars"]
    traded = rated.loc[(rated["region_code"] == "DE11") & (rated["category_type"] == "traded")]
    assert top["stars"] == traded["stars"].max()
    assert record["strongest_category"]["category_code"] == top["category_code"]


def test_key_facts_equal_the_store_and_the_eu_average(store, de11):
    facts = {row["indicator_code"]: row for row in de11.record()["key_facts"]}
    context = store.context_indicators
    population = facts["population_persons"]
    stored = context.loc[
        (context["region_code"] == "DE11")
        & (context["indicator_code"] == "population_persons")
        & (context["year"] == population["year"])
    ]
    assert population["value"] == stored["value"].item()
    assert facts["gdp_pps_per_hab"]["year"] == 2014  # the latest up to 2015
    assert facts["gdp_pps_per_hab_pct_eu"]["eu_average"] == 100.0
    peers = context.loc[
        context["region_code"].isin(["DE12", "DE13", "DE21"])
        & (context["indicator_code"] == "unemployment_rate_pct")
        & (context["year"] == 2015)
    ]
    assert facts["unemployment_rate_pct"]["peer_average"] == pytest.approx(peers["value"].mean())
    assert facts["unemployment_rate_pct"]["n_peers_with_data"] == 3


def test_scoreboard_fixture_is_the_recipe_layers(store, scoreboard_result):
    recipe = recipes.scoreboard(store, 2)
    pd.testing.assert_frame_equal(recipe.overall, scoreboard_result.overall)


def test_scoreboard_numbers_equal_the_engine(de11, scoreboard_result):
    record = de11.record()
    overall = scoreboard_result.overall.set_index("region_code").loc["DE11"]
    board = record["scoreboard"]
    assert board["score"] == overall["score"]
    assert board["rank_europe"] == overall["rank_europe"]
    assert board["performance_group"] == overall["performance_group"]
    ranks = simulate_rank_uncertainty(scoreboard_result, n_draws=DEFAULT_DRAWS, seed=0).ranks
    own = ranks.set_index("region_code").loc["DE11"]
    assert (board["rank_p05"], board["rank_p95"]) == (own["rank_p05"], own["rank_p95"])
    assert board["rank_p05"] <= board["rank_europe"] <= board["rank_p95"]
    assert board["n_draws"] == DEFAULT_DRAWS
    comparison = compare_with_peers(scoreboard_result, "DE11", ["DE12", "DE13", "DE21"])
    dimensions = comparison.loc[comparison["node_type"] == "dimension"].set_index("node_code")
    for row in record["dimensions"]:
        if row["node_type"] == "dimension":
            expected = dimensions.loc[row["node_code"]]
            assert row["region_score"] == expected["region_score"]
            assert row["peer_average_score"] == expected["peer_average_score"]
            assert row["assessment"] == expected["assessment"]


def test_strengths_and_weaknesses_are_the_extremes(de11):
    strengths, weaknesses = de11.strengths, de11.weaknesses
    assert (strengths["assessment"] == "strength").all()
    assert (weaknesses["assessment"] == "weakness").all()
    assert strengths["difference"].is_monotonic_decreasing
    assert weaknesses["difference"].is_monotonic_increasing
    assert len(strengths) <= N_STRENGTHS
    assert de11.strengths_basis == "peers"


def test_region_with_confidential_gaps_says_not_available_never_zero(mt00, rated):
    cells = rated.loc[rated["region_code"] == "MT00"]
    assert cells["lq"].isna().all()  # Malta's total is unknown: every LQ is missing
    record = mt00.record()
    assert all(row["lq"] is None for row in record["portfolio"] + record["emerging"])
    table = mt00.portfolio_table()
    assert (table["LQ"] == NOT_AVAILABLE).all()
    assert table["Data note"].str.contains("LQ not available").all()
    assert not (table["LQ"] == "0").any()
    # LQ and focus are missing, so two of the three star criteria are not available
    assert all("not available" in text for text in table["Stars"])
    missing = record["cluster_summary"]["region_employment_persons"]
    assert missing is None
    assert record["cluster_summary"]["starred_employment_share_pct"] is None
    assert f"**{NOT_AVAILABLE}**" in mt00.cluster_summary_markdown()
    # categories whose divisions stay suppressed: missing, flagged, never 0
    unknown = [row for row in record["emerging"] if row["employment_persons"] is None]
    assert unknown
    assert all(row["stars"] is None for row in unknown)
    emerging = mt00.emerging_table()
    assert emerging["Data note"].str.contains("employment not available").any()
    assert any("suppressed" in note for note in record["notes"])
    assert (
        mt00.strongest_category_map.loc[
            mt00.strongest_category_map["region_code"] == "MT00", "value"
        ]
        .isna()
        .all()
    )


def test_estimated_totals_and_cells_are_flagged(de11):
    summary = de11.record()["cluster_summary"]
    assert summary["n_sections_imputed"] > 0  # German regions publish no D and E sections
    assert "estimated from the parent region" in de11.cluster_summary_markdown()
    notes = de11.portfolio_table()["Data note"]
    flagged = de11.portfolio["has_confidential_cells"].fillna(False).astype(bool)
    assert notes[flagged.to_numpy()].str.contains("estimated from suppressed cells").all()


def test_missing_key_facts_read_not_available(store):
    card = build_scorecard(store, "DE111")  # NUTS 3: no clusters, no scoreboard, few facts
    record = card.record()
    json.dumps(record, allow_nan=False)
    assert record["portfolio"] == []
    assert record["scoreboard"]["available"] is False
    assert record["cluster_summary"]["has_cluster_data"] is False
    facts = card.key_facts_table()
    missing = card.key_facts["value"].isna().to_numpy()
    assert missing.any()
    assert (facts.loc[missing, "DE111"] == NOT_AVAILABLE).all()
    assert NOT_AVAILABLE in card.scoreboard_markdown()
    images = scorecard_images(card, store)
    assert images["category_map"].png is None
    assert images["dimension_chart"].png is None
    assert images["locator"].png is not None


def test_default_peers_come_from_the_peer_module(store, de11):
    card = build_scorecard(store, "DE11")
    assert len(card.peers) == 5
    assert "DE11" not in card.peers
    assert card.record()["parameters"]["peers"] == []
    assert card.peer_method.startswith("default peers")


def test_results_do_not_depend_on_cache_state_or_order(store):
    region_scorecard.clear_cache()
    cold = build_scorecard(store, "MT00", peers="DE12,DE13")
    cold_json = json.dumps(cold.record(), sort_keys=True)
    cold_images = {k: v.png for k, v in scorecard_images(cold, store).items()}
    for code in ("DE11", "FRC1", "ITC4"):
        scorecard_images(build_scorecard(store, code), store)  # shared backgrounds
    warm = build_scorecard(store, "MT00", peers="DE12,DE13")
    assert json.dumps(warm.record(), sort_keys=True) == cold_json
    warm_images = {k: v.png for k, v in scorecard_images(warm, store).items()}
    assert warm_images == cold_images
    recipes.clear_cache()
    again = build_scorecard(store, "MT00", peers="DE12,DE13")
    assert json.dumps(again.record(), sort_keys=True) == cold_json


def test_a_warm_region_takes_well_under_half_a_second(store):
    region_scorecard.clear_cache()
    build_scorecard(store, "DE11")  # pays for the Europe-wide computations
    timings = []
    for code in ("DE12", "FRC1", "ITC4"):
        start = time.perf_counter()
        build_scorecard(store, code)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.5, timings


def test_write_scorecard_files(store, de11, tmp_path):
    images = scorecard_images(de11, store)
    assert write_scorecard_files(de11, "", images) == []
    written = write_scorecard_files(de11, tmp_path / "out", images)
    names = sorted(path.name for path in written)
    assert names == [
        "DE11_category_map.png",
        "DE11_change_chart.png",
        "DE11_clusters.csv",
        "DE11_clusters_panel.csv",
        "DE11_dimension_chart.png",
        "DE11_locator.png",
    ]
    csv = (tmp_path / "out" / "DE11_clusters.csv").read_text(encoding="utf-8-sig")
    assert "Source: Eurostat" in csv
    assert (tmp_path / "out" / "DE11_locator.png").read_bytes() == images["locator"].png


def test_provenance_and_methods_are_printed(de11):
    assert "Source: Eurostat" in de11.provenance
    assert "© EuroGeographics for the administrative boundaries" in de11.provenance
    assert "sbs_r_nuts06_r2" in de11.provenance
    assert "Data modified" in de11.provenance
    assert "Location quotient" in de11.methods_note
    assert f"{DEFAULT_DRAWS} Monte Carlo draws" in de11.methods_note
    assert "store version" in de11.header_markdown()

"""Every product publishes the same numbers, for every NUTS-2 region of the real store.

For each region the scorecard's JSON twin (``Scorecard.record``: the portfolio, the emerging
industries, the change over time, the scoreboard and its dimensions), the scoreboard report's
tables, the Cluster Panorama's rated table and change tables, the sector reports' fastest-
growing regions, the mapping tool's values and the portal's downloads (Parquet and GeoJSON)
must carry the same location quotients, stars, employment, wages, growth, shift-share,
star transitions, scores, ranks and rank intervals. They all come from the recipe layer;
this test proves nothing computes its own.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from observatory_lib.cli.selection import select_regions
from observatory_lib.indicators import recipes
from observatory_lib.products import cluster_panorama, ecosystem_scoreboard, portal
from observatory_lib.products.apps import app_data
from observatory_lib.products.region_scorecard import build_scorecard

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLUSTER_FIELDS = ("lq", "stars", "employment_persons", "size_share")
CHANGE_FIELDS = (
    "employment_start",
    "employment_end",
    "actual_change",
    "european_growth_component",
    "category_mix_component",
    "regional_component",
    "status",
)
TRANSITION_FIELDS = ("stars_start", "stars_end", "transition", "criteria_gained", "criteria_lost")
WINDOW = "2011-2015"
SCORE_FIELDS = ("score", "relative_to_eu", "rank_europe", "rank_country", "performance_group")
INTERVAL_FIELDS = ("rank_median", "rank_p05", "rank_p95", "group_stability")


@pytest.fixture(scope="module")
def published(built_store, tmp_path_factory):
    """What each product publishes, computed once for the whole store."""
    recipes.clear_cache()
    root = tmp_path_factory.mktemp("outputs")
    portal.write_portal_downloads(built_store, root)
    downloads = root / "downloads"
    layer = json.loads((downloads / "regions_nuts2_2016.geojson").read_text(encoding="utf-8"))
    codes = select_regions(built_store, 2, "all")
    recipes.clear_cache()  # the scorecards start from a cold memo, as in a batch worker
    cards = {code: build_scorecard(built_store, code).record() for code in codes}
    return {
        "codes": codes,
        "cards": cards,
        "report": ecosystem_scoreboard.scoreboard_context(built_store),
        "panorama": cluster_panorama.panorama_context(built_store),
        "app": app_data.build_app_data(built_store),
        "rated": pd.read_parquet(downloads / "cluster_indicators.parquet").query("year == 2015"),
        "shift": pd.read_parquet(downloads / f"cluster_shift_share_{WINDOW}.parquet"),
        "transitions": pd.read_parquet(downloads / f"cluster_star_transitions_{WINDOW}.parquet"),
        "long": pd.read_parquet(downloads / "cluster_indicators_long.parquet"),
        "overall": pd.read_parquet(downloads / "scoreboard_overall_scores.parquet"),
        "dimensions": pd.read_parquet(downloads / "scoreboard_dimension_scores.parquet"),
        "layer": {f["properties"]["region_code"]: f["properties"] for f in layer["features"]},
    }


def _same(a, b) -> bool:
    """Equal numbers, equal text, or missing on both sides (None, NaN and NA alike)."""
    if a is None or (not isinstance(a, str) and pd.isna(a)):
        return b is None or pd.isna(b)
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    return b is not None and not pd.isna(b) and float(a) == pytest.approx(float(b), rel=1e-12)


def _mismatches(expected: dict, actual: pd.Series | dict, fields, where: str) -> list[str]:
    return [
        f"{where} {field}: {expected[field]!r} != {actual[field]!r}"
        for field in fields
        if not _same(expected[field], actual[field])
    ]


def test_every_nuts2_region_has_a_scorecard(published):
    assert len(published["codes"]) > 300
    scored = [c for c, r in published["cards"].items() if r["scoreboard"].get("available")]
    assert len(scored) > 290


def test_cluster_figures_agree_everywhere(published):
    rated = published["rated"].set_index(["region_code", "category_code"])
    panorama = published["panorama"].rated.set_index(["region_code", "category_code"])
    values = published["app"].map_values
    problems = []
    for code, record in published["cards"].items():
        for row in [*record["portfolio"], *record["emerging"]]:
            key = (code, row["category_code"])
            problems += _mismatches(row, rated.loc[key], CLUSTER_FIELDS, f"portal {key}")
            problems += _mismatches(row, panorama.loc[key], CLUSTER_FIELDS, f"panorama {key}")
            theme = "emerging" if row["category_type"] == "emerging" else "clusters"
            for field in CLUSTER_FIELDS:
                shown = values.loc[(theme, field, row["category_code"], 2, 2015)]
                mapped = shown.set_index("region_code")["value"].get(code)
                if not _same(row[field], mapped):
                    problems.append(f"mapping tool {key} {field}: {row[field]!r} != {mapped!r}")
    assert problems == [], problems[:20]


def test_scores_ranks_and_intervals_agree_everywhere(published):
    report = published["report"].overall.set_index("region_code")
    overall = published["overall"].set_index("region_code")
    values = published["app"].map_values
    app_overall = values.loc[("scoreboard", "overall", "", 2)].set_index("region_code")["value"]
    problems = []
    checked = 0
    for code, record in published["cards"].items():
        board = record["scoreboard"]
        if not board.get("available"):
            assert code not in report.index or pd.isna(report.loc[code, "score"]), code
            continue
        checked += 1
        for table, where in ((report, "scoreboard report"), (overall, "portal")):
            problems += _mismatches(board, table.loc[code], SCORE_FIELDS, f"{where} {code}")
            problems += _mismatches(board, table.loc[code], INTERVAL_FIELDS, f"{where} {code}")
        if not _same(board["relative_to_eu"], app_overall.get(code)):
            problems.append(
                f"mapping tool {code}: {board['relative_to_eu']} != {app_overall[code]}"
            )
        if not _same(board["relative_to_eu"], published["layer"][code]["relative_to_eu"]):
            problems.append(f"portal map {code}: relative_to_eu differs")
    assert checked > 290
    assert problems == [], problems[:20]


def test_dimension_scores_agree_everywhere(published):
    report = published["report"].dimension_scores.set_index(["region_code", "dimension_code"])
    portal_table = published["dimensions"].set_index(["region_code", "dimension_code"])
    values = published["app"].map_values
    problems = []
    for code, record in published["cards"].items():
        for row in record["dimensions"]:
            if row["node_type"] != "dimension":
                continue
            key = (code, row["node_code"])
            expected = {"score": row["region_score"], "relative_to_eu": row["relative_to_eu"]}
            fields = ("score", "relative_to_eu")
            problems += _mismatches(expected, report.loc[key], fields, f"report {key}")
            problems += _mismatches(expected, portal_table.loc[key], fields, f"portal {key}")
            mapped = values.loc[("scoreboard", row["node_code"], "", 2)]
            shown = mapped.set_index("region_code")["value"].get(code)
            if not _same(row["relative_to_eu"], shown):
                problems.append(f"mapping tool {key}: {row['relative_to_eu']} != {shown}")
    assert problems == [], problems[:20]


def test_starred_counts_on_the_portal_map_are_the_panoramas(published):
    by_region = published["panorama"].by_region.set_index("region_code")["n_starred_clusters"]
    problems = [
        f"{code}: {properties['n_starred_traded_clusters']} != {by_region.get(code)}"
        for code, properties in published["layer"].items()
        if not _same(by_region.get(code), properties["n_starred_traded_clusters"])
    ]
    assert problems == [], problems[:20]


def test_change_figures_agree_everywhere(published):
    portal_shift = published["shift"].set_index(["region_code", "category_code"])
    change = published["panorama"].change
    assert change.window == (2011, 2015)
    panorama_shift = change.shift_share.set_index(["region_code", "category_code"])
    portal_moves = published["transitions"].set_index(["region_code", "category_code"])
    panorama_moves = change.transitions.set_index(["region_code", "category_code"])
    rated = published["rated"].set_index(["region_code", "category_code"])
    long = published["long"].query("year == 2015 and indicator_code == 'relative_wage_index'")
    wages = long.set_index(["region_code", "category_code"])["value"]
    problems, checked = [], 0
    for code, record in published["cards"].items():
        for row in record["change"]["categories"]:
            key = (code, row["category_code"])
            checked += 1
            for table, where in ((portal_shift, "portal"), (panorama_shift, "panorama")):
                problems += _mismatches(row, table.loc[key], CHANGE_FIELDS, f"{where} {key}")
            for table, where in ((portal_moves, "portal"), (panorama_moves, "panorama")):
                problems += _mismatches(row, table.loc[key], TRANSITION_FIELDS, f"{where} {key}")
            wage = {"relative_wage_index": row["relative_wage_index"]}
            problems += _mismatches(wage, rated.loc[key], ("relative_wage_index",), f"rated {key}")
            if not _same(row["relative_wage_index"], wages.get(key)):
                problems.append(f"long panel {key}: relative wage differs")
    assert checked > 1000
    assert problems == [], problems[:20]


def test_fastest_growing_regions_are_the_rated_growth(published, built_store):
    from observatory_lib.products import sector_report

    rated = published["rated"].set_index(["region_code", "category_code"])
    report = sector_report.sector_report_content(built_store, "automotive")
    assert len(report.fastest_growing) == 10
    for row in report.fastest_growing.itertuples(index=False):
        expected = rated.loc[(row.region_code, "automotive"), "employment_growth_pct"]
        assert _same(row.employment_growth_pct, expected), row.region_code
        assert _same(row.stars, rated.loc[(row.region_code, "automotive"), "stars"])

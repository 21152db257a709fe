"""The apps' prepared data on the real store: every theme mappable, light geometry, and the
same numbers as the reports (no browser)."""

from __future__ import annotations

import math

import pytest

from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR
from observatory_lib.indicators import peers, recipes
from observatory_lib.products.apps import compare_regions, map_view, panels, region_explorer
from observatory_lib.products.apps import sector_explorer as sectors

pytestmark = [pytest.mark.integration]

MAX_NUTS2_PAYLOAD = 400_000  # bytes of the prepared NUTS-2 layer ("well under 1 MB")


def themes_at(data, level: int) -> set[str]:
    keys = data._view_keys
    ids = {int(t) for t in keys["theme"][keys["nuts_level"] == level]}
    return {data.names_of["theme"][i] for i in ids}


def test_every_theme_has_values_at_nuts2(app_data):
    assert {"clusters", "emerging", "scoreboard", "context"} <= themes_at(app_data, 2)


def test_nuts3_has_context_values_but_no_clusters(app_data):
    assert themes_at(app_data, 3) == {"context"}


def test_nuts2_geometry_is_light_and_complete(app_data, built_store):
    size = (app_data.directory / "geometry_nuts2.json").stat().st_size
    assert size < MAX_NUTS2_PAYLOAD
    geometries = built_store.geometries
    expected = geometries[(geometries["nuts_edition"] == 2016) & (geometries["nuts_level"] == 2)]
    assert len(app_data.geometry_codes(2)) == expected["region_code"].nunique()


def test_default_view_has_data_and_classes(app_data):
    view = map_view.compute_map_view(app_data, map_view.MapSelection(), app_data.geometry_codes(2))
    assert view.n_with_data > 150
    assert sum(entry["kind"] == "class" for entry in view.legend) == 5


def test_region_panel_of_oberbayern(app_data):
    panel = panels.region_panel_html(app_data, "DE21")
    assert "Oberbayern (DE21)" in panel
    assert "★" in panel
    assert "EU = 100" in panel


@pytest.mark.parametrize("category", ["automotive", "biopharmaceuticals", "blue-growth"])
def test_sector_ranking_equals_the_panoramas(app_data, built_store, category):
    """The sector explorer ranks a category as the Panorama does (both from the recipe layer)."""
    summary = recipes.panorama_summary(built_store, 2, DEFAULT_STAR_PRESET, year=DEFAULT_YEAR)
    leaders = summary.leaders[summary.leaders["category_code"] == category]
    rows = sectors.ranking_rows(app_data, sectors.SectorSelection(category, 2, DEFAULT_YEAR))
    assert [row["region_code"] for row in rows[: len(leaders)]] == leaders["region_code"].tolist()
    for row, leader in zip(rows, leaders.itertuples(), strict=False):
        assert row["stars"] == leader.stars
        assert math.isclose(row["lq"], leader.lq, rel_tol=1e-9)
        assert math.isclose(row["employment_persons"], leader.employment_persons, rel_tol=1e-9)
        assert math.isclose(row["size_share"], leader.size_share, rel_tol=1e-9)


def test_peer_comparison_equals_the_scorecards(app_data, built_store):
    peer_codes, how = region_explorer.choose_peers(app_data, "DE21", [])
    assert len(peer_codes) == 5 and "DE21" not in peer_codes and "default peers" in how
    theirs = peers.compare_with_peers(recipes.scoreboard(built_store, 2), "DE21", peer_codes)
    theirs = theirs[theirs["node_type"].isin(["index", "dimension"])].set_index("node_code")
    for row in region_explorer.peer_comparison(app_data, "DE21", peer_codes):
        assert math.isclose(
            row["peer_average_score"], theirs.loc[row["node_code"], "peer_average_score"]
        )


def test_a_bad_code_in_a_comparison(app_data):
    codes, problems = compare_regions.check_regions(app_data, "DE21,DE2X")
    assert codes == ["DE21"]
    assert problems == [
        "Unknown NUTS region 'DE2X'; nearest valid NUTS region codes: DE27, DE26, DE25, DE24, "
        "DE23. Use a NUTS 0, 1, 2 code (2016 edition)."
    ]


@pytest.mark.parametrize("code", ["DE21", "FR10", "ITC4", "CZ01", "ES51"])
def test_explorer_opportunities_are_the_scorecards_where_next(app_data, built_store, code):
    """The explorer's opportunities (prepared data) carry the numbers of the scorecard's
    "where next" part (recipe layer): the same categories in the same order, ranks, LQs,
    densities, European sizes and supporting strengths."""
    from observatory_lib.products import region_scorecard
    from observatory_lib.products.region_scorecard.where_next import N_SUPPORT_SHOWN

    part = region_scorecard.build(built_store, code, n_draws=20).where_next
    assert part["available"], part
    card = part["opportunities"].to_dict("records")
    shown = [
        row
        for row in region_explorer.opportunity_rows(app_data, code)
        if row["category_type"] == "traded" and row["relatedness_density"] is not None
    ][: len(card)]
    assert [row["category_code"] for row in shown] == [row["category_code"] for row in card]
    for mine, theirs in zip(shown, card, strict=True):
        assert mine["rank_in_region"] == theirs["rank_in_region"]
        for field in (
            "lq",
            "relatedness_density",
            "n_related_strengths",
            "european_employment_persons",
            "european_employment_share",
        ):
            assert mine[field] == pytest.approx(theirs[field], rel=1e-12), field
        strengths = [
            {key: s[key] for key in ("category_code", "category_name", "proximity")}
            for s in mine["related_strengths"][:N_SUPPORT_SHOWN]
        ]
        assert strengths == theirs["related_strengths"]

"""The recipe layer on the toy store: one definition of every published number, memoised.

Each expectation is computed here from the toy store's frames (``tests/toy_store.py``) or from
the engine functions the recipes are defined by, never copied from a previous run.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from toy_store import COUNTRIES, NUTS3, REGIONS, YEAR, YEARS, build_toy_store

from observatory_lib.constants import GROWTH_WINDOW_YEARS
from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators import recipes
from observatory_lib.indicators.clusters import (
    compute_cluster_indicators,
    compute_structural_indicators,
)
from observatory_lib.indicators.scoreboard import EU28_COUNTRIES
from observatory_lib.indicators.stars import load_star_preset, rate_stars

EU_TOY_COUNTRIES = tuple(country for country in EU28_COUNTRIES if country in COUNTRIES)


def _variant(store, version, **frames):
    """A copy of ``store`` with some frames replaced and a version of its own."""
    return dataclasses.replace(store, version=version, **frames)


def _counting(monkeypatch, name):
    """Count the calls of a function the recipe module imported (``recipes.<name>``)."""
    calls = []
    original = getattr(recipes, name)

    def wrapper(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(recipes, name, wrapper)
    return calls


# --- rated clusters ----------------------------------------------------------------------


@pytest.mark.parametrize("level", [0, 2])
@pytest.mark.parametrize("preset", ["eco2008", "eocic", "panorama4"])
def test_rated_clusters_is_rate_stars_of_the_cluster_indicators(toy_store, level, preset):
    direct = rate_stars(
        compute_cluster_indicators(
            toy_store.cluster_employment,
            toy_store.region_employment_totals,
            level=level,
            growth_window=GROWTH_WINDOW_YEARS,
        ),
        load_star_preset(preset),
    )
    pd.testing.assert_frame_equal(recipes.rated_clusters(toy_store, level, preset), direct)


def test_rated_clusters_with_reference_countries_is_the_direct_computation(toy_store):
    direct = rate_stars(
        compute_cluster_indicators(
            toy_store.cluster_employment,
            toy_store.region_employment_totals,
            level=2,
            reference_countries=("AT", "BE"),
            growth_window=GROWTH_WINDOW_YEARS,
        ),
        load_star_preset("eco2008"),
    )
    chosen = recipes.rated_clusters(toy_store, 2, reference_countries=["AT", " BE ", ""])
    pd.testing.assert_frame_equal(chosen, direct)
    in_reference = chosen.drop_duplicates("region_code").set_index("region_code")
    expected = {code: code[:2] in {"AT", "BE"} for code in REGIONS}
    assert in_reference["is_in_reference_set"].astype(bool).to_dict() == expected


def test_rated_clusters_rows_are_the_toy_cells(toy_store):
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    assert set(rated["region_code"]) == set(REGIONS)
    assert len(rated) == len(REGIONS) * rated["category_code"].nunique()
    assert len(recipes.rated_clusters(toy_store, 2)) == len(rated) * len(YEARS)
    cell = rated.set_index(["region_code", "category_code"]).loc[("AT11", "automotive")]
    # LQ = (E_ir / E_r) / (E_i / E) over the regions whose total is known (DE12's is not)
    employment = toy_store.cluster_employment
    automotive = employment[
        (employment["nuts_level"] == 2)
        & (employment["category_code"] == "automotive")
        & (employment["year"] == YEAR)
    ].set_index("region_code")["employment_persons"]
    totals = toy_store.region_employment_totals
    totals = totals[(totals["nuts_level"] == 2) & (totals["year"] == YEAR)]
    totals = totals.set_index("region_code")["employment_persons"]
    known = totals.dropna().index
    expected_lq = (2_000.0 / totals["AT11"]) / (automotive[known].sum() / totals[known].sum())
    assert cell["lq"] == pytest.approx(expected_lq)
    assert np.isnan(
        rated.set_index(["region_code", "category_code"]).loc[("DE12", "automotive")]["lq"]
    )


def test_year_filter_keeps_that_year(toy_store):
    everything = recipes.rated_clusters(toy_store, 2)
    chosen = recipes.rated_clusters(toy_store, 2, year=YEAR)
    expected = everything.loc[everything["year"] == YEAR].reset_index(drop=True)
    pd.testing.assert_frame_equal(chosen, expected)
    assert set(chosen["year"]) == {YEAR}


def test_unknown_year_lists_the_years_with_cluster_data(toy_store):
    with pytest.raises(UnknownCodeError, match="Unknown year '2010'") as caught:
        recipes.rated_clusters(toy_store, 2, year=2010)
    assert str(YEAR) in str(caught.value)
    assert "Years with cluster data" in str(caught.value)


def test_unknown_level_lists_the_levels_with_cluster_data(toy_store):
    levels = sorted(int(v) for v in toy_store.cluster_employment["nuts_level"].unique())
    assert recipes.cluster_levels(toy_store) == levels == [0, 2]
    with pytest.raises(UnknownCodeError, match="NUTS level '1'") as caught:
        recipes.rated_clusters(toy_store, 1)
    assert "valid NUTS level codes: 0, 2" in str(caught.value)


def test_unknown_preset_and_country_list_the_valid_choices(toy_store):
    with pytest.raises(UnknownCodeError, match="eco2008, eocic, panorama4"):
        recipes.rated_clusters(toy_store, 2, "eco")
    with pytest.raises(UnknownCodeError, match="valid country codes: AT, BE, DE"):
        recipes.rated_clusters(toy_store, 2, reference_countries=["XX"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ([], None), ("", None), ("AT", ("AT",)), ([" AT ", "", "BE"], ("AT", "BE"))],
)
def test_reference_or_none(value, expected):
    assert recipes.reference_or_none(value) == expected


# --- the memo ------------------------------------------------------------------------------


def test_memo_computes_once_per_store_version(toy_store, monkeypatch):
    calls = _counting(monkeypatch, "rate_stars")
    first = recipes.rated_clusters(toy_store, 2)
    again = recipes.rated_clusters(toy_store, 2, "eco2008")
    pd.testing.assert_frame_equal(again, first)
    assert len(calls) == 1
    # the same version in another Store object is the same data: the memo is keyed by version
    twin = build_toy_store(toy_store.version)
    pd.testing.assert_frame_equal(recipes.rated_clusters(twin, 2), first)
    assert len(calls) == 1


def test_a_callers_changes_never_reach_the_memo(toy_store):
    first = recipes.rated_clusters(toy_store, 2)
    lq = first["lq"].copy()
    first["lq"] = 0.0
    first.loc[0, "stars"] = 99
    again = recipes.rated_clusters(toy_store, 2)
    pd.testing.assert_series_equal(again["lq"], lq)
    assert again.loc[0, "stars"] != 99


def test_memo_recomputes_for_another_store_version(toy_store, monkeypatch):
    calls = _counting(monkeypatch, "rate_stars")
    first = recipes.rated_clusters(toy_store, 2)
    other = recipes.rated_clusters(_variant(toy_store, f"{toy_store.version}-b"), 2)
    assert other is not first
    assert len(calls) == 2
    pd.testing.assert_frame_equal(other, first)


def test_memo_keys_include_the_parameters(toy_store, monkeypatch):
    calls = _counting(monkeypatch, "rate_stars")
    eco = recipes.rated_clusters(toy_store, 2, "eco2008")
    eocic = recipes.rated_clusters(toy_store, 2, "eocic")
    level0 = recipes.rated_clusters(toy_store, 0, "eco2008")
    chosen = recipes.rated_clusters(toy_store, 2, "eco2008", reference_countries=["AT"])
    assert len(calls) == 4
    assert len({id(eco), id(eocic), id(level0), id(chosen)}) == 4


def test_memo_computes_once_and_keeps_the_value():
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    key = ("test-memo", "a")
    first = recipes.memo(key, compute)
    assert recipes.memo(key, compute) is first
    assert first == {"value": 1}
    assert len(calls) == 1


def test_clear_cache_forgets(toy_store, monkeypatch):
    calls = _counting(monkeypatch, "rate_stars")
    first = recipes.rated_clusters(toy_store, 2)
    recipes.clear_cache()
    second = recipes.rated_clusters(toy_store, 2)
    assert second is not first
    assert len(calls) == 2
    pd.testing.assert_frame_equal(second, first)


# --- names, regions, geometries ----------------------------------------------------------------


def test_region_and_country_names(toy_store):
    names = recipes.region_names(toy_store, 2).set_index("region_code")["region_name"]
    regions = toy_store.regions
    expected = regions[regions["nuts_level"] == 2].set_index("region_code")["region_name"]
    assert names.to_dict() == expected.to_dict()
    countries = recipes.country_names(toy_store)
    assert list(countries.columns) == ["country_code", "country_name"]
    expected = regions[regions["nuts_level"] == 0].set_index("region_code")["region_name"]
    assert countries.set_index("country_code")["country_name"].to_dict() == expected.to_dict()


def test_eu_region_codes_and_statistics_regions(toy_store):
    assert recipes.eu_region_codes(toy_store, 2) == frozenset(REGIONS)
    assert recipes.eu_region_codes(toy_store, 3) == frozenset(NUTS3)
    regions = recipes.statistics_regions(toy_store)
    assert regions.index.is_unique
    assert regions.loc["DE11", "region_name"] == "Stuttgart"


def test_geometries_one_row_per_code(toy_store):
    shapes = recipes.geometries(toy_store, 2)
    assert sorted(shapes["region_code"]) == sorted(REGIONS)
    assert set(shapes["nuts_level"]) == {2}
    assert recipes.geometries(toy_store, 3)["region_code"].tolist() == list(NUTS3)


def test_geometries_keep_the_last_of_repeated_codes(toy_store):
    from shapely.geometry import box

    shapes = toy_store.geometries
    repeated = shapes[shapes["region_code"] == "DE11"].assign(geometry=[box(0, 0, 1, 1)])
    store = _variant(
        toy_store,
        f"{toy_store.version}-geo",
        _geometries=pd.concat([shapes, repeated], ignore_index=True),
    )
    chosen = recipes.geometries(store, 2)
    assert chosen["region_code"].is_unique
    assert len(chosen) == len(REGIONS)
    assert chosen.set_index("region_code").loc["DE11", "geometry"].equals(box(0, 0, 1, 1))


def test_geometries_unknown_level_lists_the_levels_with_polygons(toy_store):
    with pytest.raises(UnknownCodeError, match="NUTS level '4'") as caught:
        recipes.geometries(toy_store, 4)
    assert "0, 1, 2, 3" in str(caught.value)


# --- structural indicators and the scoreboard ----------------------------------------------------


def test_structural_indicators_are_computed_on_the_rated_clusters(toy_store):
    expected = compute_structural_indicators(
        recipes.rated_clusters(toy_store, 2), min_stars=recipes.MIN_STARS
    )
    pd.testing.assert_frame_equal(recipes.structural_indicators(toy_store, 2), expected)
    # a level without cluster data: empty, with the long columns
    empty = recipes.structural_indicators(toy_store, 1)
    assert empty.empty
    assert {"region_code", "indicator_code", "year", "value"} <= set(empty.columns)


def test_scoreboard_reference_countries_are_the_eu28_countries_with_values(toy_store):
    result = recipes.scoreboard(toy_store, 2)
    assert tuple(result.settings.reference_countries) == EU_TOY_COUNTRIES == ("AT", "BE", "DE")
    assert set(result.overall["region_code"]) == set(REGIONS)
    scored = result.overall.dropna(subset=["score"])
    assert scored.sort_values("score", ascending=False)["rank_europe"].tolist() == list(
        range(1, len(scored) + 1)
    )


def test_a_country_without_values_leaves_the_reference_set(toy_store):
    context = toy_store.context_indicators.copy()
    belgian = context["region_code"].str.startswith("BE") & (context["nuts_level"] == 2)
    context.loc[belgian, "value"] = np.nan
    employment = toy_store.cluster_employment.copy()
    belgian = employment["region_code"].str.startswith("BE") & (employment["nuts_level"] == 2)
    employment.loc[belgian, "employment_persons"] = np.nan
    store = _variant(
        toy_store,
        f"{toy_store.version}-nobe",
        context_indicators=context,
        cluster_employment=employment,
    )
    result = recipes.scoreboard(store, 2)
    assert tuple(result.settings.reference_countries) == ("AT", "DE")
    assert not result.overall["region_code"].str.startswith("BE").any()
    assert result.overall["score"].notna().sum() == 4


def test_no_country_with_values_is_refused_with_the_levels_to_choose(toy_store):
    context = toy_store.context_indicators.assign(
        value=toy_store.context_indicators["value"].where(
            toy_store.context_indicators["nuts_level"] != 2
        )
    )
    employment = toy_store.cluster_employment.assign(
        employment_persons=toy_store.cluster_employment["employment_persons"].where(
            toy_store.cluster_employment["nuts_level"] != 2
        )
    )
    store = _variant(
        toy_store,
        f"{toy_store.version}-empty",
        context_indicators=context,
        cluster_employment=employment,
    )
    with pytest.raises(ObservatoryError, match="No EU-28 region of NUTS level 2"):
        recipes.scoreboard(store, 2)


def test_scoreboard_is_memoised_per_settings(toy_store):
    minmax = recipes.scoreboard(toy_store, 2)
    assert recipes.scoreboard(toy_store, 2) is minmax
    zscore = recipes.scoreboard(toy_store, 2, normalisation="zscore")
    assert zscore is not minmax
    assert zscore.settings.normalisation == "zscore"


def test_rank_intervals_bracket_the_median_and_are_reproducible(toy_store):
    first = recipes.rank_intervals(toy_store, 2, n_draws=200, seed=3)
    ranks = first.ranks.set_index("region_code")
    assert set(ranks.index) == set(REGIONS)
    assert (ranks["rank_p05"] <= ranks["rank_median"]).all()
    assert (ranks["rank_median"] <= ranks["rank_p95"]).all()
    assert ranks["rank_p05"].min() >= 1
    assert ranks["rank_p95"].max() <= len(REGIONS)
    assert recipes.rank_intervals(toy_store, 2, n_draws=200, seed=3) is first
    recipes.clear_cache()
    again = recipes.rank_intervals(toy_store, 2, n_draws=200, seed=3)
    assert again is not first
    pd.testing.assert_frame_equal(again.ranks, first.ranks)


def test_scoreboard_tables_overall_has_rank_intervals_in_rank_order(toy_store):
    tables = recipes.scoreboard_tables(toy_store, 2, n_draws=100, seed=0)
    overall = tables.overall
    for column in ("rank_median", "rank_p05", "rank_p95", "group_stability"):
        assert column in overall.columns
        assert overall[column].notna().all()
    assert overall["rank_europe"].tolist() == list(range(1, len(REGIONS) + 1))
    assert (
        overall["region_code"].iloc[0]
        == (tables.result.overall.sort_values("score", ascending=False)["region_code"].iloc[0])
    )
    intervals = tables.uncertainty.ranks.set_index("region_code")
    for row in overall.itertuples(index=False):
        assert row.rank_p05 == intervals.loc[row.region_code, "rank_p05"]
    labels = tables.result.framework.labels()
    assert (
        tables.dimension_scores["dimension_label"]
        == tables.dimension_scores["dimension_code"].map(labels)
    ).all()
    assert tables.indicator_scores["region_name"].notna().all()


# --- the panorama summary -----------------------------------------------------------------------


def test_panorama_summary_counts_the_starred_traded_clusters(toy_store):
    summary = recipes.panorama_summary(toy_store, 2, year=YEAR)
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    traded = rated[rated["category_type"] == "traded"]
    starred = (traded["stars"].fillna(0) >= 1).groupby(traded["region_code"]).sum()
    by_region = summary.by_region.set_index("region_code")
    assert by_region["n_starred_clusters"].astype(int).to_dict() == starred.to_dict()


def test_panorama_summary_region_without_any_rated_cluster_is_missing_not_zero(toy_store):
    employment = toy_store.cluster_employment.copy()
    employment.loc[employment["region_code"] == "AT12", "employment_persons"] = np.nan
    store = _variant(toy_store, f"{toy_store.version}-noat12", cluster_employment=employment)
    rated = recipes.rated_clusters(store, 2, year=YEAR)
    assert rated.loc[rated["region_code"] == "AT12", "stars"].isna().all()
    by_region = recipes.panorama_summary(store, 2, year=YEAR).by_region.set_index("region_code")
    assert by_region.loc["AT12", "n_clusters_rated"] == 0
    assert pd.isna(by_region.loc["AT12", "n_starred_clusters"])
    assert np.isnan(by_region.loc["AT12", "starred_employment_share_pct"])
    # the other regions keep their counts
    assert by_region.drop(index="AT12")["n_starred_clusters"].notna().all()
    # in the untouched store the same region has a count (0), so the gap comes from the blanking
    untouched = recipes.panorama_summary(toy_store, 2, year=YEAR).by_region.set_index("region_code")
    assert untouched.loc["AT12", "n_starred_clusters"] == 0


# --- the framework and the store ----------------------------------------------------------------


def test_framework_is_kept_and_checked_against_the_indicators(toy_store):
    chosen = recipes.framework("default")
    assert recipes.framework("default") is chosen
    inputs = recipes.scoreboard_inputs(toy_store, 2)
    assert set(chosen.indicator_codes) <= set(inputs["indicator_code"])
    with pytest.raises(ObservatoryError, match="innovation_focus"):
        recipes.framework("innovation")
    with pytest.raises(ObservatoryError, match="unknown indicator"):
        recipes.framework("default", available=["population_persons"])


def test_current_store_loads_once_per_current_version(tmp_path, monkeypatch):
    version = {"name": "v1"}
    loads = []

    def fake_load(root):
        loads.append(root)
        return build_toy_store(f"toy-current-{version['name']}")

    monkeypatch.setattr(recipes, "current_version", lambda root: version["name"])
    monkeypatch.setattr(recipes, "load_store", fake_load)
    recipes.clear_cache()
    try:
        first = recipes.current_store(tmp_path)
        assert recipes.current_store(tmp_path) is first
        assert loads == [tmp_path]
        version["name"] = "v2"
        second = recipes.current_store(tmp_path)
        assert second is not first
        assert second.version == "toy-current-v2"
        assert len(loads) == 2
        assert recipes.current_store(tmp_path) is second
        recipes.clear_cache()
        assert recipes.current_store(tmp_path) is not second
        assert len(loads) == 3
    finally:
        recipes.clear_cache()

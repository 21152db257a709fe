"""The Regional Ecosystem Scoreboard report and its inputs on the toy store."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from toy_store import COUNTRIES, REGIONS, YEAR, YEARS

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators import recipes
from observatory_lib.indicators.scoreboard import EU28_COUNTRIES
from observatory_lib.products import ecosystem_scoreboard as ecosystem
from observatory_lib.products.kit.downloads import read_csv_table

STRUCTURAL = ("starred_cluster_employment_share_pct", "specialisation_diversity")
N_DRAWS = 100


@pytest.fixture
def report(toy_store):
    return ecosystem.scoreboard_context(toy_store, n_draws=N_DRAWS, seed=1)


# --- the report --------------------------------------------------------------------------------


def test_scoreboard_report_on_the_toy_store(toy_store, report):
    # the reference set: the EU-28 countries with values at the level, in EU-28 order
    expected = tuple(country for country in EU28_COUNTRIES if country in COUNTRIES)
    assert report.reference_countries == expected == ("AT", "BE", "DE")
    # the scores are the recipe layer's scoreboard
    result = recipes.scoreboard(toy_store, 2)
    assert report.result is result
    scores = result.overall.set_index("region_code")["score"]
    shown = report.overall.set_index("region_code")["score"]
    assert shown.to_dict() == scores.to_dict()
    assert sorted(report.overall["region_code"]) == sorted(REGIONS)
    # in rank order, rank 1 the highest score
    assert report.overall["rank_europe"].tolist() == list(range(1, len(REGIONS) + 1))
    assert report.overall["region_code"].iloc[0] == scores.idxmax()
    assert report.overall["score"].is_monotonic_decreasing
    # rank intervals of every region, bracketing the median
    overall = report.overall
    assert overall[["rank_p05", "rank_median", "rank_p95"]].notna().all().all()
    assert ((overall["rank_p05"] <= overall["rank_median"]) & (
        overall["rank_median"] <= overall["rank_p95"])).all()  # fmt: skip
    ranks = recipes.rank_intervals(toy_store, 2, n_draws=N_DRAWS, seed=1).ranks
    assert report.uncertainty.ranks.equals(ranks)
    assert len(report.uncertainty.draws) == N_DRAWS
    # the industrial-structure dimension is scored from the cluster data
    structure = report.dimension_scores[
        report.dimension_scores["dimension_code"] == "industrial_structure"
    ].set_index("region_code")
    assert structure.drop(index="DE12")["score"].notna().all()
    assert np.isnan(structure.loc["DE12", "score"])  # DE12's LQs are missing: no structure
    assert (report.dimension_scores["dimension_label"].notna()).all()


def test_scoreboard_record_and_tables(report):
    record = report.record()
    assert record["top_region_code"] == report.overall["region_code"].iloc[0]
    assert record["top_score"] == pytest.approx(report.overall["score"].max())
    assert record["n_regions_scored"] == len(REGIONS)
    assert sum(record["group_counts"].values()) == len(report.overall)
    assert (record["n_draws"], record["seed"]) == (N_DRAWS, 1)
    groups = report.overall["performance_group"].value_counts()
    assert {k: v for k, v in record["group_counts"].items() if v} == groups[groups > 0].to_dict()
    fallbacks = report.fallback_summary().set_index("indicator_code")
    assert fallbacks.loc["specialisation_diversity", "n_fallbacks"] == 0
    # DE12's total is unknown: its structural indicators are missing, so 5 regions have a value
    assert fallbacks.loc["specialisation_diversity", "n_regions_with_value"] == len(REGIONS) - 1
    # Burgenland has no R&D intensity in the toy store
    assert fallbacks.loc["rd_intensity_pct_gdp", "n_regions_with_value"] == len(REGIONS) - 1
    assert len(report.top_regions(2)) == 2
    assert report.bottom_regions(1)["region_code"].iloc[0] == report.overall["region_code"].iloc[-1]
    wide = report.dimension_table()
    assert wide["region_code"].tolist() == report.overall["region_code"].tolist()
    assert [d.label for d in report.framework.dimensions] == list(wide.columns[4:])
    counts = report.groups_by_country()
    assert counts.drop(columns="country_code").to_numpy().sum() == len(REGIONS)
    coverage = report.coverage_summary()
    assert coverage.loc[coverage["node_code"] == "overall", "n_regions_scored"].item() == len(
        REGIONS
    )
    headline = report.headline_markdown()
    assert f"({len(COUNTRIES)} countries)" in headline
    assert f"**{len(REGIONS)}** regions scored" in headline
    assert f"{N_DRAWS:,} draws (seed 1)" in headline


def test_scoreboard_settings_reach_the_recipe_layer(toy_store):
    report = ecosystem.scoreboard_context(
        toy_store, normalisation="zscore", aggregation="geometric", n_draws=20, seed=2
    )
    assert report.result is recipes.scoreboard(
        toy_store, 2, normalisation="zscore", aggregation="geometric"
    )
    assert report.result.settings.normalisation == "zscore"
    assert report.result.settings.aggregation == "geometric"
    assert report.year_label == "framework reference years"


@pytest.mark.parametrize(
    ("kwargs", "error", "expected"),
    [
        ({"normalisation": "rank"}, UnknownCodeError, "minmax, zscore"),
        ({"aggregation": "median"}, UnknownCodeError, "arithmetic, geometric"),
        ({"framework_variant": "innovation"}, ObservatoryError, "innovation_focus"),
        ({"year": -1}, ObservatoryError, "year must be 0"),
    ],
)
def test_scoreboard_bad_input_names_the_valid_choices(toy_store, kwargs, error, expected):
    with pytest.raises(error, match=expected):
        ecosystem.scoreboard_context(toy_store, n_draws=10, **kwargs)


def test_scoreboard_figures(toy_store, report):
    maps = ecosystem.plot_scoreboard_maps(report, recipes.geometries(toy_store, 2))
    assert set(maps) == {"overall", *(d.code for d in report.framework.dimensions)}
    assert all(hasattr(figure, "savefig") for figure in maps.values())
    distributions = ecosystem.plot_score_distributions(report)
    # one histogram per dimension and the overall index, and the box plot
    assert len(distributions.axes) == len(report.framework.dimensions) + 2
    intervals = ecosystem.plot_rank_intervals(report, n=4)
    assert len(intervals.axes[0].get_yticklabels()) == 4


def test_scoreboard_downloads(toy_store, report, outputs):
    written = ecosystem.write_scoreboard_downloads(report, toy_store)
    suffix = "nuts2_ref_default_minmax_arithmetic"
    names = {path.name for path in written}
    for name in ("overall_scores", "dimension_scores", "indicator_scores", "year_fallbacks"):
        assert f"{name}_{suffix}.csv" in names
        assert f"{name}_{suffix}.xlsx" in names
    assert all(path.parent == outputs / "scoreboard" for path in written)
    table, metadata = read_csv_table(outputs / "scoreboard" / f"overall_scores_{suffix}.csv")
    assert table["region_code"].tolist() == report.overall["region_code"].tolist()
    assert "rank_p05" in table.columns
    assert any(line.startswith("nama_10r_2gdp") for line in metadata["source"])


# --- the scoreboard's inputs (recipes.scoreboard_inputs) ---------------------------------------


def test_scoreboard_inputs_add_structural_indicators(toy_store):
    inputs = recipes.scoreboard_inputs(toy_store, 2)
    codes = set(inputs["indicator_code"])
    assert set(STRUCTURAL) <= codes
    assert set(toy_store.context_indicators["indicator_code"]) <= codes
    assert list(inputs.columns) == list(toy_store.context_indicators.columns)
    keys = ["region_code", "nuts_level", "indicator_code", "year"]
    assert not inputs.duplicated(keys).any()
    structural = inputs[inputs["indicator_code"].isin(STRUCTURAL)]
    assert set(structural["nuts_level"]) == {2}
    assert set(structural["year"]) == set(YEARS)  # one value per year of cluster data
    structural = structural[structural["year"] == YEAR]
    de12 = structural[structural["region_code"] == "DE12"]["value"]
    assert len(de12) == 2 and de12.isna().all()  # unknown total: missing, never 0
    # the values: starred traded employment over the region's total, and LQ >= 1 counts
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    traded = rated[rated["category_type"] == "traded"]
    starred = traded["employment_persons"].where(traded["stars"].fillna(0) >= 1, 0.0)
    share = (
        100
        * starred.groupby(traded["region_code"]).sum()
        / traded.groupby("region_code")["region_employment_persons"].first()
    )
    diversity = (traded["lq"] >= 1).groupby(traded["region_code"]).sum()
    values = structural.set_index(["indicator_code", "region_code"])["value"]
    for code in ("AT11", "AT12", "BE10", "BE21", "DE11"):
        assert values[("starred_cluster_employment_share_pct", code)] == pytest.approx(share[code])
        assert values[("specialisation_diversity", code)] == diversity[code]


def test_scoreboard_inputs_replace_stale_structural_rows(toy_store):
    context = toy_store.context_indicators
    stale = context[context["nuts_level"] == 2].assign(
        indicator_code="specialisation_diversity", value=-1.0, year=YEAR
    )
    stale = stale.drop_duplicates(["region_code"])
    store = dataclasses.replace(
        toy_store,
        version=f"{toy_store.version}-stale",
        context_indicators=pd.concat([context, stale], ignore_index=True),
    )
    inputs = recipes.scoreboard_inputs(store, 2)
    diversity = inputs[
        (inputs["indicator_code"] == "specialisation_diversity") & (inputs["year"] == YEAR)
    ]
    assert (diversity["value"].dropna() >= 0).all()
    assert sorted(diversity["region_code"]) == sorted(REGIONS)
    fresh = recipes.scoreboard_inputs(toy_store, 2)
    expected = fresh[
        (fresh["indicator_code"] == "specialisation_diversity") & (fresh["year"] == YEAR)
    ]
    pd.testing.assert_series_equal(
        diversity.set_index("region_code")["value"], expected.set_index("region_code")["value"]
    )


def test_scoreboard_inputs_at_a_level_without_clusters_are_the_context(toy_store):
    inputs = recipes.scoreboard_inputs(toy_store, 1)
    assert not inputs["indicator_code"].isin(STRUCTURAL).any()
    pd.testing.assert_frame_equal(inputs, toy_store.context_indicators)


def test_scoreboard_inputs_unknown_preset(toy_store):
    with pytest.raises(UnknownCodeError, match="eco2008"):
        recipes.scoreboard_inputs(toy_store, 2, "eco")

"""Cluster indicators: hand-computed size, LQ and focus, invariants, missing data, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatory_lib.errors import DataSourceError, ObservatoryError, UnknownCodeError
from observatory_lib.indicators.clusters import (
    INDICATOR_COLUMNS,
    STATUS_AVAILABLE,
    STATUS_BASE_YEAR,
    STATUS_BASE_YEAR_ABSENT,
    STATUS_NO_WAGES,
    STATUS_SINGLE_YEAR,
    STATUS_WAGE_CELL_MISSING,
    compute_cluster_indicators,
    compute_structural_indicators,
    reference_set_description,
    resolve_reference_countries,
)
from observatory_lib.indicators.stars import rate_stars

# Three regions x two traded categories. Totals: AT11 1000, AT12 500, BE10 400 (E = 1900).
# auto: 200, 50, 0   (E_i = 250)   bio: 100, 100, 100   (E_i = 300)
EMPLOYMENT = {
    ("AT11", "auto"): 200.0,
    ("AT12", "auto"): 50.0,
    ("BE10", "auto"): 0.0,
    ("AT11", "bio"): 100.0,
    ("AT12", "bio"): 100.0,
    ("BE10", "bio"): 100.0,
}
TOTALS = {"AT11": 1000.0, "AT12": 500.0, "BE10": 400.0}


def make_cells(employment=None, year=2015, category_type="traded", level=2):
    """Build a cluster_employment frame from {(region, category): persons}."""
    employment = EMPLOYMENT if employment is None else employment
    keys = list(employment)
    return pd.DataFrame(
        {
            "region_code": [region for region, _ in keys],
            "nuts_level": level,
            "category_code": [category for _, category in keys],
            "category_type": category_type,
            "year": year,
            "employment_persons": [employment[key] for key in keys],
            "is_derived_by_allocation": True,
            "has_confidential_cells": False,
            "n_divisions": 2,
            "n_divisions_missing": 0,
            "nuts_edition": 2016,
        }
    )


def make_totals(totals=None, year=2015, level=2):
    """Build a region_employment_totals frame from {region: persons}."""
    totals = TOTALS if totals is None else totals
    return pd.DataFrame(
        {
            "region_code": list(totals),
            "nuts_level": level,
            "year": year,
            "employment_persons": list(totals.values()),
            "n_divisions": 60,
            "n_divisions_missing": 0,
            "nuts_edition": 2016,
            "dataset_code": "sbs_r_nuts06_r2",
        }
    )


def cell(frame, region, category, column, year=None):
    rows = frame[(frame["region_code"] == region) & (frame["category_code"] == category)]
    if year is not None:
        rows = rows[rows["year"] == year]
    assert len(rows) == 1
    return rows[column].iloc[0]


@pytest.fixture
def indicators():
    return compute_cluster_indicators(make_cells(), make_totals())


def test_columns_and_one_row_per_cell(indicators):
    assert list(indicators.columns) == INDICATOR_COLUMNS
    assert len(indicators) == 6
    assert set(indicators["category_type"]) == {"traded"}


@pytest.mark.parametrize(
    ("region", "category", "lq"),
    [
        ("AT11", "auto", (200 / 1000) / (250 / 1900)),  # 1.52
        ("AT12", "auto", (50 / 500) / (250 / 1900)),  # 0.76
        ("BE10", "auto", 0.0),  # a true zero stays zero
        ("AT11", "bio", (100 / 1000) / (300 / 1900)),
        ("BE10", "bio", (100 / 400) / (300 / 1900)),  # 1.5833
    ],
)
def test_location_quotient_by_hand(indicators, region, category, lq):
    assert cell(indicators, region, category, "lq") == pytest.approx(lq)


def test_size_and_focus_by_hand(indicators):
    assert cell(indicators, "AT11", "auto", "size_share") == pytest.approx(0.8)
    assert cell(indicators, "AT12", "auto", "size_share") == pytest.approx(0.2)
    assert cell(indicators, "BE10", "auto", "size_share") == 0.0
    assert cell(indicators, "BE10", "bio", "focus_share") == pytest.approx(0.25)
    assert cell(indicators, "AT12", "auto", "focus_share") == pytest.approx(0.1)
    assert [cell(indicators, r, "auto", "size_rank") for r in TOTALS] == [1, 2, 3]
    assert [cell(indicators, r, "bio", "size_rank") for r in TOTALS] == [1, 1, 1]  # ties


def test_weighted_mean_lq_is_one_and_size_shares_sum_to_one(indicators):
    weights = indicators["region_employment_persons"]
    weighted = (indicators["lq"] * weights).groupby(indicators["category_code"]).sum()
    assert (weighted / weights.groupby(indicators["category_code"]).sum()).to_list() == (
        pytest.approx([1.0, 1.0])
    )
    assert indicators.groupby("category_code")["size_share"].sum().to_list() == pytest.approx(
        [1, 1]
    )


def test_missing_employment_stays_missing_and_benchmark_skips_it():
    employment = {**EMPLOYMENT, ("BE10", "auto"): np.nan}
    result = compute_cluster_indicators(make_cells(employment), make_totals())
    for column in ("employment_persons", "size_share", "lq", "focus_share"):
        assert np.isnan(cell(result, "BE10", "auto", column))
    assert pd.isna(cell(result, "BE10", "auto", "size_rank"))
    assert pd.isna(cell(result, "BE10", "auto", "is_small_base"))
    # E_i = 250 and E = 1500: BE10's total leaves the auto benchmark with its missing cell.
    assert cell(result, "AT11", "auto", "lq") == pytest.approx(0.2 / (250 / 1500))


def test_missing_region_total_gives_nan_lq_and_focus_not_zero():
    result = compute_cluster_indicators(make_cells(), make_totals({**TOTALS, "BE10": np.nan}))
    assert np.isnan(cell(result, "BE10", "bio", "lq"))
    assert np.isnan(cell(result, "BE10", "bio", "focus_share"))
    assert cell(result, "BE10", "bio", "size_share") == pytest.approx(1 / 3)
    assert cell(result, "AT11", "bio", "lq") == pytest.approx(0.1 / (200 / 1500))


def test_region_without_total_row_gets_nan_lq():
    result = compute_cluster_indicators(make_cells(), make_totals({"AT11": 1000.0, "AT12": 500.0}))
    assert np.isnan(cell(result, "BE10", "bio", "lq"))


def test_reference_set_restricts_the_benchmark():
    result = compute_cluster_indicators(make_cells(), make_totals(), reference_countries=["AT"])
    assert not cell(result, "BE10", "bio", "is_in_reference_set")
    # Europe = AT: bio E_i = 200, E = 1500; BE10 is measured against it.
    assert cell(result, "BE10", "bio", "lq") == pytest.approx(0.25 / (200 / 1500))
    assert cell(result, "BE10", "bio", "size_share") == pytest.approx(0.5)
    assert pd.isna(cell(result, "BE10", "bio", "size_rank"))
    assert result.loc[result["is_in_reference_set"], "country_code"].unique().tolist() == ["AT"]


def test_reference_set_description_names_countries_and_regions():
    text = reference_set_description(make_cells(), level=2)
    assert "2 countries (AT, BE), 3 regions" in text


def test_aggregates_and_extra_regio_are_never_reference():
    employment = {**EMPLOYMENT, ("ATZZ", "auto"): 5.0, ("ATZZ", "bio"): 5.0}
    cells = make_cells(employment)
    result = compute_cluster_indicators(cells, make_totals({**TOTALS, "ATZZ": 10.0}))
    assert not cell(result, "ATZZ", "auto", "is_in_reference_set")
    assert cell(result, "AT11", "auto", "size_share") == pytest.approx(0.8)
    national = make_cells({("AT", "auto"): 250.0, ("EU28", "auto"): 999.0}, level=0)
    assert resolve_reference_countries(national, level=0) == ["AT"]


def test_emerging_industries_keep_their_type_and_share_the_region_total():
    cells = pd.concat(
        [
            make_cells(),
            make_cells(
                {("AT11", "blue"): 300.0, ("AT12", "blue"): 0.0, ("BE10", "blue"): 100.0},
                category_type="emerging",
            ),
        ]
    )
    result = compute_cluster_indicators(cells, make_totals())
    assert cell(result, "AT11", "blue", "category_type") == "emerging"
    assert cell(result, "AT11", "blue", "lq") == pytest.approx(0.3 / (400 / 1900))
    assert cell(result, "AT11", "auto", "lq") == pytest.approx(0.2 / (250 / 1900))


def test_small_base_flag():
    result = compute_cluster_indicators(make_cells(), make_totals(), small_base_floor=100)
    assert cell(result, "AT12", "auto", "is_small_base")
    assert not cell(result, "AT11", "bio", "is_small_base")  # 100 is not below 100


def test_productivity_not_available_without_wages(indicators):
    assert indicators["wage_per_employee_eur"].isna().all()
    assert set(indicators["productivity_status"]) == {STATUS_NO_WAGES}
    assert indicators["employment_growth_pct"].isna().all()
    assert set(indicators["dynamism_status"]) == {STATUS_SINGLE_YEAR}


def test_wage_per_employee_when_wages_are_given():
    wages = pd.DataFrame(
        {
            "region_code": ["AT11", "AT12"],
            "category_code": ["auto", "auto"],
            "year": 2015,
            "wages_eur": [6_000_000.0, np.nan],
        }
    )
    result = compute_cluster_indicators(make_cells(), make_totals(), wages=wages)
    assert cell(result, "AT11", "auto", "wage_per_employee_eur") == pytest.approx(30_000)
    assert cell(result, "AT11", "auto", "productivity_status") == STATUS_AVAILABLE
    assert np.isnan(cell(result, "AT12", "auto", "wage_per_employee_eur"))
    assert cell(result, "BE10", "auto", "productivity_status") == STATUS_WAGE_CELL_MISSING


def test_annual_growth_over_several_years():
    early = make_cells({("AT11", "auto"): 100.0, ("AT12", "auto"): 0.0}, year=2013)
    late = make_cells({("AT11", "auto"): 121.0, ("AT12", "auto"): 10.0}, year=2015)
    totals = pd.concat([make_totals(year=2013), make_totals(year=2015)])
    result = compute_cluster_indicators(pd.concat([early, late]), totals)
    assert cell(result, "AT11", "auto", "employment_growth_pct", 2015) == pytest.approx(10.0)
    assert cell(result, "AT11", "auto", "growth_base_year", 2015) == 2013
    assert cell(result, "AT11", "auto", "dynamism_status", 2013) == STATUS_BASE_YEAR
    assert np.isnan(cell(result, "AT11", "auto", "employment_growth_pct", 2013))  # not 0 %
    assert np.isnan(cell(result, "AT12", "auto", "employment_growth_pct", 2015))  # from zero
    windowed = compute_cluster_indicators(pd.concat([early, late]), totals, growth_window=1)
    assert cell(windowed, "AT11", "auto", "dynamism_status", 2015) == STATUS_BASE_YEAR_ABSENT


def test_structural_indicators_use_traded_stars_and_lq():
    rated = rate_stars(compute_cluster_indicators(make_cells(), make_totals()), "eco2008")
    structural = compute_structural_indicators(rated)
    share = structural[structural["indicator_code"] == "starred_cluster_employment_share_pct"]
    # eco2008: AT11 auto has 2 stars (size, focus); BE10 bio has 1 (focus); AT12 none.
    assert dict(zip(share["region_code"], share["value"], strict=True)) == pytest.approx(
        {"AT11": 20.0, "AT12": 0.0, "BE10": 25.0}
    )
    diversity = structural[structural["indicator_code"] == "specialisation_diversity"]
    assert diversity["value"].to_list() == [1.0, 1.0, 1.0]
    assert set(structural["dataset_code"]) == {"sbs_r_nuts06_r2"}
    assert set(structural["unit"]) == {"pct_employment", "n_categories"}


def test_structural_indicators_missing_total_stays_missing():
    totals = make_totals({**TOTALS, "AT12": np.nan})
    rated = rate_stars(compute_cluster_indicators(make_cells(), totals), "eco2008")
    structural = compute_structural_indicators(rated)
    share = structural[
        (structural["indicator_code"] == "starred_cluster_employment_share_pct")
        & (structural["region_code"] == "AT12")
    ]
    assert np.isnan(share["value"].iloc[0])
    diversity = structural[
        (structural["indicator_code"] == "specialisation_diversity")
        & (structural["region_code"] == "AT12")
    ]
    assert np.isnan(diversity["value"].iloc[0])


def test_missing_columns_name_the_table():
    with pytest.raises(DataSourceError, match=r"cluster_employment.*employment_persons"):
        compute_cluster_indicators(make_cells().drop(columns="employment_persons"), make_totals())


def test_duplicate_cells_are_rejected():
    cells = make_cells()
    with pytest.raises(DataSourceError, match="rows sharing the key"):
        compute_cluster_indicators(pd.concat([cells, cells.head(1)]), make_totals())


def test_unknown_level_and_country_list_valid_choices():
    with pytest.raises(UnknownCodeError, match=r"NUTS level .3.*2"):
        compute_cluster_indicators(make_cells(), make_totals(), level=3)
    with pytest.raises(UnknownCodeError, match=r"country .BG.*BE"):
        compute_cluster_indicators(make_cells(), make_totals(), reference_countries=["BG"])
    with pytest.raises(ObservatoryError, match="reference set is empty"):
        compute_cluster_indicators(make_cells(), make_totals(), reference_countries=[])


def test_bad_growth_window():
    cells = pd.concat([make_cells(year=2014), make_cells(year=2015)])
    totals = pd.concat([make_totals(year=2014), make_totals(year=2015)])
    with pytest.raises(ObservatoryError, match="growth_window"):
        compute_cluster_indicators(cells, totals, growth_window=0)


# --- properties on random frames -------------------------------------------------------------

persons = st.one_of(st.just(np.nan), st.just(0.0), st.floats(1, 1e5, allow_nan=False))


@st.composite
def random_inputs(draw):
    n_regions = draw(st.integers(1, 5))
    regions = [f"{'ABC'[i % 3]}{'ABC'[i % 3]}{i:02d}" for i in range(n_regions)]
    categories = ["c1", "c2"]
    employment = {(r, c): draw(persons) for r in regions for c in categories}
    totals = {
        r: draw(st.one_of(st.just(np.nan), st.floats(0, 1e4)))
        + np.nansum([employment[(r, c)] for c in categories])
        for r in regions
    }
    return make_cells(employment), make_totals(totals)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_inputs())
def test_properties_on_random_frames(inputs):
    cells, totals = inputs
    result = compute_cluster_indicators(cells, totals)
    missing = result["employment_persons"].isna()
    assert result.loc[missing, ["size_share", "lq", "focus_share"]].isna().all().all()
    for _, group in result.groupby("category_code"):
        known = group["size_share"].dropna()
        if group["employment_persons"].sum() > 0:
            assert known.sum() == pytest.approx(1.0)
        defined = group.dropna(subset=["lq"])
        if not defined.empty:
            weights = defined["region_employment_persons"]
            assert (defined["lq"] * weights).sum() / weights.sum() == pytest.approx(1.0)
    assert (result["lq"].dropna() >= 0).all()

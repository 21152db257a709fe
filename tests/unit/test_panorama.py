"""Panorama computations: region portfolio, category view, summary, bad selections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators.clusters import compute_cluster_indicators
from observatory_lib.indicators.panorama import category_view, panorama_summary, region_portfolio
from observatory_lib.indicators.stars import rate_stars

# Three regions; traded auto and bio, emerging blue (overlapping). Totals 1000, 500, 400.
# eco2008 stars (hand-computed in test_stars): AT11 auto 2, BE10 bio 1, others 0.
# blue: 300, 0, 100 -> size threshold 100 + 0.8 * 200 = 260 -> AT11; focus 0.3, 0, 0.25 ->
# threshold 0.25 + 0.8 * 0.05 = 0.29 -> AT11; LQ AT11 = 0.3 / (400 / 1900) = 1.425: 2 stars.
REGIONS = ["AT11", "AT12", "BE10"]
EMPLOYMENT = {
    ("auto", "traded"): [200.0, 50.0, 0.0],
    ("bio", "traded"): [100.0, 100.0, 100.0],
    ("blue", "emerging"): [300.0, 0.0, 100.0],
}


@pytest.fixture
def regions():
    return pd.DataFrame(
        {
            "region_code": REGIONS * 2,
            "region_name": ["Burgenland", "Niederösterreich", "Bruxelles"] + ["old"] * 3,
            "nuts_level": 2,
            "country_code": ["AT", "AT", "BE"] * 2,
            "nuts_edition": [2016] * 3 + [2021] * 3,
        }
    )


@pytest.fixture
def categories():
    return pd.DataFrame(
        {
            "category_code": ["auto", "bio", "blue", "coal"],
            "category_name": ["Automotive", "Biopharmaceuticals", "Blue growth", "Coal mining"],
            "category_type": ["traded", "traded", "emerging", "traded"],
        }
    )


@pytest.fixture
def rated():
    cells = pd.concat(
        [
            pd.DataFrame(
                {
                    "region_code": REGIONS,
                    "nuts_level": 2,
                    "category_code": category,
                    "category_type": category_type,
                    "year": 2015,
                    "employment_persons": values,
                    "is_derived_by_allocation": False,
                    "has_confidential_cells": False,
                    "nuts_edition": 2016,
                }
            )
            for (category, category_type), values in EMPLOYMENT.items()
        ]
    )
    totals = pd.DataFrame(
        {
            "region_code": REGIONS,
            "nuts_level": 2,
            "year": 2015,
            "employment_persons": [1000.0, 500.0, 400.0],
        }
    )
    return rate_stars(compute_cluster_indicators(cells, totals), "eco2008")


def test_region_portfolio_ranks_by_stars_then_lq(rated, regions, categories):
    portfolio = region_portfolio(rated, "AT11", regions, categories=categories)
    assert portfolio["category_code"].to_list() == ["auto", "blue", "bio"]
    assert portfolio["stars"].to_list() == [2, 2, 0]  # auto LQ 1.52 before blue LQ 1.425
    assert portfolio["rank_in_region"].to_list() == [1, 2, 3]
    assert set(portfolio["region_name"]) == {"Burgenland"}  # the 2016 edition's name
    assert portfolio["category_name"].iloc[0] == "Automotive"
    assert {"size_pass", "lq", "focus_share", "is_small_base"} <= set(portfolio.columns)


def test_region_portfolio_unknown_region_lists_nearest(rated, regions):
    with pytest.raises(UnknownCodeError, match=r"region 'AT13'.*AT11"):
        region_portfolio(rated, "AT13", regions)
    with pytest.raises(UnknownCodeError, match=r"year '2014'.*2015"):
        region_portfolio(rated, "AT11", regions, year=2014)


def test_category_view_table_leaders_and_map(rated, categories, regions):
    view = category_view(rated, "bio", categories, regions=regions)
    assert view.category_name == "Biopharmaceuticals"
    assert (view.nuts_level, view.year) == (2, 2015)
    assert view.table["region_code"].to_list() == ["BE10", "AT12", "AT11"]  # stars, then LQ
    assert view.leaders["region_code"].to_list() == ["BE10"]
    assert view.map_series.to_dict() == {"BE10": 1.0, "AT12": 0.0, "AT11": 0.0}
    lq_map = category_view(rated, "bio", categories, map_metric="lq").map_series
    assert lq_map["BE10"] == pytest.approx(0.25 / (300 / 1900))


def test_category_view_map_keeps_missing_as_nan(rated, categories):
    rated = rated.assign(stars=rated["stars"].mask(rated["region_code"] == "AT12"))
    series = category_view(rated, "auto", categories).map_series
    assert np.isnan(series["AT12"])


def test_category_view_bad_input(rated, categories):
    with pytest.raises(UnknownCodeError, match=r"category 'biopharma'.*bio"):
        category_view(rated, "biopharma", categories)
    with pytest.raises(ObservatoryError, match=r"No rated clusters for 'coal'.*auto, bio, blue"):
        category_view(rated, "coal", categories)
    with pytest.raises(UnknownCodeError, match="metric"):
        category_view(rated, "bio", categories, map_metric="colour")


def test_panorama_summary_by_region_and_country(rated, regions):
    summary = panorama_summary(rated, regions)
    by_region = summary.by_region.set_index("region_code")
    assert by_region.loc["AT11", "n_starred_clusters"] == 1  # traded only: blue is emerging
    assert by_region.loc["AT11", "starred_employment_share_pct"] == pytest.approx(20.0)
    assert by_region.loc["AT12", "starred_employment_share_pct"] == 0.0
    assert by_region.loc["BE10", "starred_employment_share_pct"] == pytest.approx(25.0)
    assert by_region.loc["AT11", "region_name"] == "Burgenland"
    by_country = summary.by_country.set_index("country_code")
    assert by_country.loc["AT", "n_regions"] == 2
    assert by_country.loc["AT", "n_starred_clusters"] == 1
    assert by_country.loc["AT", "starred_employment_share_pct"] == pytest.approx(200 / 1500 * 100)


def test_panorama_summary_leaders_and_emerging(rated, regions):
    summary = panorama_summary(rated, regions, n_leaders=2)
    leaders = summary.leaders
    assert leaders.loc[leaders["category_code"] == "auto", "region_code"].to_list() == ["AT11"]
    assert leaders.loc[leaders["category_code"] == "bio", "region_code"].to_list() == ["BE10"]
    emerging = summary.emerging.set_index("category_code")
    assert emerging.loc["blue", "n_starred_regions"] == 1
    assert emerging.loc["blue", "leading_region_code"] == "AT11"
    assert emerging.loc["blue", "employment_persons"] == 400.0


def test_panorama_summary_unknown_region_total_is_not_zero(rated, regions):
    rated = rated.assign(
        region_employment_persons=rated["region_employment_persons"].mask(
            rated["region_code"] == "AT12"
        )
    )
    summary = panorama_summary(rated, regions)
    assert np.isnan(
        summary.by_region.set_index("region_code").loc["AT12", "starred_employment_share_pct"]
    )
    # AT's share now uses AT11 only: 200 / 1000.
    by_country = summary.by_country.set_index("country_code")
    assert by_country.loc["AT", "starred_employment_share_pct"] == pytest.approx(20.0)
    assert by_country.loc["AT", "n_regions_with_total"] == 1
    assert by_country.loc["AT", "region_employment_persons"] == 1000.0


def test_panorama_summary_selections(rated, regions):
    only_be = panorama_summary(rated, regions, countries=["BE"])
    assert only_be.by_region["region_code"].to_list() == ["BE10"]
    with pytest.raises(UnknownCodeError, match=r"country 'DE'.*AT, BE"):
        panorama_summary(rated, regions, countries=["DE"])
    with pytest.raises(ObservatoryError, match=r"selection is empty.*AT, BE"):
        panorama_summary(rated, regions, countries=[])
    with pytest.raises(UnknownCodeError, match="NUTS level"):
        panorama_summary(rated, regions, level=1)
    with pytest.raises(ObservatoryError, match="rated table is empty"):
        panorama_summary(rated.head(0), regions)

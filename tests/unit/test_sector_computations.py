"""Sector-report computations: concentration, Gini, composition by NACE class, overlap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators.clusters import compute_cluster_indicators
from observatory_lib.indicators.panorama import (
    compute_category_composition,
    compute_category_overlap,
    compute_concentration,
    compute_concentrations,
    gini_coefficient,
)
from observatory_lib.indicators.stars import rate_stars

# auto: 600, 300, 100, 0 in four reference regions, unknown in DE12; NO01 is outside the
# reference set and ATZZ is extra-regio: neither counts.
REGIONS = ["AT11", "AT12", "BE10", "DE11", "DE12", "NO01", "ATZZ"]
AUTO = [600.0, 300.0, 100.0, 0.0, np.nan, 5000.0, 50.0]
TOTALS = [10_000.0, 8_000.0, 6_000.0, 4_000.0, 5_000.0, 9_000.0, 100.0]


def _rated(auto=AUTO, totals=TOTALS, regions=REGIONS):
    cells = pd.concat(
        [
            pd.DataFrame(
                {
                    "region_code": regions,
                    "nuts_level": 2,
                    "category_code": category,
                    "category_type": "traded",
                    "year": 2015,
                    "employment_persons": values,
                    "is_derived_by_allocation": True,
                    "has_confidential_cells": False,
                    "nuts_edition": 2016,
                }
            )
            for category, values in (("auto", auto), ("bio", [100.0] * len(regions)))
        ],
        ignore_index=True,
    )
    totals = pd.DataFrame(
        {"region_code": regions, "nuts_level": 2, "year": 2015, "employment_persons": totals}
    )
    indicators = compute_cluster_indicators(cells, totals, reference_countries=["AT", "BE", "DE"])
    return rate_stars(indicators, "eco2008")


@pytest.fixture
def rated():
    return _rated()


@pytest.fixture
def nace_classes():
    rows = [
        ("auto", "traded", "29.10", "C29", 0.25),
        ("auto", "traded", "29.20", "C29", 0.25),
        ("auto", "traded", "45.11", "G45", 1 / 6),
        ("fin", "traded", "64.11", "K64", 0.5),
        ("repair", "traded", "95.11", "S95", 0.5),
        ("repair", "traded", "96.01", "S96", 0.5),
        ("mob", "emerging", "29.10", "C29", 0.25),
        ("mob", "emerging", "30.30", "C30", 0.125),
        ("mob", "emerging", "45.11", "G45", 1 / 6),
        ("blue", "emerging", "30.11", "C30", 0.125),
        ("blue", "emerging", "30.30", "C30", 0.125),
    ]
    columns = ["category_code", "category_type", "nace_class", "nace_code", "allocation_share"]
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture
def nace_reference():
    divisions = {
        "29": ["29.10", "29.20", "29.31", "29.32"],
        "45": ["45.11", "45.19", "45.20", "45.31", "45.32", "45.40"],
        "64": ["64.11", "64.19"],
        "30": ["30.11", "30.12", "30.20", "30.30", "30.40", "30.91", "30.92", "30.99"],
        "95": ["95.11", "95.12"],
        "96": ["96.01", "96.02"],
    }
    rows = [
        (cls, division, "X", f"Title of {cls}")
        for division, classes in divisions.items()
        for cls in classes
    ]
    return pd.DataFrame(rows, columns=["nace_class", "nace_division", "nace_section", "title"])


@pytest.fixture
def categories():
    return pd.DataFrame(
        {
            "category_code": ["auto", "fin", "repair", "mob", "blue"],
            "category_name": ["Automotive", "Finance", "Repair", "Mobility", "Blue growth"],
            "category_type": ["traded", "traded", "traded", "emerging", "emerging"],
        }
    )


# --- concentration --------------------------------------------------------------------------


def test_concentration_measures_by_hand(rated):
    result = compute_concentration(rated, "auto", top_n=2)
    assert result.n_regions == 5  # AT11, AT12, BE10, DE11, DE12: not NO01 nor ATZZ
    assert result.n_regions_with_data == 4  # DE12 is unknown, never read as 0
    assert result.n_regions_with_employment == 3
    assert result.employment_persons == pytest.approx(1000)
    assert result.top_n_share == pytest.approx(0.9)
    assert result.herfindahl_index == pytest.approx(0.36 + 0.09 + 0.01)
    assert result.equivalent_regions == pytest.approx(1 / 0.46)
    # sorted 0, 100, 300, 600: G = 2 * 3500 / (4 * 1000) - 5 / 4
    assert result.gini == pytest.approx(0.5)
    assert (result.nuts_level, result.year) == (2, 2015)


def test_concentration_top_n_beyond_regions_is_the_whole(rated):
    assert compute_concentration(rated, "auto", top_n=50).top_n_share == pytest.approx(1.0)


def test_concentration_table_is_tidy(rated):
    table = compute_concentration(rated, "auto").table()
    assert list(table.columns) == ["measure_code", "label", "value", "unit"]
    values = table.set_index("measure_code")["value"]
    assert values["gini"] == pytest.approx(0.5)
    assert values["n_regions"] == 5


def test_concentration_without_known_employment_is_missing_not_zero():
    rated = _rated(auto=[np.nan] * len(REGIONS))
    result = compute_concentration(rated, "auto")
    assert result.n_regions_with_data == 0
    for value in (
        result.employment_persons,
        result.top_n_share,
        result.herfindahl_index,
        result.equivalent_regions,
        result.gini,
    ):
        assert np.isnan(value)


def test_concentration_all_zero_employment_is_missing():
    result = compute_concentration(_rated(auto=[0.0] * len(REGIONS)), "auto")
    assert result.n_regions_with_data == 5
    assert np.isnan(result.herfindahl_index) and np.isnan(result.gini)


def test_concentration_unknown_category_lists_nearest(rated):
    with pytest.raises(UnknownCodeError, match="auto"):
        compute_concentration(rated, "autos")


def test_concentration_unknown_level_and_year(rated):
    with pytest.raises(UnknownCodeError, match="2015"):
        compute_concentration(rated, "auto", year=2014)
    with pytest.raises(UnknownCodeError, match="NUTS level"):
        compute_concentration(rated, "auto", level=1)


def test_concentration_rejects_top_n_below_one(rated):
    with pytest.raises(ObservatoryError, match="top_n"):
        compute_concentration(rated, "auto", top_n=0)


def test_concentrations_of_every_category_and_year_equal_one_call_each(rated):
    two_years = pd.concat([rated, rated.assign(year=2014, employment_persons=2.0)])
    found = compute_concentrations(two_years, top_n=2)
    keys = [(one.year, one.category_code) for one in found]
    pairs = two_years[["year", "category_code"]].drop_duplicates()
    assert keys == sorted((int(year), code) for year, code in pairs.itertuples(index=False))
    for one in found:
        alone = compute_concentration(two_years, one.category_code, year=one.year, top_n=2)
        assert one.table().equals(alone.table())
        assert (one.nuts_level, one.year) == (alone.nuts_level, alone.year)


def test_concentrations_check_level_and_top_n(rated):
    with pytest.raises(UnknownCodeError, match="NUTS level"):
        compute_concentrations(rated, level=1)
    with pytest.raises(ObservatoryError, match="top_n"):
        compute_concentrations(rated, top_n=0)


# --- Gini -----------------------------------------------------------------------------------


def test_gini_simple_cases():
    assert gini_coefficient([5.0, 5.0, 5.0]) == pytest.approx(0.0)
    assert gini_coefficient([0.0, 0.0, 0.0, 10.0]) == pytest.approx(0.75)
    assert gini_coefficient([7.0]) == pytest.approx(0.0)
    assert gini_coefficient([1.0, np.nan, 1.0]) == pytest.approx(0.0)
    assert np.isnan(gini_coefficient([]))
    assert np.isnan(gini_coefficient([0.0, 0.0]))


def test_gini_rejects_negative_values():
    with pytest.raises(ObservatoryError, match="non-negative"):
        gini_coefficient([1.0, -2.0])


@given(
    st.lists(
        st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=1, max_size=40
    ).filter(lambda values: sum(values) > 1e-3),
    st.floats(min_value=0.01, max_value=100),
)
def test_gini_matches_pairwise_definition_and_is_scale_free(values, scale):
    numbers = np.asarray(values)
    n = numbers.size
    pairwise = np.abs(numbers[:, None] - numbers[None, :]).sum() / (2 * n * n * numbers.mean())
    gini = gini_coefficient(numbers)
    assert gini == pytest.approx(pairwise, abs=1e-9)
    assert -1e-12 <= gini <= 1 - 1 / n + 1e-9
    assert gini_coefficient(numbers * scale) == pytest.approx(gini, abs=1e-9)


# --- composition ----------------------------------------------------------------------------


def test_composition_classes_and_divisions(nace_classes, nace_reference):
    composition = compute_category_composition(nace_classes, "auto", nace_reference=nace_reference)
    classes = composition.classes
    assert classes["nace_class"].tolist() == ["29.10", "29.20", "45.11"]
    assert classes["title"].tolist()[0] == "Title of 29.10"
    assert classes["is_in_sbs_scope"].all()
    divisions = composition.divisions.set_index("nace_code")
    assert divisions.loc["C29", "n_classes_in_category"] == 2
    assert divisions.loc["C29", "n_classes_in_division"] == 4
    assert divisions.loc["C29", "allocated_share"] == pytest.approx(0.5)
    assert divisions.loc["G45", "allocated_share"] == pytest.approx(1 / 6)
    assert divisions.loc["G45", "nace_section"] == "G"


def test_composition_without_reference_uses_allocation_share(nace_classes):
    composition = compute_category_composition(nace_classes, "auto")
    assert composition.classes["title"].isna().all()
    divisions = composition.divisions.set_index("nace_code")
    assert divisions.loc["G45", "n_classes_in_division"] == 6


def test_composition_flags_classes_outside_sbs_scope(nace_classes, nace_reference):
    finance = compute_category_composition(nace_classes, "fin", nace_reference=nace_reference)
    assert not finance.classes["is_in_sbs_scope"].any()
    assert not finance.divisions["is_in_sbs_scope"].any()
    repair = compute_category_composition(nace_classes, "repair", nace_reference=nace_reference)
    scope = repair.classes.set_index("nace_class")["is_in_sbs_scope"]
    assert scope["95.11"]  # S95 is the one division of section S in regional SBS
    assert not scope["96.01"]


def test_composition_unknown_category(nace_classes):
    with pytest.raises(UnknownCodeError, match="auto"):
        compute_category_composition(nace_classes, "autos")


# --- overlap --------------------------------------------------------------------------------


def test_overlap_of_a_traded_category_with_emerging_industries(nace_classes, categories):
    overlap = compute_category_overlap(nace_classes, "auto", categories)
    assert overlap["category_code"].tolist() == ["mob"]
    row = overlap.iloc[0]
    assert row["n_shared_classes"] == 2
    assert row["shared_classes"] == "29.10, 45.11"
    assert row["shared_share_of_category"] == pytest.approx(2 / 3)
    assert row["shared_share_of_other"] == pytest.approx(2 / 3)
    assert row["category_name"] == "Mobility"


def test_overlap_of_an_emerging_industry_excludes_itself(nace_classes, categories):
    emerging = compute_category_overlap(nace_classes, "mob", categories)
    assert emerging["category_code"].tolist() == ["blue"]
    assert emerging.iloc[0]["shared_classes"] == "30.30"
    traded = compute_category_overlap(nace_classes, "mob", categories, against="traded")
    assert traded["category_code"].tolist() == ["auto"]


def test_overlap_empty_keeps_columns(nace_classes, categories):
    overlap = compute_category_overlap(nace_classes, "fin", categories)
    assert overlap.empty
    assert "shared_classes" in overlap.columns and "n_shared_classes" in overlap.columns


def test_overlap_bad_input(nace_classes, categories):
    with pytest.raises(UnknownCodeError, match="emerging"):
        compute_category_overlap(nace_classes, "auto", categories, against="emergent")
    with pytest.raises(UnknownCodeError, match="auto"):
        compute_category_overlap(nace_classes, "autos", categories)

"""Change over time, hand-computed on small inline frames: growth, wage ratios, local units,
shift-share, star transitions, breaks, trends and the long panel."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators import change
from observatory_lib.indicators.clusters import (
    STATUS_SERIES_BREAK,
    compute_cluster_indicators,
    series_break_between,
)
from observatory_lib.indicators.stars import rate_stars

# Two years, three regions (AT11, AT12, BE10), two categories (auto, bio).
#              2011: auto  bio | total      2015: auto  bio | total
#   AT11            100   200  |  1000            121   180  |  1100
#   AT12            400   100  |   800            400   150  |   900
#   BE10             50    50  |   500             50    70  |   500
# Europe's total: 2300 -> 2500 (+8.696 %); auto 550 -> 571 (+3.818 %); bio 350 -> 400 (+14.29 %).
CELLS = {
    2011: {("AT11", "auto"): 100.0, ("AT12", "auto"): 400.0, ("BE10", "auto"): 50.0,
           ("AT11", "bio"): 200.0, ("AT12", "bio"): 100.0, ("BE10", "bio"): 50.0},
    2015: {("AT11", "auto"): 121.0, ("AT12", "auto"): 400.0, ("BE10", "auto"): 50.0,
           ("AT11", "bio"): 180.0, ("AT12", "bio"): 150.0, ("BE10", "bio"): 70.0},
}  # fmt: skip
TOTALS = {
    2011: {"AT11": 1000.0, "AT12": 800.0, "BE10": 500.0},
    2015: {"AT11": 1100.0, "AT12": 900.0, "BE10": 500.0},
}
WAGES = {("AT11", "auto"): 6.05e6, ("AT12", "auto"): 12e6, ("BE10", "auto"): 1e6}  # 2015 only


def _cells(flags: dict | None = None, wages: bool = True) -> pd.DataFrame:
    rows = []
    for year, cells in CELLS.items():
        for (region, category), persons in cells.items():
            wage = WAGES.get((region, category), np.nan) if year == 2015 and wages else np.nan
            rows.append(
                {
                    "region_code": region,
                    "nuts_level": 2,
                    "category_code": category,
                    "category_type": "traded",
                    "year": year,
                    "employment_persons": persons,
                    "wages_eur": wage,
                    "local_units": 10.0 if category == "auto" else np.nan,
                    "flag": (flags or {}).get((region, category, year)),
                    "is_derived_by_allocation": True,
                    "has_confidential_cells": False,
                }
            )
    return pd.DataFrame(rows).astype({"flag": "str"})


def _totals() -> pd.DataFrame:
    rows = [
        {"region_code": region, "nuts_level": 2, "year": year, "employment_persons": total}
        for year, totals in TOTALS.items()
        for region, total in totals.items()
    ]
    return pd.DataFrame(rows)


def _indicators(flags: dict | None = None) -> pd.DataFrame:
    return compute_cluster_indicators(_cells(flags), _totals(), growth_window=4)


def _get(frame: pd.DataFrame, region: str, category: str, column: str, year: int | None = None):
    rows = frame[(frame["region_code"] == region) & (frame["category_code"] == category)]
    if year is not None and "year" in rows.columns:
        rows = rows[rows["year"] == year]
    assert len(rows) == 1, rows
    return rows[column].iloc[0]


def test_compound_annual_growth_by_hand():
    indicators = _indicators()
    # 100 -> 121 over four years: (1.21) ** (1/4) - 1 = 4.881 % a year
    assert _get(indicators, "AT11", "auto", "employment_growth_pct", 2015) == pytest.approx(
        (1.21**0.25 - 1) * 100
    )
    assert _get(indicators, "AT11", "auto", "growth_base_year", 2015) == 2011
    assert _get(indicators, "AT12", "auto", "employment_growth_pct", 2015) == pytest.approx(0.0)
    assert not _get(indicators, "AT11", "auto", "growth_spans_break", 2015)


def test_wages_per_person_and_relative_to_europe_by_hand():
    indicators = _indicators()
    # auto 2015: AT11 6.05 M / 121 = 50,000; AT12 12 M / 400 = 30,000; BE10 1 M / 50 = 20,000
    assert _get(indicators, "AT11", "auto", "wage_per_employee_eur", 2015) == pytest.approx(50_000)
    # Europe: 19.05 M / 571 persons = 33,362.5 per person -> AT11 = 149.87, BE10 = 59.95
    europe = 19.05e6 / 571
    assert _get(indicators, "AT11", "auto", "relative_wage_index", 2015) == pytest.approx(
        100 * 50_000 / europe
    )
    assert _get(indicators, "BE10", "auto", "relative_wage_index", 2015) == pytest.approx(
        100 * 20_000 / europe
    )
    # no wages for bio: missing, never 0
    assert math.isnan(_get(indicators, "AT11", "bio", "relative_wage_index", 2015))
    assert _get(indicators, "AT12", "auto", "persons_per_local_unit", 2015) == pytest.approx(40.0)
    assert math.isnan(_get(indicators, "AT12", "bio", "persons_per_local_unit", 2015))


def test_a_growth_across_a_break_is_flagged_and_not_computed():
    flags = {("AT11", "auto", 2015): "b"}  # break in series in 2015
    indicators = _indicators(flags)
    assert math.isnan(_get(indicators, "AT11", "auto", "employment_growth_pct", 2015))
    assert _get(indicators, "AT11", "auto", "growth_spans_break", 2015)
    assert _get(indicators, "AT11", "auto", "dynamism_status", 2015) == STATUS_SERIES_BREAK
    # the other cells are untouched
    assert not math.isnan(_get(indicators, "AT12", "auto", "employment_growth_pct", 2015))


def test_break_rules_b_after_the_start_and_d_in_some_years_only():
    frame = pd.DataFrame(
        {
            "region_code": "R",
            "category_code": "c",
            "year": [2011, 2012, 2013, 2014, 2015],
            "flag": ["b", None, "d", "d", None],
        }
    ).astype({"flag": "str"})
    start = np.full(5, 2011)
    # b in the start year itself is no break after it; d in some years of the window is one
    assert series_break_between(frame, start).tolist() == [False, False, True, True, True]
    both_d = frame.assign(flag=["d", "d", "d", "d", "d"])
    assert not series_break_between(both_d, start).any()
    # the workbook's 'invalid' marker is not a 'd'
    invalid = frame.assign(flag=[None, None, "invalid", None, None])
    assert not series_break_between(invalid, start).any()


def test_shift_share_by_hand_and_its_components_add_up():
    table = change.compute_shift_share(_indicators(), 2011, 2015)
    europe = 2500 / 2300 - 1
    auto = 571 / 550 - 1
    row = table.set_index(["region_code", "category_code"]).loc[("AT11", "auto")]
    assert row["actual_change"] == 21.0
    assert row["european_growth_component"] == pytest.approx(100 * europe)
    assert row["category_mix_component"] == pytest.approx(100 * (auto - europe))
    assert row["regional_component"] == pytest.approx(21 - 100 * auto)
    assert row["expected_change"] == pytest.approx(100 * auto)
    assert row["european_growth_pct"] == pytest.approx(100 * europe)
    parts = table[["european_growth_component", "category_mix_component", "regional_component"]]
    assert np.allclose(parts.sum(axis=1), table["actual_change"])
    assert set(table["status"]) == {change.STATUS_AVAILABLE}


def test_shift_share_across_a_break_is_not_computed():
    flags = {("AT12", "bio", 2015): "b"}
    table = change.compute_shift_share(_indicators(flags), 2011, 2015).set_index(
        ["region_code", "category_code"]
    )
    assert table.loc[("AT12", "bio"), "status"] == change.STATUS_BREAK
    assert math.isnan(table.loc[("AT12", "bio"), "actual_change"])
    assert table.loc[("AT12", "bio"), "spans_break"]
    # the benchmark leaves the broken cell out: bio grows 250 -> 250 over AT11 and BE10
    assert table.loc[("AT11", "bio"), "category_growth_pct"] == pytest.approx(0.0)


def test_star_transitions_name_the_criterion_that_flipped():
    rated = rate_stars(_indicators(), "eco2008")
    transitions = change.compute_star_transitions(rated, 2011, 2015).set_index(
        ["region_code", "category_code"]
    )
    # focus (top 10 %): AT11 bio 0.2 -> 0.164 loses the focus star to AT12 bio 0.125 -> 0.167
    before = rated.query("year == 2011 and region_code == 'AT11' and category_code == 'bio'")
    after = rated.query("year == 2015 and region_code == 'AT11' and category_code == 'bio'")
    assert bool(before["focus_pass"].iloc[0]) and not bool(after["focus_pass"].iloc[0])
    assert transitions.loc[("AT11", "bio"), "criteria_lost"] == "focus"
    assert transitions.loc[("AT12", "bio"), "criteria_gained"] == "focus"
    counts = transitions["transition"].value_counts().to_dict()
    assert set(counts) <= {"gained", "lost", "kept", "not rated"}
    row = transitions.loc[("AT11", "bio")]
    expected = "lost" if row["stars_end"] < row["stars_start"] else "kept"
    assert row["transition"] == expected
    assert row["criteria_compared"] == "size, specialisation, focus"


def test_transitions_compare_only_the_criteria_judged_in_both_years():
    rated = rate_stars(_indicators(), "panorama4")
    transitions = change.compute_star_transitions(rated, 2011, 2015)
    # dynamism needs a base year: not judged in 2011; productivity has no wages in 2011
    assert set(transitions["criteria_compared"]) == {"size, specialisation"}
    assert set(transitions["stars_compared_out_of"]) == {2}


def test_category_trends_on_constant_regions():
    trends = change.compute_category_trends(_indicators(), 2011, 2015).set_index(
        ["category_code", "year"]
    )
    assert trends.loc[("auto", 2015), "employment_persons"] == 571.0
    assert trends.loc[("auto", 2015), "employment_index"] == pytest.approx(100 * 571 / 550)
    assert trends.loc[("auto", 2011), "n_regions"] == 3
    # a region unknown in one year leaves the constant set of its category
    cells = _cells()
    cells.loc[(cells["region_code"] == "BE10") & (cells["year"] == 2011), "employment_persons"] = (
        np.nan
    )
    trends = change.compute_category_trends(
        compute_cluster_indicators(cells, _totals(), growth_window=4), 2011, 2015
    ).set_index(["category_code", "year"])
    assert trends.loc[("auto", 2015), "employment_persons"] == 521.0
    assert trends.loc[("auto", 2015), "n_regions"] == 2


def test_europe_change_counts_regions_and_star_moves():
    indicators = _indicators()
    rated = rate_stars(indicators, "eco2008")
    summary = change.compute_europe_change(
        change.compute_shift_share(indicators, 2011, 2015),
        change.compute_star_transitions(rated, 2011, 2015),
        change.compute_category_trends(indicators, 2011, 2015),
    ).set_index("category_code")
    assert summary.loc["bio", "employment_cagr_pct"] == pytest.approx(
        ((400 / 350) ** 0.25 - 1) * 100
    )
    assert summary.loc["auto", "n_regions_growing"] == 1  # AT11 only
    assert summary.loc["bio", "n_regions_growing"] == 2
    moves = summary[["n_stars_gained", "n_stars_lost", "n_kept"]].sum(axis=1)
    assert (moves == 3).all()


def test_long_panel_has_one_row_per_region_category_year_indicator():
    rated = rate_stars(_indicators(), "eco2008")
    panel = change.to_long_panel(rated)
    assert list(panel.columns) == change.PANEL_COLUMNS
    assert not panel.duplicated(["region_code", "category_code", "year", "indicator_code"]).any()
    assert len(panel) == len(rated) * len(
        [c for c in change.PANEL_INDICATORS if c in rated.columns]
    )
    wage = panel.query(
        "region_code == 'AT11' and category_code == 'auto' and year == 2015 "
        "and indicator_code == 'wage_per_employee_eur'"
    )
    assert wage["value"].iloc[0] == pytest.approx(50_000) and wage["unit"].iloc[0] == (
        "eur_per_person"
    )


def test_bad_years_are_refused_with_the_valid_ones():
    indicators = _indicators()
    with pytest.raises(ObservatoryError, match="must come before"):
        change.compute_shift_share(indicators, 2015, 2011)
    with pytest.raises(UnknownCodeError, match=r"2013.*2015, 2011"):
        change.compute_shift_share(indicators, 2013, 2015)


def test_a_cell_estimated_from_suppressed_cells_is_not_compared_over_time():
    cells = _cells()
    estimated = (cells["region_code"] == "AT12") & (cells["category_code"] == "bio")
    cells.loc[estimated & (cells["year"] == 2011), "has_confidential_cells"] = True
    indicators = compute_cluster_indicators(cells, _totals(), growth_window=4)
    assert math.isnan(_get(indicators, "AT12", "bio", "employment_growth_pct", 2015))
    assert "estimated" in _get(indicators, "AT12", "bio", "dynamism_status", 2015)
    table = change.compute_shift_share(indicators, 2011, 2015).set_index(
        ["region_code", "category_code"]
    )
    assert table.loc[("AT12", "bio"), "status"] == change.STATUS_ESTIMATED
    assert math.isnan(table.loc[("AT12", "bio"), "regional_component"])
    trends = change.compute_category_trends(indicators, 2011, 2015).set_index(
        ["category_code", "year"]
    )
    assert trends.loc[("bio", 2015), "n_regions"] == 2  # AT12 leaves the constant set

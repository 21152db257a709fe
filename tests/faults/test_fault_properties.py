"""Hostile frames for the public indicator functions (hypothesis).

``compute_cluster_indicators``, ``rate_stars`` and ``compute_scoreboard`` get random frames
with missing values, zeros, negative values, single regions, several years and countries and
random options. Whatever they get, they either return or raise an ``ObservatoryError``
(never another exception), keep missing inputs missing, and keep their outputs in range:
LQ >= 0 and finite, shares within 0-1, stars within 0 and the criteria available, scores
within 0-100. The hand-computed examples and the finer invariants (LQ mean 1, monotonicity,
unit invariance) live in tests/unit/test_clusters.py, test_stars.py and test_scoreboard.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators.clusters import compute_cluster_indicators
from observatory_lib.indicators.framework import parse_framework
from observatory_lib.indicators.scoreboard import compute_scoreboard
from observatory_lib.indicators.stars import list_star_presets, rate_stars

PROPERTIES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
REGIONS = ["AT11", "AT12", "BE10", "BE21", "CZ01", "DE11"]
CATEGORIES = ["auto", "bio", "blue"]

amount = st.one_of(
    st.just(np.nan), st.just(0.0), st.floats(1e-3, 1e7, allow_nan=False, allow_infinity=False)
)


# --- cluster indicators and stars ------------------------------------------------------------


@st.composite
def cluster_inputs(draw):
    """cluster_employment and region_employment_totals frames, often inconsistent."""
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=6, unique=True))
    categories = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True))
    years = draw(st.lists(st.integers(2010, 2016), min_size=1, max_size=3, unique=True))
    cells = [
        {
            "region_code": region,
            "nuts_level": 2,
            "category_code": category,
            "category_type": "emerging" if category == "blue" else "traded",
            "year": year,
            "employment_persons": draw(amount),
            "is_derived_by_allocation": True,
            "has_confidential_cells": draw(st.booleans()),
        }
        for region in regions
        for category in categories
        for year in years
    ]
    totals = [
        {
            "region_code": region,
            "nuts_level": 2,
            "year": year,
            "employment_persons": draw(amount),
        }
        for region in regions
        for year in years
        if draw(st.integers(0, 9))  # now and then a region total is absent altogether
    ]
    totals_frame = pd.DataFrame(
        totals, columns=["region_code", "nuts_level", "year", "employment_persons"]
    )
    return pd.DataFrame(cells), totals_frame


@st.composite
def cluster_options(draw):
    countries = sorted({code[:2] for code in REGIONS})
    reference = draw(st.one_of(st.none(), st.lists(st.sampled_from(countries), min_size=1)))
    return {
        "reference_countries": reference,
        "small_base_floor": draw(st.sampled_from([0.0, 1000.0])),
        "growth_window": draw(st.one_of(st.none(), st.integers(1, 4))),
    }


def _indicators_or_observatory_error(cells, totals, options):
    try:
        return compute_cluster_indicators(cells, totals, **options)
    except ObservatoryError:  # e.g. a reference country without data: a clear refusal
        return None


@PROPERTIES
@given(cluster_inputs(), cluster_options())
def test_cluster_indicators_keep_missing_missing_and_lq_non_negative(inputs, options):
    cells, totals = inputs
    result = _indicators_or_observatory_error(cells, totals, options)
    if result is None:
        return
    assert len(result) == len(cells)
    measures = ["size_share", "lq", "focus_share"]
    missing = result["employment_persons"].isna()
    assert result.loc[missing, measures].isna().all().all()
    no_total = result["region_employment_persons"].isna()
    assert result.loc[no_total, ["lq", "focus_share"]].isna().all().all()
    for column in measures:
        values = result[column].dropna().to_numpy(dtype=float)
        assert np.isfinite(values).all(), column  # never inf from a zero denominator
        assert (values >= 0).all(), column
    # a share of the reference set's employment: above 1 only outside the reference set
    in_reference = result[result["is_in_reference_set"]]
    assert (in_reference["size_share"].dropna() <= 1 + 1e-9).all()
    growth = result["employment_growth_pct"].dropna().to_numpy(dtype=float)
    assert np.isfinite(growth).all()


@PROPERTIES
@given(cluster_inputs(), st.sampled_from(list_star_presets()))
def test_stars_stay_within_the_criteria_and_missing_cells_get_none(inputs, preset):
    cells, totals = inputs
    indicators = _indicators_or_observatory_error(cells, totals, {})
    if indicators is None:
        return
    try:
        rated = rate_stars(indicators, preset)
    except ObservatoryError:
        return
    missing = rated["employment_persons"].isna()
    assert rated.loc[missing, "stars"].isna().all()
    stars = rated["stars"].astype("Float64")
    known = stars.notna()
    assert (stars[known] >= 0).all()
    assert (stars[known] <= rated.loc[known, "stars_out_of"]).all()


def test_stars_refuse_a_frame_without_the_indicator_columns_clearly():
    with pytest.raises(ObservatoryError):
        rate_stars(pd.DataFrame({"region_code": ["AT11"]}), "eco2008")


# --- the composite scoreboard -----------------------------------------------------------------

FRAMEWORK = """
dimensions:
  - id: first
    label: First
    subdimensions:
      - id: first_sub
        label: First sub
        indicators:
          - {id: a, label: A, unit: pct, dataset: x, direction: '+', transform: log,
             reference_year: {target: 2015, max_lag: 1}}
          - {id: b, label: B, unit: pct, dataset: x, direction: '-', transform: none,
             reference_year: {target: 2015, max_lag: 1}}
  - id: second
    label: Second
    subdimensions:
      - id: second_sub
        label: Second sub
        indicators:
          - {id: c, label: C, unit: pct, dataset: x, direction: '+', transform: sqrt,
             reference_year: {target: 2015, max_lag: 0}}
"""
INDICATORS = ("a", "b", "c")
positive = st.floats(1e-3, 1e6, allow_nan=False, allow_infinity=False)
# per indicator: missing (no row), zeros and, for 'b' (no transform), negative values; now
# and then a zero for 'a' (log) checks that an impossible transform is a clear refusal
VALUES = {
    "a": st.one_of(st.just(np.nan), positive),
    "b": st.one_of(st.just(np.nan), st.just(0.0), st.floats(-50, 50), positive),
    "c": st.one_of(st.just(np.nan), st.just(0.0), positive),
}


@st.composite
def scoreboard_inputs(draw):
    n = draw(st.integers(1, 8))
    codes = [f"AA{i:02d}" if i % 2 else f"BB{i:02d}" for i in range(n)]
    rows = []
    for code in codes:
        for indicator in INDICATORS:
            number = draw(VALUES[indicator])
            if indicator == "a" and draw(st.integers(0, 30)) == 30:
                number = 0.0
            if not math.isnan(number):
                year = draw(st.sampled_from([2013, 2014, 2015]))
                rows.append((code, 2, indicator, year, number, "pct", None, "x"))
    columns = ["region_code", "nuts_level", "indicator_code", "year", "value", "unit", "flag"]
    values = pd.DataFrame(rows, columns=[*columns, "dataset_code"])
    regions = pd.DataFrame(
        {
            "region_code": codes,
            "region_name": [f"Region {c}" for c in codes],
            "nuts_level": 2,
            "country_code": [c[:2] for c in codes],
            "nuts_edition": 2016,
        }
    )
    return values, regions


scoreboard_options = st.fixed_dictionaries(
    {
        "normalisation": st.sampled_from(["minmax", "zscore"]),
        "aggregation": st.sampled_from(["arithmetic", "geometric"]),
        "reference_countries": st.sampled_from([None, ["AA"], ["BB"]]),
        "outlier_sd": st.sampled_from([None, 1.0, 3.0]),
        "min_coverage": st.sampled_from([0.25, 0.5, 1.0]),
    }
)


@pytest.fixture(scope="module")
def framework():
    return parse_framework(FRAMEWORK)


@PROPERTIES
@given(inputs=scoreboard_inputs(), options=scoreboard_options)
def test_scoreboard_scores_stay_within_0_and_100_and_missing_stays_missing(
    framework, inputs, options
):
    values, regions = inputs
    try:
        result = compute_scoreboard(values, framework, regions, **options)
    except ObservatoryError:  # e.g. a reference set without data: a clear refusal
        return
    frames = (
        result.indicator_scores,
        result.subdimension_scores,
        result.dimension_scores,
        result.overall,
    )
    for frame in frames:
        scores = frame["score"].dropna().to_numpy(dtype=float)
        assert np.isfinite(scores).all()
        assert ((scores >= -1e-9) & (scores <= 100 + 1e-9)).all()
    scored = result.indicator_scores
    assert scored.loc[scored["value"].isna(), "score"].isna().all()
    no_data = set(regions["region_code"]) - set(values["region_code"])
    overall = result.overall.set_index("region_code")["score"]
    assert overall.reindex(sorted(no_data)).isna().all()

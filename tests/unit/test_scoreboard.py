"""The composite-indicator engine: hand-computed examples and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatory_lib.errors import (
    ConfigError,
    DataSourceError,
    ObservatoryError,
    UnknownCodeError,
)
from observatory_lib.indicators.framework import load_framework, parse_framework
from observatory_lib.indicators.scoreboard import (
    EU27_2020_COUNTRIES,
    EU28_COUNTRIES,
    classify_performance,
    compute_scoreboard,
    select_indicator_values,
)

TWO_INDICATORS = """
name: Tiny
dimensions:
  - id: dim
    label: Dimension
    subdimensions:
      - id: sub
        label: Sub
        indicators:
          - {id: a, label: A, unit: pct, dataset: x, direction: '+', transform: none,
             reference_year: {target: 2015, max_lag: 1}}
          - {id: b, label: B, unit: pct, dataset: x, direction: '-', transform: none,
             reference_year: {target: 2015, max_lag: 1}}
"""

TWO_DIMENSIONS = """
dimensions:
  - id: first
    label: First
    subdimensions:
      - id: first_sub
        label: First sub
        indicators:
          - {id: a, label: A, unit: pct, dataset: x, direction: '+', transform: TRANSFORM_A,
             reference_year: {target: 2015, max_lag: 0}}
          - {id: b, label: B, unit: pct, dataset: x, direction: '-', transform: none,
             reference_year: {target: 2015, max_lag: 0}}
  - id: second
    label: Second
    subdimensions:
      - id: second_sub
        label: Second sub
        indicators:
          - {id: c, label: C, unit: pct, dataset: x, direction: '+', transform: sqrt,
             reference_year: {target: 2015, max_lag: 0}}
"""


def _indicators(values: dict[str, list[float]], years=None, regions=None) -> pd.DataFrame:
    """Long frame: values[code][i] is region i's value (NaN rows are left out)."""
    regions = regions or [f"R{i + 1}" for i in range(len(next(iter(values.values()))))]
    rows = []
    for code, column in values.items():
        for index, (region, value) in enumerate(zip(regions, column, strict=True)):
            year = years[code][index] if years and code in years else 2015
            if not math.isnan(value):
                rows.append((region, 2, code, year, float(value), "pct", None, "x"))
    columns = ["region_code", "nuts_level", "indicator_code", "year", "value", "unit", "flag"]
    return pd.DataFrame(rows, columns=[*columns, "dataset_code"])


def _regions(codes, countries=None) -> pd.DataFrame:
    countries = countries or ["AA"] * len(codes)
    return pd.DataFrame(
        {
            "region_code": codes,
            "region_name": [f"Region {c}" for c in codes],
            "nuts_level": 2,
            "country_code": countries,
            "nuts_edition": 2016,
        }
    )


@pytest.fixture(scope="module")
def tiny():
    return parse_framework(TWO_INDICATORS)


@pytest.fixture(scope="module")
def example():
    """3 regions x 2 indicators: a (+) = 10, 20, 40 and b (-) = 5, 1, 3; R3's a is from 2014."""
    values = _indicators({"a": [10, 20, 40], "b": [5, 1, 3]}, years={"a": [2015, 2015, 2014]})
    return values, _regions(["R1", "R2", "R3"], ["AA", "AA", "BB"])


def _overall(result) -> dict[str, float]:
    return dict(zip(result.overall["region_code"], result.overall["score"], strict=True))


# --- hand-computed examples ---------------------------------------------------------------
#
# min-max: a -> 0, 1/3, 1; b (lower is better) -> -5, -1, -3 -> 0, 1, 1/2 (x 100).
# z-score (sample SD): a mean 70/3, SD sqrt(700/3); b oriented mean -3, SD 2 -> z -1, 1, 0;
# score = 50 + 50 z / 3. The EU average is the mean indicator score profile, aggregated.

MINMAX_A = [0.0, 100 / 3, 100.0]
MINMAX_B = [0.0, 100.0, 50.0]
SD_A = math.sqrt(700 / 3)
ZSCORE_A = [50 + 50 * ((v - 70 / 3) / SD_A) / 3 for v in (10, 20, 40)]
ZSCORE_B = [50 + 50 * z / 3 for z in (-1.0, 1.0, 0.0)]


def _arithmetic(a, b):
    return (a + b) / 2


def _geometric(a, b):
    return math.sqrt((a + 1) * (b + 1)) - 1


@pytest.mark.parametrize(
    ("normalisation", "aggregation", "a", "b", "combine"),
    [
        ("minmax", "arithmetic", MINMAX_A, MINMAX_B, _arithmetic),
        ("minmax", "geometric", MINMAX_A, MINMAX_B, _geometric),
        ("zscore", "arithmetic", ZSCORE_A, ZSCORE_B, _arithmetic),
        ("zscore", "geometric", ZSCORE_A, ZSCORE_B, _geometric),
    ],
)
def test_hand_computed_example(tiny, example, normalisation, aggregation, a, b, combine):
    result = compute_scoreboard(
        *example[:1], tiny, example[1], normalisation=normalisation, aggregation=aggregation
    )
    expected = {r: combine(a[i], b[i]) for i, r in enumerate(["R1", "R2", "R3"])}
    assert _overall(result) == pytest.approx(expected)
    scores = result.indicator_scores.set_index(["region_code", "indicator_code"])["score"]
    assert scores.xs("a", level="indicator_code").tolist() == pytest.approx(a)
    assert scores.xs("b", level="indicator_code").tolist() == pytest.approx(b)
    eu = combine(sum(a) / 3, sum(b) / 3)
    overall = result.overall
    relative = dict(zip(overall["region_code"], overall["relative_to_eu"], strict=True))
    assert relative == pytest.approx({r: 100 * s / eu for r, s in expected.items()})
    eu_index = result.eu_average.query("node_type == 'index'")["score"].item()
    assert eu_index == pytest.approx(eu)


def test_ranks_and_groups_of_the_example(tiny, example):
    result = compute_scoreboard(*example[:1], tiny, example[1]).overall.set_index("region_code")
    # scores 0, 66.7, 75; EU = (44.4 + 50) / 2 = 47.2 -> relative 0, 141, 159
    assert result["rank_europe"].tolist() == [3, 2, 1]
    assert result["rank_country"].tolist() == [2, 1, 1]
    assert result["performance_group"].tolist() == ["Emerging", "Leader", "Leader"]


def test_year_fallback_is_flagged(tiny, example):
    result = compute_scoreboard(*example[:1], tiny, example[1])
    fallbacks = result.year_fallbacks
    assert fallbacks[["region_code", "indicator_code", "year", "lag_years"]].values.tolist() == [
        ["R3", "a", 2014, 1]
    ]
    assert result.overall.set_index("region_code")["n_fallbacks"].tolist() == [0, 0, 1]
    years = result.indicator_scores.query("indicator_code == 'a'")["year"].tolist()
    assert years == [2015, 2015, 2014]


def test_latest_year_in_window_wins_and_older_is_missing(tiny):
    frame = pd.concat(
        [
            _indicators({"a": [1, 2]}, years={"a": [2015, 2013]}),
            _indicators({"a": [5, 9]}, years={"a": [2014, 2014]}),
            _indicators({"a": [7, 3]}, years={"a": [2016, 2016]}),
        ]
    )
    values, fallbacks = select_indicator_values(frame, tiny)
    picked = values.set_index("region_code")[["year", "value"]]
    assert picked.loc["R1"].tolist() == [2015, 1.0]  # the target year beats a later one
    assert picked.loc["R2"].tolist() == [2014, 9.0]  # 2013 is outside max_lag 1
    assert fallbacks["region_code"].tolist() == ["R2"]
    values, _ = select_indicator_values(frame, tiny, reference_year=2016)
    assert values.set_index("region_code")["value"].tolist() == [7.0, 3.0]


def test_coverage_rule_never_imputes(tiny):
    values = _indicators({"a": [10, 20, 40], "b": [5, 1, np.nan]})
    regions = _regions(["R1", "R2", "R3"])
    half = compute_scoreboard(values, tiny, regions, min_coverage=0.5)
    # R3 has only a (score 100): scored over the indicator it has
    assert _overall(half)["R3"] == pytest.approx(100.0)
    full = compute_scoreboard(values, tiny, regions, min_coverage=1.0)
    assert math.isnan(_overall(full)["R3"])
    assert pd.isna(full.overall.set_index("region_code").loc["R3", "rank_europe"])
    coverage = full.coverage.query("region_code == 'R3' and node_type == 'subdimension'")
    assert coverage[["n_components", "n_available", "is_scored"]].values.tolist() == [[2, 1, False]]
    b_score = full.indicator_scores.query("region_code == 'R3' and indicator_code == 'b'")
    assert b_score["score"].isna().all()


def test_transforms_and_dimension_weights():
    framework = parse_framework(TWO_DIMENSIONS.replace("TRANSFORM_A", "log"))
    values = _indicators({"a": [1, 10, 100], "b": [3, 2, 1], "c": [0, 4, 16]})
    result = compute_scoreboard(values, framework, _regions(["R1", "R2", "R3"]))
    # log a: 0, 1, 2 (x ln 10) -> 0, 50, 100; b -> 0, 50, 100; sqrt c: 0, 2, 4 -> 0, 50, 100
    assert _overall(result) == pytest.approx({"R1": 0.0, "R2": 50.0, "R3": 100.0})
    dims = result.dimension_scores.pivot(
        index="region_code", columns="dimension_code", values="score"
    )
    assert dims["first"].tolist() == pytest.approx([0.0, 50.0, 100.0])


def test_log_of_non_positive_values_is_refused():
    framework = parse_framework(TWO_DIMENSIONS.replace("TRANSFORM_A", "log"))
    values = _indicators({"a": [0, 10, 100], "b": [3, 2, 1], "c": [0, 4, 16]})
    with pytest.raises(ConfigError, match="Indicator 'a' has 1 value"):
        compute_scoreboard(values, framework, _regions(["R1", "R2", "R3"]))


def test_outliers_are_capped_at_the_fence(tiny):
    codes = [f"R{i + 1:02d}" for i in range(12)]
    a = [float(v) for v in range(1, 12)] + [1000.0]
    frame = _indicators({"a": a, "b": [1.0, 2.0] * 6}, regions=codes)
    result = compute_scoreboard(frame, tiny, _regions(codes))
    fence = np.mean(a) + 3 * np.std(a, ddof=1)
    assert fence < 1000  # the extreme value is an outlier
    scores = result.indicator_scores.query("indicator_code == 'a'")
    assert scores["is_capped"].tolist() == [False] * 11 + [True]
    # min is 1, max is the fence (the capped value), not 1000
    expected = [100 * (v - 1) / (fence - 1) for v in a[:11]] + [100.0]
    assert scores["score"].tolist() == pytest.approx(expected)
    uncapped = compute_scoreboard(frame, tiny, _regions(codes), outlier_sd=None)
    scores = uncapped.indicator_scores.query("indicator_code == 'a'")["score"]
    assert scores.iloc[10] == pytest.approx(100 * 10 / 999)


def test_reference_set_sets_the_scale_and_others_are_clipped(tiny):
    values = _indicators({"a": [10, 20, 40, 0], "b": [5, 1, 3, 0]})
    regions = _regions(["R1", "R2", "R3", "R4"], ["AA", "AA", "AA", "BB"])
    result = compute_scoreboard(values, tiny, regions, reference_countries=["AA"])
    scores = result.indicator_scores.set_index(["region_code", "indicator_code"])
    # R4 is below AA's minimum on a (clipped to 0) and better than AA's best on b (100)
    assert scores.loc[("R4", "a"), "score"] == 0.0
    assert scores.loc[("R4", "b"), "score"] == 100.0
    assert scores.loc[("R4", "a"), "normalised"] == pytest.approx(-1 / 3)
    assert result.overall["is_reference"].tolist() == [True, True, True, False]
    assert _overall(result)["R1"] == pytest.approx(0.0)


def test_reference_countries_accept_one_code_and_refuse_an_empty_set(tiny):
    values = _indicators({"a": [10, 20, 40, 0], "b": [5, 1, 3, 0]})
    regions = _regions(["R1", "R2", "R3", "R4"], ["AA", "AA", "AA", "BB"])
    one = compute_scoreboard(values, tiny, regions, reference_countries="AA")
    assert one.overall["is_reference"].tolist() == [True, True, True, False]
    with pytest.raises(ObservatoryError, match="reference set is empty"):
        compute_scoreboard(values, tiny, regions, reference_countries=[])
    assert len(EU28_COUNTRIES) == 28
    assert "EL" in EU27_2020_COUNTRIES and "UK" not in EU27_2020_COUNTRIES


def test_flat_indicator_is_left_out_with_a_note(tiny):
    values = _indicators({"a": [10, 20, 40], "b": [2, 2, 2]})
    result = compute_scoreboard(values, tiny, _regions(["R1", "R2", "R3"]))
    assert _overall(result) == pytest.approx({"R1": 0.0, "R2": 100 / 3, "R3": 100.0})
    assert any("no variation" in note and "b" in note for note in result.notes)


def test_unknown_region_codes_are_dropped_with_a_note(tiny, example):
    values = pd.concat([example[0], _indicators({"a": [1.0]}, regions=["FRZZ"])])
    result = compute_scoreboard(values, tiny, example[1])
    assert "FRZZ" not in set(result.overall["region_code"])
    assert any("FRZZ" in note for note in result.notes)


def test_other_levels_editions_and_aggregates_are_ignored(tiny, example):
    values, regions = example
    other_level = values.assign(nuts_level=1, value=values["value"] * 7)
    aggregate = pd.DataFrame(
        {"region_code": ["EU28"], "region_name": ["EU"], "nuts_level": [2],
         "country_code": ["EU"], "nuts_edition": [2016], "is_aggregate": [True]}
    )  # fmt: skip
    result = compute_scoreboard(
        pd.concat([values, other_level]), tiny, pd.concat([regions.assign(is_aggregate=False),
                                                          aggregate])
    )  # fmt: skip
    assert _overall(result) == pytest.approx({"R1": 0.0, "R2": 200 / 3, "R3": 75.0})


# --- performance groups -------------------------------------------------------------------


def test_group_thresholds_belong_to_the_higher_group():
    groups = classify_performance([69.99, 70, 99.99, 100, 124.99, 125, np.nan])
    assert list(groups[:6]) == ["Emerging", "Moderate", "Moderate", "Strong", "Strong", "Leader"]
    assert pd.isna(groups[6])


def test_group_names_and_thresholds_are_configurable(tiny, example):
    groups = classify_performance([50, 150], thresholds=[100], names=["below", "above"])
    assert list(groups) == ["below", "above"]
    result = compute_scoreboard(
        *example[:1], tiny, example[1], group_thresholds=[100], group_names=["low", "high"]
    )
    assert result.overall["performance_group"].tolist() == ["low", "high", "high"]
    with pytest.raises(ConfigError, match="do not increase"):
        classify_performance([1], thresholds=[100, 70], names=["a", "b", "c"])
    with pytest.raises(ConfigError, match="need 2 group names"):
        classify_performance([1], thresholds=[100], names=["a"])


# --- bad input ----------------------------------------------------------------------------


def test_unknown_method_names_the_valid_ones(tiny, example):
    with pytest.raises(UnknownCodeError, match="minmax"):
        compute_scoreboard(*example[:1], tiny, example[1], normalisation="min_max")
    with pytest.raises(UnknownCodeError, match="geometric"):
        compute_scoreboard(*example[:1], tiny, example[1], aggregation="geometrical")


def test_unknown_reference_country(tiny, example):
    with pytest.raises(UnknownCodeError, match="nearest valid country codes: AA"):
        compute_scoreboard(*example[:1], tiny, example[1], reference_countries=["AT"])


def test_missing_columns_and_duplicates(tiny, example):
    values, regions = example
    with pytest.raises(DataSourceError, match="lacks the column"):
        compute_scoreboard(values.drop(columns="year"), tiny, regions)
    with pytest.raises(DataSourceError, match="repeat a region x indicator x year"):
        compute_scoreboard(pd.concat([values, values.iloc[:1]]), tiny, regions)
    with pytest.raises(DataSourceError, match="No values of the framework"):
        compute_scoreboard(values, tiny, regions, level=1)


def test_missing_values_stay_missing_not_zero(tiny, example):
    values, regions = example
    with_nan = pd.concat([values, _indicators({"b": [np.nan, np.nan, np.nan]})])
    result = compute_scoreboard(with_nan, tiny, regions)
    assert _overall(result) == pytest.approx({"R1": 0.0, "R2": 200 / 3, "R3": 75.0})


def test_project_framework_runs_end_to_end():
    framework = load_framework()
    rng = np.random.default_rng(3)
    codes = [f"R{i:02d}" for i in range(12)]
    frame = _indicators(
        {code: rng.uniform(1, 50, len(codes)) for code in framework.indicator_codes},
        regions=codes,
    )
    frame = frame.assign(year=frame["indicator_code"].map(
        {s.code: s.reference_year.target_year for s in framework.indicators}
    ))  # fmt: skip
    result = compute_scoreboard(frame, framework, _regions(codes, ["AA"] * 6 + ["BB"] * 6))
    assert result.overall["score"].notna().all()
    assert len(result.dimension_scores) == 12 * 5
    assert result.notes == []


# --- properties ---------------------------------------------------------------------------

FINITE = st.floats(min_value=0.5, max_value=1e4, allow_nan=False)


@st.composite
def matrices(draw, min_regions=3, max_regions=14):
    n = draw(st.integers(min_regions, max_regions))
    columns = {code: draw(st.lists(FINITE, min_size=n, max_size=n)) for code in "abc"}
    return columns


def _property_result(columns, **kwargs):
    framework = parse_framework(TWO_DIMENSIONS.replace("TRANSFORM_A", "log"))
    codes = [f"R{i:02d}" for i in range(len(columns["a"]))]
    countries = ["AA" if i % 3 else "BB" for i in range(len(codes))]
    return compute_scoreboard(
        _indicators(columns, regions=codes), framework, _regions(codes, countries), **kwargs
    )


METHODS = st.sampled_from(
    [
        ("minmax", "arithmetic"),
        ("minmax", "geometric"),
        ("zscore", "arithmetic"),
        ("zscore", "geometric"),
    ]
)
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(columns=matrices(), method=METHODS, reference=st.booleans())
def test_scores_stay_within_0_and_100(columns, method, reference):
    result = _property_result(
        columns,
        normalisation=method[0],
        aggregation=method[1],
        reference_countries=["AA"] if reference else None,
    )
    for frame in (
        result.indicator_scores,
        result.subdimension_scores,
        result.dimension_scores,
        result.overall,
    ):
        scores = frame["score"].dropna()
        assert ((scores >= 0) & (scores <= 100 + 1e-9)).all()


@PROPERTY_SETTINGS
@given(
    columns=matrices(),
    method=METHODS,
    region=st.integers(0, 13),
    code=st.sampled_from("abc"),
    factor=st.floats(1.01, 50),
    outlier_sd=st.sampled_from([3.0, 1.0, None]),
)
def test_improving_an_indicator_never_lowers_the_score(
    columns, method, region, code, factor, outlier_sd
):
    region %= len(columns["a"])
    better = {k: list(v) for k, v in columns.items()}
    # b is 'lower is better': improving it means a smaller value
    better[code][region] = (
        columns[code][region] / factor if code == "b" else (columns[code][region] * factor)
    )
    kwargs = {"normalisation": method[0], "aggregation": method[1], "outlier_sd": outlier_sd}
    before = _property_result(columns, **kwargs).overall["score"].iloc[region]
    after = _property_result(better, **kwargs).overall["score"].iloc[region]
    if not math.isnan(before):
        assert after >= before - 1e-9


@PROPERTY_SETTINGS
@given(
    columns=matrices(),
    method=METHODS,
    code=st.sampled_from("abc"),
    scale=st.sampled_from([1e-3, 0.01, 7.0, 1000.0]),
)
def test_rescaling_a_unit_changes_nothing(columns, method, code, scale):
    rescaled = {k: [v * scale for v in values] if k == code else values
                for k, values in columns.items()}  # fmt: skip
    kwargs = {"normalisation": method[0], "aggregation": method[1]}
    before = _property_result(columns, **kwargs)
    after = _property_result(rescaled, **kwargs)
    np.testing.assert_allclose(
        after.overall["score"], before.overall["score"], rtol=1e-7, atol=1e-7
    )
    np.testing.assert_allclose(
        after.overall["relative_to_eu"], before.overall["relative_to_eu"], rtol=1e-7, atol=1e-6
    )


@PROPERTY_SETTINGS
@given(columns=matrices(), method=METHODS)
def test_eu_average_maps_to_100(columns, method):
    """A region with exactly the reference mean profile scores 100 relative to the EU."""
    framework = parse_framework(TWO_DIMENSIONS.replace("TRANSFORM_A", "none").replace(
        "transform: sqrt", "transform: none"
    ))  # fmt: skip
    codes = [f"R{i:02d}" for i in range(len(columns["a"]))]
    frame = _indicators(columns, regions=codes)
    means = frame.groupby("indicator_code")["value"].mean()
    profile = _indicators({k: [means[k]] for k in "abc"}, regions=["MEAN"])
    regions = _regions([*codes, "MEAN"], ["AA"] * len(codes) + ["ZZ"])
    result = compute_scoreboard(
        pd.concat([frame, profile]),
        framework,
        regions,
        normalisation=method[0],
        aggregation=method[1],
        reference_countries=["AA"],
        outlier_sd=None,
    )
    overall = result.overall.set_index("region_code")
    eu_index = result.eu_average.query("node_type == 'index'")["score"].item()
    if math.isnan(eu_index):
        return  # every indicator flat: nothing to compare
    if method[0] == "zscore" and result.indicator_scores["normalised"].abs().max() > 3:
        return  # z beyond the 0-100 mapping span is clipped, the mean profile then moves
    assert overall.loc["MEAN", "relative_to_eu"] == pytest.approx(100.0)
    if method[1] == "arithmetic":
        reference = overall.loc[overall["is_reference"], "relative_to_eu"]
        assert reference.mean() == pytest.approx(100.0)

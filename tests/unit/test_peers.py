"""Default peers, user-chosen peers and the strengths/weaknesses comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observatory_lib.errors import DataSourceError, ObservatoryError, UnknownCodeError
from observatory_lib.indicators.framework import parse_framework
from observatory_lib.indicators.peers import (
    check_peers,
    compare_with_peers,
    compute_peer_distances,
    default_peers,
    default_peers_of_level,
)
from observatory_lib.indicators.scoreboard import compute_scoreboard

CODES = ["AT11", "AT12", "AT13", "BE10", "BE21", "CZ01"]


def _structural(gdp, population, year=2014, codes=CODES) -> pd.DataFrame:
    rows = [
        (code, 2, indicator, year, float(value))
        for indicator, column in (("gdp_pps_per_hab", gdp), ("population_persons", population))
        for code, value in zip(codes, column, strict=True)
        if not math.isnan(value)
    ]
    return pd.DataFrame(
        rows, columns=["region_code", "nuts_level", "indicator_code", "year", "value"]
    )


def _regions(codes=CODES) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_code": codes,
            "region_name": codes,
            "nuts_level": 2,
            "country_code": [c[:2] for c in codes],
            "nuts_edition": 2016,
        }
    )


def test_default_peers_are_the_nearest_on_gdp_when_population_is_equal():
    gdp = [100, 110, 130, 160, 200, 300]
    frame = _structural(gdp, [1e6] * 6)
    assert default_peers(frame, _regions(), "AT11", k=2) == ["AT12", "AT13"]
    assert default_peers(frame, _regions(), "BE21", k=2) == ["BE10", "AT13"]


def test_candidates_can_be_restricted_to_countries():
    frame = _structural([100, 110, 130, 160, 200, 300], [1e6] * 6)
    assert default_peers(frame, _regions(), "AT11", k=2, countries=["BE", "CZ"]) == [
        "BE10",
        "BE21",
    ]
    assert default_peers(frame, _regions(), "AT11", k=5, countries="AT") == ["AT12", "AT13"]
    with pytest.raises(UnknownCodeError, match="Unknown country 'DE'"):
        default_peers(frame, _regions(), "AT11", countries=["DE"])


def test_population_counts_on_a_log_scale():
    # gdp equal: distances come from log population only; 1e6 is as far from 1e5 as from 1e7
    frame = _structural([100] * 6, [1e6, 1e5, 1e7, 2e6, 5e4, 2e7])
    distances = compute_peer_distances(frame, _regions(), "AT11").set_index("region_code")
    assert distances.loc["AT12", "distance"] == pytest.approx(distances.loc["AT13", "distance"])
    assert default_peers(frame, _regions(), "AT11", k=1) == ["BE10"]  # 2e6 is the nearest


def test_latest_common_year_is_used():
    old = _structural([100, 110, 130, 160, 200, 300], [1e6] * 6, year=2014)
    newer_gdp_only = _structural([300, 200, 160, 130, 110, 100], [np.nan] * 6, year=2015)
    frame = pd.concat([old, newer_gdp_only])
    distances = compute_peer_distances(frame, _regions(), "AT11")
    assert distances["year"].unique().tolist() == [2014]
    assert distances["region_code"].head(2).tolist() == ["AT12", "AT13"]


def test_fewer_candidates_than_k_returns_all_others():
    frame = _structural([100, 110, 130, np.nan, np.nan, np.nan], [1e6] * 6)
    assert default_peers(frame, _regions(), "AT11", k=5) == ["AT12", "AT13"]


def test_unknown_region_names_the_nearest_codes():
    frame = _structural([100] * 6, [1e6] * 6)
    with pytest.raises(UnknownCodeError, match=r"nearest valid region codes: .*AT11"):
        default_peers(frame, _regions(), "AT1X")


def test_region_without_structural_data():
    frame = _structural([np.nan, 110, 130, 160, 200, 300], [1e6] * 6)
    with pytest.raises(DataSourceError, match="AT11 has no year with all of"):
        default_peers(frame, _regions(), "AT11")


def test_bad_k():
    frame = _structural([100] * 6, [1e6] * 6)
    with pytest.raises(ObservatoryError, match="at least one peer"):
        default_peers(frame, _regions(), "AT11", k=0)


@settings(max_examples=40, deadline=None)
@given(
    gdp=st.lists(st.floats(1, 1e5), min_size=6, max_size=6),
    population=st.lists(st.floats(1e3, 1e8), min_size=6, max_size=6),
    target=st.sampled_from(CODES),
    k=st.integers(1, 8),
)
def test_a_region_is_never_its_own_peer(gdp, population, target, k):
    peers = default_peers(_structural(gdp, population), _regions(), target, k=k)
    assert target not in peers
    assert len(peers) == min(k, len(CODES) - 1)
    assert len(set(peers)) == len(peers)


# --- check_peers --------------------------------------------------------------------------


def test_check_peers_validates_and_deduplicates():
    assert check_peers([" AT12", "AT13", "AT12"], CODES) == ["AT12", "AT13"]
    with pytest.raises(UnknownCodeError, match="Unknown region 'AT14'; nearest valid region"):
        check_peers(["AT12", "AT14"], CODES)
    with pytest.raises(ObservatoryError, match="at most 2"):
        check_peers(["AT12", "AT13", "BE10"], CODES, max_peers=2)


# --- comparison ---------------------------------------------------------------------------

FRAMEWORK = """
dimensions:
  - id: dim
    label: Dimension
    subdimensions:
      - id: sub
        label: Sub
        indicators:
          - {id: a, label: Indicator A, unit: pct, dataset: x, direction: '+', transform: none,
             reference_year: {target: 2015, max_lag: 0}}
          - {id: b, label: Indicator B, unit: pct, dataset: x, direction: '+', transform: none,
             reference_year: {target: 2015, max_lag: 0}}
"""


@pytest.fixture(scope="module")
def scoreboard():
    # a: 0, 10, 20, 30 -> scores 0, 33.3, 66.7, 100; b: 40, 30, 20, 0 -> 100, 75, 50, 0
    codes = ["AT11", "AT12", "AT13", "BE10"]
    values = {"a": [0, 10, 20, 30], "b": [40, 30, 20, 0]}
    frame = pd.DataFrame(
        [
            (code, 2, indicator, 2015, float(value))
            for indicator, column in values.items()
            for code, value in zip(codes, column, strict=True)
        ],
        columns=["region_code", "nuts_level", "indicator_code", "year", "value"],
    )
    return compute_scoreboard(frame, parse_framework(FRAMEWORK), _regions(codes))


def test_compare_with_peers_hand_computed(scoreboard):
    table = compare_with_peers(scoreboard, "AT11", ["AT12", "AT13"]).set_index("node_code")
    a, b = table.loc["a"], table.loc["b"]
    assert (a["region_value"], a["peer_average_value"], a["eu_average_value"]) == (0, 15, 15)
    assert a["peer_average_score"] == pytest.approx(50.0)
    assert a["difference_to_peers"] == pytest.approx(-50.0)
    assert a["assessment"] == "weakness"
    assert b["difference_to_peers"] == pytest.approx(100 - 62.5)
    assert b["assessment"] == "strength"
    assert b["label"] == "Indicator B"
    # index: AT11 = 50, AT12 = 54.17, AT13 = 58.33 -> peers 56.25, difference -6.25
    overall = table.loc["overall"]
    assert overall["peer_average_score"] == pytest.approx((325 / 6 + 350 / 6) / 2)
    assert overall["assessment"] == "similar"
    assert overall["n_peers_with_data"] == 2
    # EU profile: a mean score 50, b mean score 56.25
    assert overall["eu_average_score"] == pytest.approx((50 + 56.25) / 2)


def test_threshold_is_a_parameter(scoreboard):
    table = compare_with_peers(scoreboard, "AT11", ["AT12", "AT13"], threshold=5.0)
    assert table.set_index("node_code").loc["overall", "assessment"] == "weakness"


def test_own_region_among_peers_is_refused(scoreboard):
    with pytest.raises(ObservatoryError, match="among its own peers"):
        compare_with_peers(scoreboard, "AT11", ["AT12", "AT11"])


def test_unknown_peer_and_region(scoreboard):
    with pytest.raises(UnknownCodeError, match="AT12"):
        compare_with_peers(scoreboard, "AT11", ["AT21"])
    with pytest.raises(UnknownCodeError, match="nearest valid region codes"):
        compare_with_peers(scoreboard, "AT99", ["AT12"])


def test_peers_of_a_whole_level_equal_one_call_per_region():
    codes = [*CODES, "DK01", "DK02"]
    frame = pd.concat(
        [
            _structural(
                [100, 110, 130, 160, 200, 300, 90, np.nan],
                [1e6, 2e6, 3e5, 8e5, 1e6, 4e6, 0.0, 1e6],
                codes=codes,
            ),
            _structural([120, 105], [1e6, 2e6], year=2015, codes=["AT11", "BE10"]),
        ]
    )
    regions = _regions(codes)
    found = default_peers_of_level(frame, regions, level=2, k=3)
    assert set(found) == set(codes)
    for code in codes:
        try:
            expected = default_peers(frame, regions, code, k=3)
        except ObservatoryError:  # DK01: population 0 under the log; DK02: no GDP
            expected = None
        assert found[code] == expected, code
    assert found["DK01"] is None and found["DK02"] is None and found["AT11"] == ["BE10"]

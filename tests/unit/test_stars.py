"""Star ratings: presets, hand-computed stars, missing criteria, sensitivity, bad rule sets."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatory_lib.errors import ConfigError, DataSourceError, UnknownCodeError
from observatory_lib.indicators.clusters import compute_cluster_indicators
from observatory_lib.indicators.stars import (
    StarRuleSet,
    list_star_presets,
    load_star_preset,
    rate_stars,
    star_sensitivity,
)

# Three regions x two categories (same frame as test_clusters, hand-computed):
#   auto employment 200, 50, 0; bio 100, 100, 100; totals 1000, 500, 400 (AT11, AT12, BE10).
#   focus: auto 0.2, 0.1, 0.0; bio 0.1, 0.2, 0.25. LQ auto AT11 = 1.52, bio BE10 = 1.583.
REGIONS = ["AT11", "AT12", "BE10"]
TOTALS = [1000.0, 500.0, 400.0]
EMPLOYMENT = {"auto": [200.0, 50.0, 0.0], "bio": [100.0, 100.0, 100.0]}


def make_indicators(employment=None, years=(2015,), wages=None, reference_countries=None):
    employment = EMPLOYMENT if employment is None else employment
    cells = pd.concat(
        [
            pd.DataFrame(
                {
                    "region_code": REGIONS,
                    "nuts_level": 2,
                    "category_code": category,
                    "category_type": "traded",
                    "year": year,
                    "employment_persons": values,
                    "is_derived_by_allocation": False,
                    "has_confidential_cells": False,
                }
            )
            for category, values in employment.items()
            for year in years
        ]
    )
    totals = pd.concat(
        [
            pd.DataFrame(
                {
                    "region_code": REGIONS,
                    "nuts_level": 2,
                    "year": year,
                    "employment_persons": TOTALS,
                }
            )
            for year in years
        ]
    )
    return compute_cluster_indicators(
        cells, totals, wages=wages, reference_countries=reference_countries
    )


def value(frame, region, category, column):
    rows = frame[(frame["region_code"] == region) & (frame["category_code"] == category)]
    assert len(rows) == 1
    return rows[column].iloc[0]


def test_presets_are_listed_and_documented():
    assert list_star_presets() == ["eco2008", "eocic", "panorama4"]
    eco = load_star_preset("eco2008")
    assert [c.name for c in eco.criteria] == ["size", "specialisation", "focus"]
    assert "recalled" in eco.documentation.lower()
    assert eco.criterion("specialisation").cutoff == 2.0
    assert eco.criterion("specialisation").verified is False
    assert "NOT confirmed" in load_star_preset("eocic").documentation
    panorama = load_star_preset("panorama4")
    assert panorama.criterion("dynamism").metric == "employment_growth_pct"
    assert "Unverified" in panorama.documentation


def test_unknown_preset_lists_valid_presets():
    with pytest.raises(UnknownCodeError, match=r"eco2008.*eocic.*panorama4"):
        load_star_preset("eco2009")


def test_eco2008_stars_by_hand():
    rated = rate_stars(make_indicators(), "eco2008")
    # auto: size threshold = 0.9-quantile of (0, 50, 200) = 50 + 0.8 * 150 = 170 -> AT11.
    assert value(rated, "AT11", "auto", "size_threshold") == pytest.approx(170)
    assert value(rated, "AT11", "auto", "size_pass")
    assert not value(rated, "AT12", "auto", "size_pass")
    # bio: every region has 100; a tie at the lowest value is never a "top 10 %".
    assert not value(rated, "AT11", "bio", "size_pass")
    # focus, bio: 0.9-quantile of (0.1, 0.2, 0.25) = 0.24 -> BE10 only.
    assert value(rated, "BE10", "bio", "focus_threshold") == pytest.approx(0.24)
    assert value(rated, "BE10", "bio", "focus_pass")
    assert not value(rated, "AT12", "bio", "focus_pass")
    assert value(rated, "AT11", "auto", "specialisation_threshold") == 2.0
    assert not rated["specialisation_pass"].any()  # no LQ reaches 2
    stars = {(r, c): s for r, c, s in rated[["region_code", "category_code", "stars"]].to_numpy()}
    assert stars == {
        ("AT11", "auto"): 2,
        ("AT12", "auto"): 0,
        ("BE10", "auto"): 0,
        ("AT11", "bio"): 0,
        ("AT12", "bio"): 0,
        ("BE10", "bio"): 1,
    }
    assert set(rated["stars_out_of"]) == {3}
    assert set(rated["rule_set"]) == {"eco2008"}


def test_custom_rule_set_as_mapping():
    rule_set = {
        "name": "lq_only",
        "criteria": [
            {"name": "specialisation", "metric": "lq", "rule": "threshold", "cutoff": 1.5}
        ],
    }
    rated = rate_stars(make_indicators(), rule_set)
    assert value(rated, "AT11", "auto", "stars") == 1  # LQ 1.52
    assert value(rated, "BE10", "bio", "stars") == 1  # LQ 1.583
    assert value(rated, "AT12", "bio", "stars") == 0  # LQ 1.267
    assert rated["stars"].sum() == 2


def test_star_only_where_the_rule_holds():
    rated = rate_stars(make_indicators(), "eco2008")
    for name in ("size", "focus"):
        passed = rated[rated[f"{name}_pass"].fillna(False).astype(bool)]
        assert (passed[f"{name}_value"] >= passed[f"{name}_threshold"]).all()
    passes = rated[["size_pass", "specialisation_pass", "focus_pass"]].fillna(False).sum(axis=1)
    assert (rated["stars"].astype(int) == passes).all()


def test_missing_employment_never_gets_a_star():
    employment = {"auto": [np.nan, 50.0, 0.0], "bio": [100.0, 100.0, 100.0]}
    rated = rate_stars(make_indicators(employment), "eco2008")
    assert pd.isna(value(rated, "AT11", "auto", "stars"))
    assert pd.isna(value(rated, "AT11", "auto", "size_pass"))
    assert value(rated, "AT11", "auto", "n_criteria_missing") == 3
    # the remaining regions are ranked among themselves: 50 is now the top auto cluster.
    assert value(rated, "AT12", "auto", "size_pass")


def test_productivity_not_available_counts_stars_out_of_two():
    rated = rate_stars(make_indicators(), "eocic")
    assert set(rated["stars_out_of"]) == {2}
    assert rated["productivity_pass"].isna().all()
    assert rated["productivity_value"].isna().all()
    basis = rated["stars_basis"].iloc[0]
    assert basis.startswith("2 of 3 criteria counted (size, specialisation)")
    assert "productivity not available: no wage data supplied" in basis


WAGES = pd.DataFrame(
    {
        "region_code": REGIONS * 2,
        "category_code": ["auto"] * 3 + ["bio"] * 3,
        "year": 2015,
        "wages_eur": [6e6, 2e6, np.nan, 3e6, 4e6, 5e6],  # auto 30k, 40k, -; bio 30k, 40k, 50k
    }
)


def _without_floors(preset: str) -> StarRuleSet:
    rules = load_star_preset(preset)
    criteria = tuple(dataclasses.replace(c, min_employment=None) for c in rules.criteria)
    return dataclasses.replace(rules, criteria=criteria)


def test_productivity_star_with_wages():
    rated = rate_stars(make_indicators(wages=WAGES), _without_floors("eocic"))
    assert set(rated["stars_out_of"]) == {3}
    assert value(rated, "AT12", "auto", "productivity_pass")
    assert pd.isna(value(rated, "BE10", "auto", "productivity_pass"))  # zero employment
    assert value(rated, "BE10", "bio", "productivity_pass")
    assert value(rated, "BE10", "auto", "n_criteria_missing") == 1


def test_a_cluster_below_the_floor_fails_the_star_and_does_not_set_its_threshold():
    # eocic's productivity star needs 1,000 persons: none of these clusters has them
    rated = rate_stars(make_indicators(wages=WAGES), "eocic")
    assert rated["productivity_pass"].isna().all()  # no eligible cluster, no threshold
    bigger = {"auto": [2000.0, 50.0, 0.0], "bio": [1000.0, 1000.0, 100.0]}
    wages = WAGES.assign(wages_eur=[60e6, 2e6, np.nan, 30e6, 40e6, 5e6])
    rated = rate_stars(make_indicators(bigger, wages=wages), "eocic")
    # bio: eligible wages 30k (AT11) and 40k (AT12): threshold 30k + 0.9 * 10k = 39k
    assert value(rated, "AT12", "bio", "productivity_threshold") == pytest.approx(39_000)
    assert value(rated, "AT12", "bio", "productivity_pass")
    # BE10 bio has the highest wage (50k) but only 100 persons: it fails, it is not missing
    assert not value(rated, "BE10", "bio", "productivity_pass")  # NA would raise here
    assert value(rated, "BE10", "bio", "n_criteria_missing") == 0


def test_dynamism_available_only_after_the_base_year():
    rated = rate_stars(make_indicators(years=(2014, 2015)), "panorama4")
    out_of = rated.groupby("year")["stars_out_of"].first().to_dict()
    assert out_of == {2014: 2, 2015: 3}  # productivity never; dynamism from 2015
    first_year = rated.loc[rated["year"] == 2014, "stars_basis"].iloc[0]
    assert "dynamism not available: base year of the growth period" in first_year


def test_non_reference_regions_are_rated_against_the_reference_threshold():
    rated = rate_stars(make_indicators(reference_countries=["AT"]), "eco2008")
    # auto reference values (200, 50): threshold 50 + 0.9 * 150 = 185.
    assert value(rated, "BE10", "auto", "size_threshold") == pytest.approx(185)
    assert not value(rated, "BE10", "auto", "size_pass")


def test_sensitivity_threshold_rule_is_monotone():
    indicators = make_indicators()
    cutoffs = [1.0, 1.25, 1.5, 1.55, 2.0, 2.5]
    table = star_sensitivity(indicators, "eco2008", "specialisation", cutoffs)
    assert table["cutoff"].to_list() == cutoffs
    assert table["is_preset_cutoff"].to_list() == [False, False, False, False, True, False]
    assert table["n_criterion_pass"].is_monotonic_decreasing
    assert table["n_criterion_pass"].to_list() == [3, 3, 2, 1, 0, 0]  # LQs 1.52, 1.58, 1.27 pass 1
    assert (table["n_keep"] + table["n_gain"] + table["n_lose"] == table["n_rated"]).all()
    assert table.loc[table["cutoff"] >= 2.0, "n_gain"].eq(0).all()
    assert table.loc[table["cutoff"] <= 2.0, "n_lose"].eq(0).all()
    assert table.loc[table["is_preset_cutoff"], "n_keep"].iloc[0] == 6


def test_sensitivity_top_share_rule_grows_with_the_share():
    table = star_sensitivity(make_indicators(), "eco2008", "size", [0.05, 0.1, 0.2, 0.5, 1.0])
    assert table["n_criterion_pass"].is_monotonic_increasing


def test_sensitivity_bad_input():
    indicators = make_indicators()
    with pytest.raises(UnknownCodeError, match="criterion"):
        star_sensitivity(indicators, "eco2008", "speciality", [1.0])
    with pytest.raises(ConfigError, match="share in"):
        star_sensitivity(indicators, "eco2008", "size", [10])
    with pytest.raises(ConfigError, match="No cut-offs"):
        star_sensitivity(indicators, "eco2008", "size", [])


@pytest.mark.parametrize(
    ("rule_set", "message"),
    [
        ({"criteria": []}, "non-empty 'criteria'"),
        ({"criteria": [{"name": "a", "metric": "lq", "rule": "top"}]}, "lacks cutoff"),
        ({"criteria": [{"name": "a", "metric": "lq", "rule": "top", "cutoff": 1}]}, "use one of"),
        ({"criteria": [{"name": "a", "metric": "lq", "rule": "top_share", "cutoff": 0}]}, "(0, 1]"),
        (
            {"criteria": [{"name": "a", "metric": "lq", "rule": "threshold", "cutoff": "x"}]},
            "numeric",
        ),
        (
            {"criteria": [{"name": "A b", "metric": "lq", "rule": "threshold", "cutoff": 1}]},
            "snake",
        ),
        (
            {"criteria": [{"name": "a", "metric": "lq", "rule": "threshold", "cutoff": 1}] * 2},
            "repeats",
        ),
        (42, "preset name"),
    ],
)
def test_malformed_rule_sets(rule_set, message):
    with pytest.raises(ConfigError) as error:
        load_star_preset(rule_set)
    assert message in str(error.value)


def test_unknown_metric_and_missing_columns():
    rule_set = {
        "criteria": [{"name": "gva", "metric": "gva_eur", "rule": "threshold", "cutoff": 1}]
    }
    with pytest.raises(UnknownCodeError, match="metric 'gva_eur'"):
        rate_stars(make_indicators(), rule_set)
    text_metric = {
        "criteria": [{"name": "a", "metric": "region_code", "rule": "threshold", "cutoff": 1}]
    }
    with pytest.raises(UnknownCodeError, match="numeric column"):
        rate_stars(make_indicators(), text_metric)
    with pytest.raises(DataSourceError, match="is_in_reference_set"):
        rate_stars(make_indicators().drop(columns="is_in_reference_set"), "eco2008")


def test_with_cutoff_returns_a_changed_copy():
    eco = load_star_preset("eco2008")
    changed = eco.with_cutoff("specialisation", 1.5)
    assert isinstance(changed, StarRuleSet)
    assert changed.criterion("specialisation").cutoff == 1.5
    assert eco.criterion("specialisation").cutoff == 2.0


# --- properties on random frames -------------------------------------------------------------

persons = st.one_of(st.just(np.nan), st.just(0.0), st.floats(1, 1e5, allow_nan=False))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(persons, min_size=3, max_size=3),
    st.lists(persons, min_size=3, max_size=3),
    st.sampled_from(["eco2008", "eocic"]),
)
def test_stars_properties_on_random_frames(auto, bio, preset):
    rated = rate_stars(make_indicators({"auto": auto, "bio": bio}), preset)
    missing = rated["employment_persons"].isna()
    assert rated.loc[missing, "stars"].isna().all()
    known = rated.loc[~missing, "stars"]
    assert known.notna().all()
    assert ((known >= 0) & (known <= rated.loc[~missing, "stars_out_of"])).all()
    for criterion in load_star_preset(preset).criteria:
        passed = rated[rated[f"{criterion.name}_pass"].fillna(False).astype(bool)]
        assert (passed[f"{criterion.name}_value"] >= passed[f"{criterion.name}_threshold"]).all()
        assert passed[f"{criterion.name}_value"].notna().all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(persons, min_size=3, max_size=3),
    st.lists(st.floats(0.5, 3.0), min_size=2, max_size=6, unique=True),
)
def test_threshold_sensitivity_is_monotone_on_random_frames(auto, cutoffs):
    indicators = make_indicators({"auto": auto, "bio": [100.0, 100.0, 100.0]})
    table = star_sensitivity(indicators, "eco2008", "specialisation", sorted(cutoffs))
    assert table["n_criterion_pass"].is_monotonic_decreasing
    assert table["n_starred"].is_monotonic_decreasing

"""Relatedness, region groups and the cluster policy section on the real store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory_lib.data.region_groups import read_region_groups
from observatory_lib.indicators import policy, policy_recipes, recipes
from observatory_lib.indicators import region_groups as rg

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(built_store):
    recipes.clear_cache()
    return built_store


def test_proximity_covers_every_pair_of_each_type_and_is_symmetric(store):
    proximity = policy_recipes.proximity(store)
    rated = recipes.rated_clusters(store, 2, year=2015)
    counts = rated.drop_duplicates("category_code")["category_type"].value_counts()
    expected = sum(n * (n - 1) for n in counts)
    assert len(proximity) == expected
    pairs = proximity.set_index(["category_code", "related_category_code"])["proximity"]
    swapped = proximity.set_index(["related_category_code", "category_code"])["proximity"]
    swapped.index.names = pairs.index.names
    pd.testing.assert_series_equal(pairs.sort_index(), swapped.sort_index())
    assert pairs.between(0, 1).all()


def test_density_is_bounded_and_its_lqs_are_the_published_lqs(store):
    density = policy_recipes.relatedness_density(store)
    known = density["relatedness_density"].dropna()
    assert known.between(0, 100).all() and len(known) > 10_000
    rated = recipes.rated_clusters(store, 2, year=2015).set_index(["region_code", "category_code"])[
        "lq"
    ]
    joined = density.set_index(["region_code", "category_code"])["lq"]
    np.testing.assert_array_equal(joined.to_numpy(), rated.reindex(joined.index).to_numpy(float))


def test_opportunities_of_a_real_region(store):
    ranked = policy_recipes.opportunities(store, "CZ06")
    traded = ranked.loc[ranked["category_type"] == "traded"]
    assert traded["relatedness_density"].is_monotonic_decreasing
    assert (traded["lq"] < 1).all()
    assert traded["european_employment_persons"].gt(0).all()
    support = policy_recipes.opportunity_support(store, "CZ06")
    first = traded.iloc[0]["category_code"]
    linked = support.loc[support["category_code"] == first]
    assert 1 <= len(linked) <= 3 and linked["related_lq"].ge(1).all()


def test_the_czech_alignment_names_real_kraje_and_categories(store):
    alignment = policy_recipes.s3_alignment(store)
    priorities = alignment.priorities.set_index("priority_id")
    assert len(priorities) == 91 and priorities["region_code"].nunique() == 14
    # Jihomoravský kraj (CZ064) is compared with Jihovýchod (CZ06)
    assert priorities.loc["JHM-1", "region_code"] == "CZ064"
    assert priorities.loc["JHM-1", "nuts2_code"] == "CZ06"
    assert priorities.loc["JHM-1", "priority_name"] == "Software a služby v IT"
    names = recipes.statistics_regions(store)["region_name"]
    assert names["CZ064"] == "Jihomoravský kraj" and names["CZ06"] == "Jihovýchod"
    # Vysočina's automotive priority covers the automotive category (NACE 29)
    matches = alignment.matches.set_index(["priority_id", "category_code"])
    assert matches.loc[("VYS-2", "automotive"), "is_core_match"]
    assert "29" in matches.loc[("VYS-2", "automotive"), "matched_divisions"]
    # Praha's, Olomoucký's, Ústecký's and Zlínský's cards cite no CZ-NACE divisions
    unmatched = set(priorities.loc[priorities["alignment"] == policy.NOT_MATCHED, "region_code"])
    assert {"CZ010", "CZ071", "CZ042", "CZ072"} <= unmatched
    assert set(alignment.unmentioned["region_code"]) <= set(priorities["region_code"])
    _, notes = policy_recipes.s3_priorities(store)
    assert any("CZ-NACE 34" in note for note in notes)


def test_the_shipped_region_groups_are_valid_and_cite_their_sources(store):
    groups = policy_recipes.region_groups(store)
    assert {g.code for g in groups} >= {"danube-region-eu", "greater-region"}
    for group in groups:
        assert group.is_example or group.source.count("http") >= 1, group.code
        if not group.is_example:
            assert "example" not in group.name.lower()


def test_a_groups_employment_is_the_sum_of_its_members_on_the_real_store(store):
    group = policy_recipes.region_group(store, "greater-region")
    rated = policy_recipes.group_rated_clusters(store, group, year=2015)
    rated = rated.set_index("category_code")
    cells = store.cluster_employment.query("year == 2015")
    cells = cells.set_index(["region_code", "nuts_level", "category_code"])
    for category in ("upstream-chemical-products", "plastics"):
        expected = sum(
            cells.loc[(code, level, category), "employment_persons"]
            for code, level in zip(group.members, group.member_levels, strict=True)
        )
        assert rated.loc[category, "employment_persons"] == pytest.approx(expected)


def test_a_group_of_one_real_region_reproduces_it(store, tmp_path):
    path = tmp_path / "groups.yaml"
    path.write_text(
        "groups:\n  - {code: stuttgart, name: Stuttgart, members: [DE11], example: true}\n",
        encoding="utf-8",
    )
    group = read_region_groups(path, store.regions)[0]
    rated = policy_recipes.group_rated_clusters(store, group, year=2015)
    rated = rated.set_index("category_code")
    region = recipes.rated_clusters(store, 2, year=2015)
    region = region.loc[region["region_code"] == "DE11"].set_index("category_code")
    for field in ("employment_persons", "lq", "stars", "size_rank", "focus_share"):
        pd.testing.assert_series_equal(
            rated[field].sort_index(), region[field].sort_index(), check_dtype=False
        )
    context = policy_recipes.group_context(store, group).set_index(["indicator_code", "year"])[
        "value"
    ]
    own = store.context_indicators.query("region_code == 'DE11' and nuts_edition == 2016")
    own = own.groupby(["indicator_code", "year"])["value"].mean()
    shared = context.index.intersection(own.index)
    assert len(shared) > 100
    np.testing.assert_allclose(context[shared], own[shared])


def test_every_context_indicator_of_the_store_has_an_aggregation_rule(store):
    rules = rg.load_aggregation_rules()
    assert set(store.context_indicators["indicator_code"]) <= set(rules.rules)


def test_a_policy_dashboard_of_a_real_region(store):
    dashboard, basis = policy_recipes.policy_dashboard(store, "CZ06", ["DE12", "AT31"])
    assert basis == "peers"
    assert dashboard["policy_area"].ne("").all()
    assert (dashboard["difference"] < 0).all()

"""Region groups: the file users edit, and the figures a group gets (toy store)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from toy_store import YEAR

from observatory_lib.data.region_groups import read_region_groups
from observatory_lib.errors import ConfigError, ObservatoryError
from observatory_lib.indicators import policy_recipes, recipes
from observatory_lib.indicators import region_groups as rg

GOOD = """\
groups:
  - code: alpine
    name: Two Austrian regions
    members: [AT11, AT12]
    source: https://example.org/alpine-members
  - code: solo
    name: Stuttgart alone
    members: [DE11]
    example: true
  - code: mixed
    name: Austria and Stuttgart
    members: [AT, DE11]
    example: true
"""


def _write(tmp_path, text: str):
    path = tmp_path / "groups.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def groups_file(tmp_path, monkeypatch):
    path = _write(tmp_path, GOOD)
    monkeypatch.setenv("OBSERVATORY_REGION_GROUPS", str(path))
    return path


# --- the file ------------------------------------------------------------------------------------


def test_a_good_file_gives_the_groups_with_their_member_levels(toy_store, tmp_path):
    groups = read_region_groups(_write(tmp_path, GOOD), toy_store.regions)
    assert [g.code for g in groups] == ["alpine", "solo", "mixed"]
    assert groups[0].members == ("AT11", "AT12") and groups[0].member_levels == (2, 2)
    assert groups[2].member_levels == (0, 2)
    assert groups[1].is_example and "example" in groups[1].provenance_line()
    assert groups[0].provenance_line().endswith("https://example.org/alpine-members")


def test_a_bad_code_fails_with_its_line_and_the_nearest_valid_codes(toy_store, tmp_path):
    text = GOOD.replace("members: [AT11, AT12]", "members: [AT11,\n              AT1X]")
    with pytest.raises(ConfigError) as caught:
        read_region_groups(_write(tmp_path, text), toy_store.regions)
    message = str(caught.value)
    assert "line 5" in message and "'AT1X'" in message
    assert "AT11" in message and "AT12" in message  # the nearest valid codes
    assert "Fix:" in message


def test_every_bad_code_is_reported_at_once_one_line_each(toy_store, tmp_path):
    text = GOOD.replace("[AT11, AT12]", "[XX99, AT12]").replace("[DE11]", "[DE1Q]")
    with pytest.raises(ConfigError) as caught:
        read_region_groups(_write(tmp_path, text), toy_store.regions)
    lines = str(caught.value).splitlines()
    assert "2 problems" in lines[0]
    assert any("line 4" in line and "XX99" in line for line in lines[1:])
    assert any("line 8" in line and "DE1Q" in line for line in lines[1:])


def test_overlapping_members_are_refused(toy_store, tmp_path):
    text = GOOD.replace("[AT, DE11]", "[AT, AT11]")
    with pytest.raises(ConfigError, match=r"AT11 lies inside AT.*count twice. Fix: keep AT"):
        read_region_groups(_write(tmp_path, text), toy_store.regions)


def test_a_group_without_source_must_say_it_is_an_example(toy_store, tmp_path):
    text = GOOD.replace("    source: https://example.org/alpine-members\n", "")
    with pytest.raises(ConfigError, match=r"line 2: group 'alpine' cites no source.*example"):
        read_region_groups(_write(tmp_path, text), toy_store.regions)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("code: solo", "code: alpine"), "line 6: the group code 'alpine' is used again"),
        (("code: solo", "code: Solo!"), "needs a 'code' of lower-case letters"),
        (("    example: true\n  - code: mixed", "    colour: red\n  - code: mixed"), "unknown key"),
        (("members: [DE11]", "members: []"), "has no 'members' list"),
        (("[AT11, AT12]", "[AT11, AT12"), "not valid YAML"),
    ],
)
def test_other_mistakes_name_the_line_and_the_fix(toy_store, tmp_path, change, expected):
    with pytest.raises(ConfigError, match=expected):
        read_region_groups(_write(tmp_path, GOOD.replace(*change)), toy_store.regions)


def test_a_missing_file_says_how_to_make_one(toy_store, tmp_path):
    with pytest.raises(ConfigError, match="OBSERVATORY_REGION_GROUPS"):
        read_region_groups(tmp_path / "nowhere.yaml", toy_store.regions)


def test_unknown_group_code_lists_the_groups(toy_store, groups_file):
    with pytest.raises(ObservatoryError, match="alpine"):
        policy_recipes.region_group(toy_store, "alpin")


# --- what a group gets ---------------------------------------------------------------------------

CLUSTER_FIELDS = [
    "employment_persons",
    "region_employment_persons",
    "lq",
    "size_share",
    "size_rank",
    "focus_share",
    "stars",
    "stars_out_of",
    "has_confidential_cells",
]


def test_a_group_of_one_region_reproduces_its_cluster_figures(toy_store, groups_file):
    solo = policy_recipes.region_group(toy_store, "solo")
    group = policy_recipes.group_rated_clusters(toy_store, solo, year=YEAR).set_index(
        "category_code"
    )
    region = recipes.rated_clusters(toy_store, 2, year=YEAR)
    region = region.loc[region["region_code"] == "DE11"].set_index("category_code")
    assert set(group.index) == set(region.index)
    for field in CLUSTER_FIELDS:
        pd.testing.assert_series_equal(
            group[field].sort_index(), region[field].sort_index(), check_dtype=False
        )
    assert not group["is_in_reference_set"].any()


def test_a_group_of_one_region_reproduces_its_density_and_opportunities(toy_store, groups_file):
    solo = policy_recipes.region_group(toy_store, "solo")
    related = policy_recipes.group_opportunities(toy_store, solo)
    density, ranked, support = related["density"], related["opportunities"], related["support"]
    own = policy_recipes.relatedness_density(toy_store).query("region_code == 'DE11'")
    columns = ["category_code", "lq", "is_specialised", "relatedness_density"]
    pd.testing.assert_frame_equal(
        density[columns].sort_values("category_code", ignore_index=True),
        own[columns].sort_values("category_code", ignore_index=True),
    )
    region = policy_recipes.opportunities(toy_store, "DE11")
    assert list(ranked["category_code"]) == list(region["category_code"])
    np.testing.assert_array_equal(ranked["relatedness_density"], region["relatedness_density"])
    assert list(support["related_category_code"]) == list(
        policy_recipes.opportunity_support(toy_store, "DE11")["related_category_code"]
    )
    variety = policy_recipes.variety(toy_store).query("region_code == 'DE11'")
    assert related["variety"]["total_variety_bits"].iloc[0] == pytest.approx(
        variety["total_variety_bits"].iloc[0]
    )
    summary = policy_recipes.opportunity_summary(toy_store).query("region_code == 'DE11'")
    assert related["summary"]["n_strong_opportunities"].tolist() == (
        summary["n_strong_opportunities"].tolist()
    )


def test_a_group_of_one_region_reproduces_its_context_indicators(toy_store, groups_file):
    solo = policy_recipes.region_group(toy_store, "solo")
    group = policy_recipes.group_context(toy_store, solo).set_index(["indicator_code", "year"])
    context = toy_store.context_indicators
    region = context.loc[context["region_code"] == "DE11"].set_index(["indicator_code", "year"])
    shared = group.index.intersection(region.index)
    assert len(shared) >= 30
    np.testing.assert_allclose(group.loc[shared, "value"], region.loc[shared, "value"])


def test_a_groups_employment_is_the_sum_of_its_members(toy_store, groups_file):
    alpine = policy_recipes.region_group(toy_store, "alpine")
    group = policy_recipes.group_rated_clusters(toy_store, alpine, year=YEAR).set_index(
        "category_code"
    )
    cells = toy_store.cluster_employment
    cells = cells.loc[cells["year"] == YEAR]
    members = cells.loc[cells["region_code"].isin(["AT11", "AT12"])]
    expected = members.groupby("category_code")["employment_persons"].sum()
    for category, value in expected.items():
        assert group.loc[category, "employment_persons"] == value
    totals = toy_store.region_employment_totals
    totals = totals.loc[totals["year"] == YEAR]
    assert (
        group["region_employment_persons"].iloc[0]
        == totals.loc[totals["region_code"].isin(["AT11", "AT12"]), "employment_persons"].sum()
    )


def test_a_missing_member_value_makes_the_group_value_missing(toy_store, tmp_path):
    text = GOOD.replace("[AT11, AT12]", "[AT11, BE10]")  # BE10's biopharmaceuticals suppressed
    group = read_region_groups(_write(tmp_path, text), toy_store.regions)[0]
    rated = policy_recipes.group_rated_clusters(toy_store, group, year=YEAR).set_index(
        "category_code"
    )
    assert np.isnan(rated.loc["biopharmaceuticals", "employment_persons"])
    assert pd.isna(rated.loc["biopharmaceuticals", "stars"])
    assert rated.loc["automotive", "employment_persons"] == 2_000 + 50


def test_a_mixed_level_group_is_measured_at_its_finest_level(toy_store, groups_file):
    mixed = policy_recipes.region_group(toy_store, "mixed")
    assert rg.benchmark_level(mixed) == 2
    rated = policy_recipes.group_rated_clusters(toy_store, mixed, year=YEAR).set_index(
        "category_code"
    )
    cells = toy_store.cluster_employment.query("year == @YEAR")
    cells = cells.set_index(["region_code", "category_code"])
    expected = (
        cells.loc[("AT", "automotive"), "employment_persons"]
        + cells.loc[("DE11", "automotive"), "employment_persons"]
    )
    assert rated.loc["automotive", "employment_persons"] == expected
    assert (rated["nuts_level"] == 2).all()
    # the LQ is against the NUTS-2 benchmark of Europe
    region = recipes.rated_clusters(toy_store, 2, year=YEAR)
    share = region["focus_share"] / region["lq"]
    benchmark = share.groupby(region["category_code"]).first()
    lq = rated["focus_share"] / benchmark.reindex(rated.index)
    np.testing.assert_allclose(rated["lq"], lq)


def test_a_group_with_a_nuts3_member_has_no_cluster_figures(toy_store, tmp_path):
    text = GOOD.replace("[DE11]", "[DE111]")
    group = read_region_groups(_write(tmp_path, text), toy_store.regions)[1]
    with pytest.raises(ObservatoryError, match="NUTS-3"):
        policy_recipes.group_rated_clusters(toy_store, group)


# --- context aggregation -------------------------------------------------------------------------


def _context(rows):
    frame = pd.DataFrame(
        rows, columns=["region_code", "nuts_level", "indicator_code", "year", "value"]
    )
    return frame.assign(unit="x", flag=pd.NA, nuts_edition=2016)


def _regions():
    codes = [("AT", 0), ("AT11", 2), ("AT12", 2), ("DE11", 2)]
    return pd.DataFrame(
        {
            "region_code": [c for c, _ in codes],
            "nuts_level": [level for _, level in codes],
            "nuts_edition": 2016,
            "is_aggregate": False,
        }
    )


RULES = rg.AggregationRules(
    rules={
        "population_persons": rg.AggregationRule("population_persons", "sum"),
        "gdp_per_hab": rg.AggregationRule("gdp_per_hab", "weighted_mean", "population_persons"),
        "share": rg.AggregationRule("share", "weighted_mean", "population_persons"),
        "rate": rg.AggregationRule("rate", "weighted_mean", "labour_force"),
        "employed": rg.AggregationRule("employed", "sum"),
        "unemployed": rg.AggregationRule("unemployed", "sum"),
    },
    derived_weights={"labour_force": ("employed", "unemployed")},
    weight_labels={"labour_force": "labour force"},
)


def test_weighted_means_use_the_stated_weight_and_members_fall_back_to_their_nuts2_regions():
    """A member's weight may come from its NUTS-2 regions; its value too, when it has none."""
    group = read_region_groups_stub(("AT", "DE11"), (0, 2))
    rows = [
        # population exists at NUTS 2 only: Austria is replaced by AT11 + AT12
        ("AT11", 2, "population_persons", 2015, 100.0),
        ("AT12", 2, "population_persons", 2015, 300.0),
        ("DE11", 2, "population_persons", 2015, 600.0),
        # Austria's own value, weighted by its regions' population (none at NUTS 0)
        ("AT", 0, "gdp_per_hab", 2015, 99.0),
        ("DE11", 2, "gdp_per_hab", 2015, 40.0),
        # no value at NUTS 0: Austria is replaced by its regions
        ("AT11", 2, "share", 2015, 10.0),
        ("AT12", 2, "share", 2015, 20.0),
        ("DE11", 2, "share", 2015, 40.0),
        ("AT", 0, "rate", 2015, 5.0),
        ("AT", 0, "employed", 2015, 95.0),
        ("AT", 0, "unemployed", 2015, 5.0),
        ("DE11", 2, "rate", 2015, 10.0),
        ("DE11", 2, "employed", 2015, 270.0),
        ("DE11", 2, "unemployed", 2015, 30.0),
        ("DE11", 2, "gdp_per_hab", 2014, 40.0),  # 2014: Austria has nothing, so no value
    ]
    table = rg.aggregate_context(_context(rows), _regions(), group, RULES)
    table = table.set_index(["indicator_code", "year"])["value"]
    assert table[("population_persons", 2015)] == 1000
    assert table[("gdp_per_hab", 2015)] == pytest.approx((400 * 99 + 600 * 40) / 1000)
    assert table[("share", 2015)] == pytest.approx((100 * 10 + 300 * 20 + 600 * 40) / 1000)
    assert table[("rate", 2015)] == pytest.approx((100 * 5 + 300 * 10) / 400)
    assert ("gdp_per_hab", 2014) not in table.index


def test_an_indicator_without_a_rule_is_refused_with_the_file_to_edit():
    group = read_region_groups_stub(("DE11",), (2,))
    rows = [("DE11", 2, "brand_new_indicator", 2015, 1.0)]
    with pytest.raises(ConfigError, match=r"group_aggregation\.yaml.*brand_new_indicator"):
        rg.aggregate_context(_context(rows), _regions(), group, RULES)


def test_the_shipped_rules_cover_every_toy_indicator(toy_store):
    rules = rg.load_aggregation_rules()
    assert set(toy_store.context_indicators["indicator_code"]) <= set(rules.rules)
    described = rg.describe_rules(rules, ["gva_growth_pct", "population_persons"])
    assert described["population_persons"] == "sum of the members"
    assert "approximation" in described["gva_growth_pct"]


def read_region_groups_stub(members, levels):
    from observatory_lib.data.region_groups import RegionGroup

    return RegionGroup("stub", "Stub", tuple(members), tuple(levels), "", True, "", 1)

"""Relatedness, opportunities and variety (``indicators/relatedness.py``).

The 4-region x 3-category example is computed by hand below; the properties are checked with
hypothesis on random LQ matrices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from observatory_lib.errors import ConfigError, UnknownCodeError
from observatory_lib.indicators import relatedness as rl

# LQs of regions A-D in categories x, y, z. M (LQ >= 1):
#   A: 1 1 0   B: 1 0 1   C: 1 1 0   D: 0 0 1     (C's x is exactly 1.0: specialised)
# ubiquity x = 3, y = 2, z = 2; co-occurrence xy = 2 (A, C), xz = 1 (B), yz = 0, so
#   phi[x, y] = 2 / max(3, 2) = 2/3,  phi[x, z] = 1 / max(3, 2) = 1/3,  phi[y, z] = 0.
# RD[r, c] = 100 * sum_{j != c} M[r, j] phi[c, j] / sum_{j != c} phi[c, j]:
#   A: x = 100 (2/3) / 1 = 66.7, y = 100 (2/3) / (2/3) = 100, z = 100 (1/3) / (1/3) = 100
#   B: x = 100 (1/3) / 1 = 33.3, y = 100 (2/3) / (2/3) = 100, z = 100
#   D: x = 33.3, y = 0 / (2/3) = 0, z = 0 / (1/3) = 0
LQ = {
    "A": (2.0, 1.5, 0.5),
    "B": (1.2, 0.8, 1.1),
    "C": (1.0, 3.0, 0.99),
    "D": (0.5, 0.2, 3.0),
}
PHI = np.array([[0, 2 / 3, 1 / 3], [2 / 3, 0, 0], [1 / 3, 0, 0]])
DENSITY = {
    "A": (200 / 3, 100, 100),
    "B": (100 / 3, 100, 100),
    "C": (200 / 3, 100, 100),
    "D": (100 / 3, 0, 0),
}


def _indicators(lq: dict[str, tuple], *, category_type="traded", reference=None, year=2015):
    rows = []
    categories = ["x", "y", "z"]
    for region, values in lq.items():
        for category, value in zip(categories, values, strict=True):
            rows.append(
                {
                    "region_code": region,
                    "category_code": category,
                    "category_type": category_type,
                    "year": year,
                    "lq": value,
                    "is_in_reference_set": reference is None or region in reference,
                }
            )
    return pd.DataFrame(rows)


def test_hand_computed_proximity_and_density():
    result = rl.compute_relatedness(_indicators(LQ), year=2015)
    space = result.space("traded")
    assert list(space.categories) == ["x", "y", "z"]
    assert list(space.ubiquity) == [3, 2, 2]
    np.testing.assert_allclose(space.proximity, PHI)
    table = rl.density_table(result).set_index(["region_code", "category_code"])
    for region, expected in DENSITY.items():
        got = [table.loc[(region, c), "relatedness_density"] for c in "xyz"]
        np.testing.assert_allclose(got, expected)
    assert bool(table.loc[("C", "x"), "is_specialised"])  # LQ exactly 1 counts
    assert not bool(table.loc[("C", "z"), "is_specialised"])


def test_tidy_downloads_have_the_published_columns():
    result = rl.compute_relatedness(_indicators(LQ), year=2015)
    proximity = rl.proximity_table(result)
    assert list(proximity.columns) == ["category_code", "related_category_code", "proximity"]
    assert len(proximity) == 6  # ordered pairs i != j
    assert proximity.set_index(["category_code", "related_category_code"]).loc[
        ("x", "y"), "proximity"
    ] == pytest.approx(2 / 3)
    density = rl.density_table(result)
    assert list(density.columns)[:6] == [
        "region_code",
        "category_code",
        "year",
        "lq",
        "is_specialised",
        "relatedness_density",
    ]
    assert len(density) == 12


def test_only_reference_regions_define_the_proximity_but_every_region_gets_a_density():
    lq = {**LQ, "E": (3.0, 3.0, 3.0)}  # outside the reference set: changes no proximity
    result = rl.compute_relatedness(_indicators(lq, reference=set(LQ)), year=2015)
    np.testing.assert_allclose(result.space("traded").proximity, PHI)
    density = rl.density_table(result).set_index(["region_code", "category_code"])
    assert density.loc[("E", "x"), "relatedness_density"] == pytest.approx(100)


def test_traded_and_emerging_are_computed_separately():
    frame = pd.concat(
        [
            _indicators(LQ),
            _indicators(LQ, category_type="emerging").assign(
                category_code=lambda f: "e-" + f["category_code"]
            ),
        ]
    )
    result = rl.compute_relatedness(frame, year=2015)
    assert set(result.by_type) == {"traded", "emerging"}
    pairs = rl.proximity_table(result)
    mixed = pairs["category_code"].str.startswith("e-") != pairs[
        "related_category_code"
    ].str.startswith("e-")
    assert not mixed.any()
    assert len(pairs) == 12


def test_unknown_lq_stays_missing_and_counts_in_no_sum():
    lq = {**LQ, "B": (1.2, np.nan, 1.1)}
    result = rl.compute_relatedness(_indicators(lq), year=2015)
    density = rl.density_table(result).set_index(["region_code", "category_code"])
    assert pd.isna(density.loc[("B", "y"), "is_specialised"])
    assert density.loc[("B", "x"), "n_categories_unknown"] == 1
    assert density.loc[("B", "y"), "n_categories_unknown"] == 0
    # x's density for B is taken over y and z; y is unknown: 100 * (1/3) / (1/3)
    assert density.loc[("B", "x"), "relatedness_density"] == pytest.approx(100)


def test_opportunities_rank_by_density_with_their_supporting_strengths():
    result = rl.compute_relatedness(_indicators(LQ), year=2015)
    ranked, support = rl.opportunity_tables(result)
    d = ranked.loc[ranked["region_code"] == "D"]
    assert list(d["category_code"]) == ["x", "y"]
    assert list(d["rank_in_region"]) == [1, 2]
    assert list(d["n_related_strengths"]) == [1, 0]
    d_support = support.loc[support["region_code"] == "D"]
    assert d_support[["category_code", "related_category_code"]].values.tolist() == [["x", "z"]]
    assert d_support["proximity"].iloc[0] == pytest.approx(1 / 3)
    assert d_support["related_lq"].iloc[0] == pytest.approx(3.0)
    # a specialised category is never an opportunity
    merged = ranked.merge(rl.density_table(result), on=["region_code", "category_code"])
    assert not merged["is_specialised"].any()


def test_support_keeps_the_strongest_links_first_and_at_most_n():
    result = rl.compute_relatedness(_indicators(LQ), year=2015)
    _, support = rl.opportunity_tables(result, n_support=1)
    assert support.groupby(["region_code", "category_code"]).size().max() == 1


def test_unknown_year_names_the_years():
    with pytest.raises(UnknownCodeError, match="2015"):
        rl.compute_relatedness(_indicators(LQ), year=2014)


# --- properties ------------------------------------------------------------------------------

LQ_MATRICES = arrays(
    float,
    st.tuples(st.integers(2, 10), st.integers(2, 7)),
    elements=st.one_of(st.floats(0, 4, allow_nan=False), st.just(np.nan)),
)


@settings(max_examples=150, deadline=None)
@given(LQ_MATRICES)
def test_proximity_is_symmetric_and_between_zero_and_one(lq):
    proximity, ubiquity = rl.compute_proximity(rl.specialisation_matrix(lq))
    np.testing.assert_allclose(proximity, proximity.T)
    assert np.all((proximity >= 0) & (proximity <= 1))
    assert np.all(np.diag(proximity) == 0)
    assert np.all(ubiquity >= 0)


@settings(max_examples=150, deadline=None)
@given(LQ_MATRICES)
def test_density_is_between_zero_and_one_hundred(lq):
    specialised = rl.specialisation_matrix(lq)
    proximity, _ = rl.compute_proximity(specialised)
    density = rl.compute_density(specialised, proximity)
    known = density[~np.isnan(density)]
    assert np.all((known >= 0) & (known <= 100 + 1e-9))


@settings(max_examples=150, deadline=None)
@given(LQ_MATRICES)
def test_a_region_specialised_in_nothing_has_density_zero(lq):
    specialised = rl.specialisation_matrix(lq)
    proximity, _ = rl.compute_proximity(specialised)
    nothing = np.zeros((1, lq.shape[1]))
    density = rl.compute_density(nothing, proximity)
    assert np.all(np.isnan(density) | (density == 0))
    # defined wherever the category has any related category
    assert np.all(~np.isnan(density[0]) == (proximity.sum(axis=1) > 0))


@settings(max_examples=200, deadline=None)
@given(LQ_MATRICES, st.data())
def test_adding_a_specialisation_never_lowers_another_categorys_density(lq, data):
    specialised = rl.specialisation_matrix(lq)
    proximity, _ = rl.compute_proximity(specialised)
    region = data.draw(st.integers(0, lq.shape[0] - 1))
    added = data.draw(st.integers(0, lq.shape[1] - 1))
    before = rl.compute_density(specialised, proximity)[region]
    changed = specialised.copy()
    changed[region, added] = 1.0  # from 0 or unknown to specialised
    after = rl.compute_density(changed, proximity)[region]
    others = np.arange(lq.shape[1]) != added
    comparable = others & ~np.isnan(before)
    assert np.all(after[comparable] >= before[comparable] - 1e-9)


# --- category sizes and growth ------------------------------------------------------------------


def _sized(years=(2015,)):
    rows = []
    for year in years:
        factor = 1.0 if year == years[0] else 1.21
        for region, (employment, total) in {"A": (100.0, 1000.0), "B": (300.0, 1000.0)}.items():
            rows.append(
                {
                    "region_code": region,
                    "category_code": "x",
                    "category_type": "traded",
                    "year": year,
                    "lq": 1.0,
                    "employment_persons": employment * factor,
                    "region_employment_persons": total,
                    "is_in_reference_set": True,
                }
            )
    return pd.DataFrame(rows)


def test_category_size_is_european_employment_and_its_share():
    sizes = rl.category_sizes(_sized(), year=2015)
    row = sizes.iloc[0]
    assert row["european_employment_persons"] == 400
    assert row["european_employment_share"] == pytest.approx(0.2)
    assert np.isnan(row["european_growth_pct"])
    assert row["european_growth_status"] == rl.GROWTH_SINGLE_YEAR


def test_category_growth_appears_with_several_years():
    sizes = rl.category_sizes(_sized((2013, 2015)), year=2015)
    assert sizes.iloc[0]["european_growth_pct"] == pytest.approx(10.0)
    assert sizes.iloc[0]["european_growth_status"] == rl.GROWTH_AVAILABLE


# --- variety -------------------------------------------------------------------------------------


def test_variety_hand_computed_and_decomposes_the_entropy():
    frame = pd.DataFrame(
        {
            "region_code": "A",
            "category_code": ["x", "y", "z", "w"],
            "category_type": ["traded", "traded", "traded", "emerging"],
            "year": 2015,
            "employment_persons": [50.0, 50.0, 100.0, 999.0],
        }
    )
    groups = pd.DataFrame({"category_code": ["x", "y", "z"], "group_code": ["g1", "g1", "g2"]})
    row = rl.compute_variety(frame, groups, year=2015).iloc[0]
    # shares 0.25, 0.25, 0.5: total 1.5 bits; groups 0.5, 0.5: unrelated 1 bit; related 0.5
    assert row["total_variety_bits"] == pytest.approx(1.5)
    assert row["unrelated_variety_bits"] == pytest.approx(1.0)
    assert row["related_variety_bits"] == pytest.approx(0.5)
    assert row["n_categories"] == 3 and row["n_groups"] == 2


def test_variety_keeps_missing_missing():
    frame = pd.DataFrame(
        {
            "region_code": ["A", "A", "B"],
            "category_code": ["x", "y", "x"],
            "category_type": "traded",
            "year": 2015,
            "employment_persons": [10.0, np.nan, np.nan],
        }
    )
    groups = pd.DataFrame({"category_code": ["x", "y"], "group_code": ["g1", "g2"]})
    table = rl.compute_variety(frame, groups, year=2015).set_index("region_code")
    assert table.loc["A", "n_categories_missing"] == 1
    assert table.loc["A", "total_variety_bits"] == 0
    assert np.isnan(table.loc["B", "total_variety_bits"])


def test_category_groups_follow_the_plurality_of_classes():
    classes = pd.DataFrame(
        {
            "category_code": ["a", "a", "a", "b"],
            "category_type": "traded",
            "nace_code": ["C29", "C29", "C25", "J62"],
        }
    )
    groups = rl.category_groups(classes).set_index("category_code")
    assert groups.loc["a", "group_code"] == "medium_high_tech_manufacturing"
    assert groups.loc["a", "n_classes_in_group"] == 2
    assert groups.loc["b", "group_code"] == "knowledge_intensive_services"


def test_every_nace_division_has_exactly_one_group():
    groups = rl.load_technology_groups()
    divisions = [d for spec in groups.values() for d in spec["divisions"]]
    assert len(divisions) == len(set(divisions))
    assert {"21", "26", "62", "01", "43"} <= set(divisions)


def test_a_division_in_two_groups_is_refused(tmp_path):
    path = tmp_path / "groups.yaml"
    path.write_text(
        "groups:\n  - {id: a, divisions: ['21']}\n  - {id: b, divisions: ['21']}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="division 21"):
        rl.load_technology_groups(path)

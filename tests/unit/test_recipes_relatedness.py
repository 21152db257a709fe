"""The recipe layer's relatedness tables on the toy store: one definition, one place."""

from __future__ import annotations

import numpy as np
import pytest
from toy_store import YEAR

from observatory_lib.errors import UnknownCodeError
from observatory_lib.indicators import policy_recipes, recipes
from observatory_lib.indicators import relatedness as rl


def test_density_lqs_are_the_rated_clusters_lqs(toy_store):
    density = policy_recipes.relatedness_density(toy_store).set_index(
        ["region_code", "category_code"]
    )
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR).set_index(
        ["region_code", "category_code"]
    )
    joined = density.join(rated["lq"].rename("lq_rated"))
    np.testing.assert_array_equal(joined["lq"].to_numpy(), joined["lq_rated"].to_numpy(float))
    assert set(density.index) == set(rated.index)


def test_proximity_is_the_direct_computation_on_the_reference_regions(toy_store):
    rated = recipes.rated_clusters(toy_store, 2)
    expected = rl.proximity_table(rl.compute_relatedness(rated, year=YEAR))
    got = policy_recipes.proximity(toy_store)
    assert got.equals(expected)
    # traded: automotive, biopharmaceuticals, metalworking; emerging: blue growth alone
    traded = {"automotive", "biopharmaceuticals", "metalworking-technology"}
    assert set(got["category_code"]) == traded
    # M (LQ >= 1) of the regions with a known total:
    #   AT11 auto+metal, AT12 bio+metal, BE10 metal (bio unknown), BE21 bio, DE11 auto
    # auto-metal: AT11 / max(2, 3) = 1/3; bio-metal: AT12 / max(2, 3) = 1/3; auto-bio: 0
    pairs = got.set_index(["category_code", "related_category_code"])["proximity"]
    assert pairs[("automotive", "metalworking-technology")] == pytest.approx(1 / 3)
    assert pairs[("biopharmaceuticals", "metalworking-technology")] == pytest.approx(1 / 3)
    assert pairs[("automotive", "biopharmaceuticals")] == 0


def test_opportunities_of_a_region_are_its_rows_of_the_whole_table(toy_store):
    everything = policy_recipes.opportunities(toy_store)
    de11 = policy_recipes.opportunities(toy_store, "DE11")
    assert set(de11["region_code"]) == {"DE11"}
    assert len(de11) == (everything["region_code"] == "DE11").sum()
    # DE11 is specialised in automotive only: metalworking (linked to automotive and
    # biopharmaceuticals by 1/3 each: density 100 (1/3) / (2/3) = 50) before biopharmaceuticals
    traded = de11.loc[de11["category_type"] == "traded"]
    assert list(traded["category_code"]) == ["metalworking-technology", "biopharmaceuticals"]
    assert list(traded["relatedness_density"]) == [50.0, 0.0]
    assert traded["category_name"].iloc[0] == "Metalworking Technology"
    # five years in the toy store: the category's European growth is available
    assert (traded["european_growth_status"] == "available").all()
    assert traded["european_growth_pct"].notna().all()
    assert traded["european_employment_persons"].notna().all()
    support = policy_recipes.opportunity_support(toy_store, "DE11")
    assert support[["category_code", "related_category_code"]].values.tolist() == [
        ["metalworking-technology", "automotive"]
    ]
    assert support["related_category_name"].iloc[0] == "Automotive"


def test_a_region_without_cluster_data_is_refused_with_the_nearest_codes(toy_store):
    with pytest.raises(UnknownCodeError, match="DE11"):
        policy_recipes.opportunities(toy_store, "DE1X")


def test_opportunity_summary_counts_strong_opportunities(toy_store):
    summary = policy_recipes.opportunity_summary(toy_store).set_index(
        ["region_code", "category_type"]
    )
    row = summary.loc[("DE11", "traded")]
    assert row["n_specialised"] == 1
    assert row["n_opportunities"] == 2
    assert row["n_strong_opportunities"] == 1  # metalworking, density 100 >= 50
    assert summary.loc[("DE12", "traded"), "n_categories_unknown"] == 3


def test_variety_decomposes_the_entropy_of_traded_employment(toy_store):
    table = policy_recipes.variety(toy_store).set_index("region_code")
    row = table.loc["AT11"]
    assert row["total_variety_bits"] == pytest.approx(
        row["related_variety_bits"] + row["unrelated_variety_bits"]
    )
    assert row["region_name"] == "Burgenland"
    # BE10's biopharmaceuticals cell is suppressed: counted as missing, never as 0
    assert table.loc["BE10", "n_categories_missing"] == 1


def test_relatedness_tables_are_memoised(toy_store):
    assert policy_recipes.relatedness(toy_store) is policy_recipes.relatedness(toy_store)
    first = policy_recipes.relatedness_density(toy_store)
    first["lq"] = 0.0  # a caller's change never reaches the memo
    assert policy_recipes.relatedness_density(toy_store)["lq"].ne(0.0).any()

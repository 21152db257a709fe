"""Cluster indicator invariants on the real store."""

import numpy as np
import pytest

from observatory_lib.indicators import recipes

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=[2, 1])
def rated(request, built_store):
    return recipes.rated_clusters(built_store, request.param, "eco2008")


def _reference_cells(rated):
    cells = rated[rated["is_in_reference_set"]]
    return cells.dropna(subset=["employment_persons", "region_employment_persons"])


def test_employment_weighted_mean_lq_is_one_per_category(rated):
    cells = _reference_cells(rated).dropna(subset=["lq"])
    weights = cells["region_employment_persons"]
    groups = [cells["category_code"], cells["year"]]
    weighted = (cells["lq"] * weights).groupby(groups).sum()
    totals = weights.groupby(groups).sum()
    mean_lq = (weighted / totals).dropna()
    assert len(mean_lq) > 40
    np.testing.assert_allclose(mean_lq.to_numpy(), 1.0, rtol=1e-9)


def test_size_shares_sum_to_one_per_category(rated):
    # size needs no region total: every reference cell with known employment counts
    cells = rated[rated["is_in_reference_set"]].dropna(subset=["employment_persons"])
    sums = cells.groupby(["category_code", "year"])["size_share"].sum()
    sums = sums[sums > 0]
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-9)


def test_a_star_only_where_its_rule_holds(rated):
    lq_star = rated["specialisation_pass"].fillna(False).astype(bool)
    assert (rated.loc[lq_star, "lq"] >= 2.0).all()
    assert not (rated["lq"] < 2.0)[lq_star].any()
    size_star = rated["size_pass"].fillna(False).astype(bool)
    assert (
        rated.loc[size_star, "employment_persons"] >= rated.loc[size_star, "size_threshold"]
    ).all()
    counted = rated[["size_pass", "specialisation_pass", "focus_pass"]].fillna(False).sum(axis=1)
    judged = rated["stars"].notna()
    assert (rated.loc[judged, "stars"] == counted[judged]).all()


def test_missing_employment_never_gets_a_star_or_a_zero(rated):
    missing = rated[rated["employment_persons"].isna()]
    assert len(missing) > 0
    assert not missing["size_pass"].fillna(False).astype(bool).any()
    assert missing["lq"].isna().all()
    assert missing["focus_share"].isna().all()


def test_wages_give_the_productivity_star_on_real_data(built_store):
    rated = recipes.rated_clusters(built_store, 2, "eocic")
    with_wage = rated["wage_per_employee_eur"].notna()
    assert with_wage.mean() > 0.5
    assert (rated.loc[with_wage, "productivity_status"] == "available").all()
    assert set(rated["stars_out_of"].dropna()) == {3}  # wages in every year 2008-2015

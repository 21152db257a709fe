"""Change over time on the real store: the eight SBS years, the crosswalks, the Slovenian fix,
wages, breaks, shift-share and the stars on four criteria (issue 12's tests on real data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory_lib.data import eurostat, sbs
from observatory_lib.indicators import change_recipes, recipes

pytestmark = pytest.mark.integration

BULK = "eurostat/sbs_2008_2015/sbs_r_nuts06_r2_2008-2015_vintage2017-07.tsv.gz"
EXTRACT = "eurostat/sbs_r_nuts06_r2_persons_employed_2015.csv"


@pytest.fixture(scope="module")
def raw(mirror_file):
    """Both SBS files as read, joined by the vintage rule, codes as published."""
    bulk = sbs.read_sbs_bulk(mirror_file(BULK))
    return sbs.combine_sbs_vintages(bulk, eurostat.read_sbs_extract(mirror_file(EXTRACT)))


def test_every_year_2008_2015_is_in_the_store(built_store):
    assert sorted(built_store.sbs_employment["year"].unique()) == list(range(2008, 2016))
    assert recipes.cluster_years(built_store) == list(range(2008, 2016))
    sbs_table = built_store.sbs_employment
    de = sbs_table.query("region_code == 'DE' and nace_code == 'C'").set_index("year")
    assert de.loc[2015, "wages_eur"] == pytest.approx(313_264e6, rel=1e-4)  # data README check
    assert de.loc[2009, "flag"] == "d"  # DE 2008-2009: definition differs


def test_si03_si04_carry_their_published_division_values(built_store, raw):
    store = built_store.sbs_employment.set_index(["region_code", "nace_code", "year"])
    published = raw[
        raw["region_code"].isin(["SI03", "SI04"]) & raw["nace_code"].str.match(r"^[A-Z]\d\d$")
    ]
    published = published.set_index(["region_code", "nace_code", "year"])["employment_persons"]
    mine = store.loc[published.index, "employment_persons"]
    pd.testing.assert_series_equal(mine, published, check_names=False)
    assert store.loc[("SI03", "C31", 2015), "employment_persons"] == 3172.0  # furniture
    clusters = built_store.cluster_employment.set_index(["region_code", "category_code", "year"])
    assert clusters.loc[("SI03", "furniture", 2015), "employment_persons"] == 3172.0
    # SI01/SI02 (NUTS 2010, boundary change in 2013) are left out, never merged into SI03/SI04
    assert not built_store.sbs_employment["region_code_source"].isin(["SI01", "SI02"]).any()
    recoding = built_store.nuts_recoding.set_index("region_code_source")
    assert recoding.loc["SI01", "recode_relation"] == "left out"


def test_no_duplicated_region_nace_year_row_anywhere(built_store):
    assert not built_store.sbs_employment.duplicated(["region_code", "nace_code", "year"]).any()
    keys = ["region_code", "category_code", "year"]
    assert not built_store.cluster_employment.duplicated(keys).any()
    assert not built_store.region_employment_totals.duplicated(["region_code", "year"]).any()
    context = built_store.context_indicators
    assert not context.duplicated(["region_code", "indicator_code", "year"]).any()
    lfs = built_store.lfs_sector_employment
    assert not lfs.duplicated(["region_code", "nace_code", "year"]).any()


def test_whole_division_categories_equal_the_raw_sbs_for_unchanged_codes(built_store, raw):
    classes = built_store.cluster_nace_classes
    per_division = classes.groupby(["category_code", "nace_code"])["allocation_share"].sum()
    whole = per_division[np.isclose(per_division, 1.0)].reset_index()
    only_whole = classes.groupby("category_code")["nace_code"].nunique()
    chosen = whole.groupby("category_code")["nace_code"].nunique()
    categories = chosen[chosen == only_whole.reindex(chosen.index)].index
    assert len(categories) >= 1  # e.g. furniture is division C31 whole
    sbs_table = built_store.sbs_employment
    unchanged = sbs_table.loc[sbs_table["recode_relation"] == "same", "region_code"].unique()
    raw_cells = raw[raw["region_code"].isin(unchanged)].set_index(
        ["region_code", "nace_code", "year"]
    )
    clusters = built_store.cluster_employment
    checked = 0
    for category in categories:
        divisions = whole.loc[whole["category_code"] == category, "nace_code"].tolist()
        cells = clusters[
            (clusters["category_code"] == category)
            & clusters["region_code"].isin(unchanged)
            & ~clusters["has_confidential_cells"]
            & clusters["employment_persons"].notna()
        ]
        for row in cells.itertuples(index=False):
            expected = sum(
                raw_cells.loc[(row.region_code, d, row.year), "employment_persons"]
                for d in divisions
            )
            assert row.employment_persons == pytest.approx(expected), (
                category,
                row.region_code,
                row.year,
            )
            checked += 1
    assert checked > 1000


def test_a_confidential_cell_never_becomes_zero(built_store, raw):
    confidential = raw[raw["flag"].fillna("").str.contains("c") & raw["employment_persons"].isna()]
    assert len(confidential) > 1000
    store = built_store.sbs_employment
    same = store[store["recode_relation"] == "same"].set_index(["region_code", "nace_code", "year"])
    keys = [
        k
        for k in confidential.set_index(["region_code", "nace_code", "year"]).index
        if k in same.index
    ]
    assert len(keys) > 1000
    assert same.loc[keys, "employment_persons"].isna().all()
    assert (same.loc[keys, "flag"].fillna("").str.contains("c")).all()
    zeros_in_store = (store["employment_persons"] == 0).sum()
    assert zeros_in_store <= (raw["employment_persons"] == 0).sum()


def test_split_regions_are_apportioned_and_flagged(built_store):
    sbs_table = built_store.sbs_employment
    hu = sbs_table.query("nace_code == 'C' and year == 2015 and region_code in ['HU11', 'HU12']")
    assert set(hu["recode_relation"]) == {"apportioned"}
    assert set(hu["region_code_source"]) == {"HU10"}
    assert hu["recode_weight"].sum() == pytest.approx(1.0)
    ie06 = sbs_table.query("region_code == 'IE06' and nace_code == 'C' and year == 2010")
    assert ie06["region_code_source"].tolist() == ["IE01+IE02"]
    clusters = built_store.cluster_employment
    assert clusters.loc[clusters["region_code"] == "HU11", "is_apportioned"].all()
    assert not clusters.loc[clusters["region_code"] == "DE11", "is_apportioned"].any()
    recoding = built_store.nuts_recoding
    apportioned = set(
        recoding.query(
            "recode_relation == 'apportioned' and nuts_level == 2 and nuts_edition_source == 2013"
        )["region_code_source"]
    )
    assert apportioned == {"HU10", "IE01", "IE02", "LT00", "PL12", "UKM2", "UKM3"}


def test_lqs_count_slovenia_in_the_european_reference(built_store):
    indicators = recipes.cluster_indicators(built_store, 2)
    cells = indicators[(indicators["year"] == 2015) & indicators["is_in_reference_set"]]
    si = cells[cells["region_code"].isin(["SI03", "SI04"])]
    assert si["lq"].notna().sum() > 60
    # E_i / E over the reference regions with both values, Slovenia included, gives the LQ
    furniture = cells[(cells["category_code"] == "furniture")].dropna(
        subset=["employment_persons", "region_employment_persons"]
    )
    assert {"SI03", "SI04"} <= set(furniture["region_code"])
    share = furniture["employment_persons"].sum() / furniture["region_employment_persons"].sum()
    row = furniture.set_index("region_code").loc["SI03"]
    expected = (row["employment_persons"] / row["region_employment_persons"]) / share
    assert row["lq"] == pytest.approx(expected)


def test_shift_share_components_add_up_to_the_actual_change(built_store):
    table = change_recipes.shift_share(built_store, 2, (2011, 2015))
    usable = table[table["status"] == "available"]
    assert len(usable) > 8000
    parts = usable[["european_growth_component", "category_mix_component", "regional_component"]]
    np.testing.assert_allclose(parts.sum(axis=1), usable["actual_change"], rtol=1e-9, atol=1e-6)
    missing = table[table["status"] != "available"]
    assert missing["actual_change"].isna().all()


def test_a_break_spanning_growth_is_flagged_and_not_computed(built_store):
    indicators = recipes.cluster_indicators(built_store, 2)
    france = indicators[(indicators["region_code"] == "FR10") & (indicators["year"] == 2015)]
    # France breaks in 2014 (flag b): no 2011-2015 growth is shown as plain growth
    assert france["growth_spans_break"].astype(bool).all()
    assert france["employment_growth_pct"].isna().all()
    assert france["dynamism_status"].str.contains("series break").all()
    germany = indicators[(indicators["region_code"] == "DE11") & (indicators["year"] == 2015)]
    assert germany["employment_growth_pct"].notna().sum() > 40
    transitions = change_recipes.star_transitions(built_store, 2, "eco2008", (2011, 2015))
    assert transitions.loc[transitions["region_code"] == "FR10", "spans_break"].all()


def test_wages_per_person_and_relative_wages(built_store):
    indicators = recipes.cluster_indicators(built_store, 2)
    cells = indicators[(indicators["year"] == 2014) & indicators["is_in_reference_set"]]
    both = cells.dropna(subset=["wage_per_employee_eur", "employment_persons"])
    assert len(both) > 10_000
    # the employment-weighted mean of the relative wage is 100 per category and year
    weighted = (both["relative_wage_index"] * both["employment_persons"]).groupby(
        both["category_code"]
    ).sum() / both.groupby("category_code")["employment_persons"].sum()
    np.testing.assert_allclose(weighted.to_numpy(), 100.0, rtol=1e-9)
    per_unit = both["persons_per_local_unit"].dropna()
    assert (per_unit > 0).all() and 5 < per_unit.median() < 50


def test_four_criteria_stars_on_real_data_and_the_classic_preset_unchanged(built_store):
    rated = recipes.rated_clusters(built_store, 2, "panorama4", year=2014)
    assert set(rated["stars_out_of"].dropna()) == {4}
    for criterion in ("productivity", "dynamism"):
        passes = rated[f"{criterion}_pass"].fillna(False).astype(bool)
        assert passes.sum() > 100, criterion
        assert (rated.loc[passes, "employment_persons"] >= 1000).all()
    eocic = recipes.rated_clusters(built_store, 2, "eocic", year=2015)
    assert set(eocic["stars_out_of"].dropna()) == {3}
    classic = recipes.rated_clusters(built_store, 2, "eco2008", year=2015)
    assert set(classic["stars_out_of"].dropna()) == {3}
    assert {"size_pass", "specialisation_pass", "focus_pass"} <= set(classic.columns)
    assert "productivity_pass" not in classic.columns


def test_every_indicator_is_a_tidy_long_panel(built_store):
    panel = change_recipes.change_panel(built_store, 2)
    assert {
        "region_code",
        "category_code",
        "year",
        "indicator_code",
        "value",
        "unit",
        "flag",
    } <= set(panel.columns)
    assert not panel.duplicated(["region_code", "category_code", "year", "indicator_code"]).any()
    assert sorted(panel["year"].unique()) == list(range(2008, 2016))


def test_apportioned_regions_say_so_in_the_products(built_store):
    from observatory_lib.products import sector_report
    from observatory_lib.products.region_scorecard import build_scorecard

    card = build_scorecard(built_store, "HU11", n_draws=20)
    assert any("apportioned" in note for note in card.notes)
    assert not any(
        "apportioned" in note for note in build_scorecard(built_store, "DE11", n_draws=20).notes
    )
    report = sector_report.sector_report_content(built_store, "furniture")
    assert any("HU11" in note and "apportioned" in note for note in report.notes)

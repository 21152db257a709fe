"""The European Cluster Panorama on the toy store: counts, shares, names, sensitivity, files."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from toy_store import CATEGORIES, COUNTRIES, COUNTRY_NAMES, REGIONS, TOTALS, YEAR

from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators import change_recipes, recipes
from observatory_lib.products import cluster_panorama as panorama
from observatory_lib.products.kit import display
from observatory_lib.products.kit.downloads import read_csv_table
from observatory_lib.products.kit.maps import HALF_WIDTH

TRADED_WITH_SBS = [
    code for code, _, kind, _, in_scope in CATEGORIES if in_scope and kind == "traded"
]
EMERGING_NAMES = [name for _, name, kind, _, _ in CATEGORIES if kind == "emerging"]


@pytest.fixture
def report(toy_store):
    return panorama.panorama_context(toy_store, YEAR, "eco2008", 2)


def test_panorama_context_counts_match_the_rating(toy_store, report):
    rated = report.rated
    traded = rated[(rated["category_type"] == "traded") & rated["is_in_reference_set"]]
    starred = traded["stars"].fillna(0) >= 1
    assert report.europe["n_starred_clusters"] == int(starred.sum())
    assert report.europe["n_clusters_rated"] == int(traded["stars"].notna().sum())
    # every traded cell with SBS data is rated except the confidential one (BE10)
    assert report.europe["n_clusters_rated"] == len(REGIONS) * len(TRADED_WITH_SBS) - 1
    emerging = rated[rated["category_type"] == "emerging"]
    assert report.europe["n_starred_emerging"] == int((emerging["stars"].fillna(0) >= 1).sum())
    assert report.europe["n_regions"] == len(REGIONS)
    assert report.reference_countries == tuple(COUNTRIES)
    assert f"{len(COUNTRIES)} countries" in report.reference_description
    assert f"**{report.europe['n_starred_clusters']:,}**" in report.headline_markdown()
    record = report.record()
    assert record["n_starred_clusters"] == report.europe["n_starred_clusters"]
    assert record["reference_countries"] == list(COUNTRIES)
    assert (record["product"], record["year"], record["nuts_level"]) == (
        "cluster_panorama",
        YEAR,
        2,
    )


def test_panorama_rated_table_is_the_recipe_layers(toy_store, report):
    expected = recipes.rated_clusters(toy_store, 2, "eco2008", year=YEAR)
    assert report.rated["stars"].astype("Float64").equals(expected["stars"].astype("Float64"))
    assert report.rated["lq"].equals(expected["lq"])


def test_panorama_share_uses_regions_with_a_known_total(toy_store, report):
    by_region = report.by_region.set_index("region_code")
    # DE12 has no total: its share is missing, never 0, and it is left out of Europe's share
    assert np.isnan(by_region.loc["DE12", "starred_employment_share_pct"])
    known = by_region.drop(index="DE12")
    expected = (
        100 * known["starred_employment_persons"].sum() / known["region_employment_persons"].sum()
    )
    assert report.europe["starred_employment_share_pct"] == pytest.approx(expected)
    # the same share from the toy frames: starred traded employment over the known totals
    totals = dict(zip(REGIONS, TOTALS, strict=True))
    known_regions = [code for code, total in totals.items() if not np.isnan(total)]
    rated = report.rated
    starred = rated[
        (rated["category_type"] == "traded")
        & (rated["stars"].fillna(0) >= 1)
        & rated["region_code"].isin(known_regions)
    ]
    direct = 100 * starred["employment_persons"].sum() / sum(totals[c] for c in known_regions)
    assert report.europe["starred_employment_share_pct"] == pytest.approx(direct)
    assert report.europe["n_regions_with_total"] == len(known_regions) == 5


def test_panorama_tables_carry_names(report):
    countries = report.by_country.set_index("country_code")
    assert countries["country_name"].to_dict() == COUNTRY_NAMES
    names = {name for _, name, _, _, in_scope in CATEGORIES if in_scope}
    assert set(report.leaders["category_name"]) <= names
    assert report.emerging["category_name"].tolist() == EMERGING_NAMES
    assert report.by_region["region_name"].notna().all()
    assert report.rated["category_name"].notna().all()


def test_panorama_empty_reference_list_means_every_country(toy_store):
    default = panorama.panorama_context(toy_store, YEAR, "eco2008", 2, [])
    chosen = panorama.panorama_context(toy_store, YEAR, "eco2008", 2, ["AT", "BE"])
    assert default.reference_countries == tuple(COUNTRIES)
    assert chosen.reference_countries == ("AT", "BE")
    assert chosen.europe["n_regions"] == sum(code[:2] in {"AT", "BE"} for code in REGIONS)
    assert "2 countries" in chosen.reference_description


def test_panorama_level_0(toy_store):
    report = panorama.panorama_context(toy_store, YEAR, "eocic", 0)
    assert report.nuts_level == 0
    assert set(report.by_region["region_code"]) == set(COUNTRIES)
    # the toy store has wages: the productivity star counts (the methods note says so)
    assert "3 of 3 criteria counted (size, specialisation, productivity)" in (
        report.methods_markdown()
    )
    # Belgium's biopharmaceuticals cell sums a missing region: missing, not rated
    rated = report.rated.set_index(["region_code", "category_code"])
    assert np.isnan(rated.loc[("BE", "biopharmaceuticals"), "employment_persons"])
    assert report.europe["n_clusters_rated"] == len(COUNTRIES) * len(TRADED_WITH_SBS) - 1


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"star_preset": "eco2009"}, "eco2008, eocic, panorama4"),
        ({"year": 2016}, str(YEAR)),
        ({"level": 3}, "NUTS level"),
        ({"level": 1}, "valid NUTS level codes: 0, 2"),
        ({"reference_countries": ["XX"]}, "Countries with NUTS 2 data: AT, BE, DE"),
    ],
)
def test_panorama_bad_input_names_the_valid_choices(toy_store, kwargs, expected):
    with pytest.raises(ObservatoryError, match=expected):
        panorama.panorama_context(toy_store, **{"year": YEAR, **kwargs})


def test_sensitivity_varies_lq_and_top_shares(report):
    table = report.sensitivity
    lq = table[table["criterion"] == "specialisation"]
    assert lq["cutoff"].tolist() == list(panorama.LQ_CUTOFFS)
    assert lq["is_preset_cutoff"].sum() == 1
    assert lq.loc[lq["is_preset_cutoff"], "cutoff"].tolist() == [2.0]
    for criterion in ("size", "focus"):
        rows = table[table["criterion"] == criterion]
        assert rows["cutoff"].tolist() == list(panorama.TOP_SHARES)
    preset = table[table["is_preset_cutoff"]]
    assert (preset["n_gain"] == 0).all() and (preset["n_lose"] == 0).all()
    # the cells passing each LQ cut-off, counted on the rated table
    rated = report.rated[report.rated["stars"].notna()]
    for row in lq.itertuples(index=False):
        assert row.n_criterion_pass == int((rated["lq"] >= row.cutoff).sum()), row.cutoff
        assert row.n_rated == len(rated)
    # a lower LQ cut-off can only gain stars, a higher one only lose them
    lower = lq[lq["cutoff"] < 2.0]
    higher = lq[lq["cutoff"] > 2.0]
    assert (lower["n_lose"] == 0).all() and (higher["n_gain"] == 0).all()
    assert lower["n_gain"].sum() > 0 and higher["n_lose"].sum() > 0


def test_sensitivity_skips_criteria_without_data(toy_store):
    without_wages = dataclasses.replace(
        toy_store,
        version=f"{toy_store.version}-no-wages",
        cluster_employment=toy_store.cluster_employment.drop(columns="wages_eur"),
    )
    report = panorama.panorama_context(without_wages, YEAR, "eocic", 2)
    assert "productivity" not in set(report.sensitivity["criterion"])
    assert set(report.sensitivity["criterion"]) == {"size", "specialisation"}


def test_criteria_table_is_the_rule_sets(report):
    criteria = report.criteria.set_index("criterion")
    assert list(criteria.index) == [c.name for c in report.rule_set.criteria]
    assert criteria.loc["specialisation", "cutoff_text"] == "location quotient (LQ) of 2 or more"


def test_panorama_downloads_carry_bom_and_provenance(toy_store, report, outputs):
    written = panorama.write_panorama_downloads(report, toy_store, "panorama")
    names = {path.name for path in written}
    suffix = f"eco2008_nuts2_{YEAR}"
    for stem in (
        "starred_clusters_by_region",
        "starred_clusters_by_country",
        "leaders_by_category",
        "emerging_industries",
        "star_sensitivity",
    ):
        assert f"{stem}_{suffix}.csv" in names
        assert f"{stem}_{suffix}.xlsx" in names
    # every year as a panel, and the change over the window ending in the year
    assert "rated_clusters_eco2008_nuts2_2011-2015.csv" in names
    for stem in ("europe_change", "shift_share", "star_transitions"):
        assert f"{stem}_eco2008_nuts2_2011-2015.csv" in names
    assert len(written) == 18
    assert all(path.is_relative_to(outputs / "panorama") for path in written)
    csv = outputs / "panorama" / f"starred_clusters_by_region_{suffix}.csv"
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf# title: ")
    table, metadata = read_csv_table(csv)
    assert "Source: Eurostat" in metadata["attribution"]
    assert any(line.startswith("sbs_r_nuts06_r2") for line in metadata["source"])
    de12 = table.set_index("region_code").loc["DE12", "starred_employment_share_pct"]
    assert np.isnan(de12)  # written as an empty cell, not 0
    rated, _ = read_csv_table(outputs / "panorama" / "rated_clusters_eco2008_nuts2_2011-2015.csv")
    assert list(rated.columns) == panorama.RATED_DOWNLOAD_COLUMNS
    assert not rated.duplicated(["region_code", "category_code", "year"]).any()
    assert set(rated["year"]) == set(range(2011, 2016))
    assert rated.set_index(["region_code", "category_code", "year"]).loc[
        ("DE11", "automotive", YEAR), "region_name"
    ] == ("Stuttgart")


def test_large_tables_are_published_as_csv_only(toy_store, report, outputs, monkeypatch):
    monkeypatch.setattr(display, "XLSX_MAX_CELLS", 100)
    assert report.rated.size > 100 > report.by_country.size
    written = panorama.write_panorama_downloads(report, toy_store)
    names = {path.name for path in written}
    assert "rated_clusters_eco2008_nuts2_2011-2015.csv" in names
    assert "rated_clusters_eco2008_nuts2_2011-2015.xlsx" not in names
    assert f"starred_clusters_by_country_eco2008_nuts2_{YEAR}.xlsx" in names


def test_panorama_downloads_refuse_a_folder_outside_outputs(toy_store, report, outputs):
    with pytest.raises(ObservatoryError, match="relative folder"):
        panorama.write_panorama_downloads(report, toy_store, "../elsewhere")
    assert not outputs.exists() or not any(outputs.rglob("*.csv"))


def test_panorama_maps_are_figures(toy_store, report):
    figures = panorama.plot_panorama_maps(report, recipes.geometries(toy_store, 2))
    assert set(figures) == {"n_starred_clusters", "starred_employment_share_pct"}
    assert all(hasattr(figure, "savefig") for figure in figures.values())
    # the publication's numbered caption carries the title; the map itself has none
    assert figures["n_starred_clusters"].get_suptitle() == ""
    assert figures["n_starred_clusters"].get_size_inches()[0] == pytest.approx(HALF_WIDTH)


def test_panorama_change_section_comes_from_the_recipe_layer(toy_store, report):
    change = report.change
    assert change.window == (2011, 2015)
    expected = change_recipes.europe_change(toy_store, 2, "eco2008", (2011, 2015))
    by_category = change.by_category.set_index("category_code")
    for row in expected.itertuples(index=False):
        assert by_category.loc[row.category_code, "n_stars_gained"] == row.n_stars_gained
        assert by_category.loc[row.category_code, "category_name"]
    headline = change_recipes.europe_change_headline(toy_store, 2, "eco2008", (2011, 2015))
    assert change.europe == headline
    # BE21's series breaks in 2013: its transitions are counted apart
    assert headline["n_across_break"] == 3  # BE21's three traded clusters (2013 break)
    assert "From 2011 to 2015" in report.change_markdown()
    assert report.record()["change"]["window"] == [2011, 2015]


def test_panorama_in_the_first_year_has_no_change(toy_store):
    report = panorama.panorama_context(toy_store, 2011, "eco2008", 2)
    assert report.change is None and report.change_by_category().empty
    assert "first year with cluster data" in report.change_markdown()

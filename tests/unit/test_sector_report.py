"""The priority sector report on the toy store: traded, emerging and out-of-scope categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from toy_store import CATEGORIES, EMPLOYMENT, NACE, REGIONS, YEAR

from observatory_lib.errors import UnknownCodeError
from observatory_lib.indicators import change_recipes, recipes
from observatory_lib.products import sector_report
from observatory_lib.products.kit.downloads import read_csv_table

NACE_REFERENCE = [
    ("29.10", "29", "C", "Manufacture of motor vehicles"),
    ("29.20", "29", "C", "Manufacture of bodies"),
    ("29.31", "29", "C", "Electrical equipment for motor vehicles"),
    ("29.32", "29", "C", "Other parts for motor vehicles"),
    ("30.11", "30", "C", "Building of ships"),
    ("21.10", "21", "C", "Basic pharmaceutical products"),
    ("21.20", "21", "C", "Pharmaceutical preparations"),
    ("64.11", "64", "K", "Central banking"),
    ("64.19", "64", "K", "Other monetary intermediation"),
    ("50.10", "50", "H", "Sea passenger water transport"),
]
CATEGORY = {code: (name, kind, n, in_scope) for code, name, kind, n, in_scope in CATEGORIES}


def _classes(category_code):
    return [nace_class for code, _, nace_class, _, _ in NACE if code == category_code]


def _sharing(category_code, kind):
    """Categories of ``kind`` sharing a NACE class with ``category_code`` (from the toy list)."""
    own = set(_classes(category_code))
    return [
        code
        for code, (_, other_kind, _, _) in CATEGORY.items()
        if code != category_code and other_kind == kind and own & set(_classes(code))
    ]


@pytest.fixture
def nace_reference():
    return pd.DataFrame(
        NACE_REFERENCE, columns=["nace_class", "nace_division", "nace_section", "title"]
    )


def test_sector_report_of_a_traded_category(toy_store, nace_reference):
    report = sector_report.sector_report_content(
        toy_store, "automotive", nace_reference=nace_reference
    )
    assert (report.category_name, report.category_type) == ("Automotive", "traded")
    assert (report.n_nace_classes, report.n_nace_classes_in_sbs_scope) == CATEGORY["automotive"][2:]
    assert report.composition.classes["nace_class"].tolist() == _classes("automotive")
    assert report.composition.classes["title"].iloc[0] == "Manufacture of motor vehicles"
    assert report.composition.classes["is_in_sbs_scope"].all()
    # the leader has the most stars (then the highest LQ)
    rated = recipes.rated_clusters(toy_store, 2, year=YEAR)
    cells = rated[rated["category_code"] == "automotive"]
    best = cells.sort_values(["stars", "lq"], ascending=False).iloc[0]
    assert report.leading_regions["region_code"].iloc[0] == best["region_code"]
    assert (
        report.leading_regions["region_code"].tolist()
        == report.view.table["region_code"].tolist()[: len(report.leading_regions)]
    )
    assert len(report.leading_regions) == len(REGIONS)  # every region has a known employment
    expected = np.nansum(EMPLOYMENT[("automotive", "traded")])
    assert report.concentration.employment_persons == pytest.approx(expected)
    assert report.concentration.n_regions_with_data == len(REGIONS)
    assert report.n_starred_regions == int((cells["stars"].fillna(0) >= 1).sum())
    assert report.overlap_emerging["category_code"].tolist() == _sharing("automotive", "emerging")
    assert report.overlap_emerging["category_code"].tolist() == ["blue-growth"]
    assert report.overlap_traded.empty
    assert report.notes == ()
    assert report.notes_markdown() == ""
    record = report.record()
    assert record["n_starred_regions"] == report.n_starred_regions
    assert record["gini"] == pytest.approx(report.concentration.gini)
    assert record["n_overlapping_emerging"] == 1
    assert "traded category" in report.headline_markdown()


def test_sector_report_of_an_emerging_industry(toy_store, nace_reference):
    report = sector_report.sector_report_content(
        toy_store, "blue-growth", star_preset="panorama4", nace_reference=nace_reference
    )
    assert report.category_type == "emerging"
    assert report.star_preset == "panorama4"
    assert report.overlap_traded["category_code"].tolist() == _sharing("blue-growth", "traded")
    assert report.overlap_traded["category_code"].tolist() == ["automotive"]
    assert "emerging industry" in report.headline_markdown()
    expected = np.nansum(EMPLOYMENT[("blue-growth", "emerging")])
    assert report.concentration.employment_persons == pytest.approx(expected)


def test_sector_report_with_a_suppressed_cell_leaves_it_out(toy_store, nace_reference):
    report = sector_report.sector_report_content(
        toy_store, "biopharmaceuticals", nace_reference=nace_reference
    )
    table = report.view.table.set_index("region_code")
    # BE10's cell is confidential and could not be estimated: missing, never 0
    assert np.isnan(table.loc["BE10", "employment_persons"])
    assert pd.isna(table.loc["BE10", "stars"])
    assert bool(table.loc["BE10", "has_confidential_cells"])
    assert "BE10" not in set(report.leading_regions["region_code"])
    assert report.concentration.n_regions_with_data == len(REGIONS) - 1
    expected = np.nansum(EMPLOYMENT[("biopharmaceuticals", "traded")])
    assert report.concentration.employment_persons == pytest.approx(expected)
    assert report.notes == (
        "1 of 6 reference regions have no known employment in the category (a needed division "
        "is suppressed); they are left out of the concentration measures.",
    )


def test_sector_report_without_any_cluster_cell_is_all_missing(toy_store, nace_reference):
    assert not (toy_store.cluster_employment["category_code"] == "financial-services").any()
    report = sector_report.sector_report_content(
        toy_store, "financial-services", nace_reference=nace_reference
    )
    table = report.view.table
    assert sorted(table["region_code"]) == sorted(REGIONS)
    assert table["employment_persons"].isna().all() and table["lq"].isna().all()
    assert table["stars"].isna().all()
    assert not (table["employment_persons"] == 0).any()
    assert report.leading_regions.empty
    assert report.n_starred_regions == 0
    assert np.isnan(report.concentration.gini)
    assert np.isnan(report.concentration.employment_persons)
    assert report.concentration.n_regions_with_data == 0
    assert "not available" in report.headline_markdown()
    assert "None of the category's NACE classes" in report.notes_markdown()
    assert report.composition.classes["nace_class"].tolist() == _classes("financial-services")
    assert not report.composition.classes["is_in_sbs_scope"].any()
    maps = sector_report.plot_sector_maps(report, recipes.geometries(toy_store, 2))
    assert set(maps) == {"lq", "stars"}
    assert all(hasattr(figure, "savefig") for figure in maps.values())


def test_sector_reports_reuse_the_recipe_layers_rated_table(toy_store, nace_reference, monkeypatch):
    calls = []
    rate = recipes.rate_stars

    def counting(*args, **kwargs):
        calls.append(1)
        return rate(*args, **kwargs)

    monkeypatch.setattr(recipes, "rate_stars", counting)
    rated = recipes.rated_clusters(toy_store, 2)
    first = sector_report.sector_report_content(
        toy_store, "biopharmaceuticals", nace_reference=nace_reference
    )
    second = sector_report.sector_report_content(
        toy_store, "automotive", nace_reference=nace_reference
    )
    assert len(calls) == 1  # one rating for both reports
    pd.testing.assert_frame_equal(recipes.rated_clusters(toy_store, 2), rated)
    recipes.clear_cache()
    fresh = sector_report.sector_report_content(
        toy_store, "biopharmaceuticals", nace_reference=nace_reference
    )
    assert len(calls) == 2
    pd.testing.assert_frame_equal(fresh.leading_regions, first.leading_regions)
    pd.testing.assert_frame_equal(fresh.view.table, first.view.table)
    assert fresh.record() == first.record()
    assert second.category_code == "automotive"


def test_sector_report_unknown_slug_lists_every_valid_slug(toy_store):
    with pytest.raises(UnknownCodeError) as caught:
        sector_report.sector_report_content(toy_store, "automobile")
    message = str(caught.value)
    assert "Unknown category 'automobile'" in message
    assert f"Valid category codes: {', '.join(CATEGORY)}." in message


def test_sector_report_unknown_preset(toy_store):
    with pytest.raises(UnknownCodeError, match="eco2008, eocic, panorama4"):
        sector_report.sector_report_content(toy_store, "automotive", star_preset="eco")


def test_sector_report_unknown_year(toy_store):
    with pytest.raises(UnknownCodeError, match=f"nearest valid year codes: {YEAR}"):
        sector_report.sector_report_content(toy_store, "automotive", year=YEAR + 1)


def test_sector_downloads_go_under_the_category(toy_store, outputs, nace_reference):
    report = sector_report.sector_report_content(
        toy_store, "automotive", nace_reference=nace_reference
    )
    written = sector_report.write_sector_downloads(report, toy_store)
    folder = outputs / "sector_reports" / "automotive"
    assert all(path.parent == folder for path in written)
    names = {path.name for path in written}
    suffix = f"eco2008_nuts2_{YEAR}"
    for name in (
        "regions",
        "composition_classes",
        "composition_divisions",
        "concentration",
        "overlap_emerging",
        "overlap_traded",
    ):
        assert f"{name}_{suffix}.csv" in names
        assert f"{name}_{suffix}.xlsx" in names
    table, metadata = read_csv_table(folder / f"concentration_{suffix}.csv")
    assert metadata["title"][0].startswith("Automotive (automotive): concentration")
    assert set(table["measure_code"]) >= {"top_n_share", "herfindahl_index", "gini"}
    regions, _ = read_csv_table(folder / f"regions_{suffix}.csv")
    assert sorted(regions["region_code"]) == sorted(REGIONS)
    assert not any(column.endswith(("_value", "_threshold")) for column in regions.columns)


def test_sector_methods_note(toy_store, nace_reference):
    report = sector_report.sector_report_content(
        toy_store, "automotive", nace_reference=nace_reference
    )
    note = report.methods_markdown()
    assert note.count("Division-level data approximate class-level definitions") == 1
    assert "Herfindahl index" in note
    assert "**Star rule set: " in note


def test_sector_trend_and_fastest_growing_regions(toy_store, nace_reference, outputs):
    report = sector_report.sector_report_content(
        toy_store, "automotive", nace_reference=nace_reference
    )
    assert report.window == (2011, 2015)
    trend = report.trend.set_index("year")
    # constant regions: every reference region known each year without a break (BE21 breaks)
    assert trend.loc[2015, "n_regions"] == 5
    assert trend.loc[2011, "employment_index"] == pytest.approx(100.0)
    expected = change_recipes.category_trends(toy_store, 2, (2011, 2015))
    expected = expected[expected["category_code"] == "automotive"].reset_index(drop=True)
    pd.testing.assert_frame_equal(report.trend, expected)
    fastest = report.fastest_growing
    # automotive clusters of at least 1,000 persons: AT11 (2,000; +5 %/yr) only in the toy
    assert fastest["region_code"].tolist() == ["AT11"]
    assert fastest["employment_growth_pct"].iloc[0] == pytest.approx(5.0, abs=0.05)
    assert fastest["region_name"].iloc[0] == "Burgenland"
    assert "From 2011 to 2015" in report.trend_markdown()
    written = {path.name for path in sector_report.write_sector_downloads(report, toy_store)}
    assert "trend_eco2008_nuts2_2015.csv" in written
    assert "fastest_growing_regions_eco2008_nuts2_2015.csv" in written
    assert "regions_panel_eco2008_nuts2_2011-2015.csv" in written
    panel, _ = read_csv_table(
        outputs / "sector_reports" / "automotive" / "regions_panel_eco2008_nuts2_2011-2015.csv"
    )
    assert not panel.duplicated(["region_code", "category_code", "year"]).any()
    assert set(panel["category_code"]) == {"automotive"}


def test_sector_report_in_the_first_year_has_no_trend(toy_store, nace_reference):
    report = sector_report.sector_report_content(
        toy_store, "automotive", year=2011, nace_reference=nace_reference
    )
    assert report.window is None and report.trend.empty
    assert "first year with cluster data" in report.trend_markdown()

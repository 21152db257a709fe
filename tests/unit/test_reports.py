"""Report glue: Panorama context, sector report content, scoreboard inputs, downloads, display.

The unit tests use a small synthetic store; the integration tests (``built_store``) run the
sector report for every one of the 57 real categories and the scoreboard on the real store.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from observatory_lib.data.cluster_definitions import read_nace_classes
from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators.scoreboard import EU28_COUNTRIES
from observatory_lib.indicators.stars import list_star_presets
from observatory_lib.products import reports
from observatory_lib.products.downloads import read_csv_table

REGIONS = ["AT11", "AT12", "BE10", "DE11", "DE12"]
COUNTRIES = ["AT", "BE", "DE"]
TOTALS = [10_000.0, 8_000.0, 6_000.0, 4_000.0, np.nan]
EMPLOYMENT = {
    ("auto", "traded"): [2_000.0, 100.0, 50.0, 900.0, 300.0],
    ("bio", "traded"): [100.0, 1_500.0, 900.0, np.nan, 20.0],
    ("blue", "emerging"): [2_050.0, 120.0, 40.0, 10.0, 5.0],
}
CATEGORIES = {
    "auto": ("Automotive", "traded", 3, 3),
    "bio": ("Biopharmaceuticals", "traded", 1, 1),
    "fin": ("Financial Services", "traded", 1, 0),
    "blue": ("Blue Growth", "emerging", 2, 2),
}
NACE = [
    ("auto", "traded", "29.10", "C29", 0.25),
    ("auto", "traded", "29.20", "C29", 0.25),
    ("auto", "traded", "30.11", "C30", 0.125),
    ("bio", "traded", "21.10", "C21", 0.5),
    ("fin", "traded", "64.11", "K64", 0.5),
    ("blue", "emerging", "30.11", "C30", 0.125),
    ("blue", "emerging", "50.10", "H50", 0.25),
]
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


def _cluster_employment() -> pd.DataFrame:
    level2 = pd.concat(
        [
            pd.DataFrame(
                {
                    "region_code": REGIONS,
                    "nuts_level": 2,
                    "category_code": code,
                    "category_type": kind,
                    "year": 2015,
                    "employment_persons": values,
                    "is_derived_by_allocation": True,
                    "has_confidential_cells": [False, False, True, False, False],
                    "nuts_edition": 2016,
                }
            )
            for (code, kind), values in EMPLOYMENT.items()
        ],
        ignore_index=True,
    )
    level0 = (
        level2.assign(region_code=level2["region_code"].str[:2], nuts_level=0)
        .groupby(
            ["region_code", "nuts_level", "category_code", "category_type", "year"],
            as_index=False,
        )
        .agg(
            employment_persons=("employment_persons", lambda v: v.sum(min_count=len(v))),
            is_derived_by_allocation=("is_derived_by_allocation", "all"),
            has_confidential_cells=("has_confidential_cells", "any"),
            nuts_edition=("nuts_edition", "first"),
        )
    )
    return pd.concat([level0, level2], ignore_index=True)


def _totals() -> pd.DataFrame:
    level2 = pd.DataFrame(
        {
            "region_code": REGIONS,
            "nuts_level": 2,
            "year": 2015,
            "employment_persons": TOTALS,
            "dataset_code": "sbs_r_nuts06_r2",
        }
    )
    level0 = pd.DataFrame(
        {
            "region_code": COUNTRIES,
            "nuts_level": 0,
            "year": 2015,
            "employment_persons": [18_000.0, 6_000.0, 9_000.0],
            "dataset_code": "sbs_r_nuts06_r2",
        }
    )
    return pd.concat([level0, level2], ignore_index=True)


def _regions() -> pd.DataFrame:
    names = {
        "AT": "Österreich",
        "BE": "Belgique",
        "DE": "Deutschland",
        "AT11": "Burgenland",
        "AT12": "Niederösterreich",
        "BE10": "Bruxelles",
        "DE11": "Stuttgart",
        "DE12": "Karlsruhe",
    }
    return pd.DataFrame(
        {
            "region_code": list(names),
            "region_name": list(names.values()),
            "nuts_level": [len(code) - 2 for code in names],
            "country_code": [code[:2] for code in names],
            "nuts_edition": 2016,
        }
    )


def _geometries():
    import geopandas as gpd
    from shapely.geometry import box

    rows = [(code, 2, 9 + 2 * i, 47 + i) for i, code in enumerate(REGIONS)]
    rows += [(code, 0, 9 + 4 * i, 47 + 2 * i) for i, code in enumerate(COUNTRIES)]
    return gpd.GeoDataFrame(
        {
            "region_code": [row[0] for row in rows],
            "nuts_level": [row[1] for row in rows],
            "nuts_edition": 2016,
        },
        geometry=[box(x, y, x + 1.5, y + 1) for _, _, x, y in rows],
        crs="EPSG:4326",
    )


def _provenance() -> pd.DataFrame:
    rows = [
        ("sbs_r_nuts06_r2_2015", "sbs_r_nuts06_r2", "SBS persons employed", "2015", 2013),
        ("eco_traded_clusters", None, "Traded cluster categories", "2023-12", None),
        ("nuts_rg_20m_2016_l2", None, "NUTS 2016 regions, level 2", "2016", 2016),
        ("nama_10r_2gdp", "nama_10r_2gdp", "GDP by region", "2016-02-26", 2013),
    ]
    frame = pd.DataFrame(
        rows, columns=["source_code", "dataset_code", "title", "vintage", "nuts_edition"]
    )
    gisco = frame["source_code"].str.startswith("nuts")
    return frame.assign(
        provider=np.where(gisco, "GISCO", "Eurostat"),
        attribution=np.where(
            gisco, "© EuroGeographics for the administrative boundaries", "Source: Eurostat"
        ),
    )


def _context() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_code": REGIONS,
            "nuts_level": 2,
            "indicator_code": "gdp_pps_per_hab",
            "year": 2014,
            "value": [25_000.0, 27_000.0, 60_000.0, 45_000.0, 40_000.0],
            "unit": "pps_per_hab",
            "flag": pd.array([pd.NA] * 5, dtype="str"),
            "dataset_code": "nama_10r_2gdp",
            "region_code_source": REGIONS,
            "recode_relation": "same",
            "nuts_edition": 2016,
        }
    )


@pytest.fixture
def store():
    categories = pd.DataFrame(
        [(code, *info) for code, info in CATEGORIES.items()],
        columns=[
            "category_code",
            "category_name",
            "category_type",
            "n_nace_classes",
            "n_nace_classes_in_sbs_scope",
        ],
    )
    return SimpleNamespace(
        version="test0000",
        cluster_employment=_cluster_employment(),
        region_employment_totals=_totals(),
        regions=_regions(),
        cluster_categories=categories,
        cluster_nace_classes=pd.DataFrame(
            NACE,
            columns=[
                "category_code",
                "category_type",
                "nace_class",
                "nace_code",
                "allocation_share",
            ],
        ),
        provenance=_provenance(),
        context_indicators=_context(),
        geometries=_geometries(),
    )


@pytest.fixture
def nace_reference():
    return pd.DataFrame(
        NACE_REFERENCE, columns=["nace_class", "nace_division", "nace_section", "title"]
    )


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    target = tmp_path / "outputs"
    monkeypatch.setenv("OBSERVATORY_OUTPUTS", str(target))
    return target


# --- Panorama ---------------------------------------------------------------------------------


def test_panorama_context_counts_match_the_rating(store):
    report = reports.panorama_context(store, 2015, "eco2008", 2)
    rated = report.rated
    traded = rated[(rated["category_type"] == "traded") & rated["is_in_reference_set"]]
    starred = traded["stars"].fillna(0) >= 1
    assert report.europe["n_starred_clusters"] == int(starred.sum())
    assert report.europe["n_clusters_rated"] == int(traded["stars"].notna().sum())
    assert report.europe["n_regions"] == len(REGIONS)
    assert report.reference_countries == tuple(COUNTRIES)
    assert "3 countries" in report.reference_description
    assert f"**{report.europe['n_starred_clusters']:,}**" in report.headline_markdown()
    assert report.record()["n_starred_clusters"] == report.europe["n_starred_clusters"]


def test_panorama_share_uses_regions_with_a_known_total(store):
    report = reports.panorama_context(store, 2015, "eco2008", 2)
    by_region = report.by_region.set_index("region_code")
    # DE12 has no total: its share is missing, never 0, and it is left out of Europe's share
    assert np.isnan(by_region.loc["DE12", "starred_employment_share_pct"])
    known = by_region.drop(index="DE12")
    expected = (
        100 * known["starred_employment_persons"].sum() / known["region_employment_persons"].sum()
    )
    assert report.europe["starred_employment_share_pct"] == pytest.approx(expected)
    assert report.europe["n_regions_with_total"] == 4


def test_panorama_tables_carry_names(store):
    report = reports.panorama_context(store, 2015, "eco2008", 2)
    assert report.by_country.set_index("country_code").loc["AT", "country_name"] == "Österreich"
    assert set(report.leaders["category_name"]) <= {
        "Automotive",
        "Biopharmaceuticals",
        "Blue Growth",
    }
    assert report.emerging["category_name"].tolist() == ["Blue Growth"]
    assert report.by_region["region_name"].notna().all()


def test_panorama_empty_reference_list_means_every_country(store):
    default = reports.panorama_context(store, 2015, "eco2008", 2, [])
    chosen = reports.panorama_context(store, 2015, "eco2008", 2, ["AT", "BE"])
    assert default.reference_countries == tuple(COUNTRIES)
    assert chosen.reference_countries == ("AT", "BE")
    assert chosen.europe["n_regions"] == 3


def test_panorama_level_0(store):
    report = reports.panorama_context(store, 2015, "eocic", 0)
    assert report.nuts_level == 0
    assert set(report.by_region["region_code"]) == set(COUNTRIES)
    assert "productivity not available" in report.methods_markdown()


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"star_preset": "eco2009"}, "eco2008, eocic, panorama4"),
        ({"year": 2016}, "2015"),
        ({"level": 3}, "NUTS level"),
        ({"reference_countries": ["XX"]}, "Countries with NUTS 2 data: AT, BE, DE"),
    ],
)
def test_panorama_bad_input_names_the_valid_choices(store, kwargs, expected):
    with pytest.raises(ObservatoryError, match=expected):
        reports.panorama_context(store, **{"year": 2015, **kwargs})


def test_sensitivity_varies_lq_and_top_shares(store):
    report = reports.panorama_context(store, 2015, "eco2008", 2)
    table = report.sensitivity
    lq = table[table["criterion"] == "specialisation"]
    assert lq["cutoff"].tolist() == list(reports.LQ_CUTOFFS)
    assert lq["is_preset_cutoff"].sum() == 1
    for criterion in ("size", "focus"):
        rows = table[table["criterion"] == criterion]
        assert rows["cutoff"].tolist() == list(reports.TOP_SHARES)
    preset = table[table["is_preset_cutoff"]]
    assert (preset["n_gain"] == 0).all() and (preset["n_lose"] == 0).all()


def test_sensitivity_skips_criteria_without_data(store):
    report = reports.panorama_context(store, 2015, "eocic", 2)
    assert "productivity" not in set(report.sensitivity["criterion"])
    assert set(report.sensitivity["criterion"]) == {"size", "specialisation"}


def test_methods_note_names_unverified_thresholds_and_the_approximation():
    note = reports.stars_methods_note("eco2008")
    assert "Division-level data approximate class-level definitions" in note
    assert "Unverified thresholds" in note
    assert "specialisation (lq >= 2)" in note
    assert "size (" not in note.split("Unverified thresholds")[1]  # size is verified
    criteria = reports.star_criteria_table("eco2008")
    assert criteria.set_index("criterion")["is_verified"].to_dict() == {
        "size": True,
        "specialisation": False,
        "focus": False,
    }


def test_panorama_downloads_carry_bom_and_provenance(store, outputs):
    report = reports.panorama_context(store, 2015, "eco2008", 2)
    written = reports.write_panorama_downloads(report, store, "panorama")
    names = {path.name for path in written}
    assert "starred_clusters_by_region_eco2008_nuts2_2015.csv" in names
    assert "star_sensitivity_eco2008_nuts2_2015.xlsx" in names
    assert all(path.is_relative_to(outputs / "panorama") for path in written)
    csv = outputs / "panorama" / "starred_clusters_by_region_eco2008_nuts2_2015.csv"
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf# title: ")
    table, metadata = read_csv_table(csv)
    assert "Source: Eurostat" in metadata["attribution"]
    assert any(line.startswith("sbs_r_nuts06_r2") for line in metadata["source"])
    de12 = table.set_index("region_code").loc["DE12", "starred_employment_share_pct"]
    assert np.isnan(de12)  # written as an empty cell, not 0


def test_large_tables_are_published_as_csv_only(store, outputs, monkeypatch):
    monkeypatch.setattr(reports, "XLSX_MAX_CELLS", 100)
    report = reports.panorama_context(store, 2015, "eco2008", 2)
    written = reports.write_panorama_downloads(report, store)
    names = {path.name for path in written}
    assert "rated_clusters_eco2008_nuts2_2015.csv" in names
    assert "rated_clusters_eco2008_nuts2_2015.xlsx" not in names


@pytest.mark.parametrize("subdir", ["../elsewhere", "/tmp/absolute", "", "a/../../b"])
def test_output_subdir_must_stay_under_outputs(subdir):
    with pytest.raises(ObservatoryError, match="relative folder"):
        reports.output_stem(subdir, "table")


def test_panorama_maps_are_figures(store):
    report = reports.panorama_context(store, 2015, "eco2008", 2)
    figures = reports.plot_panorama_maps(report, reports.statistics_geometries(store, 2))
    assert set(figures) == {"n_starred_clusters", "starred_employment_share_pct"}
    assert all(hasattr(figure, "savefig") for figure in figures.values())


def test_statistics_geometries_unknown_level(store):
    with pytest.raises(UnknownCodeError, match="NUTS level"):
        reports.statistics_geometries(store, 3)


# --- sector report ----------------------------------------------------------------------------


def test_sector_report_of_a_traded_category(store, nace_reference):
    report = reports.sector_report_content(store, "auto", nace_reference=nace_reference)
    assert (report.category_name, report.category_type) == ("Automotive", "traded")
    assert report.composition.classes["nace_class"].tolist() == ["29.10", "29.20", "30.11"]
    assert report.composition.classes["title"].iloc[0] == "Manufacture of motor vehicles"
    assert report.leading_regions["region_code"].iloc[0] in REGIONS
    assert report.concentration.employment_persons == pytest.approx(3_350)
    assert report.overlap_emerging["category_code"].tolist() == ["blue"]
    assert report.overlap_traded.empty
    assert report.notes == ()
    record = report.record()
    assert record["n_starred_regions"] == report.n_starred_regions
    assert record["gini"] == pytest.approx(report.concentration.gini)


def test_sector_report_of_an_emerging_industry(store, nace_reference):
    report = reports.sector_report_content(
        store, "blue", star_preset="panorama4", nace_reference=nace_reference
    )
    assert report.category_type == "emerging"
    assert report.overlap_traded["category_code"].tolist() == ["auto"]
    assert "emerging industry" in report.headline_markdown()


def test_sector_report_without_any_cluster_cell_is_all_missing(store, nace_reference):
    report = reports.sector_report_content(store, "fin", nace_reference=nace_reference)
    table = report.view.table
    assert len(table) == len(REGIONS)
    assert table["employment_persons"].isna().all() and table["lq"].isna().all()
    assert table["stars"].isna().all()
    assert report.leading_regions.empty
    assert report.n_starred_regions == 0
    assert np.isnan(report.concentration.gini)
    assert "not available" in report.headline_markdown()
    assert "None of the category's NACE classes" in report.notes_markdown()
    assert not report.composition.classes["is_in_sbs_scope"].any()
    maps = reports.plot_sector_maps(report, reports.statistics_geometries(store, 2))
    assert set(maps) == {"lq", "stars"}


def test_sector_report_reuses_a_rated_table(store, nace_reference):
    rated = reports.compute_rated_clusters(store, star_preset="eco2008", level=2, year=2015)
    reused = reports.sector_report_content(store, "bio", rated=rated, nace_reference=nace_reference)
    fresh = reports.sector_report_content(store, "bio", nace_reference=nace_reference)
    pd.testing.assert_frame_equal(reused.leading_regions, fresh.leading_regions)


def test_sector_report_unknown_slug_lists_every_valid_slug(store):
    with pytest.raises(UnknownCodeError) as caught:
        reports.sector_report_content(store, "automobile")
    message = str(caught.value)
    assert "Unknown category 'automobile'" in message
    assert "Valid category codes: auto, bio, fin, blue" in message


def test_sector_report_unknown_preset(store):
    with pytest.raises(UnknownCodeError, match="eco2008, eocic, panorama4"):
        reports.sector_report_content(store, "auto", star_preset="eco")


def test_sector_downloads_go_under_the_category(store, outputs, nace_reference):
    report = reports.sector_report_content(store, "auto", nace_reference=nace_reference)
    written = reports.write_sector_downloads(report, store)
    folder = outputs / "sector_reports" / "auto"
    assert all(path.parent == folder for path in written)
    names = {path.name for path in written}
    for name in ("regions", "composition_classes", "concentration", "overlap_emerging"):
        assert f"{name}_eco2008_nuts2_2015.csv" in names
        assert f"{name}_eco2008_nuts2_2015.xlsx" in names
    table, metadata = read_csv_table(folder / "concentration_eco2008_nuts2_2015.csv")
    assert metadata["title"][0].startswith("Automotive (auto): concentration")
    assert set(table["measure_code"]) >= {"top_n_share", "herfindahl_index", "gini"}


# --- scoreboard inputs ------------------------------------------------------------------------


def test_scoreboard_inputs_add_structural_indicators(store):
    inputs = reports.scoreboard_inputs(store)
    codes = set(inputs["indicator_code"])
    assert {"starred_cluster_employment_share_pct", "specialisation_diversity"} <= codes
    assert list(inputs.columns) == list(store.context_indicators.columns)
    keys = ["region_code", "nuts_level", "indicator_code", "year"]
    assert not inputs.duplicated(keys).any()
    structural = inputs[inputs["indicator_code"] == "starred_cluster_employment_share_pct"]
    assert set(structural["nuts_level"]) == {0, 2}
    de12 = structural[structural["region_code"] == "DE12"]["value"]
    assert de12.isna().all()  # unknown total: missing, never 0


def test_scoreboard_inputs_replace_stale_structural_rows(store):
    stale = store.context_indicators.assign(
        indicator_code="specialisation_diversity", value=-1.0, year=2015
    )
    store.context_indicators = pd.concat([store.context_indicators, stale], ignore_index=True)
    inputs = reports.scoreboard_inputs(store, levels=[2])
    diversity = inputs[inputs["indicator_code"] == "specialisation_diversity"]
    assert (diversity["value"].dropna() >= 0).all()


def test_scoreboard_inputs_unknown_level_and_preset(store):
    with pytest.raises(UnknownCodeError, match="NUTS level"):
        reports.scoreboard_inputs(store, levels=[1])
    with pytest.raises(UnknownCodeError, match="eco2008"):
        reports.scoreboard_inputs(store, "eco")


# --- display ----------------------------------------------------------------------------------


def test_display_table_writes_missing_as_not_available():
    frame = pd.DataFrame(
        {
            "region_code": pd.array(["AT11", pd.NA], dtype="str"),
            "year": [2015, 2015],
            "rank_europe": pd.array([1, pd.NA], dtype="Int64"),
            "employment_persons": [12_345.0, np.nan],
            "share_pct": [12.345, np.nan],
            "is_small_base": pd.array([True, pd.NA], dtype="boolean"),
            "has_total": [True, False],
        }
    )
    shown = reports.display_table(frame, units={"share_pct": "pct"})
    assert shown.iloc[0].tolist() == ["AT11", "2015", "1", "12,345", "12.3%", "yes", "yes"]
    assert shown.iloc[1].tolist() == [
        "not available",
        "2015",
        "not available",
        "not available",
        "not available",
        "not available",
        "no",
    ]
    assert len(reports.display_table(frame, ["year"], max_rows=1)) == 1


def test_downloads_markdown_lists_relative_paths(outputs):
    paths = [outputs / "panorama" / "a.csv", outputs / "panorama" / "a.xlsx"]
    text = reports.downloads_markdown(paths)
    assert "- `panorama/a.csv`" in text and "- `panorama/a.xlsx`" in text
    assert reports.downloads_markdown([]) == "No file was written."


def test_presets_are_the_shipped_ones():
    assert list_star_presets() == ["eco2008", "eocic", "panorama4"]


# --- the real store ---------------------------------------------------------------------------


@pytest.mark.integration
def test_sector_report_runs_for_every_category(built_store):
    categories = built_store.cluster_categories
    assert len(categories) == 57
    start = time.perf_counter()
    rated = reports.compute_rated_clusters(built_store, star_preset="eco2008", level=2, year=2015)
    nace_reference = read_nace_classes()
    n_classes = built_store.cluster_nace_classes.groupby("category_code").size()
    for info in categories.itertuples(index=False):
        report = reports.sector_report_content(
            built_store, info.category_code, rated=rated, nace_reference=nace_reference
        )
        assert report.category_type == info.category_type
        assert len(report.composition.classes) == n_classes[info.category_code]
        assert report.composition.classes["title"].notna().all()
        concentration = report.concentration
        if concentration.n_regions_with_data:
            assert 0 < concentration.top_n_share <= 1
            assert 0 < concentration.herfindahl_index <= 1
            assert 0 <= concentration.gini < 1
        else:
            assert info.n_nace_classes_in_sbs_scope == 0
            assert np.isnan(concentration.gini)
        if info.category_type == "traded":
            # a NACE class belongs to one traded category only
            assert report.overlap_traded.empty
        assert report.headline_markdown()
    assert time.perf_counter() - start < 30


@pytest.mark.integration
def test_panorama_context_on_the_real_store(built_store):
    report = reports.panorama_context(built_store, 2015, "eco2008", 2)
    rated = report.rated
    traded = rated[(rated["category_type"] == "traded") & rated["is_in_reference_set"]]
    assert report.europe["n_starred_clusters"] == int((traded["stars"].fillna(0) >= 1).sum())
    assert 0 < report.europe["starred_employment_share_pct"] < 100
    assert set(report.emerging["category_code"]) == set(
        built_store.cluster_categories.query("category_type == 'emerging'")["category_code"]
    )


@pytest.mark.integration
def test_scoreboard_context_on_the_real_store(built_store):
    report = reports.scoreboard_context(
        built_store, normalisation="zscore", aggregation="geometric", n_draws=50, seed=1
    )
    assert report.reference_countries == EU28_COUNTRIES
    structure = report.dimension_scores[
        report.dimension_scores["dimension_code"] == "industrial_structure"
    ]
    assert structure["score"].notna().sum() > 200
    assert report.overall["rank_europe"].iloc[0] == 1
    record = report.record()
    assert record["top_region_code"] == report.overall["region_code"].iloc[0]
    assert sum(record["group_counts"].values()) == len(report.overall)
    fallbacks = report.fallback_summary().set_index("indicator_code")
    assert fallbacks.loc["specialisation_diversity", "n_fallbacks"] == 0


@pytest.mark.integration
def test_scoreboard_bad_method_names_the_valid_ones(built_store):
    with pytest.raises(UnknownCodeError, match="minmax"):
        reports.scoreboard_context(built_store, normalisation="rank", n_draws=10)
    with pytest.raises(ObservatoryError, match="innovation_focus"):
        reports.scoreboard_context(built_store, framework_variant="innovation", n_draws=10)

"""A small store built from inline frames: the one fixture every unit test of recipes and
products uses (``toy_store`` in ``tests/unit/conftest.py``). No data mirror is needed.

Three countries (AT, BE, DE), six NUTS-2 regions and one NUTS-3 region, four categories (two
traded with SBS data, one traded outside the SBS scope, one emerging industry), five years
(2011-2015) of employment with wages and local units, a confidential cell, a region without a
known total, a cell without wages, a series break (BE21, flag ``b`` in 2013), every context
indicator the scoreboard framework and the scorecard's key facts read (deterministic values, one
gap), squares for geometry and the provenance rows the products cite. It is a real ``Store``,
so the products run unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from observatory_lib.data.store import Store

COUNTRIES = ["AT", "BE", "DE"]
COUNTRY_NAMES = {"AT": "Österreich", "BE": "Belgique", "DE": "Deutschland"}
REGIONS = ["AT11", "AT12", "BE10", "BE21", "DE11", "DE12"]
REGION_NAMES = {
    "AT11": "Burgenland",
    "AT12": "Niederösterreich",
    "BE10": "Région de Bruxelles-Capitale",
    "BE21": "Prov. Antwerpen",
    "DE11": "Stuttgart",
    "DE12": "Karlsruhe",
}
NUTS3 = {"DE111": "Stuttgart, Stadtkreis"}
YEAR = 2015
YEARS = (2011, 2012, 2013, 2014, 2015)
# Annual growth factor of each region's employment (every category and the total), so that
# earlier years are the 2015 values divided by the factor per year back; BE21 breaks in 2013.
GROWTH = {"AT11": 1.05, "AT12": 0.97, "BE10": 1.0, "BE21": 1.02, "DE11": 1.03, "DE12": 1.01}
BREAKS = {("BE21", 2013): "b"}
# Wage per person employed by category (euro), times a factor per country; DE12 has no wages.
WAGE_PER_PERSON = {"automotive": 45_000.0, "biopharmaceuticals": 55_000.0, "blue-growth": 35_000.0}
WAGE_FACTOR = {"AT": 1.0, "BE": 1.1, "DE": 1.2}
NO_WAGES = {"DE12"}
PERSONS_PER_LOCAL_UNIT = 20.0
# region totals (SBS scope) in 2015; DE12's total is unknown (its LQs are not available)
TOTALS = [10_000.0, 8_000.0, 6_000.0, 9_000.0, 4_000.0, np.nan]
EMPLOYMENT = {
    ("automotive", "traded"): [2_000.0, 100.0, 50.0, 700.0, 900.0, 300.0],
    # BE10's cell is suppressed and could not be estimated: missing, flagged confidential
    ("biopharmaceuticals", "traded"): [100.0, 1_500.0, np.nan, 2_000.0, 150.0, 20.0],
    ("blue-growth", "emerging"): [2_050.0, 120.0, 40.0, 900.0, 10.0, 5.0],
}
CONFIDENTIAL = {("biopharmaceuticals", "BE10")}
CATEGORIES = [
    ("automotive", "Automotive", "traded", 3, 3),
    ("biopharmaceuticals", "Biopharmaceuticals", "traded", 2, 2),
    ("financial-services", "Financial Services", "traded", 1, 0),
    ("blue-growth", "Blue Growth", "emerging", 2, 2),
]
NACE = [
    ("automotive", "traded", "29.10", "C29", 0.25),
    ("automotive", "traded", "29.20", "C29", 0.25),
    ("automotive", "traded", "30.11", "C30", 0.125),
    ("biopharmaceuticals", "traded", "21.10", "C21", 0.5),
    ("biopharmaceuticals", "traded", "21.20", "C21", 0.5),
    ("financial-services", "traded", "64.11", "K64", 0.5),
    ("blue-growth", "emerging", "30.11", "C30", 0.125),
    ("blue-growth", "emerging", "50.10", "H50", 0.25),
]
# (indicator_code, unit, dataset_code, years); the scoreboard framework's and the key facts'
CONTEXT = [
    ("population_persons", "persons", "demo_r_pjangroup", (2013, 2014, 2015)),
    ("gdp_pps_per_hab", "pps_per_hab", "nama_10r_2gdp", (2012, 2013, 2014)),
    ("gdp_pps_per_hab_pct_eu", "index_eu_100", "nama_10r_2gdp", (2012, 2013, 2014)),
    ("unemployment_rate_pct", "pct", "tgs00010", (2013, 2014, 2015)),
    ("rd_intensity_pct_gdp", "pct_gdp", "rd_e_gerdreg", (2013, 2014, 2015)),
    ("berd_intensity_pct_gdp", "pct_gdp", "rd_e_gerdreg", (2013, 2014, 2015)),
    ("tertiary_share_employment_pct", "pct", "lfst_r_lfe2eedu", (2013, 2014, 2015)),
    ("tertiary_share_active_pct", "pct", "lfst_r_lfp2acedu", (2013, 2014, 2015)),
    ("lifelong_learning_pct", "pct", "trng_lfse_04", (2013, 2014, 2015)),
    ("hrst_pct_active", "pct_active", "hrst_st_rcat", (2013, 2014, 2015)),
    ("hrst_core_pct_active", "pct_active", "hrst_st_rcat", (2013, 2014, 2015)),
    ("scientists_engineers_pct_active", "pct_active", "hrst_st_rcat", (2013, 2014, 2015)),
    ("rd_personnel_pct_active", "pct_active", "rd_p_persreg", (2013, 2014, 2015)),
    ("rd_personnel_business_pct_active", "pct_active", "rd_p_persreg", (2013, 2014, 2015)),
    ("patent_applications_per_mhab", "per_mhab", "tgs00040", (2010, 2011, 2012)),
    ("patent_applications_hightech_per_mhab", "per_mhab", "pat_ep_rtec", (2011, 2012)),
    ("gva_growth_pct", "pct", "nama_10r_2gvagr", (2012, 2013, 2014)),
    ("household_income_ppcs_per_hab", "ppcs_per_hab", "tgs00026", (2013, 2014, 2015)),
]
# one gap: Burgenland has no R&D intensity at all
CONTEXT_GAPS = {("AT11", "rd_intensity_pct_gdp")}
PROVENANCE = [
    ("sbs_r_nuts06_r2_2015", "sbs_r_nuts06_r2", "SBS persons employed", "2015", 2013),
    ("sbs_r_nuts06_r2_2008_2015", "sbs_r_nuts06_r2", "SBS 2008-2015", "2017-07-31", 2013),
    ("eco_traded_clusters", None, "Traded cluster categories", "2023-12", None),
    ("nuts_rg_20m_2016_l2", None, "NUTS 2016 regions, level 2", "2016", 2016),
    ("jrc_nuts_cm_n2_2013_2016", None, "JRC NUTS converter matrix 2013-2016", "2025.08", 2016),
    ("nama_10r_2gdp", "nama_10r_2gdp", "GDP by region", "2016-02-26", 2013),
    ("lfst_r_lfe2eedu", "lfst_r_lfe2eedu", "Employed persons by education", "2017-02-23", 2013),
    ("trng_lfse_04", "trng_lfse_04", "Lifelong learning", "2017-02-28", 2013),
    ("eurito_rd_e_gerdreg", "rd_e_gerdreg", "GERD by region", "2022-03-31", 2016),
    ("regional_main_tables", "tgs00010", "Regional main tables", "2020-12", 2016),
]


def build_toy_store(version: str = "toy00000000") -> Store:
    """The toy store (a new object each call; frames are never shared between stores)."""
    return Store(
        version=version,
        path=Path("/nonexistent/toy-store"),
        info=_info(version),
        regions=_regions(),
        nuts_recoding=_empty(
            "region_code_source",
            "region_name_source",
            "nuts_edition_source",
            "region_code",
            "nuts_edition",
            "nuts_level",
            "recode_relation",
            "recode_note",
        ),
        sbs_employment=_empty(
            "region_code",
            "region_code_source",
            "recode_relation",
            "nuts_level",
            "nace_code",
            "year",
            "employment_persons",
            "flag",
            "nuts_edition",
            "dataset_code",
        ),
        region_employment_totals=_totals(),
        cluster_categories=pd.DataFrame(
            CATEGORIES,
            columns=[
                "category_code",
                "category_name",
                "category_type",
                "n_nace_classes",
                "n_nace_classes_in_sbs_scope",
            ],
        ).astype({"category_code": "str", "category_name": "str", "category_type": "str"}),
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
        cluster_employment=_cluster_employment(),
        context_indicators=_context(),
        context_indicator_catalog=_context_catalog(),
        lfs_sector_employment=_empty(
            "region_code",
            "nuts_level",
            "nace_code",
            "year",
            "employment_ths",
            "flag",
            "dataset_code",
            "nuts_edition",
        ),
        provenance=_provenance(),
        _geometries=_geometries(),
    )


def _info(version: str) -> dict:
    return {
        "store_version": version,
        "schema_version": 1,
        "build_seconds": 0.0,
        "regions_per_edition_and_level": {"2016/0": 3, "2016/2": 6},
        "sbs_years": list(YEARS),
        "context_years": [2010, 2015],
        "indicators": [code for code, *_ in CONTEXT],
        "cluster_categories": len(CATEGORIES),
        "row_counts": {},
    }


def _empty(*columns: str) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})


def _regions() -> pd.DataFrame:
    rows = [(code, name, 0, code, None) for code, name in COUNTRY_NAMES.items()]
    rows += [(f"{c}1", f"{COUNTRY_NAMES[c]} (NUTS 1)", 1, c, c) for c in COUNTRIES]
    rows += [(code, name, 2, code[:2], code[:3]) for code, name in REGION_NAMES.items()]
    rows += [(code, name, 3, code[:2], code[:4]) for code, name in NUTS3.items()]
    frame = pd.DataFrame(
        rows, columns=["region_code", "region_name", "nuts_level", "country_code", "parent_code"]
    )
    return frame.assign(
        region_name_local=frame["region_name"],
        nuts_edition=2016,
        label_lon=np.linspace(5.0, 16.0, len(frame)),
        label_lat=np.linspace(47.0, 52.0, len(frame)),
        is_aggregate=False,
    ).astype({"region_code": "str", "region_name": "str", "country_code": "str"})


def _geometries():
    import geopandas as gpd
    from shapely.geometry import box

    frame = _regions()
    shapes = []
    for position, row in enumerate(frame.itertuples(index=False)):
        width = {0: 4.0, 1: 3.0, 2: 1.5, 3: 0.5}[row.nuts_level]
        x, y = 5.0 + 2.0 * (position % 6), 46.0 + 1.2 * (position // 6)
        shapes.append(box(x, y, x + width, y + 1.0))
    return gpd.GeoDataFrame(
        frame[["region_code", "nuts_level", "country_code", "region_name", "nuts_edition"]],
        geometry=shapes,
        crs="EPSG:4326",
    ).assign(region_name_local=frame["region_name"])


def _back(value: float, region: str, year: int) -> float:
    """The 2015 value carried back to ``year`` at the region's growth factor (whole persons)."""
    return float(np.round(value / GROWTH[region] ** (YEAR - year)))


def _cluster_employment() -> pd.DataFrame:
    rows = []
    for (code, kind), values in EMPLOYMENT.items():
        for year in YEARS:
            for region, persons in zip(REGIONS, values, strict=True):
                confidential = (code, region) in CONFIDENTIAL
                employment = np.nan if np.isnan(persons) else _back(persons, region, year)
                wage = np.nan if region in NO_WAGES else WAGE_PER_PERSON[code]
                rows.append(
                    {
                        "region_code": region,
                        "nuts_level": 2,
                        "category_code": code,
                        "category_type": kind,
                        "year": year,
                        "employment_persons": employment,
                        "wages_eur": employment * wage * WAGE_FACTOR[region[:2]],
                        "local_units": np.round(employment / PERSONS_PER_LOCAL_UNIT),
                        "flag": BREAKS.get((region, year)),
                        "is_derived_by_allocation": True,
                        "has_confidential_cells": confidential,
                        "is_apportioned": False,
                        "n_divisions": 2,
                        "n_divisions_missing": int(confidential),
                        "n_divisions_imputed": 0,
                        "nuts_edition": 2016,
                    }
                )
    level2 = pd.DataFrame(rows)
    level0 = (
        level2.assign(region_code=level2["region_code"].str[:2], nuts_level=0)
        .groupby(
            ["region_code", "nuts_level", "category_code", "category_type", "year"],
            as_index=False,
        )
        .agg(
            employment_persons=("employment_persons", lambda v: v.sum(min_count=len(v))),
            wages_eur=("wages_eur", lambda v: v.sum(min_count=len(v))),
            local_units=("local_units", lambda v: v.sum(min_count=len(v))),
            flag=("flag", "first"),
            is_derived_by_allocation=("is_derived_by_allocation", "all"),
            has_confidential_cells=("has_confidential_cells", "any"),
            is_apportioned=("is_apportioned", "any"),
            n_divisions=("n_divisions", "first"),
            n_divisions_missing=("n_divisions_missing", "sum"),
            n_divisions_imputed=("n_divisions_imputed", "sum"),
            nuts_edition=("nuts_edition", "first"),
        )
    )
    frame = pd.concat([level0, level2], ignore_index=True)
    return frame.astype(
        {"region_code": "str", "category_code": "str", "category_type": "str", "flag": "str"}
    ).assign(dataset_code="sbs_r_nuts06_r2")


COUNTRY_TOTALS = [20e3, 17e3, 9e3]


def _totals() -> pd.DataFrame:
    levels = pd.Series(TOTALS, index=REGIONS)
    latest = levels.groupby(levels.index.str[:2]).sum()
    parts = []
    for year in YEARS:
        level2 = pd.DataFrame(
            {
                "region_code": REGIONS,
                "nuts_level": 2,
                "employment_persons": [
                    np.nan if np.isnan(total) else _back(total, region, year)
                    for region, total in zip(REGIONS, TOTALS, strict=True)
                ],
                "flag": [BREAKS.get((region, year)) for region in REGIONS],
            }
        )
        # the countries' totals move like the sum of their regions' known totals
        known = level2.groupby(level2["region_code"].str[:2])["employment_persons"].sum()
        level0 = pd.DataFrame(
            {
                "region_code": COUNTRIES,
                "nuts_level": 0,
                "employment_persons": [
                    float(np.round(total * known[country] / latest[country]))
                    for country, total in zip(COUNTRIES, COUNTRY_TOTALS, strict=True)
                ],
                "flag": None,
            }
        )
        parts.append(pd.concat([level0, level2], ignore_index=True).assign(year=year))
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(
        n_divisions=60,
        n_divisions_missing=0,
        n_sections_imputed=np.tile([0, 0, 0, 0, 0, 0, 1, 2, 0], len(YEARS)),
        is_apportioned=False,
        nuts_edition=2016,
        dataset_code="sbs_r_nuts06_r2",
    ).astype({"region_code": "str", "flag": "str"})


def _context() -> pd.DataFrame:
    rng = np.random.default_rng(20151)
    rows = []
    codes = [*COUNTRIES, *REGIONS, *NUTS3]
    for indicator, unit, dataset, years in CONTEXT:
        base = rng.uniform(5.0, 60.0, size=len(codes))
        if indicator == "population_persons":
            base = rng.uniform(3e5, 5e6, size=len(codes))
        for year in years:
            for code, value in zip(codes, base * (1 + 0.02 * (year - years[0])), strict=True):
                if (code, indicator) in CONTEXT_GAPS:
                    continue
                if len(code) == 5 and indicator != "population_persons":
                    continue  # NUTS 3 has only the population, like most real NUTS-3 data
                rows.append((code, len(code) - 2, indicator, year, float(value), unit, dataset))
    frame = pd.DataFrame(
        rows,
        columns=[
            "region_code",
            "nuts_level",
            "indicator_code",
            "year",
            "value",
            "unit",
            "dataset_code",
        ],
    )
    return frame.assign(
        flag=pd.array([pd.NA] * len(frame), dtype="str"),
        region_code_source=frame["region_code"],
        recode_relation="same",
        nuts_edition=2016,
    ).astype({"region_code": "str", "indicator_code": "str", "unit": "str", "dataset_code": "str"})


def _context_catalog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator_code": [code for code, *_ in CONTEXT],
            "label": [code.replace("_", " ").capitalize() for code, *_ in CONTEXT],
            "unit": [unit for _, unit, *_ in CONTEXT],
            "dataset_code": [dataset for _, _, dataset, _ in CONTEXT],
            "source_code": [dataset for _, _, dataset, _ in CONTEXT],
            "description": "",
        }
    ).astype("str")


def _provenance() -> pd.DataFrame:
    frame = pd.DataFrame(
        PROVENANCE, columns=["source_code", "dataset_code", "title", "vintage", "nuts_edition"]
    )
    gisco = frame["source_code"].str.startswith("nuts")
    return frame.assign(
        provider=np.where(gisco, "GISCO", "Eurostat"),
        licence="reuse with attribution",
        attribution=np.where(
            gisco, "© EuroGeographics for the administrative boundaries", "Source: Eurostat"
        ),
        modification="reshaped",
        file_name=frame["source_code"] + ".csv",
        sha256="0" * 64,
    )

"""Unit tests for the context indicator spec and builder, on tiny inline files."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from observatory_lib import paths
from observatory_lib.data import context
from observatory_lib.errors import ConfigError, DataSourceError

REQUIRED_INDICATOR_CODES = {
    "gdp_mio_eur",
    "gdp_eur_per_hab",
    "gdp_eur_per_hab_pct_eu",
    "gdp_mio_pps",
    "gdp_pps_per_hab",
    "gdp_pps_per_hab_pct_eu",
    "gva_growth_pct",
    "household_disposable_income_per_hab",
    "household_primary_income_per_hab",
    "employment_ths",
    "unemployed_ths",
    "tertiary_share_employment_pct",
    "tertiary_share_active_pct",
    "lifelong_learning_pct",
    "rd_intensity_pct_gdp",
    "berd_intensity_pct_gdp",
    "gerd_eur_per_hab",
    "gerd_mio_eur",
    "rd_personnel_pct_active",
    "rd_personnel_business_pct_active",
    "hrst_pct_active",
    "hrst_core_pct_active",
    "scientists_engineers_pct_active",
    "patent_applications_nr",
    "patent_applications_hightech_per_mhab",
    "population_persons",
    "unemployment_rate_pct",
    "patent_applications_per_mhab",
    "regional_gdp_mio_eur",
    "household_income_ppcs_per_hab",
    "broadband_access_pct",
    "life_expectancy_years",
}

# Values chosen so that the expected results are easy to compute by hand.
GDP_TSV = (
    "unit,geo\\time\t2014 \t2013 \n"
    "EUR_HAB,AT\t38500 \t38100 \n"
    "EUR_HAB,AT1\t: \t37000 e\n"
    "EUR_HAB,EU28\t27500 \t27000 \n"
    "MIO_EUR,AT\t330000 \t320000 \n"
)
EDU_TSV = (
    "unit,sex,age,isced11,geo\\time\t2015 \t2014 \n"
    "THS,T,Y25-64,ED5-8,AT1\t600 b\t300 \n"
    "THS,T,Y25-64,TOTAL,AT1\t1500 u\t1000 \n"
    "THS,T,Y25-64,ED5-8,AT2\t: c\t100 \n"
    "THS,T,Y25-64,TOTAL,AT2\t800 \t0 \n"
    "THS,T,Y25-64,ED5-8,AT3\t50 \t: \n"
    "THS,F,Y25-64,ED5-8,AT1\t1 \t1 \n"
    "THS,F,Y25-64,TOTAL,AT1\t2 \t2 \n"
    "THS,T,Y25-64,ED5-8,EU28\t9 \t9 \n"
    "THS,T,Y25-64,TOTAL,EU28\t10 \t10 \n"
)
INCOME_TSV = (
    "unit,na_item,geo\\time\t2013 \n"
    "EUR_HAB,B6N,BG31\t2500 \n"
    "PPCS_HAB,B6N,BG31\t5000 \n"
    "PPCS_HAB,B5N,BG31\t6000 \n"
)
EURITO_CSV = (
    "year,region_type,region_year_spec,region_id,region_level,rd_e_gerdreg_total_pc_gdp\n"
    "2011,NUTS,2010,AT,0,2.67\n"
    "2012,NUTS,2010,DE111,3,0.5\n"
    "2011,NUTS,2010,EU27_2020,7,2.1\n"
)
MAIN_CSV = (
    "nuts_level,year,geo,name,variable,value\n"
    '2,2014,BE10,"Bruxelles, Brussel",region_population,1163486\n'
    "2,2014,BE10,x,unemployment_rate_t,16.5\n"
)
LFS_TSV = (
    "unit,nace_r2,age,geo\\time\t2015 \t2014 \n"
    "THS,A,Y_GE15,AT\t188.0 \t198.9 b\n"
    "THS,A,Y_GE15,AT1\t: u\t: \n"
    "THS,TOTAL,Y_GE15,AT\t4148.3 \t4112.7 \n"
    "THS,A,Y15-24,AT\t14.3 \t16.8 \n"
    "THS,A,Y_GE15,EU28\t9934.5 \t10264.0 \n"
)

SPEC_YAML = """
datasets:
  nama_10r_2gdp: {format: eurostat_tsv, dimensions: [unit]}
  lfst_r_lfe2eedu: {format: eurostat_tsv, dimensions: [unit, sex, age, isced11]}
  nama_10r_2hhinc: {format: eurostat_tsv, dimensions: [unit, na_item]}
  rd_e_gerdreg: {format: eurito_csv, dimensions: []}
  tgs00096: {format: regional_main_tables, dimensions: [variable]}
indicators:
  - indicator_code: gdp_eur_per_hab
    label: GDP per inhabitant
    unit: eur_per_hab
    dataset_code: nama_10r_2gdp
    source_code: nama_10r_2gdp
    source_file: gdp.tsv
    select: {unit: EUR_HAB}
    description: >-
      GDP per
      inhabitant.
  - indicator_code: gdp_mio_eur
    label: GDP
    unit: mio_eur
    dataset_code: nama_10r_2gdp
    source_code: nama_10r_2gdp
    source_file: gdp.tsv
    select: {unit: MIO_EUR}
  - indicator_code: tertiary_share_pct
    label: Tertiary share
    unit: pct
    dataset_code: lfst_r_lfe2eedu
    source_code: lfst_r_lfe2eedu
    source_file: edu.tsv
    select: {unit: THS, sex: T, age: Y25-64}
    numerator: {isced11: ED5-8}
    denominator: {isced11: TOTAL}
    scale: 100
  - indicator_code: income_per_hab
    label: Income
    unit: ppcs_per_hab
    dataset_code: nama_10r_2hhinc
    source_code: nama_10r_2hhinc
    source_file: income.tsv
    select: {na_item: B6N}
    prefer: {unit: [PPS_HAB, PPCS_HAB, EUR_HAB]}
    unit_by_code: {PPS_HAB: pps_per_hab, PPCS_HAB: ppcs_per_hab, EUR_HAB: eur_per_hab}
  - indicator_code: rd_intensity_pct_gdp
    label: GERD
    unit: pct_gdp
    dataset_code: rd_e_gerdreg
    source_code: eurito_rd
    source_file: rd.csv
  - indicator_code: population_persons
    label: Population
    unit: persons
    dataset_code: tgs00096
    source_code: regional_main_tables
    source_file: main.csv
    select: {variable: region_population}
"""


@pytest.fixture
def mini_mirror(tmp_path: Path):
    """A tiny mirror and a read_file that counts how often each file is resolved."""
    files = {
        "gdp.tsv": GDP_TSV,
        "edu.tsv": EDU_TSV,
        "income.tsv": INCOME_TSV,
        "rd.csv": EURITO_CSV,
        "main.csv": MAIN_CSV,
        "lfs.tsv": LFS_TSV,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "spec.yaml").write_text(SPEC_YAML)
    calls: list[str] = []

    def read_file(name: str) -> Path:
        calls.append(name)
        return tmp_path / name

    read_file.calls = calls
    return tmp_path, read_file


def _value(table: pd.DataFrame, indicator: str, region: str, year: int) -> pd.Series:
    rows = table[
        (table["indicator_code"] == indicator)
        & (table["region_code"] == region)
        & (table["year"] == year)
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def _spec_with(tmp_path: Path, change) -> Path:
    """Write SPEC_YAML after applying ``change`` to its parsed document."""
    document = yaml.safe_load(SPEC_YAML)
    change(document)
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


# ----------------------------------------------------------------------------- the real spec


def test_real_spec_declares_every_required_indicator():
    spec = context.load_context_spec()
    codes = [indicator.indicator_code for indicator in spec]
    assert set(codes) >= REQUIRED_INDICATOR_CODES
    assert len(codes) == len(set(codes))
    assert all(indicator.unit and indicator.label for indicator in spec)


def test_real_spec_sources_match_the_catalog():
    catalog = yaml.safe_load((paths.DATA_DIR / "catalog.yaml").read_text())
    file_by_source = {source["id"]: source["file"] for source in catalog["sources"]}
    for indicator in context.load_context_spec():
        assert file_by_source.get(indicator.source_code) == indicator.source_file, indicator


def test_real_spec_ratios_and_preferences():
    by_code = {i.indicator_code: i for i in context.load_context_spec()}
    tertiary = by_code["tertiary_share_employment_pct"]
    assert tertiary.is_ratio and tertiary.scale == 100
    assert tertiary.numerator == {"isced11": ("ED5-8",)}
    assert tertiary.denominator == {"isced11": ("TOTAL",)}
    assert tertiary.select == {"unit": ("THS",), "sex": ("T",), "age": ("Y25-64",)}
    income = by_code["household_disposable_income_per_hab"]
    assert income.prefer["unit"][0] == "PPCS_HAB"
    assert income.unit_by_code["PPCS_HAB"] == "ppcs_per_hab"
    assert by_code["gdp_pps_per_hab"].select == {"unit": ("PPS_HAB",)}


# ----------------------------------------------------------------------------- validation


def test_spec_loads_and_normalises(mini_mirror):
    directory, _ = mini_mirror
    spec = context.load_context_spec(directory / "spec.yaml")
    assert [i.indicator_code for i in spec][:2] == ["gdp_eur_per_hab", "gdp_mio_eur"]
    assert spec[0].description == "GDP per inhabitant."
    assert spec[0].file_format == "eurostat_tsv"
    assert spec[4].file_format == "eurito_csv" and spec[4].select == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["indicators"][0].update(dataset_code="nama_10r_2gpd"),
            r"indicator #1 \(gdp_eur_per_hab\): unknown dataset_code 'nama_10r_2gpd'.*"
            r"nama_10r_2gdp",
        ),
        (
            lambda d: d["indicators"][2]["select"].update(sexx="T"),
            r"indicator #3 \(tertiary_share_pct\): `select` filters on unknown dimension "
            r"'sexx'.*unit, sex, age, isced11",
        ),
        (
            lambda d: d["indicators"][4].update(select={"unit": "PC"}),
            r"indicator #5.*unknown dimension 'unit'.*none",
        ),
        (
            lambda d: d["indicators"][1].pop("unit"),
            r"indicator #2 \(gdp_mio_eur\): missing key\(s\) unit",
        ),
        (
            lambda d: d["indicators"][1].update(selct={"unit": "MIO_EUR"}),
            r"indicator #2 \(gdp_mio_eur\): unknown key\(s\) selct",
        ),
        (
            lambda d: d["indicators"][2].pop("denominator"),
            r"indicator #3.*both `numerator` and `denominator`",
        ),
        (
            lambda d: d["indicators"][1].update(indicator_code="gdp_eur_per_hab"),
            r"gdp_eur_per_hab are declared twice",
        ),
        (
            lambda d: d["indicators"][1].update(indicator_code="GDP-Mio"),
            r"must be snake_case",
        ),
        (
            lambda d: d["indicators"][3]["unit_by_code"].pop("EUR_HAB"),
            r"`unit_by_code` must give a unit for every code",
        ),
        (
            lambda d: d["indicators"][0]["select"].update(unit=False),
            r"indicator #1.*`select.unit` must be a code.*quote",
        ),
        (
            lambda d: d["datasets"]["tgs00096"].update(format="excel"),
            r"dataset 'tgs00096' needs `format`",
        ),
    ],
)
def test_spec_errors_name_the_entry_and_the_fix(mini_mirror, change, message):
    directory, _ = mini_mirror
    with pytest.raises(ConfigError, match=message):
        context.load_context_spec(_spec_with(directory, change))


def test_spec_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read the indicator spec"):
        context.load_context_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("indicators: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        context.load_context_spec(bad)


# ----------------------------------------------------------------------------- building


@pytest.fixture
def built(mini_mirror):
    directory, read_file = mini_mirror
    spec = context.load_context_spec(directory / "spec.yaml")
    return context.build_context_indicators(spec, read_file), read_file


def test_build_columns_and_dtypes(built):
    table, _ = built
    assert list(table.columns) == context.CONTEXT_COLUMNS
    assert table["year"].dtype == "int64"
    assert table["nuts_level"].dtype == "int64"
    assert table["value"].dtype == "float64"


def test_build_selects_units_and_keeps_flags(built):
    table, _ = built
    assert _value(table, "gdp_eur_per_hab", "AT", 2014)["value"] == 38500.0
    estimated = _value(table, "gdp_eur_per_hab", "AT1", 2013)
    assert estimated["value"] == 37000.0 and estimated["flag"] == "e"
    assert _value(table, "gdp_mio_eur", "AT", 2014)["unit"] == "mio_eur"
    # AT1 2014 is ':' without a flag: the row says nothing and is dropped, never zero.
    at1 = table[(table["indicator_code"] == "gdp_eur_per_hab") & (table["region_code"] == "AT1")]
    assert at1["year"].tolist() == [2013]


def test_build_drops_aggregates_and_sets_levels(built):
    table, _ = built
    assert not table["region_code"].isin(["EU28", "EU27_2020"]).any()
    levels = dict(zip(table["region_code"], table["nuts_level"], strict=False))
    assert levels == {"AT": 0, "AT1": 1, "AT2": 1, "BG31": 2, "DE111": 3, "BE10": 2}


def test_ratio_values_and_flag_union(built):
    table, _ = built
    flagged = _value(table, "tertiary_share_pct", "AT1", 2015)
    assert flagged["value"] == pytest.approx(600 / 1500 * 100)
    assert flagged["flag"] == "bu"
    plain = _value(table, "tertiary_share_pct", "AT1", 2014)
    assert plain["value"] == pytest.approx(30.0) and pd.isna(plain["flag"])


def test_ratio_with_a_missing_part_is_missing(built):
    table, _ = built
    confidential = _value(table, "tertiary_share_pct", "AT2", 2015)
    assert math.isnan(confidential["value"]) and confidential["flag"] == "c"
    # 2014 divides by a zero total: not a number, no flag, so no row (and never inf).
    at2 = table[(table["indicator_code"] == "tertiary_share_pct") & (table["region_code"] == "AT2")]
    assert at2["year"].tolist() == [2015]
    assert not table["value"].abs().eq(float("inf")).any()
    # AT3 has no TOTAL row at all and ':' in 2014: nothing to report.
    at3 = table[table["region_code"] == "AT3"]
    assert at3.empty


def test_prefer_takes_the_first_code_present_and_sets_the_unit(built):
    table, _ = built
    income = _value(table, "income_per_hab", "BG31", 2013)
    assert income["value"] == 5000.0
    assert income["unit"] == "ppcs_per_hab"


def test_eurito_and_main_tables_sources(built):
    table, _ = built
    assert _value(table, "rd_intensity_pct_gdp", "AT", 2011)["value"] == 2.67
    assert _value(table, "rd_intensity_pct_gdp", "DE111", 2012)["dataset_code"] == "rd_e_gerdreg"
    population = _value(table, "population_persons", "BE10", 2014)
    assert population["value"] == 1163486.0 and population["dataset_code"] == "tgs00096"
    assert not table["indicator_code"].eq("unemployment_rate_t").any()


def test_each_file_is_read_once(built):
    _, read_file = built
    assert sorted(read_file.calls) == ["edu.tsv", "gdp.tsv", "income.tsv", "main.csv", "rd.csv"]


def test_selection_of_an_absent_code_suggests_present_codes(mini_mirror):
    directory, read_file = mini_mirror
    path = _spec_with(directory, lambda d: d["indicators"][0].update(select={"unit": "EUR_HAV"}))
    spec = context.load_context_spec(path)
    with pytest.raises(ConfigError, match=r"gdp_eur_per_hab.*unit 'EUR_HAV'.*EUR_HAB"):
        context.build_context_indicators(spec, read_file)


def test_selection_leaving_several_rows_per_region_year_is_rejected(mini_mirror):
    directory, read_file = mini_mirror
    path = _spec_with(directory, lambda d: d["indicators"][2]["select"].pop("sex"))
    spec = context.load_context_spec(path)
    with pytest.raises(ConfigError, match=r"several rows per region and year \(sex takes F, T\)"):
        context.build_context_indicators(spec, read_file)


def test_prefer_without_any_present_code(mini_mirror):
    directory, read_file = mini_mirror

    def change(document):
        document["indicators"][3]["prefer"] = {"unit": ["PPS_HAB"]}
        document["indicators"][3]["unit_by_code"] = {"PPS_HAB": "pps_per_hab"}

    spec = context.load_context_spec(_spec_with(directory, change))
    with pytest.raises(ConfigError, match=r"none of unit PPS_HAB.*EUR_HAB, PPCS_HAB"):
        context.build_context_indicators(spec, read_file)


def test_indicator_catalog(mini_mirror):
    directory, _ = mini_mirror
    catalog = context.build_indicator_catalog(context.load_context_spec(directory / "spec.yaml"))
    assert list(catalog.columns) == context.CATALOG_COLUMNS
    first = catalog.iloc[0]
    assert first["indicator_code"] == "gdp_eur_per_hab"
    assert first["unit"] == "eur_per_hab"
    assert first["source_code"] == "nama_10r_2gdp"
    assert first["description"] == "GDP per inhabitant."
    assert len(catalog) == 6


def test_mirror_files_used_includes_lfs(mini_mirror):
    directory, _ = mini_mirror
    files = context.mirror_files_used(context.load_context_spec(directory / "spec.yaml"))
    assert files == sorted(
        ["gdp.tsv", "edu.tsv", "income.tsv", "rd.csv", "main.csv", context.LFS_SECTOR_SOURCE_FILE]
    )


# ----------------------------------------------------------------------------- LFS sectors


def test_lfs_sector_employment(mini_mirror):
    _, read_file = mini_mirror
    frame = context.build_lfs_sector_employment(read_file, source_file="lfs.tsv")
    assert list(frame.columns) == context.LFS_SECTOR_COLUMNS
    assert not frame["region_code"].eq("EU28").any()
    at_a = frame[(frame["region_code"] == "AT") & (frame["nace_code"] == "A")]
    assert at_a.set_index("year")["employment_ths"].to_dict() == {2015: 188.0, 2014: 198.9}
    assert at_a.set_index("year")["flag"].isna().tolist() == [True, False]
    # Y15-24 is not selected, so AT A 2015 appears once with the 15+ value.
    assert len(at_a) == 2
    unreliable = frame[frame["region_code"] == "AT1"]
    assert unreliable["year"].tolist() == [2015]
    assert math.isnan(unreliable["employment_ths"].iloc[0])
    assert unreliable["flag"].iloc[0] == "u"
    assert unreliable["nuts_level"].iloc[0] == 1
    assert set(frame["dataset_code"]) == {"lfst_r_lfe2en2"}


def test_lfs_sector_employment_without_the_age_class(mini_mirror):
    directory, read_file = mini_mirror
    (directory / "lfs.tsv").write_text(LFS_TSV.replace("Y_GE15", "Y15-64"))
    with pytest.raises(DataSourceError, match=r"age 'Y_GE15' is not in the file"):
        context.build_lfs_sector_employment(read_file, source_file="lfs.tsv")

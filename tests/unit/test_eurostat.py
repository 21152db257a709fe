"""Unit tests for the Eurostat readers, on tiny inline files."""

from __future__ import annotations

import gzip
import io
import json
import logging
import math

import pandas as pd
import pytest
import requests

from observatory_lib.data import eurostat
from observatory_lib.errors import DataSourceError, UnknownCodeError

BULK_TSV = (
    "unit,geo\\time\t2015 \t2014 \n"
    "EUR_HAB,AT\t38500 \t38100 \n"
    "EUR_HAB,AT1\t: \t1.5 b\n"
    "EUR_HAB,AT11\t: c\t0 \n"
    "EUR_HAB,EU28\t4.0 bu\t-2.5 e\n"
)

API_TSV = (
    "freq,unit,nace_r2,geo\\TIME_PERIOD\t2014 \t2015 \n"
    "A,THS,C,DE1\t12.5 \t: \n"
    "A,THS,C,DE2\t0 \t13 p\n"
)


def _cell(frame: pd.DataFrame, region: str, year: int) -> pd.Series:
    rows = frame[(frame["region_code"] == region) & (frame["year"] == year)]
    assert len(rows) == 1
    return rows.iloc[0]


# ----------------------------------------------------------------------------- Eurostat TSV


def test_bulk_tsv_is_tidy_and_long():
    frame = eurostat.read_eurostat_tsv(io.StringIO(BULK_TSV), "nama_10r_2gdp")
    assert list(frame.columns) == [
        "unit",
        "region_code",
        "year",
        "value",
        "flag",
        "dataset_code",
    ]
    assert len(frame) == 8
    assert frame["year"].dtype == "int64"
    assert frame["value"].dtype == "float64"
    assert set(frame["year"]) == {2014, 2015}
    assert set(frame["dataset_code"]) == {"nama_10r_2gdp"}
    assert _cell(frame, "AT", 2014)["value"] == 38100.0


def test_colon_is_missing_never_zero_and_flags_are_split():
    frame = eurostat.read_eurostat_tsv(io.StringIO(BULK_TSV), "nama_10r_2gdp")
    plain = _cell(frame, "AT", 2015)
    assert plain["value"] == 38500.0 and pd.isna(plain["flag"])
    not_available = _cell(frame, "AT1", 2015)
    assert math.isnan(not_available["value"]) and pd.isna(not_available["flag"])
    flagged = _cell(frame, "AT1", 2014)
    assert flagged["value"] == 1.5 and flagged["flag"] == "b"
    confidential = _cell(frame, "AT11", 2015)
    assert math.isnan(confidential["value"]) and confidential["flag"] == "c"
    true_zero = _cell(frame, "AT11", 2014)
    assert true_zero["value"] == 0.0 and pd.isna(true_zero["flag"])
    combo = _cell(frame, "EU28", 2015)
    assert combo["value"] == 4.0 and combo["flag"] == "bu"
    assert _cell(frame, "EU28", 2014)["value"] == -2.5


def test_api_header_with_freq_and_nace_is_read():
    frame = eurostat.read_eurostat_tsv(io.StringIO(API_TSV), "sbs_x")
    assert list(frame.columns[:4]) == ["freq", "unit", "nace_code", "region_code"]
    assert set(frame["freq"]) == {"A"}
    assert set(frame["nace_code"]) == {"C"}
    assert _cell(frame, "DE1", 2014)["value"] == 12.5
    assert math.isnan(_cell(frame, "DE1", 2015)["value"])
    assert _cell(frame, "DE2", 2014)["value"] == 0.0
    provisional = _cell(frame, "DE2", 2015)
    assert provisional["value"] == 13.0 and provisional["flag"] == "p"


def test_keep_codes_narrows_rows_before_parsing():
    text = BULK_TSV + "MIO_EUR,AT\tgarbage\t1 \n"
    frame = eurostat.read_eurostat_tsv(
        io.StringIO(text),
        "nama_10r_2gdp",
        keep_codes={"unit": ["EUR_HAB"], "region_code": {"AT", "AT1"}},
    )
    # The damaged MIO_EUR row is never parsed because it is not kept.
    assert sorted(set(frame["region_code"])) == ["AT", "AT1"]
    assert set(frame["unit"]) == {"EUR_HAB"}
    assert len(frame) == 4
    assert _cell(frame, "AT1", 2014)["flag"] == "b"
    assert frame["year"].tolist() == [2015, 2015, 2014, 2014]


def test_keep_codes_on_an_unknown_dimension():
    with pytest.raises(UnknownCodeError, match=r"Unknown dimension 'units'.*unit"):
        eurostat.read_eurostat_tsv(io.StringIO(BULK_TSV), "x", keep_codes={"units": ["EUR_HAB"]})


def test_whitespace_around_codes_is_stripped():
    text = "unit, geo\\time\t 2015\nTHS , AT1 \t 7.0 u \n"
    frame = eurostat.read_eurostat_tsv(io.StringIO(text), "x")
    assert frame.loc[0, "region_code"] == "AT1"
    assert frame.loc[0, "unit"] == "THS"
    assert frame.loc[0, "value"] == 7.0 and frame.loc[0, "flag"] == "u"


@pytest.mark.parametrize("file_name", ["table.tsv.gz", "table.tsv", "api_download"])
def test_paths_plain_gzip_and_gzip_without_suffix(tmp_path, file_name):
    path = tmp_path / file_name
    payload = BULK_TSV.encode()
    path.write_bytes(payload if file_name == "table.tsv" else gzip.compress(payload))
    frame = eurostat.read_eurostat_tsv(path, "nama_10r_2gdp")
    assert len(frame) == 8
    assert _cell(frame, "AT", 2015)["value"] == 38500.0


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.tsv.gz"
    with pytest.raises(DataSourceError, match=r"nope\.tsv\.gz.*does not exist"):
        eurostat.read_eurostat_tsv(missing, "x")


def test_corrupt_gzip_is_a_data_source_error(tmp_path):
    path = tmp_path / "broken.tsv.gz"
    path.write_bytes(gzip.compress(BULK_TSV.encode())[:30])
    with pytest.raises(DataSourceError, match=r"broken\.tsv\.gz"):
        eurostat.read_eurostat_tsv(path, "x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unit,geo\t2015\nTHS,AT\t1\n", "not a Eurostat TSV"),
        ("unit,sex\\time\t2015\nTHS,T\t1\n", "no geo dimension"),
        ("unit,geo\\time\t2015Q1\nTHS,AT\t1\n", "only annual data"),
        ("unit,geo\\time\t2015\nTHS,AT\t12:00 AM\n", "neither a number"),
        ("unit,sex,geo\\time\t2015\nTHS,AT\t1\n", "one comma-separated code per dimension"),
        ("", "Cannot read"),
    ],
)
def test_malformed_tsv_raises_one_clear_error(text, message):
    with pytest.raises(DataSourceError, match=message):
        eurostat.read_eurostat_tsv(io.StringIO(text), "x")


def test_split_value_and_flag_handles_every_cell_shape():
    cells = pd.Series(["1.5", " 2 b ", ":", ": c", "0", "", "1e3", "7 bu", "x1"])
    parsed = eurostat.split_value_and_flag(cells)
    expected_values = [1.5, 2.0, None, None, 0.0, None, 1000.0, 7.0, None]
    for got, want in zip(parsed["value"], expected_values, strict=True):
        assert (math.isnan(got) and want is None) or got == want
    assert parsed["flag"].dropna().tolist() == ["b", "c", "bu"]
    assert parsed["flag"].isna().tolist() == [
        True,
        False,
        True,
        False,
        True,
        True,
        True,
        False,
        True,
    ]
    assert parsed["is_valid"].tolist() == [True] * 8 + [False]


def test_combine_flags_is_a_sorted_union():
    first = pd.Series(["b", None, "bu", None, "c"], dtype="str")
    second = pd.Series(["u", "c", "b", None, "c"], dtype="str")
    combined = eurostat.combine_flags(first, second)
    assert combined.iloc[:3].tolist() == ["bu", "c", "bu"]
    assert pd.isna(combined.iloc[3])
    assert combined.iloc[4] == "c"


# ----------------------------------------------------------------------------- SBS extract

SBS_CSV = (
    "nace_r2;geo;n2015\n"
    "B;AT;7089\n"
    "B;AT1; \n"
    "B05;NO;219 d\n"
    "B05;PL11; d\n"
    "B06;AT11;0\n"
    "B07;IS;12:00 AM\n"
    "B07;FR;\n"
)


def test_sbs_extract_blanks_flags_zeros_and_damage(tmp_path, caplog):
    path = tmp_path / "sbs.csv"
    path.write_text(SBS_CSV)
    with caplog.at_level(logging.WARNING, logger="observatory_lib.data.eurostat"):
        frame = eurostat.read_sbs_extract(path)
    assert list(frame.columns) == [
        "region_code",
        "nace_code",
        "year",
        "employment_persons",
        "flag",
        "dataset_code",
    ]
    by_region = frame.set_index("region_code")
    assert by_region.loc["AT", "employment_persons"] == 7089.0
    assert math.isnan(by_region.loc["AT1", "employment_persons"])
    assert pd.isna(by_region.loc["AT1", "flag"])
    assert by_region.loc["NO", "employment_persons"] == 219.0
    assert by_region.loc["NO", "flag"] == "d"
    assert math.isnan(by_region.loc["PL11", "employment_persons"])
    assert by_region.loc["PL11", "flag"] == "d"
    assert by_region.loc["AT11", "employment_persons"] == 0.0
    assert math.isnan(by_region.loc["IS", "employment_persons"])
    assert by_region.loc["IS", "flag"] == eurostat.INVALID_FLAG
    assert math.isnan(by_region.loc["FR", "employment_persons"])
    assert set(frame["year"]) == {2015}
    assert set(frame["dataset_code"]) == {"sbs_r_nuts06_r2"}
    assert (frame["flag"] == eurostat.INVALID_FLAG).sum() == 1
    assert "1 cell(s) hold spreadsheet damage" in caplog.text


def test_sbs_extract_missing_column_names_file_and_columns(tmp_path):
    path = tmp_path / "sbs.csv"
    path.write_text("nace;geo;n2015\nB;AT;1\n")
    with pytest.raises(DataSourceError, match=r"sbs\.csv lacks the column\(s\) nace_r2"):
        eurostat.read_sbs_extract(path)


def test_sbs_extract_needs_a_year_column(tmp_path):
    path = tmp_path / "sbs.csv"
    path.write_text("nace_r2;geo;value\nB;AT;1\n")
    with pytest.raises(DataSourceError, match="year column"):
        eurostat.read_sbs_extract(path)


# ----------------------------------------------------------------------------- EURITO

EURITO_CSV = (
    "year,region_type,region_year_spec,region_id,region_level,rd_e_gerdreg_total_pc_gdp\n"
    "2011,NUTS,2010,AT,0,2.67\n"
    "2012,NUTS,2010,AT13,2,\n"
    "2012,NUTS,2010,DE111,3,0\n"
    "2011,NUTS,2010,EU27_2020,7,2.1\n"
    "2011,NUTS,2010,CN_X_HK,5,2.0\n"
    "2011,NUTS,2010,EA19,2,2.04\n"
)


def test_eurito_extract_drops_aggregate_levels(tmp_path):
    path = tmp_path / "rd.csv"
    path.write_text(EURITO_CSV)
    frame = eurostat.read_eurito_extract(path)
    assert list(frame.columns) == ["region_code", "nuts_level", "year", "value"]
    assert frame["region_code"].tolist() == ["AT", "AT13", "DE111"]
    assert frame["nuts_level"].tolist() == [0, 2, 3]
    assert frame["year"].tolist() == [2011, 2012, 2012]
    assert frame["value"].iloc[0] == 2.67
    assert math.isnan(frame["value"].iloc[1])
    assert frame["value"].iloc[2] == 0.0


def test_eurito_extract_missing_column(tmp_path):
    path = tmp_path / "rd.csv"
    path.write_text("year,region_id,region_level,x\n2011,AT,0,1\n")
    with pytest.raises(DataSourceError, match=r"rd\.csv lacks the column\(s\) region_type"):
        eurostat.read_eurito_extract(path)


def test_eurito_extract_rejects_text_in_values(tmp_path):
    path = tmp_path / "rd.csv"
    path.write_text(EURITO_CSV.replace("2.67", "n/a"))
    with pytest.raises(DataSourceError, match="non-numeric"):
        eurostat.read_eurito_extract(path)


def test_eurito_metadata(tmp_path):
    path = tmp_path / "rd.json"
    path.write_text(
        json.dumps(
            {
                "api_doc_url": "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/"
                "rd_p_persreg/?format=SDMX-CSV&compressed=true",
                "data_date": "DATE_20220331",
                "schema": {"value": {"id": "rd_p_persreg_total_total_pc_act_fte_t"}},
                "title": "R&D personnel (All sectors, Total, Percentage of population in the "
                "labour force - numerator in full-time equivalent (FTE), Total)",
            }
        )
    )
    meta = eurostat.read_eurito_metadata(path)
    assert meta["dataset_code"] == "rd_p_persreg"
    assert meta["series_code"] == "rd_p_persreg_total_total_pc_act_fte_t"
    assert meta["vintage"] == "2022-03-31"
    assert meta["unit"] == (
        "Percentage of population in the labour force - numerator in full-time equivalent (FTE)"
    )
    assert meta["title"].startswith("R&D personnel")


def test_eurito_metadata_not_json(tmp_path):
    path = tmp_path / "rd.json"
    path.write_text("{not json")
    with pytest.raises(DataSourceError, match=r"rd\.json"):
        eurostat.read_eurito_metadata(path)


# ----------------------------------------------------------------------------- main tables


def test_regional_main_tables_keep_quoted_names_whole(tmp_path):
    path = tmp_path / "main.csv"
    path.write_text(
        "nuts_level,year,geo,name,variable,value\n"
        '2,2014,BE10,"Région de Bruxelles-Capitale, Brussels Hoofdstedelijk Gewest",'
        "region_gdp,76000.5\n"
        "0,2015,AT,ÖSTERREICH,pc_gdp,127\n"
    )
    frame = eurostat.read_regional_main_tables(path)
    assert list(frame.columns) == [
        "region_code",
        "region_name",
        "nuts_level",
        "year",
        "variable",
        "value",
    ]
    assert frame.loc[0, "region_name"].endswith("Brussels Hoofdstedelijk Gewest")
    assert frame.loc[0, "value"] == 76000.5
    assert frame["nuts_level"].tolist() == [2, 0]
    assert frame.loc[1, "variable"] == "pc_gdp"


def test_regional_main_tables_missing_column(tmp_path):
    path = tmp_path / "main.csv"
    path.write_text("nuts_level,year,geo,variable,value\n2,2014,BE10,region_gdp,1\n")
    with pytest.raises(DataSourceError, match=r"lacks the column\(s\) name"):
        eurostat.read_regional_main_tables(path)


# ----------------------------------------------------------------------------- region codes


def test_aggregates_and_levels():
    codes = pd.Series(["AT", "AT1", "AT13", "DE111", "EU28", "EA19", "EU27_2020", "CN_X_HK"])
    assert eurostat.is_aggregate_region(codes).tolist() == [False] * 4 + [True] * 4
    assert eurostat.compute_nuts_level(codes.iloc[:4]).tolist() == [0, 1, 2, 3]


# ----------------------------------------------------------------------------- live download


def test_api_url():
    assert eurostat.build_api_url("nama_10r_2gdp") == (
        "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/nama_10r_2gdp"
        "?format=TSV&compressed=true"
    )
    assert eurostat.build_api_url(" TGS00096 ").endswith(
        "/data/tgs00096?format=TSV&compressed=true"
    )


def test_api_url_rejects_a_malformed_code():
    with pytest.raises(UnknownCodeError, match="not a Eurostat dataset code"):
        eurostat.build_api_url("nama_10r_2gdp?format=JSON")


class _FakeResponse:
    def __init__(self, status_code: int, payload: bytes):
        self.status_code = status_code
        self.payload = payload

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def raise_for_status(self):
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} Server Error")

    def iter_content(self, chunk_size):
        yield from (
            self.payload[i : i + chunk_size] for i in range(0, len(self.payload), chunk_size)
        )


class _FakeSession:
    """Stands in for requests.Session so that no test touches the network."""

    def __init__(self, status_code=200, payload=b"", error=None):
        self.status_code, self.payload, self.error = status_code, payload, error
        self.calls = []

    def get(self, url, timeout, stream):
        self.calls.append((url, timeout))
        if self.error:
            raise self.error
        return _FakeResponse(self.status_code, self.payload)


def test_fetch_writes_the_download_atomically(tmp_path):
    session = _FakeSession(payload=gzip.compress(API_TSV.encode()))
    destination = tmp_path / "cache" / "sbs_x.tsv.gz"
    result = eurostat.fetch_eurostat_tsv("sbs_x", destination, timeout=5, session=session)
    assert result == destination
    assert session.calls == [(eurostat.build_api_url("sbs_x"), 5)]
    frame = eurostat.read_eurostat_tsv(destination, "sbs_x")
    assert _cell(frame, "DE1", 2014)["value"] == 12.5
    assert [p.name for p in destination.parent.iterdir()] == ["sbs_x.tsv.gz"]


@pytest.mark.parametrize(
    ("session", "message"),
    [
        (_FakeSession(error=requests.ConnectionError("offline")), "network connection"),
        (_FakeSession(error=requests.Timeout("slow")), "network connection"),
        (_FakeSession(status_code=404), "HTTP 404"),
        (_FakeSession(status_code=503), "503"),
        (_FakeSession(payload=b"<html>maintenance</html>"), "not a Eurostat TSV"),
    ],
)
def test_fetch_failure_keeps_the_old_file(tmp_path, session, message):
    destination = tmp_path / "x.tsv.gz"
    destination.write_bytes(b"old")
    with pytest.raises(DataSourceError, match=message):
        eurostat.fetch_eurostat_tsv("x", destination, session=session)
    assert destination.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.tsv.gz"]

"""Downloadable tables: CSV with BOM and comment header, XLSX with provenance, atomic writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.products.kit.downloads import (
    DEFAULT_ATTRIBUTION,
    format_source,
    read_csv_table,
    write_table,
)

SOURCES = [
    {
        "dataset_code": "sbs_r_nuts06_r2",
        "title": "SBS by NUTS 2 regions",
        "vintage": "2015",
        "nuts_edition": 2016,
    },
    "GISCO NUTS 2016 boundaries",
]


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "region_code": ["AT11", "AT12", "FR10"],
            "region_name": ["Burgenland", "Niederösterreich", "Île-de-France"],
            "lq": [1.52, np.nan, 0.0],
            "stars": pd.array([2, pd.NA, 0], dtype="Int64"),
            "is_small_base": pd.array([False, pd.NA, True], dtype="boolean"),
        }
    )


def test_csv_has_bom_comments_and_empty_missing_cells(tmp_path, table):
    (csv_path,) = write_table(
        table, tmp_path / "clusters", title="Cluster stars\n2015", sources=SOURCES, formats=["csv"]
    )
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf# title: Cluster stars 2015\n")
    text = raw.decode("utf-8-sig")
    assert "# source: sbs_r_nuts06_r2 (SBS by NUTS 2 regions), vintage 2015, NUTS 2016" in text
    assert "# attribution: Source: Eurostat" in text
    assert "# attribution: © EuroGeographics for the administrative boundaries" in text
    assert "were modified" in text
    data_lines = [line for line in text.splitlines() if not line.startswith("# ")]
    assert data_lines[0] == "region_code,region_name,lq,stars,is_small_base"
    assert data_lines[2] == "AT12,Niederösterreich,,,"  # missing is empty, never 0
    assert data_lines[3] == "FR10,Île-de-France,0.0,0,True"  # a true zero stays 0


def test_csv_round_trip(tmp_path, table):
    (csv_path,) = write_table(table, tmp_path / "t", title="T", sources=SOURCES, formats="csv")
    frame, metadata = read_csv_table(csv_path)
    assert frame["region_code"].to_list() == ["AT11", "AT12", "FR10"]
    assert np.isnan(frame.loc[1, "lq"])
    assert metadata["title"] == ["T"]
    assert metadata["attribution"] == list(DEFAULT_ATTRIBUTION)
    assert len(metadata["source"]) == 2


def test_xlsx_has_table_and_provenance_sheets(tmp_path, table):
    csv_path, xlsx_path = write_table(table, tmp_path / "out" / "t", title="T", sources=SOURCES)
    assert (csv_path.suffix, xlsx_path.suffix) == (".csv", ".xlsx")
    workbook = load_workbook(xlsx_path)
    assert workbook.sheetnames == ["table", "provenance"]
    rows = list(workbook["table"].iter_rows(values_only=True))
    assert rows[0] == ("region_code", "region_name", "lq", "stars", "is_small_base")
    assert rows[2] == ("AT12", "Niederösterreich", None, None, None)
    assert rows[3][2:] == (0, 0, True)
    provenance = dict(
        (field, value)
        for field, value in workbook["provenance"].iter_rows(min_row=2, values_only=True)
        if field != "attribution"
    )
    assert provenance["title"] == "T"
    attribution = [
        value
        for field, value in workbook["provenance"].iter_rows(values_only=True)
        if field == "attribution"
    ]
    assert attribution == list(DEFAULT_ATTRIBUTION)


def test_relative_stem_goes_to_the_output_directory(tmp_path, monkeypatch, table):
    monkeypatch.setenv("OBSERVATORY_OUTPUTS", str(tmp_path / "outputs"))
    (path,) = write_table(table, "tables/stars", title="T", sources=SOURCES, formats=["csv"])
    assert path == tmp_path / "outputs" / "tables" / "stars.csv"
    assert path.stat().st_mode & 0o044  # readable by others, not mkstemp's owner-only mode


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, table, monkeypatch):
    (path,) = write_table(table, tmp_path / "t", title="old", sources=SOURCES, formats=["csv"])
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        write_table(table, tmp_path / "t", title="new", sources=SOURCES, formats=["csv"])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_bad_input(tmp_path, table):
    with pytest.raises(UnknownCodeError, match="format 'xls'"):
        write_table(table, tmp_path / "t", title="T", sources=SOURCES, formats=["xls"])
    with pytest.raises(ObservatoryError, match="non-empty title"):
        write_table(table, tmp_path / "t", title=" ", sources=SOURCES)
    with pytest.raises(ObservatoryError, match="non-empty source"):
        write_table(table, tmp_path / "t", title="T", sources=[])
    with pytest.raises(ObservatoryError, match="non-empty attribution"):
        write_table(table, tmp_path / "t", title="T", sources=SOURCES, attribution=[])
    assert list(tmp_path.iterdir()) == []


def test_format_source_accepts_provenance_rows():
    provenance = pd.DataFrame(
        {"dataset_code": ["nama_10r_2gdp"], "title": [np.nan], "vintage": ["2016-02-26"]}
    )
    (row,) = provenance.to_dict("records")
    assert format_source(row) == "nama_10r_2gdp, vintage 2016-02-26"
    assert format_source("GISCO") == "GISCO"


def test_sources_may_be_the_store_provenance_table(tmp_path, table):
    provenance = pd.DataFrame(
        {
            "source_code": ["sbs", "gdp"],
            "dataset_code": ["sbs_r_nuts06_r2", "nama_10r_2gdp"],
            "vintage": ["2015", "2016-02-26"],
            "nuts_edition": [2013, 2013],
        }
    )
    (path,) = write_table(table, tmp_path / "t", title="T", sources=provenance, formats=["csv"])
    _, metadata = read_csv_table(path)
    assert metadata["source"] == [
        "sbs_r_nuts06_r2, vintage 2015, NUTS 2013",
        "nama_10r_2gdp, vintage 2016-02-26, NUTS 2013",
    ]

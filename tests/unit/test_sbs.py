"""The regional SBS bulk reader and the vintage rule (observatory_lib.data.sbs), inline files."""

from __future__ import annotations

import gzip
import math

import pandas as pd
import pytest

from observatory_lib.data import sbs
from observatory_lib.errors import DataSourceError

BULK = (
    "nace_r2,indic_sb,geo\\time\t2015 \t2014 \t2013 \n"
    "C,V16110,AT11\t1000 \t900 \t: c\n"
    "C,V13320,AT11\t40.5 \t36.0 b\t: \n"
    "C,V11210,AT11\t50 \t49 \t48 \n"
    "C,V91290,AT11\t11.1 \t: \t: \n"
    "C10,V16110,AT11\t0 \t: \t120 d\n"
)


def _write(tmp_path, text: str, name: str = "sbs.tsv.gz"):
    path = tmp_path / name
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    return path


def test_bulk_keeps_three_indicators_flags_and_missing(tmp_path):
    raw = sbs.read_sbs_bulk(_write(tmp_path, BULK))
    assert list(raw.columns) == sbs.SBS_COLUMNS
    frame = raw.set_index(["nace_code", "year"])
    assert frame.loc[("C", 2015), "employment_persons"] == 1000.0
    assert frame.loc[("C", 2015), "wages_eur"] == 40.5e6  # million euro -> euro
    assert frame.loc[("C", 2014), "wages_flag"] == "b"
    assert math.isnan(frame.loc[("C", 2013), "employment_persons"])  # ': c' is missing, not 0
    assert frame.loc[("C", 2013), "flag"] == "c"
    assert frame.loc[("C10", 2015), "employment_persons"] == 0.0  # a true zero stays 0
    assert frame.loc[("C10", 2013), "flag"] == "d"
    assert frame.loc[("C", 2013), "local_units"] == 48.0
    assert math.isnan(frame.loc[("C10", 2015), "local_units"])  # no V11210 row for C10


def test_an_unknown_indicator_names_the_file_line_and_fix(tmp_path):
    path = _write(tmp_path, BULK + "C,V99999,AT11\t1 \t2 \t3 \n")
    with pytest.raises(
        DataSourceError, match=r"sbs\.tsv\.gz, line 7: unknown indicator 'V99999'.*Fix:"
    ):
        sbs.read_sbs_bulk(path)


def test_a_period_that_is_not_a_year_names_the_line_and_column(tmp_path):
    path = _write(tmp_path, BULK.replace("2014 ", "20l4 ", 1))
    with pytest.raises(DataSourceError, match=r"line 1, column 3: '20l4' is not a year.*Fix:"):
        sbs.read_sbs_bulk(path)


def test_a_region_in_no_edition_names_the_line_and_nearest_codes(tmp_path):
    path = _write(tmp_path, BULK.replace("C10,V16110,AT11", "C10,V16110,AT1X"))
    with pytest.raises(
        DataSourceError, match=r"line 6: region code 'AT1X' is in no NUTS edition.*AT11.*Fix:"
    ):
        sbs.read_sbs_bulk(path, is_known_region=lambda code: code == "AT11")


def test_damaged_cells_and_ragged_rows_are_refused(tmp_path):
    with pytest.raises(DataSourceError, match=r"line 3: the cell '12:00 AM'"):
        sbs.read_sbs_bulk(_write(tmp_path, BULK.replace("40.5 ", "12:00 AM")))
    with pytest.raises(DataSourceError, match=r"line 2: a row needs three"):
        sbs.read_sbs_bulk(_write(tmp_path, BULK.replace("C,V16110,AT11", "C,V16110")))
    with pytest.raises(DataSourceError, match=r"line 1: the first header cell"):
        sbs.read_sbs_bulk(_write(tmp_path, BULK.replace("nace_r2,indic_sb,", "unit,")))


def test_the_extract_wins_for_2015_employment_and_the_bulk_fills_its_gaps():
    keys = ["region_code", "nace_code", "year"]
    bulk = pd.DataFrame(
        {
            "region_code": ["AT11", "AT11", "AT11", "AT12"],
            "nace_code": ["C", "C", "C10", "C"],
            "year": [2015, 2014, 2015, 2015],
            "employment_persons": [990.0, 900.0, 120.0, float("nan")],
            "flag": [None, None, None, "c"],
            "wages_eur": [1e6, 2e6, 3e6, 4e6],
            "wages_flag": None,
            "local_units": 1.0,
            "local_units_flag": None,
            "vintage": sbs.BULK_VINTAGE,
            "dataset_code": "sbs_r_nuts06_r2",
        }
    ).astype({"flag": "str", "wages_flag": "str", "local_units_flag": "str"})
    extract = pd.DataFrame(
        {
            "region_code": ["AT11", "AT11", "AT12", "AT13"],
            "nace_code": ["C", "C10", "C", "C"],
            "year": 2015,
            "employment_persons": [1000.0, float("nan"), float("nan"), 5.0],
            "flag": [None, None, None, "invalid"],
        }
    ).astype({"flag": "str"})
    combined = sbs.combine_sbs_vintages(bulk, extract).set_index(keys)
    assert combined.loc[("AT11", "C", 2015), "employment_persons"] == 1000.0  # the extract wins
    assert combined.loc[("AT11", "C", 2015), "vintage"] == sbs.EXTRACT_VINTAGE
    assert combined.loc[("AT11", "C", 2015), "wages_eur"] == 1e6  # wages from the bulk file
    assert combined.loc[("AT11", "C10", 2015), "employment_persons"] == 120.0  # extract blank
    assert combined.loc[("AT11", "C10", 2015), "vintage"] == sbs.BULK_VINTAGE
    assert combined.loc[("AT11", "C", 2014), "employment_persons"] == 900.0
    assert math.isnan(combined.loc[("AT12", "C", 2015), "employment_persons"])
    assert combined.loc[("AT12", "C", 2015), "flag"] == "c"  # the confidential flag travels
    assert combined.loc[("AT13", "C", 2015), "employment_persons"] == 5.0
    assert not combined.index.duplicated().any()

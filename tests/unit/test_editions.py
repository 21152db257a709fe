"""NUTS editions from crosswalk matrices (observatory_lib.data.editions), on small inline frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from observatory_lib.data import editions
from observatory_lib.data.recoding import recode_statistics
from observatory_lib.errors import DataSourceError, UnknownCodeError

# A 2013 -> 2016 matrix in the JRC layout: a split (HU10), a rename (FR71), a boundary change
# shared by two sources (IE01, IE02 -> IE06), an unchanged region with a sliver (DE11 -> DE12)
# and a row whose target is no region of the edition (UKN0 -> UKN1, as in the real file).
MATRIX_CSV = """code_v2013,code_v2016,uniqueID,areaKm,pop11,pop21,artif_surf12,artif_surf18,bu_vol
HU10,HU11,x,525,1727341,0,0,0,0
HU10,HU12,x,6390,1218889,0,0,0,0
FR71,FRK2,x,44727,6232825,0,0,0,0
IE01,IE04,x,25759,831207,0,0,0,0
IE01,IE06,x,7477,406045,0,0,0,0
IE02,IE05,x,29666,1534363,0,0,0,0
IE02,IE06,x,6987,1793009,0,0,0,0
DE11,DE11,x,10000,4000000,0,0,0,0
DE11,DE12,x,5,1307,0,0,0,0
DE12,DE12,x,7000,2700000,0,0,0,0
UKN0,UKN0,x,4000,851000,0,0,0,0
UKN0,UKN1,x,10475,933406,0,0,0,0
"""
CODES_2013 = ["HU10", "FR71", "IE01", "IE02", "DE11", "DE12", "UKN0"]
CODES_2016 = ["HU11", "HU12", "FRK2", "IE04", "IE05", "IE06", "DE11", "DE12", "UKN0"]
CODES_2021 = CODES_2016


@pytest.fixture
def matrix(tmp_path):
    path = tmp_path / "n2_cm_v2013_v2016.csv"
    path.write_text(MATRIX_CSV, encoding="utf-8")
    return editions.read_crosswalk_matrix(path, 2013, 2016)


def _regions(codes_by_edition: dict[int, list[str]]) -> pd.DataFrame:
    rows = []
    for edition, codes in codes_by_edition.items():
        for code in codes:
            for level in range(3):
                rows.append((code[: 2 + level], edition, level))
    frame = pd.DataFrame(rows, columns=["region_code", "nuts_edition", "nuts_level"])
    frame = frame.drop_duplicates().assign(is_aggregate=False, region_name=frame["region_code"])
    return frame


@pytest.fixture
def maps(matrix):
    regions = _regions({2013: CODES_2013, 2016: CODES_2016, 2021: CODES_2021})
    same_2021 = pd.DataFrame(
        {"code_from": CODES_2016, "code_to": CODES_2016, "population": 1.0, "area_km2": 1.0}
    )
    nuts2010 = pd.DataFrame(
        {
            "code_2010": ["FR7A", "SI01"],
            "name_2010": ["Renamed", "Vzhodna"],
            "code_2013": ["FR71", ""],
            "relation": ["rename", "left out"],
            "note": ["renamed FR71", "boundary change"],
        }
    )
    return editions.build_edition_maps(
        {(2013, 2016): matrix, (2016, 2021): same_2021}, regions, nuts2010
    )


def test_classify_finds_splits_renames_and_ignores_slivers(matrix):
    mapping = editions.classify_crosswalk(
        matrix, CODES_2013, CODES_2016, from_edition=2013, to_edition=2016, level=2
    ).set_index(["region_code_source", "region_code"])
    relation = mapping["recode_relation"]
    assert relation[("FR71", "FRK2")] == "recode"
    assert relation[("DE11", "DE11")] == "same" and ("DE11", "DE12") not in relation.index
    assert "slivers below 1 %" in mapping.loc[("DE11", "DE11"), "recode_note"]
    # UKN1 is no NUTS 2016 region: its row is dropped, UKN0 stays itself
    assert relation[("UKN0", "UKN0")] == "same"
    assert mapping.loc[("UKN0", "UKN0"), "recode_weight"] == 1.0
    # the split's weight is the population share, stated in the note
    weight = mapping.loc[("HU10", "HU11"), "recode_weight"]
    assert weight == pytest.approx(1727341 / (1727341 + 1218889))
    assert relation[("HU10", "HU11")] == "apportioned"
    assert mapping.loc[("HU10", "HU11"), "recode_note"].startswith("split NUTS 2013 -> 2016")
    assert "pop11" in mapping.loc[("HU10", "HU11"), "recode_note"]
    assert mapping.loc[("IE01", "IE06"), "recode_note"].startswith("boundary change")


def test_apportioning_a_split_region_by_the_crosswalk_weight(maps):
    seen = pd.DataFrame(
        {"region_code_source": ["HU10"], "nuts_edition_declared": [2013], "source_file": ["f"]}
    )
    recoding = editions.build_recoding_table(maps, seen, 2016)
    frame = pd.DataFrame(
        {
            "region_code": ["HU10", "HU10"],
            "nuts_edition_source": [2013, 2013],
            "year": [2014, 2015],
            "persons": [1000.0, float("nan")],
            "flag": ["b", "c"],
        }
    )
    moved = recode_statistics(
        frame, recoding, keys=["year"], values=["persons"], flags=["flag"]
    ).set_index(["region_code", "year"])
    share = 1727341 / (1727341 + 1218889)
    assert moved.loc[("HU11", 2014), "persons"] == pytest.approx(1000 * share)
    assert moved.loc[("HU12", 2014), "persons"] == pytest.approx(1000 * (1 - share))
    assert math.isnan(moved.loc[("HU11", 2015), "persons"])  # missing stays missing
    assert moved.loc[("HU11", 2015), "flag"] == "c"
    assert set(moved["recode_relation"]) == {"apportioned"}
    assert moved.loc[("HU11", 2014), "region_code_source"] == "HU10"


def test_parts_of_a_boundary_change_are_summed_and_flags_united(maps):
    seen = pd.DataFrame(
        {
            "region_code_source": ["IE01", "IE02"],
            "nuts_edition_declared": 2013,
            "source_file": "f",
        }
    )
    recoding = editions.build_recoding_table(maps, seen, 2016)
    frame = pd.DataFrame(
        {
            "region_code": ["IE01", "IE02"],
            "nuts_edition_source": 2013,
            "year": 2012,
            "persons": [100.0, 200.0],
            "flag": ["d", "b"],
        }
    )
    moved = recode_statistics(
        frame, recoding, keys=["year"], values=["persons"], flags=["flag"]
    ).set_index("region_code")
    expected = 100 * 406045 / (831207 + 406045) + 200 * 1793009 / (1534363 + 1793009)
    assert moved.loc["IE06", "persons"] == pytest.approx(expected)
    assert moved.loc["IE06", "flag"] == "bd"
    assert moved.loc["IE06", "region_code_source"] == "IE01+IE02"
    assert math.isnan(moved.loc["IE06", "recode_weight"])
    # the employment is kept, not created or lost
    assert moved["persons"].sum() == pytest.approx(300.0)


def test_rates_are_never_apportioned(maps):
    seen = pd.DataFrame(
        {"region_code_source": ["HU10", "DE11"], "nuts_edition_declared": 2013, "source_file": "f"}
    )
    recoding = editions.build_recoding_table(maps, seen, 2016)
    frame = pd.DataFrame(
        {
            "region_code": ["HU10", "DE11"],
            "nuts_edition_source": 2013,
            "year": 2015,
            "rate": [5.0, 3.0],
        }
    )
    moved = recode_statistics(frame, recoding, keys=["year"], values=["rate"], additive=False)
    assert moved["region_code"].tolist() == ["DE11"]


def test_a_native_code_wins_over_apportioned_parts(maps):
    seen = pd.DataFrame(
        {"region_code_source": ["HU10", "HU11"], "nuts_edition_declared": 2016, "source_file": "f"}
    )
    recoding = editions.build_recoding_table(maps, seen, 2016)
    frame = pd.DataFrame({"region_code": ["HU10", "HU11"], "year": 2015, "n": [10.0, 7.0]})
    frame = frame.assign(
        nuts_edition_source=editions.source_editions(
            frame["region_code"], pd.Series([2016, 2016]), maps
        )
    )
    assert frame["nuts_edition_source"].tolist() == [2013, 2016]
    moved = recode_statistics(frame, recoding, keys=["year"], values=["n"])
    by_code = moved.set_index("region_code")
    assert by_code.loc["HU11", "n"] == 7.0 and by_code.loc["HU11", "recode_relation"] == "same"
    assert moved["region_code"].is_unique


def test_nuts2010_renames_recode_and_other_changes_are_left_out(maps):
    seen = pd.DataFrame(
        {
            "region_code_source": ["FR7A", "SI01", "DEZZ", "EU28"],
            "nuts_edition_declared": 2013,
            "source_file": "f",
        }
    )
    table = editions.build_recoding_table(maps, seen, 2016).set_index("region_code_source")
    assert table.loc["FR7A", "region_code"] == "FRK2"
    assert table.loc["FR7A", "recode_relation"] == "recode"
    assert table.loc["FR7A", "nuts_edition_source"] == 2010
    assert table.loc["SI01", "recode_relation"] == "left out"
    assert "boundary change" in table.loc["SI01", "recode_note"]
    assert table.loc["DEZZ", "recode_relation"] == "extra-regio"
    assert table.loc["EU28", "recode_relation"] == "left out"


def test_chains_and_reverse_steps(maps):
    to_2021 = editions.mapping_to(maps, 2013, 2021).set_index(["region_code_source", "region_code"])
    assert to_2021.loc[("FR71", "FRK2"), "recode_relation"] == "recode"
    assert to_2021.loc[("HU10", "HU12"), "recode_relation"] == "apportioned"
    back = editions.mapping_to(maps, 2016, 2013).set_index(["region_code_source", "region_code"])
    # HU11 and HU12 merge into HU10: each is all of its own population there
    assert back.loc[("HU11", "HU10"), "recode_relation"] == "apportioned"
    assert back.loc[("HU11", "HU10"), "recode_weight"] == 1.0
    assert editions.edition_path(2010, 2021) == [(2010, 2013), (2013, 2016), (2016, 2021)]


def test_an_unknown_code_in_a_strict_source_is_one_clear_error(maps):
    seen = pd.DataFrame(
        {"region_code_source": ["XY99"], "nuts_edition_declared": 2013, "source_file": "sbs.tsv"}
    )
    with pytest.raises(UnknownCodeError, match=r"XY99.*sbs\.tsv.*Fix:"):
        editions.build_recoding_table(maps, seen, 2016, strict_sources=["sbs.tsv"])
    lenient = editions.build_recoding_table(maps, seen, 2016)
    assert lenient["recode_relation"].tolist() == ["left out"]


def test_a_broken_matrix_names_the_file_and_line(tmp_path):
    path = tmp_path / "n2.csv"
    path.write_text(MATRIX_CSV.replace("FR71,FRK2,x,44727,6232825", "FR71,FRK2,x,44727,many"))
    with pytest.raises(DataSourceError, match=r"n2\.csv, line 4.*pop11"):
        editions.read_crosswalk_matrix(path, 2013, 2016)
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataSourceError, match=r"lacks the columns"):
        editions.read_crosswalk_matrix(path, 2013, 2016)


def test_the_nuts2010_reference_file_is_consistent():
    table = editions.read_nuts2010_codes()
    renames = table[table["relation"] == "rename"]
    assert renames["code_2013"].str.len().eq(renames["code_2010"].str.len()).all()
    assert set(table.loc[table["code_2010"].isin(["SI01", "SI02"]), "relation"]) == {"left out"}
    assert table["code_2010"].is_unique


def test_a_renamed_code_never_hides_its_successors_value(maps):
    # old files list FR7A (NUTS 2010) beside FR71 (NUTS 2013): both map 1:1 to FRK2
    seen = pd.DataFrame(
        {"region_code_source": ["FR7A", "FR71"], "nuts_edition_declared": 2013, "source_file": "f"}
    )
    recoding = editions.build_recoding_table(maps, seen, 2016)
    frame = pd.DataFrame(
        {
            "region_code": ["FR7A", "FR71", "FR7A"],
            "nuts_edition_source": [2010, 2013, 2010],
            "year": [2015, 2015, 2010],
            "persons": [float("nan"), 5.0, 3.0],
        }
    )
    moved = recode_statistics(frame, recoding, keys=["year"], values=["persons"])
    by_year = moved.set_index("year")
    assert by_year.loc[2015, "persons"] == 5.0 and by_year.loc[2015, "region_code_source"] == "FR71"
    assert by_year.loc[2010, "persons"] == 3.0 and by_year.loc[2010, "region_code_source"] == "FR7A"

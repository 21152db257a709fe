"""A NUTS 2024 release shown on NUTS 2016: the JRC matrices read from the newer edition back.

Small inline matrices in the JRC layout (covariates of each intersection of an old and a new
region): Portugal's NUTS 2024 change (PT17 split into PT1A and PT1B; PT16 and PT18 redrawn into
PT19, PT1C and PT1D), an unchanged DE11, and Croatia's NUTS 2021 split of HR04 with a made-up
NUTS 2024 region HR07 across two of its parts (a source reaching one target by two routes).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from observatory_lib.data import editions
from observatory_lib.data.recoding import recode_statistics
from observatory_lib.errors import UnknownCodeError

HEADER = "code_v{a},code_v{b},uniqueID,areaKm,pop11,pop21,artif_surf12,artif_surf18,bu_vol\n"
MATRIX_2016_2021 = HEADER.format(a=2016, b=2021) + (
    "PT16,PT16,x,28000,2327351,0,0,0,0\n"
    "PT17,PT17,x,3000,2815077,0,0,0,0\n"
    "PT18,PT18,x,31000,757120,0,0,0,0\n"
    "DE11,DE11,x,10555,3914475,0,0,0,0\n"
    "HR04,HR02,x,23000,1229078,0,0,0,0\n"
    "HR04,HR05,x,641,789567,0,0,0,0\n"
    "HR04,HR06,x,8028,857159,0,0,0,0\n"
)
MATRIX_2021_2024 = HEADER.format(a=2021, b=2024) + (
    "PT16,PT19,x,20000,1736850,0,0,0,0\n"
    "PT16,PT1D,x,8000,590501,0,0,0,0\n"
    "PT17,PT1A,x,1500,2039100,0,0,0,0\n"
    "PT17,PT1B,x,1500,775977,0,0,0,0\n"
    "PT18,PT1C,x,20000,509688,0,0,0,0\n"
    "PT18,PT1D,x,11000,247432,0,0,0,0\n"
    "DE11,DE11,x,10555,3914475,0,0,0,0\n"
    "HR02,HR07,x,100,100000,0,0,0,0\n"
    "HR02,HR02,x,22900,1129078,0,0,0,0\n"
    "HR05,HR07,x,300,300000,0,0,0,0\n"
    "HR05,HR05,x,341,489567,0,0,0,0\n"
    "HR06,HR06,x,8028,857159,0,0,0,0\n"
)
CODES = {
    2016: ["PT16", "PT17", "PT18", "DE11", "HR04"],
    2021: ["PT16", "PT17", "PT18", "DE11", "HR02", "HR05", "HR06"],
    2024: ["PT19", "PT1A", "PT1B", "PT1C", "PT1D", "DE11", "HR02", "HR05", "HR06", "HR07"],
}
POP = {"PT19": 1736850, "PT1D_PT16": 590501, "PT1D_PT18": 247432, "PT1A": 2039100}
POP |= {"PT1B": 775977, "PT1C": 509688}


def _matrix(tmp_path, text: str, first: int, second: int) -> pd.DataFrame:
    path = tmp_path / f"n2_cm_v{first}_v{second}.csv"
    path.write_text(text, encoding="utf-8")
    return editions.read_crosswalk_matrix(path, first, second)


@pytest.fixture
def maps(tmp_path):
    rows = [
        (code[: 2 + level], edition, level)
        for edition, codes in CODES.items()
        for code in codes
        for level in range(3)
    ]
    regions = pd.DataFrame(rows, columns=["region_code", "nuts_edition", "nuts_level"])
    regions = regions.drop_duplicates().assign(is_aggregate=False)
    regions = regions.assign(region_name=regions["region_code"])
    matrices = {
        (2016, 2021): _matrix(tmp_path, MATRIX_2016_2021, 2016, 2021),
        (2021, 2024): _matrix(tmp_path, MATRIX_2021_2024, 2021, 2024),
    }
    nuts2010 = pd.DataFrame(columns=list(editions.NUTS2010_COLUMNS))
    return editions.build_edition_maps(matrices, regions, nuts2010)


def _release(maps, values: dict[str, float], flags: dict[str, str] | None = None):
    """A NUTS 2024 release of one year, and the recoding table for its codes."""
    codes = list(values)
    seen = pd.DataFrame(
        {"region_code_source": codes, "nuts_edition_declared": 2024, "source_file": "release"}
    )
    recoding = editions.build_recoding_table(maps, seen, 2016)
    frame = pd.DataFrame(
        {
            "region_code": codes,
            "year": 2023,
            "value": [values[c] for c in codes],
            "flag": pd.Series([(flags or {}).get(c) for c in codes], dtype="str"),
        }
    )
    frame = frame.assign(
        nuts_edition_source=editions.source_editions(
            frame["region_code"], pd.Series(2024, index=frame.index), maps
        )
    )
    return frame, recoding


def _recode(maps, values, flags=None, *, additive: bool) -> pd.DataFrame:
    frame, recoding = _release(maps, values, flags)
    moved = recode_statistics(
        frame, recoding, keys=["year"], values=["value"], flags=["flag"], additive=additive
    )
    assert moved["region_code"].is_unique
    return moved.set_index("region_code")


def test_a_region_split_in_the_new_edition_is_summed_back_exactly(maps):
    moved = _recode(maps, {"PT1A": 100.0, "PT1B": 50.0}, {"PT1B": "p"}, additive=True)
    assert moved.loc["PT17", "value"] == 150.0
    assert moved.loc["PT17", "region_code_source"] == "PT1A+PT1B"
    assert moved.loc["PT17", "recode_relation"] == "apportioned"
    assert moved.loc["PT17", "flag"] == "p"  # the parts' flags united, as the forward path does


def test_a_boundary_change_apportions_counts_by_the_covariate(maps):
    values = {"PT19": 400.0, "PT1C": 70.0, "PT1D": 1000.0}
    moved = _recode(maps, values, additive=True)
    in_pt16 = POP["PT1D_PT16"] / (POP["PT1D_PT16"] + POP["PT1D_PT18"])
    assert moved.loc["PT16", "value"] == pytest.approx(400 + 1000 * in_pt16)
    assert moved.loc["PT18", "value"] == pytest.approx(70 + 1000 * (1 - in_pt16))
    assert moved.loc["PT16", "region_code_source"] == "PT19+PT1D"
    assert moved["value"].sum() == pytest.approx(1470.0)  # nothing created or lost


def test_a_rate_is_the_population_weighted_mean_of_the_new_regions(maps):
    values = {"PT19": 10.0, "PT1D": 20.0, "PT1A": 5.0, "PT1B": 8.0, "PT1C": 3.0}
    moved = _recode(maps, values, {"PT1D": "e"}, additive=False)
    pt16 = POP["PT19"] + POP["PT1D_PT16"]
    expected = (10 * POP["PT19"] + 20 * POP["PT1D_PT16"]) / pt16
    assert moved.loc["PT16", "value"] == pytest.approx(expected)
    assert moved.loc["PT16", "flag"] == "e"
    pt17 = POP["PT1A"] + POP["PT1B"]
    assert moved.loc["PT17", "value"] == pytest.approx((5 * POP["PT1A"] + 8 * POP["PT1B"]) / pt17)
    pt18 = POP["PT1C"] + POP["PT1D_PT18"]
    expected = (3 * POP["PT1C"] + 20 * POP["PT1D_PT18"]) / pt18
    assert moved.loc["PT18", "value"] == pytest.approx(expected)
    # a rate lies between its parts' rates: never summed, never scaled by a weight
    assert 10 < moved.loc["PT16", "value"] < 20


def test_a_missing_part_leaves_the_target_missing_with_its_flag(maps):
    values = {"PT19": 10.0, "PT1D": float("nan"), "PT1C": 3.0}
    for additive in (True, False):
        moved = _recode(maps, values, {"PT1D": "c"}, additive=additive)
        assert math.isnan(moved.loc["PT16", "value"]) and moved.loc["PT16", "flag"] == "c"


def test_a_region_mapped_one_to_one_keeps_its_exact_value(maps):
    for additive in (True, False):
        moved = _recode(maps, {"DE11": 123.456789, "PT1A": 1.0}, {"DE11": "p"}, additive=additive)
        row = moved.loc["DE11"]
        assert row["value"] == 123.456789 and row["flag"] == "p"
        assert (row["recode_relation"], row["recode_weight"]) == ("same", 1.0)


def test_routes_through_several_middle_regions_add_up(maps):
    # HR07 (NUTS 2024) lies in HR02 and HR05 (NUTS 2021), which were both HR04 in NUTS 2016
    table = editions.mapping_to(maps, 2024, 2016).set_index(["region_code_source", "region_code"])
    assert table.loc[("HR07", "HR04"), "recode_weight"] == pytest.approx(1.0)
    moved = _recode(maps, {"HR02": 10.0, "HR05": 20.0, "HR06": 30.0, "HR07": 40.0}, additive=True)
    assert moved.loc["HR04", "value"] == pytest.approx(100.0)


def test_the_recoding_table_records_the_target_share(maps):
    _, recoding = _release(maps, {"PT1A": 1.0, "PT1B": 1.0, "DE11": 1.0})
    share = recoding.set_index("region_code_source")["recode_target_share"]
    assert share["PT1A"] == pytest.approx(POP["PT1A"] / (POP["PT1A"] + POP["PT1B"]))
    assert share["DE11"] == 1.0
    assert set(recoding["nuts_edition_source"]) == {2024}


def test_an_edition_no_matrix_reaches_is_refused_with_the_valid_ones():
    with pytest.raises(UnknownCodeError, match=r"2027.*2024"):
        editions.edition_path(2027, 2016)

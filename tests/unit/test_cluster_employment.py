"""Allocation of SBS division employment to cluster categories, and the region totals."""

import math

import pandas as pd

from observatory_lib.data.cluster_employment import (
    build_cluster_employment,
    build_region_totals,
    impute_divisions,
)


def _sbs(rows):
    frame = pd.DataFrame(rows, columns=["region_code", "nace_code", "employment_persons"])
    return frame.assign(nuts_level=2, year=2015)


ALLOCATION = pd.DataFrame(
    {
        "category_code": ["autos", "autos", "food"],
        "category_type": ["traded", "traded", "traded"],
        "nace_class": ["29.10", "29.20", "10.11"],
        "nace_code": ["C29", "C29", "C10"],
        # C29 has 4 classes, C10 has 9: the equal split of a division among its classes
        "allocation_share": [0.25, 0.25, 1 / 9],
    }
)


def test_allocated_employment_is_the_share_of_the_division():
    sbs = _sbs([("R1", "C", 1000.0), ("R1", "C29", 400.0), ("R1", "C10", 900.0)])
    result = build_cluster_employment(sbs, ALLOCATION).set_index("category_code")
    assert result.loc["autos", "employment_persons"] == 200.0  # 400 * (0.25 + 0.25)
    assert result.loc["food", "employment_persons"] == 100.0  # 900 / 9
    assert bool(result.loc["autos", "is_derived_by_allocation"])
    assert not bool(result.loc["autos", "has_confidential_cells"])


def test_missing_division_is_imputed_from_the_section_remainder_and_flagged():
    # C = 1000, C10 known 900, C29 suppressed -> remainder 100 goes to C29
    sbs = _sbs([("R1", "C", 1000.0), ("R1", "C29", None), ("R1", "C10", 900.0)])
    result = build_cluster_employment(sbs, ALLOCATION).set_index("category_code")
    assert result.loc["autos", "employment_persons"] == 50.0
    assert bool(result.loc["autos", "has_confidential_cells"])
    assert result.loc["autos", "n_divisions_imputed"] == 1
    assert not bool(result.loc["food", "has_confidential_cells"])


def test_missing_division_without_section_total_stays_missing_never_zero():
    sbs = _sbs([("R1", "C", None), ("R1", "C29", None), ("R1", "C10", 900.0)])
    result = build_cluster_employment(sbs, ALLOCATION).set_index("category_code")
    assert math.isnan(result.loc["autos", "employment_persons"])
    assert bool(result.loc["autos", "has_confidential_cells"])
    assert result.loc["food", "employment_persons"] == 100.0


def test_remainder_split_equally_among_several_missing_divisions():
    sbs = _sbs(
        [("R1", "C", 1000.0), ("R1", "C10", 400.0), ("R1", "C29", None), ("R1", "C30", None)]
    )
    divisions = impute_divisions(sbs).set_index("nace_code")
    assert divisions.loc["C29", "employment_persons"] == 300.0
    assert divisions.loc["C30", "employment_persons"] == 300.0
    assert bool(divisions.loc["C29", "is_imputed"])
    assert not bool(divisions.loc["C10", "is_imputed"])


def test_inconsistent_section_total_does_not_create_negative_employment():
    sbs = _sbs([("R1", "C", 100.0), ("R1", "C10", 400.0), ("R1", "C29", None)])
    divisions = impute_divisions(sbs).set_index("nace_code")
    assert math.isnan(divisions.loc["C29", "employment_persons"])


def test_region_total_sums_sections_and_falls_back_to_divisions():
    sbs = _sbs(
        [
            ("R1", "C", 1000.0),
            ("R1", "C10", 900.0),
            ("R1", "C29", 100.0),
            ("R1", "F", None),  # suppressed section, but its divisions are all known
            ("R1", "F41", 30.0),
            ("R1", "F43", 20.0),
            ("R1", "S95", 5.0),
        ]
    )
    totals = build_region_totals(sbs)
    assert totals["employment_persons"].tolist() == [1055.0]


def test_region_total_is_missing_when_a_section_cannot_be_known():
    sbs = _sbs([("R1", "C", 1000.0), ("R1", "C10", 1000.0), ("R1", "F", None), ("R1", "F41", None)])
    totals = build_region_totals(sbs)
    assert math.isnan(totals["employment_persons"].iloc[0])


def test_unknown_section_is_shared_from_the_parent_remainder_by_size():
    rows = [
        # parent R1 (level 1): C = 1000, D = 100
        ("R1", 1, "C", 1000.0),
        ("R1", 1, "C10", 1000.0),
        ("R1", 1, "D", 100.0),
        ("R1", 1, "D35", 100.0),
        # R11 knows D = 40; R12 and R13 have D suppressed, with C = 600 and 200 (weights 3:1)
        ("R11", 2, "C", 200.0),
        ("R11", 2, "C10", 200.0),
        ("R11", 2, "D", 40.0),
        ("R11", 2, "D35", 40.0),
        ("R12", 2, "C", 600.0),
        ("R12", 2, "C10", 600.0),
        ("R12", 2, "D", None),
        ("R12", 2, "D35", None),
        ("R13", 2, "C", 200.0),
        ("R13", 2, "C10", 200.0),
        ("R13", 2, "D", None),
        ("R13", 2, "D35", None),
    ]
    sbs = pd.DataFrame(
        rows, columns=["region_code", "nuts_level", "nace_code", "employment_persons"]
    ).assign(year=2015)
    totals = build_region_totals(sbs).set_index("region_code")
    # remainder 100 - 40 = 60 shared 3:1 -> R12 gets 45, R13 gets 15
    assert totals.loc["R12", "employment_persons"] == 645.0
    assert totals.loc["R13", "employment_persons"] == 215.0
    assert totals.loc["R12", "n_sections_imputed"] == 1
    assert totals.loc["R11", "n_sections_imputed"] == 0


def test_an_apportioned_parent_never_fills_its_childrens_sections():
    rows = [
        ("R1", 1, "C", 1000.0, "apportioned"),
        ("R1", 1, "C10", 1000.0, "apportioned"),
        ("R11", 2, "C", None, "same"),
        ("R11", 2, "C10", None, "same"),
        ("R11", 2, "D", 50.0, "same"),
        ("R11", 2, "D35", 50.0, "same"),
    ]
    sbs = pd.DataFrame(
        rows,
        columns=["region_code", "nuts_level", "nace_code", "employment_persons", "recode_relation"],
    ).assign(year=2015)
    totals = build_region_totals(sbs).set_index("region_code")
    assert math.isnan(totals.loc["R11", "employment_persons"])
    assert bool(totals.loc["R1", "is_apportioned"])

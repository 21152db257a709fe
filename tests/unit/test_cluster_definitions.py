"""Unit tests for observatory_lib.data.cluster_definitions, and checks of its reference tables."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from observatory_lib.data import cluster_definitions as cd
from observatory_lib.errors import DataSourceError, UnknownCodeError

HEADER = "cluster_type,cluster,nace_class,nace4,nace_group,nace_division,nace_section,source_code\n"
TRADED = (
    HEADER
    + "traded,AUTOMOTIVE,29.10,2910,291,29,C,2910\n"
    + "traded,AUTOMOTIVE,29.32,2932,293,29,C,2932\n"
    + "traded,FOOD PROCESSING ANDE MANUFACTURING,10.11,1011,101,10,C,1011\n"
    + "traded,FINANCIAL SERVICES,64.19,6419,641,64,K,6419\n"
)
EMERGING = (
    HEADER
    + "emerging,Mobility technologies,29.10,2910,291,29,C,2910\n"
    + "emerging,Mobility technologies,95.11,9511,951,95,S,9511\n"
    + "emerging,Biopharma,10.11,1011,101,10,C,1011\n"
)
NAMES = (
    "source_name,category_type,category_code,category_name\n"
    "AUTOMOTIVE,traded,automotive,Automotive\n"
    "FOOD PROCESSING ANDE MANUFACTURING,traded,food-processing-and-manufacturing,"
    "Food Processing and Manufacturing\n"
    "FINANCIAL SERVICES,traded,financial-services,Financial Services\n"
    "Mobility technologies,emerging,mobility-technologies,Mobility Technologies\n"
    "Biopharma,emerging,emerging-biopharmaceuticals,Biopharmaceuticals\n"
)
# Division 10 has four classes here, 29 two, 64 and 95 one each.
NACE = pd.DataFrame(
    {
        "nace_class": ["10.11", "10.12", "10.13", "10.20", "29.10", "29.32", "64.19", "95.11"],
        "nace_division": ["10", "10", "10", "10", "29", "29", "64", "95"],
        "nace_section": ["C", "C", "C", "C", "C", "C", "K", "S"],
        "title": ["a", "b", "c", "d", "e", "f", "g", "h"],
    }
)


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in {"traded": TRADED, "emerging": EMERGING, "names": NAMES}.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return paths


@pytest.fixture
def definitions(files):
    return cd.load_cluster_definitions(files["traded"], files["emerging"], files["names"])


def test_load_cluster_definitions(definitions):
    assert list(definitions.columns) == cd.DEFINITION_COLUMNS
    assert len(definitions) == 7
    food = definitions[definitions["category_code"] == "food-processing-and-manufacturing"].iloc[0]
    assert food["category_name"] == "Food Processing and Manufacturing"
    assert food["source_name"] == "FOOD PROCESSING ANDE MANUFACTURING"
    assert (food["nace_class"], food["nace_division"], food["nace_code"]) == ("10.11", "10", "C10")
    # one class in a traded category and in an emerging industry: both rows kept
    assert set(definitions.loc[definitions["nace_class"] == "29.10", "category_code"]) == {
        "automotive",
        "mobility-technologies",
    }
    assert definitions.loc[definitions["nace_class"] == "95.11", "nace_code"].item() == "S95"


def test_load_cluster_definitions_needs_every_name(files, tmp_path):
    names = tmp_path / "few_names.csv"
    names.write_text("\n".join(NAMES.splitlines()[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(DataSourceError, match=r"emerging: 'Biopharma'.*add a row"):
        cd.load_cluster_definitions(files["traded"], files["emerging"], names)


def test_load_cluster_definitions_rejects_swapped_or_bad_files(files, tmp_path):
    with pytest.raises(DataSourceError, match="traded file first"):
        cd.load_cluster_definitions(files["emerging"], files["traded"], files["names"])
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "traded,AUTOMOTIVE,2910,2910,291,29,C,2910\n", encoding="utf-8")
    with pytest.raises(DataSourceError, match="leading zeros"):
        cd.load_cluster_definitions(bad, files["emerging"], files["names"])


def test_read_category_names_rejects_repeated_slug(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text(
        NAMES + "Medical device,emerging,automotive,Medical Devices\n", encoding="utf-8"
    )
    with pytest.raises(DataSourceError, match="automotive"):
        cd.read_category_names(path)


def test_build_division_allocation_equal_split(definitions):
    allocation = cd.build_division_allocation(definitions, NACE)
    assert list(allocation.columns) == cd.ALLOCATION_COLUMNS
    share = allocation.set_index(["category_code", "nace_class"])["allocation_share"]
    assert share[("food-processing-and-manufacturing", "10.11")] == pytest.approx(0.25)
    assert share[("emerging-biopharmaceuticals", "10.11")] == pytest.approx(0.25)
    assert share[("automotive", "29.10")] == pytest.approx(0.5)
    assert share[("automotive", "29.32")] == pytest.approx(0.5)
    assert share[("mobility-technologies", "95.11")] == pytest.approx(1.0)
    assert allocation.loc[allocation["nace_class"] == "95.11", "nace_code"].item() == "S95"


def test_build_division_allocation_checks_classes(definitions):
    with pytest.raises(DataSourceError, match=r"29\.32"):
        cd.build_division_allocation(definitions, NACE[NACE["nace_class"] != "29.32"])
    wrong_section = NACE.assign(nace_section=NACE["nace_section"].replace("S", "R"))
    with pytest.raises(DataSourceError, match=r"95\.11.*wrong NACE section"):
        cd.build_division_allocation(definitions, wrong_section)


def test_build_category_table(definitions):
    table = cd.build_category_table(definitions).set_index("category_code")
    assert list(table.reset_index().columns) == cd.CATEGORY_COLUMNS
    assert table.loc["automotive", "n_nace_classes"] == 2
    assert table.loc["automotive", "n_nace_classes_in_sbs_scope"] == 2
    # section K is outside regional SBS, division 95 of section S inside
    assert table.loc["financial-services", "n_nace_classes_in_sbs_scope"] == 0
    assert table.loc["mobility-technologies", "n_nace_classes_in_sbs_scope"] == 2
    narrow = cd.build_category_table(definitions, sbs_scope=("C",)).set_index("category_code")
    assert narrow.loc["mobility-technologies", "n_nace_classes_in_sbs_scope"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("29.10", {"automotive", "mobility-technologies"}),
        ("2910", {"automotive", "mobility-technologies"}),
        ("C2910", {"automotive", "mobility-technologies"}),
        (" 29.1 ", {"automotive", "mobility-technologies"}),
        ("C29", {"automotive", "mobility-technologies"}),
        ("29", {"automotive", "mobility-technologies"}),
        ("29.32", {"automotive"}),
        ("k", {"financial-services"}),
    ],
)
def test_categories_for_nace_forms(definitions, query, expected):
    assert set(cd.categories_for_nace(query, definitions)["category_code"]) == expected


def test_categories_for_nace_unknown(definitions):
    with pytest.raises(UnknownCodeError, match=r"nearest valid NACE codes: 29\.10"):
        cd.categories_for_nace("29.11", definitions)
    with pytest.raises(UnknownCodeError, match="nearest valid NACE codes: C29"):
        cd.categories_for_nace("D29", definitions)
    for malformed in ("", "2", "C-29", "X10"):
        with pytest.raises(UnknownCodeError, match=r"A NACE Rev\. 2 code is"):
            cd.categories_for_nace(malformed, definitions)


def test_nace_for_category(definitions):
    classes = cd.nace_for_category("Automotive", definitions)
    assert classes["nace_class"].tolist() == ["29.10", "29.32"]
    assert classes["nace_code"].tolist() == ["C29", "C29"]
    with pytest.raises(UnknownCodeError, match="nearest valid cluster category codes: automotive"):
        cd.nace_for_category("automotiv", definitions)


# --- the project-owned reference tables -------------------------------------------------------


def test_nace_reference_counts():
    classes = cd.read_nace_classes()
    assert len(classes) == 615
    assert classes["nace_division"].nunique() == 88
    assert classes["nace_class"].str[:4].nunique() == 272
    assert classes["nace_section"].nunique() == 21
    assert (classes["nace_class"].str[:2] == classes["nace_division"]).all()
    assert classes["title"].str.len().gt(0).all()
    sections = classes.groupby("nace_section")["nace_division"].agg(["min", "max"])
    assert sections.loc["C"].tolist() == ["10", "33"]
    assert sections.loc["S"].tolist() == ["94", "96"]
    assert classes.set_index("nace_class").loc["30.30", "title"] == (
        "Manufacture of air and spacecraft and related machinery"
    )


def test_category_names_reference():
    names = cd.read_category_names()
    assert names["category_code"].is_unique
    assert names["category_code"].map(lambda c: re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c)).all()
    assert (
        names["category_type"].value_counts() == pd.Series({"traded": 47, "emerging": 10})
    ).all()
    emerging = names[names["category_type"] == "emerging"]
    assert sorted(emerging["category_name"]) == [
        "Advanced Packaging",
        "Biopharmaceuticals",
        "Blue Growth Industries",
        "Creative Industries",
        "Digital Industries",
        "Environmental Industries",
        "Experience Industries",
        "Logistical Services",
        "Medical Devices",
        "Mobility Technologies",
    ]
    by_source = names.set_index("source_name")["category_code"]
    assert by_source["AGRICULTURAL INPUTS ANDE SERVICES"] == "agricultural-inputs-and-services"
    assert by_source["Medical device"] == "emerging-medical-devices"
    assert by_source["Biopharma"] == "emerging-biopharmaceuticals"
    assert names["category_name"].str.strip().eq(names["category_name"]).all()
    assert not names["category_name"].str.isupper().any()

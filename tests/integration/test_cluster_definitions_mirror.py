"""Cluster definitions of the mirror against the project's names and NACE Rev. 2 tables."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory_lib.data import cluster_definitions as cd

pytestmark = pytest.mark.integration

TRADED = "cluster_definitions/eco_traded_cluster_categories_nace4.csv"
EMERGING = "cluster_definitions/eco_emerging_industries_nace4.csv"


@pytest.fixture(scope="module")
def definitions(mirror_file):
    return cd.load_cluster_definitions(mirror_file(TRADED), mirror_file(EMERGING))


@pytest.fixture(scope="module")
def nace_classes():
    return cd.read_nace_classes()


def test_every_source_name_has_a_display_name(mirror_file, definitions):
    """load_cluster_definitions refuses unnamed categories; here also no unused names."""
    names = cd.read_category_names()
    source = pd.concat(
        [pd.read_csv(mirror_file(name), dtype=str) for name in (TRADED, EMERGING)]
    ).rename(columns={"cluster": "source_name", "cluster_type": "category_type"})
    pairs = set(zip(source["source_name"], source["category_type"], strict=True))
    named = set(zip(names["source_name"], names["category_type"], strict=True))
    assert pairs == named
    assert len(definitions) == len(source)


def test_category_counts(definitions):
    categories = definitions.drop_duplicates("category_code")
    assert (categories["category_type"] == "traded").sum() == 47
    assert (categories["category_type"] == "emerging").sum() == 10
    assert definitions["category_code"].nunique() == 57


def test_each_traded_class_in_exactly_one_category(definitions):
    traded = definitions[definitions["category_type"] == "traded"]
    assert traded.groupby("nace_class")["category_code"].nunique().eq(1).all()
    emerging = definitions[definitions["category_type"] == "emerging"]
    # emerging industries overlap on purpose
    assert emerging.groupby("nace_class")["category_code"].nunique().max() > 1


def test_every_class_exists_in_nace_rev2(definitions, nace_classes):
    missing = sorted(set(definitions["nace_class"]) - set(nace_classes["nace_class"]))
    assert missing == []
    official = definitions.merge(nace_classes, on="nace_class", suffixes=("", "_official"))
    assert (official["nace_section"] == official["nace_section_official"]).all()
    assert (official["nace_division"] == official["nace_division_official"]).all()


def test_division_allocation(definitions, nace_classes):
    allocation = cd.build_division_allocation(definitions, nace_classes)
    assert len(allocation) == len(definitions)
    assert allocation["allocation_share"].between(0, 1, inclusive="right").all()
    shares = allocation.set_index(["category_code", "nace_class"])["allocation_share"]
    # division 30 has 8 classes, division 05 two
    assert shares[("aerospace-vehicles-and-defence", "30.30")] == pytest.approx(1 / 8)
    assert shares[("coal-mining", "05.10")] == pytest.approx(1 / 2)
    # traded categories partition the classes, so a division is never allocated twice over
    traded = allocation[allocation["category_type"] == "traded"]
    assert traded.groupby("nace_code")["allocation_share"].sum().max() <= 1 + 1e-9


def test_category_table(definitions):
    table = cd.build_category_table(definitions).set_index("category_code")
    assert len(table) == 57
    assert table.loc["automotive", "category_name"] == "Automotive"
    assert table.loc["financial-services", "n_nace_classes_in_sbs_scope"] == 0
    assert (table["n_nace_classes_in_sbs_scope"] <= table["n_nace_classes"]).all()
    assert table["n_nace_classes"].sum() == len(definitions)


def test_lookups_on_real_definitions(definitions):
    aerospace = cd.categories_for_nace("C3030", definitions)
    assert set(aerospace["category_code"]) == {
        "aerospace-vehicles-and-defence",
        "mobility-technologies",
    }
    assert cd.nace_for_category("emerging-medical-devices", definitions)["nace_class"].size == 23
    with pytest.raises(KeyError, match="automotive"):
        cd.nace_for_category("automotve", definitions)

"""Build the real store from the mirror and check real facts."""

import json
import math

import pandas as pd
import pytest

from observatory_lib.data import eurostat
from observatory_lib.data import sbs as sbs_module
from observatory_lib.data import store as store_module
from observatory_lib.errors import StoreError

pytestmark = pytest.mark.integration


def test_regions_per_level_and_edition(built_store):
    gisco = built_store.regions[~built_store.regions["is_aggregate"]]
    counts = gisco.groupby(["nuts_edition", "nuts_level"]).size().to_dict()
    assert counts[(2016, 0)] == 37 and counts[(2016, 2)] == 332 and counts[(2016, 3)] == 1522
    assert counts[(2021, 1)] == 125 and counts[(2021, 2)] == 334 and counts[(2021, 3)] == 1514
    assert counts[(2024, 0)] == 39 and counts[(2024, 2)] == 299 and counts[(2024, 3)] == 1345


def test_every_sbs_nuts2_code_with_data_lands_on_the_2016_map(built_store):
    sbs = built_store.sbs_employment
    with_data = sbs[(sbs["nuts_level"] == 2) & sbs["employment_persons"].notna()]
    codes = set(with_data["region_code"])
    mapped = set(
        built_store.geometries.query("nuts_edition == 2016 and nuts_level == 2")["region_code"]
    )
    # every region lands on the map now: splits and boundary changes are apportioned to the
    # NUTS 2016 regions, so only extra-regio codes stay off it
    assert {c for c in codes - mapped if not c.endswith("ZZ")} == set()
    assert {"HU11", "HU12", "IE04", "IE05", "IE06", "UKM7", "UKM9", "PL91"} <= codes


def test_no_aggregate_regions_are_needed_any_more(built_store):
    assert not built_store.regions["is_aggregate"].any()
    assert (built_store.sbs_employment["nuts_edition"] == 2016).all()


def test_cluster_employment_never_exceeds_covered_division_employment(built_store):
    clusters = built_store.cluster_employment
    totals = built_store.region_employment_totals
    traded = clusters[clusters["category_type"] == "traded"]
    per_region = traded.groupby(["region_code", "year"])["employment_persons"].sum(min_count=1)
    joined = per_region.to_frame("traded").join(
        totals.set_index(["region_code", "year"])["employment_persons"].rename("total")
    )
    both = joined.dropna()
    assert len(both) > 200
    assert (both["traded"] <= both["total"] * (1 + 1e-9)).all()


def test_confidential_cells_stay_missing(built_store, mirror_file):
    raw = pd.read_csv(
        mirror_file("eurostat/sbs_r_nuts06_r2_persons_employed_2015.csv"), sep=";", dtype=str
    )
    blank = raw[raw["n2015"].str.strip().eq("") | raw["n2015"].isna()]
    sbs = built_store.sbs_employment
    sbs = sbs[sbs["year"] == 2015].set_index(["region_code_source", "nace_code"])
    keys = list(zip(blank["geo"], blank["nace_r2"], strict=True))
    kept = [key for key in keys if key in sbs.index]  # pre-2013 empty rows are dropped
    assert len(kept) > 4000  # 8,490 blanks in the file, about half on dropped pre-2013 rows
    # the vintage rule fills a blank of the extract from the 2017-07 bulk file where it has a
    # number (2 cells in Germany); every other blank stays missing
    filled = sbs.loc[kept, "employment_persons"].notna()
    assert filled.sum() == 2
    assert (sbs.loc[kept][filled]["vintage"] == "2017-07").all()
    bulk = sbs_module.read_sbs_bulk(
        mirror_file("eurostat/sbs_2008_2015/sbs_r_nuts06_r2_2008-2015_vintage2017-07.tsv.gz")
    )
    extract = eurostat.read_sbs_extract(
        mirror_file("eurostat/sbs_r_nuts06_r2_persons_employed_2015.csv")
    )
    combined = sbs_module.combine_sbs_vintages(bulk, extract)
    keys = ["region_code", "nace_code", "year"]
    raw_zeros = set(map(tuple, combined.loc[combined["employment_persons"] == 0, keys].to_numpy()))
    same = built_store.sbs_employment
    same = same[(same["recode_relation"] == "same") & (same["employment_persons"] == 0)]
    assert set(map(tuple, same[keys].to_numpy())) <= raw_zeros  # a zero only where published


def test_cluster_rows_carry_allocation_and_confidential_flags(built_store):
    clusters = built_store.cluster_employment
    assert clusters["is_derived_by_allocation"].all()
    assert clusters["has_confidential_cells"].any()
    missing = clusters[clusters["employment_persons"].isna()]
    assert missing["has_confidential_cells"].all()


def test_provenance_names_datasets_and_attribution(built_store):
    provenance = built_store.provenance
    assert "sbs_r_nuts06_r2" in set(provenance["dataset_code"])
    attributions = set(provenance["attribution"])
    assert "Source: Eurostat" in attributions
    assert "© EuroGeographics for the administrative boundaries" in attributions


def test_context_indicators_are_on_nuts_2016(built_store):
    context = built_store.context_indicators
    assert (context["nuts_edition"] == 2016).all()
    assert set(context["recode_relation"]) <= {"same", "recode", "apportioned", "extra-regio"}
    # rates are never shared out: an apportioned rate is the population-weighted mean of the
    # regions of a newer edition that make up the target (the NUTS 2016 R&D extract lists
    # Croatia's NUTS 2021 regions HR02, HR05 and HR06, which together are HR04)
    apportioned = context[context["recode_relation"] == "apportioned"]
    rates = apportioned[~apportioned["unit"].isin(store_module.ADDITIVE_UNITS)]
    recoding = built_store.nuts_recoding
    for parts in set(rates["region_code_source"]):
        sources = recoding[recoding["region_code_source"].isin(parts.split("+"))]
        assert (sources["nuts_edition_source"] > 2016).all(), parts
    hr04 = rates.query("region_code == 'HR04'")
    assert set(hr04["region_code_source"]) <= {"HR02+HR05+HR06"}
    at = context.query(
        "region_code == 'AT' and indicator_code == 'gdp_eur_per_hab' and year == 2014"
    )
    assert at["value"].tolist() == [38500.0]
    # France was recoded: FR71 (Rhône-Alpes, NUTS 2013) is FRK2 in NUTS 2016
    fr = context.query("region_code == 'FRK2' and indicator_code == 'gdp_mio_eur'")
    assert not fr.empty and set(fr["region_code_source"]) == {"FR71"}


def test_load_is_fast_and_complete(built_store):
    import time

    started = time.perf_counter()
    loaded = store_module.load_store()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert loaded.version == built_store.version
    assert math.isclose(len(loaded.cluster_employment), len(built_store.cluster_employment))


def test_failed_build_leaves_previous_store_intact(built_store, monkeypatch):
    root = built_store.path.parent
    before = (root / "CURRENT").read_text()

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure while writing")

    monkeypatch.setattr(store_module, "_write_tables", broken)
    with pytest.raises(RuntimeError):
        store_module.build_store()
    assert (root / "CURRENT").read_text() == before
    assert not list(root.glob(".building-*"))
    assert store_module.load_store().version == built_store.version


def test_truncated_table_gives_a_clear_error(built_store, tmp_path):
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(built_store.path.parent, copy)
    version = (copy / "CURRENT").read_text().strip()
    table = copy / version / "cluster_employment.parquet"
    table.write_bytes(table.read_bytes()[:100])
    with pytest.raises(StoreError, match=r"cluster_employment\.parquet.*observatory build"):
        store_module.load_store(copy)


def test_store_info_lists_summary(built_store):
    info = json.loads((built_store.path / "store.json").read_text())
    assert info["sbs_years"] == list(range(2008, 2016))
    assert info["statistics_nuts_edition"] == 2016
    assert "gdp_pps_per_hab" in info["indicators"]

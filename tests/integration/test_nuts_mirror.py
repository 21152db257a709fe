"""NUTS geometries, regions and recoding on the real GISCO and Eurostat files of the mirror."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from observatory_lib.data import editions, nuts
from observatory_lib.data.recoding import recode_statistics

pytestmark = pytest.mark.integration

GEOMETRY_FILES = {
    2016: [f"nuts/2016/20M/NUTS_RG_20M_2016_4326_LEVL_{level}.geojson" for level in range(4)],
    2021: [f"nuts/2021/60M/NUTS_RG_60M_2021_4326_LEVL_{level}.geojson" for level in range(4)],
    2024: [f"nuts/2024/20M/NUTS_RG_20M_2024_4326_LEVL_{level}.geojson" for level in range(3)]
    + ["nuts/2024/20M/NUTS_RG_20M_2024_4326_LEVL_3.geojson.gz"],
}
LABEL_FILES = [f"nuts/2021/labels/NUTS_LB_2021_4326_LEVL_{level}.geojson" for level in range(4)]
EXPECTED_FEATURES = {
    2016: [37, 125, 332, 1522],
    2021: [37, 125, 334, 1514],
    2024: [39, 115, 299, 1345],
}
SBS_FILE = "eurostat/sbs_r_nuts06_r2_persons_employed_2015.csv"
BULK_FILE = "eurostat/sbs_2008_2015/sbs_r_nuts06_r2_2008-2015_vintage2017-07.tsv.gz"
CROSSWALKS = {
    2016: "nuts/crosswalks/n2_cm_v2013_v2016.csv",
    2021: "nuts/crosswalks/n2_cm_v2016_v2021.csv",
}


@pytest.fixture(scope="module")
def geometries(mirror_file):
    frames = [
        nuts.read_nuts_geometries(mirror_file(name), edition)
        for edition, names in GEOMETRY_FILES.items()
        for name in names
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def regions(geometries, mirror_file):
    labels = [mirror_file(name) for name in LABEL_FILES]
    return nuts.build_regions_table(geometries, labels, mirror_file("nuts/nuts_region_names.csv"))


@pytest.fixture(scope="module")
def sbs(mirror_file):
    raw = pd.read_csv(mirror_file(SBS_FILE), sep=";", dtype=str, keep_default_na=False)
    return raw.rename(columns={"geo": "region_code"})


@pytest.fixture(scope="module")
def maps(mirror_file, geometries):
    frames = [geometries]
    for level in range(4):
        name = f"nuts/2013/20M/NUTS_RG_20M_2013_4326_LEVL_{level}.geojson"
        frames.append(
            nuts.read_nuts_geometries(mirror_file(name + (".gz" if level == 3 else "")), 2013)
        )
    regions = pd.DataFrame(pd.concat(frames).drop(columns="geometry")).assign(is_aggregate=False)
    matrices = {
        (2013, 2016): editions.read_crosswalk_matrix(mirror_file(CROSSWALKS[2016]), 2013, 2016),
        (2016, 2021): editions.read_crosswalk_matrix(mirror_file(CROSSWALKS[2021]), 2016, 2021),
    }
    return editions.build_edition_maps(matrices, regions, editions.read_nuts2010_codes())


@pytest.fixture(scope="module")
def recoding(maps, sbs, mirror_file):
    bulk = pd.read_csv(mirror_file(BULK_FILE), sep="\t", dtype=str, usecols=[0])
    codes = pd.concat([sbs["region_code"], bulk.iloc[:, 0].str.split(",").str[2]])
    seen = pd.DataFrame(
        {"region_code_source": codes.unique(), "nuts_edition_declared": 2013, "source_file": "sbs"}
    )
    return editions.build_recoding_table(maps, seen, 2016, strict_sources=["sbs"])


@pytest.mark.parametrize("edition", sorted(EXPECTED_FEATURES))
def test_features_per_level_and_edition(geometries, edition):
    frame = geometries[geometries["nuts_edition"] == edition]
    counts = frame.groupby("nuts_level").size().reindex(range(4), fill_value=0).tolist()
    assert counts == EXPECTED_FEATURES[edition]
    assert frame["region_code"].is_unique
    assert (frame["region_code"].str.len() - 2 == frame["nuts_level"]).all()
    assert frame.geometry.notna().all() and not frame.geometry.is_empty.any()


def test_regions_table(regions):
    counts = regions.groupby(["nuts_edition", "nuts_level"]).size()
    for edition, expected in EXPECTED_FEATURES.items():
        assert counts.loc[edition].tolist() == expected
    assert regions[["region_name", "label_lon", "label_lat"]].notna().all().all()
    assert regions.loc[regions["nuts_level"] > 0, "parent_code"].notna().all()
    assert regions.loc[regions["nuts_level"] == 0, "parent_code"].isna().all()
    # every parent exists in the same edition
    keys = set(zip(regions["region_code"], regions["nuts_edition"], strict=True))
    children = regions[regions["nuts_level"] > 0]
    parents = zip(children["parent_code"], children["nuts_edition"], strict=True)
    assert all(parent in keys for parent in parents)
    by_key = regions.set_index(["nuts_edition", "region_code"])
    # NUTS 2016 files have no Latin names; they come from the later editions
    assert by_key.loc[(2016, "EL30"), "region_name"] == "Attiki"
    assert by_key.loc[(2016, "EL30"), "region_name_local"] != "Attiki"
    assert by_key.loc[(2024, "EL30"), "region_name"] == "Attiki"
    assert -32 < by_key.loc[(2016, "DE11"), "label_lon"] < 45


def test_labels_fall_inside_their_regions(geometries, regions):
    polygons = geometries[geometries["nuts_edition"] == 2016].set_index("region_code").geometry
    level2 = regions[(regions["nuts_edition"] == 2016) & (regions["nuts_level"] == 2)]
    points = shapely.points(level2["label_lon"].to_numpy(), level2["label_lat"].to_numpy())
    # 2021 label points may sit a little outside a generalised 2016 polygon (coasts, islands)
    near = shapely.dwithin(polygons.loc[level2["region_code"]].to_numpy(), points, 0.2)
    assert near.mean() > 0.97


def test_sbs_nuts2_codes_land_on_the_2016_map(geometries, maps, recoding, sbs):
    level2 = sbs[sbs["region_code"].str.len() == 4]
    with_values = level2[level2["n2015"].str.strip() != ""]
    map_2016 = geometries[(geometries["nuts_edition"] == 2016) & (geometries["nuts_level"] == 2)]
    rows = recoding[recoding["region_code_source"].isin(with_values["region_code"])]
    placed = rows[rows["region_code"].notna()]
    off_map = placed[~placed["region_code"].isin(map_2016["region_code"])]
    assert set(off_map["recode_relation"]) <= {"extra-regio"}
    assert off_map["region_code"].str.endswith("ZZ").all()
    relations = set(rows["recode_relation"])
    assert {"same", "recode", "apportioned"} <= relations
    assert "left out" not in relations  # every 2015 code with data has a 2016 home


def test_recoding_table_on_sbs_codes(recoding):
    first = recoding.drop_duplicates("region_code_source").set_index("region_code_source")
    assert first.loc["FR71", "region_code"] == "FRK2"
    assert first.loc["FR71", "recode_relation"] == "recode"
    assert first.loc["SI03", "recode_relation"] == "same"  # SI03/SI04 exist in NUTS 2013
    assert first.loc["SI01", "recode_relation"] == "left out"
    assert "boundary change" in first.loc["SI01", "recode_note"]
    assert first.loc["ITD3", "region_code"] == "ITH3"  # a NUTS 2010 rename
    assert first.loc["UKI1", "recode_relation"] == "left out"
    assert first.loc["CZZZ", "recode_relation"] == "extra-regio"
    assert first.loc["UKN0", "recode_relation"] == "same"  # UKN0 -> UKN1 is no 2016 region
    apportioned = recoding[
        (recoding["recode_relation"] == "apportioned") & (recoding["nuts_level"] == 2)
    ]
    assert set(apportioned["region_code_source"]) == {
        "HU10", "IE01", "IE02", "LT00", "PL12", "UKM2", "UKM3",
    }  # fmt: skip
    weights = apportioned.groupby("region_code_source")["recode_weight"].sum()
    np.testing.assert_allclose(weights.to_numpy(), 1.0)


def test_slivers_do_not_move_numbers_between_unchanged_regions(maps):
    step = maps.steps[(2013, 2016)].set_index(["region_code_source", "region_code"])
    for code in ("ITH3", "CZ02", "SE11"):
        assert step.loc[(code, code), "recode_relation"] == "same"
        assert "slivers" in step.loc[(code, code), "recode_note"]
    assert ("ITH3", "ITH4") not in step.index


def test_the_2021_edition_apportions_croatia_and_norway(maps):
    to_2021 = editions.mapping_to(maps, 2013, 2021)
    apportioned = to_2021[
        (to_2021["recode_relation"] == "apportioned") & (to_2021["nuts_level"] == 2)
    ]
    sources = set(apportioned["region_code_source"])
    assert {"HR04", "NO01", "NO03", "NO04", "NO05", "HU10", "IE01"} <= sources
    assert "NL33" not in sources  # 0.96 % of its population moved: below the sliver share


def test_mostly_2016_file_with_old_codes(mirror_file, maps):
    """A 2022 extract with NUTS 2016 codes and HU10 beside HU11: the native code wins."""
    raw = pd.read_csv(
        mirror_file("eurostat/eurito_2022/rd_e_gerdreg_total_pc_gdp.csv"), dtype={"region_id": str}
    )
    frame = raw.rename(columns={"region_id": "region_code", "rd_e_gerdreg_total_pc_gdp": "value"})
    frame = frame[frame["region_level"].between(0, 3)]
    declared = pd.Series(2016, index=frame.index)
    seen = pd.DataFrame(
        {
            "region_code_source": frame["region_code"],
            "nuts_edition_declared": 2016,
            "source_file": "f",
        }
    )
    table = editions.build_recoding_table(maps, seen, 2016)
    frame = frame.assign(
        nuts_edition_source=editions.source_editions(frame["region_code"], declared, maps)
    )
    recoded = recode_statistics(frame, table, keys=["year"], values=["value"], additive=False)
    assert not recoded.duplicated(["region_code", "year"]).any()
    hu11 = recoded[recoded["region_code"] == "HU11"]
    assert set(hu11["recode_relation"]) == {"same"}
    assert (recoded["recode_relation"] == "same").mean() > 0.9


def test_check_region_code_on_real_regions(regions):
    assert nuts.check_region_code(" de11 ", regions) == "DE11"
    with pytest.raises(KeyError, match="DE11"):
        nuts.check_region_code("DE1l", regions)
    with pytest.raises(KeyError, match="NUTS 2021"):
        nuts.check_region_code("NO08", regions, edition=2016)


def test_simplified_nuts2_web_map_is_small(geometries):
    level2 = geometries[(geometries["nuts_edition"] == 2016) & (geometries["nuts_level"] == 2)]
    simplified = nuts.simplify_geometries(level2, tolerance=0.02, precision=0.001)
    payload = json.dumps(json.loads(simplified[["region_code", "geometry"]].to_json()))
    size = len(payload.encode())
    original = len(level2[["region_code", "geometry"]].to_json().encode())
    assert size < 1_000_000
    assert size < original
    assert len(simplified) == len(level2)
    assert shapely.coverage_is_valid(simplified.geometry.to_numpy())
    assert simplified.geometry.is_valid.all() and not simplified.geometry.is_empty.any()

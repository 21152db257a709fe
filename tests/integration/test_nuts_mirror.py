"""NUTS geometries, regions and recoding on the real GISCO and Eurostat files of the mirror."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely

from observatory_lib.data import nuts

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
# Documented: no 1:1 mapping to NUTS 2016, so no polygon on the 2016 map.
BOUNDARY_CHANGES = {"IE01", "IE02", "UKM2", "UKM3"}


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
def recoding(mirror_file, regions, sbs):
    changes = nuts.read_nuts2013_changes(mirror_file("nuts/nuts2_2013_to_2016_changes.csv"))
    return nuts.build_recoding_table(changes, regions, sbs["region_code"])


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


def test_sbs_nuts2_codes_land_on_the_2016_map(geometries, recoding, sbs):
    level2 = sbs[sbs["region_code"].str.len() == 4]
    with_values = level2[level2["n2015"].str.strip() != ""]
    recoded = nuts.recode_to_2016(with_values, recoding)
    aggregates = nuts.build_aggregate_regions(geometries, recoding)
    map_2016 = geometries[(geometries["nuts_edition"] == 2016) & (geometries["nuts_level"] == 2)]
    on_map = set(map_2016["region_code"]) | set(aggregates["region_code"])

    off_map = recoded[~recoded["region_code"].isin(on_map)]
    assert set(off_map["recode_relation"]) == {"boundary change", "extra-regio"}
    assert set(off_map.loc[off_map["recode_relation"] == "boundary change", "region_code"]) == (
        BOUNDARY_CHANGES
    )
    assert (
        off_map.loc[off_map["recode_relation"] == "extra-regio", "region_code"]
        .str.endswith("ZZ")
        .all()
    )
    assert len(recoded) == len(with_values)
    relations = set(recoded["recode_relation"])
    assert {"same", "recode", "split"} <= relations
    assert "historical" not in relations  # pre-2013 codes carry no data


def test_recoding_table_on_sbs_codes(recoding):
    first = recoding.drop_duplicates("region_code_source").set_index("region_code_source")
    assert first.loc["FR71", "region_code"] == "FRK2"
    assert first.loc["SI01", "recode_note"] == "check Eurostat notes for boundary details"
    assert first.loc["FR7", "recode_relation"] == "no 2016 equivalent"
    assert first.loc["PL1", "recode_relation"] == "no 2016 equivalent"
    assert first.loc["DE41", "recode_relation"] == "historical"
    assert first.loc["UKI1", "recode_relation"] == "historical"
    assert first.loc["CZZZ", "recode_relation"] == "extra-regio"
    assert set(recoding.loc[recoding["recode_relation"] == "split", "region_code_source"]) == {
        "PL12",
        "HU10",
        "LT00",
    }


def test_aggregates_are_the_union_of_their_successors(geometries, recoding):
    aggregates = nuts.build_aggregate_regions(geometries, recoding).set_index("region_code")
    polygons = geometries[geometries["nuts_edition"] == 2016].set_index("region_code").geometry
    for code, successors in {"PL12": ["PL91", "PL92"], "HU10": ["HU11", "HU12"]}.items():
        union = shapely.union_all(polygons.loc[successors].to_numpy())
        assert aggregates.loc[code, "geometry"].symmetric_difference(union).area < 1e-9
    assert aggregates.loc["LT00", "region_name"] == "Lietuva"
    assert aggregates["is_aggregate"].all()


def test_mostly_2016_file_with_old_codes(mirror_file, regions, recoding):
    """A 2022 extract with NUTS 2016 codes and HU10 beside HU11 recodes without loss."""
    raw = pd.read_csv(
        mirror_file("eurostat/eurito_2022/rd_e_gerdreg_total_pc_gdp.csv"), dtype={"region_id": str}
    )
    frame = raw.rename(columns={"region_id": "region_code"})
    frame = frame[frame["region_level"].between(0, 3)]
    changes = nuts.read_nuts2013_changes(mirror_file("nuts/nuts2_2013_to_2016_changes.csv"))
    table = nuts.build_recoding_table(changes, regions, frame["region_code"], source_edition=2016)
    recoded = nuts.recode_to_2016(frame, table)
    relation = recoded.drop_duplicates("region_code_source").set_index("region_code_source")
    assert relation.loc["HU11", "recode_relation"] == "same"
    assert relation.loc["HU10", "recode_relation"] == "split"
    assert relation.loc["HU10", "region_code"] == "HU10"
    assert len(recoded) == len(frame)
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

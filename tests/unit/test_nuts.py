"""Unit tests for observatory_lib.data.nuts on tiny synthetic regions."""

from __future__ import annotations

import gzip
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from observatory_lib.data import nuts
from observatory_lib.errors import ConfigError, DataSourceError, UnknownCodeError

# --- helpers -------------------------------------------------------------------------------------


def _feature(code, level, name, geometry, latin=None):
    properties = {"NUTS_ID": code, "LEVL_CODE": level, "CNTR_CODE": code[:2], "NUTS_NAME": name}
    if latin is not None:
        properties["NAME_LATN"] = latin
    return {"type": "Feature", "properties": properties, "geometry": geometry.__geo_interface__}


def _write_geojson(path, features, gz=False):
    text = json.dumps({"type": "FeatureCollection", "features": features})
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _geometries(rows, edition):
    """rows: (code, level, name, latin, geometry) -> a read_nuts_geometries-shaped frame."""
    frame = pd.DataFrame(
        rows, columns=["region_code", "nuts_level", "region_name_local", "region_name", "geometry"]
    )
    frame = frame.assign(
        country_code=frame["region_code"].str[:2],
        region_name=frame["region_name"].fillna(frame["region_name_local"]),
        nuts_edition=edition,
    )
    return gpd.GeoDataFrame(frame[nuts.GEOMETRY_COLUMNS], geometry="geometry", crs="EPSG:4326")


REGIONS_2016 = pd.DataFrame(
    {
        "region_code": [
            *["FR", "FRK", "FRK2", "PL", "PL9", "PL91", "PL92", "HU", "HU1", "HU11", "HU12"],
            *["SI", "SI0", "SI03", "IE", "IE0", "IE04", "IE06", "DE", "DE1", "DE11"],
        ],
        "nuts_edition": 2016,
    }
).assign(nuts_level=lambda f: f["region_code"].str.len() - 2)


# --- reading ----------------------------------------------------------------------------------


def test_read_nuts_geometries_2016_without_latin_names(tmp_path):
    path = _write_geojson(
        tmp_path / "l2.geojson",
        [
            _feature("DE11", 2, " Stuttgart ", box(0, 0, 1, 1)),
            _feature("EL30", 2, "Aττική", box(1, 0, 2, 1)),
        ],
    )
    frame = nuts.read_nuts_geometries(path, 2016)
    assert list(frame.columns) == nuts.GEOMETRY_COLUMNS
    assert frame["region_name"].tolist() == ["Stuttgart", "Aττική"]
    assert frame["region_name_local"].tolist() == ["Stuttgart", "Aττική"]
    assert frame["nuts_edition"].tolist() == [2016, 2016]
    assert frame["country_code"].tolist() == ["DE", "EL"]
    assert frame.crs.to_epsg() == 4326


def test_read_nuts_geometries_gzip_and_latin_name(tmp_path):
    path = _write_geojson(
        tmp_path / "l3.geojson.gz",
        [
            _feature(
                "EL301", 3, "Βόρειος Τομέας Αθηνών", box(0, 0, 1, 1), latin="Voreios Tomeas Athinon"
            )
        ],
        gz=True,
    )
    frame = nuts.read_nuts_geometries(path, 2024)
    assert frame.loc[0, "region_name"] == "Voreios Tomeas Athinon"
    assert frame.loc[0, "region_name_local"] == "Βόρειος Τομέας Αθηνών"
    assert frame.loc[0, "nuts_level"] == 3


def test_read_nuts_geometries_bad_inputs(tmp_path):
    with pytest.raises(DataSourceError, match="does not exist"):
        nuts.read_nuts_geometries(tmp_path / "missing.geojson", 2016)
    feature = _feature("DE11", 2, "Stuttgart", box(0, 0, 1, 1))
    del feature["properties"]["LEVL_CODE"]
    path = _write_geojson(tmp_path / "bad.geojson", [feature])
    with pytest.raises(DataSourceError, match="LEVL_CODE"):
        nuts.read_nuts_geometries(path, 2016)
    with pytest.raises(UnknownCodeError, match="NUTS edition"):
        nuts.read_nuts_geometries(path, 2019)


# --- regions table --------------------------------------------------------------------------------


def _names_csv(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text(
        "nuts_version,NUTS_ID,LEVL_CODE,CNTR_CODE,NAME_LATN,NUTS_NAME,label_lon_2021,label_lat_2021\n"
        "2016,EL,0,EL,,ΕΛΛΑΔΑ,,\n"
        "2021,EL,0,EL,Elláda,Ελλάδα,22.5,39.5\n"
        "2024,EL,0,EL,Elláda (2024),Ελλάδα,,\n"
        "2024,EL30,2,EL,Attiki,Αττική,,\n",
        encoding="utf-8",
    )
    return path


def test_build_regions_table(tmp_path):
    polygon_2016 = _geometries(
        [
            ("EL", 0, "ΕΛΛΑΔΑ", None, box(20, 35, 28, 42)),
            ("EL30", 2, "Aττική", None, box(23, 37, 24, 38)),
            ("EL99", 2, "Τεστ", None, box(25, 37, 26, 38)),
        ],
        2016,
    )
    polygon_2021 = _geometries([("EL", 0, "Ελλάδα", "Elláda", box(20, 35, 28, 42))], 2021)
    labels = _geometries([("EL", 0, "Ελλάδα", "Elláda", Point(22.5, 39.5))], 2021)
    regions = nuts.build_regions_table([polygon_2016, polygon_2021], [labels], _names_csv(tmp_path))

    assert list(regions.columns) == nuts.REGION_COLUMNS
    by_key = regions.set_index(["nuts_edition", "region_code"])
    # 2016 has no Latin names: the nearest edition's wins (2021 before 2024), else NUTS_NAME.
    assert by_key.loc[(2016, "EL"), "region_name"] == "Elláda"
    assert by_key.loc[(2016, "EL"), "region_name_local"] == "ΕΛΛΑΔΑ"
    assert by_key.loc[(2016, "EL30"), "region_name"] == "Attiki"
    assert by_key.loc[(2016, "EL99"), "region_name"] == "Τεστ"
    assert pd.isna(by_key.loc[(2016, "EL"), "parent_code"])
    assert by_key.loc[(2016, "EL30"), "parent_code"] == "EL3"
    # label point from 2021 where the code exists there, else a point inside the polygon
    assert by_key.loc[(2016, "EL"), ["label_lon", "label_lat"]].tolist() == [22.5, 39.5]
    inside = Point(by_key.loc[(2016, "EL99"), ["label_lon", "label_lat"]].tolist())
    assert box(25, 37, 26, 38).contains(inside)
    assert not regions["is_aggregate"].any()
    assert regions["nuts_level"].dtype == "int64"


def test_parent_code_of_irregular_codes(tmp_path):
    """NUTS 2016 numbers Northern Ireland's NUTS 3 UKN10-UKN16 under UKN0 (no UKN1)."""
    frame = _geometries(
        [
            ("UKN", 1, "Northern Ireland", None, box(0, 0, 4, 4)),
            ("UKN0", 2, "Northern Ireland", None, box(0, 0, 4, 4)),
            ("UKN06", 3, "Belfast", None, box(0, 0, 1, 1)),
            ("UKN10", 3, "Derry City and Strabane", None, box(1, 0, 2, 1)),
        ],
        2016,
    )
    regions = nuts.build_regions_table([frame], [], _names_csv(tmp_path))
    parents = regions.set_index("region_code")["parent_code"]
    assert parents[["UKN0", "UKN06", "UKN10"]].tolist() == ["UKN", "UKN0", "UKN0"]


def test_build_regions_table_rejects_duplicates(tmp_path):
    frame = _geometries([("EL", 0, "ΕΛΛΑΔΑ", None, box(0, 0, 1, 1))], 2016)
    with pytest.raises(DataSourceError, match="twice"):
        nuts.build_regions_table([frame, frame], [frame], _names_csv(tmp_path))


# --- code checks and simplification --------------------------------------------------------------


def test_check_region_code_normalises_and_suggests():
    regions = REGIONS_2016
    assert nuts.check_region_code(" de11 ", regions) == "DE11"
    # look-alike letters first, then codes of the same level sharing the longest prefix
    with pytest.raises(UnknownCodeError, match=r"nearest valid NUTS region codes: DE11\."):
        nuts.check_region_code("DE1l", regions)
    with pytest.raises(UnknownCodeError, match=r"nearest valid NUTS region codes: FRK2\."):
        nuts.check_region_code("FRK9", regions)
    for malformed in ("DE-11", "", "D"):
        with pytest.raises(UnknownCodeError, match="A NUTS code is"):
            nuts.check_region_code(malformed, regions)
    with pytest.raises(UnknownCodeError, match="DE11 exists in NUTS 2016 level 2"):
        nuts.check_region_code("DE11", regions, level=1)
    assert nuts.check_region_code("de1", regions, level=1) == "DE1"


def test_check_region_code_names_other_edition():
    regions = pd.concat(
        [
            REGIONS_2016,
            pd.DataFrame({"region_code": ["NO08"], "nuts_edition": [2021], "nuts_level": [2]}),
        ]
    )
    with pytest.raises(UnknownCodeError, match="NO08 exists in NUTS 2021 level 2"):
        nuts.check_region_code("NO08", regions, edition=2016)


def _jagged_neighbours():
    border = [(1 + 0.001 * (i % 2), i / 50) for i in range(51)]
    left = Polygon([(0, 0), *border, (0, 1)])
    right = Polygon([(2, 0), (2, 1), *reversed(border)])
    return gpd.GeoDataFrame(
        {"region_code": ["AA11", "AA12"], "nuts_level": 2, "nuts_edition": 2016},
        geometry=[left, right],
        crs="EPSG:4326",
    )


def test_simplify_geometries_keeps_shared_borders():
    frame = _jagged_neighbours()
    simplified = nuts.simplify_geometries(frame, tolerance=0.01)
    before = shapely.get_num_coordinates(frame.geometry.to_numpy()).sum()
    after = shapely.get_num_coordinates(simplified.geometry.to_numpy()).sum()
    assert after < before
    assert shapely.coverage_is_valid(simplified.geometry.to_numpy())
    assert simplified.geometry.union_all().area == pytest.approx(2.0, abs=1e-3)
    assert simplified["region_code"].tolist() == ["AA11", "AA12"]
    # the input is untouched
    assert shapely.get_num_coordinates(frame.geometry.to_numpy()).sum() == before


def test_simplify_geometries_precision_and_bad_tolerance():
    frame = _jagged_neighbours()
    rounded = nuts.simplify_geometries(frame, tolerance=0, precision=0.1)
    coordinates = shapely.get_coordinates(rounded.geometry.to_numpy())
    assert ((coordinates * 10).round(9) % 1 == 0).all()
    with pytest.raises(ConfigError, match="tolerance"):
        nuts.simplify_geometries(frame, tolerance=-1)

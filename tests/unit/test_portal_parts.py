"""The portal's parts: data dictionary, file facts and sizes, country names and order,
category names, SVG paths and insets, and the legend of a map of counts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from observatory_lib.indicators import recipes
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.downloads import write_table
from observatory_lib.products.portal import catalogue, content, countries, svg_maps
from observatory_lib.products.portal.dictionary import (
    NOT_DESCRIBED,
    describe_column,
    header_for,
    undescribed,
)


def test_the_dictionary_reads_the_label_table_then_its_own():
    lq = describe_column("lq")
    assert (lq.label, lq.values) == ("Location quotient", "decimal number")
    assert "European employment" in lq.description
    share = describe_column("size_share")  # a fraction of 1 in the file, whatever reports print
    assert (share.unit, share.values) == ("", "fraction of 1 (0.234 is 23.4%)")
    assert describe_column("employment_persons").unit == "persons"
    assert describe_column("nuts_level").values.startswith("whole number")
    assert describe_column("dynamism_status").label == "Employment growth: availability"
    passed = describe_column("specialisation_pass")
    assert (passed.label, passed.values) == ("Specialisation criterion met", "true or false")
    assert describe_column("size_threshold").label == "Size criterion: threshold applied"
    assert describe_column("no_such_column").label == NOT_DESCRIBED
    assert undescribed(["lq", "no_such_column"]) == ["no_such_column"]


def test_every_column_of_the_portals_own_downloads_is_described(toy_store, tmp_path):
    from observatory_lib.products import portal

    for path in portal.write_portal_downloads(toy_store, tmp_path):
        _, columns, _ = catalogue.table_facts(path)
        assert columns and undescribed(columns) == [], path.name


def test_a_header_needs_a_label():
    assert header_for("employment_persons") == "Employment (persons)"
    assert header_for("online_data_code") == "Online data code"
    with pytest.raises(KeyError, match="add it"):
        header_for("no_such_column")


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0\u00a0bytes"),
        (999, "999\u00a0bytes"),
        (1_000, "1.0\u00a0kB"),
        (12_345, "12.3\u00a0kB"),
        (456_789, "457\u00a0kB"),
        (3_400_000, "3.4\u00a0MB"),
        (2_500_000_000, "2.5\u00a0GB"),
        (None, "not available"),
    ],
)
def test_sizes_read_in_human_units(size, text):
    assert catalogue.human_size(size) == text


def test_file_facts_are_read_without_loading_the_table(tmp_path):
    frame = pd.DataFrame({"region_code": ["AT11", "BE10"], "note": ["a, b", None]})
    csv, xlsx = write_table(frame, tmp_path / "toy", title="A toy, with a comma", sources=["s"])
    assert catalogue.table_facts(csv) == ("A toy, with a comma", ["region_code", "note"], 2)
    assert catalogue.table_facts(xlsx) == ("", ["region_code", "note"], 2)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\xef\xbb\xbf# title: Nothing\nregion_code\n")
    assert catalogue.table_facts(empty) == ("Nothing", ["region_code"], 0)


def test_scorecards_are_linked_only_when_finished_and_on_disk(tmp_path):
    (tmp_path / "scorecards" / "AT11").mkdir(parents=True)
    (tmp_path / "scorecards" / "AT11" / "AT11.html").write_text("x")
    jobs = {
        "AT11": {"status": "ok"},
        "AT12": {"status": "ok"},  # said ok, but its files are gone
        "BE10": {"status": "failed"},
    }
    (tmp_path / "scorecards" / "manifest.json").write_text(json.dumps({"jobs": jobs}))
    regions = pd.DataFrame(
        {"region_code": ["AT11", "AT12"], "region_name": ["Burgenland", "NÖ"], "country_code": "AT"}
    )
    table = catalogue.scorecards(tmp_path, regions).set_index("region_code")
    assert table.loc["AT11", "html"] == "scorecards/AT11/AT11.html"
    assert table["html"].drop("AT11").isna().all() and table["pdf"].isna().all()
    assert table.loc["BE10", "region_name"] == "BE10"  # unknown to the store: its code


def test_countries_have_english_names_in_protocol_order():
    local = pd.DataFrame(
        {
            "country_code": ["AT", "EL", "BE", "XX", "DE"],
            "country_name": ["Österreich", "Elláda", "Belgique", "Atlantis", "Deutschland"],
        }
    )
    table = countries.country_table(local)
    assert table["country_code"].tolist() == ["BE", "DE", "EL", "AT", "XX"]
    assert table["country_name"].tolist() == ["Belgium", "Germany", "Greece", "Austria", "Atlantis"]
    assert table["local_name"].tolist()[0] == "Belgique"


def test_categories_sharing_a_name_read_apart():
    store = SimpleNamespace(
        cluster_categories=pd.DataFrame(
            {
                "category_code": ["medical-devices", "emerging-medical-devices", "apparel"],
                "category_name": ["Medical Devices", "Medical Devices", "Apparel"],
                "category_type": ["traded", "emerging", "traded"],
                "n_nace_classes": [2, 23, 6],
                "n_nace_classes_in_sbs_scope": [2, 23, 0],
            }
        )
    )
    found = content.categories(store)
    assert [(c.code, c.link_text) for c in found] == [
        ("apparel", "Apparel"),
        ("medical-devices", "Medical Devices"),
        ("emerging-medical-devices", "Medical Devices (emerging industry)"),
    ]
    assert found[0].href == "categories/apparel.html"
    assert "not available" in content.category_definition(found[0])[1]


def test_search_text_drops_accents_and_case():
    assert content.search_text("Île-de-France", "FR10", None, float("nan")) == "ile-de-france fr10"
    assert content.search_text("Gießen") == "gießen giessen"


def test_svg_paths_are_whole_numbers_in_relative_steps():
    square = box(10.2, 20.4, 30.0, 40.0)
    data = svg_maps.path_data(square)
    assert data.startswith("M") and data.endswith("z") and "." not in data
    assert data.count("M") == 1 and "l" in data
    speck = box(0, 0, 0.2, 0.2)  # rounds to one point: left out, a dot stands in
    assert svg_maps.path_data(MultiPolygon([square, speck])) == data


def test_far_regions_are_drawn_in_insets_and_small_ones_get_a_dot(toy_store):
    geometries = toy_store._geometries.copy()
    far = geometries["region_code"] == "AT11"
    geometries.loc[far, "geometry"] = box(-61.8, 15.9, -61.0, 16.5)  # in the Caribbean
    tiny = geometries["region_code"] == "BE10"
    geometries.loc[tiny, "geometry"] = box(8.0, 47.0, 8.02, 47.02)  # about 2 km across
    toy_store._geometries = geometries
    recipes.clear_cache()

    shapes = svg_maps.region_shapes(toy_store, 2)
    table = shapes.table.set_index("region_code")
    assert table["is_inset"].tolist().count(True) == 1 and table.loc["AT11", "is_inset"]
    ((x, y, size, label),) = shapes.insets
    assert label == ("Burgenland",)
    coordinates = _absolute_points(table.loc["AT11", "path"])
    assert coordinates[:, 0].min() >= x and coordinates[:, 0].max() <= x + size
    assert coordinates[:, 1].min() >= y and coordinates[:, 1].max() <= y + size
    assert y + size <= shapes.height
    assert pd.notna(table.loc["BE10", "dot_x"]) and pd.isna(table.loc["DE11", "dot_x"])


def _absolute_points(path: str):
    import re

    import numpy as np

    start = re.match(r"M(-?\d+) (-?\d+)l", path)
    steps = [int(v) for v in re.findall(r"-?\d+", path[start.end() : path.index("z")])]
    points = np.cumsum(
        np.vstack([[int(start[1]), int(start[2])], np.reshape(steps, (-1, 2))]), axis=0
    )
    return points


def test_a_map_of_counts_has_whole_number_classes():
    values = pd.Series([0, 0, 1, 2, 3, 4, 5, 6, 9, 12, 20, 43, None], dtype="Float64")
    classes = map_styles.classify(values, "quantile", 5, whole_numbers=True)
    legend = map_styles.legend_entries(classes, has_missing=True)
    labels = [entry["label"] for entry in legend]
    assert labels[-1] == "no data" and len(labels) == classes.n_classes + 1
    for label in labels[:-1]:
        assert " " not in label  # "2–3", never the overlapping "2 – 4"
    lows = [int(label.split("–")[0]) for label in labels[:-1]]
    highs = [int(label.split("–")[-1]) for label in labels[:-1]]
    assert lows[0] == 0 and highs[-1] == 43
    assert all(low == high + 1 for low, high in zip(lows[1:], highs[:-1], strict=True))

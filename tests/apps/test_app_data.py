"""The apps' data on the real store: every theme mappable, light geometry (no browser)."""

from __future__ import annotations

import pytest

from observatory_lib.products.apps import app_data, map_view, panels, parameters, region_explorer

pytestmark = [pytest.mark.integration]

MAX_NUTS2_PAYLOAD = 500_000  # bytes; the brief asks for "well under 1 MB"


@pytest.fixture(scope="module")
def data(built_store):
    loaded = app_data.load_app_data(built_store, preload_levels=app_data.MAP_LEVELS)
    assert not isinstance(loaded, parameters.AppMessage), loaded
    return loaded


def test_every_theme_has_values_at_nuts2(data):
    themes = set(data.catalog.loc[data.catalog["nuts_level"] == 2, "theme"])
    assert themes == set(app_data.THEMES)


def test_nuts3_has_context_values_but_no_clusters(data):
    themes = set(data.catalog.loc[data.catalog["nuts_level"] == 3, "theme"])
    assert themes == {"context"}


def test_nuts2_geometry_is_light(data, built_store):
    collection = data.collections[2]
    size = app_data.payload_bytes(
        app_data.restyled(collection, ["#000000"] * len(collection["features"]))
    )
    assert size < MAX_NUTS2_PAYLOAD
    geometries = built_store.geometries
    expected = geometries[(geometries["nuts_edition"] == 2016) & (geometries["nuts_level"] == 2)]
    assert len(collection["features"]) == expected["region_code"].nunique()


def test_default_view_has_data_and_classes(data):
    codes = [feature["id"] for feature in data.collections[2]["features"]]
    view = map_view.compute_map_view(data, map_view.MapSelection(), codes)
    assert view.n_with_data > 150
    assert view.classification.n_classes == map_view.CLASS_COUNT


def test_region_panel_of_oberbayern(data):
    panel = panels.region_panel_html(data, "DE21")
    assert "Oberbayern (DE21)" in panel
    assert "★" in panel
    assert "EU = 100" in panel


def test_explorer_with_default_peers(data):
    peers, how = region_explorer.choose_peers(data, "DE21", [])
    assert len(peers) == 5 and "DE21" not in peers
    assert "default peers" in how
    assert "observatory-comparison" in region_explorer.explorer_html(data, "DE21", peers, how)

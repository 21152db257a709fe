"""The apps' logic without a browser: parameters, views, layer updates, panels, downloads."""

from __future__ import annotations

import base64
import html

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from observatory_lib.errors import ObservatoryError
from observatory_lib.products.apps import app_data, map_view, mapping_tool, panels, parameters
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.downloads import read_csv_table

DEFAULTS = {"level": 2, "ratio": 0.5, "strict": False, "peers": [], "region_code": "DE21"}


# --- parameters ----------------------------------------------------------------------------


def test_query_values_take_the_type_of_their_default():
    parsed = parameters.parse_query_string(
        "level=3&ratio=0.25&strict=yes&peers=AT13,%20FR10&region_code=%20FR10%20", DEFAULTS
    )
    assert parsed == {
        "level": 3,
        "ratio": 0.25,
        "strict": True,
        "peers": ["AT13", "FR10"],
        "region_code": "FR10",
    }


def test_last_value_wins_and_the_token_is_not_a_parameter():
    assert parameters.parse_query_string("?level=1&level=2&token=abc", DEFAULTS) == {"level": 2}


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("level=two", "'level' must be a whole number"),
        ("ratio=half", "'ratio' must be a number"),
        ("strict=maybe", "'strict' must be true or false"),
        ("colour=red", "Unknown parameter(s) in the link: colour"),
        ("region_code=" + "X" * 300, "too long"),
    ],
)
def test_bad_query_values_get_one_clear_message(query, words):
    with pytest.raises(parameters.ParameterError) as caught:
        parameters.parse_query_string(query, DEFAULTS)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_too_many_fields_are_refused():
    query = "&".join(f"level={i}" for i in range(100))
    with pytest.raises(parameters.ParameterError, match="too many"):
        parameters.parse_query_string(query, DEFAULTS)


def test_voilas_own_query_names_cannot_be_parameters():
    with pytest.raises(parameters.ParameterError, match="reserved by Voila"):
        parameters.parse_query_string("", {"theme": "x"})


def test_outside_voila_the_query_string_is_ignored(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "level=0")
    assert parameters.resolve_parameters(DEFAULTS) == DEFAULTS


def test_in_voila_the_query_string_overrides_the_defaults(monkeypatch):
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # a kernel Voila started for the request
    monkeypatch.setenv("QUERY_STRING", "level=0&region_code=AT")
    assert parameters.resolve_parameters(DEFAULTS) == {**DEFAULTS, "level": 0, "region_code": "AT"}


def test_a_bad_link_becomes_a_message(monkeypatch):
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", "level=x")
    result = parameters.resolve_parameters(DEFAULTS)
    assert isinstance(result, parameters.AppMessage)
    assert "level" in result.message


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("", True),
        ("https://tiles.example.org/{z}/{x}/{y}.png", True),
        ("/tiles/{z}/{x}/{y}.png", True),
        ("javascript:alert(1)//{z}{x}{y}", False),
        ("https://tiles.example.org/tile.png", False),
    ],
)
def test_tile_url_check(url, ok):
    if ok:
        assert map_view.check_tile_url(url) == url
    else:
        with pytest.raises(parameters.ParameterError):
            map_view.check_tile_url(url)


def test_portal_links_in_and_outside_voila(monkeypatch):
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    assert panels.scorecard_url("DE21") == "../../portal/scorecards/DE21/DE21.html"
    monkeypatch.delenv("VOILA_PREHEAT")
    assert panels.scorecard_url("DE21").endswith("/scorecards/DE21/DE21.html")


# --- a small store-like AppData ------------------------------------------------------------

CODES = ["XA11", "XA12", "XA13", "XA14", "XA15", "XA16"]


def small_data() -> app_data.AppData:
    """Six NUTS-2 squares and a country, one cluster category, one context indicator."""
    regions = pd.DataFrame(
        {
            "region_code": ["XA", *CODES],
            "region_name": ["Xland", "Alpha", "Beta", "Gamma <b>", "Delta", "Epsilon", "Zeta"],
            "nuts_level": [0, 2, 2, 2, 2, 2, 2],
            "country_code": "XA",
            "parent_code": [None, "XA1", "XA1", "XA1", "XA1", "XA1", "XA1"],
            "nuts_edition": 2016,
        }
    )
    geometries = gpd.GeoDataFrame(
        {
            "region_code": ["XA", *CODES],
            "nuts_level": [0, 2, 2, 2, 2, 2, 2],
            "nuts_edition": 2016,
        },
        geometry=[box(0, 40, 6, 41)] + [box(i, 40, i + 1, 41) for i in range(6)],
        crs="EPSG:4326",
    )
    lq = [0.5, 1.0, 1.5, np.nan, 2.5, np.nan]
    status = [None, None, None, "confidential", None, None]
    values = pd.concat(
        [
            pd.DataFrame(
                {
                    "theme": "clusters",
                    "indicator_code": measure,
                    "category_code": "automotive",
                    "nuts_level": 2,
                    "year": 2015,
                    "region_code": CODES,
                    "value": np.array(lq) * factor,
                    "unit": unit,
                    "flag": ["c" if s else None for s in status],
                    "status": status,
                }
            )
            for measure, unit, factor in [("lq", "", 1.0), ("employment_persons", "persons", 1e4)]
        ]
        + [
            pd.DataFrame(
                {
                    "theme": "context",
                    "indicator_code": "gdp",
                    "category_code": "",
                    "nuts_level": 2,
                    "year": year,
                    "region_code": CODES,
                    "value": np.arange(6.0) + year,
                    "unit": "eur_per_hab",
                    "flag": "e",
                    "status": None,
                }
            )
            for year in (2013, 2014)
        ],
        ignore_index=True,
    )
    indexed = app_data.index_values(values)
    labels = {
        ("clusters", code): (label, unit, ("sbs_r_nuts06_r2",))
        for code, (label, unit) in app_data.CLUSTER_MEASURES.items()
    }
    labels[("context", "gdp")] = ("GDP per inhabitant", "eur_per_hab", ("nama_10r_2gdp",))
    return app_data.AppData(
        regions=regions.drop_duplicates("region_code").set_index("region_code", drop=False),
        map_values=indexed,
        labels=labels,
        catalog=indexed.index.unique().to_frame(index=False),
        categories=pd.DataFrame(
            {
                "category_code": ["automotive"],
                "category_name": ["Automotive"],
                "category_type": ["traded"],
            }
        ),
        rated=pd.DataFrame({"region_code": pd.Series([], dtype="str")}),
        scoreboards={},
        context=pd.DataFrame(),
        geometries=geometries,
        provenance=pd.DataFrame(
            {"dataset_code": ["sbs_r_nuts06_r2"], "title": ["SBS"], "vintage": ["2015"]}
        ),
    )


@pytest.fixture
def data() -> app_data.AppData:
    return small_data()


def test_feature_collection_has_one_feature_per_region_with_ids(data):
    collection = app_data.feature_collection(data, 2)
    assert [f["id"] for f in collection["features"]] == CODES
    assert collection["features"][2]["properties"] == {
        "region_code": "XA13",
        "region_name": "Gamma <b>",
    }
    assert app_data.feature_collection(data, 2) is collection  # cached per kernel
    assert app_data.payload_bytes(collection) < 10_000


def test_restyled_shares_geometry_and_leaves_the_original_alone(data):
    collection = app_data.feature_collection(data, 2)
    fills = [f"#00000{i}" for i in range(6)]
    styled = app_data.restyled(collection, fills)
    assert [f["properties"]["style"]["fillColor"] for f in styled["features"]] == fills
    assert styled["features"][0]["geometry"] is collection["features"][0]["geometry"]
    assert "style" not in collection["features"][0]["properties"]


def test_map_view_colours_missing_and_confidential_apart(data):
    view = map_view.compute_map_view(data, map_view.MapSelection(), CODES)
    assert view.year == 2015
    assert view.n_with_data == 4
    assert view.fills[3] == map_styles.CONFIDENTIAL_COLOUR
    assert view.fills[5] == map_styles.NO_DATA_COLOUR
    assert len(set(view.fills[:3] + view.fills[4:5])) == 4
    kinds = [entry["kind"] for entry in view.legend]
    assert kinds[-2:] == ["confidential", "no_data"]
    assert view.title == "Location quotient (LQ) · Automotive · NUTS 2 · 2015"


def test_map_view_takes_the_latest_year_unless_asked(data):
    latest = map_view.MapSelection(theme="context", indicator_code="gdp", category_code="")
    assert map_view.compute_map_view(data, latest, CODES).year == 2014
    older = map_view.MapSelection(
        theme="context", indicator_code="gdp", category_code="", year=2013
    )
    assert map_view.compute_map_view(data, older, CODES).table["value"].iloc[0] == 2013.0


def test_a_level_without_values_is_all_no_data(data):
    view = map_view.compute_map_view(data, map_view.MapSelection(level=0), ["XA"])
    assert view.fills == [map_styles.NO_DATA_COLOUR]
    assert [entry["kind"] for entry in view.legend] == ["no_data"]


def test_tooltip_escapes_names_and_explains_flags(data):
    view = map_view.compute_map_view(data, map_view.MapSelection(), CODES)
    assert "Gamma &lt;b&gt;" in panels.tooltip_html(view, "XA13", "Gamma <b>")
    tooltip = panels.tooltip_html(view, "XA14", "Delta")
    assert "<b>confidential</b>" in tooltip
    assert "c (confidential cells involved)" in tooltip
    assert "<b>no data</b>" in panels.tooltip_html(view, "XA16", "Zeta")
    assert "<b>1</b>" in panels.tooltip_html(view, "XA12", "Beta")


def test_legend_names_the_unit(data):
    selection = map_view.MapSelection(theme="context", indicator_code="gdp", category_code="")
    legend = panels.legend_html(map_view.compute_map_view(data, selection, CODES))
    assert "GDP per inhabitant (EUR per inhabitant)" in legend
    assert 'data-kind="class"' in legend


def test_view_download_round_trips_through_the_downloads_reader(data, tmp_path):
    view = map_view.compute_map_view(data, map_view.MapSelection(), CODES)
    link = panels.download_link_html(
        map_view.view_table(view),
        "view.csv",
        view.title,
        panels.sources_for(data, ["sbs_r_nuts06_r2"]),
        "x",
    )
    payload = html.unescape(link.split("base64,", 1)[1].split('"', 1)[0])
    raw = base64.b64decode(payload)
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    (tmp_path / "view.csv").write_bytes(raw)
    table, metadata = read_csv_table(tmp_path / "view.csv")
    assert table["region_code"].tolist() == CODES
    assert table["value"].isna().tolist() == [False, False, False, True, False, True]
    assert metadata["title"] == [view.title]
    assert metadata["source"][0].startswith("sbs_r_nuts06_r2 (SBS)")
    assert "Source: Eurostat" in metadata["attribution"]


def test_parameters_validate_with_one_message(data):
    params = {**mapping_tool.MAPPING_DEFAULTS, "region_code": "xa12"}
    selection, region = mapping_tool.selection_from_parameters(data, params)
    assert (selection.level, region) == (2, "XA12")
    country, _ = mapping_tool.selection_from_parameters(data, {**params, "region_code": "XA"})
    assert country.level == 0
    # The default indicator belongs to the cluster topics; another topic takes its first one.
    context, _ = mapping_tool.selection_from_parameters(
        data, {**mapping_tool.MAPPING_DEFAULTS, "topic": "context"}
    )
    assert (context.theme, context.indicator_code) == ("context", "gdp")
    cases = [
        ({"topic": "weather"}, "Unknown topic 'weather'"),
        ({"indicator": "size"}, "Unknown clusters indicator 'size'"),
        ({"category_code": "autos"}, "Unknown clusters category 'autos'"),
        ({"year": 1999}, "years with data: 2015"),
        ({"region_code": "XA99"}, "XA99"),
        ({"level": 7}, "level must be 0, 1, 2 or 3"),
    ]
    for change, words in cases:
        with pytest.raises(ObservatoryError) as caught:
            mapping_tool.selection_from_parameters(
                data, {**mapping_tool.MAPPING_DEFAULTS, **change}
            )
        assert words in str(caught.value)


def test_mapping_tool_shows_a_message_for_a_bad_link(data):
    widget = mapping_tool.show_mapping_tool(
        data, {**mapping_tool.MAPPING_DEFAULTS, "topic": "weather"}
    )
    assert "observatory-message" in widget.value
    message = mapping_tool.show_mapping_tool(
        data, parameters.AppMessage("No store: run observatory build.")
    )
    assert "observatory build" in message.value


# --- the widgets, driven from Python (no kernel, no browser) ------------------------------


def layer_fills(tool) -> list[str]:
    return [f["properties"]["style"]["fillColor"] for f in tool.choropleth.layer.data["features"]]


def test_changing_the_indicator_recolours_the_same_layer(data):
    tool = mapping_tool.MappingTool(data, map_view.MapSelection())
    layer = tool.choropleth.layer
    sent_before = layer.data
    tool.controls["indicator_code"].value = "employment_persons"
    assert tool.choropleth.layer is layer
    assert tool.map.layers.count(layer) == 1
    assert layer.data is not sent_before  # new styles were sent
    assert "persons" in tool.legend.value
    assert 'download="clusters_employment_persons_automotive_nuts2_2015.csv"' in (
        tool.download.value
    )


def test_changing_the_theme_updates_the_pickers(data):
    tool = mapping_tool.MappingTool(data, map_view.MapSelection())
    before = layer_fills(tool)
    tool.controls["theme"].value = "context"
    assert layer_fills(tool) != before
    assert tool.selection.indicator_code == "gdp"
    assert tool.controls["category_code"].layout.display == "none"
    shown = [name for name, control in tool.controls.items() if control.layout.display != "none"]
    assert shown == ["level", "theme", "indicator_code", "year", "classification"]
    assert [value for _, value in tool.controls["year"].options] == [2014, 2013]
    assert "GDP per inhabitant" in tool.status.value
    tool.controls["year"].value = 2013
    assert tool.view.year == 2013


def test_hover_and_click_fill_the_tooltip_and_the_panel(data):
    tool = mapping_tool.MappingTool(data, map_view.MapSelection())
    tool._on_hover(feature={}, properties={"region_code": "XA12", "region_name": "Beta"})
    assert "Beta" in tool.tooltip.value and "1" in tool.tooltip.value
    tool._on_click(feature={}, properties={"region_code": "XA12", "region_name": "Beta"})
    assert 'data-region-code="XA12"' in tool.panel.value
    assert "scorecards/XA12/XA12.html" in tool.panel.value
    assert "No cluster data" in tool.panel.value


def test_a_failing_callback_shows_a_line_not_a_traceback(data, monkeypatch):
    tool = mapping_tool.MappingTool(data, map_view.MapSelection())

    def explode(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(mapping_tool, "compute_map_view", explode)
    tool.controls["indicator_code"].value = "employment_persons"
    assert "server log" in tool.status.value
    assert "boom" not in tool.status.value


def test_prepared_tool_takes_the_visitors_selection(data):
    tool = mapping_tool.prepare_mapping_tool(data)
    layer = tool.choropleth.layer
    params = {
        **mapping_tool.MAPPING_DEFAULTS,
        "topic": "context",
        "indicator": "gdp",
        "region_code": "XA14",
    }
    widget = mapping_tool.show_mapping_tool(data, params, tool)
    assert widget is tool.widget
    assert tool.choropleth.layer is layer
    assert tool.controls["theme"].value == "context"
    assert 'data-region-code="XA14"' in tool.panel.value


def test_the_layer_sends_its_data_without_the_buffer_walk(data, monkeypatch):
    tool = mapping_tool.MappingTool(data, map_view.MapSelection())
    sent = []
    monkeypatch.setattr(
        tool.choropleth.layer, "_send", lambda msg, buffers=None: sent.append((msg, buffers))
    )
    tool.choropleth.recolour(["#123456"] * len(CODES))
    message, buffers = sent[-1]
    assert message["method"] == "update"
    assert message["buffer_paths"] == [] and buffers == []
    features = message["state"]["data"]["features"]
    assert {f["properties"]["style"]["fillColor"] for f in features} == {"#123456"}


def test_cluster_values_map_the_change_indicators_with_their_break_flags():
    rated = pd.DataFrame(
        {
            "region_code": ["DE11", "FR10", "FR10"],
            "category_code": ["automotive"] * 3,
            "category_type": ["traded"] * 3,
            "nuts_level": [2, 2, 2],
            "year": [2015, 2014, 2015],
            "employment_persons": [1000.0, 500.0, np.nan],
            "lq": [1.2, 0.8, np.nan],
            "size_share": [0.01, 0.02, np.nan],
            "stars": [1, 0, pd.NA],
            "employment_growth_pct": [2.5, np.nan, np.nan],
            "wage_per_employee_eur": [50_000.0, 40_000.0, np.nan],
            "relative_wage_index": [120.0, 95.0, np.nan],
            "persons_per_local_unit": [12.5, 8.0, np.nan],
            "has_confidential_cells": [False, False, True],
            "flag": [None, "b", "c"],
        }
    )
    values = app_data.cluster_values(rated)
    growth = values[values["indicator_code"] == "employment_growth_pct"].set_index(
        ["region_code", "year"]
    )
    assert growth.loc[("DE11", 2015), "value"] == 2.5
    # a break year keeps its flag; the growth across it is missing, never 0
    assert growth.loc[("FR10", 2014), "flag"] == "b" and np.isnan(
        growth.loc[("FR10", 2014), "value"]
    )
    # a confidential cell stays confidential
    assert growth.loc[("FR10", 2015), "status"] == "confidential"
    assert set(app_data.CLUSTER_MEASURES) >= {"relative_wage_index", "persons_per_local_unit"}

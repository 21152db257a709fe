"""The apps' logic without a browser, on the toy store's prepared data: parameters, views,
recolouring, panels, downloads."""

from __future__ import annotations

import base64
import html
import math

import pandas as pd
import pytest

from observatory_lib.errors import ObservatoryError
from observatory_lib.products.apps import map_view, mapping_tool, panels, parameters
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


# --- views on the toy store's prepared data (tests/unit/conftest.py: toy_bundle) -------------

CODES = ["AT11", "AT12", "BE10", "BE21", "DE11", "DE12"]
BIOPHARMA = map_view.MapSelection(category_code="biopharmaceuticals")


def test_the_map_layer_sends_prepared_geometry_with_a_css_class_per_region(toy_bundle):
    collection = toy_bundle.geometry(2)
    assert [f["id"] for f in collection["features"]] == CODES
    feature = collection["features"][0]
    assert feature["properties"]["region_code"] == "AT11"
    assert feature["properties"]["style"] == {"className": "r-AT11"}
    assert toy_bundle.geometry(2) is collection  # read once per kernel


def test_classes_are_the_kits_on_the_regions_drawn(toy_bundle):
    view = map_view.compute_map_view(toy_bundle, BIOPHARMA, CODES)
    values = pd.Series(view.values)
    classification = map_styles.classify(values, "quantile", 5)
    status = pd.Series(["confidential" if c else None for c in view.confidential])
    expected = map_styles.fill_colours(values, classification, "viridis", status=status)
    assert view.fills == expected.tolist()


def test_map_view_colours_missing_and_confidential_apart(toy_bundle):
    view = map_view.compute_map_view(toy_bundle, BIOPHARMA, CODES)
    assert view.year == 2015
    confidential = CODES.index("BE10")
    assert view.confidential[confidential]
    assert math.isnan(view.values[confidential])
    assert view.fills[confidential] == map_styles.CONFIDENTIAL_COLOUR
    assert "confidential" in [entry["kind"] for entry in view.legend]
    assert view.title == "Location quotient (LQ) · Biopharmaceuticals · NUTS 2 · 2015"


def test_a_level_without_values_is_all_no_data(toy_bundle):
    view = map_view.compute_map_view(toy_bundle, map_view.MapSelection(level=3), ["DE111"])
    assert view.fills == [map_styles.NO_DATA_COLOUR]
    assert [entry["kind"] for entry in view.legend] == ["no_data"]


def test_the_latest_year_unless_asked(toy_bundle):
    selection = map_view.MapSelection(theme="context", indicator_code="gdp_pps_per_hab")
    assert map_view.compute_map_view(toy_bundle, selection, CODES).year == 2014
    older = map_view.MapSelection(theme="context", indicator_code="gdp_pps_per_hab", year=2012)
    assert map_view.compute_map_view(toy_bundle, older, CODES).year == 2012


def test_recolouring_is_one_small_style_sheet(toy_bundle):
    view = map_view.compute_map_view(toy_bundle, map_view.MapSelection(), CODES)
    css = map_view.fill_css(view.codes, view.fills)
    assert css.startswith("<style>") and css.endswith("</style>")
    for code, fill in zip(view.codes, view.fills, strict=True):
        rule = next(rule for rule in css[7:-8].split("}") if f".r-{code}" in rule)
        assert rule.endswith(f"{{fill:{fill}")
    assert css.count("{fill:") == len(set(view.fills))


def test_tooltip_escapes_and_explains_flags(toy_bundle):
    view = map_view.compute_map_view(toy_bundle, BIOPHARMA, CODES)
    assert "A &lt;b&gt;" in panels.tooltip_html(view, "AT11", "A <b>")
    tooltip = panels.tooltip_html(view, "BE10", "Bruxelles")
    assert "<b>confidential</b>" in tooltip
    assert "c (confidential cells involved)" in tooltip


def test_legend_names_the_unit(toy_bundle):
    selection = map_view.MapSelection(theme="context", indicator_code="gdp_pps_per_hab")
    legend = panels.legend_html(map_view.compute_map_view(toy_bundle, selection, CODES))
    assert "(PPS per inhabitant)" in legend
    assert 'data-kind="class"' in legend


def test_view_download_round_trips_through_the_downloads_reader(toy_bundle, tmp_path):
    view = map_view.compute_map_view(toy_bundle, BIOPHARMA, CODES)
    link = panels.download_link_html(
        map_view.view_rows(view),
        "view.csv",
        view.title,
        toy_bundle.sources(["sbs_r_nuts06_r2"]),
        "x",
    )
    raw = base64.b64decode(html.unescape(link.split("base64,", 1)[1].split('"', 1)[0]))
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    (tmp_path / "view.csv").write_bytes(raw)
    table, metadata = read_csv_table(tmp_path / "view.csv")
    assert table["region_code"].tolist() == CODES
    assert pd.isna(table.loc[table["region_code"] == "BE10", "value"]).all()  # missing, not 0
    assert table.loc[table["region_code"] == "BE10", "status"].iloc[0] == "confidential"
    assert metadata["title"] == [view.title]
    assert any("Eurostat" in line for line in metadata["attribution"])


def test_png_button_carries_title_source_and_attribution():
    button = panels.png_button_html("map", "m.png", "LQ <x>", ["sbs (SBS)"])
    assert 'data-title="LQ &lt;x&gt;"' in button
    assert 'data-source="Source: sbs (SBS)"' in button
    assert "EuroGeographics" in button


def test_parameters_validate_with_one_message(toy_bundle):
    params = dict(mapping_tool.MAPPING_DEFAULTS)
    selection, region = mapping_tool.selection_from_parameters(toy_bundle, params)
    assert selection == map_view.MapSelection(year=0)
    assert region == ""
    _, region = mapping_tool.selection_from_parameters(
        toy_bundle, {**params, "region_code": "de111"}
    )
    assert region == "DE111"
    with pytest.raises(ObservatoryError, match="Unknown topic 'weather'"):
        mapping_tool.selection_from_parameters(toy_bundle, {**params, "topic": "weather"})
    with pytest.raises(ObservatoryError, match="DE11"):
        mapping_tool.selection_from_parameters(toy_bundle, {**params, "region_code": "DE1X"})
    with pytest.raises(ObservatoryError, match="years with data: 2015"):
        mapping_tool.selection_from_parameters(toy_bundle, {**params, "year": 1999})


def test_a_defaulted_indicator_is_one_with_data_at_the_level(toy_bundle):
    # ?level=3&topic=context: the first context indicator (BERD) has no NUTS 3 data
    params = {**mapping_tool.MAPPING_DEFAULTS, "topic": "context", "level": 3}
    selection, _ = mapping_tool.selection_from_parameters(toy_bundle, params)
    assert toy_bundle.years("context", selection.indicator_code, "", 3)
    first = mapping_tool.theme_indicators(toy_bundle, "context")[0]
    assert not toy_bundle.years("context", first, "", 3)
    named = {**params, "indicator": first}  # named in the link: kept, even without data
    assert mapping_tool.selection_from_parameters(toy_bundle, named)[0].indicator_code == first


def layer_state(tool) -> tuple:
    return tool.choropleth.layer.data, tool.choropleth.colours.value


def test_changing_the_indicator_changes_only_the_style_sheet(toy_bundle):
    tool = mapping_tool.MappingTool(toy_bundle, map_view.MapSelection())
    data_before, css_before = layer_state(tool)
    tool.controls["indicator_code"].value = "employment_persons"
    data_after, css_after = layer_state(tool)
    assert data_after is data_before  # no geometry sent again
    assert css_after != css_before
    assert "persons" in tool.legend.value
    assert (
        'data-observatory-query="level=2&amp;topic=clusters&amp;indicator=employment_persons'
        in tool.status.value
    )


def test_changing_the_level_sends_that_levels_polygons(toy_bundle):
    tool = mapping_tool.MappingTool(toy_bundle, map_view.MapSelection())
    tool.controls["level"].value = 0
    assert [f["id"] for f in tool.choropleth.layer.data["features"]] == ["AT", "BE", "DE"]
    assert ".r-AT{" in tool.choropleth.colours.value or ".r-AT," in tool.choropleth.colours.value


def test_hover_and_click_fill_the_tooltip_and_the_panel(toy_bundle):
    tool = mapping_tool.MappingTool(toy_bundle, map_view.MapSelection())
    tool._on_hover(properties={"region_code": "DE11", "region_name": "Stuttgart"})
    assert "Stuttgart" in tool.tooltip.value
    tool._on_click(properties={"region_code": "DE11"})
    assert 'data-region-code="DE11"' in tool.panel.value
    assert "Top clusters" in tool.panel.value


def test_a_failing_callback_shows_a_line_not_a_traceback(toy_bundle, monkeypatch):
    tool = mapping_tool.MappingTool(toy_bundle, map_view.MapSelection())

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(mapping_tool, "compute_map_view", explode)
    tool.controls["indicator_code"].value = "stars"
    assert "server log" in tool.status.value
    assert "boom" not in tool.status.value


def test_a_bad_link_shows_a_message(toy_bundle):
    widget = mapping_tool.show_mapping_tool(
        toy_bundle, {**mapping_tool.MAPPING_DEFAULTS, "level": 7}
    )
    assert "level must be 0, 1, 2 or 3" in widget.value


def test_the_layer_sends_its_data_without_the_buffer_walk(toy_bundle, monkeypatch):
    tool = mapping_tool.MappingTool(toy_bundle, map_view.MapSelection())
    sent = []
    monkeypatch.setattr(tool.choropleth.layer, "_send", lambda msg, buffers=None: sent.append(msg))
    tool.controls["level"].value = 1
    assert sent and sent[-1]["buffer_paths"] == []

"""The mapping tool (``notebooks/apps/mapping_tool.ipynb``).

A map of the NUTS regions coloured by one indicator (cluster categories and emerging
industries, the scoreboard, the context indicators): pickers for theme, indicator, category,
level, year and classes; hover for a region's value and flag, click for its summary and a link
to its scorecard; a CSV of the current view.
"""

from __future__ import annotations

import dataclasses
import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any

from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.products.apps.bundle import CATEGORY_THEMES, AppBundle
from observatory_lib.products.apps.map_view import (
    CLASSIFICATIONS,
    MAP_ATTRIBUTION,
    ChoroplethLayer,
    MapSelection,
    MapView,
    build_map,
    check_tile_url,
    compute_map_view,
    view_rows,
)
from observatory_lib.products.apps.panels import (
    download_link_html,
    escape,
    first_problem,
    legend_html,
    message_html,
    message_widget,
    png_button_html,
    region_panel_html,
    tooltip_html,
)
from observatory_lib.products.apps.parameters import AppMessage, ParameterError

LOGGER = logging.getLogger(__name__)
# ``topic`` is the indicator's theme: Voila reserves ``?theme=`` (and ``?template=``) for its
# own use, and a request carrying them never gets a preheated kernel.
MAPPING_DEFAULTS = {
    "level": 2,
    "topic": "clusters",
    "indicator": "lq",
    "category_code": "automotive",
    "year": 0,
    "classification": "quantile",
    "region_code": "",
    "tile_url": "",
}

THEMES = {
    "clusters": "Cluster categories",
    "emerging": "Emerging industries",
    "scoreboard": "Regional Ecosystem Scoreboard",
    "context": "Context indicators",
}
MAP_LEVELS = (0, 1, 2, 3)
LEVEL_LABELS = {0: "NUTS 0: countries", 1: "NUTS 1", 2: "NUTS 2: regions", 3: "NUTS 3"}


def theme_indicators(bundle: AppBundle, theme: str) -> list[str]:
    """The mappable indicator codes of a theme, in picker order (overall index first)."""
    codes = bundle.theme_indicators(theme)
    if theme == "scoreboard":
        return sorted(codes, key=lambda code: (code != "overall", codes.index(code)))
    return codes


def theme_categories(bundle: AppBundle, theme: str) -> list[str]:
    """The category codes a cluster theme offers (traded or emerging), by name."""
    return bundle.theme_categories(theme) if theme in CATEGORY_THEMES else []


def _choose(kind: str, value: str, choices: list[str], default: str | None = None) -> str:
    """``value`` if valid; the first choice when ``value`` is a default that does not apply.

    A link such as ``?topic=context`` keeps the notebook's default indicator (``lq``), which
    only the cluster topics have: it then means "the topic's first indicator", not an error.
    """
    if value in choices:
        return value
    if default is not None and value == default and choices:
        return choices[0]
    raise unknown_code(kind, value, choices)


def selection_from_parameters(
    data: AppBundle, params: Mapping[str, Any]
) -> tuple[MapSelection, str]:
    """Validate the mapping tool's parameters; return the selection and the region to open.

    A ``region_code`` sets the map's level to the region's level.

    Raises:
        ObservatoryError: one clear message naming the bad parameter and the valid values.
    """
    region_code = str(params.get("region_code") or "").strip()
    level = int(params.get("level", 2))
    if region_code:
        region_code = data.check_region(region_code, levels=MAP_LEVELS)
        level = data.region_level(region_code)
    if level not in MAP_LEVELS:
        raise ParameterError(f"level must be 0, 1, 2 or 3 (NUTS level), not {level}.")
    theme = _choose("topic", str(params.get("topic", "clusters")), list(THEMES))
    indicators = theme_indicators(data, theme)
    if theme not in CATEGORY_THEMES:
        # a defaulted indicator means the topic's first one with data at this level (at
        # NUTS 3 most context indicators have none: an empty map is no default)
        indicators = sorted(indicators, key=lambda code: not data.years(theme, code, "", level))
    indicator = _choose(
        f"{theme} indicator",
        str(params.get("indicator", "")),
        indicators,
        MAPPING_DEFAULTS["indicator"],
    )
    category = str(params.get("category_code", "") or "")
    if theme in CATEGORY_THEMES:
        category = _choose(
            f"{theme} category",
            category,
            theme_categories(data, theme),
            MAPPING_DEFAULTS["category_code"],
        )
    classification = _choose(
        "classification", str(params.get("classification", "quantile")), list(CLASSIFICATIONS)
    )
    selection = MapSelection(
        level, theme, indicator, category, int(params.get("year", 0)), classification
    )
    years = data.years(theme, indicator, selection.category, level)
    if selection.year and selection.year not in years:
        listed = ", ".join(str(y) for y in years) or "none at this level"
        raise ParameterError(f"No data for year {selection.year}; years with data: {listed}.")
    return selection, region_code


def view_query(view: MapView) -> str:
    """The link parameters that reopen a view (the page's address follows them)."""
    selection = view.selection
    pairs = {
        "level": selection.level,
        "topic": selection.theme,
        "indicator": selection.indicator_code,
        "category_code": selection.category or None,
        "year": view.year or None,
        "classification": selection.classification,
    }
    return urllib.parse.urlencode({k: v for k, v in pairs.items() if v is not None})


class MappingTool:
    """The interactive map: picker, one recoloured layer, legend, tooltip, panel, download.

    Build it with ``prepare_mapping_tool`` or ``mapping_tool``; ``widget`` is what the notebook
    displays.
    """

    def __init__(self, data: AppBundle, selection: MapSelection):
        import ipyleaflet
        import ipywidgets as widgets

        self.data = data
        self.selection = selection
        self.view: MapView | None = None
        self._syncing = False
        self.controls = self._build_controls(widgets)
        self.tooltip = widgets.HTML(
            "Hover over a region", layout=widgets.Layout(min_width="14em")
        ).add_class("observatory-tooltip-box")
        self.legend = widgets.HTML().add_class("observatory-legend-box")
        self.panel = widgets.HTML(
            "<p>Click a region for its summary.</p>",
            layout=widgets.Layout(width="340px", padding="0 0 0 12px"),
        ).add_class("observatory-panel-box")
        self.status = widgets.HTML().add_class("observatory-status")
        self.download = widgets.HTML().add_class("observatory-download")
        self.map = build_map()
        self._sync_controls()
        # The first view is computed before the layer exists, so that the layer is created
        # with its colours: its geometry crosses to the browser once, not twice.
        collection = data.geometry(self.selection.level)
        first = compute_map_view(data, self.selection, [f["id"] for f in collection["features"]])
        self.choropleth = ChoroplethLayer(collection, first.fills)
        self.map.add(self.choropleth.layer)
        self.map.add(ipyleaflet.WidgetControl(widget=self.tooltip, position="topright"))
        self.map.add(ipyleaflet.WidgetControl(widget=self.legend, position="bottomright"))
        self.choropleth.layer.on_hover(self._on_hover)
        self.choropleth.layer.on_click(self._on_click)
        for control in self.controls.values():
            control.observe(self._on_control_change, names="value")
        self.refresh(first)
        self.widget = self._layout(widgets)

    # -- widgets

    def _build_controls(self, widgets) -> dict:
        selection = self.selection
        style = {"description_width": "80px"}

        def dropdown(name: str, description: str, options, value):
            # One Layout per control: the category picker hides its own, not everyone's.
            control = widgets.Dropdown(
                options=options,
                value=value,
                description=description,
                layout=widgets.Layout(width="260px"),
                style=style,
            )
            return control.add_class(f"observatory-{name}")

        return {
            "level": dropdown(
                "level", "Level", [(v, k) for k, v in LEVEL_LABELS.items()], selection.level
            ),
            "theme": dropdown(
                "theme", "Theme", [(v, k) for k, v in THEMES.items()], selection.theme
            ),
            "category_code": dropdown("category", "Category", [("", "")], ""),
            "indicator_code": dropdown("indicator", "Indicator", [("", "")], ""),
            "year": dropdown("year", "Year", [("latest", 0)], 0),
            "classification": dropdown(
                "classification",
                "Classes",
                [(v, k) for k, v in CLASSIFICATIONS.items()],
                selection.classification,
            ),
        }

    def _layout(self, widgets):
        intro = widgets.HTML(
            "<p>Pick a theme and an indicator; hover for values, click a region for its "
            "summary.</p>"
        )
        side = widgets.VBox(
            [intro, *self.controls.values(), self.status, self.download],
            layout=widgets.Layout(width="280px"),
        )
        credits = widgets.HTML(f'<p class="observatory-credits">{escape(MAP_ATTRIBUTION)}</p>')
        centre = widgets.VBox(
            [self.map, credits, self.choropleth.colours], layout=widgets.Layout(flex="1 1 auto")
        )
        return widgets.HBox(
            [side, centre, self.panel], layout=widgets.Layout(width="100%")
        ).add_class("observatory-mapping-tool")

    # -- controls: options follow the theme, indicator and level

    def _sync_controls(self) -> None:
        """Make every picker's options match the selection; adjust the selection to them."""
        self._syncing = True
        try:
            for name in ("level", "theme", "classification"):
                self.controls[name].value = getattr(self.selection, name)
            self._sync_categories()
            self._sync_indicators()
            self._sync_years()
        finally:
            self._syncing = False

    def _set_options(self, name: str, options: list, value) -> Any:
        control = self.controls[name]
        values = [option[1] for option in options]
        value = value if value in values else values[0]
        control.options = options
        control.value = value
        control.disabled = len(options) <= 1
        return value

    def _sync_categories(self) -> None:
        codes = theme_categories(self.data, self.selection.theme)
        control = self.controls["category_code"]
        control.layout.display = "" if codes else "none"
        options = [(self.data.category_name(code), code) for code in codes] or [("", "")]
        chosen = self._set_options("category_code", options, self.selection.category_code)
        self._update(category_code=chosen)

    def _sync_indicators(self) -> None:
        theme, level = self.selection.theme, self.selection.level
        options = []
        for code in theme_indicators(self.data, theme):
            label = self.data.label(theme, code).label
            if level not in self.data.levels_of(theme, code):
                label += f" (no data at NUTS {level})"
            options.append((label, code))
        chosen = self._set_options("indicator_code", options, self.selection.indicator_code)
        self._update(indicator_code=chosen)

    def _sync_years(self) -> None:
        selection = self.selection
        years = self.data.years(
            selection.theme, selection.indicator_code, selection.category, selection.level
        )
        options = [(str(year), year) for year in years] or [("no data", 0)]
        chosen = self._set_options("year", options, self.selection.year or (years or [0])[0])
        self._update(year=chosen)

    def _update(self, **changes) -> None:
        self.selection = dataclasses.replace(self.selection, **changes)

    def _on_control_change(self, change) -> None:
        if self._syncing:
            return
        name = next(key for key, control in self.controls.items() if control is change["owner"])
        self._guarded(self._apply_change, name, change["new"])

    def _apply_change(self, name: str, value) -> None:
        self._update(**{name: value})
        if name != "year":
            self._sync_controls()
        self.refresh()

    def _guarded(self, action, *args) -> None:
        """Run a callback; a problem becomes a message in the status line, never a traceback."""
        try:
            action(*args)
        except ObservatoryError as error:
            self.status.value = message_html(str(error))
        except Exception:  # the user sees one line, the log the traceback
            LOGGER.exception("mapping tool callback failed")
            self.status.value = message_html(
                "Something went wrong while updating the map; the details are in the server log."
            )

    # -- drawing

    def refresh(self, view: MapView | None = None) -> None:
        """Recompute the view and recolour the layer (switching level when it changed).

        The layer is updated first: the legend, status and download follow it.
        """
        collection = self.data.geometry(self.selection.level)
        if view is None:
            codes = [feature["id"] for feature in collection["features"]]
            view = compute_map_view(self.data, self.selection, codes)
            if collection is self.choropleth.collection:
                self.choropleth.recolour(view.fills)
            else:
                self.choropleth.show(collection, view.fills)
        self.view = view
        self.legend.value = legend_html(view)
        self.status.value = (
            f'<p data-observatory-query="{escape(view_query(view))}"><b>{escape(view.title)}</b>'
            f"<br>{view.n_with_data} of {len(view.codes)} regions with data</p>"
        )
        self.download.value = self._download_html(view)

    def _download_html(self, view: MapView) -> str:
        selection = view.selection
        parts = [selection.theme, selection.indicator_code, selection.category]
        parts += [f"nuts{selection.level}", str(view.year or "")]
        name = "_".join(part for part in parts if part)
        sources = self.data.sources(
            self.data.label(selection.theme, selection.indicator_code).datasets
        )
        csv_link = download_link_html(
            view_rows(view), f"{name}.csv", view.title, sources, "Download this view (CSV)"
        )
        png = png_button_html("map", f"{name}.png", view.title, sources, "Download the map (PNG)")
        return f'<p class="observatory-downloads">{csv_link}<br>{png}</p>'

    # -- interaction

    def _on_hover(self, feature=None, properties=None, **_kwargs) -> None:
        self._guarded(self._show_tooltip, properties or {})

    def _show_tooltip(self, properties: Mapping) -> None:
        code = str(properties.get("region_code", ""))
        if self.view is not None and code:
            self.tooltip.value = tooltip_html(
                self.view, code, str(properties.get("region_name", code))
            )

    def _on_click(self, feature=None, properties=None, **_kwargs) -> None:
        code = str((properties or {}).get("region_code", ""))
        if code:
            self._guarded(self.show_region, code)

    def show_region(self, region_code: str) -> None:
        """Fill the side panel with the region's summary."""
        self.panel.value = region_panel_html(self.data, region_code, self.view)

    def select(self, selection: MapSelection, region_code: str = "", tile_url: str = "") -> None:
        """Show another selection (a visitor's link parameters) on the existing widgets."""
        import ipyleaflet

        if selection != self.selection:
            self.selection = selection
            self._sync_controls()
            self.refresh()
        if tile_url:
            self.map.add(ipyleaflet.TileLayer(url=tile_url, base=True, name="basemap"))
        if region_code:
            self.show_region(region_code)


def prepare_mapping_tool(data: AppBundle | AppMessage) -> MappingTool | None:
    """Build the mapping tool's widgets on the default view, before any visitor arrives.

    In a preheated Voila kernel this runs ahead (about 0.2-0.3 s of widget creation), and the
    visitor's parameters are then applied with one recolour (``show_mapping_tool(..., tool)``).
    """
    if isinstance(data, AppMessage):
        return None
    return MappingTool(data, MapSelection())


def show_mapping_tool(
    data: AppBundle | AppMessage,
    params: Mapping[str, Any] | AppMessage,
    tool: MappingTool | None = None,
):
    """The mapping tool for the notebook to display, or a plain message when it cannot run.

    Args:
        data: from ``load_app_data`` (the prepared data).
        params: from ``resolve_parameters`` (keys of ``MAPPING_DEFAULTS``).
        tool: widgets built ahead by ``prepare_mapping_tool``; built here when None.

    Returns:
        An ipywidgets widget (the app or a message box).
    """
    problem = first_problem(data, params)
    if problem is not None:
        return message_widget(problem.message)
    try:
        selection, region_code = selection_from_parameters(data, params)
        tile_url = check_tile_url(str(params.get("tile_url", "")))
        tool = tool or MappingTool(data, selection)
        tool.select(selection, region_code, tile_url)
        return tool.widget
    except ObservatoryError as error:
        return message_widget(str(error))

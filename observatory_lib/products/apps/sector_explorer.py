"""The sector explorer (``notebooks/apps/sector_explorer.ipynb``): data by sector.

Pick a cluster category or an emerging industry: its map across the regions, the ranking
of the regions in the Panorama's order (stars, then LQ, then employment; the recipe layer's
``cluster_ranks``) with each region's share of the category's European employment, and the
concentration of that employment (top-10 share, Herfindahl index, Gini). Wages and
employment growth join the ranking as soon as the recipe layer has them; until then the
table says "not available". Downloads: the ranking (CSV) and the map (PNG).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import urllib.parse
from collections.abc import Mapping
from typing import Any

from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.products.apps.bundle import AppBundle
from observatory_lib.products.apps.map_view import (
    MAP_ATTRIBUTION,
    ChoroplethLayer,
    MapSelection,
    build_map,
    compute_map_view,
)
from observatory_lib.products.apps.panels import (
    download_link_html,
    escape,
    first_problem,
    legend_html,
    message_html,
    message_widget,
    png_button_html,
    tooltip_html,
)
from observatory_lib.products.apps.parameters import AppMessage, ParameterError
from observatory_lib.products.kit.formats import (
    NOT_AVAILABLE,
    format_cell,
    format_value,
    stars_text,
)
from observatory_lib.products.kit.labels import label_for

LOGGER = logging.getLogger(__name__)
SECTOR_DEFAULTS = {"category_code": "automotive", "level": 2, "year": 0, "indicator": "lq"}
SECTOR_LEVELS = (0, 1, 2)
RANKING_ROWS = 25
# The ranking's measures, in column order (present or not in the data).
RANKING_MEASURES = (
    "stars",
    "stars_out_of",
    "lq",
    "employment_persons",
    "size_share",
    "wage_per_employee_eur",
    "employment_growth_pct",
)
CONCENTRATION_LABELS = (
    ("employment_persons", "Employment in the regions with data", "persons"),
    ("n_regions_with_data", "Regions with known employment", ""),
    ("top_n_share", "Share of the 10 largest regions", "share"),
    ("herfindahl_index", "Herfindahl index of regional shares (0-1)", ""),
    ("equivalent_regions", "Equivalent number of equal regions", ""),
    ("gini", "Gini coefficient of regional employment (0-1)", ""),
)


def category_theme(bundle: AppBundle, category_code: str) -> str:
    """``clusters`` for a traded category, ``emerging`` for an emerging industry."""
    return (
        "emerging"
        if bundle.categories.get(category_code, ("", ""))[1] == "emerging"
        else "clusters"
    )


def category_options(bundle: AppBundle) -> list[tuple[str, str]]:
    """Picker entries: traded categories, then emerging industries, by name."""
    return [
        (f"{bundle.category_name(code)}", code) for code in bundle.theme_categories("clusters")
    ] + [
        (f"{bundle.category_name(code)} (emerging industry)", code)
        for code in bundle.theme_categories("emerging")
    ]


@dataclasses.dataclass(frozen=True)
class SectorSelection:
    """What the sector explorer shows: one category at one level and year, one map measure."""

    category_code: str = "automotive"
    level: int = 2
    year: int = 0
    indicator: str = "lq"


def selection_from_parameters(bundle: AppBundle, params: Mapping[str, Any]) -> SectorSelection:
    """Validate the parameters (Papermill or the URL).

    Raises:
        ObservatoryError: one message naming the bad parameter and the valid values.
    """
    category = str(params.get("category_code", "")).strip()
    if category not in bundle.categories:
        raise unknown_code("category", category, list(bundle.categories))
    level = int(params.get("level", 2))
    if level not in SECTOR_LEVELS:
        raise ParameterError(
            f"level must be 0, 1 or 2 (NUTS level with cluster data), not {level}."
        )
    theme = category_theme(bundle, category)
    indicator = str(params.get("indicator", "lq"))
    measures = map_measures(bundle, theme)
    if indicator not in measures:
        raise unknown_code("map measure", indicator, measures)
    year = int(params.get("year", 0))
    years = bundle.years(theme, "lq", category, level)
    if year and year not in years:
        raise ParameterError(
            f"No data for year {year}; years with data: {', '.join(map(str, years)) or 'none'}."
        )
    return SectorSelection(category, level, year or (years[0] if years else 0), indicator)


def map_measures(bundle: AppBundle, theme: str) -> list[str]:
    """The measures the map can show (those the data have)."""
    return bundle.theme_indicators(theme)


def ranking_rows(bundle: AppBundle, selection: SectorSelection) -> list[dict]:
    """Every region of the level in the Panorama's order, with the ranking's measures."""
    theme = category_theme(bundle, selection.category_code)
    measures = {}
    for indicator in ("rank_in_category", *RANKING_MEASURES):
        view = bundle.view(
            theme, indicator, selection.category_code, selection.level, selection.year
        )
        if view is not None:
            measures[indicator] = dict(
                zip(view.region_ids.tolist(), view.values.tolist(), strict=True)
            )
    ranks = measures.get("rank_in_category", {})
    rows = []
    for region_id, rank in sorted(ranks.items(), key=lambda item: item[1]):
        code = bundle.codes[region_id]
        row = {
            "rank_in_category": int(rank),
            "region_code": code,
            "region_name": bundle.names[region_id],
            "country_code": bundle.countries[region_id],
            "category_code": selection.category_code,
            "nuts_level": selection.level,
            "year": selection.year,
        }
        for measure in RANKING_MEASURES:
            value = measures.get(measure, {}).get(region_id)
            row[measure] = None if value is None or math.isnan(value) else value
        rows.append(row)
    return rows


def available_measures(bundle: AppBundle, selection: SectorSelection) -> set[str]:
    """The ranking's measures that have values for this category, level and year."""
    theme = category_theme(bundle, selection.category_code)
    found = set()
    for measure in RANKING_MEASURES:
        view = bundle.view(theme, measure, selection.category_code, selection.level, selection.year)
        if view is not None and view.n_with_data:
            found.add(measure)
    return found


def ranking_html(rows: list[dict], present: set[str]) -> str:
    """The leading regions as a table, headed and written as the publications are
    (``kit.labels.COLUMN_LABELS``, ``kit.formats.format_cell``). A measure the data do not
    have yet (wages, growth) gets no column but a note saying it is not available, so that
    the table fits beside the map."""
    if not rows:
        return "<p>No rated clusters for this category, level and year.</p>"
    shown = [m for m in RANKING_MEASURES if m != "stars_out_of" and m in present]
    head = "".join(
        f'<th scope="col">{escape(label_for(c).header)}</th>'
        for c in ("rank_in_category", "region", *shown)
    )
    body = "".join(
        f'<tr data-region-code="{escape(row["region_code"])}">'
        f'<td class="num">{row["rank_in_category"]}</td>'
        f"<td>{escape(row['region_name'])} ({escape(row['region_code'])})</td>"
        + "".join(f'<td class="num">{escape(_cell(row, m))}</td>' for m in shown)
        + "</tr>"
        for row in rows[:RANKING_ROWS]
    )
    absent = [
        label_for(m).label for m in RANKING_MEASURES if m != "stars_out_of" and m not in present
    ]
    note = (
        f'<p class="observatory-note">{escape(", ".join(absent))}: {NOT_AVAILABLE} in the '
        "data yet (they come with the change-over-time data).</p>"
        if absent
        else ""
    )
    return f'<table class="observatory-ranking"><tr>{head}</tr>{body}</table>{note}'


def _cell(row: dict, measure: str) -> str:
    if measure == "stars":
        return stars_text(row["stars"], row["stars_out_of"], unrated="–")
    return format_cell(row[measure], label_for(measure), missing=NOT_AVAILABLE)


def concentration_html(bundle: AppBundle, selection: SectorSelection) -> str:
    """How concentrated the category's employment is across the reference regions."""
    key = f"{selection.category_code}|{selection.level}|{selection.year}"
    found = bundle.sector_facts["concentration"].get(key)
    if not found:
        return "<p>Concentration: not available for this level and year.</p>"
    rows = []
    for code, label, unit in CONCENTRATION_LABELS:
        value = found.get(code)
        text = (
            format_value(100 * value, "pct")
            if unit == "share" and value is not None
            else format_value(value, unit or None)
        )
        rows.append(f'<tr><td>{escape(label)}</td><td class="num">{escape(text)}</td></tr>')
    return f'<table class="observatory-concentration">{"".join(rows)}</table>'


def sector_query(selection: SectorSelection) -> str:
    """The link parameters that reopen this view (the page's address follows them)."""
    return urllib.parse.urlencode(dataclasses.asdict(selection))


class SectorExplorer:
    """The category picker, the map, the ranking and the concentration of one sector."""

    def __init__(self, bundle: AppBundle, selection: SectorSelection):
        import ipyleaflet
        import ipywidgets as widgets

        self.bundle = bundle
        self.selection = selection
        self.controls = {
            "category_code": widgets.Dropdown(
                options=category_options(bundle),
                value=selection.category_code,
                description="Sector",
            ).add_class("observatory-category"),
            "level": widgets.Dropdown(
                options=[(f"NUTS {v}", v) for v in SECTOR_LEVELS],
                value=selection.level,
                description="Level",
            ).add_class("observatory-level"),
            "indicator": widgets.Dropdown(description="Map").add_class("observatory-indicator"),
        }
        self.tooltip = widgets.HTML("Hover over a region").add_class("observatory-tooltip-box")
        self.legend = widgets.HTML().add_class("observatory-legend-box")
        self.summary = widgets.HTML().add_class("observatory-sector-box")
        self.status = widgets.HTML().add_class("observatory-status")
        self.map = build_map("480px")
        self._sync_indicator()
        view = self._map_view()
        self.choropleth = ChoroplethLayer(bundle.geometry(selection.level), view.fills)
        self.map.add(self.choropleth.layer)
        self.map.add(ipyleaflet.WidgetControl(widget=self.tooltip, position="topright"))
        self.map.add(ipyleaflet.WidgetControl(widget=self.legend, position="bottomright"))
        self.choropleth.layer.on_hover(self._on_hover)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.view = view
        self._show(view)
        credits = widgets.HTML(f'<p class="observatory-credits">{escape(MAP_ATTRIBUTION)}</p>')
        controls = widgets.HBox(list(self.controls.values()))
        left = widgets.VBox(
            [self.map, credits, self.choropleth.colours], layout=widgets.Layout(width="52%")
        )
        right = widgets.VBox(
            [self.summary], layout=widgets.Layout(width="48%", padding="0 0 0 12px")
        )
        body = widgets.HBox([left, right], layout=widgets.Layout(align_items="flex-start"))
        self.widget = widgets.VBox([controls, self.status, body]).add_class(
            "observatory-sector-explorer"
        )

    def _theme(self) -> str:
        return category_theme(self.bundle, self.selection.category_code)

    def _sync_indicator(self) -> None:
        control = self.controls["indicator"]
        measures = map_measures(self.bundle, self._theme())
        options = [(self.bundle.label(self._theme(), m).label, m) for m in measures]
        value = self.selection.indicator if self.selection.indicator in measures else measures[0]
        control.options = options
        control.value = value
        self.selection = dataclasses.replace(self.selection, indicator=value)

    def _map_view(self):
        s = self.selection
        selection = MapSelection(s.level, self._theme(), s.indicator, s.category_code, s.year)
        codes = self.bundle.geometry_codes(s.level)
        return compute_map_view(self.bundle, selection, codes)

    def _show(self, view) -> None:
        bundle, selection = self.bundle, self.selection
        rows = ranking_rows(bundle, selection)
        present = available_measures(bundle, selection)
        name = bundle.category_name(selection.category_code)
        title = (
            f"{name}: regions ranked by stars, LQ and employment · NUTS {selection.level} · "
            f"{selection.year}"
        )
        sources = bundle.sources(bundle.label(self._theme(), "lq").datasets)
        stem = f"{selection.category_code}_nuts{selection.level}_{selection.year}"
        csv_link = download_link_html(
            rows, f"{stem}_ranking.csv", title, sources, "Ranking of all regions (CSV)"
        )
        png = png_button_html(
            "map", f"{stem}_{selection.indicator}.png", view.title, sources, "Map (PNG)"
        )
        self.legend.value = legend_html(view)
        self.summary.value = (
            '<div class="observatory-sector" '
            f'data-category-code="{escape(selection.category_code)}" '
            f'data-observatory-query="{escape(sector_query(selection))}">'
            f"<h3>{escape(name)}</h3><p>{escape(view.title)}; {view.n_with_data} of "
            f"{len(view.codes)} regions with data.</p>"
            "<h4>Concentration of the category's employment</h4>"
            f"{concentration_html(bundle, selection)}"
            f"<h4>Ranking of the regions</h4>{ranking_html(rows, present)}"
            f'<p class="observatory-downloads">{csv_link}<br>{png}</p></div>'
        )

    def _on_change(self, change) -> None:
        name = next(key for key, control in self.controls.items() if control is change["owner"])
        self._guarded(self.select, dataclasses.replace(self.selection, **{name: change["new"]}))

    def select(self, selection: SectorSelection) -> None:
        """Show another selection (the visitor's link parameters or a picker change)."""
        level_before = self.selection.level
        years = self.bundle.years(
            category_theme(self.bundle, selection.category_code),
            "lq",
            selection.category_code,
            selection.level,
        )
        year = selection.year if selection.year in years else (years[0] if years else 0)
        self.selection = dataclasses.replace(selection, year=year)
        for name in ("category_code", "level"):
            control = self.controls[name]
            control.unobserve(self._on_change, names="value")
            control.value = getattr(self.selection, name)
            control.observe(self._on_change, names="value")
        indicator = self.controls["indicator"]
        indicator.unobserve(self._on_change, names="value")
        self._sync_indicator()
        indicator.observe(self._on_change, names="value")
        view = self._map_view()
        if self.selection.level != level_before:
            self.choropleth.show(self.bundle.geometry(self.selection.level), view.fills)
        else:
            self.choropleth.recolour(view.fills)
        self.view = view
        self._show(view)
        self.status.value = ""

    def _on_hover(self, feature=None, properties=None, **_kwargs) -> None:
        code = str((properties or {}).get("region_code", ""))
        if code:
            self.tooltip.value = tooltip_html(self.view, code, self.bundle.region_name(code))

    def _guarded(self, action, *args) -> None:
        try:
            action(*args)
        except ObservatoryError as error:
            self.status.value = message_html(str(error))
        except Exception:  # the user sees one line, the log the traceback
            LOGGER.exception("sector explorer callback failed")
            self.status.value = message_html(
                "Something went wrong; the details are in the server log."
            )


def prepare_sector_explorer(bundle: AppBundle | AppMessage) -> SectorExplorer | None:
    """Build the explorer on the default sector before any visitor arrives (preheated kernel)."""
    if isinstance(bundle, AppMessage):
        return None
    try:
        return SectorExplorer(bundle, selection_from_parameters(bundle, SECTOR_DEFAULTS))
    except ObservatoryError:
        return None


def show_sector_explorer(bundle, params, explorer: SectorExplorer | None = None):
    """The sector explorer for the notebook to display, or a plain message."""
    problem = first_problem(bundle, params)
    if problem is not None:
        return message_widget(problem.message)
    try:
        selection = selection_from_parameters(bundle, params)
        if explorer is None:
            return SectorExplorer(bundle, selection).widget
        if selection != explorer.selection:
            explorer.select(selection)
        return explorer.widget
    except ObservatoryError as error:
        return message_widget(str(error))

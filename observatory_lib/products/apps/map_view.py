"""What one choice of indicator, level and year shows on the map, and the map layer itself.

``compute_map_view`` turns a ``MapSelection`` into per-region values, classes, fill colours
and a legend (``kit.map_styles``: colour-blind-safe palettes, no-data and confidential
colours). The map is one pre-styled GeoJSON layer (``ChoroplethLayer``) whose fill colours
are updated in place.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pandas as pd

from observatory_lib.constants import MAP_CREDIT
from observatory_lib.products.apps.app_data import CATEGORY_THEMES, AppData, restyled
from observatory_lib.products.apps.parameters import ParameterError
from observatory_lib.products.kit import map_styles

CLASS_COUNT = 5
PALETTE = "viridis"  # colour-blind safe (map_styles)
FLAG_WORDS = {
    "b": "break in series",
    "c": "confidential cells involved",
    "d": "definition differs",
    "e": "estimated",
    "p": "provisional",
    "u": "low reliability",
    "z": "not applicable",
}


@dataclass(frozen=True)
class MapSelection:
    """One view of the mapping tool: what is mapped, where and how it is classified.

    ``year`` 0 means the latest year with data; ``category_code`` is used by the cluster
    themes only.
    """

    level: int = 2
    theme: str = "clusters"
    indicator_code: str = "lq"
    category_code: str = "automotive"
    year: int = 0
    classification: str = "quantile"

    def key(self, year: int) -> tuple:
        """The ``VALUE_KEYS`` look-up key of this selection in ``year``."""
        category = self.category_code if self.theme in CATEGORY_THEMES else ""
        return (self.theme, self.indicator_code, category, self.level, year)


@dataclass
class MapView:
    """A computed view: per-region values and colours, classes and legend."""

    selection: MapSelection
    year: int
    title: str
    unit: str
    table: pd.DataFrame
    classification: Any
    legend: list

    @property
    def fills(self) -> list[str]:
        """One fill colour per feature, in feature order."""
        return self.table["fill"].tolist()

    @property
    def n_with_data(self) -> int:
        """Regions with a value."""
        return int(self.table["value"].notna().sum())


def available_years(data: AppData, selection: MapSelection) -> list[int]:
    """Years with values for the selection's indicator, category and level, latest first."""
    theme, indicator, category, level, _ = selection.key(0)
    catalog = data.catalog
    rows = catalog[
        (catalog["theme"] == theme)
        & (catalog["indicator_code"] == indicator)
        & (catalog["category_code"] == category)
        & (catalog["nuts_level"] == level)
    ]
    return sorted({int(y) for y in rows["year"]}, reverse=True)


def available_levels(data: AppData, theme: str, indicator_code: str) -> list[int]:
    """NUTS levels where an indicator has values (any category, any year)."""
    catalog = data.catalog
    rows = catalog[(catalog["theme"] == theme) & (catalog["indicator_code"] == indicator_code)]
    return sorted({int(level) for level in rows["nuts_level"]})


def resolve_year(data: AppData, selection: MapSelection) -> int:
    """The year to show: the selection's, else the latest with data (0 when there is none)."""
    years = available_years(data, selection)
    if selection.year in years:
        return selection.year
    return years[0] if years else 0


def selection_title(data: AppData, selection: MapSelection, year: int) -> str:
    """A one-line title: indicator, category, level and year."""
    label = data.labels.get((selection.theme, selection.indicator_code), ("?", "", ()))[0]
    parts = [label]
    if selection.theme in CATEGORY_THEMES:
        parts.append(category_name(data, selection.category_code))
    parts.append(f"NUTS {selection.level}")
    if year:
        parts.append(str(year))
    return " · ".join(parts)


def category_name(data: AppData, category_code: str) -> str:
    """The category's name (its code when unknown)."""
    names = data.categories.set_index("category_code")["category_name"]
    return str(names.get(category_code, category_code))


def lookup_values(data: AppData, selection: MapSelection, year: int) -> pd.DataFrame:
    """The selection's rows (``region_code, value, unit, flag, status``), possibly empty."""
    try:
        rows = data.map_values.loc[selection.key(year)]
    except KeyError:
        return pd.DataFrame(columns=["region_code", "value", "unit", "flag", "status"])
    return rows.reset_index(drop=True)


def compute_map_view(data: AppData, selection: MapSelection, codes: list[str]) -> MapView:
    """Values, classes, colours and legend of a selection for the map's regions ``codes``.

    Regions without a value stay missing ("no data"); confidential cells get their own
    colour. Classes come from ``map_styles.classify`` on the regions shown.
    """
    year = resolve_year(data, selection)
    rows = lookup_values(data, selection, year).set_index("region_code")
    unit = data.labels.get((selection.theme, selection.indicator_code), ("", "", ()))[1]
    table = rows.reindex(codes)
    values = table["value"].astype("float64")
    status = table["status"]
    classification = map_styles.classify(values, selection.classification, CLASS_COUNT)
    fills = map_styles.fill_colours(values, classification, PALETTE, status=status)
    classes = classification.class_of(values)
    class_labels = pd.Series([*classification.labels, None], dtype="object")
    table = pd.DataFrame(
        {
            "region_code": codes,
            "region_name": data.regions["region_name"].reindex(codes).fillna("").to_numpy(),
            "value": values.to_numpy(),
            "unit": unit,
            "flag": table["flag"].to_numpy(),
            "status": status.to_numpy(),
            "fill": fills.to_numpy(),
            "class_label": class_labels.reindex(classes.fillna(len(class_labels) - 1)).to_numpy(),
        }
    )
    confidential = map_styles.confidential_mask(table["status"], table.index)
    legend = map_styles.legend_entries(
        classification,
        PALETTE,
        unit=unit,
        has_missing=bool((table["value"].isna() & ~confidential).any()),
        has_confidential=bool(confidential.any()),
    )
    return MapView(
        selection=selection,
        year=year,
        title=selection_title(data, selection, year),
        unit=unit,
        table=table,
        classification=classification,
        legend=legend,
    )


def view_table(view: MapView) -> pd.DataFrame:
    """The view as a download: one row per region of the map, missing values left empty."""
    selection = view.selection
    return view.table.assign(
        nuts_level=selection.level,
        theme=selection.theme,
        indicator_code=selection.indicator_code,
        category_code=selection.category_code if selection.theme in CATEGORY_THEMES else "",
        year=view.year or None,
        map_class=view.table["class_label"],
    )[
        [
            "region_code",
            "region_name",
            "nuts_level",
            "theme",
            "indicator_code",
            "category_code",
            "year",
            "value",
            "unit",
            "flag",
            "status",
            "map_class",
        ]
    ]


EUROPE_CENTER = (53.0, 12.0)
EUROPE_ZOOM = 4
BASE_STYLE = {"color": "#ffffff", "weight": 0.6, "opacity": 1.0, "fillOpacity": 0.88}
HOVER_STYLE = {"color": "#1b1b1b", "weight": 2.0, "fillOpacity": 0.95}
MAP_ATTRIBUTION = MAP_CREDIT


@functools.cache
def styled_geojson_class():
    """The GeoJSON layer class whose features carry their own style (built on first use).

    Two costs of ipyleaflet's ``GeoJSON`` are skipped, both measured on the recolour path:

    - it deep-copies its whole ``data`` to merge a style into every feature whenever ``data``
      or ``style`` changes (stack notes 4.3). Here each feature already holds its fill colour
      and the uniform part of the style is applied by the browser (jupyter-leaflet merges the
      layer's ``style`` over each feature's), so ``_get_data`` returns the data as they are;
    - ipywidgets walks every value of a state update looking for binary buffers, i.e. every
      coordinate of the geometry (about 45 ms per NUTS-2 recolour, 90 ms at NUTS 3). The
      layer's data are plain JSON, so ``send_state`` sends them without that walk. It keeps
      ipywidgets 8's ``send_state`` otherwise (``_property_lock`` and ``_send``).
    """
    import ipyleaflet

    class StyledGeoJSON(ipyleaflet.GeoJSON):
        """A GeoJSON layer whose features carry their own ``style``."""

        def _get_data(self):
            return self.data

        def send_state(self, key=None):
            state = self.get_state(key=key)
            if not state:
                return
            for name, value in state.items():
                if name in self._property_lock:
                    self._property_lock[name] = value
            self._send({"method": "update", "state": state, "buffer_paths": []}, buffers=[])

    return StyledGeoJSON


class ChoroplethLayer:
    """A single pre-styled GeoJSON layer; recolour and level changes update its data in place.

    The layer object is created once: ``recolour`` and ``show`` assign a restyled copy of
    a cached FeatureCollection to ``layer.data`` (geometry shared, new fill colours), which
    jupyter-leaflet redraws without creating a new layer.
    """

    def __init__(self, collection: dict, fills: list[str] | None = None):
        self.collection = collection
        fills = fills or [map_styles.NO_DATA_COLOUR] * len(collection["features"])
        self.layer = styled_geojson_class()(
            data=restyled(collection, fills),
            style=BASE_STYLE,
            hover_style=HOVER_STYLE,
            name="NUTS regions",
        )

    @property
    def codes(self) -> list[str]:
        """Region codes in feature order."""
        return [feature["id"] for feature in self.collection["features"]]

    def recolour(self, fills: list[str]) -> None:
        """Give every feature its new fill colour (one per feature, in order)."""
        self.layer.data = restyled(self.collection, list(fills))

    def show(self, collection: dict, fills: list[str]) -> None:
        """Switch to another level's regions (same layer object) with their colours."""
        self.collection = collection
        self.recolour(fills)


def build_map():
    """The map: fitted to Europe, with no basemap (a plain background, nothing fetched)."""
    import ipyleaflet
    import ipywidgets as widgets

    return ipyleaflet.Map(
        center=EUROPE_CENTER,
        zoom=EUROPE_ZOOM,
        min_zoom=2,
        max_zoom=10,
        layers=(),
        scroll_wheel_zoom=True,
        layout=widgets.Layout(height="620px", width="100%"),
    )


def check_tile_url(tile_url: str) -> str:
    """Accept an ``http(s)://`` or server-absolute (``/...``) tile template with {z}/{x}/{y}.

    Raises:
        ParameterError: any other value.
    """
    tile_url = tile_url.strip()
    if not tile_url:
        return ""
    has_scheme = tile_url.startswith(("http://", "https://", "/"))
    has_tokens = all(token in tile_url for token in ("{z}", "{x}", "{y}"))
    if not (has_scheme and has_tokens):
        raise ParameterError(
            f"tile_url {tile_url!r} is not a tile template; use e.g. "
            "'https://tiles.example.org/{z}/{x}/{y}.png', or leave it empty for the plain "
            "background (no request leaves the server)."
        )
    return tile_url

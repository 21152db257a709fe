"""What one choice of indicator, level and year shows on a map, and the map itself.

``compute_map_view`` looks a ``MapSelection`` up in the prepared data (``bundle``): values,
the prepared classes of the chosen classification, fill colours and legend; nothing is
classified in the kernel. The map is one GeoJSON layer whose polygons carry a CSS class per
region (``r-<code>``); ``fill_css`` turns a view's colours into one small style sheet, shown
by an HTML widget. Recolouring sends that style sheet (a few KB), not the geometry, and the
browser restyles the polygons in place; only a change of NUTS level sends new polygons.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from observatory_lib.constants import MAP_CREDIT
from observatory_lib.products.apps.bundle import CATEGORY_THEMES, REGION_CLASS_PREFIX, AppBundle
from observatory_lib.products.apps.parameters import ParameterError

CLASSIFICATIONS = {"quantile": "Quantiles (equal counts)", "equal_interval": "Equal intervals"}
FLAG_WORDS = {
    "b": "break in series",
    "c": "confidential cells involved",
    "d": "definition differs",
    "e": "estimated",
    "p": "provisional",
    "u": "low reliability",
    "z": "not applicable",
}
EUROPE_CENTER = (53.0, 12.0)
EUROPE_ZOOM = 4
# fillColor: the no-data grey, for a polygon that no rule of the style sheet names.
BASE_STYLE = {
    "color": "#ffffff",
    "weight": 0.6,
    "opacity": 1.0,
    "fillOpacity": 0.88,
    "fillColor": "#d9d9d9",
}
HOVER_STYLE = {"color": "#1b1b1b", "weight": 2.0, "fillOpacity": 0.95}
MAP_ATTRIBUTION = MAP_CREDIT


@dataclass(frozen=True)
class MapSelection:
    """One view of a map: what is mapped, where and how it is classified.

    ``year`` 0 means the latest year with data; ``category_code`` is used by the cluster
    themes only.
    """

    level: int = 2
    theme: str = "clusters"
    indicator_code: str = "lq"
    category_code: str = "automotive"
    year: int = 0
    classification: str = "quantile"

    @property
    def category(self) -> str:
        """The category of the view key ('' for themes without categories)."""
        return self.category_code if self.theme in CATEGORY_THEMES else ""


@dataclass
class MapView:
    """A computed view: per-region values and colours (in the map's feature order), legend."""

    selection: MapSelection
    year: int
    title: str
    unit: str
    codes: list[str]
    names: list[str]
    values: np.ndarray
    fills: list[str]
    class_labels: list[str]
    flags: list[str]
    confidential: np.ndarray
    legend: list[dict] = field(default_factory=list)

    @property
    def n_with_data(self) -> int:
        """Regions with a value."""
        return int(np.isfinite(self.values).sum())

    def row(self, code: str) -> int | None:
        """The position of a region in the view (None when it is not on the map)."""
        return self._positions.get(code)

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}


def resolve_year(bundle: AppBundle, selection: MapSelection) -> int:
    """The year to show: the selection's, else the latest with data (0 when there is none)."""
    years = bundle.years(
        selection.theme, selection.indicator_code, selection.category, selection.level
    )
    if selection.year in years:
        return selection.year
    return years[0] if years else 0


def selection_title(bundle: AppBundle, selection: MapSelection, year: int) -> str:
    """A one-line title: indicator, category, level and year."""
    parts = [bundle.label(selection.theme, selection.indicator_code).label]
    if selection.theme in CATEGORY_THEMES:
        parts.append(bundle.category_name(selection.category_code))
    parts.append(f"NUTS {selection.level}")
    if year:
        parts.append(str(year))
    return " · ".join(parts)


def compute_map_view(bundle: AppBundle, selection: MapSelection, codes: list[str]) -> MapView:
    """Values, colours and legend of a selection for the map's regions ``codes``.

    Regions without a value stay missing ("no data"); confidential cells get their own
    colour. The classes are those prepared for the view (the same for every visitor).
    """
    year = resolve_year(bundle, selection)
    view = bundle.view(
        selection.theme, selection.indicator_code, selection.category, selection.level, year
    )
    ids = np.fromiter(
        (bundle.index.get(code, -1) for code in codes), dtype=np.int64, count=len(codes)
    )
    n = len(codes)
    values = np.full(n, np.nan)
    classes = np.full(n, -1, dtype=np.int64)
    flags = [""] * n
    confidential = np.zeros(n, dtype=bool)
    labels: list[str] = []
    if view is not None:
        where = np.full(len(bundle.codes), -1, dtype=np.int64)
        where[view.region_ids] = np.arange(len(view.region_ids))
        rows = where[ids]
        found = rows >= 0
        values[found] = view.values[rows[found]]
        classes[found] = view.classes[selection.classification][rows[found]]
        dictionary = bundle.values.dictionary("status")
        confidential_id = dictionary.index("confidential") if "confidential" in dictionary else -1
        confidential[found] = view.statuses[rows[found]] == confidential_id
        flag_names = bundle.values.dictionary("flag")
        for position in np.flatnonzero(found):
            flags[position] = flag_names[int(view.flags[rows[position]])]
        labels = view.legends[selection.classification]
    palette = bundle.palette(len(labels)) if labels else []
    colours = bundle.colours
    fills = [
        colours["confidential"]
        if confidential[i]
        else (palette[classes[i]] if classes[i] >= 0 and palette else colours["no_data"])
        for i in range(n)
    ]
    class_labels = [labels[c] if 0 <= c < len(labels) else "" for c in classes]
    unit = bundle.label(selection.theme, selection.indicator_code).unit
    legend = legend_entries(bundle, labels, palette, values, confidential)
    return MapView(
        selection=selection,
        year=year,
        title=selection_title(bundle, selection, year),
        unit=unit,
        codes=list(codes),
        names=[bundle.region_name(code) for code in codes],
        values=values,
        fills=fills,
        class_labels=class_labels,
        flags=flags,
        confidential=confidential,
        legend=legend,
    )


def legend_entries(bundle, labels, palette, values, confidential) -> list[dict]:
    """Legend rows: classes low to high, then confidential, then no data (when present)."""
    colours = bundle.colours
    rows = [
        {"label": label, "colour": colour, "kind": "class"}
        for label, colour in zip(labels, palette, strict=True)
    ]
    if confidential.any():
        rows.append(
            {
                "label": colours["confidential_label"],
                "colour": colours["confidential"],
                "kind": "confidential",
            }
        )
    if (np.isnan(values) & ~confidential).any():
        rows.append(
            {"label": colours["no_data_label"], "colour": colours["no_data"], "kind": "no_data"}
        )
    return rows


def fill_css(codes: list[str], fills: list[str]) -> str:
    """One style sheet that colours every region's polygon: one rule per colour."""
    by_colour: dict[str, list[str]] = defaultdict(list)
    for code, fill in zip(codes, fills, strict=True):
        by_colour[fill].append(f".{REGION_CLASS_PREFIX}{code}")
    rules = "".join(
        f"{','.join(selectors)}{{fill:{fill}}}" for fill, selectors in by_colour.items()
    )
    return f"<style>{rules}</style>"


def view_rows(view: MapView) -> list[dict]:
    """The view as a download: one row per region of the map, missing values left empty."""
    selection = view.selection
    status = ["confidential" if c else "" for c in view.confidential]
    return [
        {
            "region_code": code,
            "region_name": name,
            "nuts_level": selection.level,
            "theme": selection.theme,
            "indicator_code": selection.indicator_code,
            "category_code": selection.category,
            "year": view.year or "",
            "value": "" if math.isnan(value) else repr(float(value)),
            "unit": view.unit,
            "flag": flag,
            "status": state,
            "map_class": label,
        }
        for code, name, value, flag, state, label in zip(
            view.codes,
            view.names,
            view.values.tolist(),
            view.flags,
            status,
            view.class_labels,
            strict=True,
        )
    ]


@functools.cache
def styled_geojson_class():
    """The GeoJSON layer class that sends its data as they are (built on first use).

    Two costs of ipyleaflet's ``GeoJSON`` are skipped: the deep copy of the whole ``data`` to
    merge a style into every feature whenever ``data`` or ``style`` changes (the features
    carry their CSS class; the browser merges the layer's ``style`` over it), and ipywidgets'
    walk of every coordinate looking for binary buffers (the data are plain JSON). It keeps
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
    """The regions' polygons (one layer) and the style sheet that colours them.

    ``recolour`` changes only the style sheet; ``show`` switches to another level's polygons.
    """

    def __init__(self, collection: dict, fills: list[str]):
        import ipywidgets as widgets

        self.collection = collection
        self.colours = widgets.HTML(
            fill_css(self.codes, fills), layout=widgets.Layout(height="0px", overflow="hidden")
        ).add_class("observatory-map-colours")
        self.layer = styled_geojson_class()(
            data=collection, style=BASE_STYLE, hover_style=HOVER_STYLE, name="NUTS regions"
        )

    @property
    def codes(self) -> list[str]:
        """Region codes in feature order."""
        return [feature["id"] for feature in self.collection["features"]]

    def recolour(self, fills: list[str]) -> None:
        """Give every region its new fill colour (one per feature, in order)."""
        self.colours.value = fill_css(self.codes, fills)

    def show(self, collection: dict, fills: list[str]) -> None:
        """Switch to another level's regions (same layer object) with their colours."""
        self.collection = collection
        self.colours.value = fill_css(self.codes, fills)
        self.layer.data = collection


def build_map(height: str = "620px"):
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
        attribution_control=False,
        layout=widgets.Layout(height=height, width="100%"),
    ).add_class("observatory-map")


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

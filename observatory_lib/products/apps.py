"""The interactive apps: parameters from Papermill or the URL, map layers, panels, downloads.

Parameters work the same way in the two modes a notebook runs in:

- **Papermill** injects ``-p name value`` after the notebook's ``parameters`` cell;
- **Voila** starts the kernel with the page request's query string in the ``QUERY_STRING``
  environment variable, e.g. ``/voila/render/mapping_tool.ipynb?level=3&topic=context``.
  ``resolve_parameters`` reads it, parses it with ``urllib.parse``, converts each value to the
  type of the parameter's default and overrides the defaults. In a *preheated* Voila kernel
  the notebook runs before anyone asks for it, so ``resolve_parameters`` first waits for the
  request (``voila.utils.wait_for_request``): everything above that call (imports, loading
  the store, building the map geometry and even the widgets) is done ahead, which is what
  makes preheating pay. Voila itself reads ``?theme=`` and ``?template=`` (a request with
  them never gets a preheated kernel), so no parameter may be called so: the mapping tool's
  indicator theme is ``topic``.

Outside Voila the query string is ignored, so a stray ``QUERY_STRING`` in a batch
environment changes nothing.

The notebooks call, in order: ``load_app_data`` (store -> every mappable value, cached
geometry), ``prepare_mapping_tool`` / ``prepare_region_explorer`` (widgets on the default
view), ``resolve_parameters`` and ``mapping_tool`` / ``region_explorer`` (apply the visitor's
parameters, or show one plain message), ``provenance_html``. The map is one pre-styled GeoJSON
layer (``ChoroplethLayer``) whose fill colours are updated in place; classes, palette and
missing-data colours come from ``map_styles``. Problems reach the user as one sentence
(``AppMessage``, ``message_html``), never as a traceback; unexpected errors in callbacks are
logged.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import io
import json
import logging
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.products import map_styles
from observatory_lib.products.downloads import DEFAULT_ATTRIBUTION, format_source

LOGGER = logging.getLogger(__name__)

VOILA_MARKER = "VOILA_PREHEAT"  # Voila sets it (True/False) in every kernel it starts
IGNORED_QUERY_NAMES = frozenset({"token"})  # the server's access token is not a parameter
# Voila reads these from the query string itself; a parameter must never be called so.
VOILA_QUERY_NAMES = frozenset({"theme", "template"})
MAX_QUERY_FIELDS = 40
MAX_VALUE_LENGTH = 200
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ParameterError(ObservatoryError):
    """A parameter from the URL or Papermill has the wrong type or an unknown name."""


@dataclass(frozen=True)
class AppMessage:
    """A problem to show in place of an app: one sentence for the user, no traceback."""

    message: str


# --- parameters: Papermill and Voila -------------------------------------------------------


def in_voila() -> bool:
    """Return True inside a kernel started by Voila (preheated or not)."""
    return VOILA_MARKER in os.environ


def read_query_string() -> str:
    """Return the page request's query string in Voila, or ``''`` elsewhere.

    In a preheated kernel this blocks until a visitor's request is assigned to the kernel;
    Voila then sends the request's details (``QUERY_STRING`` among them) to the kernel.
    """
    if not in_voila():
        return ""
    if os.environ.get(VOILA_MARKER) == "True":
        from voila.utils import wait_for_request

        wait_for_request()
    return os.environ.get("QUERY_STRING", "")


def parse_query_string(query: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a URL query string into typed parameters.

    Each value takes the type of its default: ``int``, ``float``, ``bool`` (1/0, true/false,
    yes/no, on/off), ``list`` (comma-separated) or ``str``. A repeated name keeps its last
    value; the server's ``token`` is ignored.

    Args:
        query: the query string, without the ``?`` (e.g. ``region_code=DE21&level=2``).
        defaults: the notebook's parameters and their default values.

    Returns:
        Only the parameters named in the query, converted.

    Raises:
        ParameterError: an unknown name, or a value that does not convert.
    """
    try:
        pairs = urllib.parse.parse_qs(query.lstrip("?"), max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        raise ParameterError(
            f"The link has too many parameters (at most {MAX_QUERY_FIELDS})."
        ) from None
    reserved = sorted(VOILA_QUERY_NAMES & set(defaults))
    if reserved:
        raise ParameterError(
            f"Parameter name(s) {', '.join(reserved)} are reserved by Voila; rename them."
        )
    unknown = sorted(set(pairs) - set(defaults) - IGNORED_QUERY_NAMES)
    if unknown:
        raise ParameterError(
            f"Unknown parameter(s) in the link: {', '.join(unknown)}. "
            f"Valid parameters: {', '.join(defaults)}."
        )
    return {
        name: convert_parameter(name, values[-1], defaults[name])
        for name, values in pairs.items()
        if name in defaults
    }


def convert_parameter(name: str, text: str, default: Any) -> Any:
    """Convert one query-string value to the type of ``default``.

    Raises:
        ParameterError: the value does not convert, or is too long.
    """
    text = text.strip()
    if len(text) > MAX_VALUE_LENGTH:
        raise ParameterError(f"Parameter {name!r} is too long (at most {MAX_VALUE_LENGTH}).")
    if isinstance(default, bool):
        return _convert_bool(name, text)
    if isinstance(default, int | float):
        return _convert_number(name, text, type(default))
    if isinstance(default, list | tuple):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _convert_bool(name: str, text: str) -> bool:
    word = text.lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise ParameterError(f"Parameter {name!r} must be true or false, not {text!r}.")


def _convert_number(name: str, text: str, kind: type) -> int | float:
    try:
        return kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise ParameterError(f"Parameter {name!r} must be {noun}, not {text!r}.") from None


def resolve_parameters(
    defaults: Mapping[str, Any], query: str | None = None
) -> dict[str, Any] | AppMessage:
    """The notebook's parameters, overridden by the Voila URL's query string.

    Call it after the slow set-up and before anything that depends on the parameters: in a
    preheated Voila kernel it waits here for the visitor's request.

    Args:
        defaults: the parameters as the ``parameters`` cell (or Papermill) set them.
        query: a query string to use instead of the request's (tests).

    Returns:
        The merged parameters, or an ``AppMessage`` explaining a bad link.
    """
    query = read_query_string() if query is None else query
    try:
        return {**defaults, **parse_query_string(query, defaults)}
    except ParameterError as error:
        return AppMessage(str(error))


# --- app data: every value the apps can map, prepared once per kernel -----------------------

THEMES = {
    "clusters": "Cluster categories",
    "emerging": "Emerging industries",
    "scoreboard": "Regional Ecosystem Scoreboard",
    "context": "Context indicators",
}
CATEGORY_THEMES = ("clusters", "emerging")
# The cluster measures a map can show, with their label and unit.
CLUSTER_MEASURES = {
    "employment_persons": ("Employment", "persons"),
    "lq": ("Location quotient (LQ)", ""),
    "size_share": ("Share of the category's European employment", "share"),
    "stars": ("Stars", "stars"),
}
OVERALL_CODE = "overall"
SCOREBOARD_UNIT = "index_eu_100"
VALUE_KEYS = ["theme", "indicator_code", "category_code", "nuts_level", "year"]
VALUE_COLUMNS = [*VALUE_KEYS, "region_code", "value", "unit", "flag", "status"]
MAP_LEVELS = (0, 1, 2, 3)
STATISTICS_EDITION = 2016
DEFAULT_STAR_PRESET = "eco2008"
# Degrees. GISCO 1:20M outlines are already light; this keeps the NUTS-2 payload near
# 0.25 MB and NUTS-3 near 0.6 MB without visible change at zoom 3-7 (measured in the report).
SIMPLIFY_TOLERANCE = {0: 0.03, 1: 0.02, 2: 0.02, 3: 0.02}
COORDINATE_PRECISION = 0.001


@dataclass
class AppData:
    """Everything the apps show, prepared once per kernel (in the preheated part).

    Attributes:
        regions: the store's NUTS 2016 regions, indexed by code (the column stays too).
        map_values: one long table of mappable values, indexed by ``VALUE_KEYS`` (sorted), with
            ``region_code, value, unit, flag, status`` columns.
        labels: ``(theme, indicator_code) -> (label, unit, dataset codes)``.
        catalog: the distinct ``VALUE_KEYS`` combinations (what can be mapped where).
        categories: the store's cluster categories and emerging industries.
        rated: cluster indicators with star ratings, NUTS 0-2.
        scoreboards: scoreboard result per NUTS level that has one.
        context: the store's context indicators (for default peers).
        geometries: NUTS 2016 polygons (EPSG:4326).
        provenance: the store's provenance table (sources of the downloads).
        star_preset: the star rule set used.
        collections: GeoJSON FeatureCollection per level, built on first use.
    """

    regions: pd.DataFrame
    map_values: pd.DataFrame
    labels: dict
    catalog: pd.DataFrame
    categories: pd.DataFrame
    rated: pd.DataFrame
    scoreboards: dict
    context: pd.DataFrame
    geometries: Any
    provenance: pd.DataFrame
    star_preset: str = DEFAULT_STAR_PRESET
    collections: dict = field(default_factory=dict)

    def region_name(self, region_code: str) -> str:
        """The region's Latin-script name (the code itself when unknown)."""
        names = self.regions["region_name"]
        return str(names.get(region_code, region_code))


def load_app_data(
    store=None, *, star_preset: str = DEFAULT_STAR_PRESET, preload_levels=()
) -> AppData | AppMessage:
    """Load the store and compute every value the apps can map.

    Args:
        store: a loaded ``Store``; default ``load_store()`` (the current store).
        star_preset: star rule set for the cluster ratings.
        preload_levels: NUTS levels whose map geometry to prepare now (in a preheated Voila
            kernel this happens before any visitor arrives).

    Returns:
        The ``AppData``, or an ``AppMessage`` naming the problem (e.g. no store built yet).
    """
    try:
        if store is None:
            from observatory_lib.data.store import load_store

            store = load_store()
        data = build_app_data(store, star_preset=star_preset)
        for level in preload_levels:
            feature_collection(data, int(level))
        return data
    except ObservatoryError as error:
        return AppMessage(str(error))


def build_app_data(store, *, star_preset: str = DEFAULT_STAR_PRESET) -> AppData:
    """Compute cluster indicators, stars, scoreboards and the mappable values from a store."""
    from observatory_lib.indicators.framework import load_framework

    regions = statistics_regions(store.regions)
    rated = rate_clusters(store, star_preset)
    framework = load_framework()
    scoreboards = compute_scoreboards(store, framework)
    values = pd.concat(
        [
            cluster_values(rated),
            scoreboard_values(scoreboards),
            context_values(store.context_indicators),
        ],
        ignore_index=True,
    )
    indexed = index_values(values)
    return AppData(
        regions=regions,
        map_values=indexed,
        labels=indicator_labels(store, framework),
        catalog=indexed.index.unique().to_frame(index=False),
        categories=store.cluster_categories,
        rated=rated,
        scoreboards=scoreboards,
        context=store.context_indicators,
        geometries=store.geometries,
        provenance=store.provenance,
        star_preset=star_preset,
    )


def statistics_regions(regions: pd.DataFrame) -> pd.DataFrame:
    """The NUTS 2016 regions (the edition of the statistics), indexed by code."""
    selected = regions.loc[regions["nuts_edition"] == STATISTICS_EDITION]
    return selected.drop_duplicates("region_code").set_index("region_code", drop=False)


def rate_clusters(store, star_preset: str) -> pd.DataFrame:
    """Cluster indicators and star ratings at every NUTS level with SBS data (0-2)."""
    from observatory_lib.indicators.clusters import compute_cluster_indicators
    from observatory_lib.indicators.stars import rate_stars

    levels = sorted(set(store.cluster_employment["nuts_level"]) & {0, 1, 2})
    frames = [
        compute_cluster_indicators(
            store.cluster_employment, store.region_employment_totals, level=int(level)
        )
        for level in levels
    ]
    return rate_stars(pd.concat(frames, ignore_index=True), star_preset)


def compute_scoreboards(store, framework) -> dict:
    """The scoreboard at each NUTS level where it can be computed (levels without data skip)."""
    from observatory_lib.indicators.scoreboard import EU28_COUNTRIES, compute_scoreboard
    from observatory_lib.products.reports import scoreboard_inputs

    # the same inputs and EU-28 reference as the scoreboard notebook and the scorecards,
    # so the industrial-structure dimension (from the cluster stars) is there too
    inputs = scoreboard_inputs(store)
    results = {}
    for level in (0, 1, 2):
        try:
            results[level] = compute_scoreboard(
                inputs, framework, store.regions, level=level, reference_countries=EU28_COUNTRIES
            )
        except ObservatoryError:
            continue  # e.g. no indicator of the framework at this level
    return results


def _cluster_flag(rated: pd.DataFrame) -> pd.Series:
    """Eurostat-style flag of a cluster cell: ``c`` when confidential cells went into it."""
    involved = rated["has_confidential_cells"].fillna(False).astype(bool)
    return pd.Series(np.where(involved, "c", None), index=rated.index, dtype="str")


def cluster_values(rated: pd.DataFrame) -> pd.DataFrame:
    """The four cluster measures as mappable values (traded and emerging categories).

    A missing value whose inputs include confidential cells gets the status
    ``confidential``; other missing values are "no data".
    """
    theme = np.where(rated["category_type"].eq("emerging"), "emerging", "clusters")
    flag = _cluster_flag(rated)
    involved = flag.eq("c").fillna(False).to_numpy(dtype=bool)
    frames = []
    for measure, (_label, unit) in CLUSTER_MEASURES.items():
        value = pd.to_numeric(rated[measure], errors="coerce").astype("float64")
        confidential = value.isna().to_numpy() & involved
        frames.append(
            pd.DataFrame(
                {
                    "theme": theme,
                    "indicator_code": measure,
                    "category_code": rated["category_code"].to_numpy(),
                    "nuts_level": rated["nuts_level"].to_numpy(),
                    "year": rated["year"].to_numpy(),
                    "region_code": rated["region_code"].to_numpy(),
                    "value": value.to_numpy(),
                    "unit": unit,
                    "flag": flag.to_numpy(),
                    "status": np.where(confidential, "confidential", None),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def scoreboard_year(result) -> int:
    """The scoreboard's reference year: the most common year of the values it scored."""
    scored = result.values  # noqa: PD011 - ScoreboardResult.values, a frame, not pandas .values
    years = pd.to_numeric(scored["year"], errors="coerce").dropna()
    return int(years.mode().iloc[0]) if not years.empty else 0


def scoreboard_values(scoreboards: Mapping[int, Any]) -> pd.DataFrame:
    """The index and its dimensions, relative to the EU average (= 100), per level."""
    frames = []
    for level, result in scoreboards.items():
        overall = result.overall.assign(dimension_code=OVERALL_CODE)
        rows = pd.concat([overall, result.dimension_scores], ignore_index=True)
        frames.append(
            pd.DataFrame(
                {
                    "theme": "scoreboard",
                    "indicator_code": rows["dimension_code"].to_numpy(),
                    "category_code": "",
                    "nuts_level": level,
                    "year": scoreboard_year(result),
                    "region_code": rows["region_code"].to_numpy(),
                    "value": pd.to_numeric(rows["relative_to_eu"]).astype("float64").to_numpy(),
                    "unit": SCOREBOARD_UNIT,
                    "flag": None,
                    "status": None,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=VALUE_COLUMNS)


def context_values(context: pd.DataFrame) -> pd.DataFrame:
    """The store's context indicators as mappable values (flag ``c`` -> confidential)."""
    return pd.DataFrame(
        {
            "theme": "context",
            "indicator_code": context["indicator_code"].to_numpy(),
            "category_code": "",
            "nuts_level": context["nuts_level"].to_numpy(),
            "year": context["year"].to_numpy(),
            "region_code": context["region_code"].to_numpy(),
            "value": pd.to_numeric(context["value"], errors="coerce").astype("float64").to_numpy(),
            "unit": context["unit"].to_numpy(),
            "flag": context["flag"].to_numpy(),
            "status": map_styles.status_from_flag(context["flag"]).to_numpy(),
        }
    )


def index_values(values: pd.DataFrame) -> pd.DataFrame:
    """One row per key and region, indexed by ``VALUE_KEYS`` and sorted for fast look-ups."""
    frame = values.astype(
        {"nuts_level": "int64", "year": "int64", "unit": "str", "flag": "str", "status": "str"}
    )
    frame = frame.drop_duplicates([*VALUE_KEYS, "region_code"], keep="first")
    return frame.set_index(VALUE_KEYS).sort_index()


def indicator_labels(store, framework) -> dict:
    """``(theme, indicator_code) -> (label, unit, dataset codes)`` for every mappable indicator."""
    sbs = tuple(sorted(set(store.cluster_employment.get("dataset_code", pd.Series(dtype="str")))))
    sbs = sbs or ("sbs_r_nuts06_r2",)
    labels = {
        (theme, code): (label, unit, sbs)
        for theme in CATEGORY_THEMES
        for code, (label, unit) in CLUSTER_MEASURES.items()
    }
    scoreboard_datasets = tuple(sorted({spec.dataset_code for spec in framework.indicators}))
    labels[("scoreboard", OVERALL_CODE)] = (
        f"{framework.name}: index",
        SCOREBOARD_UNIT,
        scoreboard_datasets,
    )
    for dimension in framework.dimensions:
        datasets = tuple(
            sorted(
                {
                    spec.dataset_code
                    for spec in framework.indicators
                    if spec.dimension_code == dimension.code
                }
            )
        )
        labels[("scoreboard", dimension.code)] = (dimension.label, SCOREBOARD_UNIT, datasets)
    catalog = store.context_indicator_catalog
    for code, label, unit, dataset in zip(
        catalog["indicator_code"],
        catalog["label"],
        catalog["unit"],
        catalog["dataset_code"],
        strict=True,
    ):
        labels[("context", str(code))] = (str(label), str(unit), (str(dataset),))
    return labels


# --- geometry: one simplified FeatureCollection per level ----------------------------------


def build_feature_collection(
    geometries, regions: pd.DataFrame, level: int, tolerance: float | None = None
) -> dict:
    """The NUTS 2016 regions of one level as a GeoJSON FeatureCollection for the map.

    Geometry is simplified (``data.nuts.simplify_geometries``, borders kept shared) and
    rounded to ``COORDINATE_PRECISION`` degrees; each feature has ``id`` = region code and
    ``region_code``/``region_name`` properties. Regions without geometry are left out.
    """
    from observatory_lib.data.nuts import simplify_geometries

    selected = geometries[
        (geometries["nuts_edition"] == STATISTICS_EDITION) & (geometries["nuts_level"] == level)
    ]
    selected = selected[selected.geometry.notna() & ~selected.geometry.is_empty]
    selected = selected.drop_duplicates("region_code").sort_values("region_code")
    tolerance = SIMPLIFY_TOLERANCE.get(level, 0.02) if tolerance is None else tolerance
    simplified = simplify_geometries(selected, tolerance, COORDINATE_PRECISION)
    names = regions["region_name"].reindex(simplified["region_code"]).fillna("")
    collection = json.loads(simplified[["region_code", "geometry"]].to_json(drop_id=True))
    for feature, name in zip(collection["features"], names, strict=True):
        code = feature["properties"]["region_code"]
        feature["id"] = code
        feature["properties"] = {"region_code": code, "region_name": str(name)}
    return {"type": "FeatureCollection", "features": collection["features"]}


def feature_collection(data: AppData, level: int) -> dict:
    """The level's FeatureCollection, built once per kernel and cached on ``data``."""
    if level not in data.collections:
        data.collections[level] = build_feature_collection(data.geometries, data.regions, level)
    return data.collections[level]


def payload_bytes(collection: Mapping) -> int:
    """Size of a FeatureCollection as compact JSON (what the widget sends to the browser)."""
    return len(json.dumps(collection, separators=(",", ":")).encode("utf-8"))


def restyled(collection: Mapping, fills: list[str]) -> dict:
    """A copy of ``collection`` whose features carry ``fills`` (one per feature, in order).

    Only the properties are new: the geometry objects are shared with ``collection``, so a
    recolour costs one small dict per feature.
    """
    features = [
        {**feature, "properties": {**feature["properties"], "style": {"fillColor": fill}}}
        for feature, fill in zip(collection["features"], fills, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


# --- map views: what one choice of indicator, level and year shows -------------------------

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


# --- HTML pieces: legend, tooltip, messages, downloads ------------------------------------


def escape(value: Any) -> str:
    """HTML-escaped text; missing values become an empty string."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def message_html(message: str) -> str:
    """A plain message box (no traceback)."""
    return f'<div class="observatory-message">{escape(message)}</div>'


def _message_widget(message: str):
    """What an app shows instead of itself when it cannot run: the message, no traceback."""
    import ipywidgets as widgets

    return widgets.HTML(message_html(message)).add_class("observatory-error")


def _first_problem(*inputs: Any) -> AppMessage | None:
    """The first input that is a message (data or parameters that could not be loaded)."""
    return next((item for item in inputs if isinstance(item, AppMessage)), None)


def flag_text(flag: Any) -> str:
    """Eurostat flag letters in words, e.g. ``bu`` -> ``b (break in series), u (...)``."""
    letters = escape(flag)
    if not letters:
        return ""
    return ", ".join(f"{letter} ({FLAG_WORDS.get(letter, 'flag')})" for letter in letters)


def legend_html(view: MapView) -> str:
    """The legend: title with the unit, one row per class, then confidential and no data."""
    unit = map_styles.unit_label(view.unit)
    label = view.title.split(" · ")[0]
    title = f"{label} ({unit})" if unit else label
    rows = "".join(
        f'<div class="observatory-legend-row" data-kind="{escape(entry["kind"])}">'
        f'<i style="background:{escape(entry["colour"])}"></i>{escape(entry["label"])}</div>'
        for entry in view.legend
    )
    return f'<div class="observatory-legend"><b>{escape(title)}</b>{rows}</div>'


def value_text(view: MapView, region_code: str) -> tuple[str, str]:
    """The formatted value of a region in the view, and its flag in words."""
    rows = view.table[view.table["region_code"] == region_code]
    if rows.empty:
        return "no data", ""
    row = rows.iloc[0]
    if pd.isna(row["value"]):
        text = "confidential" if row["status"] == map_styles.CONFIDENTIAL_STATUS else "no data"
    else:
        text = map_styles.format_value(row["value"], view.unit)
    return text, flag_text(row["flag"])


def tooltip_html(view: MapView, region_code: str, region_name: str) -> str:
    """Hover text: name, code, value with unit, and the flag in words."""
    value, flag = value_text(view, region_code)
    label = view.title.split(" · ")[0]
    lines = [
        f'<b class="observatory-tooltip-name">{escape(region_name)}</b> ({escape(region_code)})',
        f"{escape(label)}: <b>{escape(value)}</b>",
    ]
    if flag:
        lines.append(f"Flag: {flag}")
    return f'<div class="observatory-tooltip">{"<br>".join(lines)}</div>'


def csv_text(frame: pd.DataFrame, title: str, sources: list[str]) -> str:
    """The table as CSV in the format of ``products.downloads``: ``# `` lines, then the table.

    The title, source and attribution lines come first (``downloads.read_csv_table`` reads
    them back); missing values are empty cells, never 0.
    """
    lines = [f"# title: {title}"]
    lines += [f"# source: {source}" for source in sources or ["Eurostat"]]
    lines += [f"# attribution: {line}" for line in DEFAULT_ATTRIBUTION]
    body = frame.to_csv(index=False, na_rep="", lineterminator="\n")
    return "\n".join(" ".join(line.split()) for line in lines) + "\n" + body


def download_link_html(
    frame: pd.DataFrame, file_name: str, title: str, sources: list[str], label: str
) -> str:
    """A link that downloads ``frame`` as a CSV (UTF-8 with BOM, for Excel) from a data URI."""
    payload = ("\ufeff" + csv_text(frame, title, sources)).encode("utf-8")
    encoded = base64.b64encode(payload).decode("ascii")
    return (
        f'<a class="observatory-download-link" download="{escape(file_name)}" '
        f'href="data:text/csv;charset=utf-8;base64,{encoded}">{escape(label)}</a>'
    )


def sources_for(data: AppData, dataset_codes) -> list[str]:
    """Source lines for the downloads: the store's provenance rows of these datasets."""
    provenance = data.provenance
    if "dataset_code" not in provenance.columns:
        return ["Eurostat"]
    rows = provenance[provenance["dataset_code"].isin(list(dataset_codes))]
    rows = rows.drop_duplicates("dataset_code")
    return [format_source(row) for row in rows.to_dict("records")] or ["Eurostat"]


def portal_base_url() -> str:
    """Where the portal is, relative to the app page.

    In Voila the app is at ``/voila/render/<app>.ipynb`` and ``observatory serve`` serves the
    portal at ``/portal/``; elsewhere (JupyterLab, Papermill outputs) the notebook sits in
    ``notebooks/apps`` and the portal is the outputs directory.
    """
    if in_voila():
        return "../../portal/"
    from observatory_lib import paths

    relative = os.path.relpath(paths.output_dir(), paths.APP_DIR)
    return relative.replace(os.sep, "/").rstrip("/") + "/"


def scorecard_url(region_code: str, base: str | None = None) -> str:
    """Relative link to the region's scorecard in the portal."""
    base = portal_base_url() if base is None else base
    return f"{base}scorecards/{urllib.parse.quote(region_code)}/scorecard.html"


# --- the map layer: one pre-styled GeoJSON layer, recoloured in place ----------------------

EUROPE_CENTER = (53.0, 12.0)
EUROPE_ZOOM = 4
BASE_STYLE = {"color": "#ffffff", "weight": 0.6, "opacity": 1.0, "fillOpacity": 0.88}
HOVER_STYLE = {"color": "#1b1b1b", "weight": 2.0, "fillOpacity": 0.95}
MAP_ATTRIBUTION = "© EuroGeographics for the administrative boundaries · Source: Eurostat"


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


# --- the region summary (side panel of the map, header of the explorer) --------------------

TOP_CLUSTERS = 5


def top_clusters(data: AppData, region_code: str, n: int = TOP_CLUSTERS) -> pd.DataFrame:
    """The region's leading traded clusters: stars, then LQ, then employment.

    Returns an empty frame when the region has no cluster data (e.g. NUTS 3: regional SBS
    stops at NUTS 2).
    """
    from observatory_lib.indicators.panorama import region_portfolio

    if region_code not in set(data.rated["region_code"]):
        return pd.DataFrame()
    portfolio = region_portfolio(
        data.rated, region_code, data.regions.reset_index(drop=True), categories=data.categories
    )
    traded = portfolio[portfolio["category_type"] == "traded"]
    return traded.head(n)


def scoreboard_summary(data: AppData, region_code: str) -> tuple[dict, pd.DataFrame]:
    """The region's overall scoreboard row and its dimension scores (empty when none)."""
    level = int(data.regions["nuts_level"].get(region_code, -1))
    result = data.scoreboards.get(level)
    if result is None or region_code not in set(result.overall["region_code"]):
        return {}, pd.DataFrame()
    overall = result.overall[result.overall["region_code"] == region_code].iloc[0].to_dict()
    overall["n_regions"] = len(result.overall)
    dimensions = result.dimension_scores[result.dimension_scores["region_code"] == region_code]
    labels = result.framework.labels()
    dimensions = dimensions.assign(label=dimensions["dimension_code"].map(labels))
    return overall, dimensions


def stars_text(stars: Any, out_of: Any = None) -> str:
    """Stars as symbols: ``★★☆`` (``–`` when not rated)."""
    if stars is None or pd.isna(stars):
        return "–"
    total = int(out_of) if out_of is not None and not pd.isna(out_of) else int(stars)
    return "★" * int(stars) + "☆" * max(total - int(stars), 0)


def clusters_table_html(clusters: pd.DataFrame) -> str:
    """The top clusters as a small HTML table (category, stars, LQ, employment)."""
    if clusters.empty:
        return "<p>No cluster data for this region (regional SBS data exist at NUTS 0-2).</p>"
    rows = "".join(
        f"<tr><td>{escape(row.category_name)}</td>"
        f"<td>{stars_text(row.stars, row.stars_out_of)}</td>"
        f'<td class="num">{escape(map_styles.format_value(row.lq))}</td>'
        f'<td class="num">{escape(map_styles.format_value(row.employment_persons))}</td></tr>'
        for row in clusters.itertuples()
    )
    return (
        '<table class="observatory-clusters"><tr><th>Cluster category</th><th>Stars</th>'
        f"<th>LQ</th><th>Employment</th></tr>{rows}</table>"
    )


def scoreboard_html(overall: dict, dimensions: pd.DataFrame) -> str:
    """The scoreboard position and dimensions (EU average = 100) as HTML."""
    if not overall:
        return "<p>No scoreboard result for this region.</p>"
    index = map_styles.format_value(overall.get("relative_to_eu"), SCOREBOARD_UNIT)
    head = (
        f"<p>Index: <b>{escape(index)}</b>, {escape(overall.get('performance_group'))}, rank "
        f"{escape(overall.get('rank_europe'))} of {overall['n_regions']}</p>"
    )
    rows = "".join(
        f'<tr><td>{escape(row.label)}</td><td class="num">'
        f"{escape(map_styles.format_value(row.relative_to_eu))}</td></tr>"
        for row in dimensions.itertuples()
    )
    return (
        f'{head}<table class="observatory-dimensions"><tr><th>Dimension</th>'
        f"<th>EU = 100</th></tr>{rows}</table>"
    )


def region_panel_html(
    data: AppData, region_code: str, view: MapView | None = None, portal_base: str | None = None
) -> str:
    """The side panel for one region: value on the map, top clusters, scoreboard, scorecard."""
    region = data.regions.loc[region_code]
    parts = [
        f'<div class="observatory-panel" data-region-code="{escape(region_code)}">',
        f'<h3 class="observatory-panel-title">{escape(region["region_name"])} '
        f"({escape(region_code)})</h3>",
        f"<p>NUTS {int(region['nuts_level'])}, {escape(region['country_code'])}</p>",
    ]
    if view is not None:
        value, flag = value_text(view, region_code)
        parts.append(f"<p>{escape(view.title)}: <b>{escape(value)}</b>")
        parts.append(f"<br>Flag: {flag}</p>" if flag else "</p>")
    parts.append(f"<h4>Top clusters ({escape(data.star_preset)} stars)</h4>")
    parts.append(clusters_table_html(top_clusters(data, region_code)))
    parts.append("<h4>Regional Ecosystem Scoreboard</h4>")
    parts.append(scoreboard_html(*scoreboard_summary(data, region_code)))
    link = scorecard_url(region_code, portal_base)
    parts.append(
        f'<p><a class="observatory-scorecard-link" href="{escape(link)}" target="_blank">'
        f"Scorecard of {escape(region_code)} in the portal</a></p></div>"
    )
    return "".join(parts)


# --- the mapping tool ----------------------------------------------------------------------

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
CLASSIFICATIONS = {"quantile": "Quantiles (equal counts)", "equal_interval": "Equal intervals"}
LEVEL_LABELS = {0: "NUTS 0: countries", 1: "NUTS 1", 2: "NUTS 2: regions", 3: "NUTS 3"}


def theme_indicators(data: AppData, theme: str) -> list[str]:
    """The indicator codes of a theme, in picker order."""
    if theme in CATEGORY_THEMES:
        return list(CLUSTER_MEASURES)
    codes = [code for (kind, code) in data.labels if kind == theme]
    if theme == "scoreboard":
        return sorted(codes, key=lambda code: (code != OVERALL_CODE, codes.index(code)))
    return sorted(codes, key=lambda code: data.labels[(theme, code)][0].lower())


def theme_categories(data: AppData, theme: str) -> list[str]:
    """The category codes a cluster theme offers (traded or emerging), by name."""
    if theme not in CATEGORY_THEMES:
        return []
    kind = "emerging" if theme == "emerging" else "traded"
    rows = data.categories[data.categories["category_type"] == kind]
    return rows.sort_values("category_name")["category_code"].tolist()


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


def selection_from_parameters(data: AppData, params: Mapping[str, Any]) -> tuple[MapSelection, str]:
    """Validate the mapping tool's parameters; return the selection and the region to open.

    A ``region_code`` sets the map's level to the region's level.

    Raises:
        ObservatoryError: one clear message naming the bad parameter and the valid values.
    """
    from observatory_lib.data.nuts import check_region_code

    region_code = str(params.get("region_code") or "").strip()
    level = int(params.get("level", 2))
    if region_code:
        region_code = check_region_code(region_code, data.regions, edition=STATISTICS_EDITION)
        level = int(data.regions.loc[region_code, "nuts_level"])
    if level not in MAP_LEVELS:
        raise ParameterError(f"level must be 0, 1, 2 or 3 (NUTS level), not {level}.")
    theme = _choose("topic", str(params.get("topic", "clusters")), list(THEMES))
    indicator = _choose(
        f"{theme} indicator",
        str(params.get("indicator", "")),
        theme_indicators(data, theme),
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
    years = available_years(data, selection)
    if selection.year and selection.year not in years:
        listed = ", ".join(str(y) for y in years) or "none at this level"
        raise ParameterError(f"No data for year {selection.year}; years with data: {listed}.")
    return selection, region_code


class MappingTool:
    """The interactive map: picker, one recoloured layer, legend, tooltip, panel, download.

    Build it with ``prepare_mapping_tool`` or ``mapping_tool``; ``widget`` is what the notebook
    displays.
    """

    def __init__(self, data: AppData, selection: MapSelection):
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
        collection = feature_collection(data, self.selection.level)
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
        centre = widgets.VBox([self.map, credits], layout=widgets.Layout(flex="1 1 auto"))
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
        options = [(category_name(self.data, code), code) for code in codes] or [("", "")]
        chosen = self._set_options("category_code", options, self.selection.category_code)
        self._update(category_code=chosen)

    def _sync_indicators(self) -> None:
        theme, level = self.selection.theme, self.selection.level
        options = []
        for code in theme_indicators(self.data, theme):
            label = self.data.labels[(theme, code)][0]
            if level not in available_levels(self.data, theme, code):
                label += f" (no data at NUTS {level})"
            options.append((label, code))
        chosen = self._set_options("indicator_code", options, self.selection.indicator_code)
        self._update(indicator_code=chosen)

    def _sync_years(self) -> None:
        years = available_years(self.data, self.selection)
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
        collection = feature_collection(self.data, self.selection.level)
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
            f"<p><b>{escape(view.title)}</b><br>{view.n_with_data} of {len(view.table)} "
            "regions with data</p>"
        )
        self.download.value = self._download_html(view)

    def _download_html(self, view: MapView) -> str:
        selection = view.selection
        parts = [selection.theme, selection.indicator_code, selection.category_code]
        parts += [f"nuts{selection.level}", str(view.year or "")]
        name = "_".join(part for part in parts if part) + ".csv"
        datasets = self.data.labels.get((selection.theme, selection.indicator_code), ("", "", ()))
        return download_link_html(
            view_table(view),
            name,
            view.title,
            sources_for(self.data, datasets[2]),
            "Download this view (CSV)",
        )

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


def prepare_mapping_tool(data: AppData | AppMessage) -> MappingTool | None:
    """Build the mapping tool's widgets on the default view, before any visitor arrives.

    In a preheated Voila kernel this runs ahead (about 0.2-0.3 s of widget creation), and the
    visitor's parameters are then applied with one recolour (``mapping_tool(..., tool)``).
    """
    if isinstance(data, AppMessage):
        return None
    return MappingTool(data, MapSelection())


def mapping_tool(
    data: AppData | AppMessage,
    params: Mapping[str, Any] | AppMessage,
    tool: MappingTool | None = None,
):
    """The mapping tool for the notebook to display, or a plain message when it cannot run.

    Args:
        data: from ``load_app_data``.
        params: from ``resolve_parameters`` (keys of ``MAPPING_DEFAULTS``).
        tool: widgets built ahead by ``prepare_mapping_tool``; built here when None.

    Returns:
        An ipywidgets widget (the app or a message box).
    """
    problem = _first_problem(data, params)
    if problem is not None:
        return _message_widget(problem.message)
    try:
        selection, region_code = selection_from_parameters(data, params)
        tile_url = check_tile_url(str(params.get("tile_url", "")))
        tool = tool or MappingTool(data, selection)
        tool.select(selection, region_code, tile_url)
        return tool.widget
    except ObservatoryError as error:
        return _message_widget(str(error))


# --- the region explorer -------------------------------------------------------------------

EXPLORER_DEFAULTS = {"region_code": "DE21", "peers": ""}
EXPLORER_LEVELS = (0, 1, 2)
PORTFOLIO_ROWS = 15
CHART_COLOURS = {"region": "#21918c", "peers": "#fde725", "EU": "#440154"}


def explorer_options(data: AppData) -> list[str]:
    """Search entries ``Name (CODE)`` of every region the explorer can show (NUTS 0-2)."""
    regions = data.regions[data.regions["nuts_level"].isin(EXPLORER_LEVELS)]
    regions = regions.sort_index().sort_values("nuts_level", kind="stable")
    return [
        f"{name} ({code})" for code, name in zip(regions.index, regions["region_name"], strict=True)
    ]


def region_from_search(data: AppData, text: str) -> str:
    """The region code typed or picked in the search box (``Oberbayern (DE21)`` or ``de21``).

    Raises:
        UnknownCodeError: naming the nearest valid codes.
    """
    from observatory_lib.data.nuts import check_region_code

    text = text.strip()
    if text.endswith(")") and "(" in text:
        text = text[text.rindex("(") + 1 : -1]
    by_name = data.regions.index[data.regions["region_name"].str.lower() == text.lower()]
    if len(by_name):
        text = str(by_name[0])
    pool = data.regions[data.regions["nuts_level"].isin(EXPLORER_LEVELS)]
    return check_region_code(text, pool, edition=STATISTICS_EDITION)


def parse_peers(text: str | list) -> list[str]:
    """Peer codes from a comma-separated string (or a list); blank means default peers."""
    items = text.split(",") if isinstance(text, str) else list(text)
    return [str(item).strip().upper() for item in items if str(item).strip()]


def choose_peers(data: AppData, region_code: str, peers: list[str]) -> tuple[list[str], str]:
    """The peers to compare with, and how they were chosen.

    Without user peers the defaults are the most similar regions on GDP per inhabitant and
    population (``peers.default_peers``).

    Raises:
        ObservatoryError: unknown peer codes, or no default peers for the region.
    """
    from observatory_lib.indicators.peers import check_peers, default_peers

    level = int(data.regions.loc[region_code, "nuts_level"])
    if peers:
        valid = data.regions.index[data.regions["nuts_level"] == level]
        chosen = [code for code in check_peers(peers, valid) if code != region_code]
        return chosen, "chosen peers"
    try:
        chosen = default_peers(
            data.context, data.regions.reset_index(drop=True), region_code, level=level
        )
    except ObservatoryError:
        return [], "no default peers (structural data missing); pick peers"
    return chosen, "default peers: most similar on GDP per inhabitant and population"


def peer_comparison(data: AppData, region_code: str, peers: list[str]) -> pd.DataFrame:
    """Region vs peers vs EU for every scoreboard node (empty without a scoreboard)."""
    from observatory_lib.indicators.peers import compare_with_peers

    level = int(data.regions.loc[region_code, "nuts_level"])
    result = data.scoreboards.get(level)
    if result is None or region_code not in set(result.overall["region_code"]) or not peers:
        return pd.DataFrame()
    return compare_with_peers(result, region_code, peers)


def comparison_html(comparison: pd.DataFrame) -> str:
    """The index and dimensions: region, peers and EU scores (0-100) and the assessment."""
    if comparison.empty:
        return "<p>No scoreboard comparison for this region and these peers.</p>"
    rows = comparison[comparison["node_type"].isin(["index", "dimension"])]
    body = "".join(
        f"<tr><td>{escape(row.label)}</td>"
        f'<td class="num">{escape(map_styles.format_value(row.region_score))}</td>'
        f'<td class="num">{escape(map_styles.format_value(row.peer_average_score))}</td>'
        f'<td class="num">{escape(map_styles.format_value(row.eu_average_score))}</td>'
        f"<td>{escape(row.assessment)}</td></tr>"
        for row in rows.itertuples()
    )
    return (
        '<table class="observatory-comparison"><tr><th>Scoreboard (score 0-100)</th>'
        f"<th>Region</th><th>Peers</th><th>EU</th><th>vs peers</th></tr>{body}</table>"
    )


def comparison_chart_html(comparison: pd.DataFrame, region_code: str) -> str:
    """A bar chart of the dimensions (region, peers, EU) as an inline PNG image."""
    if comparison.empty:
        return ""
    from matplotlib.figure import Figure

    rows = comparison[comparison["node_type"].isin(["index", "dimension"])].iloc[::-1]
    series = {
        region_code: rows["region_score"],
        "peers": rows["peer_average_score"],
        "EU": rows["eu_average_score"],
    }
    figure = Figure(figsize=(6.2, 0.45 * len(rows) + 1.0), dpi=100)
    axes = figure.add_subplot()
    positions = np.arange(len(rows))
    for offset, (name, values) in zip((0.27, 0.0, -0.27), series.items(), strict=True):
        colour = CHART_COLOURS.get(name, CHART_COLOURS["region"])
        axes.barh(
            positions + offset, values.astype("float64"), height=0.26, label=name, color=colour
        )
    axes.set_yticks(positions, rows["label"].tolist(), fontsize=8)
    axes.set_xlim(0, 100)
    axes.set_xlabel("score (0-100)", fontsize=8)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<img class="observatory-chart" alt="Scoreboard dimensions of {escape(region_code)}, '
        f'its peers and the EU" src="data:image/png;base64,{encoded}">'
    )


def portfolio_table(data: AppData, region_code: str) -> pd.DataFrame:
    """The region's whole cluster portfolio (empty when it has no cluster data)."""
    from observatory_lib.indicators.panorama import region_portfolio

    if region_code not in set(data.rated["region_code"]):
        return pd.DataFrame()
    return region_portfolio(
        data.rated, region_code, data.regions.reset_index(drop=True), categories=data.categories
    )


def portfolio_html(portfolio: pd.DataFrame) -> str:
    """The leading categories of the portfolio as an HTML table."""
    if portfolio.empty:
        return "<p>No cluster data for this region.</p>"
    body = "".join(
        f"<tr><td>{escape(row.category_name)}</td><td>{escape(row.category_type)}</td>"
        f"<td>{stars_text(row.stars, row.stars_out_of)}</td>"
        f'<td class="num">{escape(map_styles.format_value(row.lq))}</td>'
        f'<td class="num">{escape(map_styles.format_value(row.employment_persons))}</td></tr>'
        for row in portfolio.head(PORTFOLIO_ROWS).itertuples()
    )
    return (
        '<table class="observatory-portfolio"><tr><th>Category</th><th>Type</th><th>Stars</th>'
        f"<th>LQ</th><th>Employment</th></tr>{body}</table>"
    )


def explorer_html(data: AppData, region_code: str, peers: list[str], how: str) -> str:
    """Everything the explorer shows for a region and its peers, as one HTML block."""
    region = data.regions.loc[region_code]
    portfolio = portfolio_table(data, region_code)
    comparison = peer_comparison(data, region_code, peers)
    peer_names = ", ".join(f"{data.region_name(code)} ({code})" for code in peers) or "none"
    sbs = sources_for(data, ["sbs_r_nuts06_r2"])
    downloads = [
        download_link_html(
            portfolio,
            f"{region_code}_cluster_portfolio.csv",
            f"Cluster portfolio of {region['region_name']} ({region_code})",
            sbs,
            "Cluster portfolio (CSV)",
        )
        if not portfolio.empty
        else "",
        download_link_html(
            comparison,
            f"{region_code}_scoreboard_vs_peers.csv",
            f"Scoreboard of {region['region_name']} ({region_code}) vs peers and EU",
            sources_for(data, set(data.context["dataset_code"])),
            "Scoreboard vs peers and EU (CSV)",
        )
        if not comparison.empty
        else "",
    ]
    return "".join(
        [
            f'<div class="observatory-panel observatory-explorer" '
            f'data-region-code="{escape(region_code)}">',
            f'<h3 class="observatory-panel-title">{escape(region["region_name"])} '
            f"({escape(region_code)})</h3>",
            f"<p>NUTS {int(region['nuts_level'])}, {escape(region['country_code'])}. "
            f'<a class="observatory-scorecard-link" href="{escape(scorecard_url(region_code))}" '
            'target="_blank">Scorecard in the portal</a></p>',
            f"<p>Peers ({escape(how)}): {escape(peer_names)}</p>",
            "<h4>Cluster portfolio</h4>",
            portfolio_html(portfolio),
            "<h4>Regional Ecosystem Scoreboard against peers and the EU</h4>",
            scoreboard_html(*scoreboard_summary(data, region_code)),
            comparison_html(comparison),
            comparison_chart_html(comparison, region_code),
            '<h4>Downloads</h4><p class="observatory-downloads">',
            " · ".join(link for link in downloads if link) or "No table to download.",
            "</p></div>",
        ]
    )


class RegionExplorer:
    """Pick a region (search by name or code) and peers; see its scorecard content."""

    def __init__(self, data: AppData, region_code: str, peers: list[str]):
        import ipywidgets as widgets

        self.data = data
        self.region_code = region_code
        self.search = widgets.Combobox(
            value=f"{data.region_name(region_code)} ({region_code})",
            options=explorer_options(data),
            placeholder="Type a region name or code",
            description="Region",
            ensure_option=False,
            layout=widgets.Layout(width="420px"),
        ).add_class("observatory-search")
        self.peers = widgets.TagsInput(value=peers, allow_duplicates=False).add_class(
            "observatory-peers"
        )
        self.default_button = widgets.Button(description="Default peers").add_class(
            "observatory-default-peers"
        )
        self.status = widgets.HTML().add_class("observatory-status")
        self.content = widgets.HTML().add_class("observatory-explorer-box")
        self.search.observe(self._on_search, names="value")
        self.peers.observe(self._on_peers, names="value")
        self.default_button.on_click(self._on_default_peers)
        self.show(region_code, peers)
        peer_row = widgets.HBox([widgets.Label("Peers"), self.peers, self.default_button])
        self.widget = widgets.VBox([self.search, peer_row, self.status, self.content]).add_class(
            "observatory-region-explorer"
        )

    def show(self, region_code: str, peers: list[str]) -> None:
        """Show a region with peers (``[]`` for the default peers)."""
        chosen, how = choose_peers(self.data, region_code, peers)
        self.region_code = region_code
        level = int(self.data.regions.loc[region_code, "nuts_level"])
        self.peers.allowed_tags = self.data.regions.index[
            self.data.regions["nuts_level"] == level
        ].tolist()
        self._set_quietly(self.peers, self._on_peers, list(chosen))
        self._set_quietly(
            self.search, self._on_search, f"{self.data.region_name(region_code)} ({region_code})"
        )
        self.content.value = explorer_html(self.data, region_code, chosen, how)
        self.status.value = ""

    @staticmethod
    def _set_quietly(control, handler, value) -> None:
        """Set a control's value without running its change handler."""
        control.unobserve(handler, names="value")
        try:
            control.value = value
        finally:
            control.observe(handler, names="value")

    def _guarded(self, action, *args) -> None:
        try:
            action(*args)
        except ObservatoryError as error:
            self.status.value = message_html(str(error))
        except Exception:  # the user sees one line, the log the traceback
            LOGGER.exception("region explorer callback failed")
            self.status.value = message_html(
                "Something went wrong; the details are in the server log."
            )

    def _on_search(self, change) -> None:
        text = str(change["new"])
        if text.endswith(")") or text.strip().upper() in self.data.regions.index:
            self._guarded(lambda: self.show(region_from_search(self.data, text), []))

    def _on_peers(self, change) -> None:
        self._guarded(self.show, self.region_code, parse_peers(list(change["new"])))

    def _on_default_peers(self, _button) -> None:
        self._guarded(self.show, self.region_code, [])


def prepare_region_explorer(data: AppData | AppMessage) -> RegionExplorer | None:
    """Build the explorer on the default region before any visitor arrives (preheated kernel)."""
    if isinstance(data, AppMessage):
        return None
    try:
        return RegionExplorer(data, region_from_search(data, EXPLORER_DEFAULTS["region_code"]), [])
    except ObservatoryError:
        return None  # e.g. a store without the default region: built on request instead


def region_explorer(
    data: AppData | AppMessage,
    params: Mapping[str, Any] | AppMessage,
    explorer: RegionExplorer | None = None,
):
    """The region explorer for the notebook to display, or a plain message.

    Args:
        data: from ``load_app_data``.
        params: from ``resolve_parameters`` (keys of ``EXPLORER_DEFAULTS``).
        explorer: widgets built ahead by ``prepare_region_explorer``; built here when None.
    """
    problem = _first_problem(data, params)
    if problem is not None:
        return _message_widget(problem.message)
    try:
        region_code = region_from_search(data, str(params.get("region_code", "")))
        peers = parse_peers(params.get("peers", ""))
        if explorer is None:
            return RegionExplorer(data, region_code, peers).widget
        if peers or region_code != explorer.region_code:
            explorer.show(region_code, peers)
        return explorer.widget
    except ObservatoryError as error:
        return _message_widget(str(error))


def provenance_html(data: AppData | AppMessage) -> str:
    """The data sources and attribution under an app."""
    if isinstance(data, AppMessage):
        return ""
    lines = "".join(f"<li>{escape(line)}</li>" for line in DEFAULT_ATTRIBUTION)
    return (
        '<div class="observatory-provenance"><p>Data: the observatory store, NUTS 2016, '
        f"star rule set {escape(data.star_preset)}.</p><ul>{lines}</ul></div>"
    )

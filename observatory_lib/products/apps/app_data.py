"""What the apps show, prepared once per kernel: every mappable value and the map geometry.

``load_app_data`` takes the rated clusters, the scoreboards and the context indicators from
the recipe layer (``indicators.recipes``) and puts them in one long table indexed for fast
look-ups; ``feature_collection`` builds each NUTS level's simplified GeoJSON once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observatory_lib.constants import DEFAULT_STAR_PRESET, STATISTICS_EDITION
from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators import recipes
from observatory_lib.products.apps.parameters import AppMessage
from observatory_lib.products.kit import map_styles

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
    # change over time and productivity (SBS 2008-2015)
    "employment_growth_pct": ("Employment growth per year (compound, 4 years)", "pct"),
    "wage_per_employee_eur": ("Wages and salaries per person employed", "eur"),
    "relative_wage_index": ("Wage per person employed, Europe = 100", "index_europe_100"),
    "persons_per_local_unit": ("Persons employed per local unit", "persons"),
}


OVERALL_CODE = "overall"
SCOREBOARD_UNIT = "index_eu_100"
VALUE_KEYS = ["theme", "indicator_code", "category_code", "nuts_level", "year"]
VALUE_COLUMNS = [*VALUE_KEYS, "region_code", "value", "unit", "flag", "status"]
MAP_LEVELS = (0, 1, 2, 3)
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
        store: a loaded ``Store``; default ``recipes.current_store()``.
        star_preset: star rule set for the cluster ratings.
        preload_levels: NUTS levels whose map geometry to prepare now (in a preheated Voila
            kernel this happens before any visitor arrives).

    Returns:
        The ``AppData``, or an ``AppMessage`` naming the problem (e.g. no store built yet).
    """
    try:
        data = build_app_data(store or recipes.current_store(), star_preset=star_preset)
        for level in preload_levels:
            feature_collection(data, int(level))
        return data
    except ObservatoryError as error:
        return AppMessage(str(error))


def build_app_data(store, *, star_preset: str = DEFAULT_STAR_PRESET) -> AppData:
    """Collect the rated clusters, scoreboards and context values of every level."""
    framework = recipes.framework()
    rated = rate_clusters(store, star_preset)
    scoreboards = compute_scoreboards(store, star_preset)
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
        regions=recipes.statistics_regions(store),
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


def rate_clusters(store, star_preset: str) -> pd.DataFrame:
    """The recipe layer's rated clusters of every NUTS level with cluster data, stacked."""
    frames = [
        recipes.rated_clusters(store, level, star_preset) for level in recipes.cluster_levels(store)
    ]
    return pd.concat(frames, ignore_index=True)


def compute_scoreboards(store, star_preset: str = DEFAULT_STAR_PRESET) -> dict:
    """The recipe layer's scoreboard at each NUTS level where it can be computed."""
    results = {}
    for level in (0, 1, 2):
        try:
            results[level] = recipes.scoreboard(store, level, star_preset=star_preset)
        except ObservatoryError:
            continue  # e.g. no indicator of the framework at this level
    return results


def _cluster_flag(rated: pd.DataFrame) -> pd.Series:
    """Eurostat-style flag of a cluster cell: ``c`` when confidential cells went into it, else
    the series-break letters of the cell (``b`` break, ``d`` definition differs)."""
    involved = rated["has_confidential_cells"].fillna(False).astype(bool)
    breaks = (
        rated["flag"].fillna("").astype("str").str.replace(r"[^bd]", "", regex=True)
        if "flag" in rated.columns
        else pd.Series("", index=rated.index)
    )
    flag = np.where(involved, "c", np.where(breaks.ne(""), breaks, None))
    return pd.Series(flag, index=rated.index, dtype="str")


def cluster_values(rated: pd.DataFrame) -> pd.DataFrame:
    """The cluster measures as mappable values (traded and emerging categories).

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


def build_feature_collection(
    geometries, regions: pd.DataFrame, level: int, tolerance: float | None = None
) -> dict:
    """The NUTS 2016 regions of one level as a GeoJSON FeatureCollection for the map.

    Geometry is simplified (``data.nuts.simplify_geometries``, borders kept shared) and
    rounded to ``COORDINATE_PRECISION`` degrees; each feature has ``id`` = region code and
    ``region_code``/``region_name`` properties. Regions without geometry are left out.
    """
    from observatory_lib.data.nuts import simplify_geometries

    selected = geometries.loc[
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

"""The portal's machine-readable downloads: Parquet tables and a GeoJSON map layer.

``cluster_indicators.parquet`` (every region x category x year with stars, the default rule
set), ``cluster_indicators_long.parquet`` (the same as a long panel: region, category, year,
indicator, value, unit, flag), over the change window ``cluster_shift_share_<window>``,
``cluster_star_transitions_<window>`` and ``cluster_category_trends_<window>`` (Parquet;
``<window>`` e.g. ``2011-2015``), ``scoreboard_overall_scores.parquet`` (with rank
intervals), ``scoreboard_dimension_scores.parquet`` and
``regions_nuts<level>_<edition>.geojson``: simplified polygons carrying the headline numbers
(starred traded clusters, the scoreboard index relative to the EU), missing where unknown.
Every number comes from the recipe layer, so it equals what the Panorama, the scoreboard report
and the scorecards publish. Each file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from observatory_lib import paths
from observatory_lib.constants import (
    DEFAULT_CHANGE_WINDOW,
    DEFAULT_STAR_PRESET,
    DEFAULT_YEAR,
    STATISTICS_EDITION,
)
from observatory_lib.files import atomic_path, write_text_atomic
from observatory_lib.indicators import change_recipes, recipes
from observatory_lib.products.kit.links import DOWNLOADS_DIR

GEOJSON_TOLERANCE = 0.02  # degrees; the layer is for overview maps, not for measuring

_WINDOW = f"{DEFAULT_CHANGE_WINDOW[0]}-{DEFAULT_CHANGE_WINDOW[1]}"
# One-line titles of the files, which carry none of their own (the CSVs do), by file stem.
TITLES = {
    "cluster_indicators_long": (
        "Cluster indicators of every region, category and year as a long panel (one row per "
        f"indicator, with unit and Eurostat flag), NUTS 2, NUTS {STATISTICS_EDITION}"
    ),
    f"cluster_shift_share_{_WINDOW}": (
        f"Shift-share of every regional cluster's employment change, {_WINDOW}, NUTS 2 "
        "(European growth, category mix, regional component)"
    ),
    f"cluster_star_transitions_{_WINDOW}": (
        f"Stars gained, lost or kept by every regional cluster, {_WINDOW}, NUTS 2, star rule "
        f"set {DEFAULT_STAR_PRESET}"
    ),
    f"cluster_category_trends_{_WINDOW}": (
        f"European employment and wages of every category per year on constant regions, "
        f"{_WINDOW}, NUTS 2"
    ),
    "cluster_indicators": (
        f"Cluster indicators and stars of every region and category, NUTS 2, all years, "
        f"star rule set {DEFAULT_STAR_PRESET}"
    ),
    "scoreboard_overall_scores": (
        "Regional Ecosystem Scoreboard: overall index, ranks and rank intervals, NUTS 2"
    ),
    "scoreboard_dimension_scores": "Regional Ecosystem Scoreboard: dimension scores, NUTS 2",
    f"regions_nuts2_{STATISTICS_EDITION}": (
        f"Map layer: NUTS 2 regions (NUTS {STATISTICS_EDITION}) with their starred traded "
        f"clusters ({DEFAULT_YEAR}) and scoreboard index"
    ),
}


def _write_parquet(frame: pd.DataFrame, target: Path) -> Path:
    with atomic_path(target) as temporary:
        frame.to_parquet(temporary, index=False)
    return target


def _write_change_tables(store, folder: Path, level: int, year: int) -> list[Path]:
    """Shift-share, star transitions and category trends over the window ending in ``year``
    (none in the first year with data)."""
    window = change_recipes.window_ending(store, year)
    if window is None:
        return []
    span = f"{window[0]}-{window[1]}"
    tables = {
        "cluster_shift_share": change_recipes.shift_share(store, level, window),
        "cluster_star_transitions": change_recipes.star_transitions(
            store, level, DEFAULT_STAR_PRESET, window
        ),
        "cluster_category_trends": change_recipes.category_trends(store, level, window),
    }
    return [
        _write_parquet(frame, folder / f"{name}_{span}.parquet") for name, frame in tables.items()
    ]


def write_portal_downloads(
    store, output_root: Path | None = None, level: int = 2, year: int = DEFAULT_YEAR
) -> list[Path]:
    """Write the Parquet tables and the GeoJSON layer under ``<outputs>/downloads/``.

    Returns:
        The written paths.
    """
    from observatory_lib.data.nuts import simplify_geometries

    folder = Path(output_root or paths.output_dir()) / DOWNLOADS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    rated = recipes.rated_clusters(store, level, DEFAULT_STAR_PRESET)
    board = recipes.scoreboard_tables(store, level)
    written = [
        _write_parquet(pd.DataFrame(rated), folder / "cluster_indicators.parquet"),
        _write_parquet(
            change_recipes.change_panel(store, level, DEFAULT_STAR_PRESET),
            folder / "cluster_indicators_long.parquet",
        ),
        _write_parquet(board.dimension_scores, folder / "scoreboard_dimension_scores.parquet"),
        _write_parquet(board.overall, folder / "scoreboard_overall_scores.parquet"),
        *_write_change_tables(store, folder, level, year),
    ]
    starred = recipes.panorama_summary(store, level, DEFAULT_STAR_PRESET, year=year).by_region
    headline = (
        starred[["region_code", "n_starred_clusters"]]
        .rename(columns={"n_starred_clusters": "n_starred_traded_clusters"})
        .merge(board.overall[["region_code", "relative_to_eu"]], on="region_code", how="outer")
    )
    shapes = simplify_geometries(recipes.geometries(store, level), GEOJSON_TOLERANCE)
    names = recipes.statistics_regions(store)[["region_code", "region_name", "country_code"]]
    layer = (
        shapes[["region_code", "geometry"]]
        .merge(names.reset_index(drop=True), on="region_code", how="left")
        .merge(headline, on="region_code", how="left")
    )
    target = folder / f"regions_nuts{level}_{STATISTICS_EDITION}.geojson"
    write_text_atomic(target, layer.to_json(na="null", drop_id=True))
    return [*written, target]

"""The portal's machine-readable downloads: Parquet tables and a GeoJSON map layer.

``cluster_indicators.parquet`` (every region x category with stars, the default rule set),
``scoreboard_overall_scores.parquet`` (with rank intervals), ``scoreboard_dimension_scores.parquet``
and ``regions_nuts<level>_<edition>.geojson``: simplified polygons carrying the headline numbers
(starred traded clusters, the scoreboard index relative to the EU), missing where unknown.
Every number comes from the recipe layer, so it equals what the Panorama, the scoreboard report
and the scorecards publish. Each file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from observatory_lib import paths
from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR, STATISTICS_EDITION
from observatory_lib.files import atomic_path, write_text_atomic
from observatory_lib.indicators import recipes
from observatory_lib.products.kit.links import DOWNLOADS_DIR

GEOJSON_TOLERANCE = 0.02  # degrees; the layer is for overview maps, not for measuring

# One-line titles of the files, which carry none of their own (the CSVs do), by file stem.
TITLES = {
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
        _write_parquet(board.dimension_scores, folder / "scoreboard_dimension_scores.parquet"),
        _write_parquet(board.overall, folder / "scoreboard_overall_scores.parquet"),
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

"""NUTS regions: GISCO geometries, the ``regions`` table, region-code checks, simplification.

The ``regions`` and ``geometries`` tables hold every edition the workbook draws (2013, 2016,
2021, 2024); the statistics are shown in one of them (``constants.STATISTICS_EDITION``). How a
source code reaches that edition (the JRC converter matrices, NUTS 2010 renames) is
``observatory_lib.data.editions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.errors import ConfigError, DataSourceError, unknown_code

EDITIONS = (2013, 2016, 2021, 2024)
LABEL_EDITION = 2021
CRS = "EPSG:4326"

GEOMETRY_COLUMNS = [
    "region_code",
    "nuts_level",
    "country_code",
    "region_name",
    "region_name_local",
    "nuts_edition",
    "geometry",
]
REGION_COLUMNS = [
    "region_code",
    "region_name",
    "region_name_local",
    "nuts_level",
    "country_code",
    "parent_code",
    "nuts_edition",
    "label_lon",
    "label_lat",
    "is_aggregate",
]

GISCO_PROPERTIES = ("NUTS_ID", "LEVL_CODE", "CNTR_CODE", "NUTS_NAME")

NUTS_CODE = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")
FORMAT_HINT = (
    "A NUTS code is the two-letter country code followed by one letter or digit per level, "
    "e.g. DE (level 0), DE1 (level 1), DE11 (level 2), DE111 (level 3)."
)


# --- reading GISCO files ----------------------------------------------------------------------


def _check_edition(edition: int) -> int:
    if edition not in EDITIONS:
        raise unknown_code("NUTS edition", str(edition), [str(e) for e in EDITIONS])
    return int(edition)


def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise DataSourceError(
            f"NUTS file {path} does not exist. Fix: pass the path the retrieval layer returns "
            "for this source (data/catalog.yaml)."
        )
    # GDAL reads gzip only through its virtual file system.
    source = f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)
    try:
        return gpd.read_file(source)
    except Exception as error:
        raise DataSourceError(
            f"Cannot read NUTS file {path} ({type(error).__name__}: {error}). Fix: fetch it "
            "again; it should be a GISCO GeoJSON FeatureCollection (optionally gzipped)."
        ) from error


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], source: object) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataSourceError(
            f"{source} lacks the columns {missing} (has {list(frame.columns)}). Fix: use the "
            "original file named in data/catalog.yaml."
        )


def _clean_text(values: pd.Series) -> pd.Series:
    text = values.astype("str").str.strip()
    return text.where(text.ne("") & values.notna())


def read_nuts_geometries(path: str | Path, edition: int) -> gpd.GeoDataFrame:
    """Read one GISCO NUTS GeoJSON file (polygons or label points, plain or ``.gz``).

    Args:
        path: a GISCO ``NUTS_RG_*`` or ``NUTS_LB_*`` GeoJSON file.
        edition: the NUTS edition of the file (2016, 2021, 2024).

    Returns:
        ``region_code, nuts_level, country_code, region_name, region_name_local, nuts_edition,
        geometry`` in EPSG:4326. ``region_name`` is the Latin-script ``NAME_LATN`` where the file
        has it, else ``NUTS_NAME``; ``region_name_local`` is ``NUTS_NAME``.
    """
    edition = _check_edition(edition)
    raw = _read_geojson(Path(path))
    _require_columns(raw, GISCO_PROPERTIES, path)
    if raw.empty:
        raise DataSourceError(f"NUTS file {path} has no features. Fix: fetch it again.")
    local = _clean_text(raw["NUTS_NAME"])
    latin = _clean_text(raw["NAME_LATN"]) if "NAME_LATN" in raw.columns else local
    frame = gpd.GeoDataFrame(
        {
            "region_code": _clean_text(raw["NUTS_ID"]).str.upper(),
            "nuts_level": raw["LEVL_CODE"].astype("int64"),
            "country_code": _clean_text(raw["CNTR_CODE"]).str.upper(),
            "region_name": latin.fillna(local),
            "region_name_local": local,
            "nuts_edition": np.int64(edition),
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs or CRS,
    )
    return frame.to_crs(CRS)


# --- the regions table ----------------------------------------------------------------------


def _concat_geometries(frames: pd.DataFrame | Iterable[pd.DataFrame]) -> gpd.GeoDataFrame:
    """One GeoDataFrame with a fresh index from one frame or an iterable of frames."""
    parts = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    if not parts:
        raise DataSourceError("No NUTS geometries were given. Fix: pass the GISCO files.")
    combined = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry")
    return combined.set_crs(CRS) if combined.crs is None else combined.to_crs(CRS)


def _read_latin_names(names_csv: str | Path) -> pd.DataFrame:
    try:
        names = pd.read_csv(names_csv, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as error:
        raise DataSourceError(
            f"Cannot read the NUTS names table {names_csv} ({error}). Fix: fetch "
            "nuts/nuts_region_names.csv again."
        ) from error
    _require_columns(names, ("nuts_version", "NUTS_ID", "NAME_LATN"), names_csv)
    latin = pd.DataFrame(
        {
            "names_edition": pd.to_numeric(names["nuts_version"], errors="coerce"),
            "region_code": names["NUTS_ID"].str.strip().str.upper(),
            "latin_name": _clean_text(names["NAME_LATN"]),
        }
    )
    return latin.dropna()


def _fill_latin_names(regions: pd.DataFrame, latin: pd.DataFrame) -> pd.Series:
    """Latin names for regions whose file had none (NUTS 2016), from the nearest edition."""
    candidates = regions[["region_code", "nuts_edition"]].reset_index().merge(latin, how="inner")
    distance = (candidates["names_edition"] - candidates["nuts_edition"]).abs()
    # Nearest edition first; on a tie the later edition, whose names are the current ones.
    candidates = candidates.assign(distance=distance).sort_values(
        ["distance", "names_edition"], ascending=[True, False]
    )
    best = candidates.drop_duplicates("index").set_index("index")["latin_name"]
    has_no_latin = regions["region_name"].eq(regions["region_name_local"])
    fill = best.reindex(regions.index)
    return regions["region_name"].where(~has_no_latin | fill.isna(), fill)


def _label_points(label_frames: Iterable) -> pd.DataFrame:
    parts = [
        read_nuts_geometries(part, LABEL_EDITION) if isinstance(part, str | Path) else part
        for part in label_frames
    ]
    if not parts:
        return pd.DataFrame({"region_code": [], "label_x": [], "label_y": []}).astype(
            {"region_code": "str"}
        )
    labels = _concat_geometries(parts)
    points = labels.geometry.representative_point()
    table = pd.DataFrame(
        {"region_code": labels["region_code"].to_numpy(), "label_x": points.x, "label_y": points.y}
    )
    return table.drop_duplicates("region_code")


def _parent_codes(geometries: gpd.GeoDataFrame, points: gpd.GeoSeries) -> pd.Series:
    """Each region's parent: its code minus the last character, the NUTS rule.

    Where that region does not exist (NUTS 2016 numbers UKN10-UKN16 under UKN0), the parent is
    the region one level up that contains the child's representative point.
    """
    codes, level, edition = (geometries[c] for c in ("region_code", "nuts_level", "nuts_edition"))
    parent = codes.str[:-1].where(level > 0)
    known = pd.MultiIndex.from_arrays([codes, edition])
    orphan = parent.notna() & ~pd.MultiIndex.from_arrays([parent, edition]).isin(known)
    if not orphan.any():
        return parent
    children = gpd.GeoDataFrame(
        {"child_level": level[orphan] - 1, "nuts_edition": edition[orphan]},
        geometry=points[orphan],
        crs=CRS,
    )
    upper = geometries[["region_code", "nuts_level", "nuts_edition", "geometry"]]
    found = children.sjoin(upper, predicate="within", how="inner")
    found = found[
        (found["nuts_level"] == found["child_level"])
        & (found["nuts_edition_left"] == found["nuts_edition_right"])
    ]
    containing = found[~found.index.duplicated()]["region_code"]
    return parent.where(~orphan, containing.reindex(parent.index).fillna(parent))


def build_regions_table(
    geometry_frames: pd.DataFrame | Iterable[pd.DataFrame],
    label_frames: Iterable[pd.DataFrame | str | Path],
    names_csv: str | Path,
) -> pd.DataFrame:
    """Build the store's ``regions`` table for every edition given.

    Args:
        geometry_frames: the output of ``read_nuts_geometries``, one frame or an iterable of them
            (any mix of editions and levels).
        label_frames: the NUTS 2021 label points (``NUTS_LB_2021``), as frames or file paths
            (an empty iterable puts every label at a point inside the region's polygon).
        names_csv: ``nuts/nuts_region_names.csv``; it supplies Latin-script names for NUTS 2016,
            whose files lack ``NAME_LATN`` (taken from the nearest edition with the same code).

    Returns:
        One row per region and edition with the ``regions`` columns of docs/CONVENTIONS.md.
        ``parent_code`` is the code minus its last character (the NUTS rule; see
        ``_parent_codes`` for the few codes that break it). ``label_lon``/``label_lat`` are the
        2021 label point where the code exists in NUTS 2021, else a representative point of the
        region's own polygon. ``is_aggregate`` is False.
    """
    geometries = _concat_geometries(geometry_frames)
    _require_columns(geometries, GEOMETRY_COLUMNS, "The NUTS geometries")
    duplicated = geometries.duplicated(["region_code", "nuts_edition"])
    if duplicated.any():
        examples = geometries.loc[duplicated, "region_code"].head(5).tolist()
        raise DataSourceError(
            f"NUTS regions appear twice in one edition ({examples}). Fix: pass each GISCO file "
            "once."
        )
    regions = pd.DataFrame(geometries.drop(columns="geometry"))
    regions["region_name"] = _fill_latin_names(regions, _read_latin_names(names_csv))
    own_point = geometries.geometry.representative_point()
    labels = regions[["region_code"]].merge(_label_points(label_frames), how="left")
    regions = regions.assign(
        parent_code=_parent_codes(geometries, own_point),
        label_lon=labels["label_x"].fillna(pd.Series(own_point.x, index=regions.index)),
        label_lat=labels["label_y"].fillna(pd.Series(own_point.y, index=regions.index)),
        is_aggregate=False,
    )
    regions = regions[REGION_COLUMNS].sort_values(["nuts_edition", "nuts_level", "region_code"])
    return regions.reset_index(drop=True)


# --- checking codes and simplifying -----------------------------------------------------------


def _where_else(code: str, regions: pd.DataFrame) -> str:
    found = regions[regions["region_code"] == code]
    if found.empty:
        return ""
    places = ", ".join(
        f"NUTS {edition} level {level}"
        for edition, level in sorted(
            set(zip(found["nuts_edition"], found["nuts_level"], strict=True))
        )
    )
    return f"{code} exists in {places}; pass that edition and level."


# Letters typed for look-alike digits: DE1l means DE11, AT1O means AT10.
LOOK_ALIKES = str.maketrans({"L": "1", "I": "1", "O": "0"})


def _suggestions(code: str, pool: pd.DataFrame) -> pd.Series:
    """The codes to suggest for a well-formed unknown code, most plausible first.

    A look-alike fix (``DE1L`` -> ``DE11``) wins outright; otherwise codes of the same level
    sharing the longest prefix, since a typo rarely changes the length or the country.
    """
    codes = pool["region_code"]
    fixed = code[:2] + code[2:].translate(LOOK_ALIKES)
    if fixed != code and codes.eq(fixed).any():
        return pd.Series([fixed])
    same_level = codes[codes.str.len() == len(code)]
    for length in range(len(code) - 1, 1, -1):
        sharing = same_level[same_level.str.startswith(code[:length])]
        if not sharing.empty:
            return sharing
    return same_level if not same_level.empty else codes


def check_region_code(
    code: str, regions: pd.DataFrame, edition: int = STATISTICS_EDITION, level: int | None = None
) -> str:
    """Return the normalised NUTS code (``' de11 '`` -> ``'DE11'``) if it exists, else raise.

    Args:
        code: the code a user typed.
        regions: the ``regions`` table (``region_code``, ``nuts_edition``, ``nuts_level``).
        edition: the NUTS edition the code must belong to.
        level: the NUTS level it must have, or None for any level.

    Raises:
        UnknownCodeError: naming the nearest valid codes, what a NUTS code looks like when the
            code is malformed, and the edition or level where the code does exist.
    """
    pool = regions[regions["nuts_edition"] == edition]
    if level is not None:
        pool = pool[pool["nuts_level"] == level]
    normalised = str(code).strip().upper() if code is not None else ""
    if not NUTS_CODE.fullmatch(normalised):
        raise unknown_code("NUTS region", str(code), pool["region_code"], hint=FORMAT_HINT)
    if normalised in set(pool["region_code"]):
        return normalised
    scope = f"NUTS {edition}" + (f" level {level}" if level is not None else "")
    hint = _where_else(normalised, regions) or f"It is not a {scope} code."
    raise unknown_code("NUTS region", normalised, _suggestions(normalised, pool), hint=hint)


def _simplify_group(geometries: np.ndarray, tolerance: float) -> np.ndarray:
    # Coverage simplification keeps shared borders identical (no gaps or slivers between
    # neighbours); it needs a clean coverage, which each GISCO level is.
    if shapely.coverage_is_valid(geometries):
        return shapely.coverage_simplify(geometries, tolerance)
    return shapely.simplify(geometries, tolerance, preserve_topology=True)


def simplify_geometries(
    gdf: gpd.GeoDataFrame, tolerance: float, precision: float | None = None
) -> gpd.GeoDataFrame:
    """Simplify polygons for web maps, keeping shared borders shared where possible.

    Each edition x level x aggregate group is simplified as a coverage (borders shared by two
    regions stay identical) when it is a valid coverage, else region by region with
    topology-preserving Douglas-Peucker. Measured on NUTS 2016 level 2 (``region_code`` and
    geometry as GeoJSON): 0.34 MB unsimplified, 0.33 MB at tolerance 0.02, 0.27 MB with
    ``precision=0.001`` added, 0.20 MB at tolerance 0.1 with that precision.

    Args:
        gdf: polygons in EPSG:4326 (e.g. from ``read_nuts_geometries``).
        tolerance: simplification tolerance in degrees (0 leaves the shapes as they are).
        precision: optional grid size in degrees to round coordinates to (0.001 is about 100 m).

    Returns:
        A copy of ``gdf`` with simplified geometries.
    """
    if tolerance < 0 or (precision is not None and precision <= 0):
        raise ConfigError(
            f"Simplification needs tolerance >= 0 and precision > 0 (got {tolerance}, "
            f"{precision}). Fix: pass e.g. tolerance=0.02, precision=0.001."
        )
    by = [c for c in ("nuts_edition", "nuts_level", "is_aggregate") if c in gdf.columns]
    simplified = gdf.geometry.to_numpy().copy()
    groups = (
        gdf.groupby(by, sort=False, dropna=False).indices.values() if by else [np.arange(len(gdf))]
    )
    for positions in groups:
        simplified[positions] = _simplify_group(simplified[positions], tolerance)
    if precision is not None:
        simplified = shapely.set_precision(simplified, precision)
    return gdf.set_geometry(gpd.GeoSeries(simplified, index=gdf.index, crs=gdf.crs))

"""NUTS regions: GISCO geometries, the ``regions`` table, NUTS 2013 -> 2016 recoding, code checks.

The statistics are harmonised to NUTS 2016 (see docs/CONVENTIONS.md). Eurostat files of the
2015-2017 vintages use NUTS 2013 codes, mixed with some older ones; later vintages use NUTS 2016
codes with a few older ones left in. ``build_recoding_table`` classifies every code seen and
``recode_to_2016`` applies it with one merge:

* ``same``: the code is valid in NUTS 2016.
* ``recode``: the same territory under a new code (all of France, five Polish regions, SI01/SI02,
  whose note "check Eurostat notes for boundary details" is kept in ``recode_note``).
* ``split``: the NUTS 2013 region is the union of its 2016 successors (PL12, HU10, LT00). The
  data stay under the 2013 code and ``build_aggregate_regions`` gives the 2016 map a dissolved
  polygon for it.
* ``boundary change``: no 1:1 mapping (IE01/IE02, UKM2/UKM3). The data stay under the 2013 code
  and do not land on the 2016 map: no polygon on that map has their boundaries.
* ``extra-regio``: ``xxZ``/``xxZZ``/``xxZZZ`` codes; they have no territory to map.
* ``no 2016 equivalent``: NUTS 2013 codes above or below a changed region (FR2 ... FRA, PL1, PL3)
  that NUTS 2016 reorganised; they are not guessed.
* ``non-NUTS aggregate``: EU/euro-area aggregates such as EU28 or EA19.
* ``historical``: any other code not valid in 2016, in practice pre-2013 codes (DE41, EL11, ITD1,
  UKI1) that old Eurostat files still list, with no data.

The recoding table has one row per source code and 2016 code: a split or boundary-change code has
one row per 2016 successor (``region_code``); codes without a 2016 counterpart have one row with
``region_code`` missing.
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
SOURCE_EDITION = 2013
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
RECODING_COLUMNS = [
    "region_code_source",
    "nuts_edition_source",
    "region_code",
    "nuts_edition",
    "nuts_level",
    "recode_relation",
    "recode_note",
    "region_name_source",
]
AGGREGATE_COLUMNS = [*GEOMETRY_COLUMNS[:-1], "parent_code", "label_lon", "label_lat"]
AGGREGATE_COLUMNS += ["is_aggregate", "geometry"]

GISCO_PROPERTIES = ("NUTS_ID", "LEVL_CODE", "CNTR_CODE", "NUTS_NAME")
CHANGES_COLUMNS = ("nuts2013", "name2013", "nuts2016", "name2016", "relation")
CHANGE_RELATIONS = ("recode", "split", "boundary change")
# Relations whose data keep the source code instead of moving to the 2016 code.
KEEPS_SOURCE_CODE = ("split", "boundary change")

NUTS_CODE = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")
EXTRA_REGIO = r"[A-Z]{2}Z{1,3}"
NON_NUTS_AGGREGATE = r"(EU|EA|EEA|EFTA)\d.*|.*_.*"
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


# --- NUTS 2013 -> 2016 recoding -------------------------------------------------------------


def read_nuts2013_changes(path: str | Path) -> pd.DataFrame:
    """Read ``nuts/nuts2_2013_to_2016_changes.csv`` (NUTS-2 codes changed between 2013 and 2016).

    Returns:
        ``region_code_source, region_name_source, region_code, region_name, recode_relation,
        recode_note``: one row per 2013 code and 2016 code. The relation's parenthesised remark
        ("check Eurostat notes for boundary details", "no 1:1 mapping") goes to ``recode_note``.
    """
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as error:
        raise DataSourceError(
            f"Cannot read the NUTS 2013 changes file {path} ({error}). Fix: fetch "
            "nuts/nuts2_2013_to_2016_changes.csv again."
        ) from error
    _require_columns(raw, CHANGES_COLUMNS, path)
    parsed = (
        raw["relation"].str.strip().str.extract(r"^(?P<relation>[^()]+?)\s*(?:\((?P<note>.*)\))?$")
    )
    changes = pd.DataFrame(
        {
            "region_code_source": raw["nuts2013"].str.strip().str.upper(),
            "region_name_source": _clean_text(raw["name2013"]),
            "region_code": raw["nuts2016"].str.strip().str.upper(),
            "region_name": _clean_text(raw["name2016"]),
            "recode_relation": parsed["relation"],
            "recode_note": _clean_text(parsed["note"]),
        }
    )
    _check_changes(changes, path)
    return changes


def _check_changes(changes: pd.DataFrame, path: object) -> None:
    unknown = sorted(set(changes["recode_relation"].dropna()) - set(CHANGE_RELATIONS))
    if unknown or changes["recode_relation"].isna().any():
        raise DataSourceError(
            f"{path} has relations {unknown or ['(blank)']} besides {list(CHANGE_RELATIONS)}. "
            "Fix: correct the relation column."
        )
    targets = changes.groupby("region_code_source")["region_code"].nunique()
    relation = changes.drop_duplicates("region_code_source").set_index("region_code_source")
    relation = relation["recode_relation"].reindex(targets.index)
    bad = targets[(relation.eq("recode") & targets.ne(1)) | (relation.eq("split") & targets.lt(2))]
    if not bad.empty:
        raise DataSourceError(
            f"{path}: a recode needs exactly one 2016 code and a split at least two; "
            f"{bad.index.tolist()} break this. Fix: correct those rows."
        )


def _normalise_codes(codes: pd.Series) -> pd.Series:
    text = codes.astype("str").str.strip().str.upper()
    return text.where(codes.notna() & text.ne(""))


def _valid_2016_codes(regions_2016: pd.DataFrame) -> set[str]:
    regions = regions_2016
    if "nuts_edition" in regions.columns:
        regions = regions[regions["nuts_edition"] == STATISTICS_EDITION]
    if "is_aggregate" in regions.columns:
        regions = regions[~regions["is_aggregate"].astype(bool)]
    return set(regions["region_code"])


def _near_changed_codes(changes: pd.DataFrame) -> tuple[set[str], set[str]]:
    """The parents (FR2, PL1) and the changed NUTS-2 codes (FR21) of the 2013 changes."""
    changed = set(changes["region_code_source"])
    parents = {code[:-1] for code in changed}
    return parents, changed


def _classify_unchanged(codes: pd.Series, valid: set[str], changes: pd.DataFrame) -> pd.Series:
    parents, changed = _near_changed_codes(changes)
    conditions = [
        codes.isin(valid),
        codes.str.fullmatch(EXTRA_REGIO),
        codes.str.fullmatch(NON_NUTS_AGGREGATE),
        codes.isin(parents) | codes.str[:4].isin(changed),
    ]
    choices = ["same", "extra-regio", "non-NUTS aggregate", "no 2016 equivalent"]
    return pd.Series(np.select(conditions, choices, "historical"), index=codes.index, dtype="str")


def _level_of(codes: pd.Series, relation: pd.Series) -> pd.Series:
    level = (codes.str.len() - 2).astype("Int64")
    return level.where(relation.ne("non-NUTS aggregate"))


def build_recoding_table(
    changes: pd.DataFrame,
    regions_2016: pd.DataFrame,
    codes_seen: Iterable[str],
    source_edition: int = SOURCE_EDITION,
) -> pd.DataFrame:
    """Classify every region code seen in the statistics against NUTS 2016.

    Args:
        changes: the output of ``read_nuts2013_changes``; all its rows are kept, seen or not.
        regions_2016: the NUTS 2016 regions (``region_code``; rows of other editions and
            aggregate regions are ignored).
        codes_seen: the region codes of the statistics, as the sources give them.
        source_edition: the NUTS edition of the sources, recorded in ``nuts_edition_source``.

    Returns:
        The store's ``nuts_recoding`` table plus ``recode_note`` and ``region_name_source``, one
        row per source code and 2016 code (see the module docstring for the relations).
    """
    codes = _normalise_codes(pd.Series(list(codes_seen), dtype="object")).dropna()
    unchanged = pd.Series(sorted(set(codes) - set(changes["region_code_source"])), dtype="str")
    relation = _classify_unchanged(unchanged, _valid_2016_codes(regions_2016), changes)
    keeps_code = relation.isin(["same", "extra-regio"])
    others = pd.DataFrame(
        {
            "region_code_source": unchanged,
            "region_code": unchanged.where(keeps_code),
            "recode_relation": relation,
        }
    )
    changed = changes[["region_code_source", "region_code", "recode_relation", "recode_note"]]
    changed = changed.assign(region_name_source=changes["region_name_source"])
    table = pd.concat([changed, others], ignore_index=True)
    has_target = table["region_code"].notna()
    table = table.assign(
        nuts_edition_source=np.int64(source_edition),
        nuts_edition=pd.Series(STATISTICS_EDITION, index=table.index, dtype="Int64").where(
            has_target
        ),
        nuts_level=_level_of(table["region_code_source"], table["recode_relation"]),
    )
    table = table.reindex(columns=RECODING_COLUMNS).astype(
        {"recode_note": "str", "region_name_source": "str"}
    )
    return table.sort_values(["region_code_source", "region_code"]).reset_index(drop=True)


def _codes_for_data(recoding: pd.DataFrame) -> pd.DataFrame:
    """One row per source code: where its data go (the 2016 code, or the source code kept)."""
    _require_columns(recoding, ("region_code_source", "region_code", "recode_relation"), "recoding")
    moves = recoding["recode_relation"].isin(["same", "recode"]) & recoding["region_code"].notna()
    lookup = recoding.assign(
        data_code=recoding["region_code"].where(moves, recoding["region_code_source"])
    )
    return lookup[["region_code_source", "data_code", "recode_relation"]].drop_duplicates(
        "region_code_source"
    )


def recode_to_2016(
    frame: pd.DataFrame, recoding: pd.DataFrame, code_column: str = "region_code"
) -> pd.DataFrame:
    """Move a statistics frame to NUTS 2016 codes with one merge on the recoding table.

    Works on NUTS 2013 frames and on frames that already use NUTS 2016 codes with a few older
    ones mixed in (codes valid in 2016 are ``same``).

    Args:
        frame: long table with the source's region codes in ``code_column``.
        recoding: the output of ``build_recoding_table`` covering every code of the frame.
        code_column: the column holding the region codes.

    Returns:
        The frame with ``code_column`` holding the NUTS 2016 code (the source code for
        ``split``, ``boundary change`` and the codes with no 2016 counterpart), plus
        ``region_code_source`` (the code as given) and ``recode_relation``.
    """
    _require_columns(frame, (code_column,), "The frame to recode")
    key = "region_code_source" if "region_code_source" in frame.columns else code_column
    source_codes = _normalise_codes(frame[key])
    if source_codes.isna().any():
        raise DataSourceError(
            f"{int(source_codes.isna().sum())} rows have no region code in {key!r}. Fix: drop "
            "or repair those rows before recoding."
        )
    lookup = _codes_for_data(recoding)
    unknown = sorted(set(source_codes) - set(lookup["region_code_source"]))
    if unknown:
        raise DataSourceError(
            f"The recoding table lacks the region codes {unknown[:10]}"
            f"{' ...' if len(unknown) > 10 else ''}. Fix: include them in codes_seen when "
            "calling build_recoding_table."
        )
    base = frame.drop(columns=["region_code_source", "recode_relation"], errors="ignore")
    merged = base.assign(region_code_source=source_codes.to_numpy()).merge(
        lookup, on="region_code_source", how="left", validate="many_to_one"
    )
    merged[code_column] = merged["data_code"]
    return merged.drop(columns="data_code")


def build_aggregate_regions(
    geometries_2016: gpd.GeoDataFrame, recoding: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Dissolve the successors of each ``split`` code into one polygon on the NUTS 2016 map.

    Args:
        geometries_2016: NUTS 2016 polygons from ``read_nuts_geometries`` (other editions and
            earlier aggregates are ignored).
        recoding: the output of ``build_recoding_table``.

    Returns:
        One row per split code (PL12, HU10, LT00) with the ``read_nuts_geometries`` columns plus
        ``parent_code`` (the successors' parent), ``label_lon``, ``label_lat`` and
        ``is_aggregate`` (True); ``nuts_edition`` is 2016 and the name is the NUTS 2013 one.
    """
    splits = recoding[recoding["recode_relation"] == "split"]
    if splits.empty:
        return gpd.GeoDataFrame(columns=AGGREGATE_COLUMNS, geometry="geometry", crs=CRS)
    polygons = geometries_2016
    if "nuts_edition" in polygons.columns:
        polygons = polygons[polygons["nuts_edition"] == STATISTICS_EDITION]
    if "is_aggregate" in polygons.columns:
        polygons = polygons[~polygons["is_aggregate"].fillna(False).astype(bool)]
    parts = splits.merge(polygons[["region_code", "country_code", "geometry"]], how="left")
    missing = parts.loc[parts["geometry"].isna(), "region_code"].tolist()
    if missing:
        raise DataSourceError(
            f"The NUTS 2016 polygons lack the split successors {missing}. Fix: pass all NUTS "
            "2016 levels to build_aggregate_regions."
        )
    parts = gpd.GeoDataFrame(parts, geometry="geometry", crs=CRS)
    parts = parts.assign(parent_code=parts["region_code"].str[:-1])
    columns = ["region_code_source", "region_name_source", "nuts_level", "country_code"]
    dissolved = parts[[*columns, "parent_code", "geometry"]].dissolve(
        by=columns, aggfunc="first", dropna=False
    )
    dissolved = dissolved.reset_index()
    point = dissolved.geometry.representative_point()
    aggregates = dissolved.assign(
        region_code=dissolved["region_code_source"],
        region_name=dissolved["region_name_source"],
        region_name_local=dissolved["region_name_source"],
        nuts_level=dissolved["nuts_level"].astype("int64"),
        nuts_edition=np.int64(STATISTICS_EDITION),
        label_lon=point.x,
        label_lat=point.y,
        is_aggregate=True,
    )
    return aggregates[AGGREGATE_COLUMNS].reset_index(drop=True)


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

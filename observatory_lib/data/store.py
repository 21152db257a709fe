"""The observatory store: one versioned directory of Parquet tables that every product reads.

``build_store`` turns the catalog's inputs into the tables documented in docs/CONVENTIONS.md and
writes them atomically: into a temporary directory first, renamed into place only when every
table is written, and only then named in ``CURRENT``. A failed build leaves the previous store as
it was. ``load_store`` returns the current store in well under a second.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from observatory_lib import __version__, paths
from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.data import cluster_definitions, context, eurostat, nuts
from observatory_lib.data.cluster_employment import build_cluster_employment, build_region_totals
from observatory_lib.data.retrieval import Catalog, fetch, load_catalog
from observatory_lib.errors import StoreError
from observatory_lib.files import replace_directory, write_text_atomic

# Bump when a table's columns or meaning change: it changes every store version.
SCHEMA_VERSION = 1
CURRENT_POINTER = "CURRENT"
KEEP_VERSIONS = 2

GEOMETRY_SOURCES = {
    2016: {level: f"nuts_rg_20m_2016_l{level}" for level in range(4)},
    2021: {level: f"nuts_rg_60m_2021_l{level}" for level in range(4)},
    2024: {level: f"nuts_rg_20m_2024_l{level}" for level in range(4)},
}
LABEL_SOURCES = {level: f"nuts_lb_2021_l{level}" for level in range(4)}


@dataclass
class Store:
    """The loaded store: one attribute per table (see docs/CONVENTIONS.md)."""

    version: str
    path: Path
    info: dict
    regions: pd.DataFrame
    nuts_recoding: pd.DataFrame
    sbs_employment: pd.DataFrame
    region_employment_totals: pd.DataFrame
    cluster_categories: pd.DataFrame
    cluster_nace_classes: pd.DataFrame
    cluster_employment: pd.DataFrame
    context_indicators: pd.DataFrame
    context_indicator_catalog: pd.DataFrame
    lfs_sector_employment: pd.DataFrame
    provenance: pd.DataFrame
    _geometries: object = field(default=None, repr=False)

    @property
    def geometries(self):
        """The region polygons (GeoDataFrame), read on first use: most products never need them."""
        if self._geometries is None:
            import geopandas

            self._geometries = geopandas.read_parquet(self.path / "geometries.parquet")
        return self._geometries


TABLES = [f.name for f in fields(Store) if f.name not in {"version", "path", "info", "_geometries"}]


def _fetch_into(catalog: Catalog) -> Callable[[str], Path]:
    """A resolver from mirror-relative file names to verified local paths."""

    def read_file(file_name: str) -> Path:
        return fetch(catalog.by_file(file_name).id, catalog)

    return read_file


def store_version(catalog: Catalog) -> str:
    """A short hash of the schema, the package version and every input's checksum."""
    digest = hashlib.sha256(f"{SCHEMA_VERSION}:{__version__}".encode())
    for source_id in sorted(catalog.sources):
        digest.update(f"{source_id}={catalog.sources[source_id].sha256};".encode())
    for reference in sorted(paths.REFERENCE_DIR.glob("*")):
        digest.update(reference.read_bytes())
    # The data layer's code shapes every table: a change to it is a new store.
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    for config in ("context_indicators.yaml",):
        config_path = paths.DATA_DIR / config
        if config_path.exists():
            digest.update(config_path.read_bytes())
    return digest.hexdigest()[:16]


def _build_geography(catalog: Catalog) -> dict[str, pd.DataFrame]:
    frames = {
        edition: [
            nuts.read_nuts_geometries(fetch(source_id, catalog), edition)
            for source_id in by_level.values()
        ]
        for edition, by_level in GEOMETRY_SOURCES.items()
    }
    labels = [fetch(source_id, catalog) for source_id in LABEL_SOURCES.values()]
    geometries = pd.concat([frame for group in frames.values() for frame in group])
    regions = nuts.build_regions_table(geometries, labels, fetch("nuts_region_names", catalog))
    return {"regions": regions, "geometries": geometries}


def _build_recoding(catalog: Catalog, geography: dict, codes_seen: pd.Series) -> pd.DataFrame:
    changes = nuts.read_nuts2013_changes(fetch("nuts2_2013_2016_changes", catalog))
    regions_2016 = geography["regions"].query("nuts_edition == @STATISTICS_EDITION")
    return nuts.build_recoding_table(changes, regions_2016, codes_seen)


def _add_aggregate_regions(geography: dict, recoding: pd.DataFrame) -> None:
    geometries_2016 = geography["geometries"].query("nuts_edition == @STATISTICS_EDITION")
    aggregates = nuts.build_aggregate_regions(geometries_2016, recoding)
    if aggregates.empty:
        return
    geometry_columns = list(geography["geometries"].columns)
    geography["geometries"] = pd.concat(
        [geography["geometries"], aggregates[geometry_columns]], ignore_index=True
    )
    region_columns = list(geography["regions"].columns)
    point = aggregates.geometry.representative_point()
    aggregate_regions = aggregates.assign(label_lon=point.x, label_lat=point.y, is_aggregate=True)
    geography["regions"] = pd.concat(
        [geography["regions"], pd.DataFrame(aggregate_regions.reindex(columns=region_columns))],
        ignore_index=True,
    )


# Codes that keep their NUTS 2013 form because no 2016 region (or aggregate) matches them.
KEEPS_2013_CODE = {"boundary change", "no 2016 equivalent", "historical"}


def _recode(frame: pd.DataFrame, recoding: pd.DataFrame) -> pd.DataFrame:
    recoded = nuts.recode_to_2016(frame, recoding)
    keeps_2013 = recoded["recode_relation"].isin(KEEPS_2013_CODE)
    edition = pd.Series(STATISTICS_EDITION, index=recoded.index).where(~keeps_2013, 2013)
    return recoded.assign(nuts_edition=edition)


def _build_statistics(catalog: Catalog, read_file: Callable[[str], Path]) -> dict:
    sbs = eurostat.read_sbs_extract(fetch("sbs_r_nuts06_r2_2015", catalog))
    spec = context.load_context_spec()
    context_raw = context.build_context_indicators(spec, read_file)
    lfs_raw = context.build_lfs_sector_employment(read_file)
    return {
        "sbs": sbs,
        "context": context_raw,
        "lfs": lfs_raw,
        "indicator_catalog": context.build_indicator_catalog(spec),
    }


def _with_level(frame: pd.DataFrame) -> pd.DataFrame:
    if "nuts_level" in frame.columns:
        return frame
    return frame.assign(nuts_level=frame["region_code"].str.len() - 2)


def _build_clusters(catalog: Catalog, sbs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    definitions = cluster_definitions.load_cluster_definitions(
        fetch("eco_traded_clusters", catalog), fetch("eco_emerging_industries", catalog)
    )
    nace_classes = cluster_definitions.read_nace_classes()
    allocation = cluster_definitions.build_division_allocation(definitions, nace_classes)
    employment = build_cluster_employment(sbs, allocation).assign(nuts_edition=STATISTICS_EDITION)
    totals = build_region_totals(sbs).assign(
        nuts_edition=STATISTICS_EDITION, dataset_code="sbs_r_nuts06_r2"
    )
    return {
        "cluster_categories": cluster_definitions.build_category_table(definitions),
        "cluster_nace_classes": allocation,
        "cluster_employment": employment,
        "region_employment_totals": totals,
    }


def build_provenance(catalog: Catalog) -> pd.DataFrame:
    """One row per input: what every product prints in its provenance footer."""
    rows = [
        {
            "source_code": s.id,
            "dataset_code": s.dataset_code,
            "title": s.title,
            "provider": s.provider,
            "vintage": s.vintage,
            "nuts_edition": s.nuts_edition,
            "licence": s.licence,
            "attribution": s.attribution,
            "modification": s.modification,
            "file_name": s.file,
            "sha256": s.sha256,
        }
        for s in catalog.sources.values()
    ]
    return pd.DataFrame(rows).astype({"nuts_edition": "Int64"})


def assemble_tables(catalog: Catalog) -> dict[str, pd.DataFrame]:
    """Read every input and return the store's tables (nothing written)."""
    read_file = _fetch_into(catalog)
    geography = _build_geography(catalog)
    statistics = _build_statistics(catalog, read_file)
    codes_seen = pd.concat(
        [statistics[name]["region_code"] for name in ("sbs", "context", "lfs")]
    ).drop_duplicates()
    recoding = _build_recoding(catalog, geography, codes_seen)
    _add_aggregate_regions(geography, recoding)
    sbs = _with_level(_recode(statistics["sbs"], recoding))
    # Pre-2013 codes appear in the SBS file only as empty rows: nothing to keep.
    sbs = sbs[~(sbs["recode_relation"].eq("historical") & sbs["employment_persons"].isna())]
    tables = {
        "regions": geography["regions"],
        "geometries": geography["geometries"],
        "nuts_recoding": recoding,
        "sbs_employment": sbs,
        "context_indicators": _with_level(_recode(statistics["context"], recoding)),
        "context_indicator_catalog": statistics["indicator_catalog"],
        "lfs_sector_employment": _with_level(_recode(statistics["lfs"], recoding)),
        "provenance": build_provenance(catalog),
    }
    tables.update(_build_clusters(catalog, sbs))
    return tables


def _write_tables(tables: dict[str, pd.DataFrame], directory: Path) -> dict[str, int]:
    counts = {}
    for name, frame in tables.items():
        target = directory / f"{name}.parquet"
        if name == "geometries":
            frame.to_parquet(target, index=False)
        else:
            pd.DataFrame(frame).to_parquet(target, index=False, engine="pyarrow")
        counts[name] = len(frame)
    return counts


def _write_pointer(root: Path, version: str) -> None:
    write_text_atomic(root / CURRENT_POINTER, version + "\n")


def _prune_old_versions(root: Path, keep: str) -> None:
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [v for v in versions if v.name != keep][KEEP_VERSIONS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in root.glob(".building-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _summarise(tables: dict[str, pd.DataFrame]) -> dict:
    regions = tables["regions"]
    per_level = regions.groupby(["nuts_edition", "nuts_level"]).size()
    context_years = tables["context_indicators"]["year"]
    return {
        "regions_per_edition_and_level": {
            f"{edition}/{level}": int(n) for (edition, level), n in per_level.items()
        },
        "sbs_years": sorted(int(y) for y in tables["sbs_employment"]["year"].unique()),
        "context_years": [int(context_years.min()), int(context_years.max())],
        "indicators": sorted(tables["context_indicators"]["indicator_code"].unique().tolist()),
        "cluster_categories": len(tables["cluster_categories"]),
    }


def build_store(root: Path | None = None, catalog: Catalog | None = None) -> dict:
    """Build the store from the catalog's inputs and make it current; returns its info."""
    started = time.perf_counter()
    catalog = catalog or load_catalog()
    root = Path(root or paths.store_dir())
    root.mkdir(parents=True, exist_ok=True)
    version = store_version(catalog)
    tables = assemble_tables(catalog)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        counts = _write_tables(tables, building)
        info = {
            "store_version": version,
            "schema_version": SCHEMA_VERSION,
            "package_version": __version__,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "statistics_nuts_edition": STATISTICS_EDITION,
            "row_counts": counts,
            "build_seconds": round(time.perf_counter() - started, 2),
            **_summarise(tables),
        }
        (building / "store.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        # a rebuilt version replaces the old directory whole: a reader never sees it half gone
        replace_directory(building, root / version)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    _write_pointer(root, version)
    _prune_old_versions(root, version)
    info["path"] = str(root / version)
    return info


def current_version(root: Path | None = None) -> str:
    """The version named in ``CURRENT``, with a clear error when there is no store."""
    root = Path(root or paths.store_dir())
    pointer = root / CURRENT_POINTER
    if not pointer.is_file():
        raise StoreError(
            f"No observatory store in {root}. Fix: run `observatory build` (or `make demo`)."
        )
    return pointer.read_text(encoding="utf-8").strip()


def _read_table(directory: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(directory / f"{name}.parquet")
    except Exception as error:
        raise StoreError(
            f"The store table {directory / (name + '.parquet')} is missing or unreadable "
            f"({type(error).__name__}). Fix: rebuild it with `observatory build`."
        ) from error


def load_store(root: Path | None = None) -> Store:
    """Load the current store (geometries lazily)."""
    root = Path(root or paths.store_dir())
    version = current_version(root)
    directory = root / version
    try:
        info = json.loads((directory / "store.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StoreError(
            f"The store {directory} is incomplete (store.json unreadable). "
            "Fix: rebuild it with `observatory build`."
        ) from error
    tables = {name: _read_table(directory, name) for name in TABLES}
    return Store(version=version, path=directory, info=info, **tables)

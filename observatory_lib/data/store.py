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

import numpy as np
import pandas as pd

from observatory_lib import __version__, paths
from observatory_lib.constants import (
    DATA_VARIABLE,
    DEFAULT_STATISTICS_EDITION,
    EDITION_VARIABLE,
    STATISTICS_EDITION,
    live_data_selected,
)
from observatory_lib.data import cluster_definitions, context, editions, eurostat, nuts, sbs
from observatory_lib.data.cluster_employment import build_cluster_employment, build_region_totals
from observatory_lib.data.recoding import recode_statistics
from observatory_lib.data.retrieval import Catalog, fetch, load_catalog
from observatory_lib.errors import StoreError
from observatory_lib.files import replace_directory, write_text_atomic

# Bump when a table's columns or meaning change: it changes every store version.
SCHEMA_VERSION = 2
CURRENT_POINTER = "CURRENT"
LIVE_SUFFIX = "-live"
KEEP_VERSIONS = 2

GEOMETRY_SOURCES = {
    2013: {level: f"nuts_rg_20m_2013_l{level}" for level in range(4)},
    2016: {level: f"nuts_rg_20m_2016_l{level}" for level in range(4)},
    2021: {level: f"nuts_rg_60m_2021_l{level}" for level in range(4)},
    2024: {level: f"nuts_rg_20m_2024_l{level}" for level in range(4)},
}
LABEL_SOURCES = {level: f"nuts_lb_2021_l{level}" for level in range(4)}
CROSSWALK_SOURCES = {
    (2013, 2016): "jrc_nuts_cm_n2_2013_2016",
    (2016, 2021): "jrc_nuts_cm_n2_2016_2021",
    (2021, 2024): "jrc_nuts_cm_n2_2021_2024",
}
SBS_BULK_SOURCE = "sbs_r_nuts06_r2_2008_2015"
SBS_EXTRACT_SOURCE = "sbs_r_nuts06_r2_2015"
LFS_SOURCE = "lfst_r_lfe2en2"
# Context indicators in these units are counts or money: apportioned where a region changed.
# Every other unit is a rate, ratio or per-head value, which is kept only for 1:1 regions, or,
# from a newer edition (a NUTS 2024 release), averaged over the new regions weighted by population.
ADDITIVE_UNITS = frozenset({"persons", "ths_persons", "mio_eur", "mio_pps", "number"})
SBS_TABLE_COLUMNS = [
    "region_code",
    "region_code_source",
    "recode_relation",
    "recode_weight",
    "nuts_level",
    "nace_code",
    "year",
    "employment_persons",
    "flag",
    "wages_eur",
    "wages_flag",
    "local_units",
    "local_units_flag",
    "vintage",
    "nuts_edition",
    "dataset_code",
]


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


def store_version(catalog: Catalog, edition: int = STATISTICS_EDITION, live: bool = False) -> str:
    """A short hash of the schema, the edition shown, the package version and every input."""
    kind = ":live" if live else ""
    digest = hashlib.sha256(f"{SCHEMA_VERSION}:{__version__}:{edition}{kind}".encode())
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


def _edition_maps(catalog: Catalog, regions: pd.DataFrame) -> editions.EditionMaps:
    matrices = {
        step: editions.read_crosswalk_matrix(fetch(source_id, catalog), *step)
        for step, source_id in CROSSWALK_SOURCES.items()
    }
    return editions.build_edition_maps(matrices, regions, editions.read_nuts2010_codes())


def _read_sbs(catalog: Catalog, maps: editions.EditionMaps) -> pd.DataFrame:
    """Both SBS files, their region codes checked, joined by ``sbs.VINTAGE_RULE``."""

    def is_known(code: str) -> bool:
        return editions.is_known_code(code, maps)

    bulk = sbs.read_sbs_bulk(fetch(SBS_BULK_SOURCE, catalog), is_known_region=is_known)
    extract_path = fetch(SBS_EXTRACT_SOURCE, catalog)
    extract = eurostat.read_sbs_extract(extract_path)
    sbs.check_region_codes(extract["region_code"], extract_path, is_known)
    combined = sbs.combine_sbs_vintages(bulk, extract)
    return combined.assign(
        nuts_edition_declared=catalog[SBS_BULK_SOURCE].nuts_edition,
        source_file=catalog[SBS_BULK_SOURCE].file,
    )


def _build_statistics(catalog: Catalog, maps: editions.EditionMaps) -> dict:
    read_file = _fetch_into(catalog)
    spec = context.load_context_spec()
    by_indicator = {
        item.indicator_code: (catalog.by_file(item.source_file).nuts_edition, item.source_file)
        for item in spec
    }
    context_raw = context.build_context_indicators(spec, read_file)
    declared = context_raw["indicator_code"].map(lambda code: by_indicator[code][0])
    context_raw = context_raw.assign(
        nuts_edition_declared=declared.astype("int64"),
        source_file=context_raw["indicator_code"].map(lambda code: by_indicator[code][1]),
    )
    lfs_raw = context.build_lfs_sector_employment(read_file).assign(
        nuts_edition_declared=catalog[LFS_SOURCE].nuts_edition, source_file=catalog[LFS_SOURCE].file
    )
    return {
        "sbs": _read_sbs(catalog, maps),
        "context": context_raw,
        "lfs": lfs_raw,
        "indicator_catalog": context.build_indicator_catalog(spec),
    }


def _codes_seen(statistics: dict) -> pd.DataFrame:
    columns = ["region_code", "nuts_edition_declared", "source_file"]
    seen = pd.concat([statistics[name][columns] for name in ("sbs", "context", "lfs")])
    return seen.drop_duplicates().rename(columns={"region_code": "region_code_source"})


def _move(
    frame: pd.DataFrame,
    recoding: pd.DataFrame,
    maps: editions.EditionMaps,
    edition: int,
    **options,
) -> pd.DataFrame:
    """``recoding.recode_statistics`` on a table read from the inputs, with level and edition."""
    keyed = frame.assign(
        nuts_edition_source=editions.source_editions(
            frame["region_code"], frame["nuts_edition_declared"], maps
        )
    ).drop(columns=["nuts_edition_declared", "source_file", "nuts_level"], errors="ignore")
    moved = recode_statistics(keyed, recoding, **options)
    return moved.assign(
        nuts_level=(moved["region_code"].str.len() - 2).astype("int64"),
        nuts_edition=np.int64(edition),
    )


def _move_context(context_raw, recoding, maps, edition) -> pd.DataFrame:
    """Counts and money apportioned; rates and ratios kept for 1:1 regions (and, from a newer
    edition, averaged by population: ``recoding.recode_statistics``)."""
    additive = context_raw["unit"].isin(ADDITIVE_UNITS)
    options = {
        "keys": ["indicator_code", "year"],
        "values": ["value"],
        "flags": ["flag"],
        "carry": ["unit", "dataset_code"],
    }
    parts = [
        _move(context_raw[additive], recoding, maps, edition, additive=True, **options),
        _move(context_raw[~additive], recoding, maps, edition, additive=False, **options),
    ]
    moved = pd.concat(parts, ignore_index=True)
    return moved.sort_values(["indicator_code", "region_code", "year"], ignore_index=True)


def _build_clusters(catalog: Catalog, sbs_table: pd.DataFrame, edition: int) -> dict:
    definitions = cluster_definitions.load_cluster_definitions(
        fetch("eco_traded_clusters", catalog), fetch("eco_emerging_industries", catalog)
    )
    nace_classes = cluster_definitions.read_nace_classes()
    allocation = cluster_definitions.build_division_allocation(definitions, nace_classes)
    employment = build_cluster_employment(sbs_table, allocation).assign(
        nuts_edition=np.int64(edition), dataset_code=eurostat.SBS_DATASET_CODE
    )
    totals = build_region_totals(sbs_table).assign(
        nuts_edition=np.int64(edition), dataset_code=eurostat.SBS_DATASET_CODE
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


def assemble_tables(catalog: Catalog, edition: int = STATISTICS_EDITION) -> dict[str, pd.DataFrame]:
    """Read every input and return the store's tables in NUTS ``edition`` (nothing written).

    Raises:
        DataSourceError: an input is unreadable or holds bad values (file, line and fix named).
        UnknownCodeError: an SBS region code of no NUTS edition.
    """
    geography = _build_geography(catalog)
    maps = _edition_maps(catalog, geography["regions"])
    statistics = _build_statistics(catalog, maps)
    sbs_files = [catalog[SBS_BULK_SOURCE].file, catalog[SBS_EXTRACT_SOURCE].file]
    recoding = editions.build_recoding_table(
        maps, _codes_seen(statistics), edition, strict_sources=sbs_files
    )
    sbs_table = _move(
        statistics["sbs"],
        recoding,
        maps,
        edition,
        keys=["nace_code", "year"],
        values=list(sbs.VALUE_COLUMNS),
        flags=list(sbs.FLAG_COLUMNS.values()),
        carry=["vintage", "dataset_code"],
    )[SBS_TABLE_COLUMNS]
    lfs = _move(
        statistics["lfs"],
        recoding,
        maps,
        edition,
        keys=["nace_code", "year"],
        values=["employment_ths"],
        flags=["flag"],
        carry=["dataset_code"],
    )
    tables = {
        "regions": geography["regions"],
        "geometries": geography["geometries"],
        "nuts_recoding": recoding,
        "sbs_employment": sbs_table,
        "context_indicators": _move_context(statistics["context"], recoding, maps, edition),
        "context_indicator_catalog": statistics["indicator_catalog"],
        "lfs_sector_employment": lfs,
        "provenance": build_provenance(catalog),
    }
    tables.update(_build_clusters(catalog, sbs_table, edition))
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


def pointer_name(edition: int = STATISTICS_EDITION, live: bool = False) -> str:
    """``CURRENT`` for the default edition, ``CURRENT-<edition>`` for the others, and
    ``-live`` after either for the store built from the current Eurostat releases.

    Stores of several editions live side by side under one root; each setting of
    ``OBSERVATORY_NUTS_EDITION`` (and of ``OBSERVATORY_DATA``) reads its own.
    """
    name = (
        CURRENT_POINTER if edition == DEFAULT_STATISTICS_EDITION else f"{CURRENT_POINTER}-{edition}"
    )
    return name + (LIVE_SUFFIX if live else "")


def _write_pointer(root: Path, version: str, edition: int, live: bool = False) -> None:
    write_text_atomic(root / pointer_name(edition, live), version + "\n")


def _edition_of(directory: Path) -> int | None:
    try:
        info = json.loads((directory / "store.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info.get("statistics_nuts_edition")


def _prune_old_versions(root: Path, keep: str, edition: int) -> None:
    """Keep ``KEEP_VERSIONS`` versions of this edition and every version a pointer names."""
    named = {
        pointer.read_text(encoding="utf-8").strip() for pointer in root.glob(f"{CURRENT_POINTER}*")
    }
    versions = sorted(
        (
            p
            for p in root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and _edition_of(p) in (edition, None)
        ),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [v for v in versions if v.name != keep][KEEP_VERSIONS - 1 :]:
        if old.name not in named:
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


def build_store(
    root: Path | None = None,
    catalog: Catalog | None = None,
    edition: int | None = None,
    live: dict | None = None,
) -> dict:
    """Build the store from the catalog's inputs and make it current; returns its info.

    Args:
        root: the store directory (default ``paths.store_dir()``).
        catalog: the inputs (default ``data/catalog.yaml``).
        edition: the NUTS edition to show the statistics in (default the setting,
            ``constants.STATISTICS_EDITION``); its pointer is ``pointer_name(edition)``.
        live: for a live build (``data/live.py``), what to record of the releases
            (``data_origin``, ``live_releases``, ...); the store gets the live pointer.

    A failed build (bad input, a crash) leaves the previous store current and loadable.
    """
    started = time.perf_counter()
    catalog = catalog or load_catalog()
    edition = int(STATISTICS_EDITION if edition is None else edition)
    root = Path(root or paths.store_dir())
    root.mkdir(parents=True, exist_ok=True)
    version = store_version(catalog, edition, live=live is not None)
    tables = assemble_tables(catalog, edition)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        counts = _write_tables(tables, building)
        info = {
            "store_version": version,
            "schema_version": SCHEMA_VERSION,
            "package_version": __version__,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "statistics_nuts_edition": edition,
            "row_counts": counts,
            "build_seconds": round(time.perf_counter() - started, 2),
            **_summarise(tables),
            **(live or {}),
        }
        (building / "store.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        # a rebuilt version replaces the old directory whole: a reader never sees it half gone
        replace_directory(building, root / version)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    _write_pointer(root, version, edition, live=live is not None)
    _prune_old_versions(root, version, edition)
    info["path"] = str(root / version)
    return info


def current_version(
    root: Path | None = None, edition: int | None = None, live: bool | None = None
) -> str:
    """The version named by the edition's pointer, with a clear error when there is none.

    ``live`` None follows ``OBSERVATORY_DATA`` (default: the pinned store).
    """
    root = Path(root or paths.store_dir())
    edition = int(STATISTICS_EDITION if edition is None else edition)
    live = live_data_selected() if live is None else live
    pointer = root / pointer_name(edition, live)
    if live and not pointer.is_file():
        raise StoreError(
            f"No live store for NUTS {edition} in {root}. Fix: run `observatory build --live` "
            f"(needs the Eurostat API), or unset {DATA_VARIABLE} to use the pinned store."
        )
    if not pointer.is_file():
        setting = (
            "" if edition == DEFAULT_STATISTICS_EDITION else f" with {EDITION_VARIABLE}={edition}"
        )
        raise StoreError(
            f"No observatory store for NUTS {edition} in {root}. Fix: run `observatory build`"
            f"{setting} (or `make demo`)."
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


def load_store_info(
    root: Path | None = None, edition: int | None = None, live: bool | None = None
) -> dict:
    """The ``store.json`` of the current store (pinned or live, see ``current_version``)."""
    root = Path(root or paths.store_dir())
    directory = root / current_version(root, edition, live)
    try:
        return json.loads((directory / "store.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StoreError(
            f"The store {directory} is incomplete (store.json unreadable). "
            "Fix: rebuild it with `observatory build`."
        ) from error


def load_store(
    root: Path | None = None, edition: int | None = None, live: bool | None = None
) -> Store:
    """Load the current store of the edition (default the setting; geometries lazily).

    ``live`` None follows ``OBSERVATORY_DATA``: the pinned store unless it says ``live``.
    """
    root = Path(root or paths.store_dir())
    version = current_version(root, edition, live)
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

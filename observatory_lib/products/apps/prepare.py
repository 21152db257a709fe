"""``observatory apps build``: what the apps show, prepared once, outside the visitors' kernels.

A visitor's Voila kernel must be small and quick (docs/DEPLOY.md): it imports no pandas, no
geopandas, no matplotlib, and computes nothing that is the same for every visitor. So this
step, run by ``observatory apps build``, ``observatory demo`` and at ``observatory serve``
start-up, takes every number from the recipe layer (``indicators.recipes``) and writes:

- ``values.arrow``: one long table of every value an app shows, keyed by theme, indicator,
  category, NUTS level, year and region (``VALUE_KEYS``), sorted so that one view (a map, a
  ranking) is one run of rows, with each value's class in the view's quantile and
  equal-interval classifications (``kit.map_styles.classify``, once per view), its flag and
  status. New indicators and years of the recipe layer flow in without any change to the apps;
- ``views.arrow``: one row per view: where its rows are, the legend of each classification;
- ``geometry_nuts<level>.json``: the simplified polygons of each NUTS level, serialised as
  the map layer sends them, each region with its CSS class (the map is recoloured by CSS);
- ``regions.json`` and ``sectors.json``: per region, its scoreboard position and default
  peers; per category, level and year, the concentration of its employment;
- ``opportunities.arrow`` and ``opportunity_support.arrow``: every NUTS-2 region's
  diversification opportunities and the related strengths that support each, as the recipe
  layer ranks them (``policy_recipes.opportunities``, ``opportunity_support``), one run of
  rows per region;
- ``manifest.json``: names, labels, units, sources, palettes and where every column lies in
  the Arrow files (``columns.column_layout``), for the kernels' numpy-only reader;
- ``overflow/<app>.html``: the static page served instead of a live app when the server is at
  its kernel cap (the app's default view, drawn once here).

The folder is ``paths.app_data_dir()/<key>``, where the key joins the store version and a
digest of the code that shapes the tables (``bundle.bundle_key``); it is written whole into
a staging folder and published atomically, then named in ``CURRENT``.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

import observatory_lib.products.apps.bundle as bundle_module
from observatory_lib import paths
from observatory_lib.constants import DEFAULT_STAR_PRESET, STATISTICS_EDITION
from observatory_lib.errors import ObservatoryError
from observatory_lib.files import replace_directory, staging_directory, write_text_atomic
from observatory_lib.indicators import recipes
from observatory_lib.products.apps.arrow_files import (
    write_opportunities,
    write_values,
    write_views,
)
from observatory_lib.products.kit import formats, map_styles
from observatory_lib.products.kit.downloads import format_source

LOGGER = logging.getLogger(__name__)

VALUE_KEYS = ["theme", "indicator_code", "category_code", "nuts_level", "year"]
CATEGORY_THEMES = ("clusters", "emerging")
# Cluster measures of the rated table (recipes.rated_clusters): label, unit, mappable. Wages
# and growth arrive with the change-over-time data; a measure without any value is left out,
# and the apps then say "not available".
CLUSTER_MEASURES = {
    "employment_persons": ("Employment", "persons", True),
    "lq": ("Location quotient (LQ)", "", True),
    "size_share": ("Share of the category's European employment", "share", True),
    "stars": ("Stars", "stars", True),
    # change over time and productivity (SBS 2008-2015)
    "employment_growth_pct": ("Employment growth per year (compound, 4 years)", "pct", True),
    "wage_per_employee_eur": ("Wages and salaries per person employed", "eur", True),
    "relative_wage_index": ("Wage per person employed, Europe = 100", "index_europe_100", True),
    "persons_per_local_unit": ("Persons employed per local unit", "persons", True),
    "stars_out_of": ("Stars possible", "stars", False),
}
# Orders computed by the recipe layer, kept so that the kernel sorts without re-ranking.
RANK_MEASURES = {
    "rank_in_category": ("Rank in the category (stars, LQ, employment)", "rank", False),
    "rank_in_region": ("Rank in the region's portfolio", "rank", False),
}
OVERALL_CODE = "overall"
SCOREBOARD_UNIT = "index_eu_100"
SCORE_THEME = "scoreboard_score"
SCORE_UNIT = "score_0_100"
SCOREBOARD_LEVELS = (0, 1, 2)
MAP_LEVELS = (0, 1, 2, 3)
CLASS_COUNT = 5
PALETTE = "viridis"
METHODS = formats.METHODS
# Degrees. GISCO 1:20M outlines are already light; this keeps the NUTS-2 payload near
# 0.25 MB and NUTS-3 near 0.6 MB without visible change at zoom 3-7.
SIMPLIFY_TOLERANCE = {0: 0.03, 1: 0.02, 2: 0.02, 3: 0.02}
COORDINATE_PRECISION = 0.001
CONCENTRATION_TOP_N = 10


# --- values -----------------------------------------------------------------------------------


def _rated(store, star_preset: str) -> pd.DataFrame:
    frames = [
        recipes.rated_clusters(store, level, star_preset) for level in recipes.cluster_levels(store)
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _long(
    theme, indicator, category, level, year, region, value, flag="", status=""
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme": theme,
            "indicator_code": indicator,
            "category_code": category,
            "nuts_level": level,
            "year": year,
            "region_code": region,
            "value": pd.to_numeric(pd.Series(np.asarray(value)), errors="coerce")
            .astype("float64")
            .to_numpy(),
            "flag": flag,
            "status": status,
        }
    )


def cluster_measures(rated: pd.DataFrame) -> dict:
    """The cluster measures present in the rated table (a column without values is left out)."""
    return {
        code: spec
        for code, spec in CLUSTER_MEASURES.items()
        if code in rated.columns and pd.to_numeric(rated[code], errors="coerce").notna().any()
    }


def cluster_values(rated: pd.DataFrame, ranks: pd.DataFrame) -> pd.DataFrame:
    """Every cluster measure and rank as long rows (confidential cells flagged ``c``)."""
    if rated.empty:
        return pd.DataFrame()
    theme = np.where(rated["category_type"].eq("emerging"), "emerging", "clusters")
    involved = rated["has_confidential_cells"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    flag = _cluster_flag(rated, involved)
    frame = rated.merge(
        ranks, on=["region_code", "category_code", "nuts_level", "year"], how="left"
    )
    frames = []
    for measure in [*cluster_measures(rated), *RANK_MEASURES]:
        value = pd.to_numeric(frame[measure], errors="coerce").to_numpy(dtype="float64")
        status = np.where(np.isnan(value) & involved, map_styles.CONFIDENTIAL_STATUS, "")
        frames.append(
            _long(
                theme,
                measure,
                frame["category_code"].to_numpy(),
                frame["nuts_level"].to_numpy(),
                frame["year"].to_numpy(),
                frame["region_code"].to_numpy(),
                value,
                flag,
                status,
            )
        )
    return pd.concat(frames, ignore_index=True)


def _cluster_flag(rated: pd.DataFrame, involved: np.ndarray) -> np.ndarray:
    """Eurostat-style flag of a cluster cell: ``c`` when confidential cells went into it, else
    the series-break letters of the cell (``b`` break, ``d`` definition differs)."""
    if "flag" not in rated.columns:
        return np.where(involved, "c", "")
    breaks = rated["flag"].fillna("").astype("str").str.replace(r"[^bd]", "", regex=True)
    return np.where(involved, "c", breaks.to_numpy())


def cluster_ranks(store, star_preset: str) -> pd.DataFrame:
    """``rank_in_category`` and ``rank_in_region`` of every rated cluster (recipe layer)."""
    frames = [
        recipes.cluster_ranks(store, level, star_preset) for level in recipes.cluster_levels(store)
    ]
    keys = ["region_code", "category_code", "nuts_level", "year"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=keys)


def scoreboard_values(store, star_preset: str) -> tuple[pd.DataFrame, dict]:
    """Scoreboard index and dimensions: relative to the EU (maps) and scores 0-100 (comparisons).

    Returns the long rows and, per level, the scoreboard facts the explorers show.
    """
    frames, facts = [], {}
    for level in SCOREBOARD_LEVELS:
        try:
            result = recipes.scoreboard(store, level, star_preset=star_preset)
        except ObservatoryError:
            continue  # no indicator of the framework at this level
        year = _scoreboard_year(result)
        overall = result.overall.assign(dimension_code=OVERALL_CODE)
        rows = pd.concat([overall, result.dimension_scores], ignore_index=True)
        region, node = rows["region_code"].to_numpy(), rows["dimension_code"].to_numpy()
        frames.append(_long("scoreboard", node, "", level, year, region, rows["relative_to_eu"]))
        frames.append(_long(SCORE_THEME, node, "", level, year, region, rows["score"]))
        facts[str(level)] = _scoreboard_facts(result)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), facts


def _scoreboard_year(result) -> int:
    scored = result.values  # noqa: PD011 - ScoreboardResult.values, a frame
    years = pd.to_numeric(scored["year"], errors="coerce").dropna()
    return int(years.mode().iloc[0]) if not years.empty else 0


def _scoreboard_facts(result) -> dict:
    """Rank, group and count per region; the EU average score of the index and dimensions."""
    overall = result.overall
    eu = result.eu_average
    eu = eu[eu["node_type"].isin(["index", "dimension"])]
    labels = result.framework.labels()
    nodes = [[OVERALL_CODE, f"{result.framework.name}: index"]]
    nodes += [
        [code, labels.get(code, code)]
        for code in result.dimension_scores["dimension_code"].unique()
    ]
    return {
        "n_regions": len(overall),
        "regions": {
            str(row.region_code): [_int_or_none(row.rank_europe), _text(row.performance_group)]
            for row in overall.itertuples()
        },
        "eu_average_score": {
            (OVERALL_CODE if row.node_type == "index" else str(row.node_code)): _float_or_none(
                row.score
            )
            for row in eu.itertuples()
        },
        "nodes": nodes,
        "framework": result.framework.name,
    }


def context_values(context: pd.DataFrame) -> pd.DataFrame:
    """The store's context indicators (flag ``c`` -> status confidential)."""
    status = map_styles.status_from_flag(context["flag"]).fillna("").to_numpy()
    flag = context["flag"].astype("str").fillna("").to_numpy()
    return _long(
        "context",
        context["indicator_code"].to_numpy(),
        "",
        context["nuts_level"].to_numpy(),
        context["year"].to_numpy(),
        context["region_code"].to_numpy(),
        context["value"],
        flag,
        status,
    )


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _int_or_none(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _float_or_none(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)


# --- views and classes ------------------------------------------------------------------------


def assemble_values(values: pd.DataFrame, region_codes: list[str]) -> pd.DataFrame:
    """Known regions only, one row per key and region, sorted by view then region."""
    position = pd.Series(np.arange(len(region_codes)), index=region_codes)
    frame = values[values["region_code"].isin(position.index)]
    frame = frame.astype({"nuts_level": "int64", "year": "int64", "flag": "str", "status": "str"})
    frame = frame.assign(flag=frame["flag"].fillna(""), status=frame["status"].fillna(""))
    frame = frame.drop_duplicates([*VALUE_KEYS, "region_code"], keep="first")
    frame = frame.assign(region_id=position.reindex(frame["region_code"]).to_numpy())
    return frame.sort_values([*VALUE_KEYS, "region_id"], ignore_index=True)


def classify_views(
    frame: pd.DataFrame, on_map: dict[int, set], mappable: set
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Class of every value in its view's classifications; one row per view with its legends.

    A view is classified on the regions drawn at its level (as the map shows them), by
    ``map_styles.classify`` with ``CLASS_COUNT`` classes; hidden measures get no class.
    """
    group = frame.groupby(VALUE_KEYS, sort=False).ngroup().to_numpy()
    drawn = np.zeros(len(frame), dtype=bool)
    for level, codes in on_map.items():
        at_level = frame["nuts_level"].eq(level).to_numpy()
        drawn |= at_level & frame["region_code"].isin(codes).to_numpy()
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    stops = np.r_[starts[1:], len(frame)]
    values = frame["value"].to_numpy(dtype="float64", na_value=np.nan)
    confidential = frame["status"].eq(map_styles.CONFIDENTIAL_STATUS).to_numpy()
    known = np.isfinite(values)
    views = frame.iloc[starts][VALUE_KEYS].reset_index(drop=True)
    views = views.assign(
        view_id=np.arange(len(starts)),
        row_start=starts,
        row_stop=stops,
        n_with_data=np.add.reduceat((known & drawn).astype("int64"), starts),
        has_confidential=np.maximum.reduceat((confidential & drawn).astype("int64"), starts),
        has_missing=np.maximum.reduceat((~known & drawn & ~confidential).astype("int64"), starts),
        n_regions_drawn=np.add.reduceat(drawn.astype("int64"), starts),
    )
    keys = zip(views["theme"], views["indicator_code"], strict=True)
    is_mappable = np.array([key in mappable for key in keys], dtype=bool)
    classified = np.flatnonzero(is_mappable & (views["n_regions_drawn"].to_numpy() > 0))
    classes, legends = {}, {}
    for method in METHODS:
        classes[method], legends[method] = _classify_method(
            method, values, drawn, starts[classified], stops[classified], len(views), classified
        )
    frame = frame.assign(**{f"class_{method}": classes[method] for method in METHODS})
    views = views.assign(**{f"legend_{method}": legends[method] for method in METHODS})
    return frame, views


def _classify_method(method, values, drawn, starts, stops, n_views, view_rows):
    """One method's class of every value (-1: none) and legend of every view ('' : none)."""
    classes = np.full(len(values), -1, dtype="int8")
    legends = np.full(n_views, "", dtype=object)
    for view, start, stop in zip(view_rows, starts, stops, strict=True):
        shown = drawn[start:stop]
        classification = map_styles.classify(values[start:stop][shown], method, CLASS_COUNT)
        found = classification.class_numbers(values[start:stop])
        found[~shown] = np.nan
        classes[start:stop] = np.where(np.isnan(found), -1, found).astype("int8")
        legends[view] = "\n".join(classification.labels)
    return classes, legends


# --- geometry ---------------------------------------------------------------------------------


def build_feature_collection(geometries, names: pd.Series, level: int) -> dict:
    """The NUTS 2016 regions of one level as the map's GeoJSON FeatureCollection.

    Simplified (``data.nuts.simplify_geometries``, borders kept shared) and rounded to
    ``COORDINATE_PRECISION`` degrees; each feature has ``id`` = region code, its code and
    name, and a CSS class ``r-<code>`` through which the map is coloured.
    """
    from observatory_lib.data.nuts import simplify_geometries

    selected = geometries.loc[
        (geometries["nuts_edition"] == STATISTICS_EDITION) & (geometries["nuts_level"] == level)
    ]
    selected = selected[selected.geometry.notna() & ~selected.geometry.is_empty]
    selected = selected.drop_duplicates("region_code").sort_values("region_code")
    simplified = simplify_geometries(
        selected, SIMPLIFY_TOLERANCE.get(level, 0.02), COORDINATE_PRECISION
    )
    collection = json.loads(simplified[["region_code", "geometry"]].to_json(drop_id=True))
    features = []
    for feature in collection["features"]:
        code = feature["properties"]["region_code"]
        properties = {
            "region_code": code,
            "region_name": str(names.get(code, "")),
            "style": {"className": f"{bundle_module.REGION_CLASS_PREFIX}{code}"},
        }
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": properties,
                "geometry": feature["geometry"],
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- tables for the kernel -------------------------------------------------------------------


def indicator_labels(store, rated: pd.DataFrame) -> list[dict]:
    """Label, unit, datasets and whether it can be mapped, of every indicator of every theme."""
    sbs = sorted(set(store.cluster_employment.get("dataset_code", pd.Series(dtype="str")).dropna()))
    sbs = sbs or ["sbs_r_nuts06_r2"]
    rows = []
    measures = {**cluster_measures(rated), **RANK_MEASURES}
    for theme in CATEGORY_THEMES:
        for code, (label, unit, mappable) in measures.items():
            rows.append(
                {
                    "theme": theme,
                    "indicator_code": code,
                    "label": label,
                    "unit": unit,
                    "datasets": sbs,
                    "mappable": mappable,
                }
            )
    framework = recipes.framework()
    datasets = sorted({spec.dataset_code for spec in framework.indicators})
    nodes = [(OVERALL_CODE, f"{framework.name}: index", datasets)]
    for dimension in framework.dimensions:
        used = sorted(
            {s.dataset_code for s in framework.indicators if s.dimension_code == dimension.code}
        )
        nodes.append((dimension.code, dimension.label, used))
    for code, label, used in nodes:
        rows.append(
            {
                "theme": "scoreboard",
                "indicator_code": code,
                "label": label,
                "unit": SCOREBOARD_UNIT,
                "datasets": used,
                "mappable": True,
            }
        )
        rows.append(
            {
                "theme": SCORE_THEME,
                "indicator_code": code,
                "label": label,
                "unit": SCORE_UNIT,
                "datasets": used,
                "mappable": False,
            }
        )
    catalog = store.context_indicator_catalog.sort_values("label", key=lambda s: s.str.lower())
    for row in catalog.itertuples():
        rows.append(
            {
                "theme": "context",
                "indicator_code": str(row.indicator_code),
                "label": str(row.label),
                "unit": str(row.unit),
                "datasets": [str(row.dataset_code)],
                "mappable": True,
            }
        )
    return rows


def region_table(store, values: pd.DataFrame) -> dict:
    """Every region code of the store and of the values, as parallel lists (code, name, level,
    country, parent).

    The statistics' NUTS edition first; codes kept from older editions (``IE01``, ``UKM2``)
    and extra-regio codes (``FRZZ``) stay too, because the recipe layer rates and ranks them
    like every other region (their names come from the NUTS recoding table).
    """
    regions = store.regions.sort_values(
        "nuts_edition", key=lambda edition: edition != STATISTICS_EDITION, kind="stable"
    ).drop_duplicates("region_code")
    seen = values.drop_duplicates("region_code")
    extra = seen[~seen["region_code"].isin(regions["region_code"])]
    if not extra.empty:
        source = store.nuts_recoding.drop_duplicates("region_code_source").set_index(
            "region_code_source"
        )["region_name_source"]
        codes = extra["region_code"].astype("str")
        regions = pd.concat(
            [
                regions,
                pd.DataFrame(
                    {
                        "region_code": codes.to_numpy(),
                        "region_name": codes.map(source)
                        .fillna(codes.str[:2].radd("Extra-regio ").where(codes.str.endswith("ZZ")))
                        .fillna(codes)
                        .to_numpy(),
                        "nuts_level": extra["nuts_level"].to_numpy(),
                        "country_code": codes.str[:2].to_numpy(),
                        "parent_code": "",
                    }
                ),
            ],
            ignore_index=True,
        )
    regions = regions.sort_values("region_code")
    return {
        "codes": regions["region_code"].astype("str").tolist(),
        "names": regions["region_name"].fillna("").astype("str").tolist(),
        "levels": regions["nuts_level"].astype("int64").tolist(),
        "countries": regions["country_code"].fillna("").astype("str").tolist(),
        "parents": regions["parent_code"].fillna("").astype("str").tolist(),
    }


def default_peer_table(store, levels=SCOREBOARD_LEVELS) -> dict:
    """Each region's default peers (most similar on GDP per inhabitant and population), or
    None when its structural data are missing (``peers.default_peers_of_level``)."""
    from observatory_lib.indicators.peers import default_peers_of_level

    regions = recipes.statistics_regions(store).reset_index(drop=True)
    table = {}
    for level in levels:
        found = default_peers_of_level(store.context_indicators, regions, level=int(level))
        chosen = regions.loc[regions["nuts_level"] == level, "region_code"].astype("str")
        table.update({code: found.get(code) for code in chosen})
    return table


def concentration_table(store, rated: pd.DataFrame, star_preset: str) -> dict:
    """``category|level|year`` -> the concentration measures of the category's employment."""
    measures = (
        "top_n",
        "n_regions",
        "n_regions_with_data",
        "employment_persons",
        "top_n_share",
        "herfindahl_index",
        "equivalent_regions",
        "gini",
    )
    table = {}
    for level in sorted(int(value) for value in rated["nuts_level"].unique()):
        found = recipes.category_concentrations(
            store, level, star_preset, top_n=CONCENTRATION_TOP_N
        )
        for one in found:
            table[f"{one.category_code}|{one.nuts_level}|{one.year}"] = {
                key: _float_or_none(getattr(one, key)) for key in measures
            }
    return table


def _names(frame: pd.DataFrame) -> dict[str, list]:
    # the distinct values first: str() on every row of a large frame is most of the cost
    return {
        key: sorted({str(v) for v in frame[key].unique()})
        for key in ("theme", "indicator_code", "category_code")
    }


def write_bundle(store, star_preset: str, directory: Path, key: str) -> dict:
    """Write every file of the prepared data into ``directory``; return the manifest."""
    started = time.perf_counter()
    rated = _rated(store, star_preset)
    board, scoreboard_facts = scoreboard_values(store, star_preset)
    parts = [
        cluster_values(rated, cluster_ranks(store, star_preset)),
        board,
        context_values(store.context_indicators),
    ]
    values = pd.concat([part for part in parts if not part.empty], ignore_index=True)
    regions = region_table(store, values)
    frame = assemble_values(values, regions["codes"])
    names = pd.Series(regions["names"], index=regions["codes"])
    on_map = {}
    for level in MAP_LEVELS:
        collection = build_feature_collection(store.geometries, names, level)
        on_map[level] = {feature["id"] for feature in collection["features"]}
        text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
        (directory / f"geometry_nuts{level}.json").write_text(text, encoding="utf-8")
    labels = indicator_labels(store, rated)
    mappable = {(row["theme"], row["indicator_code"]) for row in labels if row["mappable"]}
    frame, views = classify_views(frame, on_map, mappable)
    frame = frame.assign(
        view_id=np.repeat(
            views["view_id"].to_numpy(), (views["row_stop"] - views["row_start"]).to_numpy()
        )
    )
    view_names = _names(frame)
    manifest = {
        "format": bundle_module.FORMAT_VERSION,
        "key": key,
        "store_version": store.version,
        "star_preset": star_preset,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "values": write_values(frame, regions["codes"], directory / "values.arrow"),
        "views": write_views(views, view_names, directory / "views.arrow"),
        "names": view_names,
        "regions": regions,
        "labels": labels,
        "categories": store.cluster_categories[["category_code", "category_name", "category_type"]]
        .astype("str")
        .to_numpy()
        .tolist(),
        "sources": {
            str(row["dataset_code"]): format_source(row)
            for row in store.provenance.drop_duplicates("dataset_code").to_dict("records")
        },
        "palettes": {str(n): map_styles.palette(PALETTE, n) for n in range(1, CLASS_COUNT + 1)},
        "colours": {
            "no_data": map_styles.NO_DATA_COLOUR,
            "confidential": map_styles.CONFIDENTIAL_COLOUR,
            "no_data_label": map_styles.NO_DATA_LABEL,
            "confidential_label": map_styles.CONFIDENTIAL_LABEL,
        },
        "counts": {"values": len(frame), "views": len(views)},
        "opportunities": write_opportunities(store, regions["codes"], directory),
    }
    facts = {"scoreboard": scoreboard_facts, "default_peers": default_peer_table(store)}
    (directory / "regions.json").write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    sectors = {"concentration": concentration_table(store, rated, star_preset)}
    (directory / "sectors.json").write_text(
        json.dumps(sectors, ensure_ascii=False), encoding="utf-8"
    )
    manifest["build_seconds"] = round(time.perf_counter() - started, 2)
    (directory / bundle_module.MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False), encoding="utf-8"
    )
    return manifest


KEEP_BUNDLES = 2


def build_app_bundle(
    store=None, *, star_preset: str = DEFAULT_STAR_PRESET, root: Path | None = None
) -> Path:
    """Prepare the apps' data for the store and publish them (see the module docstring).

    Returns:
        The published folder.
    """
    store = store or recipes.current_store()
    root = Path(root or paths.app_data_dir())
    root.mkdir(parents=True, exist_ok=True)
    key = bundle_module.bundle_key(store.version)
    staging = staging_directory(root, "apps")
    try:
        write_bundle(store, star_preset, staging, key)
        write_overflow_pages(staging)
        staging.chmod(0o755)  # a staging folder is private; the published one is readable
        replace_directory(staging, root / key)
    finally:
        if staging.exists():
            import shutil

            shutil.rmtree(staging, ignore_errors=True)
    write_text_atomic(root / bundle_module.POINTER, key + "\n")
    _prune(root, key)
    return root / key


def ensure_app_bundle(store=None, *, root: Path | None = None) -> Path:
    """The prepared data of the current store and code, built first when missing or stale."""
    store = store or recipes.current_store()
    root = Path(root or paths.app_data_dir())
    key = bundle_module.bundle_key(store.version)
    if (root / key / bundle_module.MANIFEST).is_file():
        pointer = root / bundle_module.POINTER
        if not pointer.is_file() or pointer.read_text(encoding="utf-8").strip() != key:
            write_text_atomic(pointer, key + "\n")
        return root / key
    return build_app_bundle(store, root=root)


def _prune(root: Path, keep: str) -> None:
    import shutil

    folders = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [p for p in folders if p.name != keep][KEEP_BUNDLES - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def write_overflow_pages(directory: Path) -> None:
    """The static page of each app's default view, served when the server is at its cap."""
    import observatory_lib.products.apps.overflow as overflow

    bundle = bundle_module.AppBundle(directory)
    folder = directory / "overflow"
    folder.mkdir(exist_ok=True)
    for name, page in overflow.overflow_pages(bundle).items():
        (folder / f"{name}.html").write_text(page, encoding="utf-8")

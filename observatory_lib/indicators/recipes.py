"""The recipe layer: from the store to every number the products publish, in one place.

Every product (the reports, the region scorecard, the apps, the portal's downloads) gets its
rated clusters, scoreboards, rank intervals, names and geometries from here, so that a number
has exactly one definition and one place that computes it:

- **rated clusters**: ``clusters.compute_cluster_indicators`` (reference set: every country
  present at the level, unless given) and ``stars.rate_stars`` with the chosen rule set;
- **scoreboard inputs**: the store's context indicators plus the industrial-structure
  indicators (``clusters.compute_structural_indicators`` on the rated clusters of the level);
- **scoreboard**: ``scoreboard.compute_scoreboard`` on those inputs with the framework
  variant (checked against the indicators available), the **EU-28 countries that have
  values at the level** as the reference set (the EU average = 100) and the NUTS edition of
  the statistics;
- **rank intervals**: ``uncertainty.simulate_rank_uncertainty`` on that scoreboard,
  ``DEFAULT_DRAWS`` seeded draws unless asked otherwise, 5th-95th percentile;
- region and country names, the EU-28 regions of a level, and the polygons of a level;
- the recipes of smart specialisation and cluster policy (relatedness, diversification
  opportunities, variety, region groups, the policy dashboard, S3 alignment) are in the
  companion module ``policy_recipes``, on the same memo and the same rated clusters.

Results are kept in one per-process memo keyed by the store version and the parameters that
shape them, so a batch worker computes the Europe-wide tables once for hundreds of regions;
everything kept is deterministic, so a result never depends on what ran before it.
``current_store`` is the one way products load the store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from observatory_lib import paths
from observatory_lib.constants import (
    DEFAULT_STAR_PRESET,
    EU_LABEL,
    GROWTH_WINDOW_YEARS,
    STATISTICS_EDITION,
)
from observatory_lib.data.store import Store, current_version, load_store
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.indicators.clusters import (
    STRUCTURAL_INDICATORS,
    compute_cluster_indicators,
    compute_structural_indicators,
    reference_set_description,
)
from observatory_lib.indicators.framework import (
    DEFAULT_FRAMEWORK_FILE,
    DEFAULT_VARIANT,
    Framework,
    load_framework,
)
from observatory_lib.indicators.panorama import RANKING, CategoryConcentration, PanoramaSummary
from observatory_lib.indicators.panorama import compute_concentration as concentrate
from observatory_lib.indicators.panorama import compute_concentrations as concentrate_all
from observatory_lib.indicators.panorama import panorama_summary as summarise_panorama
from observatory_lib.indicators.scoreboard import (
    EU28_COUNTRIES,
    ScoreboardResult,
    compute_scoreboard,
)
from observatory_lib.indicators.stars import StarRuleSet, load_star_preset, rate_stars
from observatory_lib.indicators.uncertainty import (
    DEFAULT_DRAWS,
    UncertaintyResult,
    simulate_rank_uncertainty,
)

if TYPE_CHECKING:
    import geopandas as gpd

EU_COUNTRIES = EU28_COUNTRIES
DEFAULT_SEED = 0
MIN_STARS = 1
RANK_PERCENTILES = (5.0, 95.0)
# A "strong" diversification opportunity: at least half of the category's related weight is
# already a specialisation of the region (relatedness density >= 50).
_MEMO_SIZE = 256  # a few Europe-wide tables per level and preset, one map per category

_MEMO: dict[tuple, Any] = {}
_STORES: dict[tuple[str, str], Store] = {}

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "DEFAULT_VARIANT",
    "EU_COUNTRIES",
    "EU_LABEL",
    "MIN_STARS",
    "RANK_PERCENTILES",
    "available_indicators",
    "category_concentration",
    "category_concentrations",
    "clear_cache",
    "cluster_indicators",
    "cluster_levels",
    "cluster_ranks",
    "cluster_years",
    "country_names",
    "current_store",
    "eu_region_codes",
    "framework",
    "geometries",
    "memo",
    "panorama_summary",
    "rank_intervals",
    "rated_clusters",
    "reference_description",
    "reference_or_none",
    "region_names",
    "scoreboard",
    "scoreboard_inputs",
    "scoreboard_tables",
    "statistics_edition",
    "statistics_regions",
    "structural_indicators",
]


# --- the memo and the store ------------------------------------------------------------------


def memo(key: tuple[Hashable, ...], compute: Callable[[], Any]) -> Any:
    """The value kept under ``key``, computed on first use (at most ``_MEMO_SIZE`` kept).

    Keys start with the store version when the value depends on the store. Products use it
    for their own per-process tables too (e.g. a category's map), so one ``clear_cache``
    forgets everything.
    """
    if key in _MEMO:
        return _MEMO[key]
    value = compute()
    while len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = value
    return value


def clear_cache() -> None:
    """Forget every kept result and store (tests use it to prove cache independence)."""
    _MEMO.clear()
    _STORES.clear()


def current_store(root: str | os.PathLike[str] | None = None) -> Store:
    """The current store, loaded once per process while ``CURRENT`` names the same version.

    The one way products load the store: ``load_store`` reads every table (about half a
    second) and a batch worker asks for it for every region. A rebuilt store (a new version
    in ``CURRENT``) is loaded afresh and the memo keyed by the old version ages out.

    Raises:
        StoreError: no store has been built yet, or it cannot be read (the fix is named).
    """
    directory = Path(root) if root is not None else paths.store_dir()
    key = (str(directory), current_version(directory))
    if key not in _STORES:
        _STORES.clear()
        _STORES[key] = load_store(directory)
    return _STORES[key]


# --- regions and names -------------------------------------------------------------------------


def statistics_regions(store: Store) -> pd.DataFrame:
    """The regions of the statistics' NUTS edition, one row per code, indexed by code."""

    def compute() -> pd.DataFrame:
        regions = store.regions.loc[store.regions["nuts_edition"] == STATISTICS_EDITION]
        return regions.drop_duplicates("region_code").set_index("region_code", drop=False)

    return memo((store.version, "regions"), compute)


def region_names(store: Store, level: int) -> pd.DataFrame:
    """``region_code, region_name`` of every region of ``level`` (the statistics' edition first)."""

    def compute() -> pd.DataFrame:
        regions = store.regions.loc[store.regions["nuts_level"] == level]
        preferred = regions.sort_values("nuts_edition", key=lambda e: e != STATISTICS_EDITION)
        names = preferred[["region_code", "region_name"]].drop_duplicates("region_code")
        return names.reset_index(drop=True)

    return memo((store.version, "region_names", int(level)), compute)


def country_names(store: Store) -> pd.DataFrame:
    """``country_code, country_name`` of every country."""
    return region_names(store, 0).rename(
        columns={"region_code": "country_code", "region_name": "country_name"}
    )


def eu_region_codes(store: Store, level: int) -> frozenset[str]:
    """The EU-28 regions of ``level``: no aggregates, no extra-regio codes."""

    def compute() -> frozenset[str]:
        regions = statistics_regions(store)
        keep = (
            regions["nuts_level"].eq(level)
            & regions["country_code"].isin(EU_COUNTRIES)
            & ~regions["is_aggregate"].fillna(False).astype(bool)
            & ~regions["region_code"].str[2:].str.fullmatch("Z+").fillna(False).astype(bool)
        )
        return frozenset(regions.loc[keep, "region_code"])

    return memo((store.version, "eu_regions", int(level)), compute)


def geometries(store: Store, level: int) -> gpd.GeoDataFrame:
    """The polygons of ``level`` in the statistics' NUTS edition, one row per code.

    Raises:
        UnknownCodeError: the store has no polygons at that level (valid levels listed).
    """

    def compute() -> gpd.GeoDataFrame:
        shapes = store.geometries
        edition = shapes.loc[shapes["nuts_edition"] == STATISTICS_EDITION]
        chosen = edition.loc[edition["nuts_level"] == level]
        if chosen.empty:
            levels = sorted(str(v) for v in edition["nuts_level"].unique())
            raise unknown_code("NUTS level", str(level), levels)
        return chosen.drop_duplicates("region_code", keep="last")

    return memo((store.version, "geometries", int(level)), compute)


# --- clusters ----------------------------------------------------------------------------------


def cluster_levels(store: Store) -> list[int]:
    """The NUTS levels with cluster employment in the store."""
    return memo(
        (store.version, "cluster_levels"),
        lambda: sorted(int(v) for v in store.cluster_employment["nuts_level"].dropna().unique()),
    )


def cluster_years(store: Store) -> list[int]:
    """The years with cluster data in the store (2008-2015 on the real data)."""
    return memo(
        (store.version, "cluster_years"),
        lambda: sorted(int(v) for v in store.cluster_employment["year"].dropna().unique()),
    )


def statistics_edition(store: Store) -> int:
    """The NUTS edition the store's statistics are shown in (``store.json``, else the setting)."""
    return int(store.info.get("statistics_nuts_edition", STATISTICS_EDITION))


def _checked_level(store: Store, level: int) -> int:
    level = int(level)
    if level not in cluster_levels(store):
        levels = [str(v) for v in cluster_levels(store)]
        raise unknown_code("NUTS level", str(level), levels, hint="Levels with cluster data.")
    return level


def cluster_indicators(
    store: Store, level: int = 2, *, reference_countries: Sequence[str] | None = None
) -> pd.DataFrame:
    """Every cluster indicator of every region x category x year at one NUTS level.

    Employment, size, LQ, focus, wages and wages per person employed (also relative to the
    category's European average = 100), local units and persons per local unit, and the
    compound annual employment growth over the ``GROWTH_WINDOW_YEARS`` ending in each year
    (missing, flagged, where the window spans a series break). Not rated (no stars).
    """
    level = _checked_level(store, level)
    countries = reference_or_none(reference_countries)
    return memo(
        (store.version, "indicators", level, countries),
        lambda: compute_cluster_indicators(
            store.cluster_employment,
            store.region_employment_totals,
            level=level,
            reference_countries=countries,
            growth_window=GROWTH_WINDOW_YEARS,
        ),
    )


def rated_clusters(
    store: Store,
    level: int = 2,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    *,
    year: int | None = None,
    reference_countries: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cluster indicators and star ratings of every region x category at one NUTS level.

    Args:
        store: the loaded store.
        level: NUTS level with cluster data (``cluster_levels``).
        star_preset: a preset name (``stars.list_star_presets()``) or a rule set.
        year: keep this year only (checked against the years in the store); None keeps all,
            each rated within its own year.
        reference_countries: the European reference set; None or empty: every country
            present at the level.

    Raises:
        UnknownCodeError: unknown preset, level, year or country (valid choices listed).
    """
    rules = load_star_preset(star_preset)
    level = _checked_level(store, level)
    countries = reference_or_none(reference_countries)

    def compute() -> pd.DataFrame:
        indicators = cluster_indicators(store, level, reference_countries=countries)
        return rate_stars(indicators, rules)

    key = (store.version, "rated", level, rules, countries)
    rated = memo(key, compute)
    if year is None:
        return _select_year(rated, None)
    by_year = memo(
        (*key, "by_year"),
        lambda: {
            int(value): rows.reset_index(drop=True)
            for value, rows in rated.groupby("year", sort=True)
        },
    )
    if int(year) not in by_year:
        _select_year(rated, year)  # raises, naming the years with data
    # a shallow copy: under copy-on-write a caller's changes never reach the memo's table
    return by_year[int(year)].copy(deep=False)


def structural_indicators(
    store: Store, level: int, star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET
) -> pd.DataFrame:
    """Starred employment share and specialisation diversity per region and year at ``level``.

    Empty (with the long columns) when the level has no cluster data.
    """
    rules = load_star_preset(star_preset)

    def compute() -> pd.DataFrame:
        if int(level) not in cluster_levels(store):
            return pd.DataFrame(columns=["region_code", "indicator_code", "year", "value"])
        rated = rated_clusters(store, level, rules)
        return compute_structural_indicators(rated, min_stars=MIN_STARS)

    return memo((store.version, "structural", int(level), rules), compute)


def reference_description(
    store: Store, level: int, reference_countries: Sequence[str] | None = None
) -> str:
    """The European reference set of the cluster indicators at ``level`` in one sentence."""
    countries = reference_or_none(reference_countries)
    return memo(
        (store.version, "reference_description", int(level), countries),
        lambda: reference_set_description(
            store.cluster_employment, level=int(level), reference_countries=countries
        ),
    )


def cluster_ranks(
    store: Store, level: int, star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET
) -> pd.DataFrame:
    """The Panorama's order of the rated clusters of ``level``, for every year.

    ``rank_in_category``: the regions of a category as ``panorama.category_view`` ranks them;
    ``rank_in_region``: a region's categories as ``panorama.region_portfolio`` ranks them.
    Both sort by ``panorama.RANKING`` (stars, LQ, employment), descending, missing last, ties
    in the rated table's order; one stable sort for every category and region at once.

    Returns:
        ``region_code, category_code, nuts_level, year, rank_in_category, rank_in_region``.
    """
    rules = load_star_preset(star_preset)

    def compute() -> pd.DataFrame:
        rated = rated_clusters(store, level, rules)
        keys = ["region_code", "category_code", "nuts_level", "year"]
        ranks = rated[keys].copy()
        for name, group in (
            ("rank_in_category", "category_code"),
            ("rank_in_region", "region_code"),
        ):
            ordered = rated.sort_values(
                [group, "year", *RANKING],
                ascending=[True, True, *[False] * len(RANKING)],
                na_position="last",
                kind="stable",
            )
            ranks.loc[ordered.index, name] = ordered.groupby([group, "year"]).cumcount() + 1
        return ranks.astype({"rank_in_category": "int64", "rank_in_region": "int64"})

    return memo((store.version, "cluster_ranks", int(level), rules), compute)


def category_concentration(
    store: Store,
    level: int,
    category_code: str,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    *,
    year: int,
    top_n: int = 10,
) -> CategoryConcentration:
    """How concentrated a category's employment is across the reference regions (top-n share,
    Herfindahl, Gini): ``panorama.compute_concentration`` on the rated clusters."""
    rules = load_star_preset(star_preset)
    rated = rated_clusters(store, level, rules)
    return memo(
        (store.version, "concentration", int(level), category_code, rules, int(year), top_n),
        lambda: concentrate(rated, category_code, year=int(year), level=int(level), top_n=top_n),
    )


def category_concentrations(
    store: Store,
    level: int,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    *,
    top_n: int = 10,
) -> list[CategoryConcentration]:
    """``category_concentration`` of every category and year at ``level``, in one pass
    (``panorama.compute_concentrations``): the same measures, for the apps' tables."""
    rules = load_star_preset(star_preset)
    rated = rated_clusters(store, level, rules)
    return memo(
        (store.version, "concentrations", int(level), rules, top_n),
        lambda: concentrate_all(rated, level=int(level), top_n=top_n),
    )


# --- the scoreboard ------------------------------------------------------------------------------


def framework(variant: str = DEFAULT_VARIANT, available: Iterable[str] | None = None) -> Framework:
    """The scoreboard framework with a weight variant, kept until its file changes.

    Args:
        variant: a weight variant of ``data/scoreboard_framework.yaml``.
        available: when given, every indicator of the framework must be one of these codes
            (a missing one is reported with its line in the file).

    Raises:
        ConfigError: unknown variant or indicator, with the file, the line and the fix.
    """
    pool = None if available is None else tuple(sorted({str(code) for code in available}))
    digest = hashlib.sha256(DEFAULT_FRAMEWORK_FILE.read_bytes()).hexdigest()
    return memo(
        ("framework", digest, variant, pool),
        lambda: load_framework(variant=variant, available_indicators=pool),
    )


def scoreboard_inputs(
    store: Store, level: int, star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET
) -> pd.DataFrame:
    """The store's context indicators plus the industrial-structure indicators at ``level``.

    Returns:
        A long frame with the ``context_indicators`` columns, ready for ``compute_scoreboard``.
    """
    rules = load_star_preset(star_preset)

    def compute() -> pd.DataFrame:
        context = store.context_indicators
        structural = structural_indicators(store, level, rules)
        if structural.empty:
            return context
        context = context.loc[~context["indicator_code"].isin(structural["indicator_code"])]
        structural = structural.reindex(columns=context.columns).astype(
            {column: context[column].dtype for column in ("region_code", "indicator_code")}
        )
        return pd.concat([context, structural], ignore_index=True)

    return memo((store.version, "scoreboard_inputs", int(level), rules), compute)


def scoreboard(
    store: Store,
    level: int = 2,
    *,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    variant: str = DEFAULT_VARIANT,
    normalisation: str = "minmax",
    aggregation: str = "arithmetic",
    year: int | None = None,
) -> ScoreboardResult:
    """The Regional Ecosystem Scoreboard of every region at ``level``.

    Args:
        store: the loaded store.
        level: NUTS level.
        star_preset: star rule set of the industrial-structure indicators.
        variant: a weight variant of the framework.
        normalisation: ``minmax`` or ``zscore``.
        aggregation: ``arithmetic`` or ``geometric``.
        year: None for each indicator's framework reference year, else every indicator's
            target year (the framework's lags stay).

    Raises:
        ObservatoryError: unknown variant or method, or no region of the level with values of
            the framework's indicators (the message names the choices).
    """
    rules = load_star_preset(star_preset)
    key = (store.version, "scoreboard", int(level), rules, variant, normalisation, aggregation)

    def compute() -> ScoreboardResult:
        inputs = scoreboard_inputs(store, level, rules)
        chosen = framework(variant, available=available_indicators(store))
        countries = _eu_countries_with_values(inputs, chosen, int(level))
        if not countries:
            raise ObservatoryError(
                f"No EU-28 region of NUTS level {level} has values of the scoreboard's "
                "indicators, so the scoreboard cannot be computed there; choose level 0, 1 "
                "or 2."
            )
        return compute_scoreboard(
            inputs,
            chosen,
            store.regions,
            level=int(level),
            normalisation=normalisation,
            aggregation=aggregation,
            reference_countries=countries,
            reference_year=year,
            nuts_edition=STATISTICS_EDITION,
        )

    return memo((*key, year), compute)


def rank_intervals(
    store: Store,
    level: int = 2,
    *,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    variant: str = DEFAULT_VARIANT,
    normalisation: str = "minmax",
    aggregation: str = "arithmetic",
    year: int | None = None,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> UncertaintyResult:
    """Monte Carlo rank intervals of the scoreboard with these settings (5th-95th percentile).

    Raises:
        ObservatoryError: as ``scoreboard``, or a bad number of draws.
    """
    rules = load_star_preset(star_preset)
    settings = {
        "star_preset": rules,
        "variant": variant,
        "normalisation": normalisation,
        "aggregation": aggregation,
        "year": year,
    }
    key = (store.version, "ranks", int(level), *settings.values(), int(n_draws), int(seed))
    return memo(
        key,
        lambda: simulate_rank_uncertainty(
            scoreboard(store, level, **settings),
            n_draws=int(n_draws),
            seed=int(seed),
            percentiles=RANK_PERCENTILES,
        ),
    )


@dataclasses.dataclass(frozen=True)
class ScoreboardTables:
    """The scoreboard as the products publish it.

    Attributes:
        result: the ``ScoreboardResult`` (scores, ranks, groups, fallbacks, coverage).
        uncertainty: its Monte Carlo rank intervals.
        overall: the overall index with the rank intervals, in rank order.
        dimension_scores, indicator_scores: long tables with region names and labels.
    """

    result: ScoreboardResult
    uncertainty: UncertaintyResult
    overall: pd.DataFrame
    dimension_scores: pd.DataFrame
    indicator_scores: pd.DataFrame


def scoreboard_tables(
    store: Store,
    level: int = 2,
    *,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    **settings: Any,
) -> ScoreboardTables:
    """``scoreboard`` and ``rank_intervals`` joined into the tables every product publishes.

    Args:
        store: the loaded store.
        level: NUTS level.
        n_draws, seed: the rank intervals' draws.
        **settings: ``star_preset``, ``variant``, ``normalisation``, ``aggregation``, ``year``
            as for ``scoreboard``.
    """
    settings = {
        **settings,
        "star_preset": load_star_preset(settings.get("star_preset", DEFAULT_STAR_PRESET)),
    }
    result = scoreboard(store, level, **settings)
    uncertainty = rank_intervals(store, level, n_draws=n_draws, seed=seed, **settings)
    key = (store.version, "scoreboard_tables", int(level), *sorted(settings.items()), n_draws, seed)

    def compute() -> ScoreboardTables:
        labels = result.framework.labels()
        intervals = uncertainty.ranks[
            ["region_code", "rank_median", "rank_p05", "rank_p95", "group_stability"]
        ]
        overall = result.overall.merge(intervals, on="region_code", how="left").sort_values(
            ["rank_europe", "region_code"], na_position="last", ignore_index=True
        )
        names = result.overall[["region_code", "region_name", "country_code"]]
        dimensions = result.dimension_scores.merge(names, on="region_code", how="left")
        indicators = result.indicator_scores.merge(names, on="region_code", how="left")
        return ScoreboardTables(
            result=result,
            uncertainty=uncertainty,
            overall=overall,
            dimension_scores=dimensions.assign(
                dimension_label=dimensions["dimension_code"].map(labels)
            ),
            indicator_scores=indicators.assign(
                indicator_label=indicators["indicator_code"].map(labels)
            ),
        )

    return memo(key, compute)


def panorama_summary(
    store: Store,
    level: int = 2,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    *,
    year: int,
    reference_countries: Sequence[str] | None = None,
) -> PanoramaSummary:
    """Starred clusters per region and country, the leaders and the emerging industries.

    ``panorama.panorama_summary`` of the rated clusters of ``level`` and ``year``; regions
    whose clusters could not be rated have no starred count (missing, never 0).
    """
    rules = load_star_preset(star_preset)
    countries = reference_or_none(reference_countries)
    rated = rated_clusters(store, level, rules, year=year, reference_countries=countries)
    return memo(
        (store.version, "panorama_summary", int(level), rules, int(year), countries),
        lambda: summarise_panorama(
            rated, store.regions, year=int(year), level=int(level), min_stars=MIN_STARS
        ),
    )


def available_indicators(store: Store) -> frozenset[str]:
    """Every indicator code the scoreboard can use: the store's context indicators, and the
    industrial-structure indicators where the store has cluster data at some level."""

    def compute() -> frozenset[str]:
        codes = set(store.context_indicators["indicator_code"].dropna().astype(str))
        if cluster_levels(store):
            codes |= set(STRUCTURAL_INDICATORS)
        return frozenset(codes)

    return memo((store.version, "available_indicators"), compute)


def _eu_countries_with_values(inputs: pd.DataFrame, chosen: Framework, level: int) -> list[str]:
    """The EU-28 countries with values of the framework's indicators at ``level``."""
    rows = inputs.loc[
        inputs["nuts_level"].eq(level)
        & inputs["indicator_code"].isin(chosen.indicator_codes)
        & inputs["value"].notna()
    ]
    present = set(rows["region_code"].str[:2])
    return [country for country in EU_COUNTRIES if country in present]


# --- small helpers ---------------------------------------------------------------------------


def reference_or_none(reference_countries: Sequence[str] | str | None) -> tuple | None:
    """A tuple of country codes, or None for "every country present" (also for empty)."""
    if reference_countries is None:
        return None
    chosen = [reference_countries] if isinstance(reference_countries, str) else reference_countries
    codes = tuple(str(code).strip() for code in chosen if str(code).strip())
    return codes or None


def _select_year(frame: pd.DataFrame, year: int | None) -> pd.DataFrame:
    if year is None:
        # a shallow copy: under copy-on-write a caller's changes never reach the memo's table
        return frame.copy(deep=False)
    years = sorted(int(value) for value in frame["year"].unique())
    if int(year) not in years:
        raise unknown_code(
            "year", str(year), [str(value) for value in years], hint="Years with cluster data."
        )
    return frame.loc[frame["year"] == int(year)].reset_index(drop=True)

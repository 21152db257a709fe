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
- **relatedness** (``relatedness``): proximity between categories and relatedness density
  from the LQs of the rated clusters of one level and year (the regions of the European
  reference set define the proximity), diversification opportunities with their supporting
  strengths and the categories' European size, related and unrelated variety;
- **region groups** (``region_groups``): the validated groups of ``data/region_groups.yaml``,
  each group's rated clusters (employment summed, LQs and stars recomputed against Europe at
  the finest level among its members), aggregated context indicators and relatedness;
- **cluster policy** (``policy``): a region's policy dashboard (weakest scoreboard dimensions
  and indicators against its peers with their policy areas) and the alignment of regional S3
  priorities (the Czech RIS3 domains, or a file in the S3 input format) with the statistics.

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
    DEFAULT_YEAR,
    EU_LABEL,
    STATISTICS_EDITION,
)
from observatory_lib.data.region_groups import RegionGroup, read_region_groups
from observatory_lib.data.store import Store, current_version, load_store
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.indicators import policy
from observatory_lib.indicators import region_groups as groups
from observatory_lib.indicators import relatedness as related
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
from observatory_lib.indicators.panorama import PanoramaSummary
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
STRONG_DENSITY = 50.0
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
    "STRONG_DENSITY",
    "available_indicators",
    "category_groups",
    "category_sizes",
    "clear_cache",
    "cluster_levels",
    "country_names",
    "current_store",
    "eu_region_codes",
    "framework",
    "geometries",
    "group_context",
    "group_opportunities",
    "group_rated_clusters",
    "memo",
    "opportunities",
    "opportunity_summary",
    "opportunity_support",
    "panorama_summary",
    "policy_areas",
    "policy_dashboard",
    "proximity",
    "rank_intervals",
    "rated_clusters",
    "reference_description",
    "reference_or_none",
    "region_group",
    "region_groups",
    "region_names",
    "relatedness",
    "relatedness_density",
    "s3_alignment",
    "s3_priorities",
    "scoreboard",
    "scoreboard_inputs",
    "scoreboard_tables",
    "statistics_regions",
    "strongest_pairs",
    "structural_indicators",
    "variety",
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
        year: keep this year only (checked against the years in the store); None keeps all.
        reference_countries: the European reference set; None or empty: every country
            present at the level.

    Raises:
        UnknownCodeError: unknown preset, level, year or country (valid choices listed).
    """
    rules = load_star_preset(star_preset)
    level = int(level)
    if level not in cluster_levels(store):
        levels = [str(v) for v in cluster_levels(store)]
        raise unknown_code("NUTS level", str(level), levels, hint="Levels with cluster data.")
    countries = reference_or_none(reference_countries)

    def compute() -> pd.DataFrame:
        indicators = compute_cluster_indicators(
            store.cluster_employment,
            store.region_employment_totals,
            level=level,
            reference_countries=countries,
        )
        return rate_stars(indicators, rules)

    rated = memo((store.version, "rated", level, rules, countries), compute)
    return _select_year(rated, year)


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


# --- relatedness and diversification -------------------------------------------------------------


def relatedness(store: Store, level: int = 2, year: int = DEFAULT_YEAR) -> related.Relatedness:
    """Proximity and relatedness density of every region and category at ``level`` and
    ``year``, from the LQs of ``rated_clusters``; traded and emerging separately."""
    rated = rated_clusters(store, level)
    return memo(
        (store.version, "relatedness", int(level), int(year)),
        lambda: related.compute_relatedness(rated, year=int(year)),
    )


def proximity(store: Store, level: int = 2, year: int = DEFAULT_YEAR) -> pd.DataFrame:
    """``category_code, related_category_code, proximity`` of every pair of the same type."""
    space = relatedness(store, level, year)
    return memo(
        (store.version, "proximity", int(level), int(year)),
        lambda: related.proximity_table(space),
    ).copy(deep=False)


def relatedness_density(store: Store, level: int = 2, year: int = DEFAULT_YEAR) -> pd.DataFrame:
    """``region_code, category_code, year, lq, is_specialised, relatedness_density`` (and
    ``n_categories_unknown``) of every region and category at ``level``."""
    space = relatedness(store, level, year)
    return memo(
        (store.version, "relatedness_density", int(level), int(year)),
        lambda: related.density_table(space),
    ).copy(deep=False)


def strongest_pairs(
    store: Store, level: int = 2, year: int = DEFAULT_YEAR, n: int = 20
) -> pd.DataFrame:
    """The ``n`` most related category pairs of each type, with their regions' counts."""
    space = relatedness(store, level, year)
    return memo(
        (store.version, "strongest_pairs", int(level), int(year), int(n)),
        lambda: related.strongest_pairs(space, n),
    ).copy(deep=False)


def category_sizes(store: Store, level: int = 2, year: int = DEFAULT_YEAR) -> pd.DataFrame:
    """Each category's European employment, its share and its growth since the first year
    ("not available" while the store holds one year)."""
    rated = rated_clusters(store, level)
    return memo(
        (store.version, "category_sizes", int(level), int(year)),
        lambda: related.category_sizes(rated, year=int(year)),
    ).copy(deep=False)


def _opportunity_tables(store: Store, level: int, year: int) -> tuple:
    """Every region's opportunities (names and sizes added) and their support, and both split
    by region (one region's rows without scanning the whole tables)."""
    space = relatedness(store, level, year)

    def compute():
        ranked, support = _named_opportunities(
            store, level, year, *related.opportunity_tables(space)
        )
        by_region = dict(iter(ranked.groupby("region_code", sort=True)))
        support_by_region = dict(iter(support.groupby("region_code", sort=True)))
        return ranked, support, by_region, support_by_region

    return memo((store.version, "opportunity_tables", int(level), int(year)), compute)


def _named_opportunities(
    store: Store, level: int, year: int, ranked: pd.DataFrame, support: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = store.cluster_categories.set_index("category_code")["category_name"]
    return related.with_names_and_sizes(ranked, support, names, category_sizes(store, level, year))


def opportunities(
    store: Store, region_code: str | None = None, *, level: int = 2, year: int = DEFAULT_YEAR
) -> pd.DataFrame:
    """A region's (None: every region's) diversification opportunities: the categories with a
    known LQ < 1, ranked by relatedness density within their type (``rank_in_region``), with
    ``n_related_strengths`` (``opportunity_support`` names them) and the category's European
    size and growth. What the region explorer shows; an unknown region lists the nearest."""
    ranked, _, by_region, _ = _opportunity_tables(store, level, year)
    if region_code is None:
        return ranked.copy(deep=False)
    if region_code not in by_region:
        _check_rated_region(store, region_code, level, year)
        return ranked.iloc[0:0].copy()
    return by_region[region_code].reset_index(drop=True)


def opportunity_support(
    store: Store, region_code: str | None = None, *, level: int = 2, year: int = DEFAULT_YEAR
) -> pd.DataFrame:
    """The specialisations that support each opportunity (strongest link first, up to three):
    ``region_code, category_code, support_rank, related_category_code, related_category_name,
    proximity, related_lq``."""
    _, support, _, by_region = _opportunity_tables(store, level, year)
    if region_code is None:
        return support.copy(deep=False)
    if region_code not in by_region:
        _check_rated_region(store, region_code, level, year)
        return support.iloc[0:0].copy()
    return by_region[region_code].reset_index(drop=True)


def opportunity_summary(store: Store, level: int = 2, year: int = DEFAULT_YEAR) -> pd.DataFrame:
    """Per region and category type: specialisations, opportunities, strong opportunities
    (relatedness density >= ``STRONG_DENSITY``) and the mean density of the opportunities."""
    density = relatedness_density(store, level, year)

    def compute() -> pd.DataFrame:
        types = store.cluster_categories.set_index("category_code")["category_type"]
        summary = related.summarise_opportunities(density, types, strong_density=STRONG_DENSITY)
        names = region_names(store, int(level))
        return summary.merge(names, on="region_code", how="left").assign(year=int(year))

    return memo((store.version, "opportunity_summary", int(level), int(year)), compute)


def category_groups(store: Store) -> pd.DataFrame:
    """Each category's technology group (``data/technology_groups.yaml``), for variety."""
    digest = hashlib.sha256(related.TECHNOLOGY_GROUPS_FILE.read_bytes()).hexdigest()
    return memo(
        (store.version, "category_groups", digest),
        lambda: related.category_groups(store.cluster_nace_classes),
    )


def variety(store: Store, level: int = 2, year: int = DEFAULT_YEAR) -> pd.DataFrame:
    """Related, unrelated and total variety (bits) of every region's traded employment."""
    rated = rated_clusters(store, level)
    groups = category_groups(store)
    return memo(
        (store.version, "variety", int(level), int(year)),
        lambda: related.compute_variety(rated, groups, year=int(year)).merge(
            region_names(store, int(level)), on="region_code", how="left"
        ),
    ).copy(deep=False)


def _check_rated_region(store: Store, region_code: str, level: int, year: int) -> None:
    """Raise the standard unknown-region error unless ``region_code`` has rated clusters."""
    codes = relatedness(store, level, year).regions
    if region_code not in set(codes):
        raise unknown_code(
            "region", region_code, codes, hint=f"Regions with cluster data at NUTS level {level}."
        )


# --- region groups -----------------------------------------------------------------------------


def region_groups(store: Store, path: str | os.PathLike[str] | None = None) -> tuple:
    """The validated groups of ``data/region_groups.yaml`` (or ``path``), kept until it
    changes; a bad file raises one ConfigError naming every bad line and its fix."""
    source = Path(path) if path is not None else paths.region_groups_file()
    digest = hashlib.sha256(source.read_bytes()).hexdigest() if source.is_file() else ""
    return memo(
        (store.version, "region_groups", str(source), digest),
        lambda: read_region_groups(source, store.regions),
    )


def region_group(
    store: Store, code: str, path: str | os.PathLike[str] | None = None
) -> RegionGroup:
    """One group by code (unknown codes list the nearest group codes)."""
    found = {group.code: group for group in region_groups(store, path)}
    if code not in found:
        raise unknown_code("region group", code, found, hint="Groups are in the groups file.")
    return found[code]


def group_rated_clusters(
    store: Store, group: RegionGroup, star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET
) -> pd.DataFrame:
    """The group's cluster indicators and stars (the columns of ``rated_clusters``)."""
    rules = load_star_preset(star_preset)
    return memo(
        (store.version, "group_rated", group, rules),
        lambda: groups.rate_group(
            store.cluster_employment, store.region_employment_totals, group, rules
        ),
    ).copy(deep=False)


def group_context(store: Store, group: RegionGroup) -> pd.DataFrame:
    """The group's context indicators, aggregated as ``data/group_aggregation.yaml`` states."""
    digest = hashlib.sha256(groups.AGGREGATION_FILE.read_bytes()).hexdigest()
    return memo(
        (store.version, "group_context", group, digest),
        lambda: groups.aggregate_context(
            store.context_indicators, store.regions, group, groups.load_aggregation_rules()
        ),
    ).copy(deep=False)


def group_opportunities(store: Store, group: RegionGroup, *, year: int = DEFAULT_YEAR) -> dict:
    """The group's relatedness in the European category space of NUTS-2 regions: ``density``,
    ``opportunities``, ``support`` (the columns a region gets), ``summary`` (as
    ``opportunity_summary``) and ``variety`` (as ``variety``)."""
    rated = group_rated_clusters(store, group)
    space = relatedness(store, 2, year)

    def compute() -> dict:
        lqs = rated.loc[rated["year"] == int(year), ["category_code", "lq"]]
        own = related.relatedness_of(lqs, space, group.code)
        ranked, support = _named_opportunities(store, 2, year, *related.opportunity_tables(own))
        density = related.density_table(own)
        types = store.cluster_categories.set_index("category_code")["category_type"]
        return {
            "density": density,
            "opportunities": ranked,
            "support": support,
            "summary": related.summarise_opportunities(
                density, types, strong_density=STRONG_DENSITY
            ),
            "variety": related.compute_variety(rated, category_groups(store), year=int(year)),
        }

    return memo((store.version, "group_opportunities", group, int(year)), compute)


# --- cluster policy ------------------------------------------------------------------------------


def policy_areas() -> policy.PolicyAreas:
    """``data/policy_areas.yaml``, checked to map every node of the scoreboard framework."""
    digest = hashlib.sha256(policy.POLICY_AREAS_FILE.read_bytes()).hexdigest()
    return memo(("policy_areas", digest), lambda: policy.load_policy_areas(framework=framework()))


def policy_dashboard(
    store: Store,
    region_code: str,
    peers: Sequence[str],
    *,
    level: int = 2,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    variant: str = DEFAULT_VARIANT,
) -> tuple[pd.DataFrame, str]:
    """A region's weakest dimensions and indicators against ``peers`` with their policy areas:
    ``(dashboard, basis)``, ``basis`` ``"peers"`` or ``"eu"`` (no peer has a score)."""
    result = scoreboard(store, level, star_preset=star_preset, variant=variant)
    return policy.dashboard_of(result, region_code, peers, policy_areas())


def s3_priorities(store: Store, source: str = "czechia") -> tuple[pd.DataFrame, list[str]]:
    """S3 priorities (``"czechia"``: the Czech RIS3 domains; else a CSV file in the S3 input
    format) with the NUTS-2 region of each, and the loader's notes."""
    from observatory_lib.data.s3_priorities import load_s3_priorities

    stamp = Path(source).stat().st_mtime_ns if Path(source).is_file() else 0
    return memo(
        (store.version, "s3_priorities", str(source), stamp),
        lambda: load_s3_priorities(
            source, store.regions, store.cluster_categories["category_code"]
        ),
    )


def s3_alignment(
    store: Store, source: str = "czechia", *, year: int = DEFAULT_YEAR
) -> policy.S3Alignment:
    """The alignment of S3 priorities (``s3_priorities``) with the NUTS-2 statistics."""
    priorities, _ = s3_priorities(store, source)
    density = relatedness_density(store, 2, year)
    types = store.cluster_categories.set_index("category_code")["category_type"].to_dict()
    stamp = Path(source).stat().st_mtime_ns if Path(source).is_file() else 0
    return memo(
        (store.version, "s3_alignment", str(source), stamp, int(year)),
        lambda: policy.align_s3_priorities(
            priorities,
            density,
            store.cluster_nace_classes,
            types,
            strong_density=STRONG_DENSITY,
        ),
    )


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

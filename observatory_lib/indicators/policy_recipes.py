"""The recipe layer of smart specialisation and cluster policy (issue 15): one place each.

The companion of ``recipes`` (same memo, same rated clusters, same store), for the numbers of
the smart specialisation report, the scorecard's "where next" and policy dashboard, the region
groups and the region explorer's opportunities:

- **relatedness** (``indicators.relatedness``): proximity between categories and relatedness
  density from the LQs of ``recipes.rated_clusters`` of one level and year (the regions of the
  European reference set define the proximity), diversification opportunities with their
  supporting strengths and the categories' European size, related and unrelated variety;
- **region groups** (``indicators.region_groups``): the validated groups of
  ``data/region_groups.yaml``, each group's rated clusters (employment summed, LQs and stars
  recomputed against Europe at the finest level among its members), aggregated context
  indicators and relatedness;
- **cluster policy** (``indicators.policy``): a region's policy dashboard (weakest scoreboard
  dimensions and indicators against its peers with their policy areas, on
  ``recipes.scoreboard``) and the alignment of regional S3 priorities (the Czech RIS3 domains,
  or a file in the S3 input format) with the statistics.

``recipes`` never imports this module (no cycle): products import both.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from observatory_lib import paths
from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR
from observatory_lib.data.region_groups import RegionGroup, read_region_groups
from observatory_lib.data.store import Store
from observatory_lib.errors import unknown_code
from observatory_lib.indicators import policy
from observatory_lib.indicators import region_groups as groups
from observatory_lib.indicators import relatedness as related
from observatory_lib.indicators.recipes import (
    DEFAULT_VARIANT,
    framework,
    memo,
    rated_clusters,
    region_names,
    scoreboard,
)
from observatory_lib.indicators.stars import StarRuleSet, load_star_preset

STRONG_DENSITY = 50.0  # a strong opportunity: half its related weight is a specialisation

__all__ = [
    "STRONG_DENSITY",
    "category_groups",
    "category_sizes",
    "group_context",
    "group_opportunities",
    "group_rated_clusters",
    "opportunities",
    "opportunity_summary",
    "opportunity_support",
    "policy_areas",
    "policy_dashboard",
    "proximity",
    "region_group",
    "region_groups",
    "relatedness",
    "relatedness_density",
    "s3_alignment",
    "s3_priorities",
    "strongest_pairs",
    "variety",
]


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
    store: Store,
    group: RegionGroup,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    *,
    year: int | None = None,
) -> pd.DataFrame:
    """The group's cluster indicators and stars (the columns of ``rated_clusters``), every
    year of the store or, with ``year``, that year's rows."""
    rules = load_star_preset(star_preset)
    rated = memo(
        (store.version, "group_rated", group, rules),
        lambda: groups.rate_group(
            store.cluster_employment, store.region_employment_totals, group, rules
        ),
    )
    if year is not None:
        rated = rated.loc[rated["year"] == int(year)]
    return rated.copy(deep=False)


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
    rated = group_rated_clusters(store, group, year=year)
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

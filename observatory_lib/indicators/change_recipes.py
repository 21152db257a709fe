"""Change over time, for every product: the recipes on the eight SBS years (2008-2015).

Shift-share, star transitions, category trends, Europe's change and its headline, the fastest-
growing regions and the long panel; the change window each product shows. Every one is computed
by ``indicators/change.py`` on ``recipes.cluster_indicators`` or ``recipes.rated_clusters`` and
kept in the recipe layer's memo under the store version (docs/METHODOLOGY.md, section 9).
``recipes`` never imports this module (no cycle): products import both.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from observatory_lib.constants import (
    DEFAULT_CHANGE_WINDOW,
    DEFAULT_STAR_PRESET,
    GROWTH_WINDOW_YEARS,
)
from observatory_lib.data.store import Store
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.indicators import change
from observatory_lib.indicators.recipes import (
    cluster_indicators,
    cluster_years,
    memo,
    rated_clusters,
)
from observatory_lib.indicators.stars import StarRuleSet, load_star_preset

__all__ = [
    "category_trends",
    "change_panel",
    "change_window",
    "europe_change",
    "europe_change_headline",
    "fastest_growing_regions",
    "shift_share",
    "star_transitions",
    "window_ending",
]


def change_window(store: Store, window: Sequence[int] | None = None) -> tuple[int, int]:
    """The (start, end) years a change is measured over: ``DEFAULT_CHANGE_WINDOW`` unless
    given, checked against the store's years (unknown years list the valid ones)."""
    start, end = (int(v) for v in (window or DEFAULT_CHANGE_WINDOW))
    years = cluster_years(store)
    for value in (start, end):
        if value not in years:
            raise unknown_code(
                "year", str(value), [str(y) for y in years], hint="Years with cluster data."
            )
    if start >= end:
        raise ObservatoryError(f"The change window {start}-{end} must run forward, e.g. 2011-2015.")
    return start, end


def window_ending(store: Store, year: int) -> tuple[int, int] | None:
    """The change window the products show for ``year``: ``GROWTH_WINDOW_YEARS`` back (or from
    the first year with data after that); None when ``year`` is the first year with data."""
    years = cluster_years(store)
    later = [y for y in years if max(int(year) - GROWTH_WINDOW_YEARS, years[0]) <= y < int(year)]
    return (later[0], int(year)) if later and int(year) in years else None


def shift_share(store: Store, level: int = 2, window: Sequence[int] | None = None) -> pd.DataFrame:
    """Shift-share of every regional cluster's employment change over the window
    (``change.compute_shift_share``; every country present forms Europe)."""
    start, end = change_window(store, window)
    return memo(
        (store.version, "shift_share", int(level), start, end),
        lambda: change.compute_shift_share(cluster_indicators(store, level), start, end),
    )


def star_transitions(
    store: Store,
    level: int = 2,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    window: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Stars gained, lost or kept over the window, with the criteria that flipped."""
    rules = load_star_preset(star_preset)
    start, end = change_window(store, window)
    return memo(
        (store.version, "transitions", int(level), rules, start, end),
        lambda: change.compute_star_transitions(rated_clusters(store, level, rules), start, end),
    )


def category_trends(
    store: Store, level: int = 2, window: Sequence[int] | None = None
) -> pd.DataFrame:
    """Each category's European employment per year on a constant set of regions."""
    start, end = change_window(store, window)
    return memo(
        (store.version, "trends", int(level), start, end),
        lambda: change.compute_category_trends(cluster_indicators(store, level), start, end),
    )


def europe_change(
    store: Store,
    level: int = 2,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    window: Sequence[int] | None = None,
) -> pd.DataFrame:
    """How each category changed in Europe over the window (growth, regions, star moves)."""
    rules = load_star_preset(star_preset)
    start, end = change_window(store, window)
    return memo(
        (store.version, "europe_change", int(level), rules, start, end),
        lambda: change.compute_europe_change(
            shift_share(store, level, (start, end)),
            star_transitions(store, level, rules, (start, end)),
            category_trends(store, level, (start, end)),
        ),
    )


def europe_change_headline(
    store: Store,
    level: int = 2,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    window: Sequence[int] | None = None,
) -> dict:
    """Europe's headline change over the traded categories (``change.summarise_europe_change``)."""
    rules = load_star_preset(star_preset)
    start, end = change_window(store, window)
    return memo(
        (store.version, "europe_headline", int(level), rules, start, end),
        lambda: change.summarise_europe_change(
            category_trends(store, level, (start, end)),
            star_transitions(store, level, rules, (start, end)),
        ),
    )


def fastest_growing_regions(
    store: Store,
    level: int,
    category_code: str,
    *,
    year: int,
    n: int = 10,
    min_employment: float = 1000,
) -> pd.DataFrame:
    """The regions where the category's employment grew fastest over the growth window
    ending in ``year`` (compound annual rate; clusters of at least ``min_employment``
    persons, series without a break), fastest first."""

    def by_category() -> dict[str, pd.DataFrame]:
        rows = cluster_indicators(store, level)
        rows = rows.loc[
            (rows["year"] == int(year))
            & rows["employment_growth_pct"].notna()
            & (rows["employment_persons"] >= min_employment)
        ]
        ordered = rows.sort_values(
            ["employment_growth_pct", "region_code"], ascending=[False, True]
        )
        return dict(iter(ordered.groupby("category_code", sort=False)))

    key = (store.version, "growing_by_category", int(level), int(year), float(min_employment))
    chosen = memo(key, by_category).get(category_code)
    if chosen is None:
        return cluster_indicators(store, level).iloc[0:0]
    return chosen.head(n).reset_index(drop=True)


def change_panel(
    store: Store, level: int = 2, star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET
) -> pd.DataFrame:
    """Every indicator of every region x category x year at ``level`` as a tidy long panel
    (``region_code, category_code, year, indicator_code, value, unit, flag, ...``)."""
    rules = load_star_preset(star_preset)
    return memo(
        (store.version, "change_panel", int(level), rules),
        lambda: change.to_long_panel(rated_clusters(store, level, rules)),
    )

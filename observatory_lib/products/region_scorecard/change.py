"""The scorecard's "change over time" part: its leading clusters from one year to another.

For the region's leading traded categories (the portfolio's first ``N_CHANGE_CATEGORIES``
with a known employment), over the window ending in the scorecard's year
(``constants.GROWTH_WINDOW_YEARS`` back, or from the first year with data): the employment
trend, the wage per person employed against the category's European average (= 100), the
star transition with the criterion that flipped, and the shift-share of the employment change
(European growth, category mix, regional component: jobs created beyond or below what the
category's European growth would have brought). One compact figure (``change_figure``: the
trend indexed to the start year, and the shift-share bars); the table is published by
``publication.change_over_time``, its notes (what was not computed and why) as footnotes.

Every number comes from the recipe layer; a change across a series break is "not computed"
and said so, never shown as plain growth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory_lib.indicators import change_recipes, recipes
from observatory_lib.indicators.change import STATUS_AVAILABLE, STATUS_BREAK, STATUS_ESTIMATED
from observatory_lib.products.kit.labels import NOT_AVAILABLE
from observatory_lib.products.region_scorecard.spec import ScorecardContext

N_CHANGE_CATEGORIES = 5
CHANGE_COLUMNS = [
    "category_code",
    "category_name",
    "employment_start",
    "employment_end",
    "employment_cagr_pct",
    "relative_wage_index",
    "stars_start",
    "stars_end",
    "stars_compared_out_of",
    "transition",
    "criteria_gained",
    "criteria_lost",
    "transition_spans_break",
    "actual_change",
    "expected_change",
    "european_growth_component",
    "category_mix_component",
    "regional_component",
    "status",
    "flag",
]
TREND_COLUMNS = ["category_code", "category_name", "year", "employment_persons"]
COMPONENTS = {
    "european_growth_component": "European growth",
    "category_mix_component": "Category mix",
    "regional_component": "Regional (vs expected)",
}
INTRO = (
    "The leading traded categories over {window}: employment and its compound annual growth, "
    "wages against Europe, stars in both years (on the criteria judged in both), and the jobs "
    "created beyond or below what Europe's growth and the category's European growth would "
    "have brought (*jobs vs expected*, the regional component of the shift-share)."
)


def empty_change(reason: str) -> dict:
    return {
        "available": False,
        "reason": reason,
        "window": None,
        "table": pd.DataFrame(columns=CHANGE_COLUMNS),
        "trend": pd.DataFrame(columns=TREND_COLUMNS),
        "notes": [f"Change over time not available: {reason}."],
    }


def change_section(context: ScorecardContext, portfolio: pd.DataFrame) -> dict:
    """The table, the trend and the notes of the change part (``empty_change`` when none)."""
    if portfolio.empty:
        return empty_change("the region has no rated cluster")
    window = change_recipes.window_ending(context.store, context.year)
    if window is None:
        return empty_change(f"{context.year} is the first year with cluster data")
    store, level = context.store, context.level
    leading = portfolio.loc[
        portfolio["employment_persons"].notna(), ["category_code", "category_name"]
    ]
    leading = leading.head(N_CHANGE_CATEGORIES).reset_index(drop=True)
    code = context.region_code
    shift = _region_rows(
        context, ("shift", window), lambda: change_recipes.shift_share(store, level, window), code
    )
    moves = _region_rows(
        context,
        ("moves", context.rule_set, window),
        lambda: change_recipes.star_transitions(store, level, context.rule_set, window),
        code,
    )
    indicators = _region_rows(
        context, ("indicators",), lambda: recipes.cluster_indicators(store, level), code
    )
    end = indicators[indicators["year"] == window[1]].set_index("category_code")
    table = leading.merge(shift, on="category_code", how="left").merge(
        moves.rename(columns={"spans_break": "transition_spans_break"})[
            [
                "category_code",
                "transition_spans_break",
                "stars_start",
                "stars_end",
                "stars_compared_out_of",
                "transition",
                "criteria_gained",
                "criteria_lost",
            ]
        ],
        on="category_code",
        how="left",
    )
    table = table.assign(
        relative_wage_index=table["category_code"].map(end["relative_wage_index"]),
        flag=table["category_code"].map(end["flag"]),
    )
    trend = indicators[
        indicators["category_code"].isin(leading["category_code"])
        & indicators["year"].between(*window)
    ].merge(leading, on="category_code")
    return {
        "available": True,
        "reason": "",
        "window": window,
        "table": table.reindex(columns=CHANGE_COLUMNS),
        "trend": trend[TREND_COLUMNS].sort_values(["category_code", "year"], ignore_index=True),
        "notes": _notes(table, window),
    }


def region_panel(context: ScorecardContext) -> pd.DataFrame:
    """The region's cluster indicators of every year as a long panel (for its download)."""
    store, level, rules = context.store, context.level, context.rule_set
    if level not in recipes.cluster_levels(store):
        return pd.DataFrame()
    by_region = recipes.memo(
        (store.version, "panel_by_region", level, rules),
        lambda: dict(iter(change_recipes.change_panel(store, level, rules).groupby("region_code"))),
    )
    return by_region.get(context.region_code, pd.DataFrame()).reset_index(drop=True)


def _region_rows(context: ScorecardContext, what: tuple, table, region_code: str) -> pd.DataFrame:
    """One region's rows of a Europe-wide table, split by region once per process."""
    key = (context.store.version, "change_rows", context.level, *what)
    by_region = recipes.memo(key, lambda: dict(iter(table().groupby("region_code"))))
    empty = table().iloc[0:0]
    return by_region.get(region_code, empty)


def _notes(table: pd.DataFrame, window: tuple[int, int]) -> list[str]:
    span = f"{window[0]}-{window[1]}"
    reasons = {
        STATUS_BREAK: "the series breaks between the two years (Eurostat flag b, or d in some "
        "years only)",
        STATUS_ESTIMATED: "the cluster was estimated from suppressed cells in one of the years "
        "(estimates are not compared over time)",
    }
    notes = []
    for status, reason in reasons.items():
        names = table.loc[table["status"] == status, "category_name"].astype("str")
        if len(names):
            notes.append(f"Change {span} not computed for {', '.join(names)}: {reason}.")
    missing = table.loc[
        ~table["status"].isin([STATUS_AVAILABLE, *reasons]), "category_name"
    ].astype("str")
    if len(missing):
        notes.append(
            f"Change {span} not available for {', '.join(missing)}: employment is not known "
            "in both years."
        )
    return notes


# --- text and table ------------------------------------------------------------------------


def change_intro(section: dict) -> str:
    if not section["available"]:
        return f"*Change over time: {NOT_AVAILABLE} ({section['reason']}).*"
    start, end = section["window"]
    return INTRO.format(window=f"{start}–{end}")


def change_record(section: dict) -> dict:
    """The change part for the scorecard's JSON twin."""
    table = section["table"]
    return {
        "available": section["available"],
        "reason": section["reason"] or None,
        "window": list(section["window"]) if section["window"] else None,
        "categories": []
        if table.empty
        else table.reindex(columns=CHANGE_COLUMNS).to_dict("records"),
    }


# --- the figure ------------------------------------------------------------------------------

_COLOURS = ("#1d3c5e", "#6f9fd1", "#d4a017", "#8c564b", "#5c8a3a")
_COMPONENT_COLOURS = ("#b3b3b3", "#6f9fd1", "#1d3c5e")


def change_figure(section: dict):
    """Two small panels: employment indexed to the start year, and the shift-share bars.

    Returns None when there is nothing to draw. Categories whose change is not computed
    (series break, missing year) are left out of both panels; the table says why.
    """
    from matplotlib.figure import Figure

    if not section["available"]:
        return None
    table = section["table"]
    usable = table[table["status"] == STATUS_AVAILABLE].reset_index(drop=True)
    if usable.empty:
        return None
    start, end = section["window"]
    figure = Figure(figsize=(7.0, 1.5), facecolor="white")
    trend_axes = figure.add_axes((0.06, 0.34, 0.3, 0.52))
    bar_axes = figure.add_axes((0.62, 0.34, 0.36, 0.52))
    _draw_trend(trend_axes, section["trend"], usable, start)
    _draw_shift_share(bar_axes, usable)
    figure.text(0.01, 0.97, f"Employment, {start} = 100", fontsize=8, va="top")
    figure.text(0.42, 0.97, f"Employment change {start}–{end}, persons", fontsize=8, va="top")
    return figure


def _draw_trend(ax, trend: pd.DataFrame, usable: pd.DataFrame, start: int) -> None:
    for position, row in enumerate(usable.itertuples(index=False)):
        series = trend[trend["category_code"] == row.category_code].sort_values("year")
        base = series.loc[series["year"] == start, "employment_persons"]
        if base.empty or not base.iloc[0] > 0:
            continue
        ax.plot(
            series["year"], 100 * series["employment_persons"] / base.iloc[0],
            color=_COLOURS[position % len(_COLOURS)], linewidth=1.4, marker="o", markersize=2.5,
        )  # fmt: skip
    ax.axhline(100, color="#808080", linewidth=0.6, linestyle=":")
    years = sorted(trend["year"].unique())
    ax.set_xticks(years, [str(y) for y in years], fontsize=6)
    ax.tick_params(axis="y", labelsize=6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _draw_shift_share(ax, usable: pd.DataFrame) -> None:
    from matplotlib.patches import Patch

    positions = np.arange(len(usable))[::-1]
    labels = [_short(name) for name in usable["category_name"]]
    for y_value, row in zip(positions, usable.itertuples(index=False), strict=True):
        positive, negative = 0.0, 0.0
        for column, colour in zip(COMPONENTS, _COMPONENT_COLOURS, strict=True):
            value = float(getattr(row, column))
            left = positive if value >= 0 else negative + value
            ax.barh(y_value, abs(value), left=left, height=0.6, color=colour)
            positive, negative = (
                (positive + value, negative) if value >= 0 else (positive, negative + value)
            )
        ax.plot([row.actual_change], [y_value], marker="|", markersize=9, color="black")
    ax.axvline(0, color="#404040", linewidth=0.6)
    ax.set_yticks(positions, labels, fontsize=6)
    # the labels are coloured like the category's trend line: they are the left panel's legend
    colours = {label: _COLOURS[i % len(_COLOURS)] for i, label in enumerate(labels)}
    for tick in ax.get_yticklabels():
        tick.set_color(colours.get(tick.get_text(), "black"))
    ax.tick_params(axis="x", labelsize=6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [
        Patch(color=c, label=label)
        for c, label in zip(_COMPONENT_COLOURS, COMPONENTS.values(), strict=True)
    ]
    handles.append(
        ax.plot([], [], marker="|", linestyle="", color="black", label="Actual change")[0]
    )
    ax.figure.legend(
        handles=handles, fontsize=6, loc="lower right", bbox_to_anchor=(0.99, 0.0), ncols=4,
        frameon=False, handlelength=1.2, columnspacing=1.2,
    )  # fmt: skip


def _short(name: str, width: int = 34) -> str:
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"

"""Change over time: shift-share, star transitions, category trends and long panels.

Every function takes the rated clusters of several years (``stars.rate_stars`` of
``clusters.compute_cluster_indicators``: one row per region x category x year at one NUTS
level) and compares two years, ``start_year`` and ``end_year``.

- **Shift-share** splits a regional cluster's employment change into the change it would
  have had at Europe's overall growth (*European growth*), the extra change of its category
  in Europe (*category mix*), and the rest, the region's own performance (*regional*, the U.S.
  Cluster Mapping Project's "job creation relative to expected"). The three add up to the
  actual change exactly. Growth rates of Europe and of each category are taken over the
  reference regions whose cells are known in both years and whose series do not break
  between them.
- **Star transitions** compare a regional cluster's stars in two years on the criteria that
  can be judged in both (gained, lost, kept), naming the criteria that flipped.
- A change that spans a series break (``clusters.series_break_between``) is **not
  computed**: its status says why, and ``spans_break`` flags it.

Missing stays missing: a cell unknown in either year gives no change, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.indicators.clusters import (
    compound_growth_pct,
    estimated_between,
    require_columns,
    series_break_between,
)

CELL = ["region_code", "category_code"]
STATUS_AVAILABLE = "available"
STATUS_BREAK = (
    "not computed: a series break (flag b, or d in some years only) lies between the years"
)
STATUS_MISSING = "missing: employment not known in both years"
STATUS_ESTIMATED = (
    "not computed: estimated from suppressed cells in one of the years (estimates are not "
    "compared over time)"
)
STATUS_NOT_RATED = "not rated in both years"
SHIFT_SHARE_COLUMNS = [
    "region_code",
    "country_code",
    "nuts_level",
    "category_code",
    "category_type",
    "start_year",
    "end_year",
    "employment_start",
    "employment_end",
    "actual_change",
    "european_growth_component",
    "category_mix_component",
    "regional_component",
    "expected_change",
    "european_growth_pct",
    "category_growth_pct",
    "regional_growth_pct",
    "employment_cagr_pct",
    "spans_break",
    "is_small_base",
    "is_in_reference_set",
    "status",
]
TRANSITION_COLUMNS = [
    "region_code",
    "nuts_level",
    "category_code",
    "category_type",
    "start_year",
    "end_year",
    "stars_start",
    "stars_end",
    "stars_compared_out_of",
    "transition",
    "criteria_gained",
    "criteria_lost",
    "criteria_compared",
    "spans_break",
    "rule_set",
]
TREND_COLUMNS = [
    "category_code",
    "category_type",
    "nuts_level",
    "year",
    "employment_persons",
    "employment_index",
    "wage_per_employee_eur",
    "n_regions",
]
# The indicators of the long panels (downloads, apps): column -> unit.
PANEL_INDICATORS = {
    "employment_persons": "persons",
    "size_share": "share",
    "lq": "location_quotient",
    "focus_share": "share",
    "wages_eur": "eur",
    "wage_per_employee_eur": "eur_per_person",
    "relative_wage_index": "index_europe_100",
    "local_units": "number",
    "persons_per_local_unit": "persons",
    "employment_growth_pct": "pct_per_year",
    "stars": "stars",
}
PANEL_COLUMNS = [
    "region_code",
    "nuts_level",
    "category_code",
    "category_type",
    "year",
    "indicator_code",
    "value",
    "unit",
    "flag",
    "is_apportioned",
    "nuts_edition",
]
RATED_NEEDED = (
    "region_code",
    "nuts_level",
    "category_code",
    "category_type",
    "year",
    "employment_persons",
    "region_employment_persons",
    "is_in_reference_set",
)


def check_years(rated: pd.DataFrame, start_year: int, end_year: int) -> tuple[int, int]:
    """The two years as ints, checked: start before end, both in the data.

    Raises:
        ObservatoryError: the start is not before the end.
        UnknownCodeError: a year without data (the years with data listed).
    """
    start_year, end_year = int(start_year), int(end_year)
    if start_year >= end_year:
        raise ObservatoryError(
            f"The start year {start_year} must come before the end year {end_year}; "
            "e.g. 2011 and 2015."
        )
    years = sorted(int(y) for y in rated["year"].unique())
    for year in (start_year, end_year):
        if year not in years:
            raise unknown_code(
                "year", str(year), [str(y) for y in years], hint="Years with cluster data."
            )
    return start_year, end_year


def _pair(rated: pd.DataFrame, start_year: int, end_year: int) -> pd.DataFrame:
    """The end-year rows with the start year's employment and totals, and the break flag."""
    breaks = series_break_between(rated, np.full(len(rated), start_year))
    estimated = estimated_between(rated, np.full(len(rated), start_year))
    rated = rated.assign(_spans_break=breaks, _estimated=estimated)
    end = rated[rated["year"] == end_year]
    start = rated.loc[
        rated["year"] == start_year, [*CELL, "employment_persons", "region_employment_persons"]
    ].rename(
        columns={
            "employment_persons": "employment_start",
            "region_employment_persons": "region_total_start",
        }
    )
    paired = end.merge(start, on=CELL, how="left")
    return paired.rename(
        columns={
            "employment_persons": "employment_end",
            "region_employment_persons": "region_total_end",
        }
    )


def compute_shift_share(rated: pd.DataFrame, start_year: int, end_year: int) -> pd.DataFrame:
    """Shift-share of every regional cluster's employment change from start to end year.

    Returns:
        ``SHIFT_SHARE_COLUMNS``, one row per region x category. ``actual_change`` =
        ``european_growth_component`` + ``category_mix_component`` + ``regional_component``;
        ``expected_change`` is the first two (the change at the category's European growth).
        Growth rates are in % over the whole period, ``employment_cagr_pct`` the
        compound annual rate. Missing (with ``status``) where a year is unknown or the series
        breaks.
    """
    require_columns(rated, RATED_NEEDED, "rated")
    start_year, end_year = check_years(rated, start_year, end_year)
    paired = _pair(rated, start_year, end_year)
    known = paired["employment_start"].notna() & paired["employment_end"].notna()
    usable = known & ~paired["_spans_break"] & ~paired["_estimated"]
    reference = usable & paired["is_in_reference_set"].astype("boolean").fillna(False)
    category_growth = _growth_by(paired, reference, "category_code")
    europe = _europe_growth(paired, reference)
    start = paired["employment_start"].where(usable)
    g_i = paired["category_code"].map(category_growth)
    actual = (paired["employment_end"] - paired["employment_start"]).where(usable)
    european = start * europe
    mix = start * (g_i - europe)
    regional = actual - start * g_i
    own_growth = actual / start.where(start > 0)
    status = np.select(
        [~known, paired["_spans_break"], paired["_estimated"]],
        [STATUS_MISSING, STATUS_BREAK, STATUS_ESTIMATED],
        STATUS_AVAILABLE,
    )
    result = paired.assign(
        start_year=start_year,
        end_year=end_year,
        actual_change=actual,
        european_growth_component=european,
        category_mix_component=mix,
        regional_component=regional,
        expected_change=european + mix,
        european_growth_pct=100 * europe,
        category_growth_pct=100 * g_i,
        regional_growth_pct=100 * own_growth,
        employment_cagr_pct=np.where(
            usable,
            compound_growth_pct(
                paired["employment_end"],
                paired["employment_start"],
                np.full(len(paired), end_year - start_year),
            ),
            np.nan,
        ),
        spans_break=paired["_spans_break"].astype(bool),
        status=status,
    )
    if "country_code" not in result.columns:
        result = result.assign(country_code=result["region_code"].str[:2])
    if "is_small_base" not in result.columns:
        result = result.assign(is_small_base=pd.NA)
    return result.reindex(columns=SHIFT_SHARE_COLUMNS).sort_values(CELL, ignore_index=True)


def _growth_by(paired: pd.DataFrame, mask: pd.Series, key: str) -> pd.Series:
    rows = paired[mask]
    sums = rows.groupby(key)[["employment_start", "employment_end"]].sum()
    return sums["employment_end"] / sums["employment_start"].where(sums["employment_start"] > 0) - 1


def _europe_growth(paired: pd.DataFrame, reference: pd.Series) -> float:
    """Growth of total employment (SBS scope) over the reference regions usable in both years.

    A region counts when its total is known in both years and none of its cells' series
    breaks between them.
    """
    by_region = paired.groupby("region_code").agg(
        total_start=("region_total_start", "first"),
        total_end=("region_total_end", "first"),
        any_break=("_spans_break", "any"),
        is_reference=("is_in_reference_set", "first"),
    )
    ok = (
        by_region["total_start"].notna()
        & by_region["total_end"].notna()
        & ~by_region["any_break"]
        & by_region["is_reference"].astype("boolean").fillna(False)
    )
    start, end = by_region.loc[ok, "total_start"].sum(), by_region.loc[ok, "total_end"].sum()
    if not reference.any() or start <= 0:
        return np.nan
    return float(end / start - 1)


def compute_star_transitions(rated: pd.DataFrame, start_year: int, end_year: int) -> pd.DataFrame:
    """Stars gained, lost or kept from start to end year, and the criteria that flipped.

    Only the criteria that can be judged in both years at the level are compared (e.g. the
    dynamism star, not available before 2012, is left out of a 2011-2015 comparison), so a
    transition never comes from a criterion appearing. ``transition`` is ``gained``, ``lost``,
    ``kept`` or ``not rated`` (no criterion judged in one of the years). A transition across a
    series break is kept but flagged (``spans_break``): stars are positions within each year,
    yet a break (France's enterprise-based data from 2014) can move them.

    Returns:
        ``TRANSITION_COLUMNS``, one row per region x category with a row in the end year.
    """
    require_columns(
        rated, ("region_code", "category_code", "year", "nuts_level", "rule_set"), "rated"
    )
    start_year, end_year = check_years(rated, start_year, end_year)
    criteria = [c[: -len("_pass")] for c in rated.columns if c.endswith("_pass")]
    if not criteria:
        raise ObservatoryError("The table has no star criteria (no *_pass columns); rate it first.")
    compared = [
        c for c in criteria if _available(rated, c, start_year) and _available(rated, c, end_year)
    ]
    start = rated.loc[rated["year"] == start_year, [*CELL, *(f"{c}_pass" for c in compared)]]
    breaks = series_break_between(rated, np.full(len(rated), start_year))
    end = rated.assign(spans_break=breaks)[rated["year"] == end_year]
    paired = end.merge(start, on=CELL, how="left", suffixes=("", "_start"))
    gained = np.full(len(paired), "", dtype=object)
    lost = np.full(len(paired), "", dtype=object)
    stars_start = np.zeros(len(paired))
    stars_end = np.zeros(len(paired))
    judged_start = np.zeros(len(paired), dtype=bool)
    judged_end = np.zeros(len(paired), dtype=bool)
    for name in compared:
        before = paired[f"{name}_pass_start"].astype("boolean")
        after = paired[f"{name}_pass"].astype("boolean")
        stars_start += before.fillna(False).to_numpy(dtype=float)
        stars_end += after.fillna(False).to_numpy(dtype=float)
        judged_start |= before.notna().to_numpy()
        judged_end |= after.notna().to_numpy()
        both = (before.notna() & after.notna()).to_numpy()
        up = both & (after.fillna(False) & ~before.fillna(False)).to_numpy(dtype=bool)
        down = both & (before.fillna(False) & ~after.fillna(False)).to_numpy(dtype=bool)
        gained = np.where(up, gained + np.where(gained == "", "", ", ") + name, gained)
        lost = np.where(down, lost + np.where(lost == "", "", ", ") + name, lost)
    rated_both = judged_start & judged_end
    transition = np.select(
        [~rated_both, stars_end > stars_start, stars_end < stars_start],
        ["not rated", "gained", "lost"],
        "kept",
    )
    result = paired.assign(
        start_year=start_year,
        end_year=end_year,
        stars_start=pd.array(np.where(judged_start, stars_start, np.nan), dtype="Float64").astype(
            "Int64"
        ),
        stars_end=pd.array(np.where(judged_end, stars_end, np.nan), dtype="Float64").astype(
            "Int64"
        ),
        stars_compared_out_of=len(compared),
        transition=transition,
        criteria_gained=pd.Series(gained, index=paired.index).replace("", pd.NA).astype("str"),
        criteria_lost=pd.Series(lost, index=paired.index).replace("", pd.NA).astype("str"),
        criteria_compared=", ".join(compared),
    )
    return result[TRANSITION_COLUMNS].sort_values(CELL, ignore_index=True)


def _available(rated: pd.DataFrame, criterion: str, year: int) -> bool:
    column = f"{criterion}_value"
    rows = rated.loc[rated["year"] == year, column] if column in rated.columns else pd.Series()
    return bool(rows.notna().any())


def compute_category_trends(rated: pd.DataFrame, start_year: int, end_year: int) -> pd.DataFrame:
    """Each category's European employment year by year on a constant set of regions.

    The regions are the reference regions whose employment in the category is known in
    every year from start to end and whose series does not break: coverage changes between
    years (France, Croatia, Ireland) would otherwise show as growth or decline.

    Returns:
        ``TREND_COLUMNS``: one row per category x year; ``employment_index`` is 100 in the
        start year; ``wage_per_employee_eur`` is Europe's wages over persons employed in the
        same regions where wages are known in that year.
    """
    start_year, end_year = check_years(rated, start_year, end_year)
    window = rated[rated["year"].between(start_year, end_year)]
    n_years = window["year"].nunique()
    breaks = series_break_between(window, np.full(len(window), start_year))
    estimated = (
        window["has_confidential_cells"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "has_confidential_cells" in window.columns
        else np.zeros(len(window), dtype=bool)
    )
    reference = window["is_in_reference_set"].astype("boolean").fillna(False).to_numpy()
    ok_row = reference & window["employment_persons"].notna().to_numpy() & ~breaks & ~estimated
    counts = pd.Series(ok_row, index=window.index).groupby([window[c] for c in CELL]).sum()
    balanced = counts[counts == n_years].index
    keep = pd.MultiIndex.from_frame(window[CELL]).isin(balanced)
    chosen = window[keep]
    wages = chosen["wages_eur"] if "wages_eur" in chosen else pd.Series(np.nan, index=chosen.index)
    chosen = chosen.assign(
        _wages=wages, _wage_persons=chosen["employment_persons"].where(wages.notna())
    )
    trends = chosen.groupby(
        ["category_code", "category_type", "nuts_level", "year"], as_index=False
    ).agg(
        employment_persons=("employment_persons", "sum"),
        wages=("_wages", "sum"),
        wage_persons=("_wage_persons", "sum"),
        n_regions=("region_code", "nunique"),
    )
    first = trends.loc[trends["year"] == start_year].set_index("category_code")[
        "employment_persons"
    ]
    base = trends["category_code"].map(first)
    trends = trends.assign(
        employment_index=100 * trends["employment_persons"] / base.where(base > 0),
        wage_per_employee_eur=trends["wages"]
        / trends["wage_persons"].where(trends["wage_persons"] > 0),
    )
    return trends[TREND_COLUMNS].sort_values(["category_code", "year"], ignore_index=True)


def compute_europe_change(
    shift_share: pd.DataFrame, transitions: pd.DataFrame, trends: pd.DataFrame
) -> pd.DataFrame:
    """How each category changed in Europe: growth, regions growing, stars gained and lost.

    Returns:
        One row per category: ``category_code, category_type, start_year, end_year,
        employment_start, employment_end, employment_cagr_pct`` (constant
        regions, ``compute_category_trends``), ``n_regions`` (in that set),
        ``n_regions_growing`` and ``n_regions_compared`` (reference regions with a usable
        change), ``n_stars_gained``, ``n_stars_lost``, ``n_kept`` (regional clusters whose star
        count rose, fell, stayed, on series without a break) and ``n_across_break`` (the
        transitions left out of those counts because the series breaks).
    """
    start_year = int(shift_share["start_year"].iloc[0]) if len(shift_share) else np.nan
    end_year = int(shift_share["end_year"].iloc[0]) if len(shift_share) else np.nan
    ends = trends[trends["year"].isin([start_year, end_year])].pivot_table(
        index=["category_code", "category_type"], columns="year", values="employment_persons"
    )
    regions = trends[trends["year"] == end_year].set_index("category_code")["n_regions"]
    summary = pd.DataFrame(
        {
            "employment_start": ends.get(start_year),
            "employment_end": ends.get(end_year),
        }
    ).reset_index()
    summary = summary.assign(
        start_year=start_year,
        end_year=end_year,
        employment_cagr_pct=compound_growth_pct(
            summary["employment_end"],
            summary["employment_start"],
            np.full(len(summary), end_year - start_year),
        ),
        n_regions=summary["category_code"].map(regions),
    )
    usable = shift_share[
        shift_share["status"].eq(STATUS_AVAILABLE)
        & shift_share["is_in_reference_set"].astype("boolean").fillna(False)
    ]
    growing = usable.groupby("category_code").agg(
        n_regions_compared=("region_code", "nunique"),
        n_regions_growing=("actual_change", lambda change: int((change > 0).sum())),
    )
    comparable = transitions[~transitions["spans_break"].astype(bool)]
    moves = pd.crosstab(comparable["category_code"], comparable["transition"])
    across = transitions[transitions["spans_break"].astype(bool)].groupby("category_code").size()
    summary = summary.merge(growing, on="category_code", how="left")
    for name, column in (
        ("gained", "n_stars_gained"),
        ("lost", "n_stars_lost"),
        ("kept", "n_kept"),
    ):
        values = moves[name] if name in moves.columns else pd.Series(dtype=float)
        summary[column] = summary["category_code"].map(values).fillna(0).astype("int64")
    summary["n_across_break"] = summary["category_code"].map(across).fillna(0).astype("int64")
    return summary.sort_values("employment_cagr_pct", ascending=False, ignore_index=True)


def to_long_panel(rated: pd.DataFrame, indicators: Iterable[str] | None = None) -> pd.DataFrame:
    """The rated clusters as a tidy long panel: region x category x year x indicator.

    Args:
        rated: rated clusters (any levels and years).
        indicators: columns to keep (default every ``PANEL_INDICATORS`` present).

    Returns:
        ``PANEL_COLUMNS``; missing values stay as rows with a missing ``value`` (and their
        flag), so that a download says what is unknown.
    """
    chosen = [c for c in (indicators or PANEL_INDICATORS) if c in rated.columns]
    ids = [
        c
        for c in (
            "region_code",
            "nuts_level",
            "category_code",
            "category_type",
            "year",
            "flag",
            "is_apportioned",
            "nuts_edition",
        )
        if c in rated.columns
    ]
    numbers = rated[ids].assign(**{c: rated[c].astype("Float64").astype(float) for c in chosen})
    long = numbers.melt(
        id_vars=ids, value_vars=chosen, var_name="indicator_code", value_name="value"
    )
    long = long.assign(unit=long["indicator_code"].map(PANEL_INDICATORS))
    return long.reindex(columns=PANEL_COLUMNS).sort_values(
        ["region_code", "category_code", "indicator_code", "year"], ignore_index=True
    )


def summarise_europe_change(trends: pd.DataFrame, transitions: pd.DataFrame) -> dict:
    """Europe's headline change over the traded categories (emerging ones overlap them).

    Returns:
        ``employment_start``, ``employment_end`` and ``employment_cagr_pct`` (the
        traded categories' employment summed over each category's constant regions,
        ``compute_category_trends``), ``n_clusters_compared`` (those region x category
        cells), ``n_gained``, ``n_lost``, ``n_kept`` (traded regional clusters by star
        transition, series without a break) and ``n_across_break``.
    """
    traded = trends[trends["category_type"] == "traded"]
    years = sorted(int(y) for y in traded["year"].unique())
    moves = transitions[transitions["category_type"] == "traded"]
    across = moves["spans_break"].astype(bool)
    counts = moves.loc[~across, "transition"].value_counts()
    summary = {
        "employment_start": np.nan,
        "employment_end": np.nan,
        "employment_cagr_pct": np.nan,
        "n_clusters_compared": 0,
        "n_gained": int(counts.get("gained", 0)),
        "n_lost": int(counts.get("lost", 0)),
        "n_kept": int(counts.get("kept", 0)),
        "n_across_break": int(across.sum()),
    }
    if not years:
        return summary
    totals = traded.groupby("year")["employment_persons"].sum()
    start, end = years[0], years[-1]
    growth = compound_growth_pct(
        np.array([totals[end]]), np.array([totals[start]]), np.array([end - start])
    )
    return summary | {
        "employment_start": float(totals[start]),
        "employment_end": float(totals[end]),
        "employment_cagr_pct": float(growth[0]),
        "n_clusters_compared": int(traded.loc[traded["year"] == end, "n_regions"].sum()),
    }

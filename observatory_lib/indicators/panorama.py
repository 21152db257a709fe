"""The computations behind the cluster-mapping products: portfolios, category views, summary.

Every function takes ``rated`` (the output of ``stars.rate_stars``), selects one NUTS level
and one year (default: the most detailed level and the latest year in ``rated``), and
returns plain frames ready for tables, charts and maps. Sums of employment over categories
use the traded categories only, because emerging industries overlap them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import pandas as pd

from observatory_lib.data.cluster_definitions import SBS_SCOPE
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.indicators.clusters import require_columns

RATED_COLUMNS = (
    "region_code",
    "country_code",
    "nuts_level",
    "category_code",
    "category_type",
    "year",
    "employment_persons",
    "region_employment_persons",
    "lq",
    "stars",
    "stars_out_of",
)
METRIC_COLUMNS = [
    "stars",
    "stars_out_of",
    "employment_persons",
    "size_share",
    "size_rank",
    "lq",
    "focus_share",
    "wage_per_employee_eur",
    "employment_growth_pct",
]
FLAG_COLUMNS = [
    "is_small_base",
    "is_derived_by_allocation",
    "has_confidential_cells",
    "is_apportioned",
    "flag",
    "stars_basis",
]
RANKING = ["stars", "lq", "employment_persons"]


@dataclasses.dataclass(frozen=True)
class CategoryView:
    """One category across every region: the full table, its leaders and a map series."""

    category_code: str
    category_name: str
    category_type: str
    nuts_level: int
    year: int
    table: pd.DataFrame
    leaders: pd.DataFrame
    map_series: pd.Series


@dataclasses.dataclass(frozen=True)
class PanoramaSummary:
    """Starred clusters per region and country, leaders per category, emerging industries."""

    nuts_level: int
    year: int
    by_region: pd.DataFrame
    by_country: pd.DataFrame
    leaders: pd.DataFrame
    emerging: pd.DataFrame


def region_portfolio(
    rated: pd.DataFrame,
    region_code: str,
    regions: pd.DataFrame,
    *,
    year: int | None = None,
    categories: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank a region's categories by stars, then LQ, then employment.

    Args:
        rated: output of ``stars.rate_stars``.
        region_code: the region (any NUTS level present in ``rated``).
        regions: the store's ``regions`` table, for the region's name.
        year: reference year; default the region's latest year.
        categories: the store's ``cluster_categories`` table, for category names (optional).

    Returns:
        One row per category with ``rank_in_region``, names, the metrics, the per-criterion
        passes and the quality flags.

    Raises:
        UnknownCodeError: the region or year has no rated clusters (nearest codes listed).
    """
    _check_rated(rated)
    if region_code not in set(rated["region_code"]):
        raise unknown_code(
            "region",
            region_code,
            rated["region_code"].unique(),
            hint="Regions with rated clusters.",
        )
    rows = rated[rated["region_code"] == region_code]
    rows = rows[rows["year"] == _choose_year(rows, year)]
    ranked = _rank(rows).assign(rank_in_region=lambda frame: np.arange(1, len(frame) + 1))
    ranked = _with_region_names(ranked, regions)
    ranked = _with_category_names(ranked, categories)
    lead = [
        "rank_in_region",
        "region_code",
        "region_name",
        "year",
        "category_code",
        "category_name",
        "category_type",
    ]
    return ranked[lead + _present(ranked, METRIC_COLUMNS + _pass_columns(ranked) + FLAG_COLUMNS)]


def category_view(
    rated: pd.DataFrame,
    category_code: str,
    categories: pd.DataFrame,
    *,
    regions: pd.DataFrame | None = None,
    year: int | None = None,
    level: int | None = None,
    map_metric: str = "stars",
    n_leaders: int = 10,
) -> CategoryView:
    """Show one category in every region: ranked table, leaders and a map-ready series.

    Args:
        rated: output of ``stars.rate_stars``.
        category_code: the category slug, e.g. ``automotive``.
        categories: the store's ``cluster_categories`` table (valid slugs and names).
        regions: the store's ``regions`` table, for region names (optional).
        year: reference year; default the latest.
        level: NUTS level; default the most detailed in ``rated``.
        map_metric: column mapped by ``map_series`` (e.g. ``stars``, ``lq``).
        n_leaders: how many leading regions to keep in ``leaders``.

    Raises:
        UnknownCodeError: unknown slug, metric, level or year (valid choices listed).
        ObservatoryError: the category has no rated clusters at that level and year.
    """
    _check_rated(rated)
    require_columns(
        categories, ("category_code", "category_name", "category_type"), "cluster_categories"
    )
    valid = categories["category_code"].tolist()
    if category_code not in valid:
        raise unknown_code(
            "category", category_code, valid, hint="Slugs are listed in cluster_categories."
        )
    if map_metric not in rated.columns:
        raise unknown_code(
            "metric", map_metric, METRIC_COLUMNS, hint="Choose a column of the rated table."
        )
    selected = _select_level_year(rated, level, year)
    rows = selected[selected["category_code"] == category_code]
    if rows.empty:
        present = sorted(selected["category_code"].unique())
        raise ObservatoryError(
            f"No rated clusters for {category_code!r} at this level and year; "
            f"categories with data: {', '.join(present[:12])}{' ...' if len(present) > 12 else ''}."
        )
    table = _rank(rows).assign(rank_in_category=lambda frame: np.arange(1, len(frame) + 1))
    if regions is not None:
        table = _with_region_names(table, regions)
    info = categories.set_index("category_code").loc[category_code]
    map_series = table.set_index("region_code")[map_metric].astype("Float64").astype(float)
    return CategoryView(
        category_code=category_code,
        category_name=str(info["category_name"]),
        category_type=str(info["category_type"]),
        nuts_level=int(rows["nuts_level"].iloc[0]),
        year=int(rows["year"].iloc[0]),
        table=table,
        leaders=table[table["stars"].fillna(0) >= 1].head(n_leaders),
        map_series=map_series.rename(map_metric),
    )


def panorama_summary(
    rated: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    year: int | None = None,
    level: int | None = None,
    countries: Iterable[str] | None = None,
    min_stars: int = 1,
    n_leaders: int = 3,
) -> PanoramaSummary:
    """Summarise a rating: starred clusters per region and country, leaders, emerging.

    Args:
        rated: output of ``stars.rate_stars``.
        regions: the store's ``regions`` table, for names.
        year: reference year; default the latest.
        level: NUTS level; default the most detailed in ``rated``.
        countries: restrict to these country codes; default all.
        min_stars: stars a regional cluster needs to count as starred.
        n_leaders: leading regions kept per category.

    Returns:
        A ``PanoramaSummary``. Starred counts and employment shares use traded categories.

    Raises:
        UnknownCodeError: unknown level, year or country (valid choices listed).
    """
    _check_rated(rated)
    selected = _select_level_year(rated, level, year)
    selected = _select_countries(selected, countries)
    is_starred = selected["stars"].fillna(0) >= min_stars
    selected = selected.assign(is_starred=is_starred.to_numpy(dtype=bool))
    by_region = _with_region_names(_summarise_regions(selected), regions)
    ranked = _rank(selected[selected["is_starred"]])
    leaders = ranked.groupby("category_code", sort=True).head(n_leaders)
    leaders = leaders.assign(rank_in_category=leaders.groupby("category_code").cumcount() + 1)
    leaders = _with_region_names(leaders, regions).sort_values(
        ["category_code", "rank_in_category"], ignore_index=True
    )
    return PanoramaSummary(
        nuts_level=int(selected["nuts_level"].iloc[0]),
        year=int(selected["year"].iloc[0]),
        by_region=by_region,
        by_country=_summarise_countries(by_region),
        leaders=leaders[
            [
                "category_code",
                "category_type",
                "rank_in_category",
                "region_code",
                "region_name",
                *_present(leaders, METRIC_COLUMNS),
                *_present(leaders, ("flag",)),  # Eurostat's letters (b, d, e) travel along
            ]
        ],
        emerging=_summarise_emerging(selected, ranked),
    )


def _check_rated(rated: pd.DataFrame) -> None:
    require_columns(rated, RATED_COLUMNS, "rated")
    if rated.empty:
        raise ObservatoryError(
            "The rated table is empty; run compute_cluster_indicators() and rate_stars() "
            "on a non-empty store first."
        )


def _present(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    return [column for column in columns if column in frame.columns]


def _pass_columns(frame: pd.DataFrame) -> list[str]:
    return [column for column in frame.columns if column.endswith("_pass")]


def _choose_year(rows: pd.DataFrame, year: int | None) -> int:
    years = sorted(int(value) for value in rows["year"].unique())
    if year is None:
        return years[-1]
    if int(year) not in years:
        raise unknown_code(
            "year", str(year), [str(value) for value in years], hint="Years with rated clusters."
        )
    return int(year)


def _select_level(rated: pd.DataFrame, level: int | None) -> pd.DataFrame:
    levels = sorted(int(value) for value in rated["nuts_level"].unique())
    chosen_level = levels[-1] if level is None else int(level)
    if chosen_level not in levels:
        raise unknown_code(
            "NUTS level",
            str(level),
            [str(value) for value in levels],
            hint="Levels in the rated table.",
        )
    return rated[rated["nuts_level"] == chosen_level]


def _select_level_year(rated: pd.DataFrame, level: int | None, year: int | None) -> pd.DataFrame:
    rows = _select_level(rated, level)
    return rows[rows["year"] == _choose_year(rows, year)]


def _select_countries(rows: pd.DataFrame, countries: Iterable[str] | None) -> pd.DataFrame:
    if countries is None:
        return rows
    wanted = [countries] if isinstance(countries, str) else list(countries)
    present = sorted(rows["country_code"].unique())
    if not wanted:
        raise ObservatoryError(
            f"The country selection is empty; choose among {', '.join(present)}."
        )
    for country in wanted:
        if country not in present:
            hint = f"Countries with rated clusters: {', '.join(present)}."
            raise unknown_code("country", country, present, hint=hint)
    return rows[rows["country_code"].isin(wanted)]


def _rank(rows: pd.DataFrame) -> pd.DataFrame:
    """Sort by stars, then LQ, then employment, all descending, missing last."""
    return rows.sort_values(
        RANKING, ascending=False, na_position="last", kind="stable", ignore_index=True
    )


def _with_region_names(frame: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    require_columns(regions, ("region_code", "region_name"), "regions")
    names = regions
    if "nuts_edition" in regions.columns and "nuts_edition" in frame.columns:
        editions = set(frame["nuts_edition"].dropna().astype(int))
        same_edition = regions[regions["nuts_edition"].isin(editions)]
        names = same_edition if not same_edition.empty else regions
    names = names[["region_code", "region_name"]].drop_duplicates("region_code")
    return frame.drop(columns="region_name", errors="ignore").merge(
        names, on="region_code", how="left"
    )


def _with_category_names(frame: pd.DataFrame, categories: pd.DataFrame | None) -> pd.DataFrame:
    if categories is None:
        return frame.assign(category_name=pd.Series(pd.NA, index=frame.index, dtype="str"))
    require_columns(categories, ("category_code", "category_name"), "cluster_categories")
    names = categories[["category_code", "category_name"]].drop_duplicates("category_code")
    return frame.drop(columns="category_name", errors="ignore").merge(
        names, on="category_code", how="left"
    )


def _summarise_regions(selected: pd.DataFrame) -> pd.DataFrame:
    traded = selected[selected["category_type"] == "traded"]
    starred_employment = traded["employment_persons"].where(traded["is_starred"], 0.0)
    is_all_stars = (traded["stars"] == traded["stars_out_of"]).fillna(False) & traded["is_starred"]
    summary = (
        traded.assign(
            starred_employment_persons=starred_employment,
            is_rated=traded["stars"].notna(),
            has_all_stars=is_all_stars.astype(bool),
        )
        .groupby(["region_code", "country_code", "nuts_level", "year"], as_index=False)
        .agg(
            n_clusters_rated=("is_rated", "sum"),
            n_starred_clusters=("is_starred", "sum"),
            n_clusters_with_all_stars=("has_all_stars", "sum"),
            starred_employment_persons=("starred_employment_persons", "sum"),
            region_employment_persons=("region_employment_persons", "first"),
        )
    )
    total = summary["region_employment_persons"]
    share = 100 * summary["starred_employment_persons"] / total.where(total > 0)
    summary = summary.assign(
        starred_employment_share_pct=share.where(summary["n_clusters_rated"] > 0)
    )
    ordered = summary.sort_values(
        ["n_starred_clusters", "starred_employment_share_pct"],
        ascending=False,
        na_position="last",
        ignore_index=True,
    )
    # a region none of whose clusters could be rated has no starred clusters to count: its
    # counts and starred employment are missing, not 0
    unrated = ordered["n_clusters_rated"] == 0
    return ordered.assign(
        n_starred_clusters=ordered["n_starred_clusters"].astype("Int64").mask(unrated),
        n_clusters_with_all_stars=ordered["n_clusters_with_all_stars"]
        .astype("Int64")
        .mask(unrated),
        starred_employment_persons=ordered["starred_employment_persons"].mask(unrated),
    )


def _summarise_countries(by_region: pd.DataFrame) -> pd.DataFrame:
    # The share covers only regions whose total is known and whose clusters were rated
    # (counted in n_regions_with_total), so an unknown total is never read as 0.
    has_total = by_region["region_employment_persons"].notna() & (by_region["n_clusters_rated"] > 0)
    summary = (
        by_region.assign(
            has_total=has_total,
            starred_with_total=by_region["starred_employment_persons"].where(has_total),
            total_with_total=by_region["region_employment_persons"].where(has_total),
        )
        .groupby("country_code", as_index=False)
        .agg(
            n_regions=("region_code", "nunique"),
            n_regions_with_total=("has_total", "sum"),
            n_starred_clusters=("n_starred_clusters", "sum"),
            starred_employment_persons=("starred_employment_persons", "sum"),
            starred_with_total=("starred_with_total", "sum"),
            region_employment_persons=("total_with_total", "sum"),
        )
    )
    total = summary["region_employment_persons"].where(summary["n_regions_with_total"] > 0)
    share = 100 * summary["starred_with_total"] / total.where(total > 0)
    return (
        summary.assign(region_employment_persons=total, starred_employment_share_pct=share)
        .drop(columns="starred_with_total")
        .sort_values("n_starred_clusters", ascending=False, ignore_index=True)
    )


def _summarise_emerging(selected: pd.DataFrame, ranked_starred: pd.DataFrame) -> pd.DataFrame:
    emerging = selected[selected["category_type"] == "emerging"]
    summary = (
        emerging.assign(is_rated=emerging["stars"].notna())
        .groupby("category_code", as_index=False)
        .agg(
            n_regions_rated=("is_rated", "sum"),
            n_starred_regions=("is_starred", "sum"),
            employment_persons=("employment_persons", lambda values: values.sum(min_count=1)),
        )
    )
    top = (
        ranked_starred[ranked_starred["category_type"] == "emerging"]
        .groupby("category_code")
        .head(1)
    )
    top = top[["category_code", "region_code", "stars"]].rename(
        columns={"region_code": "leading_region_code", "stars": "leading_region_stars"}
    )
    return summary.merge(top, on="category_code", how="left").sort_values(
        "n_starred_regions", ascending=False, ignore_index=True
    )


# --- Sector report: concentration, composition and overlap of one category ------------------

NACE_CLASS_COLUMNS = (
    "category_code",
    "category_type",
    "nace_class",
    "nace_code",
    "allocation_share",
)
OVERLAP_TARGETS = ("emerging", "traded")


@dataclasses.dataclass(frozen=True)
class CategoryConcentration:
    """How concentrated one category's employment is across the reference regions.

    Attributes:
        n_regions: reference regions at the level and year.
        n_regions_with_data: of these, regions whose category employment is known; the
            measures use only them (a missing cell is left out, never read as 0).
        n_regions_with_employment: regions with employment above 0.
        employment_persons: the category's employment summed over ``n_regions_with_data``.
        top_n_share: share (0-1) of that employment in the ``top_n`` largest regions.
        herfindahl_index: sum of squared regional shares (0-1; 1 = all in one region).
        equivalent_regions: ``1 / herfindahl_index``, the number of equal-sized regions
            that would give the same index.
        gini: Gini coefficient of regional employment (0 = even, towards 1 = concentrated),
            over the regions with data, zeros included.
    """

    category_code: str
    nuts_level: int
    year: int
    top_n: int
    n_regions: int
    n_regions_with_data: int
    n_regions_with_employment: int
    employment_persons: float
    top_n_share: float
    herfindahl_index: float
    equivalent_regions: float
    gini: float

    def table(self) -> pd.DataFrame:
        """The measures as a tidy table: ``measure_code, label, value, unit``."""
        rows = [
            ("n_regions", "Reference regions", self.n_regions, "number"),
            ("n_regions_with_data", "Regions with known employment", self.n_regions_with_data,
             "number"),
            ("n_regions_with_employment", "Regions with employment above 0",
             self.n_regions_with_employment, "number"),
            ("employment_persons", "Employment in the regions with data",
             self.employment_persons, "persons"),
            ("top_n_share", f"Share of the top {self.top_n} regions", self.top_n_share, "share"),
            ("herfindahl_index", "Herfindahl index of regional shares", self.herfindahl_index,
             "share"),
            ("equivalent_regions", "Equivalent number of equal regions (1 / Herfindahl)",
             self.equivalent_regions, "number"),
            ("gini", "Gini coefficient of regional employment", self.gini, "index_0_1"),
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=["measure_code", "label", "value", "unit"]).astype(
            {"measure_code": "str", "label": "str", "value": float, "unit": "str"}
        )


@dataclasses.dataclass(frozen=True)
class CategoryComposition:
    """The NACE classes of one category and the SBS divisions their employment comes from."""

    category_code: str
    classes: pd.DataFrame
    divisions: pd.DataFrame


def compute_concentration(
    rated: pd.DataFrame,
    category_code: str,
    *,
    year: int | None = None,
    level: int | None = None,
    top_n: int = 10,
) -> CategoryConcentration:
    """Measure how concentrated a category's employment is across the reference regions.

    Args:
        rated: output of ``stars.rate_stars`` (or ``compute_cluster_indicators``).
        category_code: the category slug.
        year: reference year; default the latest.
        level: NUTS level; default the most detailed in ``rated``.
        top_n: how many of the largest regions ``top_n_share`` covers.

    Returns:
        A ``CategoryConcentration``; every measure is NaN when no reference region has a
        known, positive employment in the category.

    Raises:
        UnknownCodeError: unknown category, level or year (valid choices listed).
        ObservatoryError: ``top_n`` below 1.
    """
    _check_rated(rated)
    _check_top_n(top_n)
    selected = _select_level_year(rated, level, year)
    rows = _category_rows(selected, category_code)
    return _concentration_of(rows, category_code, top_n)


def compute_concentrations(
    rated: pd.DataFrame, *, level: int | None = None, top_n: int = 10
) -> list[CategoryConcentration]:
    """``compute_concentration`` for every category and year at one level, in one pass.

    The same measures as one call per category and year (the apps show them all), without
    selecting each category's rows from the whole table again; ordered by year, then category.

    Raises:
        UnknownCodeError: unknown level. ObservatoryError: ``top_n`` below 1.
    """
    _check_rated(rated)
    _check_top_n(top_n)
    rows = _select_level(rated, level)
    needed = ["nuts_level", "year", "category_code", "region_code", "employment_persons"]
    rows = rows[needed + _present(rows, ["is_in_reference_set"])]  # less to copy per group
    return [
        _concentration_of(group, str(category), top_n)
        for (_, category), group in rows.groupby(["year", "category_code"], sort=True)
    ]


def _check_top_n(top_n: int) -> None:
    if int(top_n) < 1:
        raise ObservatoryError(f"top_n must be at least 1, not {top_n}; e.g. top_n=10.")


def _concentration_of(rows: pd.DataFrame, category_code: str, top_n: int) -> CategoryConcentration:
    """The measures of one category's rows at one level and year (reference regions only)."""
    level, year = int(rows["nuts_level"].iloc[0]), int(rows["year"].iloc[0])
    if "is_in_reference_set" in rows.columns:
        rows = rows[rows["is_in_reference_set"].astype("boolean").fillna(False).astype(bool)]
    employment = rows["employment_persons"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    known = np.sort(employment[~np.isnan(employment)])[::-1]
    total = float(known.sum()) if known.size else np.nan
    has_total = bool(known.size) and total > 0
    shares = known / total if has_total else np.array([])
    herfindahl = float(np.sum(shares**2)) if has_total else np.nan
    return CategoryConcentration(
        category_code=category_code,
        nuts_level=level,
        year=year,
        top_n=int(top_n),
        n_regions=int(rows["region_code"].nunique()),
        n_regions_with_data=int(known.size),
        n_regions_with_employment=int((known > 0).sum()),
        employment_persons=total,
        top_n_share=float(shares[: int(top_n)].sum()) if has_total else np.nan,
        herfindahl_index=herfindahl,
        equivalent_regions=1 / herfindahl if has_total else np.nan,
        gini=gini_coefficient(known),
    )


def gini_coefficient(values: Iterable[float]) -> float:
    """Gini coefficient of non-negative values (NaN ignored; NaN when the sum is not positive).

    ``G = sum_i sum_j |x_i - x_j| / (2 n^2 mean)``, computed on the sorted values as
    ``G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n``. One value gives 0.

    Raises:
        ObservatoryError: a negative value.
    """
    numbers = np.asarray(list(values), dtype=float)
    numbers = np.sort(numbers[~np.isnan(numbers)])
    if numbers.size and numbers[0] < 0:
        raise ObservatoryError(
            "The Gini coefficient needs non-negative values (employment), not "
            f"{numbers[0]:g}; pass persons employed."
        )
    total = numbers.sum()
    if numbers.size == 0 or not total > 0:
        return np.nan
    n = numbers.size
    ranks = np.arange(1, n + 1)
    return float(2 * np.sum(ranks * numbers) / (n * total) - (n + 1) / n)


def compute_category_composition(
    nace_classes: pd.DataFrame,
    category_code: str,
    *,
    nace_reference: pd.DataFrame | None = None,
) -> CategoryComposition:
    """List a category's NACE classes and the SBS divisions allocated to it.

    Args:
        nace_classes: the store's ``cluster_nace_classes`` table.
        category_code: the category slug.
        nace_reference: the NACE Rev. 2 class list (``cluster_definitions.read_nace_classes``)
            for class titles and the number of classes per division (optional; without it
            titles are missing and the class count comes from the equal allocation share).

    Returns:
        ``classes``: ``nace_class, title, nace_code, nace_section, allocation_share,
        is_in_sbs_scope``; ``divisions``: ``nace_code, nace_section, n_classes_in_category,
        n_classes_in_division, allocated_share`` (the share of the division's employment
        allocated to the category) and ``is_in_sbs_scope``.

    Raises:
        UnknownCodeError: the category has no classes in ``nace_classes`` (nearest listed).
    """
    require_columns(nace_classes, NACE_CLASS_COLUMNS, "cluster_nace_classes")
    rows = nace_classes[nace_classes["category_code"] == category_code]
    if rows.empty:
        raise unknown_code(
            "category",
            category_code,
            nace_classes["category_code"].unique(),
            hint="Slugs are listed in cluster_categories.",
        )
    classes = rows[["nace_class", "nace_code", "allocation_share"]].assign(
        nace_section=rows["nace_code"].str[0],
        is_in_sbs_scope=_is_in_sbs_scope(rows["nace_code"]),
    )
    if nace_reference is not None:
        require_columns(nace_reference, ("nace_class", "nace_division", "title"), "NACE classes")
        titles = nace_reference[["nace_class", "title"]].drop_duplicates("nace_class")
        classes = classes.merge(titles, on="nace_class", how="left")
        per_division = nace_reference.groupby("nace_division").size()
        in_division = classes["nace_code"].str[1:].map(per_division)
    else:
        classes = classes.assign(title=pd.Series(pd.NA, index=classes.index, dtype="str"))
        in_division = (1 / classes["allocation_share"]).round()
    classes = classes.assign(n_classes_in_division=in_division.astype("Int64"))
    divisions = (
        classes.groupby(["nace_code", "nace_section"], as_index=False, sort=True)
        .agg(
            n_classes_in_category=("nace_class", "size"),
            n_classes_in_division=("n_classes_in_division", "first"),
            allocated_share=("allocation_share", "sum"),
            is_in_sbs_scope=("is_in_sbs_scope", "first"),
        )
        .astype({"n_classes_in_category": "Int64"})
    )
    columns = ["nace_class", "title", "nace_code", "nace_section", "allocation_share"]
    classes = classes.sort_values("nace_class", ignore_index=True)[[*columns, "is_in_sbs_scope"]]
    return CategoryComposition(category_code=category_code, classes=classes, divisions=divisions)


def compute_category_overlap(
    nace_classes: pd.DataFrame,
    category_code: str,
    categories: pd.DataFrame,
    *,
    against: str = "emerging",
) -> pd.DataFrame:
    """The categories that share NACE classes with ``category_code``.

    Args:
        nace_classes: the store's ``cluster_nace_classes`` table.
        category_code: the category slug.
        categories: the store's ``cluster_categories`` table (names and types).
        against: compare with the ``emerging`` industries or the ``traded`` categories.

    Returns:
        One row per other category sharing at least one class, most shared first:
        ``category_code, category_name, category_type, n_shared_classes, shared_classes``
        (comma-separated), ``shared_share_of_category`` (share of ``category_code``'s
        classes) and ``shared_share_of_other`` (share of the other category's classes).
        Empty (same columns) when nothing is shared.

    Raises:
        UnknownCodeError: unknown category or ``against``.
    """
    require_columns(nace_classes, NACE_CLASS_COLUMNS, "cluster_nace_classes")
    require_columns(
        categories, ("category_code", "category_name", "category_type"), "cluster_categories"
    )
    if against not in OVERLAP_TARGETS:
        raise unknown_code("category type", against, OVERLAP_TARGETS)
    _check_category(category_code, categories)
    own = set(nace_classes.loc[nace_classes["category_code"] == category_code, "nace_class"])
    others = nace_classes[
        (nace_classes["category_type"] == against)
        & (nace_classes["category_code"] != category_code)
    ]
    sizes = others.groupby("category_code")["nace_class"].nunique()
    shared = others[others["nace_class"].isin(own)].sort_values(["category_code", "nace_class"])
    codes = list(dict.fromkeys(shared["category_code"]))
    shared_classes = [
        list(dict.fromkeys(shared.loc[shared["category_code"] == code, "nace_class"]))
        for code in codes
    ]
    n_shared = np.array([len(items) for items in shared_classes], dtype=float)
    overlap = pd.DataFrame(
        {
            "category_code": pd.array(codes, dtype="str"),
            "n_shared_classes": pd.array(n_shared.astype(int), dtype="Int64"),
            "shared_classes": pd.array([", ".join(items) for items in shared_classes], "str"),
            "shared_share_of_category": n_shared / max(len(own), 1),
            "shared_share_of_other": n_shared / sizes.reindex(codes).to_numpy(dtype=float),
        }
    )
    names = categories[["category_code", "category_name", "category_type"]]
    columns = ["category_code", "category_name", "category_type", "n_shared_classes"]
    columns += ["shared_classes", "shared_share_of_category", "shared_share_of_other"]
    return (
        overlap.merge(names, on="category_code", how="left")
        .sort_values(["n_shared_classes", "category_code"], ascending=[False, True])
        .reset_index(drop=True)
        .reindex(columns=columns)
    )


def _check_category(category_code: str, categories: pd.DataFrame) -> None:
    valid = categories["category_code"].tolist()
    if category_code not in valid:
        raise unknown_code(
            "category", category_code, valid, hint="Slugs are listed in cluster_categories."
        )


def _category_rows(selected: pd.DataFrame, category_code: str) -> pd.DataFrame:
    rows = selected[selected["category_code"] == category_code]
    if rows.empty:
        raise unknown_code(
            "category",
            category_code,
            selected["category_code"].unique(),
            hint="Categories with rated clusters at this level and year.",
        )
    return rows


def _is_in_sbs_scope(nace_codes: pd.Series) -> pd.Series:
    """Whether a division (``C10``) is covered by regional SBS: B-N without K, and S95."""
    in_section = nace_codes.str[0].isin(SBS_SCOPE)
    return (in_section | nace_codes.isin(SBS_SCOPE)).astype(bool)

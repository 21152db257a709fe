"""Cluster-mapping indicators for every region x category x year at once.

The four measures behind the star ratings (methodology.md, section 1):

- **size**: a regional cluster's share of the category's European employment, and its rank;
- **specialisation**: the location quotient ``LQ = (E_ir / E_r) / (E_i / E)``;
- **focus**: the share of the region's employment in the category, ``E_ir / E_r``;
- **productivity** (wage per person employed) and **dynamism** (annual employment growth),
  computed only when wages or several years are supplied, and otherwise reported as
  "not available" (a NaN column plus a status column), never as a made-up value.

"Europe" is an explicit reference set of countries (default: every country present at the
level). ``E_i`` and ``E`` are summed over the reference regions at the same NUTS level and
year, over the regions where both the category and the region total are known, so that a
suppressed cell neither inflates nor deflates the benchmark: the employment-weighted mean LQ
over the reference regions is then exactly 1 for every category. Regions outside the
reference set are still measured, against the reference benchmark.

Emerging industries overlap each other and the traded categories. Each is measured against
the same region total, and ``category_type`` is kept so that sums over categories (for
example the share of employment in starred clusters) use the traded categories only.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from observatory_lib.errors import DataSourceError, ObservatoryError, unknown_code

CLUSTER_EMPLOYMENT_COLUMNS = (
    "region_code",
    "nuts_level",
    "category_code",
    "category_type",
    "year",
    "employment_persons",
    "is_derived_by_allocation",
    "has_confidential_cells",
)
REGION_TOTAL_COLUMNS = ("region_code", "nuts_level", "year", "employment_persons")
WAGE_COLUMNS = ("region_code", "category_code", "year", "wages_eur")

CELL_KEYS = ["region_code", "category_code", "year"]
STATUS_AVAILABLE = "available"
STATUS_NO_WAGES = "not available: no wage data supplied"
STATUS_WAGE_CELL_MISSING = "missing: wage or employment cell not available"
STATUS_SINGLE_YEAR = "not available: a single year; growth needs at least two years"
STATUS_BASE_YEAR = "not available: base year of the growth period"
STATUS_BASE_YEAR_ABSENT = "not available: the base year of the growth window is not in the data"
STATUS_GROWTH_CELL_MISSING = "missing: employment not available in the year or base year"
STATUS_ESTIMATED_CELL = (
    "not available: the year or the base year was estimated from suppressed cells; "
    "estimates are not compared over time"
)
STATUS_SERIES_BREAK = (
    "not available: the growth window spans a series break (Eurostat flag b, or d in some "
    "years only)"
)

INDICATOR_COLUMNS = [
    "region_code",
    "country_code",
    "nuts_level",
    "category_code",
    "category_type",
    "year",
    "employment_persons",
    "region_employment_persons",
    "size_share",
    "size_rank",
    "lq",
    "focus_share",
    "wages_eur",
    "wage_per_employee_eur",
    "relative_wage_index",
    "productivity_status",
    "local_units",
    "persons_per_local_unit",
    "employment_growth_pct",
    "growth_base_year",
    "growth_spans_break",
    "dynamism_status",
    "flag",
    "is_derived_by_allocation",
    "has_confidential_cells",
    "is_apportioned",
    "is_small_base",
    "is_in_reference_set",
    "n_divisions",
    "n_divisions_missing",
    "nuts_edition",
    "dataset_code",
]

STRUCTURAL_INPUT_COLUMNS = (
    *CELL_KEYS,
    "nuts_level",
    "category_type",
    "employment_persons",
    "region_employment_persons",
    "lq",
    "stars",
)
# The indicators ``compute_structural_indicators`` derives (the scoreboard's industrial structure).
STRUCTURAL_INDICATORS = ("starred_cluster_employment_share_pct", "specialisation_diversity")
STRUCTURAL_COLUMNS = [
    "region_code",
    "nuts_level",
    "indicator_code",
    "year",
    "value",
    "unit",
    "flag",
    "dataset_code",
    "nuts_edition",
]


def compute_cluster_indicators(
    cluster_employment: pd.DataFrame,
    region_totals: pd.DataFrame,
    *,
    level: int = 2,
    reference_countries: Iterable[str] | None = None,
    small_base_floor: float = 1000,
    wages: pd.DataFrame | None = None,
    growth_window: int | None = None,
) -> pd.DataFrame:
    """Compute size, specialisation, focus, productivity and dynamism for every cell.

    Args:
        cluster_employment: the store's ``cluster_employment`` table (any levels, years).
        region_totals: the store's ``region_employment_totals`` table (same source and
            coverage as the cluster employment).
        level: NUTS level to measure (0, 1 or 2); the reference set is taken at this level.
        reference_countries: country codes forming "Europe"; default every country present
            at ``level``. Aggregates (e.g. ``EU28``) and extra-regio codes (``xxZZ``) are
            never part of it.
        small_base_floor: employment below this flags the cell ``is_small_base``.
        wages: optional ``region_code, category_code, year, wages_eur`` (total wages of the
            cell); without it productivity is "not available".
        growth_window: years over which annual growth is measured; default from the first
            year in the data to each later year.

    Returns:
        One row per region x category x year at ``level`` with the columns
        ``INDICATOR_COLUMNS``. Missing inputs give NaN, never 0.

    Raises:
        DataSourceError: a table lacks columns or has duplicate cells.
        UnknownCodeError: ``level`` or a reference country is not in the data.
    """
    cells = _select_level(
        cluster_employment, level, "cluster_employment", CLUSTER_EMPLOYMENT_COLUMNS
    )
    totals = _select_level(region_totals, level, "region_employment_totals", REGION_TOTAL_COLUMNS)
    _reject_duplicates(cells, CELL_KEYS, "cluster_employment")
    _reject_duplicates(totals, ["region_code", "year"], "region_employment_totals")
    is_regional = _is_regional_code(cells["region_code"], level).to_numpy()
    present = cells["region_code"][is_regional].str[:2].unique()
    reference = _checked_reference(present, reference_countries, level)
    # A left merge keeps the row order of ``cells``, so ``is_regional`` stays aligned.
    frame = _join_region_totals(cells, totals)
    country_code = frame["region_code"].str[:2]
    frame = frame.assign(
        country_code=country_code,
        is_in_reference_set=country_code.isin(reference).to_numpy() & is_regional,
    )
    groups = _category_year_groups(frame)
    frame = _add_size(frame, groups)
    frame = _add_specialisation_and_focus(frame, groups)
    frame = _add_productivity(frame, wages, level, groups)
    frame = _add_local_units(frame)
    frame = _add_dynamism(frame, growth_window)
    frame = _add_small_base_flag(frame, small_base_floor)
    result = frame.reindex(columns=INDICATOR_COLUMNS).sort_values(CELL_KEYS, ignore_index=True)
    return result


def resolve_reference_countries(
    cluster_employment: pd.DataFrame,
    *,
    level: int = 2,
    reference_countries: Iterable[str] | None = None,
) -> list[str]:
    """Return the sorted country codes of the European reference set at ``level``.

    Raises:
        UnknownCodeError: a requested country has no region at ``level``.
        ObservatoryError: the requested set is empty.
    """
    cells = _select_level(
        cluster_employment, level, "cluster_employment", ("region_code", "nuts_level")
    )
    codes = cells["region_code"]
    present = codes[_is_regional_code(codes, level)].str[:2].unique()
    return _checked_reference(present, reference_countries, level)


def _checked_reference(
    present_countries: Iterable[str], reference_countries: Iterable[str] | None, level: int
) -> list[str]:
    present = sorted(present_countries)
    if reference_countries is None:
        return present
    requested = (
        [reference_countries] if isinstance(reference_countries, str) else list(reference_countries)
    )
    if not requested:
        raise ObservatoryError(
            f"The reference set is empty; pass country codes, e.g. {', '.join(present[:5])}, "
            "or None for every country present."
        )
    for country in requested:
        if country not in present:
            hint = f"Countries with NUTS {level} data: {', '.join(present)}."
            raise unknown_code("country", country, present, hint=hint)
    return sorted(set(requested))


def reference_set_description(
    cluster_employment: pd.DataFrame,
    *,
    level: int = 2,
    reference_countries: Iterable[str] | None = None,
) -> str:
    """Describe the European reference set in one sentence, for tables and notebooks."""
    countries = resolve_reference_countries(
        cluster_employment, level=level, reference_countries=reference_countries
    )
    cells = cluster_employment[cluster_employment["nuts_level"] == level]
    in_set = cells["region_code"].str[:2].isin(countries) & _is_regional_code(
        cells["region_code"], level
    )
    n_regions = cells.loc[in_set, "region_code"].nunique()
    return (
        f"European reference set at NUTS {level}: {len(countries)} countries "
        f"({', '.join(countries)}), {n_regions} regions. European category and total "
        "employment (E_i, E) are summed over these regions where both are known; regions "
        "outside the set are measured against this benchmark."
    )


def compute_structural_indicators(rated: pd.DataFrame, *, min_stars: int = 1) -> pd.DataFrame:
    """Summarise each region's cluster structure as long context indicators.

    Indicators (traded categories only, because emerging industries overlap them):

    - ``starred_cluster_employment_share_pct``: employment in traded categories with at
      least ``min_stars`` stars, as a percentage of the region's total employment. NaN when
      the region total is unknown or no traded category could be rated.
    - ``specialisation_diversity``: the number of traded categories in which the region is
      at least as specialised as Europe (LQ >= 1), a breadth-of-specialisation count. NaN
      when no traded LQ is known.

    Args:
        rated: output of ``stars.rate_stars`` (indicators plus a ``stars`` column).
        min_stars: stars a regional cluster needs to count as starred.

    Returns:
        Columns ``STRUCTURAL_COLUMNS``, one row per region x year x indicator.
    """
    require_columns(rated, STRUCTURAL_INPUT_COLUMNS, "rated")
    used = [*STRUCTURAL_INPUT_COLUMNS, *(c for c in ("dataset_code", "nuts_edition") if c in rated)]
    traded = rated.loc[rated["category_type"] == "traded", used]
    stars = traded["stars"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    work = traded.assign(
        starred_employment=traded["employment_persons"].where(stars >= min_stars, 0.0),
        is_rated=~np.isnan(stars),
        is_specialised=traded["lq"] >= 1,
        has_lq=traded["lq"].notna(),
        dataset_code=traded.get("dataset_code", pd.Series(pd.NA, index=traded.index, dtype="str")),
        nuts_edition=traded.get("nuts_edition", pd.Series(np.nan, index=traded.index)),
    )
    regions = work.groupby(["region_code", "nuts_level", "year"], as_index=False, sort=True).agg(
        starred_employment=("starred_employment", "sum"),
        n_rated=("is_rated", "sum"),
        region_total=("region_employment_persons", "first"),
        n_specialised=("is_specialised", "sum"),
        n_with_lq=("has_lq", "sum"),
        dataset_code=("dataset_code", "first"),
        nuts_edition=("nuts_edition", "first"),
    )
    total = regions["region_total"].where(regions["region_total"] > 0)
    share_pct = (100 * regions["starred_employment"] / total).where(regions["n_rated"] > 0)
    diversity = regions["n_specialised"].astype(float).where(regions["n_with_lq"] > 0)
    long = pd.concat(
        [
            regions.assign(
                indicator_code="starred_cluster_employment_share_pct",
                value=share_pct,
                unit="pct_employment",
            ),
            regions.assign(
                indicator_code="specialisation_diversity", value=diversity, unit="n_categories"
            ),
        ],
        ignore_index=True,
    )
    long = long.assign(flag=pd.Series(pd.NA, index=long.index, dtype="str"))
    return long.reindex(columns=STRUCTURAL_COLUMNS)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    """Raise a DataSourceError naming the columns ``table`` lacks, if any."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataSourceError(
            f"Table {table!r} lacks the columns {', '.join(missing)}; pass the store table "
            "(see docs/CONVENTIONS.md) or the output of the previous step unchanged."
        )


def _select_level(
    frame: pd.DataFrame, level: int, table: str, columns: Iterable[str]
) -> pd.DataFrame:
    require_columns(frame, columns, table)
    levels = sorted(int(value) for value in frame["nuts_level"].dropna().unique())
    if level not in levels:
        raise unknown_code(
            "NUTS level", str(level), [str(value) for value in levels], hint=f"Levels in {table!r}."
        )
    return frame[frame["nuts_level"] == level]


def _reject_duplicates(frame: pd.DataFrame, keys: list[str], table: str) -> None:
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        example = frame.loc[duplicated, keys].iloc[0].tolist()
        raise DataSourceError(
            f"Table {table!r} has {int(duplicated.sum())} rows sharing the key {keys} "
            f"(e.g. {example}); keep one row per key, e.g. rebuild the store."
        )


def _is_regional_code(codes: pd.Series, level: int) -> pd.Series:
    """True for proper NUTS codes of ``level``: not aggregates (EU28) nor extra-regio (DEZZ)."""
    is_nuts_shaped = codes.str.len() == 2 + level
    is_extra_regio = codes.str[2:].str.fullmatch("Z+").fillna(False).astype(bool)
    return is_nuts_shaped & ~is_extra_regio


def _join_region_totals(cells: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    total_columns = ["region_code", "year", "employment_persons"]
    if "dataset_code" in totals.columns:
        total_columns.append("dataset_code")
    renamed = totals[total_columns].rename(
        columns={"employment_persons": "region_employment_persons"}
    )
    frame = cells.drop(columns=["dataset_code"], errors="ignore")
    return frame.merge(renamed, on=["region_code", "year"], how="left")


def _category_year_groups(frame: pd.DataFrame) -> np.ndarray:
    """Integer ids of the category x year groups (factorised once: string keys are slow)."""
    return frame.groupby(["category_code", "year"], sort=False).ngroup().to_numpy()


def _add_size(frame: pd.DataFrame, groups: np.ndarray) -> pd.DataFrame:
    employment = frame["employment_persons"].astype(float)
    reference_employment = employment.where(frame["is_in_reference_set"])
    grouped = reference_employment.groupby(groups)
    european = grouped.transform("sum", min_count=1)
    rank = grouped.rank(method="min", ascending=False)
    return frame.assign(
        employment_persons=employment,
        size_share=employment / european.where(european > 0),
        size_rank=rank.astype("Int64"),
    )


def _add_specialisation_and_focus(frame: pd.DataFrame, groups: np.ndarray) -> pd.DataFrame:
    employment = frame["employment_persons"]
    total = frame["region_employment_persons"].astype(float)
    positive_total = total.where(total > 0)
    is_benchmark = frame["is_in_reference_set"] & employment.notna() & positive_total.notna()
    european_category = employment.where(is_benchmark).groupby(groups).transform("sum", min_count=1)
    european_total = (
        positive_total.where(is_benchmark).groupby(groups).transform("sum", min_count=1)
    )
    european_share = european_category / european_total
    focus = employment / positive_total
    return frame.assign(
        region_employment_persons=total,
        focus_share=focus,
        lq=focus / european_share.where(european_share > 0),
    )


def _add_productivity(
    frame: pd.DataFrame, wages: pd.DataFrame | None, level: int, groups: np.ndarray
) -> pd.DataFrame:
    """Wages per person employed, and relative to the category's European average (= 100).

    Wages come from ``wages`` when given, else from the cluster table's own ``wages_eur``
    column (the store's, from SBS V13320); without either, productivity is not available.
    """
    if wages is not None:
        require_columns(wages, WAGE_COLUMNS, "wages")
        if "nuts_level" in wages.columns:
            wages = wages[wages["nuts_level"] == level]
        _reject_duplicates(wages, CELL_KEYS, "wages")
        frame = frame.drop(columns="wages_eur", errors="ignore")
        frame = frame.merge(wages[list(WAGE_COLUMNS)], on=CELL_KEYS, how="left")
    elif "wages_eur" not in frame.columns:
        return frame.assign(
            wages_eur=np.nan,
            wage_per_employee_eur=np.nan,
            relative_wage_index=np.nan,
            productivity_status=STATUS_NO_WAGES,
        )
    employment = frame["employment_persons"]
    total_wages = frame["wages_eur"].astype(float)
    wage = total_wages / employment.where(employment > 0)
    both = frame["is_in_reference_set"] & wage.notna()
    european_wages = total_wages.where(both).groupby(groups).transform("sum", min_count=1)
    european_persons = employment.where(both).groupby(groups).transform("sum", min_count=1)
    european_wage = european_wages / european_persons.where(european_persons > 0)
    statuses = pd.array([STATUS_AVAILABLE, STATUS_WAGE_CELL_MISSING], dtype="str")
    return frame.assign(
        wages_eur=total_wages,
        wage_per_employee_eur=wage,
        relative_wage_index=100 * wage / european_wage.where(european_wage > 0),
        productivity_status=statuses.take(wage.isna().to_numpy(dtype=int)),
    )


def _add_local_units(frame: pd.DataFrame) -> pd.DataFrame:
    """Local units (establishments) and persons employed per local unit (average size)."""
    if "local_units" not in frame.columns:
        return frame.assign(local_units=np.nan, persons_per_local_unit=np.nan)
    units = frame["local_units"].astype(float)
    return frame.assign(
        local_units=units,
        persons_per_local_unit=frame["employment_persons"] / units.where(units > 0),
    )


def _add_dynamism(frame: pd.DataFrame, growth_window: int | None) -> pd.DataFrame:
    years = frame["year"].astype(int)
    if years.nunique() < 2:
        return frame.assign(
            employment_growth_pct=np.nan,
            growth_base_year=pd.array([pd.NA] * len(frame), dtype="Int64"),
            growth_spans_break=pd.array([pd.NA] * len(frame), dtype="boolean"),
            dynamism_status=STATUS_SINGLE_YEAR,
        )
    if growth_window is not None and growth_window < 1:
        raise ObservatoryError(
            f"growth_window must be a positive number of years, not {growth_window}."
        )
    base_year = np.asarray(
        years - growth_window if growth_window else np.full(len(frame), years.min())
    )
    base_employment = _employment_in_year(frame, base_year)
    span = years.to_numpy() - base_year
    is_growth_year = span > 0
    growth = compound_growth_pct(frame["employment_persons"].to_numpy(), base_employment, span)
    spans_break = series_break_between(frame, base_year) & is_growth_year
    estimated = estimated_between(frame, base_year) & is_growth_year
    status_codes = np.select(
        [
            ~is_growth_year,
            ~np.isin(base_year, years.unique()),
            spans_break,
            estimated & ~np.isnan(growth),
            ~np.isnan(growth),
        ],
        [1, 2, 4, 5, 0],
        default=3,
    )
    statuses = [
        STATUS_AVAILABLE,
        STATUS_BASE_YEAR,
        STATUS_BASE_YEAR_ABSENT,
        STATUS_GROWTH_CELL_MISSING,
        STATUS_SERIES_BREAK,
        STATUS_ESTIMATED_CELL,
    ]
    base_years = pd.array(base_year, dtype="Int64")
    base_years[~is_growth_year] = pd.NA
    breaks = pd.array(spans_break, dtype="boolean")
    breaks[~is_growth_year] = pd.NA
    return frame.assign(
        employment_growth_pct=np.where(spans_break | estimated, np.nan, growth),
        growth_base_year=base_years,
        growth_spans_break=breaks,
        dynamism_status=pd.array(statuses, dtype="str").take(status_codes),
    )


def compound_growth_pct(end: np.ndarray, start: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Compound annual growth in % from ``start`` to ``end`` over ``years`` (> 0).

    NaN where a value is missing, the start is not positive or ``years`` is not positive.
    """
    end, start, years = (np.asarray(v, dtype=float) for v in (end, start, years))
    valid = years > 0
    ratio = end / np.where(start > 0, start, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Masked, not a NaN exponent: 1 ** NaN is 1, which would give the base year 0 % growth.
        return np.where(valid, (ratio ** (1 / np.where(valid, years, 1)) - 1) * 100, np.nan)


def flag_letters(flags: pd.Series) -> pd.Series:
    """Eurostat flag letters of each cell, without the workbook's ``invalid`` marker."""
    text = flags.astype("str").fillna("")
    return text.str.replace("invalid", "", regex=False).str.replace(",", "", regex=False)


def series_break_between(frame: pd.DataFrame, start_year: np.ndarray) -> np.ndarray:
    """Whether each row's series breaks between ``start_year`` and the row's year.

    A break is a ``b`` flag (break in series) in any year after the start up to the row's
    year, or a ``d`` flag (definition differs) in some but not all of the years from the
    start to the row's year. Uses the cell's own ``flag`` column (absent: no break known).
    """
    if "flag" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    letters = flag_letters(frame["flag"])
    has_b = letters.str.contains("b", regex=False).to_numpy()
    has_d = letters.str.contains("d", regex=False).to_numpy()
    grid = np.sort(frame["year"].astype(int).unique())
    cells = frame.groupby(["region_code", "category_code"], sort=False).ngroup().to_numpy()
    position = np.searchsorted(grid, frame["year"].astype(int).to_numpy())
    b_counts = np.zeros((cells.max() + 1 if len(cells) else 0, len(grid) + 1))
    d_counts = np.zeros_like(b_counts)
    np.add.at(b_counts, (cells, position + 1), has_b)
    np.add.at(d_counts, (cells, position + 1), has_d)
    b_cumulative, d_cumulative = b_counts.cumsum(axis=1), d_counts.cumsum(axis=1)
    start = np.searchsorted(grid, np.asarray(start_year, dtype=int))
    start_known = (start < len(grid)) & (grid[np.minimum(start, len(grid) - 1)] == start_year)
    start = np.minimum(start, position)
    after_start = b_cumulative[cells, position + 1] - b_cumulative[cells, start + 1]
    d_in_window = d_cumulative[cells, position + 1] - d_cumulative[cells, start]
    n_years = position - start + 1
    mixed_d = (d_in_window > 0) & (d_in_window < n_years)
    return start_known & ((after_start > 0) | mixed_d)


def _employment_in_year(
    frame: pd.DataFrame, target_years: np.ndarray, column: str = "employment_persons"
) -> np.ndarray:
    """``column`` of each row's region x category in ``target_years`` (NaN where absent)."""
    cell_ids = frame.groupby(["region_code", "category_code"], sort=False).ngroup().to_numpy()
    values = pd.Series(
        frame[column].astype(float).to_numpy(),
        index=pd.MultiIndex.from_arrays([cell_ids, frame["year"].to_numpy()]),
    )
    wanted = pd.MultiIndex.from_arrays([cell_ids, target_years])
    return values.reindex(wanted).to_numpy(dtype=float)


def estimated_between(frame: pd.DataFrame, start_year: np.ndarray) -> np.ndarray:
    """Whether each row's cell was estimated from suppressed cells in its year or in
    ``start_year`` (``has_confidential_cells``): such estimates are not compared over time,
    since the section remainder they come from moves with every other division."""
    if "has_confidential_cells" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    own = frame["has_confidential_cells"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    base = _employment_in_year(frame, np.asarray(start_year), "has_confidential_cells")
    return own | (np.nan_to_num(base, nan=0.0) > 0)


def _add_small_base_flag(frame: pd.DataFrame, floor: float) -> pd.DataFrame:
    employment = frame["employment_persons"]
    is_small = (employment < floor).astype("boolean").mask(employment.isna())
    return frame.assign(is_small_base=is_small)

"""Relatedness between cluster categories, diversification opportunities and variety.

Exactly as issue 15 defines them, so that others can reproduce the numbers:

- **specialisation matrix** ``M[r, c] = 1`` when ``LQ[r, c] >= 1``, else 0, over the regions of
  the European reference set at one NUTS level and one year; traded categories and emerging
  industries are computed separately (the emerging industries overlap the traded categories);
- **proximity** (Hidalgo et al. 2007) for ``i != j``::

      phi[i, j] = sum_r M[r, i] M[r, j] / max(sum_r M[r, i], sum_r M[r, j])

- **relatedness density** (Balland et al. 2019)::

      RD[r, c] = 100 * sum_{j != c} M[r, j] phi[c, j] / sum_{j != c} phi[c, j]

Missing stays missing. A cell whose LQ is unknown (suppressed employment, or the region's
total unknown) has no ``M``: it counts in no sum of the proximity, and a region's density is
taken over the categories whose specialisation is known (for a region without unknown cells
this is the formula above; ``n_categories_unknown`` counts the others). A region with no known
LQ of a type has no density of that type; a category no reference region is specialised in has
proximity 0 to every other, and a density with a zero denominator is missing.

**Diversification opportunities** of a region are the categories in which it is not (yet)
specialised (known LQ < 1), ranked by relatedness density; each comes with the region's
specialisations that support it (``phi[c, j] > 0``, strongest first), and the category's
European size (and its European growth once several years of employment exist).

**Related and unrelated variety** (Frenken, Van Oort and Verburg 2007) decompose the entropy of
a region's employment over the traded categories: with ``p_i`` the category shares and ``P_g``
the share of group ``g`` (``data/technology_groups.yaml``), unrelated variety is
``sum_g P_g log2(1 / P_g)`` and related variety ``sum_g P_g H_g``, where ``H_g`` is the entropy
of the shares within the group; the two add up to the total entropy ``sum_i p_i log2(1 / p_i)``.

Everything is vectorised over all regions and categories at once (numpy matrix products).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from observatory_lib import paths
from observatory_lib.errors import ConfigError, ObservatoryError, unknown_code
from observatory_lib.indicators.clusters import require_columns

SPECIALISATION_LQ = 1.0
CATEGORY_TYPES = ("traded", "emerging")
DEFAULT_SUPPORT = 3
DENSITY_DECIMALS = 9
TECHNOLOGY_GROUPS_FILE = paths.DATA_DIR / "technology_groups.yaml"
INPUT_COLUMNS = ("region_code", "category_code", "category_type", "year", "lq")
PROXIMITY_COLUMNS = ["category_code", "related_category_code", "proximity"]
DENSITY_COLUMNS = [
    "region_code",
    "category_code",
    "year",
    "lq",
    "is_specialised",
    "relatedness_density",
    "n_categories_unknown",
]
OPPORTUNITY_COLUMNS = [
    "region_code",
    "category_code",
    "category_type",
    "year",
    "rank_in_region",
    "lq",
    "relatedness_density",
    "n_related_strengths",
    "n_categories_unknown",
]
SUPPORT_COLUMNS = [
    "region_code",
    "category_code",
    "support_rank",
    "related_category_code",
    "proximity",
    "related_lq",
]
SIZE_COLUMNS = [
    "category_code",
    "category_type",
    "year",
    "european_employment_persons",
    "european_employment_share",
    "european_growth_pct",
    "european_growth_status",
]
VARIETY_COLUMNS = [
    "region_code",
    "year",
    "total_variety_bits",
    "related_variety_bits",
    "unrelated_variety_bits",
    "n_categories",
    "n_categories_missing",
    "n_groups",
]
GROWTH_AVAILABLE = "available"
GROWTH_SINGLE_YEAR = "not available: a single year of employment data"
GROWTH_BASE_YEAR = "not available: base year of the growth period"


@dataclasses.dataclass(frozen=True)
class CategorySpace:
    """The relatedness of one category type in one year: its categories and their proximity.

    Attributes:
        category_type: ``traded`` or ``emerging``.
        categories: the category codes, sorted; the axes of every matrix.
        proximity: ``phi`` (categories x categories), symmetric, zero diagonal.
        ubiquity: reference regions specialised in each category (``sum_r M[r, c]``).
        n_reference_regions: reference regions with at least one known LQ of the type.
    """

    category_type: str
    categories: np.ndarray
    proximity: np.ndarray
    ubiquity: np.ndarray
    n_reference_regions: int


@dataclasses.dataclass(frozen=True)
class TypeMatrices:
    """One category type's region x category matrices (rows ``Relatedness.regions``).

    ``lq`` and ``specialised`` are NaN where the LQ is unknown; ``density`` is NaN where it is
    undefined; ``n_unknown`` counts, per cell, the *other* categories of the type whose
    specialisation is unknown in the region; ``present`` marks the cells with a row in the input.
    """

    space: CategorySpace
    present: np.ndarray
    lq: np.ndarray
    specialised: np.ndarray
    density: np.ndarray
    n_unknown: np.ndarray


@dataclasses.dataclass(frozen=True)
class Relatedness:
    """Proximity and relatedness density of every region and category type in one year."""

    year: int
    regions: np.ndarray
    by_type: dict[str, TypeMatrices]

    def space(self, category_type: str) -> CategorySpace:
        """The category space of ``traded`` or ``emerging``."""
        if category_type not in self.by_type:
            raise unknown_code("category type", category_type, self.by_type)
        return self.by_type[category_type].space


# --- the three formulas ------------------------------------------------------------------------


def specialisation_matrix(lq: np.ndarray) -> np.ndarray:
    """``M``: 1.0 where ``LQ >= 1``, 0.0 where ``LQ < 1``, NaN where the LQ is unknown."""
    lq = np.asarray(lq, dtype=float)
    return np.where(np.isnan(lq), np.nan, (lq >= SPECIALISATION_LQ).astype(float))


def compute_proximity(specialised: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``phi`` and the ubiquity of each category from a reference regions x categories ``M``.

    Unknown cells (NaN) count in no sum. ``phi[i, i]`` is 0 (the formula is for ``i != j``),
    and ``phi[i, j]`` is 0 when neither category has a specialised region.
    """
    known = np.nan_to_num(np.asarray(specialised, dtype=float), nan=0.0)
    co_occurrence = known.T @ known
    ubiquity = np.diag(co_occurrence).copy()
    larger = np.maximum.outer(ubiquity, ubiquity)
    with np.errstate(invalid="ignore", divide="ignore"):
        proximity = np.where(larger > 0, co_occurrence / np.where(larger > 0, larger, 1), 0.0)
    np.fill_diagonal(proximity, 0.0)
    return proximity, ubiquity


def compute_density(specialised: np.ndarray, proximity: np.ndarray) -> np.ndarray:
    """``RD``: 100 x the proximity-weighted share of a category's related categories that the
    region is specialised in, over the categories whose specialisation is known (NaN where
    the weights sum to 0 or nothing is known)."""
    specialised = np.asarray(specialised, dtype=float)
    known = ~np.isnan(specialised)
    numerator = np.nan_to_num(specialised, nan=0.0) @ proximity.T
    denominator = known.astype(float) @ proximity.T
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(denominator > 0, 100.0 * numerator / denominator, np.nan)
    # rounded far below any printed digit, so that floating-point noise never moves a density
    # across a threshold (50 is 49.99999999999999 otherwise)
    return np.round(density, DENSITY_DECIMALS)


# --- from the rated clusters -------------------------------------------------------------------


def compute_relatedness(indicators: pd.DataFrame, *, year: int) -> Relatedness:
    """Proximity and density of every region and category at one level and year.

    Args:
        indicators: ``clusters.compute_cluster_indicators`` (or the rated clusters) of one
            NUTS level; ``is_in_reference_set`` marks the regions of the European reference
            set that define the proximity.
        year: the reference year (one year, as issue 15 defines it).

    Raises:
        DataSourceError: a column is missing.
        UnknownCodeError: the year has no rows.
    """
    require_columns(indicators, (*INPUT_COLUMNS, "is_in_reference_set"), "indicators")
    rows = _rows_of_year(indicators, year)
    regions = np.sort(rows["region_code"].astype(str).unique())
    reference = set(rows.loc[_is_reference(rows), "region_code"].astype(str))
    is_reference = np.isin(regions, sorted(reference))
    by_type = {}
    for category_type in CATEGORY_TYPES:
        chosen = rows.loc[rows["category_type"] == category_type]
        if chosen.empty:
            continue
        by_type[category_type] = _type_matrices(chosen, regions, is_reference, category_type)
    return Relatedness(year=int(year), regions=regions, by_type=by_type)


def relatedness_of(lqs: pd.DataFrame, space: Relatedness, code: str) -> Relatedness:
    """The relatedness of a unit outside the regions (a region group) in an existing space.

    Args:
        lqs: ``category_code, lq`` of the unit (categories outside the space are ignored;
            categories without a row count as unknown).
        space: the European relatedness (``compute_relatedness``) whose proximity is used.
        code: the unit's code in the tables.

    Returns:
        A ``Relatedness`` with one region, ``code``: the tidy tables and opportunities work on
        it as on the regions; a unit with the LQs of a region gets that region's numbers.
    """
    require_columns(lqs, ("category_code", "lq"), "lqs")
    by_category = lqs.drop_duplicates("category_code").set_index("category_code")["lq"]
    by_type = {}
    for category_type, matrices in space.by_type.items():
        categories = matrices.space.categories
        present = np.isin(categories, by_category.index.astype(str))[None, :]
        lq = (
            by_category.reindex(categories).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        )
        lq = lq[None, :]
        specialised = specialisation_matrix(lq)
        unknown = np.isnan(specialised)
        by_type[category_type] = TypeMatrices(
            space=matrices.space,
            present=present,
            lq=lq,
            specialised=specialised,
            density=compute_density(specialised, matrices.space.proximity),
            n_unknown=unknown.sum(axis=1, keepdims=True) - unknown.astype(int),
        )
    return Relatedness(year=space.year, regions=np.array([code]), by_type=by_type)


def _rows_of_year(indicators: pd.DataFrame, year: int) -> pd.DataFrame:
    years = sorted(int(value) for value in indicators["year"].dropna().unique())
    if int(year) not in years:
        raise unknown_code("year", str(year), [str(y) for y in years], hint="Years with LQs.")
    return indicators.loc[indicators["year"] == int(year)]


def _is_reference(rows: pd.DataFrame) -> pd.Series:
    return rows["is_in_reference_set"].astype("boolean").fillna(False).astype(bool)


def _type_matrices(
    rows: pd.DataFrame, regions: np.ndarray, is_reference: np.ndarray, category_type: str
) -> TypeMatrices:
    categories = np.sort(rows["category_code"].astype(str).unique())
    lq, present = _matrix(rows, "lq", regions, categories)
    specialised = specialisation_matrix(lq)
    reference = specialised[is_reference]
    has_any = ~np.all(np.isnan(reference), axis=1)
    proximity, ubiquity = compute_proximity(reference[has_any])
    density = compute_density(specialised, proximity)
    unknown = np.isnan(specialised)
    # the other categories whose specialisation is unknown (a cell's own LQ does not count)
    n_unknown = unknown.sum(axis=1, keepdims=True) - unknown.astype(int)
    space = CategorySpace(
        category_type=category_type,
        categories=categories,
        proximity=proximity,
        ubiquity=ubiquity.astype(int),
        n_reference_regions=int(has_any.sum()),
    )
    return TypeMatrices(space, present, lq, specialised, density, n_unknown)


def _matrix(
    rows: pd.DataFrame, column: str, regions: np.ndarray, categories: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A regions x categories matrix of ``column`` (NaN where a cell has no row), and which
    cells have a row."""
    matrix = np.full((len(regions), len(categories)), np.nan)
    present = np.zeros(matrix.shape, dtype=bool)
    row_index = np.searchsorted(regions, rows["region_code"].astype(str).to_numpy())
    column_index = np.searchsorted(categories, rows["category_code"].astype(str).to_numpy())
    values = rows[column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    matrix[row_index, column_index] = values
    present[row_index, column_index] = True
    return matrix, present


# --- tidy tables ---------------------------------------------------------------------------------


def proximity_table(relatedness: Relatedness) -> pd.DataFrame:
    """``category_code, related_category_code, proximity``: every ordered pair ``i != j`` of
    the same category type (traded with traded, emerging with emerging)."""
    parts = []
    for matrices in relatedness.by_type.values():
        space = matrices.space
        first, second = np.nonzero(~np.eye(len(space.categories), dtype=bool))
        parts.append(
            pd.DataFrame(
                {
                    "category_code": space.categories[first],
                    "related_category_code": space.categories[second],
                    "proximity": space.proximity[first, second],
                }
            )
        )
    return _concat(parts, PROXIMITY_COLUMNS).astype(
        {"category_code": "str", "related_category_code": "str"}
    )


def strongest_pairs(relatedness: Relatedness, n: int) -> pd.DataFrame:
    """The ``n`` most related pairs of each category type (each unordered pair once), with
    the reference regions specialised in both and in each:
    ``category_type, category_code, related_category_code, proximity, n_regions_both,
    n_regions_category, n_regions_related``; highest proximity first (ties by code)."""
    parts = []
    for category_type, matrices in relatedness.by_type.items():
        space = matrices.space
        first, second = np.triu_indices(len(space.categories), k=1)
        larger = np.maximum(space.ubiquity[first], space.ubiquity[second])
        frame = pd.DataFrame(
            {
                "category_type": category_type,
                "category_code": space.categories[first],
                "related_category_code": space.categories[second],
                "proximity": space.proximity[first, second],
                "n_regions_both": np.rint(space.proximity[first, second] * larger).astype(int),
                "n_regions_category": space.ubiquity[first],
                "n_regions_related": space.ubiquity[second],
            }
        )
        frame = frame.sort_values(
            ["proximity", "category_code", "related_category_code"],
            ascending=[False, True, True],
        )
        parts.append(frame.head(int(n)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def density_table(relatedness: Relatedness) -> pd.DataFrame:
    """``region_code, category_code, year, lq, is_specialised, relatedness_density`` (and
    ``n_categories_unknown``): one row per region and category with a row in the input."""
    parts = []
    for matrices in relatedness.by_type.values():
        cells = np.nonzero(matrices.present)
        specialised = matrices.specialised[cells]
        is_specialised = pd.array(specialised == 1, dtype="boolean")
        is_specialised[np.isnan(specialised)] = pd.NA
        parts.append(
            pd.DataFrame(
                {
                    "region_code": relatedness.regions[cells[0]],
                    "category_code": matrices.space.categories[cells[1]],
                    "year": relatedness.year,
                    "lq": matrices.lq[cells],
                    "is_specialised": is_specialised,
                    "relatedness_density": matrices.density[cells],
                    "n_categories_unknown": matrices.n_unknown[cells],
                }
            )
        )
    table = _concat(parts, DENSITY_COLUMNS)
    return table.astype({"region_code": "str", "category_code": "str"})


def opportunity_tables(
    relatedness: Relatedness, *, n_support: int = DEFAULT_SUPPORT
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every region's diversification opportunities and the strengths that support them.

    Returns:
        ``(opportunities, support)``. ``opportunities`` (``OPPORTUNITY_COLUMNS``): the
        categories with a known LQ below 1, ranked within the region and type by relatedness
        density (highest first, ties by code; cells without a density last), with the number
        of the region's specialisations related to each. ``support``
        (``SUPPORT_COLUMNS``): for each opportunity, up to ``n_support`` of those
        specialisations, the most related first.
    """
    opportunities, supports = [], []
    for category_type, matrices in relatedness.by_type.items():
        opportunity, support = _type_opportunities(relatedness, matrices, n_support)
        opportunities.append(opportunity.assign(category_type=category_type))
        supports.append(support)
    ranked = _concat(opportunities, OPPORTUNITY_COLUMNS)
    ranked = ranked.sort_values(
        ["region_code", "category_type", "rank_in_region"], ignore_index=True
    )
    return ranked, _concat(supports, SUPPORT_COLUMNS)


def with_names_and_sizes(
    ranked: pd.DataFrame, support: pd.DataFrame, names: pd.Series, sizes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Opportunities with category names and European sizes (``category_sizes``); their
    support with the related categories' names."""
    sizes = sizes.drop(columns=["category_type", "year"], errors="ignore")
    ranked = ranked.assign(category_name=ranked["category_code"].map(names)).merge(
        sizes, on="category_code", how="left"
    )
    support = support.assign(related_category_name=support["related_category_code"].map(names))
    return ranked, support


def _type_opportunities(
    relatedness: Relatedness, matrices: TypeMatrices, n_support: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    space = matrices.space
    is_opportunity = matrices.specialised == 0
    is_strength = matrices.specialised == 1
    # cells x related categories: the region's specialisations linked to each opportunity
    weights = np.where(
        is_opportunity[:, :, None] & is_strength[:, None, :] & (space.proximity[None] > 0),
        space.proximity[None],
        0.0,
    )
    regions, categories = np.nonzero(is_opportunity)
    density = matrices.density[regions, categories]
    frame = pd.DataFrame(
        {
            "region_code": relatedness.regions[regions],
            "category_code": space.categories[categories],
            "year": relatedness.year,
            "lq": matrices.lq[regions, categories],
            "relatedness_density": density,
            "n_related_strengths": (weights[regions, categories] > 0).sum(axis=1),
            "n_categories_unknown": matrices.n_unknown[regions, categories],
        }
    )
    order = np.lexsort((frame["category_code"].to_numpy(), -np.nan_to_num(density, nan=-1.0)))
    frame = frame.iloc[order]
    frame = frame.sort_values("region_code", kind="stable")
    frame = frame.assign(rank_in_region=frame.groupby("region_code").cumcount() + 1)
    return frame, _support(relatedness, matrices, weights, regions, categories, n_support)


def _support(
    relatedness: Relatedness,
    matrices: TypeMatrices,
    weights: np.ndarray,
    regions: np.ndarray,
    categories: np.ndarray,
    n_support: int,
) -> pd.DataFrame:
    cell_weights = weights[regions, categories]
    n_categories = cell_weights.shape[1]
    # strongest first, ties by category code (the columns are sorted by code)
    order = np.argsort(-cell_weights, axis=1, kind="stable")[
        :, : max(0, min(n_support, n_categories))
    ]
    chosen = np.take_along_axis(cell_weights, order, axis=1)
    cell, position = np.nonzero(chosen > 0)
    related = order[cell, position]
    region_rows = regions[cell]
    return pd.DataFrame(
        {
            "region_code": relatedness.regions[region_rows],
            "category_code": matrices.space.categories[categories[cell]],
            "support_rank": position + 1,
            "related_category_code": matrices.space.categories[related],
            "proximity": chosen[cell, position],
            "related_lq": matrices.lq[region_rows, related],
        }
    )


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True).reindex(columns=columns)


def summarise_opportunities(
    density: pd.DataFrame, category_types: pd.Series, *, strong_density: float
) -> pd.DataFrame:
    """Per region and category type: specialisations, opportunities (known LQ < 1), strong
    opportunities (relatedness density >= ``strong_density``), the opportunities' mean
    density and the categories whose LQ is unknown.

    Args:
        density: ``density_table(...)``.
        category_types: category code -> ``traded`` or ``emerging``.
        strong_density: the density from which an opportunity counts as strong.
    """
    is_opportunity = density["is_specialised"].eq(False).fillna(False).astype(bool)
    opportunity_density = density["relatedness_density"].where(is_opportunity)
    frame = density.assign(
        category_type=density["category_code"].map(category_types),
        is_opportunity=is_opportunity,
        is_strong=opportunity_density >= strong_density,
        opportunity_density=opportunity_density,
        is_specialised=density["is_specialised"].fillna(False).astype(bool),
        is_unknown=density["lq"].isna(),
    )
    return frame.groupby(["region_code", "category_type"], as_index=False).agg(
        n_specialised=("is_specialised", "sum"),
        n_opportunities=("is_opportunity", "sum"),
        n_strong_opportunities=("is_strong", "sum"),
        mean_opportunity_density=("opportunity_density", "mean"),
        n_categories_unknown=("is_unknown", "sum"),
    )


# --- the categories' European size and growth ----------------------------------------------------


def category_sizes(indicators: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """Each category's European employment, its share of European employment, and growth.

    European employment is summed over the reference regions with a value; the share is the
    location quotient's benchmark ``E_i / E`` (reference regions where both the cell and the
    region total are known). Growth is the compound annual growth of the category's European
    employment from the first year in ``indicators`` to ``year`` over the reference regions
    known in both years; with a single year it is "not available" (``european_growth_status``).
    """
    require_columns(indicators, (*INPUT_COLUMNS, "employment_persons"), "indicators")
    rows = indicators.loc[_is_reference(indicators)]
    employment = rows["employment_persons"].astype(float)
    totals = rows["region_employment_persons"].astype(float)
    both = employment.notna() & totals.notna() & (totals > 0)
    keys = ["category_code", "category_type", "year"]
    grouped = rows.assign(
        employment=employment,
        benchmark_employment=employment.where(both),
        benchmark_total=totals.where(both),
    ).groupby(keys, as_index=False, sort=True)
    sizes = grouped.agg(
        european_employment_persons=("employment", lambda v: v.sum(min_count=1)),
        benchmark_employment=("benchmark_employment", lambda v: v.sum(min_count=1)),
        benchmark_total=("benchmark_total", lambda v: v.sum(min_count=1)),
    )
    sizes = sizes.assign(
        european_employment_share=sizes["benchmark_employment"] / sizes["benchmark_total"]
    )
    chosen = sizes.loc[sizes["year"] == int(year)].reset_index(drop=True)
    growth, status = _european_growth(rows, chosen, int(year))
    return chosen.assign(european_growth_pct=growth, european_growth_status=status)[SIZE_COLUMNS]


def _european_growth(rows: pd.DataFrame, chosen: pd.DataFrame, year: int) -> tuple:
    years = sorted(int(y) for y in rows["year"].dropna().unique())
    if len(years) < 2:
        return np.full(len(chosen), np.nan), GROWTH_SINGLE_YEAR
    base = years[0]
    if year == base:
        return np.full(len(chosen), np.nan), GROWTH_BASE_YEAR
    cells = rows.loc[rows["year"].isin([base, year])].pivot_table(
        index=["category_code", "region_code"], columns="year", values="employment_persons"
    )
    cells = cells.dropna()
    sums = cells.groupby(level="category_code").sum()
    ratio = sums[year] / sums[base].where(sums[base] > 0)
    growth = (ratio ** (1 / (year - base)) - 1) * 100
    values = chosen["category_code"].map(growth).to_numpy(dtype=float)
    status = np.where(np.isnan(values), "missing: no region known in both years", GROWTH_AVAILABLE)
    return values, status


# --- related and unrelated variety ---------------------------------------------------------------


def load_technology_groups(path: str | Path | None = None) -> dict[str, dict]:
    """The division -> group table of ``data/technology_groups.yaml``.

    Returns:
        ``{group_id: {"label": ..., "divisions": [...], "order": n}}``.

    Raises:
        ConfigError: unreadable file, or a division listed twice (file and fix named).
    """
    path = Path(path or TECHNOLOGY_GROUPS_FILE)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"Cannot read the technology groups {path}: {error}.") from error
    groups, seen = {}, {}
    for order, entry in enumerate(document.get("groups") or []):
        group_id = str(entry.get("id", ""))
        divisions = [str(d).zfill(2) for d in entry.get("divisions") or []]
        for division in divisions:
            if division in seen:
                raise ConfigError(
                    f"{path}: NACE division {division} is in groups {seen[division]!r} and "
                    f"{group_id!r}; list every division in one group only."
                )
            seen[division] = group_id
        groups[group_id] = {"label": str(entry.get("label", group_id)), "divisions": divisions}
        groups[group_id]["order"] = order
    if not groups:
        raise ConfigError(f"{path} lists no groups; add 'groups:' with ids and divisions.")
    return groups


def category_groups(
    nace_classes: pd.DataFrame, groups: Mapping[str, dict] | None = None
) -> pd.DataFrame:
    """Each category's group: the group holding most of its NACE classes (ties: first listed).

    Args:
        nace_classes: the store's ``cluster_nace_classes`` (``nace_code`` is the division,
            e.g. ``C29``).
        groups: ``load_technology_groups()`` (the default).

    Returns:
        ``category_code, category_type, group_code, group_label, n_classes, n_classes_in_group``.
    """
    require_columns(nace_classes, ("category_code", "category_type", "nace_code"), "nace_classes")
    groups = dict(groups or load_technology_groups())
    division_group = {d: gid for gid, spec in groups.items() for d in spec["divisions"]}
    order = {gid: spec["order"] for gid, spec in groups.items()}
    division = nace_classes["nace_code"].astype(str).str[1:3]
    unknown = sorted(set(division) - set(division_group))
    if unknown:
        raise ConfigError(
            f"NACE divisions {', '.join(unknown)} belong to no group of the technology groups "
            "file; add them to one group."
        )
    classes = nace_classes.assign(group_code=division.map(division_group))
    counts = classes.groupby(
        ["category_code", "category_type", "group_code"], as_index=False
    ).size()
    counts = counts.assign(order=counts["group_code"].map(order))
    counts = counts.sort_values(["category_code", "size", "order"], ascending=[True, False, True])
    totals = counts.groupby("category_code")["size"].sum()
    chosen = counts.drop_duplicates("category_code").reset_index(drop=True)
    labels = {gid: spec["label"] for gid, spec in groups.items()}
    return pd.DataFrame(
        {
            "category_code": chosen["category_code"].astype(str),
            "category_type": chosen["category_type"].astype(str),
            "group_code": chosen["group_code"].astype(str),
            "group_label": chosen["group_code"].map(labels).astype(str),
            "n_classes": chosen["category_code"].map(totals).astype(int),
            "n_classes_in_group": chosen["size"].astype(int),
        }
    )


def compute_variety(indicators: pd.DataFrame, groups: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """Related, unrelated and total variety (bits) of every region's traded employment.

    Shares are of the region's employment in the traded categories with a known value
    (they are disjoint; the emerging industries overlap them and are left out);
    ``n_categories_missing`` counts the traded categories whose employment is unknown.

    Args:
        indicators: the cluster indicators of one level.
        groups: ``category_groups(...)`` (``category_code, group_code``).
        year: the reference year.

    Returns:
        ``VARIETY_COLUMNS``, one row per region; missing where no traded employment is known.
    """
    require_columns(
        indicators, ("region_code", "category_type", "year", "employment_persons"), "indicators"
    )
    rows = _rows_of_year(indicators, year)
    traded = rows.loc[rows["category_type"] == "traded"]
    group_of = groups.set_index("category_code")["group_code"]
    missing_groups = sorted(set(traded["category_code"]) - set(group_of.index))
    if missing_groups:
        raise ObservatoryError(
            f"Categories without a group: {', '.join(missing_groups)}; pass category_groups() "
            "of the same store."
        )
    employment = traded["employment_persons"].astype(float)
    known = traded.assign(
        employment=employment.where(employment > 0),
        group_code=traded["category_code"].map(group_of),
    )
    per_region = known.groupby("region_code", sort=True)
    region_total = per_region["employment"].transform("sum")
    share = known["employment"] / region_total.where(region_total > 0)
    group_total = known.groupby(["region_code", "group_code"])["employment"].transform("sum")
    group_share = group_total / region_total.where(region_total > 0)
    within = known["employment"] / group_total.where(group_total > 0)
    work = known.assign(
        total_term=-share * np.log2(share),
        related_term=-share * np.log2(within),
    )
    summary = work.groupby("region_code", sort=True).agg(
        total_variety_bits=("total_term", lambda v: v.sum(min_count=1)),
        related_variety_bits=("related_term", lambda v: v.sum(min_count=1)),
        n_categories=("employment", "count"),
        n_categories_missing=("employment_persons", lambda v: int(v.isna().sum())),
    )
    groups_present = (
        work.assign(group_share=group_share)
        .dropna(subset=["employment"])
        .drop_duplicates(["region_code", "group_code"])
    )
    unrelated = (
        groups_present.assign(
            term=-groups_present["group_share"] * np.log2(groups_present["group_share"])
        )
        .groupby("region_code")["term"]
        .agg(["sum", "count"])
    )
    summary = summary.assign(
        unrelated_variety_bits=unrelated["sum"].reindex(summary.index),
        n_groups=unrelated["count"].reindex(summary.index).fillna(0).astype(int),
    )
    has_data = summary["n_categories"] > 0
    for column in ("total_variety_bits", "related_variety_bits", "unrelated_variety_bits"):
        summary[column] = summary[column].where(has_data)
    return summary.reset_index().assign(year=int(year))[VARIETY_COLUMNS]

"""The European Cluster Panorama's numbers (its publication: ``publication.py``).

``panorama_context`` rates every regional cluster at one level and year with a star rule set
and builds every table the Panorama shows: starred clusters per region and country, the
leaders of every category, the emerging industries and how the star counts move with the
cut-offs. ``plot_panorama_maps`` draws its maps and ``write_panorama_downloads`` publishes its
tables. The numbers come from the recipe layer (``indicators.recipes``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR
from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators import change_recipes, recipes
from observatory_lib.indicators.clusters import resolve_reference_countries
from observatory_lib.indicators.panorama import PanoramaSummary
from observatory_lib.indicators.recipes import MIN_STARS
from observatory_lib.indicators.stars import StarRuleSet, load_star_preset, star_sensitivity
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.display import (
    TableSpec,
    product_sources,
    with_category_names,
    write_tables,
)
from observatory_lib.products.kit.notes import star_criteria_table, stars_methods_note
from observatory_lib.products.kit.numbers import format_growth, format_number

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure


LQ_CUTOFFS = (1.5, 1.75, 2.0, 2.25, 2.5)
TOP_SHARES = (0.05, 0.10, 0.15, 0.20)
PANORAMA_SUBDIR = "panorama"
_SHARE_UNITS = {"starred_employment_share_pct": "pct"}
# How the notebook shows each table (every column and row is in the downloads).
COUNTRY_TABLE = TableSpec(
    columns=(
        "country_code",
        "country_name",
        "n_regions",
        "n_regions_with_total",
        "n_starred_clusters",
        "starred_employment_persons",
        "starred_employment_share_pct",
    ),
    units=_SHARE_UNITS,
)
REGION_TABLE = TableSpec(
    columns=(
        "region_code",
        "region_name",
        "n_clusters_rated",
        "n_starred_clusters",
        "n_clusters_with_all_stars",
        "starred_employment_persons",
        "starred_employment_share_pct",
    ),
    units=_SHARE_UNITS,
    max_rows=30,
)
LEADERS_TABLE = TableSpec(
    columns=(
        "category_name",
        "category_type",
        "rank_in_category",
        "region_code",
        "region_name",
        "stars",
        "stars_out_of",
        "employment_persons",
        "lq",
    ),
    empty_text="No regional cluster has a star at this level and year.",
)
EMERGING_TABLE = TableSpec(
    columns=(
        "category_code",
        "category_name",
        "n_regions_rated",
        "n_starred_regions",
        "employment_persons",
        "leading_region_code",
        "leading_region_stars",
    )
)
CRITERIA_TABLE = TableSpec(columns=("criterion", "metric", "cutoff_text", "is_verified", "note"))
SENSITIVITY_TABLE = TableSpec(
    columns=(
        "criterion",
        "metric",
        "cutoff",
        "is_preset_cutoff",
        "is_verified",
        "n_rated",
        "n_gain",
        "n_lose",
        "n_criterion_pass",
        "n_starred",
    )
)
RATED_DOWNLOAD_COLUMNS = [
    "region_code",
    "region_name",
    "country_code",
    "nuts_level",
    "year",
    "category_code",
    "category_name",
    "category_type",
    "employment_persons",
    "region_employment_persons",
    "size_share",
    "size_rank",
    "lq",
    "focus_share",
    "wages_eur",
    "wage_per_employee_eur",
    "relative_wage_index",
    "local_units",
    "persons_per_local_unit",
    "employment_growth_pct",
    "growth_base_year",
    "growth_spans_break",
    "flag",
    "stars",
    "stars_out_of",
    "stars_basis",
    "rule_set",
    "is_in_reference_set",
    "is_derived_by_allocation",
    "has_confidential_cells",
    "is_apportioned",
    "is_small_base",
    "nuts_edition",
    "dataset_code",
]


@dataclasses.dataclass(frozen=True)
class PanoramaChange:
    """How Europe's clusters changed over a window (``change_recipes.europe_change`` and its parts).

    Attributes:
        window: (start, end) years.
        by_category: one row per category: employment on constant regions, growth per year,
            regions growing, stars gained and lost (traded and emerging, with names).
        shift_share, transitions: every regional cluster's shift-share and star transition.
        europe: the headline counts over the traded categories.
    """

    window: tuple[int, int]
    by_category: pd.DataFrame
    shift_share: pd.DataFrame
    transitions: pd.DataFrame
    europe: dict[str, Any]

    def headline_markdown(self) -> str:
        start, end = self.window
        e = self.europe
        growth = format_growth(e["employment_cagr_pct"])
        return (
            f"From {start} to {end}, employment in Europe's traded clusters changed by "
            f"**{growth} a year** ({format_number(e['n_clusters_compared'])} regional clusters "
            "whose employment is known in every year, without a series break). "
            f"**{format_number(e['n_gained'])}** traded regional clusters gained stars, "
            f"**{format_number(e['n_lost'])}** lost some and {format_number(e['n_kept'])} kept "
            f"their count; {format_number(e['n_across_break'])} whose series breaks between the "
            "two years are not counted. The categories below are ranked by their European growth."
        )


@dataclasses.dataclass(frozen=True)
class PanoramaReport:
    """Everything the Cluster Panorama notebook shows, for one year, level and preset.

    Attributes:
        rated: the rated regional clusters at the level and year (all categories).
        summary: ``panorama.panorama_summary`` (by region, by country, leaders, emerging).
        by_country, by_region, leaders, emerging: the summary's tables with country, region
            and category names added.
        criteria: the rule set's criteria (``star_criteria_table``).
        sensitivity: star counts for the LQ cut-off 1.5-2.5 and the top 5-20 % rules.
        europe: Europe-wide counts over the reference regions (see ``headline_markdown``).
    """

    year: int
    nuts_level: int
    star_preset: str
    rule_set: StarRuleSet
    reference_countries: tuple[str, ...]
    reference_description: str
    rated: pd.DataFrame
    summary: PanoramaSummary
    by_country: pd.DataFrame
    by_region: pd.DataFrame
    leaders: pd.DataFrame
    emerging: pd.DataFrame
    criteria: pd.DataFrame
    sensitivity: pd.DataFrame
    europe: dict[str, Any]
    change: PanoramaChange | None = None

    def change_by_category(self) -> pd.DataFrame:
        """The categories ranked by European growth over the window (empty when none); an
        emerging industry's name says so (Biopharmaceuticals is both a category and one)."""
        if self.change is None:
            return pd.DataFrame()
        table = self.change.by_category
        emerging = table["category_type"].eq("emerging")
        names = (
            table["category_name"]
            .astype("str")
            .where(~emerging, table["category_name"].astype("str") + " (emerging industry)")
        )
        return table.assign(category_name=names)

    def change_markdown(self) -> str:
        """The change section's headline, or why there is none."""
        if self.change is None:
            return (
                f"Change over time: not available ({self.year} is the first year with cluster "
                "data)."
            )
        return self.change.headline_markdown()

    def headline_markdown(self) -> str:
        """The Europe-wide result in two sentences."""
        europe = self.europe
        share = map_styles.format_value(europe["starred_employment_share_pct"], "pct")
        return (
            f"**{europe['n_starred_clusters']:,}** of {europe['n_clusters_rated']:,} rated "
            f"traded regional clusters in the {europe['n_regions']:,} reference regions "
            f"(NUTS {self.nuts_level}, {self.year}) have at least {MIN_STARS} star under the "
            f"`{self.star_preset}` rule set; they employ {share} of the employment of the "
            f"regions whose total is known. {europe['n_starred_emerging']:,} emerging-industry "
            "clusters are starred as well (counted apart: they overlap the traded categories)."
        )

    def methods_markdown(self) -> str:
        """The methods note: division approximation, rule set, unverified thresholds."""
        basis = self.rated["stars_basis"].dropna()
        return stars_methods_note(self.rule_set, basis.iloc[0] if len(basis) else None)

    def record(self) -> dict[str, Any]:
        """Key numbers for ``records.publish_record`` (tests and the batch read them back)."""
        return {
            "product": "cluster_panorama",
            "year": self.year,
            "nuts_level": self.nuts_level,
            "star_preset": self.star_preset,
            "reference_countries": list(self.reference_countries),
            **self.europe,
            "change": None
            if self.change is None
            else {"window": list(self.change.window), **self.change.europe},
        }


def panorama_context(
    store,
    year: int = DEFAULT_YEAR,
    star_preset: str = DEFAULT_STAR_PRESET,
    level: int = 2,
    reference_countries: Sequence[str] | None = None,
    *,
    lq_cutoffs: Iterable[float] = LQ_CUTOFFS,
    top_shares: Iterable[float] = TOP_SHARES,
) -> PanoramaReport:
    """Rate the clusters and build every table of the European Cluster Panorama.

    Args:
        store: the loaded store.
        year: reference year (2015 in the real data).
        star_preset: ``eco2008``, ``eocic`` or ``panorama4`` (``list_star_presets()``).
        level: NUTS level 0, 1 or 2.
        reference_countries: countries forming "Europe"; None or an empty list (the notebook
            parameter's default) means every country present at the level.
        lq_cutoffs: LQ cut-offs of the sensitivity table.
        top_shares: top shares (0-1) of the sensitivity table.

    Raises:
        UnknownCodeError: unknown preset, level, year or country (valid choices listed).
    """
    rules = load_star_preset(star_preset)
    countries = resolve_reference_countries(
        store.cluster_employment,
        level=int(level),
        reference_countries=recipes.reference_or_none(reference_countries),
    )
    rated = recipes.rated_clusters(store, level, rules, year=year, reference_countries=countries)
    summary = recipes.panorama_summary(
        store, level, rules, year=int(year), reference_countries=countries
    )
    categories = store.cluster_categories
    by_region = summary.by_region
    by_country = summary.by_country.merge(
        recipes.country_names(store), on="country_code", how="left"
    )
    by_country = by_country[["country_code", "country_name", *summary.by_country.columns[1:]]]
    return PanoramaReport(
        year=int(year),
        nuts_level=int(level),
        star_preset=rules.name,
        rule_set=rules,
        reference_countries=tuple(countries),
        reference_description=recipes.reference_description(store, level, countries),
        rated=with_category_names(rated, categories),
        summary=summary,
        by_country=by_country,
        by_region=by_region,
        leaders=with_category_names(summary.leaders, categories),
        emerging=with_category_names(summary.emerging, categories),
        criteria=star_criteria_table(rules),
        sensitivity=compute_panorama_sensitivity(rated, rules, lq_cutoffs, top_shares),
        europe=_europe_counts(rated, by_region),
        change=_panorama_change(store, int(level), rules, int(year)),
    )


def _panorama_change(store, level: int, rules: StarRuleSet, year: int) -> PanoramaChange | None:
    """Europe's change over the window ending in ``year`` (None in the first year with data)."""
    window = change_recipes.window_ending(store, year)
    if window is None:
        return None
    by_category = change_recipes.europe_change(store, level, rules, window)
    return PanoramaChange(
        window=window,
        by_category=with_category_names(by_category, store.cluster_categories),
        shift_share=change_recipes.shift_share(store, level, window),
        transitions=change_recipes.star_transitions(store, level, rules, window),
        europe=change_recipes.europe_change_headline(store, level, rules, window),
    )


def compute_panorama_sensitivity(
    indicators: pd.DataFrame,
    rule_set: str | StarRuleSet,
    lq_cutoffs: Iterable[float] = LQ_CUTOFFS,
    top_shares: Iterable[float] = TOP_SHARES,
) -> pd.DataFrame:
    """Star counts when the LQ threshold or the top-share cut-offs change, one at a time.

    The LQ cut-offs apply to every ``threshold`` criterion on ``lq``; the top shares to every
    ``top_share`` criterion whose metric has values (a criterion that is "not available",
    e.g. wages in the SBS data, is left out).

    Returns:
        ``stars.star_sensitivity`` rows for each varied criterion, plus ``metric`` and
        ``is_verified``.
    """
    rules = load_star_preset(rule_set)
    parts = []
    for criterion in rules.criteria:
        if criterion.rule == "threshold" and criterion.metric == "lq":
            cutoffs = list(lq_cutoffs)
        elif criterion.rule == "top_share" and indicators[criterion.metric].notna().any():
            cutoffs = list(top_shares)
        else:
            continue
        table = star_sensitivity(indicators, rules, criterion.name, cutoffs)
        parts.append(table.assign(metric=criterion.metric, is_verified=bool(criterion.verified)))
    if not parts:
        raise ObservatoryError(
            f"No criterion of {rules.name!r} can be varied at this level and year; every "
            "metric is missing."
        )
    return pd.concat(parts, ignore_index=True)


def _europe_counts(rated: pd.DataFrame, by_region: pd.DataFrame) -> dict[str, Any]:
    """Counts over the reference regions (extra-regio codes and aggregates excluded)."""
    reference = rated[rated["is_in_reference_set"].astype("boolean").fillna(False).astype(bool)]
    in_reference = by_region[by_region["region_code"].isin(reference["region_code"].unique())]
    has_total = in_reference["region_employment_persons"].notna() & (
        in_reference["n_clusters_rated"] > 0
    )
    total = in_reference.loc[has_total, "region_employment_persons"].sum()
    starred = in_reference.loc[has_total, "starred_employment_persons"].sum()
    stars = reference["stars"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    is_emerging = (reference["category_type"] == "emerging").to_numpy()
    return {
        "n_regions": int(in_reference["region_code"].nunique()),
        "n_regions_with_total": int(has_total.sum()),
        "n_clusters_rated": int(in_reference["n_clusters_rated"].sum()),
        "n_starred_clusters": int(in_reference["n_starred_clusters"].sum()),
        "n_starred_emerging": int(((stars >= MIN_STARS) & is_emerging).sum()),
        "starred_employment_persons": float(starred),
        "starred_employment_share_pct": float(100 * starred / total) if total > 0 else np.nan,
    }


def plot_panorama_maps(report: PanoramaReport, geometries: gpd.GeoDataFrame) -> dict[str, Figure]:
    """Two maps: starred traded clusters per region, and their share of employment.

    Regions whose clusters could not be rated are "no data", never 0.
    """
    from observatory_lib.products.kit.maps import HALF_WIDTH, plot_choropleth

    table = report.by_region
    count = table[["region_code"]].assign(value=table["n_starred_clusters"])
    share = table[["region_code"]].assign(value=table["starred_employment_share_pct"])
    return {
        "n_starred_clusters": plot_choropleth(
            geometries,
            count,
            title=None,
            unit="number",
            method="quantile",
            k=5,
            width=HALF_WIDTH,
            whole_numbers=True,
        ),
        "starred_employment_share_pct": plot_choropleth(
            geometries,
            share,
            title=None,
            unit="pct",
            method="quantile",
            k=5,
            width=HALF_WIDTH,
        ),
    }


def write_panorama_downloads(
    report: PanoramaReport, store, output_subdir: str = PANORAMA_SUBDIR
) -> list[Path]:
    """Write the Panorama tables (CSV with BOM + XLSX, with provenance) under outputs/.

    Files: ``starred_clusters_by_region``, ``starred_clusters_by_country``,
    ``leaders_by_category``, ``emerging_industries`` and ``star_sensitivity``, each suffixed
    ``_<preset>_nuts<level>_<year>``; ``rated_clusters_<preset>_nuts<level>_<first>-<last>``,
    every rated regional cluster of every year (a panel: region, category, year); and, over
    the change window, ``europe_change``, ``shift_share`` and ``star_transitions``
    (``_<preset>_nuts<level>_<start>-<end>``). Tables above ``XLSX_MAX_CELLS`` cells (the
    rated clusters at NUTS 2) are written as CSV only.

    Returns:
        The written paths.
    """
    regions = recipes.region_names(store, report.nuts_level)
    every_year = recipes.rated_clusters(
        store, report.nuts_level, report.rule_set, reference_countries=report.reference_countries
    )
    rated = with_category_names(every_year, store.cluster_categories).merge(
        regions, on="region_code", how="left"
    )
    what = f"NUTS {report.nuts_level}, {report.year}, star rule set {report.star_preset}"
    sources = product_sources(store, "clusters")
    tables = {
        "starred_clusters_by_region": (
            report.by_region,
            f"Starred traded clusters per region, {what}",
        ),
        "starred_clusters_by_country": (
            report.by_country,
            f"Starred traded clusters per country, {what}",
        ),
        "leaders_by_category": (report.leaders, f"Leading regions per cluster category, {what}"),
        "emerging_industries": (report.emerging, f"Emerging industries, {what}"),
        "star_sensitivity": (report.sensitivity, f"Star sensitivity to the cut-offs, {what}"),
    }
    suffix = f"{report.star_preset}_nuts{report.nuts_level}_{report.year}"
    written = write_tables(tables, output_subdir, suffix, sources)
    years = recipes.cluster_years(store)
    panel = {
        "rated_clusters": (
            rated.reindex(columns=RATED_DOWNLOAD_COLUMNS),
            f"Rated regional clusters of every year {years[0]}-{years[-1]} (region x category x "
            f"year), NUTS {report.nuts_level}, star rule set {report.star_preset}",
        )
    }
    panel_suffix = f"{report.star_preset}_nuts{report.nuts_level}_{years[0]}-{years[-1]}"
    written += write_tables(panel, output_subdir, panel_suffix, sources)
    if report.change is not None:
        written += _write_change_downloads(report, output_subdir, sources)
    return written


def _write_change_downloads(report: PanoramaReport, output_subdir: str, sources) -> list[Path]:
    change = report.change
    start, end = change.window
    what = f"{start}-{end}, NUTS {report.nuts_level}, star rule set {report.star_preset}"
    tables = {
        "europe_change": (change.by_category, f"How Europe's cluster categories changed, {what}"),
        "shift_share": (
            change.shift_share,
            f"Shift-share of every regional cluster's employment change, {what}",
        ),
        "star_transitions": (
            change.transitions,
            f"Stars gained, lost or kept by every regional cluster, {what}",
        ),
    }
    suffix = f"{report.star_preset}_nuts{report.nuts_level}_{start}-{end}"
    return write_tables(tables, output_subdir, suffix, sources)

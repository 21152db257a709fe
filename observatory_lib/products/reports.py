"""The glue behind the report notebooks: Cluster Panorama, sector report, Ecosystem Scoreboard.

Each product has one call that turns the store and the notebook's parameters into everything
the notebook shows (``panorama_context``, ``sector_report_content``, ``scoreboard_context``),
functions that draw its figures (matplotlib ``Figure`` objects, no pyplot state) and one
``write_*_downloads`` call that publishes its tables as CSV (UTF-8 with BOM) and XLSX with
provenance under ``paths.output_dir()`` (CSV only above ``XLSX_MAX_CELLS`` cells). Notebooks
hold the narrative and call these.

The computations themselves live in the indicator layer (``clusters``, ``stars``,
``panorama``, ``scoreboard``, ``uncertainty``); this module selects, joins names and labels,
and formats. Missing values stay missing: tables keep NaN, ``display_table`` shows them as
"not available", maps draw them as "no data".
"""

from __future__ import annotations

import dataclasses
import itertools
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from observatory_lib.data.cluster_definitions import read_nace_classes
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.indicators.clusters import (
    compute_cluster_indicators,
    compute_structural_indicators,
    reference_set_description,
    resolve_reference_countries,
)
from observatory_lib.indicators.framework import Framework, load_framework
from observatory_lib.indicators.panorama import (
    CategoryComposition,
    CategoryConcentration,
    CategoryView,
    PanoramaSummary,
    category_view,
    compute_category_composition,
    compute_category_overlap,
    compute_concentration,
    panorama_summary,
)
from observatory_lib.indicators.scoreboard import (
    EU28_COUNTRIES,
    ScoreboardResult,
    compute_scoreboard,
)
from observatory_lib.indicators.stars import (
    StarRuleSet,
    load_star_preset,
    rate_stars,
    star_sensitivity,
)
from observatory_lib.indicators.uncertainty import UncertaintyResult, simulate_rank_uncertainty
from observatory_lib.products import map_styles
from observatory_lib.products.downloads import FORMATS, write_table
from observatory_lib.products.provenance import PRODUCT_SOURCES, select_sources

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure

STATISTICS_EDITION = 2016
DEFAULT_STAR_PRESET = "eco2008"
LQ_CUTOFFS = (1.5, 1.75, 2.0, 2.25, 2.5)
TOP_SHARES = (0.05, 0.10, 0.15, 0.20)
MIN_STARS = 1
N_LEADERS = 10
N_RANK_INTERVALS = 30
PANORAMA_SUBDIR = "panorama"
SECTOR_SUBDIR = "sector_reports"
SCOREBOARD_SUBDIR = "scoreboard"
YES, NO = "yes", "no"
# openpyxl (write-only) writes about 100,000 cells a second: the full NUTS-2 rated table
# (about 600,000 cells) still gets its XLSX; anything far larger is published as CSV only.
XLSX_MAX_CELLS = 1_000_000

DIVISION_NOTE = (
    "**Division-level data approximate class-level definitions.** The categories are defined "
    "by NACE Rev. 2 classes (4 digits), but regional SBS employment exists only for divisions "
    "(2 digits). Each division's employment is split equally among its NACE classes and a "
    "category receives the shares of the classes it contains (every cluster figure carries "
    "`is_derived_by_allocation`). Suppressed divisions are estimated from the section total "
    "where possible (`has_confidential_cells`); where that is impossible the category is "
    "missing in that region, never a partial sum. Classes outside the SBS scope (sections A, "
    "K, O-U except S95) are not counted."
)
OVERLAP_NOTE = (
    "Emerging industries overlap each other and the traded categories; sums of employment over "
    "categories (starred employment and its share) use the traded categories only."
)


# --- shared helpers ----------------------------------------------------------------------


def compute_rated_clusters(
    store,
    *,
    star_preset: str | StarRuleSet = DEFAULT_STAR_PRESET,
    level: int = 2,
    year: int | None = None,
    reference_countries: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cluster indicators and star ratings of every region x category at one NUTS level.

    Args:
        store: the loaded store (``load_store()``).
        star_preset: a preset name (``list_star_presets()``) or a rule set.
        level: NUTS level (0, 1 or 2).
        year: keep this year only (checked against the years in the store); None keeps all.
        reference_countries: the European reference set; None or empty: every country present.

    Raises:
        UnknownCodeError: unknown preset, level, year or country (valid choices listed).
    """
    rules = load_star_preset(star_preset)
    indicators = compute_cluster_indicators(
        store.cluster_employment,
        store.region_employment_totals,
        level=int(level),
        reference_countries=_reference_or_none(reference_countries),
    )
    indicators = _select_year(indicators, year)
    return rate_stars(indicators, rules)


def star_criteria_table(rule_set: str | StarRuleSet) -> pd.DataFrame:
    """One row per star criterion: name, metric, rule, cut-off, verified, note."""
    rules = load_star_preset(rule_set)
    return pd.DataFrame(
        {
            "criterion": [c.name for c in rules.criteria],
            "metric": [c.metric for c in rules.criteria],
            "rule": [c.rule for c in rules.criteria],
            "cutoff": [c.cutoff for c in rules.criteria],
            "cutoff_text": [_cutoff_text(c.rule, c.cutoff, c.metric) for c in rules.criteria],
            "is_verified": [bool(c.verified) for c in rules.criteria],
            "note": [c.note for c in rules.criteria],
        }
    ).astype({"criterion": "str", "metric": "str", "rule": "str", "cutoff_text": "str"})


def stars_methods_note(
    rule_set: str | StarRuleSet,
    stars_basis: str | None = None,
    *,
    with_division_note: bool = True,
) -> str:
    """Markdown: the division approximation, the rule set and its unverified thresholds."""
    rules = load_star_preset(rule_set)
    unverified = [c for c in rules.criteria if not c.verified]
    lines = [DIVISION_NOTE, ""] if with_division_note else []
    lines += [f"**Star rule set `{rules.name}`**: {rules.label}.", ""]
    for criterion in rules.criteria:
        status = "verified" if criterion.verified else "**unverified**"
        cutoff = _cutoff_text(criterion.rule, criterion.cutoff, criterion.metric)
        lines.append(f"- `{criterion.name}`: {cutoff} ({status}; {criterion.note})")
    lines.append("")
    if unverified:
        names = ", ".join(
            f"{c.name} ({_cutoff_text(c.rule, c.cutoff, c.metric)})" for c in unverified
        )
        lines.append(
            f"Unverified thresholds, recalled rather than read in a source: {names}. Treat "
            "star counts as indicative; the sensitivity table shows how they move."
        )
    else:
        lines.append("Every threshold of this rule set was seen in a source.")
    if stars_basis:
        lines += ["", f"Criteria counted at this level and year: {stars_basis}."]
    lines += ["", OVERLAP_NOTE]
    return "\n".join(lines)


def display_table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    units: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """A copy for display: numbers formatted, missing values written "not available".

    Whole numbers get thousands separators, other numbers about three significant digits
    (``map_styles.format_value``); years, levels and ranks stay plain; booleans read
    yes/no. The frame for downloads stays numeric: use this for display only.

    Args:
        frame: the table.
        columns: columns to keep, in order (default all).
        units: unit code per column, appended to the numbers (e.g. ``{"share_pct": "pct"}``).
        max_rows: keep the first rows only.
    """
    chosen = frame if columns is None else frame[list(columns)]
    if max_rows is not None:
        chosen = chosen.head(max_rows)
    units = dict(units or {})
    formatted = {}
    for column in chosen.columns:
        series = chosen[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            formatted[column] = _format_bool(series)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            formatted[column] = _format_numbers(series, str(column), units.get(str(column)))
        else:
            formatted[column] = series.astype("str").fillna(map_styles.NOT_AVAILABLE)
    return pd.DataFrame(formatted, index=pd.RangeIndex(len(chosen)))


def show_table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    units: Mapping[str, str] | None = None,
    max_rows: int | None = None,
    empty_text: str = "No rows.",
) -> None:
    """Display ``display_table(frame, ...)`` in the notebook, or ``empty_text`` when empty."""
    from IPython.display import Markdown, display

    if frame.empty:
        display(Markdown(empty_text))
        return
    display(display_table(frame, columns, units=units, max_rows=max_rows))


def downloads_markdown(written: Iterable[Path]) -> str:
    """A Markdown list of the written downloads, relative to the outputs folder."""
    from observatory_lib import paths

    root = paths.output_dir()
    lines = []
    for path in written:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        lines.append(f"- `{shown.as_posix()}`")
    if not lines:
        return "No file was written."
    return "Downloads (CSV in UTF-8 with BOM, and XLSX with a provenance sheet):\n\n" + "\n".join(
        lines
    )


def show_figure(fig: Figure, dpi: int = 100) -> None:
    """Display a figure in the notebook as a PNG (works without pyplot, deterministic bytes)."""
    from IPython.display import Image, display

    from observatory_lib.products.maps import figure_to_png_bytes

    display(Image(data=figure_to_png_bytes(fig, dpi=dpi), format="png"))


def statistics_geometries(store, level: int) -> gpd.GeoDataFrame:
    """The NUTS 2016 polygons of one level (the edition of the statistics)."""
    geometries = store.geometries
    chosen = geometries[
        (geometries["nuts_edition"] == STATISTICS_EDITION) & (geometries["nuts_level"] == level)
    ]
    if chosen.empty:
        levels = sorted(
            geometries.loc[geometries["nuts_edition"] == STATISTICS_EDITION, "nuts_level"].unique()
        )
        raise unknown_code("NUTS level", str(level), [str(v) for v in levels])
    return chosen


def product_sources(store, product: str) -> pd.DataFrame:
    """The store's provenance rows that a product family reads (``clusters``, ``scoreboard``)."""
    if product not in PRODUCT_SOURCES:
        raise unknown_code("product", product, PRODUCT_SOURCES)
    return select_sources(store.provenance, PRODUCT_SOURCES[product])


def output_stem(subdir: str, name: str) -> Path:
    """A relative download stem ``subdir/name`` (``write_table`` puts it under outputs/).

    Raises:
        ObservatoryError: ``subdir`` is empty, absolute or climbs out with ``..``.
    """
    relative = PurePosixPath(str(subdir).replace("\\", "/"))
    if not str(subdir).strip() or relative.is_absolute() or ".." in relative.parts:
        raise ObservatoryError(
            f"The output folder {subdir!r} must be a relative folder name under outputs/, "
            "e.g. 'panorama'; absolute paths and '..' are not allowed."
        )
    return Path(*relative.parts) / name


def _write(
    tables: Mapping[str, tuple[pd.DataFrame, str]],
    subdir: str,
    suffix: str,
    sources: pd.DataFrame,
) -> list[Path]:
    written = []
    for name, (frame, title) in tables.items():
        stem = output_stem(subdir, f"{name}_{suffix}")
        formats = FORMATS if frame.size <= XLSX_MAX_CELLS else ("csv",)
        written += write_table(frame, stem, title=title, sources=sources, formats=formats)
    return written


def _reference_or_none(reference_countries: Sequence[str] | None) -> list[str] | None:
    if reference_countries is None:
        return None
    chosen = [reference_countries] if isinstance(reference_countries, str) else reference_countries
    chosen = [str(code).strip() for code in chosen if str(code).strip()]
    return chosen or None


def _select_year(frame: pd.DataFrame, year: int | None) -> pd.DataFrame:
    if year is None:
        return frame
    years = sorted(int(value) for value in frame["year"].unique())
    if int(year) not in years:
        raise unknown_code(
            "year", str(year), [str(value) for value in years], hint="Years with cluster data."
        )
    return frame[frame["year"] == int(year)].reset_index(drop=True)


def _cutoff_text(rule: str, cutoff: float, metric: str) -> str:
    if rule == "top_share":
        return f"top {cutoff * 100:g} % of the category's regions by {metric}"
    return f"{metric} >= {cutoff:g}"


def _format_bool(series: pd.Series) -> pd.Series:
    text = series.astype("boolean").map({True: YES, False: NO}, na_action="ignore")
    return text.astype("str").fillna(map_styles.NOT_AVAILABLE).reset_index(drop=True)


def _is_plain_integer_column(name: str) -> bool:
    return name in {"year", "nuts_level", "nuts_edition", "draw"} or any(
        part in name for part in ("_year", "rank", "level")
    )


def _format_numbers(series: pd.Series, name: str, unit: str | None) -> pd.Series:
    values = series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if _is_plain_integer_column(name):
        texts = [map_styles.NOT_AVAILABLE if np.isnan(v) else f"{v:.0f}" for v in values]
    else:
        texts = [map_styles.format_value(v, unit) for v in values]
    return pd.Series(texts, dtype="str")


def _with_category_names(frame: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    names = categories[["category_code", "category_name"]].drop_duplicates("category_code")
    merged = frame.drop(columns="category_name", errors="ignore").merge(
        names, on="category_code", how="left"
    )
    position = list(merged.columns).index("category_code") + 1
    order = [*merged.columns[:position].drop("category_name", errors="ignore"), "category_name"]
    return merged[order + [c for c in merged.columns if c not in order]]


def _region_names(store, level: int) -> pd.DataFrame:
    regions = store.regions
    chosen = regions[(regions["nuts_level"] == level)]
    preferred = chosen.sort_values("nuts_edition", key=lambda e: e != STATISTICS_EDITION)
    return preferred[["region_code", "region_name"]].drop_duplicates("region_code")


def _country_names(store) -> pd.DataFrame:
    return _region_names(store, 0).rename(
        columns={"region_code": "country_code", "region_name": "country_name"}
    )


# --- European Cluster Panorama -----------------------------------------------------------

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
    "stars",
    "stars_out_of",
    "stars_basis",
    "rule_set",
    "is_in_reference_set",
    "is_derived_by_allocation",
    "has_confidential_cells",
    "is_small_base",
    "nuts_edition",
    "dataset_code",
]


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
        }


def panorama_context(
    store,
    year: int = 2015,
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
        reference_countries=_reference_or_none(reference_countries),
    )
    indicators = compute_cluster_indicators(
        store.cluster_employment,
        store.region_employment_totals,
        level=int(level),
        reference_countries=countries,
    )
    indicators = _select_year(indicators, year)
    rated = rate_stars(indicators, rules)
    summary = panorama_summary(
        rated, store.regions, year=int(year), level=int(level), min_stars=MIN_STARS
    )
    categories = store.cluster_categories
    by_region = summary.by_region.assign(
        n_starred_clusters=summary.by_region["n_starred_clusters"]
        .astype("Int64")
        .where(summary.by_region["n_clusters_rated"] > 0)
    )
    by_country = summary.by_country.merge(_country_names(store), on="country_code", how="left")
    by_country = by_country[["country_code", "country_name", *summary.by_country.columns[1:]]]
    return PanoramaReport(
        year=int(year),
        nuts_level=int(level),
        star_preset=rules.name,
        rule_set=rules,
        reference_countries=tuple(countries),
        reference_description=reference_set_description(
            store.cluster_employment, level=int(level), reference_countries=countries
        ),
        rated=_with_category_names(rated, categories),
        summary=summary,
        by_country=by_country,
        by_region=by_region,
        leaders=_with_category_names(summary.leaders, categories),
        emerging=_with_category_names(summary.emerging, categories),
        criteria=star_criteria_table(rules),
        sensitivity=compute_panorama_sensitivity(indicators, rules, lq_cutoffs, top_shares),
        europe=_europe_counts(rated, by_region),
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
    from observatory_lib.products.maps import plot_choropleth

    table = report.by_region
    where = f"NUTS {report.nuts_level}, {report.year}, {report.star_preset}"
    count = table[["region_code"]].assign(value=table["n_starred_clusters"])
    share = table[["region_code"]].assign(value=table["starred_employment_share_pct"])
    return {
        "n_starred_clusters": plot_choropleth(
            geometries,
            count,
            title=f"Starred traded clusters per region ({where})",
            unit="number",
            method="quantile",
            k=5,
        ),
        "starred_employment_share_pct": plot_choropleth(
            geometries,
            share,
            title=f"Employment in starred traded clusters ({where})",
            unit="pct",
            method="quantile",
            k=5,
        ),
    }


def write_panorama_downloads(
    report: PanoramaReport, store, output_subdir: str = PANORAMA_SUBDIR
) -> list[Path]:
    """Write the Panorama tables (CSV with BOM + XLSX, with provenance) under outputs/.

    Files: ``starred_clusters_by_region``, ``starred_clusters_by_country``,
    ``leaders_by_category``, ``emerging_industries``, ``rated_clusters`` and
    ``star_sensitivity``, each suffixed ``_<preset>_nuts<level>_<year>``. Tables above
    ``XLSX_MAX_CELLS`` cells (the full ``rated_clusters`` at NUTS 2) are written as CSV only.

    Returns:
        The written paths.
    """
    regions = _region_names(store, report.nuts_level)
    rated = report.rated.merge(regions, on="region_code", how="left")
    what = f"NUTS {report.nuts_level}, {report.year}, star rule set {report.star_preset}"
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
        "rated_clusters": (
            rated.reindex(columns=RATED_DOWNLOAD_COLUMNS),
            f"Rated regional clusters, {what}",
        ),
        "star_sensitivity": (report.sensitivity, f"Star sensitivity to the cut-offs, {what}"),
    }
    suffix = f"{report.star_preset}_nuts{report.nuts_level}_{report.year}"
    return _write(tables, output_subdir, suffix, product_sources(store, "clusters"))


# --- Priority sector report --------------------------------------------------------------

LEADING_COLUMNS = [
    "rank_in_category",
    "region_code",
    "region_name",
    "country_code",
    "stars",
    "stars_out_of",
    "employment_persons",
    "size_share",
    "lq",
    "focus_share",
    "has_confidential_cells",
    "is_small_base",
]


@dataclasses.dataclass(frozen=True)
class SectorReport:
    """Everything the sector report shows for one category (traded or emerging).

    Attributes:
        view: ``panorama.category_view`` (every region ranked, map series of the LQ).
        leading_regions: the first ``n_leaders`` regions of the ranking (stars, LQ, size).
        composition: the NACE classes (with titles) and the SBS divisions used.
        concentration: top-10 share, Herfindahl index and Gini over the reference regions.
        overlap_emerging: emerging industries sharing NACE classes with the category.
        overlap_traded: traded categories sharing classes (non-empty for emerging industries).
        notes: what limits the report (classes outside the SBS scope, missing cells).
    """

    category_code: str
    category_name: str
    category_type: str
    year: int
    nuts_level: int
    star_preset: str
    rule_set: StarRuleSet
    n_nace_classes: int
    n_nace_classes_in_sbs_scope: int
    view: CategoryView
    leading_regions: pd.DataFrame
    composition: CategoryComposition
    concentration: CategoryConcentration
    overlap_emerging: pd.DataFrame
    overlap_traded: pd.DataFrame
    notes: tuple[str, ...]

    @property
    def n_starred_regions(self) -> int:
        """Regions with at least one star in the category."""
        stars = self.view.table["stars"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        return int((stars >= MIN_STARS).sum())

    def headline_markdown(self) -> str:
        """The category in two sentences."""
        kind = "emerging industry" if self.category_type == "emerging" else "traded category"
        opening = (
            f"**{self.category_name}** (`{self.category_code}`, {kind}): "
            f"{self.n_nace_classes} NACE classes, {self.n_nace_classes_in_sbs_scope} of them "
            "covered by regional SBS."
        )
        concentration = self.concentration
        if not concentration.n_regions_with_data:
            return (
                f"{opening} NUTS {self.nuts_level}, {self.year}: no region has a known "
                "employment in the category, so its employment, LQ, stars and concentration "
                "are not available."
            )
        employment = map_styles.format_value(concentration.employment_persons, "persons")
        top = map_styles.format_value(concentration.top_n_share * 100, "pct")
        return (
            f"{opening} NUTS {self.nuts_level}, {self.year}: {employment} in the "
            f"{concentration.n_regions_with_data} reference regions with data; "
            f"{self.n_starred_regions} regions have at least one star (`{self.star_preset}`); "
            f"the top {concentration.top_n} regions hold {top} of the employment."
        )

    def notes_markdown(self) -> str:
        """The report's limits as a Markdown list (empty string when there is none)."""
        return "\n".join(f"- {note}" for note in self.notes)

    def methods_markdown(self) -> str:
        """The methods note: division approximation, concentration measures, stars."""
        top_n = self.concentration.top_n
        return "\n".join(
            [
                DIVISION_NOTE,
                "",
                f"**Concentration** is measured over the reference regions at NUTS "
                f"{self.nuts_level} whose employment in the category is known: the share of "
                f"the {top_n} largest regions, the Herfindahl index (sum of squared regional "
                "shares; 1 / index is the equivalent number of equal-sized regions) and the "
                "Gini coefficient (0 = evenly spread).",
                "",
                "**Overlap** counts the NACE classes the category shares with each emerging "
                "industry (and each traded category); because employment is allocated "
                "equally to the classes of a division, shared classes share employment too.",
                "",
                stars_methods_note(self.rule_set, with_division_note=False),
            ]
        )

    def record(self) -> dict[str, Any]:
        """Key numbers for ``records.publish_record``."""
        concentration = dataclasses.asdict(self.concentration)
        return {
            "product": "sector_report",
            "category_code": self.category_code,
            "category_type": self.category_type,
            "year": self.year,
            "nuts_level": self.nuts_level,
            "star_preset": self.star_preset,
            "n_nace_classes": self.n_nace_classes,
            "n_starred_regions": self.n_starred_regions,
            "n_overlapping_emerging": len(self.overlap_emerging),
            **{key: value for key, value in concentration.items() if key != "category_code"},
        }


def sector_report_content(
    store,
    category_code: str,
    *,
    year: int = 2015,
    star_preset: str = DEFAULT_STAR_PRESET,
    level: int = 2,
    n_leaders: int = N_LEADERS,
    rated: pd.DataFrame | None = None,
    nace_reference: pd.DataFrame | None = None,
) -> SectorReport:
    """Build the priority sector report of one category.

    Args:
        store: the loaded store.
        category_code: a slug of ``store.cluster_categories`` (47 traded, 10 emerging).
        year: reference year.
        star_preset: star rule set.
        level: NUTS level.
        n_leaders: rows of ``leading_regions``.
        rated: a rated table from ``compute_rated_clusters`` with the same preset and level,
            to reuse across categories (optional).
        nace_reference: the NACE class list (default ``read_nace_classes()``).

    Raises:
        UnknownCodeError: unknown category (every valid slug listed), preset, level or year.
    """
    categories = store.cluster_categories
    valid = categories["category_code"].tolist()
    if category_code not in valid:
        raise unknown_code(
            "category", category_code, valid, hint=f"Valid category codes: {', '.join(valid)}."
        )
    rules = load_star_preset(star_preset)
    if rated is None:
        rated = compute_rated_clusters(store, star_preset=rules, level=level, year=year)
    rated = _with_missing_category(rated, category_code, categories, level=level, year=year)
    view = category_view(
        rated,
        category_code,
        categories,
        regions=store.regions,
        year=int(year),
        level=int(level),
        map_metric="lq",
        n_leaders=n_leaders,
    )
    info = categories.set_index("category_code").loc[category_code]
    nace_classes = store.cluster_nace_classes
    composition = compute_category_composition(
        nace_classes,
        category_code,
        nace_reference=read_nace_classes() if nace_reference is None else nace_reference,
    )
    concentration = compute_concentration(rated, category_code, year=int(year), level=int(level))
    n_classes = int(info["n_nace_classes"])
    n_in_scope = int(info["n_nace_classes_in_sbs_scope"])
    return SectorReport(
        category_code=category_code,
        category_name=str(info["category_name"]),
        category_type=str(info["category_type"]),
        year=int(year),
        nuts_level=int(level),
        star_preset=rules.name,
        rule_set=rules,
        n_nace_classes=n_classes,
        n_nace_classes_in_sbs_scope=n_in_scope,
        view=view,
        leading_regions=_leading_regions(view.table, n_leaders),
        composition=composition,
        concentration=concentration,
        overlap_emerging=compute_category_overlap(
            nace_classes, category_code, categories, against="emerging"
        ),
        overlap_traded=compute_category_overlap(
            nace_classes, category_code, categories, against="traded"
        ),
        notes=_sector_notes(n_classes, n_in_scope, composition, concentration),
    )


def _leading_regions(table: pd.DataFrame, n_leaders: int) -> pd.DataFrame:
    """The first regions of the ranking that have a known employment or LQ."""
    has_value = table[["employment_persons", "lq"]].notna().any(axis=1)
    return table.loc[has_value].reindex(columns=LEADING_COLUMNS).head(n_leaders)


# Columns that describe the region, the level and year or the rating, not the category's cell.
_REGION_LEVEL_COLUMNS = (
    "region_code",
    "country_code",
    "nuts_level",
    "year",
    "region_employment_persons",
    "is_in_reference_set",
    "is_derived_by_allocation",
    "productivity_status",
    "dynamism_status",
    "stars_out_of",
    "stars_basis",
    "rule_set",
    "nuts_edition",
    "dataset_code",
)


def _with_missing_category(
    rated: pd.DataFrame, category_code: str, categories: pd.DataFrame, *, level: int, year: int
) -> pd.DataFrame:
    """Add missing rows for a category without any cluster cell (no class in SBS scope).

    Financial services, insurance and performing arts have no NACE class in the regional SBS
    scope, so the store has no cell for them: each region gets a row whose employment, LQ
    and stars are missing, so that the report shows "not available", never 0.
    """
    chosen = rated[(rated["nuts_level"] == int(level)) & (rated["year"] == int(year))]
    if chosen.empty or chosen["category_code"].eq(category_code).any():
        return rated
    template = chosen.drop_duplicates("region_code").reset_index(drop=True)
    info = categories.set_index("category_code").loc[category_code]
    missing = {
        column: _missing_like(template[column])
        for column in template.columns
        if column not in _REGION_LEVEL_COLUMNS
    }
    rows = template.assign(**missing).assign(
        category_code=category_code, category_type=str(info["category_type"])
    )
    return pd.concat([rated, rows], ignore_index=True)


def _missing_like(column: pd.Series) -> pd.Series:
    """An all-missing column: NA in extension dtypes, NaN in numpy numbers, NA booleans."""
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return pd.Series(pd.NA, index=column.index, dtype=column.dtype)
    if pd.api.types.is_bool_dtype(column.dtype):
        return pd.Series(pd.NA, index=column.index, dtype="boolean")
    if pd.api.types.is_numeric_dtype(column.dtype):
        return pd.Series(np.nan, index=column.index, dtype=float)
    return pd.Series(None, index=column.index, dtype=object)


def _sector_notes(
    n_classes: int,
    n_in_scope: int,
    composition: CategoryComposition,
    concentration: CategoryConcentration,
) -> tuple[str, ...]:
    notes = []
    if n_in_scope == 0:
        notes.append(
            "None of the category's NACE classes is covered by regional SBS (sections B-N "
            "without K, and S95): its regional employment, LQ and stars are not available."
        )
    elif n_in_scope < n_classes:
        outside = composition.classes.loc[~composition.classes["is_in_sbs_scope"], "nace_class"]
        listed = ", ".join(outside) if len(outside) else "outside the store's class list"
        notes.append(
            f"{n_in_scope} of {n_classes} NACE classes are covered by regional SBS; the others "
            f"({listed}) are not counted, so the category's employment is understated."
        )
    missing = concentration.n_regions - concentration.n_regions_with_data
    if n_in_scope and missing:
        notes.append(
            f"{missing} of {concentration.n_regions} reference regions have no known "
            "employment in the category (a needed division is suppressed); they are left out "
            "of the concentration measures."
        )
    return tuple(notes)


def plot_sector_maps(report: SectorReport, geometries: gpd.GeoDataFrame) -> dict[str, Figure]:
    """Two maps of the category: its location quotient and its stars per region."""
    from observatory_lib.products.maps import plot_choropleth

    table = report.view.table
    where = f"NUTS {report.nuts_level}, {report.year}"
    lq = table[["region_code"]].assign(value=table["lq"])
    stars = table[["region_code"]].assign(value=table["stars"].astype("Float64").astype(float))
    return {
        "lq": plot_choropleth(
            geometries,
            lq,
            title=f"{report.category_name}: location quotient ({where})",
            unit="LQ",
            method="quantile",
            k=5,
        ),
        "stars": plot_choropleth(
            geometries,
            stars,
            title=f"{report.category_name}: stars ({report.star_preset}, {where})",
            unit="stars",
            method="quantile",
            k=5,
        ),
    }


def write_sector_downloads(
    report: SectorReport, store, output_subdir: str = SECTOR_SUBDIR
) -> list[Path]:
    """Write the sector report's tables under ``outputs/<output_subdir>/<category_code>/``.

    Files: ``regions`` (every region ranked), ``composition_classes``,
    ``composition_divisions``, ``concentration``, ``overlap_emerging`` and
    ``overlap_traded``, each suffixed ``_<preset>_nuts<level>_<year>``.
    """
    name = f"{report.category_name} ({report.category_code})"
    what = f"NUTS {report.nuts_level}, {report.year}, star rule set {report.star_preset}"
    regions = report.view.table.drop(
        columns=[c for c in report.view.table if c.endswith(("_value", "_threshold"))]
    )
    tables = {
        "regions": (regions, f"{name}: regions ranked by stars, LQ and employment, {what}"),
        "composition_classes": (report.composition.classes, f"{name}: NACE Rev. 2 classes"),
        "composition_divisions": (
            report.composition.divisions,
            f"{name}: SBS divisions allocated to the category",
        ),
        "concentration": (
            report.concentration.table(),
            f"{name}: concentration across regions, {what}",
        ),
        "overlap_emerging": (
            report.overlap_emerging,
            f"{name}: emerging industries sharing NACE classes",
        ),
        "overlap_traded": (
            report.overlap_traded,
            f"{name}: traded categories sharing NACE classes",
        ),
    }
    subdir = f"{output_stem(output_subdir, report.category_code)}"
    suffix = f"{report.star_preset}_nuts{report.nuts_level}_{report.year}"
    return _write(tables, subdir, suffix, product_sources(store, "clusters"))


# --- Regional Ecosystem Scoreboard -------------------------------------------------------


def scoreboard_inputs(
    store,
    star_preset: str = DEFAULT_STAR_PRESET,
    *,
    levels: Iterable[int] | None = None,
) -> pd.DataFrame:
    """The store's context indicators plus the industrial-structure indicators.

    The structural indicators (``starred_cluster_employment_share_pct``,
    ``specialisation_diversity``) come from ``clusters.compute_structural_indicators`` on the
    clusters rated with ``star_preset`` (reference set: every country present) at each level.

    Args:
        store: the loaded store.
        star_preset: star rule set of the structural indicators.
        levels: NUTS levels to rate (default every level of ``cluster_employment``).

    Returns:
        A long frame with the ``context_indicators`` columns, ready for ``compute_scoreboard``.
    """
    rules = load_star_preset(star_preset)
    available = sorted(int(v) for v in store.cluster_employment["nuts_level"].unique())
    chosen = available if levels is None else [int(v) for v in levels]
    for level in chosen:
        if level not in available:
            raise unknown_code("NUTS level", str(level), [str(v) for v in available])
    parts = [
        compute_structural_indicators(
            compute_rated_clusters(store, star_preset=rules, level=level), min_stars=MIN_STARS
        )
        for level in chosen
    ]
    structural = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    context = store.context_indicators
    if structural.empty:
        return context
    context = context[~context["indicator_code"].isin(structural["indicator_code"].unique())]
    structural = structural.reindex(columns=context.columns).astype(
        {c: context[c].dtype for c in context.columns if c in ("region_code", "indicator_code")}
    )
    return pd.concat([context, structural], ignore_index=True)


@dataclasses.dataclass(frozen=True)
class ScoreboardReport:
    """Everything the Ecosystem Scoreboard notebook shows.

    Attributes:
        result: the ``ScoreboardResult`` (scores, ranks, groups, fallbacks, coverage).
        uncertainty: the Monte Carlo rank intervals.
        overall: the overall table joined with the rank intervals.
        dimension_scores, indicator_scores: long tables with labels and region names.
        labels: label of every dimension, sub-dimension and indicator code.
    """

    year: int
    nuts_level: int
    framework_variant: str
    normalisation: str
    aggregation: str
    n_draws: int
    seed: int
    star_preset: str
    reference_countries: tuple[str, ...]
    framework: Framework
    result: ScoreboardResult
    uncertainty: UncertaintyResult
    overall: pd.DataFrame
    dimension_scores: pd.DataFrame
    indicator_scores: pd.DataFrame
    labels: dict[str, str]

    @property
    def year_label(self) -> str:
        """``reference years`` (each indicator's framework year) or the year forced."""
        return "framework reference years" if self.year == 0 else f"reference year {self.year}"

    def top_regions(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best-ranked regions."""
        return self.overall.dropna(subset=["score"]).head(n)

    def bottom_regions(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` lowest-ranked scored regions, lowest last."""
        return self.overall.dropna(subset=["score"]).tail(n)

    def group_counts(self) -> pd.DataFrame:
        """Regions per performance group (with the relative-score range), and per country."""
        settings = self.result.settings
        bounds = [-np.inf, *settings.group_thresholds, np.inf]
        ranges = [
            f"< {high:g}"
            if np.isinf(low)
            else (f">= {low:g}" if np.isinf(high) else f"{low:g}-{high:g}")
            for low, high in itertools.pairwise(bounds)
        ]
        groups = list(settings.group_names)
        counts = self.overall["performance_group"].value_counts().reindex(groups, fill_value=0)
        table = pd.DataFrame(
            {
                "performance_group": pd.array(groups[::-1], dtype="str"),
                "relative_to_eu_range": pd.array(ranges[::-1], dtype="str"),
                "n_regions": counts.to_numpy()[::-1].astype(int),
            }
        )
        unscored = int(self.overall["performance_group"].isna().sum())
        if unscored:
            row = {
                "performance_group": "not scored",
                "relative_to_eu_range": "",
                "n_regions": unscored,
            }
            table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
        return table

    def groups_by_country(self) -> pd.DataFrame:
        """Country x performance group counts (scored regions)."""
        scored = self.overall.dropna(subset=["performance_group"])
        table = pd.crosstab(scored["country_code"], scored["performance_group"])
        table = table.reindex(columns=list(self.result.settings.group_names)[::-1], fill_value=0)
        table.columns = [str(c) for c in table.columns]
        return table.reset_index()

    def dimension_table(self) -> pd.DataFrame:
        """Region x dimension relative-to-EU scores (wide), in overall rank order."""
        wide = self.dimension_scores.pivot(
            index="region_code", columns="dimension_code", values="relative_to_eu"
        )
        codes = [d.code for d in self.framework.dimensions]
        wide = wide.reindex(columns=codes)
        wide.columns = [self.labels[c] for c in codes]
        keep = self.overall[["region_code", "region_name", "rank_europe", "relative_to_eu"]]
        return keep.merge(wide.reset_index(), on="region_code", how="left")

    def fallback_summary(self) -> pd.DataFrame:
        """Per indicator: target year and how many regions used an earlier year, which ones."""
        rules = self.framework.indicator_table()[
            ["indicator_code", "label", "target_year", "max_lag"]
        ]
        if self.year:
            rules = rules.assign(target_year=self.year)
        chosen = self.result.values  # noqa: PD011 - a ScoreboardResult field
        used = chosen.groupby("indicator_code").agg(
            n_regions_with_value=("region_code", "nunique"),
            n_fallbacks=("is_fallback", "sum"),
            years_used=(
                "year",
                lambda years: ", ".join(
                    f"{y} ({n})" for y, n in years.value_counts().sort_index().items()
                ),
            ),
        )
        table = rules.merge(used.reset_index(), on="indicator_code", how="left")
        return table.assign(
            n_regions_with_value=table["n_regions_with_value"].fillna(0).astype(int),
            n_fallbacks=table["n_fallbacks"].fillna(0).astype(int),
        )

    def coverage_summary(self) -> pd.DataFrame:
        """Per node (sub-dimension, dimension, index): regions scored and mean coverage."""
        coverage = self.result.coverage
        table = coverage.groupby(["node_type", "node_code"], as_index=False, sort=False).agg(
            n_regions=("region_code", "nunique"),
            n_regions_scored=("is_scored", "sum"),
            mean_coverage_share=("coverage_share", "mean"),
        )
        labels = {**self.labels, "overall": "Overall index"}
        table = table.assign(label=table["node_code"].map(labels))
        return table[
            [
                "node_type",
                "node_code",
                "label",
                "n_regions",
                "n_regions_scored",
                "mean_coverage_share",
            ]
        ]

    def headline_markdown(self) -> str:
        """Who leads and how the method choices were made."""
        top = self.top_regions(1)
        scored = int(self.overall["score"].notna().sum())
        leader = (
            f"{top['region_name'].iloc[0]} ({top['region_code'].iloc[0]})" if len(top) else "none"
        )
        notes = " ".join(self.result.notes)
        return (
            f"NUTS {self.nuts_level}, {self.year_label}; {self.normalisation} normalisation, "
            f"{self.aggregation} aggregation, framework variant `{self.framework_variant}`; "
            f"reference set EU28 ({len(self.reference_countries)} countries). "
            f"**{scored}** regions scored; rank 1: **{leader}**. Rank intervals from "
            f"{self.n_draws:,} draws (seed {self.seed})." + (f" Notes: {notes}" if notes else "")
        )

    def record(self) -> dict[str, Any]:
        """Key numbers for ``records.publish_record``."""
        top = self.top_regions(1)
        groups = self.group_counts().set_index("performance_group")["n_regions"]
        return {
            "product": "ecosystem_scoreboard",
            "year": self.year,
            "nuts_level": self.nuts_level,
            "framework_variant": self.framework_variant,
            "normalisation": self.normalisation,
            "aggregation": self.aggregation,
            "n_draws": self.n_draws,
            "seed": self.seed,
            "n_regions_scored": int(self.overall["score"].notna().sum()),
            "top_region_code": top["region_code"].iloc[0] if len(top) else None,
            "top_score": float(top["score"].iloc[0]) if len(top) else None,
            "n_fallbacks": len(self.result.year_fallbacks),
            "group_counts": {str(k): int(v) for k, v in groups.items()},
        }


def scoreboard_context(
    store,
    year: int = 0,
    level: int = 2,
    framework_variant: str = "default",
    normalisation: str = "minmax",
    aggregation: str = "arithmetic",
    n_draws: int = 1000,
    seed: int = 0,
    *,
    star_preset: str = DEFAULT_STAR_PRESET,
    reference_countries: Sequence[str] = EU28_COUNTRIES,
) -> ScoreboardReport:
    """Compute the Regional Ecosystem Scoreboard and its rank intervals.

    Args:
        store: the loaded store.
        year: 0 for each indicator's framework reference year; otherwise every indicator's
            target year (the framework's lags stay).
        level: NUTS level.
        framework_variant: a weight variant of ``data/scoreboard_framework.yaml``.
        normalisation: ``minmax`` or ``zscore``.
        aggregation: ``arithmetic`` or ``geometric``.
        n_draws: Monte Carlo draws of the rank intervals.
        seed: seed of the draws.
        star_preset: star rule set of the industrial-structure indicators.
        reference_countries: the reference set (default EU28).

    Raises:
        ObservatoryError: unknown variant, method, level or year without data (the message
            names the valid choices).
    """
    if int(year) < 0:
        raise ObservatoryError(f"year must be 0 (framework reference years) or a year, not {year}.")
    inputs = scoreboard_inputs(store, star_preset, levels=_structural_levels(store, level))
    framework = load_framework(
        variant=framework_variant,
        available_indicators=inputs["indicator_code"].unique(),
    )
    result = compute_scoreboard(
        inputs,
        framework,
        store.regions,
        level=int(level),
        normalisation=normalisation,
        aggregation=aggregation,
        reference_countries=reference_countries,
        reference_year=int(year) or None,
    )
    uncertainty = simulate_rank_uncertainty(result, n_draws=int(n_draws), seed=int(seed))
    labels = framework.labels()
    intervals = uncertainty.ranks[
        ["region_code", "rank_median", "rank_p05", "rank_p95", "group_stability"]
    ]
    overall = result.overall.merge(intervals, on="region_code", how="left").sort_values(
        ["rank_europe", "region_code"], na_position="last", ignore_index=True
    )
    names = result.overall[["region_code", "region_name", "country_code"]]
    dimensions = result.dimension_scores.merge(names, on="region_code", how="left")
    dimensions = dimensions.assign(dimension_label=dimensions["dimension_code"].map(labels))
    indicators = result.indicator_scores.merge(names, on="region_code", how="left")
    indicators = indicators.assign(indicator_label=indicators["indicator_code"].map(labels))
    return ScoreboardReport(
        year=int(year),
        nuts_level=int(level),
        framework_variant=framework_variant,
        normalisation=normalisation,
        aggregation=aggregation,
        n_draws=int(n_draws),
        seed=int(seed),
        star_preset=star_preset,
        reference_countries=tuple(reference_countries),
        framework=framework,
        result=result,
        uncertainty=uncertainty,
        overall=overall,
        dimension_scores=dimensions,
        indicator_scores=indicators,
        labels=labels,
    )


def _structural_levels(store, level: int) -> list[int]:
    """The level to rate clusters at, when cluster data exist there (else none)."""
    available = {int(v) for v in store.cluster_employment["nuts_level"].unique()}
    return [int(level)] if int(level) in available else []


def plot_scoreboard_maps(
    report: ScoreboardReport, geometries: gpd.GeoDataFrame
) -> dict[str, Figure]:
    """One map of the overall index and one per dimension, relative to the EU (= 100)."""
    from observatory_lib.products.maps import plot_choropleth

    where = f"NUTS {report.nuts_level}, {report.year_label}"
    overall = report.overall[["region_code"]].assign(value=report.overall["relative_to_eu"])
    figures = {
        "overall": plot_choropleth(
            geometries,
            overall,
            title=f"Regional Ecosystem Scoreboard: overall index ({where})",
            unit="index_eu_100",
            palette="cividis",
        )
    }
    for dimension in report.framework.dimensions:
        rows = report.dimension_scores[report.dimension_scores["dimension_code"] == dimension.code]
        values = rows[["region_code"]].assign(value=rows["relative_to_eu"])
        figures[dimension.code] = plot_choropleth(
            geometries,
            values,
            title=f"{dimension.label} ({where})",
            unit="index_eu_100",
            palette="cividis",
        )
    return figures


def plot_score_distributions(report: ScoreboardReport) -> Figure:
    """Histograms of the overall and dimension scores (0-100) and a box plot per dimension."""
    from matplotlib.figure import Figure

    panels = [("overall", "Overall index", report.overall["score"])]
    for dimension in report.framework.dimensions:
        rows = report.dimension_scores["dimension_code"] == dimension.code
        panels.append((dimension.code, dimension.label, report.dimension_scores.loc[rows, "score"]))
    n_columns = 3
    n_rows = -(-len(panels) // n_columns) + 1
    fig = Figure(figsize=(10, 2.6 * n_rows), facecolor="white", layout="constrained")
    grid = fig.add_gridspec(n_rows, n_columns)
    bins = np.linspace(0, 100, 21)
    for position, (_, label, scores) in enumerate(panels):
        ax = fig.add_subplot(grid[position // n_columns, position % n_columns])
        values = scores.dropna().to_numpy(dtype=float)
        ax.hist(values, bins=bins, color="#3b6ea5", edgecolor="white")
        ax.set_title(textwrap.fill(f"{label} (n = {values.size})", 34), fontsize=8, loc="left")
        ax.set_xlim(0, 100)
        ax.tick_params(labelsize=7)
    box = fig.add_subplot(grid[n_rows - 1, :])
    data = [scores.dropna().to_numpy(dtype=float) for _, _, scores in panels]
    box.boxplot(data, orientation="horizontal", tick_labels=[label for _, label, _ in panels])
    box.set_xlabel("score (0-100)", fontsize=8)
    box.tick_params(labelsize=7)
    box.invert_yaxis()
    fig.suptitle(
        f"Distribution of scores, NUTS {report.nuts_level} ({report.normalisation}, "
        f"{report.aggregation})",
        fontsize=11,
        x=0.01,
        ha="left",
    )
    return fig


def plot_rank_intervals(report: ScoreboardReport, n: int = N_RANK_INTERVALS) -> Figure:
    """Median rank with the 5-95 % interval over the draws, for the ``n`` best-ranked regions."""
    from matplotlib.figure import Figure

    rows = report.overall.dropna(subset=["rank_median"]).head(int(n)).iloc[::-1]
    fig = Figure(
        figsize=(8, 0.5 + 0.24 * max(len(rows), 1)), facecolor="white", layout="constrained"
    )
    ax = fig.add_subplot()
    positions = np.arange(len(rows))
    median = rows["rank_median"].to_numpy(dtype=float)
    low = median - rows["rank_p05"].to_numpy(dtype=float)
    high = rows["rank_p95"].to_numpy(dtype=float) - median
    ax.errorbar(
        median,
        positions,
        xerr=[low, high],
        fmt="o",
        color="#3b6ea5",
        ecolor="#9bb8d3",
        elinewidth=3,
        markersize=4,
        label="median rank, 5-95 % of draws",
    )
    ax.scatter(
        rows["rank_europe"].to_numpy(dtype=float),
        positions,
        marker="|",
        color="#e31a1c",
        s=80,
        label="scoreboard rank",
        zorder=3,
    )
    ax.set_yticks(
        positions,
        [
            f"{c} {name}"[:40]
            for c, name in zip(rows["region_code"], rows["region_name"], strict=True)
        ],
    )
    ax.tick_params(labelsize=7)
    ax.set_xlabel("rank in Europe (1 = best)", fontsize=8)
    ax.invert_xaxis()
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(
        f"Rank intervals of the top {len(rows)} regions\n({report.n_draws:,} draws of "
        "weights, normalisation and aggregation)",
        fontsize=10,
        loc="left",
    )
    return fig


def write_scoreboard_downloads(
    report: ScoreboardReport, store, output_subdir: str = SCOREBOARD_SUBDIR
) -> list[Path]:
    """Write overall, dimension and indicator scores and the year fallbacks under outputs/.

    Files: ``overall_scores`` (with rank intervals), ``dimension_scores``,
    ``indicator_scores`` and ``year_fallbacks``, each suffixed
    ``_nuts<level>_<year or ref>_<variant>_<normalisation>_<aggregation>``.
    """
    what = (
        f"NUTS {report.nuts_level}, {report.year_label}, variant {report.framework_variant}, "
        f"{report.normalisation} normalisation, {report.aggregation} aggregation, reference set "
        "EU28 (EU average = 100)"
    )
    fallbacks = report.result.year_fallbacks.assign(
        indicator_label=report.result.year_fallbacks["indicator_code"].map(report.labels)
    )
    tables = {
        "overall_scores": (report.overall, f"Regional Ecosystem Scoreboard, overall index, {what}"),
        "dimension_scores": (
            report.dimension_scores,
            f"Regional Ecosystem Scoreboard, dimension scores, {what}",
        ),
        "indicator_scores": (
            report.indicator_scores,
            f"Regional Ecosystem Scoreboard, indicator scores, {what}",
        ),
        "year_fallbacks": (
            fallbacks,
            f"Regional Ecosystem Scoreboard, values from an earlier year, {what}",
        ),
    }
    year = "ref" if report.year == 0 else str(report.year)
    suffix = (
        f"nuts{report.nuts_level}_{year}_{report.framework_variant}_{report.normalisation}_"
        f"{report.aggregation}"
    )
    return _write(tables, output_subdir, suffix, product_sources(store, "scoreboard"))

"""The Regional Ecosystem Scoreboard report (``notebooks/ecosystem_scoreboard.ipynb``).

``scoreboard_context`` takes the scoreboard and its rank intervals from the recipe layer
(``indicators.recipes``) and builds every table the report shows: top and bottom regions,
performance groups, dimensions, year fallbacks and coverage. The ``plot_*`` functions draw
its maps and charts and ``write_scoreboard_downloads`` publishes its tables.
"""

from __future__ import annotations

import dataclasses
import itertools
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from observatory_lib.constants import DEFAULT_STAR_PRESET, EU_LABEL, STATISTICS_EDITION
from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators import recipes
from observatory_lib.indicators.framework import Framework
from observatory_lib.indicators.scoreboard import ScoreboardResult
from observatory_lib.indicators.uncertainty import UncertaintyResult
from observatory_lib.products.kit.display import (
    TableSpec,
    downloads_text,
    product_sources,
    write_tables,
)
from observatory_lib.products.kit.document import Document, source_line
from observatory_lib.products.kit.numbers import format_number, format_share
from observatory_lib.products.kit.provenance import (
    PRODUCT_SOURCES,
    attribution_lines,
    compact_provenance_table,
    product_vintage,
    running_head,
)
from observatory_lib.products.kit.tables import TableSpec as PublishedTable
from observatory_lib.products.kit.tables import with_region_label

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure


N_RANK_INTERVALS = 30
SCOREBOARD_SUBDIR = "scoreboard"


# How the notebook shows each table (every row is in the downloads).
RANKING_TABLE = TableSpec(
    columns=(
        "rank_europe",
        "region_code",
        "region_name",
        "country_code",
        "score",
        "relative_to_eu",
        "performance_group",
        "rank_p05",
        "rank_p95",
        "group_stability",
    )
)
DIMENSION_TABLE = TableSpec(max_rows=20)
FALLBACK_TABLE = TableSpec(
    columns=(
        "indicator_code",
        "label",
        "target_year",
        "max_lag",
        "n_regions_with_value",
        "n_fallbacks",
        "years_used",
    )
)


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
    framework_variant: str = recipes.DEFAULT_VARIANT,
    normalisation: str = "minmax",
    aggregation: str = "arithmetic",
    n_draws: int = recipes.DEFAULT_DRAWS,
    seed: int = recipes.DEFAULT_SEED,
    *,
    star_preset: str = DEFAULT_STAR_PRESET,
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

    The reference set (EU average = 100) is the EU-28 countries with values at the level
    (``indicators.recipes.scoreboard``), the same for every product.

    Raises:
        ObservatoryError: unknown variant, method, level or year without data (the message
            names the valid choices).
    """
    if int(year) < 0:
        raise ObservatoryError(f"year must be 0 (framework reference years) or a year, not {year}.")
    settings = {
        "star_preset": star_preset,
        "variant": framework_variant,
        "normalisation": normalisation,
        "aggregation": aggregation,
        "year": int(year) or None,
    }
    tables = recipes.scoreboard_tables(store, level, n_draws=n_draws, seed=seed, **settings)
    result = tables.result
    return ScoreboardReport(
        year=int(year),
        nuts_level=int(level),
        framework_variant=framework_variant,
        normalisation=normalisation,
        aggregation=aggregation,
        n_draws=int(n_draws),
        seed=int(seed),
        star_preset=star_preset,
        reference_countries=tuple(result.settings.reference_countries or ()),
        framework=result.framework,
        result=result,
        uncertainty=tables.uncertainty,
        overall=tables.overall,
        dimension_scores=tables.dimension_scores,
        indicator_scores=tables.indicator_scores,
        labels=result.framework.labels(),
    )


def plot_scoreboard_maps(
    report: ScoreboardReport, geometries: gpd.GeoDataFrame
) -> dict[str, Figure]:
    """One map of the overall index and one per dimension, relative to the EU (= 100).

    The index map is a full page wide, the dimension maps half a page (two to a row); their
    titles are the document's figure captions.
    """
    from observatory_lib.products.kit.maps import HALF_WIDTH, plot_choropleth

    overall = report.overall[["region_code"]].assign(value=report.overall["relative_to_eu"])
    figures = {
        "overall": plot_choropleth(
            geometries, overall, title=None, unit="index_eu_100", palette="cividis"
        )
    }
    for dimension in report.framework.dimensions:
        rows = report.dimension_scores[report.dimension_scores["dimension_code"] == dimension.code]
        values = rows[["region_code"]].assign(value=rows["relative_to_eu"])
        figures[dimension.code] = plot_choropleth(
            geometries,
            values,
            title=None,
            unit="index_eu_100",
            palette="cividis",
            width=HALF_WIDTH,
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
        ax.set_xlabel("score (0–100)", fontsize=7)
        ax.set_ylabel("regions", fontsize=7)
        ax.tick_params(labelsize=7)
    box = fig.add_subplot(grid[n_rows - 1, :])
    data = [scores.dropna().to_numpy(dtype=float) for _, _, scores in panels]
    box.boxplot(data, orientation="horizontal", tick_labels=[label for _, label, _ in panels])
    box.set_xlabel("score (0-100)", fontsize=8)
    box.tick_params(labelsize=7)
    box.invert_yaxis()
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
        label="median rank, 5–95% of draws",
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
    return write_tables(tables, output_subdir, suffix, product_sources(store, "scoreboard"))


# --- the publication ----------------------------------------------------------------------

RANKING_PUBLISHED = PublishedTable(
    columns=(
        "region",
        "rank_europe",
        "score",
        "relative_to_eu",
        "performance_group",
        "rank_interval",
        "group_stability",
    ),
    stub="region",
)
GROUPS_PUBLISHED = PublishedTable(
    columns=("performance_group", "relative_to_eu_range", "n_regions"), stub="performance_group"
)
FALLBACKS_PUBLISHED = PublishedTable(
    columns=(
        "label",
        "target_year",
        "max_lag",
        "n_regions_with_value",
        "n_fallbacks",
        "years_used",
    ),
    stub="label",
)
N_RANKED = 10


def key_findings(report: ScoreboardReport) -> list[str]:
    """Four sentences on the scoreboard, each written from its numbers."""
    scored = report.overall.dropna(subset=["score"])
    if scored.empty:
        return ["No region has enough indicators to compute the index at this level."]
    top = scored.iloc[0]
    groups = report.group_counts().set_index("performance_group")["n_regions"]
    names = list(report.result.settings.group_names)[::-1]
    group_text = ", ".join(f"{format_number(groups.get(name, 0))} {name.lower()}" for name in names)
    stable = scored["group_stability"].dropna()
    findings = [
        f"{top['region_name']} ({top['region_code']}) leads the {format_number(len(scored))} "
        f"regions scored, at {format_number(top['relative_to_eu'], 0)} relative to the EU-28 "
        "average (= 100).",
        f"By the Regional Innovation Scoreboard's thresholds the regions are {group_text} "
        "performers.",
        f"In {format_share((stable >= 0.9).mean(), 0)} of the regions the performance group "
        f"holds in at least 90% of {format_number(report.n_draws)} draws of the weights and "
        "methods.",
    ]
    if len(report.result.year_fallbacks):
        findings.append(
            f"{format_number(len(report.result.year_fallbacks))} values come from an earlier "
            "year than the indicator's reference year (the data tables list them)."
        )
    return findings


def document(report: ScoreboardReport, store) -> Document:
    """The scoreboard report as a publication."""
    vintage = product_vintage(store, "scoreboard")
    return Document(
        title="Regional Ecosystem Scoreboard",
        kind="Scoreboard report",
        subtitle=(
            f"Conditions for clusters, innovation and entrepreneurship in NUTS "
            f"{report.nuts_level} regions, {report.year_label}"
        ),
        running_head=running_head(store, "scoreboard", "Regional Ecosystem Scoreboard"),
        facts={
            "Regions": f"NUTS {report.nuts_level} (NUTS {STATISTICS_EDITION} classification)",
            "Reference set": f"{EU_LABEL} regions ({EU_LABEL} average = 100), "
            f"{len(report.reference_countries)} countries",
            "Method": _method_text(report),
            "Data": vintage,
        },
    )


def publication(
    report: ScoreboardReport,
    store,
    figures: dict[str, Figure],
    downloads: list[Path],
) -> list:
    """Every part of the published scoreboard report, in reading order.

    ``figures``: the maps (``plot_scoreboard_maps``) plus ``distributions`` and
    ``rank_intervals``.
    """
    doc = document(report, store)
    source = source_line(_dataset_codes(report))
    return [
        doc.title_block(),
        doc.key_findings(key_findings(report)),
        *_ranking_parts(doc, report, figures, source),
        *_dimension_parts(doc, report, figures, source),
        *_uncertainty_parts(doc, report, figures, source),
        *_data_parts(doc, report),
        doc.section("Downloads", downloads_text(downloads)),
        doc.methods_and_sources(
            _methods(report),
            compact_provenance_table(store.provenance, PRODUCT_SOURCES["scoreboard"]),
            attribution_lines(store.provenance),
        ),
    ]


def _ranking_parts(doc: Document, report: ScoreboardReport, figures: dict, source: str) -> list:
    table = with_region_label(report.overall).assign(
        rank_interval=[
            f"{format_number(low)}–{format_number(high)}" if pd.notna(low) else ":"
            for low, high in zip(
                report.overall["rank_p05"], report.overall["rank_p95"], strict=True
            )
        ]
    )
    scored = table.dropna(subset=["score"])
    where = f"NUTS {report.nuts_level} regions, {report.year_label}"
    return [
        doc.section(
            "The index across Europe",
            f"Each region's index relative to the {EU_LABEL} average (= 100), its rank, and "
            "its rank interval: the 5th to 95th percentile of its rank over random draws of "
            "the weights, normalisation and aggregation.",
        ),
        doc.table(
            scored.head(N_RANKED),
            RANKING_PUBLISHED,
            title="The ten best-ranked regions",
            subtitle=where,
            source=source,
            full_table="overall scores (CSV, XLSX)",
        ),
        doc.table(
            scored.tail(N_RANKED),
            RANKING_PUBLISHED,
            title="The ten lowest-ranked regions",
            subtitle=where,
            source=source,
            full_table="overall scores (CSV, XLSX)",
        ),
        doc.table(
            report.group_counts(),
            GROUPS_PUBLISHED,
            title="Regions by performance group",
            subtitle=f"{where}; groups by the Regional Innovation Scoreboard thresholds",
            source=source,
            notes=["Regions with too few indicators are not scored: never given 0."],
        ),
        doc.figure(
            figures["overall"],
            title=f"Regional Ecosystem Scoreboard: index by region, {report.year_label}",
            subtitle=f"Relative to the {EU_LABEL} average ({EU_LABEL} = 100), NUTS "
            f"{report.nuts_level} (NUTS {STATISTICS_EDITION})",
            alt=_map_alt(report, scored),
            source=source,
            data="The values of every region are in the download overall scores.",
        ),
    ]


def _dimension_parts(doc: Document, report: ScoreboardReport, figures: dict, source: str) -> list:
    maps = [
        doc.figure(
            figures[dimension.code],
            title=dimension.label,
            subtitle=f"Relative to the {EU_LABEL} average ({EU_LABEL} = 100)",
            alt=f"Map of Europe's regions shaded by the {dimension.label.lower()} dimension of "
            "the scoreboard, relative to the EU average; regions without a score are grey.",
            source=source,
        )
        for dimension in report.framework.dimensions
    ]
    rows = [doc.row(*maps[i : i + 2]) for i in range(0, len(maps), 2)]
    return [
        doc.section(
            "Five dimensions",
            "Each dimension averages its sub-dimensions and indicators; a region is scored on "
            "a dimension when it has values for at least half of its parts. The values of every "
            "region are in the download dimension scores.",
        ),
        *rows,
        doc.figure(
            figures["distributions"],
            title="Distribution of the index and dimension scores",
            subtitle="Number of regions by score (0–100), and the spread of each",
            alt="Histograms and box plots of the scores of the index and of each dimension.",
            source=source,
        ),
    ]


def _uncertainty_parts(doc: Document, report: ScoreboardReport, figures: dict, source: str) -> list:
    return [
        doc.section(
            "How certain the ranks are",
            f"Ranks move when the weights or methods change: over {format_number(report.n_draws)} "
            "draws the median rank and the 5–95% interval of the best-ranked regions are shown "
            "with the scoreboard's own rank.",
        ),
        doc.figure(
            figures["rank_intervals"],
            title=f"Rank intervals of the {N_RANK_INTERVALS} best-ranked regions",
            subtitle="Median rank and 5–95% interval over the draws; the bar marks the "
            "scoreboard's rank",
            alt="Dot-and-whisker chart of the rank intervals of the best-ranked regions.",
            source=source,
            data="The intervals of every region are in the download overall scores.",
        ),
    ]


def _data_parts(doc: Document, report: ScoreboardReport) -> list:
    return [
        doc.section(
            "The data behind the index",
            "Each indicator uses its reference year, else the latest value up to the allowed "
            "number of earlier years; nothing is imputed.",
        ),
        doc.table(
            report.fallback_summary(),
            FALLBACKS_PUBLISHED,
            title="Indicators and the years used",
            subtitle=f"NUTS {report.nuts_level} regions",
            source=source_line(_dataset_codes(report), calculations=False),
        ),
    ]


# the method settings as readers name them
_READABLE = {"minmax": "min–max", "zscore": "z-score"}


def _method_text(report: ScoreboardReport) -> str:
    """``min–max normalisation, arithmetic aggregation, the framework's own weights``."""
    normalisation = _READABLE.get(report.normalisation, report.normalisation)
    return (
        f"{normalisation} normalisation, {report.aggregation} aggregation, "
        f"{report.framework.weights_text}"
    )


def _methods(report: ScoreboardReport) -> list[str]:
    return [
        "The scoreboard follows the method of the European and Regional Innovation "
        "Scoreboards where it is documented: skewed indicators are transformed, outliers capped "
        "at three standard deviations of the reference regions, indicators normalised from 0 "
        f"to 100 ({_READABLE.get(report.normalisation, report.normalisation)}) over the "
        f"{EU_LABEL} regions and aggregated up the "
        f"framework by weighted {report.aggregation} means. The EU-28 average profile is "
        "aggregated like a region and set to 100.",
        "The industrial-structure dimension comes from the cluster stars "
        f"({report.star_preset} rule set): the share of employment in starred traded clusters "
        "and the number of traded categories in which the region is specialised.",
        f"Rank intervals: {format_number(report.n_draws)} Monte Carlo draws (seed "
        f"{report.seed}) of the weights (around the framework's), the normalisation and the "
        "aggregation.",
        *report.result.notes,
    ]


def _dataset_codes(report: ScoreboardReport) -> list[str]:
    return sorted({spec.dataset_code for spec in report.framework.indicators})


def _map_alt(report: ScoreboardReport, scored: pd.DataFrame) -> str:
    top = ", ".join(scored.head(3)["region"])
    return (
        "Map of Europe's regions shaded by the scoreboard index relative to the EU average; "
        f"the highest are {top}. Regions without a score are grey."
    )

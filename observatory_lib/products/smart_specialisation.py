"""The smart specialisation report (``notebooks/smart_specialisation.ipynb``).

Europe-wide: the category space (a network of the strongest links between cluster categories,
laid out with networkx), the most related pairs, the regions with the most diversification
opportunities and their related and unrelated variety; per country where S3 priorities exist
(the Czech regional RIS3 domains, or a file in the S3 input format): the alignment of every
priority with the region's specialisations. ``smart_specialisation_context`` builds it,
``plot_category_space`` and ``plot_opportunity_map`` draw it, ``write_downloads`` publishes the
tidy tables. Every number comes from the recipe layer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from observatory_lib.constants import DEFAULT_YEAR
from observatory_lib.indicators import recipes
from observatory_lib.indicators.policy import (
    BUILDS_ON_STRENGTHS,
    MIN_CLASS_SHARE,
    NO_CATEGORY,
    NOT_MATCHED,
    RELATED,
    WEAKLY_RELATED,
    S3Alignment,
)
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.display import product_sources, write_tables

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure

PRODUCT = "smart_specialisation"
OUTPUT_SUBDIR = "smart_specialisation"
LEVEL = 2  # relatedness is defined among the NUTS-2 regions of the European reference set
N_PAIRS = 15
N_REGIONS = 20
N_TOP_OPPORTUNITIES = 3
SPACE_EXTRA_LINKS = 0.05  # besides the maximum spanning tree, the strongest 5 % of the links
TYPE_COLOURS = {"traded": "#1d3c5e", "emerging": "#e08a1e"}
TYPE_LABELS = {"traded": "traded categories", "emerging": "emerging industries"}
ALIGNMENT_ORDER = (BUILDS_ON_STRENGTHS, RELATED, WEAKLY_RELATED, NO_CATEGORY, NOT_MATCHED)


@dataclasses.dataclass(frozen=True)
class Alignment:
    """One S3 source aligned with the statistics, for display."""

    source: str
    title: str
    alignment: S3Alignment
    notes: tuple[str, ...]
    priorities_table: pd.DataFrame
    unmentioned_table: pd.DataFrame
    counts: dict[str, int]
    region_names: pd.Series


@dataclasses.dataclass(frozen=True)
class SmartSpecialisationReport:
    """Everything the smart specialisation report shows, for one year (NUTS 2)."""

    year: int
    reference_description: str
    n_reference_regions: dict[str, int]
    pairs: pd.DataFrame
    summary: pd.DataFrame
    regions_table: pd.DataFrame
    variety_table: pd.DataFrame
    groups_table: pd.DataFrame
    alignments: tuple[Alignment, ...]
    growth_status: str

    def headline_markdown(self) -> str:
        """The category space and the opportunities in two sentences."""
        traded = self.summary.loc[self.summary["category_type"] == "traded"]
        with_strong = int((traded["n_strong_opportunities"] > 0).sum())
        top = self.pairs.iloc[0]
        return (
            f"Relatedness between the {self.n_reference_regions.get('traded', 0)} regions' "
            f"specialisations (NUTS {LEVEL}, {self.year}): the most related traded categories "
            f"are **{top['category_name']}** and **{top['related_category_name']}** (proximity "
            f"{top['proximity']:.2f}). **{with_strong}** of {len(traded)} regions have at least "
            f"one traded category with a relatedness density of {recipes.STRONG_DENSITY:g} or "
            "more in which they are not yet specialised."
        )

    def methods_markdown(self) -> str:
        """How relatedness, density, opportunities, variety and alignment are computed."""
        return "\n\n".join(
            [
                "**Specialisation matrix.** M[r, c] = 1 when the location quotient LQ[r, c] ≥ 1, "
                f"for the NUTS-{LEVEL} regions of the European reference set in {self.year}; "
                "traded categories and emerging industries separately. A cell whose LQ is "
                "unknown counts in no sum.",
                "**Proximity** (Hidalgo et al. 2007): φ[i, j] = Σ_r M[r, i] M[r, j] / "
                "max(Σ_r M[r, i], Σ_r M[r, j]), the share of the regions specialised in the "
                "more common of two categories that are specialised in both.",
                "**Relatedness density** (Balland et al. 2019): RD[r, c] = 100 Σ_{j≠c} M[r, j] "
                "φ[c, j] / Σ_{j≠c} φ[c, j], over the categories whose LQ is known.",
                "**Opportunities** are the categories a region is not specialised in (LQ < 1), "
                f"ranked by relatedness density; a density of {recipes.STRONG_DENSITY:g} or more "
                "means that at least half of the category's related weight is already a "
                f"specialisation of the region. European growth: {self.growth_status}.",
                "**Related and unrelated variety** (Frenken, Van Oort and Verburg 2007): the "
                "entropy of a region's traded employment within and between the technology "
                "groups of Eurostat's high-tech aggregation (a category belongs to the group of "
                "most of its NACE classes; data/technology_groups.yaml); both in bits.",
                "**S3 alignment.** A priority covers a category it names, or one with at least "
                f"{MIN_CLASS_SHARE:.0%} of its NACE classes in the priority's NACE divisions. A "
                "NUTS-3 strategy region is compared with its NUTS-2 region. Cluster categories "
                "are approximated from NACE divisions (equal split of each division among its "
                "classes), so the specialisations are indicative.",
                self.reference_description,
            ]
        )

    def record(self) -> dict[str, Any]:
        """Key numbers for ``records.publish_record`` (tests read them back)."""
        traded = self.summary.loc[self.summary["category_type"] == "traded"]
        return {
            "product": PRODUCT,
            "year": self.year,
            "nuts_level": LEVEL,
            "n_reference_regions": self.n_reference_regions,
            "top_pair": self.pairs.iloc[0][["category_code", "related_category_code"]].tolist(),
            "top_pair_proximity": float(self.pairs.iloc[0]["proximity"]),
            "n_regions_with_strong_opportunities": int(
                (traded["n_strong_opportunities"] > 0).sum()
            ),
            "alignment_counts": {a.source: a.counts for a in self.alignments},
        }


def smart_specialisation_context(
    store,
    year: int = DEFAULT_YEAR,
    *,
    n_pairs: int = N_PAIRS,
    n_regions: int = N_REGIONS,
    s3_sources: Sequence[str] = ("czechia",),
) -> SmartSpecialisationReport:
    """Build every table of the report.

    Args:
        store: the loaded store.
        year: the reference year of the cluster data.
        n_pairs: the most related pairs shown per category type.
        n_regions: the regions with the most opportunities shown.
        s3_sources: S3 priorities to align: ``"czechia"`` and/or paths of CSV files in the S3
            input format.

    Raises:
        UnknownCodeError: a year without cluster data (valid years listed).
        DataSourceError: an S3 file that cannot be read (each bad line named).
    """
    space = recipes.relatedness(store, LEVEL, year)
    names = display_names(store)
    pairs = recipes.strongest_pairs(store, LEVEL, year, n_pairs)
    divisions = store.cluster_nace_classes.groupby("category_code")["nace_code"].agg(set)
    pairs = pairs.assign(
        category_name=pairs["category_code"].map(names),
        related_category_name=pairs["related_category_code"].map(names),
        shares_division=[
            bool(divisions.get(a, set()) & divisions.get(b, set()))
            for a, b in zip(pairs["category_code"], pairs["related_category_code"], strict=True)
        ],
    )
    summary = recipes.opportunity_summary(store, LEVEL, year)
    sizes = recipes.category_sizes(store, LEVEL, year)
    return SmartSpecialisationReport(
        year=int(year),
        reference_description=recipes.reference_description(store, LEVEL),
        n_reference_regions={t: m.space.n_reference_regions for t, m in space.by_type.items()},
        pairs=pairs,
        summary=summary,
        regions_table=_regions_table(store, summary, year, n_regions),
        variety_table=_variety_table(store, year),
        groups_table=_groups_table(store),
        alignments=tuple(_alignment(store, source, year) for source in s3_sources),
        growth_status=str(sizes["european_growth_status"].iloc[0]),
    )


# --- tables --------------------------------------------------------------------------------------


def show_table(frame: pd.DataFrame, empty_text: str = "No rows.") -> None:
    """Display a table built here (readable headers, numbers already written) in full: no
    index, no truncation, "not available" for blanks."""
    from IPython.display import HTML, Markdown, display

    if frame.empty:
        display(Markdown(empty_text))
        return
    table = frame.reset_index(drop=True)
    display(HTML(table.to_html(index=False, escape=True, na_rep=map_styles.NOT_AVAILABLE)))


def pairs_table(report: SmartSpecialisationReport, category_type: str) -> pd.DataFrame:
    """The most related pairs of one type, for display."""
    rows = report.pairs.loc[report.pairs["category_type"] == category_type].reset_index(drop=True)
    return pd.DataFrame(
        {
            "Category": rows["category_name"].astype("str"),
            "Related category": rows["related_category_name"].astype("str"),
            "Proximity": [f"{v:.2f}" for v in rows["proximity"]],
            "Regions specialised in both": rows["n_regions_both"].astype(int),
            "Regions specialised in each": [
                f"{a} / {b}"
                for a, b in zip(rows["n_regions_category"], rows["n_regions_related"], strict=True)
            ],
            "Share a NACE division": ["yes" if s else "no" for s in rows["shares_division"]],
        }
    )


def _regions_table(store, summary: pd.DataFrame, year: int, n: int) -> pd.DataFrame:
    traded = summary.loc[summary["category_type"] == "traded"]
    top = (
        traded.sort_values(
            ["n_strong_opportunities", "mean_opportunity_density", "region_code"],
            ascending=[False, False, True],
        )
        .head(n)
        .reset_index(drop=True)
    )
    ranked = recipes.opportunities(store, level=LEVEL, year=year)
    ranked = ranked.loc[ranked["category_type"] == "traded"]
    best = (
        ranked.loc[ranked["rank_in_region"] <= N_TOP_OPPORTUNITIES]
        .groupby("region_code")
        .apply(
            lambda rows: "; ".join(
                f"{name} ({density:.0f})"
                for name, density in zip(
                    rows["category_name"], rows["relatedness_density"], strict=True
                )
            ),
            include_groups=False,
        )
    )
    return pd.DataFrame(
        {
            "Region": [
                f"{name} ({code})"
                for code, name in zip(top["region_code"], top["region_name"], strict=True)
            ],
            "Specialisations": top["n_specialised"].astype(int),
            f"Opportunities with density ≥ {recipes.STRONG_DENSITY:g}": top[
                "n_strong_opportunities"
            ].astype(int),
            "Mean density of the opportunities": [
                map_styles.NOT_AVAILABLE if pd.isna(v) else f"{v:.0f}"
                for v in top["mean_opportunity_density"]
            ],
            "Top three opportunities (density)": top["region_code"].map(best).fillna(""),
        }
    )


def _variety_table(store, year: int, n: int = 10) -> pd.DataFrame:
    variety = recipes.variety(store, LEVEL, year).dropna(subset=["related_variety_bits"])
    top = (
        variety.sort_values(["related_variety_bits", "region_code"], ascending=[False, True])
        .head(n)
        .reset_index(drop=True)
    )
    return pd.DataFrame(
        {
            "Region": [
                f"{name} ({code})"
                for code, name in zip(top["region_code"], top["region_name"], strict=True)
            ],
            "Related variety (bits)": [f"{v:.2f}" for v in top["related_variety_bits"]],
            "Unrelated variety (bits)": [f"{v:.2f}" for v in top["unrelated_variety_bits"]],
            "Total (bits)": [f"{v:.2f}" for v in top["total_variety_bits"]],
            "Traded categories with employment": top["n_categories"].astype(int),
        }
    )


def _groups_table(store) -> pd.DataFrame:
    groups = recipes.category_groups(store)
    traded = groups.loc[groups["category_type"] == "traded"]
    names = store.cluster_categories.set_index("category_code")["category_name"]
    listed = traded.groupby("group_label", sort=False)["category_code"].apply(
        lambda codes: ", ".join(sorted(names.get(code, code) for code in codes))
    )
    return pd.DataFrame({"Technology group": listed.index, "Traded categories": listed.to_numpy()})


# --- S3 alignment --------------------------------------------------------------------------------


def _alignment(store, source: str, year: int) -> Alignment:
    alignment = recipes.s3_alignment(store, source, year=year)
    _, notes = recipes.s3_priorities(store, source)
    names = display_names(store)
    regions = recipes.statistics_regions(store)["region_name"]
    counts = {
        kind: int((alignment.priorities["alignment"] == kind).sum()) for kind in ALIGNMENT_ORDER
    }
    title = "Czechia: regional RIS3 domains" if source == "czechia" else f"S3 priorities: {source}"
    return Alignment(
        source=source,
        title=title,
        alignment=alignment,
        notes=tuple(notes),
        priorities_table=_priorities_table(alignment, names, regions),
        unmentioned_table=_unmentioned_table(alignment, names, regions),
        counts=counts,
        region_names=regions,
    )


def _priorities_table(alignment: S3Alignment, names: pd.Series, regions: pd.Series) -> pd.DataFrame:
    matches = alignment.matches.loc[alignment.matches["is_core_match"]]
    keys = ["region_code", "priority_id"]
    specialised = (
        matches.loc[matches["is_specialised"].fillna(False).astype(bool)]
        .sort_values("lq", ascending=False)
        .groupby(keys)
        .apply(lambda rows: _listed(rows, names, "lq", "{:.2f}", n=3), include_groups=False)
    )
    related = (
        matches.loc[matches["is_specialised"].eq(False)]
        .sort_values("relatedness_density", ascending=False)
        .drop_duplicates(keys)
        .set_index(keys)
    )
    # the priorities without NACE divisions are named in the text (alignment_markdown)
    frame = alignment.priorities
    frame = frame.loc[frame["alignment"] != NOT_MATCHED].reset_index(drop=True)
    index = pd.MultiIndex.from_frame(frame[keys])
    best = related.reindex(index)
    return pd.DataFrame(
        {
            "Region": [f"{regions.get(c, c)} ({c})" for c in frame["region_code"]],
            "Priority (as published)": frame["priority_name"].astype("str"),
            "NACE divisions": frame["nace_divisions"]
            .str.replace(";", ", ")
            .replace("", "none")
            .to_numpy(),
            "Specialised in (LQ)": [specialised.get(key, "") or "—" for key in index],
            "Most related other category (density)": [
                "—" if pd.isna(code) else f"{names.get(code, code)} ({density:.0f})"
                for code, density in zip(
                    best["category_code"], best["relatedness_density"], strict=True
                )
            ],
            "Assessment": frame["alignment"].astype("str"),
        }
    )


def _listed(rows: pd.DataFrame, names: pd.Series, column: str, number: str, n: int = 5) -> str:
    """The first ``n`` categories of ``rows`` with a number each, then how many more."""
    items = [
        f"{names.get(code, code)} ({number.format(value)})"
        for code, value in zip(rows["category_code"].head(n), rows[column].head(n), strict=True)
    ]
    more = len(rows) - n
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")


def _unmentioned_table(
    alignment: S3Alignment, names: pd.Series, regions: pd.Series
) -> pd.DataFrame:
    unmentioned = alignment.unmentioned
    if unmentioned.empty:
        return pd.DataFrame()
    grouped = unmentioned.groupby("region_code", sort=True).apply(
        lambda rows: _listed(rows, names, "lq", "{:.2f}", n=8), include_groups=False
    )
    nuts2 = unmentioned.drop_duplicates("region_code").set_index("region_code")["nuts2_code"]
    return pd.DataFrame(
        {
            "Region": [f"{regions.get(c, c)} ({c})" for c in grouped.index],
            "Statistics of": [
                f"{regions.get(nuts2[c], nuts2[c])} ({nuts2[c]})" for c in grouped.index
            ],
            "Specialisations no priority covers (LQ)": grouped.to_numpy(),
        }
    )


def alignment_markdown(alignment: Alignment) -> str:
    """The alignment's counts and the loader's notes, in a few sentences."""
    counts = alignment.counts
    total = sum(counts.values())
    parts = [f"{counts[kind]} {kind}" for kind in ALIGNMENT_ORDER if counts.get(kind)]
    text = f"{total} priorities: " + ", ".join(parts) + "."
    priorities = alignment.alignment.priorities
    unmatched = priorities.loc[priorities["alignment"] == NOT_MATCHED]
    if len(unmatched):
        listed = "; ".join(
            f"{alignment.region_names.get(code, code)} ({code}): "
            + ", ".join(rows["priority_name"].astype(str))
            for code, rows in unmatched.groupby("region_code", sort=True)
        )
        text += (
            " *Not matched*, because the source gives no NACE divisions for them, so they "
            f"cannot be compared with the statistics: {listed}. The table lists the others."
        )
    if alignment.notes:
        text += " Left out: " + " ".join(alignment.notes)
    return text


# --- figures -------------------------------------------------------------------------------------


def category_space_graph(report: SmartSpecialisationReport, store, category_type: str):
    """The networkx graph of one type's strongest links: the maximum spanning tree (every
    category linked to its network) plus the strongest ``SPACE_EXTRA_LINKS`` of the links."""
    import networkx as nx

    space = recipes.relatedness(store, LEVEL, report.year).space(category_type)
    first, second = np.triu_indices(len(space.categories), k=1)
    weights = space.proximity[first, second]
    full = nx.Graph()
    full.add_nodes_from(space.categories)
    full.add_weighted_edges_from(
        (space.categories[i], space.categories[j], w)
        for i, j, w in zip(first, second, weights, strict=True)
        if w > 0
    )
    graph = nx.maximum_spanning_tree(full, weight="weight")
    cutoff = np.quantile(weights, 1 - SPACE_EXTRA_LINKS) if len(weights) else np.inf
    graph.add_weighted_edges_from(
        (u, v, d["weight"]) for u, v, d in full.edges(data=True) if d["weight"] >= cutoff
    )
    return graph


def plot_category_space(report: SmartSpecialisationReport, store) -> dict[str, Figure]:
    """The category space, one figure per type (``traded``, ``emerging``): nodes coloured by
    type and sized by European employment, links drawn by proximity.

    The layout is networkx's force-directed ``spring_layout`` (seeded: the same picture every
    run), weighted by proximity, then spread apart (``spread_apart``) so that the labels of
    the dense manufacturing core stay readable. The figures are drawn at the page's width
    (7.4 inches), so their text prints at its nominal size.
    """
    return {
        category_type: _space_figure(report, store, category_type, height)
        for category_type, height in (("traded", 6.6), ("emerging", 3.4))
    }


def _space_figure(report: SmartSpecialisationReport, store, category_type: str, height: float):
    import networkx as nx
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    sizes = recipes.category_sizes(store, LEVEL, report.year).set_index("category_code")
    names = display_names(store)
    graph = category_space_graph(report, store, category_type)
    layout = nx.spring_layout(
        graph, weight="weight", seed=0, k=2 / np.sqrt(len(graph)), iterations=500
    )
    nodes = list(layout)
    # a few nodes on a wide, low figure need more room between them than many on a tall one
    xy = spread_apart(np.array([layout[node] for node in nodes]), 0.1 if len(nodes) > 20 else 0.2)
    position = dict(zip(nodes, xy, strict=True))
    figure = Figure(figsize=(7.4, height), facecolor="white")
    ax = figure.add_axes((0.01, 0.1 * 6.6 / height * 0.6, 0.98, 1 - 0.16 * 6.6 / height * 0.6))
    segments = [(position[u], position[v]) for u, v in graph.edges()]
    widths = [0.3 + 3.0 * d["weight"] ** 2 for _, _, d in graph.edges(data=True)]
    ax.add_collection(LineCollection(segments, linewidths=widths, colors="#a9b4bf", zorder=1))
    employment = sizes["european_employment_persons"].reindex(nodes).fillna(0).to_numpy()
    area = 20 + 300 * np.sqrt(employment / max(employment.max(), 1))
    ax.scatter(xy[:, 0], xy[:, 1], s=area, c=TYPE_COLOURS[category_type], zorder=2,
               edgecolors="white", linewidths=0.6)  # fmt: skip
    for node, (x, y) in zip(nodes, xy, strict=True):
        ax.annotate(_short(names.get(node, node)), (x, y), xytext=(0, -5),
                    textcoords="offset points", ha="center", va="top", fontsize=6,
                    color="#202020", zorder=3)  # fmt: skip
    ax.set_axis_off()
    ax.margins(0.07, 0.1)
    ax.set_title(
        f"Category space of the {len(nodes)} {TYPE_LABELS[category_type]} (NUTS {LEVEL} "
        f"regions, {report.year})",
        fontsize=9, loc="left",
    )  # fmt: skip
    figure.text(
        0.01, 0.01,
        "Links: the maximum spanning tree of the proximities plus the strongest "
        f"{SPACE_EXTRA_LINKS:.0%} of all links; thicker: higher proximity. Circle area: European "
        "employment.\nProximity (Hidalgo et al. 2007) from the location quotients of the European "
        "reference regions. Source: Eurostat (SBS); computed by the workbook.",
        ha="left", va="bottom", fontsize=6, color="#404040",
    )  # fmt: skip
    return figure


def spread_apart(xy: np.ndarray, min_distance: float = 0.1, iterations: int = 300) -> np.ndarray:
    """Positions rescaled to the unit square and pushed apart until no two are closer than
    ``min_distance`` (or ``iterations`` is reached); neighbours stay neighbours."""

    def rescaled(points: np.ndarray) -> np.ndarray:
        span = np.where(np.ptp(points, axis=0) > 0, np.ptp(points, axis=0), 1.0)
        return (points - points.min(axis=0)) / span

    xy = rescaled(np.asarray(xy, dtype=float))
    for _ in range(iterations):
        difference = xy[:, None, :] - xy[None, :, :]
        distance = np.hypot(difference[..., 0], difference[..., 1])
        np.fill_diagonal(distance, np.inf)
        close = distance < min_distance
        if not close.any():
            break
        gap = np.where(close, min_distance - np.where(close, distance, 0.0), 0.0)
        push = gap / np.where(close, np.maximum(distance, 1e-9), 1.0)
        xy = rescaled(xy + 0.25 * (push[..., None] * difference).sum(axis=1))
    return xy


def display_names(store) -> pd.Series:
    """Category names for display; an emerging industry named like a traded category (e.g.
    Biopharmaceuticals) gets "(emerging)" so that the two are never confused."""
    categories = store.cluster_categories
    names = categories.set_index("category_code")["category_name"].astype("str")
    traded = set(categories.loc[categories["category_type"] == "traded", "category_name"])
    emerging = categories.set_index("category_code")["category_type"].eq("emerging")
    clash = emerging & names.isin(traded)
    return names.where(~clash, names + " (emerging)")


def _short(name: str, width: int = 18) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(name), width))


def plot_opportunity_map(report: SmartSpecialisationReport, geometries: gpd.GeoDataFrame) -> Figure:
    """Strong opportunities per NUTS-2 region (traded; missing where no LQ is known)."""
    from observatory_lib.products.kit.maps import plot_choropleth

    traded = report.summary.loc[report.summary["category_type"] == "traded"]
    known = traded["n_specialised"] + traded["n_opportunities"] > 0
    values = traded[["region_code"]].assign(
        value=traded["n_strong_opportunities"].astype(float).where(known)
    )
    return plot_choropleth(
        geometries,
        values,
        title=f"Strong diversification opportunities per region (NUTS {LEVEL}, {report.year})",
        unit="number",
        method="equal_interval",  # most regions have none: quantiles would merge 0 with 9
        k=6,
    )


# --- downloads -----------------------------------------------------------------------------------


def write_downloads(
    report: SmartSpecialisationReport, store, output_subdir: str = OUTPUT_SUBDIR
) -> list[Path]:
    """The tidy tables (CSV with BOM + XLSX, with provenance) under ``outputs/<subdir>/``.

    ``relatedness_proximity`` (``category_code, related_category_code, proximity``),
    ``relatedness_density`` (``region_code, category_code, year, lq, is_specialised,
    relatedness_density``, ``n_categories_unknown``), ``diversification_opportunities`` and
    ``opportunity_support`` (every region), ``regional_variety``, ``category_groups``, and per
    S3 source ``s3_alignment_<source>``, ``s3_matches_<source>``, ``s3_unmentioned_<source>``.
    """
    year, what = report.year, f"NUTS {LEVEL}, {report.year}"
    tables = {
        "relatedness_proximity": (
            recipes.proximity(store, LEVEL, year),
            f"Proximity between cluster categories (Hidalgo et al. 2007), {what}",
        ),
        "relatedness_density": (
            recipes.relatedness_density(store, LEVEL, year),
            f"Relatedness density (Balland et al. 2019) of every region and category, {what}",
        ),
        "diversification_opportunities": (
            recipes.opportunities(store, level=LEVEL, year=year),
            f"Diversification opportunities of every region, ranked by density, {what}",
        ),
        "opportunity_support": (
            recipes.opportunity_support(store, level=LEVEL, year=year),
            f"The specialisations that support each opportunity, {what}",
        ),
        "regional_variety": (
            recipes.variety(store, LEVEL, year),
            f"Related and unrelated variety of traded employment (bits), {what}",
        ),
        "category_groups": (
            recipes.category_groups(store),
            "Technology groups of the cluster categories (Eurostat high-tech aggregation)",
        ),
    }
    written = write_tables(
        tables, output_subdir, f"nuts{LEVEL}_{year}", product_sources(store, PRODUCT)
    )
    for alignment in report.alignments:
        name = Path(alignment.source).stem if alignment.source != "czechia" else "czechia"
        s3_tables = {
            f"s3_alignment_{name}": (
                alignment.alignment.priorities,
                f"{alignment.title}: alignment",
            ),
            f"s3_matches_{name}": (alignment.alignment.matches, f"{alignment.title}: categories"),
            f"s3_unmentioned_{name}": (
                alignment.alignment.unmentioned,
                f"{alignment.title}: specialisations no priority covers",
            ),
        }
        written += write_tables(
            s3_tables, output_subdir, str(year), product_sources(store, PRODUCT)
        )
    return written

"""The Panorama as a publication: key findings written from the numbers, numbered tables and
figures in the house style (``kit.document``, ``kit.tables``), the change over time of Europe's
clusters, the methods and sources."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.products.cluster_panorama.report import PanoramaReport
from observatory_lib.products.kit.display import (
    downloads_text,
    product_sources,
)
from observatory_lib.products.kit.document import Document, cluster_report_facts, source_line
from observatory_lib.products.kit.notes import cutoff_text
from observatory_lib.products.kit.numbers import format_growth, format_number, format_percent
from observatory_lib.products.kit.provenance import (
    PRODUCT_SOURCES,
    attribution_lines,
    compact_provenance_table,
    product_vintage,
    running_head,
)
from observatory_lib.products.kit.tables import TableSpec as PublishedTable
from observatory_lib.products.kit.tables import eurostat_cell_flags, with_region_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# --- the publication ----------------------------------------------------------------------

COUNTRIES_PUBLISHED = PublishedTable(
    columns=(
        "country",
        "n_regions",
        "n_starred_clusters",
        "starred_employment_persons",
        "starred_employment_share_pct",
    ),
    stub="country",
)
REGIONS_PUBLISHED = PublishedTable(
    columns=(
        "region",
        "n_clusters_rated",
        "n_starred_clusters",
        "n_clusters_with_all_stars",
        "starred_employment_persons",
        "starred_employment_share_pct",
    ),
    stub="region",
    max_rows=30,
)
LEADERS_PUBLISHED = PublishedTable(
    columns=("category_name", "region", "stars", "employment_persons", "lq"),
    stub="category_name",
    empty_text="No regional cluster has a star at this level and year.",
)
EMERGING_PUBLISHED = PublishedTable(
    columns=(
        "category_name",
        "n_regions_rated",
        "n_starred_regions",
        "employment_persons",
        "leading_region",
        "leading_region_stars",
    ),
    stub="category_name",
)
CHANGE_PUBLISHED = PublishedTable(
    columns=(
        "category_name",
        "employment_start",
        "employment_end",
        "employment_cagr_pct",
        "n_regions_growing",
        "n_regions_compared",
        "n_stars_gained",
        "n_stars_lost",
    ),
    stub="category_name",
    max_rows=20,
    empty_text="No change can be measured at this level and year.",
    notes=(
        "Employment is summed over the regions whose employment in the category is known in "
        "both years without a series break (so that changes in coverage do not show as "
        "growth); growth is a compound annual rate.",
    ),
)
CRITERIA_PUBLISHED = PublishedTable(
    columns=("criterion", "rule_text", "is_verified"), stub="criterion"
)
SENSITIVITY_PUBLISHED = PublishedTable(
    columns=("criterion", "rule_text", "n_gain", "n_lose", "n_starred"), stub="criterion"
)


def key_findings(report: PanoramaReport) -> list[str]:
    """Four or five sentences on Europe's clusters, each written from the numbers."""
    europe = report.europe
    where = f"{europe['n_regions']} regions (NUTS {report.nuts_level}, {report.year})"
    findings = [
        f"{format_number(europe['n_starred_clusters'])} of the "
        f"{format_number(europe['n_clusters_rated'])} traded regional clusters rated in "
        f"{where} have at least one star; they employ "
        f"{format_percent(europe['starred_employment_share_pct'], missing='an unknown share')} "
        "of the business-economy employment of the regions whose total is known."
    ]
    countries = report.by_country.dropna(subset=["n_starred_clusters"]).head(3)
    if len(countries) and countries["n_starred_clusters"].iloc[0] > 0:
        first, *others = [
            (row.country_name, format_number(row.n_starred_clusters))
            for row in countries.itertuples()
        ]
        followers = " and ".join(f"{name} ({count})" for name, count in others)
        findings.append(
            f"{first[0]} counts the most starred clusters, {first[1]}"
            + (f", followed by {followers}." if followers else ".")
        )
    regions = report.by_region.dropna(subset=["n_starred_clusters"])
    if len(regions) and regions["n_starred_clusters"].iloc[0] > 0:
        top = regions.iloc[0]
        findings.append(
            f"{top['region_name']} ({top['region_code']}) hosts the most starred clusters: "
            f"{format_number(top['n_starred_clusters'])}, with "
            f"{format_percent(top['starred_employment_share_pct'], missing='an unknown share')} "
            "of its employment."
        )
    if europe["n_starred_emerging"]:
        lead = report.emerging.sort_values("n_starred_regions", ascending=False).iloc[0]
        findings.append(
            f"{format_number(europe['n_starred_emerging'])} emerging-industry clusters are "
            f"starred as well; {lead['category_name']} has the most starred regions "
            f"({format_number(lead['n_starred_regions'])})."
        )
    findings.append(_change_finding(report))
    findings.append(_sensitivity_finding(report))
    return [finding for finding in findings if finding]


def _change_finding(report: PanoramaReport) -> str:
    """Europe's change over the window: growth, the fastest category, stars gained and lost."""
    if report.change is None:
        return ""
    start, end = report.change.window
    e = report.change.europe
    traded = report.change.by_category
    traded = traded[traded["category_type"].eq("traded") & traded["employment_cagr_pct"].notna()]
    fastest = (
        f"; {traded.iloc[0]['category_name']} grew fastest "
        f"({format_growth(traded.iloc[0]['employment_cagr_pct'])} a year)"
        if len(traded)
        else ""
    )
    return (
        f"From {start} to {end}, employment in Europe's traded clusters changed by "
        f"{format_growth(e['employment_cagr_pct'], missing='an unknown rate')} a year{fastest}. "
        f"{format_number(e['n_gained'])} regional clusters gained stars and "
        f"{format_number(e['n_lost'])} lost some."
    )


def _sensitivity_finding(report: PanoramaReport) -> str:
    lq = report.sensitivity.loc[report.sensitivity["metric"] == "lq"]
    if lq.empty:
        return ""
    low, high = lq.iloc[0], lq.iloc[-1]
    return (
        f"The stars depend on the thresholds: with a location-quotient cut-off of "
        f"{format_number(low['cutoff'], 1)}, {format_number(low['n_gain'])} clusters would "
        f"gain a star; with {format_number(high['cutoff'], 1)}, "
        f"{format_number(high['n_lose'])} would lose one."
    )


def document(report: PanoramaReport, store) -> Document:
    """The Panorama as a publication."""
    vintage = product_vintage(store, "clusters")
    return Document(
        title="European Cluster Panorama",
        kind="Cluster mapping report",
        subtitle=(
            f"Starred regional clusters across {report.europe['n_regions']} NUTS "
            f"{report.nuts_level} regions, {report.year}"
        ),
        running_head=running_head(store, "clusters", "European Cluster Panorama"),
        facts=cluster_report_facts(report.nuts_level, report.year, report.rule_set, vintage),
    )


def publication(
    report: PanoramaReport, store, maps: dict[str, Figure], downloads: list[Path]
) -> list:
    """Every part of the published Panorama, in reading order."""
    doc = document(report, store)
    source = source_line(product_sources(store, "clusters")["dataset_code"])
    where = f"NUTS {report.nuts_level} regions, {report.year}"
    return [
        doc.title_block(),
        doc.key_findings(key_findings(report)),
        *_countries_parts(doc, report, source, where),
        *_regions_parts(doc, report, maps, source, where),
        *_categories_parts(doc, report, source, where),
        *_change_parts(doc, report, source),
        *_sensitivity_parts(doc, report),
        doc.section("Downloads", downloads_text(downloads)),
        doc.methods_and_sources(
            [report.reference_description, *report.methods_markdown().split("\n\n")],
            compact_provenance_table(store.provenance, PRODUCT_SOURCES["clusters"]),
            attribution_lines(store.provenance),
        ),
    ]


def _countries_parts(doc: Document, report: PanoramaReport, source: str, where: str) -> list:
    table = report.by_country.assign(
        country=report.by_country["country_name"].fillna(report.by_country["country_code"])
        + " ("
        + report.by_country["country_code"]
        + ")"
    )
    return [
        doc.section(
            "Starred clusters by country",
            "A regional cluster is *starred* when it meets at least one criterion of the star "
            "rule set (size, specialisation, focus). Traded categories only: the emerging "
            "industries overlap them and are counted apart.",
        ),
        doc.table(
            table,
            COUNTRIES_PUBLISHED,
            title="Starred traded clusters by country",
            subtitle=where,
            source=source,
            notes=["The employment share covers the regions whose total employment is known."],
            full_table="starred clusters by country (CSV, XLSX)",
        ),
    ]


def _regions_parts(
    doc: Document, report: PanoramaReport, maps: dict[str, Figure], source: str, where: str
) -> list:
    table = with_region_label(report.by_region)
    return [
        doc.section(
            "Regions with the most starred clusters",
            "A region none of whose clusters could be rated has no count: it is shown as not "
            "available, never 0.",
        ),
        doc.table(
            table,
            REGIONS_PUBLISHED,
            title="Regions with the most starred traded clusters",
            subtitle=where,
            source=source,
            full_table="starred clusters by region (CSV, XLSX)",
        ),
        doc.row(
            doc.figure(
                maps["n_starred_clusters"],
                title=f"Starred traded clusters by region, {report.year}",
                subtitle=f"Number of clusters with at least one star, NUTS {report.nuts_level} "
                f"(NUTS {STATISTICS_EDITION})",
                alt=_map_alt(table, "number of starred traded clusters"),
                source=source,
                data="The values are in Table 2 and the download starred clusters by region.",
            ),
            doc.figure(
                maps["starred_employment_share_pct"],
                title=f"Employment in starred traded clusters, {report.year}",
                subtitle="Share of the region's employment in the business economy (%)",
                alt=_map_alt(table, "share of employment in starred traded clusters"),
                source=source,
                data="The values are in Table 2 and the download starred clusters by region.",
            ),
        ),
    ]


def _categories_parts(doc: Document, report: PanoramaReport, source: str, where: str) -> list:
    leaders = with_region_label(report.leaders.loc[report.leaders["rank_in_category"] == 1])
    emerging = report.emerging.assign(
        leading_region=_region_names_of(report, report.emerging["leading_region_code"])
    )
    return [
        doc.section(
            "The leading region of every category",
            "The best-rated region of each traded category and emerging industry: most stars, "
            "then the highest location quotient, then the largest employment.",
        ),
        doc.table(
            leaders,
            LEADERS_PUBLISHED,
            title="Leading region by cluster category",
            subtitle=where,
            source=source,
            flags={"employment_persons": eurostat_cell_flags(leaders)},
            full_table="leaders by category (CSV, XLSX), with the three leaders of each",
        ),
        doc.section(
            "Emerging industries",
            "Emerging industries cut across the traded categories and each other, so their "
            "employment is not added up.",
        ),
        doc.table(
            emerging,
            EMERGING_PUBLISHED,
            title="Emerging industries: starred regions and leading region",
            subtitle=where,
            source=source,
        ),
    ]


def _change_parts(doc: Document, report: PanoramaReport, source: str) -> list:
    """How Europe's clusters changed over the window: headline, then the categories by growth
    (series breaks and apportioned regions in the notes)."""
    if report.change is None:
        return [doc.section("How Europe's clusters changed", report.change_markdown())]
    start, end = report.change.window
    table = report.change_by_category()
    notes = []
    across = int(report.change.europe["n_across_break"])
    if across:
        notes.append(
            f"{format_number(across)} traded regional clusters whose series breaks between "
            f"{start} and {end} (Eurostat flag b, or d in some years only) are not counted in "
            "the stars gained or lost; their change is not computed."
        )
    apportioned = _apportioned_regions(report)
    if apportioned:
        notes.append(
            f"Figures of {len(apportioned)} regions are apportioned from NUTS 2013 regions by "
            f"2011 population (JRC NUTS converter): {', '.join(apportioned)}."
        )
    return [
        doc.section(f"How Europe's clusters changed, {start}–{end}", report.change_markdown()),
        doc.table(
            table,
            CHANGE_PUBLISHED,
            title=f"Cluster categories by European employment growth, {start}–{end}",
            subtitle=f"NUTS {report.nuts_level} regions, traded categories and emerging industries",
            source=source,
            notes=notes,
            full_table="europe change (CSV, XLSX)",
        ),
    ]


def _apportioned_regions(report: PanoramaReport) -> list[str]:
    if "is_apportioned" not in report.rated.columns:
        return []
    flagged = report.rated["is_apportioned"].astype("boolean").fillna(False).astype(bool)
    return sorted(report.rated.loc[flagged, "region_code"].astype("str").unique())


def _sensitivity_parts(doc: Document, report: PanoramaReport) -> list:
    criteria = report.criteria.assign(
        criterion=report.criteria["criterion"].str.capitalize(),
        rule_text=report.criteria["cutoff_text"],
    )
    sensitivity = report.sensitivity.assign(
        criterion=report.sensitivity["criterion"].str.capitalize(),
        rule_text=[
            cutoff_text(rule, cutoff, metric)
            for rule, cutoff, metric in zip(
                report.sensitivity["rule"],
                report.sensitivity["cutoff"],
                report.sensitivity["metric"],
                strict=True,
            )
        ],
    )
    rule_set = report.rule_set.label or report.rule_set.name
    return [
        doc.section(
            "How the stars depend on the thresholds",
            f"The criteria of the star rule set ({rule_set}), then the number of regional "
            "clusters (traded and emerging) that would gain or lose a star if one cut-off "
            "moved. A criterion without data is not varied.",
        ),
        doc.table(
            criteria,
            CRITERIA_PUBLISHED,
            title="Star criteria",
            subtitle=rule_set,
            source="Source: star rule sets of the European Cluster Observatory workbook.",
        ),
        doc.table(
            sensitivity,
            SENSITIVITY_PUBLISHED,
            title="Stars gained and lost when a cut-off moves",
            subtitle=f"NUTS {report.nuts_level} regions, {report.year}",
            source="Source: Eurostat; European Cluster Observatory calculations.",
        ),
    ]


def _region_names_of(report: PanoramaReport, codes: pd.Series) -> pd.Series:
    names = report.by_region.drop_duplicates("region_code").set_index("region_code")["region_name"]
    named = codes.map(names)
    return (named.fillna(codes) + " (" + codes + ")").where(codes.notna())


def _map_alt(table: pd.DataFrame, measure: str) -> str:
    top = table.dropna(subset=["n_starred_clusters"]).head(3)["region"].tolist()
    return (
        f"Map of Europe's regions shaded by the {measure}; the highest counts are in "
        f"{', '.join(top)}. Regions whose clusters could not be rated are grey."
    )

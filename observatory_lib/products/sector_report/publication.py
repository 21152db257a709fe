"""The sector report as a publication: titled by the category, key findings written from its
numbers, numbered tables and figures in the house style (``kit.document``, ``kit.tables``),
its trend and fastest-growing regions, the methods and sources."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.products.kit.display import (
    downloads_text,
    product_sources,
)
from observatory_lib.products.kit.document import Document, cluster_report_facts, source_line
from observatory_lib.products.kit.labels import ColumnLabel, stars_text
from observatory_lib.products.kit.numbers import (
    MISSING_CELL,
    format_cell,
    format_growth,
    format_number,
    format_share,
)
from observatory_lib.products.kit.provenance import (
    PRODUCT_SOURCES,
    attribution_lines,
    compact_provenance_table,
    product_vintage,
    running_head,
)
from observatory_lib.products.kit.tables import TableSpec as PublishedTable
from observatory_lib.products.kit.tables import eurostat_cell_flags, with_region_label
from observatory_lib.products.sector_report.report import SectorReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# --- the publication ----------------------------------------------------------------------

REGIONS_TABLE = PublishedTable(
    columns=(
        "region",
        "rank_in_category",
        "stars",
        "employment_persons",
        "size_share",
        "lq",
        "focus_share",
    ),
    stub="region",
    empty_text="No region has a known employment in this category.",
)
CLASSES_PUBLISHED = PublishedTable(
    columns=("nace_class", "title", "nace_code", "allocation_share", "is_in_sbs_scope"),
    stub="nace_class",
)
DIVISIONS_PUBLISHED = PublishedTable(
    columns=("nace_code", "n_classes_in_category", "n_classes_in_division", "allocated_share"),
    stub="nace_code",
)
TREND_PUBLISHED = PublishedTable(
    columns=(
        "year",
        "employment_persons",
        "employment_index",
        "wage_per_employee_eur",
        "n_regions",
    ),
    stub="year",
    empty_text="No trend: no region has the category's employment in every year of the window "
    "without a series break.",
    notes=(
        "Constant regions: the reference regions whose employment in the category is known in "
        "every year of the window without a series break, so that changes in coverage do not "
        "show as growth.",
    ),
)
FASTEST_PUBLISHED = PublishedTable(
    columns=(
        "region",
        "employment_persons",
        "employment_growth_pct",
        "relative_wage_index",
        "stars_symbols",
    ),
    stub="region",
    empty_text="No region has a growth rate for the category over the window (no data, or "
    "every series breaks).",
    notes=(
        "Regions employing at least 1 000 persons in the category; a growth that spans a "
        "series break is not computed and the region is left out.",
    ),
)
CONCENTRATION_PUBLISHED = PublishedTable(columns=("measure", "value_text"), stub="measure")
OVERLAP_PUBLISHED = PublishedTable(
    columns=(
        "category_name",
        "n_shared_classes",
        "shared_classes",
        "shared_share_of_category",
        "shared_share_of_other",
    ),
    stub="category_name",
)


def key_findings(report: SectorReport) -> list[str]:
    """Three to five sentences on the category, each written from its numbers."""
    concentration = report.concentration
    if not concentration.n_regions_with_data:
        return [
            f"None of the {report.n_nace_classes} NACE classes of {report.category_name} is "
            "covered by regional structural business statistics, so its regional employment, "
            "location quotients and stars are not available."
        ]
    findings = [
        f"{report.category_name} employs {format_number(concentration.employment_persons)} "
        f"persons in the {concentration.n_regions_with_data} regions with data (NUTS "
        f"{report.nuts_level}, {report.year}); the {concentration.top_n} largest regions "
        f"hold {format_share(concentration.top_n_share)} of them."
    ]
    leader = report.leading_regions.head(1)
    if len(leader) and report.n_starred_regions:
        row = leader.iloc[0]
        findings.append(
            f"{report.n_starred_regions} regions have at least one star; the leading region is "
            f"{row['region_name']} ({row['region_code']}) with "
            f"{stars_text(row['stars'], row['stars_out_of'])} and a location quotient of "
            f"{format_number(row['lq'], 2, missing='not available')}."
        )
    findings.append(
        "Its employment is as concentrated as if it were shared equally by "
        f"{format_number(concentration.equivalent_regions, 0)} regions (Gini coefficient "
        f"{format_number(concentration.gini, 2)})."
    )
    findings.append(_trend_finding(report))
    if report.n_nace_classes_in_sbs_scope < report.n_nace_classes:
        findings.append(
            f"Only {report.n_nace_classes_in_sbs_scope} of its {report.n_nace_classes} NACE "
            "classes are covered by regional statistics, so its employment is understated."
        )
    if len(report.overlap_emerging) and report.category_type == "traded":
        top = report.overlap_emerging.iloc[0]
        findings.append(
            f"It shares NACE classes with {len(report.overlap_emerging)} emerging industries, "
            f"most with {top['category_name']} ({int(top['n_shared_classes'])} classes)."
        )
    return findings


def _trend_finding(report: SectorReport) -> str:
    """The category's European growth over the window and its fastest-growing region."""
    if report.window is None or report.trend.empty:
        return ""
    start, end = report.window
    last = report.trend.iloc[-1]
    text = (
        f"From {start} to {end} its employment in the {format_number(last['n_regions'])} "
        "regions with data in every year moved to an index of "
        f"{format_number(last['employment_index'], 1)} ({start} = 100)"
    )
    if report.fastest_growing.empty:
        return text + "."
    top = report.fastest_growing.iloc[0]
    return (
        f"{text}; it grew fastest in {top['region_name']} ({top['region_code']}), "
        f"{format_growth(top['employment_growth_pct'])} a year."
    )


def document(report: SectorReport, store) -> Document:
    """The report as a publication: titled by the category, with its scope and vintage."""
    kind_name = "emerging industry" if report.category_type == "emerging" else "traded category"
    vintage = product_vintage(store, "clusters")
    return Document(
        title=report.category_name,
        kind="Priority sector report",
        subtitle=f"A {kind_name} across NUTS {report.nuts_level} regions, {report.year}",
        running_head=running_head(store, "clusters", report.category_name),
        facts=cluster_report_facts(report.nuts_level, report.year, report.rule_set, vintage),
    )


def publication(
    report: SectorReport, store, maps: dict[str, Figure], downloads: list[Path]
) -> list:
    """Every part of the published report after its title block, in reading order."""
    doc = document(report, store)
    source = source_line(product_sources(store, "clusters")["dataset_code"])
    where = f"{report.category_name}, NUTS {report.nuts_level} regions, {report.year}"
    regions = with_region_label(
        report.view.table.dropna(subset=["employment_persons", "lq"], how="all")
    )
    estimated = regions["has_confidential_cells"].fillna(False).astype(bool)
    parts = [
        doc.title_block(),
        doc.key_findings(key_findings(report)),
        doc.section(
            "Where the category is strong",
            "Regions ranked by stars, then location quotient (LQ), then employment. An LQ "
            "above 1 means the region is more specialised in the category than Europe.",
        ),
        doc.table(
            regions,
            dataclasses.replace(REGIONS_TABLE, max_rows=report.leading_regions.shape[0] or 10),
            title="Leading regions",
            subtitle=where,
            source=source,
            flags={"employment_persons": estimated.map({True: "e", False: ""})},
            full_table="regions (CSV, XLSX)",
        ),
        doc.row(
            doc.figure(
                maps["lq"],
                title=f"{report.category_name}: location quotient by region, {report.year}",
                subtitle=f"NUTS {report.nuts_level} regions (NUTS {STATISTICS_EDITION}); "
                "1 = as specialised as Europe",
                alt=_map_alt(report, "location quotient"),
                source=source,
                data="The values are in the download regions (CSV, XLSX).",
            ),
            doc.figure(
                maps["stars"],
                title=f"{report.category_name}: stars by region, {report.year}",
                subtitle=f"Number of criteria met, {report.rule_set.label or report.star_preset}",
                alt=_map_alt(report, "number of stars"),
                source=source,
                data="The values are in the download regions (CSV, XLSX).",
            ),
        ),
        *_trend_parts(doc, report, source),
        *_composition_parts(doc, report),
        *_concentration_parts(doc, report, source, where),
        *_overlap_parts(doc, report),
        doc.section("Downloads", downloads_text(downloads)),
        doc.methods_and_sources(
            [*report.notes, *report.methods_markdown().split("\n\n")],
            compact_provenance_table(store.provenance, PRODUCT_SOURCES["clusters"]),
            attribution_lines(store.provenance),
        ),
    ]
    return parts


def _trend_parts(doc: Document, report: SectorReport, source: str) -> list:
    """The category's European trend over the window and its fastest-growing regions."""
    if report.window is None:
        return [doc.section("Trend and fastest-growing regions", report.trend_markdown())]
    start, end = report.window
    fastest = _with_stars(report)
    notes = []
    if "is_apportioned" in fastest.columns and fastest["is_apportioned"].fillna(False).any():
        apportioned = fastest["is_apportioned"].astype("boolean").fillna(False).astype(bool)
        notes.append(
            "Apportioned from NUTS 2013 regions by 2011 population (JRC NUTS converter): "
            + ", ".join(fastest.loc[apportioned, "region"].astype("str"))
            + "."
        )
    return [
        doc.section(f"Trend and fastest-growing regions, {start}–{end}", report.trend_markdown()),
        doc.table(
            report.trend,
            TREND_PUBLISHED,
            title=f"{report.category_name}: employment and wages in Europe, {start}–{end}",
            subtitle=f"Constant NUTS {report.nuts_level} regions; index {start} = 100",
            source=source,
        ),
        doc.table(
            fastest,
            FASTEST_PUBLISHED,
            title=f"{report.category_name}: fastest-growing regions, {start}–{end}",
            subtitle=f"Compound annual growth of employment; wages against the category's "
            f"European average (= 100), {end}",
            source=source,
            flags={"employment_persons": eurostat_cell_flags(fastest)},
            notes=notes,
            full_table="fastest growing regions (CSV, XLSX)",
        ),
    ]


def _with_stars(report: SectorReport) -> pd.DataFrame:
    """The fastest-growing regions with their stars as symbols, out of the criteria counted."""
    fastest = report.fastest_growing
    if fastest.empty:
        return fastest
    rated = report.view.table.drop_duplicates("region_code").set_index("region_code")
    out_of = fastest["region_code"].map(rated["stars_out_of"])
    symbols = [
        stars_text(stars, total, unrated=MISSING_CELL)
        for stars, total in zip(fastest["stars"], out_of, strict=True)
    ]
    return with_region_label(fastest).assign(stars_symbols=symbols)


def _composition_parts(doc: Document, report: SectorReport) -> list:
    composition = report.composition
    source = "Source: cluster definitions of the European Cluster Observatory (NACE Rev. 2)."
    return [
        doc.section(
            "What the category is made of",
            f"{report.category_name} is defined by {report.n_nace_classes} NACE Rev. 2 "
            "classes. Regional employment exists only for divisions, so each division's "
            "employment is shared equally among its classes and the category receives the "
            "share of its classes.",
        ),
        doc.table(
            composition.classes,
            CLASSES_PUBLISHED,
            title="NACE classes of the category",
            subtitle=report.category_name,
            source=source,
        ),
        doc.table(
            composition.divisions,
            DIVISIONS_PUBLISHED,
            title="Divisions whose employment is allocated to the category",
            subtitle=report.category_name,
            source=source,
        ),
    ]


def _concentration_parts(doc: Document, report: SectorReport, source: str, where: str) -> list:
    table = report.concentration.table()
    text = [
        format_cell(value, _CONCENTRATION_MEASURES.get(code) or _CONCENTRATION_FORMATS[unit])
        for code, value, unit in zip(
            table["measure_code"], table["value"], table["unit"], strict=True
        )
    ]
    frame = table.assign(measure=table["label"], value_text=text)
    return [
        doc.section(
            "How concentrated the category is",
            "Over the regions whose employment in the category is known: the share of the "
            "largest regions, the Herfindahl index of regional shares (1 divided by it is the "
            "number of equal-sized regions that would give the same concentration) and the Gini "
            "coefficient (0: spread evenly; close to 1: in a few regions).",
        ),
        doc.table(
            frame,
            CONCENTRATION_PUBLISHED,
            title="Concentration across regions",
            subtitle=where,
            source=source,
        ),
    ]


_CONCENTRATION_FORMATS = {
    "number": ColumnLabel("", kind="count"),
    "persons": ColumnLabel("", kind="count"),
    "share": ColumnLabel("", kind="share", decimals=1),
    "index_0_1": ColumnLabel("", kind="number", decimals=2),
}
# measures whose unit alone does not say how to write them
_CONCENTRATION_MEASURES = {
    "herfindahl_index": ColumnLabel("", kind="number", decimals=3),
    "equivalent_regions": ColumnLabel("", kind="number", decimals=1),
}


def _overlap_parts(doc: Document, report: SectorReport) -> list:
    if report.category_type == "traded":
        frame, against = report.overlap_emerging, "emerging industries"
    else:
        frame, against = report.overlap_traded, "traded categories"
    return [
        doc.section(
            f"Overlap with {against}",
            f"The {against} that share NACE classes with {report.category_name}. Shared "
            "classes share employment too, so employment is never added up across them.",
        ),
        doc.table(
            frame,
            dataclasses.replace(
                OVERLAP_PUBLISHED,
                empty_text=f"{report.category_name} shares no NACE class with the {against}.",
            ),
            title=f"{against.capitalize()} sharing NACE classes",
            subtitle=report.category_name,
            source="Source: cluster definitions of the European Cluster Observatory.",
        ),
    ]


def _map_alt(report: SectorReport, measure: str) -> str:
    table = report.leading_regions
    if table.empty:
        return f"Map of Europe's regions: the {measure} of {report.category_name} is not available."
    top = ", ".join(f"{row.region_name} ({row.region_code})" for row in table.head(3).itertuples())
    return (
        f"Map of Europe's NUTS {report.nuts_level} regions shaded by the {measure} of "
        f"{report.category_name} in {report.year}; the highest values are in {top}. Regions "
        "without data are grey."
    )

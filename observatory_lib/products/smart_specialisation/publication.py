"""The smart specialisation report as readers get it, in the house style.

Title block, key findings written from the numbers, then the category space (two figures),
the most related pairs, the regions with the most diversification opportunities (a map and a
table), related and unrelated variety, the alignment of each source of S3 priorities with the
regions' strengths, the downloads, and the methods and sources. Every table is a ``kit.tables``
publication table headed from ``COLUMN_LABELS``; ``publication`` returns the display outputs in
reading order for the notebook's one presenting cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.data.s3_priorities import CZECH_SOURCE, CZECHIA
from observatory_lib.indicators import policy_recipes
from observatory_lib.indicators.policy import BUILDS_ON_STRENGTHS, NOT_MATCHED, RELATED
from observatory_lib.products.kit.display import downloads_text
from observatory_lib.products.kit.document import CALCULATIONS, Document, source_line
from observatory_lib.products.kit.numbers import format_number
from observatory_lib.products.kit.provenance import (
    PRODUCT_SOURCES,
    attribution_lines,
    compact_provenance_table,
    product_vintage,
    running_head,
    select_sources,
)
from observatory_lib.products.kit.tables import TableSpec
from observatory_lib.products.smart_specialisation.figures import SPACE_EXTRA_LINKS, TYPE_LABELS
from observatory_lib.products.smart_specialisation.report import (
    LEVEL,
    PRODUCT,
    Alignment,
    SmartSpecialisationReport,
    alignment_markdown,
    pairs_frame,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TITLE = "Smart specialisation in Europe's regions"
SBS = ["sbs_r_nuts06_r2"]
PAIRS_TABLE = TableSpec(
    columns=(
        "category_name",
        "related_category_name",
        "proximity",
        "n_regions_both",
        "n_regions_each",
        "shares_division",
    ),
    stub="category_name",
)
REGIONS_TABLE = TableSpec(
    columns=(
        "region",
        "n_specialised",
        "n_strong_opportunities",
        "mean_opportunity_density",
        "top_opportunities",
    ),
    stub="region",
)
VARIETY_TABLE = TableSpec(
    columns=(
        "region",
        "related_variety_bits",
        "unrelated_variety_bits",
        "total_variety_bits",
        "n_categories_with_employment",
    ),
    stub="region",
)
GROUPS_TABLE = TableSpec(columns=("technology_group", "traded_categories"), stub="technology_group")
PRIORITIES_TABLE = TableSpec(
    columns=(
        "region",
        "priority_name",
        "nace_divisions",
        "specialised_categories",
        "most_related_category",
        "assessment",
    ),
    empty_text="No priority of this source names NACE divisions or cluster categories.",
)
UNMENTIONED_TABLE = TableSpec(
    columns=("region", "statistics_region", "unmentioned_specialisations"),
    stub="region",
    empty_text="Every specialisation of these regions is covered by one of their priorities.",
)


def document(report: SmartSpecialisationReport, store) -> Document:
    """The report as a publication."""
    n_regions = report.n_reference_regions.get("traded", 0)
    return Document(
        title=TITLE,
        kind="Smart specialisation report",
        subtitle=(
            "Related cluster categories, diversification opportunities and regional S3 "
            f"priorities · NUTS {LEVEL} regions, {report.year}"
        ),
        running_head=running_head(store, PRODUCT, TITLE),
        facts={
            "Regions": f"NUTS {LEVEL} (NUTS {STATISTICS_EDITION} classification); "
            f"{format_number(n_regions)} regions of the European reference set",
            "Data": product_vintage(store, PRODUCT),
        },
    )


def key_findings(report: SmartSpecialisationReport) -> list[str]:
    """Four to six sentences, each written from the report's numbers."""
    findings = [_pair_finding(report, "traded"), _opportunity_finding(report)]
    findings.append(_pair_finding(report, "emerging"))
    variety = report.variety_table
    if len(variety):
        top = variety.iloc[0]
        findings.append(
            f"Related variety (the variety of employment within technology groups) is highest "
            f"in {top['region']}, at {format_number(top['related_variety_bits'], 2)} bits."
        )
    findings.extend(_alignment_finding(section) for section in report.alignments)
    return [finding for finding in findings if finding]


def _pair_finding(report: SmartSpecialisationReport, category_type: str) -> str:
    pairs = pairs_frame(report, category_type)
    if pairs.empty:
        return ""
    top = pairs.iloc[0]
    return (
        f"Among the {TYPE_LABELS[category_type]}, {top['category_name']} and "
        f"{top['related_category_name']} are the most related (proximity "
        f"{format_number(top['proximity'], 2)} on a scale of 0 to 1): "
        f"{format_number(top['n_regions_both'])} regions are specialised in both."
    )


def _opportunity_finding(report: SmartSpecialisationReport) -> str:
    traded = report.traded_summary()
    with_strong = int((traded["n_strong_opportunities"] > 0).sum())
    text = (
        f"{format_number(with_strong)} of {format_number(len(traded))} regions have at least "
        "one traded category in which they are not yet specialised with a relatedness density "
        f"of {policy_recipes.STRONG_DENSITY:g} or more"
    )
    if report.regions_table.empty or with_strong == 0:
        return text + "."
    top = report.regions_table.iloc[0]
    return f"{text}; {top['region']} has the most ({format_number(top['n_strong_opportunities'])})."


def _alignment_finding(section: Alignment) -> str:
    counts = section.counts
    total = sum(counts.values())
    matched = total - counts.get(NOT_MATCHED, 0)
    what = (
        "the Czech regional RIS3 strategies"
        if section.source == CZECHIA
        else f"the file {Path(section.source).name}"
    )
    if matched == 0:
        return f"None of the {format_number(total)} priorities in {what} names a NACE division."
    builds, related = counts.get(BUILDS_ON_STRENGTHS, 0), counts.get(RELATED, 0)
    return (
        f"Of the {format_number(matched)} priorities in {what} that name NACE divisions or "
        f"categories, {format_number(builds)} {'builds' if builds == 1 else 'build'} on a "
        f"specialisation of its region and {format_number(related)} "
        f"{'points' if related == 1 else 'point'} to a related diversification."
    )


def publication(
    report: SmartSpecialisationReport,
    store,
    spaces: dict[str, Figure],
    opportunity_map: Figure,
    downloads: list[Path],
) -> list:
    """Every part of the published report, in reading order."""
    doc = document(report, store)
    selected = select_sources(store.provenance, PRODUCT_SOURCES[PRODUCT])
    return [
        doc.title_block(),
        doc.key_findings(key_findings(report)),
        *_space_parts(doc, report, spaces),
        *_pairs_parts(doc, report),
        *_opportunity_parts(doc, report, opportunity_map),
        *_variety_parts(doc, report),
        *_alignment_parts(doc, report),
        doc.section("Downloads", downloads_text(downloads)),
        doc.methods_and_sources(
            report.methods_paragraphs(),
            compact_provenance_table(store.provenance, PRODUCT_SOURCES[PRODUCT]),
            attribution_lines(selected),
        ),
    ]


def _space_parts(doc: Document, report: SmartSpecialisationReport, spaces: dict) -> list:
    parts = [
        doc.section(
            "The category space",
            "Two cluster categories are related when the same regions tend to be specialised in "
            "both: a region strong in one has much of what the other needs. Each circle is a "
            "category, sized by its European employment; each line a strong link: the maximum "
            "spanning tree of the proximities (which joins every category to the network by its "
            f"strongest path) and the strongest {SPACE_EXTRA_LINKS:.0%} of all links.",
        )
    ]
    for category_type, figure in spaces.items():
        pairs = pairs_frame(report, category_type)
        closest = (
            f"; {pairs.iloc[0]['category_name']} and {pairs.iloc[0]['related_category_name']} "
            "are the most related"
            if len(pairs)
            else ""
        )
        parts.append(
            doc.figure(
                figure,
                title=f"The category space of the {TYPE_LABELS[category_type]}, {report.year}",
                subtitle=(
                    f"Proximity from the specialisations of the NUTS {LEVEL} regions; thicker "
                    "lines: higher proximity; circle area: European employment"
                ),
                alt=(
                    f"Network of the {TYPE_LABELS[category_type]}, each linked to those most "
                    f"often found in the same regions{closest}."
                ),
                source=source_line(SBS),
                data="The proximity of every pair is in the download relatedness proximity.",
            )
        )
    return parts


def _pairs_parts(doc: Document, report: SmartSpecialisationReport) -> list:
    parts = [
        doc.section(
            "The most related pairs",
            "Proximity is the share of the regions specialised in the more common of two "
            "categories that are specialised in both (1: always together). Pairs that share a "
            "NACE division are partly related by definition: regional employment exists only "
            "by division, so their location quotients move together.",
        )
    ]
    for category_type in ("traded", "emerging"):
        parts.append(
            doc.table(
                pairs_frame(report, category_type),
                PAIRS_TABLE,
                title=f"The most related {TYPE_LABELS[category_type]}",
                subtitle=(
                    f"Pairs by proximity (0–1), NUTS {LEVEL} regions of the European reference "
                    f"set, {report.year}; regions specialised in each: the first / the second"
                ),
                source=source_line(SBS),
                notes=["Every pair is in the download relatedness proximity."],
            )
        )
    return parts


def _opportunity_parts(doc: Document, report: SmartSpecialisationReport, figure) -> list:
    strong = f"{policy_recipes.STRONG_DENSITY:g}"
    return [
        doc.section(
            "The regions with the most diversification opportunities",
            "An opportunity is a traded category in which a region is not yet specialised "
            "(location quotient below 1); its relatedness density (0–100) says how much of the "
            "category's related weight the region already holds. A strong opportunity has a "
            f"density of {strong} or more.",
        ),
        doc.figure(
            figure,
            title=f"Strong diversification opportunities by region, {report.year}",
            subtitle=(
                f"Traded categories not yet a specialisation with a relatedness density of "
                f"{strong} or more; NUTS {LEVEL} regions (NUTS {STATISTICS_EDITION})"
            ),
            alt=(
                "Map of Europe's regions shaded by their number of strong diversification "
                "opportunities; regions without location quotients are grey."
            ),
            source=source_line(SBS),
            data="Every region's opportunities are in the download diversification opportunities.",
        ),
        doc.table(
            report.regions_table,
            REGIONS_TABLE,
            title="The regions with the most strong opportunities",
            subtitle=(
                f"Ranked by strong opportunities (density of {strong} or more), then by the mean "
                f"density of all their opportunities; NUTS {LEVEL} regions, {report.year}"
            ),
            source=source_line(SBS),
            notes=[
                "Every region's ranked opportunities are in the download diversification "
                "opportunities."
            ],
        ),
    ]


def _variety_parts(doc: Document, report: SmartSpecialisationReport) -> list:
    return [
        doc.section(
            "Related and unrelated variety",
            "Related variety is the variety of a region's traded employment within technology "
            "groups (knowledge spills over between related industries); unrelated variety is "
            "the variety between them (it spreads risk).",
        ),
        doc.table(
            report.variety_table,
            VARIETY_TABLE,
            title="The regions with the highest related variety",
            subtitle=f"Entropy of traded employment in bits, NUTS {LEVEL} regions, {report.year}",
            source=source_line(SBS),
            notes=["Every region's variety is in the download regional variety."],
        ),
        doc.table(
            report.groups_table,
            GROUPS_TABLE,
            title="The technology groups behind related variety",
            subtitle="Eurostat's high-tech aggregation of manufacturing and services; a "
            "category belongs to the group of most of its NACE classes",
            source=source_line([], calculations=True),
        ),
    ]


def _alignment_parts(doc: Document, report: SmartSpecialisationReport) -> list:
    parts = [
        doc.section(
            "Smart specialisation priorities and regional strengths",
            "For each priority of a regional strategy: the categories it covers in which the "
            "region is specialised (with their location quotient), the most related covered "
            "category in which it is not (with its relatedness density), and an assessment: "
            "*builds on strengths* (at least one covered specialisation), *related "
            f"diversification* (none, but a density of {policy_recipes.STRONG_DENSITY:g} or more), "
            "*weakly related*, or *no category covered* (its NACE divisions hold less than a "
            "quarter of any category's classes, e.g. health care). Then the region's traded "
            "specialisations that no priority covers. Priority names are printed as the source "
            "publishes them.",
        )
    ]
    for section in report.alignments:
        source = _s3_source_line(section)
        parts += [
            doc.subsection(section.title, alignment_markdown(section)),
            doc.table(
                section.priorities_table,
                PRIORITIES_TABLE,
                title=f"{section.title}: alignment with the regions' strengths",
                subtitle=f"Priorities of NUTS 3 or NUTS 2 strategy regions; statistics of "
                f"their NUTS {LEVEL} region, {report.year}",
                source=source,
            ),
            doc.table(
                section.unmentioned_table,
                UNMENTIONED_TABLE,
                title=f"{section.title}: specialisations no priority covers",
                subtitle=f"Traded categories with a location quotient of 1 or more, {report.year}",
                source=source,
            ),
        ]
    return parts


def _s3_source_line(section: Alignment) -> str:
    if section.source == CZECHIA:
        where = CZECH_SOURCE
    else:
        named = section.alignment.priorities.get("source")
        listed = sorted({str(v) for v in named.dropna()}) if named is not None else []
        where = f"S3 priorities supplied by the user ({'; '.join(listed) or 'no source given'})"
    return f"Source: {where}; Eurostat (online data code: {SBS[0]}); {CALCULATIONS}."

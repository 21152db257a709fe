"""The portal's pages, each rendered from its template with what the outputs and the store hold.

``Portal`` gathers once what every page needs (the store's names and summaries through the
recipe layer, the outputs' scorecards, reports and downloads, the map shapes); one function
per page turns it into HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import observatory_lib.products.portal.catalogue as catalogue
import observatory_lib.products.portal.content as content
import observatory_lib.products.portal.svg_maps as svg_maps
from observatory_lib import paths
from observatory_lib.constants import (
    DEFAULT_STAR_PRESET,
    GISCO_ATTRIBUTION,
    MAP_CREDIT,
    MODIFICATION_NOTE,
    STATISTICS_EDITION,
)
from observatory_lib.indicators import recipes
from observatory_lib.indicators.stars import load_star_preset
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.labels import NOT_AVAILABLE
from observatory_lib.products.kit.numbers import format_number
from observatory_lib.products.kit.provenance import (
    PRODUCT_SOURCES,
    attribution_lines,
    compact_provenance_table,
    vintage_line,
)
from observatory_lib.products.portal.dictionary import dictionary, undescribed
from observatory_lib.products.portal.downloads import TITLES

SITE_NAME = "European Cluster Observatory"
TAGLINE = "Clusters, regional ecosystems and scorecards for the regions of Europe"
NAV = (
    ("mapping", "Mapping tool", "mapping-tool.html"),
    ("clusters", "Cluster mapping", "index.html#cluster-mapping"),
    ("scoreboard", "Ecosystem Scoreboard", "index.html#scoreboard"),
    ("scorecards", "Scorecards for regions", "index.html#scorecards"),
    ("policy", "Cluster policy", "index.html#cluster-policy"),
    ("downloads", "Reports and downloads", "downloads.html"),
    ("methodology", "Methodology", "methodology.html"),
    ("sources", "Data sources", "sources.html"),
)
DOWNLOAD_CAPTIONS = {
    "panorama": "Tables of the European Cluster Panorama",
    "scoreboard": "Tables of the Regional Ecosystem Scoreboard",
    "sector_reports": "Tables of each sector report",
    "downloads": "Parquet tables and the GeoJSON map layer",
}
NOT_APPLICABLE = "not applicable"
OVERVIEW_CLASSES = 5
OVERVIEW_PALETTE = "viridis"
REPORT_TEXTS = {
    "panorama": "Where Europe's strongest clusters are: stars per region and country, leaders "
    "per category, emerging industries.",
    "scoreboard": "Regional ecosystems on one index relative to the EU average, by dimension, "
    "with rank intervals.",
}


@dataclass(frozen=True)
class Portal:
    """Everything the pages draw on, gathered once."""

    store: Any
    root: Path
    apps: tuple
    scorecards: pd.DataFrame
    reports: dict
    downloads: list
    categories: list
    summary: Any
    shapes: svg_maps.RegionShapes
    site: dict

    @functools.cached_property
    def by_category(self) -> dict[str, content.Category]:
        """The categories by code."""
        return {c.code: c for c in self.categories}

    @functools.cached_property
    def scorecard_links(self) -> pd.Series:
        """Each region's scorecard page (missing where it has none), by code."""
        return self.scorecards.set_index("region_code")["html"]

    @functools.cached_property
    def leaders(self) -> dict[str, pd.DataFrame]:
        """The Panorama's leading regions by category, linked from a category page."""
        from_category_page = "../" + self.scorecard_links  # missing stays missing
        return content.leader_rows(self.summary, from_category_page)

    @functools.cached_property
    def nace_classes(self) -> dict[str, pd.DataFrame]:
        """Each category's NACE classes with their titles."""
        from observatory_lib.data.cluster_definitions import read_nace_classes

        return content.nace_rows(self.store.cluster_nace_classes, read_nace_classes())


def gather(store, root: Path, apps: Sequence = (), css: str = "") -> Portal:
    """Read what the pages need from the store and the outputs folder."""
    regions = recipes.statistics_regions(store).reset_index(drop=True)
    return Portal(
        store=store,
        root=root,
        apps=tuple(apps),
        scorecards=catalogue.scorecards(root, regions),
        reports=catalogue.reports(root),
        downloads=catalogue.downloads(root, TITLES),
        categories=content.categories(store),
        summary=content.panorama(store),
        shapes=svg_maps.region_shapes(store, 2),
        site=site_info(store, css),
    )


def site_info(store, css: str) -> dict:
    """What the page frame prints: names, navigation, attribution, vintage, version, date."""
    prefixes = dict.fromkeys(PRODUCT_SOURCES["clusters"] + PRODUCT_SOURCES["scoreboard"])
    return {
        "name": SITE_NAME,
        "tagline": TAGLINE,
        "nav": [{"key": key, "label": label, "href": href} for key, label, href in NAV],
        "attribution": attribution_lines(store.provenance),
        "vintage": vintage_line(store.provenance, list(prefixes)),
        "store_version": store.version,
        "edition": STATISTICS_EDITION,
        "built": _date_text(dt.date.today()),
        "map_credit": MAP_CREDIT,
        "css": css,
    }


def _date_text(day: dt.date) -> str:
    """``9 October 2019`` (house style: no comma, no ordinal)."""
    return f"{day.day} {day:%B %Y}"


# --- the index --------------------------------------------------------------------------------


def index_context(portal: Portal) -> dict:
    """The home page: every section, every category by name, every region's scorecard."""
    traded = [c for c in portal.categories if c.type == "traded"]
    emerging = [c for c in portal.categories if c.type == "emerging"]
    groups = content.scorecard_groups(portal.scorecards, content.countries(portal.store))
    n_linked = int(portal.scorecards["html"].notna().sum())
    return {
        "page_title": "Home",
        "current": "home",
        "traded": traded,
        "emerging": emerging,
        "n_categories_traded": len(traded),
        "n_categories_emerging": len(emerging),
        "emerging_table": _emerging_table(portal),
        "cluster_source": _cluster_source(),
        "panorama_report": catalogue.main_report(portal.reports, "panorama"),
        "scoreboard_report": catalogue.main_report(portal.reports, "scoreboard"),
        "scoreboard_downloads": _scoreboard_downloads(portal),
        "groups": groups,
        "n_scorecards_text": format_number(n_linked, 0),
        "map_regions": _link_map_regions(portal),
        "aggregates": _aggregates(portal),
        "shapes": portal.shapes,
        "dot_radius": svg_maps.DOT_RADIUS,
        "no_data_colour": map_styles.NO_DATA_COLOUR,
        "download_summary": _download_summary(portal),
        "eu_label": recipes.EU_LABEL,
    }


def _emerging_table(portal: Portal) -> content.Table | None:
    if portal.summary.emerging.empty:
        return None
    names = recipes.region_names(portal.store, 2)
    return content.emerging_table(portal.summary, portal.by_category, names)


def _cluster_source() -> str:
    from observatory_lib.products.kit.document import source_line

    return source_line(["sbs_r_nuts06_r2"])


def _scoreboard_downloads(portal: Portal) -> list[dict]:
    """The scoreboard's tables in a few words (``dimension scores``), for a sentence."""
    tables = [t for t in portal.downloads if t.product == "scoreboard"]
    return [
        {"title_short": _first_words(catalogue.kind_title(t)), "files": _files(t.files)}
        for t in tables
    ]


def _first_words(title: str) -> str:
    """``Dimension scores, NUTS 2, ...`` -> ``dimension scores``."""
    words = title.split(",")[0].strip()
    return words[:1].lower() + words[1:]


def _link_map_regions(portal: Portal) -> list[dict]:
    table = portal.shapes.table.assign(
        href=portal.shapes.table["region_code"].map(portal.scorecard_links)
    )
    return [
        {
            "code": row["region_code"],
            "label": f"{row['region_name']} ({row['region_code']})",
            "path": row["path"],
            "href": content.link_or_none(row["href"]),
            "dot": None if pd.isna(row["dot_x"]) else (row["dot_x"], row["dot_y"]),
        }
        for row in table.to_dict("records")
        # an aggregate polygon covers its successors: on this map it would take their clicks
        if not row["is_aggregate"] and (row["path"] or content.link_or_none(row["href"]))
    ]


def _aggregates(portal: Portal) -> str:
    """``Közép-Magyarország (HU10), ...``: split regions drawn on no map of links."""
    table = portal.shapes.table.loc[portal.shapes.table["is_aggregate"]]
    return ", ".join(
        f"{n} ({c})" for n, c in zip(table["region_name"], table["region_code"], strict=True)
    )


def _download_summary(portal: Portal) -> list[dict]:
    grouped = catalogue.by_product(portal.downloads)
    summary = []
    for product, (name, _) in catalogue.PRODUCTS.items():
        tables = grouped[product]
        size = sum(f.size for t in tables for f in t.files)
        n_files = sum(len(t.files) for t in tables)
        text = (
            f"{format_number(len(tables), 0)} tables, {format_number(n_files, 0)} files, "
            f"{catalogue.human_size(size)}"
            if tables
            else "not built yet"
        )
        summary.append({"id": f"{product}-downloads", "name": name, "text": text})
    return summary


# --- the mapping tool -----------------------------------------------------------------------


def mapping_context(portal: Portal) -> dict:
    """The mapping-tool page: the apps and the overview map with its table."""
    return {
        "page_title": "Mapping tool",
        "current": "mapping",
        "apps": portal.apps,
        "overview": overview_map(portal),
        "shapes": portal.shapes,
        "dot_radius": svg_maps.DOT_RADIUS,
    }


def overview_map(portal: Portal) -> dict:
    """Starred traded clusters per NUTS-2 region: fills, legend, alt text and the table."""
    by_region = portal.summary.by_region.set_index("region_code")["n_starred_clusters"]
    shapes = portal.shapes.table
    values = shapes["region_code"].map(by_region).astype("Float64")
    classes = map_styles.classify(values, "quantile", OVERVIEW_CLASSES, whole_numbers=True)
    fills = map_styles.fill_colours(values, classes, OVERVIEW_PALETTE)
    has_missing = bool(values.isna().any())
    regions = [
        {
            "path": row.path,
            "fill": fill,
            "label": f"{row.region_name} ({row.region_code}): "
            + format_number(value, 0, missing=NOT_AVAILABLE),
            "dot": None if pd.isna(row.dot_x) else (row.dot_x, row.dot_y),
        }
        for row, value, fill in zip(shapes.itertuples(), values, fills, strict=True)
    ]
    year = portal.summary.year
    return {
        "title": f"Starred traded clusters per NUTS 2 region, {year}",
        "subtitle": _overview_subtitle(),
        "regions": regions,
        "legend_title": "Traded cluster categories with at least one star",
        "legend": map_styles.legend_entries(classes, OVERVIEW_PALETTE, has_missing=has_missing),
        "alt": _overview_alt(shapes, values, year),
        "notes": [
            "No data (grey): the region's clusters could not be rated (its employment total "
            "is not known) or the region has no cluster statistics. No data is not zero."
        ],
        "source": f"{_cluster_source()} {GISCO_ATTRIBUTION}",
        "table": _overview_table(shapes, values, year),
    }


def _overview_subtitle() -> str:
    rules = load_star_preset(DEFAULT_STAR_PRESET)
    return (
        f"Number of traded cluster categories with at least one star; star rule set "
        f"{rules.label or rules.name}; NUTS {STATISTICS_EDITION}"
    )


def _overview_alt(shapes: pd.DataFrame, values: pd.Series, year: int) -> str:
    known = pd.DataFrame(
        {"name": shapes["region_name"], "code": shapes["region_code"], "value": values}
    )
    known = known.dropna(subset=["value"]).sort_values("value", ascending=False, kind="stable")
    top = "; ".join(
        f"{r.name} ({r.code}) {format_number(r.value, 0)}" for r in known.head(3).itertuples()
    )
    low, high = (
        format_number(v, 0, missing=NOT_AVAILABLE)
        for v in (known["value"].min(), known["value"].max())
    )
    return (
        f"Map of the {len(shapes)} NUTS 2 regions of Europe coloured by their number of starred "
        f"traded clusters in {year}, from {low} to {high}. Most: {top or NOT_AVAILABLE}. "
        f"{int(values.isna().sum())} regions have no data. The table below lists every region."
    )


def _overview_table(shapes: pd.DataFrame, values: pd.Series, year: int) -> content.Table:
    frame = pd.DataFrame(
        {
            "region": shapes["region_name"] + " (" + shapes["region_code"] + ")",
            "country_code": shapes["country_code"],
            "n_starred_clusters": values,
        }
    ).sort_values("region", key=lambda s: s.str.casefold(), ignore_index=True)
    return content.table(
        frame,
        ["region", "country_code", "n_starred_clusters"],
        f"Starred traded clusters per NUTS 2 region, {year}",
    )


# --- categories ---------------------------------------------------------------------------------


def category_context(portal: Portal, category: content.Category) -> dict:
    """A category's page: definition, key numbers, leaders, report, NACE classes, downloads."""
    report = portal.reports.get("sector_reports", {}).get(category.code)
    record = content.sector_record(portal.root, report)
    tables = [t for t in portal.downloads if t.category_code == category.code]
    year = portal.summary.year
    return {
        "page_title": category.link_text,  # two pages share a name, never a title
        "current": "clusters",
        "category": category,
        "definition": content.category_definition(category),
        "facts": content.category_facts(category, record),
        "has_record": bool(record),
        "year": year,
        "rule_set": DEFAULT_STAR_PRESET,
        "leaders": content.leaders_table(category, portal.leaders.get(category.code), year),
        "source": _cluster_source(),
        "report": report,
        "nace": content.nace_table(category, portal.nace_classes.get(category.code)),
        "downloads": content.download_rows(tables, "../"),
    }


# --- downloads ------------------------------------------------------------------------------------


def downloads_context(portal: Portal) -> dict:
    """Reports and downloads: reports, tables by product, and the data dictionaries."""
    grouped = catalogue.by_product(portal.downloads)
    groups = [_download_group(product, grouped[product]) for product in catalogue.PRODUCTS]
    dictionaries = _dictionaries(portal.downloads)
    return {
        "page_title": "Reports and downloads",
        "current": "downloads",
        "reports": _report_rows(portal),
        "sector_reports": _sector_report_rows(portal),
        "groups": groups,
        "dictionaries": dictionaries,
        "n_undescribed": sum(
            len(undescribed([e.column for e in d["entries"]])) for d in dictionaries
        ),
    }


def _download_group(product: str, tables: list) -> dict:
    """One product's tables; a sector table once for all categories (its files are on the
    category pages)."""
    name, text = catalogue.PRODUCTS[product]
    per_category = product == "sector_reports"
    if per_category:
        tables = _one_per_kind(tables)  # the same columns in every category's files
    rows = content.download_rows(tables, "")
    if per_category:
        for row, table in zip(rows, tables, strict=True):
            row["files"] = []
            row["per_category"] = f"one per category, on its page ({table.format_text})"
    return {
        "id": f"{product}-downloads",
        "name": name,
        "text": text,
        "rows": rows,
        "caption": DOWNLOAD_CAPTIONS[product],
        "empty": f"The {name} tables have not been built yet.",
    }


def _one_per_kind(tables: list) -> list:
    """The first table of each kind (one data dictionary each)."""
    seen: dict[str, Any] = {}
    for table in tables:
        seen.setdefault(table.dictionary_id, table)
    return list(seen.values())


def _report_rows(portal: Portal) -> list[dict]:
    rows = []
    for product in ("panorama", "scoreboard"):
        report = catalogue.main_report(portal.reports, product)
        rows.append(
            {
                "name": catalogue.PRODUCTS[product][0],
                "text": REPORT_TEXTS[product],
                "href": None,
                "totals": [],
                "files": _files(report.files if report else ()),
            }
        )
    totals = catalogue.scorecard_files(portal.root, portal.scorecards)
    rows.append(
        {
            "name": "Scorecards for regions",
            "text": "A region's clusters, ecosystem and key facts against its peers and the "
            "EU; listed by country on the home page.",
            "href": "index.html#scorecards",
            "totals": [
                f"{fmt.upper()}: {format_number(n, 0)} files, {catalogue.human_size(size)}"
                for fmt, (n, size) in totals.items()
                if n
            ],
            "files": [],
        }
    )
    return rows


def _sector_report_rows(portal: Portal) -> list[dict]:
    sectors = portal.reports.get("sector_reports", {})
    rows = []
    for category in portal.categories:
        report = sectors.get(category.code)
        rows.append(
            {
                "name": category.link_text,
                "href": category.href,
                "type": category.type_name,
                "files": _files(report.files if report else ()),
            }
        )
    return rows


def _files(files) -> list[dict]:
    return [{"href": f.href, "format": f.format, "size": f.size_text} for f in files]


def _dictionaries(tables: list) -> list[dict]:
    result = []
    for table in _one_per_kind(tables):
        applies = "one file per category" if table.category_code else ""
        title = catalogue.kind_title(table)
        result.append(
            {
                "id": table.dictionary_id,
                "title": title,
                "applies": applies,
                "entries": dictionary(list(table.columns)),
            }
        )
    return result


# --- sources, methodology, accessibility ---------------------------------------------------------


def sources_context(portal: Portal) -> dict:
    """Data sources and attribution: one row per dataset, and the attribution lines."""
    provenance = portal.store.provenance
    inputs = provenance.loc[~provenance["source_code"].str.endswith("_meta")]
    table = compact_provenance_table(inputs)
    table = table.assign(
        dataset=table["title"],
        # an input's own id (a GISCO layer, the category definitions) is not a code to look up
        online_data_code=table["dataset_code"]
        .str.replace(",", ", ")
        .where(table["has_dataset_code"], NOT_APPLICABLE),
        nuts_editions=table["nuts_edition"].replace("", NOT_AVAILABLE),
    )
    datasets = content.table(
        table,
        ["dataset", "online_data_code", "provider", "vintage", "nuts_editions"],
        "Datasets used by the observatory",
    )
    return {
        "page_title": "Data sources and attribution",
        "current": "sources",
        "datasets": datasets,
        "modification": MODIFICATION_NOTE,
    }


def methodology_context() -> dict:
    """docs/METHODOLOGY.md as the page's body (its tables given header scopes)."""
    import mistune

    body = mistune.html((paths.DOCS_DIR / "METHODOLOGY.md").read_text(encoding="utf-8"))
    body = re.sub(r"<th(?=[\s>])", '<th scope="col"', body)
    parts = body.split("<table>")
    body = parts[0] + "".join(
        f'<div class="table-wrap" role="region" aria-label="Table {n}" tabindex="0"><table>{part}'
        for n, part in enumerate(parts[1:], start=1)
    )
    body = body.replace("</table>", "</table></div>")
    return {"page_title": "Methodology", "current": "methodology", "body": body}


def accessibility_context(portal: Portal) -> dict:
    """The accessibility statement, naming the regions drawn with a dot."""
    dotted = portal.shapes.table.loc[portal.shapes.table["dot_x"].notna()]
    names = [
        f"{n} ({c})" for n, c in zip(dotted["region_name"], dotted["region_code"], strict=True)
    ]
    return {
        "page_title": "Accessibility statement",
        "current": "accessibility",
        "small_regions": ", ".join(names),
    }

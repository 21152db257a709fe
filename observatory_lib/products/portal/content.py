"""What the portal's pages say, from the store (through the recipe layer) and the outputs.

Every number comes from ``indicators.recipes`` or from a product's published record (the
sector reports' headline numbers); the portal counts files and rows, nothing else. Values
are written in the house style (``kit.numbers``); a missing one reads "not available".
"""

from __future__ import annotations

import json
import unicodedata
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR
from observatory_lib.indicators import recipes
from observatory_lib.products.kit import links
from observatory_lib.products.kit.labels import NOT_AVAILABLE, ColumnLabel, stars_text
from observatory_lib.products.kit.numbers import format_cell, format_number, format_share
from observatory_lib.products.portal.catalogue import DownloadTable, Report
from observatory_lib.products.portal.countries import country_table
from observatory_lib.products.portal.dictionary import column_label, header_for

CATEGORIES_DIR = "categories"
TYPE_NAMES = {"traded": "Traded cluster category", "emerging": "Emerging industry"}


@dataclass(frozen=True)
class Cell:
    """One table cell: text, an optional link, and whether it is a number (right-aligned)."""

    text: str
    href: str | None = None
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """A table as the templates draw it: caption, headers (with whether numeric), rows."""

    caption: str
    headers: tuple[tuple[str, bool], ...]
    rows: tuple[tuple[Cell, ...], ...]


def cell(value: Any, column: str, href: str | None = None) -> Cell:
    """``value`` of ``column`` written as the label table says; missing: "not available"."""
    label = _label(column)
    text = format_cell(value, label, missing=NOT_AVAILABLE)
    return Cell(text, href, numeric=is_numeric(label))


def is_numeric(label: ColumnLabel) -> bool:
    """Whether a column's cells are numbers, aligned right (``formatted`` ones included)."""
    return label.kind not in ("text", "code", "flag", "stars")


def _label(column: str) -> ColumnLabel:
    found = column_label(column)
    if found is None:
        raise KeyError(f"Column {column!r} has no label; add it to the portal's dictionary.")
    return found[0]


def table(
    frame: pd.DataFrame, columns: list[str], caption: str, *, links_from: dict | None = None
) -> Table:
    """A ``Table`` of ``frame[columns]``, headers from the label table; ``links_from`` maps a
    column to the column holding its cells' links."""
    links_from = links_from or {}
    headers = tuple((header_for(c), is_numeric(_label(c))) for c in columns)
    rows = tuple(
        tuple(cell(record[c], c, link_or_none(record.get(links_from.get(c, "")))) for c in columns)
        for record in frame.to_dict("records")
    )
    return Table(caption=caption, headers=headers, rows=rows)


def link_or_none(value: Any) -> str | None:
    """A link as text, or None where there is none (a missing value)."""
    return None if value is None or pd.isna(value) else str(value)


def search_text(*parts: Any) -> str:
    """Lower-case text without accents, for the search box: ``Île-de-France`` ->
    ``ile-de-france``, as the page's script normalises what is typed (``toLowerCase``); a
    name that folds further (``Gießen``) is there in both forms, so ``giessen`` finds it."""
    text = " ".join(str(part) for part in parts if part is not None and not pd.isna(part))
    lower, folded = _unaccented(text.lower()), _unaccented(text.casefold())
    return lower if lower == folded else f"{lower} {folded}"


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# --- regions and scorecards -----------------------------------------------------------------


@dataclass(frozen=True)
class CountryGroup:
    """The scorecards of one country."""

    code: str
    name: str
    local_name: str
    regions: tuple[dict, ...]

    @property
    def heading(self) -> str:
        """``Germany (Deutschland, DE)``; the own-language name only where it differs."""
        if self.local_name and self.local_name != self.name:
            return f"{self.name} ({self.local_name}, {self.code})"
        return f"{self.name} ({self.code})"


def countries(store) -> pd.DataFrame:
    """English and own-language country names in protocol order (``countries.country_table``)."""
    return country_table(recipes.country_names(store))


def scorecard_groups(table: pd.DataFrame, country_names: pd.DataFrame) -> list[CountryGroup]:
    """The scorecards by country, countries in protocol order, regions by code."""
    merged = table.merge(country_names, on="country_code", how="left")
    merged = merged.assign(
        country_name=merged["country_name"].fillna(merged["country_code"]),
        local_name=merged["local_name"].fillna(""),
        order=merged["order"].fillna(len(country_names) + 1),
    ).sort_values(["order", "country_code", "region_code"], ignore_index=True)
    groups = []
    for code, rows in merged.groupby("country_code", sort=False):
        first = rows.iloc[0]
        regions = tuple(
            {
                "code": row["region_code"],
                "name": row["region_name"],
                "html": link_or_none(row["html"]),
                "pdf": link_or_none(row["pdf"]),
                "json": link_or_none(row["json"]),
                "search": search_text(
                    row["region_name"],
                    row["region_code"],
                    first["country_name"],
                    first["local_name"],
                    code,
                ),
            }
            for row in rows.to_dict("records")
        )
        groups.append(CountryGroup(str(code), first["country_name"], first["local_name"], regions))
    return groups


# --- categories -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One cluster category as the portal shows it."""

    code: str
    name: str
    type: str
    link_text: str
    n_classes: int
    n_classes_in_scope: int

    @property
    def href(self) -> str:
        """The category page, from the outputs folder."""
        return f"{CATEGORIES_DIR}/{urllib.parse.quote(self.code)}.html"

    @property
    def type_name(self) -> str:
        """``Traded cluster category`` or ``Emerging industry``."""
        return TYPE_NAMES.get(self.type, self.type)


def categories(store) -> list[Category]:
    """The categories, traded first, each by name.

    Two emerging industries share their name with a traded category (Biopharmaceuticals,
    Medical Devices): their link text says "(emerging industry)" so every link reads apart.
    """
    table = store.cluster_categories.sort_values(
        ["category_type", "category_name"], key=_traded_first, ignore_index=True
    )
    repeated = table["category_name"].duplicated(keep=False)
    result = []
    for row, is_repeated in zip(table.to_dict("records"), repeated, strict=True):
        name = str(row["category_name"])
        text = (
            f"{name} (emerging industry)"
            if is_repeated and row["category_type"] == "emerging"
            else name
        )
        result.append(
            Category(
                code=str(row["category_code"]),
                name=name,
                type=str(row["category_type"]),
                link_text=text,
                n_classes=int(row["n_nace_classes"]),
                n_classes_in_scope=int(row["n_nace_classes_in_sbs_scope"]),
            )
        )
    return result


def _traded_first(column: pd.Series) -> pd.Series:
    if column.name == "category_type":
        return column.map({"traded": 0, "emerging": 1}).fillna(2)
    return column.str.casefold()


def panorama(store):
    """The Panorama's summary (starred clusters per region, leaders, emerging industries)."""
    return recipes.panorama_summary(store, 2, DEFAULT_STAR_PRESET, year=DEFAULT_YEAR)


def sector_record(output_root: Path, report: Report | None) -> dict:
    """The headline numbers a sector report published (its JSON twin), or an empty dict."""
    if report is None:
        return {}
    path = output_root / links.REPORTS_DIR / "sector_reports" / report.job / f"{report.job}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("record", {}) or {}
    except (OSError, ValueError):
        return {}


def category_facts(category: Category, record: dict) -> list[tuple[str, str]]:
    """Label and value of the headline numbers (from the sector report's record)."""

    def number(key: str, decimals: int = 0) -> str:
        return format_number(record.get(key), decimals, missing=NOT_AVAILABLE)

    year = record.get("year", DEFAULT_YEAR)
    top_n = record.get("top_n")
    facts = [
        (f"Employment, {year} (persons)", number("employment_persons")),
        ("Regions with data", number("n_regions_with_data")),
        ("Regions with at least one star", number("n_starred_regions")),
        (
            f"Share of the {top_n or 'largest'} largest regions",
            format_share(record.get("top_n_share"), 1, missing=NOT_AVAILABLE),
        ),
        (
            "NACE classes (covered by regional statistics)",
            f"{category.n_classes} ({category.n_classes_in_scope})",
        ),
    ]
    return facts


def category_definition(category: Category) -> list[str]:
    """Two or three sentences that define the category, from its NACE classes."""
    if category.type == "emerging":
        opening = (
            f"{category.name} is one of the emerging industries of the European Cluster "
            "Observatory: a cross-sectoral group of activities with growth potential, which "
            "overlaps the traded cluster categories."
        )
    else:
        opening = (
            f"{category.name} is one of the traded cluster categories of the European Cluster "
            "Observatory: industries that sell beyond their region and tend to locate close "
            "to each other."
        )
    scope = (
        f"It is defined by {category.n_classes} NACE Rev. 2 classes, "
        f"{category.n_classes_in_scope} of them covered by the regional structural business "
        "statistics the observatory uses."
    )
    if category.n_classes_in_scope == 0:
        scope += " Its regional employment, location quotients and stars are not available."
    elif category.n_classes_in_scope < category.n_classes:
        scope += " Its employment is understated by the classes outside that scope."
    return [opening, scope]


def nace_rows(classes: pd.DataFrame, nace: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each category's NACE classes with their titles, by category code."""
    rows = classes[["category_code", "nace_class", "nace_code"]].merge(
        nace[["nace_class", "title"]], on="nace_class", how="left"
    )
    rows = rows.sort_values(["category_code", "nace_class"], ignore_index=True)
    return {str(code): group for code, group in rows.groupby("category_code", sort=False)}


def nace_table(category: Category, rows: pd.DataFrame | None) -> Table:
    """The category's NACE classes with their titles."""
    rows = rows if rows is not None else pd.DataFrame(columns=["nace_class", "title", "nace_code"])
    return table(rows, ["nace_class", "title", "nace_code"], f"NACE classes of {category.name}")


def leader_rows(summary, scorecard_links: pd.Series) -> dict[str, pd.DataFrame]:
    """The Panorama's leading regions of each category, by category code, with each region's
    name and code (``region``), its stars as symbols and its scorecard link (``href``)."""
    rows = summary.leaders.assign(
        region=summary.leaders["region_name"] + " (" + summary.leaders["region_code"] + ")",
        href=summary.leaders["region_code"].map(scorecard_links),
        stars_symbols=[
            stars_text(stars, out_of)
            for stars, out_of in zip(
                summary.leaders["stars"], summary.leaders["stars_out_of"], strict=True
            )
        ],
    )
    return {str(code): group for code, group in rows.groupby("category_code", sort=False)}


def leaders_table(category: Category, rows: pd.DataFrame | None, year: int) -> Table:
    """The category's leading regions (stars, then LQ, then employment)."""
    columns = ["rank_in_category", "region", "stars_symbols", "employment_persons", "lq"]
    rows = rows if rows is not None else pd.DataFrame(columns=[*columns, "href"])
    return table(
        rows,
        columns,
        f"Leading regions in {category.name}, {year}",
        links_from={"region": "href"},
    )


def emerging_table(summary, by_code: dict[str, Category], names: pd.DataFrame) -> Table:
    """The emerging industries as the Panorama summarises them."""
    rows = summary.emerging.copy()
    rows["category"] = rows["category_code"].map(
        lambda c: by_code[c].link_text if c in by_code else c
    )
    rows["href"] = rows["category_code"].map(lambda c: by_code[c].href if c in by_code else None)
    named = names.set_index("region_code")["region_name"]
    rows["leading_region"] = (
        rows["leading_region_code"].map(named).fillna("") + " (" + rows["leading_region_code"] + ")"
    ).where(rows["leading_region_code"].notna())
    columns = [
        "category",
        "n_regions_rated",
        "n_starred_regions",
        "employment_persons",
        "leading_region",
        "leading_region_stars",
    ]
    return table(
        rows,
        columns,
        f"Emerging industries, NUTS 2 regions, {summary.year}",
        links_from={"category": "href"},
    )


def download_rows(tables: list[DownloadTable], root: str) -> list[dict]:
    """The rows of a download list: description, files with sizes, rows, dictionary link."""
    from observatory_lib.products.portal.catalogue import kind_title

    return [
        {
            "title": kind_title(t),
            "files": [
                {"href": root + f.href, "format": f.format, "size": f.size_text} for f in t.files
            ],
            "rows": format_number(t.rows, 0, missing=NOT_AVAILABLE),
            "columns": len(t.columns),
            "dictionary": f"{root}downloads.html#{t.dictionary_id}",
        }
        for t in tables
    ]

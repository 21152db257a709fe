"""What the outputs folder holds now: scorecards, reports and downloads, described for readers.

The portal links only what exists. Scorecards come from the batch's ``scorecards/manifest.json``
(jobs that finished, ``ok`` or ``skipped`` as up to date, whose file is on disk); reports from
``reports/<product>/<job>/<job>.{html,pdf}``; downloads from the folders the notebooks write
beside them (``panorama/``, ``scoreboard/``, ``sector_reports/<category>/``) and the portal's own
``downloads/``. Each download table gets its title, formats, sizes, row count and columns, read
cheaply: the CSV's comment and header lines and a count of its lines (its XLSX twin holds the
same table), the Parquet footer (pyarrow metadata), the GeoJSON's feature list.
"""

from __future__ import annotations

import csv
import json
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from observatory_lib.products.kit import links
from observatory_lib.products.kit.numbers import NBSP, format_number

MANIFEST = "manifest.json"
FINISHED = ("ok", "skipped")
SCORECARD_FORMATS = ("html", "pdf", "json")

# The products whose tables the portal lists, in reading order: folder -> (name, what).
PRODUCTS = {
    "panorama": (
        "European Cluster Panorama",
        "Every regional cluster rated with stars, starred clusters per region and country, "
        "the leading regions of each category, the emerging industries and how the stars "
        "react to other cut-offs.",
    ),
    "scoreboard": (
        "Regional Ecosystem Scoreboard",
        "The overall index with rank intervals, the dimension and indicator scores, and the "
        "values taken from an earlier year.",
    ),
    "sector_reports": (
        "Sector reports",
        "For each cluster category: its regions ranked, its NACE classes and divisions, its "
        "concentration across regions and its overlap with other categories. One set of "
        "files per category, listed on the category's page.",
    ),
    "downloads": (
        "Machine-readable data",
        "Parquet tables for analysts and a GeoJSON layer for maps and GIS.",
    ),
}
REPORT_PRODUCTS = {"panorama": "cluster_panorama", "scoreboard": "ecosystem_scoreboard"}
FORMAT_NAMES = {
    ".csv": "CSV",
    ".xlsx": "XLSX",
    ".parquet": "Parquet",
    ".geojson": "GeoJSON",
    ".html": "HTML",
    ".pdf": "PDF",
    ".json": "JSON",
}
TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".geojson")


@dataclass(frozen=True)
class FileLink:
    """One published file: its link from the outputs folder, format and size in bytes."""

    href: str
    format: str
    size: int

    @property
    def size_text(self) -> str:
        """The size in human units: ``12.5 kB``."""
        return human_size(self.size)


@dataclass(frozen=True)
class DownloadTable:
    """One downloadable table, in one or more formats."""

    product: str
    stem: str
    title: str
    files: tuple[FileLink, ...]
    rows: int | None
    columns: tuple[str, ...]
    category_code: str | None = None

    @property
    def dictionary_id(self) -> str:
        """The anchor of this table's data dictionary on the downloads page."""
        return f"dictionary-{self.product}-{self.stem}"

    @property
    def format_text(self) -> str:
        """``CSV, XLSX``."""
        return ", ".join(file.format for file in self.files)


@dataclass(frozen=True)
class Report:
    """A report of the batch: its HTML page and PDF, when built."""

    product: str
    job: str
    files: tuple[FileLink, ...] = field(default=())

    def file(self, fmt: str) -> FileLink | None:
        """The file of format ``fmt`` (``HTML``, ``PDF``), or None."""
        return next((f for f in self.files if f.format == fmt), None)


def human_size(size: int | None) -> str:
    """``850 bytes``, ``12.5 kB``, ``3.4 MB`` (SI units, a non-breaking space)."""
    if size is None:
        return "not available"
    if size < 1000:
        return f"{size}{NBSP}bytes"
    for unit, factor in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        value = size / factor
        if value < 1000 or unit == "GB":
            return f"{format_number(value, 0 if value >= 100 else 1)}{NBSP}{unit}"
    raise AssertionError("unreachable")


def _link(root: Path, path: Path) -> FileLink:
    relative = path.relative_to(root).as_posix()
    return FileLink(
        href=urllib.parse.quote(relative),
        format=FORMAT_NAMES.get(path.suffix, path.suffix.lstrip(".").upper()),
        size=path.stat().st_size,
    )


# --- scorecards ----------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, dict]:
    """The jobs of a batch folder's ``manifest.json`` (empty when there is none)."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("jobs", {})


def scorecards(output_root: Path, regions: pd.DataFrame) -> pd.DataFrame:
    """Every region the scorecard batch ran, with its name and the links that exist.

    Args:
        output_root: the outputs folder.
        regions: ``region_code, region_name, country_code`` (the statistics' regions).

    Returns:
        ``region_code, region_name, country_code, status, html, pdf, json`` sorted by code;
        a link is missing where the job did not finish or the file is not on disk.
    """
    jobs = read_manifest(output_root / links.SCORECARDS_DIR)
    frame = pd.DataFrame(
        {
            "region_code": pd.Series(list(jobs), dtype="str"),
            "status": pd.Series([str(job.get("status", "")) for job in jobs.values()], dtype="str"),
        }
    )
    names = regions[["region_code", "region_name", "country_code"]].drop_duplicates("region_code")
    frame = frame.merge(names.reset_index(drop=True), on="region_code", how="left")
    frame = frame.assign(
        region_name=frame["region_name"].fillna(frame["region_code"]),
        country_code=frame["country_code"].fillna(frame["region_code"].str[:2]),
    )
    finished = frame["status"].isin(FINISHED)
    for fmt in SCORECARD_FORMATS:
        hrefs = frame["region_code"].map(lambda code, fmt=fmt: links.scorecard_path(code, fmt))
        on_disk = [
            bool(ok) and (output_root / urllib.parse.unquote(href)).is_file()
            for ok, href in zip(finished, hrefs, strict=True)
        ]
        frame[fmt] = hrefs.where(pd.Series(on_disk, index=frame.index))
    return frame.sort_values("region_code", ignore_index=True)


def scorecard_files(output_root: Path, table: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per scorecard format: how many files and their total size in bytes."""
    totals = {}
    for fmt in SCORECARD_FORMATS:
        hrefs = table[fmt].dropna()
        sizes = [(output_root / urllib.parse.unquote(h)).stat().st_size for h in hrefs]
        totals[fmt] = (len(sizes), sum(sizes))
    return totals


# --- reports -------------------------------------------------------------------------------


def reports(output_root: Path) -> dict[str, dict[str, Report]]:
    """The built reports per product (``panorama``, ``scoreboard``, ``sector_reports``), by job."""
    found: dict[str, dict[str, Report]] = {}
    for product in ("panorama", "scoreboard", "sector_reports"):
        folder = output_root / links.REPORTS_DIR / product
        jobs = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        found[product] = {}
        for job in jobs:
            files = tuple(
                _link(output_root, path)
                for path in (job / f"{job.name}.html", job / f"{job.name}.pdf")
                if path.is_file()
            )
            if files:
                found[product][job.name] = Report(product, job.name, files)
    return found


def main_report(found: dict[str, dict[str, Report]], product: str) -> Report | None:
    """The Panorama's or the scoreboard's report, when built."""
    return found.get(product, {}).get(REPORT_PRODUCTS.get(product, ""))


# --- downloads -----------------------------------------------------------------------------


def downloads(output_root: Path, titles: dict[str, str] | None = None) -> list[DownloadTable]:
    """Every downloadable table under the outputs, grouped by product then by name.

    Args:
        output_root: the outputs folder.
        titles: one-line titles of files that carry none (Parquet, GeoJSON), by file stem.
    """
    tables = []
    for product in PRODUCTS:
        folder = output_root / product
        if not folder.is_dir():
            continue
        if product == "sector_reports":
            for category in sorted(p for p in folder.iterdir() if p.is_dir()):
                tables += _tables(output_root, category, product, titles, category.name)
        else:
            tables += _tables(output_root, folder, product, titles)
    return tables


def _tables(
    root: Path,
    folder: Path,
    product: str,
    titles: dict[str, str] | None,
    category: str | None = None,
) -> list[DownloadTable]:
    files = sorted(
        p for p in folder.iterdir() if p.suffix in TABLE_SUFFIXES and not p.name.startswith(".")
    )
    by_stem: dict[str, list[Path]] = {}
    for path in files:
        by_stem.setdefault(path.stem, []).append(path)
    tables = []
    for stem, paths in by_stem.items():
        ordered = sorted(paths, key=lambda p: TABLE_SUFFIXES.index(p.suffix))
        title, columns, rows = table_facts(ordered[0])
        tables.append(
            DownloadTable(
                product=product,
                stem=stem,
                title=title or (titles or {}).get(stem, stem.replace("_", " ").capitalize()),
                files=tuple(_link(root, p) for p in ordered),
                rows=rows,
                columns=tuple(columns),
                category_code=category,
            )
        )
    return tables


def table_facts(path: Path) -> tuple[str, list[str], int | None]:
    """``(title, columns, rows)`` of a table file, read without loading the table."""
    readers = {
        ".csv": _csv_facts,
        ".parquet": _parquet_facts,
        ".geojson": _geojson_facts,
        ".xlsx": _xlsx_facts,
    }
    return readers[path.suffix](path)


def _csv_facts(path: Path) -> tuple[str, list[str], int | None]:
    # The workbook's CSVs: a BOM, "# key: value" lines, the header, one line per row (no
    # field holds a line break: titles and notes are written on one line).
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    title, header, n_comments = "", [], 0
    for raw in data[: 64 * 1024].splitlines():
        line = raw.decode("utf-8")
        if line.startswith("#"):
            n_comments += 1
            key, _, value = line.lstrip("# ").partition(":")
            title = value.strip() if key.strip() == "title" and not title else title
            continue
        header = next(csv.reader([line]))
        break
    rows = max(lines - n_comments - 1, 0) if header else None
    return title, header, rows


def _parquet_facts(path: Path) -> tuple[str, list[str], int | None]:
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    return "", list(metadata.schema.to_arrow_schema().names), int(metadata.num_rows)


def _geojson_facts(path: Path) -> tuple[str, list[str], int | None]:
    features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    columns = [*features[0].get("properties", {}), "geometry"] if features else []
    return "", columns, len(features)


def _xlsx_facts(path: Path) -> tuple[str, list[str], int | None]:
    # only for a workbook without its CSV twin (the twin is cheaper to count)
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book["table"] if "table" in book.sheetnames else book.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header = next(rows_iter, ())
        # an unsized sheet (written in one stream) says nothing of its length: count it
        rows = sheet.max_row - 1 if sheet.max_row else sum(1 for _ in rows_iter)
    finally:
        book.close()
    return "", [str(c) for c in header if c is not None], rows


def by_product(tables: Iterable[DownloadTable]) -> dict[str, list[DownloadTable]]:
    """The tables grouped by product, in ``PRODUCTS`` order."""
    grouped: dict[str, list[DownloadTable]] = {product: [] for product in PRODUCTS}
    for table in tables:
        grouped[table.product].append(table)
    return grouped


def kind_title(table: DownloadTable) -> str:
    """A table's title without what its group already says: a sector table's category
    (``Regions ranked by stars, ...``), the scoreboard's name (``Dimension scores, ...``)."""
    text = table.title
    if table.category_code is not None:
        text = text.partition(": ")[2] or text
    name = PRODUCTS[table.product][0]
    if table.product == "scoreboard" and text.startswith(f"{name}, "):
        text = text.removeprefix(f"{name}, ")
    return text[:1].upper() + text[1:]

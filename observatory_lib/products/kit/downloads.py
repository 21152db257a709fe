"""Downloadable tables: CSV for Excel and XLSX, each carrying its title, sources and attribution.

The CSV is UTF-8 with a byte-order mark (so Excel detects the encoding), and starts with
``# `` comment lines (title, sources, attribution) before the header; ``read_csv_table``
reads it back (or skip the leading ``#`` lines in any reader). The XLSX holds the table on a
``table`` sheet and the same metadata on a ``provenance`` sheet. Missing values are empty
cells, never 0. Both files are written to a temporary file in the target directory and then
moved into place, so a reader never sees a half-written file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from observatory_lib import __version__, paths
from observatory_lib.constants import DOWNLOAD_ATTRIBUTION
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.files import atomic_path

FORMATS = ("csv", "xlsx")
TABLE_SHEET = "table"
PROVENANCE_SHEET = "provenance"
DEFAULT_ATTRIBUTION = DOWNLOAD_ATTRIBUTION

SourceLike = str | Mapping[str, Any]


def write_table(
    frame: pd.DataFrame,
    path_stem: str | os.PathLike[str],
    *,
    title: str,
    sources: pd.DataFrame | Iterable[SourceLike],
    attribution: str | Sequence[str] = DEFAULT_ATTRIBUTION,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write ``frame`` as CSV and/or XLSX with its provenance; return the written paths.

    Args:
        frame: the table to publish.
        path_stem: target path without suffix; a relative stem is placed under
            ``paths.output_dir()``. Parent directories are created.
        title: one-line title written first.
        sources: the inputs, as strings or mappings with ``dataset_code``, ``title``,
            ``vintage`` and ``nuts_edition`` (e.g. rows of the store's ``provenance`` table).
        attribution: attribution lines; the default says "Source: Eurostat", credits
            EuroGeographics for the boundaries and states that the data were modified.
        formats: any of ``csv`` and ``xlsx``.

    Returns:
        The written paths, in the order of ``formats``.

    Raises:
        UnknownCodeError: an unknown format.
        ObservatoryError: an empty title, sources or attribution.
    """
    chosen = _checked_formats(formats)
    metadata = _metadata(title, sources, attribution)
    stem = Path(path_stem)
    if not stem.is_absolute():
        stem = paths.output_dir() / stem
    stem.parent.mkdir(parents=True, exist_ok=True)
    writers = {"csv": _write_csv, "xlsx": _write_xlsx}
    written = []
    for file_format in chosen:
        target = stem.with_name(f"{stem.name}.{file_format}")
        writers[file_format](frame, target, metadata)
        written.append(target)
    return written


def read_csv_table(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Read a CSV written by ``write_table``: the table and its metadata lines by field."""
    metadata: dict[str, list[str]] = {}
    with open(path, encoding="utf-8-sig") as stream:
        n_comment_lines = 0
        for line in stream:
            if not line.startswith("# "):
                break
            field, _, value = line[2:].rstrip("\n").partition(": ")
            metadata.setdefault(field, []).append(value)
            n_comment_lines += 1
    table = pd.read_csv(path, encoding="utf-8-sig", skiprows=n_comment_lines)
    return table, metadata


def format_source(source: SourceLike) -> str:
    """Render one source as 'dataset (title), vintage V, NUTS E'."""
    if isinstance(source, str):
        return source
    text = str(source["dataset_code"]) if _has(source, "dataset_code") else ""
    if _has(source, "title"):
        text = f"{text} ({source['title']})" if text else str(source["title"])
    if _has(source, "vintage"):
        text += f", vintage {source['vintage']}"
    if _has(source, "nuts_edition"):
        text += f", NUTS {int(source['nuts_edition'])}"
    return text.strip(", ")


def _has(source: Mapping[str, Any], field: str) -> bool:
    return field in source and not pd.isna(source[field]) and str(source[field]) != ""


def _checked_formats(formats: Sequence[str]) -> list[str]:
    chosen = [formats] if isinstance(formats, str) else list(formats)
    if not chosen:
        raise ObservatoryError(f"No output format given; pass formats from {', '.join(FORMATS)}.")
    for file_format in chosen:
        if file_format not in FORMATS:
            raise unknown_code("format", file_format, FORMATS)
    return list(dict.fromkeys(chosen))


def _metadata(title: str, sources: Any, attribution: str | Sequence[str]) -> dict[str, list[str]]:
    if isinstance(sources, pd.DataFrame):
        sources = sources.to_dict("records")
    source_lines = [_one_line(format_source(source)) for source in sources]
    attribution_lines = [attribution] if isinstance(attribution, str) else list(attribution)
    metadata = {
        "title": [_one_line(title)],
        "source": [line for line in source_lines if line],
        "attribution": [_one_line(line) for line in attribution_lines if str(line).strip()],
    }
    for field, lines in metadata.items():
        if not lines or not lines[0]:
            raise ObservatoryError(
                f"write_table needs a non-empty {field}; every published table names its "
                "title, sources and attribution."
            )
    return metadata


def _one_line(text: Any) -> str:
    """Collapse newlines so that a metadata entry stays one comment line."""
    return " ".join(str(text).split())


def _write_csv(frame: pd.DataFrame, target: Path, metadata: dict[str, list[str]]) -> None:
    comments = [f"# {field}: {line}" for field, lines in metadata.items() for line in lines]
    with (
        atomic_path(target) as temporary,
        temporary.open("w", encoding="utf-8-sig", newline="") as stream,
    ):
        stream.write("\n".join(comments) + "\n")
        frame.to_csv(stream, index=False, na_rep="", lineterminator="\n")


def _write_xlsx(frame: pd.DataFrame, target: Path, metadata: dict[str, list[str]]) -> None:
    provenance = pd.DataFrame(
        [(field, line) for field, lines in metadata.items() for line in lines]
        + [("written_by", f"observatory_lib {__version__}")],
        columns=["field", "value"],
    )
    with atomic_path(target) as temporary:
        # openpyxl's write-only mode streams rows: about three times faster than to_excel
        workbook = openpyxl.Workbook(write_only=True)
        for name, sheet_frame in ((TABLE_SHEET, frame), (PROVENANCE_SHEET, provenance)):
            _append_frame(workbook.create_sheet(name), sheet_frame)
        workbook.save(temporary)


def _append_frame(sheet, frame: pd.DataFrame) -> None:
    """Header then rows; missing values become empty cells (None), never 0."""
    sheet.append([str(column) for column in frame.columns])
    cells = _excel_safe(frame).astype(object)
    cells = cells.where(cells.notna(), None)
    for row in cells.itertuples(index=False, name=None):
        sheet.append(row)


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn nullable (NA-holding) columns into object columns of None: empty Excel cells."""
    nullable = [
        column
        for column, dtype in frame.dtypes.items()
        if isinstance(dtype, pd.api.extensions.ExtensionDtype)
        and not isinstance(dtype, pd.StringDtype)
    ]
    if not nullable:
        return frame
    converted = {
        column: frame[column].astype(object).where(frame[column].notna(), None)
        for column in nullable
    }
    return frame.assign(**converted)

"""Publication tables: a numbered title, labelled columns with units, sources and notes.

Built with ``great_tables``, the field's standard for publication tables from pandas, which
writes accessible HTML (header cells with ``scope``, row headers for the stub). The cells are
written by ``kit.numbers`` (one house style for numbers), the headers come from
``kit.labels.COLUMN_LABELS`` (never a data column's name), missing cells read ``:`` with a
note saying so, flags follow their value (``12 500 e``) with a legend, and a long table shows
its first rows with a sentence saying where the full table is: never a truncated frame.

great_tables' own style sheet is left out (the house style sheet styles its classes), and
its element ids are made unique per table, so that a page with many tables stays valid HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from observatory_lib.products.kit.labels import label_for
from observatory_lib.products.kit.numbers import MISSING_CELL, format_column

FLAG_WORDS = {
    "b": "break in time series",
    "c": "confidential",
    "d": "definition differs",
    "e": "estimated",
    "p": "provisional",
    "u": "low reliability",
}
MISSING_NOTE = ": not available (confidential, not published or not computable); never 0."


def eurostat_cell_flags(frame: pd.DataFrame, letters: str = "bde") -> pd.Series:
    """The Eurostat flags of each row's cell that a reader must see beside the number (b:
    break in the series, d: definition differs, e: estimated), from the ``flag`` column."""
    if "flag" not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    flags = frame["flag"].fillna("").astype("str")
    return flags.map(lambda text: "".join(c for c in text if c in letters))


_STYLE_BLOCK = re.compile(r"<style>.*?</style>", re.DOTALL)
# great_tables wraps its table in a div that scrolls; the page's style sheet lays it out
_WRAPPER_STYLE = re.compile(r'(<div id="[^"]*") style="[^"]*"')
_ID = re.compile(r'\b(id|headers|aria-labelledby|aria-describedby)="([^"]*)"')


@dataclass(frozen=True)
class TableSpec:
    """How a product shows one of its tables.

    Attributes:
        columns: the columns shown, in order (each needs a ``COLUMN_LABELS`` entry).
        stub: the column of row labels (e.g. ``region``), shown first as row headers.
        max_rows: rows shown; the rest are in the download (a sentence says so).
        empty_text: what the document says instead of an empty table.
        notes: footnotes the table always carries.
    """

    columns: tuple[str, ...]
    stub: str | None = None
    max_rows: int | None = None
    empty_text: str = "No rows."
    notes: tuple[str, ...] = field(default_factory=tuple)


def with_region_label(
    frame: pd.DataFrame, code: str = "region_code", name: str = "region_name"
) -> pd.DataFrame:
    """``frame`` with a ``region`` column written as readers expect: ``Stuttgart (DE11)``."""
    names = frame[name].astype("str").where(frame[name].notna(), frame[code])
    return frame.assign(region=names + " (" + frame[code].astype("str") + ")")


def publication_table(
    frame: pd.DataFrame,
    spec: TableSpec,
    *,
    key: str,
    title: str,
    subtitle: str = "",
    source: str = "",
    notes: Sequence[str] = (),
    flags: Mapping[str, pd.Series] | None = None,
    full_table: str = "",
) -> str:
    """The table as HTML.

    Args:
        frame: the numbers (raw: formatting happens here).
        spec: columns, stub and row limit.
        key: a short id unique in the document (e.g. ``table-3``); every element id of the
            table starts with it.
        title: the numbered title, e.g. ``Table 3. Leading regions``.
        subtitle: what, where and when (e.g. ``Automotive, NUTS 2 regions, 2015``).
        source: the source line (``Source: Eurostat (online data code: ...)``).
        notes: footnotes, each a sentence.
        flags: per column, Eurostat flag letters per row (aligned with ``frame``), written
            after the value; a legend of the letters used is added to the notes.
        full_table: where the whole table is (a download's name), said when rows are cut.

    Returns:
        HTML text; ``spec.empty_text`` in a paragraph when there is no row.
    """
    from great_tables import GT

    if frame.empty:
        return f'<p class="observatory-empty">{_escape(spec.empty_text)}</p>'

    label = label_for  # every header from the one label table, never a column's name
    shown = frame if spec.max_rows is None else frame.head(spec.max_rows)
    cells = _formatted(shown, spec, flags, label)
    # a fixed id: great_tables draws a random one, and a rerun must give the same page
    table = GT(cells, rowname_col=spec.stub, id="gt").tab_header(
        title=title, subtitle=subtitle or None
    )
    if spec.stub:
        table = table.tab_stubhead(label=label(spec.stub).header)
    table = table.cols_label(**{c: label(c).header for c in spec.columns if c != spec.stub})
    numeric = [c for c in spec.columns if c != spec.stub and label(c).kind not in _TEXT]
    if numeric:
        table = table.cols_align(align="right", columns=numeric)
    for line in _notes(cells, shown, frame, spec, notes, flags, full_table, source):
        table = table.tab_source_note(source_note=line)
    raw = _WRAPPER_STYLE.sub(r"\1", _STYLE_BLOCK.sub("", table.as_raw_html()), count=1)
    return _unique_ids(raw, key)


_TEXT = {"text", "code"}  # left-aligned kinds


def _formatted(
    frame: pd.DataFrame, spec: TableSpec, flags: Mapping[str, pd.Series] | None, label
) -> pd.DataFrame:
    columns = {}
    for column in spec.columns:
        text = format_column(frame[column], label(column))
        letters = (flags or {}).get(column)
        if letters is not None:
            letters = letters.reindex(frame.index).fillna("").astype("str")
            text = text.where(letters.eq("") | text.eq(MISSING_CELL), text + "\u00a0" + letters)
        columns[column] = text.to_numpy()
    return pd.DataFrame(columns)


def _notes(
    cells: pd.DataFrame,
    shown: pd.DataFrame,
    frame: pd.DataFrame,
    spec: TableSpec,
    notes: Sequence[str],
    flags: Mapping[str, pd.Series] | None,
    full_table: str,
    source: str,
) -> list[str]:
    lines = list(spec.notes) + list(notes)
    if cells.isin([MISSING_CELL]).any().any():
        lines.append(MISSING_NOTE)
    used = sorted(
        {
            letter
            for letters in (flags or {}).values()
            for text in letters.dropna()
            for letter in str(text)
        }
    )
    if used:
        legend = "; ".join(f"{letter}: {FLAG_WORDS.get(letter, 'flag')}" for letter in used)
        lines.append(f"Flags: {legend}.")
    if len(shown) < len(frame):
        where = f" in the download {full_table}" if full_table else " in the downloads"
        lines.append(
            f"The table shows the first {len(shown)} of {len(frame)} rows; every row is{where}."
        )
    if source:
        lines.append(source)
    return lines


def _unique_ids(html: str, key: str) -> str:
    """Prefix every id (and the attributes that point at ids) with ``key``."""

    def prefixed(match: re.Match) -> str:
        values = " ".join(f"{key}-{value}" for value in match.group(2).split())
        return f'{match.group(1)}="{values}"'

    return _ID.sub(prefixed, html)


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))

"""Display helpers every report notebook shares: tables, figures and download lists.

Numbers are formatted for reading (thousands separators, about three significant digits,
yes/no for booleans) and missing values read "not available", never 0; the frames for the
downloads stay numeric. ``write_tables`` publishes a product's tables as CSV (UTF-8 with BOM)
and XLSX with provenance under ``paths.output_dir()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.downloads import FORMATS, write_table
from observatory_lib.products.kit.links import from_report_page
from observatory_lib.products.kit.provenance import PRODUCT_SOURCES, select_sources

if TYPE_CHECKING:
    from matplotlib.figure import Figure


YES, NO = "yes", "no"
# openpyxl (write-only) writes about 100,000 cells a second: the full NUTS-2 rated table
# (about 600,000 cells) still gets its XLSX; anything far larger is published as CSV only.
XLSX_MAX_CELLS = 1_000_000


def display_table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    units: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """A copy for display: numbers formatted, missing values written "not available".

    Whole numbers get thousands separators, other numbers about three significant digits
    (``map_styles.format_value``); years, levels and ranks stay plain; booleans read
    yes/no. The frame for downloads stays numeric: use this for display only.

    Args:
        frame: the table.
        columns: columns to keep, in order (default all).
        units: unit code per column, appended to the numbers (e.g. ``{"share_pct": "pct"}``).
        max_rows: keep the first rows only.
    """
    chosen = frame if columns is None else frame[list(columns)]
    if max_rows is not None:
        chosen = chosen.head(max_rows)
    units = dict(units or {})
    formatted = {}
    for column in chosen.columns:
        series = chosen[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            formatted[column] = _format_bool(series)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            formatted[column] = _format_numbers(series, str(column), units.get(str(column)))
        else:
            formatted[column] = series.astype("str").fillna(map_styles.NOT_AVAILABLE)
    return pd.DataFrame(formatted, index=pd.RangeIndex(len(chosen)))


@dataclasses.dataclass(frozen=True)
class TableSpec:
    """How a report shows one of its tables: which columns, their units, how many rows.

    Products keep one spec per table beside the code that builds it, so that the notebook
    shows a table with one call: ``show(report.by_country, COUNTRY_TABLE)``.
    """

    columns: tuple[str, ...] | None = None
    units: Mapping[str, str] = dataclasses.field(default_factory=dict)
    max_rows: int | None = None
    empty_text: str = "No rows."


def show(frame: pd.DataFrame, spec: TableSpec = TableSpec()) -> None:
    """Display ``frame`` as ``spec`` says (``show_table``)."""
    show_table(
        frame,
        spec.columns,
        units=spec.units,
        max_rows=spec.max_rows,
        empty_text=spec.empty_text,
    )


def show_table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    units: Mapping[str, str] | None = None,
    max_rows: int | None = None,
    empty_text: str = "No rows.",
) -> None:
    """Display ``display_table(frame, ...)`` in the notebook, or ``empty_text`` when empty."""
    from IPython.display import Markdown, display

    if frame.empty:
        display(Markdown(empty_text))
        return
    display(display_table(frame, columns, units=units, max_rows=max_rows))


def downloads_text(written: Iterable[Path]) -> str:
    """For a published report: one Markdown list of its downloads, linked from the report page.

    Each item names the table and its formats (``regions: CSV, XLSX``), the links relative to
    the report page (``kit.links.from_report_page``), so they work offline and when served.
    """
    from observatory_lib import paths

    root = paths.output_dir()
    grouped: dict[str, list[Path]] = {}
    for path in written:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        grouped.setdefault(shown.with_suffix("").as_posix(), []).append(shown)
    if not grouped:
        return "No file was written."
    lines = [
        "The report's tables, every row and column, in CSV (UTF-8, for spreadsheets) and "
        "XLSX with a sheet of sources:",
        "",
    ]
    for stem, files in grouped.items():
        links = ", ".join(
            f"[{path.suffix.lstrip('.').upper()}]({from_report_page(path.as_posix())})"
            for path in sorted(files)
        )
        lines.append(f"- {_readable(Path(stem).name)}: {links}")
    return "\n".join(lines)


# words a download's name carries for its parameters, not its content
_PARAMETER_WORDS = frozenset(
    {"eco2008", "eocic", "panorama4", "ref", "default", "minmax", "zscore", "arithmetic",
     "geometric", "innovation", "focus"}
)  # fmt: skip


def _readable(stem: str) -> str:
    """A download's name for readers: ``regions_eco2008_nuts2_2015`` -> ``regions``."""
    words = [w for w in stem.split("_") if not w.isdigit() and not w.startswith("nuts")]
    words = [w for w in words if w not in _PARAMETER_WORDS]
    return " ".join(words) or stem


def downloads_markdown(written: Iterable[Path]) -> str:
    """A Markdown list of the written downloads, relative to the outputs folder."""
    from observatory_lib import paths

    root = paths.output_dir()
    lines = []
    for path in written:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        lines.append(f"- `{shown.as_posix()}`")
    if not lines:
        return "No file was written."
    return "Downloads (CSV in UTF-8 with BOM, and XLSX with a provenance sheet):\n\n" + "\n".join(
        lines
    )


def show_figure(fig: Figure, dpi: int = 100) -> None:
    """Display a figure in the notebook as a PNG (works without pyplot, deterministic bytes)."""
    from IPython.display import Image, display

    from observatory_lib.products.kit.maps import figure_to_png_bytes

    display(Image(data=figure_to_png_bytes(fig, dpi=dpi), format="png"))


def product_sources(store, product: str) -> pd.DataFrame:
    """The store's provenance rows that a product family reads (``clusters``, ``scoreboard``)."""
    if product not in PRODUCT_SOURCES:
        raise unknown_code("product", product, PRODUCT_SOURCES)
    return select_sources(store.provenance, PRODUCT_SOURCES[product])


def output_stem(subdir: str, name: str) -> Path:
    """A relative download stem ``subdir/name`` (``write_table`` puts it under outputs/).

    Raises:
        ObservatoryError: ``subdir`` is empty, absolute or climbs out with ``..``.
    """
    relative = PurePosixPath(str(subdir).replace("\\", "/"))
    if not str(subdir).strip() or relative.is_absolute() or ".." in relative.parts:
        raise ObservatoryError(
            f"The output folder {subdir!r} must be a relative folder name under outputs/, "
            "e.g. 'panorama'; absolute paths and '..' are not allowed."
        )
    return Path(*relative.parts) / name


def write_tables(
    tables: Mapping[str, tuple[pd.DataFrame, str]],
    subdir: str,
    suffix: str,
    sources: pd.DataFrame,
) -> list[Path]:
    """Write each ``name: (frame, title)`` as ``<subdir>/<name>_<suffix>`` under outputs/.

    CSV (UTF-8 with BOM) and XLSX with a provenance sheet; tables above ``XLSX_MAX_CELLS``
    cells are written as CSV only. Returns the written paths.
    """
    written = []
    for name, (frame, title) in tables.items():
        stem = output_stem(subdir, f"{name}_{suffix}")
        formats = FORMATS if frame.size <= XLSX_MAX_CELLS else ("csv",)
        written += write_table(frame, stem, title=title, sources=sources, formats=formats)
    return written


def _format_bool(series: pd.Series) -> pd.Series:
    text = series.astype("boolean").map({True: YES, False: NO}, na_action="ignore")
    return text.astype("str").fillna(map_styles.NOT_AVAILABLE).reset_index(drop=True)


def _is_plain_integer_column(name: str) -> bool:
    return name in {"year", "nuts_level", "nuts_edition", "draw"} or any(
        part in name for part in ("_year", "rank", "level")
    )


def _format_numbers(series: pd.Series, name: str, unit: str | None) -> pd.Series:
    values = series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if _is_plain_integer_column(name):
        texts = [map_styles.NOT_AVAILABLE if np.isnan(v) else f"{v:.0f}" for v in values]
    else:
        texts = [map_styles.format_value(v, unit) for v in values]
    return pd.Series(texts, dtype="str")


def with_category_names(frame: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``category_name`` column right after ``category_code``."""
    names = categories[["category_code", "category_name"]].drop_duplicates("category_code")
    merged = frame.drop(columns="category_name", errors="ignore").merge(
        names, on="category_code", how="left"
    )
    position = list(merged.columns).index("category_code") + 1
    order = [*merged.columns[:position].drop("category_name", errors="ignore"), "category_name"]
    return merged[order + [c for c in merged.columns if c not in order]]

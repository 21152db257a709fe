"""Numbers as the observatory's publications write them (docs/publication style).

After the EU's Interinstitutional Style Guide and Eurostat's conventions: a point as decimal
sign, a non-breaking space between thousands (``12 500``), percentages closed up (``23.4%``),
ranges with an en dash (``5–6``), and a colon for a missing cell (``:``), explained in every
table's footnote; in running text a missing number reads "not available". A missing value is
never written 0.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from observatory_lib.products.kit.labels import ColumnLabel, stars_text

NBSP = "\u00a0"
MINUS = "\u2212"
MISSING_CELL = ":"
YES, NO = "yes", "no"


def is_missing(value: Any) -> bool:
    """None, NaN, NA and infinities are missing."""
    if value is None:
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        return False
    return isinstance(value, float) and math.isinf(value)


def format_number(value: Any, decimals: int = 0, missing: str = MISSING_CELL) -> str:
    """``12 500``, ``5.24``, ``−3.1``: a non-breaking space between thousands, a decimal
    point and the minus sign (one glyph for negatives everywhere, as ``format_signed``)."""
    if is_missing(value):
        return missing
    text = f"{float(value):,.{int(decimals)}f}"
    if text.startswith("-"):
        digits = text[1:]
        # no "−0" for a tiny negative number rounded away
        text = digits if float(digits.replace(",", "")) == 0 else MINUS + digits
    return text.replace(",", NBSP)


def format_percent(value: Any, decimals: int = 1, missing: str = MISSING_CELL) -> str:
    """A value already in percent: ``23.4%``."""
    if is_missing(value):
        return missing
    return f"{format_number(value, decimals)}%"


def format_share(value: Any, decimals: int = 1, missing: str = MISSING_CELL) -> str:
    """A share of 1 as a percentage: ``0.234`` -> ``23.4%``."""
    if is_missing(value):
        return missing
    return format_percent(100 * float(value), decimals)


def format_signed(value: Any, decimals: int = 1, missing: str = MISSING_CELL) -> str:
    """A change with its sign: ``+2.5``, ``−1.0`` (the minus sign, not a hyphen)."""
    if is_missing(value):
        return missing
    text = format_number(abs(float(value)), decimals)
    if float(text.replace(NBSP, "")) == 0:
        return text
    return f"+{text}" if float(value) > 0 else f"{MINUS}{text}"


def format_growth(value: Any, decimals: int = 1, missing: str = MISSING_CELL) -> str:
    """A growth rate in percent with its sign: ``+2.1%``, ``−0.4%``, ``0.0%``."""
    if is_missing(value):
        return missing
    return f"{format_signed(value, decimals)}%"


def format_cell(value: Any, label: ColumnLabel, missing: str = MISSING_CELL) -> str:
    """One table cell as ``label.kind`` says (``kit.labels.COLUMN_LABELS``)."""
    if label.kind == "stars":
        return stars_text(value, unrated=missing)
    if is_missing(value):
        return missing
    writer = _WRITERS.get(label.kind)
    return str(value) if writer is None else writer(value, label)


_WRITERS = {
    "count": lambda value, _: format_number(value, 0),
    "rank": lambda value, _: format_number(value, 0),
    "number": lambda value, label: format_number(value, label.decimals),
    "percent": lambda value, label: format_percent(value, label.decimals),
    "share": lambda value, label: format_share(value, label.decimals),
    "growth": lambda value, label: format_growth(value, label.decimals),
    "signed": lambda value, label: format_signed(value, label.decimals),
    "year": lambda value, _: f"{int(value)}",
    "flag": lambda value, _: YES if bool(value) else NO,
}


def format_column(values: pd.Series, label: ColumnLabel) -> pd.Series:
    """Every cell of a column as text (``format_cell``); the index is kept."""
    return pd.Series(
        [format_cell(value, label) for value in values], index=values.index, dtype="str"
    )

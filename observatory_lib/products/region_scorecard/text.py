"""Small text helpers of the scorecard: numbers, ranks and labels as they are printed.

Every missing value reads "not available", never 0 or an empty cell.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from observatory_lib.products.kit.map_styles import NOT_AVAILABLE, format_value


def record_rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    if frame.empty:
        return []
    return frame.reindex(columns=columns).to_dict("records")


def formatted_values(values: pd.Series) -> list[str]:
    return [format_value(None if pd.isna(v) else float(v)) for v in values]


def text_number(value: Any, decimals: int) -> str:
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return f"{float(value):,.{decimals}f}"


def text_signed(value: Any) -> str:
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return f"{float(value):+.1f}"


def text_int(value: Any) -> str:
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return f"{int(value)}"


def text_label(value: Any) -> str:
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return str(value)


def escaped(text: Any) -> str:
    """Text for Markdown: characters that would start emphasis, links or HTML escaped."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", str(text))


def percent(share: Any) -> float:
    return np.nan if share is None or pd.isna(share) else 100.0 * float(share)

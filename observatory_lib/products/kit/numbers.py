"""Numbers as the observatory's publications write them (docs/publication style).

After the EU's Interinstitutional Style Guide and Eurostat's conventions: a point as decimal
sign, a non-breaking space between thousands (``12 500``), percentages closed up (``23.4%``),
ranges with an en dash (``5–6``), and a colon for a missing cell (``:``), explained in every
table's footnote; in running text a missing number reads "not available". A missing value is
never written 0.
"""

from __future__ import annotations

import pandas as pd

# The scalar rules (one number, percentage, change, missing value, one table cell) are owned
# by the pandas-free kit.formats, which the apps' kernels import; this module adds whole
# columns for the publications' tables.
from observatory_lib.products.kit.formats import (  # noqa: F401 - re-exported
    MINUS,
    MISSING_CELL,
    NBSP,
    NO,
    YES,
    format_cell,
    format_growth,
    format_number,
    format_percent,
    format_share,
    format_signed,
    is_missing,
    stars_text,
)
from observatory_lib.products.kit.labels import ColumnLabel


def format_column(values: pd.Series, label: ColumnLabel) -> pd.Series:
    """Every cell of a column as text (``format_cell``); the index is kept."""
    return pd.Series(
        [format_cell(value, label) for value in values], index=values.index, dtype="str"
    )

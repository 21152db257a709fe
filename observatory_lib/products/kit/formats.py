"""Colours, palettes, units and the house number style of every product, without pandas.

The one owner of the scalar rules: how one number, percentage, change, missing value or
star rating is written (after the EU's Interinstitutional Style Guide and Eurostat: a point
as decimal sign, a no-break space between thousands ``12 500``, the minus sign ``−3.1``,
percentages closed up ``23.4%``, ``:`` for a missing table cell and "not available" in running
text, never 0), the palettes and the no-data and confidential colours. Kept free of pandas so
that the apps' Voila kernels, which import it, stay small (docs/DEPLOY.md: about 100 MiB of a
kernel's memory was pandas and the pyarrow it loads). ``kit.numbers`` builds the publication
tables' cells on these rules, ``kit.labels`` re-exports ``NOT_AVAILABLE`` and ``stars_text``,
``kit.map_styles`` re-exports the rest.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from observatory_lib.errors import ObservatoryError

NO_DATA_COLOUR = "#d9d9d9"
CONFIDENTIAL_COLOUR = "#a6a6a6"
OUTLINE_COLOUR = "#ffffff"
COUNTRY_OUTLINE_COLOUR = "#4d4d4d"
HIGHLIGHT_COLOUR = "#e31a1c"
BACKGROUND_COLOUR = "#f0f0f0"

NO_DATA_LABEL = "no data"
CONFIDENTIAL_LABEL = "confidential"
CONFIDENTIAL_STATUS = "confidential"
# How running text, tooltips and cards write a value that is missing (never 0).
NOT_AVAILABLE = "not available"
# A missing cell of a publication table (explained in the table's note).
MISSING_CELL = ":"
NBSP = "\u00a0"
MINUS = "\u2212"
YES, NO = "yes", "no"
STAR, EMPTY_STAR = "★", "☆"

METHODS = ("quantile", "equal_interval")

# Eleven evenly spaced stops of matplotlib's colormaps (0, 0.1, ..., 1), copied from
# matplotlib 3.11 so that this module needs no matplotlib import; a test checks they agree.
_STOPS: dict[str, tuple[str, ...]] = {
    "viridis": (
        "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
        "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
    ),
    "cividis": (
        "#00224e", "#083370", "#35456c", "#4f576c", "#666970", "#7d7c78",
        "#948e77", "#aea371", "#c8b866", "#e5cf52", "#fee838",
    ),
    # Diverging, for "relative to EU = 100": orange below, near-white at the centre, purple above.
    "puor": (
        "#7f3b08", "#b25706", "#e08214", "#fcb761", "#fee0b6", "#f6f6f7",
        "#d8daeb", "#b1aad1", "#8073ac", "#532687", "#2d004b",
    ),
}  # fmt: skip
_ALIASES = {"diverging": "puor"}
PALETTES = (*_STOPS, *_ALIASES)

# Readable names for the unit codes of docs/CONVENTIONS.md; unknown units fall back to the
# code with spaces.
_UNIT_LABELS = {
    "pct": "%",
    "pct_gdp": "% of GDP",
    "pct_emp": "% of employment",
    "share": "share",
    "persons": "persons",
    "ths_persons": "thousand persons",
    "eur": "EUR",
    "mio_eur": "million EUR",
    "eur_per_hab": "EUR per inhabitant",
    "pps_per_hab": "PPS per inhabitant",
    "eu27_2020_100": "index, EU = 100",
    "index_eu_100": "index, EU = 100",
    "index_europe_100": "index, Europe = 100",
    "number": "number",
}
# Units written straight after the number without a space.
_TIGHT_UNITS = {"%"}
# Index units: after a number only the reference is worth repeating, "112 (EU = 100)".
_INDEX_SUFFIX = {"index, EU = 100": "(EU = 100)"}
# --------------------------------------------------------------------------------------------
# Palettes


def _hex_to_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _resolve_palette(name: str) -> tuple[tuple[str, ...], bool]:
    key = str(name).lower()
    reverse = key.endswith("_r")
    key = key.removesuffix("_r")
    key = _ALIASES.get(key, key)
    if key not in _STOPS:
        valid = ", ".join(PALETTES)
        raise ObservatoryError(
            f"Unknown palette {name!r}; valid palettes: {valid} (add '_r' to reverse one)."
        )
    return _STOPS[key], reverse


def palette(name: str, k: int) -> list[str]:
    """Return ``k`` colours evenly spaced along a colour-blind-safe palette.

    Args:
        name: ``viridis``, ``cividis``, ``puor`` (alias ``diverging``); add ``_r`` to reverse.
        k: number of colours (>= 1). One colour is the middle of the palette.

    Returns:
        Lower-case ``#rrggbb`` strings, from the low end to the high end.

    Raises:
        ObservatoryError: unknown palette name or ``k < 1``.
    """
    stops, reverse = _resolve_palette(name)
    if int(k) < 1:
        raise ObservatoryError(f"A palette needs at least one colour, got k={k}; pass k >= 1.")
    rgb = np.stack([_hex_to_rgb(c) for c in stops])
    positions = np.array([0.5]) if k == 1 else np.linspace(0.0, 1.0, int(k))
    if reverse:
        positions = 1.0 - positions
    grid = np.linspace(0.0, 1.0, len(stops))
    channels = [np.interp(positions, grid, rgb[:, i]) for i in range(3)]
    ints = np.clip(np.rint(np.stack(channels, axis=1)), 0, 255).astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in ints]


# --------------------------------------------------------------------------------------------
# Number formatting


def unit_label(unit: str | None) -> str:
    """Return the readable name of a unit code (``eur_per_hab`` -> ``EUR per inhabitant``)."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)) or str(unit) == "":
        return ""
    return _UNIT_LABELS.get(str(unit), str(unit).replace("_", " "))


def _decimals_for(value: float) -> int:
    """Decimals that keep about three significant digits, none for large numbers."""
    magnitude = abs(value)
    if magnitude == 0 or magnitude >= 100:
        return 0
    if magnitude >= 10:
        return 1
    if magnitude >= 1:
        return 2
    # Small numbers: three significant digits, capped to stay readable.
    return min(6, 2 - math.floor(math.log10(magnitude)))


def is_missing(value: Any) -> bool:
    """None, NaN, pandas' NA and NaT and infinities are missing (checked without pandas)."""
    if value is None:
        return True
    if isinstance(value, Real):
        number = float(value)
        return math.isnan(number) or math.isinf(number)
    return type(value).__name__ in ("NAType", "NaTType")


def format_number(value: Any, decimals: int = 0, missing: str = MISSING_CELL) -> str:
    """``12 500``, ``5.24``, ``−3.1``: a no-break space between thousands, a decimal point and
    the minus sign (one glyph for negatives everywhere, as ``format_signed``)."""
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


def format_value(value: float | None, unit: str | None = None) -> str:
    """Format one number for a label or tooltip: ``12 345 persons``, ``3.42%``.

    Thousands separators; whole numbers without decimals; otherwise about three significant
    digits (none at or above 100). Missing values read ``not available``, never ``0``.

    Args:
        value: the number (None, NaN and pd.NA count as missing).
        unit: a unit code from docs/CONVENTIONS.md, or None for a bare number.

    Returns:
        The formatted text.
    """
    if is_missing(value):
        return NOT_AVAILABLE
    try:
        number = float(value)
    except (TypeError, ValueError):  # not a number at all: say so rather than fail a panel
        return NOT_AVAILABLE
    if math.isnan(number) or math.isinf(number):
        return NOT_AVAILABLE
    decimals = 0 if number.is_integer() else _decimals_for(number)
    text = format_number(number, decimals)
    if "." in text:  # 0.000100 -> 0.0001: the trailing zeros carry no information
        text = text.rstrip("0").rstrip(".")
    label = unit_label(unit)
    label = _INDEX_SUFFIX.get(label, label)
    if not label:
        return text
    return f"{text}{label}" if label in _TIGHT_UNITS else f"{text} {label}"


def stars_text(
    stars: Any, out_of: Any = None, n_missing: Any = 0, unrated: str = NOT_AVAILABLE
) -> str:
    """Stars as symbols: ``★★☆`` is 2 of 3 criteria met.

    Criteria whose metric is missing for the cluster are not drawn as empty stars but named:
    ``☆ (+2 not available)``. An unrated cluster reads ``unrated`` ("not available").
    """
    if is_missing(stars):
        return unrated
    count = int(stars)
    total = count if is_missing(out_of) else int(out_of)
    missing = 0 if is_missing(n_missing) else int(n_missing)
    symbols = STAR * count + EMPTY_STAR * max(total - missing - count, 0)
    return f"{symbols} (+{missing} {NOT_AVAILABLE})" if missing else symbols


def format_cell(value: Any, label: Any, missing: str = MISSING_CELL) -> str:
    """One table cell as ``label.kind`` says (a ``kit.labels.ColumnLabel``: its ``kind`` and
    ``decimals``)."""
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

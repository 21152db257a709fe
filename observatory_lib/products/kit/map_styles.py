"""Shared map styling: palettes, classes, fill colours, legends and value labels.

Used by the static maps (``observatory_lib.products.kit.maps``, matplotlib) and by the interactive
Voila mapping tool (ipyleaflet). Pure pandas/numpy on purpose: the Voila kernel imports this
module at start-up and should not pay for importing matplotlib.

Conventions shared by every map of the workbook:

- Missing values stay missing: they are drawn in ``NO_DATA_COLOUR`` and get a "no data" legend
  entry, never a class of their own and never 0.
- Confidential cells (``status == "confidential"``) are drawn in ``CONFIDENTIAL_COLOUR`` and get
  a "confidential" legend entry.
- Palettes are colour-blind safe (viridis, cividis, and PuOr for values relative to EU = 100).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatory_lib.errors import ObservatoryError
from observatory_lib.products.kit.formats import (  # noqa: F401 - re-exported
    _ALIASES,
    _INDEX_SUFFIX,
    _STOPS,
    _TIGHT_UNITS,
    _UNIT_LABELS,
    BACKGROUND_COLOUR,
    CONFIDENTIAL_COLOUR,
    CONFIDENTIAL_LABEL,
    CONFIDENTIAL_STATUS,
    COUNTRY_OUTLINE_COLOUR,
    HIGHLIGHT_COLOUR,
    METHODS,
    NO_DATA_COLOUR,
    NO_DATA_LABEL,
    NOT_AVAILABLE,
    OUTLINE_COLOUR,
    PALETTES,
    _decimals_for,
    _hex_to_rgb,
    _resolve_palette,
    format_number,
    format_value,
    palette,
    unit_label,
)

# --------------------------------------------------------------------------------------------
# Classification


@dataclass(frozen=True)
class Classification:
    """Class breaks for a choropleth.

    Attributes:
        method: ``quantile`` or ``equal_interval``.
        bins: class edges, ascending, one more than the number of classes (empty when there
            was no value to classify; ``(v, v)`` for a single distinct value ``v``).
        labels: one label per class, e.g. ``"1.2 – 3.4"``.

    Classes are closed on the left, ``[edge_i, edge_i+1)``, and the last one on both sides.
    """

    method: str
    bins: tuple[float, ...]
    labels: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        """Number of classes (0 when there was nothing to classify)."""
        return len(self.labels)

    def class_of(self, values: pd.Series) -> pd.Series:
        """Return the 0-based class of each value (Int64, missing where the value is missing).

        Values outside the edges (when a classification is reused for another series) fall in
        the first or last class, so that they keep a data colour.
        """
        series = pd.Series(values)
        numbers = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
        # NaN becomes <NA> in the nullable integer dtype.
        return pd.Series(self.class_numbers(numbers), index=series.index).astype("Int64")

    def class_numbers(self, numbers: np.ndarray) -> np.ndarray:
        """``class_of`` on a float array: the class of each number as a float, NaN where the
        number is missing (for callers classifying many arrays, without a Series each)."""
        numbers = np.asarray(numbers, dtype="float64")
        valid = np.isfinite(numbers)
        classes = np.full(numbers.shape, np.nan)
        if self.n_classes and valid.any():
            inner = np.asarray(self.bins[1:-1], dtype=float)
            found = np.searchsorted(inner, numbers[valid], side="right")
            classes[valid] = np.clip(found, 0, self.n_classes - 1)
        return classes


def _clean_values(values: pd.Series | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":  # already numbers
        numbers = values.astype("float64", copy=False)
    else:
        numbers = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64").to_numpy()
    return numbers[np.isfinite(numbers)]


def _edges(numbers: np.ndarray, method: str, k: int) -> np.ndarray:
    if method == "quantile":
        # i / k rather than linspace: 3 / 5 is exactly 0.6, linspace gives 0.6000000000000001.
        edges = np.quantile(numbers, np.arange(k + 1) / k)
    else:
        edges = np.linspace(numbers.min(), numbers.max(), k + 1)
    # Ties make repeated quantile edges; a repeated edge is an empty class, so drop it.
    return np.unique(edges)


def _label_decimals(edges: np.ndarray) -> int:
    """Decimals for class labels: two significant digits of the narrowest class, at least.

    Raised (up to 6) until neighbouring edges no longer print alike.
    """
    # Whole numbers print as such ("1 – 3", not "1.0"), allowing for float noise in quantiles.
    if np.allclose(edges, np.round(edges), rtol=0.0, atol=1e-9 * max(1.0, np.abs(edges).max())):
        return 0
    steps = np.diff(edges)
    steps = steps[steps > 0]
    reference = float(steps.min()) if steps.size else abs(float(edges[0]))
    decimals = max(0, 1 - math.floor(math.log10(reference))) if reference else 0
    while decimals < 6:
        rounded = np.round(edges, decimals)
        if np.unique(rounded).size == np.unique(edges).size:
            break
        decimals += 1
    return decimals


def _distinct_classes(distinct: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """One class per distinct value, cut half-way between neighbours, labelled by the value."""
    if distinct.size == 1:  # edges (v, v): one class holding only v
        return np.concatenate([distinct, distinct]), (format_value(float(distinct[0])),)
    middles = (distinct[:-1] + distinct[1:]) / 2.0
    edges = np.concatenate([distinct[:1], middles, distinct[-1:]])
    decimals = _label_decimals(distinct)
    return edges, tuple(format_number(float(v), decimals) for v in distinct)


def _labels(edges: np.ndarray) -> tuple[str, ...]:
    decimals = _label_decimals(edges)
    texts = [format_number(float(e), decimals) for e in edges]
    return tuple(f"{low} – {high}" for low, high in itertools.pairwise(texts))


def _whole_number_labels(edges: np.ndarray) -> tuple[str, ...]:
    """Classes of counts by the whole numbers in them: a class holds [low edge, high edge),
    the last one its high edge too (``Classification.class_of``)."""
    labels = []
    for position in range(len(edges) - 1):
        low = math.ceil(edges[position])
        last = position == len(edges) - 2
        high = math.floor(edges[position + 1]) if last else math.ceil(edges[position + 1]) - 1
        labels.append(format_number(low, 0) if high <= low else f"{format_number(low, 0)}–"
                      f"{format_number(high, 0)}")  # fmt: skip
    return tuple(labels)


def classify(
    values: pd.Series | np.ndarray,
    method: str = "quantile",
    k: int = 5,
    *,
    whole_numbers: bool = False,
) -> Classification:
    """Compute ``k`` classes for a choropleth; missing values are left out, never counted as 0.

    Fewer than ``k`` classes come back when the values cannot fill them: with ``k`` or fewer
    distinct values each value gets its own class (labelled by the value, edges half-way
    between neighbours); ties that make quantile edges coincide merge those classes. No value
    at all gives no class (everything is then drawn as "no data").

    Args:
        values: numbers, a Series or a float array (NaN, NA and infinities are treated as
            missing).
        method: ``quantile`` (equal counts) or ``equal_interval`` (equal widths).
        k: wanted number of classes (>= 1).
        whole_numbers: the values are counts: label each class by the whole numbers it holds
            (``0–1``, ``2–3``) instead of by its edges (``0 – 2``, ``2 – 4``), which overlap.

    Returns:
        The Classification (method, edges, labels).

    Raises:
        ObservatoryError: unknown method or ``k < 1``.
    """
    if method not in METHODS:
        raise ObservatoryError(
            f"Unknown classification method {method!r}; valid methods: {', '.join(METHODS)}."
        )
    if int(k) < 1:
        raise ObservatoryError(f"A map needs at least one class, got k={k}; pass k >= 1.")
    numbers = _clean_values(values)
    if numbers.size == 0:
        return Classification(method=method, bins=(), labels=())
    distinct = np.unique(numbers)
    if distinct.size <= int(k):
        edges, labels = _distinct_classes(distinct)
    else:
        edges = _edges(numbers, method, int(k))
        labels = _whole_number_labels(edges) if whole_numbers else _labels(edges)
    return Classification(method=method, bins=tuple(float(e) for e in edges), labels=labels)


# --------------------------------------------------------------------------------------------
# Colours and legend


def status_from_flag(flags: pd.Series) -> pd.Series:
    """Map Eurostat flags to a map status: ``confidential`` where the flag contains ``c``.

    Returns a string Series aligned to ``flags`` with ``confidential`` or missing.
    """
    flag_text = pd.Series(flags).astype("str")
    is_confidential = flag_text.str.contains("c", regex=False).fillna(False).astype(bool)
    return pd.Series(pd.NA, index=flag_text.index, dtype="str").mask(
        is_confidential, CONFIDENTIAL_STATUS
    )


def confidential_mask(status: pd.Series | None, index: pd.Index) -> pd.Series:
    """Boolean Series on ``index``: True where ``status`` is ``confidential``.

    ``status`` is aligned by index when it is a Series, by position otherwise.
    """
    if status is None:
        return pd.Series(False, index=index)
    if isinstance(status, pd.Series):
        aligned = status.reindex(index)
    else:
        aligned = pd.Series(list(status), index=index)
    return aligned.astype("str").eq(CONFIDENTIAL_STATUS).fillna(False).astype(bool)


def fill_colours(
    values: pd.Series,
    classification: Classification,
    palette_name: str = "viridis",
    status: pd.Series | None = None,
) -> pd.Series:
    """Return the fill colour (hex) of each value.

    Args:
        values: the numbers to colour.
        classification: from :func:`classify` (usually on the same values).
        palette_name: see :func:`palette`.
        status: optional Series aligned to ``values``; ``confidential`` cells get
            ``CONFIDENTIAL_COLOUR`` whatever their value.

    Returns:
        A string Series on ``values.index``: the class colour, ``NO_DATA_COLOUR`` for missing
        values, ``CONFIDENTIAL_COLOUR`` for confidential cells.
    """
    series = pd.Series(values)
    classes = classification.class_of(series)
    colours = pd.Series(NO_DATA_COLOUR, index=series.index, dtype="str")
    if classification.n_classes:
        lookup = np.array(palette(palette_name, classification.n_classes), dtype=object)
        has_class = classes.notna().to_numpy()
        picked = np.full(len(series), NO_DATA_COLOUR, dtype=object)
        picked[has_class] = lookup[classes.to_numpy(dtype="int64", na_value=0)[has_class]]
        colours = pd.Series(picked, index=series.index, dtype="str")
    return colours.mask(confidential_mask(status, series.index), CONFIDENTIAL_COLOUR)


def legend_title(unit: str | None, title: str | None = None) -> str:
    """Legend heading: ``title (unit)``, the unit alone, or ``Value`` when neither is given."""
    readable = unit_label(unit)
    if title and readable:
        return f"{title} ({readable})"
    return title or readable or "Value"


def legend_entries(
    classification: Classification,
    palette_name: str = "viridis",
    unit: str | None = None,
    has_missing: bool = False,
    has_confidential: bool = False,
) -> list[dict]:
    """Return the legend rows, classes from low to high, then "confidential", then "no data".

    Each row is a dict with ``label``, ``colour`` (hex), ``kind`` (``class``, ``confidential``
    or ``no_data``) and ``title`` (the same legend heading on every row, naming the unit), so
    that ``{e["label"]: e["colour"] for e in entries}`` feeds ipyleaflet's ``LegendControl``
    and ``entries[0]["title"]`` its title.

    Args:
        classification: from :func:`classify`.
        palette_name: see :func:`palette`.
        unit: unit code of the values, shown in the title.
        has_missing: add a "no data" row.
        has_confidential: add a "confidential" row.
    """
    title = legend_title(unit)
    colours = palette(palette_name, classification.n_classes) if classification.n_classes else []
    rows = [
        {"label": label, "colour": colour, "kind": "class", "title": title}
        for label, colour in zip(classification.labels, colours, strict=True)
    ]
    if has_confidential:
        rows.append(
            {"label": CONFIDENTIAL_LABEL, "colour": CONFIDENTIAL_COLOUR, "kind": "confidential",
             "title": title}
        )  # fmt: skip
    if has_missing:
        rows.append(
            {"label": NO_DATA_LABEL, "colour": NO_DATA_COLOUR, "kind": "no_data", "title": title}
        )
    return rows

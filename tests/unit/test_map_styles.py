"""Shared map styling: palettes, classes, fill colours, legends, number formats."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observatory_lib.errors import ObservatoryError
from observatory_lib.products.kit import map_styles as ms

# --- palettes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mpl_name"),
    [("viridis", "viridis"), ("cividis", "cividis"), ("puor", "PuOr"), ("diverging", "PuOr")],
)
@pytest.mark.parametrize("k", [2, 5, 7])
def test_palette_matches_matplotlib(name, mpl_name, k):
    import matplotlib as mpl

    expected = mpl.colormaps[mpl_name](np.linspace(0, 1, k))[:, :3] * 255
    got = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in ms.palette(name, k)])
    # Linear interpolation between eleven stops stays within a few units of the 256-entry map.
    assert np.abs(got - expected).max() <= 6


def test_palette_reverse_single_and_errors():
    assert ms.palette("viridis_r", 5) == ms.palette("viridis", 5)[::-1]
    assert len(ms.palette("cividis", 1)) == 1
    with pytest.raises(ObservatoryError, match="viridis"):
        ms.palette("jet", 5)
    with pytest.raises(ObservatoryError):
        ms.palette("viridis", 0)


def test_module_does_not_import_matplotlib():
    code = (
        "import sys, observatory_lib.products.kit.map_styles; "
        "sys.exit(1 if 'matplotlib' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- classify -----------------------------------------------------------------------------

VALUES = pd.Series([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, np.nan])


def test_quantile_edges_on_hand_made_series():
    c = ms.classify(VALUES, "quantile", k=5)
    assert c.method == "quantile"
    assert c.bins == pytest.approx((0.0, 2.0, 4.0, 6.0, 8.0, 10.0))
    assert c.labels == ("0 – 2", "2 – 4", "4 – 6", "6 – 8", "8 – 10")
    classes = c.class_of(VALUES)
    assert str(classes.dtype) == "Int64"
    assert classes.iloc[:11].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    assert pd.isna(classes.iloc[11])


def test_quantile_follows_the_distribution_equal_interval_the_range():
    skewed = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100])
    quantile = ms.classify(skewed, "quantile", k=2)
    equal = ms.classify(skewed, "equal_interval", k=2)
    assert quantile.bins == pytest.approx((1.0, 5.5, 100.0))
    assert equal.bins == pytest.approx((1.0, 50.5, 100.0))
    assert equal.class_of(skewed).tolist() == [0] * 9 + [1]
    # Labels keep two significant digits of the class width: 50.5 prints as 50.
    assert equal.labels == ("1 – 50", "50 – 100")


def test_equal_interval_with_negative_values():
    c = ms.classify(pd.Series([-10.0, -5.0, 0.0, 5.0, 10.0]), "equal_interval", k=4)
    assert c.bins == pytest.approx((-10.0, -5.0, 0.0, 5.0, 10.0))
    assert c.labels[0] == "\u221210 – \u22125"  # the minus sign, as every table writes it
    assert c.class_of(pd.Series([-10.0, -0.1, 0.0, 10.0])).tolist() == [0, 1, 2, 3]


def test_all_missing_gives_no_class():
    c = ms.classify(pd.Series([np.nan, np.nan], dtype="float64"))
    assert c.n_classes == 0
    assert c.bins == ()
    assert c.class_of(pd.Series([np.nan, 1.0])).isna().all()
    assert ms.fill_colours(pd.Series([np.nan, np.nan]), c).tolist() == [ms.NO_DATA_COLOUR] * 2


def test_empty_series():
    assert ms.classify(pd.Series([], dtype="float64")).n_classes == 0


def test_single_value_gives_one_class():
    c = ms.classify(pd.Series([3.5, 3.5, np.nan]), k=5)
    assert c.n_classes == 1
    assert c.bins == (3.5, 3.5)
    assert c.labels == ("3.5",)
    assert c.class_of(pd.Series([3.5, np.nan])).tolist() == [0, pd.NA]


@pytest.mark.parametrize("method", ["quantile", "equal_interval"])
def test_fewer_distinct_values_than_k(method):
    values = pd.Series([1.0, 1.0, 2.0, 2.0, 5.0])
    c = ms.classify(values, method, k=5)
    assert c.n_classes == 3
    assert c.labels == ("1", "2", "5")
    assert c.class_of(values).tolist() == [0, 0, 1, 1, 2]


def test_ties_merge_quantile_classes():
    values = pd.Series([0.0] * 8 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    c = ms.classify(values, "quantile", k=5)
    assert 1 <= c.n_classes < 5
    assert len(c.bins) == c.n_classes + 1
    assert list(c.bins) == sorted(set(c.bins))


def test_values_outside_the_edges_keep_a_data_class():
    c = ms.classify(pd.Series([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), k=2)
    assert c.class_of(pd.Series([-100.0, 100.0])).tolist() == [0, 1]


def test_bad_method_lists_valid_methods():
    with pytest.raises(ObservatoryError, match="quantile, equal_interval"):
        ms.classify(VALUES, "jenks")
    with pytest.raises(ObservatoryError):
        ms.classify(VALUES, k=0)


def test_infinities_and_strings_count_as_missing():
    c = ms.classify(pd.Series([1.0, np.inf, -np.inf, 2.0, 3.0]), k=5)
    assert c.n_classes == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(-1e9, 1e9)), max_size=40),
    st.sampled_from(ms.METHODS),
    st.integers(1, 8),
)
def test_classes_are_consistent(raw, method, k):
    values = pd.Series([np.nan if v is None else v for v in raw], dtype="float64")
    c = ms.classify(values, method, k)
    classes = c.class_of(values)
    assert c.n_classes <= k
    assert len(c.labels) == c.n_classes
    assert classes.isna().tolist() == values.isna().tolist()
    assert ((classes.dropna() >= 0) & (classes.dropna() < max(c.n_classes, 1))).all()
    if c.n_classes:
        assert len(c.bins) == c.n_classes + 1
        assert list(c.bins) == sorted(c.bins)


# --- colours and legend -------------------------------------------------------------------


def test_missing_gets_no_data_colour_never_a_class_colour():
    values = pd.Series([1.0, 2.0, np.nan, 4.0], index=list("abcd"))
    c = ms.classify(values, k=3)
    colours = ms.fill_colours(values, c)
    assert colours["c"] == ms.NO_DATA_COLOUR
    assert ms.NO_DATA_COLOUR not in colours.drop("c").tolist()
    assert colours.drop("c").tolist() == ms.palette("viridis", 3)
    assert colours.index.tolist() == list("abcd")


def test_zero_is_a_value_not_missing():
    values = pd.Series([0.0, 5.0, np.nan])
    colours = ms.fill_colours(values, ms.classify(values, k=2))
    assert colours.iloc[0] != ms.NO_DATA_COLOUR
    assert colours.iloc[2] == ms.NO_DATA_COLOUR


def test_confidential_colour_aligned_by_index():
    values = pd.Series([1.0, np.nan, 3.0], index=[10, 11, 12])
    status = pd.Series(["confidential", None, None], index=[11, 10, 12], dtype="str")
    colours = ms.fill_colours(values, ms.classify(values), "cividis", status=status)
    assert colours.loc[11] == ms.CONFIDENTIAL_COLOUR
    assert colours.loc[10] != ms.CONFIDENTIAL_COLOUR
    assert ms.CONFIDENTIAL_COLOUR != ms.NO_DATA_COLOUR


def test_status_from_flag():
    status = ms.status_from_flag(pd.Series(["c", "b", None, "ce"]))
    assert status.eq("confidential").fillna(False).tolist() == [True, False, False, True]


def test_legend_has_no_data_only_when_needed():
    c = ms.classify(pd.Series([1.0, 2.0, 3.0, 4.0]), k=2)
    plain = ms.legend_entries(c, "viridis", "persons", has_missing=False, has_confidential=False)
    assert [e["kind"] for e in plain] == ["class", "class"]
    assert [e["colour"] for e in plain] == ms.palette("viridis", 2)
    full = ms.legend_entries(c, "viridis", "persons", has_missing=True, has_confidential=True)
    assert [e["label"] for e in full][-2:] == ["confidential", "no data"]
    assert full[-1]["colour"] == ms.NO_DATA_COLOUR
    assert full[-2]["colour"] == ms.CONFIDENTIAL_COLOUR
    assert {e["title"] for e in full} == {"persons"}


def test_legend_title_names_the_unit():
    c = ms.classify(pd.Series([1.0, 2.0]))
    entries = ms.legend_entries(c, "viridis", "eur_per_hab", has_missing=True,
                                has_confidential=False)  # fmt: skip
    assert entries[0]["title"] == "EUR per inhabitant"
    assert ms.legend_title(None) == "Value"
    assert ms.legend_title("pct", "Employment") == "Employment (%)"


def test_legend_for_all_missing_has_only_no_data():
    c = ms.classify(pd.Series([np.nan]))
    entries = ms.legend_entries(c, "viridis", None, has_missing=True, has_confidential=False)
    assert [e["label"] for e in entries] == ["no data"]


# --- format_value -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1234567.0, "persons", "1\u00a0234\u00a0567 persons"),
        (12345.6, None, "12\u00a0346"),
        (123.456, None, "123"),
        (12.345, "pct", "12.3%"),
        (3.14159, None, "3.14"),
        (0.012345, None, "0.0123"),
        (-2500.0, "eur_per_hab", "\u22122\u00a0500 EUR per inhabitant"),
        (0.0, "persons", "0 persons"),
        (112.0, "eu27_2020_100", "112 (EU = 100)"),
        (float("nan"), "persons", "not available"),
        (None, None, "not available"),
        (pd.NA, "pct", "not available"),
    ],
)
def test_format_value(value, unit, text):
    assert ms.format_value(value, unit) == text


def test_counts_are_labelled_by_the_whole_numbers_each_class_holds():
    counts = pd.Series(range(30), dtype="float64")
    classes = ms.classify(counts, "quantile", k=5, whole_numbers=True)
    assert classes.labels == ("0–5", "6–11", "12–17", "18–23", "24–29")
    # every count falls in the class whose label names it
    for value, position in zip(counts, classes.class_of(counts), strict=True):
        label = classes.labels[position]
        low, _, high = label.partition("–")
        assert int(low) <= value <= int(high or low)
    assert ms.classify(counts, "quantile", k=5).labels[0] == "0.0 – 5.8"  # edges otherwise


@given(
    st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))), max_size=40),
    st.sampled_from(ms.METHODS),
)
@settings(max_examples=60, deadline=None)
def test_arrays_classify_as_series_do(numbers, method):
    array = np.asarray(numbers, dtype="float64")
    from_series = ms.classify(pd.Series(array), method, k=5)
    assert ms.classify(array, method, k=5) == from_series
    classes = from_series.class_numbers(array)
    expected = from_series.class_of(pd.Series(array)).to_numpy(dtype="float64", na_value=np.nan)
    np.testing.assert_array_equal(classes, expected)

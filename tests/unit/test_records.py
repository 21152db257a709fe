"""records: strict JSON records published by a notebook and read back by the batch."""

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatory_lib.runtime import records
from observatory_lib.runtime.records import (
    RECORD_MIME,
    RecordError,
    extract_record,
    publish_record,
    to_strict_json,
)


def test_numpy_and_pandas_scalars_become_plain_python():
    strict = to_strict_json(
        {
            "int": np.int64(7),
            "float": np.float32(0.5),
            "bool": np.bool_(True),
            "array": np.array([1, 2]),
            "str": np.str_("DE11"),
            "timestamp": pd.Timestamp("2021-03-04 05:06:07"),
            "date": dt.date(2021, 1, 2),
            "datetime64": np.datetime64("2021-01-02T03:04:05"),
        }
    )
    assert strict == {
        "int": 7,
        "float": 0.5,
        "bool": True,
        "array": [1, 2],
        "str": "DE11",
        "timestamp": "2021-03-04T05:06:07",
        "date": "2021-01-02",
        "datetime64": "2021-01-02T03:04:05",
    }
    assert [type(strict[k]) for k in ("int", "float", "bool", "str")] == [int, float, bool, str]


def test_missing_and_non_finite_values_become_null():
    strict = to_strict_json(
        {
            "nan": float("nan"),
            "np_nan": np.float64("nan"),
            "inf": math.inf,
            "minus_inf": -np.inf,
            "na": pd.NA,
            "nat": pd.NaT,
            "nested": [np.nan, {"x": None}],
        }
    )
    assert strict == {
        "nan": None,
        "np_nan": None,
        "inf": None,
        "minus_inf": None,
        "na": None,
        "nat": None,
        "nested": [None, {"x": None}],
    }
    json.dumps(strict, allow_nan=False)  # strict JSON: would raise on NaN


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"series": pd.Series([1, 2])}, "record['series']"),
        ({"rows": [1, object()]}, "record['rows'][1]"),
        ({1: "a"}, "key 1"),
        ({"set": {1, 2}}, "record['set']"),
    ],
)
def test_values_json_cannot_hold_are_refused_naming_where(value, fragment):
    with pytest.raises(RecordError) as caught:
        to_strict_json(value)
    assert fragment in str(caught.value)


finite_or_not = st.floats(allow_nan=True, allow_infinity=True)
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_or_not | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_like)
def test_any_nested_value_becomes_strict_json_and_keeps_finite_numbers(value):
    strict = to_strict_json(value)
    text = json.dumps(strict, allow_nan=False)
    if isinstance(value, float):
        assert strict == (value if math.isfinite(value) else None)
    assert json.loads(text) == strict


def test_publish_record_displays_the_mime_bundle_with_a_short_text_fallback(monkeypatch):
    shown = []
    monkeypatch.setattr(
        "IPython.display.display", lambda bundle, raw: shown.append((bundle, raw)), raising=True
    )
    publish_record({"region_code": "DE11", "total": np.float64(3.0), "share": np.nan})
    ((bundle, raw),) = shown
    assert raw is True
    assert bundle[RECORD_MIME] == {"region_code": "DE11", "total": 3.0, "share": None}
    assert bundle["text/plain"].startswith("Observatory record (3 fields)")
    assert len(bundle["text/plain"]) < 200


def test_publish_record_refuses_a_non_mapping():
    with pytest.raises(RecordError, match="dict of field names"):
        publish_record([1, 2])


def _nb(*outputs):
    return {"cells": [{"cell_type": "code", "outputs": list(outputs)}]}


def test_extract_record_merges_records_in_order_and_reads_string_payloads():
    nb = _nb(
        {"output_type": "display_data", "data": {RECORD_MIME: {"a": 1, "b": 2}}},
        {"output_type": "stream", "text": "noise"},
        {"output_type": "display_data", "data": {RECORD_MIME: json.dumps({"b": 3})}},
    )
    assert extract_record(nb) == {"a": 1, "b": 3}


def test_extract_record_without_a_record_names_the_fix():
    with pytest.raises(RecordError, match="publish_record"):
        extract_record(_nb({"output_type": "display_data", "data": {"text/plain": "x"}}))


def test_extract_record_refuses_a_record_that_is_not_a_dict():
    with pytest.raises(RecordError, match="not a dict"):
        extract_record(_nb({"output_type": "display_data", "data": {RECORD_MIME: [1, 2]}}))


def test_records_module_does_not_import_numpy_or_pandas():
    source = records.__file__
    with open(source, encoding="utf-8") as handle:
        text = handle.read()
    assert "import numpy" not in text
    assert "import pandas" not in text

"""Hand a notebook's headline numbers to the batch without parsing text.

A notebook calls ``publish_record({...})``. That displays a custom MIME bundle
(``application/vnd.observatory.record+json`` plus a one-line ``text/plain`` fallback), which
Jupyter stores in the executed notebook like any other output. The batch then reads it back
with ``extract_record(nb)`` and writes it as the job's JSON twin.

The record is strict JSON: NaN and infinities become ``null``, numpy and pandas scalars become
Python numbers, dates become ISO strings, and anything JSON cannot hold is refused with a
message naming the offending key. This module imports neither numpy nor pandas, so importing
it costs nothing in a kernel that does not use them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from observatory_lib.errors import ObservatoryError

RECORD_MIME = "application/vnd.observatory.record+json"
_PREVIEW_FIELDS = 4


class RecordError(ObservatoryError):
    """A record cannot be published or read back."""


def publish_record(record: Mapping[str, Any]) -> None:
    """Display ``record`` as the notebook's machine-readable result.

    Call it once per notebook, at the end of the Compute or Present section. When it is
    called more than once, ``extract_record`` merges the records in order.

    Args:
        record: Field names to values; values may be numbers (numpy/pandas included),
            strings, booleans, dates, missing values, and lists or dicts of those.

    Raises:
        RecordError: When ``record`` is not a mapping or holds a value JSON cannot represent.
    """
    strict = to_strict_json(record)
    if not isinstance(strict, dict):
        raise RecordError(
            f"publish_record needs a dict of field names to values, got {type(record).__name__}."
        )
    from IPython.display import display

    display({RECORD_MIME: strict, "text/plain": _preview(strict)}, raw=True)


def extract_record(nb: Mapping[str, Any]) -> dict[str, Any]:
    """Read the record(s) a notebook published back from its executed form.

    Args:
        nb: An executed notebook (``nbformat.NotebookNode`` or the equivalent plain dict).

    Returns:
        The published record; several records are merged in order, later fields winning.

    Raises:
        RecordError: When the notebook published no record.
    """
    merged: dict[str, Any] = {}
    found = False
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORD_MIME in data:
                merged.update(_as_record_dict(data[RECORD_MIME]))
                found = True
    if not found:
        raise RecordError(
            "The notebook published no record. Call "
            "observatory_lib.runtime.records.publish_record({...}) in one of its cells."
        )
    return merged


def to_strict_json(value: Any, where: str = "record") -> Any:
    """Convert ``value`` to plain JSON types: NaN/inf -> None, numpy/pandas scalars -> Python.

    Args:
        value: The value to convert.
        where: Where the value sits, used in error messages (``record['a'][2]``).

    Returns:
        An object that ``json.dumps(..., allow_nan=False)`` accepts.

    Raises:
        RecordError: When a value (or a dict key) has no JSON form.
    """
    if value is None or isinstance(value, str | bool):
        return str(value) if isinstance(value, str) else value
    if _is_missing(value):
        return None
    if isinstance(value, Mapping):
        return {
            _key(key, where): to_strict_json(item, f"{where}[{key!r}]")
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [to_strict_json(item, f"{where}[{index}]") for index, item in enumerate(value)]
    return _scalar(value, where)


def _scalar(value: Any, where: str) -> Any:
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dt.date | dt.time):  # datetime and pd.Timestamp are dates too
        return value.isoformat()
    if _is_numpy_value(value):
        if getattr(value, "dtype", None) is not None and value.dtype.kind in "mM":
            return str(value)  # tolist() would turn nanosecond datetimes into bare integers
        return to_strict_json(value.tolist(), where)
    raise RecordError(
        f"{where} is a {type(value).__module__}.{type(value).__name__}, which JSON cannot hold. "
        "Convert it to a number, string, list or dict first (e.g. Series.to_dict())."
    )


def _key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return str(key)
    raise RecordError(
        f"{where} has the key {key!r} of type {type(key).__name__}; record keys must be strings."
    )


def _is_missing(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    pandas = sys.modules.get("pandas")
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return True
    numpy = sys.modules.get("numpy")
    return (
        numpy is not None
        and isinstance(value, numpy.datetime64 | numpy.timedelta64)
        and (bool(numpy.isnat(value)))
    )


def _is_numpy_value(value: Any) -> bool:
    # numpy scalars and arrays expose tolist(); checking the module avoids importing numpy
    return type(value).__module__ == "numpy" and hasattr(value, "tolist")


def _as_record_dict(data: Any) -> dict[str, Any]:
    # some writers store JSON MIME data as a string rather than a parsed object
    parsed = json.loads(data) if isinstance(data, str) else data
    if not isinstance(parsed, Mapping):
        raise RecordError(
            f"The notebook's {RECORD_MIME} output is a {type(parsed).__name__}, not a dict; "
            "publish records with publish_record({...})."
        )
    return dict(parsed)


def _preview(record: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in list(record.items())[:_PREVIEW_FIELDS])
    more = " ..." if len(record) > _PREVIEW_FIELDS else ""
    return f"Observatory record ({len(record)} fields): {shown}{more}"


# --------------------------------------------------------------------------------------------
# What a notebook says about itself as a document: title, running head, language


DOCUMENT_MIME = "application/vnd.observatory.document+json"
DOCUMENT_FIELDS = ("title", "subtitle", "running_head", "lang", "toc")


def publish_document(**fields: Any) -> None:
    """Tell the renderer how to publish this notebook: its title and running head.

    The HTML and PDF take their ``<title>``, running header and language from here instead of
    the notebook's first heading, so a report's title can come from its data (a sector report
    is titled by its sector). Fields: ``title``, ``subtitle``, ``running_head`` (the line at
    the top of every PDF page, e.g. edition and vintage), ``lang`` (default ``en``) and
    ``toc`` (True: a table of contents when the PDF runs over four pages).

    Raises:
        RecordError: an unknown field, or a value JSON cannot hold.
    """
    unknown = sorted(set(fields) - set(DOCUMENT_FIELDS))
    if unknown:
        raise RecordError(
            f"Unknown document field(s) {', '.join(unknown)}; use {', '.join(DOCUMENT_FIELDS)}."
        )
    strict = to_strict_json(dict(fields))
    from IPython.display import display

    display({DOCUMENT_MIME: strict, "text/plain": ""}, raw=True)


def extract_document(nb: Mapping[str, Any]) -> dict[str, Any]:
    """The document fields a notebook published (later fields win); empty when none."""
    merged: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if DOCUMENT_MIME in data and isinstance(data[DOCUMENT_MIME], Mapping):
                merged.update(data[DOCUMENT_MIME])
    return merged

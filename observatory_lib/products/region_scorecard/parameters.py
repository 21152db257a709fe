"""The scorecard notebook's parameters as Papermill and the batch pass them, checked and typed.

Papermill's ``-p peers DE12,DE13`` arrives as a string, a JSON list or a real list; the year
and the number of draws may arrive as numeric strings. Each is converted to its type here, or
rejected with one message naming the value and the accepted forms.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from observatory_lib.errors import ObservatoryError

DEFAULT_PEERS_WORDS = frozenset({"", "default", "none"})
_CODE_TEXT = re.compile(r"[A-Z0-9]+")


def coerce_peers(value: Any) -> list[str]:
    """Peer codes from a notebook or CLI parameter; an empty list means "the default peers".

    Accepted: a list or tuple of codes; a comma- and/or space-separated string
    (``"DE12,DE13"``, ``"DE12 DE13"``); a JSON list string (``'["DE12", "DE13"]'``); and
    ``None``, ``""``, ``"default"`` or ``[]`` for the default peers. Codes are stripped and
    upper-cased; whether they exist is checked later against the store.

    Raises:
        ObservatoryError: any other type, or a list holding something else than strings.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return _peers_from_text(value)
    if isinstance(value, list | tuple):
        return _peer_items(value, value)
    raise ObservatoryError(_peers_type_message(value))


def _peers_from_text(text: str) -> list[str]:
    stripped = text.strip()
    if stripped.lower() in DEFAULT_PEERS_WORDS:
        return []
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            raise ObservatoryError(
                f"peers={text!r} starts like a JSON list but is not valid JSON. " + _PEERS_ACCEPTED
            ) from None
        if not isinstance(parsed, list):
            raise ObservatoryError(_peers_type_message(parsed))
        return _peer_items(parsed, text)
    return _peer_items(stripped.replace(",", " ").split(), text)


def _peer_items(items: Iterable[Any], original: Any) -> list[str]:
    codes = []
    for item in items:
        if not isinstance(item, str):
            raise ObservatoryError(
                f"peers={original!r} holds {item!r} ({type(item).__name__}); every peer must "
                "be a NUTS code string. " + _PEERS_ACCEPTED
            )
        code = item.strip().upper()
        if code and not _CODE_TEXT.fullmatch(code):
            raise ObservatoryError(
                f"peers={original!r} holds {item!r}, which is not a NUTS code (letters and "
                "digits only, e.g. DE12). " + _PEERS_ACCEPTED
            )
        if code and code not in codes:
            codes.append(code)
    return codes


_PEERS_ACCEPTED = (
    "Accepted: a list of NUTS codes, a comma- or space-separated string ('DE12,DE13'), a "
    "JSON list string ('[\"DE12\", \"DE13\"]'), or '', 'default' or None for the default peers."
)


def _peers_type_message(value: Any) -> str:
    return f"peers={value!r} is a {type(value).__name__}. {_PEERS_ACCEPTED}"


def coerce_year(value: Any) -> int:
    """A reference year from an int, an integral float or a numeric string (``"2015"``).

    Raises:
        ObservatoryError: booleans, non-numbers, fractions, or a year outside 1900-2100.
    """
    return coerce_int("year", value, minimum=1900, maximum=2100, example="2015")


def coerce_int(name: str, value: Any, *, minimum: int, maximum: int, example: str) -> int:
    number = _as_number(value)
    if number is None or not float(number).is_integer() or not minimum <= number <= maximum:
        raise ObservatoryError(
            f"{name}={value!r} ({type(value).__name__}) is not accepted. Fix: pass a whole "
            f"number from {minimum} to {maximum} as an int or a numeric string, e.g. {example}."
        )
    return int(number)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None

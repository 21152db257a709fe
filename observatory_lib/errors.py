"""Errors that users see: one clear line naming the cause and the fix.

Every error the workbook raises on bad input derives from ``ObservatoryError``. The CLI and
the notebooks print ``str(error)`` and never a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ObservatoryError(Exception):
    """Base class: the message is written for the user and names the fix."""


class DataSourceError(ObservatoryError):
    """A data file is missing, corrupt, or does not have the expected shape."""


class ChecksumError(DataSourceError):
    """A file's sha256 does not match the catalog."""


class UnknownCodeError(ObservatoryError, KeyError):
    """An identifier (region, category, preset, dataset, indicator) is not known."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class ConfigError(ObservatoryError):
    """A configuration file (framework, rule set, catalog) is malformed."""


class StoreError(ObservatoryError):
    """The store is missing, stale or unreadable."""


def nearest(value: str, choices: Iterable[str], n: int = 5) -> list[str]:
    """Return the valid choices closest to ``value``, for 'did you mean' messages."""
    pool = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(
        str(value).upper(), [c.upper() for c in pool], n=n, cutoff=0.5
    )
    by_upper = {c.upper(): c for c in pool}
    matches = [by_upper[c] for c in close]
    if len(matches) < n:
        prefix = str(value)[:2].upper()
        matches += [c for c in pool if c.upper().startswith(prefix) and c not in matches]
    return matches[:n]


def unknown_code(kind: str, value: str, choices: Iterable[str], hint: str = "") -> UnknownCodeError:
    """Build the standard 'unknown X' error with the nearest valid choices."""
    pool = sorted({str(c) for c in choices})
    close = nearest(value, pool)
    if close:
        suggestion = f"nearest valid {kind} codes: {', '.join(close)}"
    else:
        preview = ", ".join(pool[:12]) + (" ..." if len(pool) > 12 else "")
        suggestion = f"valid {kind} codes: {preview}"
    message = f"Unknown {kind} {value!r}; {suggestion}."
    if hint:
        message += f" {hint}"
    return UnknownCodeError(message)

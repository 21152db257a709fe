"""What every option of the ``observatory`` command accepts, and the checks made before any job.

Each list of valid values comes from its one owner in the library: the star rule sets from
``indicators.stars``, the framework variants from ``indicators.framework`` (both read from
their YAML files, so a rule set or variant an analyst adds is valid at once), the output
formats and engines from ``runtime``, the years from the store. The help text lists the
values (filled in when help is shown, so that ``observatory --version`` imports nothing
heavy), and ``observatory values KIND`` prints the long lists (regions, categories).

A bad value is refused with one line naming the option, the value, the nearest valid values
and where the full list is (``ParameterError``; the CLI exits 2), before any job runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence

from observatory_lib.errors import ObservatoryError, nearest

# how many valid values a message lists in full; longer lists point to `observatory values`
_LISTED_IN_FULL = 12
# `observatory reports --only KIND`: each report's notebook in notebooks/ (docs/HOWTO.md, "A new
# report": a new report is one line here and one entry in products/portal/catalogue.py
# MORE_REPORTS)
REPORT_NOTEBOOKS = {
    "panorama": "cluster_panorama.ipynb",
    "scoreboard": "ecosystem_scoreboard.ipynb",
    "sector_reports": "sector_report.ipynb",
    "smart_specialisation": "smart_specialisation.ipynb",
}
REPORT_KINDS = tuple(REPORT_NOTEBOOKS)
SCORECARD_LEVELS = (0, 1, 2, 3)
REPORT_LEVELS = (0, 1, 2)


class ParameterError(ObservatoryError):
    """An option's value is not valid; the message names the option and the valid values."""


def star_presets() -> list[str]:
    """The star rule sets of ``indicators/star_presets.yaml``."""
    from observatory_lib.indicators.stars import list_star_presets

    return list_star_presets()


def framework_variants() -> list[str]:
    """The weight variants of ``data/scoreboard_framework.yaml`` (``default`` first)."""
    from observatory_lib.indicators.framework import list_variants

    return list_variants()


def output_formats() -> list[str]:
    """The formats a batch job can write."""
    from observatory_lib.runtime.job import FORMATS

    return list(FORMATS)


def engines() -> list[str]:
    """The batch's notebook engines."""
    from observatory_lib.runtime.batch import ENGINES

    return list(ENGINES)


def report_kinds() -> list[str]:
    """The reports ``observatory reports --only`` runs."""
    return list(REPORT_KINDS)


# the value lists a help text may name as {key}; filled in by the help formatter
VALUE_LISTS: dict[str, Callable[[], list[str]]] = {
    "star_presets": star_presets,
    "framework_variants": framework_variants,
    "formats": output_formats,
    "engines": engines,
    "reports": report_kinds,
}


def describe(key: str) -> str:
    """The values of the list ``key``, comma-separated (for help texts)."""
    return ", ".join(str(value) for value in VALUE_LISTS[key]())


def invalid_value(
    option: str, value: object, valid: Iterable[object], what: str, where: str = ""
) -> ParameterError:
    """The one-line error for ``option value``: the nearest valid values, then the list.

    Args:
        option: The option as typed, e.g. ``--star-preset``.
        value: The rejected value.
        valid: Every valid value.
        what: What a value is, e.g. ``star rule set``.
        where: Where the full list is, when it is too long to print.
    """
    pool = [str(v) for v in valid]
    close = nearest(str(value), pool, n=3)
    message = f"{option}: {str(value)!r} is not a valid {what}"
    if close:
        message += f"; nearest: {', '.join(close)}"
    if len(pool) <= _LISTED_IN_FULL:
        message += f"; valid: {', '.join(pool)}"
    elif where:
        message += f"; all {len(pool)} are listed by `{where}`"
    return ParameterError(message + ".")


def check_choice(option: str, value: str, valid: Sequence[str], what: str, where: str = "") -> str:
    """``value`` if it is one of ``valid``, else a ``ParameterError``."""
    if value not in valid:
        raise invalid_value(option, value, valid, what, where)
    return value


def split_list(text: str) -> list[str]:
    """A comma-separated option value as a list (blanks dropped, order kept, no repeats)."""
    return list(dict.fromkeys(part.strip() for part in str(text).split(",") if part.strip()))


def _argparse_type(check: Callable[[str], object], name: str) -> Callable[[str], object]:
    """Wrap ``check`` for argparse: a ``ParameterError`` becomes argparse's own error."""

    def convert(text: str) -> object:
        try:
            return check(text)
        except ParameterError as error:
            # argparse already names the option; keep the rest of the sentence
            raise argparse.ArgumentTypeError(str(error).split(": ", 1)[-1]) from None

    convert.__name__ = name  # argparse names the type in "invalid <name> value"
    return convert


def _star_preset(text: str) -> str:
    return check_choice("--star-preset", text, star_presets(), "star rule set")


def _framework_variant(text: str) -> str:
    return check_choice("--framework-variant", text, framework_variants(), "framework variant")


def _formats(text: str) -> list[str]:
    chosen = split_list(text)
    if not chosen:
        raise invalid_value("--formats", text, output_formats(), "list of output formats")
    for name in chosen:
        check_choice("--formats", name, output_formats(), "output format")
    return chosen


def _report_kinds(text: str) -> list[str]:
    chosen = split_list(text)
    if not chosen:
        raise invalid_value("--only", text, REPORT_KINDS, "list of reports")
    for name in chosen:
        check_choice("--only", name, REPORT_KINDS, "report")
    return chosen


def _workers(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise ParameterError(
            f"--workers: {text!r} is not a number of worker processes; give 0 (run in this "
            "process) or a positive whole number, e.g. 2."
        )
    return count


def _year(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ParameterError(
            f"--year: {text!r} is not a year; give four digits, e.g. 2015."
        ) from None


star_preset_type = _argparse_type(_star_preset, "star preset")
framework_variant_type = _argparse_type(_framework_variant, "framework variant")
formats_type = _argparse_type(_formats, "formats")
report_kinds_type = _argparse_type(_report_kinds, "reports")
workers_type = _argparse_type(_workers, "workers")
year_type = _argparse_type(_year, "year")


# --------------------------------------------------------------------------------------------
# Checks that need the store (made after it is loaded, before any job)
# --------------------------------------------------------------------------------------------


def cluster_years(store) -> list[int]:
    """The years with SBS employment (the cluster figures' years)."""
    return [int(year) for year in store.info.get("sbs_years", [])]


def context_years(store) -> list[int]:
    """Every year from the first to the last year of the context indicators."""
    first, last = store.info.get("context_years", [0, -1])
    return list(range(int(first), int(last) + 1))


def check_cluster_year(year: int, store, for_what: str) -> int:
    """``year`` if the store has cluster figures for it."""
    valid = cluster_years(store)
    if year not in valid:
        raise ParameterError(
            f"--year: {for_what}: no cluster data for {year}; the store holds "
            f"{_years(valid)} (`observatory values years`)."
        )
    return year


def check_scoreboard_year(year: int, store) -> int:
    """``year`` if it is 0 (each indicator's reference year) or a context-indicator year."""
    valid = context_years(store)
    if year != 0 and year not in valid:
        raise ParameterError(
            f"--year: the scoreboard needs 0 (each indicator's reference year) or a year of "
            f"the context indicators ({_years(valid)}), not {year}."
        )
    return year


def _years(years: Sequence[int]) -> str:
    if not years:
        return "no year"
    if len(years) > 2 and list(years) == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def check_configuration(store, framework_variant: str | None) -> None:
    """The analyst-edited files a batch reads are valid: the star rule sets and the scoreboard
    framework (every indicator in the store, the weights summing to 1).

    Raises:
        ConfigError: naming the file, the line and the fix (one line), before any job.
    """
    from observatory_lib.indicators import recipes
    from observatory_lib.indicators.framework import DEFAULT_VARIANT

    star_presets()
    recipes.framework(framework_variant or DEFAULT_VARIANT, recipes.available_indicators(store))


def check_pdf_engine(formats) -> None:
    """A batch that writes PDFs has an engine to print them (``OBSERVATORY_PDF_ENGINE``)."""
    if "pdf" not in formats:
        return
    from observatory_lib.runtime.render import RenderError, pdf_engine

    try:
        pdf_engine()
    except RenderError as error:
        raise ParameterError(f"--formats pdf: {error}") from None


def check_scheduler(scheduler: str | None, workers: int) -> None:
    """The Dask scheduler is ``local`` or a reachable ``tcp://HOST:PORT`` (None: no Dask)."""
    if scheduler is None:
        return
    from observatory_lib.runtime.dask_backend import check_scheduler as check_dask_scheduler
    from observatory_lib.runtime.job import BatchError

    try:
        check_dask_scheduler(scheduler, workers)
    except BatchError as error:
        raise ParameterError(f"--scheduler: {error}") from None

"""Shell completion for ``observatory`` (argcomplete): option values from their owners.

Enable it once per shell: ``eval "$(.venv/bin/register-python-argcomplete observatory)"``
(bash; zsh with ``autoload -U bashcompinit && bashcompinit`` first). Options with argparse
``choices`` complete by themselves; the completers below add the value lists of
``options`` and, for regions, categories and years, the current store's. Comma-separated
options complete their last item.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable

from observatory_lib.cli import options
from observatory_lib.errors import ObservatoryError


def _store_values(kind: str) -> Callable[[], list[str]]:
    def values() -> list[str]:
        from observatory_lib.cli.selection import regions_with_data
        from observatory_lib.indicators import recipes

        store = recipes.current_store()
        if kind == "regions":
            regions = regions_with_data(store, 2)
            return sorted({*regions["region_code"], *regions["country_code"], "all"})
        if kind == "categories":
            return ["all", *sorted(store.cluster_categories["category_code"])]
        return [str(year) for year in options.cluster_years(store)]

    return values


def _datasets() -> list[str]:
    from observatory_lib.data.update import live_dataset_codes

    return live_dataset_codes()


def _live_datasets() -> list[str]:
    from observatory_lib.data.live import live_sources
    from observatory_lib.data.retrieval import load_catalog

    return list(live_sources(load_catalog()))


# option dest -> (its valid values, whether it takes a comma-separated list)
COMPLETED_OPTIONS: dict[str, tuple[Callable[[], list[str]], bool]] = {
    "star_preset": (options.star_presets, False),
    "framework_variant": (options.framework_variants, False),
    "formats": (options.output_formats, True),
    "only": (options.report_kinds, True),
    "regions": (_store_values("regions"), True),
    "categories": (_store_values("categories"), True),
    "year": (_store_values("years"), False),
    "datasets": (_datasets, True),
    "live_datasets": (_live_datasets, True),
}


def complete_values(prefix: str, values: Iterable[str], is_list: bool) -> list[str]:
    """The completions of ``prefix`` among ``values``; a list completes its last item."""
    head, comma, last = prefix.rpartition(",") if is_list else ("", "", prefix)
    return [f"{head}{comma}{value}" for value in values if value.startswith(last)]


def _completer(values: Callable[[], list[str]], is_list: bool):
    def complete(prefix: str, **_: object) -> list[str]:
        try:
            return complete_values(prefix, values(), is_list)
        except ObservatoryError:  # e.g. no store yet: nothing to offer
            return []

    return complete


def attach_completers(parser: argparse.ArgumentParser) -> None:
    """Give every option of every subcommand in ``COMPLETED_OPTIONS`` its completer."""
    for action in parser._actions:  # argparse keeps no public list of a parser's actions
        if action.dest in COMPLETED_OPTIONS and action.option_strings:
            action.completer = _completer(*COMPLETED_OPTIONS[action.dest])
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                attach_completers(subparser)

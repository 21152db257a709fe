"""The ``observatory`` command's registry: each subcommand registers itself here.

A subcommand is a small function decorated with ``command(name, configure)``, where
``configure`` adds its options to an ``argparse`` parser. ``main`` builds the parser from the
registry; the command modules import only this module, so nothing imports ``main``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable]] = {}


def command(name: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register ``function`` as the subcommand ``name``, with ``configure`` adding its options."""

    def register(function: Callable) -> Callable:
        COMMANDS[name] = (configure, function)
        return function

    return register


def no_options(parser: argparse.ArgumentParser) -> None:
    """A subcommand without options."""
    return None


def format_summary(info: dict) -> str:
    """The store's summary (``Store.info``) in a few lines."""
    lines = [f"Store {info['store_version']} at {info.get('path', '')}"]
    lines.append(f"  built in {info.get('build_seconds', '?')} s, schema {info['schema_version']}")
    lines.append("  regions per NUTS edition/level:")
    by_edition: dict[str, list[str]] = {}
    for key, count in info["regions_per_edition_and_level"].items():
        edition, level = key.split("/")
        by_edition.setdefault(edition, []).append(f"L{level}={count}")
    lines += [f"    {edition}: {' '.join(parts)}" for edition, parts in sorted(by_edition.items())]
    lines.append(f"  SBS employment years: {info['sbs_years']}")
    lines.append(
        f"  context indicator years: {info['context_years'][0]}-{info['context_years'][1]}"
    )
    lines.append(f"  {len(info['indicators'])} context indicators: {', '.join(info['indicators'])}")
    lines.append(f"  {info['cluster_categories']} cluster categories and emerging industries")
    rows = ", ".join(f"{k}={v}" for k, v in info["row_counts"].items())
    lines.append(f"  rows: {rows}")
    return "\n".join(lines)

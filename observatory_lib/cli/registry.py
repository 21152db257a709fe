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


def format_inputs(info: dict, provenance, catalog) -> str:
    """Which data the store was built from: the pinned catalog inputs, or others.

    The store records every input's checksum (``provenance``); the inputs are the pinned
    mirror vintages when each checksum is the one ``data/catalog.yaml`` pins. A store built
    from other files (a live build) says so through ``info['data_origin']`` when it records
    one, and its differing inputs are named either way.
    """
    import pandas as pd

    pinned = {source.id: source.sha256 for source in catalog.sources.values()}
    recorded = dict(zip(provenance["source_code"], provenance["sha256"], strict=True))
    differing = sorted(code for code, digest in recorded.items() if pinned.get(code) != digest)
    origin = info.get("data_origin")
    if origin:
        lines = [f"  data: {origin}"]
    elif differing:
        lines = [f"  data: {len(differing)} of {len(recorded)} inputs are not the pinned ones"]
    else:
        lines = [
            f"  data: the pinned vintages of data/catalog.yaml ({len(recorded)} inputs, "
            "checksums verified; the offline default)"
        ]
    if differing:
        lines.append(f"    not as pinned in data/catalog.yaml: {', '.join(differing)}")
    for code, reason in info.get("live_not_supported", {}).items():
        lines.append(
            f"    {code}: pinned vintage kept, its current release is not read yet ({reason})"
        )
    edition = info.get("statistics_nuts_edition")
    if edition:
        lines.append(f"  statistics recoded to NUTS {edition}")
    datasets = provenance.dropna(subset=["dataset_code"]).drop_duplicates("dataset_code")
    lines.append("  Eurostat datasets (vintage, NUTS edition of the source):")
    for row in datasets.sort_values("dataset_code").itertuples():
        source_edition = "" if pd.isna(row.nuts_edition) else f", NUTS {int(row.nuts_edition)}"
        if source_edition and edition and int(row.nuts_edition) != int(edition):
            source_edition += f", recoded to NUTS {edition}"
        lines.append(f"    {row.dataset_code}: {row.vintage}{source_edition}")
    return "\n".join(lines)

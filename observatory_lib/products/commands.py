"""Subcommands of ``observatory`` that produce the products: demo, scorecards, serve, reports.

Kept apart from ``cli.py`` so that the CLI core (argument parsing, error handling) stays small;
``cli.build_parser`` imports this module to register them.
"""

from __future__ import annotations

import argparse

from observatory_lib.products.cli import _format_summary, _no_options, command


def ensure_store() -> dict:
    """Build the store unless the current one already matches the catalog and code version."""
    from observatory_lib.data import store
    from observatory_lib.data.retrieval import load_catalog
    from observatory_lib.errors import StoreError

    try:
        current = store.load_store()
    except StoreError:
        current = None
    if current is not None and current.version == store.store_version(load_catalog()):
        return {**current.info, "path": str(current.path)}
    return store.build_store()


@command("demo", _no_options)
def demo_command(arguments: argparse.Namespace) -> int:
    """The main job on the default data: the store, then every product (see README)."""
    info = ensure_store()
    print(_format_summary(info))
    return 0

"""The data subcommands: ``observatory build``, ``info`` and ``data fetch|update|list``."""

from __future__ import annotations

import argparse

from observatory_lib.cli.registry import command, format_summary, no_options


@command("build", no_options)
def build_command(arguments: argparse.Namespace) -> int:
    """Fetch the inputs and build the store; print its summary."""
    from observatory_lib.data.store import build_store

    info = build_store()
    print(format_summary(info))
    return 0


@command("info", no_options)
def info_command(arguments: argparse.Namespace) -> int:
    """Print the current store's summary."""
    from observatory_lib.data.store import load_store

    store = load_store()
    print(format_summary({**store.info, "path": str(store.path)}))
    return 0


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["fetch", "update", "list"],
        help="fetch: verify and cache every catalog input (cache, mirror, upstream); "
        "update: download current data from the Eurostat API and GISCO (needs internet); "
        "list: show the catalog",
    )
    parser.add_argument("--datasets", default="", help="update: comma-separated dataset codes")


@command("data", _data_options)
def data_command(arguments: argparse.Namespace) -> int:
    """Fetch, list or live-update the data inputs."""
    from observatory_lib.data import retrieval

    if arguments.action == "list":
        for source in retrieval.load_catalog().sources.values():
            print(f"{source.id:42s} {source.dataset_code or '-':18s} {source.file}")
        return 0
    if arguments.action == "fetch":
        fetched = retrieval.fetch_all()
        print(f"{len(fetched)} inputs verified in {retrieval.paths.cache_dir()}")
        return 0
    from observatory_lib.data.update import update_live

    codes = [c.strip() for c in arguments.datasets.split(",") if c.strip()]
    for line in update_live(codes or None):
        print(line)
    return 0

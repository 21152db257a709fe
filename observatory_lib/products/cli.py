"""The ``observatory`` command: build the store, fetch data, run the batch, serve the apps.

Every subcommand is a small function registered in ``COMMANDS``. Errors the user can fix
(``ObservatoryError``) print one line and exit 2; anything unexpected prints one line naming
the log file that holds the traceback, and exits 1. No raw traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from observatory_lib.errors import ObservatoryError

LOGGER = logging.getLogger("observatory")

COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable]] = {}


def command(name: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register ``function`` as the subcommand ``name``, with ``configure`` adding its options."""

    def register(function: Callable) -> Callable:
        COMMANDS[name] = (configure, function)
        return function

    return register


def _no_options(parser: argparse.ArgumentParser) -> None:
    return None


def _format_summary(info: dict) -> str:
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


@command("build", _no_options)
def build_command(arguments: argparse.Namespace) -> int:
    """Fetch the inputs and build the store; print its summary."""
    from observatory_lib.data.store import build_store

    info = build_store()
    print(_format_summary(info))
    return 0


@command("info", _no_options)
def info_command(arguments: argparse.Namespace) -> int:
    """Print the current store's summary."""
    from observatory_lib.data.store import load_store

    store = load_store()
    print(_format_summary({**store.info, "path": str(store.path)}))
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    _load_product_commands()
    parser = argparse.ArgumentParser(
        prog="observatory",
        description="European Cluster Observatory workbook: data, scorecards and apps.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (configure, function) in COMMANDS.items():
        summary = (function.__doc__ or name).strip().splitlines()[0]
        sub = subparsers.add_parser(name, help=summary)
        configure(sub)
        sub.set_defaults(handler=function)
    return parser


def _load_product_commands() -> None:
    """Import the modules that register further subcommands (scorecards, serve, ...)."""
    import importlib

    for module in ("observatory_lib.products.commands",):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise


def _log_traceback() -> Path:
    with tempfile.NamedTemporaryFile(
        "w", prefix="observatory-error-", suffix=".log", delete=False
    ) as handle:
        traceback.print_exc(file=handle)
    return Path(handle.name)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``observatory`` console script."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(arguments.handler(arguments) or 0)
    except ObservatoryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        log = _log_traceback()
        print(
            f"error: unexpected {type(error).__name__}: {error} (traceback in {log})",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The ``observatory`` command: build the store, fetch data, run the batch, serve the apps.

Every subcommand is a small function registered in ``registry.COMMANDS`` by its module
(``data_commands``: build, info, data; ``product_commands``: demo, scorecards, reports,
portal, serve). Errors the user can fix (``ObservatoryError``) print one line and exit 2;
anything unexpected prints one line naming the log file that holds the traceback, and exits 1.
No raw traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import traceback
from pathlib import Path

from observatory_lib.cli import data_commands, product_commands
from observatory_lib.cli.registry import COMMANDS
from observatory_lib.errors import ObservatoryError

LOGGER = logging.getLogger("observatory")
# Importing a command module registers its subcommands, in this order.
COMMAND_MODULES = (data_commands, product_commands)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
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

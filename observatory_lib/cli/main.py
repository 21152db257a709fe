"""The ``observatory`` command: build the store, fetch data, run the batch, serve the apps.

Every subcommand is a small function registered in ``registry.COMMANDS`` by its module
(``data_commands``: build, info, data, values; ``product_commands``: demo, scorecards,
reports, portal, serve). Errors the user can fix print one line and exit 2: a bad option
(argparse, with the valid values), or an ``ObservatoryError``; anything unexpected prints one
line naming the log file that holds the traceback, and exits 1. No raw traceback reaches the
terminal. Shell completion comes from argcomplete (README, "The command line").
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import traceback
from pathlib import Path

from observatory_lib import __version__
from observatory_lib.cli import data_commands, options, product_commands
from observatory_lib.cli.registry import COMMANDS
from observatory_lib.errors import ObservatoryError

LOGGER = logging.getLogger("observatory")
# Importing a command module registers its subcommands, in this order.
COMMAND_MODULES = (data_commands, product_commands)


class OneLineArgumentParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the problem and where help is.

    argparse prints the usage and then the error (two lines or more); the CLI's rule is one
    line naming the cause and the fix, and exit status 2, as for every other bad input.
    """

    def error(self, message: str) -> None:  # argparse's hook; never returns
        """Print ``message`` on one line with a pointer to ``--help``, exit 2."""
        text = " ".join(message.split()).rstrip(".")
        self.exit(2, f"{self.prog}: error: {text}; see `{self.prog} --help`.\n")


class ValuesHelpFormatter(argparse.HelpFormatter):
    """Fills ``{star_presets}``-style fields of a help text with the current valid values.

    The lists are read when help is shown, from their owners (``options.VALUE_LISTS``), so
    that a rule set added to the YAML file appears at once and ``--version`` stays fast.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        for key in options.VALUE_LISTS:
            field = "{" + key + "}"
            if field in text:
                text = text.replace(field, options.describe(key))
        return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = OneLineArgumentParser(
        prog="observatory",
        description="European Cluster Observatory workbook: data, scorecards and apps.",
        formatter_class=ValuesHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the version"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        help="one of the commands below; `observatory COMMAND --help` lists its options",
    )
    for name, (configure, function) in COMMANDS.items():
        summary = (function.__doc__ or name).strip().splitlines()[0]
        sub = subparsers.add_parser(
            name, help=summary, description=summary, formatter_class=ValuesHelpFormatter
        )
        configure(sub)
        sub.set_defaults(handler=function)
    return parser


def _enable_completion(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request (argcomplete), if this run is one; else nothing."""
    try:
        import argcomplete
    except ImportError:  # completion is a convenience; the command works without it
        return
    from observatory_lib.cli.completion import attach_completers

    attach_completers(parser)
    argcomplete.autocomplete(parser)


def _log_traceback() -> Path:
    with tempfile.NamedTemporaryFile(
        "w", prefix="observatory-error-", suffix=".log", delete=False
    ) as handle:
        traceback.print_exc(file=handle)
    return Path(handle.name)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``observatory`` console script."""
    parser = build_parser()
    _enable_completion(parser)
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(arguments.handler(arguments) or 0)
    except ObservatoryError as error:
        # one line per problem: an error that holds several (``lines``) prints each on its own
        for line in getattr(error, "lines", None) or [str(error)]:
            print(f"error: {' '.join(str(line).split())}", file=sys.stderr)
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

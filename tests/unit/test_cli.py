"""The CLI prints one clear line on bad input and never a traceback."""

import pytest

from observatory_lib.products import cli


def test_missing_store_is_one_line_with_the_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OBSERVATORY_STORE", str(tmp_path / "nowhere"))
    assert cli.main(["info"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "observatory build" in err
    assert "Traceback" not in err


def test_unexpected_error_points_to_a_log_not_a_traceback(monkeypatch, capsys):
    def explode(arguments):
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(cli.COMMANDS, "info", (cli._no_options, explode))
    assert cli.main(["info"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "traceback in" in err


def test_unknown_subcommand_is_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["frobnicate"])
    assert caught.value.code == 2


def test_demo_and_build_are_registered():
    parser = cli.build_parser()
    names = set(parser._subparsers._group_actions[0].choices)
    assert {"build", "info", "data", "demo"} <= names

"""The CLI prints one clear line on bad input and never a traceback."""

from pathlib import Path

import pytest

from observatory_lib.cli import main as cli
from observatory_lib.cli import product_commands, registry
from observatory_lib.runtime import batch


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

    monkeypatch.setitem(cli.COMMANDS, "info", (registry.no_options, explode))
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


def test_the_cli_passes_scheduler_through(monkeypatch, tmp_path):
    seen = {}

    def fake_run_batch(notebook, jobs, output_root, **options):
        seen.update(options)
        return batch.BatchReport(Path(notebook), Path(output_root), [], 0.0, "warm", 1)

    monkeypatch.setattr(batch, "run_batch", fake_run_batch)
    parser = cli.build_parser()
    for name in ("scorecards", "demo", "reports"):
        assert parser.parse_args([name, "--scheduler", "local"]).scheduler == "local"
    assert parser.parse_args(["scorecards"]).scheduler is None
    arguments = parser.parse_args(["scorecards", "--scheduler", "tcp://h:8786", "--workers", "3"])
    product_commands._run("region_scorecard.ipynb", [], tmp_path, arguments, "v1")
    assert seen["scheduler"] == "tcp://h:8786" and seen["workers"] == 3

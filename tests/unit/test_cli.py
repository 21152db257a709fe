"""The CLI explains itself: help that lists every option's values, one clear line on bad input
(checked before any job runs), never a traceback; --version, ``values``, completion."""

import argparse
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import observatory_lib
from observatory_lib.cli import completion, data_commands, options, product_commands, registry
from observatory_lib.cli import main as cli
from observatory_lib.indicators import recipes
from observatory_lib.runtime import batch
from observatory_lib.runtime.job import JobResult


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

    def fake_run_batches(specs, **options):
        seen.update(options)
        return [
            batch.BatchReport(Path(s.notebook), Path(s.output_root), [], 0.0, "warm", 1)
            for s in specs
        ]

    monkeypatch.setattr(batch, "run_batches", fake_run_batches)
    parser = cli.build_parser()
    for name in ("scorecards", "demo", "reports"):
        assert parser.parse_args([name, "--scheduler", "local"]).scheduler == "local"
    assert parser.parse_args(["scorecards"]).scheduler is None
    arguments = parser.parse_args(["scorecards", "--scheduler", "tcp://h:8786", "--workers", "3"])
    scorecards = product_commands.Batch("region_scorecard.ipynb", [], tmp_path)
    assert product_commands.run_batches([scorecards], arguments, "v1") == 0
    assert seen["scheduler"] == "tcp://h:8786" and seen["workers"] == 3


# --- the command line explains itself ----------------------------------------------------------

# options whose values are too many or depend on the store: their help names the command
# that lists them
LISTED_BY_COMMAND = {"regions", "categories", "year", "datasets", "live_datasets"}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return dict(parser._subparsers._group_actions[0].choices)


def _options(parser: argparse.ArgumentParser):
    return [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]


def _help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    return " ".join(formatter._expand_help(action).split())


def _listed_values(action: argparse.Action) -> list[str]:
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        return [str(choice) for choice in action.choices]
    if action.dest in completion.COMPLETED_OPTIONS and action.dest not in LISTED_BY_COMMAND:
        return completion.COMPLETED_OPTIONS[action.dest][0]()
    return []


def test_every_option_of_every_subcommand_has_help_that_lists_its_values():
    parser = cli.build_parser()
    commands = _subcommands(parser)
    assert {"scorecards", "reports", "demo", "data", "values", "info", "serve"} <= set(commands)
    checked = 0
    for name, sub in [("observatory", parser), *commands.items()]:
        for action in _options(sub):
            where = f"{name} {'/'.join(action.option_strings) or action.dest}"
            assert action.help and action.help != argparse.SUPPRESS, f"{where}: no help"
            text = _help_of(sub, action)
            for value in _listed_values(action):
                assert value in text, f"{where}: help does not list {value!r}: {text}"
                checked += 1
            if action.dest in LISTED_BY_COMMAND:
                assert "`observatory values " in text, f"{where}: help names no list: {text}"
    assert checked > 40


def test_help_lists_a_rule_set_as_soon_as_its_yaml_has_it(monkeypatch):
    monkeypatch.setitem(options.VALUE_LISTS, "star_presets", lambda: ["eco2008", "mine"])
    sub = _subcommands(cli.build_parser())["scorecards"]
    assert "eco2008, mine" in " ".join(sub.format_help().split())


@pytest.fixture
def no_jobs(monkeypatch, toy_store):
    """The toy store as the current store; any job, plan or download fails the test."""

    def refuse(*arguments, **options):
        raise AssertionError("a job ran although a parameter was bad")

    monkeypatch.setattr(batch, "run_batches", refuse)
    monkeypatch.setattr(batch, "plan_batch", refuse)
    monkeypatch.setattr(recipes, "current_store", lambda *a, **k: toy_store)
    monkeypatch.setattr(options, "check_configuration", lambda store, variant: None)
    monkeypatch.setattr(product_commands, "ensure_store", lambda: dict(toy_store.info))
    monkeypatch.setattr(batch, "start_worker_server", lambda: None)
    from observatory_lib.data import update

    monkeypatch.setattr(update, "update_live", refuse)
    return toy_store


def test_a_live_update_says_the_store_in_use_is_unchanged_and_how_to_build_live(
    no_jobs, monkeypatch, capsys
):
    from observatory_lib.data import update

    monkeypatch.setattr(
        update, "update_live", lambda codes: iter(["nama_10r_2gdp: 980 observations"])
    )
    assert cli.main(["data", "update", "--datasets", "nama_10r_2gdp"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "nama_10r_2gdp: 980 observations"
    assert printed[-1] == data_commands.LIVE_BUILD_NOTE
    assert "store in use is unchanged" in printed[-1] and "build --live" in printed[-1]


def _exit_code(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as stop:  # argparse's own refusals
        return int(stop.code)


BAD_PARAMETERS = [
    (["scorecards", "--star-preset", "nope", "--regions", "AT11"], "--star-preset", "eco2008"),
    (["scorecards", "--star-preset", "eco", "--regions", "AT11"], "--star-preset", "nearest"),
    (["scorecards", "--framework-variant", "innov"], "--framework-variant", "innovation_focus"),
    (["scorecards", "--formats", "html,pfd"], "--formats", "nearest: pdf"),
    (["scorecards", "--formats", ","], "--formats", "ipynb"),
    (["scorecards", "--level", "7"], "--level", "0, 1, 2, 3"),
    (["scorecards", "--level", "two"], "--level", "int"),
    (["scorecards", "--year", "1990", "--regions", "AT11"], "--year", "2015"),
    (["scorecards", "--year", "20x5"], "--year", "2015"),
    (["scorecards", "--regions", "XX99"], "--regions", "AT11"),
    (["scorecards", "--engine", "warmm"], "--engine", "papermill"),
    (["scorecards", "--workers", "-2"], "--workers", "positive"),
    (["scorecards", "--scheduler", "not an address"], "--scheduler", "tcp://HOST:PORT"),
    (["reports", "--only", "panorma"], "--only", "nearest: panorama"),
    (["reports", "--categories", "automotiv"], "--categories", "automotive"),
    (["reports", "--only", "scoreboard", "--year", "1980"], "--year", "2010-2015"),
    (["reports", "--only", "panorama", "--year", "2007"], "--year", "2015"),
    (["reports", "--level", "3"], "--level", "0, 1, 2"),
    (["demo", "--star-preset", "nope"], "--star-preset", "panorama4"),
    (["demo", "--regions", "AT11,XX99"], "--regions", "XX99"),
    (["demo", "--only", "scoreboard", "--year", "1990"], "--year", "2015"),
    (["values", "regionz"], "kind", "regions"),
    (["data", "update", "--datasets", "nama_10r_2gdpp"], "--datasets", "nama_10r_2gdp"),
]


@pytest.mark.parametrize(("argv", "option", "hint"), BAD_PARAMETERS, ids=lambda v: str(v))
def test_every_bad_parameter_is_refused_before_any_job_in_one_line(
    no_jobs, capsys, argv, option, hint
):
    assert _exit_code(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert option in captured.err and hint in captured.err, captured.err
    assert "Traceback" not in captured.err
    assert "jobs:" not in captured.out  # no batch summary: nothing ran


def test_a_framework_naming_an_indicator_the_store_lacks_is_refused_before_any_job(
    monkeypatch, toy_store, capsys
):
    monkeypatch.setattr(recipes, "current_store", lambda *a, **k: toy_store)
    monkeypatch.setattr(recipes, "available_indicators", lambda store: {"gdp_pps_per_hab"})
    monkeypatch.setattr(batch, "run_batches", lambda *a, **k: pytest.fail("a job ran"))
    monkeypatch.setattr(batch, "start_worker_server", lambda: None)
    assert _exit_code(["scorecards", "--regions", "AT11", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "scoreboard_framework.yaml, line" in err and err.count("\n") == 1


def test_version_is_printed(capsys):
    assert _exit_code(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"observatory {observatory_lib.__version__}"


def test_values_lists_the_valid_values(no_jobs, capsys):
    assert cli.main(["values", "star-presets"]) == 0
    assert {"eco2008", "eocic", "panorama4"} <= set(capsys.readouterr().out.split())
    assert cli.main(["values", "regions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "AT11\t" in "\n".join(lines) + "\t" and all("\t" in line for line in lines)
    assert cli.main(["values", "years"]) == 0
    assert "2010-2015" in capsys.readouterr().out


def test_the_summary_gives_each_failed_jobs_reason_on_one_line(tmp_path):
    results = [JobResult("DE11", "ok")] + [
        JobResult(f"X{n:02d}", "failed", error=f"UnknownCodeError: bad region X{n:02d}")
        for n in range(12)
    ]
    results.append(JobResult("LONG", "failed", error="ValueError: " + "x" * 500))
    summary = batch.BatchReport(Path("nb.ipynb"), tmp_path, results, 1.0, "warm", 2).summary()
    lines = summary.splitlines()
    assert lines[0].startswith("14 jobs: 1 ok, 13 failed")
    assert f"tracebacks in {tmp_path / batch.LOG_NAME}" in lines[1]
    assert "  X00: UnknownCodeError: bad region X00" in lines
    assert lines[-1].startswith("  ... and 3 more") and "manifest.json" in lines[-1]
    report = batch.BatchReport(Path("nb.ipynb"), tmp_path, results[-1:], 1.0, "warm", 2)
    long_line = report.summary().splitlines()[-1]
    assert len(long_line) < 320 and long_line.endswith("…")


def _catalog(**sources: str):
    return SimpleNamespace(
        sources={code: SimpleNamespace(id=code, sha256=digest) for code, digest in sources.items()}
    )


def test_info_says_which_data_the_store_holds():
    provenance = pd.DataFrame(
        {
            "source_code": ["sbs", "gdp"],
            "sha256": ["a" * 64, "b" * 64],
            "dataset_code": ["sbs_r_nuts06_r2", "nama_10r_2gdp"],
            "vintage": ["2015 extract", "2016-02-26"],
            "nuts_edition": [2013, None],
        }
    )
    info = {"statistics_nuts_edition": 2016}
    pinned = registry.format_inputs(info, provenance, _catalog(sbs="a" * 64, gdp="b" * 64))
    assert "the pinned vintages of data/catalog.yaml (2 inputs" in pinned
    assert "sbs_r_nuts06_r2: 2015 extract, NUTS 2013" in pinned
    assert "nama_10r_2gdp: 2016-02-26\n" in pinned + "\n"  # no edition recorded: none printed
    assert "statistics recoded to NUTS 2016" in pinned
    other = registry.format_inputs(info, provenance, _catalog(sbs="a" * 64, gdp="c" * 64))
    assert "1 of 2 inputs are not the pinned ones" in other and "gdp" in other
    live = {**info, "data_origin": "live build from the Eurostat API, 2026-12-01"}
    assert "data: live build" in registry.format_inputs(live, provenance, _catalog())


def test_the_values_kinds_cover_every_listed_option():
    kinds = set(data_commands.VALUE_KINDS)
    assert {"regions", "categories", "years", "datasets", "star-presets"} <= kinds


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("observatory scorecards --star-preset e", {"eco2008", "eocic"}),
        ("observatory scorecards --formats html,p", {"html,pdf"}),
        ("observatory reports --only pan", {"panorama"}),
        ("observatory value", {"values"}),
    ],
)
def test_shell_completion_offers_the_valid_values(tmp_path, line, expected):
    """The argcomplete protocol, as bash drives it: the command answers with its completions."""
    answer = tmp_path / "completions"
    environment = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
    }
    command = [sys.executable, "-c", "from observatory_lib.cli.main import main; main()"]
    subprocess.run(command, env=environment, check=False, timeout=60, capture_output=True)
    offered = {item.strip() for item in answer.read_text().split("\n") if item.strip()}
    assert expected <= offered, offered


def test_completion_completes_the_last_item_of_a_list():
    assert completion.complete_values("html,j", ["json", "ipynb"], True) == ["html,json"]
    assert completion.complete_values("e", ["eco2008", "eocic", "panorama4"], False) == [
        "eco2008",
        "eocic",
    ]


def test_a_pdf_engine_that_cannot_print_is_refused_before_any_job(no_jobs, monkeypatch, capsys):
    monkeypatch.setenv("OBSERVATORY_PDF_ENGINE", "acrobat")
    assert _exit_code(["scorecards", "--regions", "AT11"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert "OBSERVATORY_PDF_ENGINE" in captured.err and "chromium, weasyprint" in captured.err
    assert "jobs:" not in captured.out
    # a batch that writes no PDF does not need an engine: it goes on to plan its jobs
    _exit_code(["scorecards", "--regions", "AT11", "--formats", "html,json"])
    assert "a job ran" in capsys.readouterr().err  # no_jobs stops it there

"""batch + warm_engine: per-job outputs, failure isolation, resume, locks, kills, identity.

The jobs run the fixture notebooks in tests/notebooks/fixtures (pandas + matplotlib only).
Most tests use workers=0, so they share this process's warm kernel like a batch worker does.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import batch_helpers as helpers
import nbformat
import pytest

from observatory_lib.errors import ObservatoryError
from observatory_lib.runtime import batch
from observatory_lib.runtime.batch import (
    LOCK_NAME,
    LOG_NAME,
    MANIFEST_NAME,
    TEMP_PREFIX,
    BatchError,
    BatchLockError,
    OutputDirError,
    batch_lock,
    plan_batch,
    read_parameter_names,
    run_batch,
)
from observatory_lib.runtime.fingerprint import CodeVersion
from observatory_lib.runtime.warm_engine import get_warm_kernel

FIXTURES = Path(__file__).resolve().parents[1] / "notebooks" / "fixtures"
SCORECARD = FIXTURES / "scorecard_fixture.ipynb"
PROBE = FIXTURES / "kernel_probe.ipynb"
FORMATS = ("ipynb", "html", "pdf", "json")


def _run(notebook, jobs, root, **options):
    options = {"workers": 0, "progress": False, **options}
    return run_batch(notebook, jobs, root, **options)


@pytest.fixture(scope="module")
def first_batch(tmp_path_factory):
    """Four scorecards, one of which (XX99) raises in a cell."""
    root = tmp_path_factory.mktemp("batch")
    report = _run(SCORECARD, helpers.regions("DE11", "DE21", "XX99", "FR10"), root)
    return root, report


@pytest.mark.notebook
def test_failing_job_is_recorded_and_the_others_succeed(first_batch):
    root, report = first_batch
    assert report.ok == ["DE11", "DE21", "FR10"]
    assert report.failed == ["XX99"]
    assert report.exit_code == 1
    assert "XX99" in report.summary() and LOG_NAME in report.summary()
    # the failed job's one-line reason is in the summary, its traceback only in the log
    reason_line = next(line for line in report.summary().splitlines() if "XX99" in line)
    assert "Unknown region 'XX99'" in reason_line and "Traceback" not in report.summary()
    jobs = helpers.manifest(root)
    assert jobs["XX99"]["status"] == "failed"
    error = jobs["XX99"]["error"]
    assert "Unknown region 'XX99'" in error and "DE11" in error  # the notebook's own message
    assert "\n" not in error and "Traceback" not in error
    assert jobs["XX99"]["outputs"] == []
    assert not (root / "XX99").exists()
    log = (root / LOG_NAME).read_text(encoding="utf-8")
    assert "job XX99 failed" in log and "raise unknown_code" in log  # the traceback
    assert helpers.temp_entries(root) == []


@pytest.mark.notebook
def test_each_job_directory_holds_every_format_and_the_manifest_describes_it(first_batch):
    root, _ = first_batch
    entry = helpers.manifest(root)["DE11"]
    assert entry["status"] == "ok" and entry["error"] == ""
    assert entry["outputs"] == [f"DE11/DE11.{ext}" for ext in FORMATS]
    assert sorted(p.name for p in (root / "DE11").iterdir()) == sorted(
        f"DE11.{ext}" for ext in FORMATS
    )
    hashes = {"notebook_sha256", "parameters_sha256", "store_version", "code_version"}
    assert set(entry["input_hashes"]) == hashes
    assert entry["duration_s"] > 0
    twin = json.loads((root / "DE11" / "DE11.json").read_text(encoding="utf-8"))
    assert twin["job_id"] == "DE11" and twin["parameters"] == {"region_code": "DE11"}
    record = twin["record"]
    assert record["region_name"] == "Stuttgart" and record["year"] == 2021
    assert record["n_categories"] == 8 and isinstance(record["total_employment_persons"], float)
    assert record["textiles_employment_persons"] is None  # NaN became null
    executed = nbformat.read(root / "DE11" / "DE11.ipynb", as_version=4)
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    assert "start_time" not in executed.metadata.papermill
    html = (root / "DE11" / "DE11.html").read_text(encoding="utf-8")
    assert "Stuttgart (DE11)" in html and "publish_record" not in html


@pytest.mark.notebook
def test_pdf_contains_text_from_the_notebook(first_batch):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is missing in CI")
        pytest.skip("pdftotext not installed: apt-get install poppler-utils to check PDF text")
    root, _ = first_batch
    text = subprocess.run(
        [pdftotext, str(root / "FR10" / "FR10.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Regional cluster scorecard" in text
    assert "Total cluster employment in Ile-de-France (FR10)" in text


@pytest.mark.notebook
def test_resume_skips_unchanged_jobs_force_reruns_retry_failed_reruns_failures(tmp_path):
    jobs = helpers.regions("DE11", "XX99")
    _run(SCORECARD, jobs, tmp_path, formats=("json",))
    written = (tmp_path / "DE11" / "DE11.json").stat().st_mtime_ns

    again = _run(SCORECARD, jobs, tmp_path, formats=("json",))
    assert again.skipped == ["DE11"] and again.failed == ["XX99"]  # failures have no outputs
    assert (tmp_path / "DE11" / "DE11.json").stat().st_mtime_ns == written
    assert helpers.manifest(tmp_path)["DE11"]["status"] == "skipped"

    retried = _run(
        SCORECARD,
        [*jobs, ("ES51", {"region_code": "ES51"})],
        tmp_path,
        formats=("json",),
        retry_failed=True,
    )
    assert retried.failed == ["XX99"] and retried.skipped == ["DE11", "ES51"]
    assert not (tmp_path / "ES51").exists()  # retry_failed runs nothing new

    forced = _run(SCORECARD, jobs[:1], tmp_path, formats=("json",), force=True)
    assert forced.ok == ["DE11"]
    assert (tmp_path / "DE11" / "DE11.json").stat().st_mtime_ns != written


@pytest.mark.notebook
def test_changed_inputs_or_missing_outputs_rerun_a_job(tmp_path):
    jobs = helpers.regions("DE11")
    _run(SCORECARD, jobs, tmp_path, formats=("json",))
    assert _run(SCORECARD, jobs, tmp_path, formats=("json",)).skipped == ["DE11"]
    assert _run(SCORECARD, jobs, tmp_path, formats=("json",), store_version="v2").ok == ["DE11"]
    twin = json.loads((tmp_path / "DE11" / "DE11.json").read_text(encoding="utf-8"))
    assert twin["store_version"] == "v2"
    changed = [("DE11", {"region_code": "DE11", "year": 2020})]
    assert _run(SCORECARD, changed, tmp_path, formats=("json",), store_version="v2").ok == ["DE11"]
    (tmp_path / "DE11" / "DE11.json").unlink()
    assert _run(SCORECARD, changed, tmp_path, formats=("json",), store_version="v2").ok == ["DE11"]
    more_formats = _run(SCORECARD, changed, tmp_path, formats=("json", "ipynb"), store_version="v2")
    assert more_formats.ok == ["DE11"]


@pytest.mark.notebook
def test_changed_project_code_reruns_and_the_dry_run_says_why(tmp_path, monkeypatch):
    jobs = helpers.regions("DE11", "FR10")
    versions = {"old": CodeVersion("old", {"observatory_lib/x.py": "1"})}
    monkeypatch.setattr(batch, "code_version", lambda notebook: versions["old"])
    assert _run(SCORECARD, jobs, tmp_path, formats=("json",)).ok == ["DE11", "FR10"]
    plans = plan_batch(SCORECARD, jobs, tmp_path, formats=("json",))
    assert [(p.action, p.reason) for p in plans] == [("skip", "up to date")] * 2
    versions["old"] = CodeVersion("new", {"observatory_lib/x.py": "2"})
    plans = plan_batch(SCORECARD, jobs, tmp_path, formats=("json",))
    assert [p.reason for p in plans] == ["project code changed: observatory_lib/x.py"] * 2
    assert helpers.manifest(tmp_path)["DE11"]["status"] == "ok"  # a dry run writes nothing
    assert _run(SCORECARD, jobs, tmp_path, formats=("json",)).ok == ["DE11", "FR10"]


@pytest.mark.notebook
def test_warm_outputs_are_identical_to_a_fresh_papermill_run(tmp_path):
    fresh = _run(SCORECARD, helpers.regions("ES51"), tmp_path / "fresh", engine="papermill")
    assert fresh.ok == ["ES51"]
    # the warm kernel first runs other jobs: a probe that leaves state behind and a failure
    _run(PROBE, [("leaky", {"mark": "leaky"})], tmp_path / "probe", formats=("json",))
    warm = _run(SCORECARD, helpers.regions("DE21", "XX99", "ES51"), tmp_path / "warm")
    assert warm.ok == ["DE21", "ES51"]
    for extension in ("json", "html", "ipynb"):
        fresh_text = (tmp_path / "fresh" / "ES51" / f"ES51.{extension}").read_text("utf-8")
        warm_text = (tmp_path / "warm" / "ES51" / f"ES51.{extension}").read_text("utf-8")
        assert warm_text == fresh_text, extension


def _probe_records(root: Path, ids) -> dict:
    return {
        job_id: json.loads((root / job_id / f"{job_id}.json").read_text("utf-8"))["record"]
        for job_id in ids
    }


@pytest.mark.notebook
def test_warm_kernel_is_reused_and_each_job_starts_clean(tmp_path):
    jobs = [(mark, {"mark": mark}) for mark in ("a", "b", "c")]
    assert _run(PROBE, jobs[:1], tmp_path, formats=("json",)).ok == ["a"]
    kernel = get_warm_kernel("python3")
    pid = kernel.km.provisioner.process.pid
    report = _run(PROBE, jobs, tmp_path, formats=("json",), force=True)
    assert report.ok == ["a", "b", "c"]
    assert kernel.km.provisioner.process.pid == pid  # the same kernel ran every job
    for record in _probe_records(tmp_path, ["a", "b", "c"]).values():
        assert record["leftover_names"] == []
        assert record["display_max_rows"] == 60
        assert record["lines_linewidth"] == 1.5
        assert record["open_figures"] == 0
        assert record["env_leftover"] is None
        assert record["cwd"] == str(FIXTURES)


def _pid_records(root: Path, ids) -> list[dict]:
    return [
        json.loads((root / job_id / f"{job_id}.json").read_text("utf-8"))["record"]
        for job_id in ids
    ]


@pytest.mark.notebook
def test_batches_run_together_share_the_workers_and_keep_their_own_manifests(tmp_path):
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    first, second = helpers.pid_probe(tmp_path / "one"), helpers.pid_probe(tmp_path / "two")
    specs = [
        batch.BatchSpec(first, [("a", {"mark": "a"})], tmp_path / "out1"),
        batch.BatchSpec(second, [("b", {"mark": "b"}), ("c", {"mark": "c"})], tmp_path / "out2"),
    ]
    options = {"workers": 1, "formats": ("json",), "progress": False}
    reports = batch.run_batches(specs, **options)
    assert [report.ok for report in reports] == [["a"], ["b", "c"]]
    assert [report.output_root for report in reports] == [tmp_path / "out1", tmp_path / "out2"]
    assert "into 2 batches run together" in reports[1].summary()
    assert list(helpers.manifest(tmp_path / "out1")) == ["a"]
    assert sorted(helpers.manifest(tmp_path / "out2")) == ["b", "c"]
    one, two, three = _pid_records(tmp_path / "out1", ["a"]) + _pid_records(
        tmp_path / "out2", ["b", "c"]
    )
    assert one["kernel_pid"] == two["kernel_pid"] == three["kernel_pid"]  # one warm kernel
    assert two["leftover"] == [] and three["leftover"] == []  # each job starts clean
    helpers.wait_for(lambda: not helpers.is_running(one["worker_pid"]), 10, "the worker to stop")
    # run again: every job is up to date in its own batch
    again = batch.run_batches(specs, **options)
    assert [report.skipped for report in again] == [["a"], ["b", "c"]]


@pytest.mark.notebook
def test_a_dead_kernel_fails_only_its_job_and_is_replaced(tmp_path):
    jobs = [
        ("before", {"mark": "before"}),
        ("crash", {"mark": "crash", "exit_kernel": True}),
        ("after", {"mark": "after"}),
    ]
    _run(PROBE, jobs[:1], tmp_path, formats=("json",))
    pid = get_warm_kernel("python3").km.provisioner.process.pid
    report = _run(PROBE, jobs, tmp_path, formats=("json",), force=True)
    assert report.ok == ["before", "after"] and report.failed == ["crash"]
    assert "kernel died" in helpers.manifest(tmp_path)["crash"]["error"]
    assert get_warm_kernel("python3").km.provisioner.process.pid != pid
    assert _probe_records(tmp_path, ["after"])["after"]["leftover_names"] == []


@pytest.mark.notebook
def test_a_kernel_left_broken_by_a_job_is_replaced_before_the_next_job(tmp_path):
    _run(PROBE, [("a", {"mark": "a"})], tmp_path, formats=("json",))
    kernel = get_warm_kernel("python3")
    pid = kernel.km.provisioner.process.pid
    # what a careless notebook could do: remove the helpers the reset relies on
    kernel._run_silently("import sys; del sys.modules['_observatory_warm_kernel']", 10)
    report = _run(PROBE, [("b", {"mark": "b"})], tmp_path, formats=("json",))
    assert report.ok == ["b"]
    assert kernel.km.provisioner.process.pid != pid


@pytest.mark.notebook
@pytest.mark.slow
def test_a_dead_worker_process_fails_its_jobs_and_the_batch_goes_on(tmp_path):
    jobs = [
        ("killer", {"mark": "killer", "kill_batch_worker": True}),
        ("beside", {"mark": "beside"}),  # queued in the same pool: may be failed with it
        ("later", {"mark": "later"}),
    ]
    report = _run(PROBE, jobs, tmp_path, formats=("json",), workers=1)
    assert "killer" in report.failed and "later" in report.ok
    assert "worker process running this job died" in helpers.manifest(tmp_path)["killer"]["error"]
    assert helpers.temp_entries(tmp_path) == []


@pytest.mark.notebook
def test_a_cell_that_runs_too_long_fails_its_job_only(tmp_path):
    jobs = [("slow", {"mark": "slow", "sleep_s": 30.0}), ("next", {"mark": "next"})]
    started = time.monotonic()
    report = _run(PROBE, jobs, tmp_path, formats=("json",), cell_timeout=1)
    assert time.monotonic() - started < 20
    assert report.failed == ["slow"] and report.ok == ["next"]
    assert "1 s cell timeout" in helpers.manifest(tmp_path)["slow"]["error"]
    assert _probe_records(tmp_path, ["next"])["next"]["leftover_names"] == []


def test_a_second_batch_on_the_same_directory_is_refused_naming_the_lock_and_pid(tmp_path):
    with batch_lock(tmp_path), pytest.raises(BatchLockError) as caught:
        _run(SCORECARD, helpers.regions("DE11"), tmp_path, formats=("json",))
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message and LOCK_NAME in message and str(tmp_path) in message
    assert not (tmp_path / "DE11").exists()


@pytest.mark.notebook
def test_a_lock_left_by_a_dead_batch_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": "x", "since": "y"}))
    assert _run(SCORECARD, helpers.regions("DE11"), tmp_path, formats=("json",)).ok == ["DE11"]


def test_an_output_directory_that_cannot_be_created_is_reported_before_any_work(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(OutputDirError, match="Cannot write to the output directory") as caught:
        _run(SCORECARD, helpers.regions("DE11"), blocker / "out")
    assert "a_file" in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
def test_a_read_only_output_directory_is_reported_before_any_work(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OutputDirError, match="make it writable"):
            _run(SCORECARD, helpers.regions("DE11"), tmp_path)
    finally:
        tmp_path.chmod(0o700)


def _notebook_without_parameters(tmp_path: Path) -> Path:
    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"jobs": [("DE11", {"regoin_code": "DE11"})]}, "unknown parameter(s) regoin_code"),
        ({"jobs": [("../etc", {})]}, "cannot be a directory name"),
        ({"jobs": [("DE11", {}), ("DE11", {})]}, "appears twice"),
        ({"jobs": [("DE11", {"year": float("nan")})]}, "not plain JSON values"),
        ({"formats": ("docx",)}, "Unknown output format"),
        ({"engine": "fast"}, "Unknown engine"),
        ({"workers": -1}, "workers must be"),
        ({"kernel_name": "no-such-kernel"}, "is not installed"),
        ({"notebook": "missing.ipynb"}, "not found"),
        ({"notebook": "plain"}, "no cell tagged 'parameters'"),
    ],
)
def test_bad_input_gets_one_clear_message_before_any_work(tmp_path, change, message):
    options = {"notebook": SCORECARD, "jobs": helpers.regions("DE11"), **change}
    if options["notebook"] == "plain":
        options["notebook"] = _notebook_without_parameters(tmp_path)
    root = tmp_path / "out"
    with pytest.raises(BatchError) as caught:
        _run(options.pop("notebook"), options.pop("jobs"), root, **options)
    assert message in str(caught.value)
    assert isinstance(caught.value, ObservatoryError)
    assert not root.exists() or not any(p.name == "DE11" for p in root.iterdir())


def test_parameter_names_are_read_without_running_the_notebook():
    assert read_parameter_names(SCORECARD) == {"region_code", "year"}
    assert read_parameter_names(PROBE) == {"mark", "exit_kernel", "sleep_s", "kill_batch_worker"}


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_batch_killed_midway_leaves_no_partial_files_and_a_rerun_completes(tmp_path):
    codes = ["DE11", "DE21", "FR10", "ITC4", "ES51", "NL33", "DE11", "DE21"]
    root, _ = helpers.kill_batch_midway(tmp_path, SCORECARD, codes, scheduler=None, timeout=90)
    helpers.check_complete_job_directories(root)

    # what a kill of the whole process group mid-write leaves behind (workers included)
    staging = root / f"{TEMP_PREFIX}R7-0badf00d"
    staging.mkdir(exist_ok=True)
    (staging / "R7.pdf").write_bytes(b"%PDF-1.7 truncated")
    (root / f"{TEMP_PREFIX}{MANIFEST_NAME}-0badf00d").write_text("{")
    jobs = [(f"R{i}", {"region_code": code}) for i, code in enumerate(codes)]
    rerun = _run(SCORECARD, jobs, root)
    assert rerun.failed == [] and len(rerun.ok) + len(rerun.skipped) == len(codes)
    assert len(rerun.skipped) >= 1  # the job finished before the kill is not redone
    assert len(rerun.ok) >= 1  # the kill came before the end
    assert helpers.temp_entries(root) == []
    assert all((root / f"R{i}" / f"R{i}.pdf").exists() for i in range(len(codes)))

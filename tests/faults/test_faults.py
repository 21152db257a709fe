"""The fault suite: every way to feed or run the workbook badly gets one clear error, and
nothing already made is lost.

Run it with ``.venv/bin/pytest tests/faults`` (about two minutes on 2 free cores;
``-m "not slow"`` leaves out the killed Dask batch). Cases that other suites already prove are
referenced here, not repeated (paths relative to tests/):

unknown or malformed region codes
    here: the CLI exits 2 with one line and the nearest codes;
    unit/test_selection.py::test_unknown_code_lists_nearest
lowercase and spaced codes, NUTS-3 regions
    here: the CLI on a Dask local cluster; NUTS-3 scorecards say "not available"
wrong parameter types
    here: ``papermill -p peers DE12,DE13`` works, ``-p year abc`` fails with a clear evalue;
    notebooks/test_region_scorecard.py (string ``peers`` through the Python API)
corrupted cached data file
    here: ``observatory build`` exits 2 naming the file and the fix, the store stays;
    unit/test_retrieval.py::test_corrupt_cache_names_the_file_and_the_fix
truncated Parquet store table
    integration/test_store.py::test_truncated_table_gives_a_clear_error (load_store);
    here: the CLI's one line
failed build
    integration/test_store.py::test_failed_build_leaves_previous_store_intact
source file lacking a column
    here: real mirror files through the readers, the catalog checksum and the build;
    unit/test_eurostat.py (synthetic files)
a bad SBS bulk file (unknown indicator, a period that is not a year, a region in no edition)
    here: one error naming the file, the line and the fix, through the build, and the previous
    store stays current and loadable; unit/test_sbs.py (small inline files)
kernel dies mid-notebook (the probe's ``exit_kernel`` calls os._exit)
    unit/test_batch.py::test_a_dead_kernel_fails_only_its_job_and_is_replaced;
    unit/test_dask_backend.py::test_dead_kernel_and_dead_worker_fail_only_their_jobs
worker process dies
    unit/test_batch.py::test_a_dead_worker_process_fails_its_jobs_and_the_batch_goes_on;
    unit/test_dask_backend.py (KilledWorker)
cell runs forever
    unit/test_batch.py::test_a_cell_that_runs_too_long_fails_its_job_only
read-only output directory
    here: the output root is an existing FILE (chmod cannot stop root), also via the CLI;
    unit/test_batch.py::test_an_output_directory_that_cannot_be_created_is_reported_before_any_work
    (a path under a file) and ::test_a_read_only_output_directory_is_reported_before_any_work
    (chmod; skipped when the tests run as root)
full output directory
    here: ENOSPC is SIMULATED in-process (monkeypatched writers of a job and of the
    manifest); a REAL kernel-enforced write failure comes from RLIMIT_FSIZE in a child
    process (EFBIG, "File too large"): a small tmpfs would need a mount, which tests avoid
SIGKILL of the batch
    unit/test_batch.py::test_a_batch_killed_midway_leaves_no_partial_files_and_a_rerun_completes
    (process pool); here: the Dask local cluster (slow)
two batches on one output directory
    unit/test_batch.py::test_a_second_batch_on_the_same_directory_is_refused_naming_the_lock_and_pid
    (same process); here: a second process and the CLI, then the killed holder's lock is free
unreachable or wrong Dask scheduler
    unit/test_dask_backend.py
hostile frames for the indicator functions
    faults/test_fault_properties.py (hypothesis)
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import batch_helpers as helpers
import nbformat
import pandas as pd
import pytest
import yaml

from observatory_lib import paths
from observatory_lib.cli import main as cli
from observatory_lib.data import eurostat, retrieval
from observatory_lib.data import store as store_module
from observatory_lib.errors import DataSourceError
from observatory_lib.runtime import batch, job, manifest
from observatory_lib.runtime.batch import (
    MANIFEST_NAME,
    BatchLockError,
    OutputDirError,
    run_batch,
)
from observatory_lib.runtime.records import extract_record

PROJECT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT / "tests" / "notebooks" / "fixtures"
SCORECARD = FIXTURES / "scorecard_fixture.ipynb"
PROBE = FIXTURES / "kernel_probe.ipynb"
REAL_SCORECARD = paths.NOTEBOOK_DIR / "region_scorecard.ipynb"
FORMATS = ("ipynb", "html", "pdf", "json")
SBS_FILE = "eurostat/sbs_r_nuts06_r2_persons_employed_2015.csv"
EURITO_FILE = "eurostat/eurito_2022/pat_ep_rtot_nr.csv"


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def outputs(tmp_path, monkeypatch) -> Path:
    """A private OBSERVATORY_OUTPUTS, so that CLI runs write nowhere else."""
    directory = tmp_path / "outputs"
    monkeypatch.setenv("OBSERVATORY_OUTPUTS", str(directory))
    return directory


@pytest.fixture
def store_copy(built_store, tmp_path, monkeypatch) -> Path:
    """A copy of the built store (and its cache) that a test may damage or rebuild."""
    root = tmp_path / "store"
    shutil.copytree(built_store.path.parent, root)
    cache = tmp_path / "cache"
    shutil.copytree(paths.cache_dir(), cache)
    monkeypatch.setenv("OBSERVATORY_STORE", str(root))
    monkeypatch.setenv("OBSERVATORY_CACHE", str(cache))
    return root


# --- region codes ----------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("XX99", "valid region or country codes: AL,"),  # nothing near: the list starts
        ("de1x", "nearest valid region or country codes: DE1,"),
        ("DE11;FR10", "nearest valid region or country codes: DE111, FR10"),
        ("DE11, ZZ00", "'ZZ00'"),
    ],
)
def test_unknown_or_malformed_region_codes_exit_2_with_one_line(
    built_store, outputs, capsys, given, shown
):
    assert cli.main(["scorecards", "--regions", given, "--no-progress"]) == 2
    err = _one_line_error(capsys)
    assert "Unknown region or country" in err and shown in err
    assert "Use NUTS 2016 codes" in err
    assert not outputs.exists()  # refused before any work


@pytest.mark.integration
@pytest.mark.notebook
def test_lowercase_spaced_codes_and_nuts3_run_on_a_dask_local_cluster(built_store, outputs, capsys):
    arguments = ["scorecards", "--level", "3", "--regions", "  mt ,de11  "]
    arguments += ["--formats", "json", "--workers", "1", "--scheduler", "local", "--no-progress"]
    assert cli.main(arguments) == 0, capsys.readouterr().err
    assert "on Dask local" in capsys.readouterr().out
    root = outputs / "scorecards"
    records = {
        code: json.loads((root / code / f"{code}.json").read_text("utf-8"))["record"]
        for code in ("MT001", "DE11")  # MT at level 3: its NUTS-3 region with data
    }
    assert records["DE11"]["nuts_level"] == 2 and records["DE11"]["portfolio"]
    nuts3 = records["MT001"]
    assert nuts3["nuts_level"] == 3 and nuts3["region_code"] == "MT001"
    assert nuts3["cluster_summary"]["has_cluster_data"] is False
    assert nuts3["scoreboard"]["available"] is False
    assert any("not available" in note for note in nuts3["notes"])


# --- parameters given as Papermill strings -----------------------------------------------------


@pytest.mark.integration
@pytest.mark.notebook
def test_papermill_string_parameters_work_or_fail_with_a_clear_evalue(built_store, tmp_path):
    papermill = Path(sys.executable).with_name("papermill")
    runs = {
        "peers": ["-p", "region_code", "DE11", "-p", "peers", "DE12,DE13", "-p", "n_draws", "50"],
        "year": ["-p", "region_code", "DE11", "-p", "year", "abc"],
    }
    started = {
        name: subprocess.Popen(
            [str(papermill), str(REAL_SCORECARD), str(tmp_path / f"{name}.ipynb"), *options],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, options in runs.items()
    }  # both at once: each pays a kernel start
    codes = {name: process.wait(timeout=180) for name, process in started.items()}

    assert codes["peers"] == 0
    record = extract_record(nbformat.read(tmp_path / "peers.ipynb", as_version=4))
    assert record["peers"] == ["DE12", "DE13"] and record["parameters"]["n_draws"] == 50

    assert codes["year"] != 0
    failed = nbformat.read(tmp_path / "year.ipynb", as_version=4)
    errors = [
        output
        for cell in failed.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert len(errors) == 1
    assert errors[0]["ename"] == "ObservatoryError"
    evalue = errors[0]["evalue"]
    assert "year='abc'" in evalue and "Fix:" in evalue and "\n" not in evalue


# --- damaged data: cache, store, sources ------------------------------------------------------


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for offset in range(middle, middle + 16):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.integration
def test_a_corrupted_cache_file_stops_the_build_and_keeps_the_previous_store(
    built_store, store_copy, capsys
):
    source = retrieval.load_catalog()[store_module.GEOMETRY_SOURCES[2016][0]]
    damaged = paths.cache_dir() / source.file
    _flip_bytes(damaged)
    current = (store_copy / "CURRENT").read_text()

    assert cli.main(["build"]) == 2
    err = _one_line_error(capsys)
    assert str(damaged) in err and "Checksum mismatch" in err
    assert "observatory data fetch" in err  # the fix
    assert (store_copy / "CURRENT").read_text() == current
    assert not list(store_copy.glob(".building-*"))
    assert store_module.load_store().version == built_store.version

    damaged.unlink()  # the fix the message names: the next build fetches it again
    assert cli.main(["build"]) == 0
    assert store_module.load_store().version == built_store.version


@pytest.mark.integration
def test_a_truncated_store_table_is_one_line_naming_the_file_and_the_fix(
    store_copy, outputs, capsys
):
    version = (store_copy / "CURRENT").read_text().strip()
    table = store_copy / version / "cluster_employment.parquet"
    table.write_bytes(table.read_bytes()[:100])
    for arguments in (["info"], ["scorecards", "--regions", "DE11", "--no-progress"]):
        assert cli.main(arguments) == 2
        err = _one_line_error(capsys)
        assert str(table) in err and "observatory build" in err
    assert not outputs.exists()


def _drop_column(source: Path, target: Path, column: str, sep: str) -> None:
    frame = pd.read_csv(source, sep=sep, dtype=str, keep_default_na=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.drop(columns=[column]).to_csv(target, sep=sep, index=False)


@pytest.mark.parametrize(
    ("file_name", "column", "sep", "reader"),
    [
        (SBS_FILE, "geo", ";", eurostat.read_sbs_extract),
        (EURITO_FILE, "region_level", ",", eurostat.read_eurito_extract),
    ],
)
def test_a_real_source_file_lacking_a_column_names_the_file_and_the_column(
    mirror_dir, tmp_path, file_name, column, sep, reader
):
    damaged = tmp_path / file_name
    _drop_column(mirror_dir / file_name, damaged, column, sep)
    with pytest.raises(DataSourceError) as caught:
        reader(damaged)
    message = str(caught.value)
    assert Path(file_name).name in message and column in message and "\n" not in message


@pytest.fixture
def mirror_without_a_column(mirror_dir, tmp_path, monkeypatch) -> Path:
    """A copy of the mirror whose SBS extract lost its ``geo`` column, and an empty cache."""
    mirror = tmp_path / "mirror"
    shutil.copytree(mirror_dir, mirror)
    _drop_column(mirror_dir / SBS_FILE, mirror / SBS_FILE, "geo", ";")
    monkeypatch.setenv("OBSERVATORY_MIRROR", str(mirror))
    monkeypatch.setenv("OBSERVATORY_CACHE", str(tmp_path / "fresh-cache"))
    return mirror


@pytest.mark.integration
def test_a_source_lacking_a_column_is_refused_by_its_checksum_then_by_its_reader(
    built_store, store_copy, mirror_without_a_column, tmp_path, capsys
):
    # end to end, the catalog's sha256 catches the changed file first
    assert cli.main(["build"]) == 2
    err = _one_line_error(capsys)
    assert str(mirror_without_a_column / SBS_FILE) in err and "Checksum mismatch" in err
    assert "sbs_r_nuts06_r2_2015" in err and "Fix:" in err
    assert store_module.load_store().version == built_store.version

    # a catalog that accepts the new file (as after an update) reaches the reader's message
    document = yaml.safe_load(paths.CATALOG_FILE.read_text(encoding="utf-8"))
    for entry in document["sources"]:
        if entry["file"] == SBS_FILE:
            entry["sha256"] = retrieval.sha256_of(mirror_without_a_column / SBS_FILE)
    catalog_file = tmp_path / "catalog.yaml"
    catalog_file.write_text(yaml.safe_dump(document), encoding="utf-8")
    catalog = retrieval.load_catalog(catalog_file)
    with pytest.raises(DataSourceError, match=r"sbs_r_nuts06_r2_persons_employed_2015\.csv.*geo"):
        store_module.build_store(catalog=catalog)
    assert store_module.load_store().version == built_store.version
    assert not list(store_copy.glob(".building-*"))


# --- output directories: not writable, full -------------------------------------------------


def test_an_output_root_that_is_an_existing_file_is_refused_before_any_work(tmp_path):
    # chmod cannot stop root, so a FILE where the directory should be is the read-only case
    blocker = tmp_path / "outputs"
    blocker.write_text("a file, not a directory")
    with pytest.raises(OutputDirError, match="Cannot write to the output directory") as caught:
        run_batch(SCORECARD, helpers.regions("DE11"), blocker, workers=0, progress=False)
    assert str(blocker) in str(caught.value) and "make it writable" in str(caught.value)
    assert blocker.read_text() == "a file, not a directory"


@pytest.mark.integration
def test_the_cli_reports_an_unwritable_outputs_directory_in_one_line(
    built_store, tmp_path, monkeypatch, capsys
):
    blocker = tmp_path / "outputs"
    blocker.write_text("a file, not a directory")
    monkeypatch.setenv("OBSERVATORY_OUTPUTS", str(blocker))
    assert cli.main(["scorecards", "--regions", "DE11", "--no-progress"]) == 2
    err = _one_line_error(capsys)
    assert "Cannot write to the output directory" in err and str(blocker) in err


def _no_space(path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@pytest.mark.notebook
def test_a_job_that_hits_a_full_disk_fails_alone_and_leaves_nothing_partial(tmp_path, monkeypatch):
    """SIMULATED: the job's writer raises ENOSPC after writing part of its files."""
    real_write = job._write_outputs

    def full_disk(nb, directory, job_id, *args):
        if job_id == "FR10":
            (directory / "FR10.json").write_text("{", encoding="utf-8")  # half written
            raise _no_space(directory / "FR10.html")
        return real_write(nb, directory, job_id, *args)

    monkeypatch.setattr(job, "_write_outputs", full_disk)
    jobs = helpers.regions("DE11", "FR10", "ES51")
    report = run_batch(SCORECARD, jobs, tmp_path, workers=0, progress=False, formats=("json",))
    assert report.ok == ["DE11", "ES51"] and report.failed == ["FR10"]
    error = helpers.manifest(tmp_path)["FR10"]["error"]
    assert "No space left on device" in error and "\n" not in error
    assert not (tmp_path / "FR10").exists() and helpers.temp_entries(tmp_path) == []

    monkeypatch.setattr(job, "_write_outputs", real_write)  # space freed: resume
    again = run_batch(SCORECARD, jobs, tmp_path, workers=0, progress=False, formats=("json",))
    assert again.ok == ["FR10"] and again.skipped == ["DE11", "ES51"]


@pytest.mark.notebook
def test_a_manifest_that_cannot_be_saved_stops_the_batch_with_one_clear_error(
    tmp_path, monkeypatch
):
    """SIMULATED: saving manifest.json raises ENOSPC; the previous manifest stays whole."""
    run_batch(
        SCORECARD, helpers.regions("DE11"), tmp_path, workers=0, progress=False, formats=("json",)
    )
    before = (tmp_path / MANIFEST_NAME).read_text(encoding="utf-8")
    real_write = manifest.write_text_atomic

    def full_disk(path, text):
        if Path(path).name == MANIFEST_NAME:
            raise _no_space(path)
        return real_write(path, text)

    monkeypatch.setattr(manifest, "write_text_atomic", full_disk)
    jobs = helpers.regions("DE11", "FR10", "ES51")
    with pytest.raises(OutputDirError) as caught:
        run_batch(SCORECARD, jobs, tmp_path, workers=0, progress=False, formats=("json",))
    message = str(caught.value)
    assert str(tmp_path / MANIFEST_NAME) in message and "No space left on device" in message
    assert "rerun" in message and "\n" not in message
    assert (tmp_path / MANIFEST_NAME).read_text(encoding="utf-8") == before
    assert helpers.temp_entries(tmp_path) == []

    monkeypatch.setattr(manifest, "write_text_atomic", real_write)
    again = run_batch(SCORECARD, jobs, tmp_path, workers=0, progress=False, formats=("json",))
    assert again.failed == [] and "DE11" in again.skipped
    assert set(helpers.manifest(tmp_path)) == {"DE11", "FR10", "ES51"}


FILE_SIZE_LIMITED = """
import resource, signal, sys
from observatory_lib.runtime.batch import run_batch

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))
jobs = [(code, {{"region_code": code}}) for code in ("DE11", "FR10")]
report = run_batch({notebook!r}, jobs, sys.argv[1], workers=0, progress=False,
                   formats=("json", "html"))
sys.exit(0 if report.failed == ["DE11", "FR10"] else 3)
"""


@pytest.mark.notebook
def test_a_real_write_failure_fails_the_jobs_and_a_rerun_completes(tmp_path):
    """REAL: the kernel refuses writes past RLIMIT_FSIZE (16 KiB): each job's HTML fails."""
    script = tmp_path / "limited.py"
    script.write_text(textwrap.dedent(FILE_SIZE_LIMITED.format(notebook=str(SCORECARD))))
    root = tmp_path / "out"
    child = subprocess.run([sys.executable, str(script), str(root)], timeout=180, check=False)
    assert child.returncode == 0
    entries = helpers.manifest(root)
    assert all("File too large" in entries[code]["error"] for code in ("DE11", "FR10"))
    assert not (root / "DE11").exists() and helpers.temp_entries(root) == []

    rerun = run_batch(SCORECARD, helpers.regions("DE11", "FR10"), root, workers=0, progress=False)
    assert sorted(rerun.ok) == ["DE11", "FR10"]
    assert sorted(p.name for p in (root / "DE11").iterdir()) == [
        f"DE11.{e}" for e in sorted(FORMATS)
    ]


# --- a killed Dask batch; two batches at once --------------------------------------------------


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_killed_dask_batch_leaves_no_partial_files_and_a_rerun_completes(tmp_path):
    codes = ["DE11", "DE21", "FR10", "ITC4", "ES51", "NL33", "DE11", "DE21", "FR10"]
    root, pid = helpers.kill_batch_midway(
        tmp_path, SCORECARD, codes, scheduler="local", timeout=120
    )
    helpers.check_complete_job_directories(root)

    jobs = [(f"R{i}", {"region_code": code}) for i, code in enumerate(codes)]
    rerun = run_batch(SCORECARD, jobs, root, workers=2, scheduler="local", progress=False)
    assert rerun.failed == [] and len(rerun.ok) + len(rerun.skipped) == len(codes)
    assert rerun.skipped and rerun.ok  # killed after the first job and before the last
    assert helpers.temp_entries(root) == []
    helpers.check_complete_job_directories(root)
    # the killed driver's kernel-socket directory went with the next local-cluster batch
    assert not list(Path(tempfile.gettempdir()).glob(f"observatory-dask-{pid}-*"))


HOLDING_BATCH = """
import sys
from observatory_lib.runtime.batch import run_batch

run_batch({notebook!r}, [("slow", {{"mark": "slow", "sleep_s": 120.0}})], sys.argv[1],
          workers=0, progress=False, formats=("json",))
"""


@pytest.mark.integration
@pytest.mark.notebook
def test_a_second_batch_process_and_the_cli_are_refused_naming_the_pid(
    built_store, outputs, tmp_path, capsys
):
    root = outputs / "scorecards"  # where `observatory scorecards` writes
    script = tmp_path / "holding.py"
    script.write_text(textwrap.dedent(HOLDING_BATCH.format(notebook=str(PROBE))))
    holder = subprocess.Popen([sys.executable, str(script), str(root)])
    try:
        lock = root / batch.LOCK_NAME
        helpers.wait_for(
            lambda: lock.exists() and f'"pid": {holder.pid}' in lock.read_text(), 60, "lock"
        )

        with pytest.raises(BatchLockError) as caught:
            run_batch(SCORECARD, helpers.regions("DE11"), root, workers=0, progress=False)
        assert f"pid {holder.pid}" in str(caught.value) and str(lock) in str(caught.value)

        assert cli.main(["scorecards", "--regions", "DE11", "--no-progress"]) == 2
        err = _one_line_error(capsys)
        assert f"pid {holder.pid}" in err and "Wait for it to finish" in err
        assert not (root / "DE11").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the killed holder's lock is free: its interrupted job runs now
    report = run_batch(PROBE, [("slow", {"mark": "slow"})], root, workers=0, progress=False)
    assert report.ok == ["slow"]


# --- a bad SBS bulk file -------------------------------------------------------------------

BULK_FILE = "eurostat/sbs_2008_2015/sbs_r_nuts06_r2_2008-2015_vintage2017-07.tsv.gz"


def _damaged_bulk(mirror_dir: Path, target: Path, damage) -> None:
    import gzip

    lines = gzip.decompress((mirror_dir / BULK_FILE).read_bytes()).decode("utf-8").splitlines()
    lines = damage(lines)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))


def _replace_on(line_number: int, old: str, new: str):
    def damage(lines: list[str]) -> list[str]:
        lines = list(lines)
        lines[line_number - 1] = lines[line_number - 1].replace(old, new, 1)
        return lines

    return damage


@pytest.mark.integration
@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_replace_on(5, "V11210", "V99999"), r"line 5: unknown indicator 'V99999'.*Fix:"),
        (_replace_on(1, "2014 ", "2O14 "), r"line 1, column 3: '2O14' is not a year.*Fix:"),
        (
            _replace_on(5, "AT12", "AT1Q"),
            r"line 5: region code 'AT1Q' is in no NUTS edition.*nearest valid codes: AT1.*Fix:",
        ),
    ],
    ids=["unknown-indicator", "year-not-a-year", "region-in-no-edition"],
)
def test_a_bad_bulk_file_is_one_error_naming_the_file_line_and_fix_and_the_store_stays(
    built_store, store_copy, mirror_dir, tmp_path, damage, expected
):
    mirror = tmp_path / "mirror"
    _damaged_bulk(mirror_dir, mirror / BULK_FILE, damage)
    # a catalog that accepts the changed file (as after a live update), so the reader speaks
    document = yaml.safe_load(paths.CATALOG_FILE.read_text(encoding="utf-8"))
    for entry in document["sources"]:
        if entry["file"] == BULK_FILE:
            entry["sha256"] = retrieval.sha256_of(mirror / BULK_FILE)
            entry["file"] = str(mirror / BULK_FILE)
    catalog_file = tmp_path / "catalog.yaml"
    catalog_file.write_text(yaml.safe_dump(document), encoding="utf-8")
    catalog = retrieval.load_catalog(catalog_file)
    current = (store_copy / "CURRENT").read_text()
    with pytest.raises(DataSourceError) as caught:
        store_module.build_store(catalog=catalog)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    assert BULK_FILE.rsplit("/", 1)[1] in message
    assert re.search(expected, message), message
    assert (store_copy / "CURRENT").read_text() == current
    assert not list(store_copy.glob(".building-*"))
    assert store_module.load_store().version == built_store.version

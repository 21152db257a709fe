"""The batch on Dask distributed: real LocalClusters of 2 workers, the fixture notebooks.

``scheduler="local"`` starts and closes a cluster for the batch; a cluster started here and
passed by its ``tcp://`` address stands for an existing one. The process-pool batch on the
same jobs is the reference: same manifest, identical outputs, resumable either way.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

import batch_helpers as helpers
import pytest

from observatory_lib.errors import ObservatoryError
from observatory_lib.runtime import dask_backend
from observatory_lib.runtime.batch import (
    LOG_NAME,
    MANIFEST_NAME,
    TEMP_PREFIX,
    BatchError,
    run_batch,
)

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).resolve().parents[1] / "notebooks" / "fixtures"
SCORECARD = FIXTURES / "scorecard_fixture.ipynb"
PROBE = FIXTURES / "kernel_probe.ipynb"
CODES = ("DE11", "DE21", "XX99", "FR10", "ITC4", "ES51")
COMPARED = ("json", "html", "ipynb")  # the PDF embeds its creation time


def _regions(*codes):
    return [(code, {"region_code": code}) for code in codes]


def _manifest(root: Path) -> dict:
    return json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))["jobs"]


def _temp_entries(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(TEMP_PREFIX))


def _run(notebook, jobs, root, **options):
    return run_batch(notebook, jobs, root, **{"workers": 2, "progress": False, **options})


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory):
    """The same six jobs (XX99 fails in a cell) in a process pool and on a local cluster."""
    pool_root = tmp_path_factory.mktemp("pool")
    dask_root = tmp_path_factory.mktemp("dask")
    pool = _run(SCORECARD, _regions(*CODES), pool_root)
    on_dask = _run(SCORECARD, _regions(*CODES), dask_root, scheduler="local")
    return pool_root, pool, dask_root, on_dask


def test_local_cluster_runs_every_job_and_isolates_the_failure(both_runs):
    _, _, root, report = both_runs
    assert sorted(report.ok) == ["DE11", "DE21", "ES51", "FR10", "ITC4"]
    assert report.failed == ["XX99"] and report.exit_code == 1
    assert [r.job_id for r in report.results] == list(CODES)  # the order the jobs were given
    assert report.scheduler == "local" and report.workers == 2
    assert "on Dask local" in report.summary()
    jobs = _manifest(root)
    assert "Unknown region 'XX99'" in jobs["XX99"]["error"] and "\n" not in jobs["XX99"]["error"]
    assert jobs["XX99"]["outputs"] == [] and not (root / "XX99").exists()
    log = (root / LOG_NAME).read_text(encoding="utf-8")
    assert "job XX99 failed" in log and "raise unknown_code" in log
    assert _temp_entries(root) == []


def test_manifest_and_outputs_are_identical_to_the_process_pool(both_runs):
    pool_root, pool, dask_root, on_dask = both_runs
    assert sorted(pool.ok) == sorted(on_dask.ok) and pool.failed == on_dask.failed
    pool_jobs, dask_jobs = _manifest(pool_root), _manifest(dask_root)
    for job_id in CODES:
        for key in ("status", "error", "outputs", "input_hashes"):
            assert dask_jobs[job_id][key] == pool_jobs[job_id][key], (job_id, key)
    for job_id in on_dask.ok:
        assert sorted(p.name for p in (dask_root / job_id).iterdir()) == sorted(
            p.name for p in (pool_root / job_id).iterdir()
        )
        for extension in COMPARED:
            name = f"{job_id}/{job_id}.{extension}"
            assert (dask_root / name).read_bytes() == (pool_root / name).read_bytes(), name
        assert (dask_root / job_id / f"{job_id}.pdf").read_bytes().rstrip().endswith(b"%%EOF")


def test_resume_on_dask_skips_done_jobs_and_retries_only_failures(both_runs):
    _, _, root, _ = both_runs
    written = (root / "DE11" / "DE11.json").stat().st_mtime_ns
    again = _run(SCORECARD, _regions(*CODES), root, scheduler="local")
    assert sorted(again.skipped) == ["DE11", "DE21", "ES51", "FR10", "ITC4"]
    assert again.failed == ["XX99"]
    assert (root / "DE11" / "DE11.json").stat().st_mtime_ns == written
    retried = _run(SCORECARD, _regions(*CODES, "NL33"), root, scheduler="local", retry_failed=True)
    assert retried.failed == ["XX99"] and "NL33" in retried.skipped
    assert not (root / "NL33").exists()


def test_a_pool_batch_resumes_on_dask_without_starting_a_cluster(both_runs, monkeypatch):
    pool_root, _, _, _ = both_runs

    def no_cluster(*args, **kwargs):
        raise AssertionError("a cluster was started for a batch with nothing to do")

    monkeypatch.setattr(dask_backend, "_local_cluster", no_cluster)
    done = [code for code in CODES if code != "XX99"]
    report = _run(SCORECARD, _regions(*done), pool_root, scheduler="local")
    assert sorted(report.skipped) == sorted(done) and report.failed == []


@pytest.mark.slow
def test_dead_kernel_and_dead_worker_fail_only_their_jobs(tmp_path):
    jobs = [
        ("before", {"mark": "before"}),
        ("crash", {"mark": "crash", "exit_kernel": True}),
        ("killer", {"mark": "killer", "kill_batch_worker": True}),
        *[(f"after{i}", {"mark": f"after{i}"}) for i in range(3)],
    ]
    report = _run(PROBE, jobs, tmp_path, scheduler="local", formats=("json",))
    assert sorted(report.failed) == ["crash", "killer"]
    assert sorted(report.ok) == ["after0", "after1", "after2", "before"]
    entries = _manifest(tmp_path)
    assert "kernel died" in entries["crash"]["error"]
    assert "Dask worker running this job died" in entries["killer"]["error"]
    assert "retry_failed" in entries["killer"]["error"]
    for job_id in report.ok:  # a replaced kernel or worker still starts every job clean
        record = json.loads((tmp_path / job_id / f"{job_id}.json").read_text("utf-8"))["record"]
        assert record["leftover_names"] == [] and record["display_max_rows"] == 60
    assert _temp_entries(tmp_path) == []


# --- an existing cluster, reached by its address ---------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """A running 2-worker cluster on 127.0.0.1, as `dask scheduler` + `dask worker` give."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as running,
        Client(running, set_as_default=False) as client,
    ):
        yield running.scheduler_address, client


def test_an_existing_cluster_keeps_one_warm_kernel_per_worker(cluster, tmp_path, monkeypatch):
    address, client = cluster
    monkeypatch.setenv("OBSERVATORY_TEST_MARK", "from-the-driver")
    notebook = helpers.pid_probe(tmp_path)
    jobs = [(f"job{i}", {"mark": f"m{i}"}) for i in range(8)]
    report = _run(notebook, jobs, tmp_path / "out", scheduler=address, formats=("json",))
    assert report.failed == [] and len(report.ok) == 8
    assert report.scheduler == address and report.workers == 2
    records = [
        json.loads((tmp_path / "out" / j / f"{j}.json").read_text("utf-8"))["record"]
        for j, _ in jobs
    ]
    worker_pids = set(client.run(os.getpid).values())
    assert {r["worker_pid"] for r in records} <= worker_pids
    kernels = {r["kernel_pid"] for r in records}
    assert len(kernels) <= 2  # one kernel per worker, reused by every job it ran
    assert all(r["leftover"] == [] for r in records)
    assert {r["env_mark"] for r in records} == {"from-the-driver"}  # driver's OBSERVATORY_*
    # the batch's end stops the kernels and gives the workers their environment back
    deadline = time.monotonic() + 10
    while any(helpers.is_running(pid) for pid in kernels) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(helpers.is_running(pid) for pid in kernels)
    # (a lambda: os.environ.get would be pickled with the driver's environment)
    marks = client.run(lambda: os.environ.get("OBSERVATORY_TEST_MARK"))
    assert set(marks.values()) == {None}
    plugins = client.run(lambda dask_worker: list(dask_worker.plugins))
    assert not [n for names in plugins.values() for n in names if n.startswith("observatory")]


def test_the_next_batch_on_the_same_cluster_gets_fresh_kernels(cluster, tmp_path):
    address, _ = cluster
    notebook = helpers.pid_probe(tmp_path)
    root = tmp_path / "out"
    kernels = []
    for _ in range(2):
        report = _run(notebook, [("only", {"mark": "x"})], root, scheduler=address, force=True)
        assert report.ok == ["only"]
        record = json.loads((root / "only" / "only.json").read_text("utf-8"))["record"]
        kernels.append(record["kernel_pid"])
    assert kernels[0] != kernels[1]  # the first batch's end stopped its kernel
    assert _run(notebook, [("only", {"mark": "x"})], root, scheduler=address).skipped == ["only"]


# --- the scheduler is checked before any work -----------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_is_one_clear_error_before_any_work(tmp_path):
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(BatchError) as caught:
        _run(SCORECARD, _regions("DE11"), tmp_path / "out", scheduler=address)
    assert time.monotonic() - started < dask_backend.CONNECT_TIMEOUT_S + 2
    message = str(caught.value)
    assert address in message and "Cannot reach the Dask scheduler" in message
    assert "dask scheduler" in message and "--scheduler local" in message
    assert "\n" not in message and isinstance(caught.value, ObservatoryError)
    assert not (tmp_path / "out").exists()


def test_a_port_that_is_not_a_dask_scheduler_is_named_within_the_timeout(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_backend, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as silent:  # accepts connections and never answers, like a web server
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(BatchError, match="does not answer as a Dask scheduler") as caught:
            _run(SCORECARD, _regions("DE11"), tmp_path / "out", scheduler=address)
        assert time.monotonic() - started < 5
    assert address in str(caught.value) and "8786" in str(caught.value)


@pytest.mark.parametrize(
    ("scheduler", "workers", "message"),
    [
        ("http://127.0.0.1:8786", 2, "is not a Dask scheduler address"),
        ("tcp://127.0.0.1:99999", 2, "is not a Dask scheduler address"),
        ("tcp://", 2, "is not a Dask scheduler address"),
        ("local", 0, "at least 1"),
        (8786, 2, "scheduler must be None"),
    ],
)
def test_bad_scheduler_options_are_refused_before_any_work(tmp_path, scheduler, workers, message):
    with pytest.raises(BatchError, match=message):
        _run(SCORECARD, _regions("DE11"), tmp_path / "out", scheduler=scheduler, workers=workers)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("local", "local"),
        (" LOCAL ", "local"),
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("scheduler.example.org", "tcp://scheduler.example.org:8786"),
        ("10.0.0.5:9000", "tcp://10.0.0.5:9000"),
        ("tls://[::1]:8786", "tls://[::1]:8786"),
    ],
)
def test_scheduler_addresses_are_normalised(given, expected):
    assert dask_backend.normalise_scheduler(given) == expected


def test_the_probe_runs_where_an_event_loop_is_running(cluster):
    """run_batch may be called from a notebook, whose thread runs an event loop."""
    address, _ = cluster
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def probe_inside_a_loop():
        return dask_backend.probe_scheduler(address)

    # a thread of its own: earlier tests in the session may leave this thread's loop running
    with ThreadPoolExecutor(1) as pool:
        identity = pool.submit(asyncio.run, probe_inside_a_loop()).result()
    assert identity["type"] == "Scheduler" and identity["n_workers"] == 2

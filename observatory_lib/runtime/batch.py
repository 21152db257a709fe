"""Run one parameterised notebook for many parameter sets: the scorecard batch.

``run_batch(notebook, jobs, output_root)`` writes, per job, ``<output_root>/<job_id>/`` with
the executed notebook, an HTML page without code, an A4 PDF and a JSON twin of the record
the notebook published (``records.publish_record``), and keeps ``manifest.json`` beside them.

Guarantees:

* atomic: a job's files are written into a ``.obs-tmp-*`` staging directory that is renamed
  into place, so a job directory is complete or absent; the manifest is replaced atomically.
  A batch killed at any moment leaves only ``.obs-tmp-*`` entries, removed by the next run;
* resumable: a job whose notebook, parameters and store version are unchanged and whose
  outputs exist is skipped (``force=True`` reruns it; ``retry_failed=True`` reruns only the
  jobs that failed last time);
* isolated: a job that raises, kills its kernel or times out is recorded as failed (one-line
  error in the manifest, traceback in ``batch.log``) and the batch goes on;
* exclusive: a lock in ``output_root`` stops a second batch on the same directory, naming
  the process that holds it. The lock is an ``flock``, so a dead batch's lock is free.

Each worker process keeps one warm kernel (``warm_engine``) and renders its own HTML and PDF
(``worker_pool``). ``run_batches`` runs several batches as one stream of jobs on the same
workers, each batch with the guarantees above. ``run_job`` is a pure top-level function, so
any executor can run it: the default is a local process pool; ``scheduler="local"`` or
``"tcp://HOST:PORT"`` runs the jobs on a Dask distributed cluster instead (``dask_backend``),
with the same outputs and guarantees.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import re
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from observatory_lib.files import TEMP_PREFIX, remove_temporary_entries
from observatory_lib.runtime.fingerprint import CodeVersion, code_version
from observatory_lib.runtime.job import (
    DEFAULT_CELL_TIMEOUT_S,
    FORMATS,
    LOGGER,
    BatchError,
    JobResult,
    run_job,
    timestamp,
)
from observatory_lib.runtime.manifest import (
    MANIFEST_NAME,
    JobPlan,
    Manifest,
    OutputDirError,
    PlannedJob,
    plan_jobs,
    skipped_result,
)
from observatory_lib.runtime.worker_pool import WorkerPool, start_worker_server

ENGINES = ("warm", "papermill")
LOCK_NAME = ".observatory-batch.lock"
LOG_NAME = "batch.log"
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_RESERVED_IDS = {MANIFEST_NAME, LOG_NAME}


class BatchLockError(BatchError):
    """Another batch is writing to the same output directory."""


@dataclass
class BatchReport:
    """The outcome of ``run_batch``: one result per job, in the order the jobs were given."""

    notebook: Path
    output_root: Path
    results: list[JobResult]
    wall_s: float
    engine: str
    workers: int
    scheduler: str | None = None
    run_together: int = 1  # batches run as one stream of jobs (``run_batches``)

    @property
    def ok(self) -> list[str]:
        """Ids of the jobs that ran and succeeded."""
        return [r.job_id for r in self.results if r.status == "ok"]

    @property
    def failed(self) -> list[str]:
        """Ids of the jobs that failed."""
        return [r.job_id for r in self.results if r.status == "failed"]

    @property
    def skipped(self) -> list[str]:
        """Ids of the jobs skipped because their outputs were up to date (or not selected)."""
        return [r.job_id for r in self.results if r.status == "skipped"]

    @property
    def exit_code(self) -> int:
        """0 when no job failed, 1 otherwise (for the CLI)."""
        return 1 if self.failed else 0

    def summary(self, shown: int = 10) -> str:
        """A short account of the batch; each failed job's one-line reason (the first
        ``shown`` of them), the tracebacks being in ``batch.log``."""
        text = (
            f"{len(self.results)} jobs: {len(self.ok)} ok, {len(self.failed)} failed, "
            f"{len(self.skipped)} skipped {self._when()} "
            f"(engine {self.engine}, {self.workers} workers"
            f"{f' on Dask {self.scheduler}' if self.scheduler else ''}) -> {self.output_root}"
        )
        failed = [r for r in self.results if r.status == "failed"]
        if failed:
            text += f"\nFailed (tracebacks in {self.output_root / LOG_NAME}):"
            text += "".join(f"\n  {r.job_id}: {_shortened(r.error)}" for r in failed[:shown])
            if len(failed) > shown:
                text += (
                    f"\n  ... and {len(failed) - shown} more (every reason is in "
                    f"{self.output_root / MANIFEST_NAME})"
                )
        return text

    def _when(self) -> str:
        if self.run_together == 1:
            return f"in {self.wall_s:.1f} s"
        return f"by {self.wall_s:.1f} s into {self.run_together} batches run together"


def _shortened(reason: str, limit: int = 300) -> str:
    """A failure's one-line reason, cut at ``limit`` characters for the summary."""
    reason = " ".join(reason.split()) or "no reason recorded"
    return reason if len(reason) <= limit else reason[: limit - 1].rstrip() + "…"


def run_batch(
    notebook: str | Path,
    jobs: Sequence[tuple[str, Mapping[str, Any]]],
    output_root: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    workers: int | None = None,
    force: bool = False,
    retry_failed: bool = False,
    progress: bool = True,
    engine: str = "warm",
    store_version: str = "",
    kernel_name: str | None = None,
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT_S,
    scheduler: str | None = None,
) -> BatchReport:
    """Run ``notebook`` once per job and write every job's outputs under ``output_root``.

    Worker processes are forked from a fork server (or spawned by Dask's local cluster) and
    import the calling script as ``__mp_main__``: a script that calls ``run_batch`` with
    ``workers >= 1`` must guard its top level with ``if __name__ == "__main__":`` (notebooks
    and the CLI need nothing).

    Args:
        notebook: The parameterised notebook (a code cell tagged ``parameters``).
        jobs: ``(job_id, parameters)`` pairs; ids become directory names.
        output_root: Where job directories, ``manifest.json`` and ``batch.log`` go.
        formats: Any of ``ipynb``, ``html``, ``pdf``, ``json``.
        workers: Worker processes, each with its own warm kernel; None means one per CPU;
            0 runs the jobs in this process (its warm kernel is kept for later batches).
            With ``scheduler='local'`` the local Dask cluster's size; ignored with a
            remote scheduler (its workers count).
        force: Rerun jobs even when their outputs are up to date.
        retry_failed: Rerun only the jobs that failed in the previous batch.
        progress: Show a progress bar.
        engine: ``warm`` (one reused kernel per worker) or ``papermill`` (a fresh kernel
            per job: slower, the reference and the fallback).
        store_version: The data store version; a change reruns every job (as does a change
            to the project code the notebook runs: ``fingerprint.code_version``).
        kernel_name: Kernelspec name; None takes the notebook's own.
        cell_timeout: Seconds a cell may run before its job fails; None waits forever.
        scheduler: None runs the jobs in a local process pool; ``'local'`` on a Dask
            ``LocalCluster`` started for the batch; ``'tcp://HOST:PORT'`` on that running
            Dask cluster, whose workers must see the same paths (see ``dask_backend``).

    Returns:
        The batch report; ``report.failed`` lists the failed jobs.

    Raises:
        BatchError: Bad notebook, jobs, formats or options, or a Dask scheduler that cannot
            be reached; found before any job runs.
        OutputDirError: ``output_root`` cannot be written.
        BatchLockError: Another batch is writing to ``output_root``.
    """
    spec = BatchSpec(notebook, jobs, output_root)
    return run_batches(
        [spec],
        formats=formats,
        workers=workers,
        force=force,
        retry_failed=retry_failed,
        progress=progress,
        engine=engine,
        store_version=store_version,
        kernel_name=kernel_name,
        cell_timeout=cell_timeout,
        scheduler=scheduler,
    )[0]


@dataclass(frozen=True)
class BatchSpec:
    """One batch of ``run_batches``: a notebook, its ``(job_id, parameters)`` jobs and the
    directory their outputs go to."""

    notebook: str | Path
    jobs: Sequence[tuple[str, Mapping[str, Any]]]
    output_root: str | Path


@dataclass
class _Batch:
    """A batch being run: its checked inputs, its manifest and its results so far."""

    notebook: Path
    planned: list[PlannedJob]
    root: Path
    options: dict[str, Any]
    code: CodeVersion
    manifest: Manifest | None = None
    results: dict[str, JobResult] = field(default_factory=dict)
    finished: float = 0.0


def run_batches(
    specs: Sequence[BatchSpec],
    *,
    formats: Sequence[str] = FORMATS,
    workers: int | None = None,
    force: bool = False,
    retry_failed: bool = False,
    progress: bool = True,
    engine: str = "warm",
    store_version: str = "",
    kernel_name: str | None = None,
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT_S,
    scheduler: str | None = None,
) -> list[BatchReport]:
    """Run several batches as one stream of jobs on the same workers; one report each.

    Every batch keeps ``run_batch``'s guarantees (its own lock, manifest, resume and
    isolation), and every batch is checked before the first job of any of them runs. In a
    local process pool the workers, with their warm kernels, take the jobs of all batches
    in order, so that a batch of one job (a report) runs beside the next batch's jobs
    instead of leaving a core idle, and no batch starts its kernels again. With Dask or
    ``workers=0`` the batches run one after the other. The arguments are ``run_batch``'s.
    """
    started = time.perf_counter()
    chosen = _check_options(formats, engine, workers)
    if scheduler is None and chosen["workers"] > 0:
        start_worker_server()  # its imports overlap the checks and the planning below
    chosen.update(_check_scheduler(scheduler, chosen["workers"]))
    shared = {"formats": chosen["formats"], "engine": engine, "cell_timeout": cell_timeout}
    batches = [_check_batch(spec, shared, store_version, kernel_name) for spec in specs]
    with contextlib.ExitStack() as locks:
        for batch in batches:
            locks.enter_context(batch_lock(batch.root))
        tasks, owners = [], []
        for index, batch in enumerate(batches):
            planned = _plan(batch, len(tasks), force, retry_failed, chosen["formats"])
            tasks.extend(planned)
            owners.extend([index] * len(planned))
        # closing: the workers stop (and write nothing more) before the locks are released
        try:
            label = batches[0].root.name if len(batches) == 1 else f"{len(batches)} batches"
            with contextlib.closing(_execute(tasks, chosen, progress, label)) as done:
                for task, result in done:
                    batch = batches[owners[task[0]]]
                    batch.results[result.job_id] = result
                    batch.manifest.record(result)
                    _log_failure(batch.root, result)
                    batch.finished = time.perf_counter()
        finally:
            for batch in batches:
                if batch.manifest is not None:
                    batch.manifest.save()
    if chosen["scheduler"] is None and chosen["workers"] > 0:  # one stream of jobs
        return [_report(batch, started, engine, chosen, len(batches)) for batch in batches]
    reports = []  # one batch after the other: each from the end of the one before
    for batch in batches:
        reports.append(_report(batch, started, engine, chosen, 1))
        started = batch.finished or started
    return reports


def _check_batch(
    spec: BatchSpec, shared: dict[str, Any], store_version: str, kernel_name: str | None
) -> _Batch:
    """A batch's notebook, jobs, kernel and output directory, checked before any job runs."""
    notebook_path = _check_notebook(spec.notebook)
    code = code_version(notebook_path)
    planned = _check_jobs(notebook_path, spec.jobs, store_version, code)
    kernel = _check_kernel(kernel_name or _notebook_kernel_name(notebook_path))
    root = _prepare_output_root(Path(spec.output_root))
    options = {
        **shared,
        "notebook_path": str(notebook_path),
        "output_root": str(root),
        "kernel_name": kernel,
        "store_version": store_version,
    }
    return _Batch(notebook_path, planned, root, options, code)


def _plan(batch: _Batch, first_index: int, force: bool, retry_failed: bool, formats) -> list:
    """Load the batch's manifest, record its skipped jobs; the tasks of the jobs to run."""
    remove_temporary_entries(batch.root)
    options = batch.options
    batch.manifest = Manifest.load(
        batch.root, batch.notebook, options["store_version"], options["engine"], batch.code
    )
    plans = plan_jobs(
        batch.planned, batch.manifest, formats, force=force, retry_failed=retry_failed
    )
    to_run, skipped = _split(batch.planned, plans, batch.manifest)
    for result in skipped:
        batch.manifest.record(result)
        batch.results[result.job_id] = result
    return [(first_index + offset, job, options) for offset, job in enumerate(to_run)]


def _report(
    batch: _Batch, started: float, engine: str, chosen: dict[str, Any], together: int
) -> BatchReport:
    ordered = [batch.results[job.job_id] for job in batch.planned if job.job_id in batch.results]
    wall = (batch.finished or time.perf_counter()) - started
    workers, scheduler = chosen["workers"], chosen["scheduler"]
    return BatchReport(
        batch.notebook, batch.root, ordered, wall, engine, workers, scheduler, together
    )


def plan_batch(
    notebook: str | Path,
    jobs: Sequence[tuple[str, Mapping[str, Any]]],
    output_root: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    force: bool = False,
    retry_failed: bool = False,
    store_version: str = "",
) -> list[JobPlan]:
    """What ``run_batch`` with the same arguments would run, and why; nothing is run or written.

    Raises:
        BatchError: Bad notebook, jobs or formats, or an unreadable manifest.
    """
    notebook_path = _check_notebook(notebook)
    chosen = _check_options(formats, "warm", 0)
    code = code_version(notebook_path)
    planned = _check_jobs(notebook_path, jobs, store_version, code)
    root = Path(output_root).expanduser().resolve()
    manifest = Manifest.load(root, notebook_path, store_version, "warm", code)
    return plan_jobs(planned, manifest, chosen["formats"], force=force, retry_failed=retry_failed)


def _split(
    planned: list[PlannedJob], plans: list[JobPlan], manifest: Manifest
) -> tuple[list[PlannedJob], list[JobResult]]:
    """The jobs to run, and the results of the skipped ones (their previous outputs)."""
    to_run, skipped = [], []
    for job, plan in zip(planned, plans, strict=True):
        if plan.action == "run":
            to_run.append(job)
        else:
            skipped.append(skipped_result(job, manifest.jobs.get(job.job_id)))
    return to_run, skipped


def _execute(
    tasks: list, chosen: dict[str, Any], progress: bool, label: str
) -> Iterator[tuple[Any, JobResult]]:
    """Run the tasks and yield ``(task, result)`` as they finish, with a progress bar."""
    from tqdm.auto import tqdm

    if not tasks:
        return
    failed = 0
    with (
        tqdm(total=len(tasks), unit="job", disable=not progress, desc=label) as bar,
        contextlib.closing(_results(tasks, chosen)) as results,
    ):
        for task, result in results:
            failed += result.status == "failed"
            bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)
            yield task, result


def _results(tasks: list, chosen: dict[str, Any]) -> Iterator[tuple[Any, JobResult]]:
    """The tasks' results from the chosen backend, in the order they finish."""
    workers = chosen["workers"]
    if chosen["scheduler"] is None and workers > 0:
        with WorkerPool(_call_run_job) as pool:
            yield from pool.run(tasks, min(workers, len(tasks)))
        return
    # one batch after the other (each batch's tasks share its options dictionary)
    for _, grouped in itertools.groupby(tasks, key=lambda task: id(task[2])):
        batch_tasks = list(grouped)
        options = batch_tasks[0][2]
        if chosen["scheduler"] is None:
            yield from ((task, _call_run_job(task[1], options)) for task in batch_tasks)
            continue
        from observatory_lib.runtime import dask_backend

        by_id = {task[1].job_id: task for task in batch_tasks}
        size = min(workers, len(batch_tasks))  # a local cluster needs no more workers than jobs
        jobs = [task[1] for task in batch_tasks]
        for result in dask_backend.run_jobs(jobs, chosen["scheduler"], size, options):
            yield by_id[result.job_id], result


def _call_run_job(job: PlannedJob, options: dict[str, Any]) -> JobResult:
    return run_job(
        job_id=job.job_id, parameters=job.parameters, input_hashes=job.input_hashes, **options
    )


def _check_notebook(notebook: str | Path) -> Path:
    path = Path(notebook).expanduser().resolve()
    if path.suffix != ".ipynb" or not path.is_file():
        raise BatchError(f"Notebook {path} not found; pass the path of an existing .ipynb file.")
    return path


def _check_options(formats: Sequence[str], engine: str, workers: int | None) -> dict[str, Any]:
    chosen = tuple(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise BatchError(
            f"Unknown output format(s) {unknown or '(none given)'}; "
            f"choose from {', '.join(FORMATS)}."
        )
    if engine not in ENGINES:
        raise BatchError(f"Unknown engine {engine!r}; use one of {', '.join(ENGINES)}.")
    count = (os.cpu_count() or 1) if workers is None else workers
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise BatchError(f"workers must be 0 (this process) or a positive number, not {workers!r}.")
    return {"formats": chosen, "workers": count}


def _check_scheduler(scheduler: str | None, workers: int) -> dict[str, Any]:
    """The Dask scheduler (None: the process pool) and the worker count to report."""
    if scheduler is None:
        return {"scheduler": None}
    if not isinstance(scheduler, str):
        raise BatchError(
            f"scheduler must be None, 'local' or 'tcp://HOST:PORT', not {scheduler!r}."
        )
    from observatory_lib.runtime import dask_backend

    address, count = dask_backend.check_scheduler(scheduler, workers)
    return {"scheduler": address, "workers": count}


def _check_jobs(
    notebook: Path,
    jobs: Sequence[tuple[str, Mapping[str, Any]]],
    store_version: str,
    code: CodeVersion,
) -> list[PlannedJob]:
    known = read_parameter_names(notebook)
    notebook_hash = _sha256(notebook.read_bytes())
    seen: set[str] = set()
    planned = []
    for job_id, parameters in jobs:
        _check_job_id(job_id, seen)
        unknown = sorted(set(parameters) - known)
        if unknown:
            raise BatchError(
                f"Job {job_id!r} passes unknown parameter(s) {', '.join(unknown)}; the "
                f"parameters cell of {notebook.name} defines: {', '.join(sorted(known))}."
            )
        hashes = {
            "notebook_sha256": notebook_hash,
            "parameters_sha256": _sha256(_canonical_json(job_id, parameters).encode()),
            "store_version": store_version,
            "code_version": code.digest,
        }
        planned.append(PlannedJob(job_id, dict(parameters), hashes))
    return planned


def _check_job_id(job_id: Any, seen: set[str]) -> None:
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id) or job_id in _RESERVED_IDS:
        raise BatchError(
            f"Job id {job_id!r} cannot be a directory name; use letters, digits, '_', '-' "
            "and '.', starting with a letter or digit (e.g. a NUTS code such as 'DE11')."
        )
    if job_id in seen:
        raise BatchError(f"Job id {job_id!r} appears twice; every job needs its own id.")
    seen.add(job_id)


def _canonical_json(job_id: str, parameters: Mapping[str, Any]) -> str:
    try:
        return json.dumps(parameters, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise BatchError(
            f"The parameters of job {job_id!r} are not plain JSON values ({error}); pass "
            "strings, numbers, booleans, None, lists and dicts."
        ) from None


def read_parameter_names(notebook: str | Path) -> set[str]:
    """The names the notebook's ``parameters`` cell assigns (read without running it).

    Raises:
        BatchError: The notebook is not JSON, has no cell tagged ``parameters``, or that
            cell is not valid Python.
    """
    path = Path(notebook)
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError) as error:
        raise BatchError(f"Notebook {path} cannot be read as a notebook ({error}).") from None
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get(
            "tags", []
        ):
            return _assigned_names(path, cell.get("source", ""))
    raise BatchError(
        f"Notebook {path.name} has no cell tagged 'parameters'; add the tag to the cell that "
        "holds the default values (JupyterLab: Property Inspector > Cell Tags)."
    )


def _assigned_names(path: Path, source: str | list[str]) -> set[str]:
    text = "".join(source) if isinstance(source, list) else source
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise BatchError(
            f"The parameters cell of {path.name} is not valid Python (line {error.lineno}: "
            f"{error.msg}); fix the cell."
        ) from None
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def _check_kernel(kernel_name: str) -> str:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    specs = KernelSpecManager()
    try:
        specs.get_kernel_spec(kernel_name)
    except NoSuchKernel:
        names = ", ".join(sorted(specs.find_kernel_specs())) or "none"
        raise BatchError(
            f"Kernel {kernel_name!r} is not installed (installed kernels: {names}); pass "
            "kernel_name= or fix the notebook's kernelspec."
        ) from None
    return kernel_name


def _notebook_kernel_name(notebook: Path) -> str:
    try:
        metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return "python3"
    return metadata.get("kernelspec", {}).get("name") or "python3"


def _prepare_output_root(root: Path) -> Path:
    root = root.expanduser().resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f"{TEMP_PREFIX}probe-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise OutputDirError(
            f"Cannot write to the output directory {root} ({error.strerror or error}); "
            "choose another output_root or make it writable."
        ) from None
    return root


@contextlib.contextmanager
def batch_lock(output_root: str | Path) -> Iterator[Path]:
    """Hold the batch lock of ``output_root`` (raises ``BatchLockError`` when it is taken).

    The lock is an ``flock`` on ``.observatory-batch.lock``, which also records the holder's
    pid. The kernel releases it when the holder dies, so a lock left by a killed batch is
    simply taken over.
    """
    path = Path(output_root) / LOCK_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        holder = _lock_holder(path)
        raise BatchLockError(
            f"Another batch ({holder}) is writing to {path.parent}: it holds the lock {path}. "
            "Wait for it to finish (or stop it), or choose another output directory."
        ) from None
    try:
        holder = {"pid": os.getpid(), "host": os.uname().nodename, "since": timestamp()}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(holder).encode(), 0)
        yield path
    finally:
        os.ftruncate(descriptor, 0)
        os.close(descriptor)


def _lock_holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        holder = {}
    if "pid" not in holder:
        return "pid unknown"
    return f"pid {holder['pid']} on {holder.get('host', '?')}, since {holder.get('since', '?')}"


def _log_failure(root: Path, result: JobResult) -> None:
    if result.status != "failed":
        return
    entry = f"[{timestamp()}] job {result.job_id} failed: {result.error}\n"
    if result.details:
        entry += result.details.rstrip() + "\n"
    try:
        with (root / LOG_NAME).open("a", encoding="utf-8") as log:
            log.write(entry + "\n")
    except OSError as error:  # the manifest still holds the one-line error
        LOGGER.warning("cannot append to %s (%s)", root / LOG_NAME, error.strerror or error)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

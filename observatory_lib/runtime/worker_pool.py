"""The batch's worker processes: forked from a fork server, each with one warm kernel.

``WorkerPool.run(tasks, workers)`` feeds ``(job, options)`` tasks to ``workers`` processes a
few at a time and yields each task's result as it finishes. The tasks may belong to several
batches (``batch.run_batches``): the workers and their warm kernels then serve them all, so
that a batch of one job never leaves a core idle and no batch starts its kernels again.

* a worker that dies fails only the jobs it had in flight; the next jobs go to a new pool;
* a worker kills its kernels and exits as soon as the driver process is gone, so that it
  never writes into a directory that a new batch may already own;
* closing the pool (or stopping ``run`` early) stops the workers before anything else
  happens, and removes the kernels' IPC sockets (under one directory, even when a killed
  worker could not clean up after its kernel).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from observatory_lib.runtime.job import JobResult, one_line_error, warm_up_worker

# imported once in the fork server, so every worker starts with them loaded: only what
# launching a kernel needs; a worker launches its kernel first and imports Papermill,
# nbconvert and the PDF engine while the kernel boots (job.warm_up_worker). The first entry keeps
# jsonschema from compiling IRI grammars that nothing here uses (lean_imports).
WORKER_PRELOAD = [
    "observatory_lib.runtime.lean_imports",
    "observatory_lib.runtime.kernels",
    "observatory_lib.runtime.job",
]
WORKER_DIED = (
    "The worker process running this job died (it or a job beside it crashed the "
    "process or ran out of memory); rerun with retry_failed=True."
)

# a task: (its index, the job, run_job's shared keyword arguments for the job's batch)
Task = tuple[int, Any, dict[str, Any]]


def start_worker_server() -> None:
    """Start the workers' fork server now, without waiting for it.

    The server starts a Python process and imports the kernel machinery (about 0.3 s) while
    the caller loads its data and plans its jobs; the pool then forks its workers from the
    ready server. A server that is never used exits with this process.
    """
    _pool_context()
    multiprocessing.forkserver.ensure_running()


class WorkerPool:
    """Worker processes with warm kernels, made when first needed and again when one dies."""

    def __init__(self, call: Callable[[Any, dict[str, Any]], JobResult]) -> None:
        """``call(job, options)`` runs one job in a worker (a picklable top-level function)."""
        self.call = call
        self.executor: ProcessPoolExecutor | None = None
        self.sockets = ""

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def run(self, tasks: Sequence[Task], workers: int) -> Iterator[tuple[Task, JobResult]]:
        """Yield ``(task, result)`` as the tasks finish; all tasks share the workers' options
        (engine, kernel, formats: ``warm_up_worker``'s) of the first task."""
        pending = deque(tasks)
        try:
            while pending:
                executor = self._executor(workers, pending[0][2])
                broken = yield from self._drain(executor, pending, workers)
                if broken:  # a worker died: the next jobs go to a new pool
                    self._stop()
        except BaseException:  # stopped early: no worker may go on writing a batch's files
            self._stop()
            raise

    def close(self) -> None:
        """Stop the workers and remove the kernels' sockets."""
        self._stop()
        if self.sockets:
            shutil.rmtree(self.sockets, ignore_errors=True)
            self.sockets = ""

    def _executor(self, workers: int, options: dict[str, Any]) -> ProcessPoolExecutor:
        if self.executor is None:
            self.sockets = self.sockets or tempfile.mkdtemp(prefix="observatory-batch-")
            environ = {**os.environ, "OBSERVATORY_KERNEL_IPC_DIR": self.sockets}
            init_args = (
                options["engine"],
                options["kernel_name"],
                options["formats"],
                environ,
                os.getpid(),
            )
            self.executor = ProcessPoolExecutor(
                workers, mp_context=_pool_context(), initializer=_init_worker, initargs=init_args
            )
        return self.executor

    def _stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def _drain(self, executor: ProcessPoolExecutor, pending: deque[Task], workers: int):
        """Feed ``pending`` to ``executor`` (a few jobs ahead) until done or the pool breaks;
        returns whether it broke."""
        in_flight: dict[Future, Task] = {}
        broken = False
        while (pending and not broken) or in_flight:
            while pending and not broken and len(in_flight) < 2 * workers:
                task = pending.popleft()
                try:
                    in_flight[executor.submit(self.call, task[1], task[2])] = task
                except BrokenProcessPool:  # a worker died since the last result: new pool
                    pending.appendleft(task)
                    broken = True
            if not in_flight:
                return broken
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                task = in_flight.pop(future)
                result, died = _future_result(future, task[1])
                broken = broken or died
                yield task, result
        return broken


def _future_result(future: Future, job: Any) -> tuple[JobResult, bool]:
    try:
        return future.result(), False
    except BrokenProcessPool:
        failed = JobResult(job.job_id, "failed", error=WORKER_DIED, input_hashes=job.input_hashes)
        return failed, True
    except Exception as error:  # e.g. parameters that cannot be pickled
        result = JobResult(
            job.job_id,
            "failed",
            error=one_line_error(error),
            input_hashes=job.input_hashes,
            details="".join(traceback.format_exception(error)),
        )
        return result, False


def _init_worker(
    engine: str,
    kernel_name: str,
    formats: Sequence[str],
    environ: dict[str, str],
    driver_pid: int,
) -> None:
    """Pool initializer: the driver's environment, a driver watchdog, a warm kernel."""
    os.environ.clear()
    os.environ.update(environ)  # the fork server's environment may be older than the driver's
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    threading.Thread(target=_exit_when_driver_dies, args=(driver_pid,), daemon=True).start()
    warm_up_worker(engine, kernel_name, formats)


def _exit_when_driver_dies(driver_pid: int) -> None:
    """Kill this worker's kernels and exit as soon as the batch driver is gone.

    A killed driver cannot stop its workers; without this they would finish their jobs
    and write into a directory that a new batch may already own.
    """
    parent = os.getppid()  # the fork server, which exits with the driver
    while True:
        time.sleep(0.5)
        if os.getppid() != parent or not _is_alive(driver_pid):
            from observatory_lib.runtime.kernels import kill_warm_kernels_now

            kill_warm_kernels_now()
            sockets = os.environ.get("OBSERVATORY_KERNEL_IPC_DIR")
            if sockets:  # the driver would have removed it
                shutil.rmtree(sockets, ignore_errors=True)
            os._exit(1)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _pool_context() -> multiprocessing.context.BaseContext:
    # forkserver: workers fork from a clean single-threaded server (no threads, no kernel
    # clients inherited), which imported the kernel machinery once
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context

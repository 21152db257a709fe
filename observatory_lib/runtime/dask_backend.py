"""Run the batch's jobs on a Dask distributed cluster: ``run_batch(..., scheduler=...)``.

``scheduler`` is:

* ``"local"``: a ``distributed.LocalCluster`` started for the batch (worker processes, one
  thread each, bound to 127.0.0.1, no dashboard) and closed after it;
* ``"tcp://HOST:PORT"`` (or ``tls://``; a bare ``HOST:PORT`` means tcp): an existing cluster.
  Its address is checked before any work: an unreachable address, or one that does not
  answer as a Dask scheduler, is a ``BatchError`` within ``CONNECT_TIMEOUT_S``.

Everything else is the process pool's behaviour: each job runs ``job.run_job`` (which never
raises) on a worker, and the worker writes the job's directory atomically; the driver keeps
the lock, updates ``manifest.json`` as results arrive, and resumes, skips and retries exactly
as with the pool. Each worker thread holds one warm kernel (``warm_engine``'s per-thread
registry), started by the worker's first job; ``BatchWorkerPlugin`` gives the workers the
driver's ``OBSERVATORY_*`` environment before that and kills the kernels when the batch
ends or the worker closes.

A job that kills its worker process fails (``KilledWorker``), like a dead pool worker; the
local cluster's nanny starts a new worker. The local cluster allows no retry of such a job
(``allowed-failures`` 0, as the pool) and hands a worker one job at a time
(``worker-saturation`` 1.0), so a dead worker fails only its own job once the batch has more
than two jobs per worker (below that Dask assigns the jobs at once, and a job queued on the
dead worker fails with it, as in the pool). A remote cluster applies its own settings.

Requirements of a remote cluster: the workers run this package and see the notebook, the
store and the output directory at the same paths as the driver (a shared file system).
Limits: Dask cannot stop a task that is running, so a driver that dies (or is interrupted)
while a remote cluster works lets the job running on each worker finish and publish its
directory; the queued jobs are cancelled. A local cluster's workers die with the driver.
The workers of one cluster serve one environment at a time: a batch whose ``OBSERVATORY_*``
variables differ restarts the workers' kernels.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from observatory_lib.runtime.job import (
    BatchError,
    JobResult,
    one_line_error,
    run_job,
    warm_up_worker,
)

LOGGER = logging.getLogger("observatory.batch.dask")

SCHEDULER_LOCAL = "local"
CONNECT_TIMEOUT_S = 5.0
WORKER_WAIT_S = 60.0
PLUGIN_PREFIX = "observatory-batch-"
KEY_PREFIX = "observatory-job"
SOCKETS_PREFIX = "observatory-dask-"
IPC_VARIABLE = "OBSERVATORY_KERNEL_IPC_DIR"
_ADDRESS = re.compile(
    r"^(?:(?P<scheme>tcp|tls)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(?P<port>\d{1,5}))?/?$"
)
_DEFAULT_PORT = 8786
_FIX = (
    "Fix: start it (`dask scheduler`, then `dask worker ADDRESS` on each machine), check the "
    "address, use --scheduler local, or leave --scheduler out to use the local process pool."
)


# --------------------------------------------------------------------------------------------
# Checks made before any work
# --------------------------------------------------------------------------------------------


def normalise_scheduler(scheduler: str) -> str:
    """``local``, or the scheduler address with its scheme (``tcp://host:port``).

    Raises:
        BatchError: ``scheduler`` is neither ``local`` nor a ``tcp://``/``tls://`` address.
    """
    text = str(scheduler).strip()
    if text.lower() == SCHEDULER_LOCAL:
        return SCHEDULER_LOCAL
    match = _ADDRESS.match(text)
    if match is None or (match["port"] and not 0 < int(match["port"]) < 65536):
        raise BatchError(
            f"Scheduler {scheduler!r} is not a Dask scheduler address; pass 'local' (a Dask "
            "cluster on this machine) or tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)."
        )
    port = match["port"] or _DEFAULT_PORT
    return f"{match['scheme'] or 'tcp'}://{match['host']}:{port}"


def check_scheduler(scheduler: str, workers: int) -> tuple[str, int]:
    """Validate ``scheduler`` before any work; return it normalised and the worker count.

    ``local`` needs ``workers >= 1`` (the local cluster's size). A remote scheduler is asked
    who it is, and the number of workers it has now is returned (``workers`` is ignored).

    Raises:
        BatchError: a malformed address, ``workers`` 0 with ``local``, or a scheduler that
            cannot be reached or is not a Dask scheduler (within ``CONNECT_TIMEOUT_S``).
    """
    address = normalise_scheduler(scheduler)
    if address == SCHEDULER_LOCAL:
        if workers < 1:
            raise BatchError(
                "workers must be at least 1 with scheduler='local' (the Dask cluster's "
                "worker processes); workers=0 runs in this process only without a scheduler."
            )
        return address, workers
    identity = probe_scheduler(address)
    return address, int(identity.get("n_workers", 0))


def probe_scheduler(address: str, timeout: float | None = None) -> dict[str, Any]:
    """The scheduler's ``identity`` (``type``, ``n_workers``, ...), asked in a few seconds.

    A plain TCP connection comes first, so that a refused port or an unknown host fails at
    once instead of after Dask's connection retries.

    Raises:
        BatchError: naming the address, the cause and the fix.
    """
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    host, port = _host_and_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BatchError(
            f"Cannot reach the Dask scheduler at {address} ({reason}, within {timeout:g} s). "
            + _FIX
        ) from None
    try:
        identity = _run_in_new_loop(_ask_identity(address, timeout))
    except Exception as error:  # anything can come back from a port that is not Dask's
        identity = {"type": f"no answer ({type(error).__name__})"}
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        kind = identity.get("type") if isinstance(identity, dict) else type(identity).__name__
        raise BatchError(
            f"{address} does not answer as a Dask scheduler ({kind} within {timeout:g} s); "
            "pass the scheduler's address (port 8786 by default; 8787 is its dashboard)."
        )
    return identity


def _host_and_port(address: str) -> tuple[str, int]:
    match = _ADDRESS.match(address)
    if match is None:  # normalise_scheduler has checked it already
        raise BatchError(f"Scheduler {address!r} is not a Dask scheduler address.")
    return match["host"].strip("[]"), int(match["port"] or _DEFAULT_PORT)


async def _ask_identity(address: str, timeout: float) -> dict[str, Any]:
    from distributed.core import rpc
    from distributed.security import Security

    arguments = Security().get_connection_args("client") if address.startswith("tls") else {}

    async def ask() -> dict[str, Any]:
        async with rpc(address, timeout=timeout, connection_args=arguments) as scheduler:
            return await scheduler.identity()

    return await asyncio.wait_for(ask(), timeout)


def _run_in_new_loop(coroutine) -> Any:
    # a thread of its own: run_batch may be called where an event loop runs (a notebook)
    with ThreadPoolExecutor(1, thread_name_prefix="observatory-probe") as pool:
        return pool.submit(asyncio.run, coroutine).result()


# --------------------------------------------------------------------------------------------
# The worker side
# --------------------------------------------------------------------------------------------


class BatchWorkerPlugin(WorkerPlugin):
    """Gives a worker the driver's environment; kills the worker's warm kernels at the end.

    Registered by the driver under a name of its own for each batch; ``setup`` runs on every
    worker (also on workers that join later) before any job, ``teardown`` when the batch
    unregisters it or the worker closes.
    """

    def __init__(self, environ: dict[str, str]) -> None:
        """Remember the variables to set on the workers.

        Args:
            environ: ``OBSERVATORY_*`` variables of the driver (and the local cluster's
                kernel socket directory).
        """
        self.environ = dict(environ)
        self.name = f"{PLUGIN_PREFIX}{uuid.uuid4().hex[:12]}"
        self._previous: dict[str, str | None] = {}

    def setup(self, worker: Any) -> None:
        """Set the environment; kernels started under another environment are replaced."""
        self._previous = {name: os.environ.get(name) for name in self.environ}
        changed = any(self._previous[name] != value for name, value in self.environ.items())
        os.environ.update(self.environ)
        if changed:  # a kernel keeps the environment it started with
            _kill_kernels()

    def teardown(self, worker: Any) -> None:
        """Kill the warm kernels and restore the environment, unless another batch runs."""
        plugins = getattr(worker, "plugins", {})
        if any(str(name).startswith(PLUGIN_PREFIX) for name in plugins if name != self.name):
            return
        _kill_kernels()
        for name, value in self._previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _kill_kernels() -> None:
    # safe from the worker's event-loop thread, unlike a polite shutdown through the kernel
    # clients (they belong to the task thread); the next job starts a new kernel
    from observatory_lib.runtime.warm_engine import kill_warm_kernels_now

    kill_warm_kernels_now()


def run_job_on_worker(job: Any, options: dict[str, Any]) -> JobResult:
    """The task each job is on the cluster: warm this worker up once, then ``run_job``."""
    warm_up_worker(options["engine"], options["kernel_name"])
    return run_job(
        job_id=job.job_id, parameters=job.parameters, input_hashes=job.input_hashes, **options
    )


# --------------------------------------------------------------------------------------------
# The driver side
# --------------------------------------------------------------------------------------------


def run_jobs(
    jobs: list[Any], scheduler: str, workers: int, options: dict[str, Any]
) -> Iterator[JobResult]:
    """Run ``jobs`` on the cluster and yield their results as they finish.

    Args:
        jobs: The batch's planned jobs (``batch._Job``).
        scheduler: ``local`` or a scheduler address, as ``check_scheduler`` returned it.
        workers: The local cluster's worker processes (ignored for a remote scheduler).
        options: ``run_job``'s keyword arguments shared by every job.

    Raises:
        BatchError: the cluster cannot be started or reached, or has no worker.
    """
    with _client(scheduler, workers) as (client, environ):
        plugin = BatchWorkerPlugin(environ)
        try:
            client.register_plugin(plugin, name=plugin.name)
        except Exception as error:
            raise BatchError(
                f"The Dask cluster at {scheduler} refused the batch's worker set-up "
                f"({one_line_error(error)}); check that its workers run the same "
                "observatory_lib and distributed versions."
            ) from None
        try:
            yield from _submit_and_collect(client, jobs, options, scheduler)
        finally:
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(plugin.name)


@contextlib.contextmanager
def _client(scheduler: str, workers: int) -> Iterator[tuple[Any, dict[str, str]]]:
    """A connected ``distributed.Client`` and the environment the workers must get."""
    from distributed import Client

    environ = {
        name: value
        for name, value in os.environ.items()
        if name.startswith("OBSERVATORY_") and name != IPC_VARIABLE
    }
    if scheduler != SCHEDULER_LOCAL:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as error:
            raise BatchError(
                f"Cannot connect to the Dask scheduler at {scheduler} "
                f"({one_line_error(error)}). " + _FIX
            ) from None
        try:
            yield client, environ
        finally:
            client.close()
        return
    # the kernels' IPC sockets go under one directory removed at the end, as with the pool;
    # its name carries this process's pid, so that the next batch removes it if we are killed
    _remove_dead_drivers_sockets()
    sockets = tempfile.mkdtemp(prefix=f"{SOCKETS_PREFIX}{os.getpid()}-")
    try:
        with _local_cluster(workers) as client:
            yield client, {**environ, IPC_VARIABLE: sockets}
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


def _remove_dead_drivers_sockets() -> None:
    """Remove the socket directories of local-cluster batches whose driver was killed.

    A killed driver's workers exit at once (Dask closes them with it) and their kernels
    follow, but nobody is left to remove the directory.
    """
    for directory in Path(tempfile.gettempdir()).glob(f"{SOCKETS_PREFIX}*-*"):
        pid = directory.name[len(SOCKETS_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _is_alive(int(pid)):
            shutil.rmtree(directory, ignore_errors=True)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


@contextlib.contextmanager
def _local_cluster(workers: int) -> Iterator[Any]:
    import dask
    from distributed import Client, LocalCluster

    quiet = logging.WARNING if LOGGER.isEnabledFor(logging.INFO) else logging.CRITICAL
    try:
        # the scheduler runs in this process and reads these when it starts: a job that
        # kills its worker is not retried (as with the pool), and a worker holds only the
        # job it runs
        settings = {
            "distributed.scheduler.allowed-failures": 0,
            "distributed.scheduler.worker-saturation": 1.0,
        }
        with dask.config.set(settings):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # no dashboard; the scheduler's HTTP server (health checks) still starts:
                # on a free loopback port rather than on 8787, which another may hold
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                silence_logs=quiet,
            )
    except Exception as error:
        raise BatchError(
            f"Cannot start a local Dask cluster of {workers} workers "
            f"({one_line_error(error)}). Fix: a script that calls run_batch needs "
            "`if __name__ == '__main__':` around its top level (each worker imports it); "
            "otherwise use fewer --workers or leave --scheduler out."
        ) from None
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _submit_and_collect(
    client: Any, jobs: list[Any], options: dict[str, Any], scheduler: str
) -> Iterator[JobResult]:
    from distributed import as_completed

    # one call and one key prefix for every job: Dask then sees one group of root tasks
    # and, for more than two jobs per worker thread, queues them on the scheduler, handing
    # a worker its next job only when it is free (a dead worker takes no queued job with it)
    token = uuid.uuid4().hex[:8]
    keys = [f"{KEY_PREFIX}-{token}-{job.job_id}" for job in jobs]
    submitted = client.map(run_job_on_worker, jobs, [options] * len(jobs), key=keys, pure=False)
    futures = dict(zip(submitted, jobs, strict=True))
    try:
        _wait_for_a_worker(client, scheduler)
        for future in as_completed(list(futures), loop=client.loop):
            yield _result(future, futures.pop(future), scheduler)
    finally:
        if futures:  # interrupted: the queued jobs must not write after the lock is gone
            with contextlib.suppress(Exception):
                client.cancel(list(futures), force=True)


def _wait_for_a_worker(client: Any, scheduler: str) -> None:
    """Fail clearly when the cluster has no worker (an adaptive one gets time to add some)."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError:  # distributed raises the builtin (asyncio.TimeoutError is it too)
        raise BatchError(
            f"The Dask scheduler at {scheduler} has no worker (none joined within "
            f"{WORKER_WAIT_S:g} s); start workers with `dask worker {scheduler}`."
        ) from None


def _result(future: Any, job: Any, scheduler: str) -> JobResult:
    """The job's result, or a failed result saying what happened on the cluster."""
    from distributed import KilledWorker

    try:
        result = future.result()
    except KilledWorker:
        return _failed(
            job,
            "The Dask worker running this job died (the job or one beside it crashed the "
            "process or ran out of memory); rerun with retry_failed=True.",
        )
    except (asyncio.CancelledError, concurrent.futures.CancelledError) as error:
        reason = getattr(error, "reason", "") or "unknown"
        return _failed(
            job,
            f"The Dask scheduler at {scheduler} cancelled this job ({reason}: the connection "
            "to it was lost or the cluster closed); rerun with retry_failed=True.",
        )
    except Exception as error:  # e.g. a result that could not be sent back
        return _failed(job, one_line_error(error))
    if not isinstance(result, JobResult):
        return _failed(job, f"The Dask worker returned {type(result).__name__}, not a result.")
    return result


def _failed(job: Any, error: str) -> JobResult:
    return JobResult(job.job_id, "failed", error=error, input_hashes=job.input_hashes)

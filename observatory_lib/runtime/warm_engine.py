"""Run parameterised notebooks through Papermill in one warm kernel per process.

Naive Papermill starts a kernel for every notebook (~0.5 s) and the notebook then imports
pandas and matplotlib again (~0.6 s), against ~0.1 s of real work for a scorecard. The
``observatory-warm`` Papermill engine registered here keeps ONE kernel per process (per
thread, if several threads run jobs) alive across jobs instead:

* before each job the kernel's state is put back to what a fresh kernel shows: the user
  namespace is reset, matplotlib figures are closed and rcParams restored, pandas and numpy
  options, warnings filters, ``sys.path``, the environment and the working directory are
  restored, and the execution counter restarts at 1; the imported modules stay in
  ``sys.modules``, so importing them again is free;
* the notebook still goes through ``papermill.execute_notebook`` (parameter injection,
  metadata, error handling), so the executed notebook looks exactly like a Papermill output;
* ``normalize_notebook`` renumbers execution counts and strips timing metadata, so the same
  job gives identical outputs in a fresh kernel and in a warm one;
* a kernel that dies or times out is discarded and a new one starts for the next job;
* kernels use the IPC transport (no TCP warning) and are killed, not politely shut down,
  when the process exits (the graceful path stalls 3.5 s in ~10 % of runs).

What is NOT reset: state inside imported modules (module-level caches, monkeypatches,
``%config InlineBackend`` settings, global random generators). Read-only caches such as a
loaded store are a gain (loaded once per worker); a notebook must not mutate library state
beyond the settings listed above. ``tests/unit/test_batch.py`` checks that a job gives
byte-identical outputs in a fresh kernel and after other jobs in a warm one.

Importing this module imports Papermill (~1.5 s, mostly nbformat's schema checker), so a
batch imports it once per worker process, never per job.
"""

from __future__ import annotations

import contextlib
import inspect
import multiprocessing.util
import os
import queue
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.log import logger as papermill_logger
from papermill.utils import merge_kwargs, remove_args
from traitlets import CaselessStrEnum, default

from observatory_lib.errors import ObservatoryError

WARM_ENGINE_NAME = "observatory-warm"
ENGINES = ("warm", "papermill")
DEFAULT_PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot")
KERNEL_STATE_MODULE = "_observatory_warm_kernel"
IPC_PARENT_VARIABLE = "OBSERVATORY_KERNEL_IPC_DIR"
_CONTROL_TIMEOUT_S = 60.0
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookExecutionError(ObservatoryError):
    """A cell of the notebook raised: ``summary`` is one line, ``details`` the traceback."""

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.details = details


class KernelDiedError(NotebookExecutionError):
    """The kernel died or stopped answering while it ran a job; it has been replaced."""


class IpcKernelManager(AsyncKernelManager):
    """A kernel manager on IPC sockets in a private temporary directory.

    IPC avoids ipykernel 7's "running over TCP without encryption" warning on every kernel.
    jupyter_client's default IPC path is ``kernel-ipc`` in the working directory, where two
    workers' kernels pick the same sockets and receive each other's messages; a directory
    per kernel rules that out.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @default("ip")
    def _ip_default(self) -> str:
        if self.transport != "ipc":
            return super()._ip_default()
        # a batch driver names a parent it removes at the end, even if workers were killed
        parent = os.environ.get(IPC_PARENT_VARIABLE)
        if parent is not None and not Path(parent).is_dir():
            parent = None
        self._ipc_directory = tempfile.mkdtemp(prefix="observatory-kernel-", dir=parent)
        return str(Path(self._ipc_directory) / "kernel")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        directory = getattr(self, "_ipc_directory", None)
        if directory is not None and not restart:
            shutil.rmtree(directory, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


# --------------------------------------------------------------------------------------------
# Code that runs INSIDE the kernel. The source of these functions is sent to the kernel and
# executed in a private module there, so that resetting the user namespace does not remove
# them. They use only the standard library and modules already in sys.modules.
# --------------------------------------------------------------------------------------------


def _kernel_install(preload: Sequence[str]) -> None:
    """(In the kernel) Import the heavy modules once and remember the pristine state."""
    import importlib

    for name in preload:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    globals()["PRISTINE"] = _kernel_snapshot()


def _kernel_snapshot() -> dict:
    """(In the kernel) The process-level state a fresh kernel starts a notebook with."""
    import os
    import sys
    import warnings

    snapshot = {
        "path": list(sys.path),
        "environ": dict(os.environ),
        "filters": list(warnings.filters),
    }
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:
        snapshot["rcparams"] = dict(matplotlib.rcParams)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        snapshot["numpy_print"] = numpy.get_printoptions()
        snapshot["numpy_err"] = numpy.geterr()
    return snapshot


def _kernel_restore(cwd: str) -> None:
    """(In the kernel) Give the next job the state of a fresh kernel, modules kept."""
    import os
    import sys
    import warnings

    from IPython import get_ipython

    pristine = globals()["PRISTINE"]
    shell = get_ipython()
    hook = shell.displayhook
    full_cache = hook.do_full_cache
    # with the full cache on, reset() flushes it and ends in a full gc.collect() (~25 ms a
    # job); the cached outputs live in the namespaces that reset() clears anyway
    hook.do_full_cache = False
    try:
        shell.reset(new_session=False)
    finally:
        hook.do_full_cache = full_cache
    for name in ("_", "__", "___"):
        setattr(hook, name, "")
    shell.execution_count = 1
    os.chdir(cwd)
    sys.path[:] = pristine["path"]
    os.environ.clear()
    os.environ.update(pristine["environ"])
    # resetwarnings bumps the filters version, which also forgets "shown once" warnings
    warnings.resetwarnings()
    warnings.filters[:] = pristine["filters"]
    warnings.onceregistry.clear()
    _kernel_restore_libraries(pristine)


def _kernel_restore_libraries(pristine: dict) -> None:
    """(In the kernel) Close figures; restore matplotlib, pandas and numpy settings."""
    import sys
    import warnings

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    matplotlib = sys.modules.get("matplotlib")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated rcParams and options warn when set
        if matplotlib is not None and "rcparams" in pristine:
            matplotlib.rcParams.update(pristine["rcparams"])
        elif matplotlib is not None:
            matplotlib.rc_file_defaults()
        pandas = sys.modules.get("pandas")
        if pandas is not None:
            pandas.reset_option("all")
    numpy = sys.modules.get("numpy")
    if numpy is not None and "numpy_print" in pristine:
        numpy.set_printoptions(**pristine["numpy_print"])
        numpy.seterr(**pristine["numpy_err"])


_KERNEL_FUNCTIONS = (_kernel_install, _kernel_snapshot, _kernel_restore, _kernel_restore_libraries)


def _kernel_module_code(preload: Sequence[str]) -> str:
    source = "from __future__ import annotations\n\nimport contextlib\n\n" + "\n\n".join(
        inspect.getsource(function) for function in _KERNEL_FUNCTIONS
    )
    return (
        "import sys as _sys, types as _types\n"
        f"_module = _types.ModuleType({KERNEL_STATE_MODULE!r})\n"
        f"exec({source!r}, _module.__dict__)\n"
        "_sys.modules[_module.__name__] = _module\n"
        f"_module._kernel_install({tuple(preload)!r})\n"
        "del _sys, _types, _module\n"
    )


# --------------------------------------------------------------------------------------------
# The warm kernel held by this process
# --------------------------------------------------------------------------------------------


class WarmKernel:
    """One long-lived kernel and its client, reset to a fresh state before every job."""

    def __init__(self, kernel_name: str, preload: Sequence[str] = DEFAULT_PRELOAD) -> None:
        """Describe the kernel; it starts on first use.

        Args:
            kernel_name: The kernelspec name, e.g. ``python3``.
            preload: Modules imported once when the kernel starts.
        """
        self.kernel_name = kernel_name
        self.preload = tuple(preload)
        self.km: IpcKernelManager | None = None
        self.kc = None
        self.jobs_run = 0

    @property
    def is_running(self) -> bool:
        """Whether the kernel process is alive."""
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def start(self, startup_timeout: float = _CONTROL_TIMEOUT_S) -> None:
        """Start the kernel, connect to it and import the preload modules."""
        self.launch()
        self.connect(startup_timeout)

    def launch(self) -> None:
        """Start the kernel process and return at once; ``connect`` waits for it.

        Between the two the caller can do other start-up work while the kernel boots.
        """
        km = IpcKernelManager(kernel_name=self.kernel_name)
        run_sync(km.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"])
        self.km = km
        self.kc = km.client()
        self.kc.start_channels()
        process = getattr(km.provisioner, "process", None)
        if process is not None:
            _KERNEL_PIDS[process.pid] = getattr(km, "_ipc_directory", None)

    def connect(self, startup_timeout: float = _CONTROL_TIMEOUT_S) -> None:
        """Wait until the launched kernel answers, then import the preload modules in it."""
        try:
            run_sync(self.kc.wait_for_ready)(timeout=startup_timeout)
            self.kc.allow_stdin = False
            self._run_silently(_kernel_module_code(self.preload), startup_timeout)
        except BaseException:
            self.discard()
            raise
        self.jobs_run = 0

    def prepare_job(self, cwd: Path, startup_timeout: float = _CONTROL_TIMEOUT_S) -> None:
        """Make sure the kernel runs, then reset its state for a new job run in ``cwd``.

        A kernel that cannot be reset (dead, hung, or broken by the previous job) is
        replaced by a fresh one, so one job's damage never fails the next job.
        """
        code = f"__import__({KERNEL_STATE_MODULE!r})._kernel_restore({str(cwd)!r})"
        for attempt in (1, 2):
            if not self.is_running:
                self.discard()
                self.start(startup_timeout)
            try:
                self._run_silently(code, _CONTROL_TIMEOUT_S)
            except BaseException:
                self.discard()
                if attempt == 2:
                    raise
                continue
            self.jobs_run += 1
            return

    def discard(self) -> None:
        """Kill the kernel at once (no graceful shutdown) and forget it."""
        km, kc = self.km, self.kc
        self.km, self.kc = None, None
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            _KERNEL_PIDS.pop(process.pid, None)
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None:
            with contextlib.suppress(Exception):
                if run_sync(km.is_alive)():
                    run_sync(km.shutdown_kernel)(now=True)
            with contextlib.suppress(Exception):
                run_sync(km.cleanup_resources)()

    def _run_silently(self, code: str, timeout: float) -> None:
        """Run ``code`` without touching history or execution counts; raise on error."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        try:
            reply = run_sync(self._wait_for_reply)(msg_id, timeout)
        except queue.Empty:
            raise KernelDiedError(
                f"The warm kernel did not answer within {timeout:.0f} s; it was replaced."
            ) from None
        content = reply["content"]
        if content["status"] != "ok":
            raise KernelDiedError(
                f"The warm kernel could not be prepared: {content.get('ename')}: "
                f"{content.get('evalue')}",
                strip_ansi("\n".join(content.get("traceback", []))),
            )

    async def _wait_for_reply(self, msg_id: str, timeout: float) -> dict:
        while True:
            reply = await self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        # drain IOPub up to this request's idle status, so no stale output reaches the next job
        while True:
            message = await self.kc.get_iopub_msg(timeout=timeout)
            if (
                message["parent_header"].get("msg_id") == msg_id
                and message["msg_type"] == "status"
                and message["content"]["execution_state"] == "idle"
            ):
                return reply


# one kernel per (kernelspec, thread): a kernel client belongs to its thread's event loop,
# and a thread pool (e.g. a Dask worker with several threads) must not share one kernel
_WARM_KERNELS: dict[tuple[str, int], WarmKernel] = {}
_REGISTRY_LOCK = threading.Lock()
_KERNEL_PIDS: dict[int, str | None] = {}  # kernel pid -> its IPC socket directory


def get_warm_kernel(kernel_name: str) -> WarmKernel:
    """The warm kernel this thread holds for ``kernel_name`` (created, not yet started)."""
    key = (kernel_name, threading.get_ident())
    with _REGISTRY_LOCK:
        if key not in _WARM_KERNELS:
            if not _WARM_KERNELS:
                # Finalize (unlike atexit) also runs in multiprocessing workers as they exit
                multiprocessing.util.Finalize(None, shutdown_warm_kernels, exitpriority=100)
            _WARM_KERNELS[key] = WarmKernel(kernel_name)
        return _WARM_KERNELS[key]


def start_warm_kernel(kernel_name: str = "python3") -> None:
    """Start this thread's warm kernel now (a pool initializer), so the first job is warm."""
    kernel = get_warm_kernel(kernel_name)
    if not kernel.is_running:
        kernel.start()


def shutdown_warm_kernels() -> None:
    """Kill every warm kernel this process holds."""
    with _REGISTRY_LOCK:
        kernels = list(_WARM_KERNELS.values())
        _WARM_KERNELS.clear()
    for kernel in kernels:
        kernel.discard()


def kill_warm_kernels_now() -> None:
    """SIGKILL the kernel processes without touching their clients (safe from any thread).

    For a worker that must exit at once because its batch driver has died.
    """
    for pid, directory in list(_KERNEL_PIDS.items()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The Papermill engine
# --------------------------------------------------------------------------------------------


class WarmKernelEngine(NBClientEngine):
    """Papermill engine that executes in this process's warm kernel instead of a new one."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        """Execute ``nb_man.nb`` in the warm kernel; Papermill's client does the cells."""
        kernel = get_warm_kernel(kernel_name)
        # the job's directory travels in nbclient's resources, as for a fresh kernel
        cwd = kwargs.get("resources", {}).get("metadata", {}).get("path") or Path.cwd()
        kernel.prepare_job(Path(cwd), start_timeout)
        safe_kwargs = remove_args(["timeout", "startup_timeout", "input_path"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=papermill_logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=kernel.km, **final_kwargs)
        client.kc = kernel.kc  # reuse the connected client: no new channels per job
        try:
            return client.execute()
        except BaseException:
            # died, timed out or interrupted: its state is unknown, so never reuse it
            kernel.discard()
            raise


def register_warm_engine() -> None:
    """Register ``observatory-warm`` in Papermill's engine registry (idempotent)."""
    papermill_engines.register(WARM_ENGINE_NAME, WarmKernelEngine)


register_warm_engine()


# --------------------------------------------------------------------------------------------
# Executing one job
# --------------------------------------------------------------------------------------------


def execute_notebook(
    notebook_path: str | Path,
    parameters: Mapping[str, Any],
    *,
    engine: str = "warm",
    kernel_name: str | None = None,
    cwd: str | Path | None = None,
    cell_timeout: float | None = None,
) -> nbformat.NotebookNode:
    """Execute a parameterised notebook and return it normalised.

    Args:
        notebook_path: The notebook, with a cell tagged ``parameters``.
        parameters: Values injected after the parameters cell.
        engine: ``warm`` (this process's warm kernel) or ``papermill`` (a fresh kernel).
        kernel_name: Kernelspec name; None takes the notebook's own.
        cwd: Working directory of the kernel; None keeps the current one.
        cell_timeout: Seconds a cell may run before the job fails; None waits forever.

    Returns:
        The executed notebook, normalised with ``normalize_notebook``.

    Raises:
        NotebookExecutionError: A cell raised.
        KernelDiedError: The kernel died or a cell timed out; the warm kernel was replaced.
    """
    if engine not in ENGINES:
        raise ObservatoryError(f"Unknown engine {engine!r}; use one of {', '.join(ENGINES)}.")
    options: dict[str, Any] = {"execution_timeout": cell_timeout}
    if cwd is not None:
        # nbclient starts a fresh kernel in resources' path; the warm engine moves its kernel
        # there. Papermill's own cwd= would chdir this whole process, which threads share.
        options["resources"] = {"metadata": {"path": str(cwd)}}
    if engine == "warm":
        options["engine_name"] = WARM_ENGINE_NAME
    else:
        options.update(shutdown_kernel="immediate", kernel_manager_class=IpcKernelManager)
    try:
        nb = papermill.execute_notebook(
            str(notebook_path),
            None,
            parameters=dict(parameters),
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            **options,
        )
    except PapermillExecutionError as error:
        raise NotebookExecutionError(
            _cell_error_summary(error), strip_ansi("\n".join(error.traceback))
        ) from None
    except (DeadKernelError, CellTimeoutError) as error:
        raise KernelDiedError(_kernel_error_summary(error, cell_timeout), str(error)) from None
    return normalize_notebook(nb)


def normalize_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Make an executed notebook independent of how and when it ran (in place; returned).

    Execution counts are renumbered 1, 2, ... over the executed code cells; start/end
    times, durations and nbclient's per-cell timing metadata are removed; the cell that
    Papermill injects gets a fixed id instead of a random one.
    """
    count = 0
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        cell.metadata.pop("execution", None)
        _drop_timing(cell.metadata.get("papermill"))
        if cell.cell_type != "code" or cell.get("execution_count") is None:
            continue
        count += 1
        cell.execution_count = count
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = count
    _drop_timing(nb.metadata.get("papermill"))
    return nb


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI_ESCAPE.sub("", text)


def _drop_timing(metadata: dict | None) -> None:
    if metadata is not None:
        for key in ("start_time", "end_time", "duration"):
            metadata.pop(key, None)


def _cell_error_summary(error: PapermillExecutionError) -> str:
    value = " ".join(strip_ansi(str(error.evalue)).split())
    return f"{error.ename}: {value} (in cell In [{error.exec_count}])"


def _kernel_error_summary(error: Exception, cell_timeout: float | None) -> str:
    if isinstance(error, CellTimeoutError):
        return (
            f"A cell ran longer than the {cell_timeout} s cell timeout; the job was stopped "
            "(raise cell_timeout if the notebook is just slow)."
        )
    return (
        "The kernel died while running the notebook (a crash, os._exit or out of memory); "
        "the next job gets a new kernel."
    )

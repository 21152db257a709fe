"""Warm kernels: one long-lived Jupyter kernel per process (and thread), reset between jobs.

Naive Papermill starts a kernel for every notebook (~0.5 s) and the notebook then imports
pandas and matplotlib again (~0.6 s), against ~0.1 s of real work for a scorecard. A
``WarmKernel`` stays alive across jobs instead:

* before each job the kernel's state is put back to what a fresh kernel shows: the user
  namespace is reset, matplotlib figures are closed and rcParams restored, pandas and numpy
  options, warnings filters, ``sys.path``, the environment and the working directory are
  restored, and the execution counter restarts at 1; the imported modules stay in
  ``sys.modules``, so importing them again is free;
* a kernel that dies or cannot be reset is discarded and a new one starts for the next job;
* kernels use the IPC transport (no TCP warning) and are killed, not politely shut down,
  when the process exits (the graceful path stalls 3.5 s in ~10 % of runs).

What is NOT reset: state inside imported modules (module-level caches, monkeypatches,
``%config InlineBackend`` settings, global random generators). Read-only caches such as a
loaded store are a gain (loaded once per worker); a notebook must not mutate library state
beyond the settings listed above.

This module needs only ``jupyter_client``, not Papermill or nbformat (``warm_engine`` runs the
notebooks), so a batch worker can launch its kernel first and import those (about 1 s) while
the kernel boots.
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
from collections.abc import Sequence
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import CaselessStrEnum, default

from observatory_lib.errors import ObservatoryError

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
        self._preloading: str | None = None  # the preload request connect(wait=False) sent

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

    def connect(self, startup_timeout: float = _CONTROL_TIMEOUT_S, *, wait: bool = True) -> None:
        """Wait until the launched kernel answers, then import the preload modules in it.

        With ``wait=False`` the imports are only asked for: the kernel runs them while the
        caller does other work, and ``finish_connect`` waits for them.
        """
        try:
            run_sync(self.kc.wait_for_ready)(timeout=startup_timeout)
            self.kc.allow_stdin = False
            self._preloading = self._send_silently(_kernel_module_code(self.preload))
        except BaseException:
            self.discard()
            raise
        if wait:
            self.finish_connect(startup_timeout)

    def finish_connect(self, startup_timeout: float = _CONTROL_TIMEOUT_S) -> None:
        """Wait until the preload modules asked for by ``connect`` are imported."""
        msg_id, self._preloading = self._preloading, None
        if msg_id is None:
            return
        try:
            self._await_silently(msg_id, startup_timeout)
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
        self._preloading = None
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
        self._await_silently(self._send_silently(code), timeout)

    def _send_silently(self, code: str) -> str:
        """Ask the kernel to run ``code`` silently; the request's id."""
        return self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)

    def _await_silently(self, msg_id: str, timeout: float) -> None:
        """Wait for the reply to ``msg_id`` (and its outputs); raise if it failed."""
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


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI_ESCAPE.sub("", text)

"""Run parameterised notebooks through Papermill in this process's warm kernel.

The ``observatory-warm`` Papermill engine registered here executes a notebook in the
process's ``kernels.WarmKernel`` (one per process, or per thread if several threads run
jobs) instead of starting a new kernel:

* the notebook still goes through ``papermill.execute_notebook`` (parameter injection,
  metadata, error handling), so the executed notebook looks exactly like a Papermill output;
* ``normalize_notebook`` renumbers execution counts and strips timing metadata, so the same
  job gives identical outputs in a fresh kernel and in a warm one;
* a kernel that dies or times out is discarded and a new one starts for the next job.

``tests/notebooks/test_batch.py`` checks that a job gives byte-identical outputs in a fresh
kernel and after other jobs in a warm one.

Importing this module imports Papermill (~1 s with ``lean_imports``, mostly nbformat's
schema checker), so a batch imports it once per worker process, never per job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.log import logger as papermill_logger
from papermill.utils import merge_kwargs, remove_args

from observatory_lib.errors import ObservatoryError
from observatory_lib.runtime.kernels import (  # noqa: F401  (re-exported for callers)
    IpcKernelManager,
    KernelDiedError,
    NotebookExecutionError,
    WarmKernel,
    get_warm_kernel,
    kill_warm_kernels_now,
    shutdown_warm_kernels,
    start_warm_kernel,
    strip_ansi,
)

WARM_ENGINE_NAME = "observatory-warm"
ENGINES = ("warm", "papermill")


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

"""One job of a batch: execute a parameterised notebook once and publish its outputs.

``run_job`` is a pure top-level function that never raises for a failing job, so any executor
can run it: the batch's process pool (``batch``) and Dask workers (``dask_backend``) both import
it from here, and neither imports the other. It executes the notebook (``warm_engine``), writes
the requested formats into a staging directory and publishes that directory atomically
(``files.replace_directory``): a job directory is complete or absent.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from observatory_lib.errors import ObservatoryError
from observatory_lib.files import replace_directory, staging_directory

LOGGER = logging.getLogger("observatory.batch")
FORMATS = ("ipynb", "html", "pdf", "json")
DEFAULT_CELL_TIMEOUT_S = 600.0


class BatchError(ObservatoryError):
    """The batch's input (notebook, jobs, formats, options) is not usable."""


@dataclass(frozen=True)
class JobResult:
    """What happened to one job: ``status`` is ``ok``, ``failed`` or ``skipped``."""

    job_id: str
    status: str
    error: str = ""
    duration_s: float = 0.0
    outputs: tuple[str, ...] = ()
    input_hashes: Mapping[str, str] = field(default_factory=dict)
    details: str = ""  # the traceback, for the log file only

    def manifest_entry(self) -> dict[str, Any]:
        """The job's entry in ``manifest.json``."""
        return {
            "status": self.status,
            "error": self.error,
            "duration_s": round(self.duration_s, 3),
            "input_hashes": dict(self.input_hashes),
            "outputs": list(self.outputs),
            "finished_at": timestamp(),
        }


def run_job(
    notebook_path: str | Path,
    job_id: str,
    parameters: Mapping[str, Any],
    output_root: str | Path,
    formats: Sequence[str] = FORMATS,
    *,
    engine: str = "warm",
    kernel_name: str | None = None,
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT_S,
    store_version: str = "",
    input_hashes: Mapping[str, str] | None = None,
) -> JobResult:
    """Execute the notebook for one parameter set and publish ``<output_root>/<job_id>/``.

    Never raises for a failing job: the failure is returned as a ``failed`` result.

    Args:
        notebook_path: Absolute path of the parameterised notebook.
        job_id: The job's id, also its directory name.
        parameters: Values injected into the notebook.
        output_root: The batch's output directory.
        formats: Any of ``ipynb``, ``html``, ``pdf``, ``json``.
        engine: ``warm`` (this process's warm kernel) or ``papermill`` (a fresh kernel).
        kernel_name: Kernelspec name; None takes the notebook's own.
        cell_timeout: Seconds a cell may run; None waits forever.
        store_version: The data store version, written into the JSON twin.
        input_hashes: Hashes recorded with the result for resuming.

    Returns:
        The job's result, with output paths relative to ``output_root``.
    """
    started = time.perf_counter()
    hashes = dict(input_hashes or {})
    try:
        outputs = _execute_and_publish(
            Path(notebook_path),
            job_id,
            dict(parameters),
            Path(output_root),
            tuple(formats),
            {"engine": engine, "kernel_name": kernel_name, "cell_timeout": cell_timeout},
            store_version,
        )
    except Exception as error:  # a failing job must never stop the batch
        return JobResult(
            job_id,
            "failed",
            error=one_line_error(error),
            duration_s=time.perf_counter() - started,
            input_hashes=hashes,
            details=getattr(error, "details", "") or "".join(traceback.format_exception(error)),
        )
    return JobResult(
        job_id, "ok", duration_s=time.perf_counter() - started, outputs=outputs, input_hashes=hashes
    )


def _execute_and_publish(
    notebook: Path,
    job_id: str,
    parameters: dict[str, Any],
    output_root: Path,
    formats: tuple[str, ...],
    execution: dict[str, Any],
    store_version: str,
) -> tuple[str, ...]:
    from observatory_lib.runtime.warm_engine import execute_notebook

    nb = execute_notebook(notebook, parameters, cwd=notebook.parent, **execution)
    staging = staging_directory(output_root, job_id)
    try:
        names = _write_outputs(nb, staging, job_id, parameters, formats, notebook, store_version)
        replace_directory(staging, output_root / job_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return tuple(f"{job_id}/{name}" for name in names)


def _write_outputs(
    nb: Any,
    directory: Path,
    job_id: str,
    parameters: dict[str, Any],
    formats: tuple[str, ...],
    notebook: Path,
    store_version: str,
) -> list[str]:
    """Write the requested formats into ``directory`` (a staging directory) in FORMATS order."""
    import nbformat

    from observatory_lib.runtime import render
    from observatory_lib.runtime.records import extract_record

    names = []
    if "json" in formats:  # first: a notebook without a record fails before any rendering
        twin = {
            "job_id": job_id,
            "notebook": notebook.name,
            "parameters": parameters,
            "store_version": store_version,
            "record": extract_record(nb),
        }
        text = json.dumps(twin, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        (directory / f"{job_id}.json").write_text(text, encoding="utf-8")
    if "ipynb" in formats:
        (directory / f"{job_id}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    if "html" in formats or "pdf" in formats:
        html = render.render_html(nb, _title(nb, job_id))
        if "html" in formats:
            (directory / f"{job_id}.html").write_text(html, encoding="utf-8")
        if "pdf" in formats:
            render.render_pdf(html, directory / f"{job_id}.pdf")
    for extension in FORMATS:
        if extension in formats:
            names.append(f"{job_id}.{extension}")
    return names


def _title(nb: Any, job_id: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return f"{line[2:].strip()} – {job_id}"
    return job_id


def one_line_error(error: BaseException) -> str:
    """The error as one line for the manifest: its summary, prefixed by its type if unexpected."""
    summary = getattr(error, "summary", "") or str(error) or type(error).__name__
    if not isinstance(error, ObservatoryError):
        summary = f"{type(error).__name__}: {summary}"
    return " ".join(summary.split())


_WARMED_UP: set[tuple[str, str, int]] = set()


def warm_up_worker(engine: str, kernel_name: str, formats: Sequence[str] = FORMATS) -> None:
    """Start this thread's warm kernel, import what a job needs and, when the jobs write HTML
    or PDF, pay the renderers' first-use costs; once per thread. The imports and the
    renderers' warm-up run while the kernel boots and imports its own modules.

    Never raises: a job whose kernel cannot start retries and reports the cause itself.

    Args:
        engine: ``warm`` starts the kernel; ``papermill`` only warms the renderers up.
        kernel_name: The kernelspec of the warm kernel.
        formats: What the jobs write; without ``html`` and ``pdf`` nothing is rendered.
    """
    key = (engine, kernel_name, threading.get_ident())
    if key in _WARMED_UP:
        return
    _WARMED_UP.add(key)
    from observatory_lib.runtime import kernels

    kernel = kernels.get_warm_kernel(kernel_name) if engine == "warm" else None
    launched = kernel is not None and not kernel.is_running
    try:
        if launched:
            kernel.launch()
        # while the kernel boots (~0.5 s): Papermill (~1 s)
        from observatory_lib.runtime import warm_engine  # noqa: F401

        if launched:
            kernel.connect(wait=False)
        # while the kernel imports numpy, pandas and matplotlib (~0.6 s): the renderers
        if "html" in formats or "pdf" in formats:
            from observatory_lib.runtime import render

            render.warm_up()
        if launched:
            kernel.finish_connect()
    except Exception:  # each job retries and reports the cause; a raising initializer
        LOGGER.exception("worker warm-up failed")  # would break the whole pool instead
        if kernel is not None:
            kernel.discard()


def timestamp() -> str:
    """The current UTC time in ISO format, to the second (manifest and lock entries)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

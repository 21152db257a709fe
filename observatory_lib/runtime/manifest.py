"""The batch's memory: ``manifest.json``, and which jobs must run again and why.

Each job is planned with its input hashes: the notebook, its parameters, the data store's
version and the code version of the project files the notebook runs (``fingerprint``). A job
is up to date when its previous run succeeded with the same hashes and its outputs exist in
every requested format; any other job runs. ``plan_jobs`` says why for each one, so that
``observatory scorecards --dry-run`` can list what would rerun before anything runs.

The manifest keeps, per job, its status, one-line error, duration, input hashes and outputs,
and per code version the digest of each file, so that a later plan can name the files that
changed. It is replaced atomically.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from observatory_lib.files import write_text_atomic
from observatory_lib.runtime.fingerprint import CodeVersion
from observatory_lib.runtime.job import BatchError, JobResult, timestamp

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 2
_SAVE_INTERVAL_S = 0.5
_SHOWN_FILES = 3  # changed files named in a reason; the rest are counted


class OutputDirError(BatchError):
    """The output directory cannot be created or written."""


@dataclass(frozen=True)
class PlannedJob:
    """One job as the batch will run it: its id, parameters and input hashes."""

    job_id: str
    parameters: dict[str, Any]
    input_hashes: dict[str, str]


@dataclass(frozen=True)
class JobPlan:
    """Whether a job runs (``run``) or is skipped (``skip``), and why, in a few words."""

    job_id: str
    action: str
    reason: str


class Manifest:
    """``manifest.json``: per job its status, error, duration, input hashes and outputs."""

    def __init__(self, root: Path, header: dict[str, Any], jobs: dict[str, Any]) -> None:
        self.path = root / MANIFEST_NAME
        self.header = header
        self.jobs = jobs
        self._saved_at = 0.0

    @classmethod
    def load(
        cls, root: Path, notebook: Path, store_version: str, engine: str, code: CodeVersion
    ) -> Manifest:
        """The manifest in ``root`` (empty when there is none), with this batch's header.

        Raises:
            BatchError: the file exists but cannot be read (the fix is named).
        """
        header = {
            "schema": MANIFEST_SCHEMA,
            "notebook": str(notebook),
            "store_version": store_version,
            "engine": engine,
            "code_versions": {code.digest: code.files},
        }
        path = root / MANIFEST_NAME
        if not path.exists():
            return cls(root, header, {})
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            jobs = dict(content["jobs"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise BatchError(
                f"The manifest {path} cannot be read ({error}); delete it to rerun every job."
            ) from None
        known = content.get("code_versions") if isinstance(content, dict) else None
        header["code_versions"] = {**(known or {}), code.digest: code.files}
        return cls(root, header, jobs)

    def code_files(self, digest: str) -> dict[str, str] | None:
        """The file digests of a code version seen before (None when unknown)."""
        return self.header["code_versions"].get(digest)

    def record(self, result: JobResult) -> None:
        """Store ``result`` and save, at most every half second (and always at the end)."""
        previous = self.jobs.get(result.job_id)
        if result.status == "skipped" and result.outputs and previous is not None:
            # reused outputs keep the entry of the run that made them
            self.jobs[result.job_id] = {**previous, "status": "skipped"}
        else:
            self.jobs[result.job_id] = result.manifest_entry()
        if time.monotonic() - self._saved_at >= _SAVE_INTERVAL_S:
            self.save()

    def save(self) -> None:
        """Replace ``manifest.json`` atomically.

        Only the code versions that a job still refers to are kept.

        Raises:
            OutputDirError: the disk is full or the directory no longer writable; the
                previous manifest is left whole.
        """
        used = {entry.get("input_hashes", {}).get("code_version") for entry in self.jobs.values()}
        versions = {d: f for d, f in self.header["code_versions"].items() if d in used}
        header = {**self.header, "code_versions": versions}
        content = {**header, "updated_at": timestamp(), "jobs": self.jobs}
        try:
            write_text_atomic(self.path, json.dumps(content, indent=1, ensure_ascii=False) + "\n")
        except OSError as error:
            raise OutputDirError(
                f"Cannot save the manifest {self.path} ({error.strerror or error}); the job "
                "directories written so far are complete. Free disk space or make the "
                "directory writable, then rerun: finished jobs are not redone."
            ) from None
        self._saved_at = time.monotonic()


def plan_jobs(
    jobs: list[PlannedJob],
    manifest: Manifest,
    formats: tuple[str, ...],
    *,
    force: bool = False,
    retry_failed: bool = False,
) -> list[JobPlan]:
    """For each job, whether it runs and why (in the order of ``jobs``)."""
    root = manifest.path.parent
    plans = []
    for job in jobs:
        previous = manifest.jobs.get(job.job_id)
        if retry_failed:
            failed = previous is not None and previous.get("status") == "failed"
            reason = "failed last time" if failed else "did not fail last time (--retry-failed)"
            plans.append(JobPlan(job.job_id, "run" if failed else "skip", reason))
            continue
        stale = _stale_reason(previous, job, formats, root, manifest)
        if force:
            plans.append(JobPlan(job.job_id, "run", "forced" + (f"; {stale}" if stale else "")))
        else:
            plans.append(JobPlan(job.job_id, "run" if stale else "skip", stale or "up to date"))
    return plans


def skipped_result(job: PlannedJob, previous: Mapping[str, Any] | None) -> JobResult:
    """The result of a job that is not run: its previous outputs, when they are up to date."""
    previous = previous or {}
    up_to_date = previous.get("status") in ("ok", "skipped")
    return JobResult(
        job.job_id,
        "skipped",
        duration_s=float(previous.get("duration_s", 0.0)) if up_to_date else 0.0,
        outputs=tuple(previous.get("outputs", ())) if up_to_date else (),
        input_hashes=previous.get("input_hashes", job.input_hashes) if up_to_date else {},
    )


def _stale_reason(
    previous: Mapping[str, Any] | None,
    job: PlannedJob,
    formats: tuple[str, ...],
    root: Path,
    manifest: Manifest,
) -> str:
    """Why the job's outputs are out of date ("" when they are up to date)."""
    if previous is None:
        return "no previous run"
    if previous.get("status") not in ("ok", "skipped"):
        return "failed last time"
    reasons = _changed_inputs(previous.get("input_hashes") or {}, job.input_hashes, manifest)
    outputs = previous.get("outputs") or []
    have = {Path(name).suffix.lstrip(".") for name in outputs}
    missing_formats = [f for f in formats if f not in have]
    if missing_formats:
        reasons.append(f"formats not made before: {', '.join(missing_formats)}")
    elif not all((root / name).is_file() for name in outputs):
        reasons.append("outputs missing on disk")
    return "; ".join(reasons)


def _changed_inputs(old: Mapping[str, str], new: Mapping[str, str], manifest: Manifest) -> list:
    reasons = []
    if old.get("notebook_sha256") != new.get("notebook_sha256"):
        reasons.append("notebook changed")
    if old.get("parameters_sha256") != new.get("parameters_sha256"):
        reasons.append("parameters changed")
    if old.get("store_version") != new.get("store_version"):
        reasons.append(
            f"data store changed ({old.get('store_version') or 'none'} -> "
            f"{new.get('store_version') or 'none'})"
        )
    if old.get("code_version") != new.get("code_version"):
        reasons.append(_code_reason(old.get("code_version"), new.get("code_version"), manifest))
    return reasons


def _code_reason(old: str | None, new: str | None, manifest: Manifest) -> str:
    before = manifest.code_files(old) if old else None
    after = manifest.code_files(new) if new else None
    if before is None or after is None:
        return "project code changed (the previous run recorded no code version)"
    changed = CodeVersion(new, after).changed_files(before)
    shown = ", ".join(changed[:_SHOWN_FILES])
    more = f" and {len(changed) - _SHOWN_FILES} more" if len(changed) > _SHOWN_FILES else ""
    return f"project code changed: {shown}{more}"

"""Which jobs the batch reruns, and the reason it gives (``--dry-run``), without running any."""

from __future__ import annotations

import json

import pytest

from observatory_lib.runtime.fingerprint import CodeVersion
from observatory_lib.runtime.job import JobResult
from observatory_lib.runtime.manifest import (
    MANIFEST_NAME,
    Manifest,
    PlannedJob,
    plan_jobs,
    skipped_result,
)

OLD_CODE = CodeVersion("code-old", {"pkg/a.py": "1", "pkg/b.py": "2"})
NEW_CODE = CodeVersion("code-new", {"pkg/a.py": "1", "pkg/b.py": "3"})
HASHES = {
    "notebook_sha256": "nb",
    "parameters_sha256": "p",
    "store_version": "s1",
    "code_version": "code-old",
}


def _job(**changes) -> PlannedJob:
    return PlannedJob("DE11", {"region_code": "DE11"}, {**HASHES, **changes})


def _previous_run(root, status="ok", formats=("json", "html"), hashes=None, code=OLD_CODE):
    """A manifest as a finished batch leaves it, with DE11's files on disk."""
    (root / "DE11").mkdir(parents=True, exist_ok=True)
    outputs = [f"DE11/DE11.{f}" for f in formats]
    for name in outputs:
        (root / name).write_text("x")
    result = JobResult("DE11", status, outputs=tuple(outputs), input_hashes=hashes or HASHES)
    manifest = Manifest.load(root, root / "nb.ipynb", "s1", "warm", code)
    manifest.record(result)
    manifest.save()


def _plan(root, job, formats=("json", "html"), code=OLD_CODE, **options):
    manifest = Manifest.load(root, root / "nb.ipynb", "s1", "warm", code)
    (plan,) = plan_jobs([job], manifest, formats, **options)
    return plan


def test_a_new_job_runs(tmp_path):
    plan = _plan(tmp_path, _job())
    assert (plan.action, plan.reason) == ("run", "no previous run")


def test_an_unchanged_job_is_skipped(tmp_path):
    _previous_run(tmp_path)
    plan = _plan(tmp_path, _job())
    assert (plan.action, plan.reason) == ("skip", "up to date")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"notebook_sha256": "nb2"}, "notebook changed"),
        ({"parameters_sha256": "p2"}, "parameters changed"),
        ({"store_version": "s2"}, "data store changed (s1 -> s2)"),
    ],
)
def test_a_changed_input_reruns_with_its_reason(tmp_path, change, reason):
    _previous_run(tmp_path)
    plan = _plan(tmp_path, _job(**change))
    assert (plan.action, plan.reason) == ("run", reason)


def test_changed_project_code_reruns_and_names_the_files(tmp_path):
    _previous_run(tmp_path)
    plan = _plan(tmp_path, _job(code_version="code-new"), code=NEW_CODE)
    assert (plan.action, plan.reason) == ("run", "project code changed: pkg/b.py")


def test_a_run_without_a_code_version_reruns(tmp_path):
    before = {key: value for key, value in HASHES.items() if key != "code_version"}
    _previous_run(tmp_path, hashes=before)
    plan = _plan(tmp_path, _job(code_version="code-new"), code=NEW_CODE)
    assert plan.action == "run"
    assert plan.reason.startswith("project code changed (the previous run recorded no code")


def test_missing_formats_and_files_rerun(tmp_path):
    _previous_run(tmp_path, formats=("json",))
    plan = _plan(tmp_path, _job(), formats=("json", "pdf"))
    assert (plan.action, plan.reason) == ("run", "formats not made before: pdf")
    (tmp_path / "DE11" / "DE11.json").unlink()
    plan = _plan(tmp_path, _job(), formats=("json",))
    assert (plan.action, plan.reason) == ("run", "outputs missing on disk")


def test_failed_jobs_rerun_and_retry_failed_runs_only_them(tmp_path):
    _previous_run(tmp_path, status="failed")
    assert _plan(tmp_path, _job()).reason == "failed last time"
    assert _plan(tmp_path, _job(), retry_failed=True).action == "run"
    _previous_run(tmp_path)
    plan = _plan(tmp_path, _job(), retry_failed=True)
    assert plan.action == "skip"


def test_force_reruns_and_still_says_what_changed(tmp_path):
    _previous_run(tmp_path)
    assert _plan(tmp_path, _job(), force=True).reason == "forced"
    assert _plan(tmp_path, _job(parameters_sha256="x"), force=True).reason == (
        "forced; parameters changed"
    )


def test_the_manifest_keeps_only_the_code_versions_in_use(tmp_path):
    _previous_run(tmp_path)
    manifest = Manifest.load(tmp_path, tmp_path / "nb.ipynb", "s1", "warm", NEW_CODE)
    manifest.record(
        JobResult("DE11", "ok", input_hashes=_job(code_version="code-new").input_hashes)
    )
    manifest.save()
    saved = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert set(saved["code_versions"]) == {"code-new"}
    assert saved["code_versions"]["code-new"] == NEW_CODE.files


def test_a_skipped_job_keeps_its_previous_outputs(tmp_path):
    _previous_run(tmp_path)
    manifest = Manifest.load(tmp_path, tmp_path / "nb.ipynb", "s1", "warm", OLD_CODE)
    result = skipped_result(_job(), manifest.jobs["DE11"])
    assert result.status == "skipped"
    assert result.outputs == ("DE11/DE11.json", "DE11/DE11.html")

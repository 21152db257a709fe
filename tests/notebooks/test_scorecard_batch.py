"""The real scorecard notebook through the batch: failure isolation, resume, identical outputs."""

import json
import shutil
import subprocess

import pytest

from observatory_lib import paths
from observatory_lib.products.region_scorecard import build_scorecard
from observatory_lib.runtime.batch import run_batch

pytestmark = [pytest.mark.notebook, pytest.mark.integration]

NOTEBOOK = paths.NOTEBOOK_DIR / "region_scorecard.ipynb"
# MT00 has suppressed cells (LQs not available); XX99 is not a region: its job must fail alone
JOBS = [
    ("MT00", {"region_code": "MT00"}),
    ("BAD", {"region_code": "XX99"}),
    ("DE11", {"region_code": "DE11"}),
]


@pytest.fixture(scope="module")
def warm_batch(built_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("scorecards")
    report = run_batch(
        NOTEBOOK,
        JOBS,
        root,
        formats=("json", "html", "pdf"),
        workers=1,
        progress=False,
        store_version=built_store.version,
    )
    return root, report


def test_failing_region_is_isolated_and_recorded(warm_batch):
    root, report = warm_batch
    assert report.failed == ["BAD"]
    assert sorted(report.ok) == ["DE11", "MT00"]
    manifest = json.loads((root / "manifest.json").read_text())
    entry = manifest["jobs"]["BAD"]
    assert entry["status"] == "failed"
    assert "XX99" in entry["error"] and "\n" not in entry["error"]
    assert not (root / "BAD").exists()
    assert report.exit_code == 1


def test_json_twin_equals_the_library(warm_batch, built_store):
    root, _ = warm_batch
    twin = json.loads((root / "DE11" / "DE11.json").read_text())
    expected = build_scorecard(built_store, "DE11").record()
    assert twin["record"] == json.loads(json.dumps(expected))
    assert twin["parameters"]["region_code"] == "DE11"


def test_pdf_text_contains_the_region_name(warm_batch):
    root, _ = warm_batch
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", str(root / "DE11" / "DE11.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Stuttgart" in text
    assert "EuroGeographics" in text


def test_outputs_identical_to_a_fresh_kernel_run(warm_batch, built_store, tmp_path):
    root, _ = warm_batch
    fresh = run_batch(
        NOTEBOOK,
        [("DE11", {"region_code": "DE11"})],
        tmp_path,
        formats=("json", "html"),
        workers=0,
        engine="papermill",
        progress=False,
        store_version=built_store.version,
    )
    assert fresh.ok == ["DE11"]
    for suffix in ("json", "html"):
        warm_text = (root / "DE11" / f"DE11.{suffix}").read_text()
        fresh_text = (tmp_path / "DE11" / f"DE11.{suffix}").read_text()
        assert warm_text == fresh_text, f"{suffix} differs between warm and fresh kernels"


def test_resume_skips_unchanged_regions(warm_batch, built_store):
    root, _ = warm_batch
    again = run_batch(
        NOTEBOOK,
        [job for job in JOBS if job[0] != "BAD"],
        root,
        formats=("json", "html", "pdf"),
        workers=0,
        progress=False,
        store_version=built_store.version,
    )
    assert sorted(again.skipped) == ["DE11", "MT00"]

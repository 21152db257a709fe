"""The smart specialisation report through Papermill, and a region group's scorecard through
the batch, on the real store."""

from __future__ import annotations

import json

import papermill as pm
import pytest

from observatory_lib import paths
from observatory_lib.indicators import recipes
from observatory_lib.products import region_scorecard
from observatory_lib.products import smart_specialisation as ss
from observatory_lib.products.kit.downloads import read_csv_table
from observatory_lib.runtime.batch import run_batch
from observatory_lib.runtime.records import extract_record

pytestmark = [pytest.mark.notebook, pytest.mark.integration, pytest.mark.slow]

S3_FILE = (
    "region_code,priority_id,priority_name,nace_divisions,category_codes,source\n"
    "DE11,EX-1,Example priority,29;30,mobility-technologies,a test of the input format\n"
)


@pytest.fixture
def outputs(tmp_path, monkeypatch, built_store):
    """Outputs in a temporary folder; the kernel inherits the variable (and the store's)."""
    target = tmp_path / "outputs"
    monkeypatch.setenv("OBSERVATORY_OUTPUTS", str(target))
    return target


def _html(nb) -> str:
    return "\n".join(
        output["data"]["text/html"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    )


def test_the_report_runs_through_papermill_with_a_user_s3_file(built_store, outputs, tmp_path):
    priorities = tmp_path / "my_priorities.csv"
    priorities.write_text(S3_FILE, encoding="utf-8")
    nb = pm.execute_notebook(
        str(paths.NOTEBOOK_DIR / "smart_specialisation.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"n_pairs": 5, "s3_sources": ["czechia", str(priorities)]},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
        execution_timeout=900,
        shutdown_kernel="immediate",
    )
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output.get("evalue")
    recipes.clear_cache()
    expected = ss.smart_specialisation_context(
        built_store, 2015, n_pairs=5, s3_sources=["czechia", str(priorities)]
    ).record()
    assert extract_record(nb) == json.loads(json.dumps(expected))
    published = _html(nb)  # the report is one presenting cell of HTML in the house style
    assert "Czechia: regional RIS3 domains" in published and "S3 priorities:" in published
    assert "Jihomoravský kraj (CZ064)" in published and "Example priority" in published
    assert "Source: MPO, Národní RIS3 strategie" in published
    assert "Source: Eurostat" in published and "NUTS 2016" in published
    assert "a test of the input format" in published  # the user file's own source line
    assert "<th>0</th>" not in published  # no DataFrame index in the published tables
    assert published.count('<img src="data:image/png;base64,') == 3  # two spaces, the map
    folder = outputs / "smart_specialisation"
    proximity, _ = read_csv_table(folder / "relatedness_proximity_nuts2_2015.csv")
    assert list(proximity.columns) == ["category_code", "related_category_code", "proximity"]
    assert (
        (folder / "relatedness_proximity_nuts2_2015.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    )
    assert (folder / "s3_alignment_czechia_2015.csv").is_file()
    assert (folder / "s3_alignment_my_priorities_2015.csv").is_file()


def test_a_bad_s3_file_fails_with_its_line_and_the_fix(built_store, outputs, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(S3_FILE.replace("DE11,EX-1", "DE1X,EX-1"), encoding="utf-8")
    with pytest.raises(pm.PapermillExecutionError) as caught:
        pm.execute_notebook(
            str(paths.NOTEBOOK_DIR / "smart_specialisation.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"s3_sources": [str(bad)]},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(tmp_path),
            execution_timeout=900,
            shutdown_kernel="immediate",
        )
    assert "line 2" in str(caught.value) and "DE11" in str(caught.value)


def test_a_region_groups_scorecard_runs_through_the_batch(built_store, tmp_path):
    root = tmp_path / "group_scorecards"
    report = run_batch(
        paths.NOTEBOOK_DIR / "region_scorecard.ipynb",
        [("greater-region", {"group_code": "greater-region", "region_code": ""})],
        root,
        formats=("json", "html", "pdf"),
        workers=0,
        progress=False,
        store_version=built_store.version,
    )
    assert report.ok == ["greater-region"], report.summary()
    twin = json.loads((root / "greater-region" / "greater-region.json").read_text())
    recipes.clear_cache()
    expected = region_scorecard.build(built_store, group_code="greater-region").record()
    assert twin["record"] == json.loads(json.dumps(expected))
    assert twin["record"]["group"]["members"] == ["LU", "DEB", "DEC", "FRF3", "BE3"]
    html = (root / "greater-region" / "greater-region.html").read_text()
    assert "Greater Region" in html and "granderegion.net" in html
    assert (root / "greater-region" / "greater-region.pdf").stat().st_size > 10_000

"""The region scorecard notebook through Papermill: parameters, published record, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from observatory_lib import paths
from observatory_lib.products.region_scorecard import build_scorecard
from observatory_lib.runtime.records import RECORD_MIME, extract_record

NOTEBOOK = paths.NOTEBOOK_DIR / "region_scorecard.ipynb"
PARAMETERS = ("region_code", "year", "star_preset", "peers", "framework_variant", "n_draws")
PARAMETERS += ("output_dir",)


def _execute(output: Path, parameters: dict):
    import papermill

    return papermill.execute_notebook(
        str(NOTEBOOK),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        cwd=str(output.parent),
    )


def _outputs(nb, kind: str) -> list:
    return [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if kind in output.get("data", {})
    ]


def _text(nb) -> str:
    parts = []
    for output in _outputs(nb, "text/markdown") + _outputs(nb, "text/html"):
        data = output["data"]
        parts.append(data.get("text/markdown") or data.get("text/html"))
    return "\n".join("".join(part) if isinstance(part, list) else part for part in parts)


def test_committed_notebook_has_the_skeleton_and_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in PARAMETERS:
        assert f"{name}: " in tagged[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert headings[0].startswith("# ")
    order = [headings.index(h) for h in ("## Load", "## Compute", "## Present")]
    assert order == sorted(order)
    # the analysts' notes are left out of the published page
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    assert all("hide-in-report" in c.metadata.get("tags", []) for c in markdown)
    assert code[-1].source == "publish_record(card.record())"
    assert "hide-in-report" in code[-1].metadata.get("tags", [])


@pytest.mark.notebook
def test_help_notebook_lists_the_parameters():
    result = subprocess.run(
        [sys.executable, "-m", "papermill", "--help-notebook", str(NOTEBOOK)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    for name in PARAMETERS:
        assert f"  {name}: " in result.stdout, result.stdout
    assert "empty for the default peers" in result.stdout


@pytest.mark.notebook
@pytest.mark.integration
@pytest.mark.parametrize(
    ("region_code", "peers"),
    [("DE11", "DE12,DE13,DE21"), ("MT00", "ITG1,CY00")],  # Malta: every LQ is missing
)
def test_notebook_publishes_the_library_record(built_store, tmp_path, region_code, peers):
    files = tmp_path / "files"
    nb = _execute(
        tmp_path / f"{region_code}.ipynb",
        {"region_code": region_code, "peers": peers, "output_dir": str(files)},
    )
    record = extract_record(nb)
    expected = build_scorecard(built_store, region_code, peers=peers).record()
    assert record == expected
    assert record["peers"] == peers.split(",")
    assert len(_outputs(nb, RECORD_MIME)) == 1
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    text = _text(nb)
    # the publication's figures: locator, category map, dimension chart, and the change chart
    # where a change is computed for a leading cluster
    has_chart = any(row["status"] == "available" for row in expected["change"]["categories"])
    assert text.count('<img src="data:image/png;base64,') == 3 + int(has_chart)
    assert f"({region_code})</h1>" in text
    assert "© EuroGeographics for the administrative boundaries" in text
    assert "Source: Eurostat" in text
    assert "Methods" in text
    if region_code == "MT00":
        assert "not available" in text
    chart = [f"{region_code}_change_chart.png"] if has_chart else []
    assert sorted(path.name for path in files.iterdir()) == [
        f"{region_code}_category_map.png",
        *chart,
        f"{region_code}_clusters.csv",
        f"{region_code}_clusters_panel.csv",
        f"{region_code}_dimension_chart.png",
        f"{region_code}_locator.png",
    ]


@pytest.mark.notebook
@pytest.mark.integration
def test_bad_region_code_fails_with_the_clear_message(built_store, tmp_path):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as caught:
        _execute(tmp_path / "bad.ipynb", {"region_code": "DE1X"})
    assert caught.value.ename == "UnknownCodeError"
    assert "Unknown NUTS region 'DE1X'" in caught.value.evalue
    assert "nearest valid NUTS region codes" in caught.value.evalue

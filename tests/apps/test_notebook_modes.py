"""The apps' notebooks under Papermill: the same parameters cell as the Voila query string."""

from __future__ import annotations

import html

import pytest

from observatory_lib import paths

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def run(name: str, tmp_path, **parameters):
    import nbformat
    import papermill

    output = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        str(paths.APP_DIR / f"{name}.ipynb"),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        shutdown_kernel="immediate",
    )
    return nbformat.read(output, as_version=4)


def html_values(notebook) -> list[str]:
    """The values of the HTML widgets in the saved widget state."""
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return [
        str(model["state"].get("value", ""))
        for model in state.values()
        if model["model_name"] == "HTMLModel"
    ]


def errors(notebook) -> list:
    return [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def test_mapping_tool_takes_papermill_parameters(built_store, tmp_path):
    notebook = run(
        "mapping_tool", tmp_path, region_code="DE21", topic="context", indicator="gdp_pps_per_hab"
    )
    assert errors(notebook) == []
    values = html_values(notebook)
    assert any('data-region-code="DE21"' in value for value in values)
    assert any("GDP per inhabitant (PPS)" in value and "NUTS 2" in value for value in values)


def test_region_explorer_takes_papermill_parameters(built_store, tmp_path):
    notebook = run("region_explorer", tmp_path, region_code="FR10", peers="DE21,ITC4")
    assert errors(notebook) == []
    panel = next(v for v in html_values(notebook) if "observatory-explorer" in v)
    assert 'data-region-code="FR10"' in panel
    assert "Oberbayern (DE21)" in panel


def test_bad_parameter_gives_one_message_not_an_error(built_store, tmp_path):
    notebook = run("mapping_tool", tmp_path, topic="weather")
    assert errors(notebook) == []
    messages = [v for v in html_values(notebook) if "observatory-message" in v]
    assert len(messages) == 1
    assert "Unknown topic 'weather'" in html.unescape(messages[0])


def test_sector_explorer_takes_papermill_parameters(built_store, tmp_path):
    notebook = run("sector_explorer", tmp_path, category_code="blue-growth", level=1)
    assert errors(notebook) == []
    summary = next(v for v in html_values(notebook) if "observatory-sector" in v)
    assert 'data-category-code="blue-growth"' in summary
    assert "NUTS 1" in summary


def test_compare_regions_takes_papermill_parameters(built_store, tmp_path):
    notebook = run("compare_regions", tmp_path, regions="DE21,FR10,XX99")
    assert errors(notebook) == []
    box = next(v for v in html_values(notebook) if "observatory-compare" in v)
    assert 'data-regions="DE21,FR10"' in box
    assert "Unknown NUTS region" in html.unescape(box)

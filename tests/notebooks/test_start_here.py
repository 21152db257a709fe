"""notebooks/start_here.ipynb, the page ``make lab`` opens, runs on the real store."""

from __future__ import annotations

import papermill as pm
import pytest

from observatory_lib import paths

pytestmark = [pytest.mark.notebook, pytest.mark.integration]

NOTEBOOK = paths.NOTEBOOK_DIR / "start_here.ipynb"


def _run(tmp_path, **parameters):
    return pm.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "start_here.out.ipynb"),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
        shutdown_kernel="immediate",
    )


def _markdown(nb) -> str:
    return "\n".join(
        output["data"]["text/markdown"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "text/markdown" in output.get("data", {})
    )


def test_the_start_page_shows_the_data_the_choices_and_the_commands(built_store, tmp_path):
    text = _markdown(_run(tmp_path, region_code="fr10"))
    assert f"`{built_store.version}`" in text
    assert "the pinned vintages of data/catalog.yaml" in text
    assert "sbs_r_nuts06_r2" in text  # a vintage line per Eurostat dataset
    assert "`eco2008`" in text and "`innovation_focus`" in text
    assert "observatory scorecards --regions FR10" in text


def test_an_unknown_region_fails_with_the_nearest_codes(built_store, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as caught:
        _run(tmp_path, region_code="FR1X")
    assert "FR1X" in caught.value.evalue and "nearest" in caught.value.evalue

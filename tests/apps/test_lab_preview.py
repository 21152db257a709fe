"""The Voila preview inside JupyterLab (``make lab``) renders the apps, in a real browser.

An analyst opens an app notebook in JupyterLab and presses *Render with Voilà* in the
notebook toolbar: the preview extension asks to trust the notebook (upstream's guard against
third-party notebooks), then renders it in a side panel through the Voila server extension,
on the session's store. The same server renders an app at its own URL with link parameters.
"""

from __future__ import annotations

import pytest
from lab_server import TOKEN, make_lab
from project_copy import Workbench, copy_project

pytestmark = [pytest.mark.app, pytest.mark.slow]

APP_NOTEBOOK = "notebooks/apps/region_explorer.ipynb"
EXPLORER = ".observatory-explorer[data-region-code='{}']"
PREVIEW_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def lab(built_store, tmp_path_factory):
    """``make lab`` on a copy of the project, reading the session's store."""
    scratch = tmp_path_factory.mktemp("lab")
    workbench = Workbench(copy_project(scratch / "project"))
    with make_lab(workbench.root, scratch / "jupyter", workbench.environment()) as server:
        server.wait_ready()
        yield server


def test_the_voila_preview_renders_an_app_from_the_notebook_toolbar(app_page, lab):
    app_page.goto(f"{lab.url}/lab/tree/{APP_NOTEBOOK}?token={TOKEN}")
    button = app_page.locator(".jp-NotebookPanel-toolbar [title='Render with Voilà']").first
    button.click()
    app_page.get_by_role("button", name="Render anyway").click()  # trust the project's notebook
    frame = app_page.locator("iframe[src*='/voila/render/']")
    frame.wait_for(timeout=PREVIEW_TIMEOUT_MS)
    assert frame.get_attribute("src").endswith(f"/voila/render/{APP_NOTEBOOK}")
    preview = app_page.frame_locator("iframe[src*='/voila/render/']")
    panel = preview.locator(EXPLORER.format("DE21"))  # the notebook's default region
    panel.wait_for(timeout=PREVIEW_TIMEOUT_MS)
    text = panel.inner_text()
    assert "Oberbayern (DE21)" in text and "Cluster portfolio" in text
    assert not app_page.log.page_errors, app_page.log.page_errors


def test_the_lab_server_renders_an_app_with_link_parameters(app_page, lab):
    app_page.goto(f"{lab.url}/voila/render/{APP_NOTEBOOK}?region_code=FR10&token={TOKEN}")
    panel = app_page.locator(EXPLORER.format("FR10"))
    panel.wait_for(timeout=PREVIEW_TIMEOUT_MS)
    assert "(FR10)" in panel.inner_text()
    assert not app_page.log.page_errors, app_page.log.page_errors

"""docs/HOWTO.md performed: each everyday task, done on a copy of the project with the real
commands, the real store and real kernels, and its published result checked.

The YAML and Python a task tells the analyst to write are taken from HOWTO.md itself, so the
guide and the test cannot drift apart.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from project_copy import PROJECT_ROOT, Workbench, copy_project, page_text

pytestmark = [pytest.mark.integration, pytest.mark.notebook, pytest.mark.slow]

HOWTO = PROJECT_ROOT / "docs" / "HOWTO.md"
FAST = ("--formats", "json,html", "--no-progress")


def howto_blocks(section: str, language: str) -> list[str]:
    """The fenced ``language`` blocks of the HOWTO section titled ``section``, without the
    indentation of their fence (a block inside a list item keeps its own indentation)."""
    text = HOWTO.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"HOWTO.md has no section {section!r}"
    fence = re.compile(rf"^( *)```{language}\n(.*?)^\1```", flags=re.M | re.S)
    return [
        "".join(
            line[len(m[1]) :] if line.startswith(m[1]) else line.lstrip(" ")
            for line in m[2].splitlines(keepends=True)
        )
        for m in fence.finditer(match[1])
    ]


def record(workbench: Workbench, folder: str, job: str) -> dict:
    """The record a published job's JSON twin holds."""
    path = workbench.outputs / folder / job / f"{job}.json"
    return json.loads(path.read_text(encoding="utf-8"))["record"]


def html_of(workbench: Workbench, folder: str, job: str) -> str:
    """The visible text of a published job's HTML page."""
    return page_text(workbench.outputs / folder / job / f"{job}.html")


@pytest.fixture
def workbench(built_store, tmp_path) -> Workbench:
    """A fresh copy of the project on the session's store (``built_store`` sets the store)."""
    return Workbench(copy_project(tmp_path / "project"))


def test_1_another_year_or_level(workbench):
    years = workbench.observatory("values", "years")
    assert "cluster data" in years and "context indicators" in years

    workbench.observatory(
        "reports", "--only", "scoreboard", "--year", "2012", "--level", "1", *FAST
    )
    board = record(workbench, "reports/scoreboard", "ecosystem_scoreboard")
    assert (board["year"], board["nuts_level"]) == (2012, 1)
    assert board["n_regions_scored"] > 50  # NUTS-1 regions, not 300 NUTS-2 ones

    workbench.observatory("scorecards", "--level", "1", "--regions", "DE2,FR1", *FAST)
    for code in ("DE2", "FR1"):
        card = record(workbench, "scorecards", code)
        assert (card["region_code"], card["nuts_level"]) == (code, 1)
        assert card["region_name"] in html_of(workbench, "scorecards", code)
    workbench.observatory("portal")
    index = (workbench.outputs / "index.html").read_text(encoding="utf-8")
    assert 'href="scorecards/DE2/DE2.html"' in index and 'href="scorecards/FR1/FR1.html"' in index

    refused = workbench.run("scorecards", "--regions", "DE2", "--year", "1990", *FAST)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "--year" in refused.stderr


def test_2_a_new_scoreboard_indicator(workbench):
    snippet, policy_area = howto_blocks("2. A new scoreboard indicator", "yaml")
    label = "Households with broadband access"
    workbench.observatory("scorecards", "--regions", "NL33", *FAST)
    before = record(workbench, "scorecards", "NL33")["scoreboard"]
    assert label not in html_of(workbench, "scorecards", "NL33")

    anchor = "      - id: household_demand\n"
    workbench.edit("data/scoreboard_framework.yaml", anchor, snippet + anchor)
    workbench.edit("data/policy_areas.yaml", "\nindicators:\n", "\nindicators:\n" + policy_area)
    planned = workbench.observatory("scorecards", "--regions", "NL33", "--dry-run", *FAST)
    assert "1 of 1 jobs would run" in planned
    changed = next(line for line in planned.splitlines() if "project code changed" in line)
    assert "data/scoreboard_framework.yaml" in changed

    done = workbench.observatory("scorecards", "--regions", "NL33", *FAST)
    assert "1 ok" in done
    after = record(workbench, "scorecards", "NL33")["scoreboard"]
    assert after["n_indicators"] == before["n_indicators"] + 1
    card = record(workbench, "scorecards", "NL33")
    assert label in [row["label"] for row in card["strengths"] + card["weaknesses"]]
    assert label in html_of(workbench, "scorecards", "NL33")

    # a typo is refused before any job: the file, the line and the nearest valid codes
    workbench.edit(
        "data/scoreboard_framework.yaml", "id: broadband_access_pct", "id: broadband_acess_pct"
    )
    refused = workbench.run("scorecards", "--regions", "NL33", *FAST)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "scoreboard_framework.yaml, line" in refused.stderr
    assert "broadband_access_pct" in refused.stderr


def test_3_a_new_star_rule_set(workbench):
    (rule_set,) = howto_blocks("3. A new star rule set", "yaml")
    workbench.append("observatory_lib/indicators/star_presets.yaml", "\n" + rule_set)
    assert "strict" in workbench.observatory("values", "star-presets").split()
    assert "strict" in workbench.observatory("scorecards", "--help")

    workbench.observatory("scorecards", "--regions", "DE11", "--star-preset", "strict", *FAST)
    strict = record(workbench, "scorecards", "DE11")["cluster_summary"]
    assert strict["star_preset"] == "strict"
    assert "Strict (top 5 %, LQ of 3 or more)" in html_of(workbench, "scorecards", "DE11")
    workbench.observatory("scorecards", "--regions", "DE11", *FAST)
    classic = record(workbench, "scorecards", "DE11")["cluster_summary"]
    assert classic["star_preset"] == "eco2008"
    assert strict["n_starred_clusters"] < classic["n_starred_clusters"]

    workbench.observatory("reports", "--only", "panorama", "--star-preset", "strict", *FAST)
    panorama = record(workbench, "reports/panorama", "cluster_panorama")
    assert panorama["star_preset"] == "strict"


TOP_CLUSTERS_INTRO = """# Top-rated regional clusters

*For analysts; readers never see this cell.* The regional clusters that meet every criterion of
a star rule set, largest first: where Europe's strongest clusters are, under the rules chosen in
the parameters."""
HIDDEN = {"tags": ["hide-in-report"]}


def _top_clusters_notebook(parameters: str) -> nbformat.NotebookNode:
    """The HOWTO's report notebook, cell by cell as section 4 describes it."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = [
        new_markdown_cell(TOP_CLUSTERS_INTRO, metadata=HIDDEN),
        new_code_cell(
            "from IPython.display import display\n\n"
            "from observatory_lib.indicators import recipes\n"
            "from observatory_lib.products import top_clusters\n"
            "from observatory_lib.runtime.records import publish_record"
        ),
        new_code_cell(parameters.strip(), metadata={"tags": ["parameters"]}),
        new_markdown_cell("## Load", metadata=HIDDEN),
        new_code_cell("store = recipes.current_store()"),
        new_markdown_cell("## Compute", metadata=HIDDEN),
        new_code_cell(
            "report = top_clusters.top_clusters_context(store, year, star_preset, level)\n"
            "downloads = top_clusters.write_downloads(report, store, output_subdir)"
        ),
        new_markdown_cell("## Present", metadata=HIDDEN),
        new_code_cell("display(*top_clusters.publication(report, store, downloads))"),
        new_code_cell("publish_record(report.record())", metadata=HIDDEN),
    ]
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"
    metadata = json.loads((PROJECT_ROOT / "notebooks/cluster_panorama.ipynb").read_text())
    return new_notebook(cells=cells, metadata=metadata["metadata"])


def _register_top_clusters(workbench: Workbench, options_block: str, portal_block: str) -> None:
    """Section 4, steps 3 and 4: the line in cli/options.py, the entry in the portal."""
    registry_line = next(line for line in options_block.splitlines() if "top_clusters" in line)
    workbench.edit(
        "observatory_lib/cli/options.py",
        '    "sector_reports": "sector_report.ipynb",\n',
        f'    "sector_reports": "sector_report.ipynb",\n{registry_line}\n',
    )
    opening, *entry, closing = portal_block.strip().splitlines()
    assert opening.endswith("{") and closing == "}", portal_block
    workbench.edit(
        "observatory_lib/products/portal/catalogue.py",
        "MORE_REPORTS: dict[str, tuple[str, str]] = {}\n",
        "\n".join([opening, *entry, closing]) + "\n",
    )


def _checks_pass_on_the_copy(workbench: Workbench) -> None:
    """The new notebook keeps the skeleton and the new module the layers: the hygiene and
    layer tests pass on the copy, and Ruff on the new and edited files."""
    checks = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/unit/test_notebook_hygiene.py", "tests/unit/test_layers.py"],
        cwd=workbench.root, env=workbench.environment(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert checks.returncode == 0, checks.stdout[-3000:]
    ruff = Path(sys.executable).with_name("ruff")
    touched = [
        "observatory_lib/products/top_clusters.py",
        "notebooks/top_clusters.ipynb",
        "observatory_lib/cli/options.py",
        "observatory_lib/products/portal/catalogue.py",
    ]
    for command in (["check"], ["format", "--check"]):
        linted = subprocess.run(
            [str(ruff), *command, *touched], cwd=workbench.root, capture_output=True, text=True
        )
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_4_a_new_report(workbench):
    module, parameters, options_block, portal_block = howto_blocks("4. A new report", "python")
    (workbench.root / "observatory_lib/products/top_clusters.py").write_text(module)
    nbformat.write(
        _top_clusters_notebook(parameters), workbench.root / "notebooks/top_clusters.ipynb"
    )
    _register_top_clusters(workbench, options_block, portal_block)
    _checks_pass_on_the_copy(workbench)
    assert "top_clusters" in workbench.observatory("reports", "--help")

    workbench.observatory("reports", "--only", "top_clusters", "--formats", "json,html,pdf")
    workbench.observatory("portal")
    report = record(workbench, "reports/top_clusters", "top_clusters")
    assert report["product"] == "top_clusters" and report["star_preset"] == "eco2008"
    assert report["n_clusters"] > 0 and len(report["top"]) == min(10, report["n_clusters"])
    page = html_of(workbench, "reports/top_clusters", "top_clusters")
    # the house style: title, key findings from the numbers, numbered table with labelled
    # headers, the rows cut with a pointer to the download, methods, sources, attribution
    assert "Top-rated regional clusters" in page and "Key findings" in page
    assert f"{report['n_clusters']} regional clusters (NUTS 2 regions, 2015)" in page
    assert "Table 1. Regional clusters meeting every star criterion" in page
    assert "Location quotient" in page and "Cluster category" in page
    assert "Source: Eurostat (online data code: sbs_r_nuts06_r2)" in page
    assert "Methods and sources" in page and "EuroGeographics" in page
    cut = f"The table shows the first 25 of {report['n_clusters']} rows; every row is in the"
    assert cut in page or report["n_clusters"] <= 25
    assert "import" not in page and "recipes." not in page and "category_name" not in page
    pdf = workbench.outputs / "reports/top_clusters/top_clusters/top_clusters.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert list((workbench.outputs / "top_clusters").glob("top_clusters_eco2008_nuts2_2015.*"))
    index = (workbench.outputs / "index.html").read_text(encoding="utf-8")
    link = 'href="reports/top_clusters/top_clusters/top_clusters.html"'
    assert link in index and '<h2 id="more-reports">More reports</h2>' in index
    assert link in (workbench.outputs / "downloads.html").read_text(encoding="utf-8")


def test_the_howto_names_a_test_for_every_task():
    tasks = re.findall(r"^## (\d\. .+)$", HOWTO.read_text(encoding="utf-8"), flags=re.M)
    names = {f"test_{title.split('.')[0]}_" for title in tasks}  # e.g. test_2_a_new_...
    tests = [name for name in globals() if name.startswith("test_")]
    assert len(tasks) == 4
    for prefix in names:
        assert any(test.startswith(prefix) for test in tests), prefix

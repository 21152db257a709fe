"""The apps' prepared data and the slim kernel: what is prepared once, and what a kernel imports.

On the toy store (``toy_bundle`` in tests/unit/conftest.py): the Arrow tables read by numpy
equal pyarrow's; a visitor's kernel imports no pandas, pyarrow, geopandas or matplotlib; the
sector ranking, the peer comparison and the concentration are the recipe layer's numbers;
bad region codes get one line with the nearest codes; the overflow pages hold the default
views; the kernel pool admits, refills and overflows as documented.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from observatory_lib.constants import DEFAULT_STAR_PRESET
from observatory_lib.indicators import peers, recipes
from observatory_lib.products.apps import (
    columns,
    compare_regions,
    prepare,
    region_explorer,
    sector_explorer,
)
from observatory_lib.products.kit.labels import COLUMN_LABELS, label_for
from observatory_lib.runtime import kernel_pool, serve

FORBIDDEN = ("pandas", "pyarrow", "geopandas", "shapely", "matplotlib", "voila", "jupyter_server")


def test_numpy_reads_the_arrow_columns_pyarrow_wrote(tmp_path):
    table = pa.table(
        {
            "number": pa.array(np.array([1.5, np.nan, 3.0])),
            "small": pa.array(np.array([1, -2, 3], dtype="int8")),
            "code": pa.array(["x", "y", "x"]).dictionary_encode(),
            "text": pa.array(["Zürich", "", "a\nb"]),
        }
    )
    path = tmp_path / "t.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    layout = columns.column_layout(path)
    columns.verify_layout(path, layout)
    mapped = columns.MappedTable(path, layout)
    assert np.array_equal(mapped.array("number"), [1.5, np.nan, 3.0], equal_nan=True)
    assert mapped.array("small").tolist() == [1, -2, 3]
    assert [mapped.dictionary("code")[i] for i in mapped.array("code")] == ["x", "y", "x"]
    assert [mapped.text("text", row) for row in range(3)] == ["Zürich", "", "a\nb"]


def test_a_column_with_nulls_is_refused(tmp_path):
    table = pa.table({"value": pa.array([1.0, None])})
    path = tmp_path / "t.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    with pytest.raises(ValueError, match="without nulls"):
        columns.column_layout(path)


def test_the_long_table_reads_as_a_tidy_table_for_analysts(toy_bundle):
    import pandas as pd

    table = pd.read_feather(toy_bundle.directory / "values.arrow")
    keys = ["theme", "indicator_code", "category_code", "nuts_level", "year", "region_code"]
    assert set(keys) <= set(table.columns)
    assert not table.duplicated(keys).any()
    assert {"clusters", "emerging", "scoreboard", "context"} <= set(table["theme"])


SLIM_KERNEL = """
import json, sys
from observatory_lib.products import apps
from observatory_lib.products.apps import bundle
data = bundle.AppBundle(sys.argv[1])
tool = apps.prepare_mapping_tool(data)
tool.controls["level"].value = 0
defaults = dict(apps.mapping_tool.MAPPING_DEFAULTS)
apps.show_mapping_tool(data, apps.resolve_parameters(defaults), tool)
sector = {"category_code": "blue-growth", "level": 2, "year": 0, "indicator": "lq"}
apps.show_sector_explorer(data, sector)
apps.show_region_explorer(data, {"region_code": "AT11", "peers": "DE11,BE21"})
apps.show_comparison(data, {"regions": "AT11,DE11,XX99"})
print(json.dumps(sorted(sys.modules)))
"""


def test_a_visitors_kernel_imports_no_heavy_library(toy_bundle):
    """Everything a visitor does runs on numpy, ipywidgets and ipyleaflet alone."""
    done = subprocess.run(
        [sys.executable, "-c", SLIM_KERNEL, str(toy_bundle.directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    assert {"ipyleaflet", "ipywidgets", "numpy"} <= modules
    heavy = sorted(m for m in modules if m.split(".")[0] in FORBIDDEN)
    assert heavy == [], heavy


def test_the_sector_ranking_is_ordered_by_stars_lq_and_employment(toy_bundle):
    selection = sector_explorer.SectorSelection("automotive", 2, 2015, "lq")
    rows = sector_explorer.ranking_rows(toy_bundle, selection)
    # the recipe layer's own order of the same category (panorama.category_view's)
    assert [row["rank_in_category"] for row in rows] == list(range(1, len(rows) + 1))
    stars = [row["stars"] for row in rows if row["stars"] is not None]
    assert stars == sorted(stars, reverse=True)


def test_sector_ranking_equals_the_panorama_leaders(toy_store, tmp_path):
    from observatory_lib.products.apps import bundle, prepare

    prepare.write_bundle(toy_store, DEFAULT_STAR_PRESET, tmp_path, "toy")
    data = bundle.AppBundle(tmp_path)
    summary = recipes.panorama_summary(toy_store, 2, DEFAULT_STAR_PRESET, year=2015)
    for category in ("automotive", "biopharmaceuticals", "blue-growth"):
        theme = sector_explorer.category_theme(data, category)
        assert theme == ("emerging" if category == "blue-growth" else "clusters")
        rows = sector_explorer.ranking_rows(
            data, sector_explorer.SectorSelection(category, 2, 2015)
        )
        starred = [row for row in rows if (row["stars"] or 0) >= 1]
        leaders = summary.leaders[summary.leaders["category_code"] == category]
        assert [r["region_code"] for r in starred[: len(leaders)]] == leaders[
            "region_code"
        ].tolist()
        for row, leader in zip(starred, leaders.itertuples(), strict=False):
            assert row["stars"] == leader.stars
            assert math.isclose(row["lq"], leader.lq)
            assert math.isclose(row["employment_persons"], leader.employment_persons)


def test_wages_and_growth_join_the_ranking_once_the_data_have_them(toy_bundle):
    selection = sector_explorer.SectorSelection("automotive", 2, 2015, "lq")
    present = sector_explorer.available_measures(toy_bundle, selection)
    html = sector_explorer.ranking_html(
        sector_explorer.ranking_rows(toy_bundle, selection), present
    )
    # headed as the publications are: every header is a COLUMN_LABELS header, units included;
    # the toy store holds five years with wages, so both measures have their column
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    assert set(headers) <= {label.header for label in COLUMN_LABELS.values()}
    assert label_for("lq").header in headers
    assert label_for("wage_per_employee_eur").header in headers
    assert label_for("employment_growth_pct").header in headers
    assert "not available" not in re.sub(r"<td[^>]*>[^<]*</td>", "", html)
    assert {"stars", "lq", "employment_persons", "size_share"} <= present
    assert {"wage_per_employee_eur", "employment_growth_pct"} <= present


def test_concentration_is_the_recipe_layers(toy_store, tmp_path):
    from observatory_lib.products.apps import bundle, prepare

    prepare.write_bundle(toy_store, DEFAULT_STAR_PRESET, tmp_path, "toy")
    facts = bundle.AppBundle(tmp_path).sector_facts["concentration"]["automotive|2|2015"]
    expected = recipes.category_concentration(toy_store, 2, "automotive", year=2015)
    assert math.isclose(facts["gini"], expected.gini, rel_tol=1e-6)
    assert math.isclose(facts["top_n_share"], expected.top_n_share, rel_tol=1e-6)


def test_peer_comparison_equals_the_indicator_layers(toy_store, tmp_path):
    from observatory_lib.products.apps import bundle, prepare

    assert region_explorer.STRENGTH_THRESHOLD == peers.DEFAULT_STRENGTH_THRESHOLD
    prepare.write_bundle(toy_store, DEFAULT_STAR_PRESET, tmp_path, "toy")
    data = bundle.AppBundle(tmp_path)
    result = recipes.scoreboard(toy_store, 2)
    for region, chosen in (("AT11", ["DE11", "BE21"]), ("DE12", ["AT12", "BE10", "DE11"])):
        mine = region_explorer.peer_comparison(data, region, chosen)
        theirs = peers.compare_with_peers(result, region, chosen)
        theirs = theirs[theirs["node_type"].isin(["index", "dimension"])]
        by_node = {row["node_code"]: row for row in mine}
        for row in theirs.itertuples():
            own = by_node[row.node_code]
            assert same(own["region_score"], row.region_score), (region, row.node_code)
            assert same(own["peer_average_score"], row.peer_average_score)
            assert own["n_peers_with_data"] == row.n_peers_with_data
            assert own["assessment"] == (row.assessment if isinstance(row.assessment, str) else "")


def same(mine, theirs) -> bool:
    """Equal numbers, or both missing (None in the app, NaN in pandas)."""
    if mine is None or theirs is None or math.isnan(theirs):
        return mine is None and (theirs is None or math.isnan(theirs))
    return math.isclose(mine, theirs, rel_tol=1e-6)


def test_a_bad_region_code_gets_one_line_with_the_nearest_codes(toy_bundle):
    codes, problems = compare_regions.check_regions(toy_bundle, "AT11, de11 ,DE1X,AT11")
    assert codes == ["AT11", "DE11"]
    assert len(problems) == 1
    assert problems[0].startswith("Unknown NUTS region 'DE1X'; nearest valid NUTS region codes: ")
    assert "DE11" in problems[0] and "DE12" in problems[0]
    assert "\n" not in problems[0]


def test_at_most_ten_regions(toy_bundle):
    many = ",".join(toy_bundle.regions_at(2) + toy_bundle.regions_at(1) + toy_bundle.regions_at(0))
    codes, problems = compare_regions.check_regions(toy_bundle, many)
    assert len(codes) == compare_regions.MAX_REGIONS
    assert "At most 10 regions" in problems[-1]


def test_the_comparison_keeps_its_region_set_in_the_link(toy_bundle):
    html = compare_regions.comparison_html(toy_bundle, ["AT11", "DE11"], [])
    assert 'data-observatory-query="regions=AT11,DE11"' in html
    assert 'href="?regions=AT11,DE11"' in html
    assert html.count("<th>AT11</th>") == 3  # key facts, scoreboard, portfolios
    assert "svg" in html and "compare_key_facts.csv" in html


def test_overflow_pages_hold_each_apps_default_view(toy_bundle):
    folder = toy_bundle.directory / "overflow"
    pages = {path.stem: path.read_text(encoding="utf-8") for path in folder.glob("*.html")}
    assert {"mapping_tool", "sector_explorer", "compare_regions"} <= set(pages)
    for page in pages.values():
        assert "observatory-busy" in page and "Try the live tool again" in page
        assert "<button" not in page  # nothing that needs a kernel or a script
        assert "http" not in page.replace("http://www.w3.org/2000/svg", "")
    assert pages["mapping_tool"].count("<path") == len(toy_bundle.geometry_codes(2))
    assert "Location quotient (LQ)" in pages["mapping_tool"]


def test_the_server_falls_back_to_a_plain_busy_page(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_APP_DATA", str(tmp_path))
    spec = serve.allowed_apps()[0]
    page = serve.overflow_page(spec)
    assert "busy" in page and spec.route in page


def test_the_server_sends_the_prepared_overflow_page(toy_bundle, monkeypatch):
    root = toy_bundle.directory.parent
    monkeypatch.setenv("OBSERVATORY_APP_DATA", str(root))
    (root / "CURRENT").write_text(toy_bundle.directory.name + "\n")
    spec = next(spec for spec in serve.allowed_apps() if spec.name == "mapping_tool")
    assert (
        serve.overflow_page(spec)
        == (toy_bundle.directory / "overflow" / "mapping_tool.html").read_text()
    )


# --- the kernel pool: admission, cap, refills --------------------------------------------------


class FakeVoilaManager:
    """What ``PoolAdmission`` needs of Voila's pooled kernel manager."""

    def __init__(self, **kwargs):
        self.kernel_pools_config = {"default": {"pool_size": 1}, "app.ipynb": {"pool_size": 2}}
        self.kernels = []
        self._pools = {}
        self.started = []

    def list_kernel_ids(self):
        return list(self.kernels)


class Policy:
    def __init__(self, cap, cold):
        self.max_cold_starts = cold
        self.refill_concurrency = 1
        self.startup_concurrency = 2
        self.refill_quiet_seconds = 0.0
        self.ready_timeout = 1.0
        self._cap = cap

    def kernel_cap(self):
        return self._cap


def manager(cap=4, cold=1, ready=0, starting=0):
    cls = kernel_pool.pooled_manager_class(FakeVoilaManager)
    made = cls.__new__(cls)
    FakeVoilaManager.__init__(made)
    made.policy = Policy(cap, cold)
    made._queue = __import__("collections").deque()
    made._workers, made._last_request, made._served_any, made._cold_starts = 0, 0.0, False, 0
    made._tasks = set()
    made._failures = {}
    made._is_ready = lambda task: task == "ready"
    made._pools["app.ipynb"] = ["ready"] * ready + ["starting"] * starting
    made.kernels = [f"k{i}" for i in range(ready + starting)]
    return made


def test_a_ready_pooled_kernel_is_used_first():
    assert manager(ready=1).admit("app.ipynb") == kernel_pool.POOL


def test_a_kernel_still_starting_is_not_handed_out():
    made = manager(ready=0, starting=2)
    assert made.get_pool_size("app.ipynb") == 0
    assert made.admit("app.ipynb") == kernel_pool.COLD  # under the cap: a new kernel


def test_at_the_cap_the_visitor_gets_the_overflow_page():
    made = manager(cap=2, ready=0, starting=2)
    assert made.admit("app.ipynb") == kernel_pool.OVERFLOW


def test_cold_starts_are_limited_too():
    made = manager(cap=10, cold=1, starting=1)
    made.cold_start(+1)
    assert made.admit("app.ipynb") == kernel_pool.OVERFLOW
    made.cold_start(-1)
    assert made.admit("app.ipynb") == kernel_pool.COLD


def test_refills_are_queued_not_started_at_once():
    made = manager(ready=0)
    made._pools["app.ipynb"] = []
    made._served_any = True
    made._last_request = 1e12  # a visitor just arrived: refills wait for quiet

    async def scenario():
        made.fill_if_needed(notebook_name="app.ipynb")
        made.fill_if_needed(notebook_name="app.ipynb")
        queued, workers = [name for name, _ in made._queue], made._workers
        for task in list(made._tasks):
            task.cancel()
        await asyncio.sleep(0)
        return queued, workers

    # a loop of its own, in a thread of its own (a browser test may run one in this thread)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        queued, workers = pool.submit(asyncio.run, scenario()).result(timeout=30)
    assert queued == ["app.ipynb", "app.ipynb"]
    assert workers == 1  # one refill at a time


def test_the_kernel_cap_follows_the_memory_budget():
    policy = kernel_pool.ObservatoryKernelPolicy(
        memory_budget_mib=3300, kernel_mib=150, server_mib=300
    )
    assert policy.kernel_cap() == 20
    assert kernel_pool.ObservatoryKernelPolicy(max_kernels=7).kernel_cap() == 7


def test_the_shipped_pools_fit_the_memory_budget():
    config = json.loads((serve.CONFIG_DIR / "voila.json").read_text(encoding="utf-8"))
    policy = kernel_pool.ObservatoryKernelPolicy(**config["ObservatoryKernelPolicy"])
    assert serve.pooled_kernel_count() < policy.kernel_cap()
    assert policy.kernel_cap() * policy.kernel_mib + policy.server_mib <= policy.memory_budget_mib
    pools = config["VoilaKernelManager"]["kernel_pools_config"]
    assert pools["mapping_tool.ipynb"]["pool_size"] >= 20  # a burst of 20 first visits


def test_the_template_exports_png_and_follows_the_view_in_the_address():
    script = Path(
        serve.JUPYTER_DATA_DIR, "nbconvert/templates/observatory/static/observatory-export.js"
    )
    text = script.read_text(encoding="utf-8")
    assert "button.observatory-png" in text and "toBlob" in text
    assert "history.replaceState" in text and "data-observatory-query" in text
    template = script.parent.parent / "index.html.j2"
    assert 'include_js("static/observatory-export.js")' in template.read_text(encoding="utf-8")


def test_cluster_values_map_the_change_indicators_with_their_break_flags():
    import pandas as pd

    rated = pd.DataFrame(
        {
            "region_code": ["DE11", "FR10", "FR10"],
            "category_code": ["automotive"] * 3,
            "category_type": ["traded"] * 3,
            "nuts_level": [2, 2, 2],
            "year": [2015, 2014, 2015],
            "employment_persons": [1000.0, 500.0, np.nan],
            "lq": [1.2, 0.8, np.nan],
            "size_share": [0.01, 0.02, np.nan],
            "stars": [1, 0, pd.NA],
            "employment_growth_pct": [2.5, np.nan, np.nan],
            "wage_per_employee_eur": [50_000.0, 40_000.0, np.nan],
            "relative_wage_index": [120.0, 95.0, np.nan],
            "persons_per_local_unit": [12.5, 8.0, np.nan],
            "has_confidential_cells": [False, False, True],
            "flag": [None, "b", "c"],
        }
    )
    ranks = pd.DataFrame(
        {
            "region_code": ["DE11", "FR10", "FR10"],
            "category_code": ["automotive"] * 3,
            "nuts_level": [2, 2, 2],
            "year": [2015, 2014, 2015],
            "rank_in_category": [1, 1, np.nan],
            "rank_in_region": [1, 1, np.nan],
        }
    )
    values = prepare.cluster_values(rated, ranks)
    growth = values[values["indicator_code"] == "employment_growth_pct"].set_index(
        ["region_code", "year"]
    )
    assert growth.loc[("DE11", 2015), "value"] == 2.5
    # a break year keeps its flag; the growth across it is missing, never 0
    assert growth.loc[("FR10", 2014), "flag"] == "b"
    assert np.isnan(growth.loc[("FR10", 2014), "value"])
    # a confidential cell stays confidential
    assert growth.loc[("FR10", 2015), "status"] == "confidential"
    assert set(prepare.CLUSTER_MEASURES) >= {"relative_wage_index", "persons_per_local_unit"}

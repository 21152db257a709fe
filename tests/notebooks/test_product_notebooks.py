"""Run the report notebooks through Papermill with non-default parameters, on the real store.

Each run checks that the notebook executes, that its downloads exist with a BOM and their
provenance lines, that the numbers it published (``records.publish_record``) equal what the
library computes here, and that the provenance footer is in the output. Bad parameters make
Papermill fail with the library's message naming the valid choices.
"""

from __future__ import annotations

import html
import math
import re

import nbformat
import papermill as pm
import pytest

from observatory_lib import paths
from observatory_lib.products import cluster_panorama, ecosystem_scoreboard, sector_report
from observatory_lib.products.kit.downloads import read_csv_table
from observatory_lib.runtime.records import extract_record

pytestmark = [pytest.mark.notebook, pytest.mark.integration, pytest.mark.slow]

NOTEBOOKS = paths.NOTEBOOK_DIR


@pytest.fixture
def outputs(tmp_path, monkeypatch, built_store):
    """Outputs in a temporary folder; the kernel inherits the variable (and the store's)."""
    target = tmp_path / "outputs"
    monkeypatch.setenv("OBSERVATORY_OUTPUTS", str(target))
    return target


def _run(name: str, tmp_path, **parameters) -> nbformat.NotebookNode:
    return pm.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(tmp_path / f"{name}.out.ipynb"),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
        execution_timeout=600,
        shutdown_kernel="immediate",
    )


def _outputs_of(nb, mime: str) -> list:
    return [
        output["data"][mime]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if mime in output.get("data", {})
    ]


def _publication(nb) -> str:
    """The HTML the notebook displays for readers (its document's parts, in order)."""
    parts = _outputs_of(nb, "text/html")
    return "\n".join("".join(p) if isinstance(p, list) else p for p in parts)


def _plain(nb) -> str:
    """The publication's text as a reader reads it (tags dropped, entities and spaces plain)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", _publication(nb)))
    return " ".join(text.replace("\u00a0", " ").split())


def _assert_key_findings(nb, findings: list[str]) -> None:
    text = _plain(nb)
    assert findings
    for finding in findings:
        sentence = " ".join(finding.replace("**", "").replace("\u00a0", " ").split())
        assert sentence in text, sentence


def _n_figures(nb) -> int:
    return _publication(nb).count('<img src="data:image/png;base64,')


def _assert_ran_cleanly(nb) -> None:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output.get("evalue")
            if output.get("output_type") == "stream":
                assert output.get("name") != "stderr" or "Warning" not in output["text"], output[
                    "text"
                ]


def _assert_provenance_footer(nb, dataset_code: str) -> None:
    text = _publication(nb)
    assert "Methods and sources</h2>" in text
    assert f"<td>{dataset_code}</td>" in text  # the datasets table names the online code
    assert "Source: Eurostat" in text
    assert "© EuroGeographics for the administrative boundaries" in text
    assert "NUTS 2016" in text


def _assert_downloads(folder, expected_names: list[str]) -> None:
    for name in expected_names:
        csv = folder / f"{name}.csv"
        assert csv.is_file(), sorted(p.name for p in folder.iterdir())
        raw = csv.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf# title: "), raw[:40]
        _, metadata = read_csv_table(csv)
        assert "Source: Eurostat" in metadata["attribution"]
        assert any(line.startswith("sbs_r_nuts06_r2") for line in metadata["source"])


def _same(left, right) -> bool:
    if isinstance(right, float) and math.isnan(right):
        return left is None
    if isinstance(right, float):
        return left == pytest.approx(right, rel=1e-9)
    return left == right


def test_cluster_panorama_eocic_at_nuts1(built_store, outputs, tmp_path):
    nb = _run(
        "cluster_panorama",
        tmp_path,
        star_preset="eocic",
        level=1,
        reference_countries=[],
        output_subdir="panorama_test",
    )
    _assert_ran_cleanly(nb)
    expected = cluster_panorama.panorama_context(built_store, 2015, "eocic", 1)
    record = extract_record(nb)
    for key, value in expected.europe.items():
        assert _same(record[key], value), (key, record[key], value)
    assert record["star_preset"] == "eocic" and record["nuts_level"] == 1
    _assert_key_findings(nb, cluster_panorama.key_findings(expected))
    text = _plain(nb)
    assert "Division-level data approximate class-level definitions" in text
    assert "Unverified thresholds" in text
    # wages from the SBS bulk file: the productivity star counts at NUTS 1 too
    assert "3 of 3 criteria counted (size, specialisation, productivity)" in text
    assert "From 2011 to 2015, employment in Europe's traded clusters" in text
    assert _n_figures(nb) == 2
    _assert_downloads(
        outputs / "panorama_test",
        [
            f"{name}_eocic_nuts1_2015"
            for name in (
                "starred_clusters_by_region",
                "starred_clusters_by_country",
                "leaders_by_category",
                "emerging_industries",
                "star_sensitivity",
            )
        ]
        + ["rated_clusters_eocic_nuts1_2008-2015"]
        + [
            f"{name}_eocic_nuts1_2011-2015"
            for name in ("europe_change", "shift_share", "star_transitions")
        ],
    )
    assert (
        outputs / "panorama_test" / "starred_clusters_by_region_eocic_nuts1_2015.xlsx"
    ).is_file()
    _assert_provenance_footer(nb, "sbs_r_nuts06_r2")


@pytest.mark.parametrize(
    ("category_code", "parameters"),
    [
        ("blue-growth", {"level": 1}),  # an emerging industry
        ("water-transportation", {"star_preset": "panorama4"}),  # a traded category
        ("financial-services", {}),  # traded, no NACE class in the SBS scope: all missing
    ],
)
def test_sector_report(built_store, outputs, tmp_path, category_code, parameters):
    nb = _run("sector_report", tmp_path, category_code=category_code, **parameters)
    _assert_ran_cleanly(nb)
    expected = sector_report.sector_report_content(
        built_store,
        category_code,
        level=parameters.get("level", 2),
        star_preset=parameters.get("star_preset", "eco2008"),
    )
    record = extract_record(nb)
    for key, value in expected.record().items():
        assert _same(record[key], value), (key, record[key], value)
    _assert_key_findings(nb, sector_report.key_findings(expected))
    assert f"<h1>{expected.category_name}</h1>" in _publication(nb)
    assert _n_figures(nb) == 2
    suffix = f"{expected.star_preset}_nuts{expected.nuts_level}_2015"
    _assert_downloads(
        outputs / "sector_reports" / category_code,
        [f"{name}_{suffix}" for name in ("regions", "composition_classes", "concentration")],
    )
    _assert_provenance_footer(nb, "sbs_r_nuts06_r2")


def test_ecosystem_scoreboard_zscore_geometric(built_store, outputs, tmp_path):
    nb = _run(
        "ecosystem_scoreboard",
        tmp_path,
        normalisation="zscore",
        aggregation="geometric",
        n_draws=200,
        seed=3,
    )
    _assert_ran_cleanly(nb)
    expected = ecosystem_scoreboard.scoreboard_context(
        built_store, normalisation="zscore", aggregation="geometric", n_draws=200, seed=3
    )
    record = extract_record(nb)
    for key, value in expected.record().items():
        assert _same(record[key], value), (key, record[key], value)
    # one map per dimension and the overall index, the distributions and the rank intervals
    assert _n_figures(nb) == len(expected.framework.dimensions) + 3
    _assert_key_findings(nb, ecosystem_scoreboard.key_findings(expected))
    _assert_downloads(
        outputs / "scoreboard",
        [
            f"{name}_nuts2_ref_default_zscore_geometric"
            for name in ("overall_scores", "dimension_scores", "indicator_scores")
        ],
    )
    table, _ = read_csv_table(
        outputs / "scoreboard" / "overall_scores_nuts2_ref_default_zscore_geometric.csv"
    )
    assert table["region_code"].iloc[0] == expected.overall["region_code"].iloc[0]
    assert {"rank_p05", "rank_p95", "group_stability"} <= set(table.columns)
    _assert_provenance_footer(nb, "nama_10r_2gdp")


@pytest.mark.parametrize(
    ("name", "parameters", "ename", "fragments"),
    [
        (
            "sector_report",
            {"category_code": "automobile"},
            "UnknownCodeError",
            ["Unknown category 'automobile'", "automotive", "blue-growth", "wood-products"],
        ),
        (
            "cluster_panorama",
            {"star_preset": "eco2009"},
            "UnknownCodeError",
            ["Unknown star preset 'eco2009'", "eco2008, eocic, panorama4"],
        ),
        (
            "ecosystem_scoreboard",
            {"normalisation": "rank", "n_draws": 10},
            "UnknownCodeError",
            ["Unknown normalisation 'rank'", "minmax"],
        ),
    ],
)
def test_bad_parameters_fail_with_the_valid_choices(
    built_store, outputs, tmp_path, name, parameters, ename, fragments
):
    with pytest.raises(pm.PapermillExecutionError) as caught:
        _run(name, tmp_path, **parameters)
    assert caught.value.ename == ename
    for fragment in fragments:
        assert fragment in caught.value.evalue
    assert not outputs.exists() or not any(outputs.rglob("*.csv"))

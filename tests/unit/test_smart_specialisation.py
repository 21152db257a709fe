"""The smart specialisation report on the toy store: tables, figures, downloads, the CLI."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from observatory_lib.cli import product_commands
from observatory_lib.cli.selection import select_groups
from observatory_lib.errors import UnknownCodeError
from observatory_lib.indicators import policy_recipes, recipes
from observatory_lib.products import smart_specialisation as ss
from observatory_lib.products.kit.downloads import read_csv_table
from observatory_lib.products.smart_specialisation.publication import PAIRS_TABLE

S3 = (
    "region_code,priority_id,priority_name,nace_divisions,category_codes,source\n"
    "DE111,S-1,Fahrzeugbau,29,,test\n"
    "AT11,A-1,Pharma,21,,test\n"
    "AT11,A-2,Tourismus,,,test\n"
)


@pytest.fixture
def report(toy_store, tmp_path):
    path = tmp_path / "priorities.csv"
    path.write_text(S3, encoding="utf-8")
    return ss.smart_specialisation_context(toy_store, 2015, s3_sources=[str(path)])


def test_the_report_takes_its_numbers_from_the_recipe_layer(toy_store, report):
    pairs = policy_recipes.strongest_pairs(toy_store, 2, 2015, ss.N_PAIRS)
    assert report.pairs["proximity"].tolist() == pairs["proximity"].tolist()
    assert report.n_reference_regions == {"traded": 5, "emerging": 5}
    table = ss.pairs_frame(report, "traded")
    assert table[list(PAIRS_TABLE.columns)].notna().all().all()
    assert "Automotive" in set(table["category_name"]) | set(table["related_category_name"])
    first = ss.key_findings(report)[0]
    top = table.iloc[0]
    assert f"{top['category_name']} and {top['related_category_name']} are the most" in first
    assert f"proximity {top['proximity']:.2f}" in first


def test_the_regions_and_variety_tables_have_no_gaps_from_misaligned_rows(report):
    for table in (report.variety_table, report.groups_table):
        assert len(table) and table.notna().all().all(), table
    regions = report.regions_table
    assert regions[["region", "n_specialised", "n_strong_opportunities"]].notna().all().all()
    # a region without location quotients (DE12: no total) has no density: missing, never 0
    unknown = regions["mean_opportunity_density"].isna()
    assert regions.loc[unknown, "region"].tolist() == ["Karlsruhe (DE12)"]
    assert regions.loc[unknown, "top_opportunities"].isna().all()
    first = report.regions_table.iloc[0]
    assert first["region"].endswith(")")
    assert "(" in first["top_opportunities"]


def test_the_alignment_table_and_its_sentence(report):
    section = report.alignments[0]
    # DE11 is specialised in automotive (C29); AT11 is not in biopharmaceuticals, but its
    # metalworking specialisation is biopharmaceuticals' only related category: density 100
    assert section.counts == {
        "builds on strengths": 1,
        "related diversification": 1,
        "weakly related": 0,
        "no category covered": 0,
        "not matched": 1,
    }
    table = section.priorities_table
    assert table["assessment"].tolist() == ["Builds on strengths", "Related diversification"]
    text = ss.alignment_markdown(section)
    assert "3 priorities" in text and "Tourismus" in text
    finding = ss.key_findings(report)[-1]
    assert (
        "Of the 2 priorities in the file priorities.csv that name NACE divisions or "
        "categories, 1 builds on" in finding
    )
    # AT11's specialisations no priority covers: automotive and metalworking
    assert "Automotive" in section.unmentioned_table.iloc[0]["unmentioned_specialisations"]


def test_the_category_space_is_a_spanning_network_of_each_type(toy_store, report):
    graph = ss.category_space_graph(report, toy_store, "traded")
    assert set(graph.nodes()) == {"automotive", "biopharmaceuticals", "metalworking-technology"}
    assert graph.number_of_edges() >= 2  # the spanning tree at least
    figures = ss.plot_category_space(report, toy_store)
    assert set(figures) == {"traded", "emerging"}
    opportunity_map = ss.plot_opportunity_map(report, recipes.geometries(toy_store, 2))
    assert opportunity_map.axes


def test_spread_apart_keeps_points_apart_and_inside_the_unit_square():
    rng = np.random.default_rng(0)
    xy = ss.spread_apart(rng.normal(size=(30, 2)) * 0.01, min_distance=0.1)
    distance = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(distance, np.inf)
    assert distance.min() > 0.05
    assert xy.min() >= 0 and xy.max() <= 1


def test_display_names_tell_emerging_twins_apart(toy_store):
    names = ss.display_names(toy_store)
    assert names["blue-growth"] == "Blue Growth"
    assert names["automotive"] == "Automotive"


def test_downloads_are_the_tidy_tables_with_their_published_columns(toy_store, report, outputs):
    written = ss.write_downloads(report, toy_store)
    by_name = {path.name: path for path in written}
    proximity, metadata = read_csv_table(by_name["relatedness_proximity_nuts2_2015.csv"])
    assert list(proximity.columns) == ["category_code", "related_category_code", "proximity"]
    assert any("Source: Eurostat" in line for line in metadata["attribution"])
    density, _ = read_csv_table(by_name["relatedness_density_nuts2_2015.csv"])
    assert list(density.columns)[:6] == [
        "region_code",
        "category_code",
        "year",
        "lq",
        "is_specialised",
        "relatedness_density",
    ]
    assert density["lq"].isna().any()  # DE12 has no total: missing, never 0
    assert "s3_alignment_priorities_2015.csv" in by_name
    # the portal's data dictionary describes every column of every download
    from observatory_lib.products.portal.catalogue import table_facts
    from observatory_lib.products.portal.dictionary import undescribed

    for path in written:
        if path.suffix == ".csv":
            assert undescribed(table_facts(path)[1]) == [], path.name
    record = report.record()
    assert record["product"] == "smart_specialisation" and record["nuts_level"] == 2


def test_the_reports_command_runs_the_smart_specialisation_notebook():
    assert product_commands.REPORT_NOTEBOOKS["smart_specialisation"] == "smart_specialisation.ipynb"
    parser = product_commands.argparse.ArgumentParser()
    product_commands._report_options(parser)
    assert "smart_specialisation" in parser.parse_args([]).only  # run by default


def test_scorecards_groups_selects_the_groups_and_runs_them(toy_store, tmp_path, monkeypatch):
    path = tmp_path / "groups.yaml"
    path.write_text(
        "groups:\n  - {code: solo, name: Solo, members: [DE11], example: true}\n"
        "  - {code: pair, name: Pair, members: [AT11, AT12], example: true}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("OBSERVATORY_REGION_GROUPS", str(path))
    assert select_groups(toy_store, "all") == ["solo", "pair"]
    assert select_groups(toy_store, "pair") == ["pair"]
    with pytest.raises(UnknownCodeError, match="pair"):
        select_groups(toy_store, "pairs")
    arguments = argparse.Namespace(groups="all", star_preset="eco2008", year=None)
    batch = product_commands.group_scorecard_batch(toy_store, arguments)
    assert batch.notebook == "region_scorecard.ipynb"
    assert batch.output_root.name == "group_scorecards"
    assert batch.jobs[0] == (
        "solo",
        {"group_code": "solo", "region_code": "", "star_preset": "eco2008"},
    )
    with pytest.raises(product_commands.options.ParameterError, match="--groups"):
        product_commands.group_scorecard_batch(
            toy_store, argparse.Namespace(groups="pairs", star_preset=None, year=None)
        )
    parser = product_commands.argparse.ArgumentParser()
    product_commands._scorecard_options(parser)
    assert parser.parse_args(["--groups", "all"]).groups == "all"


def _html(parts) -> str:
    return "".join(part.data for part in parts)


def test_the_publication_is_labelled_sourced_and_numbered(toy_store, report, outputs):
    import re

    from observatory_lib.products.kit.labels import COLUMN_LABELS

    spaces = ss.plot_category_space(report, toy_store)
    opportunity_map = ss.plot_opportunity_map(report, recipes.geometries(toy_store, 2))
    written = ss.write_downloads(report, toy_store)
    html = _html(ss.publication(report, toy_store, spaces, opportunity_map, written))
    assert "<h1>Smart specialisation in Europe&#x27;s regions</h1>" in html
    assert "Key findings" in html and "Methods and sources" in html
    headers = {
        " ".join(h.replace("\u2060", "").split())
        for h in re.findall(r'<th[^>]*scope="col"[^>]*>(.*?)</th>', html, re.DOTALL)
    }
    known = {
        " ".join(label.header.replace("\u2060", "").split()) for label in COLUMN_LABELS.values()
    }
    assert headers and headers <= known, headers - known
    captions = [int(n) for n in re.findall(r"<figcaption><strong>Figure (\d+)\.", html)]
    assert captions == [1, 2, 3]  # two category spaces and the map
    assert re.findall(r"Table (\d+)\.", html)[:2] == ["1", "2"]
    assert "Source: S3 priorities supplied by the user (test)" in html
    assert "<th>0</th>" not in html and "NaN" not in html

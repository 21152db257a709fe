"""The analyst's start page (cli/workbench.py) on the toy store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from observatory_lib.cli import options, workbench
from observatory_lib.errors import UnknownCodeError


def test_the_data_in_use_names_the_store_and_the_vintages(toy_store):
    text = workbench.data_in_use_markdown(toy_store)
    assert f"`{toy_store.version}`" in text
    assert "data:" in text and "Eurostat datasets" in text
    assert "observatory build" in text


def test_the_choices_list_every_valid_value(toy_store):
    text = workbench.choices_markdown(toy_store)
    for value in [*options.star_presets(), *options.framework_variants()]:
        assert f"`{value}`" in text
    for year in options.cluster_years(toy_store):
        assert str(year) in text
    assert "observatory values regions" in text
    assert text.count("\n|") >= 8  # a Markdown table, one row per choice


def test_the_publish_commands_name_the_region_and_refuse_an_unknown_one(toy_store):
    text = workbench.publish_commands_markdown(toy_store, "at11")
    assert "observatory scorecards --regions AT11" in text
    assert "outputs/scorecards/AT11/" in text
    with pytest.raises(UnknownCodeError, match="nearest"):
        workbench.publish_commands_markdown(toy_store, "AT1X")


GUIDES = ("notebooks/start_here.ipynb", "README.md", "docs/HOWTO.md")
# files the guides tell the analyst to create (docs/HOWTO.md, "A new report")
CREATED_BY_THE_ANALYST = {
    "observatory_lib/products/top_clusters.py",
    "notebooks/top_clusters.ipynb",
}


@pytest.mark.parametrize("guide", GUIDES)
def test_every_project_file_a_guide_names_exists(guide):
    """The start page, the README and the how-to name the files an analyst edits: each one
    must exist (a module moved on main left the guides pointing at a file that was gone)."""
    root = Path(__file__).resolve().parents[2]
    text = (root / guide).read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:observatory_lib|notebooks|data|docs)/[\w./-]+\.\w+)`", text))
    assert named, guide
    missing = sorted(name for name in named - CREATED_BY_THE_ANALYST if not (root / name).exists())
    assert not missing, f"{guide} names files that do not exist: {missing}"

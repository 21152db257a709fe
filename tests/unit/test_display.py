"""The products' shared kit: display tables, download lists, output folders, methods notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators.stars import list_star_presets, load_star_preset
from observatory_lib.products.kit import display, notes
from observatory_lib.products.kit.downloads import read_csv_table
from observatory_lib.products.kit.map_styles import NOT_AVAILABLE

# --- display tables ------------------------------------------------------------------------------


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "region_code": pd.array(["AT11", pd.NA], dtype="str"),
            "year": [2015, 2015],
            "rank_europe": pd.array([1, pd.NA], dtype="Int64"),
            "employment_persons": [12_345.0, np.nan],
            "share_pct": [12.345, np.nan],
            "is_small_base": pd.array([True, pd.NA], dtype="boolean"),
            "has_total": [True, False],
        }
    )


def test_display_table_writes_missing_as_not_available(frame):
    shown = display.display_table(frame, units={"share_pct": "pct"})
    assert shown.iloc[0].tolist() == ["AT11", "2015", "1", "12\u00a0345", "12.3%", "yes", "yes"]
    assert shown.iloc[1].tolist() == [
        NOT_AVAILABLE,
        "2015",
        NOT_AVAILABLE,
        NOT_AVAILABLE,
        NOT_AVAILABLE,
        NOT_AVAILABLE,
        "no",
    ]
    assert NOT_AVAILABLE == "not available"
    assert (display.YES, display.NO) == ("yes", "no")
    # the frame for the downloads stays numeric
    assert np.isnan(frame["employment_persons"].iloc[1])


def test_display_table_keeps_the_chosen_columns_and_rows(frame):
    shown = display.display_table(frame, ["year", "region_code"], max_rows=1)
    assert list(shown.columns) == ["year", "region_code"]
    assert shown.to_numpy().tolist() == [["2015", "AT11"]]


def test_show_displays_the_spec_or_the_empty_text(frame, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    spec = display.TableSpec(columns=("region_code", "share_pct"), units={"share_pct": "pct"})
    display.show(frame, spec)
    assert shown[-1]["share_pct"].tolist() == ["12.3%", NOT_AVAILABLE]
    display.show(frame.head(0), display.TableSpec(empty_text="Nothing here."))
    assert shown[-1].data == "Nothing here."


def test_with_category_names_puts_the_name_after_the_code():
    frame = pd.DataFrame({"region_code": ["AT11"], "category_code": ["auto"], "stars": [2]})
    categories = pd.DataFrame({"category_code": ["auto"], "category_name": ["Automotive"]})
    named = display.with_category_names(frame, categories)
    assert list(named.columns) == ["region_code", "category_code", "category_name", "stars"]
    assert named["category_name"].tolist() == ["Automotive"]


# --- downloads ------------------------------------------------------------------------------


def test_downloads_markdown_lists_relative_paths(outputs):
    paths = [outputs / "panorama" / "a.csv", outputs / "panorama" / "a.xlsx"]
    text = display.downloads_markdown(paths)
    assert "- `panorama/a.csv`" in text and "- `panorama/a.xlsx`" in text
    assert display.downloads_markdown([]) == "No file was written."


@pytest.mark.parametrize("subdir", ["../elsewhere", "/tmp/absolute", "", "   ", "a/../../b"])
def test_output_subdir_must_stay_under_outputs(subdir):
    with pytest.raises(ObservatoryError, match="relative folder"):
        display.output_stem(subdir, "table")


@pytest.mark.parametrize(
    ("subdir", "expected"),
    [("panorama", "panorama/table"), ("sector_reports/auto", "sector_reports/auto/table")],
)
def test_output_stem_joins_a_relative_folder(subdir, expected):
    assert display.output_stem(subdir, "table").as_posix() == expected


def test_write_tables_with_bom_provenance_and_csv_only_for_large_tables(
    toy_store, outputs, monkeypatch
):
    monkeypatch.setattr(display, "XLSX_MAX_CELLS", 10)
    small = pd.DataFrame({"region_code": ["AT11", "DE12"], "value": [1.5, np.nan]})
    large = pd.DataFrame({"value": np.arange(12.0)})
    sources = display.product_sources(toy_store, "clusters")
    written = display.write_tables(
        {"small": (small, "A small table"), "large": (large, "A large table")},
        "kit",
        "toy",
        sources,
    )
    assert sorted(path.name for path in written) == [
        "large_toy.csv",
        "small_toy.csv",
        "small_toy.xlsx",
    ]
    assert all(path.parent == outputs / "kit" for path in written)
    assert (outputs / "kit" / "small_toy.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    table, metadata = read_csv_table(outputs / "kit" / "small_toy.csv")
    assert metadata["title"] == ["A small table"]
    assert np.isnan(table.set_index("region_code").loc["DE12", "value"])
    assert any(line.startswith("sbs_r_nuts06_r2") for line in metadata["source"])


def test_product_sources_unknown_product_lists_the_products(toy_store):
    with pytest.raises(UnknownCodeError, match="clusters") as caught:
        display.product_sources(toy_store, "maps")
    assert "scoreboard" in str(caught.value)
    scoreboard = display.product_sources(toy_store, "scoreboard")
    assert "nama_10r_2gdp" in set(scoreboard["source_code"])


# --- methods notes --------------------------------------------------------------------------


def test_methods_note_names_unverified_thresholds_and_the_approximation():
    note = notes.stars_methods_note("eco2008")
    assert note.startswith(notes.DIVISION_NOTE)
    assert "Division-level data approximate class-level definitions" in note
    assert "Unverified thresholds" in note
    assert "specialisation (location quotient (LQ) of 2 or more)" in note
    assert "size (" not in note.split("Unverified thresholds")[1]  # size is verified
    assert note.rstrip().endswith(notes.OVERLAP_NOTE)
    without = notes.stars_methods_note("eco2008", "2 of 3 criteria", with_division_note=False)
    assert notes.DIVISION_NOTE not in without
    assert "Criteria counted at this level and year: 2 of 3 criteria." in without


def test_star_criteria_table_is_the_rule_set():
    criteria = notes.star_criteria_table("eco2008")
    assert criteria.set_index("criterion")["is_verified"].to_dict() == {
        "size": True,
        "specialisation": False,
        "focus": False,
    }
    rules = load_star_preset("eco2008")
    assert criteria["cutoff"].tolist() == [c.cutoff for c in rules.criteria]
    texts = criteria.set_index("criterion")["cutoff_text"]
    assert texts["specialisation"] == "location quotient (LQ) of 2 or more"
    assert texts["size"].startswith("among the top 10% of the category's regions")


def test_presets_are_the_shipped_ones():
    assert list_star_presets() == ["eco2008", "eocic", "panorama4"]

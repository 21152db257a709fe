"""The publication kit: the label table, the number style, publication tables, the Document."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatory_lib.products.kit import numbers
from observatory_lib.products.kit.document import Document, markdown_html, source_line
from observatory_lib.products.kit.labels import COLUMN_LABELS, ColumnLabel, label_for
from observatory_lib.products.kit.tables import MISSING_NOTE, TableSpec, publication_table

NBSP, MINUS = "\u00a0", "\u2212"


class _Cells(HTMLParser):
    """Header cells (with their scope), data cells and ids of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[tuple[str, str | None]] = []
        self.cells: list[str] = []
        self.ids: list[str] = []
        self._open: str | None = None
        self._scope: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag in ("th", "td"):
            self._open, self._scope, self._text = tag, attributes.get("scope"), []

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == self._open:
            text = "".join(self._text).strip()
            if tag == "th":
                self.headers.append((text, self._scope))
            else:
                self.cells.append(text)
            self._open = None


def _parse(html: str) -> _Cells:
    parser = _Cells()
    parser.feed(html)
    return parser


# --- the label table ------------------------------------------------------------------------


def test_every_label_reads_as_words_not_as_a_column_name():
    for column, label in COLUMN_LABELS.items():
        assert "_" not in label.header, column
        assert label.label[0].isupper(), column
        assert label.kind in {
            "text", "code", "count", "number", "percent", "share", "stars", "year", "rank",
            "flag", "formatted", "growth", "signed",
        }, column  # fmt: skip


def test_an_unlabelled_column_is_refused_with_the_fix():
    with pytest.raises(KeyError, match="add it to COLUMN_LABELS"):
        label_for("n_regions_with_totals")


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (12500, 0, f"12{NBSP}500"),
        (1234567.891, 2, f"1{NBSP}234{NBSP}567.89"),
        (-2500, 0, f"{MINUS}2{NBSP}500"),
        (-0.004, 2, "0.00"),  # no "−0.00"
        (5.0, 1, "5.0"),
        (np.nan, 0, ":"),
        (None, 0, ":"),
        (pd.NA, 0, ":"),
        (float("inf"), 0, ":"),
    ],
)
def test_format_number(value, decimals, text):
    assert numbers.format_number(value, decimals) == text


@pytest.mark.parametrize(
    "value", [None, np.nan, np.float32("nan"), pd.NA, pd.NaT, float("-inf"), np.inf]
)
def test_missing_is_recognised_without_pandas(value):
    # kit.formats owns the rule and imports no pandas (the apps' kernels use it)
    assert numbers.is_missing(value)
    assert numbers.format_cell(value, label_for("employment_persons")) == ":"


@pytest.mark.parametrize("value", [0, 0.0, np.int64(3), "nan", "", False])
def test_present_values_are_not_missing(value):
    assert not numbers.is_missing(value)


def test_percentages_shares_and_signed_changes():
    assert numbers.format_percent(23.449) == "23.4%"
    assert numbers.format_share(0.2346) == "23.5%"  # a share of 1 as a percentage
    assert numbers.format_signed(2.46) == "+2.5"
    assert numbers.format_signed(-1) == f"{MINUS}1.0"
    assert numbers.format_signed(0.01) == "0.0"  # rounds to no change: no sign
    # growth rates and shift-share components keep their sign in tables
    assert numbers.format_growth(2.46) == "+2.5%"
    assert numbers.format_growth(-0.04) == "0.0%"
    assert numbers.format_cell(-1250, label_for("regional_component")) == f"{MINUS}1{NBSP}250"
    assert numbers.format_cell(3.0, label_for("employment_cagr_pct")) == "+3.0%"
    assert numbers.format_cell(np.nan, label_for("regional_component")) == ":"
    assert numbers.format_percent(None, missing="not available") == "not available"


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_formatted_numbers_read_back_to_the_rounded_value(value):
    text = numbers.format_number(value, 2)
    assert "," not in text and "-" not in text
    back = float(text.replace(NBSP, "").replace(MINUS, "-"))
    assert back == pytest.approx(round(value, 2), abs=0.006)


def test_cells_follow_their_label_kind():
    cell = numbers.format_cell
    assert cell(3, label_for("stars")) == "★★★"
    assert cell(np.nan, label_for("stars")) == ":"
    assert cell(1234.0, label_for("employment_persons")) == f"1{NBSP}234"
    assert cell(0.1234, label_for("size_share")) == "12.34%"
    assert cell(True, label_for("is_small_base")) == "yes"
    assert cell(2015.0, label_for("year")) == "2015"
    assert cell(0, label_for("employment_persons")) == "0"  # a true zero stays 0


# --- publication tables -----------------------------------------------------------------------


@pytest.fixture
def regions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_name": ["Stuttgart", "Karlsruhe", "Freiburg"],
            "employment_persons": [168899.0, np.nan, 12500.0],
            "lq": [3.214, 1.5, np.nan],
            "stars": [3, 1, np.nan],
        },
        index=[17, 4, 99],  # an index readers must never see
    )


SPEC = TableSpec(columns=("region_name", "employment_persons", "lq", "stars"), stub="region_name")


def test_headers_come_from_the_label_table_with_scope(regions):
    html = publication_table(regions, SPEC, key="table-1", title="Table 1. Leading regions")
    parsed = _parse(html)
    headers = {text for text, _ in parsed.headers}
    expected = {label_for(c).header for c in SPEC.columns}
    assert expected <= headers
    assert not {"region_name", "employment_persons", "lq", "stars"} & headers
    assert all(scope in ("col", "row", "colgroup") for _, scope in parsed.headers if _)
    assert "Table 1. Leading regions" in html


def test_cells_are_formatted_missing_is_a_colon_with_a_note_and_no_index(regions):
    html = publication_table(regions, SPEC, key="t", title="T")
    parsed = _parse(html)
    assert f"168{NBSP}899" in parsed.cells and "3.21" in parsed.cells and "★★★" in parsed.cells
    assert ":" in parsed.cells
    assert "0" not in parsed.cells  # missing is never written 0
    assert MISSING_NOTE.strip() in html.replace("&quot;", '"')
    all_text = " ".join(parsed.cells + [text for text, _ in parsed.headers])
    assert not re.search(r"\b(17|99)\b", all_text)  # the frame's index is not a column


def test_flags_follow_their_value_with_a_legend(regions):
    flags = {"employment_persons": pd.Series(["e", "", "c"], index=regions.index)}
    html = publication_table(regions, SPEC, key="t", title="T", flags=flags)
    assert f"168{NBSP}899{NBSP}e" in _parse(html).cells
    assert "Flags: c: confidential; e: estimated." in html


def test_a_long_table_says_where_the_rest_is(regions):
    spec = TableSpec(columns=SPEC.columns, stub="region_name", max_rows=2)
    html = publication_table(regions, spec, key="t", title="T", full_table="regions (CSV)")
    assert "Freiburg" not in html
    sentence = "The table shows the first 2 of 3 rows; every row is in the download regions (CSV)."
    assert sentence in html


def test_ids_are_unique_across_tables_of_one_page(regions):
    first = publication_table(regions, SPEC, key="table-1", title="A")
    second = publication_table(regions, SPEC, key="table-2", title="B")
    ids = _parse(first + second).ids
    assert ids and len(ids) == len(set(ids))
    assert "<style" not in first  # the house style sheet styles the table


def test_an_empty_table_is_a_sentence():
    spec = TableSpec(columns=SPEC.columns, empty_text="No region is starred.")
    html = publication_table(pd.DataFrame(columns=SPEC.columns), spec, key="t", title="T")
    assert html == '<p class="observatory-empty">No region is starred.</p>'


# --- the Document ---------------------------------------------------------------------------


def test_tables_and_figures_are_numbered_in_order(regions):
    doc = Document(title="Automotive", kind="Priority sector report")
    assert doc.next_table_number == 1
    first = doc.table(regions, SPEC, title="Leading regions").data
    figure = doc.figure(b"\x89PNG", title="Employment by region", alt="Map of Europe").data
    assert doc.next_table_number == 2  # a figure can name the table that holds its values
    second = doc.table(regions, SPEC, title="Smallest regions").data
    assert "Table 1. Leading regions" in first and "Table 2. Smallest regions" in second
    assert "Figure 1. Employment by region" in figure
    assert 'alt="Map of Europe"' in figure


def test_a_figure_that_cannot_be_drawn_says_why():
    doc = Document(title="DE11", kind="Scorecard")
    html = doc.figure(None, title="Dimensions", alt="x", missing="The chart is not available.")
    assert "Figure 1. Dimensions" in html.data
    assert "The chart is not available." in html.data and "<img" not in html.data


def test_the_title_names_the_subject():
    doc = Document(title="Automotive", kind="Priority sector report", facts={"NUTS": "2016"})
    html = doc.title_block().data
    assert "<h1>Automotive</h1>" in html
    assert "<dt>NUTS</dt><dd>2016</dd>" in html


def test_text_is_markdown_with_raw_html_escaped():
    html = markdown_html("**Bold** and <script>alert(1)</script>")
    assert "<strong>Bold</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_source_lines_name_eurostat_codes_or_point_to_the_sources():
    assert source_line(["sbs_r_nuts06_r2"]) == (
        "Source: Eurostat (online data code: sbs_r_nuts06_r2); "
        "European Cluster Observatory calculations."
    )
    many = source_line([f"code_{n}" for n in range(6)], calculations=False)
    assert many == "Source: Eurostat (6 datasets, listed under Methods and sources)."
    assert source_line([]) == "Source: Eurostat; European Cluster Observatory calculations."


def test_column_label_header_with_and_without_unit():
    assert ColumnLabel("Employment", "persons").header == "Employment (persons)"
    assert ColumnLabel("Stars").header == "Stars"


def test_a_unit_never_breaks_across_lines():
    assert ColumnLabel("Score", "0–100").header == "Score (0–\u2060100)"
    assert ColumnLabel("Region", "EU-28 = 100").header == "Region (EU-\u206028\u00a0=\u00a0100)"


def test_a_table_is_the_same_every_time(regions):
    """Reruns give identical pages (the batch compares warm and fresh kernels byte for byte)."""
    first = publication_table(regions, SPEC, key="table-1", title="T")
    assert first == publication_table(regions, SPEC, key="table-1", title="T")


def test_eurostat_cell_flags_keep_the_letters_a_reader_needs():
    import pandas as pd

    from observatory_lib.products.kit.tables import eurostat_cell_flags

    frame = pd.DataFrame({"flag": ["b", None, "c", "de", "bu"]})
    assert eurostat_cell_flags(frame).tolist() == ["b", "", "", "de", "b"]
    assert eurostat_cell_flags(frame.drop(columns="flag")).tolist() == [""] * 5


def test_cluster_report_facts_name_the_edition_year_rules_and_vintage():
    from types import SimpleNamespace

    from observatory_lib.constants import STATISTICS_EDITION
    from observatory_lib.products.kit.document import cluster_report_facts

    rules = SimpleNamespace(label="", name="eco2008")
    facts = cluster_report_facts(2, 2015, rules, "SBS 2015")
    assert facts == {
        "Regions": f"NUTS 2 (NUTS {STATISTICS_EDITION} classification)",
        "Reference year": "2015",
        "Stars": "eco2008",
        "Data": "SBS 2015",
    }

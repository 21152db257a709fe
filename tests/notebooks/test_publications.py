"""The published products read as publications: no notebook machinery, labelled tables,
titled and tagged PDFs (issue 13). Rendered once per session by the real CLI
(``rendered_publications`` in tests/conftest.py): the Panorama, the scoreboard report, the
automotive sector report, the smart specialisation report (issue 15) and the scorecard of
Stuttgart (DE11)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from observatory_lib.products.kit.labels import COLUMN_LABELS

pytestmark = [pytest.mark.notebook, pytest.mark.integration, pytest.mark.slow]

PRODUCTS = ("panorama", "scoreboard", "sector_report", "smart_specialisation", "scorecard")
# What a notebook printout shows and a publication never does.
ARTEFACTS = {
    "papermill": re.compile(r"papermill", re.IGNORECASE),
    "notebook": re.compile(r"\.ipynb|\bnotebook\b", re.IGNORECASE),
    "pandas shape": re.compile(r"\d+\s+rows\s*[x×]\s*\d+\s+columns"),
    "prompt": re.compile(r"\b(In|Out)\s*\[\d*\]"),
    "traceback": re.compile(r"Traceback|Error:"),
    "missing as NaN": re.compile(r"\bNaN\b|<NA>|\bNaT\b|\bnan\b"),
    "Python literal": re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|dtype"),
    "code": re.compile(r"\bimport\s+\w|display\(|\bdef\s+\w+\("),
}
NOTEBOOK_HEADINGS = {"load", "compute", "present", "parameters", "setup", "imports"}
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


class _Page(HTMLParser):
    """The text a reader sees, the headings, and each table's column headers."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.headings: list[str] = []
        self.column_headers: list[str] = []
        self.classes: set[str] = set()
        self._skip = 0
        self._heading: list[str] | None = None
        self._header: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.classes.update((attributes.get("class") or "").split())
        if tag in ("style", "script"):
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = []
        elif tag == "th" and attributes.get("scope") == "col":
            self._header = []

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None
        elif tag == "th" and self._header is not None:
            self.column_headers.append(_words("".join(self._header)))
            self._header = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        for collector in (self._heading, self._header):
            if collector is not None:
                collector.append(data)


def _words(text: str) -> str:
    """Text with its spaces (no-break ones too) and word joiners normalised."""
    return " ".join(text.replace("\u2060", "").split())


def _page(path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} (poppler-utils) is needed to read the PDFs: apt-get install it")
    return path


def _pdf_text(path) -> str:
    return subprocess.run(
        [_poppler("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _pdf_info(path) -> str:
    return subprocess.run(
        [_poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout


def _dataset_codes(store) -> set[str]:
    """Eurostat's online data codes (``sbs_r_nuts06_r2``): snake_case, and rightly printed."""
    codes = store.provenance["dataset_code"].astype("str").str.split(",").explode()
    return set(codes.str.strip())


def _artefacts(text: str, allowed: set[str]) -> list[str]:
    found = [f"{name}: {m.group(0)!r}" for name, rx in ARTEFACTS.items() if (m := rx.search(text))]
    names = sorted(set(SNAKE_CASE.findall(text)) - allowed)
    return found + [f"snake_case name: {name!r}" for name in names[:10]]


@pytest.mark.parametrize("product", PRODUCTS)
def test_html_shows_no_notebook_machinery(rendered_publications, built_store, product):
    html_path = rendered_publications[product]["html"]
    page = _page(html_path)
    text = " ".join(page.text)
    assert not _artefacts(text, _dataset_codes(built_store)), _artefacts(
        text, _dataset_codes(built_store)
    )
    assert not {h.lower() for h in page.headings} & NOTEBOOK_HEADINGS, page.headings
    assert not {"dataframe", "input_area", "jp-InputArea", "output_stream", "output_error"} & (
        page.classes
    )


@pytest.mark.parametrize("product", PRODUCTS)
def test_pdf_text_shows_no_notebook_machinery(rendered_publications, built_store, product):
    text = _pdf_text(rendered_publications[product]["pdf"])
    found = _artefacts(text, _dataset_codes(built_store))
    assert not found, found


@pytest.mark.parametrize("product", PRODUCTS)
def test_every_column_header_comes_from_the_label_table(rendered_publications, product):
    headers = _page(rendered_publications[product]["html"]).column_headers
    assert headers, "the publication has tables"
    known = {_words(label.header) for label in COLUMN_LABELS.values()}
    assert set(headers) <= known, sorted(set(headers) - known)


@pytest.mark.parametrize("product", PRODUCTS)
def test_pdf_is_tagged_titled_and_carries_its_running_head(rendered_publications, product):
    pdf = rendered_publications[product]["pdf"]
    info = _pdf_info(pdf)
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE), info
    title = re.search(r"^Title:\s+(.+)$", info, re.MULTILINE).group(1)
    assert title == re.search(
        r"<title>(.*?)</title>", rendered_publications[product]["html"].read_text(encoding="utf-8")
    ).group(1).replace("&amp;", "&")
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))
    text = _pdf_text(pdf)
    assert f"Page {pages} of {pages}" in text
    assert "NUTS 2016" in text
    if pages > 4:  # reports over four pages open with their contents
        assert "Contents" in text.split("\f")[0]


def test_the_sector_report_is_titled_by_its_sector(rendered_publications):
    html = rendered_publications["sector_report"]["html"].read_text(encoding="utf-8")
    assert re.search(r"<h1>Automotive</h1>", html)
    assert "<title>Automotive – Priority sector report</title>" in html
    first_page = _pdf_text(rendered_publications["sector_report"]["pdf"]).split("\f")[0]
    assert "Automotive" in first_page
    assert "priority sector report" in first_page.lower()  # the style sheet sets it in capitals


def test_the_scorecard_stays_within_five_pages(rendered_publications):
    # The house target is 3-4 pages (docs/publication style); with the change part (issue 12),
    # where next and the policy dashboard (issue 15) a region's scorecard runs to five pages
    # with its contents: the gap is open in issue 13. This bound keeps it from growing further.
    info = _pdf_info(rendered_publications["scorecard"]["pdf"])
    assert int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1)) <= 5


@pytest.mark.parametrize("product", PRODUCTS)
def test_every_figure_has_alt_text_and_a_numbered_caption(rendered_publications, product):
    html = rendered_publications[product]["html"].read_text(encoding="utf-8")
    images = re.findall(r"<img [^>]*>", html)
    assert images
    for image in images:
        alt = re.search(r'alt="([^"]*)"', image)
        assert alt and len(alt.group(1)) > 20 and alt.group(1) != "Chart", image[:120]
    captions = re.findall(r"<figcaption><strong>Figure (\d+)\.", html)
    assert [int(n) for n in captions] == list(range(1, len(captions) + 1))


def test_the_smart_specialisation_report_names_the_czech_regions_and_its_sources(
    rendered_publications,
):
    html = rendered_publications["smart_specialisation"]["html"].read_text(encoding="utf-8")
    title = "Smart specialisation in Europe's regions – Smart specialisation report"
    assert f"<title>{title}</title>" in html
    assert "Jihomoravský kraj (CZ064)" in html  # a real kraj, named as the source names it
    assert "Source: MPO, Národní RIS3 strategie" in html
    assert len(re.findall(r"<figcaption><strong>Figure \d+\.", html)) == 3
    findings = html.split("Key findings", 1)[1].split("</ul>", 1)[0]
    assert "are the most related (proximity" in findings
    assert "priorities in the Czech regional RIS3 strategies" in findings

"""render: static HTML without code or CDN references, and an A4 PDF, from an executed notebook."""

import base64
import io
import os
import re
import shutil
import subprocess

import nbformat
import pypdf
import pytest
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from observatory_lib.runtime.records import DOCUMENT_MIME, RECORD_MIME
from observatory_lib.runtime.render import (
    RenderError,
    css_string,
    find_external_references,
    pdf_engine,
    render_html,
    render_pdf,
)

# Both PDF engines print the same reports: Chromium where one is installed (CI, this
# machine), WeasyPrint without it.
ENGINES = ["chromium", "weasyprint"]


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    """Each PDF test once per engine."""
    monkeypatch.setenv("OBSERVATORY_PDF_ENGINE", request.param)
    if request.param == "chromium" and pdf_engine() != "chromium":  # pragma: no cover
        pytest.skip("no Chromium installed")
    return request.param


SECRET_CODE = "very_secret_variable_name = 42"


def _png() -> str:
    fig = Figure(figsize=(3, 2))  # no pyplot: no backend, no global figure registry
    fig.subplots().bar(["a", "b"], [1, 2])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def _executed_notebook(extra_html: str = "") -> nbformat.NotebookNode:
    table = "<table class='dataframe'><tr><th>region</th><td>Stuttgart</td></tr></table>"
    code = new_code_cell(SECRET_CODE, execution_count=1)
    code.outputs = [
        new_output("stream", name="stdout", text="computed the table\n"),
        new_output("execute_result", data={"text/html": table + extra_html}, execution_count=1),
        new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
        new_output(
            "display_data",
            data={RECORD_MIME: {"region_code": "DE11"}, "text/plain": "Observatory record (1)"},
        ),
    ]
    return new_notebook(
        cells=[new_markdown_cell("# Scorecard for Stuttgart\n\nSome *context*."), code],
        metadata={"language_info": {"name": "python"}},
    )


def test_html_has_outputs_but_no_code_prompts_record_or_anchor_links():
    html = render_html(_executed_notebook(), "Scorecard DE11")
    assert "<title>Scorecard DE11</title>" in html
    assert "Scorecard for Stuttgart" in html
    assert "Stuttgart</td>" in html
    assert "computed the table" in html
    assert "data:image/png;base64," in html
    assert SECRET_CODE not in html and "very_secret_variable_name" not in html
    assert "In&nbsp;[" not in html and "Out[" not in html
    assert "Observatory record" not in html
    assert "¶" not in html
    assert 'alt="Chart"' in html  # figures get alternative text, so nbconvert does not warn


def test_html_loads_nothing_from_the_network():
    html = render_html(_executed_notebook(), "Scorecard DE11")
    assert find_external_references(html) == []
    assert not re.search(r"<script\b", html, re.IGNORECASE)
    assert not re.search(r"<link\b", html, re.IGNORECASE)
    for name in ("require.js", "mathjax", "mermaid", "cdn", "jsdelivr", "cdnjs", "http://"):
        assert name not in html.lower(), name
    assert "@page" in html and "A4" in html  # the print stylesheet is inline


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.jsdelivr.net/npm/x.js"></script>',
        "<link rel='stylesheet' href='//cdnjs.cloudflare.com/a.css'>",
        '<img src="http://example.org/map.png">',
        '<iframe src = "https://example.org"></iframe>',
    ],
)
def test_external_references_are_found(snippet):
    assert find_external_references(f"<p>x</p>{snippet}") != []


def test_inline_and_data_references_are_not_external():
    html = '<img src="data:image/png;base64,AAAA"><a href="https://example.org">source</a>'
    assert find_external_references(html) == []


def test_an_output_that_would_load_a_cdn_script_is_refused():
    notebook = _executed_notebook('<script src="https://cdn.example.org/widget.js"></script>')
    with pytest.raises(RenderError, match="from the network"):
        render_html(notebook, "Scorecard DE11")


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} (poppler-utils) is missing in CI: apt-get install poppler-utils")
        pytest.skip(f"{tool} not installed: apt-get install poppler-utils to check PDF text")
    return path


def test_pdf_is_a4_and_contains_the_notebook_text(tmp_path):
    html = render_html(_executed_notebook(), "Scorecard DE11")
    target = tmp_path / "DE11.pdf"
    assert render_pdf(html, target) is None
    assert target.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        [_poppler("pdftotext"), str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Scorecard for Stuttgart" in text
    assert "Stuttgart" in text and "computed the table" in text
    assert "very_secret_variable_name" not in text
    info = subprocess.run(
        [_poppler("pdfinfo"), str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert "(A4)" in info


def test_pdf_to_bytes_when_no_target():
    pdf = render_pdf(render_html(_executed_notebook(), "x"))
    assert pdf.startswith(b"%PDF")


# --- publications: the document's title, analysts' cells, contents, tagged PDF ---------------

DOCUMENT = {
    "title": "Automotive – Priority sector report",
    "subtitle": "NUTS 2 regions, 2015",
    "running_head": "Priority sector report: Automotive · NUTS 2016 · data 2015",
    "lang": "en",
    "toc": True,
}


def _publication(sections: int = 2, paragraphs: int = 1) -> nbformat.NotebookNode:
    """A report notebook: an analysts' cell, the document fields, then its sections."""
    analysts = new_markdown_cell("## Load\n\nRun with `papermill sector_report.ipynb out.ipynb`")
    analysts.metadata["tags"] = ["hide-in-report"]
    code = new_code_cell("show(publication)", execution_count=1)
    body = "".join(
        f"<h2>Section {n}</h2>" + "<p>Regional employment in the category. </p>" * paragraphs
        for n in range(1, sections + 1)
    )
    code.outputs = [
        new_output("display_data", data={DOCUMENT_MIME: DOCUMENT, "text/plain": ""}),
        new_output(
            "display_data",
            data={"text/html": f"<header><h1>Automotive</h1></header>{body}"},
        ),
    ]
    return new_notebook(cells=[analysts, code], metadata={"language_info": {"name": "python"}})


def _pdf_text(target, *options: str) -> str:
    return subprocess.run(
        [_poppler("pdftotext"), *options, str(target), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_html_takes_the_documents_title_and_language_and_drops_analysts_cells():
    html = render_html(_publication(), "sector_report automotive")
    assert "<title>Automotive – Priority sector report</title>" in html
    assert '<html lang="en">' in html
    assert DOCUMENT["running_head"] in html
    assert "papermill" not in html and ">Load<" not in html
    assert DOCUMENT_MIME not in html and '"toc"' not in html


def test_short_pdf_is_tagged_titled_with_running_head_and_page_numbers(tmp_path, engine):
    target = tmp_path / "automotive.pdf"
    render_pdf(render_html(_publication(), "x"), target)
    info = subprocess.run(
        [_poppler("pdfinfo"), str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE), info
    assert re.search(r"^Title:\s+Automotive – Priority sector report$", info, re.MULTILINE)
    text = _pdf_text(target)
    assert "Page 1 of 1" in text
    assert DOCUMENT["running_head"] in text
    assert "Contents" not in text  # one page: no table of contents
    assert pypdf.PdfReader(target).trailer["/Root"]["/Lang"] == "en"


def test_long_pdf_gets_a_table_of_contents_with_page_numbers(tmp_path, engine):
    target = tmp_path / "long.pdf"
    render_pdf(render_html(_publication(sections=8, paragraphs=60), "x"), target)
    first_page = _pdf_text(target, "-layout", "-l", "1")
    assert "Contents" in first_page
    # every section is listed with the page it starts on
    for n in range(1, 9):
        assert re.search(rf"Section {n}\W+\d+", first_page), first_page
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                [_poppler("pdfinfo"), str(target)], capture_output=True, text=True, check=True
            ).stdout,
        ).group(1)
    )
    assert pages >= 5
    assert f"Page {pages} of {pages}" in _pdf_text(target, "-f", str(pages))
    assert DOCUMENT["running_head"] in _pdf_text(target, "-f", "2", "-l", "2")


def _contents_pages(target) -> dict[int, int]:
    first_page = _pdf_text(target, "-layout", "-l", "1")
    return {int(n): int(page) for n, page in re.findall(r"Section (\d+)\W+(\d+)", first_page)}


def _section_pages(target) -> dict[int, int]:
    """The page each section heading is printed on (on page 1, beside its contents entry)."""
    found = {}
    for page in range(1, len(pypdf.PdfReader(target).pages) + 1):
        text = _pdf_text(target, "-f", str(page), "-l", str(page))
        seen = re.findall(r"^Section (\d+)\b", text, re.MULTILINE)
        for n in set(seen):
            if page > 1 or seen.count(n) > 1:
                found.setdefault(int(n), page)
    return found


def test_contents_numbers_are_right_whatever_the_document_printed_before(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_PDF_ENGINE", "chromium")
    if pdf_engine() != "chromium":  # pragma: no cover
        pytest.skip("no Chromium installed")
    from observatory_lib.runtime import pdf_chromium

    prints = []
    original = pdf_chromium.ChromiumPrinter.print_pdf
    monkeypatch.setattr(
        pdf_chromium.ChromiumPrinter,
        "print_pdf",
        lambda self, html, **options: prints.append(options) or original(self, html, **options),
    )
    short, long = (render_html(_publication(8, n), "x") for n in (40, 70))
    for name, html in (("short", short), ("long", long), ("again", short), ("same", short)):
        prints.clear()
        render_pdf(html, tmp_path / f"{name}.pdf")
        contents = _contents_pages(tmp_path / f"{name}.pdf")
        assert contents == _section_pages(tmp_path / f"{name}.pdf") and len(contents) == 8, name
    assert prints == [{}]  # the same sections on the same pages as the last one: one print


def test_the_pdf_engine_is_chosen_by_the_variable_else_by_what_is_installed(monkeypatch, tmp_path):
    monkeypatch.setenv("OBSERVATORY_PDF_ENGINE", "weasyprint")
    assert pdf_engine() == "weasyprint"
    monkeypatch.setenv("OBSERVATORY_PDF_ENGINE", "")
    monkeypatch.setenv("OBSERVATORY_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert pdf_engine() == "weasyprint"  # no Chromium: WeasyPrint prints
    fake = tmp_path / "chromium"
    fake.write_text("")
    monkeypatch.setenv("OBSERVATORY_CHROMIUM", str(fake))
    assert pdf_engine() == "chromium"


def test_a_wrong_pdf_engine_setting_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("OBSERVATORY_PDF_ENGINE", "acrobat")
    with pytest.raises(RenderError, match="not a PDF engine; use one of chromium, weasyprint"):
        pdf_engine()
    monkeypatch.setenv("OBSERVATORY_PDF_ENGINE", "chromium")
    monkeypatch.setenv("OBSERVATORY_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(RenderError, match="no Chromium was found; install it"):
        pdf_engine()


def test_css_strings_are_quoted_and_cannot_close_the_style_element():
    assert css_string('Zuid-Holland "NL33"') == '"Zuid-Holland \\"NL33\\""'
    assert "</style>" not in css_string("</style><script>")
    assert css_string("a\\b\nc") == '"a\\\\b c"'

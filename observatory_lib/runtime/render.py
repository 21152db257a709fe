"""Render an executed notebook to a static HTML page and an A4 PDF, offline.

HTML comes from nbconvert's Python API (never the CLI: its import alone costs ~2 s per call)
with the ``observatory`` template in ``runtime/templates/``: code hidden, no prompts, no
anchor links, cells tagged ``hide-in-report`` left out entirely (the notebook's notes for
analysts: how to run it, its Load/Compute/Present headings), an inline stylesheet, and no
script or stylesheet from the internet (the stock templates load require.js, MathJax and
mermaid from CDNs). The page's title, language and running head come from the document fields
the notebook published (``records.publish_document``), else its first heading.

The PDF is printed by headless Chromium (``pdf_chromium``: a third of WeasyPrint's CPU on the
five-page scorecard) when one is installed (``paths.chromium_executable``), else by
WeasyPrint; ``OBSERVATORY_PDF_ENGINE`` (``chromium`` or ``weasyprint``) chooses explicitly.
Both write tagged PDFs (structure tree of headings, tables and figures with their alt text;
title and language in the metadata) from the same print stylesheet, whose running head and
footer title the template writes into the page's ``@page`` rule as text. A document that
asks for a table of contents gets one, with page numbers, when with it the PDF runs over
four pages (``TOC_MIN_PAGES``): it is printed with the contents to count its pages, then
again, with the page numbers written in (Chromium, which cannot compute them) or without the
contents (shorter reports; WeasyPrint resolves the numbers itself). Neither engine reaches
the network: WeasyPrint's URL fetcher only accepts ``data:`` URLs, Chromium runs offline
without JavaScript. One exporter and one browser are built per process and reused.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from pathlib import Path
from typing import Any

from observatory_lib import paths
from observatory_lib.errors import ObservatoryError

TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "observatory"
TOC_MIN_PAGES = 5  # "over four pages"
PDF_ENGINES = ("chromium", "weasyprint")
_HEADING_2 = re.compile(r"<h2(?P<attributes>[^>]*)>(?P<text>.*?)</h2>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_TOC_MARK = "<!-- observatory:toc -->"
# section headings -> the page each link target was on, in the last document printed here
_LAST_PAGES: dict[tuple[str, ...], dict[str, int]] = {}
_EXTERNAL_REFERENCE = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)


class RenderError(ObservatoryError):
    """A notebook could not be rendered to HTML or PDF."""


@functools.cache
def html_exporter():
    """The process-wide HTML exporter (built once: the first export costs ~0.25 s)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_ROOT)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        # nothing that points at a CDN, even if a template block asked for it
        mathjax_url="",
        require_js_url="",
        mermaid_js_url="",
        widget_renderer_url="",
    )


def render_html(nb: Any, title: str) -> str:
    """Render an executed notebook to one self-contained HTML page without code.

    Args:
        nb: The executed notebook (``nbformat.NotebookNode``).
        title: The page title when the notebook published no document title.

    Returns:
        The HTML text; figures are embedded as data URLs.

    Raises:
        RenderError: When nbconvert fails, or the page would load anything from the network.
    """
    from observatory_lib.runtime.records import extract_document

    document = {"lang": "en", "running_head": "", "toc": False, **extract_document(nb)}
    document["title"] = document.get("title") or title
    document["page_head_css"] = css_string(document.get("running_head") or "")
    document["page_foot_css"] = css_string(document["title"])
    resources = {"metadata": {"name": document["title"]}, "observatory_document": document}
    try:
        html, _ = html_exporter().from_notebook_node(nb, resources=resources)
    except Exception as error:  # nbconvert raises template and filter errors of many types
        raise RenderError(f"Could not render {title!r} to HTML: {error}") from error
    external = find_external_references(html)
    if external:
        raise RenderError(
            f"The HTML of {title!r} would load {external[0]!r} from the network; "
            "draw the output as a static image (e.g. matplotlib) instead of a widget or script."
        )
    return html


def find_external_references(html: str) -> list[str]:
    """The tags of ``html`` that would fetch a script, stylesheet, image or frame by URL."""
    return [match.group(0) for match in _EXTERNAL_REFERENCE.finditer(html)]


def pdf_engine() -> str:
    """The PDF engine: ``OBSERVATORY_PDF_ENGINE``, else Chromium when installed, else WeasyPrint.

    Raises:
        RenderError: When the variable names an unknown engine, or Chromium and none is found.
    """
    chosen = os.environ.get("OBSERVATORY_PDF_ENGINE", "").strip().lower()
    if chosen and chosen not in PDF_ENGINES:
        raise RenderError(
            f"OBSERVATORY_PDF_ENGINE={chosen!r} is not a PDF engine; use one of "
            f"{', '.join(PDF_ENGINES)} (or leave it unset to choose by what is installed)."
        )
    if chosen == "weasyprint":
        return chosen
    if paths.chromium_executable() is None:
        if chosen == "chromium":
            raise RenderError(
                "OBSERVATORY_PDF_ENGINE=chromium but no Chromium was found; install it "
                "(e.g. apt install chromium) or point OBSERVATORY_CHROMIUM at its executable."
            )
        return "weasyprint"
    return "chromium"


def render_pdf(html: str, target: str | Path | None = None) -> bytes | None:
    """Render ``html`` as a tagged A4 PDF (the page size comes from the template's stylesheet).

    Args:
        html: A page from ``render_html``; one that holds the table-of-contents mark gets its
            contents when it runs over four pages.
        target: The PDF file to write (the caller makes the write atomic); None returns
            the PDF as bytes instead.

    Returns:
        The PDF bytes when ``target`` is None, else None.

    Raises:
        RenderError: When the engine cannot lay out or write the document.
    """
    name = Path(target).name if target is not None else "document"
    engine = pdf_engine()
    try:
        pdf = _print_chromium(html) if engine == "chromium" else _print_weasyprint(html)
    except Exception as error:  # layout and browser errors surface as many exception types
        raise RenderError(f"Could not write the PDF {name} ({engine}): {error}") from error
    if target is None:
        return pdf
    Path(target).write_bytes(pdf)
    return None


def _print_chromium(html: str) -> bytes:
    from observatory_lib.runtime import pdf_chromium

    printer = pdf_chromium.printer(paths.chromium_executable())
    if _TOC_MARK not in html:
        return printer.print_pdf(html)
    # Chromium does not resolve target-counter(): the contents' page numbers are written in
    # as text, then checked against the printed PDF (the page each section's link target is
    # on) and printed again until they agree. The first numbers are those of the last
    # document with the same sections in this process (the batch's scorecards mostly agree:
    # one print); without them, a draft with the numbers held open (the same layout).
    sections = tuple(match.group("text") for match in _HEADING_2.finditer(html))
    numbers = _LAST_PAGES.get(sections)
    if numbers is None:
        pdf = printer.print_pdf(with_table_of_contents(html, {}), draft=True)
    else:
        pdf = printer.print_pdf(with_table_of_contents(html, numbers))
    if pdf_chromium.page_count(pdf) < TOC_MIN_PAGES:
        return printer.print_pdf(html)
    found = pdf_chromium.destination_pages(pdf)
    for _ in range(3):
        if found == numbers:
            break
        numbers = found
        pdf = printer.print_pdf(with_table_of_contents(html, numbers))
        found = pdf_chromium.destination_pages(pdf)
    _LAST_PAGES.clear()  # one entry: a batch prints one kind of document at a time
    _LAST_PAGES[sections] = numbers
    return pdf


def _print_weasyprint(html: str) -> bytes:
    if _TOC_MARK in html:
        document = _layout(with_table_of_contents(html))
        if len(document.pages) < TOC_MIN_PAGES:
            document = _layout(html)
    else:
        document = _layout(html)
    return document.write_pdf(pdf_tags=True)


def _layout(html: str):
    import weasyprint

    # WeasyPrint logs every CSS rule it does not support; the report does not need them
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    return document.render(font_config=_font_config(), pdf_tags=True)


def with_table_of_contents(html: str, page_numbers: dict[str, int] | None = None) -> str:
    """``html`` with a table of contents of its second-level headings at the contents mark.

    Each heading gets an id and each entry links to it. Without ``page_numbers`` the print
    stylesheet adds each entry's page number (``target-counter``, WeasyPrint); with them
    (heading id -> page) the numbers are written in as text, for engines without it.
    """
    entries = []
    counter = iter(range(1, 10_000))

    def anchor(match: re.Match) -> str:
        attributes = match.group("attributes")
        if 'id="' in attributes:
            identifier = re.search(r'id="([^"]+)"', attributes).group(1)
        else:
            identifier = f"section-{next(counter)}"
            attributes = f' id="{identifier}"{attributes}'
        text = _TAG.sub("", match.group("text")).strip()
        if text and text != "Contents":
            entries.append((identifier, text))
        return f"<h2{attributes}>{match.group('text')}</h2>"

    anchored = _HEADING_2.sub(anchor, html)
    numbered = page_numbers is not None
    items = "".join(
        f'<li><a class="observatory-toc-entry" href="#{identifier}">{_escape(text)}</a>'
        + (_page_number(page_numbers.get(identifier)) if numbered else "")
        + "</li>"
        for identifier, text in entries
    )
    classes = "observatory-toc observatory-toc-numbered" if numbered else "observatory-toc"
    contents = (
        f'<nav class="{classes}" aria-labelledby="toc-heading">'
        f'<h2 id="toc-heading">Contents</h2><ol>{items}</ol></nav>'
    )
    # the contents follow the document's title block (its first header), else the mark
    anchored = anchored.replace(_TOC_MARK, "", 1)
    end = anchored.find("</header>")
    if end < 0:  # no title block: the contents open the page
        end = anchored.find(">", anchored.find("<main")) + 1
    else:
        end += len("</header>")
    return anchored[:end] + contents + anchored[end:]


def _page_number(page: int | None) -> str:
    """A contents entry's dotted leader and page number (none when the page is unknown)."""
    return (
        '<span class="observatory-toc-leader" aria-hidden="true"></span>'
        f'<span class="observatory-toc-page">{page if page is not None else ""}</span>'
    )


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside a ``<style>`` element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return '"' + escaped.replace("<", "\\3C ").replace(">", "\\3E ") + '"'


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)


@functools.cache
def _font_config():
    """One font configuration per process: building it costs ~15 ms per document."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def warm_up() -> None:
    """Pay the first-use costs (template compilation, the browser's launch or WeasyPrint's
    font discovery) before the first job."""
    import nbformat.v4

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Warm-up")])
    render_pdf(render_html(nb, "warm-up"))

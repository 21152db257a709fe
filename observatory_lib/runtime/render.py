"""Render an executed notebook to a static HTML page and an A4 PDF, offline.

HTML comes from nbconvert's Python API (never the CLI: its import alone costs ~2 s per call)
with the ``observatory`` template in ``runtime/templates/``: code hidden, no prompts, no
anchor links, an inline print stylesheet, and no script or stylesheet from the internet
(the stock templates load require.js, MathJax and mermaid from CDNs). The PDF is WeasyPrint
on that HTML; its URL fetcher only accepts ``data:`` URLs, so rendering never waits on the
network. One exporter is built per process and reused.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

from observatory_lib.errors import ObservatoryError

TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "observatory"
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
        title: The page title.

    Returns:
        The HTML text; figures are embedded as data URLs.

    Raises:
        RenderError: When nbconvert fails, or the page would load anything from the network.
    """
    try:
        html, _ = html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
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


def render_pdf(html: str, target: str | Path | None = None) -> bytes | None:
    """Render ``html`` as an A4 PDF (the page size comes from the template's stylesheet).

    Args:
        html: A page from ``render_html``.
        target: The PDF file to write (the caller makes the write atomic); None returns
            the PDF as bytes instead.

    Returns:
        The PDF bytes when ``target`` is None, else None.

    Raises:
        RenderError: When WeasyPrint cannot lay out or write the document.
    """
    import weasyprint

    # WeasyPrint logs every CSS rule it does not support; the report does not need them
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    try:
        document = weasyprint.HTML(string=html, url_fetcher=fetcher)
        return document.write_pdf(
            target=str(target) if target is not None else None, font_config=_font_config()
        )
    except Exception as error:  # layout errors surface as many exception types
        name = Path(target).name if target is not None else "document"
        raise RenderError(f"Could not write the PDF {name}: {error}") from error


@functools.cache
def _font_config():
    """One font configuration per process: building it costs ~15 ms per document."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def warm_up() -> None:
    """Pay the first-use costs (template compilation, font discovery) before the first job."""
    import nbformat.v4

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Warm-up")])
    render_pdf(render_html(nb, "warm-up"))

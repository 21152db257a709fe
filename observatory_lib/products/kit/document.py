"""A published document's parts: title block, key findings, numbered tables and figures.

Every report notebook makes one ``Document`` and displays what its methods return, in
reading order: ``title_block`` (the title names the subject: a sector report is titled by its
sector), ``key_findings`` (sentences the product writes from its numbers), ``section``,
``table`` and ``figure`` (numbered in order, with a caption, units, a source line and notes;
a figure has alt text and is paired with a table or a download of its numbers) and
``methods_and_sources``. ``title_block`` also tells the renderer the document's title and
running head (``runtime.records.publish_document``), so the HTML and the PDF are titled by the
subject and every PDF page carries the title, the NUTS edition and the data vintage.
"""

from __future__ import annotations

import base64
import functools
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.products.kit.labels import label_for
from observatory_lib.products.kit.tables import TableSpec, publication_table
from observatory_lib.runtime.records import publish_document

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OBSERVATORY = "European Cluster Observatory"
CALCULATIONS = "European Cluster Observatory calculations"


MAX_CODES_IN_SOURCE = 4  # more codes make a source line longer than the figure's note


def source_line(dataset_codes: Iterable[str], *, calculations: bool = True) -> str:
    """``Source: Eurostat (online data codes: a, b); European Cluster Observatory calculations.``

    With more than ``MAX_CODES_IN_SOURCE`` datasets the line points to the methods and sources
    section, which lists them all.
    """
    codes = sorted({str(code) for code in dataset_codes if code and str(code) != "nan"})
    if not codes:
        text = "Source: Eurostat"
    elif len(codes) > MAX_CODES_IN_SOURCE:
        text = f"Source: Eurostat ({len(codes)} datasets, listed under Methods and sources)"
    else:
        noun = "code" if len(codes) == 1 else "codes"
        text = f"Source: Eurostat (online data {noun}: {', '.join(codes)})"
    return f"{text}; {CALCULATIONS}." if calculations else f"{text}."


@dataclass
class Document:
    """One publication being written: its identity and its figure and table counters.

    Attributes:
        title: the subject (``Automotive``, ``European Cluster Panorama``, a region's name).
        kind: what the document is (``Priority sector report``).
        subtitle: scope in a few words (``NUTS 2 regions, 2015, star rule set eco2008``).
        running_head: the line at the top of every PDF page (edition and vintage).
        facts: label -> value pairs printed under the title (NUTS edition, data vintage...).
        toc: a table of contents when the PDF runs over four pages.
    """

    title: str
    kind: str
    subtitle: str = ""
    running_head: str = ""
    facts: Mapping[str, str] = field(default_factory=dict)
    toc: bool = True
    lang: str = "en"
    _tables: int = 0
    _figures: int = 0

    @property
    def next_table_number(self) -> int:
        """The number the next ``table`` gets (a figure can name the table of its values)."""
        return self._tables + 1

    # --- blocks ---------------------------------------------------------------------------

    def title_block(self):
        """The document's opening: kind, title, subtitle and facts; tells the renderer too."""
        publish_document(
            title=f"{self.title} – {self.kind}" if self.kind else self.title,
            subtitle=self.subtitle,
            running_head=self.running_head or f"{self.kind}: {self.title}",
            lang=self.lang,
            toc=self.toc,
        )
        facts = "".join(
            f"<div><dt>{_e(label)}</dt><dd>{_e(value)}</dd></div>"
            for label, value in self.facts.items()
        )
        parts = [
            '<header class="observatory-title-block">',
            f'<p class="observatory-kind">{_e(self.kind)}</p>' if self.kind else "",
            f"<h1>{_e(self.title)}</h1>",
            f'<p class="observatory-subtitle">{_e(self.subtitle)}</p>' if self.subtitle else "",
            f'<dl class="observatory-facts">{facts}</dl>' if facts else "",
            "</header>",
        ]
        return _html("".join(parts))

    def key_findings(self, sentences: Sequence[str], heading: str = "Key findings"):
        """A short list of findings, each a sentence the product wrote from its numbers."""
        items = "".join(f"<li>{_inline(sentence)}</li>" for sentence in sentences if sentence)
        return _html(
            f'<section class="observatory-key-findings" aria-label="{_e(heading)}">'
            f"<h2>{_e(heading)}</h2><ul>{items}</ul></section>"
        )

    def section(self, title: str, *paragraphs: str):
        """A section heading and its introductory paragraphs (Markdown, escaped)."""
        return _html(f"<h2>{_e(title)}</h2>{markdown_html(*paragraphs)}")

    def subsection(self, title: str, *paragraphs: str):
        """A subsection heading and its paragraphs (Markdown, escaped)."""
        return _html(f"<h3>{_e(title)}</h3>{markdown_html(*paragraphs)}")

    def text(self, *paragraphs: str):
        """Paragraphs of Markdown text (raw HTML in them is escaped)."""
        return _html(markdown_html(*paragraphs))

    # --- numbered tables and figures ----------------------------------------------------------

    def table(
        self,
        frame: pd.DataFrame,
        spec: TableSpec,
        *,
        title: str,
        subtitle: str = "",
        source: str = "",
        notes: Sequence[str] = (),
        flags: Mapping[str, pd.Series] | None = None,
        full_table: str = "",
    ):
        """The next numbered table (``Table 3. title``), see ``tables.publication_table``."""
        if frame.empty:
            return _html(f'<p class="observatory-empty">{_e(spec.empty_text)}</p>')
        self._tables += 1
        body = publication_table(
            frame,
            spec,
            key=f"table-{self._tables}",
            title=f"Table {self._tables}. {title}",
            subtitle=subtitle,
            source=source,
            notes=notes,
            flags=flags,
            full_table=full_table,
        )
        return _html(f'<div class="observatory-table">{body}</div>')

    def figure(
        self,
        figure: Figure | bytes | None,
        *,
        title: str,
        alt: str,
        subtitle: str = "",
        source: str = "",
        notes: Sequence[str] = (),
        data: str = "",
        missing: str = "",
    ):
        """The next numbered figure: caption above, image with alt text, notes and source below.

        Args:
            figure: a matplotlib figure or PNG bytes; None when the figure cannot be drawn
                (``missing`` then says why, and the number is still given).
            title: what, breakdown, when, without a final full stop.
            alt: the chart type and its key message, for readers who do not see it.
            subtitle: the unit and the definition.
            source: the source line.
            notes: notes on exceptions and flags.
            data: where the figure's numbers are (a table number or a download).
        """
        self._figures += 1
        caption = f"Figure {self._figures}. {title}"
        if figure is None:
            image = f'<p class="observatory-empty">{_e(missing or "Not available.")}</p>'
        else:
            png = figure if isinstance(figure, bytes) else _png(figure)
            encoded = base64.b64encode(png).decode("ascii")
            image = f'<img src="data:image/png;base64,{encoded}" alt="{_e(alt)}">'
        footer = [f"<p>Note: {_e(note)}</p>" for note in notes if note]
        if data:
            footer.append(f"<p>{_e(data)}</p>")
        if source:
            footer.append(f'<p class="observatory-source">{_e(source)}</p>')
        subtitle_html = f'<span class="observatory-figure-subtitle">{_e(subtitle)}</span>'
        return _html(
            '<figure class="observatory-figure">'
            f"<figcaption><strong>{_e(caption)}</strong>"
            f"{subtitle_html if subtitle else ''}</figcaption>"
            f"{image}"
            f'<div class="observatory-figure-notes">{"".join(footer)}</div>'
            "</figure>"
        )

    def methods_and_sources(
        self, methods: Sequence[str], sources: pd.DataFrame | None, attribution: Sequence[str]
    ):
        """The closing section: methods (Markdown paragraphs), the datasets, attribution.

        Args:
            methods: paragraphs of Markdown.
            sources: ``provenance.compact_provenance_table`` rows (one per dataset), shown as
                a table; None when the paragraphs name the datasets already (a short document).
            attribution: the lines that must travel with the data.
        """
        if sources is None:
            return _html(
                '<section class="observatory-methods" aria-labelledby="methods-and-sources">'
                '<h2 id="methods-and-sources">Methods and sources</h2>'
                f"{markdown_html(*methods)}{''.join(f'<p>{_e(line)}</p>' for line in attribution)}"
                "</section>"
            )
        rows = "".join(
            "<tr>"
            f'<th scope="row">{_e(row.title)}</th><td>{_e(row.provider)}</td>'
            f"<td>{_e(_eurostat_code(row))}</td><td>{_e(row.vintage)}</td>"
            f"<td>{_e(_edition(row.nuts_edition))}</td>"
            "</tr>"
            for row in sources.itertuples(index=False)
        )
        headers = "".join(
            f'<th scope="col">{_e(label_for(column).header)}</th>' for column in _SOURCE_COLUMNS
        )
        table = (
            '<table class="observatory-sources"><caption>Datasets used</caption>'
            f"<thead><tr>{headers}</tr></thead><tbody>{rows}</tbody></table>"
        )
        credits = "".join(f"<p>{_e(line)}</p>" for line in attribution)
        return _html(
            '<section class="observatory-methods" aria-labelledby="methods-and-sources">'
            '<h2 id="methods-and-sources">Methods and sources</h2>'
            f"{markdown_html(*methods)}{table}{credits}</section>"
        )

    def row(self, *parts):
        """Display objects side by side (two maps, say), each taking an equal share."""
        inner = "".join(
            f'<div class="observatory-row-item">{part.data}</div>' for part in parts if part
        )
        return _html(f'<div class="observatory-row">{inner}</div>')


_SOURCE_COLUMNS = ("dataset", "provider", "online_data_code", "vintage", "nuts_edition")


def _eurostat_code(row) -> str:
    """A Eurostat dataset's online code; the ids of other inputs mean nothing to readers."""
    provider, code = str(row.provider), str(row.dataset_code).replace(",", ", ")
    is_eurostat = provider.startswith("Eurostat") and "GISCO" not in provider
    return code if is_eurostat and row.has_dataset_code else ""


def markdown_html(*paragraphs: str) -> str:
    """Paragraphs of Markdown as HTML; any raw HTML in them is escaped, not rendered."""
    return "".join(_markdown()(paragraph) for paragraph in paragraphs if paragraph)


def _inline(text: str) -> str:
    """One Markdown sentence as inline HTML (no paragraph around it)."""
    rendered = _markdown()(text).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>"):
        return rendered[3:-4]
    return rendered


@functools.cache
def _markdown():
    import mistune  # ships with nbconvert

    return mistune.create_markdown(escape=True)


def _edition(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _png(figure: Figure) -> bytes:
    from observatory_lib.products.kit.maps import figure_to_png_bytes

    return figure_to_png_bytes(figure, dpi=110)


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def _html(text: str):
    from IPython.display import HTML

    return HTML(text)


def cluster_report_facts(nuts_level: int, year: int, rule_set, vintage: str) -> dict[str, str]:
    """The title block's facts of a report on rated clusters (Panorama, sector reports): the
    regions and their edition, the reference year, the star rule set and the data's vintage."""
    return {
        "Regions": f"NUTS {nuts_level} (NUTS {STATISTICS_EDITION} classification)",
        "Reference year": str(year),
        "Stars": rule_set.label or rule_set.name,
        "Data": vintage,
    }

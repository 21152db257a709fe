"""The scorecard's printed sections: what each notebook cell displays, in reading order.

Each section is one display output (``figures.section_output``): every output of a notebook
becomes a few nested boxes in the PDF, so a section's text and table go out together. The
notebook's cells hold one or two of these calls each, and their tags (``side-by-side``,
``new-page``) place them on the A4 pages.
"""

from __future__ import annotations

from observatory_lib.products.region_scorecard.card import Scorecard
from observatory_lib.products.region_scorecard.figures import section_output, table_html

PORTFOLIO_INTRO = (
    "The ten leading traded categories by stars, then location quotient (LQ), then "
    "employment; the map above shows the strongest across Europe."
)
EMERGING_INTRO = (
    "Cross-sectoral, overlapping each other and the traded categories: stars, LQ, "
    "employment in persons (share of European employment)."
)


def key_facts_output(card: Scorecard):
    """The header, the peers and the key facts table."""
    return section_output(
        card.header_markdown(),
        "### Key facts",
        card.peers_markdown(),
        table_html(card.key_facts_table()),
    )


def clusters_output(card: Scorecard):
    """The cluster portfolio (compact table and its notes) and the emerging industries."""
    return section_output(
        "### Cluster portfolio",
        PORTFOLIO_INTRO,
        card.cluster_summary_markdown(),
        table_html(card.portfolio_table(compact=True)),
        card.portfolio_notes_markdown(),
        "### Emerging industries",
        EMERGING_INTRO,
        card.emerging_markdown(),
    )


def change_output(card: Scorecard):
    """The change over time of the leading clusters: how to read it, the table, its notes."""
    return section_output(
        "### Change over time",
        card.change_markdown(),
        table_html(card.change_table(), empty_text=""),
        card.change_notes_markdown(),
    )


def scoreboard_output(card: Scorecard):
    """The ecosystem scoreboard's headline: index, group, ranks and rank interval."""
    return section_output("### Ecosystem scoreboard", card.scoreboard_markdown())


def dimensions_output(card: Scorecard):
    """The dimension scores against the peers and the EU, then strengths and weaknesses."""
    return section_output(card.dimensions_markdown(), card.strengths_lines_markdown())


def provenance_output(card: Scorecard):
    """Data notes, the provenance footer and the methods note."""
    return section_output(card.notes_markdown(), card.provenance, card.methods_note)

"""The scorecard's printed sections: what each notebook cell displays, in reading order.

Each section is one display output (``figures.section_output``): every output of a notebook
becomes a few nested boxes in the PDF, so a section's text and table go out together. The
notebook's cells hold one or two of these calls each, and their tags (``side-by-side``,
``new-page``) place them on the A4 pages.
"""

from __future__ import annotations

from observatory_lib.products.region_scorecard.card import Scorecard
from observatory_lib.products.region_scorecard.figures import section_output, table_html
from observatory_lib.products.region_scorecard.where_next import POLICY_INTRO, WHERE_NEXT_INTRO

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


def scoreboard_output(card: Scorecard):
    """The ecosystem scoreboard's headline: index, group, ranks and rank interval."""
    return section_output("### Ecosystem scoreboard", card.scoreboard_markdown())


def dimensions_output(card: Scorecard):
    """The dimension scores against the peers and the EU, then strengths and weaknesses."""
    return section_output(card.dimensions_markdown(), card.strengths_lines_markdown())


def where_next_output(card: Scorecard):
    """The "where next" part: five opportunities, the related strengths, variety."""
    return section_output(
        "### Where next: diversification opportunities",
        WHERE_NEXT_INTRO if card.where_next.get("available") else "",
        table_html(card.where_next_table(), empty_text=""),
        card.where_next_markdown(),
    )


def policy_output(card: Scorecard):
    """The policy dashboard: the weakest dimensions and indicators with their policy areas."""
    return section_output(
        "### Policy dashboard",
        POLICY_INTRO if card.policy.get("available") else "",
        card.policy_markdown(),
        table_html(card.policy_table(), empty_text=""),
    )


def provenance_output(card: Scorecard):
    """Data notes, the provenance footer and the methods note."""
    return section_output(card.notes_markdown(), card.provenance, card.methods_note)

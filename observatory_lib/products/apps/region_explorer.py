"""The region explorer (``notebooks/apps/region_explorer.ipynb``).

One region's scorecard content, interactively: search a region by name or code, see its
cluster portfolio, its diversification opportunities (the categories where it is not yet
specialised, ranked by relatedness density, with the related strengths that support each and
the category's European size: the numbers of the scorecard's "where next") and its Regional
Ecosystem Scoreboard against its peers (the prepared default peers, or codes the visitor
types) and the EU average, with a chart (SVG, exportable as PNG) and the tables to download.
Everything comes from the prepared data: only the average of visitor-chosen peers is
computed in the kernel.
"""

from __future__ import annotations

import logging
import math
import urllib.parse
from collections.abc import Mapping
from typing import Any

from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.products.apps.bundle import AppBundle
from observatory_lib.products.apps.charts import bar_chart_svg
from observatory_lib.products.apps.panels import (
    download_link_html,
    escape,
    first_problem,
    message_html,
    message_widget,
    png_button_html,
    region_portfolio,
    scoreboard_html,
    scoreboard_position,
    scorecard_url,
)
from observatory_lib.products.apps.parameters import AppMessage
from observatory_lib.products.kit.formats import (
    NOT_AVAILABLE,
    format_cell,
    format_number,
    format_value,
    stars_text,
)
from observatory_lib.products.kit.labels import label_for

LOGGER = logging.getLogger(__name__)
EXPLORER_DEFAULTS = {"region_code": "DE21", "peers": ""}
EXPLORER_LEVELS = (0, 1, 2)
PORTFOLIO_ROWS = 15
# Points of difference (score 0-100) that make a strength or a weakness: the value of
# ``indicators.peers.DEFAULT_STRENGTH_THRESHOLD`` (a test checks they agree).
STRENGTH_THRESHOLD = 10.0
PORTFOLIO_COLUMNS = [
    "rank_in_region",
    "category_code",
    "category_name",
    "category_type",
    "year",
    "stars",
    "stars_out_of",
    "lq",
    "employment_persons",
    "size_share",
    "wage_per_employee_eur",
    "employment_growth_pct",
]


# Diversification opportunities: the rows the panel shows per type (every row is in the
# download), its columns (headed from kit.labels.COLUMN_LABELS) and the download's columns.
OPPORTUNITY_ROWS = {"traded": 10, "emerging": 5}
OPPORTUNITY_TYPES = {"traded": "Traded categories", "emerging": "Emerging industries"}
OPPORTUNITY_COLUMNS = [
    "rank",
    "category_name",
    "relatedness_density",
    "lq",
    "supporting_strengths",
    "european_employment_persons",
    "european_employment_share",
]
OPPORTUNITY_DOWNLOAD = [
    "region_code",
    "region_name",
    "category_type",
    "rank_in_region",
    "category_code",
    "category_name",
    "year",
    "lq",
    "relatedness_density",
    "n_related_strengths",
    "supporting_strengths",
    "european_employment_persons",
    "european_employment_share",
    "european_growth_pct",
    "european_growth_status",
]


def explorer_options(bundle: AppBundle) -> list[str]:
    """Search entries ``Name (CODE)`` of every region the explorer can show (NUTS 0-2)."""
    return [
        f"{bundle.region_name(code)} ({code})"
        for level in EXPLORER_LEVELS
        for code in bundle.regions_at(level)
    ]


def region_from_search(bundle: AppBundle, text: str) -> str:
    """The region code typed or picked in the search box (``Oberbayern (DE21)`` or ``de21``).

    Raises:
        UnknownCodeError: naming the nearest valid codes.
    """
    text = str(text).strip()
    if text.endswith(")") and "(" in text:
        text = text[text.rindex("(") + 1 : -1]
    by_name = [
        code
        for code, name in zip(bundle.codes, bundle.names, strict=True)
        if name.lower() == text.lower() and bundle.region_level(code) in EXPLORER_LEVELS
    ]
    return bundle.check_region(by_name[0] if by_name else text, EXPLORER_LEVELS)


def parse_codes(text: str | list) -> list[str]:
    """Region codes from a comma-separated string (or a list), upper case, no blanks."""
    items = text.split(",") if isinstance(text, str) else list(text)
    return [str(item).strip().upper() for item in items if str(item).strip()]


def choose_peers(bundle: AppBundle, region_code: str, peers: list[str]) -> tuple[list[str], str]:
    """The peers to compare with, and how they were chosen.

    Without user peers: the prepared default peers (most similar on GDP per inhabitant and
    population, ``indicators.peers.default_peers``).

    Raises:
        UnknownCodeError: a peer code is not a region of the same level (nearest codes named).
    """
    level = bundle.region_level(region_code)
    if peers:
        valid = set(bundle.regions_at(level))
        for code in peers:
            if code not in valid:
                raise unknown_code(f"NUTS {level} peer", code, valid)
        return [code for code in dict.fromkeys(peers) if code != region_code], "chosen peers"
    found = bundle.region_facts["default_peers"].get(region_code)
    if not found:
        return [], "no default peers (structural data missing); type peers"
    return list(found), "default peers: most similar on GDP per inhabitant and population"


def _scores(bundle: AppBundle, code: str, level: int) -> dict[str, float]:
    return {
        indicator: value
        for _theme, indicator, _c, lvl, _y, value, _s in bundle.region_values(
            code, ("scoreboard_score",)
        )
        if lvl == level and not math.isnan(value)
    }


def peer_comparison(bundle: AppBundle, region_code: str, peers: list[str]) -> list[dict]:
    """Region vs peer average vs EU average for the index and each dimension (scores 0-100).

    The same numbers as ``indicators.peers.compare_with_peers`` (a test compares them):
    the peers' average of the prepared scores, the difference in points and the assessment
    (strength, similar, weakness at ``STRENGTH_THRESHOLD``). Empty without a scoreboard.
    """
    position = scoreboard_position(bundle, region_code)
    if not position or not peers:
        return []
    level = position["level"]
    peer_scores = [_scores(bundle, code, level) for code in peers]
    rows = []
    for node in position["nodes"]:
        values = [scores[node["code"]] for scores in peer_scores if node["code"] in scores]
        average = sum(values) / len(values) if values else None
        own = node["score"]
        difference = own - average if own is not None and average is not None else None
        rows.append(
            {
                "region_code": region_code,
                "node_code": node["code"],
                "label": node["label"],
                "region_score": own,
                "peer_average_score": average,
                "eu_average_score": node["eu_average_score"],
                "difference_to_peers": difference,
                "assessment": _assessment(difference),
                "n_peers_with_data": len(values),
            }
        )
    return rows


def _assessment(difference: float | None) -> str:
    if difference is None:
        return ""
    if difference >= STRENGTH_THRESHOLD:
        return "strength"
    if difference <= -STRENGTH_THRESHOLD:
        return "weakness"
    return "similar"


def comparison_html(rows: list[dict]) -> str:
    """The index and dimensions: region, peers and EU scores (0-100) and the assessment."""
    if not rows:
        return "<p>No scoreboard comparison for this region and these peers.</p>"
    body = "".join(
        f"<tr><td>{escape(row['label'])}</td>"
        f'<td class="num">{escape(format_value(row["region_score"]))}</td>'
        f'<td class="num">{escape(format_value(row["peer_average_score"]))}</td>'
        f'<td class="num">{escape(format_value(row["eu_average_score"]))}</td>'
        f"<td>{escape(row['assessment'])}</td></tr>"
        for row in rows
    )
    return (
        '<table class="observatory-comparison"><tr><th>Scoreboard (score 0-100)</th>'
        f"<th>Region</th><th>Peers</th><th>EU</th><th>vs peers</th></tr>{body}</table>"
    )


def comparison_chart(rows: list[dict], region_code: str) -> str:
    """The index and dimensions of the region, its peers and the EU as an SVG bar chart."""
    if not rows:
        return ""
    return bar_chart_svg(
        [row["label"] for row in rows],
        {
            region_code: [row["region_score"] for row in rows],
            "peers": [row["peer_average_score"] for row in rows],
            "EU": [row["eu_average_score"] for row in rows],
        },
        maximum=100.0,
        axis_label="score (0-100)",
        description=f"Scoreboard dimensions of {region_code}, its peers and the EU",
    )


def portfolio_html(portfolio: list[dict]) -> str:
    """The leading categories of the portfolio as an HTML table."""
    if not portfolio:
        return "<p>No cluster data for this region.</p>"
    body = "".join(
        f"<tr><td>{escape(row['category_name'])}</td><td>{escape(row['category_type'])}</td>"
        f"<td>{stars_text(row['stars'], row['stars_out_of'], unrated='–')}</td>"
        f'<td class="num">{escape(format_value(row["lq"]))}</td>'
        f'<td class="num">{escape(format_value(row["employment_persons"]))}</td></tr>'
        for row in portfolio[:PORTFOLIO_ROWS]
    )
    return (
        '<table class="observatory-portfolio"><tr><th>Category</th><th>Type</th><th>Stars</th>'
        f"<th>LQ</th><th>Employment</th></tr>{body}</table>"
    )


def strengths_text(strengths: list[dict]) -> str:
    """The related strengths of an opportunity as the scorecard writes them:
    ``Automotive (0.33); Metalworking Technology (0.29)`` (proximity in brackets)."""
    return (
        "; ".join(f"{s['category_name']} ({format_number(s['proximity'], 2)})" for s in strengths)
        or "none"
    )


def opportunity_rows(bundle: AppBundle, region_code: str) -> list[dict]:
    """The region's diversification opportunities, traded categories first, each ranked by
    relatedness density within its type (the recipe layer's numbers, from the prepared data),
    with ``supporting_strengths`` as text; empty when the region has none."""
    name = bundle.region_name(region_code)
    rows = bundle.region_opportunities(region_code)
    rows.sort(key=lambda row: (row["category_type"] != "traded", row["rank_in_region"]))
    return [
        dict(
            row,
            region_name=name,
            rank=row["rank_in_region"],
            supporting_strengths=strengths_text(row["related_strengths"]),
        )
        for row in rows
    ]


def opportunities_missing(bundle: AppBundle, region_code: str, portfolio: list[dict]) -> str:
    """Why a region has no diversification opportunity to show, in one sentence."""
    name, level = bundle.region_name(region_code), bundle.region_level(region_code)
    space = bundle.opportunity_facts["level"]
    if level != space:
        return (
            f"Diversification opportunities are computed for NUTS-{space} regions, among which "
            f"the category space is defined; {name} is a NUTS-{level} region."
        )
    if not portfolio:
        return (
            f"Diversification opportunities are {NOT_AVAILABLE} for {name}: it has no cluster "
            "employment in the structural business statistics."
        )
    if all(row["lq"] is None for row in portfolio):
        return (
            f"Diversification opportunities are {NOT_AVAILABLE} for {name}: its location "
            "quotients are not known (its cluster employment is confidential or not published)."
        )
    return (
        f"{name} has no diversification opportunity: it is specialised (location quotient of 1 "
        "or more) in every category whose location quotient is known."
    )


def _cell_html(row: dict, column: str) -> str:
    label = label_for(column)
    text = escape(format_cell(row[column], label, missing=NOT_AVAILABLE))
    return f"<td>{text}</td>" if label.kind == "text" else f'<td class="num">{text}</td>'


def _opportunity_table(rows: list[dict], category_type: str, columns: list[str]) -> str:
    chosen = [row for row in rows if row["category_type"] == category_type]
    if not chosen:
        return ""
    shown = chosen[: OPPORTUNITY_ROWS[category_type]]
    head = "".join(f'<th scope="col">{escape(label_for(c).header)}</th>' for c in columns)
    body = "".join(
        f'<tr data-category-code="{escape(row["category_code"])}">'
        + "".join(_cell_html(row, column) for column in columns)
        + "</tr>"
        for row in shown
    )
    more = (
        f'<p class="observatory-note">The first {len(shown)} of {len(chosen)}; every row is in '
        "the download.</p>"
        if len(shown) < len(chosen)
        else ""
    )
    return (
        f"<h5>{escape(OPPORTUNITY_TYPES[category_type])}</h5>"
        f'<table class="observatory-opportunities" data-category-type="{category_type}">'
        f"<tr>{head}</tr>{body}</table>{more}"
    )


def opportunities_html(
    bundle: AppBundle, region_code: str, rows: list[dict], portfolio: list[dict]
) -> str:
    """The diversification opportunities panel: what it shows, a table per type, and the
    European growth (or why it is not available); one sentence when there is nothing."""
    if not rows:
        reason = opportunities_missing(bundle, region_code, portfolio)
        return f'<p class="observatory-note observatory-no-opportunities">{escape(reason)}</p>'
    facts = bundle.opportunity_facts
    columns = list(OPPORTUNITY_COLUMNS)
    growth = [row for row in rows if row["european_growth_pct"] is not None]
    if growth:  # once the store holds several years
        columns.append("european_growth_pct")
    intro = (
        f"<p>The categories where {escape(bundle.region_name(region_code))} is not yet "
        f"specialised (location quotient below 1) in {facts['year']}, ranked by relatedness "
        "density: the proximity-weighted share of a category's related categories in which the "
        f"region is specialised (0–100; {format_number(facts['strong_density'])} or more is a "
        "strong opportunity). Related strengths: the region's specialisations linked to the "
        "category, with their proximity (0–1).</p>"
    )
    status = rows[0]["european_growth_status"] or NOT_AVAILABLE  # "not available: ..."
    note = (
        ""
        if growth
        else f'<p class="observatory-note">{escape(label_for("european_growth_pct").label)} '
        f"is {escape(status)}.</p>"
    )
    tables = "".join(_opportunity_table(rows, kind, columns) for kind in OPPORTUNITY_TYPES)
    return f'<div class="observatory-opportunities-panel">{intro}{tables}{note}</div>'


def explorer_query(region_code: str, peers: list[str], how: str) -> str:
    """The link parameters that reopen this view (the page's address follows them)."""
    chosen = ",".join(peers) if how == "chosen peers" else ""
    return urllib.parse.urlencode({"region_code": region_code, "peers": chosen})


def explorer_html(bundle: AppBundle, region_code: str, peers: list[str], how: str) -> str:
    """Everything the explorer shows for a region and its peers, as one HTML block."""
    name = bundle.region_name(region_code)
    level = bundle.region_level(region_code)
    portfolio = [
        dict(row, region_code=region_code, region_name=name)
        for row in region_portfolio(bundle, region_code)
    ]
    opportunities = opportunity_rows(bundle, region_code)
    comparison = peer_comparison(bundle, region_code, peers)
    peer_names = ", ".join(f"{bundle.region_name(code)} ({code})" for code in peers) or "none"
    sbs = bundle.sources(bundle.label("clusters", "lq").datasets)
    board = bundle.sources(bundle.label("scoreboard", "overall").datasets)
    downloads = []
    if portfolio:
        downloads.append(
            download_link_html(
                portfolio,
                f"{region_code}_cluster_portfolio.csv",
                f"Cluster portfolio of {name} ({region_code})",
                sbs,
                "Cluster portfolio (CSV)",
                ["region_code", "region_name", *PORTFOLIO_COLUMNS],
            )
        )
    if opportunities:
        downloads.append(
            download_link_html(
                opportunities,
                f"{region_code}_diversification_opportunities.csv",
                f"Diversification opportunities of {name} ({region_code}), "
                f"{bundle.opportunity_facts['year']}",
                sbs,
                "Diversification opportunities (CSV)",
                OPPORTUNITY_DOWNLOAD,
            )
        )
    if comparison:
        title = f"Scoreboard of {name} ({region_code}) vs peers and EU"
        downloads.append(
            download_link_html(
                comparison,
                f"{region_code}_scoreboard_vs_peers.csv",
                title,
                board,
                "Scoreboard vs peers and EU (CSV)",
            )
        )
        downloads.append(
            png_button_html(
                "chart", f"{region_code}_scoreboard_vs_peers.png", title, board, "Chart (PNG)"
            )
        )
    return "".join(
        [
            '<div class="observatory-panel observatory-explorer" '
            f'data-region-code="{escape(region_code)}" '
            f'data-observatory-query="{escape(explorer_query(region_code, peers, how))}">',
            f'<h3 class="observatory-panel-title">{escape(name)} ({escape(region_code)})</h3>',
            f"<p>NUTS {level}, {escape(bundle.countries[bundle.index[region_code]])}. "
            f'<a class="observatory-scorecard-link" href="{escape(scorecard_url(region_code))}" '
            'target="_blank">Scorecard in the portal</a></p>',
            f"<p>Peers ({escape(how)}): {escape(peer_names)}</p>",
            "<h4>Cluster portfolio</h4>",
            portfolio_html(portfolio),
            "<h4>Diversification opportunities</h4>",
            opportunities_html(bundle, region_code, opportunities, portfolio),
            "<h4>Regional Ecosystem Scoreboard against peers and the EU</h4>",
            scoreboard_html(scoreboard_position(bundle, region_code)),
            comparison_html(comparison),
            comparison_chart(comparison, region_code),
            '<h4>Downloads</h4><p class="observatory-downloads">',
            " · ".join(downloads) or "No table to download.",
            "</p></div>",
        ]
    )


class RegionExplorer:
    """Pick a region (search by name or code) and peers; see its scorecard content."""

    def __init__(self, bundle: AppBundle, region_code: str, peers: list[str]):
        import ipywidgets as widgets

        self.bundle = bundle
        self.region_code = region_code
        self.search = widgets.Combobox(
            value=f"{bundle.region_name(region_code)} ({region_code})",
            options=explorer_options(bundle),
            placeholder="Type a region name or code",
            description="Region",
            ensure_option=False,
            layout=widgets.Layout(width="420px"),
        ).add_class("observatory-search")
        self.peers = widgets.TagsInput(value=peers, allow_duplicates=False).add_class(
            "observatory-peers"
        )
        self.default_button = widgets.Button(description="Default peers").add_class(
            "observatory-default-peers"
        )
        self.status = widgets.HTML().add_class("observatory-status")
        self.content = widgets.HTML().add_class("observatory-explorer-box")
        self.search.observe(self._on_search, names="value")
        self.peers.observe(self._on_peers, names="value")
        self.default_button.on_click(self._on_default_peers)
        self.show(region_code, peers)
        peer_row = widgets.HBox([widgets.Label("Peers"), self.peers, self.default_button])
        self.widget = widgets.VBox([self.search, peer_row, self.status, self.content]).add_class(
            "observatory-region-explorer"
        )

    def show(self, region_code: str, peers: list[str]) -> None:
        """Show a region with peers (``[]`` for the default peers)."""
        chosen, how = choose_peers(self.bundle, region_code, peers)
        self.region_code = region_code
        self.peers.allowed_tags = self.bundle.regions_at(self.bundle.region_level(region_code))
        self._set_quietly(self.peers, self._on_peers, list(chosen))
        label = f"{self.bundle.region_name(region_code)} ({region_code})"
        self._set_quietly(self.search, self._on_search, label)
        self.content.value = explorer_html(self.bundle, region_code, chosen, how)
        self.status.value = ""

    @staticmethod
    def _set_quietly(control, handler, value) -> None:
        """Set a control's value without running its change handler."""
        control.unobserve(handler, names="value")
        try:
            control.value = value
        finally:
            control.observe(handler, names="value")

    def _guarded(self, action, *args) -> None:
        try:
            action(*args)
        except ObservatoryError as error:
            self.status.value = message_html(str(error))
        except Exception:  # the user sees one line, the log the traceback
            LOGGER.exception("region explorer callback failed")
            self.status.value = message_html(
                "Something went wrong; the details are in the server log."
            )

    def _on_search(self, change) -> None:
        text = str(change["new"])
        if text.endswith(")") or text.strip().upper() in self.bundle.index:
            self._guarded(lambda: self.show(region_from_search(self.bundle, text), []))

    def _on_peers(self, change) -> None:
        self._guarded(self.show, self.region_code, parse_codes(list(change["new"])))

    def _on_default_peers(self, _button) -> None:
        self._guarded(self.show, self.region_code, [])


def prepare_region_explorer(bundle: AppBundle | AppMessage) -> RegionExplorer | None:
    """Build the explorer on the default region before any visitor arrives (preheated kernel)."""
    if isinstance(bundle, AppMessage):
        return None
    try:
        return RegionExplorer(
            bundle, region_from_search(bundle, EXPLORER_DEFAULTS["region_code"]), []
        )
    except ObservatoryError:
        return None  # e.g. data without the default region: built on request instead


def show_region_explorer(
    bundle: AppBundle | AppMessage,
    params: Mapping[str, Any] | AppMessage,
    explorer: RegionExplorer | None = None,
):
    """The region explorer for the notebook to display, or a plain message.

    Args:
        bundle: from ``load_app_data``.
        params: from ``resolve_parameters`` (keys of ``EXPLORER_DEFAULTS``).
        explorer: widgets built ahead by ``prepare_region_explorer``; built here when None.
    """
    problem = first_problem(bundle, params)
    if problem is not None:
        return message_widget(problem.message)
    try:
        region_code = region_from_search(bundle, str(params.get("region_code", "")))
        peers = parse_codes(params.get("peers", ""))
        if explorer is None:
            return RegionExplorer(bundle, region_code, peers).widget
        if peers or region_code != explorer.region_code:
            explorer.show(region_code, peers)
        return explorer.widget
    except ObservatoryError as error:
        return message_widget(str(error))

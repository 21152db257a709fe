"""The region explorer (``notebooks/apps/region_explorer.ipynb``).

One region's scorecard content, interactively: its cluster portfolio with star ratings and
the Regional Ecosystem Scoreboard against its peers and the EU average, with a chart and the
tables to download.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.errors import ObservatoryError
from observatory_lib.products.apps.app_data import AppData
from observatory_lib.products.apps.panels import (
    download_link_html,
    escape,
    first_problem,
    message_html,
    message_widget,
    scoreboard_html,
    scoreboard_summary,
    scorecard_url,
    sources_for,
)
from observatory_lib.products.apps.parameters import AppMessage
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.labels import stars_text

LOGGER = logging.getLogger(__name__)
EXPLORER_DEFAULTS = {"region_code": "DE21", "peers": ""}
EXPLORER_LEVELS = (0, 1, 2)
PORTFOLIO_ROWS = 15
CHART_COLOURS = {"region": "#21918c", "peers": "#fde725", "EU": "#440154"}


def explorer_options(data: AppData) -> list[str]:
    """Search entries ``Name (CODE)`` of every region the explorer can show (NUTS 0-2)."""
    regions = data.regions[data.regions["nuts_level"].isin(EXPLORER_LEVELS)]
    regions = regions.sort_index().sort_values("nuts_level", kind="stable")
    return [
        f"{name} ({code})" for code, name in zip(regions.index, regions["region_name"], strict=True)
    ]


def region_from_search(data: AppData, text: str) -> str:
    """The region code typed or picked in the search box (``Oberbayern (DE21)`` or ``de21``).

    Raises:
        UnknownCodeError: naming the nearest valid codes.
    """
    from observatory_lib.data.nuts import check_region_code

    text = text.strip()
    if text.endswith(")") and "(" in text:
        text = text[text.rindex("(") + 1 : -1]
    by_name = data.regions.index[data.regions["region_name"].str.lower() == text.lower()]
    if len(by_name):
        text = str(by_name[0])
    pool = data.regions[data.regions["nuts_level"].isin(EXPLORER_LEVELS)]
    return check_region_code(text, pool, edition=STATISTICS_EDITION)


def parse_peers(text: str | list) -> list[str]:
    """Peer codes from a comma-separated string (or a list); blank means default peers."""
    items = text.split(",") if isinstance(text, str) else list(text)
    return [str(item).strip().upper() for item in items if str(item).strip()]


def choose_peers(data: AppData, region_code: str, peers: list[str]) -> tuple[list[str], str]:
    """The peers to compare with, and how they were chosen.

    Without user peers the defaults are the most similar regions on GDP per inhabitant and
    population (``peers.default_peers``).

    Raises:
        ObservatoryError: unknown peer codes, or no default peers for the region.
    """
    from observatory_lib.indicators.peers import check_peers, default_peers

    level = int(data.regions.loc[region_code, "nuts_level"])
    if peers:
        valid = data.regions.index[data.regions["nuts_level"] == level]
        chosen = [code for code in check_peers(peers, valid) if code != region_code]
        return chosen, "chosen peers"
    try:
        chosen = default_peers(
            data.context, data.regions.reset_index(drop=True), region_code, level=level
        )
    except ObservatoryError:
        return [], "no default peers (structural data missing); pick peers"
    return chosen, "default peers: most similar on GDP per inhabitant and population"


def peer_comparison(data: AppData, region_code: str, peers: list[str]) -> pd.DataFrame:
    """Region vs peers vs EU for every scoreboard node (empty without a scoreboard)."""
    from observatory_lib.indicators.peers import compare_with_peers

    level = int(data.regions.loc[region_code, "nuts_level"])
    result = data.scoreboards.get(level)
    if result is None or region_code not in set(result.overall["region_code"]) or not peers:
        return pd.DataFrame()
    return compare_with_peers(result, region_code, peers)


def comparison_html(comparison: pd.DataFrame) -> str:
    """The index and dimensions: region, peers and EU scores (0-100) and the assessment."""
    if comparison.empty:
        return "<p>No scoreboard comparison for this region and these peers.</p>"
    rows = comparison[comparison["node_type"].isin(["index", "dimension"])]
    body = "".join(
        f"<tr><td>{escape(row.label)}</td>"
        f'<td class="num">{escape(map_styles.format_value(row.region_score))}</td>'
        f'<td class="num">{escape(map_styles.format_value(row.peer_average_score))}</td>'
        f'<td class="num">{escape(map_styles.format_value(row.eu_average_score))}</td>'
        f"<td>{escape(row.assessment)}</td></tr>"
        for row in rows.itertuples()
    )
    return (
        '<table class="observatory-comparison"><tr><th>Scoreboard (score 0-100)</th>'
        f"<th>Region</th><th>Peers</th><th>EU</th><th>vs peers</th></tr>{body}</table>"
    )


def comparison_chart_html(comparison: pd.DataFrame, region_code: str) -> str:
    """A bar chart of the dimensions (region, peers, EU) as an inline PNG image."""
    if comparison.empty:
        return ""
    from matplotlib.figure import Figure

    rows = comparison[comparison["node_type"].isin(["index", "dimension"])].iloc[::-1]
    series = {
        region_code: rows["region_score"],
        "peers": rows["peer_average_score"],
        "EU": rows["eu_average_score"],
    }
    figure = Figure(figsize=(6.2, 0.45 * len(rows) + 1.0), dpi=100)
    axes = figure.add_subplot()
    positions = np.arange(len(rows))
    for offset, (name, values) in zip((0.27, 0.0, -0.27), series.items(), strict=True):
        colour = CHART_COLOURS.get(name, CHART_COLOURS["region"])
        axes.barh(
            positions + offset, values.astype("float64"), height=0.26, label=name, color=colour
        )
    axes.set_yticks(positions, rows["label"].tolist(), fontsize=8)
    axes.set_xlim(0, 100)
    axes.set_xlabel("score (0-100)", fontsize=8)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<img class="observatory-chart" alt="Scoreboard dimensions of {escape(region_code)}, '
        f'its peers and the EU" src="data:image/png;base64,{encoded}">'
    )


def portfolio_table(data: AppData, region_code: str) -> pd.DataFrame:
    """The region's whole cluster portfolio (empty when it has no cluster data)."""
    from observatory_lib.indicators.panorama import region_portfolio

    if region_code not in set(data.rated["region_code"]):
        return pd.DataFrame()
    return region_portfolio(
        data.rated, region_code, data.regions.reset_index(drop=True), categories=data.categories
    )


def portfolio_html(portfolio: pd.DataFrame) -> str:
    """The leading categories of the portfolio as an HTML table."""
    if portfolio.empty:
        return "<p>No cluster data for this region.</p>"
    body = "".join(
        f"<tr><td>{escape(row.category_name)}</td><td>{escape(row.category_type)}</td>"
        f"<td>{stars_text(row.stars, row.stars_out_of, unrated='–')}</td>"
        f'<td class="num">{escape(map_styles.format_value(row.lq))}</td>'
        f'<td class="num">{escape(map_styles.format_value(row.employment_persons))}</td></tr>'
        for row in portfolio.head(PORTFOLIO_ROWS).itertuples()
    )
    return (
        '<table class="observatory-portfolio"><tr><th>Category</th><th>Type</th><th>Stars</th>'
        f"<th>LQ</th><th>Employment</th></tr>{body}</table>"
    )


def explorer_html(data: AppData, region_code: str, peers: list[str], how: str) -> str:
    """Everything the explorer shows for a region and its peers, as one HTML block."""
    region = data.regions.loc[region_code]
    portfolio = portfolio_table(data, region_code)
    comparison = peer_comparison(data, region_code, peers)
    peer_names = ", ".join(f"{data.region_name(code)} ({code})" for code in peers) or "none"
    sbs = sources_for(data, ["sbs_r_nuts06_r2"])
    downloads = [
        download_link_html(
            portfolio,
            f"{region_code}_cluster_portfolio.csv",
            f"Cluster portfolio of {region['region_name']} ({region_code})",
            sbs,
            "Cluster portfolio (CSV)",
        )
        if not portfolio.empty
        else "",
        download_link_html(
            comparison,
            f"{region_code}_scoreboard_vs_peers.csv",
            f"Scoreboard of {region['region_name']} ({region_code}) vs peers and EU",
            sources_for(data, set(data.context["dataset_code"])),
            "Scoreboard vs peers and EU (CSV)",
        )
        if not comparison.empty
        else "",
    ]
    return "".join(
        [
            f'<div class="observatory-panel observatory-explorer" '
            f'data-region-code="{escape(region_code)}">',
            f'<h3 class="observatory-panel-title">{escape(region["region_name"])} '
            f"({escape(region_code)})</h3>",
            f"<p>NUTS {int(region['nuts_level'])}, {escape(region['country_code'])}. "
            f'<a class="observatory-scorecard-link" href="{escape(scorecard_url(region_code))}" '
            'target="_blank">Scorecard in the portal</a></p>',
            f"<p>Peers ({escape(how)}): {escape(peer_names)}</p>",
            "<h4>Cluster portfolio</h4>",
            portfolio_html(portfolio),
            "<h4>Regional Ecosystem Scoreboard against peers and the EU</h4>",
            scoreboard_html(*scoreboard_summary(data, region_code)),
            comparison_html(comparison),
            comparison_chart_html(comparison, region_code),
            '<h4>Downloads</h4><p class="observatory-downloads">',
            " · ".join(link for link in downloads if link) or "No table to download.",
            "</p></div>",
        ]
    )


class RegionExplorer:
    """Pick a region (search by name or code) and peers; see its scorecard content."""

    def __init__(self, data: AppData, region_code: str, peers: list[str]):
        import ipywidgets as widgets

        self.data = data
        self.region_code = region_code
        self.search = widgets.Combobox(
            value=f"{data.region_name(region_code)} ({region_code})",
            options=explorer_options(data),
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
        chosen, how = choose_peers(self.data, region_code, peers)
        self.region_code = region_code
        level = int(self.data.regions.loc[region_code, "nuts_level"])
        self.peers.allowed_tags = self.data.regions.index[
            self.data.regions["nuts_level"] == level
        ].tolist()
        self._set_quietly(self.peers, self._on_peers, list(chosen))
        self._set_quietly(
            self.search, self._on_search, f"{self.data.region_name(region_code)} ({region_code})"
        )
        self.content.value = explorer_html(self.data, region_code, chosen, how)
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
        if text.endswith(")") or text.strip().upper() in self.data.regions.index:
            self._guarded(lambda: self.show(region_from_search(self.data, text), []))

    def _on_peers(self, change) -> None:
        self._guarded(self.show, self.region_code, parse_peers(list(change["new"])))

    def _on_default_peers(self, _button) -> None:
        self._guarded(self.show, self.region_code, [])


def prepare_region_explorer(data: AppData | AppMessage) -> RegionExplorer | None:
    """Build the explorer on the default region before any visitor arrives (preheated kernel)."""
    if isinstance(data, AppMessage):
        return None
    try:
        return RegionExplorer(data, region_from_search(data, EXPLORER_DEFAULTS["region_code"]), [])
    except ObservatoryError:
        return None  # e.g. a store without the default region: built on request instead


def show_region_explorer(
    data: AppData | AppMessage,
    params: Mapping[str, Any] | AppMessage,
    explorer: RegionExplorer | None = None,
):
    """The region explorer for the notebook to display, or a plain message.

    Args:
        data: from ``load_app_data``.
        params: from ``resolve_parameters`` (keys of ``EXPLORER_DEFAULTS``).
        explorer: widgets built ahead by ``prepare_region_explorer``; built here when None.
    """
    problem = first_problem(data, params)
    if problem is not None:
        return message_widget(problem.message)
    try:
        region_code = region_from_search(data, str(params.get("region_code", "")))
        peers = parse_peers(params.get("peers", ""))
        if explorer is None:
            return RegionExplorer(data, region_code, peers).widget
        if peers or region_code != explorer.region_code:
            explorer.show(region_code, peers)
        return explorer.widget
    except ObservatoryError as error:
        return message_widget(str(error))

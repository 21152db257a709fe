"""Compare regions (``notebooks/apps/compare_regions.ipynb``): up to ten regions side by side.

Their key facts (the latest value of each), their Regional Ecosystem Scoreboard (index and
dimensions, EU = 100, with a chart of the scores) and their cluster portfolios (stars and LQ
of the categories that lead in any of them). The region set is the ``regions`` parameter, so
a comparison is shared by its link (the page's address follows the chosen set); a bad code
gets one line naming the nearest valid codes, and the valid codes are still compared.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from observatory_lib.errors import ObservatoryError, UnknownCodeError
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
    scoreboard_position,
)
from observatory_lib.products.apps.parameters import AppMessage
from observatory_lib.products.kit.formats import format_value, stars_text

LOGGER = logging.getLogger(__name__)
COMPARE_DEFAULTS = {"regions": "DE21,FR10,ITC4,NL33,ES51"}
MAX_REGIONS = 10
COMPARE_LEVELS = (0, 1, 2)
# The scorecard's key facts (products/region_scorecard/spec.py), latest value of each.
KEY_FACTS = (
    "population_persons",
    "gdp_pps_per_hab",
    "gdp_pps_per_hab_pct_eu",
    "unemployment_rate_pct",
    "rd_intensity_pct_gdp",
    "tertiary_share_employment_pct",
)
TOP_CATEGORIES = 5


def check_regions(bundle: AppBundle, text: str | list) -> tuple[list[str], list[str]]:
    """The valid region codes (at most ``MAX_REGIONS``, no repeats) and one line per problem.

    A bad code gives ``Unknown NUTS region 'DE2X'; nearest valid NUTS region codes: ...``.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    codes, problems = [], []
    for item in (str(part).strip() for part in items):
        if not item:
            continue
        try:
            code = bundle.check_region(item, COMPARE_LEVELS)
        except UnknownCodeError as error:
            problems.append(str(error))
            continue
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_REGIONS:
        problems.append(
            f"At most {MAX_REGIONS} regions can be compared; showing the first {MAX_REGIONS} "
            f"({', '.join(codes[MAX_REGIONS:])} left out)."
        )
        codes = codes[:MAX_REGIONS]
    return codes, problems


def key_fact_rows(bundle: AppBundle, codes: list[str]) -> list[dict]:
    """One row per key fact: the latest value of each region (and its year)."""
    latest: dict[tuple[str, str], tuple[int, float]] = {}
    for code in codes:
        level = bundle.region_level(code)
        for _t, indicator, _c, lvl, year, value, _s in bundle.region_values(code, ("context",)):
            wanted = indicator in KEY_FACTS and lvl == level and not math.isnan(value)
            if wanted and year > latest.get((code, indicator), (-1, 0.0))[0]:
                latest[(code, indicator)] = (year, value)
    rows = []
    for indicator in KEY_FACTS:
        label = bundle.label("context", indicator)
        row = {"indicator_code": indicator, "label": label.label, "unit": label.unit}
        for code in codes:
            year, value = latest.get((code, indicator), (None, None))
            row[code] = value
            row[f"{code}_year"] = year
        rows.append(row)
    return rows


def key_facts_html(rows: list[dict], codes: list[str]) -> str:
    """The key facts table: one column per region, the year under each value."""
    head = "".join(f"<th>{escape(code)}</th>" for code in codes)
    body = ""
    for row in rows:
        cells = "".join(
            f'<td class="num">{escape(format_value(row[code]))}'
            + (f"<br><small>{row[f'{code}_year']}</small>" if row[f"{code}_year"] else "")
            + "</td>"
            for code in codes
        )
        body += f"<tr><td>{escape(row['label'])}</td>{cells}</tr>"
    return f'<table class="observatory-key-facts"><tr><th>Key facts</th>{head}</tr>{body}</table>'


def scoreboard_rows(bundle: AppBundle, codes: list[str]) -> list[dict]:
    """Index and dimensions per region: relative to the EU (= 100) and score (0-100)."""
    positions = {code: scoreboard_position(bundle, code) for code in codes}
    nodes = next((p["nodes"] for p in positions.values() if p), [])
    rows = []
    for position, node in enumerate(nodes):
        row = {"node_code": node["code"], "label": node["label"]}
        for code in codes:
            found = positions[code]["nodes"][position] if positions[code] else {}
            row[code] = found.get("relative_to_eu")
            row[f"{code}_score"] = found.get("score")
        rows.append(row)
    ranks = {"node_code": "rank", "label": "Rank in Europe (group)"}
    for code in codes:
        p = positions[code]
        ranks[code] = f"{p['rank']} of {p['n_regions']} ({p['group']})" if p else None
    return [*rows, ranks] if rows else []


def scoreboard_html(rows: list[dict], codes: list[str]) -> str:
    """The scoreboard table (EU = 100); 'not available' where a region has no result."""
    if not rows:
        return "<p>No scoreboard result for these regions.</p>"
    head = "".join(f"<th>{escape(code)}</th>" for code in codes)
    body = "".join(
        f"<tr><td>{escape(row['label'])}</td>"
        + "".join(f'<td class="num">{escape(_text(row[code]))}</td>' for code in codes)
        + "</tr>"
        for row in rows
    )
    return (
        '<table class="observatory-compare-scoreboard">'
        f"<tr><th>EU = 100</th>{head}</tr>{body}</table>"
    )


def _text(value) -> str:
    return value if isinstance(value, str) else format_value(value)


def scoreboard_chart(rows: list[dict], codes: list[str]) -> str:
    """The scores (0-100) of the index and dimensions, one bar per region."""
    nodes = [row for row in rows if row["node_code"] != "rank"]
    if not nodes:
        return ""
    return bar_chart_svg(
        [row["label"] for row in nodes],
        {code: [row[f"{code}_score"] for row in nodes] for code in codes},
        maximum=100.0,
        axis_label="score (0-100)",
        description="Scoreboard index and dimensions of the compared regions",
    )


def portfolio_rows(bundle: AppBundle, codes: list[str]) -> tuple[list[str], dict]:
    """The categories leading in any region (its top traded ones), and every region's cells."""
    portfolios = {code: region_portfolio(bundle, code) for code in codes}
    chosen: list[str] = []
    for code in codes:
        traded = [row for row in portfolios[code] if row["category_type"] == "traded"]
        for row in traded[:TOP_CATEGORIES]:
            if row["category_code"] not in chosen:
                chosen.append(row["category_code"])
    cells = {code: {row["category_code"]: row for row in portfolios[code]} for code in codes}
    return chosen, cells


def portfolio_html(bundle: AppBundle, chosen: list[str], cells: dict, codes: list[str]) -> str:
    """Stars and LQ of the leading categories, one column per region."""
    if not chosen:
        return "<p>No cluster data for these regions (regional SBS data exist at NUTS 0-2).</p>"
    head = "".join(f"<th>{escape(code)}</th>" for code in codes)
    body = ""
    for category in chosen:
        row = ""
        for code in codes:
            cell = cells[code].get(category)
            if cell is None:
                row += "<td>not available</td>"
                continue
            stars = stars_text(cell["stars"], cell["stars_out_of"], unrated="–")
            lq = escape(format_value(cell["lq"]))
            row += f'<td class="num">{escape(stars)}<br><small>LQ {lq}</small></td>'
        body += f"<tr><td>{escape(bundle.category_name(category))}</td>{row}</tr>"
    return (
        '<table class="observatory-compare-portfolio">'
        f"<tr><th>Cluster category</th>{head}</tr>{body}</table>"
    )


def comparison_html(bundle: AppBundle, codes: list[str], problems: list[str]) -> str:
    """Everything the comparison shows, as one HTML block."""
    query = "regions=" + ",".join(codes)
    names = ", ".join(f"{bundle.region_name(code)} ({code})" for code in codes)
    lines = "".join(message_html(problem) for problem in problems)
    if not codes:
        return lines + "<p>Type up to ten NUTS 0-2 region codes to compare, e.g. DE21, FR10.</p>"
    facts = key_fact_rows(bundle, codes)
    board = scoreboard_rows(bundle, codes)
    chosen, cells = portfolio_rows(bundle, codes)
    context = bundle.sources([d for i in KEY_FACTS for d in bundle.label("context", i).datasets])
    scoreboard_sources = bundle.sources(bundle.label("scoreboard", "overall").datasets)
    sbs = bundle.sources(bundle.label("clusters", "lq").datasets)
    title = f"Comparison of {', '.join(codes)}"
    portfolio_long = [
        dict(cells[code][category], region_code=code, region_name=bundle.region_name(code))
        for code in codes
        for category in chosen
        if category in cells[code]
    ]
    downloads = [
        download_link_html(
            facts, "compare_key_facts.csv", f"{title}: key facts", context, "Key facts (CSV)"
        ),
        download_link_html(
            board,
            "compare_scoreboard.csv",
            f"{title}: scoreboard",
            scoreboard_sources,
            "Scoreboard (CSV)",
        )
        if board
        else "",
        download_link_html(
            portfolio_long,
            "compare_portfolios.csv",
            f"{title}: cluster portfolios",
            sbs,
            "Cluster portfolios (CSV)",
            [
                "region_code",
                "region_name",
                "category_code",
                "category_name",
                "year",
                "stars",
                "stars_out_of",
                "lq",
                "employment_persons",
            ],
        )
        if portfolio_long
        else "",
        png_button_html(
            "chart",
            "compare_scoreboard.png",
            f"{title}: scoreboard scores",
            scoreboard_sources,
            "Chart (PNG)",
        )
        if board
        else "",
    ]
    return "".join(
        [
            f'<div class="observatory-compare" data-regions="{escape(",".join(codes))}" '
            f'data-observatory-query="{escape(query)}">',
            lines,
            f"<p>Comparing {escape(names)}. "
            f'<a class="observatory-share-link" href="?{escape(query)}">'
            "Link to this comparison</a></p>",
            "<h3>Key facts (latest year)</h3>",
            key_facts_html(facts, codes),
            "<h3>Regional Ecosystem Scoreboard</h3>",
            scoreboard_html(board, codes),
            scoreboard_chart(board, codes),
            "<h3>Cluster portfolios: leading categories</h3>",
            portfolio_html(bundle, chosen, cells, codes),
            '<h3>Downloads</h3><p class="observatory-downloads">',
            " · ".join(link for link in downloads if link),
            "</p></div>",
        ]
    )


class RegionComparison:
    """A box of region codes (up to ten) and the side-by-side comparison."""

    def __init__(self, bundle: AppBundle, codes: list[str], problems: list[str]):
        import ipywidgets as widgets

        self.bundle = bundle
        self.codes = codes
        options = [code for level in COMPARE_LEVELS for code in bundle.regions_at(level)]
        self.box = widgets.TagsInput(
            value=codes, allowed_tags=options, allow_duplicates=False
        ).add_class("observatory-regions")
        self.content = widgets.HTML().add_class("observatory-compare-box")
        self.box.observe(self._on_change, names="value")
        self.show(codes, problems)
        label = widgets.HTML("<b>Regions</b> (type a NUTS 0-2 code, up to ten)")
        self.widget = widgets.VBox([label, self.box, self.content]).add_class(
            "observatory-compare-regions"
        )

    def show(self, codes: list[str], problems: list[str]) -> None:
        """Compare these regions; ``problems`` are shown as one line each above."""
        self.codes = codes
        self.box.unobserve(self._on_change, names="value")
        try:
            self.box.value = list(codes)
        finally:
            self.box.observe(self._on_change, names="value")
        self.content.value = comparison_html(self.bundle, codes, problems)

    def _on_change(self, change) -> None:
        try:
            codes, problems = check_regions(self.bundle, list(change["new"]))
            self.show(codes, problems)
        except ObservatoryError as error:
            self.content.value = message_html(str(error))
        except Exception:  # the user sees one line, the log the traceback
            LOGGER.exception("region comparison callback failed")
            self.content.value = message_html(
                "Something went wrong; the details are in the server log."
            )


def prepare_comparison(bundle: AppBundle | AppMessage) -> RegionComparison | None:
    """Build the comparison of the default regions before any visitor arrives."""
    if isinstance(bundle, AppMessage):
        return None
    codes, problems = check_regions(bundle, COMPARE_DEFAULTS["regions"])
    return RegionComparison(bundle, codes, problems)


def show_comparison(
    bundle, params: Mapping[str, Any] | AppMessage, comparison: RegionComparison | None = None
):
    """The comparison for the notebook to display, or a plain message."""
    problem = first_problem(bundle, params)
    if problem is not None:
        return message_widget(problem.message)
    codes, problems = check_regions(bundle, params.get("regions", ""))
    if comparison is None:
        return RegionComparison(bundle, codes, problems).widget
    if codes != comparison.codes or problems:
        comparison.show(codes, problems)
    return comparison.widget

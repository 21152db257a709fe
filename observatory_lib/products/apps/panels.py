"""The apps' HTML pieces and the region facts they share, without pandas.

Legend, tooltip, messages, downloads (CSV data links in the format of ``kit.downloads``:
title, sources and attribution as ``#`` lines, then the table; a PNG button that the page
draws in the browser), a region's cluster portfolio and scoreboard position from the
prepared data. Everything is escaped; missing values read "no data", "confidential" or
"not available", never 0.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import os
from typing import Any

from observatory_lib.constants import DOWNLOAD_ATTRIBUTION, MAP_CREDIT
from observatory_lib.products.apps.bundle import AppBundle, in_voila
from observatory_lib.products.apps.map_view import FLAG_WORDS, MapView
from observatory_lib.products.apps.parameters import AppMessage
from observatory_lib.products.kit.formats import format_value, stars_text, unit_label
from observatory_lib.products.kit.links import scorecard_path

CLUSTER_THEMES = ("clusters", "emerging")
PORTFOLIO_MEASURES = (
    "stars",
    "stars_out_of",
    "lq",
    "employment_persons",
    "size_share",
    "wage_per_employee_eur",
    "employment_growth_pct",
    "rank_in_region",
)


def escape(value: Any) -> str:
    """HTML-escaped text; missing values become an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def message_html(message: str) -> str:
    """A plain message box (no traceback)."""
    return f'<div class="observatory-message">{escape(message)}</div>'


def message_widget(message: str):
    """What an app shows instead of itself when it cannot run: the message, no traceback."""
    import ipywidgets as widgets

    return widgets.HTML(message_html(message)).add_class("observatory-error")


def first_problem(*inputs: Any) -> AppMessage | None:
    """The first input that is a message (data or parameters that could not be loaded)."""
    return next((item for item in inputs if isinstance(item, AppMessage)), None)


def flag_text(flag: Any) -> str:
    """Eurostat flag letters in words, e.g. ``bu`` -> ``b (break in series), u (...)``."""
    letters = escape(flag)
    if not letters:
        return ""
    return ", ".join(f"{letter} ({FLAG_WORDS.get(letter, 'flag')})" for letter in letters)


def legend_title(view: MapView) -> str:
    """The legend's heading: the indicator and its unit."""
    unit = unit_label(view.unit)
    label = view.title.split(" · ")[0]
    return f"{label} ({unit})" if unit else label


def legend_html(view: MapView) -> str:
    """The legend: title with the unit, one row per class, then confidential and no data."""
    rows = "".join(
        f'<div class="observatory-legend-row" data-kind="{escape(entry["kind"])}">'
        f'<i style="background:{escape(entry["colour"])}"></i>{escape(entry["label"])}</div>'
        for entry in view.legend
    )
    return f'<div class="observatory-legend"><b>{escape(legend_title(view))}</b>{rows}</div>'


def value_text(view: MapView, region_code: str) -> tuple[str, str]:
    """The formatted value of a region in the view, and its flag in words."""
    row = view.row(region_code)
    if row is None:
        return "no data", ""
    value = float(view.values[row])
    if math.isnan(value):
        text = "confidential" if view.confidential[row] else "no data"
    else:
        text = format_value(value, view.unit)
    return text, flag_text(view.flags[row])


def tooltip_html(view: MapView, region_code: str, region_name: str) -> str:
    """Hover text: name, code, value with unit, and the flag in words."""
    value, flag = value_text(view, region_code)
    label = view.title.split(" · ")[0]
    lines = [
        f'<b class="observatory-tooltip-name">{escape(region_name)}</b> ({escape(region_code)})',
        f"{escape(label)}: <b>{escape(value)}</b>",
    ]
    if flag:
        lines.append(f"Flag: {flag}")
    return f'<div class="observatory-tooltip">{"<br>".join(lines)}</div>'


# --- downloads --------------------------------------------------------------------------------


def csv_text(
    rows: list[dict], title: str, sources: list[str], columns: list[str] | None = None
) -> str:
    """The rows as CSV in the format of ``kit.downloads``: ``# `` lines, then the table.

    Missing values are empty cells, never 0.
    """
    lines = [f"# title: {title}"]
    lines += [f"# source: {source}" for source in sources or ["Eurostat"]]
    lines += [f"# attribution: {line}" for line in DOWNLOAD_ATTRIBUTION]
    header = "\n".join(" ".join(line.split()) for line in lines) + "\n"
    buffer = io.StringIO()
    names = columns or (list(rows[0]) if rows else [])
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row.get(key)) for key in names})
    return header + buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def download_link_html(
    rows: list[dict], file_name: str, title: str, sources: list[str], label: str, columns=None
) -> str:
    """A link that downloads ``rows`` as a CSV (UTF-8 with BOM, for Excel) from a data URI."""
    payload = ("\ufeff" + csv_text(rows, title, sources, columns)).encode("utf-8")
    encoded = base64.b64encode(payload).decode("ascii")
    return (
        f'<a class="observatory-download-link" download="{escape(file_name)}" '
        f'href="data:text/csv;charset=utf-8;base64,{encoded}">{escape(label)}</a>'
    )


def png_button_html(
    target: str, file_name: str, title: str, sources: list[str], label: str = "Download PNG"
) -> str:
    """A button the page turns into a PNG of ``target`` (a map or a chart) in the browser.

    The template's script (``observatory-export.js``) draws the element, its legend, the
    title, the sources and the attribution on a canvas and saves it: the kernel draws
    nothing (no matplotlib in a visitor's kernel) and the picture is exactly the view.
    """
    attribution = " · ".join([MAP_CREDIT] if target == "map" else list(DOWNLOAD_ATTRIBUTION[:1]))
    return (
        f'<button type="button" class="observatory-png" data-target="{escape(target)}" '
        f'data-file="{escape(file_name)}" data-title="{escape(title)}" '
        f'data-source="{escape("Source: " + "; ".join(sources))}" '
        f'data-attribution="{escape(attribution)}">{escape(label)}</button>'
    )


# --- region facts -----------------------------------------------------------------------------


def portal_base_url() -> str:
    """Where the portal is, relative to the app page.

    In Voila the app is at ``/voila/render/<app>.ipynb`` and ``observatory serve`` serves the
    portal at ``/portal/``; elsewhere (JupyterLab, Papermill outputs) the notebook sits in
    ``notebooks/apps`` and the portal is the outputs directory.
    """
    if in_voila():
        return "../../portal/"
    from observatory_lib import paths

    relative = os.path.relpath(paths.output_dir(), paths.APP_DIR)
    return relative.replace(os.sep, "/").rstrip("/") + "/"


def scorecard_url(region_code: str, base: str | None = None) -> str:
    """Relative link to the region's scorecard in the portal."""
    base = portal_base_url() if base is None else base
    return f"{base}{scorecard_path(region_code)}"


def region_portfolio(bundle: AppBundle, region_code: str, year: int | None = None) -> list[dict]:
    """The region's clusters (traded and emerging) in the Panorama's order, latest year.

    One dict per category: code, name, type, year and the measures of ``PORTFOLIO_MEASURES``
    (None where not available). Empty when the region has no cluster data.
    """
    cells: dict[tuple, dict] = {}
    for theme, indicator, category, _level, row_year, value, _status in bundle.region_values(
        region_code, CLUSTER_THEMES
    ):
        if indicator in PORTFOLIO_MEASURES:
            entry = cells.setdefault(
                (category, row_year),
                {
                    "category_code": category,
                    "category_type": "emerging" if theme == "emerging" else "traded",
                    "year": row_year,
                },
            )
            entry[indicator] = None if math.isnan(value) else value
    if not cells:
        return []
    chosen = year if year is not None else max(y for _, y in cells)
    rows = [entry for (_, y), entry in cells.items() if y == chosen]
    for entry in rows:
        entry["category_name"] = bundle.category_name(entry["category_code"])
        for measure in PORTFOLIO_MEASURES:
            entry.setdefault(measure, None)
    return sorted(rows, key=lambda e: (e["rank_in_region"] is None, e["rank_in_region"] or 0))


def scoreboard_position(bundle: AppBundle, region_code: str) -> dict:
    """The region's scoreboard index (EU = 100), group, rank and dimensions; {} when none."""
    level = bundle.region_level(region_code)
    facts = bundle.region_facts["scoreboard"].get(str(level))
    if not facts or region_code not in facts["regions"]:
        return {}
    rank, group = facts["regions"][region_code]
    relative, score, years = {}, {}, set()
    for theme, indicator, _category, lvl, year, value, _status in bundle.region_values(
        region_code, ("scoreboard", "scoreboard_score")
    ):
        if lvl == level:
            (relative if theme == "scoreboard" else score)[indicator] = (
                None if math.isnan(value) else value
            )
            years.add(year)
    nodes = [
        {
            "code": code,
            "label": label,
            "relative_to_eu": relative.get(code),
            "score": score.get(code),
            "eu_average_score": facts["eu_average_score"].get(code),
        }
        for code, label in facts["nodes"]
    ]
    return {
        "rank": rank,
        "group": group,
        "n_regions": facts["n_regions"],
        "nodes": nodes,
        "level": level,
    }


def clusters_table_html(portfolio: list[dict], rows: int = 5, traded_only: bool = True) -> str:
    """The leading clusters as a small HTML table (category, stars, LQ, employment)."""
    chosen = [e for e in portfolio if e["category_type"] == "traded" or not traded_only][:rows]
    if not chosen:
        return "<p>No cluster data for this region (regional SBS data exist at NUTS 0-2).</p>"
    body = "".join(
        f"<tr><td>{escape(e['category_name'])}</td>"
        f"<td>{stars_text(e['stars'], e['stars_out_of'], unrated='–')}</td>"
        f'<td class="num">{escape(format_value(e["lq"]))}</td>'
        f'<td class="num">{escape(format_value(e["employment_persons"]))}</td></tr>'
        for e in chosen
    )
    return (
        '<table class="observatory-clusters"><tr><th>Cluster category</th><th>Stars</th>'
        f"<th>LQ</th><th>Employment</th></tr>{body}</table>"
    )


def scoreboard_html(position: dict) -> str:
    """The scoreboard position and dimensions (EU average = 100) as HTML."""
    if not position:
        return "<p>No scoreboard result for this region.</p>"
    index = next(node for node in position["nodes"] if node["code"] == "overall")
    head = (
        f"<p>Index: <b>{escape(format_value(index['relative_to_eu'], 'index_eu_100'))}</b>, "
        f"{escape(position['group'] or 'no group')}, rank {escape(position['rank'])} of "
        f"{position['n_regions']}</p>"
    )
    rows = "".join(
        f'<tr><td>{escape(node["label"])}</td><td class="num">'
        f"{escape(format_value(node['relative_to_eu']))}</td></tr>"
        for node in position["nodes"]
        if node["code"] != "overall"
    )
    return (
        f'{head}<table class="observatory-dimensions"><tr><th>Dimension</th>'
        f"<th>EU = 100</th></tr>{rows}</table>"
    )


def region_panel_html(
    bundle: AppBundle, region_code: str, view: MapView | None = None, portal_base: str | None = None
) -> str:
    """The side panel for one region: value on the map, top clusters, scoreboard, scorecard."""
    name = bundle.region_name(region_code)
    level = bundle.region_level(region_code)
    country = bundle.countries[bundle.index[region_code]] if region_code in bundle.index else ""
    parts = [
        f'<div class="observatory-panel" data-region-code="{escape(region_code)}">',
        f'<h3 class="observatory-panel-title">{escape(name)} ({escape(region_code)})</h3>',
        f"<p>NUTS {level}, {escape(country)}</p>",
    ]
    if view is not None:
        value, flag = value_text(view, region_code)
        parts.append(f"<p>{escape(view.title)}: <b>{escape(value)}</b>")
        parts.append(f"<br>Flag: {flag}</p>" if flag else "</p>")
    parts.append(f"<h4>Top clusters ({escape(bundle.star_preset)} stars)</h4>")
    parts.append(clusters_table_html(region_portfolio(bundle, region_code)))
    parts.append("<h4>Regional Ecosystem Scoreboard</h4>")
    parts.append(scoreboard_html(scoreboard_position(bundle, region_code)))
    link = scorecard_url(region_code, portal_base)
    parts.append(
        f'<p><a class="observatory-scorecard-link" href="{escape(link)}" target="_blank">'
        f"Scorecard of {escape(region_code)} in the portal</a></p></div>"
    )
    return "".join(parts)


def provenance_html(bundle: AppBundle | AppMessage) -> str:
    """The data sources and attribution under an app."""
    if isinstance(bundle, AppMessage):
        return ""
    lines = "".join(f"<li>{escape(line)}</li>" for line in DOWNLOAD_ATTRIBUTION)
    return (
        '<div class="observatory-provenance"><p>Data: the observatory store '
        f"{escape(bundle.store_version)}, NUTS 2016, star rule set "
        f"{escape(bundle.star_preset)}.</p><ul>{lines}</ul></div>"
    )

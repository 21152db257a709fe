"""The apps' HTML pieces: legend, tooltip, messages, downloads, the region summary panel.

Everything is escaped; missing values read "no data" or "confidential", never 0. Downloads
are CSV data links in the format of ``kit.downloads`` (title, sources and attribution as
``#`` lines, then the table).
"""

from __future__ import annotations

import base64
import html
import os
from typing import Any

import pandas as pd

from observatory_lib.products.apps.app_data import SCOREBOARD_UNIT, AppData
from observatory_lib.products.apps.map_view import FLAG_WORDS, MapView
from observatory_lib.products.apps.parameters import AppMessage, in_voila
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.downloads import DEFAULT_ATTRIBUTION, format_source
from observatory_lib.products.kit.labels import stars_text
from observatory_lib.products.kit.links import scorecard_path


def escape(value: Any) -> str:
    """HTML-escaped text; missing values become an empty string."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
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


def legend_html(view: MapView) -> str:
    """The legend: title with the unit, one row per class, then confidential and no data."""
    unit = map_styles.unit_label(view.unit)
    label = view.title.split(" · ")[0]
    title = f"{label} ({unit})" if unit else label
    rows = "".join(
        f'<div class="observatory-legend-row" data-kind="{escape(entry["kind"])}">'
        f'<i style="background:{escape(entry["colour"])}"></i>{escape(entry["label"])}</div>'
        for entry in view.legend
    )
    return f'<div class="observatory-legend"><b>{escape(title)}</b>{rows}</div>'


def value_text(view: MapView, region_code: str) -> tuple[str, str]:
    """The formatted value of a region in the view, and its flag in words."""
    rows = view.table[view.table["region_code"] == region_code]
    if rows.empty:
        return "no data", ""
    row = rows.iloc[0]
    if pd.isna(row["value"]):
        text = "confidential" if row["status"] == map_styles.CONFIDENTIAL_STATUS else "no data"
    else:
        text = map_styles.format_value(row["value"], view.unit)
    return text, flag_text(row["flag"])


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


def csv_text(frame: pd.DataFrame, title: str, sources: list[str]) -> str:
    """The table as CSV in the format of ``products.downloads``: ``# `` lines, then the table.

    The title, source and attribution lines come first (``downloads.read_csv_table`` reads
    them back); missing values are empty cells, never 0.
    """
    lines = [f"# title: {title}"]
    lines += [f"# source: {source}" for source in sources or ["Eurostat"]]
    lines += [f"# attribution: {line}" for line in DEFAULT_ATTRIBUTION]
    body = frame.to_csv(index=False, na_rep="", lineterminator="\n")
    return "\n".join(" ".join(line.split()) for line in lines) + "\n" + body


def download_link_html(
    frame: pd.DataFrame, file_name: str, title: str, sources: list[str], label: str
) -> str:
    """A link that downloads ``frame`` as a CSV (UTF-8 with BOM, for Excel) from a data URI."""
    payload = ("\ufeff" + csv_text(frame, title, sources)).encode("utf-8")
    encoded = base64.b64encode(payload).decode("ascii")
    return (
        f'<a class="observatory-download-link" download="{escape(file_name)}" '
        f'href="data:text/csv;charset=utf-8;base64,{encoded}">{escape(label)}</a>'
    )


def sources_for(data: AppData, dataset_codes) -> list[str]:
    """Source lines for the downloads: the store's provenance rows of these datasets."""
    provenance = data.provenance
    if "dataset_code" not in provenance.columns:
        return ["Eurostat"]
    rows = provenance[provenance["dataset_code"].isin(list(dataset_codes))]
    rows = rows.drop_duplicates("dataset_code")
    return [format_source(row) for row in rows.to_dict("records")] or ["Eurostat"]


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


TOP_CLUSTERS = 5


def top_clusters(data: AppData, region_code: str, n: int = TOP_CLUSTERS) -> pd.DataFrame:
    """The region's leading traded clusters: stars, then LQ, then employment.

    Returns an empty frame when the region has no cluster data (e.g. NUTS 3: regional SBS
    stops at NUTS 2).
    """
    from observatory_lib.indicators.panorama import region_portfolio

    if region_code not in set(data.rated["region_code"]):
        return pd.DataFrame()
    portfolio = region_portfolio(
        data.rated, region_code, data.regions.reset_index(drop=True), categories=data.categories
    )
    traded = portfolio[portfolio["category_type"] == "traded"]
    return traded.head(n)


def scoreboard_summary(data: AppData, region_code: str) -> tuple[dict, pd.DataFrame]:
    """The region's overall scoreboard row and its dimension scores (empty when none)."""
    level = int(data.regions["nuts_level"].get(region_code, -1))
    result = data.scoreboards.get(level)
    if result is None or region_code not in set(result.overall["region_code"]):
        return {}, pd.DataFrame()
    overall = result.overall[result.overall["region_code"] == region_code].iloc[0].to_dict()
    overall["n_regions"] = len(result.overall)
    dimensions = result.dimension_scores[result.dimension_scores["region_code"] == region_code]
    labels = result.framework.labels()
    dimensions = dimensions.assign(label=dimensions["dimension_code"].map(labels))
    return overall, dimensions


def clusters_table_html(clusters: pd.DataFrame) -> str:
    """The top clusters as a small HTML table (category, stars, LQ, employment)."""
    if clusters.empty:
        return "<p>No cluster data for this region (regional SBS data exist at NUTS 0-2).</p>"
    rows = "".join(
        f"<tr><td>{escape(row.category_name)}</td>"
        f"<td>{stars_text(row.stars, row.stars_out_of, unrated='–')}</td>"
        f'<td class="num">{escape(map_styles.format_value(row.lq))}</td>'
        f'<td class="num">{escape(map_styles.format_value(row.employment_persons))}</td></tr>'
        for row in clusters.itertuples()
    )
    return (
        '<table class="observatory-clusters"><tr><th>Cluster category</th><th>Stars</th>'
        f"<th>LQ</th><th>Employment</th></tr>{rows}</table>"
    )


def scoreboard_html(overall: dict, dimensions: pd.DataFrame) -> str:
    """The scoreboard position and dimensions (EU average = 100) as HTML."""
    if not overall:
        return "<p>No scoreboard result for this region.</p>"
    index = map_styles.format_value(overall.get("relative_to_eu"), SCOREBOARD_UNIT)
    head = (
        f"<p>Index: <b>{escape(index)}</b>, {escape(overall.get('performance_group'))}, rank "
        f"{escape(overall.get('rank_europe'))} of {overall['n_regions']}</p>"
    )
    rows = "".join(
        f'<tr><td>{escape(row.label)}</td><td class="num">'
        f"{escape(map_styles.format_value(row.relative_to_eu))}</td></tr>"
        for row in dimensions.itertuples()
    )
    return (
        f'{head}<table class="observatory-dimensions"><tr><th>Dimension</th>'
        f"<th>EU = 100</th></tr>{rows}</table>"
    )


def region_panel_html(
    data: AppData, region_code: str, view: MapView | None = None, portal_base: str | None = None
) -> str:
    """The side panel for one region: value on the map, top clusters, scoreboard, scorecard."""
    region = data.regions.loc[region_code]
    parts = [
        f'<div class="observatory-panel" data-region-code="{escape(region_code)}">',
        f'<h3 class="observatory-panel-title">{escape(region["region_name"])} '
        f"({escape(region_code)})</h3>",
        f"<p>NUTS {int(region['nuts_level'])}, {escape(region['country_code'])}</p>",
    ]
    if view is not None:
        value, flag = value_text(view, region_code)
        parts.append(f"<p>{escape(view.title)}: <b>{escape(value)}</b>")
        parts.append(f"<br>Flag: {flag}</p>" if flag else "</p>")
    parts.append(f"<h4>Top clusters ({escape(data.star_preset)} stars)</h4>")
    parts.append(clusters_table_html(top_clusters(data, region_code)))
    parts.append("<h4>Regional Ecosystem Scoreboard</h4>")
    parts.append(scoreboard_html(*scoreboard_summary(data, region_code)))
    link = scorecard_url(region_code, portal_base)
    parts.append(
        f'<p><a class="observatory-scorecard-link" href="{escape(link)}" target="_blank">'
        f"Scorecard of {escape(region_code)} in the portal</a></p></div>"
    )
    return "".join(parts)


def provenance_html(data: AppData | AppMessage) -> str:
    """The data sources and attribution under an app."""
    if isinstance(data, AppMessage):
        return ""
    lines = "".join(f"<li>{escape(line)}</li>" for line in DEFAULT_ATTRIBUTION)
    return (
        '<div class="observatory-provenance"><p>Data: the observatory store, NUTS 2016, '
        f"star rule set {escape(data.star_preset)}.</p><ul>{lines}</ul></div>"
    )

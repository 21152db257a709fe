"""The static pages served instead of a live app when the server is at its kernel cap.

Drawn once by ``observatory apps build`` (``prepare.write_overflow_pages``) from the prepared
data: each app's default view without a kernel (for the maps, the same map as an SVG with its
legend, title, sources and attribution; for the explorers, their default tables and chart),
and a note that the live tool is busy. The server sends the file as it is (within
milliseconds): a visitor beyond the cap never waits for a kernel and never sees an error.
"""

from __future__ import annotations

import html
import math
import re

from observatory_lib.constants import DOWNLOAD_ATTRIBUTION, MAP_CREDIT
from observatory_lib.products.apps.bundle import AppBundle
from observatory_lib.products.apps.map_view import MapSelection, compute_map_view
from observatory_lib.products.apps.panels import escape, legend_title
from observatory_lib.products.kit.formats import format_value

# The part of Europe the live map shows at its default zoom (Web Mercator, degrees).
EXTENT = (-25.0, 34.0, 45.0, 71.5)
WIDTH = 760

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.2rem auto;max-width:72rem;
padding:0 1rem;color:#1a1a1a}h1{font-size:1.4rem}.busy{background:#fff4d6;border:1px solid #e0b84d;
padding:.6rem .9rem;border-radius:4px}.wrap{display:flex;gap:1.2rem;flex-wrap:wrap}
.wrap>div:first-child{flex:0 1 760px}.wrap>.legend{flex:1 1 14rem;font-size:.9rem}
.legend i{display:inline-block;width:14px;height:12px;margin-right:6px;vertical-align:middle}
table{border-collapse:collapse;font-size:.85rem}
td,th{padding:.15rem .45rem;border-bottom:1px solid #e5e5e5}
.num{text-align:right}.note{color:#555;font-size:.85rem}svg{max-width:100%;height:auto}
"""


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, 85.0), -85.0)
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def map_svg(collection: dict, fills: dict[str, str], titles: dict[str, str]) -> str:
    """The polygons of a FeatureCollection as an SVG (Web Mercator, cut to ``EXTENT``)."""
    x0, y0 = _mercator(EXTENT[0], EXTENT[1])
    x1, y1 = _mercator(EXTENT[2], EXTENT[3])
    scale = WIDTH / (x1 - x0)
    height = round((y1 - y0) * scale)

    def ring(points) -> str:
        coords = []
        for lon, lat in points:
            x, y = _mercator(lon, lat)
            coords.append(f"{(x - x0) * scale:.1f},{(y1 - y) * scale:.1f}")
        return "M" + "L".join(coords) + "Z"

    paths = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        d = "".join(ring(part) for polygon in polygons for part in polygon)
        code = feature["id"]
        paths.append(
            f'<path d="{d}" fill="{fills.get(code, "#d9d9d9")}" stroke="#ffffff" '
            'stroke-width="0.5">'
            f"<title>{html.escape(titles.get(code, code))}</title></path>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Map" '
        'class="observatory-static-map">'
        f'<rect width="{WIDTH}" height="{height}" fill="#f4f6f8"/>{"".join(paths)}</svg>'
    )


def static_map(bundle: AppBundle, selection: MapSelection) -> tuple[str, str]:
    """The selection's map as an SVG with its legend; returns (title, HTML)."""
    codes = bundle.geometry_codes(selection.level)
    view = compute_map_view(bundle, selection, codes)
    fills = dict(zip(view.codes, view.fills, strict=True))
    titles = {
        code: f"{name} ({code}): "
        + ("no data" if math.isnan(value) else format_value(value, view.unit))
        for code, name, value in zip(view.codes, view.names, view.values.tolist(), strict=True)
    }
    legend = "".join(
        f'<div><i style="background:{escape(entry["colour"])}"></i>{escape(entry["label"])}</div>'
        for entry in view.legend
    )
    sources = "; ".join(
        bundle.sources(bundle.label(selection.theme, selection.indicator_code).datasets)
    )
    body = (
        f'<div class="wrap"><div>{map_svg(bundle.geometry(selection.level), fills, titles)}'
        f'<p class="note">{escape(MAP_CREDIT)}</p></div>'
        f'<div class="legend"><b>{escape(legend_title(view))}</b>{legend}'
        f'<p class="note">Source: {escape(sources)}</p></div></div>'
    )
    return view.title, body


def page(app_title: str, live_url: str, title: str, body: str) -> str:
    """A whole static page: the busy note, the default view, the attribution."""
    attribution = "".join(f"<li>{escape(line)}</li>" for line in DOWNLOAD_ATTRIBUTION)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(app_title)} (static view)</title><style>{STYLE}</style></head><body>"
        f'<main class="observatory-overflow"><h1>{escape(app_title)}</h1>'
        '<p class="busy observatory-busy">The live tool is busy right now: many people are using '
        "it at the same time. This is its default view, without interaction. "
        f'<a href="{escape(live_url)}">Try the live tool again</a> in a minute, or browse the '
        '<a href="/portal/">reports and downloads</a>.</p>'
        f"<h2>{escape(title)}</h2>{without_buttons(body)}"
        f'<ul class="note">{attribution}</ul></main></body></html>'
    )


def without_buttons(body: str) -> str:
    """The body without its buttons (they need the page's script and a kernel)."""
    return re.sub(r"<button[^>]*>.*?</button>", "", body)


def overflow_pages(bundle: AppBundle) -> dict[str, str]:
    """The static page of every app's default view, by app name."""
    import observatory_lib.products.apps.compare_regions as compare_regions
    import observatory_lib.products.apps.region_explorer as region_explorer
    import observatory_lib.products.apps.sector_explorer as sector_explorer

    pages = {}
    title, body = static_map(bundle, MapSelection())
    pages["mapping_tool"] = page("Mapping tool", "/voila/render/mapping_tool.ipynb", title, body)
    sector = sector_explorer.selection_from_parameters(bundle, sector_explorer.SECTOR_DEFAULTS)
    theme = sector_explorer.category_theme(bundle, sector.category_code)
    title, body = static_map(
        bundle,
        MapSelection(sector.level, theme, sector.indicator, sector.category_code, sector.year),
    )
    rows = sector_explorer.ranking_rows(bundle, sector)
    present = sector_explorer.available_measures(bundle, sector)
    body += "<h3>Ranking of the regions</h3>" + sector_explorer.ranking_html(rows, present)
    pages["sector_explorer"] = page(
        "Sector explorer", "/voila/render/sector_explorer.ipynb", title, body
    )
    code = region_explorer.EXPLORER_DEFAULTS["region_code"]
    if code in bundle.index:
        peers, how = region_explorer.choose_peers(bundle, code, [])
        body = region_explorer.explorer_html(bundle, code, peers, how)
        pages["region_explorer"] = page(
            "Region explorer", "/voila/render/region_explorer.ipynb", bundle.region_name(code), body
        )
    codes, problems = compare_regions.check_regions(
        bundle, compare_regions.COMPARE_DEFAULTS["regions"]
    )
    body = compare_regions.comparison_html(bundle, codes, problems)
    pages["compare_regions"] = page(
        "Compare regions", "/voila/render/compare_regions.ipynb", "Default comparison", body
    )
    return pages

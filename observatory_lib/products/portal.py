"""The "Reports and downloads" portal: one static page, ``outputs/index.html``, that works offline.

It links every scorecard (a searchable table by name, code and country), the Panorama, the
sector reports, the scoreboard, the downloads (CSV, XLSX, GeoJSON, Parquet), the methodology
and the data sources with their attribution. Everything is inline: no script, font or style
sheet from the internet. The page is written atomically.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from observatory_lib import paths
from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR, STATISTICS_EDITION
from observatory_lib.files import atomic_path, write_text_atomic
from observatory_lib.indicators import recipes
from observatory_lib.products.kit.provenance import attribution_lines, provenance_table

DOWNLOAD_SUFFIXES = (".csv", ".xlsx", ".geojson", ".parquet")
REPORT_SECTIONS = {
    "panorama": "European Cluster Panorama",
    "scoreboard": "Regional Ecosystem Scoreboard",
}


@dataclass(frozen=True)
class ScorecardLink:
    """One row of the scorecard table."""

    region_code: str
    region_name: str
    country_code: str
    status: str
    files: dict[str, str]


def write_text_atomically(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` (its folder made if needed) through ``files``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(target, text)


def read_scorecards(output_root: Path, regions: pd.DataFrame) -> list[ScorecardLink]:
    """The scorecards recorded in ``scorecards/manifest.json``, with names from ``regions``."""
    manifest_path = output_root / "scorecards" / "manifest.json"
    if not manifest_path.is_file():
        return []
    jobs = json.loads(manifest_path.read_text(encoding="utf-8")).get("jobs", {})
    names = regions.drop_duplicates("region_code").set_index("region_code")
    links = []
    for code, entry in sorted(jobs.items()):
        files = {
            Path(name).suffix.lstrip("."): f"scorecards/{code}/{name}"
            for name in entry.get("outputs", [])
        }
        known = code in names.index
        links.append(
            ScorecardLink(
                region_code=code,
                region_name=str(names.loc[code, "region_name"]) if known else code,
                country_code=str(names.loc[code, "country_code"]) if known else code[:2],
                status=str(entry.get("status", "unknown")),
                files=files,
            )
        )
    return links


def find_reports(output_root: Path) -> dict[str, list[Path]]:
    """HTML reports per section (panorama, scoreboard, sector reports), relative to the root.

    The batch writes them under ``outputs/reports/<section>/<job>/``; the notebooks write
    their download tables beside, under ``outputs/<section>/``.
    """
    found = {}
    for section in (*REPORT_SECTIONS, "sector_reports"):
        folder = output_root / "reports" / section
        pages = sorted(folder.rglob("*.html")) if folder.is_dir() else []
        found[section] = [page.relative_to(output_root) for page in pages]
    return found


def find_downloads(output_root: Path) -> list[Path]:
    """Every downloadable table or map file under the outputs, scorecards excluded."""
    files = [
        path.relative_to(output_root)
        for path in sorted(output_root.rglob("*"))
        if path.suffix in DOWNLOAD_SUFFIXES
        and not path.name.startswith(".")
        and not {"scorecards", "reports"} & set(path.relative_to(output_root).parts)
    ]
    return files


def _link(href: str, label: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(label)}</a>'


def _scorecard_rows(links: list[ScorecardLink]) -> str:
    rows = []
    for link in links:
        cells = " ".join(
            _link(link.files[kind], kind.upper())
            for kind in ("html", "pdf", "json")
            if kind in link.files
        )
        rows.append(
            "<tr>"
            f"<td>{html.escape(link.region_code)}</td>"
            f"<td>{html.escape(link.region_name)}</td>"
            f"<td>{html.escape(link.country_code)}</td>"
            f"<td>{cells or html.escape(link.status)}</td>"
            "</tr>"
        )
    return "\n".join(rows)


def _report_list(reports: dict[str, list[Path]]) -> str:
    items = []
    for section, title in REPORT_SECTIONS.items():
        pages = reports.get(section, [])
        entry = _link(str(pages[0]), title) if pages else f"{title} (not built yet)"
        items.append(f"<li>{entry}</li>")
    sector_pages = reports.get("sector_reports", [])
    sector_links = ", ".join(_link(str(p), p.parent.name) for p in sector_pages)
    items.append(f"<li>Priority sector reports: {sector_links or 'not built yet'}</li>")
    return "\n".join(items)


def _download_list(downloads: list[Path]) -> str:
    if not downloads:
        return "<li>No downloads built yet: run <code>make demo</code>.</li>"
    return "\n".join(f"<li>{_link(str(p), str(p))}</li>" for p in downloads)


def _sources_list(provenance: pd.DataFrame) -> str:
    table = provenance_table(provenance)
    items = []
    for row in table.itertuples(index=False):
        edition = "" if pd.isna(row.nuts_edition) else f", NUTS {int(row.nuts_edition)}"
        items.append(
            f"<li><code>{html.escape(str(row.dataset_code))}</code>: "
            f"{html.escape(str(row.title))} (vintage {html.escape(str(row.vintage))}{edition})</li>"
        )
    return "\n".join(items)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>European Cluster Observatory: reports and downloads</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
  max-width: 70rem; padding: 0 1rem; color: #1a1a1a; }}
h1 {{ font-size: 1.6rem; }} h2 {{ margin-top: 2rem; border-bottom: 1px solid #ccc; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
th, td {{ text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eee; }}
input[type=search] {{ width: 100%; max-width: 30rem; padding: 0.4rem; margin: 0.5rem 0; }}
.note {{ color: #555; font-size: 0.9rem; }}
</style></head>
<body>
<h1>European Cluster Observatory: reports and downloads</h1>
<p class="note">Store version <code>{store_version}</code>. Statistics on the NUTS {edition}
classification. Interactive apps: run <code>observatory serve</code>.</p>
<h2 id="scorecards">Scorecards for regions ({n_scorecards})</h2>
<input type="search" id="filter" placeholder="Search by name, code or country"
  aria-label="Search scorecards">
<table id="scorecards-table"><thead><tr><th>Code</th><th>Region</th><th>Country</th>
<th>Files</th></tr></thead><tbody>
{scorecard_rows}
</tbody></table>
<h2 id="reports">Reports</h2><ul>
{report_list}
</ul>
<h2 id="downloads">Downloads</h2><ul>
{download_list}
</ul>
<h2 id="methodology">Methodology</h2>
<p><a href="methodology.html">How the indicators, stars and scores are computed</a>.</p>
<h2 id="sources">Data sources and attribution</h2><ul>
{sources_list}
</ul>
<p>{attribution}</p>
<p class="note">Data modified by the workbook: codes recoded to NUTS {edition}, tables reshaped,
cluster employment derived from NACE divisions, suppressed cells estimated where flagged.</p>
<script>
document.getElementById("filter").addEventListener("input", function (event) {{
  var needle = event.target.value.toLowerCase();
  document.querySelectorAll("#scorecards-table tbody tr").forEach(function (row) {{
    row.style.display = row.textContent.toLowerCase().indexOf(needle) >= 0 ? "" : "none";
  }});
}});
</script>
</body></html>
"""


def render_methodology(output_root: Path) -> Path:
    """docs/METHODOLOGY.md as a standalone HTML page beside the portal."""
    import mistune  # ships with nbconvert

    body = mistune.html((paths.DOCS_DIR / "METHODOLOGY.md").read_text(encoding="utf-8"))
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Methodology</title><style>body{font-family:system-ui,sans-serif;"
        "max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:.2rem .4rem}</style></head><body>"
        f"{body}</body></html>"
    )
    return write_text_atomically(output_root / "methodology.html", page)


def build_portal(store, output_root: Path | None = None) -> Path:
    """Write ``index.html`` (and ``methodology.html``) for whatever the outputs hold now."""
    output_root = Path(output_root or paths.output_dir())
    links = read_scorecards(output_root, recipes.statistics_regions(store))
    page = PAGE.format(
        store_version=html.escape(store.version),
        edition=STATISTICS_EDITION,
        n_scorecards=len(links),
        scorecard_rows=_scorecard_rows(links),
        report_list=_report_list(find_reports(output_root)),
        download_list=_download_list(find_downloads(output_root)),
        sources_list=_sources_list(store.provenance),
        attribution=" · ".join(html.escape(line) for line in attribution_lines(store.provenance)),
    )
    render_methodology(output_root)
    return write_text_atomically(output_root / "index.html", page)


def _write_parquet(frame: pd.DataFrame, target: Path) -> Path:
    with atomic_path(target) as temporary:
        frame.to_parquet(temporary, index=False)
    return target


def write_portal_downloads(
    store, output_root: Path | None = None, level: int = 2, year: int = DEFAULT_YEAR
) -> list[Path]:
    """Machine-readable downloads for the portal: Parquet tables and a GeoJSON map layer.

    ``cluster_indicators.parquet`` (every region x category x year with stars, the default
    rule set), ``cluster_indicators_long.parquet`` (the same as a long panel: region,
    category, year, indicator, value, unit, flag), over the change window
    ``cluster_shift_share_<window>.parquet``, ``cluster_star_transitions_<window>.parquet``
    and ``cluster_category_trends_<window>.parquet`` (``<window>``: e.g. ``2011-2015``),
    ``scoreboard_overall_scores.parquet`` (with rank intervals) and
    ``scoreboard_dimension_scores.parquet``, and ``regions_nuts<level>_<edition>.geojson``:
    simplified polygons carrying the headline numbers (starred traded clusters, the
    scoreboard index relative to the EU), missing where unknown. Every number comes from the
    recipe layer, so it equals what the Panorama, the scoreboard report and the scorecards
    publish.
    """
    from observatory_lib.data.nuts import simplify_geometries

    folder = Path(output_root or paths.output_dir()) / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    rated = recipes.rated_clusters(store, level, DEFAULT_STAR_PRESET)
    board = recipes.scoreboard_tables(store, level)
    written = [
        _write_parquet(pd.DataFrame(rated), folder / "cluster_indicators.parquet"),
        _write_parquet(
            recipes.change_panel(store, level, DEFAULT_STAR_PRESET),
            folder / "cluster_indicators_long.parquet",
        ),
        _write_parquet(board.dimension_scores, folder / "scoreboard_dimension_scores.parquet"),
        _write_parquet(board.overall, folder / "scoreboard_overall_scores.parquet"),
    ]
    window = recipes.window_ending(store, year)
    if window is not None:
        span = f"{window[0]}-{window[1]}"
        changes = {
            "cluster_shift_share": recipes.shift_share(store, level, window),
            "cluster_star_transitions": recipes.star_transitions(
                store, level, DEFAULT_STAR_PRESET, window
            ),
            "cluster_category_trends": recipes.category_trends(store, level, window),
        }
        written += [
            _write_parquet(frame, folder / f"{name}_{span}.parquet")
            for name, frame in changes.items()
        ]
    starred = recipes.panorama_summary(store, level, DEFAULT_STAR_PRESET, year=year).by_region
    headline = (
        starred[["region_code", "n_starred_clusters"]]
        .rename(columns={"n_starred_clusters": "n_starred_traded_clusters"})
        .merge(board.overall[["region_code", "relative_to_eu"]], on="region_code", how="outer")
    )
    shapes = simplify_geometries(recipes.geometries(store, level), 0.02)
    names = recipes.statistics_regions(store)[["region_code", "region_name", "country_code"]]
    layer = (
        shapes[["region_code", "geometry"]]
        .merge(names.reset_index(drop=True), on="region_code", how="left")
        .merge(headline, on="region_code", how="left")
    )
    target = folder / f"regions_nuts{level}_{STATISTICS_EDITION}.geojson"
    write_text_atomic(target, layer.to_json(na="null", drop_id=True))
    return [*written, target]

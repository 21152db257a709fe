"""The portal on the toy store: sections, links by name, search and map markup, the download
catalogue, missing values, nothing from outside, and an atomic publication."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from toy_store import REGION_NAMES

from observatory_lib.files import TEMP_PREFIX
from observatory_lib.products import portal
from observatory_lib.products.kit.downloads import write_table
from observatory_lib.products.kit.map_styles import NO_DATA_COLOUR
from observatory_lib.products.portal import build, pages

FAILED_REGION = "DE12"  # its scorecard job failed: listed, not linked
PAGES = (
    "index.html",
    "mapping-tool.html",
    "downloads.html",
    "methodology.html",
    "sources.html",
    "accessibility.html",
    "categories/automotive.html",
)
APP = SimpleNamespace(
    name="mapping_tool",
    title="Mapping tool",
    description="Map of NUTS regions coloured by an indicator.",
    route="voila/render/mapping_tool.ipynb",
    parameters="level, indicator",
    example="level=2&indicator=lq",
)


# --- reading the pages ---------------------------------------------------------------------


@dataclasses.dataclass
class Link:
    href: str
    text: str = ""
    label: str | None = None
    in_svg: bool = False
    title: str = ""


class Links(HTMLParser):
    """Every ``<a>`` of a page: href, text, aria-label, whether inside an SVG, its title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self.open: Link | None = None
        self.svg_depth = 0
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "svg":
            self.svg_depth += 1
        elif tag == "a" and "href" in attributes:
            self.open = Link(attributes["href"], label=attributes.get("aria-label"))
            self.open.in_svg = self.svg_depth > 0
        elif tag == "title":
            self.in_title = True

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg_depth -= 1
        elif tag == "a" and self.open is not None:
            self.open.text = " ".join(self.open.text.split())
            self.links.append(self.open)
            self.open = None
        elif tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.open is not None:
            if self.in_title:
                self.open.title += data
            else:
                self.open.text += data


def links_of(path: Path) -> list[Link]:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


# --- the toy outputs -------------------------------------------------------------------------


def write_scorecards(root: Path) -> None:
    jobs = {}
    for code in REGION_NAMES:
        if code == FAILED_REGION:
            jobs[code] = {"status": "failed", "error": "boom", "outputs": []}
            continue
        folder = root / "scorecards" / code
        folder.mkdir(parents=True)
        for suffix in ("html", "pdf", "json"):
            (folder / f"{code}.{suffix}").write_text(f"<h1>{code}</h1>", encoding="utf-8")
        jobs[code] = {"status": "ok", "outputs": [f"{code}/{code}.{s}" for s in ("html", "pdf")]}
    (root / "scorecards" / "manifest.json").write_text(json.dumps({"jobs": jobs}))


def write_reports(root: Path) -> None:
    folder = root / "reports" / "sector_reports" / "automotive"
    folder.mkdir(parents=True)
    (folder / "automotive.html").write_text("<h1>Automotive</h1>", encoding="utf-8")
    (folder / "automotive.pdf").write_bytes(b"%PDF-1.7 toy")
    record = {
        "year": 2015,
        "employment_persons": 4050.0,
        "n_regions_with_data": 5,
        "n_starred_regions": 2,
        "top_n": 10,
        "top_n_share": None,  # missing: "not available", never 0
    }
    (folder / "automotive.json").write_text(json.dumps({"record": record}), encoding="utf-8")
    panorama = root / "reports" / "panorama" / "cluster_panorama"
    panorama.mkdir(parents=True)
    (panorama / "cluster_panorama.html").write_text("<h1>Panorama</h1>", encoding="utf-8")


TOY_TABLE = pd.DataFrame(
    {
        "region_code": ["AT11", "BE10", "DE11"],
        "region_name": ["Burgenland", "Région de Bruxelles-Capitale", "Stuttgart"],
        "n_starred_clusters": [1.0, None, 1.0],
        "mystery_column": ["a", "b", "c"],
    }
)


def write_tables(root: Path) -> None:
    write_table(
        TOY_TABLE,
        root / "panorama" / "starred_clusters_by_region_eco2008_nuts2_2015",
        title="Starred traded clusters per region, NUTS 2, 2015, star rule set eco2008",
        sources=["toy source"],
    )
    write_table(
        TOY_TABLE.head(2),
        root / "sector_reports" / "automotive" / "regions_eco2008_nuts2_2015",
        title="Automotive (automotive): regions ranked by stars, NUTS 2, 2015",
        sources=["toy source"],
    )


@pytest.fixture
def built(toy_store, outputs):
    outputs.mkdir(parents=True)
    write_scorecards(outputs)
    write_reports(outputs)
    write_tables(outputs)
    portal.write_portal_downloads(toy_store, outputs)
    index = portal.build_portal(toy_store, outputs, apps=[APP])
    assert index == outputs / "index.html"
    return outputs


# --- sections and the page frame -------------------------------------------------------------


def test_every_page_is_written_in_the_shared_frame(built, toy_store):
    for name in PAGES:
        text = (built / name).read_text(encoding="utf-8")
        assert text.startswith('<!DOCTYPE html>\n<html lang="en">'), name
        assert re.search(r"<title>[^<]+ · European Cluster Observatory</title>", text), name
        assert '<a class="skip-link" href="#content">' in text, name
        assert '<nav class="site-nav" aria-label="Sections">' in text, name
        assert '<main id="content"' in text and "<footer" in text, name
        assert "Source: Eurostat" in text and "EuroGeographics" in text, name
        assert toy_store.version in text, name
        assert text.count("<h1") == 1, name
        assert "<style>" in text and ".skip-link" in text, name  # the style sheet, inlined


def test_the_index_mirrors_the_observatorys_sections(built):
    text = (built / "index.html").read_text(encoding="utf-8")
    sections = re.findall(r'<h2 id="([^"]+)">([^<]+)</h2>', text)
    assert [title for _, title in sections] == [
        "Mapping tool",
        "Cluster mapping",
        "Regional Ecosystem Scoreboard",
        "Scorecards for regions",
        "Cluster policy",
        "Reports and downloads",
        "Methodology, sources and accessibility",
    ]
    hrefs = {link.href for link in links_of(built / "index.html")}
    assert {
        "mapping-tool.html",
        "downloads.html",
        "methodology.html",
        "sources.html",
        "accessibility.html",
        "index.html#cluster-policy",
    } <= hrefs
    # honest about what is not there yet: no link for the smart-specialisation material
    assert "not yet published" in text


def test_every_scorecard_is_linked_by_its_regions_name(built):
    links = [link for link in links_of(built / "index.html") if not link.in_svg]
    by_href = {link.href: link.text for link in links}
    for code, name in REGION_NAMES.items():
        href = f"scorecards/{code}/{code}.html"
        if code == FAILED_REGION:
            assert href not in by_href
            continue
        assert by_href[href] == f"{name} ({code})"
        assert (built / href).is_file()
        pdf = next(link for link in links if link.href == f"scorecards/{code}/{code}.pdf")
        assert pdf.label == f"{name} ({code}), PDF"
    text = (built / "index.html").read_text(encoding="utf-8")
    assert f"Karlsruhe ({FAILED_REGION}): scorecard not available" in text


def test_every_category_has_a_page_linked_by_its_name(built, toy_store):
    links = {link.href: link.text for link in links_of(built / "index.html")}
    for row in toy_store.cluster_categories.itertuples():
        href = f"categories/{row.category_code}.html"
        assert links[href] == row.category_name
        page = (built / href).read_text(encoding="utf-8")
        assert f"<h1>{row.category_name}</h1>" in page
    # the slug is never the link text
    assert "automotive" not in {text for text in links.values()}


def test_a_category_page_links_its_report_and_downloads_and_says_what_is_missing(built):
    automotive = links_of(built / "categories" / "automotive.html")
    hrefs = {link.href for link in automotive}
    assert "../reports/sector_reports/automotive/automotive.html" in hrefs
    assert "../reports/sector_reports/automotive/automotive.pdf" in hrefs
    assert "../sector_reports/automotive/regions_eco2008_nuts2_2015.csv" in hrefs
    assert "../scorecards/DE11/DE11.html" in hrefs  # the leading region's scorecard
    text = (built / "categories" / "automotive.html").read_text(encoding="utf-8")
    assert "4\u00a0050" in text  # employment from the report's record, house style
    assert "Share of the 10 largest regions</dt><dd>not available" in text
    financial = (built / "categories" / "financial-services.html").read_text(encoding="utf-8")
    assert "has not been built yet" in financial
    assert "<dd>not available</dd>" in financial and "<dd>0</dd>" not in financial
    assert "No region has a starred cluster in Financial Services" in financial


# --- search, browse by country, the maps -------------------------------------------------------


def test_regions_can_be_searched_and_browsed_by_country(built):
    text = (built / "index.html").read_text(encoding="utf-8")
    assert '<div class="search" id="region-search" hidden>' in text  # shown by the script
    assert '<label for="region-filter">' in text and 'type="search" id="region-filter"' in text
    assert 'role="status"' in text and "<script>" in text
    # the search text holds the name without accents, the code and both country names
    assert 'data-search="region de bruxelles-capitale be10 belgium belgique be"' in text
    headings = re.findall(r'<h4 id="country-([A-Z]+)">([^<]+)</h4>', text)
    assert headings == [  # protocol order, English names beside the own-language ones
        ("BE", "Belgium (Belgique, BE)"),
        ("DE", "Germany (Deutschland, DE)"),
        ("AT", "Austria (Österreich, AT)"),
    ]
    jump = {link.href: link.text for link in links_of(built / "index.html")}
    assert jump["#country-AT"] == "Austria"


def test_every_region_with_a_scorecard_is_a_named_link_on_the_map(built):
    text = (built / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<svg class="map map-links" viewBox="0 0 \d+ \d+" role="group"', text)
    on_map = [link for link in links_of(built / "index.html") if link.in_svg]
    expected = {code: name for code, name in REGION_NAMES.items() if code != FAILED_REGION}
    assert {link.href for link in on_map} == {f"scorecards/{code}/{code}.html" for code in expected}
    for link in on_map:
        code = link.href.split("/")[1]
        assert link.label == link.title == f"{expected[code]} ({code})"
    assert re.search(r'<path d="M[^"]+" fill="#d9d9d9"[^>]*><title>Karlsruhe \(DE12\)', text)


def test_the_overview_map_keeps_no_data_apart_from_zero(built, toy_store):
    text = (built / "mapping-tool.html").read_text(encoding="utf-8")
    assert re.search(r'<svg class="map" viewBox="[^"]+" role="img" aria-labelledby=', text)
    assert '<desc id="overview-desc">Map of the 6 NUTS 2 regions' in text
    assert "Open the mapping tool" in text and "/voila/render/mapping_tool.ipynb" in text

    toy = pages.gather(toy_store, built)
    by_region = toy.summary.by_region.assign(
        n_starred_clusters=toy.summary.by_region["n_starred_clusters"].mask(
            toy.summary.by_region["region_code"] == "DE11"
        )
    )
    toy = dataclasses.replace(toy, summary=dataclasses.replace(toy.summary, by_region=by_region))
    overview = pages.overview_map(toy)
    codes = toy.shapes.table["region_code"]
    fills = dict(zip(codes, (r["fill"] for r in overview["regions"]), strict=True))
    assert fills["DE11"] == NO_DATA_COLOUR
    assert fills["AT12"] != NO_DATA_COLOUR  # zero starred clusters is a value, not no data
    assert overview["legend"][-1]["label"] == "no data"
    rows = {row[0].text: [c.text for c in row[1:]] for row in overview["table"].rows}
    assert rows["Stuttgart (DE11)"][-1] == "not available"
    assert rows["Niederösterreich (AT12)"][-1] == "0"


# --- reports and downloads ---------------------------------------------------------------------


def test_the_download_catalogue_gives_format_size_rows_and_a_dictionary(built):
    text = (built / "downloads.html").read_text(encoding="utf-8")
    row = re.search(
        r"<tr><th scope=\"row\">Starred traded clusters per region, NUTS 2, 2015, star rule set "
        r"eco2008</th>\s*<td><ul class=\"files\">(.*?)</ul></td>\s*<td class=\"num\">(.*?)</td>"
        r"\s*<td><a href=\"(.*?)\">",
        text,
    )
    assert row, "the Panorama table's row is missing"
    files, rows, dictionary = row.groups()
    assert re.search(
        r'<a href="panorama/starred_clusters[^"]+\.csv">CSV</a> \(\d+\u00a0bytes\)', files
    )
    assert re.search(
        r'<a href="panorama/starred_clusters[^"]+\.xlsx">XLSX</a> \([\d.]+\u00a0kB\)', files
    )
    assert rows == "3"
    anchor = dictionary.partition("#")[2]
    table = re.search(rf'<table id="{anchor}".*?</table>', text, re.S).group(0)
    assert "<code>n_starred_clusters</code></th><td>Clusters with at least one star" in table
    assert "<code>mystery_column</code></th><td>not described yet" in table
    parquet = built / "downloads" / "cluster_indicators.parquet"
    n_rows = f"{len(pd.read_parquet(parquet)):,}".replace(",", "\u00a0")
    assert re.search(
        rf'downloads/cluster_indicators.parquet">Parquet</a> \([^)]+\)</li></ul></td>\s*'
        rf'<td class="num">{n_rows}</td>',
        text,
    )
    # a sector table is described once, its files are on the category pages
    assert "one per category, on its page (CSV, XLSX)" in text


def test_no_page_fetches_anything_from_outside(built):
    for path in [*built.glob("*.html"), *(built / "categories").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        for attribute in re.findall(r'\b(?:href|src)="([^"]*)"', text):
            assert not re.match(r"(?:[a-z]+:)?//", attribute), (path.name, attribute)
        assert not re.search(r"<(?:link|img|iframe)\b|<script\s+src|@import|url\(", text), path


def test_the_methodology_page_gives_its_tables_header_scopes(built):
    text = (built / "methodology.html").read_text(encoding="utf-8")
    assert "<h1>Methodology</h1>" in text
    assert '<th scope="col"' in text and not re.search(r"<th(?![^>]*scope)[\s>]", text)


# --- atomic publication -----------------------------------------------------------------------


def test_a_failing_build_leaves_the_published_pages_as_they_were(built, toy_store, monkeypatch):
    before = {p: p.read_bytes() for p in built.rglob("*.html")}
    calls = []

    def failing(portal_, category):
        calls.append(category.code)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(portal_, category)

    original = pages.category_context
    monkeypatch.setattr(pages, "category_context", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        portal.build_portal(toy_store, built)
    assert {p: p.read_bytes() for p in built.rglob("*.html")} == before

    monkeypatch.setattr(pages, "category_context", original)

    def failing_replace(staging, target):
        raise OSError("no space left on device")

    monkeypatch.setattr(build, "replace_directory", failing_replace)
    with pytest.raises(OSError, match="no space"):
        portal.build_portal(toy_store, built)
    assert {p: p.read_bytes() for p in built.rglob("*.html")} == before
    assert not list(built.glob(f"{TEMP_PREFIX}*"))

"""The portal and its machine-readable downloads on the real store.

The scorecard batch is too slow for this tier, so the outputs hold a stand-in page for every
NUTS-2 region (as the batch names them) and a manifest that records them; the portal then has
to link every one of them by name, on the list and on the map of Europe, and every category.
"""

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from observatory_lib.indicators import recipes
from observatory_lib.products import portal
from observatory_lib.products.kit.links import scorecard_path

pytestmark = pytest.mark.integration


class Anchors(HTMLParser):
    """``(href, text, aria-label, inside an svg)`` of every link."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self.current, self.svg, self.title = [], None, 0, False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.svg += tag == "svg"
        self.title = self.title or tag == "title"
        if tag == "a" and "href" in attributes:
            self.current = [attributes["href"], "", attributes.get("aria-label"), self.svg > 0]

    def handle_endtag(self, tag):
        self.svg -= tag == "svg"
        self.title = self.title and tag != "title"
        if tag == "a" and self.current is not None:
            self.current[1] = " ".join(self.current[1].split())
            self.found.append(tuple(self.current))
            self.current = None

    def handle_data(self, data):
        if self.current is not None and not self.title:
            self.current[1] += data


def anchors(path):
    parser = Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.found


@pytest.fixture(scope="module")
def nuts2(built_store):
    """The NUTS-2 regions a batch of every region would run (those with a polygon), by name."""
    codes = recipes.geometries(built_store, 2)["region_code"]
    names = recipes.statistics_regions(built_store)["region_name"]
    return dict(zip(codes, codes.map(names), strict=True))


@pytest.fixture(scope="module")
def built_portal(built_store, nuts2, tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs")
    jobs = {}
    for code, name in nuts2.items():
        page = root / scorecard_path(code)
        page.parent.mkdir(parents=True)
        page.write_text(f"<h1>{name} ({code})</h1>", encoding="utf-8")
        jobs[code] = {"status": "ok", "outputs": [f"{code}/{code}.html"]}
    jobs["XX99"] = {"status": "failed", "outputs": []}
    (root / "scorecards" / "manifest.json").write_text(json.dumps({"jobs": jobs}))
    downloads = portal.write_portal_downloads(built_store, root)
    page = portal.build_portal(built_store, root)
    return root, page, downloads


def test_the_index_links_every_regions_scorecard_by_name(built_portal, nuts2):
    _, page, _ = built_portal
    listed = {href: text for href, text, _, in_svg in anchors(page) if not in_svg}
    for code, name in nuts2.items():
        assert listed.get(scorecard_path(code)) == f"{name} ({code})", code
    assert "XX99 (XX99): scorecard not available" in page.read_text(encoding="utf-8")


def test_the_map_of_europe_links_every_region(built_portal, nuts2, built_store):
    _, page, _ = built_portal
    on_map = {href: label for href, _, label, in_svg in anchors(page) if in_svg}
    regions = recipes.statistics_regions(built_store)
    aggregates = set(regions.loc[regions["is_aggregate"].fillna(False).astype(bool), "region_code"])
    # the JRC crosswalk apportions the split regions (HU10, LT00, PL12) to their successors, so
    # no region stands for others: every region of the batch is drawn and linked
    assert aggregates == set()
    assert {"HU11", "HU12", "LT01", "LT02", "PL91", "PL92"} <= set(nuts2)
    for code, name in nuts2.items():
        assert on_map[scorecard_path(code)] == f"{name} ({code})", code
    text = page.read_text(encoding="utf-8")
    for code in ("FRY4", "ES70", "PT30"):  # outermost regions: in the insets
        assert scorecard_path(code) in on_map
    assert len(text.encode()) < 400_000  # small enough to open offline on a phone


def test_the_index_links_every_category_by_name(built_portal, built_store):
    root, page, _ = built_portal
    links = {href: text for href, text, _, _ in anchors(page)}
    categories = built_store.cluster_categories
    repeated = categories["category_name"].duplicated(keep=False)
    for row, is_repeated in zip(categories.itertuples(), repeated, strict=True):
        href = f"categories/{row.category_code}.html"
        expected = row.category_name
        if is_repeated and row.category_type == "emerging":
            expected += " (emerging industry)"
        assert links[href] == expected
        assert f"<h1>{row.category_name}</h1>" in (root / href).read_text(encoding="utf-8")
    assert len(categories) == 57


def test_pages_are_offline_and_carry_the_attribution(built_portal):
    root, _, _ = built_portal
    for path in [*root.glob("*.html"), *(root / "categories").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'(?:href|src)="(?:https?:)?//', text), path.name
        assert "Source: Eurostat" in text and "EuroGeographics" in text, path.name
    assert (root / "methodology.html").is_file()


def test_downloads_cover_parquet_and_geojson(built_portal):
    root, _, downloads = built_portal
    names = {p.name for p in downloads}
    assert {"cluster_indicators.parquet", "regions_nuts2_2016.geojson"} <= names
    layer = json.loads((root / "downloads" / "regions_nuts2_2016.geojson").read_text())
    assert len(layer["features"]) >= 330
    clusters = pd.read_parquet(root / "downloads" / "cluster_indicators.parquet")
    assert clusters["stars"].isna().any() or clusters["lq"].isna().any()  # missing kept
    catalogue = (root / "downloads.html").read_text(encoding="utf-8")
    assert 'href="downloads/regions_nuts2_2016.geojson">GeoJSON</a>' in catalogue
    rows = f"{len(clusters):,}".replace(",", "\u00a0")
    assert re.search(
        rf'cluster_indicators.parquet">Parquet</a> \([^)]+\)</li></ul></td>\s*'
        rf'<td class="num">{rows}</td>',
        catalogue,
    )
    assert "not described yet" not in catalogue

"""The portal page and its machine-readable downloads, on the real store."""

import json

import pandas as pd
import pytest

from observatory_lib.products import portal

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built_portal(built_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs")
    scorecards = root / "scorecards"
    (scorecards / "DE11").mkdir(parents=True)
    for suffix in ("html", "pdf", "json"):
        (scorecards / "DE11" / f"DE11.{suffix}").write_text("x")
    manifest = {
        "jobs": {
            "DE11": {"status": "ok", "outputs": ["DE11.html", "DE11.pdf", "DE11.json"]},
            "XX99": {"status": "failed", "outputs": []},
        }
    }
    (scorecards / "manifest.json").write_text(json.dumps(manifest))
    downloads = portal.write_portal_downloads(built_store, root)
    page = portal.build_portal(built_store, root)
    return root, page, downloads


def test_page_links_scorecards_and_is_offline(built_portal):
    root, page, _ = built_portal
    text = page.read_text()
    assert 'href="scorecards/DE11/DE11.pdf"' in text
    assert "Stuttgart" in text
    assert "http://" not in text and "https://" not in text
    assert (root / "methodology.html").is_file()
    assert "Source: Eurostat" in text and "EuroGeographics" in text


def test_the_cluster_policy_page_says_what_there_is_and_what_there_is_not(built_portal):
    root, page, _ = built_portal
    text = page.read_text()
    assert 'href="cluster_policy.html"' in text
    assert "Scorecards for region groups" in text and "Smart specialisation" in text
    policy = (root / "cluster_policy.html").read_text()
    assert "What the observatory does not have" in policy
    assert "region_code</code>" in policy and "nace_divisions" in policy  # the input format
    assert "<table>" in policy


def test_downloads_cover_parquet_and_geojson(built_portal, built_store):
    root, page, downloads = built_portal
    names = {p.name for p in downloads}
    assert {"cluster_indicators.parquet", "regions_nuts2_2016.geojson"} <= names
    layer = json.loads((root / "downloads" / "regions_nuts2_2016.geojson").read_text())
    assert len(layer["features"]) >= 330
    clusters = pd.read_parquet(root / "downloads" / "cluster_indicators.parquet")
    assert clusters["stars"].isna().any() or clusters["lq"].isna().any()  # missing kept
    assert "downloads/regions_nuts2_2016.geojson" in page.read_text()

"""Provenance footers name the datasets, vintages, editions, modifications and attribution."""

import pandas as pd

from observatory_lib.products import provenance

PROVENANCE = pd.DataFrame(
    {
        "source_code": [
            "sbs_r_nuts06_r2_2015",
            "nuts_rg_20m_2016_l2",
            "eurito_x_meta",
            "nama_10r_2gdp",
        ],
        "dataset_code": ["sbs_r_nuts06_r2", None, "rd_e_gerdreg", "nama_10r_2gdp"],
        "title": ["SBS persons employed", "NUTS 2016 level 2", "meta", "GDP"],
        "vintage": ["2015", "2016", "2022", "2016-02-26"],
        "nuts_edition": pd.array([2013, 2016, 2016, 2013], dtype="Int64"),
        "provider": ["Eurostat", "GISCO", "Eurostat", "Eurostat"],
        "attribution": [
            "Source: Eurostat",
            "© EuroGeographics for the administrative boundaries",
            "Source: Eurostat",
            "Source: Eurostat",
        ],
    }
)


def test_footer_for_cluster_products_lists_only_their_sources():
    text = provenance.provenance_markdown(
        PROVENANCE, provenance.PRODUCT_SOURCES["clusters"], store_version="abc123"
    )
    assert "`sbs_r_nuts06_r2`" in text and "vintage 2015" in text and "NUTS 2013" in text
    assert "nama_10r_2gdp" not in text
    assert "Source: Eurostat" in text
    assert "© EuroGeographics for the administrative boundaries" in text
    assert "recoded to NUTS 2016" in text
    assert "abc123" in text


def test_metadata_sidecars_are_not_listed():
    table = provenance.provenance_table(PROVENANCE, ("eurito_",))
    assert table.empty


def test_attribution_lines_put_eurostat_first():
    assert provenance.attribution_lines(PROVENANCE)[0] == "Source: Eurostat"

"""Provenance footers name the datasets, vintages, editions, modifications and attribution."""

import pandas as pd

from observatory_lib.products.kit import provenance

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
    assert "recoded to NUTS 2016 with the JRC NUTS converter" in text and "apportioned" in text
    assert "abc123" in text


def test_metadata_sidecars_are_not_listed():
    table = provenance.provenance_table(PROVENANCE, ("eurito_",))
    assert table.empty


def test_attribution_lines_put_eurostat_first():
    assert provenance.attribution_lines(PROVENANCE)[0] == "Source: Eurostat"


# The compact footer of short documents (the region scorecard): one entry per dataset.
SERIES = pd.DataFrame(
    {
        "source_code": [
            "eurito_rd_e_gerdreg_total_pc_gdp",
            "eurito_rd_e_gerdreg_total_pc_gdp_meta",
            "eurito_rd_e_gerdreg_bes_pc_gdp",
            "nuts_rg_20m_2016_l0",
            "nuts_rg_20m_2016_l2",
            "nuts_rg_20m_2016_l1",
            "nama_10r_2gdp",
        ],
        "dataset_code": [
            "rd_e_gerdreg",
            "rd_e_gerdreg",
            "rd_e_gerdreg",
            None,
            None,
            None,
            "nama_10r_2gdp",
        ],
        "title": [
            "GERD, % of GDP",
            "meta",
            "Business enterprise R&D expenditure, % of GDP",
            "NUTS 2016 regions, level 0, 1:20 million (GISCO)",
            "NUTS 2016 regions, level 2, 1:20 million (GISCO)",
            "NUTS 2016 regions, level 1, 1:20 million (GISCO)",
            "GDP",
        ],
        "vintage": ["2022-03-31", "2022-03-31", "2022-03-31", "2016", "2016", "2016", "2016-02"],
        "nuts_edition": pd.array([2016, 2016, 2016, 2016, 2016, 2016, 2013], dtype="Int64"),
        "provider": ["Eurostat via Nesta EURITO"] * 3 + ["Eurostat GISCO"] * 3 + ["Eurostat"],
        "attribution": ["Source: Eurostat"] * 3
        + ["© EuroGeographics for the administrative boundaries"] * 3
        + ["Source: Eurostat"],
    }
)
SERIES_PREFIXES = ("eurito_", "nuts_rg_", "nama_")  # with prefixes, sidecars are left out


def test_compact_table_has_one_row_per_dataset():
    table = provenance.compact_provenance_table(SERIES, SERIES_PREFIXES).set_index("dataset_code")
    assert list(table.index) == ["nama_10r_2gdp", "nuts_rg_20m_2016", "rd_e_gerdreg"]
    gerd = table.loc["rd_e_gerdreg"]
    assert gerd["n_sources"] == 2  # the metadata sidecar is not a source
    assert gerd["title"] == "Business enterprise R&D expenditure, % of GDP / GERD, % of GDP"
    assert (gerd["vintage"], gerd["nuts_edition"]) == ("2022-03-31", "2016")
    boundaries = table.loc["nuts_rg_20m_2016"]
    assert boundaries["title"] == "NUTS 2016 regions, levels 0–2, 1:20 million (GISCO)"
    assert boundaries["n_sources"] == 3
    # the boundaries have no published dataset code: their row is named by the input's id
    assert table["has_dataset_code"].to_dict() == {
        "nama_10r_2gdp": True,
        "nuts_rg_20m_2016": False,
        "rd_e_gerdreg": True,
    }


def test_compact_table_lists_uneven_levels_and_keeps_prefix_selection():
    levels = SERIES.loc[SERIES["source_code"].isin(["nuts_rg_20m_2016_l0", "nuts_rg_20m_2016_l2"])]
    table = provenance.compact_provenance_table(levels)
    assert table["title"].tolist() == ["NUTS 2016 regions, levels 0, 2, 1:20 million (GISCO)"]
    assert provenance.compact_provenance_table(SERIES, ("nama_",))["dataset_code"].tolist() == [
        "nama_10r_2gdp"
    ]


def test_compact_footer_names_each_dataset_once_with_attribution_and_changes():
    text = provenance.provenance_markdown(
        SERIES, SERIES_PREFIXES, store_version="abc123", compact=True
    )
    assert text.count("rd_e_gerdreg") == 1
    # cited by online data code, as Eurostat does; the title is on the portal's sources page
    assert "rd_e_gerdreg (vintage 2022-03-31, NUTS 2016)" in text
    assert "Business enterprise R&D" not in text
    # the boundaries have no published code: readers see the title, not the input's id
    assert "; NUTS 2016 regions, levels 0–2" in text and "nuts_rg_20m_2016" not in text
    assert "Source: Eurostat · © EuroGeographics for the administrative boundaries" in text
    assert (
        "recoded to NUTS 2016 with the JRC NUTS converter" in text
        and "apportioned" in text
        and "abc123" in text
    )
    assert "- " not in text and "`" not in text  # one paragraph: no list items, no code spans


def test_full_footer_is_unchanged_by_the_compact_option():
    full = provenance.provenance_markdown(SERIES, SERIES_PREFIXES, store_version="abc123")
    assert full.count("`rd_e_gerdreg`") == 2  # one line per series, as before
    assert full == provenance.provenance_markdown(
        SERIES, SERIES_PREFIXES, store_version="abc123", compact=False
    )

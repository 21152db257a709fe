"""Provenance and attribution footers that every product prints.

Built from the store's ``provenance`` table, so a product names exactly the datasets, vintages
and NUTS editions it used, the attribution lines that must travel with them, and what the
workbook modified (Eurostat's reuse policy asks for that statement).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

GISCO_ATTRIBUTION = "© EuroGeographics for the administrative boundaries"
EUROSTAT_ATTRIBUTION = "Source: Eurostat"
MODIFICATION_NOTE = (
    "Data modified by the workbook: NUTS 2013 codes recoded to NUTS 2016, tables reshaped to a "
    "tidy long format, cluster employment derived from NACE divisions by equal allocation, "
    "suppressed cells estimated where stated (flagged)."
)

# Which inputs each family of products reads, by catalog source_code prefix.
PRODUCT_SOURCES = {
    "clusters": ("sbs_r_nuts06_r2", "eco_", "nuts_rg_20m_2016", "nuts2_2013"),
    "scoreboard": (
        "sbs_r_nuts06_r2",
        "nama_",
        "lfst_",
        "trng_",
        "eurito_",
        "regional_main_tables",
        "nuts_rg_20m_2016",
        "nuts2_2013",
    ),
}


def select_sources(provenance: pd.DataFrame, prefixes: Iterable[str]) -> pd.DataFrame:
    """The provenance rows whose source code starts with one of ``prefixes``, no metadata."""
    prefixes = tuple(prefixes)
    chosen = provenance["source_code"].str.startswith(prefixes)
    not_metadata = ~provenance["source_code"].str.endswith("_meta")
    return provenance[chosen & not_metadata]


def provenance_table(
    provenance: pd.DataFrame, prefixes: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per dataset: code, title, vintage, NUTS edition, provider (deduplicated)."""
    rows = provenance if prefixes is None else select_sources(provenance, prefixes)
    table = rows.assign(dataset=rows["dataset_code"].fillna(rows["source_code"]))
    table = table.groupby(["dataset", "title"], as_index=False, sort=True).agg(
        vintage=("vintage", "first"),
        nuts_edition=("nuts_edition", "first"),
        provider=("provider", "first"),
    )
    return table.rename(columns={"dataset": "dataset_code"})


def attribution_lines(provenance: pd.DataFrame) -> list[str]:
    """The attribution lines for the given sources, Eurostat and GISCO first."""
    present = set(provenance["attribution"].dropna())
    ordered = [line for line in (EUROSTAT_ATTRIBUTION, GISCO_ATTRIBUTION) if line in present]
    ordered += sorted(present - set(ordered))
    return ordered


def provenance_markdown(
    provenance: pd.DataFrame,
    prefixes: Iterable[str] | None = None,
    *,
    store_version: str = "",
    nuts_edition: int = 2016,
) -> str:
    """A Markdown footer: datasets with vintages, NUTS edition, modifications and attribution."""
    rows = provenance if prefixes is None else select_sources(provenance, prefixes)
    table = provenance_table(rows)
    lines = ["**Data sources**", ""]
    for item in table.itertuples(index=False):
        edition = "" if pd.isna(item.nuts_edition) else f", NUTS {int(item.nuts_edition)}"
        lines.append(f"- `{item.dataset_code}`: {item.title} (vintage {item.vintage}{edition})")
    lines += [
        "",
        f"Statistics are shown on the NUTS {nuts_edition} classification."
        + (f" Store version `{store_version}`." if store_version else ""),
        "",
        MODIFICATION_NOTE,
        "",
        *[f"{line}  " for line in attribution_lines(rows)],
    ]
    return "\n".join(lines)

"""Provenance and attribution footers that every product prints.

Built from the store's ``provenance`` table, so a product names exactly the datasets, vintages
and NUTS editions it used, the attribution lines that must travel with them, and what the
workbook modified (Eurostat's reuse policy asks for that statement).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from observatory_lib.constants import (
    DEFAULT_YEAR,
    EUROSTAT_ATTRIBUTION,
    GISCO_ATTRIBUTION,
    MODIFICATION_NOTE,
    SBS_FIRST_YEAR,
    STATISTICS_EDITION,
)
from observatory_lib.errors import unknown_code

# The boundaries of the edition the statistics are shown in, and the crosswalks that took
# them there (catalog source_code prefixes).
EDITION_GEOMETRIES = {2013: "nuts_rg_20m_2013", 2016: "nuts_rg_20m_2016", 2021: "nuts_rg_60m_2021"}
EDITION_CROSSWALKS = {
    2013: ("jrc_nuts_cm_n2_2013_2016",),  # the NUTS 2016 sources shown on NUTS 2013
    2016: ("jrc_nuts_cm_n2_2013_2016",),
    2021: ("jrc_nuts_cm_n2_2013_2016", "jrc_nuts_cm_n2_2016_2021"),
}
_GEOGRAPHY = (EDITION_GEOMETRIES[STATISTICS_EDITION], *EDITION_CROSSWALKS[STATISTICS_EDITION])
# Which inputs each family of products reads, by catalog source_code prefix.
PRODUCT_SOURCES = {
    "clusters": ("sbs_r_nuts06_r2", "eco_", *_GEOGRAPHY),
    # the cluster statistics and the regional S3 priorities they are compared with
    "smart_specialisation": ("sbs_r_nuts06_r2", "eco_", *_GEOGRAPHY, "s3_czechia"),
    "scoreboard": (
        "sbs_r_nuts06_r2",
        "nama_",
        "lfst_",
        "trng_",
        "eurito_",
        "regional_main_tables",
        *_GEOGRAPHY,
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
    nuts_edition: int = STATISTICS_EDITION,
    compact: bool = False,
) -> str:
    """A Markdown footer: datasets with vintages, NUTS edition, modifications and attribution.

    Args:
        provenance: the store's ``provenance`` table.
        prefixes: keep the sources whose code starts with one of these (None keeps all).
        store_version: printed when given.
        nuts_edition: the classification the statistics are shown on.
        compact: one entry per dataset (``compact_provenance_table``), all in one paragraph,
            for short documents such as the region scorecard.
    """
    rows = provenance if prefixes is None else select_sources(provenance, prefixes)
    if compact:
        return _compact_markdown(rows, store_version=store_version, nuts_edition=nuts_edition)
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


# --------------------------------------------------------------------------------------------
# Compact footer: one entry per dataset

# A GISCO layer per NUTS level ("nuts_rg_20m_2016_l2") is one dataset at four levels.
_LEVEL_SUFFIX = re.compile(r"_l\d$")
_LEVEL_IN_TITLE = re.compile(r"\blevel (\d)\b")


def compact_provenance_table(
    provenance: pd.DataFrame, prefixes: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per dataset, for short documents: the series of one dataset share a row.

    Rows are grouped by Eurostat dataset code (the EURITO extracts of ``rd_e_gerdreg`` are
    one row); inputs without a dataset code by source code, the per-level GISCO layers of
    one boundary set together. Titles of a group are merged (``levels 0–3`` when they
    differ only by the NUTS level; a shared part before ``: `` written once; else joined by
    `` / ``), vintages and editions listed once.

    Returns:
        ``dataset_code, title, vintage, nuts_edition, provider, n_sources, has_dataset_code``,
        sorted by ``dataset_code``; ``nuts_edition`` is text (``"2013"``, ``"2013, 2016"`` or
        empty); ``has_dataset_code`` is False where ``dataset_code`` is the input's own id (the
        catalog gives no published code).
    """
    rows = provenance if prefixes is None else select_sources(provenance, prefixes)
    rows = rows.sort_values("source_code", kind="stable")
    fallback = rows["source_code"].str.replace(_LEVEL_SUFFIX, "", regex=True)
    rows = rows.assign(
        group=rows["dataset_code"].fillna(fallback), has_code=rows["dataset_code"].notna()
    )
    table = rows.groupby("group", sort=True).agg(
        title=("title", _merged_titles),
        vintage=("vintage", _listed),
        nuts_edition=("nuts_edition", _listed),
        provider=("provider", _listed),
        n_sources=("source_code", "size"),
        has_dataset_code=("has_code", "any"),
    )
    return table.rename_axis("dataset_code").reset_index()


def _listed(values: pd.Series) -> str:
    """The distinct non-missing values in order of appearance, comma-separated."""
    return ", ".join(dict.fromkeys(str(value) for value in values.dropna()))


def _merged_titles(titles: pd.Series) -> str:
    """One title for the series of a dataset (see ``compact_provenance_table``)."""
    distinct = list(dict.fromkeys(str(title) for title in titles.dropna()))
    if len(distinct) <= 1:
        return distinct[0] if distinct else ""
    templates = {_LEVEL_IN_TITLE.sub("level #", title) for title in distinct}
    levels = sorted(
        {int(m.group(1)) for title in distinct for m in _LEVEL_IN_TITLE.finditer(title)}
    )
    if len(templates) == 1 and len(levels) == len(distinct):
        consecutive = levels == list(range(levels[0], levels[-1] + 1))
        span = f"{levels[0]}–{levels[-1]}" if consecutive else ", ".join(map(str, levels))
        return templates.pop().replace("level #", f"levels {span}")
    heads = {title.split(": ", 1)[0] for title in distinct}
    if len(heads) == 1 and all(": " in title for title in distinct):
        # one dataset in several files (the SBS bulk file and the 2015 extract): name it once
        return f"{heads.pop()}: " + " / ".join(title.split(": ", 1)[1] for title in distinct)
    return " / ".join(distinct)


def _compact_markdown(rows: pd.DataFrame, *, store_version: str, nuts_edition: int) -> str:
    # One run-on paragraph: a list item, a forced line break or a code span per dataset would
    # each cost the PDF layout another box, and the scorecard batch prints ~300 of these.
    # Datasets with an online data code are cited by code, as Eurostat's own publications do
    # ("online data code: nama_10r_2gdp"), grouped by vintage and edition; their titles are on
    # the portal's Data sources page and in every sources download. Other inputs keep a title.
    coded: dict[str, list[str]] = {}
    others = []
    for item in compact_provenance_table(rows).itertuples(index=False):
        edition = f", NUTS {item.nuts_edition}" if item.nuts_edition else ""
        when = f"vintage {item.vintage}{edition}"
        if item.has_dataset_code:  # an input's own id means nothing to readers
            codes = [code.strip() for code in item.dataset_code.split(",")]
            coded.setdefault(when, []).extend(codes)
        else:
            others.append(f"{item.title} ({when})")
    datasets = [f"{', '.join(codes)} ({when})" for when, codes in coded.items()] + others
    version = f" Store version {store_version}." if store_version else ""
    return "\n".join(
        [
            "**Data sources** (Eurostat online data codes, then the other inputs, with vintage and "
            "NUTS edition; titles on the portal's Data sources page): " + "; ".join(datasets) + ".",
            "",
            f"Statistics are shown on the NUTS {nuts_edition} classification.{version} "
            + MODIFICATION_NOTE,
            "",
            " · ".join(attribution_lines(rows)),
        ]
    )


def product_provenance_markdown(store, product: str) -> str:
    """The footer of a report of ``product`` (``clusters`` or ``scoreboard``) on ``store``."""
    if product not in PRODUCT_SOURCES:
        raise unknown_code("product", product, PRODUCT_SOURCES)
    return provenance_markdown(
        store.provenance, PRODUCT_SOURCES[product], store_version=store.version
    )


def vintage_line(provenance: pd.DataFrame, prefixes: Iterable[str]) -> str:
    """One line on the data's vintages: the SBS extract, the other statistics' range, the maps.

    E.g. ``cluster data (SBS) 2015 and 2017-07-31; context indicators 2016-02-26 to
    2022-03-31; boundaries NUTS 2016 (GISCO)``.
    """
    sbs, others = _vintages(provenance, prefixes)
    parts = []
    if sbs:
        parts.append(f"cluster data (SBS) {' and '.join(sbs)}")
    if others:
        span = others[0] if len(others) == 1 else f"{others[0]} to {others[-1]}"
        parts.append(f"context indicators {span}")
    parts.append(f"boundaries NUTS {STATISTICS_EDITION} (GISCO)")
    return "; ".join(parts)


def running_head(store, product: str, title: str) -> str:
    """The line atop every PDF page: title, NUTS edition and the data's years, short enough
    for one line (``Automotive · NUTS 2016 · cluster data 2015 · context data 2016–2022``);
    the full vintages are in the title block and the sources."""
    if product not in PRODUCT_SOURCES:
        raise unknown_code("product", product, PRODUCT_SOURCES)
    sbs, others = _vintages(store.provenance, PRODUCT_SOURCES[product])
    parts = [title, f"NUTS {STATISTICS_EDITION}"]
    if len(sbs) > 1:
        parts.append(f"cluster data {SBS_FIRST_YEAR}–{DEFAULT_YEAR}")
    elif sbs:
        year = _YEAR.search(sbs[0])
        parts.append(f"cluster data {year.group(0) if year else sbs[0]}")
    years = sorted({match.group(0) for text in others if (match := _YEAR.search(text))})
    if years:
        span = years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
        parts.append(f"context data {span}")
    return " · ".join(parts)


_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def _vintages(provenance: pd.DataFrame, prefixes: Iterable[str]) -> tuple[list[str], list[str]]:
    """The SBS files' vintages (the 2015 extract and the 2008-2015 bulk file) and the other
    statistics' vintages (each sorted, distinct)."""
    rows = select_sources(provenance, prefixes)
    statistics = rows.loc[
        rows["dataset_code"].notna() & ~rows["source_code"].str.startswith("nuts")
    ]
    is_sbs = statistics["dataset_code"] == "sbs_r_nuts06_r2"
    sbs = statistics.loc[is_sbs, "vintage"]
    return sorted(set(sbs.astype(str))), sorted(set(statistics.loc[~is_sbs, "vintage"]))


def product_vintage(store, product: str) -> str:
    """``vintage_line`` of the inputs a product family reads (``clusters``, ``scoreboard``)."""
    if product not in PRODUCT_SOURCES:
        raise unknown_code("product", product, PRODUCT_SOURCES)
    return vintage_line(store.provenance, PRODUCT_SOURCES[product])

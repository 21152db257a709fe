"""The smart specialisation report's numbers: every table it shows, and its downloads.

``smart_specialisation_context`` takes the category space, the opportunities, variety and the
S3 alignment from the recipe layer and builds the tables the report shows, in the tidy column
vocabulary (``kit.labels.COLUMN_LABELS`` heads them in the publication); ``write_downloads``
publishes the tidy tables. Every number comes from the recipe layer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from observatory_lib.constants import DEFAULT_YEAR
from observatory_lib.indicators import policy_recipes, recipes
from observatory_lib.indicators.policy import (
    BUILDS_ON_STRENGTHS,
    MIN_CLASS_SHARE,
    NO_CATEGORY,
    NOT_MATCHED,
    RELATED,
    WEAKLY_RELATED,
    S3Alignment,
)
from observatory_lib.products.kit.display import product_sources, write_tables
from observatory_lib.products.kit.numbers import format_number

PRODUCT = "smart_specialisation"
OUTPUT_SUBDIR = "smart_specialisation"
LEVEL = 2  # relatedness is defined among the NUTS-2 regions of the European reference set
N_PAIRS = 15
N_REGIONS = 20
N_TOP_OPPORTUNITIES = 3
ALIGNMENT_ORDER = (BUILDS_ON_STRENGTHS, RELATED, WEAKLY_RELATED, NO_CATEGORY, NOT_MATCHED)


@dataclasses.dataclass(frozen=True)
class Alignment:
    """One S3 source aligned with the statistics, for display."""

    source: str
    title: str
    alignment: S3Alignment
    notes: tuple[str, ...]
    priorities_table: pd.DataFrame  # region, priority_name, ..., assessment
    unmentioned_table: pd.DataFrame  # region, statistics_region, unmentioned_specialisations
    counts: dict[str, int]
    region_names: pd.Series


@dataclasses.dataclass(frozen=True)
class SmartSpecialisationReport:
    """Everything the smart specialisation report shows, for one year (NUTS 2)."""

    year: int
    reference_description: str
    n_reference_regions: dict[str, int]
    pairs: pd.DataFrame
    summary: pd.DataFrame
    regions_table: pd.DataFrame  # region, n_specialised, ..., top_opportunities
    variety_table: pd.DataFrame  # region, related_variety_bits, ...
    groups_table: pd.DataFrame  # technology_group, traded_categories
    alignments: tuple[Alignment, ...]
    growth_status: str

    def methods_paragraphs(self) -> list[str]:
        """How relatedness, density, opportunities, variety and alignment are computed."""
        return [
            "**Specialisation matrix.** M(r, c) = 1 when the location quotient of region r in "
            f"category c is 1 or more, for the NUTS {LEVEL} regions of the European reference "
            f"set in {self.year}; traded categories and emerging industries separately. A cell "
            "whose location quotient is unknown counts in no sum.",
            "**Proximity** (Hidalgo et al. 2007): φ(i, j) = Σ M(r, i) M(r, j) / max(Σ M(r, i), "
            "Σ M(r, j)), sums over the regions r: the share of the regions specialised in the "
            "more common of two categories that are specialised in both (0 to 1).",
            "**Relatedness density** (Balland et al. 2019): RD(r, c) = 100 Σ M(r, j) φ(c, j) / "
            "Σ φ(c, j), sums over the categories j other than c whose location quotient is "
            "known (0 to 100).",
            "**Opportunities** are the categories a region is not specialised in (location "
            "quotient below 1), ranked by relatedness density; a density of "
            f"{policy_recipes.STRONG_DENSITY:g} or more means that at least half of the category's "
            "related weight is already a specialisation of the region. European employment "
            f"growth of the categories: {self.growth_status}.",
            "**Related and unrelated variety** (Frenken, Van Oort and Verburg 2007): the "
            "entropy of a region's traded employment within and between the technology groups "
            "of Eurostat's high-tech aggregation (a category belongs to the group of most of "
            "its NACE classes; a table of this report lists the groups); both in bits.",
            "**S3 alignment.** A priority covers a category it names, or one with at least "
            f"{MIN_CLASS_SHARE:.0%} of its NACE classes in the priority's NACE divisions. A "
            "NUTS 3 strategy region is compared with its NUTS 2 region. Cluster categories are "
            "approximated from NACE divisions (equal split of each division among its "
            "classes), so the specialisations are indicative.",
            self.reference_description,
        ]

    def traded_summary(self) -> pd.DataFrame:
        """The opportunity summary of the traded categories, one row per region."""
        return self.summary.loc[self.summary["category_type"] == "traded"]

    def record(self) -> dict[str, Any]:
        """Key numbers for ``records.publish_record`` (tests read them back)."""
        traded = self.traded_summary()
        return {
            "product": PRODUCT,
            "year": self.year,
            "nuts_level": LEVEL,
            "n_reference_regions": self.n_reference_regions,
            "top_pair": self.pairs.iloc[0][["category_code", "related_category_code"]].tolist(),
            "top_pair_proximity": float(self.pairs.iloc[0]["proximity"]),
            "n_regions_with_strong_opportunities": int(
                (traded["n_strong_opportunities"] > 0).sum()
            ),
            "alignment_counts": {a.source: a.counts for a in self.alignments},
        }


def smart_specialisation_context(
    store,
    year: int = DEFAULT_YEAR,
    *,
    n_pairs: int = N_PAIRS,
    n_regions: int = N_REGIONS,
    s3_sources: Sequence[str] = ("czechia",),
) -> SmartSpecialisationReport:
    """Build every table of the report.

    Args:
        store: the loaded store.
        year: the reference year of the cluster data.
        n_pairs: the most related pairs shown per category type.
        n_regions: the regions with the most opportunities shown.
        s3_sources: S3 priorities to align: ``"czechia"`` and/or paths of CSV files in the S3
            input format.

    Raises:
        UnknownCodeError: a year without cluster data (valid years listed).
        DataSourceError: an S3 file that cannot be read (each bad line named).
    """
    space = policy_recipes.relatedness(store, LEVEL, year)
    names = display_names(store)
    pairs = policy_recipes.strongest_pairs(store, LEVEL, year, n_pairs)
    divisions = store.cluster_nace_classes.groupby("category_code")["nace_code"].agg(set)
    pairs = pairs.assign(
        category_name=pairs["category_code"].map(names),
        related_category_name=pairs["related_category_code"].map(names),
        shares_division=[
            bool(divisions.get(a, set()) & divisions.get(b, set()))
            for a, b in zip(pairs["category_code"], pairs["related_category_code"], strict=True)
        ],
    )
    summary = policy_recipes.opportunity_summary(store, LEVEL, year)
    sizes = policy_recipes.category_sizes(store, LEVEL, year)
    return SmartSpecialisationReport(
        year=int(year),
        reference_description=recipes.reference_description(store, LEVEL),
        n_reference_regions={t: m.space.n_reference_regions for t, m in space.by_type.items()},
        pairs=pairs,
        summary=summary,
        regions_table=_regions_table(store, summary, year, n_regions),
        variety_table=_variety_table(store, year),
        groups_table=_groups_table(store),
        alignments=tuple(_alignment(store, source, year) for source in s3_sources),
        growth_status=str(sizes["european_growth_status"].iloc[0]),
    )


# --- tables (tidy columns; the publication heads them from COLUMN_LABELS) -----------------------


def pairs_frame(report: SmartSpecialisationReport, category_type: str) -> pd.DataFrame:
    """The most related pairs of one type: ``category_name, related_category_name, proximity,
    n_regions_both, n_regions_each`` (``12 / 15``) and ``shares_division``."""
    rows = report.pairs.loc[report.pairs["category_type"] == category_type].reset_index(drop=True)
    return rows.assign(
        category_name=rows["category_name"].astype("str"),
        related_category_name=rows["related_category_name"].astype("str"),
        n_regions_each=[
            f"{int(a)} / {int(b)}"
            for a, b in zip(rows["n_regions_category"], rows["n_regions_related"], strict=True)
        ],
    )


def _region_label(frame: pd.DataFrame) -> list[str]:
    return [
        f"{name} ({code})"
        for code, name in zip(frame["region_code"], frame["region_name"], strict=True)
    ]


def _regions_table(store, summary: pd.DataFrame, year: int, n: int) -> pd.DataFrame:
    traded = summary.loc[summary["category_type"] == "traded"]
    top = (
        traded.sort_values(
            ["n_strong_opportunities", "mean_opportunity_density", "region_code"],
            ascending=[False, False, True],
        )
        .head(n)
        .reset_index(drop=True)
    )
    ranked = policy_recipes.opportunities(store, level=LEVEL, year=year)
    ranked = ranked.loc[ranked["category_type"] == "traded"]
    best = (
        ranked.loc[ranked["rank_in_region"] <= N_TOP_OPPORTUNITIES]
        .groupby("region_code")
        .apply(
            lambda rows: "; ".join(
                f"{name} ({format_number(density, 0)})"
                for name, density in zip(
                    rows["category_name"], rows["relatedness_density"], strict=True
                )
            ),
            include_groups=False,
        )
    )
    return pd.DataFrame(
        {
            "region": _region_label(top),
            "n_specialised": top["n_specialised"].astype(int).to_numpy(),
            "n_strong_opportunities": top["n_strong_opportunities"].astype(int).to_numpy(),
            "mean_opportunity_density": top["mean_opportunity_density"].to_numpy(),
            "top_opportunities": top["region_code"].map(best).to_numpy(),  # missing: no LQ
        }
    )


def _variety_table(store, year: int, n: int = 10) -> pd.DataFrame:
    variety = policy_recipes.variety(store, LEVEL, year).dropna(subset=["related_variety_bits"])
    top = (
        variety.sort_values(["related_variety_bits", "region_code"], ascending=[False, True])
        .head(n)
        .reset_index(drop=True)
    )
    return pd.DataFrame(
        {
            "region": _region_label(top),
            "related_variety_bits": top["related_variety_bits"].to_numpy(),
            "unrelated_variety_bits": top["unrelated_variety_bits"].to_numpy(),
            "total_variety_bits": top["total_variety_bits"].to_numpy(),
            "n_categories_with_employment": top["n_categories"].astype(int).to_numpy(),
        }
    )


def _groups_table(store) -> pd.DataFrame:
    groups = policy_recipes.category_groups(store)
    traded = groups.loc[groups["category_type"] == "traded"]
    names = store.cluster_categories.set_index("category_code")["category_name"]
    listed = traded.groupby("group_label", sort=False)["category_code"].apply(
        lambda codes: ", ".join(sorted(names.get(code, code) for code in codes))
    )
    return pd.DataFrame(
        {"technology_group": listed.index.astype("str"), "traded_categories": listed.to_numpy()}
    )


# --- S3 alignment --------------------------------------------------------------------------------


def _alignment(store, source: str, year: int) -> Alignment:
    alignment = policy_recipes.s3_alignment(store, source, year=year)
    _, notes = policy_recipes.s3_priorities(store, source)
    names = display_names(store)
    regions = recipes.statistics_regions(store)["region_name"]
    counts = {
        kind: int((alignment.priorities["alignment"] == kind).sum()) for kind in ALIGNMENT_ORDER
    }
    title = "Czechia: regional RIS3 domains" if source == "czechia" else f"S3 priorities: {source}"
    return Alignment(
        source=source,
        title=title,
        alignment=alignment,
        notes=tuple(notes),
        priorities_table=_priorities_table(alignment, names, regions),
        unmentioned_table=_unmentioned_table(alignment, names, regions),
        counts=counts,
        region_names=regions,
    )


def _priorities_table(alignment: S3Alignment, names: pd.Series, regions: pd.Series) -> pd.DataFrame:
    matches = alignment.matches.loc[alignment.matches["is_core_match"]]
    keys = ["region_code", "priority_id"]
    specialised = (
        matches.loc[matches["is_specialised"].fillna(False).astype(bool)]
        .sort_values("lq", ascending=False)
        .groupby(keys)
        .apply(lambda rows: _listed(rows, names, "lq", 2, n=3), include_groups=False)
    )
    related = (
        matches.loc[matches["is_specialised"].eq(False)]
        .sort_values("relatedness_density", ascending=False)
        .drop_duplicates(keys)
        .set_index(keys)
    )
    # the priorities without NACE divisions are named in the text (alignment_markdown)
    frame = alignment.priorities
    frame = frame.loc[frame["alignment"] != NOT_MATCHED].reset_index(drop=True)
    index = pd.MultiIndex.from_frame(frame[keys])
    best = related.reindex(index)
    return pd.DataFrame(
        {
            "region": [f"{regions.get(c, c)} ({c})" for c in frame["region_code"]],
            "priority_name": frame["priority_name"].astype("str").to_numpy(),
            "nace_divisions": frame["nace_divisions"]
            .str.replace(";", ", ")
            .replace("", "none")
            .to_numpy(),
            "specialised_categories": [specialised.get(key, "") or "none" for key in index],
            "most_related_category": [
                "none" if pd.isna(code) else f"{names.get(code, code)} ({density:.0f})"
                for code, density in zip(
                    best["category_code"], best["relatedness_density"], strict=True
                )
            ],
            "assessment": frame["alignment"].astype("str").str.capitalize().to_numpy(),
        }
    )


def _listed(rows: pd.DataFrame, names: pd.Series, column: str, decimals: int, n: int = 5) -> str:
    """The first ``n`` categories of ``rows`` with a number each, then how many more."""
    items = [
        f"{names.get(code, code)} ({format_number(value, decimals)})"
        for code, value in zip(rows["category_code"].head(n), rows[column].head(n), strict=True)
    ]
    more = len(rows) - n
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")


def _unmentioned_table(
    alignment: S3Alignment, names: pd.Series, regions: pd.Series
) -> pd.DataFrame:
    unmentioned = alignment.unmentioned
    if unmentioned.empty:
        return pd.DataFrame()
    grouped = unmentioned.groupby("region_code", sort=True).apply(
        lambda rows: _listed(rows, names, "lq", 2, n=8), include_groups=False
    )
    nuts2 = unmentioned.drop_duplicates("region_code").set_index("region_code")["nuts2_code"]
    return pd.DataFrame(
        {
            "region": [f"{regions.get(c, c)} ({c})" for c in grouped.index],
            "statistics_region": [
                f"{regions.get(nuts2[c], nuts2[c])} ({nuts2[c]})" for c in grouped.index
            ],
            "unmentioned_specialisations": grouped.to_numpy(),
        }
    )


def alignment_markdown(alignment: Alignment) -> str:
    """The alignment's counts and the loader's notes, in a few sentences."""
    counts = alignment.counts
    total = sum(counts.values())
    parts = [f"{counts[kind]} {kind}" for kind in ALIGNMENT_ORDER if counts.get(kind)]
    text = f"{total} priorities: " + ", ".join(parts) + "."
    priorities = alignment.alignment.priorities
    unmatched = priorities.loc[priorities["alignment"] == NOT_MATCHED]
    if len(unmatched):
        listed = "; ".join(
            f"{alignment.region_names.get(code, code)} ({code}): "
            + ", ".join(rows["priority_name"].astype(str))
            for code, rows in unmatched.groupby("region_code", sort=True)
        )
        text += (
            " *Not matched*, because the source gives no NACE divisions for them, so they "
            f"cannot be compared with the statistics: {listed}. The table lists the others."
        )
    if alignment.notes:
        text += " Left out: " + " ".join(alignment.notes)
    return text


def display_names(store) -> pd.Series:
    """Category names for display; an emerging industry named like a traded category (e.g.
    Biopharmaceuticals) gets "(emerging)" so that the two are never confused."""
    categories = store.cluster_categories
    names = categories.set_index("category_code")["category_name"].astype("str")
    traded = set(categories.loc[categories["category_type"] == "traded", "category_name"])
    emerging = categories.set_index("category_code")["category_type"].eq("emerging")
    clash = emerging & names.isin(traded)
    return names.where(~clash, names + " (emerging)")


# --- downloads -----------------------------------------------------------------------------------


def write_downloads(
    report: SmartSpecialisationReport, store, output_subdir: str = OUTPUT_SUBDIR
) -> list[Path]:
    """The tidy tables (CSV with BOM + XLSX, with provenance) under ``outputs/<subdir>/``.

    ``relatedness_proximity`` (``category_code, related_category_code, proximity``),
    ``relatedness_density`` (``region_code, category_code, year, lq, is_specialised,
    relatedness_density``, ``n_categories_unknown``), ``diversification_opportunities`` and
    ``opportunity_support`` (every region), ``regional_variety``, ``category_groups``, and per
    S3 source ``s3_alignment_<source>``, ``s3_matches_<source>``, ``s3_unmentioned_<source>``.
    """
    year, what = report.year, f"NUTS {LEVEL}, {report.year}"
    tables = {
        "relatedness_proximity": (
            policy_recipes.proximity(store, LEVEL, year),
            f"Proximity between cluster categories (Hidalgo et al. 2007), {what}",
        ),
        "relatedness_density": (
            policy_recipes.relatedness_density(store, LEVEL, year),
            f"Relatedness density (Balland et al. 2019) of every region and category, {what}",
        ),
        "diversification_opportunities": (
            policy_recipes.opportunities(store, level=LEVEL, year=year),
            f"Diversification opportunities of every region, ranked by density, {what}",
        ),
        "opportunity_support": (
            policy_recipes.opportunity_support(store, level=LEVEL, year=year),
            f"The specialisations that support each opportunity, {what}",
        ),
        "regional_variety": (
            policy_recipes.variety(store, LEVEL, year),
            f"Related and unrelated variety of traded employment (bits), {what}",
        ),
        "category_groups": (
            policy_recipes.category_groups(store),
            "Technology groups of the cluster categories (Eurostat high-tech aggregation)",
        ),
    }
    written = write_tables(
        tables, output_subdir, f"nuts{LEVEL}_{year}", product_sources(store, PRODUCT)
    )
    for alignment in report.alignments:
        name = Path(alignment.source).stem if alignment.source != "czechia" else "czechia"
        s3_tables = {
            f"s3_alignment_{name}": (
                alignment.alignment.priorities,
                f"{alignment.title}: alignment",
            ),
            f"s3_matches_{name}": (alignment.alignment.matches, f"{alignment.title}: categories"),
            f"s3_unmentioned_{name}": (
                alignment.alignment.unmentioned,
                f"{alignment.title}: specialisations no priority covers",
            ),
        }
        written += write_tables(
            s3_tables, output_subdir, str(year), product_sources(store, PRODUCT)
        )
    return written

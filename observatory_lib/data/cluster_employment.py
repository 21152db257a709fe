"""Employment by region x cluster category, derived from regional SBS division employment.

Regional SBS publishes NACE divisions (``C10``); the cluster definitions are NACE classes. Each
division's employment is split equally among its classes (see ``build_division_allocation``) and
summed per category: an approximation of class-level definitions, flagged
``is_derived_by_allocation`` on every row.

Suppressed division cells are first filled the way the original observatory did (walk up to the
section, take the remainder over the known divisions, split it equally among the missing ones).
Rows that involve such cells carry ``has_confidential_cells``; where no section total exists the
division stays missing and so does every category that needs it. The raw ``sbs_employment``
table keeps its missing cells untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory_lib.data.cluster_definitions import SBS_SCOPE

# Regional SBS covers the sections B-N without K, and of section S only division 95.
SBS_SECTIONS = tuple(code for code in SBS_SCOPE if len(code) == 1)
SBS_EXTRA_DIVISIONS = tuple(code for code in SBS_SCOPE if len(code) > 1)

KEYS = ["region_code", "nuts_level", "year"]


def _is_division(codes: pd.Series) -> pd.Series:
    return codes.str.fullmatch(r"[A-Z]\d{2}")


def split_divisions_and_sections(sbs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Division rows (``C10``) and section rows (``C``) of the SBS table."""
    divisions = sbs[_is_division(sbs["nace_code"])]
    sections = sbs[sbs["nace_code"].isin(SBS_SECTIONS)]
    return divisions, sections


def impute_divisions(sbs: pd.DataFrame) -> pd.DataFrame:
    """Fill missing division cells from their section's remainder, equally split.

    Returns the division rows with ``employment_persons`` (filled where possible) and
    ``is_imputed``. A negative or missing remainder leaves the cells missing.
    """
    divisions, sections = split_divisions_and_sections(sbs)
    divisions = divisions.assign(nace_section=divisions["nace_code"].str[0])
    group = [*KEYS, "nace_section"]
    known = divisions.groupby(group, observed=True)["employment_persons"].agg(
        known_sum="sum", n_missing=lambda s: int(s.isna().sum())
    )
    section_totals = sections.rename(
        columns={"nace_code": "nace_section", "employment_persons": "section_persons"}
    )[[*group, "section_persons"]]
    remainder = known.reset_index().merge(section_totals, on=group, how="left")
    share = (remainder["section_persons"] - remainder["known_sum"]) / remainder["n_missing"]
    remainder = remainder.assign(fill_persons=share.where(share >= 0))
    merged = divisions.merge(remainder[[*group, "fill_persons"]], on=group, how="left")
    missing = merged["employment_persons"].isna()
    filled = merged["employment_persons"].where(~missing, merged["fill_persons"])
    return merged.assign(
        employment_persons=filled,
        is_imputed=missing & filled.notna(),
        was_missing=missing,
    ).drop(columns=["fill_persons"])


def build_cluster_employment(sbs: pd.DataFrame, allocation: pd.DataFrame) -> pd.DataFrame:
    """Sum allocated division employment per region x category x year.

    Args:
        sbs: the store's ``sbs_employment`` table (divisions and sections).
        allocation: ``category_code, category_type, nace_class, nace_code, allocation_share``.

    Returns:
        The store's ``cluster_employment`` table. A category whose divisions are not all known
        (after imputation) is missing, never a partial sum.
    """
    divisions = impute_divisions(sbs)
    weights = allocation.groupby(["category_code", "category_type", "nace_code"], observed=True)[
        "allocation_share"
    ].sum()
    weights = weights.reset_index()
    joined = divisions.merge(weights, on="nace_code", how="inner")
    joined = joined.assign(
        allocated_persons=joined["employment_persons"] * joined["allocation_share"],
        is_unknown=joined["employment_persons"].isna(),
    )
    group = [*KEYS, "category_code", "category_type"]
    summary = joined.groupby(group, observed=True).agg(
        employment_persons=("allocated_persons", "sum"),
        n_divisions=("nace_code", "nunique"),
        n_divisions_missing=("was_missing", "sum"),
        n_divisions_imputed=("is_imputed", "sum"),
        n_unknown=("is_unknown", "sum"),
    )
    summary = summary.reset_index()
    complete = summary["n_unknown"] == 0
    return summary.assign(
        employment_persons=summary["employment_persons"].where(complete, np.nan),
        is_derived_by_allocation=True,
        has_confidential_cells=summary["n_divisions_missing"] > 0,
        n_divisions_missing=summary["n_divisions_missing"].astype("int64"),
        n_divisions_imputed=summary["n_divisions_imputed"].astype("int64"),
    ).drop(columns=["n_unknown"])


def _sections_from_divisions(sbs: pd.DataFrame) -> pd.DataFrame:
    """Per region x section: the published total, else the sum of its (imputed) divisions."""
    divisions = impute_divisions(sbs)
    _, sections = split_divisions_and_sections(sbs)
    from_divisions = (
        divisions.groupby([*KEYS, "nace_section"], observed=True)
        .agg(
            from_divisions=("employment_persons", lambda s: s.sum(min_count=len(s))),
            n_divisions=("nace_code", "nunique"),
            n_divisions_missing=("was_missing", "sum"),
        )
        .reset_index()
    )
    published = sections.rename(columns={"nace_code": "nace_section"})[
        [*KEYS, "nace_section", "employment_persons"]
    ]
    parts = from_divisions.merge(published, on=[*KEYS, "nace_section"], how="left")
    in_scope = parts["nace_section"].isin(SBS_SECTIONS) | parts["nace_section"].isin(
        [code[0] for code in SBS_EXTRA_DIVISIONS]
    )
    parts = parts.assign(
        section_persons=parts["employment_persons"].fillna(parts["from_divisions"])
    )
    return parts[in_scope].drop(columns=["employment_persons", "from_divisions"])


def _fill_from_parent(sections: pd.DataFrame, level: int) -> pd.DataFrame:
    """Fill unknown sections of ``level`` regions from their parent's remainder.

    The parent's section total minus its known children is shared among the children where the
    section is unknown, in proportion to their known employment in the other sections (the
    regional counterpart of the original observatory's walk up the hierarchy).
    """
    section_keys = ["year", "nace_section"]
    children = sections[sections["nuts_level"] == level].assign(
        parent_code=lambda f: f["region_code"].str[:-1]
    )
    size = children.groupby(["region_code", "year"])["section_persons"].transform("sum")
    children = children.assign(size_weight=size.where(children["section_persons"].isna(), 0.0))
    parents = sections[sections["nuts_level"] == level - 1].rename(
        columns={"region_code": "parent_code", "section_persons": "parent_persons"}
    )[["parent_code", *section_keys, "parent_persons"]]
    group = ["parent_code", *section_keys]
    pooled = children.groupby(group).agg(
        known_persons=("section_persons", "sum"), missing_weight=("size_weight", "sum")
    )
    pooled = pooled.reset_index().merge(parents, on=group, how="left")
    remainder = (pooled["parent_persons"] - pooled["known_persons"]).where(lambda r: r >= 0)
    pooled = pooled.assign(per_weight=remainder / pooled["missing_weight"].where(lambda w: w > 0))
    children = children.merge(pooled[[*group, "per_weight"]], on=group, how="left")
    estimate = children["size_weight"] * children["per_weight"]
    unknown = children["section_persons"].isna()
    filled = children.assign(
        section_persons=children["section_persons"].where(~unknown, estimate),
        is_section_imputed=children["is_section_imputed"] | (unknown & estimate.notna()),
    )
    others = sections[sections["nuts_level"] != level]
    return pd.concat([others, filled[sections.columns]], ignore_index=True)


def build_region_totals(sbs: pd.DataFrame) -> pd.DataFrame:
    """Employment in the SBS scope per region and year: the denominator of LQ and focus.

    The total is the sum of the sections B-N (without K) plus division S95. Each section comes
    from its published total; where suppressed, from its divisions when they are all known;
    otherwise from the parent region's remainder (``_fill_from_parent``), counted in
    ``n_sections_imputed``. Where none of these exists the total is missing.
    """
    sections = _sections_from_divisions(sbs).assign(is_section_imputed=False)
    for level in (1, 2, 3):
        sections = _fill_from_parent(sections, level)
    totals = sections.groupby(KEYS, observed=True).agg(
        employment_persons=("section_persons", lambda s: s.sum(min_count=len(s))),
        n_divisions=("n_divisions", "sum"),
        n_divisions_missing=("n_divisions_missing", "sum"),
        n_sections_imputed=("is_section_imputed", "sum"),
    )
    totals = totals.reset_index()
    return totals.assign(
        n_divisions_missing=totals["n_divisions_missing"].astype("int64"),
        n_sections_imputed=totals["n_sections_imputed"].astype("int64"),
    )

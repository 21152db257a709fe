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


def build_region_totals(sbs: pd.DataFrame) -> pd.DataFrame:
    """Employment in the SBS scope per region and year: the denominator of LQ and focus.

    The total is the sum of the sections B-N (without K) plus division S95, each section taken
    from its published total or, where that is suppressed, from its (imputed) divisions when they
    are all known. Where neither exists the total is missing.
    """
    divisions = impute_divisions(sbs)
    _, sections = split_divisions_and_sections(sbs)
    section_from_divisions = (
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
    parts = section_from_divisions.merge(published, on=[*KEYS, "nace_section"], how="left")
    parts = parts.assign(
        section_persons=parts["employment_persons"].fillna(parts["from_divisions"]),
        is_in_scope=parts["nace_section"].isin(SBS_SECTIONS)
        | parts["nace_section"].eq(SBS_EXTRA_DIVISIONS[0][0]),
    )
    parts = parts[parts["is_in_scope"]]
    totals = parts.groupby(KEYS, observed=True).agg(
        employment_persons=("section_persons", lambda s: s.sum(min_count=len(s))),
        n_divisions=("n_divisions", "sum"),
        n_divisions_missing=("n_divisions_missing", "sum"),
    )
    totals = totals.reset_index()
    return totals.assign(n_divisions_missing=totals["n_divisions_missing"].astype("int64"))

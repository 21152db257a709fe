"""Employment, wages and local units by region x cluster category x year, from regional SBS.

Regional SBS publishes NACE divisions (``C10``); the cluster definitions are NACE classes. Each
division's persons employed, wages and local units are split equally among its classes (see
``build_division_allocation``) and summed per category: an approximation of class-level
definitions, flagged ``is_derived_by_allocation`` on every row.

Suppressed division cells are first filled the way the original observatory did (walk up to the
section, take the remainder over the known divisions, split it equally among the missing ones),
for each measure and year apart. Rows that involve such cells carry ``has_confidential_cells``
(employment), ``has_confidential_wage_cells`` and ``has_confidential_unit_cells``; where no
section total exists the division stays missing and so does the category's measure (never a
partial sum). The Eurostat flags of the cells used (``b`` break, ``d`` definition differs,
``c``, ``u``, ``p`` ...) travel to the category's ``flag``. The raw ``sbs_employment`` table keeps
its cells untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory_lib.data.cluster_definitions import SBS_SCOPE

# Regional SBS covers the sections B-N without K, and of section S only division 95.
SBS_SECTIONS = tuple(code for code in SBS_SCOPE if len(code) == 1)
SBS_EXTRA_DIVISIONS = tuple(code for code in SBS_SCOPE if len(code) > 1)

KEYS = ["region_code", "nuts_level", "year"]
EMPLOYMENT = "employment_persons"
# Each measure and the prefix of its imputation columns (employment keeps the historic names).
MEASURES = {"employment_persons": "", "wages_eur": "wages_", "local_units": "local_units_"}
CONFIDENTIAL_COLUMNS = {
    "employment_persons": "has_confidential_cells",
    "wages_eur": "has_confidential_wage_cells",
    "local_units": "has_confidential_unit_cells",
}
# Eurostat flag letters as bits, so that the flags of many cells unite with one bitwise OR.
FLAG_LETTERS = "bcdeipru"
INVALID_FLAG = "invalid"
_INVALID_BIT = 1 << len(FLAG_LETTERS)


def _is_division(codes: pd.Series) -> pd.Series:
    return codes.str.fullmatch(r"[A-Z]\d{2}")


def _measures_in(sbs: pd.DataFrame) -> list[str]:
    return [measure for measure in MEASURES if measure in sbs.columns]


def split_divisions_and_sections(sbs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Division rows (``C10``) and section rows (``C``) of the SBS table."""
    divisions = sbs[_is_division(sbs["nace_code"])]
    sections = sbs[sbs["nace_code"].isin(SBS_SECTIONS)]
    return divisions, sections


def flag_bits(flags: pd.Series) -> np.ndarray:
    """Eurostat flag letters as an integer bit mask per cell (0 where there is no flag)."""
    positions, distinct = pd.factorize(flags.astype("str").fillna(""))
    masks = np.zeros(len(distinct), dtype=np.int64)
    for index, text in enumerate(distinct):
        if text == INVALID_FLAG:
            masks[index] = _INVALID_BIT
            continue
        for bit, letter in enumerate(FLAG_LETTERS):
            if letter in text:
                masks[index] |= 1 << bit
    return np.where(positions >= 0, masks[np.maximum(positions, 0)], 0)


def bits_to_flags(bits: np.ndarray) -> pd.Series:
    """The letters of each bit mask, sorted (``'bd'``), missing where none."""
    positions, distinct = pd.factorize(np.asarray(bits, dtype=np.int64))
    texts = []
    for mask in distinct:
        letters = "".join(letter for bit, letter in enumerate(FLAG_LETTERS) if mask & (1 << bit))
        if mask & _INVALID_BIT:
            letters = ",".join(filter(None, [letters, INVALID_FLAG]))
        texts.append(letters or None)
    return pd.Series(np.array(texts, dtype=object)[positions], dtype="str")


def impute_divisions(sbs: pd.DataFrame) -> pd.DataFrame:
    """Fill missing division cells from their section's remainder, equally split.

    Every measure present (``employment_persons``, ``wages_eur``, ``local_units``) is filled
    apart, per region and year. Returns the division rows with the measures (filled where
    possible) and, per measure, ``<prefix>is_imputed`` and ``<prefix>was_missing`` (employment:
    ``is_imputed``, ``was_missing``). A negative or missing remainder leaves the cells missing.
    """
    measures = _measures_in(sbs)
    divisions, sections = split_divisions_and_sections(sbs)
    divisions = divisions.assign(nace_section=divisions["nace_code"].str[0])
    group = [*KEYS, "nace_section"]
    missing = {m: divisions[m].isna() for m in measures}
    known = divisions.assign(**{f"_missing_{m}": missing[m] for m in measures})
    known = known.groupby(group, observed=True, sort=False).agg(
        **{f"_known_{m}": (m, "sum") for m in measures},
        **{f"_n_missing_{m}": (f"_missing_{m}", "sum") for m in measures},
    )
    totals = sections.rename(columns={"nace_code": "nace_section"})
    totals = totals[[*group, *measures]].rename(columns={m: f"_section_{m}" for m in measures})
    remainder = known.reset_index().merge(totals, on=group, how="left")
    fills = {}
    for m in measures:
        share = (remainder[f"_section_{m}"] - remainder[f"_known_{m}"]) / remainder[
            f"_n_missing_{m}"
        ]
        fills[f"_fill_{m}"] = share.where(share >= 0)
    remainder = remainder[group].assign(**fills)
    merged = divisions.merge(remainder, on=group, how="left")
    columns = {}
    for m in measures:
        was_missing = merged[m].isna()
        filled = merged[m].where(~was_missing, merged[f"_fill_{m}"])
        prefix = MEASURES[m]
        columns[m] = filled
        columns[f"{prefix}is_imputed"] = was_missing & filled.notna()
        columns[f"{prefix}was_missing"] = was_missing
    return merged.assign(**columns).drop(columns=list(fills))


def build_cluster_employment(sbs: pd.DataFrame, allocation: pd.DataFrame) -> pd.DataFrame:
    """Sum allocated division employment (and wages, local units) per region x category x year.

    Args:
        sbs: the store's ``sbs_employment`` table (divisions and sections); ``wages_eur``,
            ``local_units``, ``flag`` and ``recode_relation`` are used when present.
        allocation: ``category_code, category_type, nace_class, nace_code, allocation_share``.

    Returns:
        The store's ``cluster_employment`` table. A category whose divisions are not all known
        (after imputation) has that measure missing, never a partial sum. ``flag`` unites the
        Eurostat flags of the division cells used; ``is_apportioned`` says whether any of them
        was apportioned from a region of another NUTS edition.
    """
    measures = _measures_in(sbs)
    divisions = impute_divisions(sbs)
    weights = allocation.groupby(["category_code", "category_type", "nace_code"], observed=True)[
        "allocation_share"
    ].sum()
    weights = weights.reset_index()
    joined = divisions.merge(weights, on="nace_code", how="inner")
    share = joined["allocation_share"].to_numpy()
    group = [*KEYS, "category_code", "category_type"]
    group_ids, uniques = _group_ids(joined, group)
    n_groups = len(uniques)
    result = uniques.copy()
    for m in measures:
        values = joined[m].to_numpy(dtype=float)
        sums = np.bincount(group_ids, np.nan_to_num(values * share), n_groups)
        unknown = np.bincount(group_ids, np.isnan(values), n_groups)
        result[m] = np.where(unknown > 0, np.nan, sums)
        was_missing = joined[f"{MEASURES[m]}was_missing"].to_numpy(dtype=float)
        result[CONFIDENTIAL_COLUMNS[m]] = np.bincount(group_ids, was_missing, n_groups) > 0
        if m == EMPLOYMENT:
            result["n_divisions_missing"] = np.bincount(group_ids, was_missing, n_groups).astype(
                "int64"
            )
            imputed = joined["is_imputed"].to_numpy(dtype=float)
            result["n_divisions_imputed"] = np.bincount(group_ids, imputed, n_groups).astype(
                "int64"
            )
    result["n_divisions"] = np.bincount(group_ids, None, n_groups).astype("int64")
    result["flag"] = _united_flag_column(joined, group_ids, n_groups)
    result["is_apportioned"] = _any_apportioned(joined, group_ids, n_groups)
    result["is_derived_by_allocation"] = True
    return result.reset_index(drop=True)


def _group_ids(frame: pd.DataFrame, group: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group ids (for ``np.bincount``) and the group keys, in order of first sight."""
    ids = frame.groupby(group, sort=False, observed=True).ngroup().to_numpy()
    first = np.unique(ids, return_index=True)[1]
    uniques = frame.iloc[first][group].reset_index(drop=True)
    return ids, uniques


def _united_flag_column(frame: pd.DataFrame, group_ids: np.ndarray, n_groups: int) -> pd.Series:
    if "flag" not in frame.columns:
        return pd.Series(pd.NA, index=range(n_groups), dtype="str")
    bits = flag_bits(frame["flag"])
    order = np.argsort(group_ids, kind="stable")
    sorted_ids = group_ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    united = np.zeros(n_groups, dtype=np.int64)
    if len(order):
        united[sorted_ids[starts]] = np.bitwise_or.reduceat(bits[order], starts)
    return bits_to_flags(united)


def _any_apportioned(frame: pd.DataFrame, group_ids: np.ndarray, n_groups: int) -> np.ndarray:
    if "recode_relation" not in frame.columns:
        return np.zeros(n_groups, dtype=bool)
    apportioned = frame["recode_relation"].eq("apportioned").to_numpy(dtype=float)
    return np.bincount(group_ids, apportioned, n_groups) > 0


def _sections_from_divisions(sbs: pd.DataFrame) -> pd.DataFrame:
    """Per region x section: the published total, else the sum of its (imputed) divisions."""
    divisions = impute_divisions(
        sbs[[c for c in sbs.columns if c not in MEASURES or c == EMPLOYMENT]]
    )
    _, sections = split_divisions_and_sections(sbs)
    grouped = divisions.groupby([*KEYS, "nace_section"], observed=True, sort=False)
    from_divisions = grouped.agg(
        from_divisions=(EMPLOYMENT, "sum"),
        n_known=(EMPLOYMENT, "count"),
        n_divisions=("nace_code", "size"),
        n_divisions_missing=("was_missing", "sum"),
    ).reset_index()
    complete = from_divisions["n_known"].eq(from_divisions["n_divisions"])
    from_divisions = from_divisions.assign(
        from_divisions=from_divisions["from_divisions"].where(complete)
    ).drop(columns="n_known")
    published_columns = [*KEYS, "nace_section", EMPLOYMENT]
    published = sections.rename(columns={"nace_code": "nace_section"})
    published = published.assign(
        section_flag_bits=flag_bits(published["flag"]) if "flag" in published else 0,
        section_apportioned=(
            published["recode_relation"].eq("apportioned")
            if "recode_relation" in published
            else False
        ),
    )[[*published_columns, "section_flag_bits", "section_apportioned"]]
    parts = from_divisions.merge(published, on=[*KEYS, "nace_section"], how="left")
    in_scope = parts["nace_section"].isin(SBS_SECTIONS) | parts["nace_section"].isin(
        [code[0] for code in SBS_EXTRA_DIVISIONS]
    )
    parts = parts.assign(
        section_persons=parts[EMPLOYMENT].fillna(parts["from_divisions"]),
        section_flag_bits=parts["section_flag_bits"].fillna(0).astype("int64"),
        section_apportioned=parts["section_apportioned"].astype("boolean").fillna(False),
    )
    return parts[in_scope].drop(columns=[EMPLOYMENT, "from_divisions"])


def _fill_from_parent(sections: pd.DataFrame, level: int) -> pd.DataFrame:
    """Fill unknown sections of ``level`` regions from their parent's remainder.

    The parent's section total minus its known children is shared among the children where the
    section is unknown, in proportion to their known employment in the other sections (the
    regional counterpart of the original observatory's walk up the hierarchy). A parent whose
    section was apportioned from another NUTS edition is not used.
    """
    section_keys = ["year", "nace_section"]
    children = sections[sections["nuts_level"] == level].assign(
        parent_code=lambda f: f["region_code"].str[:-1]
    )
    size = children.groupby(["region_code", "year"])["section_persons"].transform("sum")
    children = children.assign(size_weight=size.where(children["section_persons"].isna(), 0.0))
    parents = sections[sections["nuts_level"] == level - 1]
    # An apportioned parent (a NUTS 2013 region shared out by population) is too rough to
    # estimate its children's suppressed sections from: its remainder is not used.
    parents = parents.assign(
        section_persons=parents["section_persons"].where(
            ~parents["section_apportioned"].astype("boolean").fillna(False)
        )
    ).rename(columns={"region_code": "parent_code", "section_persons": "parent_persons"})[
        ["parent_code", *section_keys, "parent_persons"]
    ]
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
    ``n_sections_imputed``. Where none of these exists the total is missing. ``flag`` unites the
    flags of the published sections; ``is_apportioned`` says whether one was apportioned.
    """
    sections = _sections_from_divisions(sbs).assign(is_section_imputed=False)
    for level in (1, 2, 3):
        sections = _fill_from_parent(sections, level)
    grouped = sections.groupby(KEYS, observed=True, sort=False)
    totals = grouped.agg(
        employment_persons=("section_persons", "sum"),
        n_known=("section_persons", "count"),
        n_sections=("section_persons", "size"),
        n_divisions=("n_divisions", "sum"),
        n_divisions_missing=("n_divisions_missing", "sum"),
        n_sections_imputed=("is_section_imputed", "sum"),
        is_apportioned=("section_apportioned", "any"),
    )
    bits = sections["section_flag_bits"].to_numpy(dtype=np.int64)
    ids = grouped.ngroup().to_numpy()
    united = np.zeros(len(totals), dtype=np.int64)
    np.bitwise_or.at(united, ids, bits)
    totals = totals.reset_index()
    complete = totals["n_known"].eq(totals["n_sections"])
    return totals.assign(
        employment_persons=totals["employment_persons"].where(complete),
        n_divisions_missing=totals["n_divisions_missing"].astype("int64"),
        n_sections_imputed=totals["n_sections_imputed"].astype("int64"),
        is_apportioned=totals["is_apportioned"].astype(bool),
        flag=bits_to_flags(united).to_numpy(),
    ).drop(columns=["n_known", "n_sections"])

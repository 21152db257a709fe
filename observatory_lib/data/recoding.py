"""Move statistics to the edition they are shown in, with the table ``editions`` builds.

``recode_statistics`` keeps 1:1 codes (same, recode, extra-regio) as they are, shares out the
counts of apportioned codes by their population weight and sums the parts of each target
(flags united, missing when a part is missing). Rates where a region changed are left out when
the source is an older edition than the one shown. From a **newer** edition (a current NUTS 2024
release shown on NUTS 2016, the JRC matrices read in reverse) every old region is made of new
regions or pieces of them, so its rate is the mean of their rates weighted by the share of the
old region's 2011 population in each (``recode_target_share``); a region split in the new
edition is summed back exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from observatory_lib.data.editions import APPORTIONED, DIRECT, EXTRA_REGIO, RECODE, SAME
from observatory_lib.errors import DataSourceError

_PRIORITY = {SAME: 0, RECODE: 1, EXTRA_REGIO: 2, APPORTIONED: 3}
_TARGET_EDITION = "_target_edition"


def recode_statistics(
    frame: pd.DataFrame,
    recoding: pd.DataFrame,
    *,
    keys: Sequence[str],
    values: Sequence[str],
    flags: Sequence[str] = (),
    carry: Sequence[str] = (),
    additive: bool = True,
) -> pd.DataFrame:
    """Move a statistics table to the recoding table's edition.

    Args:
        frame: ``region_code`` (as the source gives it), ``nuts_edition_source``
            (``source_editions``), the other ``keys`` (e.g. ``nace_code, year``), the
            ``values`` and their ``flags`` (Eurostat letters).
        recoding: ``build_recoding_table`` output covering every code of ``frame``.
        keys, values, flags: the key, value and flag columns besides the region code.
        carry: other columns to keep; a sum of parts takes the first part's value.
        additive: counts and money (True): an apportioned code's values are multiplied by
            the weight and the parts of a target summed (missing when any part is missing,
            flags united). Rates and ratios (False): 1:1 codes are kept; from a newer edition
            an apportioned target takes the mean of its parts weighted by
            ``recode_target_share`` (missing when a part is missing, flags united); from an
            older edition such rows are left out (a rate cannot be shared out).

    Returns:
        ``region_code`` in the target edition, the keys, values, flags and carried columns,
        plus ``region_code_source`` (the parts joined by ``+``), ``recode_relation`` and
        ``recode_weight`` (missing for a sum of several parts); one row per target key, a
        1:1 row preferred over apportioned parts (a file listing both HU10 and HU11).

    Raises:
        DataSourceError: a code of ``frame`` is not in ``recoding``.
    """
    lookup = recoding[
        [
            "region_code_source",
            "nuts_edition_source",
            "region_code",
            "recode_relation",
            "recode_weight",
            *[c for c in ("recode_target_share", "nuts_edition") if c in recoding.columns],
        ]
    ].rename(columns={"nuts_edition": _TARGET_EDITION})
    data = frame.rename(columns={"region_code": "region_code_source"}).drop(
        columns=["recode_relation", "recode_weight"], errors="ignore"
    )
    merged = data.merge(lookup, on=["region_code_source", "nuts_edition_source"], how="left")
    unknown = merged["recode_relation"].isna()
    if unknown.any():
        missing = sorted(set(merged.loc[unknown, "region_code_source"]))[:10]
        raise DataSourceError(
            f"The recoding table lacks the region codes {missing}. Fix: pass every code of the "
            "table to build_recoding_table."
        )
    merged = merged[merged["region_code"].notna()]
    direct = merged[merged["recode_relation"].isin(DIRECT)]
    shared = merged[merged["recode_relation"].eq(APPORTIONED)]
    parts = [direct]
    if not additive:
        shared = _from_newer_edition(shared)
    if not shared.empty:
        summed = _sum_parts(
            shared.drop(columns="nuts_edition_source"),
            list(keys),
            list(values),
            list(flags),
            list(carry),
            mean=not additive,
        )
        parts.append(summed.assign(nuts_edition_source=0))
    combined = pd.concat(parts, ignore_index=True)
    # One row per target key: 1:1 rows before apportioned parts, and among 1:1 rows the code
    # of the newer edition (FRA1, NUTS 2013, before FR91, its NUTS 2010 name, which old files
    # still list with no value).
    combined = combined.assign(
        _rank=combined["recode_relation"].map(_PRIORITY),
        _edition=-combined["nuts_edition_source"].astype("int64"),
    ).sort_values(["region_code", *keys, "_rank", "_edition"])
    combined = combined.drop_duplicates(["region_code", *keys])
    helpers = ["_rank", "_edition", "nuts_edition_source", "recode_target_share", _TARGET_EDITION]
    return combined.drop(columns=helpers, errors="ignore").reset_index(drop=True)


def _from_newer_edition(shared: pd.DataFrame) -> pd.DataFrame:
    """The apportioned rows whose source edition is newer than the target's, with a share."""
    if "recode_target_share" not in shared.columns or _TARGET_EDITION not in shared.columns:
        return shared.iloc[0:0]
    newer = shared["nuts_edition_source"] > shared[_TARGET_EDITION]
    return shared[newer & shared["recode_target_share"].notna()]


def _sum_parts(
    shared: pd.DataFrame,
    keys: list[str],
    values: list[str],
    flags: list[str],
    carry: list[str],
    *,
    mean: bool = False,
) -> pd.DataFrame:
    """Apportioned parts per target key, flags united: counts weighted by ``recode_weight`` and
    summed, or (``mean``) rates averaged with the weights ``recode_target_share``."""
    weight = shared["recode_target_share" if mean else "recode_weight"]
    weighted = shared.assign(**{v: shared[v] * weight for v in values})
    group_keys = ["region_code", *keys]
    grouped = weighted.groupby(group_keys, sort=False, dropna=False)
    sums = grouped[values].sum(min_count=1)
    complete = grouped[values].count().eq(grouped.size(), axis=0)
    result = sums.where(complete)
    if mean:
        total = weight.groupby([weighted[k] for k in group_keys], sort=False, dropna=False).sum()
        result = result.div(total.where(total > 0), axis=0)
    # the parts of a target are the same for every key: join them once per target region
    parts_of = weighted.groupby("region_code")["region_code_source"].unique()
    joined = {target: "+".join(sorted(codes)) for target, codes in parts_of.items()}
    targets = result.index.get_level_values("region_code")
    result["region_code_source"] = pd.Series(targets, index=result.index).map(joined)
    n_parts = grouped.size()
    result["recode_weight"] = grouped["recode_weight"].first().where(n_parts == 1)
    for flag in flags:
        united = united_flags(weighted[flag], [weighted[k] for k in group_keys])
        result[flag] = united.reindex(result.index)
    for column in carry:
        result[column] = grouped[column].first()
    result["recode_relation"] = APPORTIONED
    return result.reset_index()


def united_flags(flags: pd.Series, by: list[pd.Series]) -> pd.Series:
    """The union of the flag letters of each group (letters sorted), missing when none."""
    text = flags.astype("str").fillna("")
    letters = sorted(set("".join(text.unique())))
    index = pd.MultiIndex.from_arrays([b.to_numpy() for b in by])
    if not letters:
        return pd.Series(pd.NA, index=index.unique(), dtype="str")
    present = pd.DataFrame(
        {letter: text.str.contains(letter, regex=False).to_numpy() for letter in letters}
    )
    present.index = index
    anywhere = present.groupby(level=list(range(len(by))), sort=False).any()
    joined = np.full(len(anywhere), "", dtype=object)
    for letter in letters:
        joined = joined + np.where(anywhere[letter].to_numpy(), letter, "")
    return pd.Series(joined, index=anywhere.index).replace("", pd.NA).astype("str")

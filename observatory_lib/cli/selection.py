"""Which regions a batch covers: ``--level`` and ``--regions all | countries | regions``."""

from __future__ import annotations

import re

import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.errors import ObservatoryError, unknown_code

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def regions_with_data(store, level: int) -> pd.DataFrame:
    """Regions of ``level`` that have any cluster or context value.

    The statistics' NUTS edition, aggregates of split NUTS 2013 regions included,
    extra-regio codes excluded.
    """
    regions = store.regions.query("nuts_edition == @STATISTICS_EDITION and nuts_level == @level")
    clusters = store.cluster_employment.dropna(subset=["employment_persons"])["region_code"]
    context = store.context_indicators.dropna(subset=["value"])["region_code"]
    with_data = set(clusters) | set(context)
    chosen = regions[regions["region_code"].isin(with_data)]
    chosen = chosen[~chosen["region_code"].str.endswith("ZZ")]
    return chosen.sort_values("region_code").reset_index(drop=True)


def _split_codes(selection: str | list[str]) -> list[str]:
    if isinstance(selection, str):
        selection = re.split(r"[,\s]+", selection)
    return [code.strip().upper() for code in selection if code and code.strip()]


def select_regions(store, level: int = 2, selection: str | list[str] = "all") -> list[str]:
    """Region codes for a batch: every region with data at ``level``, or those named.

    ``selection`` is ``all``, or country codes (``DE,FR``: their regions at ``level``), or
    region codes of any level (``DE11 FR10``), or a mix. Unknown codes raise an error that
    lists the nearest valid ones.
    """
    if level not in (0, 1, 2, 3):
        raise ObservatoryError(f"--level must be 0, 1, 2 or 3, not {level!r}.")
    available = regions_with_data(store, level)
    codes = _split_codes(selection)
    if not codes or codes == ["ALL"]:
        if available.empty:
            raise ObservatoryError(f"No NUTS-{level} region has data in the store.")
        return available["region_code"].tolist()
    known = set(store.regions.query("nuts_edition == @STATISTICS_EDITION")["region_code"])
    chosen: list[str] = []
    for code in codes:
        if _COUNTRY.match(code) and code in set(available["country_code"]):
            chosen += available.loc[available["country_code"] == code, "region_code"].tolist()
        elif code in known:
            chosen.append(code)
        else:
            hint = f"Use NUTS {STATISTICS_EDITION} codes, e.g. DE11 or DE."
            raise unknown_code("region or country", code, known, hint=hint)
    return list(dict.fromkeys(chosen))


def select_groups(store, selection: str | list[str] = "all") -> list[str]:
    """Region group codes for a batch: every group of the groups file, or those named.

    Raises:
        ConfigError: the groups file has bad entries (each named with its line and fix).
        UnknownCodeError: a named group is not in the file (nearest group codes listed).
    """
    from observatory_lib.indicators import policy_recipes

    groups = [group.code for group in policy_recipes.region_groups(store)]
    if isinstance(selection, str):
        selection = re.split(r"[,\s]+", selection)
    codes = [code.strip() for code in selection if code and code.strip()]
    if not codes or codes == ["all"]:
        if not groups:
            raise ObservatoryError(
                "The region groups file lists no group; add one to data/region_groups.yaml."
            )
        return groups
    for code in codes:
        if code not in groups:
            raise unknown_code("region group", code, groups, hint="Groups are in the groups file.")
    return list(dict.fromkeys(codes))

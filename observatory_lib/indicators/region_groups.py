"""Everything a region group gets where it is well defined (issue 15).

- **Cluster employment** is the sum of the members' cluster employment (each member at its own
  NUTS level); the group's total employment likewise. A category is missing for the group when
  any member's value is missing: never a partial sum.
- **LQs, size, focus and stars** are recomputed for the group against Europe: the group's row
  is measured like a region of the *benchmark level* (the finest NUTS level among its members,
  so that a group of one region reproduces that region exactly) against that level's European
  reference set, which the group itself never joins, and rated by the same star rules and
  thresholds. ``size_rank`` is the rank the group's employment would take among the reference
  regions of the category.
- **Context indicators** are aggregated as ``data/group_aggregation.yaml`` states (sums, or
  weighted means with the stated weight). A member without a value at its own level is replaced
  by its NUTS-2 regions when all of them have one; a year without a value for every member is
  missing.
- Relatedness density and opportunities (``relatedness.relatedness_of``) use the group's LQs
  and the European category space of NUTS-2 regions.

Groups with a NUTS-3 member have no cluster figures (the statistics stop at NUTS 2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from observatory_lib import paths
from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.data.region_groups import RegionGroup
from observatory_lib.errors import ConfigError, ObservatoryError
from observatory_lib.indicators.clusters import (
    compute_cluster_indicators,
    resolve_reference_countries,
)
from observatory_lib.indicators.stars import StarRuleSet, rate_stars

AGGREGATION_FILE = paths.DATA_DIR / "group_aggregation.yaml"
CLUSTER_LEVELS = (0, 1, 2)
METHODS = ("sum", "weighted_mean", "none")
CONTEXT_COLUMNS = [
    "region_code",
    "indicator_code",
    "year",
    "value",
    "unit",
    "flag",
    "method",
    "n_units",
]
_CELL_KEYS = ["category_code", "category_type", "year"]


@dataclasses.dataclass(frozen=True)
class AggregationRule:
    """How one context indicator is aggregated over a group's members."""

    indicator_code: str
    method: str
    weight: str | None = None
    exact: bool = True
    note: str = ""

    def describe(self, weight_labels: dict[str, str]) -> str:
        """The rule in a few words, for tables and methods notes (``weight_labels``: a label
        for each weight; the indicators' labels from the store's catalog)."""
        if self.method == "sum":
            return "sum of the members"
        if self.method == "none":
            return f"not aggregated ({self.note})" if self.note else "not aggregated"
        weight = weight_labels.get(str(self.weight), str(self.weight))
        if not weight[:2].isupper():  # "Population on 1 January" reads "population on ..."
            weight = weight[:1].lower() + weight[1:]
        text = f"mean weighted by {weight}"
        return f"{text} (approximation: {self.note})" if not self.exact else text


@dataclasses.dataclass(frozen=True)
class AggregationRules:
    """Every indicator's rule and the derived weights (``weights:`` of the file)."""

    rules: dict[str, AggregationRule]
    derived_weights: dict[str, tuple[str, ...]]
    weight_labels: dict[str, str]


def load_aggregation_rules(path: str | Path | None = None) -> AggregationRules:
    """Read ``data/group_aggregation.yaml``.

    Raises:
        ConfigError: unreadable file, unknown method, or a weighted mean without a weight.
    """
    path = Path(path or AGGREGATION_FILE)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"Cannot read the group aggregation rules {path}: {error}.") from error
    derived, labels = {}, {}
    for name, spec in (document.get("weights") or {}).items():
        derived[str(name)] = tuple(str(code) for code in spec.get("sum_of") or ())
        labels[str(name)] = str(spec.get("label", name))
    rules = {}
    for code, spec in (document.get("indicators") or {}).items():
        method = str(spec.get("method", ""))
        if method not in METHODS:
            raise ConfigError(
                f"{path}: indicator {code!r} has method {method!r}; "
                f"use one of {', '.join(METHODS)}."
            )
        weight = spec.get("weight")
        if method == "weighted_mean" and not weight:
            raise ConfigError(f"{path}: indicator {code!r} is a weighted mean; add 'weight:'.")
        rules[str(code)] = AggregationRule(
            str(code), method, weight and str(weight), bool(spec.get("exact", True)),
            str(spec.get("note", "")),
        )  # fmt: skip
    return AggregationRules(rules, derived, labels)


# --- cluster figures ---------------------------------------------------------------------------


def benchmark_level(group: RegionGroup) -> int | None:
    """The finest NUTS level among the members; None when a member has no cluster data."""
    if any(level not in CLUSTER_LEVELS for level in group.member_levels):
        return None
    return max(group.member_levels)


def group_cluster_cells(
    cluster_employment: pd.DataFrame, region_totals: pd.DataFrame, group: RegionGroup, level: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The group's cluster employment and total employment, as rows of ``level``.

    Sums over the members at their own levels; missing when any member is missing.
    """
    members = pd.DataFrame({"region_code": group.members, "nuts_level": group.member_levels})
    n_members = len(members)
    cells = cluster_employment.merge(members, on=["region_code", "nuts_level"])
    summed = cells.groupby(_CELL_KEYS, as_index=False, sort=True).agg(
        employment_persons=("employment_persons", lambda v: v.sum(min_count=len(v))),
        n_members=("region_code", "nunique"),
        is_derived_by_allocation=("is_derived_by_allocation", "all"),
        has_confidential_cells=("has_confidential_cells", "any"),
        n_divisions=("n_divisions", "max"),
        n_divisions_missing=("n_divisions_missing", "sum"),
        n_divisions_imputed=("n_divisions_imputed", "sum"),
    )
    summed = summed.assign(
        employment_persons=summed["employment_persons"].where(summed["n_members"] == n_members),
        region_code=group.code,
        nuts_level=level,
        nuts_edition=STATISTICS_EDITION,
    ).drop(columns="n_members")
    totals = region_totals.merge(members, on=["region_code", "nuts_level"])
    total = totals.groupby("year", as_index=False).agg(
        employment_persons=("employment_persons", lambda v: v.sum(min_count=len(v))),
        n_members=("region_code", "nunique"),
        n_sections_imputed=("n_sections_imputed", "sum"),
    )
    total = total.assign(
        employment_persons=total["employment_persons"].where(total["n_members"] == n_members),
        region_code=group.code,
        nuts_level=level,
        nuts_edition=STATISTICS_EDITION,
    ).drop(columns="n_members")
    return summed, total


def rate_group(
    cluster_employment: pd.DataFrame,
    region_totals: pd.DataFrame,
    group: RegionGroup,
    rules: StarRuleSet,
    *,
    reference_countries: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The group's cluster indicators and stars, as rows of its benchmark level.

    Returns:
        The rows ``stars.rate_stars`` gives a region (same columns), for the group's code;
        ``is_in_reference_set`` is False (a group never moves the European benchmark).

    Raises:
        ObservatoryError: a member is a NUTS-3 region (no cluster data at that level).
    """
    level = benchmark_level(group)
    if level is None:
        raise ObservatoryError(
            f"Region group {group.code!r} has NUTS-3 members; cluster employment exists only "
            "at NUTS 0-2. Fix: list the members' NUTS-2 regions instead."
        )
    cells, total = group_cluster_cells(cluster_employment, region_totals, group, level)
    # the reference set of the regions alone: a group code of NUTS length must not join it
    countries = resolve_reference_countries(
        cluster_employment, level=level, reference_countries=reference_countries
    )
    at_level = cluster_employment.loc[cluster_employment["nuts_level"] == level]
    totals_at_level = region_totals.loc[region_totals["nuts_level"] == level]
    indicators = compute_cluster_indicators(
        pd.concat([at_level, cells], ignore_index=True),
        pd.concat([totals_at_level, total], ignore_index=True),
        level=level,
        reference_countries=countries,
    )
    rated = rate_stars(indicators, rules)
    own = rated.loc[rated["region_code"] == group.code]
    return own.assign(
        country_code=pd.NA,
        size_rank=_rank_among_reference(rated, own),
    ).reset_index(drop=True)


def _rank_among_reference(rated: pd.DataFrame, own: pd.DataFrame) -> pd.Series:
    """1 + the reference regions with more employment in the category and year."""
    reference = rated.loc[rated["is_in_reference_set"].astype(bool)]
    keys = ["category_code", "year"]
    merged = reference[[*keys, "employment_persons"]].merge(
        own[[*keys, "employment_persons"]].rename(columns={"employment_persons": "own"}), on=keys
    )
    larger = (merged["employment_persons"] > merged["own"]).groupby([merged[k] for k in keys]).sum()
    index = pd.MultiIndex.from_frame(own[keys])
    rank = 1 + larger.reindex(index).to_numpy(dtype=float)
    rank[own["employment_persons"].isna().to_numpy()] = np.nan
    return pd.Series(pd.array(rank, dtype="Float64").astype("Int64"), index=own.index)


# --- context indicators --------------------------------------------------------------------------


def aggregate_context(
    context: pd.DataFrame,
    regions: pd.DataFrame,
    group: RegionGroup,
    rules: AggregationRules,
) -> pd.DataFrame:
    """The group's context indicators (long: ``CONTEXT_COLUMNS``), one row per indicator/year.

    Raises:
        ConfigError: an indicator of ``context`` has no rule (the file and the fix named).
    """
    rows = context.loc[context["value"].notna() & context["nuts_edition"].eq(STATISTICS_EDITION)]
    present = set(rows["indicator_code"].unique())
    missing = sorted(present - set(rules.rules))
    if missing:
        raise ConfigError(
            f"{AGGREGATION_FILE} has no rule for {', '.join(missing)}; add each under "
            "'indicators:' (method sum, weighted_mean with a weight, or none)."
        )
    units = _member_units(group, regions)
    values = _value_table(rows.loc[rows["region_code"].isin(set(units["unit"]))])
    alike: dict[tuple, list[AggregationRule]] = {}
    for rule in rules.rules.values():
        if rule.method != "none" and rule.indicator_code in present:
            alike.setdefault((rule.method, rule.weight), []).append(rule)
    parts = [
        _aggregate_alike(values, units, chosen, rules, len(group.members))
        for chosen in alike.values()
    ]
    unit_of = rows.drop_duplicates("indicator_code").set_index("indicator_code")["unit"]
    frame = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame(columns=CONTEXT_COLUMNS)])
    frame = frame.assign(region_code=group.code, unit=frame["indicator_code"].map(unit_of))
    return frame.reindex(columns=CONTEXT_COLUMNS).sort_values(
        ["indicator_code", "year"], ignore_index=True
    )


def _value_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Values by (region, indicator, year), one row each (the mean of any duplicates)."""
    keys = ["region_code", "indicator_code", "year"]
    values = rows.groupby(keys, as_index=False).agg(value=("value", "mean"))
    flags = rows.dropna(subset=["flag"]).drop_duplicates([*keys, "flag"])
    flags = flags.groupby(keys)["flag"].agg(",".join).rename("flag")
    return values.join(flags, on=keys)


def _member_units(group: RegionGroup, regions: pd.DataFrame) -> pd.DataFrame:
    """Each member's two ways in: itself (``own``), or its NUTS-2 regions (``nuts2``)."""
    level2 = regions.loc[
        regions["nuts_edition"].eq(STATISTICS_EDITION)
        & regions["nuts_level"].eq(2)
        & ~regions["is_aggregate"].fillna(False).astype(bool)
        & ~regions["region_code"].str.endswith("ZZ")
    ]["region_code"].drop_duplicates()
    parts = []
    for member, level in zip(group.members, group.member_levels, strict=True):
        parts.append(pd.DataFrame({"member": [member], "unit": [member], "route": "own"}))
        if level < 2:
            inside = level2.loc[level2.str.startswith(member)]
            parts.append(pd.DataFrame({"member": member, "unit": inside, "route": "nuts2"}))
    return pd.concat(parts, ignore_index=True)


def _weight_values(
    values: pd.DataFrame, weight: str, rules: AggregationRules, units: pd.DataFrame
) -> pd.DataFrame:
    """``region_code, year, weight``: an indicator, or the sum of a derived weight's parts.

    Weights are additive (population, GDP, labour force), so a member without a weight at its
    own level gets the sum of its NUTS-2 regions' when every one of them has one (the store
    holds population at NUTS 2 only): GDP per inhabitant of a country is then weighted by the
    country's population although only its regions report one.
    """
    parts = rules.derived_weights.get(weight, (weight,))
    chosen = values.loc[values["indicator_code"].isin(parts)]
    summed = chosen.groupby(["region_code", "year"]).agg(
        weight=("value", "sum"), n_parts=("value", "size")
    )
    own = summed.loc[summed["n_parts"] == len(parts)].reset_index()
    inside = units.loc[units["route"] == "nuts2", ["member", "unit"]]
    if inside.empty or own.empty:
        return own[["region_code", "year", "weight"]]
    expected = inside.groupby("member").size().rename("n_expected")
    parts_sum = inside.merge(own, left_on="unit", right_on="region_code")
    from_regions = parts_sum.groupby(["member", "year"]).agg(
        weight=("weight", "sum"), n_have=("unit", "size")
    )
    from_regions = from_regions.join(expected, on="member").reset_index()
    from_regions = from_regions.loc[from_regions["n_have"] == from_regions["n_expected"]]
    filled = from_regions.rename(columns={"member": "region_code"})[
        ["region_code", "year", "weight"]
    ]
    combined = pd.concat([own[["region_code", "year", "weight"]], filled], ignore_index=True)
    return combined.drop_duplicates(["region_code", "year"], keep="first")


def _aggregate_alike(
    values: pd.DataFrame,
    units: pd.DataFrame,
    alike: list[AggregationRule],
    rules: AggregationRules,
    n_members: int,
) -> pd.DataFrame:
    """The indicators of ``alike`` (one method and weight) for every year, in one pass."""
    rule = alike[0]
    codes = [r.indicator_code for r in alike]
    own = values.loc[values["indicator_code"].isin(codes)].rename(columns={"region_code": "unit"})
    cells = units.merge(own, on="unit")
    if rule.method == "weighted_mean":
        weights = _weight_values(values, str(rule.weight), rules, units).rename(
            columns={"region_code": "unit"}
        )
        cells = cells.merge(weights, on=["unit", "year"])
        cells = cells.loc[cells["weight"] > 0]
    else:
        cells = cells.assign(weight=1.0)
    chosen = _choose_routes(cells, units)
    per_year = chosen.groupby(["indicator_code", "year"]).agg(
        n_members=("member", "nunique"),
        n_units=("unit", "size"),
        weighted=("weighted", "sum"),
        weight=("weight", "sum"),
        total=("value", "sum"),
        flag=("flag", _joined_flags),
    )
    per_year = per_year.loc[per_year["n_members"] == n_members].reset_index()
    value = per_year["total"] if rule.method == "sum" else per_year["weighted"] / per_year["weight"]
    return pd.DataFrame(
        {
            "indicator_code": per_year["indicator_code"].astype(str),
            "year": per_year["year"].astype(int),
            "value": value.to_numpy(dtype=float),
            "flag": per_year["flag"].replace("", pd.NA),
            "method": rule.method if rule.method == "sum" else f"weighted by {rule.weight}",
            "n_units": per_year["n_units"].astype(int),
        }
    )


def _joined_flags(flags: pd.Series) -> str:
    """The distinct flag letters of the members' values, e.g. ``b,e`` ("" when none)."""
    letters = {part for text in flags.dropna() for part in str(text).split(",") if part}
    return ",".join(sorted(letters))


def _choose_routes(cells: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Per indicator, member and year: its own value if it has one, else all of its NUTS-2
    regions (when every one of them has a value)."""
    keys = ["indicator_code", "member", "year"]
    expected = units.groupby(["member", "route"]).size().rename("n_expected")
    have = cells.groupby([*keys, "route"]).size().rename("n_have").reset_index()
    have = have.join(expected, on=["member", "route"])
    complete = have.loc[have["n_have"] == have["n_expected"]]
    # own before nuts2 (reverse alphabetical order of the routes), one route per member and year
    best = complete.sort_values([*keys, "route"], ascending=[True, True, True, False])
    best = best.drop_duplicates(keys)[[*keys, "route"]]
    chosen = cells.merge(best, on=[*keys, "route"])
    return chosen.assign(weighted=chosen["value"] * chosen["weight"])


def describe_rules(
    rules: AggregationRules, codes: Sequence[str], labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each indicator's aggregation in words (for the group scorecard's key facts);
    ``labels`` names the weight indicators (e.g. the store's catalog labels)."""
    names = {**dict(labels or {}), **rules.weight_labels}
    return {code: rules.rules[code].describe(names) for code in codes if code in rules.rules}


def as_dict(group: RegionGroup) -> dict[str, Any]:
    """The group as plain data, for records and tables."""
    return dataclasses.asdict(group)

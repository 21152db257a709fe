"""Star ratings of regional clusters from configurable rule sets.

A rule set is a list of criteria; each gives one star when its rule holds:

- ``top_share``: the metric is in the top ``cutoff`` share (0-1) of the reference regions
  within the same category, NUTS level and year. The threshold applied is the category's
  ``1 - cutoff`` quantile (linear interpolation) of the metric over the reference regions
  with a value; a cluster passes when its metric is at or above it. When that quantile falls
  on the lowest value (ties, e.g. many zeros, or a single region), only values above the
  lowest pass, so a tie at the bottom never earns a "top" star.
- ``threshold``: the metric is at or above ``cutoff`` (e.g. LQ >= 2).

Missing stays missing: a criterion whose metric is NaN is neither passed nor failed (NA),
so a NaN employment never gets a star. A criterion whose metric has no value at all in a
NUTS level and year (no wages, a single year) is "not available" there: stars are counted
out of the available criteria (``stars_out_of``) and ``stars_basis`` says which are missing.

Presets (``star_presets.yaml``): ``eco2008``, ``eocic`` and ``panorama4``; their
documentation fields say which cut-offs are verified and which are recalled.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from observatory_lib.errors import ConfigError, unknown_code
from observatory_lib.indicators.clusters import require_columns

PRESET_FILE = Path(__file__).with_name("star_presets.yaml")
RULES = ("top_share", "threshold")
GROUP_KEYS = ["nuts_level", "category_code", "year"]
AVAILABILITY_KEYS = ["nuts_level", "year"]
RATED_BASE_COLUMNS = ("region_code", *GROUP_KEYS, "is_in_reference_set")
STATUS_COLUMNS = {
    "wage_per_employee_eur": "productivity_status",
    "employment_growth_pct": "dynamism_status",
}
_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


@dataclasses.dataclass(frozen=True)
class StarCriterion:
    """One star: ``metric`` judged by ``rule`` at ``cutoff``."""

    name: str
    metric: str
    rule: str
    cutoff: float
    verified: bool | None = None
    note: str = ""
    min_employment: float | None = None


@dataclasses.dataclass(frozen=True)
class StarRuleSet:
    """A named list of star criteria with its documentation."""

    name: str
    criteria: tuple[StarCriterion, ...]
    label: str = ""
    documentation: str = ""

    def criterion(self, name: str) -> StarCriterion:
        """Return the criterion called ``name``; unknown names list the valid ones."""
        for candidate in self.criteria:
            if candidate.name == name:
                return candidate
        raise unknown_code(
            "criterion", name, [c.name for c in self.criteria], hint=f"Rule set {self.name!r}."
        )

    def with_cutoff(self, name: str, cutoff: float) -> StarRuleSet:
        """Return a copy in which criterion ``name`` uses ``cutoff``."""
        current = self.criterion(name)
        changed = dataclasses.replace(current, cutoff=_checked_cutoff(current.rule, cutoff, name))
        criteria = tuple(changed if c.name == name else c for c in self.criteria)
        return dataclasses.replace(self, criteria=criteria)


def list_star_presets() -> list[str]:
    """Return the names of the shipped presets."""
    return sorted(_shipped_rule_sets())


def load_star_preset(preset: str | Mapping[str, Any] | StarRuleSet) -> StarRuleSet:
    """Return a validated rule set from a preset name, a rule-set mapping, or a rule set.

    A mapping has ``criteria`` (a list of ``{name, metric, rule, cutoff}``) and optionally
    ``name``, ``label`` and ``documentation``.

    Raises:
        UnknownCodeError: the preset name is not shipped (the message lists the valid ones).
        ConfigError: the mapping is malformed.
    """
    if isinstance(preset, StarRuleSet):
        return preset
    if isinstance(preset, str):
        presets = _shipped_rule_sets()
        if preset not in presets:
            raise unknown_code(
                "star preset", preset, presets, hint=f"Valid presets: {', '.join(sorted(presets))}."
            )
        return presets[preset]
    if isinstance(preset, Mapping):
        return _parse_rule_set(preset, str(preset.get("name", "custom")))
    raise ConfigError(
        f"A star rule set must be a preset name ({', '.join(list_star_presets())}) or a mapping "
        f"with 'criteria', not {type(preset).__name__}."
    )


def rate_stars(
    indicators: pd.DataFrame, rule_set: str | Mapping[str, Any] | StarRuleSet
) -> pd.DataFrame:
    """Rate every regional cluster against a rule set.

    Args:
        indicators: output of ``clusters.compute_cluster_indicators`` (any levels and years).
        rule_set: a preset name, a rule-set mapping or a ``StarRuleSet``.

    Returns:
        ``indicators`` plus, per criterion, ``<name>_value`` (the metric),
        ``<name>_threshold`` (the threshold actually applied) and ``<name>_pass`` (nullable
        boolean, NA where the metric is missing); then ``stars`` (NA when no criterion could
        be evaluated), ``stars_out_of`` (criteria available in that level and year),
        ``n_criteria_missing`` (available criteria whose metric is missing for the cell),
        ``stars_basis`` (which criteria were counted) and ``rule_set``.

    Raises:
        DataSourceError: ``indicators`` lacks the key columns.
        UnknownCodeError: a criterion's metric is not a column of ``indicators``.
    """
    rules = load_star_preset(rule_set)
    _check_inputs(indicators, rules)
    groups = _category_groups(indicators)
    columns: dict[str, Any] = {}
    for criterion in rules.criteria:
        value, threshold, passed = _evaluate_criterion(indicators, criterion, groups)
        columns |= {
            f"{criterion.name}_value": value,
            f"{criterion.name}_threshold": threshold,
            f"{criterion.name}_pass": passed,
        }
    rated = indicators.assign(**columns)
    return _count_stars(rated, rules)


def star_sensitivity(
    indicators: pd.DataFrame,
    rule_set: str | Mapping[str, Any] | StarRuleSet,
    criterion: str,
    cutoffs: Iterable[float],
) -> pd.DataFrame:
    """Show how star counts move when one criterion's cut-off changes.

    Args:
        indicators: output of ``clusters.compute_cluster_indicators``.
        rule_set: the rule set whose cut-off is the baseline.
        criterion: name of the criterion to vary.
        cutoffs: cut-offs to try (e.g. LQ 1.5..2.5, or top shares 0.05..0.20).

    Returns:
        One row per cut-off: ``criterion, rule, cutoff, is_preset_cutoff, n_rated, n_keep,
        n_gain, n_lose, n_criterion_pass, n_starred`` where keep/gain/lose count the rated
        regional clusters whose star count is equal to, above or below the baseline.

    Raises:
        UnknownCodeError: the criterion is not in the rule set.
        ConfigError: no cut-off, or a cut-off outside the rule's range.
    """
    rules = load_star_preset(rule_set)
    chosen = rules.criterion(criterion)
    trial_cutoffs = [_checked_cutoff(chosen.rule, cutoff, criterion) for cutoff in cutoffs]
    if not trial_cutoffs:
        raise ConfigError(f"No cut-offs given for {criterion!r}; pass e.g. [{chosen.cutoff}].")
    baseline = rate_stars(indicators, rules)
    is_rated = baseline["stars"].notna().to_numpy()
    base_stars = baseline["stars"].fillna(0).to_numpy(dtype=int)
    base_pass = baseline[f"{criterion}_pass"].fillna(False).to_numpy(dtype=int)
    groups = _category_groups(indicators)
    rows = []
    for cutoff in trial_cutoffs:
        trial = dataclasses.replace(chosen, cutoff=cutoff)
        _, _, passed = _evaluate_criterion(indicators, trial, groups)
        trial_pass = passed.fillna(False).to_numpy(dtype=int)
        change = (trial_pass - base_pass)[is_rated]
        rows.append(
            {
                "criterion": criterion,
                "rule": chosen.rule,
                "cutoff": cutoff,
                "is_preset_cutoff": bool(np.isclose(cutoff, chosen.cutoff)),
                "n_rated": int(is_rated.sum()),
                "n_keep": int((change == 0).sum()),
                "n_gain": int((change > 0).sum()),
                "n_lose": int((change < 0).sum()),
                "n_criterion_pass": int(trial_pass[is_rated].sum()),
                "n_starred": int(((base_stars - base_pass + trial_pass)[is_rated] >= 1).sum()),
            }
        )
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=1)
def _shipped_rule_sets() -> dict[str, StarRuleSet]:
    """Parse the preset file once; the rule sets are frozen, so sharing them is safe."""
    with PRESET_FILE.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return {name: _parse_rule_set(spec, name) for name, spec in raw.items()}


def _parse_rule_set(spec: Mapping[str, Any], name: str) -> StarRuleSet:
    raw_criteria = spec.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise ConfigError(
            f"Star rule set {name!r} needs a non-empty 'criteria' list of "
            "{name, metric, rule, cutoff} mappings."
        )
    criteria = tuple(_parse_criterion(item, name) for item in raw_criteria)
    names = [c.name for c in criteria]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"Star rule set {name!r} repeats criterion names {names}; give each a unique name."
        )
    return StarRuleSet(
        name=name,
        criteria=criteria,
        label=str(spec.get("label", "")),
        documentation=str(spec.get("documentation", "")),
    )


def _parse_criterion(item: Any, rule_set: str) -> StarCriterion:
    if not isinstance(item, Mapping):
        raise ConfigError(f"Each criterion of {rule_set!r} must be a mapping, not {item!r}.")
    missing = [key for key in ("name", "metric", "rule", "cutoff") if key not in item]
    if missing:
        raise ConfigError(f"A criterion of {rule_set!r} lacks {', '.join(missing)}: {dict(item)}.")
    name = str(item["name"])
    if not _NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"Criterion name {name!r} in {rule_set!r} must be snake_case, e.g. 'size'."
        )
    if item["rule"] not in RULES:
        raise ConfigError(
            f"Criterion {name!r} in {rule_set!r} has rule {item['rule']!r}; "
            f"use one of {', '.join(RULES)}."
        )
    return StarCriterion(
        name=name,
        metric=str(item["metric"]),
        rule=str(item["rule"]),
        cutoff=_checked_cutoff(item["rule"], item["cutoff"], name),
        verified=item.get("verified"),
        note=str(item.get("note", "")),
        min_employment=_checked_floor(item.get("min_employment"), name),
    )


def _checked_floor(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        floor = float(value)
    except (TypeError, ValueError):
        floor = -1.0
    if not np.isfinite(floor) or floor < 0:
        raise ConfigError(
            f"Criterion {name!r} has min_employment {value!r}; give a number of persons >= 0, "
            "e.g. 1000, or leave it out."
        )
    return floor


def _checked_cutoff(rule: str, cutoff: Any, name: str) -> float:
    try:
        value = float(cutoff)
    except (TypeError, ValueError):
        raise ConfigError(f"Criterion {name!r} needs a numeric cutoff, not {cutoff!r}.") from None
    if not np.isfinite(value):
        raise ConfigError(f"Criterion {name!r} needs a finite cutoff, not {cutoff!r}.")
    if rule == "top_share" and not 0 < value <= 1:
        raise ConfigError(
            f"Criterion {name!r} is a top_share rule; its cutoff is a share in (0, 1], "
            f"e.g. 0.10 for the top 10 %, not {cutoff!r}."
        )
    return value


def _check_inputs(indicators: pd.DataFrame, rules: StarRuleSet) -> None:
    require_columns(indicators, RATED_BASE_COLUMNS, "indicators")
    numeric = [
        column
        for column, dtype in indicators.dtypes.items()
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    ]
    for criterion in rules.criteria:
        if criterion.metric not in numeric:
            raise unknown_code(
                "metric",
                criterion.metric,
                numeric,
                hint=f"Criterion {criterion.name!r} needs a numeric column of the indicators.",
            )


def _category_groups(frame: pd.DataFrame) -> np.ndarray:
    """Integer ids of the level x category x year groups, factorised once for all criteria."""
    return frame.groupby(GROUP_KEYS, sort=False).ngroup().to_numpy()


def _evaluate_criterion(
    frame: pd.DataFrame, criterion: StarCriterion, groups: np.ndarray
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return the metric, the threshold applied and the pass/fail (NA when unknown)."""
    value = frame[criterion.metric].astype("Float64").astype(float)
    eligible = pd.Series(True, index=frame.index)
    if criterion.min_employment is not None:
        # Below the floor a cluster cannot earn the star (a tiny cell's wage or growth says
        # little), and it does not set the threshold either; it fails, it is not missing.
        eligible = frame["employment_persons"].astype(float) >= criterion.min_employment
    if criterion.rule == "threshold":
        threshold = pd.Series(criterion.cutoff, index=frame.index, dtype=float)
        passes = value >= threshold
    else:
        threshold, passes = _top_share(frame, value.where(eligible), criterion.cutoff, groups)
    passes = passes & eligible
    passed = passes.astype("boolean").mask(value.isna() | threshold.isna())
    return value, threshold, passed


def _top_share(
    frame: pd.DataFrame, value: pd.Series, cutoff: float, groups: np.ndarray
) -> tuple[pd.Series, pd.Series]:
    in_reference = frame["is_in_reference_set"].astype("boolean").fillna(False).astype(bool)
    grouped = value.where(in_reference).groupby(groups)
    threshold = grouped.transform("quantile", 1 - cutoff)
    lowest = grouped.transform("min")
    # A boundary on the lowest value cannot separate a top group from tied bottom values.
    passes = (value >= threshold) & ((threshold > lowest) | (value > lowest))
    return threshold, passes


def _count_stars(rated: pd.DataFrame, rules: StarRuleSet) -> pd.DataFrame:
    available = _criterion_availability(rated, rules)
    positions = available.index.get_indexer(pd.MultiIndex.from_frame(rated[AVAILABILITY_KEYS]))
    passes = np.zeros(len(rated), dtype=int)
    evaluated = np.zeros(len(rated), dtype=int)
    for criterion in rules.criteria:
        passed = rated[f"{criterion.name}_pass"]
        passes += passed.fillna(False).to_numpy(dtype=int)
        evaluated += passed.notna().to_numpy(dtype=int)
    out_of = available.sum(axis=1).to_numpy(dtype=int)[positions]
    basis = pd.array(_describe_basis(rated, rules, available).to_numpy(), dtype="str")
    stars = pd.array(passes, dtype="Int64")
    stars[evaluated == 0] = pd.NA
    rated = rated.assign(
        stars=stars,
        stars_out_of=pd.array(out_of, dtype="Int64"),
        n_criteria_missing=pd.array(out_of - evaluated, dtype="Int64"),
        stars_basis=basis.take(positions),
        rule_set=rules.name,
    )
    return rated


def _criterion_availability(rated: pd.DataFrame, rules: StarRuleSet) -> pd.DataFrame:
    """Whether each criterion's metric has any value, per NUTS level and year."""
    has_value = pd.DataFrame(
        {c.name: rated[f"{c.name}_value"].notna().to_numpy() for c in rules.criteria}
    )
    return has_value.groupby([rated[key].to_numpy() for key in AVAILABILITY_KEYS]).any()


def _describe_basis(rated: pd.DataFrame, rules: StarRuleSet, available: pd.DataFrame) -> pd.Series:
    """One sentence per NUTS level and year naming the criteria counted and those missing."""
    lacking_somewhere = [c for c in rules.criteria if not available[c.name].all()]
    reasons = pd.DataFrame(
        {c.name: _unavailable_reasons(rated, c) for c in lacking_somewhere}, index=available.index
    )
    total = len(rules.criteria)
    sentences = {}
    # One pass per NUTS level x year (a handful), not per regional cluster.
    for key, row in available.iterrows():
        counted = [name for name, is_available in row.items() if is_available]
        lacking = [
            f"{name} {reasons.loc[key, name]}"
            for name, is_available in row.items()
            if not is_available
        ]
        sentence = f"{len(counted)} of {total} criteria counted ({', '.join(counted) or 'none'})"
        sentences[key] = "; ".join([sentence, *lacking])
    return pd.Series(sentences, index=available.index, dtype="str")


def _unavailable_reasons(rated: pd.DataFrame, criterion: StarCriterion) -> pd.Series:
    """Why a criterion is not available, per NUTS level and year (from the status column).

    In a level x year where the metric has no value at all, every row's status gives the
    reason (no wages, a single year, the base year), so the first one is taken.
    """
    keys = [rated[key].to_numpy() for key in AVAILABILITY_KEYS]
    default = f"not available: {criterion.metric} has no value"
    status_column = STATUS_COLUMNS.get(criterion.metric)
    if status_column not in rated.columns:
        index = pd.MultiIndex.from_arrays(keys).unique()
        return pd.Series(default, index=index, dtype="str")
    return rated[status_column].groupby(keys).first().fillna(default)

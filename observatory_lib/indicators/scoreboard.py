"""A generic composite-indicator engine: the Regional Ecosystem Scoreboard and any other index.

The method mirrors the RIS/EIS practice described in docs/methodology.md (sections 3.3 and 4.1);
every step is a documented parameter:

1. **Year selection.** Per indicator and region, the value of the framework's target year, else
   the latest value up to ``max_lag`` years earlier (``year_fallbacks`` lists each fallback).
   Nothing is imputed: a region without a value in the window has a missing value.
2. **Transformation** of skewed indicators (``log`` or ``sqrt``) and **direction**: values of
   ``'-'`` indicators are negated, so that from here on higher is always better.
3. **Outlier capping.** Fences at the reference-set mean +/- ``outlier_sd`` (default 3) sample
   standard deviations of the transformed values, as in the EIS technical annex; values beyond
   are capped at the fence *before* the minimum and maximum are set (``is_capped`` marks them).
4. **Normalisation** over the reference set (default: every region scored):
   ``minmax``: score = 100 * (x - min) / (max - min), min and max over the capped reference
   values; ``zscore``: z = (x - mean) / sd, capped at +/- ``outlier_sd`` and mapped linearly to
   0-100 (z = -k -> 0, 0 -> 50, +k -> 100, k = ``outlier_sd`` or 3 when capping is off).
   Regions outside the reference set are scored on the reference scale and clipped to 0-100.
   An indicator whose reference values do not vary carries no information and is left out.
5. **Coverage.** A sub-dimension is scored when at least ``min_coverage`` (default 50 %) of its
   indicators have a value; likewise a dimension over its sub-dimensions and the index over its
   dimensions. Below that the score is missing, never imputed.
6. **Aggregation** with the framework's weights (equal by default), renormalised over the
   components a region has: ``arithmetic`` weighted mean, or ``geometric``, the weighted
   geometric mean of (score + 1) minus 1 (the offset keeps one zero score from zeroing the
   composite and keeps the 0-100 range).
7. **EU average = 100.** The EU average is the *reference-set mean profile*: the mean indicator
   score over the reference regions with a value, passed through the same aggregation as a
   region. ``relative_to_eu`` = 100 * score / EU-average score at every level, so a region with
   exactly the mean profile scores 100; with complete data and arithmetic aggregation the mean
   of the reference regions' relative scores is 100 too.
8. **Ranks and groups.** Rank 1 is the highest score, in Europe (all scored regions) and within
   the country; ties share the better rank (1, 1, 3). Performance groups use the RIS
   thresholds on the relative score: >= 125 Leader, 100-125 Strong, 70-100 Moderate, < 70
   Emerging (names and thresholds are parameters).

The computation pivots the values once and works on the region x indicator matrix with numpy;
``aggregate_scores`` also accepts weights with a leading draws axis (used by
``observatory_lib.indicators.uncertainty``).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.errors import ConfigError, DataSourceError, ObservatoryError, unknown_code
from observatory_lib.indicators.composite import (
    AGGREGATIONS,
    NORMALISATIONS,
    AggregationStructure,
    CompositeScores,
    IndicatorScores,
    aggregate_scores,
    build_structure,
    column_means,
    score_indicator_matrix,
)
from observatory_lib.indicators.framework import Framework

DEFAULT_GROUP_THRESHOLDS = (70.0, 100.0, 125.0)
DEFAULT_GROUP_NAMES = ("Emerging", "Moderate", "Strong", "Leader")
# Reference sets for ``reference_countries`` (NUTS country codes: EL for Greece, UK). The
# 2014-2016 statistics describe the EU of 28; EU27_2020 is the Union after the UK's exit.
EU27_2020_COUNTRIES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip


EU28_COUNTRIES = (*EU27_2020_COUNTRIES, "UK")
INDICATOR_COLUMNS = ("region_code", "nuts_level", "indicator_code", "year", "value")
REGION_COLUMNS = ("region_code", "nuts_level", "country_code")
_VALUE_EXTRAS = ("unit", "flag", "dataset_code")


@dataclass(frozen=True)
class ScoreboardSettings:
    """The method choices of one scoreboard run (validated on creation)."""

    level: int = 2
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    reference_countries: tuple[str, ...] | None = None
    reference_year: int | None = None
    outlier_sd: float | None = 3.0
    min_coverage: float = 0.5
    nuts_edition: int | None = STATISTICS_EDITION
    group_thresholds: tuple[float, ...] = DEFAULT_GROUP_THRESHOLDS
    group_names: tuple[str, ...] = DEFAULT_GROUP_NAMES

    def __post_init__(self) -> None:
        """Reject unknown methods and impossible parameters with one clear message."""
        if self.normalisation not in NORMALISATIONS:
            raise unknown_code("normalisation", self.normalisation, NORMALISATIONS)
        if self.aggregation not in AGGREGATIONS:
            raise unknown_code("aggregation", self.aggregation, AGGREGATIONS)
        if self.level not in (0, 1, 2, 3):
            raise ObservatoryError(f"NUTS level {self.level!r} does not exist. Fix: use 0-3.")
        if self.outlier_sd is not None and not self.outlier_sd > 0:
            raise ObservatoryError(
                f"outlier_sd is {self.outlier_sd!r}. Fix: use a positive number of standard "
                "deviations (3 in the EIS), or None to switch capping off."
            )
        if not 0 < self.min_coverage <= 1:
            raise ObservatoryError(
                f"min_coverage is {self.min_coverage!r}. Fix: use a share in (0, 1], e.g. 0.5."
            )
        _check_groups(self.group_thresholds, self.group_names)


def _check_groups(thresholds: Sequence[float], names: Sequence[str]) -> None:
    if len(names) != len(thresholds) + 1:
        raise ConfigError(
            f"{len(thresholds)} group thresholds need {len(thresholds) + 1} group names, "
            f"got {len(names)}. Fix: give one name more than thresholds, lowest group first."
        )
    if any(b <= a for a, b in itertools.pairwise(thresholds)):
        raise ConfigError(
            f"group thresholds {tuple(thresholds)} do not increase. "
            "Fix: list them from low to high, e.g. (70, 100, 125)."
        )


@dataclass
class ScoreboardResult:
    """Tidy results of ``compute_scoreboard``.

    Attributes:
        indicator_scores: region x indicator: year, value, transformed, normalised (0-1 for
            minmax, z for zscore), score (0-100), relative_to_eu, is_capped.
        subdimension_scores: region x sub-dimension: score (0-100), relative_to_eu.
        dimension_scores: region x dimension: score (0-100), relative_to_eu.
        overall: one row per region: score, relative_to_eu, rank_europe, rank_country,
            performance_group, is_reference, n_indicators, n_fallbacks.
        year_fallbacks: region x indicator values taken from an earlier year than the target.
        coverage: region x node (sub-dimension, dimension, index): components available and
            whether the node was scored.
        values: the raw values selected per region and indicator (with year and flags).
        eu_average: the EU-average profile: per node its score and, for indicators, the mean
            raw value of the reference regions.
        raw_matrix: the selected values, regions x indicators (wide).
        framework: the framework used.
        settings: the method choices.
        notes: what the run left out and why (unknown regions, indicators without data).
    """

    indicator_scores: pd.DataFrame
    subdimension_scores: pd.DataFrame
    dimension_scores: pd.DataFrame
    overall: pd.DataFrame
    year_fallbacks: pd.DataFrame
    coverage: pd.DataFrame
    values: pd.DataFrame
    eu_average: pd.DataFrame
    raw_matrix: pd.DataFrame
    framework: Framework
    settings: ScoreboardSettings
    notes: list[str] = field(default_factory=list)

    @property
    def reference_mask(self) -> np.ndarray:
        """Boolean mask over ``raw_matrix`` rows: True for the reference regions."""
        flags = self.overall.set_index("region_code")["is_reference"]
        return flags.reindex(self.raw_matrix.index).to_numpy(dtype=bool)


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataSourceError(
            f"The {name} frame lacks the column(s) {', '.join(missing)}. Fix: pass the store's "
            f"{'context_indicators' if name == 'indicators' else 'regions'} table "
            "(docs/CONVENTIONS.md lists its columns)."
        )


def _numeric_values(rows: pd.DataFrame) -> pd.Series:
    values = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    bad = values.isna() & rows["value"].notna()
    if bad.any() or np.isinf(values).any():
        example = rows.loc[bad | np.isinf(values)].iloc[0]
        raise DataSourceError(
            f"Indicator {example['indicator_code']!r} has a value {example['value']!r} for "
            f"{example['region_code']} that is not a finite number. Fix: store missing values "
            "as NaN and numbers as floats."
        )
    return values


def _check_duplicates(rows: pd.DataFrame) -> None:
    keys = ["region_code", "indicator_code", "year"]
    duplicated = rows.duplicated(keys, keep=False)
    if duplicated.any():
        example = rows.loc[duplicated, keys].iloc[0]
        raise DataSourceError(
            f"{int(duplicated.sum())} rows repeat a region x indicator x year, e.g. "
            f"{example['region_code']} {example['indicator_code']} {example['year']}. "
            "Fix: keep one value per region, indicator and year (filter by dataset_code)."
        )


def _candidate_rows(
    indicators: pd.DataFrame, framework: Framework, level: int, nuts_edition: int | None
) -> pd.DataFrame:
    keep = indicators["nuts_level"].eq(level) & indicators["indicator_code"].isin(
        framework.indicator_codes
    )
    if nuts_edition is not None and "nuts_edition" in indicators.columns:
        keep &= indicators["nuts_edition"].eq(nuts_edition)
    extras = [c for c in _VALUE_EXTRAS if c in indicators.columns]
    rows = indicators.loc[keep, [*INDICATOR_COLUMNS, *extras]]
    rows = rows.assign(value=_numeric_values(rows)).dropna(subset=["value"])
    _check_duplicates(rows)
    return rows


def select_indicator_values(
    indicators: pd.DataFrame,
    framework: Framework,
    *,
    level: int = 2,
    reference_year: int | None = None,
    nuts_edition: int | None = STATISTICS_EDITION,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pick each region's value per indicator by the framework's reference-year rule.

    Args:
        indicators: long frame with the store's ``context_indicators`` columns.
        framework: the framework (its indicators and their reference-year rules).
        level: NUTS level of the regions.
        reference_year: when given, replaces every indicator's target year (lags stay).
        nuts_edition: keep rows of this NUTS edition (when the column exists); None keeps all.

    Returns:
        ``(values, year_fallbacks)``: values has region_code, indicator_code, year,
        target_year, lag_years, is_fallback, value (+ unit, flag, dataset_code when present);
        year_fallbacks lists the rows whose year is earlier than the target.
    """
    _require_columns(indicators, INDICATOR_COLUMNS, "indicators")
    rules = framework.indicator_table()[["indicator_code", "target_year", "max_lag"]]
    if reference_year is not None:
        rules = rules.assign(target_year=int(reference_year))
    rows = _candidate_rows(indicators, framework, level, nuts_edition).merge(
        rules, on="indicator_code", how="inner"
    )
    in_window = (rows["year"] <= rows["target_year"]) & (
        rows["year"] >= rows["target_year"] - rows["max_lag"]
    )
    chosen = (
        rows.loc[in_window]
        .sort_values(["region_code", "indicator_code", "year"])
        .drop_duplicates(["region_code", "indicator_code"], keep="last")
    )
    chosen = chosen.assign(
        year=chosen["year"].astype(int),
        target_year=chosen["target_year"].astype(int),
        lag_years=(chosen["target_year"] - chosen["year"]).astype(int),
    )
    chosen = chosen.assign(is_fallback=chosen["lag_years"] > 0).drop(columns=["max_lag"])
    extras = [c for c in _VALUE_EXTRAS if c in chosen.columns]
    columns = ["region_code", "indicator_code", "year", "target_year", "lag_years"]
    values = chosen[[*columns, "is_fallback", "value", *extras]].reset_index(drop=True)
    fallbacks = values.loc[values["is_fallback"], columns].reset_index(drop=True)
    return values, fallbacks


def _region_table(regions: pd.DataFrame, settings: ScoreboardSettings) -> pd.DataFrame:
    _require_columns(regions, REGION_COLUMNS, "regions")
    keep = regions["nuts_level"].eq(settings.level)
    if settings.nuts_edition is not None and "nuts_edition" in regions.columns:
        keep &= regions["nuts_edition"].eq(settings.nuts_edition)
    if "is_aggregate" in regions.columns:
        keep &= ~regions["is_aggregate"].fillna(False).astype(bool)
    table = regions.loc[keep]
    if "region_name" not in table.columns:
        table = table.assign(region_name=table["region_code"])
    table = table[["region_code", "region_name", "country_code"]]
    if table["region_code"].duplicated().any():
        code = table.loc[table["region_code"].duplicated(), "region_code"].iloc[0]
        raise DataSourceError(
            f"The regions frame lists {code} more than once at level {settings.level}. "
            "Fix: pass one NUTS edition (the store's regions filtered by nuts_edition)."
        )
    return table.set_index("region_code")


def _restrict_to_regions(
    values: pd.DataFrame, fallbacks: pd.DataFrame, region_table: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    known = values["region_code"].isin(region_table.index)
    notes = []
    if not known.all():
        dropped = sorted(values.loc[~known, "region_code"].unique())
        preview = ", ".join(dropped[:8]) + (" ..." if len(dropped) > 8 else "")
        notes.append(
            f"{len(dropped)} region codes with values are not regions of the regions frame at "
            f"this level and edition and were left out: {preview}."
        )
    kept_fallbacks = fallbacks.loc[fallbacks["region_code"].isin(region_table.index)]
    return values.loc[known], kept_fallbacks.reset_index(drop=True), notes


def _reference_mask(
    countries: pd.Series, reference_countries: tuple[str, ...] | None
) -> np.ndarray:
    if reference_countries is None:
        return np.ones(len(countries), dtype=bool)
    available = set(countries)
    for country in reference_countries:
        if country not in available:
            raise unknown_code(
                "country",
                country,
                available,
                hint="Reference countries must have scored regions at this level.",
            )
    return countries.isin(reference_countries).to_numpy()


def _relative(scores: np.ndarray, eu_scores: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(eu_scores > 0, 100.0 * scores / eu_scores, np.nan)


def classify_performance(
    relative_to_eu: Sequence[float] | np.ndarray,
    thresholds: Sequence[float] = DEFAULT_GROUP_THRESHOLDS,
    names: Sequence[str] = DEFAULT_GROUP_NAMES,
) -> pd.Categorical:
    """Performance groups from scores relative to the EU average (RIS thresholds by default).

    A score equal to a threshold belongs to the higher group (125 -> Leader, 100 -> Strong,
    70 -> Moderate); a missing score has no group.
    """
    _check_groups(thresholds, names)
    relative = np.asarray(relative_to_eu, dtype=float)
    index = np.searchsorted(np.asarray(thresholds, dtype=float), relative, side="right")
    codes = np.where(np.isnan(relative), -1, index)
    return pd.Categorical.from_codes(codes, categories=list(names), ordered=True)


def _ranked(overall: pd.DataFrame) -> pd.DataFrame:
    rank_europe = overall["score"].rank(ascending=False, method="min")
    rank_country = overall.groupby("country_code")["score"].rank(ascending=False, method="min")
    return overall.assign(
        rank_europe=rank_europe.astype("Int64"), rank_country=rank_country.astype("Int64")
    )


def _grid(
    regions: pd.Index, codes: Sequence[str], name: str
) -> dict[str, pd.api.extensions.ExtensionArray]:
    """The key columns of a region x code long frame, regions major (as ``ravel`` orders)."""
    return {
        "region_code": pd.array(np.repeat(regions.to_numpy(dtype=object), len(codes)), "str"),
        name: pd.array(np.tile(np.asarray(codes, dtype=object), len(regions)), "str"),
    }


def _tiled(lookup: dict, codes: Sequence[str], n_regions: int) -> pd.api.extensions.ExtensionArray:
    return pd.array(np.tile(np.asarray([lookup[c] for c in codes], dtype=object), n_regions), "str")


def _indicator_frame(
    raw: pd.DataFrame, scored: IndicatorScores, eu_scores: np.ndarray, context: dict
) -> pd.DataFrame:
    codes = list(raw.columns)
    framework = context["framework"]
    years = (
        context["values"]
        .pivot(index="region_code", columns="indicator_code", values="year")
        .reindex(index=raw.index, columns=codes)
    )
    parents = {s.code: (s.dimension_code, s.subdimension_code) for s in framework.indicators}
    return pd.DataFrame(
        {
            **_grid(raw.index, codes, "indicator_code"),
            "dimension_code": _tiled({c: p[0] for c, p in parents.items()}, codes, len(raw)),
            "subdimension_code": _tiled({c: p[1] for c, p in parents.items()}, codes, len(raw)),
            "year": pd.array(years.to_numpy(dtype=float).ravel(), dtype="Int64"),
            "value": raw.to_numpy(dtype=float).ravel(),
            "transformed": scored.transformed.ravel(),
            "normalised": scored.normalised.ravel(),
            "score": scored.scores.ravel(),
            "relative_to_eu": _relative(scored.scores, eu_scores).ravel(),
            "is_capped": scored.is_capped.ravel(),
        }
    )


def _node_frame(
    scores: np.ndarray, eu_scores: np.ndarray, regions: pd.Index, codes: Sequence[str], name: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **_grid(regions, codes, name),
            "score": scores.ravel(),
            "relative_to_eu": _relative(scores, eu_scores).ravel(),
        }
    )


def _coverage_frame(
    composite: CompositeScores, structure: AggregationStructure, regions: pd.Index
) -> pd.DataFrame:
    levels = (
        ("subdimension", structure.subdimension_codes, composite.subdimension_available,
         structure.indicator_members, composite.subdimension),
        ("dimension", structure.dimension_codes, composite.dimension_available,
         structure.subdimension_members, composite.dimension),
        ("index", ("overall",), composite.overall_available[:, None],
         structure.dimension_members, composite.overall[:, None]),
    )  # fmt: skip
    parts = []
    for node_type, codes, available, members, scores in levels:
        total = np.tile(members.sum(axis=0), len(regions))
        keys = _grid(regions, codes, "node_code")
        parts.append(
            pd.DataFrame(
                {
                    "region_code": keys["region_code"],
                    "node_type": node_type,
                    "node_code": keys["node_code"],
                    "n_components": total,
                    "n_available": available.ravel().astype(int),
                    "coverage_share": available.ravel() / total,
                    "is_scored": ~np.isnan(scores.ravel()),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).astype({"node_type": "str"})


@dataclass(frozen=True)
class _EuScores:
    subdimension_codes: tuple[str, ...]
    dimension_codes: tuple[str, ...]
    subdimension: np.ndarray
    dimension: np.ndarray
    overall: float


def _eu_frame(
    raw: pd.DataFrame, reference_mask: np.ndarray, eu_indicator: np.ndarray, eu: _EuScores
) -> pd.DataFrame:
    structure_codes = (
        ("indicator", list(raw.columns), eu_indicator),
        ("subdimension", eu.subdimension_codes, eu.subdimension),
        ("dimension", eu.dimension_codes, eu.dimension),
        ("index", ["overall"], np.atleast_1d(eu.overall)),
    )
    means = column_means(raw.to_numpy(dtype=float), reference_mask)
    parts = [
        pd.DataFrame(
            {
                "node_type": node_type,
                "node_code": list(codes),
                "value": means if node_type == "indicator" else np.nan,
                "score": np.asarray(scores, dtype=float),
            }
        )
        for node_type, codes, scores in structure_codes
    ]
    return pd.concat(parts, ignore_index=True).astype({"node_type": "str", "node_code": "str"})


def _overall_frame(
    composite: CompositeScores, eu_overall: float, info: pd.DataFrame, context: dict
) -> pd.DataFrame:
    settings = context["settings"]
    relative = _relative(composite.overall, np.asarray(eu_overall))
    values = context["values"]
    counts = values.groupby("region_code")["is_fallback"].agg(["size", "sum"])
    counts = counts.reindex(info.index, fill_value=0)
    overall = pd.DataFrame(
        {
            "region_code": info.index.astype("str"),
            "region_name": info["region_name"].astype("str").to_numpy(),
            "country_code": info["country_code"].astype("str").to_numpy(),
            "score": composite.overall,
            "relative_to_eu": relative,
            "is_reference": context["reference_mask"],
            "n_indicators": counts["size"].to_numpy(dtype=int),
            "n_fallbacks": counts["sum"].to_numpy(dtype=int),
        }
    )
    overall = _ranked(overall).assign(
        performance_group=classify_performance(
            relative, settings.group_thresholds, settings.group_names
        )
    )
    order = ["region_code", "region_name", "country_code", "score", "relative_to_eu"]
    order += ["rank_europe", "rank_country", "performance_group", "is_reference"]
    return overall[[*order, "n_indicators", "n_fallbacks"]]


def _quality_notes(raw: pd.DataFrame, scored: IndicatorScores) -> list[str]:
    empty = [code for code in raw.columns if raw[code].isna().all()]
    flat = [
        code
        for code, informative in zip(raw.columns, scored.is_informative, strict=True)
        if not informative and code not in empty
    ]
    notes = []
    if empty:
        notes.append(f"No values in the reference-year window for: {', '.join(empty)}.")
    if flat:
        notes.append(f"Left out, no variation over the reference regions: {', '.join(flat)}.")
    return notes


def _score_matrix(
    raw: pd.DataFrame, framework: Framework, reference_mask: np.ndarray, settings
) -> IndicatorScores:
    specs = [framework.indicator(code) for code in raw.columns]
    return score_indicator_matrix(
        raw.to_numpy(dtype=float),
        signs=[spec.sign for spec in specs],
        transforms=[spec.transform for spec in specs],
        reference_mask=reference_mask,
        normalisation=settings.normalisation,
        outlier_sd=settings.outlier_sd,
        indicator_codes=list(raw.columns),
    )


def _wide(values: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    wide = values.pivot(index="region_code", columns="indicator_code", values="value")
    wide = wide.reindex(columns=list(codes)).sort_index().astype(float)
    wide.columns.name = None
    return wide


def _prepare_matrix(
    indicators: pd.DataFrame,
    framework: Framework,
    regions: pd.DataFrame,
    settings: ScoreboardSettings,
) -> dict:
    """Select values and build the region x indicator matrix, region info and reference mask.

    Returns a dict with ``values``, ``year_fallbacks``, ``raw`` (wide frame), ``info`` (name
    and country per region), ``reference_mask`` and ``notes``.
    """
    values, fallbacks = select_indicator_values(
        indicators,
        framework,
        level=settings.level,
        reference_year=settings.reference_year,
        nuts_edition=settings.nuts_edition,
    )
    region_table = _region_table(regions, settings)
    values, fallbacks, notes = _restrict_to_regions(values, fallbacks, region_table)
    if values.empty:
        raise DataSourceError(
            f"No values of the framework's indicators for NUTS-{settings.level} regions in "
            "their reference-year windows. Fix: check the level, the indicator codes and the "
            "reference years in the framework file (or pass reference_year=)."
        )
    raw = _wide(values, framework.indicator_codes)
    info = region_table.loc[raw.index]
    mask = _reference_mask(info["country_code"], settings.reference_countries)
    return {
        "values": values,
        "year_fallbacks": fallbacks,
        "raw": raw,
        "info": info,
        "reference_mask": mask,
        "notes": notes,
    }


def compute_scoreboard(
    indicators: pd.DataFrame,
    framework: Framework,
    regions: pd.DataFrame,
    *,
    level: int = 2,
    normalisation: str = "minmax",
    aggregation: str = "arithmetic",
    reference_countries: Iterable[str] | None = None,
    reference_year: int | None = None,
    outlier_sd: float | None = 3.0,
    min_coverage: float = 0.5,
    nuts_edition: int | None = STATISTICS_EDITION,
    group_thresholds: Sequence[float] = DEFAULT_GROUP_THRESHOLDS,
    group_names: Sequence[str] = DEFAULT_GROUP_NAMES,
) -> ScoreboardResult:
    """Compute the composite scoreboard for every region with data at one NUTS level.

    Args:
        indicators: long frame with the store's ``context_indicators`` columns.
        framework: from ``load_framework`` (indicators, tree, weights, reference-year rules).
        regions: the store's ``regions`` table (region_code, region_name, nuts_level,
            country_code, nuts_edition).
        level: NUTS level to score.
        normalisation: ``minmax`` (default) or ``zscore``.
        aggregation: ``arithmetic`` (default) or ``geometric``.
        reference_countries: country codes whose regions form the reference set (min, max,
            mean, SD and the EU average), e.g. ``EU28_COUNTRIES``; None uses every region
            with data (then "EU average" means the average of all of them).
        reference_year: overrides every indicator's target year (the lags stay).
        outlier_sd: capping fence in reference standard deviations; None switches it off.
        min_coverage: least share of a node's components needed to score it.
        nuts_edition: NUTS edition of indicators and regions; None keeps every edition.
        group_thresholds: relative-to-EU thresholds between performance groups, ascending.
        group_names: group names, lowest first (one more than thresholds).

    Returns:
        A ``ScoreboardResult`` of tidy frames (see its docstring).

    Raises:
        ObservatoryError: on unknown methods, countries, malformed frames or bad parameters.
    """
    settings = ScoreboardSettings(
        level=level,
        normalisation=normalisation,
        aggregation=aggregation,
        reference_countries=_as_countries(reference_countries),
        reference_year=reference_year,
        outlier_sd=outlier_sd,
        min_coverage=min_coverage,
        nuts_edition=nuts_edition,
        group_thresholds=tuple(float(t) for t in group_thresholds),
        group_names=tuple(group_names),
    )
    prepared = _prepare_matrix(indicators, framework, regions, settings)
    return _assemble(prepared, framework, settings)


def _as_countries(reference_countries: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if reference_countries is None:
        return None
    if isinstance(reference_countries, str):
        return (reference_countries,)
    countries = tuple(dict.fromkeys(str(c) for c in reference_countries))
    if not countries:
        raise ObservatoryError(
            "The reference set is empty. Fix: pass country codes (e.g. EU28_COUNTRIES) or "
            "None for every region scored."
        )
    return countries


def _assemble(prepared: dict, framework: Framework, settings) -> ScoreboardResult:
    raw, info, mask = prepared["raw"], prepared["info"], prepared["reference_mask"]
    scored = _score_matrix(raw, framework, mask, settings)
    eu_indicator = column_means(scored.scores, mask)
    structure = build_structure(framework)
    stacked = aggregate_scores(
        np.vstack([scored.scores, eu_indicator]),
        structure,
        aggregation=settings.aggregation,
        min_coverage=settings.min_coverage,
    )
    # the last row is the EU-average profile, aggregated exactly like a region
    composite = CompositeScores(
        *(getattr(stacked, f.name)[:-1] for f in dataclasses.fields(CompositeScores))
    )
    eu = _EuScores(
        structure.subdimension_codes,
        structure.dimension_codes,
        stacked.subdimension[-1],
        stacked.dimension[-1],
        float(stacked.overall[-1]),
    )
    context = {**prepared, "framework": framework, "settings": settings}
    notes = prepared["notes"] + _quality_notes(raw, scored)
    if not np.isfinite(eu.overall) or eu.overall <= 0:
        notes.append("The EU-average profile has no index score; relative scores are missing.")
    return ScoreboardResult(
        indicator_scores=_indicator_frame(raw, scored, eu_indicator, context),
        subdimension_scores=_node_frame(
            composite.subdimension,
            eu.subdimension,
            raw.index,
            structure.subdimension_codes,
            "subdimension_code",
        ).merge(_parents(framework), on="subdimension_code")[
            ["region_code", "dimension_code", "subdimension_code", "score", "relative_to_eu"]
        ],
        dimension_scores=_node_frame(
            composite.dimension,
            eu.dimension,
            raw.index,
            structure.dimension_codes,
            "dimension_code",
        ),
        overall=_overall_frame(composite, eu.overall, info, context),
        year_fallbacks=prepared["year_fallbacks"],
        coverage=_coverage_frame(composite, structure, raw.index),
        values=prepared["values"],
        eu_average=_eu_frame(raw, mask, eu_indicator, eu),
        raw_matrix=raw,
        framework=framework,
        settings=settings,
        notes=notes,
    )


def _parents(framework: Framework) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subdimension_code": [s.code for s in framework.subdimensions],
            "dimension_code": [s.dimension_code for s in framework.subdimensions],
        }
    ).astype("str")

"""The scorecard's ecosystem section and its methods note.

The scoreboard and its rank intervals come from the recipe layer (the EU-28 regions with
values as the reference set); strengths and weaknesses are ``peers.compare_with_peers``
(a score at least 10 points above or below the peer average), against the EU-28 average when
no peer has data.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators import recipes
from observatory_lib.indicators.clusters import reference_set_description
from observatory_lib.indicators.framework import Framework
from observatory_lib.indicators.peers import DEFAULT_STRENGTH_THRESHOLD, compare_with_peers
from observatory_lib.indicators.scoreboard import ScoreboardResult
from observatory_lib.indicators.stars import StarRuleSet
from observatory_lib.products.kit.notes import cutoff_text
from observatory_lib.products.region_scorecard.spec import (
    DIMENSION_COLUMNS,
    EU_LABEL,
    INDICATOR_COLUMNS,
    KEY_FACT_MAX_LAG,
    N_STRENGTHS,
    RANK_PERCENTILES,
    ScorecardContext,
)


def scoreboard_sections(context: ScorecardContext, peer_codes: list[str]) -> dict:
    result = _scoreboard_or_none(context)
    overall = None if result is None else result.overall.set_index("region_code")
    if overall is None or context.region_code not in overall.index:
        reason = "no scoreboard indicators for this region and level"
        return _no_scoreboard(reason)
    row = overall.loc[context.region_code]
    if pd.isna(row["score"]):
        return _no_scoreboard("too few indicators with a value to compute the index")
    scored_peers = [p for p in peer_codes if p in overall.index]
    notes = []
    left_out = [p for p in peer_codes if p not in overall.index]
    if left_out:
        notes.append(f"Peers without a scoreboard result, left out of it: {', '.join(left_out)}.")
    comparison = _comparison(result, context.region_code, scored_peers)
    indicators = _indicator_comparison(comparison)
    basis = "peers" if indicators["peer_average_score"].notna().any() else "eu"
    return {
        "scoreboard": _scoreboard_summary(context, result, row),
        "dimensions": _dimension_comparison(result, comparison, context.region_code),
        "indicators": indicators,
        "strengths": _extremes(indicators, "strength", basis),
        "weaknesses": _extremes(indicators, "weakness", basis),
        "basis": basis,
        "notes": notes,
    }


def _scoreboard_or_none(context: ScorecardContext) -> ScoreboardResult | None:
    """The recipe layer's scoreboard at the region's level (None when it cannot be computed)."""
    try:
        return recipes.scoreboard(
            context.store, context.level, star_preset=context.rule_set, variant=context.variant
        )
    except ObservatoryError:  # e.g. no indicator of the framework at this level (NUTS 3)
        return None


def _rank_table(context: ScorecardContext, result: ScoreboardResult) -> pd.DataFrame:
    """The rank intervals of every scored region, indexed by code (empty below two)."""
    if result.overall["score"].notna().sum() < 2:
        return pd.DataFrame()
    uncertainty = recipes.rank_intervals(
        context.store,
        context.level,
        star_preset=context.rule_set,
        variant=context.variant,
        n_draws=context.n_draws,
        seed=context.seed,
    )
    return uncertainty.ranks.set_index("region_code")


def _no_scoreboard(reason: str) -> dict:
    empty_dimensions = pd.DataFrame(columns=DIMENSION_COLUMNS)
    empty_indicators = pd.DataFrame(columns=INDICATOR_COLUMNS)
    return {
        "scoreboard": {"available": False, "reason": reason},
        "dimensions": empty_dimensions,
        "indicators": empty_indicators,
        "strengths": empty_indicators,
        "weaknesses": empty_indicators,
        "basis": "none",
        "notes": [f"Ecosystem scoreboard not available: {reason}."],
    }


def _comparison(result: ScoreboardResult, region_code: str, peers: list[str]) -> pd.DataFrame:
    """``compare_with_peers`` on the rows of the region and its peers only (same numbers)."""
    keep = {region_code, *peers}
    slim = dataclasses.replace(
        result,
        indicator_scores=_rows_of(result.indicator_scores, keep),
        subdimension_scores=_rows_of(result.subdimension_scores, keep),
        dimension_scores=_rows_of(result.dimension_scores, keep),
        overall=_rows_of(result.overall, keep),
    )
    return compare_with_peers(slim, region_code, peers)


def _rows_of(frame: pd.DataFrame, codes: set[str]) -> pd.DataFrame:
    return frame.loc[frame["region_code"].isin(codes)]


def _scoreboard_summary(
    context: ScorecardContext, result: ScoreboardResult, row: pd.Series
) -> dict:
    overall = result.overall
    scored = overall["score"].notna()
    in_country = overall["country_code"] == row["country_code"]
    ranks = _rank_table(context, result)
    interval = ranks.loc[context.region_code] if context.region_code in ranks.index else None
    eu_score = result.eu_average.loc[result.eu_average["node_type"] == "index", "score"]
    return {
        "available": True,
        "framework": result.framework.name,
        "framework_variant": result.framework.variant,
        "score": row["score"],
        "eu_average_score": float(eu_score.iloc[0]) if len(eu_score) else np.nan,
        "relative_to_eu": row["relative_to_eu"],
        "performance_group": str(row["performance_group"]),
        "rank_europe": row["rank_europe"],
        "n_regions_scored": int(scored.sum()),
        "rank_country": row["rank_country"],
        "n_country_scored": int((scored & in_country).sum()),
        "n_indicators": int(row["n_indicators"]),
        "n_fallbacks": int(row["n_fallbacks"]),
        "rank_median": None if interval is None else interval["rank_median"],
        "rank_p05": None if interval is None else interval["rank_p05"],
        "rank_p95": None if interval is None else interval["rank_p95"],
        "group_stability": None if interval is None else interval["group_stability"],
        "n_draws": context.n_draws,
        "seed": context.seed,
    }


def _dimension_comparison(
    result: ScoreboardResult, comparison: pd.DataFrame, region_code: str
) -> pd.DataFrame:
    rows = comparison.loc[comparison["node_type"].isin(["dimension", "index"])]
    dimension_relative = result.dimension_scores.loc[
        result.dimension_scores["region_code"] == region_code
    ].set_index("dimension_code")["relative_to_eu"]
    index_relative = result.overall.loc[
        result.overall["region_code"] == region_code, "relative_to_eu"
    ]
    relative = rows["node_code"].map(dimension_relative).astype(float)
    relative = relative.mask(rows["node_type"] == "index", float(index_relative.iloc[0]))
    return rows.assign(relative_to_eu=relative)[DIMENSION_COLUMNS].reset_index(drop=True)


def _indicator_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    rows = comparison.loc[comparison["node_type"] == "indicator"]
    has_peers = rows["peer_average_score"].notna().any()
    reference = rows["peer_average_score"] if has_peers else rows["eu_average_score"]
    difference = rows["region_score"] - reference
    if has_peers:
        assessment = rows["assessment"]
    else:
        labels = np.select(
            [
                difference >= DEFAULT_STRENGTH_THRESHOLD,
                difference <= -DEFAULT_STRENGTH_THRESHOLD,
                difference.notna(),
            ],
            ["strength", "weakness", "similar"],
            default="",
        )
        assessment = pd.Series(labels, index=rows.index, dtype="str").replace("", pd.NA)
    frame = rows.assign(
        indicator_code=rows["node_code"], difference=difference, assessment=assessment
    )
    return frame[INDICATOR_COLUMNS].reset_index(drop=True)


def _extremes(indicators: pd.DataFrame, kind: str, basis: str) -> pd.DataFrame:
    chosen = indicators.loc[indicators["assessment"] == kind]
    ordered = chosen.sort_values(
        ["difference", "indicator_code"], ascending=[kind == "weakness", True], kind="stable"
    )
    return ordered.head(N_STRENGTHS).reset_index(drop=True)


def methods_note(context: ScorecardContext, rule_set: StarRuleSet, framework: Framework) -> str:
    criteria = "; ".join(
        f"{c.name}: {cutoff_text(c.rule, c.cutoff, c.metric)}" for c in rule_set.criteria
    )
    benchmark = _benchmark_sentence(context)
    # one short paragraph: the scorecard is a few pages, and the peers' method is printed with
    # the key facts
    return " ".join(
        [
            "**Methods.** *Cluster categories* are approximated from NACE Rev. 2 divisions "
            "(regional structural business statistics exist only for divisions): each "
            "division's employment is split equally among its classes; suppressed cells are "
            "estimated from the section total where possible (flagged), else *not available*, "
            "never 0.",
            f"*Location quotient* LQ = (E_ir / E_r) / (E_i / E). {benchmark}",
            f"*Stars* ({rule_set.label or rule_set.name}): one per criterion met ({criteria}), "
            "counted out of the criteria with data.",
            f"*Key facts*: the value of {context.year}, else the latest up to "
            f"{KEY_FACT_MAX_LAG} years earlier; {EU_LABEL} and peer averages are unweighted "
            f"means of the regions with a value ({EU_LABEL}: NUTS-{context.level} regions of NUTS "
            f"{STATISTICS_EDITION}); GDP per inhabitant in % of the EU average is 100 for the EU "
            "by definition.",
            f"*Ecosystem scoreboard* ({framework.name}, {framework.weights_text}): min-max "
            "scores 0–100 (outliers capped at 3 standard deviations), arithmetic means up the "
            f"tree, the {EU_LABEL} regions as reference set ({EU_LABEL} average profile = 100); "
            f"strengths and weaknesses: {DEFAULT_STRENGTH_THRESHOLD:g} points or more above or "
            "below the comparison group.",
            f"*Rank interval*: {context.n_draws} Monte Carlo draws of the weights (Dirichlet "
            f"around the framework's), normalisation and aggregation (seed {context.seed}); "
            f"{RANK_PERCENTILES[0]:g}th to {RANK_PERCENTILES[1]:g}th percentile of the rank.",
        ]
    )


def _benchmark_sentence(context: ScorecardContext) -> str:
    key = (context.store.version, "benchmark", context.level)

    def compute() -> str:
        try:
            return reference_set_description(context.store.cluster_employment, level=context.level)
        except ObservatoryError:
            return ""

    return recipes.memo(key, compute)

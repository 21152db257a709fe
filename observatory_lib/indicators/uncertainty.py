"""Monte Carlo rank intervals: how much do a region's rank and group depend on method choices?

Each draw re-weights the framework and picks a normalisation and an aggregation:

- **Weights**: at every level (indicators in a sub-dimension, sub-dimensions in a dimension,
  dimensions in the index) the weights of a group are drawn from a Dirichlet distribution
  centred on the framework's weights, ``alpha_i = concentration * n * w_i`` for a group of ``n``
  members with weights ``w_i``. With equal weights every ``alpha_i`` is ``concentration``;
  larger values keep the draws closer to the framework.
- **Normalisation**: uniformly one of ``normalisations`` (default minmax and zscore).
- **Aggregation**: uniformly one of ``aggregations`` (default arithmetic and geometric).

Year selection, transforms, outlier fences, the reference set and the coverage rule stay as in
the scoreboard run. The draws are vectorised: the indicator scores are computed once per
normalisation and every draw's weights enter as one batched matrix product, so 1,000 draws
for ~300 regions take well under a second. The generator is seeded (``numpy.random.Generator``),
so the same seed gives the same result.

Ranks per draw are 1 for the highest score (ties broken by region order); the interval is the
5th-95th percentile of a region's ranks over the draws (``inverted_cdf``, so the bounds are ranks
that occurred).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.indicators.composite import (
    AGGREGATIONS,
    NORMALISATIONS,
    AggregationStructure,
    aggregate_scores,
    build_structure,
    score_indicator_matrix,
)
from observatory_lib.indicators.scoreboard import ScoreboardResult, classify_performance

DEFAULT_DRAWS = 1000
DEFAULT_CONCENTRATION = 10.0


@dataclass
class UncertaintyResult:
    """Rank intervals per region and the draws behind them.

    Attributes:
        ranks: one row per scored region: rank (the scoreboard's rank_europe), rank_median,
            rank_p05, rank_p95, score_median, score_p05, score_p95 and group_stability (share of
            draws in which the region keeps its scoreboard performance group).
        draws: one row per draw: draw, normalisation, aggregation.
        rank_samples: draws x regions array of ranks (NaN for unscored regions), columns in
            ``region_codes`` order.
        region_codes: the regions of ``rank_samples``' columns.
    """

    ranks: pd.DataFrame
    draws: pd.DataFrame
    rank_samples: np.ndarray
    region_codes: tuple[str, ...]


def _check_choices(chosen: Sequence[str], valid: Sequence[str], kind: str) -> tuple[str, ...]:
    if not chosen:
        raise ObservatoryError(f"No {kind} to draw from. Fix: give at least one of {valid}.")
    for name in chosen:
        if name not in valid:
            raise unknown_code(kind, name, valid)
    return tuple(chosen)


def draw_dirichlet_weights(
    rng: np.random.Generator, weights: np.ndarray, n_draws: int, concentration: float
) -> np.ndarray:
    """Draw group weights around ``weights`` (components x groups, columns summing to 1).

    Returns a draws x components x groups array whose columns sum to 1 in every draw; a
    component with zero weight stays at zero.
    """
    members = weights > 0
    group_of = np.argmax(members, axis=1)
    positive = members.any(axis=1)
    group_size = members.sum(axis=0)[group_of]
    alpha = concentration * weights.sum(axis=1) * group_size
    shape = np.where(positive, alpha, 1.0)
    gamma = np.where(positive, rng.gamma(shape, size=(n_draws, len(shape))), 0.0)
    totals = gamma @ members.astype(float)
    shares = gamma / totals[:, group_of]
    return shares[:, :, None] * members[None, :, :]


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank every row (draw): 1 = highest score, NaN for missing scores."""
    missing = np.isnan(scores)
    order = np.argsort(np.where(missing, np.inf, -scores), axis=1, kind="stable")
    ranks = np.empty_like(scores)
    positions = np.broadcast_to(np.arange(1, scores.shape[1] + 1, dtype=float), scores.shape)
    np.put_along_axis(ranks, order, positions, axis=1)
    return np.where(missing, np.nan, ranks)


def _scores_by_normalisation(
    result: ScoreboardResult, normalisations: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Indicator scores per normalisation, with the EU-average profile as the last row."""
    raw = result.raw_matrix
    mask = result.reference_mask
    specs = [result.framework.indicator(code) for code in raw.columns]
    stacked = {}
    for normalisation in normalisations:
        scores = score_indicator_matrix(
            raw.to_numpy(dtype=float),
            signs=[spec.sign for spec in specs],
            transforms=[spec.transform for spec in specs],
            reference_mask=mask,
            normalisation=normalisation,
            outlier_sd=result.settings.outlier_sd,
            indicator_codes=list(raw.columns),
        ).scores
        reference = scores[mask]
        present = ~np.isnan(reference)
        with np.errstate(invalid="ignore", divide="ignore"):
            eu = np.where(present, reference, 0.0).sum(axis=0) / present.sum(axis=0)
        stacked[normalisation] = np.vstack([scores, eu])
    return stacked


def _simulate_overall(
    stacked: dict[str, np.ndarray],
    structure: AggregationStructure,
    choices: tuple[np.ndarray, np.ndarray, tuple, tuple],
    min_coverage: float,
) -> np.ndarray:
    """Index scores, draws x (regions + EU row), one batched aggregation per method pair."""
    norm_index, agg_index, normalisations, aggregations = choices
    first = next(iter(stacked.values()))
    overall = np.full((len(norm_index), first.shape[0]), np.nan)
    for n, normalisation in enumerate(normalisations):
        for a, aggregation in enumerate(aggregations):
            picked = np.flatnonzero((norm_index == n) & (agg_index == a))
            if picked.size == 0:
                continue
            batch = dataclasses.replace(
                structure,
                indicator_weights=structure.indicator_weights[picked],
                subdimension_weights=structure.subdimension_weights[picked],
                dimension_weights=structure.dimension_weights[picked],
            )
            composite = aggregate_scores(
                stacked[normalisation], batch, aggregation=aggregation, min_coverage=min_coverage
            )
            overall[picked] = composite.overall
    return overall


def _group_stability(result: ScoreboardResult, overall: np.ndarray) -> np.ndarray:
    """Share of draws in which each region keeps its scoreboard performance group."""
    settings = result.settings
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = 100.0 * overall[:, :-1] / overall[:, -1:]
    groups = classify_performance(
        relative.ravel(), settings.group_thresholds, settings.group_names
    ).codes.reshape(relative.shape)
    baseline = result.overall["performance_group"].cat.codes.to_numpy()
    same = (groups == baseline[None, :]) & (baseline[None, :] >= 0)
    return same.mean(axis=0)


def _summary(
    result: ScoreboardResult, overall: np.ndarray, ranks: np.ndarray, percentiles: tuple
) -> pd.DataFrame:
    scored = ~np.isnan(ranks).all(axis=0)
    quantiles = [percentiles[0] / 100, 0.5, percentiles[1] / 100]
    rank_q = np.quantile(ranks[:, scored], quantiles, axis=0, method="inverted_cdf")
    score_q = np.quantile(overall[:, :-1][:, scored], quantiles, axis=0, method="inverted_cdf")
    base = result.overall.loc[scored, ["region_code", "country_code", "score", "rank_europe"]]
    return (
        base.rename(columns={"rank_europe": "rank"})
        .assign(
            rank_median=rank_q[1],
            rank_p05=rank_q[0],
            rank_p95=rank_q[2],
            score_median=score_q[1],
            score_p05=score_q[0],
            score_p95=score_q[2],
            group_stability=_group_stability(result, overall)[scored],
        )
        .reset_index(drop=True)
    )


def simulate_rank_uncertainty(
    result: ScoreboardResult,
    *,
    n_draws: int = DEFAULT_DRAWS,
    seed: int | np.random.Generator = 0,
    concentration: float = DEFAULT_CONCENTRATION,
    normalisations: Sequence[str] = NORMALISATIONS,
    aggregations: Sequence[str] = AGGREGATIONS,
    percentiles: tuple[float, float] = (5.0, 95.0),
) -> UncertaintyResult:
    """Rank intervals from Monte Carlo draws of weights, normalisation and aggregation.

    Args:
        result: a scoreboard run (its values, framework and settings are reused).
        n_draws: number of draws.
        seed: an int seed or a ``numpy.random.Generator``; the same seed repeats exactly.
        concentration: Dirichlet concentration per component (larger = closer to the
            framework's weights).
        normalisations: normalisations to draw from, uniformly.
        aggregations: aggregations to draw from, uniformly.
        percentiles: lower and upper percentile of the rank interval.

    Returns:
        An ``UncertaintyResult`` (ranks per region, draws, rank samples).
    """
    if n_draws < 1 or not concentration > 0 or not 0 <= percentiles[0] < percentiles[1] <= 100:
        raise ObservatoryError(
            f"n_draws={n_draws}, concentration={concentration}, percentiles={percentiles}. "
            "Fix: use n_draws >= 1, concentration > 0 and percentiles 0 <= low < high <= 100."
        )
    normalisations = _check_choices(normalisations, NORMALISATIONS, "normalisation")
    aggregations = _check_choices(aggregations, AGGREGATIONS, "aggregation")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    base = build_structure(result.framework)
    structure = dataclasses.replace(
        base,
        indicator_weights=draw_dirichlet_weights(
            rng, base.indicator_weights, n_draws, concentration
        ),
        subdimension_weights=draw_dirichlet_weights(
            rng, base.subdimension_weights, n_draws, concentration
        ),
        dimension_weights=draw_dirichlet_weights(
            rng, base.dimension_weights, n_draws, concentration
        ),
    )
    norm_index = rng.integers(len(normalisations), size=n_draws)
    agg_index = rng.integers(len(aggregations), size=n_draws)
    overall = _simulate_overall(
        _scores_by_normalisation(result, normalisations),
        structure,
        (norm_index, agg_index, normalisations, aggregations),
        result.settings.min_coverage,
    )
    ranks = _ranks(overall[:, :-1])
    draws = pd.DataFrame(
        {
            "draw": np.arange(n_draws),
            "normalisation": np.asarray(normalisations, dtype=object)[norm_index],
            "aggregation": np.asarray(aggregations, dtype=object)[agg_index],
        }
    ).astype({"normalisation": "str", "aggregation": "str"})
    return UncertaintyResult(
        ranks=_summary(result, overall, ranks, percentiles),
        draws=draws,
        rank_samples=ranks,
        region_codes=tuple(result.raw_matrix.index),
    )

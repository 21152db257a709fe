"""The composite-indicator arithmetic of the scoreboard: transform, cap, normalise, aggregate.

Following the EIS/RIS technical annex where the method is verified (docs/METHODOLOGY.md,
section 6): skewed indicators are transformed, directions applied, outliers capped at mean
+- ``outlier_sd`` reference standard deviations, indicators normalised min-max to 0-100 (or
z-scores mapped so that +-3 SD is 0/100) over the reference regions, and sub-dimensions,
dimensions and the index aggregated by weighted arithmetic or geometric means when enough
of their parts have a value. Everything works on plain matrices (regions x indicators), so the
scoreboard (``scoreboard``) and its Monte Carlo rank intervals (``uncertainty``) share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from observatory_lib.errors import ConfigError
from observatory_lib.indicators.framework import Framework

NORMALISATIONS = ("minmax", "zscore")
AGGREGATIONS = ("arithmetic", "geometric")
ZSCORE_SPAN_WITHOUT_CAPPING = 3.0
# Spreads below this share of the values' magnitude are rounding noise: the indicator is flat.
FLAT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class AggregationStructure:
    """The framework as weight matrices: indicators -> sub-dimensions -> dimensions -> index.

    Weight arrays may carry a leading draws axis; the ``*_members`` masks (positive base
    weight) count the components for the coverage rule.
    """

    indicator_codes: tuple[str, ...]
    subdimension_codes: tuple[str, ...]
    dimension_codes: tuple[str, ...]
    indicator_weights: np.ndarray
    subdimension_weights: np.ndarray
    dimension_weights: np.ndarray
    indicator_members: np.ndarray
    subdimension_members: np.ndarray
    dimension_members: np.ndarray


@dataclass(frozen=True)
class IndicatorScores:
    """Per-indicator results on the region x indicator matrix."""

    transformed: np.ndarray
    normalised: np.ndarray
    scores: np.ndarray
    is_capped: np.ndarray
    is_informative: np.ndarray


@dataclass(frozen=True)
class CompositeScores:
    """Aggregated scores (missing where coverage is too low) and available-component counts."""

    subdimension: np.ndarray
    dimension: np.ndarray
    overall: np.ndarray
    subdimension_available: np.ndarray
    dimension_available: np.ndarray
    overall_available: np.ndarray


def build_structure(framework: Framework) -> AggregationStructure:
    """Turn the framework tree into weight matrices (each column sums to 1)."""
    indicators = framework.indicator_codes
    subs = [s.code for s in framework.subdimensions]
    dims = [d.code for d in framework.dimensions]
    indicator_weights = np.zeros((len(indicators), len(subs)))
    for row, spec in enumerate(framework.indicators):
        indicator_weights[row, subs.index(spec.subdimension_code)] = spec.weight
    subdimension_weights = np.zeros((len(subs), len(dims)))
    for row, spec in enumerate(framework.subdimensions):
        subdimension_weights[row, dims.index(spec.dimension_code)] = spec.weight
    dimension_weights = np.array([[spec.weight] for spec in framework.dimensions])
    return AggregationStructure(
        indicator_codes=tuple(indicators),
        subdimension_codes=tuple(subs),
        dimension_codes=tuple(dims),
        indicator_weights=indicator_weights,
        subdimension_weights=subdimension_weights,
        dimension_weights=dimension_weights,
        indicator_members=indicator_weights > 0,
        subdimension_members=subdimension_weights > 0,
        dimension_members=dimension_weights > 0,
    )


def _apply_transforms(
    raw: np.ndarray, transforms: Sequence[str], codes: Sequence[str]
) -> np.ndarray:
    transformed = raw.astype(float, copy=True)
    for column, (transform, code) in enumerate(zip(transforms, codes, strict=True)):
        if transform == "none":
            continue
        values = raw[:, column]
        bad = values <= 0 if transform == "log" else values < 0
        if np.any(bad):
            bound = "<= 0" if transform == "log" else "< 0"
            raise ConfigError(
                f"Indicator {code!r} has {int(bad.sum())} value(s) {bound} (e.g. "
                f"{values[bad][0]:g}), which transform {transform!r} cannot take. Fix: choose "
                "another transform ('sqrt' takes zeros, 'none' takes any value) for it in the "
                "framework file."
            )
        transformed[:, column] = np.log(values) if transform == "log" else np.sqrt(values)
    return transformed


def _reference_stats(oriented: np.ndarray, reference_mask: np.ndarray) -> tuple:
    reference = oriented[reference_mask]
    present = ~np.isnan(reference)
    count = present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, reference, 0.0).sum(axis=0) / count
        squares = np.where(present, (reference - mean) ** 2, 0.0).sum(axis=0)
        sd = np.sqrt(squares / (count - 1))
    return mean, np.where(count >= 2, sd, np.nan)


def _masked_extreme(values: np.ndarray, mask: np.ndarray, reducer) -> np.ndarray:
    fill = np.inf if reducer is np.min else -np.inf
    reference = np.where(np.isnan(values[mask]), fill, values[mask])
    extreme = reducer(reference, axis=0, initial=fill)
    return np.where(np.isfinite(extreme), extreme, np.nan)


def _minmax(oriented: np.ndarray, reference_mask: np.ndarray, outlier_sd: float | None) -> tuple:
    mean, sd = _reference_stats(oriented, reference_mask)
    usable = np.isfinite(sd) & (sd > 0) & (outlier_sd is not None)
    k = outlier_sd or 0.0
    low = np.where(usable, mean - k * sd, -np.inf)
    high = np.where(usable, mean + k * sd, np.inf)
    capped = np.clip(oriented, low, high)
    is_capped = (oriented < low) | (oriented > high)
    minimum = _masked_extreme(capped, reference_mask, np.min)
    maximum = _masked_extreme(capped, reference_mask, np.max)
    spread = maximum - minimum
    scale = np.maximum(np.abs(minimum), np.abs(maximum))
    informative = np.isfinite(spread) & (spread > FLAT_TOLERANCE * scale) & (spread > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = (capped - minimum) / np.where(informative, spread, np.nan)
    return normalised, 100.0 * np.clip(normalised, 0.0, 1.0), is_capped, informative


def _zscore(oriented: np.ndarray, reference_mask: np.ndarray, outlier_sd: float | None) -> tuple:
    mean, sd = _reference_stats(oriented, reference_mask)
    informative = np.isfinite(sd) & (sd > FLAT_TOLERANCE * np.abs(mean)) & (sd > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (oriented - mean) / np.where(informative, sd, np.nan)
    span = outlier_sd or ZSCORE_SPAN_WITHOUT_CAPPING
    is_capped = np.abs(z) > span if outlier_sd is not None else np.zeros_like(z, dtype=bool)
    normalised = np.clip(z, -span, span) if outlier_sd is not None else z
    scores = 50.0 + 50.0 * np.clip(z, -span, span) / span
    return normalised, scores, is_capped, informative


def score_indicator_matrix(
    raw: np.ndarray,
    *,
    signs: Sequence[int],
    transforms: Sequence[str],
    reference_mask: np.ndarray,
    normalisation: str = "minmax",
    outlier_sd: float | None = 3.0,
    indicator_codes: Sequence[str] | None = None,
) -> IndicatorScores:
    """Transform, orient, cap and normalise a region x indicator matrix to 0-100 scores.

    Args:
        raw: values, regions x indicators (NaN = missing).
        signs: +1 (higher is better) or -1 per indicator.
        transforms: ``none``, ``log`` or ``sqrt`` per indicator.
        reference_mask: True for the rows that set the mean, SD, min and max.
        normalisation: ``minmax`` or ``zscore`` (see the module docstring).
        outlier_sd: capping fence in reference standard deviations; None switches it off.
        indicator_codes: names for error messages.

    Returns:
        ``IndicatorScores``; columns that do not vary over the reference set are all NaN.
    """
    codes = list(indicator_codes or [f"column {i}" for i in range(raw.shape[1])])
    transformed = _apply_transforms(np.asarray(raw, dtype=float), transforms, codes)
    oriented = transformed * np.asarray(signs, dtype=float)
    method = _minmax if normalisation == "minmax" else _zscore
    normalised, scores, is_capped, informative = method(oriented, reference_mask, outlier_sd)
    scores = np.where(informative & ~np.isnan(oriented), scores, np.nan)
    normalised = np.where(informative, normalised, np.nan)
    return IndicatorScores(transformed, normalised, scores, is_capped, informative)


def _aggregate_level(
    values: np.ndarray,
    weights: np.ndarray,
    members: np.ndarray,
    aggregation: str,
    min_coverage: float,
) -> tuple[np.ndarray, np.ndarray]:
    available = ~np.isnan(values)
    n_available = available.astype(float) @ members.astype(float)
    n_total = members.sum(axis=0)
    filled = np.where(available, values, 0.0)
    contributions = np.log1p(filled) if aggregation == "geometric" else filled
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (contributions @ weights) / (available.astype(float) @ weights)
    if aggregation == "geometric":
        mean = np.expm1(mean)
    covered = (n_available > 0) & (n_available >= min_coverage * n_total - 1e-9)
    return np.where(covered, mean, np.nan), n_available


def aggregate_scores(
    scores: np.ndarray,
    structure: AggregationStructure,
    *,
    aggregation: str = "arithmetic",
    min_coverage: float = 0.5,
) -> CompositeScores:
    """Aggregate 0-100 indicator scores to sub-dimensions, dimensions and the index.

    ``scores`` is regions x indicators. When the structure's weights carry a leading draws
    axis, every result carries it too (one composite per draw).
    """
    sub, sub_n = _aggregate_level(
        scores,
        structure.indicator_weights,
        structure.indicator_members,
        aggregation,
        min_coverage,
    )
    dim, dim_n = _aggregate_level(
        sub,
        structure.subdimension_weights,
        structure.subdimension_members,
        aggregation,
        min_coverage,
    )
    top, top_n = _aggregate_level(
        dim, structure.dimension_weights, structure.dimension_members, aggregation, min_coverage
    )
    return CompositeScores(sub, dim, top[..., 0], sub_n, dim_n, top_n[..., 0])


def column_means(matrix: np.ndarray, mask: np.ndarray) -> np.ndarray:
    rows = matrix[mask]
    present = ~np.isnan(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, rows, 0.0).sum(axis=0) / present.sum(axis=0)

"""Monte Carlo rank intervals: reproducible, vectorised, sensible bounds."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators.framework import parse_framework
from observatory_lib.indicators.scoreboard import compute_scoreboard
from observatory_lib.indicators.uncertainty import (
    draw_dirichlet_weights,
    simulate_rank_uncertainty,
)

FRAMEWORK = """
dimensions:
  - id: first
    label: First
    subdimensions:
      - id: first_sub
        label: First sub
        indicators:
          - {id: a, label: A, unit: pct, dataset: x, direction: '+', transform: none,
             reference_year: {target: 2015, max_lag: 0}}
          - {id: b, label: B, unit: pct, dataset: x, direction: '-', transform: none,
             reference_year: {target: 2015, max_lag: 0}}
  - id: second
    label: Second
    subdimensions:
      - id: second_sub
        label: Second sub
        indicators:
          - {id: c, label: C, unit: pct, dataset: x, direction: '+', transform: sqrt,
             reference_year: {target: 2015, max_lag: 0}}
      - id: third_sub
        label: Third sub
        indicators:
          - {id: d, label: D, unit: pct, dataset: x, direction: '+', transform: none,
             reference_year: {target: 2015, max_lag: 0}}
"""


def _scoreboard(matrix: np.ndarray, **kwargs):
    codes = [f"R{i:03d}" for i in range(matrix.shape[0])]
    frame = pd.DataFrame(
        {
            "region_code": np.repeat(codes, 4),
            "nuts_level": 2,
            "indicator_code": np.tile(list("abcd"), len(codes)),
            "year": 2015,
            "value": matrix.ravel(),
        }
    ).dropna(subset=["value"])
    regions = pd.DataFrame(
        {
            "region_code": codes,
            "region_name": codes,
            "nuts_level": 2,
            "country_code": ["AA", "BB"] * (len(codes) // 2) + ["AA"] * (len(codes) % 2),
        }
    )
    return compute_scoreboard(frame, parse_framework(FRAMEWORK), regions, **kwargs)


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(11)
    return _scoreboard(rng.uniform(1, 100, size=(20, 4)))


def test_same_seed_repeats_exactly(result):
    first = simulate_rank_uncertainty(result, n_draws=200, seed=42)
    second = simulate_rank_uncertainty(result, n_draws=200, seed=42)
    np.testing.assert_array_equal(first.rank_samples, second.rank_samples)
    pd.testing.assert_frame_equal(first.ranks, second.ranks)
    pd.testing.assert_frame_equal(first.draws, second.draws)
    other = simulate_rank_uncertainty(result, n_draws=200, seed=43)
    assert not np.array_equal(first.rank_samples, other.rank_samples)


def test_generator_seed_is_accepted(result):
    first = simulate_rank_uncertainty(result, n_draws=50, seed=np.random.default_rng(5))
    second = simulate_rank_uncertainty(result, n_draws=50, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(first.rank_samples, second.rank_samples)


def test_intervals_are_ordered_ranks(result):
    ranks = simulate_rank_uncertainty(result, n_draws=300, seed=1).ranks
    assert (ranks["rank_p05"] <= ranks["rank_median"]).all()
    assert (ranks["rank_median"] <= ranks["rank_p95"]).all()
    assert ranks[["rank_p05", "rank_p95"]].isin(range(1, 21)).all().all()
    assert ((ranks["group_stability"] >= 0) & (ranks["group_stability"] <= 1)).all()


def test_fixed_method_and_tight_weights_reproduce_the_scoreboard_ranks(result):
    samples = simulate_rank_uncertainty(
        result,
        n_draws=20,
        seed=0,
        concentration=1e9,
        normalisations=["minmax"],
        aggregations=["arithmetic"],
    )
    expected = result.overall["rank_europe"].to_numpy(dtype=float)
    for draw in samples.rank_samples:
        np.testing.assert_array_equal(draw, expected)


def test_a_region_best_everywhere_is_always_first():
    rng = np.random.default_rng(2)
    matrix = rng.uniform(10, 90, size=(15, 4))
    matrix[7] = [100.0, 1.0, 100.0, 100.0]  # best on every indicator (b: lower is better)
    summary = simulate_rank_uncertainty(_scoreboard(matrix), n_draws=300, seed=3).ranks
    best = summary.set_index("region_code").loc["R007"]
    assert (best["rank_p05"], best["rank_median"], best["rank_p95"]) == (1, 1, 1)


def test_all_method_pairs_are_drawn(result):
    draws = simulate_rank_uncertainty(result, n_draws=400, seed=9).draws
    pairs = set(zip(draws["normalisation"], draws["aggregation"], strict=True))
    assert len(pairs) == 4


def test_unscored_regions_have_no_interval():
    rng = np.random.default_rng(4)
    matrix = rng.uniform(1, 100, size=(10, 4))
    matrix[3, :3] = np.nan  # only d is left: 1 of 2 sub-dimensions of one dimension
    board = _scoreboard(matrix, min_coverage=0.75)
    assert np.isnan(board.overall["score"].iloc[3])
    uncertainty = simulate_rank_uncertainty(board, n_draws=50, seed=1)
    assert "R003" not in set(uncertainty.ranks["region_code"])
    assert np.isnan(uncertainty.rank_samples[:, 3]).all()
    assert np.nanmax(uncertainty.rank_samples) == 9


def test_dirichlet_weights_sum_to_one_per_group_and_centre_on_the_base():
    base = np.array([[0.5, 0.0], [0.5, 0.0], [0.0, 0.2], [0.0, 0.8], [0.0, 0.0]])
    weights = draw_dirichlet_weights(np.random.default_rng(0), base, 4000, 10.0)
    assert weights.shape == (4000, 5, 2)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert (weights[:, 4, :] == 0).all()
    assert (weights[:, 0, 1] == 0).all()
    np.testing.assert_allclose(weights.mean(axis=0), base, atol=0.01)


def test_bad_parameters(result):
    with pytest.raises(UnknownCodeError, match="zscore"):
        simulate_rank_uncertainty(result, normalisations=["z"])
    with pytest.raises(ObservatoryError, match="n_draws"):
        simulate_rank_uncertainty(result, n_draws=0)
    with pytest.raises(ObservatoryError, match="at least one"):
        simulate_rank_uncertainty(result, aggregations=[])


def test_thousand_draws_for_300_regions_are_fast():
    rng = np.random.default_rng(8)
    board = _scoreboard(rng.lognormal(3, 1, size=(300, 4)))
    start = time.perf_counter()
    uncertainty = simulate_rank_uncertainty(board, n_draws=1000, seed=0)
    assert time.perf_counter() - start < 10.0
    assert uncertainty.rank_samples.shape == (1000, 300)

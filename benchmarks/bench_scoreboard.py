"""Speed of the scoreboard engine: the whole scoreboard and 1,000 uncertainty draws.

Targets: the scoreboard for every NUTS-2 region <= 1 s; 1,000 Monte Carlo draws <= 10 s.

Usage:
    .venv/bin/python benchmarks/bench_scoreboard.py              # synthetic input
    .venv/bin/python benchmarks/bench_scoreboard.py --store      # the built store
    .venv/bin/python benchmarks/bench_scoreboard.py --repeat 5 --draws 1000

The synthetic input is shaped like the store: 330 NUTS-2 regions in 33 countries, every
indicator of the framework (and population, for peers) over 10 years (2006-2015), values drawn
around a latent regional "development" factor with realistic scales (shares, euro per head,
growth rates that can be negative, skewed patent counts), about 8 % of cells missing and some
regions reporting only every other year, so year fallbacks and the coverage rule are exercised.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

from observatory_lib.indicators.framework import load_framework
from observatory_lib.indicators.peers import compare_with_peers, default_peers
from observatory_lib.indicators.scoreboard import compute_scoreboard
from observatory_lib.indicators.uncertainty import simulate_rank_uncertainty

SCOREBOARD_TARGET_S = 1.0
UNCERTAINTY_TARGET_S = 10.0

# NUTS-2 regions per country (NUTS 2016, roughly; TR padded): 330 in all.
COUNTRY_REGIONS = {
    "AT": 9, "BE": 11, "BG": 6, "CY": 1, "CZ": 8, "DE": 38, "DK": 5, "EE": 1, "EL": 13,
    "ES": 19, "FI": 5, "FR": 27, "HR": 2, "HU": 8, "IE": 3, "IT": 21, "LT": 2, "LU": 1,
    "LV": 1, "MT": 1, "NL": 12, "PL": 17, "PT": 7, "RO": 8, "SE": 8, "SI": 2, "SK": 4,
    "UK": 41, "NO": 7, "CH": 7, "IS": 1, "MK": 1, "TR": 33,
}  # fmt: skip
YEARS = range(2006, 2016)

# indicator scale: (location, spread, loading on development, kind)
SCALES = {
    "pct": (25.0, 0.35, 0.6, "lognormal"),
    "pct_active_population": (8.0, 0.5, 0.8, "lognormal"),
    "pct_gdp": (1.2, 0.8, 1.0, "lognormal"),
    "per_mhab": (60.0, 1.2, 1.4, "lognormal"),
    "pps_per_hab": (25000.0, 0.35, 0.8, "lognormal"),
    "pct_change_previous_year": (1.5, 2.0, 0.5, "normal"),
    "ppcs_per_hab": (15000.0, 0.3, 0.7, "lognormal"),
    "pct_labour_force": (9.0, 0.5, -0.6, "lognormal"),
    "pct_employment": (12.0, 0.6, 0.5, "lognormal"),
    "n_categories": (10.0, 0.4, 0.4, "lognormal"),
}


def synthetic_regions() -> pd.DataFrame:
    """A regions table like the store's, NUTS 2016 level 2."""
    codes, countries = [], []
    for country, count in COUNTRY_REGIONS.items():
        for index in range(count):
            codes.append(f"{country}{index // 9 + 1}{index % 9 + 1}")
            countries.append(country)
    return pd.DataFrame(
        {
            "region_code": codes,
            "region_name": [f"Region {c}" for c in codes],
            "nuts_level": 2,
            "country_code": countries,
            "nuts_edition": 2016,
            "is_aggregate": False,
        }
    )


def _indicator_values(spec, development, years, rng) -> np.ndarray:
    location, spread, loading, kind = SCALES.get(spec.unit, (10.0, 0.5, 0.5, "lognormal"))
    region_effect = loading * development[:, None] + spread * rng.standard_normal(
        (len(development), 1)
    )
    drift = 0.01 * (np.asarray(years) - 2006)[None, :]
    noise = 0.05 * rng.standard_normal((len(development), len(years)))
    if kind == "normal":
        return location + spread * (region_effect + noise)
    return location * np.exp(region_effect * spread + drift + noise)


def synthetic_indicators(framework, regions: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Long frame with the store's context_indicators columns for every framework indicator."""
    rng = np.random.default_rng(seed)
    codes = regions["region_code"].to_numpy()
    development = rng.standard_normal(len(codes))
    years = np.array(YEARS)
    parts = []
    for spec in framework.indicators:
        values = _indicator_values(spec, development, years, rng)
        missing = rng.random(values.shape) < 0.08
        odd_year_reporters = rng.random(len(codes)) < 0.1
        missing |= odd_year_reporters[:, None] & (years[None, :] % 2 == 0)
        values = np.where(missing, np.nan, values)
        parts.append(
            pd.DataFrame(
                {
                    "region_code": np.repeat(codes, len(years)),
                    "nuts_level": 2,
                    "indicator_code": spec.code,
                    "year": np.tile(years, len(codes)),
                    "value": values.ravel(),
                    "unit": spec.unit,
                    "flag": pd.NA,
                    "dataset_code": spec.dataset_code,
                    "nuts_edition": 2016,
                }
            )
        )
    population = np.exp(rng.normal(14.2, 0.8, len(codes)))  # about 1.5 million, skewed
    parts.append(
        pd.DataFrame(
            {
                "region_code": np.repeat(codes, len(years)),
                "nuts_level": 2,
                "indicator_code": "population_persons",
                "year": np.tile(years, len(codes)),
                "value": np.repeat(population, len(years)),
                "unit": "persons",
                "flag": pd.NA,
                "dataset_code": "tgs00096",
                "nuts_edition": 2016,
            }
        )
    )
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    return frame.astype({"region_code": "str", "indicator_code": "str", "flag": "str"})


def _cluster_indicators(store) -> pd.DataFrame | None:
    """The cluster structure indicators from the store, when the cluster modules can build them."""
    try:
        from observatory_lib.indicators.clusters import (
            compute_cluster_indicators,
            compute_structural_indicators,
        )
        from observatory_lib.indicators.stars import list_star_presets, rate_stars

        measured = compute_cluster_indicators(
            store.cluster_employment, store.region_employment_totals
        )
        rated = rate_stars(measured, list_star_presets()[0])
        return compute_structural_indicators(rated)
    except Exception as error:  # a benchmark reports and goes on
        print(f"  (cluster indicators not added: {error})")
        return None


def store_input():
    """Context indicators (+ cluster indicators when available) and regions from the store."""
    from observatory_lib.data.store import load_store

    store = load_store()
    indicators = store.context_indicators
    clusters = _cluster_indicators(store)
    if clusters is not None:
        indicators = pd.concat([indicators, clusters], ignore_index=True)
    return indicators, store.regions


def _time(function, repeat: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), result


def _report(name: str, seconds: float, target: float) -> bool:
    verdict = "ok" if seconds <= target else "SLOW"
    print(f"{name:<48} {seconds:8.3f} s   (target <= {target:g} s) {verdict}")
    return seconds <= target


def run(indicators, regions, framework, repeat: int, draws: int) -> bool:
    """Time the scoreboard, one peer comparison and the uncertainty draws; print the figures."""
    seconds, result = _time(lambda: compute_scoreboard(indicators, framework, regions), repeat)
    scored = int(result.overall["score"].notna().sum())
    print(
        f"regions {len(result.overall)}, scored {scored}, indicators {len(framework.indicators)}, "
        f"fallbacks {len(result.year_fallbacks)}, input rows {len(indicators)}"
    )
    ok = _report("scoreboard, every region (median)", seconds, SCOREBOARD_TARGET_S)
    for mode in (("zscore", "geometric"),):
        seconds, _ = _time(
            lambda mode=mode: compute_scoreboard(
                indicators, framework, regions, normalisation=mode[0], aggregation=mode[1]
            ),
            repeat,
        )
        ok &= _report(f"scoreboard, {mode[0]} + {mode[1]} (median)", seconds, SCOREBOARD_TARGET_S)
    region = result.overall.dropna(subset=["score"])["region_code"].iloc[0]
    start = time.perf_counter()
    peers = default_peers(indicators, regions, region)
    compare_with_peers(result, region, [p for p in peers if p in set(result.overall.region_code)])
    print(f"{'default peers + comparison for ' + region:<48} {time.perf_counter() - start:8.3f} s")
    seconds, uncertainty = _time(
        lambda: simulate_rank_uncertainty(result, n_draws=draws, seed=0), max(1, repeat // 2)
    )
    ok &= _report(f"uncertainty, {draws} draws (median)", seconds, UNCERTAINTY_TARGET_S)
    widths = uncertainty.ranks["rank_p95"] - uncertainty.ranks["rank_p05"]
    print(f"  rank interval width: median {widths.median():.0f}, max {widths.max():.0f}")
    for note in result.notes:
        print(f"  note: {note}")
    return ok


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, build the input and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", action="store_true", help="use the built store")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (median)")
    parser.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws")
    parser.add_argument("--variant", default="default", help="framework variant")
    args = parser.parse_args(argv)
    framework = load_framework(variant=args.variant)
    if args.store:
        print("input: the store (observatory_lib.data.store.load_store)")
        indicators, regions = store_input()
    else:
        regions = synthetic_regions()
        print("input: synthetic, seed 0")
        indicators = synthetic_indicators(framework, regions)
    return 0 if run(indicators, regions, framework, args.repeat, args.draws) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Time the cluster indicators and star ratings for every region x category at once.

Synthetic input the size of the real data (30 countries, 125 NUTS-1 and 330 NUTS-2 regions,
47 traded categories + 10 emerging industries, about 20 % suppressed cells) for 1 and 5
years; or the real store with ``--store``. Target: <= 0.5 s for all levels, indicators,
stars and structural indicators.

    .venv/bin/python benchmarks/bench_clusters.py [--repeat 5] [--store]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from observatory_lib.indicators.clusters import (
    compute_cluster_indicators,
    compute_structural_indicators,
)
from observatory_lib.indicators.stars import rate_stars

N_COUNTRIES = 30
N_REGIONS = {0: N_COUNTRIES, 1: 125, 2: 330}
N_TRADED, N_EMERGING = 47, 10
MISSING_SHARE = 0.2
TARGET_SECONDS = 0.5


def _region_codes(level: int, countries: list[str], rng: np.random.Generator) -> list[str]:
    if level == 0:
        return countries
    per_country = (
        rng.multinomial(N_REGIONS[level] - N_COUNTRIES, [1 / N_COUNTRIES] * N_COUNTRIES) + 1
    )
    digits = "123456789ABCDEFGHIJKLMNOPQRSTUVWXY"
    return [
        country + "".join(digits[(i // len(digits) ** k) % len(digits)] for k in range(level))
        for country, n in zip(countries, per_country, strict=True)
        for i in range(n)
    ]


def build_synthetic(n_years: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return synthetic ``cluster_employment`` and ``region_employment_totals`` tables."""
    rng = np.random.default_rng(seed)
    countries = [chr(65 + i // 26) + chr(65 + i % 26) for i in range(N_COUNTRIES)]
    categories = [f"traded-{i:02d}" for i in range(N_TRADED)] + [
        f"emerging-{i:02d}" for i in range(N_EMERGING)
    ]
    category_types = ["traded"] * N_TRADED + ["emerging"] * N_EMERGING
    years = list(range(2015 - n_years + 1, 2016))
    regions = pd.concat(
        [
            pd.DataFrame({"region_code": _region_codes(level, countries, rng), "nuts_level": level})
            for level in N_REGIONS
        ],
        ignore_index=True,
    )
    grid = regions.merge(
        pd.DataFrame({"category_code": categories, "category_type": category_types}), how="cross"
    ).merge(pd.DataFrame({"year": years}), how="cross")
    employment = rng.lognormal(mean=7, sigma=1.5, size=len(grid)).round()
    employment[rng.random(len(grid)) < MISSING_SHARE] = np.nan
    cells = grid.assign(
        employment_persons=employment,
        is_derived_by_allocation=True,
        has_confidential_cells=np.isnan(employment),
        n_divisions=3,
        n_divisions_missing=0,
        nuts_edition=2016,
    )
    traded = cells[cells["category_type"] == "traded"]
    totals = (
        traded.groupby(["region_code", "nuts_level", "year"], as_index=False)["employment_persons"]
        .sum()
        .assign(
            employment_persons=lambda frame: frame["employment_persons"] * 3,
            n_divisions=90,
            n_divisions_missing=0,
            nuts_edition=2016,
            dataset_code="synthetic",
        )
    )
    return cells, totals


def run_all(cells: pd.DataFrame, totals: pd.DataFrame, preset: str) -> int:
    """Indicators, stars and structural indicators at every level; return rows rated."""
    n_rows = 0
    for level in sorted(cells["nuts_level"].unique()):
        indicators = compute_cluster_indicators(cells, totals, level=int(level))
        rated = rate_stars(indicators, preset)
        compute_structural_indicators(rated)
        n_rows += len(rated)
    return n_rows


def time_it(
    cells: pd.DataFrame, totals: pd.DataFrame, preset: str, repeat: int
) -> tuple[float, int]:
    """Return the median seconds over ``repeat`` runs and the rows rated."""
    n_rows = run_all(cells, totals, preset)  # warm-up: imports, caches
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run_all(cells, totals, preset)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), n_rows


def _report(label: str, seconds: float, n_rows: int) -> None:
    verdict = "ok" if seconds <= TARGET_SECONDS else f"SLOWER than {TARGET_SECONDS} s"
    print(f"{label:<42} {n_rows:>8,} rows  {seconds:6.3f} s  {verdict}")


def main() -> None:
    """Parse the options and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--store", action="store_true", help="time on the real store instead")
    options = parser.parse_args()
    if options.store:
        from observatory_lib.data.store import load_store

        store = load_store()
        for preset in ("eco2008", "eocic"):
            seconds, n_rows = time_it(
                store.cluster_employment, store.region_employment_totals, preset, options.repeat
            )
            _report(f"real store {store.version}, {preset}", seconds, n_rows)
        return
    for n_years, preset in ((1, "eco2008"), (1, "eocic"), (5, "panorama4")):
        cells, totals = build_synthetic(n_years)
        seconds, n_rows = time_it(cells, totals, preset, options.repeat)
        _report(f"synthetic, {n_years} year(s), {preset}", seconds, n_rows)


if __name__ == "__main__":
    main()

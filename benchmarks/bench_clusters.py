"""Time every cluster indicator and star for every region x category x year at NUTS 0-2.

Synthetic input the size of the real data (30 countries, 125 NUTS-1 and 330 NUTS-2 regions,
47 traded categories + 10 emerging industries, about 20 % suppressed cells, wages and local
units) for 1 and 8 years; or the real store with ``--store`` (eight SBS years 2008-2015).
Indicators: employment, size, LQ, focus, wages per person employed and relative to Europe,
local units, compound annual growth over four years with break checks; then the stars and the
structural indicators. Target: <= 1 s for all of that at NUTS 0-2 (issue 12). The change
tables (shift-share, star transitions, trends) are timed apart.

    .venv/bin/python benchmarks/bench_clusters.py [--repeat 5] [--store]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd

from observatory_lib.indicators import change
from observatory_lib.indicators.clusters import (
    compute_cluster_indicators,
    compute_structural_indicators,
)
from observatory_lib.indicators.stars import rate_stars

N_COUNTRIES = 30
N_REGIONS = {0: N_COUNTRIES, 1: 125, 2: 330}
N_TRADED, N_EMERGING = 47, 10
MISSING_SHARE = 0.2
TARGET_SECONDS = 1.0
GROWTH_WINDOW = 4


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
        wages_eur=employment * rng.normal(35_000, 8_000, size=len(grid)),
        local_units=np.ceil(employment / 15),
        flag=np.where(rng.random(len(grid)) < 0.02, "b", None),
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
        indicators = compute_cluster_indicators(
            cells, totals, level=int(level), growth_window=GROWTH_WINDOW
        )
        rated = rate_stars(indicators, preset)
        compute_structural_indicators(rated)
        n_rows += len(rated)
    return n_rows


def run_change(cells: pd.DataFrame, totals: pd.DataFrame, preset: str) -> int:
    """Shift-share, star transitions and trends over the last four years at NUTS 2."""
    years = sorted(cells["year"].unique())
    if len(years) <= GROWTH_WINDOW:
        return 0
    start, end = int(years[-1 - GROWTH_WINDOW]), int(years[-1])
    indicators = compute_cluster_indicators(cells, totals, level=2, growth_window=GROWTH_WINDOW)
    rated = rate_stars(indicators, preset)
    shift = change.compute_shift_share(indicators, start, end)
    change.compute_star_transitions(rated, start, end)
    change.compute_category_trends(indicators, start, end)
    return len(shift)


def time_it(
    cells: pd.DataFrame, totals: pd.DataFrame, preset: str, repeat: int, run=run_all
) -> tuple[float, int]:
    """Return the median seconds over ``repeat`` runs and the rows rated."""
    n_rows = run(cells, totals, preset)  # warm-up: imports, caches
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(cells, totals, preset)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), n_rows


def _report(label: str, seconds: float, n_rows: int, target: float | None = TARGET_SECONDS) -> None:
    verdict = "" if target is None else ("ok" if seconds <= target else f"SLOWER than {target} s")
    print(f"{label:<52} {n_rows:>9,} rows  {seconds:6.3f} s (median)  {verdict}")


def main() -> None:
    """Parse the options and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--store", action="store_true", help="time on the real store instead")
    options = parser.parse_args()
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
    if options.store:
        from observatory_lib.data.store import load_store

        store = load_store()
        cells, totals = store.cluster_employment, store.region_employment_totals
        label = f"real store, {cells['year'].nunique()} years"
        for preset in ("eco2008", "eocic", "panorama4"):
            seconds, n_rows = time_it(cells, totals, preset, options.repeat)
            _report(f"{label}, NUTS 0-2, {preset}", seconds, n_rows)
        seconds, n_rows = time_it(cells, totals, "eco2008", options.repeat, run_change)
        _report(f"{label}, change tables NUTS 2", seconds, n_rows, None)
        print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
        return
    for n_years, preset in ((1, "eco2008"), (1, "eocic"), (8, "panorama4")):
        cells, totals = build_synthetic(n_years)
        seconds, n_rows = time_it(cells, totals, preset, options.repeat)
        _report(f"synthetic, {n_years} year(s), NUTS 0-2, {preset}", seconds, n_rows)
    cells, totals = build_synthetic(8)
    seconds, n_rows = time_it(cells, totals, "eco2008", options.repeat, run_change)
    _report("synthetic, 8 years, change tables NUTS 2", seconds, n_rows, None)
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

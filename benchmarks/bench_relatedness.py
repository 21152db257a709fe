"""Time proximity, relatedness density and opportunities for every NUTS-2 region and category.

On the real store (``observatory build`` first): from the location quotients of the rated
clusters (``recipes.rated_clusters``, level 2) to the proximity of every category pair, the
density of every region x category, every region's ranked opportunities with their supporting
strengths, and the per-region summary; traded and emerging separately. Target: <= 0.5 s.
A second line adds the cluster indicators themselves (from the store's employment tables).

The machine may be shared: the load average is printed with the medians, and figures taken
under load are indicative only.

    .venv/bin/python benchmarks/bench_relatedness.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from observatory_lib.constants import DEFAULT_YEAR
from observatory_lib.indicators import policy_recipes, recipes
from observatory_lib.indicators import relatedness as rl
from observatory_lib.indicators.clusters import compute_cluster_indicators

TARGET_SECONDS = 0.5
STRONG = policy_recipes.STRONG_DENSITY


def relatedness_from_lqs(indicators) -> tuple[int, int, int]:
    """Everything the products publish on relatedness; returns the table sizes."""
    space = rl.compute_relatedness(indicators, year=DEFAULT_YEAR)
    proximity = rl.proximity_table(space)
    density = rl.density_table(space)
    opportunities, _support = rl.opportunity_tables(space)
    types = indicators.drop_duplicates("category_code").set_index("category_code")["category_type"]
    rl.summarise_opportunities(density, types, strong_density=STRONG)
    return len(proximity), len(density), len(opportunities)


def _median(function, repeat: int) -> tuple[float, object]:
    result = function()  # warm-up: imports, caches
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), result


def _report(label: str, seconds: float) -> None:
    verdict = "ok" if seconds <= TARGET_SECONDS else f"SLOWER than {TARGET_SECONDS} s"
    print(f"{label:<62} {seconds:6.3f} s  {verdict}")


def main() -> None:
    """Parse the options and print the timings with the load average."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs (median reported)")
    options = parser.parse_args()
    store = recipes.current_store()
    indicators = recipes.rated_clusters(store, 2)
    before = os.getloadavg()
    seconds, sizes = _median(lambda: relatedness_from_lqs(indicators), options.repeat)
    n_regions = indicators["region_code"].nunique()
    n_categories = indicators["category_code"].nunique()
    print(
        f"store {store.version}: {n_regions} NUTS-2 regions x {n_categories} categories; "
        f"{sizes[0]:,} category pairs, {sizes[1]:,} densities, {sizes[2]:,} opportunities"
    )
    _report("proximity + density + opportunities (from the LQs)", seconds)

    def with_indicators():
        computed = compute_cluster_indicators(
            store.cluster_employment, store.region_employment_totals, level=2
        )
        return relatedness_from_lqs(computed)

    seconds, _ = _median(with_indicators, options.repeat)
    _report("the same, cluster indicators (LQs) included", seconds)

    def through_the_recipes():
        recipes.clear_cache()  # cold: the store stays loaded, every table is recomputed
        policy_recipes.relatedness_density(store)
        policy_recipes.opportunities(store, "DE11")
        policy_recipes.opportunity_support(store, "DE11")
        policy_recipes.opportunity_summary(store)

    seconds, _ = _median(through_the_recipes, options.repeat)
    _report("the recipe layer, cold (LQs, names and sizes included)", seconds)
    after = os.getloadavg()
    print(
        f"median of {options.repeat} runs; load average (1 min) {before[0]:.2f} before, "
        f"{after[0]:.2f} after on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()

"""Benchmark: mirror to store from an empty store (target <= 20 s on 2 cores, all eight SBS
years) and loading the store (well under 1 s).

Run: OBSERVATORY_MIRROR=../shared/data .venv/bin/python benchmarks/bench_store.py [--repeat 3]
Each cold build starts from an empty store and an empty cache in a fresh temporary folder, so
it copies and verifies every input from the mirror; the project's own store is untouched. The
warm builds read the verified cache. Medians are printed with the minimum and maximum, and the
load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

TARGET_SECONDS = 20.0


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _summary(values: list[float], unit: str = "s") -> str:
    return (
        f"median {statistics.median(values):6.2f} {unit} "
        f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="cold builds (median reported)")
    options = parser.parse_args()
    if not os.environ.get("OBSERVATORY_MIRROR"):
        print("set OBSERVATORY_MIRROR to the data mirror (e.g. ../shared/data)")
        return 2
    from observatory_lib.data import store

    cold, warm, loads = [], [], []
    load_before = os.getloadavg()[0]
    for _ in range(options.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            os.environ["OBSERVATORY_STORE"] = f"{scratch}/store"
            os.environ["OBSERVATORY_CACHE"] = f"{scratch}/cache"
            cold.append(_timed(store.build_store))
            warm.append(_timed(store.build_store))
            loads += [_timed(store.load_store) for _ in range(3)]
            info = store.load_store().info
    load_after = os.getloadavg()[0]
    print(f"SBS years in the store      : {info['sbs_years'][0]}-{info['sbs_years'][-1]}")
    print(f"mirror -> store, empty      : {_summary(cold)}   (target <= {TARGET_SECONDS:g} s)")
    print(f"mirror -> store, warm cache : {_summary(warm)}")
    print(f"load_store (all tables)     : {_summary(loads)}")
    print(f"load average (1 min)        : {load_before:.1f} before, {load_after:.1f} after")
    return 0 if statistics.median(cold) <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

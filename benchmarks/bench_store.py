"""Benchmark: mirror to store (target <= 15 s on 2 cores) and loading the store (well under 1 s).

Run: OBSERVATORY_MIRROR=../shared/data .venv/bin/python benchmarks/bench_store.py
Builds into a temporary store and cache, so the project's own store is untouched. The cold
run copies and verifies every input from the mirror; the warm run reads the verified cache.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> int:
    if not os.environ.get("OBSERVATORY_MIRROR"):
        print("set OBSERVATORY_MIRROR to the data mirror (e.g. ../shared/data)")
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["OBSERVATORY_STORE"] = f"{scratch}/store"
        os.environ["OBSERVATORY_CACHE"] = f"{scratch}/cache"
        from observatory_lib.data import store

        cold = _timed(store.build_store)
        warm = [_timed(store.build_store) for _ in range(2)]
        loads = [_timed(store.load_store) for _ in range(5)]
        geometry = _timed(lambda: store.load_store().geometries)
    print(f"mirror -> store, cold cache : {cold:6.2f} s   (target <= 15 s)")
    print(f"mirror -> store, warm cache : {statistics.median(warm):6.2f} s   (median of 2)")
    print(f"load_store (all tables)     : {statistics.median(loads):6.3f} s   (median of 5)")
    print(f"load_store + geometries     : {geometry:6.3f} s")
    return 0 if cold <= 15 else 1


if __name__ == "__main__":
    sys.exit(main())

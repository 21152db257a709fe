"""Benchmark the scorecard batch on a Dask LocalCluster: parallel efficiency from 1 to 2 workers.

    .venv/bin/python benchmarks/bench_dask.py                      # 20 NUTS-2 regions, full
    .venv/bin/python benchmarks/bench_dask.py --regions 40 --formats json,ipynb --repeat 2
    .venv/bin/python benchmarks/bench_dask.py --pool               # also the process pool

Runs the real scorecard notebook (notebooks/region_scorecard.ipynb) on the current store for
``--regions`` NUTS-2 regions spread over the countries, with ``scheduler="local"`` and 1, then
2 workers. Every run is cold: a new cluster, new workers, new warm kernels (each kernel also
pays the Europe-wide star and scoreboard computations once). Figures:

* ``wall``: the whole ``run_batch``, cluster start-up and shutdown included;
* ``work``: the sum of the jobs' own durations (execution + HTML + PDF, from the manifest);
* ``efficiency = T1 / (2 * T2)`` on the wall times (1.0 is perfect scaling);
* ``busy = work / (workers * wall)``: how much of the workers' time went into jobs.

With ``--repeat`` the fastest run of each size counts. Other processes on the machine skew
every figure: the load average is printed at the start and at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from observatory_lib import paths
from observatory_lib.cli.selection import select_regions
from observatory_lib.data.store import load_store
from observatory_lib.runtime.batch import run_batch

NOTEBOOK = paths.NOTEBOOK_DIR / "region_scorecard.ipynb"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, default=20, help="number of NUTS-2 regions")
    parser.add_argument("--formats", default="html,pdf,json,ipynb")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the best counts")
    parser.add_argument("--pool", action="store_true", help="also time the process pool")
    parser.add_argument("--keep", action="store_true", help="keep the output directories")
    return parser.parse_args()


def spread_regions(store, count: int) -> list[str]:
    """``count`` NUTS-2 regions with data, taken evenly over the sorted list (many countries)."""
    codes = select_regions(store, 2, "all")
    step = max(1, len(codes) // count)
    return codes[::step][:count]


def time_run(jobs, root: Path, workers: int, scheduler, formats, version: str) -> dict:
    """Wall and job seconds of one cold batch (forced, so every job runs)."""
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    report = run_batch(
        NOTEBOOK,
        jobs,
        root,
        formats=formats,
        workers=workers,
        scheduler=scheduler,
        store_version=version,
        force=True,
        progress=False,
    )
    wall = time.perf_counter() - started
    if report.failed:
        raise SystemExit(f"{len(report.failed)} jobs failed; see {root / 'batch.log'}")
    work = sum(r.duration_s for r in report.results)
    return {"wall": wall, "work": work, "busy": work / (workers * wall)}


def best_of(repeat: int, *arguments) -> dict:
    runs = [time_run(*arguments) for _ in range(repeat)]
    return min(runs, key=lambda run: run["wall"])


def same_outputs(first: Path, second: Path, codes: list[str]) -> bool:
    """Whether two runs wrote byte-identical JSON twins, HTML pages and notebooks."""
    for code in codes:
        for extension in ("json", "html", "ipynb"):
            left, right = (
                first / code / f"{code}.{extension}",
                second / code / f"{code}.{extension}",
            )
            if left.exists() and left.read_bytes() != right.read_bytes():
                return False
    return True


def print_figures(results: dict, jobs: int) -> None:
    print(f"\n{'run':<18}{'wall s':>9}{'s/job':>9}{'work s':>9}{'busy':>7}")
    for name, row in results.items():
        print(
            f"{name:<18}{row['wall']:>9.2f}{row['wall'] / jobs:>9.3f}{row['work']:>9.2f}"
            f"{row['busy']:>7.2f}"
        )
    one, two = results["dask 1 worker"]["wall"], results["dask 2 workers"]["wall"]
    print(
        f"\nspeed-up T1/T2 = {one / two:.2f}; parallel efficiency T1/(2*T2) = {one / (2 * two):.2f}"
    )
    if "pool 2 workers" in results:
        pool = results["pool 2 workers"]["wall"]
        print(f"Dask 2 workers / process pool 2 workers (wall) = {two / pool:.2f}")


def main() -> None:
    arguments = parse_arguments()
    store = load_store()
    codes = spread_regions(store, arguments.regions)
    jobs = [(code, {"region_code": code}) for code in codes]
    formats = [f.strip() for f in arguments.formats.split(",") if f.strip()]
    scratch = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    print(
        f"notebook {NOTEBOOK.name}, {len(jobs)} regions ({codes[0]} ... {codes[-1]}), formats "
        f"{','.join(formats)}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    runs = {"dask 1 worker": (1, "local"), "dask 2 workers": (2, "local")}
    if arguments.pool:
        runs["pool 2 workers"] = (2, None)
    results = {}
    try:
        for name, (workers, scheduler) in runs.items():
            root = scratch / name.replace(" ", "-")
            results[name] = best_of(
                arguments.repeat, jobs, root, workers, scheduler, formats, store.version
            )
            print(f"{name}: {json.dumps({k: round(v, 3) for k, v in results[name].items()})}")
        print_figures(results, len(jobs))
        identical = same_outputs(scratch / "dask-1-worker", scratch / "dask-2-workers", codes)
        print(f"outputs of the 1- and 2-worker runs identical: {identical}")
    finally:
        if arguments.keep:
            print(f"outputs kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f} at end (other processes on the box skew timings)")


if __name__ == "__main__":  # the cluster's worker processes re-import this module
    main()

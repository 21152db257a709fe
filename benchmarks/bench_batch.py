"""Benchmark the scorecard batch: naive Papermill vs the warm-kernel engine vs the in-process floor.

    .venv/bin/python benchmarks/bench_batch.py                       # fixture notebook, 40 jobs
    .venv/bin/python benchmarks/bench_batch.py --jobs 80 --mode full
    .venv/bin/python benchmarks/bench_batch.py --notebook notebooks/region_scorecard.ipynb \
        --param-sets regions.json                                   # [{"region_code": ...}, ...]
    .venv/bin/python benchmarks/bench_batch.py --scorecard-regions 32 --mode exec
    .venv/bin/python benchmarks/bench_batch.py --scenario single --repeat 7
    .venv/bin/python benchmarks/bench_batch.py --scenario startup --repeat 7

Scenarios: ``batch`` (below); ``single``: one scorecard through ``observatory scorecards``
against plain Papermill (its command line, as the README shows it), both writing the executed
notebook only, run in turn (A B A B ...) so that a drift of the machine hits both, medians and
the median of the per-pair ratios; ``startup``: a batch of one trivial fixture job from a cold
process, its wall time less the job's own execution (what a batch costs before and after its
jobs). Every scenario prints the load average before and after: on a shared 2-core machine the
figures are only as good as the quiet they were taken in.

For each engine the batch runs twice, on a small and on the full job list, each time in a
fresh process from a cold start (new worker pool, new kernels). "wall/notebook" is the full
batch's wall time over its jobs, start-up included; "marginal" is the extra time per extra job
between the two runs, i.e. the cost per scorecard once start-up is paid (what 240 or 1,100
regions cost). "marginal CPU" sums every process of the batch, so it barely moves when other
work shares the machine; on a dedicated box, wall ~ CPU / workers.

Modes: ``exec`` writes the executed notebook and the JSON twin (the notebook execution that
Papermill does); ``full`` also renders HTML and PDF (identical work for both engines).
The floor runs the same notebook code in this process as plain function calls (exec of each
cell, figures rendered to PNG like the inline backend does), without a kernel.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import multiprocessing.forkserver
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from observatory_lib.runtime.batch import run_batch

PROJECT = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT / "tests" / "notebooks" / "fixtures" / "scorecard_fixture.ipynb"
FIXTURE_REGIONS = ["DE11", "DE21", "FR10", "ITC4", "ES51", "NL33"]
MODES = {"exec": ("ipynb", "json"), "full": ("ipynb", "html", "pdf", "json")}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebook", type=Path, default=FIXTURE)
    parser.add_argument(
        "--param-sets",
        type=Path,
        help="JSON list of parameter dicts, or of {'job_id': ..., 'parameters': {...}}",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="jobs in the full run (default: every parameter set, or 40 fixture jobs)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both")
    parser.add_argument(
        "--engines", default="papermill,warm,floor", help="comma list of papermill,warm,floor"
    )
    parser.add_argument("--keep", action="store_true", help="keep the output directories")
    parser.add_argument(
        "--scenario", choices=["batch", "single", "startup"], default="batch", help="see above"
    )
    parser.add_argument(
        "--scorecard-regions",
        type=int,
        default=0,
        help="batch: the real scorecard notebook on this many NUTS-2 regions of the store, "
        "spread over Europe (instead of --notebook/--param-sets)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="single, startup: runs of each")
    parser.add_argument(
        "--rounds", type=int, default=1, help="batch: measure every engine this many times"
    )
    parser.add_argument("--region", default="DE11", help="single: the region")
    return parser.parse_args()


def load_jobs(arguments: argparse.Namespace) -> list[tuple[str, dict]]:
    """The full job list: from --param-sets, or fixture regions with distinct years."""
    if arguments.scorecard_regions:
        return scorecard_jobs(arguments.scorecard_regions)
    if arguments.param_sets:
        items = json.loads(arguments.param_sets.read_text(encoding="utf-8"))
        jobs = [
            (item["job_id"], item["parameters"])
            if "parameters" in item
            else (f"job-{index:04d}", item)
            for index, item in enumerate(items)
        ]
        return jobs[: arguments.jobs] if arguments.jobs else jobs
    return [
        (
            f"{FIXTURE_REGIONS[i % 6]}-{i:03d}",
            {"region_code": FIXTURE_REGIONS[i % 6], "year": 1990 + i},
        )
        for i in range(arguments.jobs or 40)
    ]


def scorecard_jobs(count: int) -> list[tuple[str, dict]]:
    """``count`` NUTS-2 regions with data, evenly spaced over the sorted codes (all countries)."""
    from observatory_lib.cli.selection import select_regions
    from observatory_lib.indicators import recipes

    codes = select_regions(recipes.current_store(), 2, "all")
    step = max(1, len(codes) // count)
    return [(code, {"region_code": code}) for code in codes[::step][:count]]


def time_batch(notebook, jobs, engine, formats, workers, root: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one cold batch, run in a child process.

    The CPU time counts every process of the batch (driver, fork server, workers, kernels):
    unlike wall time it hardly moves when other processes share the machine.
    """
    spec = root.with_suffix(".json")
    spec.write_text(
        json.dumps(
            {
                "notebook": str(notebook),
                "jobs": jobs,
                "engine": engine,
                "formats": formats,
                "workers": workers,
                "root": str(root),
            }
        )
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.run([sys.executable, __file__, "--child", str(spec)], check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        sys.exit(f"{engine}: the batch failed; see {root / 'batch.log'}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run_child(spec_path: Path) -> None:
    """The child side of ``time_batch``: run the batch, then stop the fork server."""
    spec = json.loads(spec_path.read_text())
    report = run_batch(
        spec["notebook"],
        [tuple(job) for job in spec["jobs"]],
        spec["root"],
        formats=spec["formats"],
        workers=spec["workers"],
        engine=spec["engine"],
        force=True,
        progress=False,
    )
    # wait for the fork server (and so its workers and their kernels) to count their CPU
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    if server is not None and hasattr(server, "_stop"):
        server._stop()
    sys.exit(1 if report.failed else 0)


# ------------------------------------------------------------------------------------------
# The floor: the notebook's code as plain function calls in this process
# ------------------------------------------------------------------------------------------


def compile_cells(notebook: Path) -> tuple[list, int]:
    """Each code cell compiled once as (body, last expression or None); the parameters index."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    compiled, parameters_at = [], -1
    for cell in (c for c in cells if c["cell_type"] == "code"):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            parameters_at = len(compiled)
        tree = ast.parse("".join(cell["source"]))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = compile(tree, "<cell>", "exec")
        expression = compile(ast.Expression(last.value), "<cell>", "eval") if last else None
        compiled.append((body, expression))
    return compiled, parameters_at


def run_floor(notebook: Path, jobs: list[tuple[str, dict]]) -> float:
    """Seconds for all jobs, run sequentially in this process (imports paid beforehand)."""
    import matplotlib

    matplotlib.use("Agg")
    import IPython.display
    import matplotlib.pyplot as plt
    import pandas  # noqa: F401  (paid before the clock starts, like a warm kernel)

    shown = []
    IPython.display.display = lambda *objects, **options: shown.extend(objects)
    cells, parameters_at = compile_cells(notebook)
    warnings.simplefilter("ignore")  # plt.show() on Agg warns that it shows nothing
    started = time.perf_counter()
    for _, parameters in jobs:
        namespace: dict = {"__name__": "__main__"}
        for index, (body, expression) in enumerate(cells):
            exec(body, namespace)
            if expression is not None:
                value = eval(expression, namespace)
                if hasattr(value, "_repr_html_"):
                    value._repr_html_()
            if index == parameters_at:
                namespace.update(parameters)
            for number in plt.get_fignums():  # what the inline backend does after each cell
                plt.figure(number).savefig(io.BytesIO(), format="png", bbox_inches="tight")
            plt.close("all")
        shown.clear()
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------


def measure(arguments, jobs, formats, engine, scratch: Path) -> dict:
    """Wall and CPU time of one engine: per notebook (start-up included) and marginal."""
    small = jobs[: max(2 * arguments.workers, len(jobs) // 5)]
    if engine == "floor":
        with contextlib.redirect_stdout(io.StringIO()):
            run_floor(arguments.notebook, small)  # warm-up: imports, font cache
            started = time.process_time()
            wall = run_floor(arguments.notebook, jobs)
            cpu = time.process_time() - started
        per_nb = wall / len(jobs)
        return {"wall": wall, "per_nb": per_nb, "marginal": per_nb, "cpu_marginal": cpu / len(jobs)}
    runs = []
    for subset in (small, jobs):
        root = scratch / f"{engine}-{'-'.join(formats)}-{len(subset)}"
        runs.append(
            time_batch(arguments.notebook, subset, engine, formats, arguments.workers, root)
        )
    extra = max(1, len(jobs) - len(small))
    return {
        "wall": runs[1][0],
        "per_nb": runs[1][0] / len(jobs),
        "marginal": (runs[1][0] - runs[0][0]) / extra,
        "cpu_marginal": (runs[1][1] - runs[0][1]) / extra,
    }


def print_table(mode: str, results: dict, jobs: int, workers: int) -> None:
    print(f"\nmode {mode} ({', '.join(MODES[mode])}), {jobs} jobs, {workers} workers")
    print(
        f"{'engine':<11}{'wall s':>8}{'wall/notebook':>15}{'marginal wall':>15}{'marginal CPU':>14}"
    )
    for engine, row in results.items():
        print(
            f"{engine:<11}{row['wall']:>8.2f}{row['per_nb']:>15.3f}{row['marginal']:>15.3f}"
            f"{row['cpu_marginal']:>14.3f}"
        )
    if "warm" in results and "papermill" in results:
        warm, naive = results["warm"], results["papermill"]
        print(
            f"ratio warm/naive (target <= 0.200): wall/notebook "
            f"{warm['per_nb'] / naive['per_nb']:.3f}, marginal wall "
            f"{warm['marginal'] / naive['marginal']:.3f}, marginal CPU "
            f"{warm['cpu_marginal'] / naive['cpu_marginal']:.3f}"
        )
    if "floor" in results:
        floor = results["floor"]["per_nb"]
        print(
            f"floor (1 process, no kernel): {floor:.3f} s per notebook; / {workers} workers = "
            f"{floor / workers:.3f} s ideal on {workers} cores"
        )


def print_medians(rounds: list[dict]) -> None:
    """Medians over the rounds, and the median of the per-round warm/naive ratios."""
    import statistics

    print(f"\nmedians over {len(rounds)} rounds")
    for engine in rounds[0]:
        walls = [r[engine]["wall"] for r in rounds]
        per_nb = [r[engine]["per_nb"] for r in rounds]
        print(
            f"{engine:<11}wall {statistics.median(walls):.2f} s, wall/notebook "
            f"{statistics.median(per_nb):.3f} s (min {min(per_nb):.3f}, max {max(per_nb):.3f})"
        )
    if "warm" in rounds[0] and "papermill" in rounds[0]:
        ratios = [r["warm"]["per_nb"] / r["papermill"]["per_nb"] for r in rounds]
        print(
            f"ratio warm/naive wall/notebook per round: median {statistics.median(ratios):.3f} "
            f"(min {min(ratios):.3f}, max {max(ratios):.3f}), i.e. "
            f"{1 / statistics.median(ratios):.1f}x faster (target >= 5x)"
        )


# ------------------------------------------------------------------------------------------
# One scorecard: the command line against plain Papermill; the batch's start-up
# ------------------------------------------------------------------------------------------


def _wall(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return wall


def run_single(arguments: argparse.Namespace, scratch: Path) -> None:
    """``observatory scorecards --regions R`` vs ``papermill`` on the same notebook, in turn."""
    import statistics

    notebook = PROJECT / "notebooks" / "region_scorecard.ipynb"
    env = {**os.environ, "OBSERVATORY_OUTPUTS": str(scratch / "outputs")}
    batch = [sys.executable, "-m", "observatory_lib.cli.main", "scorecards"]
    batch += ["--regions", arguments.region, "--formats", "ipynb", "--force", "--no-progress"]
    papermill = [str(Path(sys.executable).with_name("papermill")), str(notebook)]
    papermill += [str(scratch / "papermill.ipynb"), "-p", "region_code", arguments.region]
    papermill += ["--no-progress-bar"]
    # cwd: a scratch folder, so that `python -m` imports the library PYTHONPATH names (a
    # copy of another version, for before/after figures), not the one in the working directory
    _wall(batch, env, scratch), _wall(papermill, env, scratch)  # warm-up: caches, .pyc
    pairs = [
        (_wall(batch, env, scratch), _wall(papermill, env, scratch))
        for _ in range(arguments.repeat)
    ]
    ours, plain = [a for a, _ in pairs], [b for _, b in pairs]
    ratios = [a / b for a, b in pairs]
    print(f"\none scorecard ({arguments.region}, executed notebook only), {arguments.repeat} pairs")
    print(f"{'command':<34}{'min':>8}{'median':>8}{'max':>8}  (wall s)")
    for name, values in (("observatory scorecards", ours), ("papermill (plain)", plain)):
        print(f"{name:<34}{min(values):>8.2f}{statistics.median(values):>8.2f}{max(values):>8.2f}")
    print(
        f"ratio observatory/papermill per pair: median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f}; target <= 1.0)"
    )


STARTUP_CHILD = """
import json, sys, time
started = time.perf_counter()
from observatory_lib.runtime.batch import run_batch
report = run_batch(sys.argv[1], [("DE11", {{"region_code": "DE11"}})], sys.argv[2],
                   formats={formats!r}, workers=1, force=True, progress=False)
wall = time.perf_counter() - started
print(json.dumps({{"wall": wall, "job": report.results[0].duration_s,
                  "status": report.results[0].status}}))
"""


def run_startup(arguments: argparse.Namespace, scratch: Path) -> None:
    """A batch of one trivial job from a cold process: its wall time less the job's."""
    import statistics

    code = STARTUP_CHILD.format(formats=("ipynb", "json"))
    rows = []
    for attempt in range(arguments.repeat + 1):
        root = scratch / f"startup-{attempt}"
        done = subprocess.run(
            [sys.executable, "-c", code, str(FIXTURE), str(root)],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["status"] == "ok", done.stdout + done.stderr
        if attempt:  # the first run warms the file caches
            rows.append(result)
    overhead = [row["wall"] - row["job"] for row in rows]
    walls = [row["wall"] for row in rows]
    print(f"\nbatch start-up: one fixture job, 1 worker, {arguments.repeat} cold runs")
    print(f"wall of the batch      median {statistics.median(walls):.2f} s "
          f"(min {min(walls):.2f}, max {max(walls):.2f})")  # fmt: skip
    print(f"wall less the job      median {statistics.median(overhead):.2f} s "
          f"(min {min(overhead):.2f}, max {max(overhead):.2f})")  # fmt: skip


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        run_child(Path(sys.argv[2]))
    arguments = parse_arguments()
    if arguments.scenario != "batch":
        scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
        try:
            (run_single if arguments.scenario == "single" else run_startup)(arguments, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        print(f"load average {os.getloadavg()[0]:.2f} at end")
        return
    if arguments.scorecard_regions:
        arguments.notebook = PROJECT / "notebooks" / "region_scorecard.ipynb"
    jobs = load_jobs(arguments)
    engines = [e.strip() for e in arguments.engines.split(",") if e.strip()]
    modes = list(MODES) if arguments.mode == "both" else [arguments.mode]
    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    print(
        f"notebook {arguments.notebook}, {len(jobs)} jobs, {arguments.workers} workers, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
    )
    try:
        for mode in modes:
            rounds = []
            for number in range(arguments.rounds):  # engines in turn, round after round
                results = {}
                for engine in engines:
                    if engine == "floor" and mode != "exec":
                        continue  # the floor renders no HTML or PDF
                    results[engine] = measure(arguments, jobs, MODES[mode], engine, scratch)
                print_table(mode, results, len(jobs), arguments.workers)
                print(f"(round {number + 1}, load average {os.getloadavg()[0]:.2f})")
                rounds.append(results)
            if len(rounds) > 1:
                print_medians(rounds)
    finally:
        if arguments.keep:
            print(f"outputs kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f} at end (other processes on the box skew timings)")


if __name__ == "__main__":  # the worker pool re-imports this module
    main()

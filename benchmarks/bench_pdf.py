"""Benchmark the PDF engines on published pages: Chromium (Playwright) against WeasyPrint.

    .venv/bin/python benchmarks/bench_pdf.py                        # outputs/scorecards, 24 pages
    .venv/bin/python benchmarks/bench_pdf.py --pages 'outputs/reports/sector_reports/*/*.html'
    .venv/bin/python benchmarks/bench_pdf.py --limit 40 --rounds 3
    .venv/bin/python benchmarks/bench_pdf.py --compare chromium,chromium-draft

``chromium-draft`` is Chromium as it was before the contents' page numbers started from the
last document's: every page with contents first printed as a draft (two prints each).

Each engine prints the same HTML files (the batch's own pages, contents included when a page
runs over four pages) through ``render.render_pdf``, in a child process of its own, after a
warm-up (the browser launched, fonts found), in turn (A B A B ...) so that a drift of the
machine hits both. The CPU counts the child and every process under it: for Chromium the
Playwright driver and the browser's processes, sampled just before they are closed. Printed:
wall and CPU per page, the median of the per-round ratios, pages per PDF, and the load
average before and after (on a shared 2-core machine a figure is only as good as the quiet
it was taken in).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
VARIANTS = ("chromium", "weasyprint", "chromium-draft")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pages",
        default=str(PROJECT / "outputs" / "scorecards" / "*" / "*.html"),
        help="glob of HTML pages written by the batch (default: the scorecards)",
    )
    parser.add_argument("--limit", type=int, default=24, help="how many pages (default 24)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of A B (default 2)")
    parser.add_argument(
        "--compare",
        default="chromium,weasyprint",
        help=f"the two variants A,B to compare, of {', '.join(VARIANTS)}",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


def tree_cpu() -> float:
    """CPU seconds of this process and every live process under it."""
    import psutil

    me = psutil.Process()
    total = 0.0
    for process in [me, *me.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:  # gone between the listing and the reading
            continue
        total += times.user + times.system
    return total


def run_child(spec: str) -> None:
    """Print every page with one engine; report wall, CPU and page counts as JSON."""
    from observatory_lib.runtime import render

    options = json.loads(spec)
    draft_each_time = options["engine"] == "chromium-draft"
    os.environ["OBSERVATORY_PDF_ENGINE"] = options["engine"].removesuffix("-draft")
    pages = [Path(path).read_text(encoding="utf-8") for path in options["files"]]
    render.warm_up()
    counts = []
    cpu, started = tree_cpu(), time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for number, html in enumerate(pages):
            target = Path(scratch) / f"{number}.pdf"
            if draft_each_time:
                render._LAST_PAGES.clear()
            render.render_pdf(html, target)
            counts.append(_page_count(target))
    wall = time.perf_counter() - started
    cpu = tree_cpu() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "pages": counts}))


def _page_count(target: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(target).pages)


def measure(engine: str, files: list[str]) -> dict:
    spec = json.dumps({"engine": engine, "files": files})
    done = subprocess.run(
        [sys.executable, __file__, "--child", spec], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"{engine}: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    arguments = parse_arguments()
    if arguments.child:
        run_child(arguments.child)
        return
    files = sorted(glob.glob(arguments.pages))[: arguments.limit]
    if not files:
        sys.exit(f"no HTML pages match {arguments.pages}; run `observatory scorecards` first")
    print(f"{len(files)} pages from {arguments.pages}; load average {os.getloadavg()}")
    variants = arguments.compare.split(",")
    if len(variants) != 2 or not set(variants) <= set(VARIANTS):
        sys.exit(f"--compare takes two of {', '.join(VARIANTS)}, e.g. chromium,weasyprint")
    results: dict[str, list[dict]] = {engine: [] for engine in variants}
    for _ in range(arguments.rounds):
        for engine in variants:
            results[engine].append(measure(engine, files))
    count = len(files)
    for engine, rounds in results.items():
        wall = statistics.median(r["wall"] for r in rounds) / count
        cpu = statistics.median(r["cpu"] for r in rounds) / count
        pages = statistics.mean(rounds[0]["pages"])
        print(f"{engine:>10}: {wall:.3f} s wall, {cpu:.3f} s CPU per PDF ({pages:.1f} pages)")
    first, second = variants
    ratios = [
        a["cpu"] / b["cpu"]
        for a, b in zip(results[first], results[second], strict=True)
        if b["cpu"]
    ]
    print(f"CPU ratio {first}/{second} per round: median {statistics.median(ratios):.3f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""Load test of ``observatory serve``: N concurrent visitors of the mapping tool.

Starts ``observatory serve`` (``serve.launch_server``, loopback only, a free port) with the
current store, waits until its pools of preheated kernels wait for visitors, then for each
level N of ``--sessions`` (default 5, 10, 20):

1. opens N pages of the mapping tool at once in one headless chromium (Debian's, never a
   downloaded browser), each in its own browser context (own cookies, cold cache), and
   measures each page's **time to interactive**: from the request to every NUTS 2 region
   polygon (``path.leaflet-interactive``) in the DOM. Pages not interactive within
   ``--timeout`` seconds count as failures;
2. samples the **server's memory** all along: RSS of the server process plus all its
   children (the kernels), with psutil, before the level, at its peak and after;
3. closes the pages as a browser tab would (``pagehide``: the template's shutdown beacon)
   and polls, for at most ``--settle`` seconds, the number of kernels and the RSS until the
   visitors' kernels are gone and the pools are refilled; the series is printed.

Everything is bounded: the number of pages is the sum of ``--sessions``, each wait has a
deadline, and the server is always stopped (its kernels with it). The figures on a shared
2-core machine move with the load of other processes.

    .venv/bin/python benchmarks/load_apps.py [--sessions 5,10,20] [--timeout 300] [--settle 90]

Exit status 0 when every page became interactive, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from observatory_lib.runtime import serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import CHROMIUM, CHROMIUM_ARGS

from observatory_lib.products.apps import app_data, parameters

POLYGONS = "path.leaflet-interactive"
SAMPLE_SECONDS = 0.5
SETTLE_POLL_SECONDS = 5.0
MIN_SETTLE_SECONDS = 20.0
STEADY_SHARE = 0.03
MIB = 1024 * 1024


@dataclass
class LevelResult:
    """What one level of concurrency measured."""

    sessions: int
    times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    rss_before: float = 0.0
    rss_peak: float = 0.0
    kernels_peak: int = 0
    wall: float = 0.0
    settle: list[tuple[float, int, float]] = field(default_factory=list)

    @property
    def rss_after(self) -> float:
        """RSS (MiB) at the end of the settle period."""
        return self.settle[-1][2] if self.settle else float("nan")

    @property
    def kernels_after(self) -> int:
        """Kernels alive at the end of the settle period."""
        return self.settle[-1][1] if self.settle else -1


def region_count(level: int = 2) -> int:
    """The number of polygons the mapping tool draws by default (NUTS ``level``)."""
    data = app_data.load_app_data(preload_levels=(level,))
    if isinstance(data, parameters.AppMessage):
        sys.exit(f"error: {data.message}")
    return len(data.collections[level]["features"])


def server_footprint(pid: int) -> tuple[int, float]:
    """The server's kernel count and its RSS plus its children's, in MiB."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0.0
    rss, kernels = 0, 0
    for process in processes:
        try:
            rss += process.memory_info().rss
            # Kernels are the server's children running ipykernel (not chromium, not shells).
            if process.pid != pid and "ipykernel_launcher" in " ".join(process.cmdline()):
                kernels += 1
        except psutil.Error:
            continue  # a kernel that just exited
    return kernels, rss / MIB


async def sample_memory(pid: int, result: LevelResult, stop: asyncio.Event) -> None:
    """Record the peak RSS and kernel count until ``stop`` is set."""
    while not stop.is_set():
        kernels, rss = await asyncio.to_thread(server_footprint, pid)
        result.rss_peak = max(result.rss_peak, rss)
        result.kernels_peak = max(result.kernels_peak, kernels)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)


async def visit(browser, url: str, count: int, timeout: float, result: LevelResult) -> object:
    """Open one page in a new context; record its time to interactive; return the context."""
    context = await browser.new_context(viewport={"width": 1500, "height": 950})
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await page.goto(url, wait_until="commit", timeout=timeout * 1000)
        await page.wait_for_function(
            f"(n) => document.querySelectorAll('{POLYGONS}').length === n",
            arg=count,
            timeout=timeout * 1000,
        )
        result.times.append(time.perf_counter() - start)
    except Exception as error:  # a failed visitor is a figure, not a crash
        result.failures.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    return context, page


async def close_like_a_tab(context, page) -> None:
    """Close the page with ``pagehide`` (the shutdown beacon), then its context."""
    with contextlib.suppress(Exception):  # a context already gone is closed enough
        await page.close(run_before_unload=True)
        await asyncio.sleep(0.3)  # let the beacon leave before the context goes
        await context.close()


async def settle(pid: int, pooled: int, seconds: float, result: LevelResult) -> None:
    """Poll kernels and RSS until only the refilled pools are left, at most ``seconds``.

    Settled means: no more kernels than the pools hold, at least ``MIN_SETTLE_SECONDS``
    after closing (the pools refill after ``fill_delay``) and the RSS steady between two
    polls (the refilled kernels have finished loading the store).
    """
    start = time.perf_counter()
    previous = None
    while True:
        elapsed = time.perf_counter() - start
        kernels, rss = await asyncio.to_thread(server_footprint, pid)
        result.settle.append((elapsed, kernels, rss))
        steady = previous is not None and abs(rss - previous) <= STEADY_SHARE * previous
        if kernels <= pooled and steady and elapsed >= MIN_SETTLE_SECONDS:
            return
        if elapsed >= seconds:
            return
        previous = rss
        await asyncio.sleep(SETTLE_POLL_SECONDS)


async def run_level(browser, server, count: int, sessions: int, arguments) -> LevelResult:
    """One level of concurrency: N visitors at once, then close and settle."""
    pid = server.process.pid
    result = LevelResult(sessions)
    _, result.rss_before = server_footprint(pid)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pid, result, stop))
    url = server.app_url("mapping_tool")
    start = time.perf_counter()
    opened = await asyncio.gather(
        *(visit(browser, url, count, arguments.timeout, result) for _ in range(sessions))
    )
    result.wall = time.perf_counter() - start
    await asyncio.sleep(2 * SAMPLE_SECONDS)  # one more sample with every visitor connected
    await asyncio.gather(*(close_like_a_tab(context, page) for context, page in opened))
    stop.set()
    await sampler
    await settle(pid, serve.pooled_kernel_count(), arguments.settle, result)
    return result


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def print_table(results: list[LevelResult], pooled: int) -> None:
    """The summary table, then each level's settle series."""
    print()
    print(f"Time to interactive and server memory (pools: {pooled} preheated kernels)")
    header = (
        f"{'N':>3} {'ok':>3} {'p50 s':>7} {'p90 s':>7} {'max s':>7} {'wall s':>7} "
        f"{'RSS before':>11} {'RSS peak':>9} {'RSS after':>10} {'kernels peak':>13} "
        f"{'kernels after':>14} {'MiB/visitor':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        per_visitor = (r.rss_peak - r.rss_before) / r.sessions
        print(
            f"{r.sessions:>3} {len(r.times):>3} {percentile(r.times, 0.5):>7.1f} "
            f"{percentile(r.times, 0.9):>7.1f} {max(r.times, default=float('nan')):>7.1f} "
            f"{r.wall:>7.1f} {r.rss_before:>11.0f} {r.rss_peak:>9.0f} {r.rss_after:>10.0f} "
            f"{r.kernels_peak:>13} {r.kernels_after:>14} {per_visitor:>12.0f}"
        )
    for r in results:
        series = ", ".join(f"{t:.0f}s: {k} kernels {m:.0f} MiB" for t, k, m in r.settle)
        print(f"N={r.sessions} after closing: {series}")
        if r.failures:
            print(f"N={r.sessions} failures: {len(r.failures)}; first: {r.failures[0]}")
        if r.times:
            print(f"N={r.sessions} times: {', '.join(f'{t:.1f}' for t in sorted(r.times))}")


async def measure(server, count: int, levels: list[int], arguments) -> list[LevelResult]:
    """Run every level in one browser."""
    from playwright.async_api import async_playwright

    results = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            for sessions in levels:
                print(f"N={sessions}: opening {sessions} sessions ...", flush=True)
                result = await run_level(browser, server, count, sessions, arguments)
                print(
                    f"N={sessions}: {len(result.times)} interactive, p50 "
                    f"{percentile(result.times, 0.5):.1f} s, peak {result.rss_peak:.0f} MiB, "
                    f"{result.kernels_after} kernels {result.settle[-1][0]:.0f} s after closing",
                    flush=True,
                )
                results.append(result)
        finally:
            await browser.close()
    return results


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sessions",
        default="5,10,20",
        help="comma-separated numbers of concurrent sessions (default 5,10,20; at most 40 each)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds per page to become interactive"
    )
    parser.add_argument(
        "--settle", type=float, default=90.0, help="seconds to wait for kernels to go away"
    )
    parser.add_argument(
        "--keep-log", type=Path, default=None, help="copy the server's log to this file"
    )
    arguments = parser.parse_args(argv)
    arguments.levels = [int(text) for text in arguments.sessions.split(",") if text.strip()]
    if not arguments.levels or not all(0 < n <= 40 for n in arguments.levels):
        parser.error("--sessions takes numbers between 1 and 40")  # bounded by design
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Run the load test; print the table."""
    arguments = parse_arguments(argv)
    count = region_count()
    pooled = serve.pooled_kernel_count()
    print(f"Mapping tool: {count} NUTS 2 polygons; {pooled} preheated kernels", flush=True)
    with tempfile.TemporaryDirectory(prefix="observatory-load-") as scratch:
        log = Path(scratch) / "serve.log"
        with serve.launch_server(log) as server:
            ready = server.wait_ready(timeout=240)
            kernels, rss = server_footprint(server.process.pid)
            own = psutil.Process(server.process.pid).memory_info().rss / MIB
            print(
                f"Server ready in {ready:.1f} s: {kernels} pooled kernels, {rss:.0f} MiB in all "
                f"(server {own:.0f} MiB, {(rss - own) / max(kernels, 1):.0f} MiB per kernel)",
                flush=True,
            )
            results = asyncio.run(measure(server, count, arguments.levels, arguments))
            tracebacks = server.log().count("Traceback")
            if arguments.keep_log is not None:
                arguments.keep_log.write_text(server.log(), encoding="utf-8")
    print_table(results, pooled)
    print(f"Tracebacks in the server log: {tracebacks}")
    return 0 if all(not r.failures for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

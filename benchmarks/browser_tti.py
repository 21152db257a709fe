"""Front-end benchmark: the mapping tool's time to interactive in real browser pages.

What a visitor waits for in the browser, measured with Debian's chromium (never a
downloaded browser) against ``observatory serve`` on loopback:

* **one browser, one context per visitor.** N visitors are N pages of ONE headless
  chromium, each in its own browser context (own cookies, cold HTTP cache, own renderer
  process), opened at once. The browser is started before the clock; starting five browser
  processes would charge the benchmark machine for something no visitor's page pays.
* **the clock** starts just before the navigation (``page.goto``) and stops when every NUTS 2
  polygon of the map is in the page (``path.leaflet-interactive``, one per region): the page,
  Voila's front end, the widget manager, ipyleaflet's JavaScript, the kernel's websocket and
  the map's state, and the drawing of the polygons are all inside it.
* **where the time goes**: the CPU time (user + system) of the whole chromium process tree
  and of the server with its kernels, from just before the navigations to the moment the
  last page is interactive, and the load average of the machine at the start of the round.
  On a machine with C free cores, N pages cannot be interactive before about
  N x (CPU per page) / C seconds, whatever the server does: the CPU per page is the figure
  that the front end controls, the wall time also depends on what else the machine runs.
  The chromium CPU is also given per process role (``renderer``, ``browser``,
  ``gpu-process``, ``NetworkService``), so that the pages' own share can be told apart.
* **Chromium's omnibox popup**: Debian's chromium 156, headless, starts a WebUI renderer for
  the address bar's popup (``chrome://omnibox-popup.top-chrome``) in every new browser
  context, about 0.6 s of CPU each, counted in the ``renderer`` role (a trace shows it; the
  app page's own renderer is about 0.4 s). A visitor's browser starts it once per window,
  not per page load, so it is not the page's cost: it is turned off
  (``--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup``), and
  ``--with-omnibox-popup`` measures with it (the figures of the runs before 2026-12-07).
* **rounds**: each round opens one page alone, then N pages at once, on a pool refilled
  beforehand. With ``--vs-option`` a second server with those options runs beside the
  first, and the rounds alternate between the two (A, B, A, B, ...), so a before/after
  comparison is paired against the same background load.

    .venv/bin/python benchmarks/browser_tti.py [--pages 5] [--rounds 3]
        [--option Class.trait=value ...] [--vs-option Class.trait=value ...]
        [--with-omnibox-popup] [--out outputs/benchmarks]

``benchmarks/load_apps.py`` uses the same measurement for its browser part.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from observatory_lib.runtime import serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import CHROMIUM, CHROMIUM_ARGS

APP = "mapping_tool"
POLYGONS = "path.leaflet-interactive"
FILLED = f"Kernel pool of {APP}.ipynb is filled"
# Resolves when the map has all its polygons. A MutationObserver rather than Playwright's
# polling on every animation frame: in five pages at once that polling kept each page
# producing frames and charged the measurement's own CPU to the pages.
ALL_DRAWN = f"""(n) => new Promise((resolve) => {{
  const drawn = () => document.querySelectorAll('{POLYGONS}').length === n;
  if (drawn()) {{ resolve(true); return; }}
  const observer = new MutationObserver(() => {{
    if (drawn()) {{ observer.disconnect(); resolve(true); }}
  }});
  observer.observe(document, {{ childList: true, subtree: true }});
}})"""
# The headless browser's per-context address-bar popup (see the docstring), not a page's cost.
NO_OMNIBOX_POPUP = "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup"
# A small pool is enough for the browser rounds (at most 10 pages at once) and starts fast.
BROWSER_POOL = (
    'VoilaKernelManager.kernel_pools_config={"mapping_tool.ipynb": {"pool_size": 10}, '
    '"default": {"pool_size": 1}}'
)


@dataclass
class BrowserRound:
    """One round: ``pages`` pages opened at once on server ``label``."""

    label: str
    pages: int
    tti_seconds: list[float] = field(default_factory=list)
    browser_cpu_seconds: float = math.nan
    server_cpu_seconds: float = math.nan
    load_average_1m: float = math.nan
    wall_seconds: float = math.nan
    browser_cpu_by_process: dict[str, float] = field(default_factory=dict)

    @property
    def browser_cpu_per_page(self) -> float:
        return self.browser_cpu_seconds / self.pages


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (NaN when empty)."""
    known = sorted(v for v in values if not math.isnan(v))
    if not known:
        return math.nan
    return known[max(1, math.ceil(share * len(known))) - 1]


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants alive now."""
    total = 0.0
    with contextlib.suppress(psutil.NoSuchProcess):
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
    return total


def process_role(process: psutil.Process) -> str:
    """A chromium process's role: its ``--type`` (and utility sub-type), else "browser"."""
    arguments = process.cmdline()
    kind = next((a.split("=", 1)[1] for a in arguments if a.startswith("--type=")), "browser")
    if kind == "utility":  # the network service, storage, audio: name the service
        service = next((a for a in arguments if a.startswith("--utility-sub-type=")), "")
        kind = service.rsplit(".", 1)[-1] or kind
    return kind


def tree_cpu_by_pid(pid: int) -> dict[int, tuple[str, float]]:
    """Each live process of a tree: its role and user + system CPU seconds."""
    found = {}
    with contextlib.suppress(psutil.NoSuchProcess):
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                found[process.pid] = (process_role(process), times.user + times.system)
    return found


def cpu_by_role(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds spent between two ``tree_cpu_by_pid`` snapshots, summed by role.

    A process that exited in between is not counted (the total uses the same rule).
    """
    spent: dict[str, float] = {}
    for pid, (role, seconds) in after.items():
        spent[role] = spent.get(role, 0.0) + seconds - before.get(pid, (role, 0.0))[1]
    return {role: round(seconds, 3) for role, seconds in sorted(spent.items())}


def browser_pid() -> int:
    """The chromium browser process that Playwright started for this process."""
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            parent = process.parent()
            if "chrom" in process.name() and (parent is None or "chrom" not in parent.name()):
                return process.pid
    raise RuntimeError("no chromium process found under this benchmark")


async def wait_for_pool(server, filled_before: int, timeout: float = 180.0) -> None:
    """Wait until the server logs that the mapping tool's pool is full again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.log().count(FILLED) > filled_before:
            await asyncio.sleep(2.0)  # let the refill's last CPU settle
            return
        await asyncio.sleep(0.5)
    print("  (the pool was not refilled in time)", flush=True)


async def open_page(browser, url: str, features: int, timeout: float):
    """A new context and page; navigate and wait for every polygon. Returns (seconds, close)."""
    context = await browser.new_context(viewport={"width": 1500, "height": 950})
    page = await context.new_page()

    async def close() -> None:
        with contextlib.suppress(Exception):
            await page.close(run_before_unload=True)  # the shutdown beacon frees the kernel
            await asyncio.sleep(0.3)
            await context.close()

    start = time.perf_counter()
    try:
        await page.goto(url, wait_until="commit", timeout=timeout * 1000)
        await asyncio.wait_for(page.evaluate(ALL_DRAWN, features), timeout)
        return time.perf_counter() - start, close
    except Exception as error:  # not interactive in time: a figure, not a crash
        print(f"  browser page: {type(error).__name__}: {str(error)[:160]}", flush=True)
        return math.nan, close


async def browser_round(browser, chromium: int, server, label: str, pages: int, arguments):
    """``pages`` pages at once; their times to interactive and the CPU they cost."""
    features = arguments.features
    result = BrowserRound(label, pages, load_average_1m=round(os.getloadavg()[0], 2))
    filled = server.log().count(FILLED)
    browser_before = tree_cpu_seconds(chromium)
    processes_before = tree_cpu_by_pid(chromium)
    server_before = tree_cpu_seconds(server.process.pid)
    start = time.perf_counter()
    url = server.app_url(APP)
    opened = await asyncio.gather(
        *(open_page(browser, url, features, arguments.timeout) for _ in range(pages))
    )
    result.wall_seconds = time.perf_counter() - start
    # CPU up to the last page's interactive moment, before closing the pages: a closed
    # page's kernel exits and would take its CPU time out of the server's tree.
    result.browser_cpu_seconds = tree_cpu_seconds(chromium) - browser_before
    result.browser_cpu_by_process = cpu_by_role(processes_before, tree_cpu_by_pid(chromium))
    result.server_cpu_seconds = tree_cpu_seconds(server.process.pid) - server_before
    result.tti_seconds = [seconds for seconds, _ in opened]
    await asyncio.gather(*(close() for _, close in opened))
    await wait_for_pool(server, filled)
    return result


async def run_rounds(servers: dict, arguments) -> list[BrowserRound]:
    """Alternate the servers; in each, one page alone then ``pages`` at once."""
    from playwright.async_api import async_playwright

    rounds = []
    async with async_playwright() as playwright:
        extra = [NO_OMNIBOX_POPUP] if arguments.no_omnibox_popup else []
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra]
        )
        try:
            chromium = browser_pid()
            # One untimed page per server first: the server's own first-request work (and
            # the browser's) is not a visitor's.
            for server in servers.values():
                await browser_round(browser, chromium, server, "warm-up", 1, arguments)
            for number in range(arguments.rounds):
                for label, server in servers.items():
                    for pages in sorted({1, arguments.pages}):
                        done = await browser_round(
                            browser, chromium, server, label, pages, arguments
                        )
                        rounds.append(done)
                        print(
                            f"round {number + 1} {label}: {pages} page(s), TTI "
                            f"{', '.join(f'{t:.2f}' for t in sorted(done.tti_seconds))} s; "
                            f"chromium CPU {done.browser_cpu_per_page:.2f} s/page, server+kernels "
                            f"{done.server_cpu_seconds / pages:.2f} s/page; "
                            f"per page by process: {by_process_text(done)}; "
                            f"load {done.load_average_1m}",
                            flush=True,
                        )
        finally:
            await browser.close()
    return rounds


def by_process_text(done: BrowserRound) -> str:
    """The chromium CPU per page of a round by process role, largest first."""
    shares = sorted(done.browser_cpu_by_process.items(), key=lambda item: -item[1])
    return ", ".join(f"{role} {seconds / done.pages:.2f}" for role, seconds in shares if seconds)


def summarise(rounds: list[BrowserRound]) -> list[dict]:
    """Per server and page count: TTI p50/p90 over all pages, CPU per page, load."""
    rows = []
    for label in dict.fromkeys(r.label for r in rounds):
        for pages in sorted({r.pages for r in rounds if r.label == label}):
            chosen = [r for r in rounds if r.label == label and r.pages == pages]
            times = [t for r in chosen for t in r.tti_seconds]
            rows.append(
                {
                    "server": label,
                    "pages_at_once": pages,
                    "rounds": len(chosen),
                    "interactive": sum(not math.isnan(t) for t in times),
                    "tti_p50_s": percentile(times, 0.5),
                    "tti_p90_s": percentile(times, 0.9),
                    "tti_max_s": percentile(times, 1.0),
                    "browser_cpu_per_page_s": statistics.median(
                        r.browser_cpu_per_page for r in chosen
                    ),
                    "server_cpu_per_page_s": statistics.median(
                        r.server_cpu_seconds / r.pages for r in chosen
                    ),
                    "browser_cpu_per_page_by_process_s": {
                        role: round(
                            statistics.median(
                                r.browser_cpu_by_process.get(role, 0.0) / r.pages for r in chosen
                            ),
                            3,
                        )
                        for role in sorted({k for r in chosen for k in r.browser_cpu_by_process})
                    },
                    "load_average_1m": [r.load_average_1m for r in chosen],
                }
            )
    return rows


def print_summary(rows: list[dict]) -> None:
    print()
    header = (
        f"{'server':>6} {'pages':>5} {'rounds':>6} {'TTI p50':>8} {'TTI p90':>8} {'max':>6} "
        f"{'chromium CPU/page':>17} {'server CPU/page':>15}  load average"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['server']:>6} {r['pages_at_once']:>5} {r['rounds']:>6} {r['tti_p50_s']:>8.2f} "
            f"{r['tti_p90_s']:>8.2f} {r['tti_max_s']:>6.2f} {r['browser_cpu_per_page_s']:>17.2f} "
            f"{r['server_cpu_per_page_s']:>15.2f}  {r['load_average_1m']}"
        )


def draw_chart(rounds: list[BrowserRound], target: Path, title: str) -> None:
    """Each page's time to interactive per round, and the chromium CPU per page."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.5, 4.2), dpi=110)
    left, right = figure.subplots(1, 2)
    labels = list(dict.fromkeys(r.label for r in rounds))
    page_counts = sorted({r.pages for r in rounds})
    groups = [(label, pages) for label in labels for pages in page_counts]
    names = [
        f"{label}\n{pages} at once" if pages > 1 else f"{label}\nalone" for label, pages in groups
    ]
    for x, (label, pages) in enumerate(groups):
        times = [t for r in rounds if (r.label, r.pages) == (label, pages) for t in r.tti_seconds]
        left.plot([x] * len(times), times, "o", alpha=0.6, color="#21918c")
        left.plot([x - 0.25, x + 0.25], [percentile(times, 0.9)] * 2, color="#440154", lw=2)
        cpu = [r.browser_cpu_per_page for r in rounds if (r.label, r.pages) == (label, pages)]
        right.plot([x] * len(cpu), cpu, "s", alpha=0.6, color="#3b528b")
    left.axhline(4.0, color="#999", lw=0.8, ls=":")
    left.set_xticks(range(len(groups)), names, fontsize=8)
    left.set_ylabel("seconds, navigation to all polygons drawn")
    left.set_title("Time to interactive (bar: p90; dotted: 4 s target)", fontsize=10)
    left.set_ylim(bottom=0)
    right.set_xticks(range(len(groups)), names, fontsize=8)
    right.set_ylabel("CPU seconds per page (all chromium processes)")
    right.set_title("What a page costs its browser", fontsize=10)
    right.set_ylim(bottom=0)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5, help="pages opened at once (1-10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server (1-10)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per page")
    parser.add_argument("--option", action="append", default=[], help="serve --option of A")
    parser.add_argument(
        "--vs-option", action="append", default=None, help="serve --option of a second server B"
    )
    parser.add_argument(
        "--with-omnibox-popup",
        dest="no_omnibox_popup",
        action="store_false",
        help="keep chromium's per-context address-bar popup renderer (not a page's cost)",
    )
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks"))
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.pages <= 10 or not 1 <= arguments.rounds <= 10:
        parser.error("--pages and --rounds take 1 to 10")
    return arguments


def main(argv: list[str] | None = None) -> int:
    from observatory_lib.products.apps import bundle as app_bundle

    arguments = parse_arguments(argv)
    arguments.features = len(app_bundle.load_bundle().geometry_codes(2))
    configurations = {"A": [BROWSER_POOL, *arguments.option]}
    if arguments.vs_option is not None:
        configurations["B"] = [BROWSER_POOL, *arguments.vs_option]
    for label, options in configurations.items():
        print(f"server {label}: {' '.join(options[1:]) or 'the shipped voila.json'}")
    with (
        tempfile.TemporaryDirectory(prefix="observatory-browsers-") as scratch,
        contextlib.ExitStack() as stack,
    ):
        servers = {
            label: stack.enter_context(
                serve.launch_server(Path(scratch) / f"serve-{label}.log", options=options)
            )
            for label, options in configurations.items()
        }
        for server in servers.values():
            server.wait_ready(timeout=300)
        rounds = asyncio.run(run_rounds(servers, arguments))
    rows = summarise(rounds)
    print_summary(rows)
    arguments.out.mkdir(parents=True, exist_ok=True)
    result = {
        "configurations": configurations,
        "no_omnibox_popup": arguments.no_omnibox_popup,
        "rows": rows,
        "rounds": [asdict(r) for r in rounds],
    }
    (arguments.out / "browser_tti.json").write_text(json.dumps(result, indent=1, default=str))
    loads = [r.load_average_1m for r in rounds]
    title = (
        f"mapping tool, {arguments.pages} pages of one chromium at once on 2 cores "
        f"(load average {min(loads):.1f}-{max(loads):.1f})"
        + (", without the omnibox popup" if arguments.no_omnibox_popup else "")
    )
    draw_chart(rounds, arguments.out / "browser_tti.png", title)
    print(f"Figures: {arguments.out / 'browser_tti.json'}; chart: browser_tti.png beside it")
    return 0 if all(r["interactive"] == r["rounds"] * r["pages_at_once"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

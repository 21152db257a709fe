"""Load test of ``observatory serve``: N visitors of the mapping tool arriving at once.

Starts ``observatory serve`` (``serve.launch_server``: loopback only, a free port, the
project's ``voila.json``) with the current store and its prepared app data, waits until its
pools of preheated kernels are ready, then for each N of ``--sessions`` (default 1, 5, 10,
20, 50):

1. **server side, protocol level** (no browser, so that the two cores serve the visitors):
   N clients at once each request the app's page over HTTP (the whole streamed page, as a
   browser receives it), then open the kernel's websocket (Jupyter's v1 binary protocol, as
   Voila's front end does), ask for every widget's state on the ``jupyter.widget.control``
   comm and wait until the map layer's state, with every polygon, has arrived. That moment
   is the visitor's *server-side ready* time. A request answered with the overflow page (the
   server is at its kernel cap) counts as served by the overflow page, with its time;
2. the kernels' cost: for every live visitor, its kernel's **RSS** once the map's state has
   been sent, and its **CPU time** from its start (in the pool) to that moment (psutil);
3. the visitors leave as a browser tab does (websocket closed, the template's shutdown
   request with the XSRF token), and the server's memory (server plus kernels, RSS) and
   kernel count are followed every 2 s for ``--settle`` seconds (60): used kernels go,
   the pool is refilled one kernel at a time once arrivals stop.

Then the front end, with ``benchmarks/browser_tti.py``'s measurement: one page alone, then
``--browsers`` pages opened at once in ONE chromium (Debian's, never a downloaded browser),
each in its own context (cold cache); their **time to interactive** (navigation to every
polygon drawn), the CPU seconds of chromium and of the server per page, and the load
average, on a pool refilled beforehand.

Everything is bounded: at most 60 clients per level, every wait has a deadline, every
request goes to 127.0.0.1, and the server (with its kernels) is always stopped. The
figures are written as JSON and drawn as a chart (``--out``).

    .venv/bin/python benchmarks/load_apps.py [--sessions 1,5,10,20,50] [--browsers 5]
        [--settle 60] [--out outputs/benchmarks]

Exit status 0 when no visitor was lost (every one served live or by the overflow page).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from observatory_lib.products.apps import bundle as app_bundle
from observatory_lib.runtime import serve

APP = "mapping_tool"
MAX_CLIENTS = 60
PROTOCOL = "v1.kernel.websocket.jupyter.org"
MIB = 1024 * 1024


@dataclass
class Visit:
    """What one visitor got."""

    kind: str = "lost"  # live | overflow | lost
    page_seconds: float = math.nan
    ready_seconds: float = math.nan
    kernel_id: str = ""
    kernel_rss_mib: float = math.nan
    kernel_cpu_seconds: float = math.nan
    error: str = ""


@dataclass
class Level:
    """One burst of N visitors."""

    sessions: int
    visits: list[Visit] = field(default_factory=list)
    wall_seconds: float = 0.0
    rss_before_mib: float = 0.0
    rss_peak_mib: float = 0.0
    kernels_before: int = 0
    kernels_peak: int = 0
    settle: list[tuple[float, int, float]] = field(default_factory=list)
    load_average: tuple = ()
    filled_before: int = 0

    def times(self, kind: str, name: str = "ready_seconds") -> list[float]:
        return [getattr(v, name) for v in self.visits if v.kind == kind]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


# --- the server's footprint -------------------------------------------------------------------


def kernel_processes(server_pid: int) -> dict[str, psutil.Process]:
    """The server's kernels by kernel id (read from their connection file's name)."""
    found = {}
    with contextlib.suppress(psutil.NoSuchProcess):
        for process in psutil.Process(server_pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                match = re.search(r"kernel-([0-9a-f-]+)\.json", " ".join(process.cmdline()))
                if match:
                    found[match.group(1)] = process
    return found


def footprint(server_pid: int) -> tuple[int, float]:
    """The number of kernels and the RSS of the server plus its kernels (MiB)."""
    total = 0
    with contextlib.suppress(psutil.NoSuchProcess):
        total += psutil.Process(server_pid).memory_info().rss
    kernels = kernel_processes(server_pid)
    for process in kernels.values():
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return len(kernels), total / MIB


async def sample(server_pid: int, level: Level, stop: asyncio.Event) -> None:
    while not stop.is_set():
        kernels, rss = await asyncio.to_thread(footprint, server_pid)
        level.rss_peak_mib = max(level.rss_peak_mib, rss)
        level.kernels_peak = max(level.kernels_peak, kernels)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


# --- one visitor, at the protocol level --------------------------------------------------------


def _message(msg_type: str, content: dict, session: str) -> bytes:
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    header = {
        "msg_id": uuid.uuid4().hex,
        "username": "load",
        "session": session,
        "date": "2026-01-01T00:00:00Z",
        "msg_type": msg_type,
        "version": "5.3",
    }
    parts = [json.dumps(p).encode() for p in (header, {}, {"version": "1.0.0"}, content)]
    return serialize_msg_to_ws_v1(parts, "shell")


class Visitor:
    """One visitor: the page over HTTP, then the map's state over the kernel's websocket."""

    def __init__(self, base_url: str, features: int, timeout: float):
        self.base_url = base_url
        self.features = features
        self.timeout = timeout
        self.socket = None
        self.cookies = ""
        self.visit = Visit()

    async def run(self) -> Visit:
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        start = time.perf_counter()
        client = AsyncHTTPClient(force_instance=True)
        try:
            url = f"{self.base_url}voila/render/{APP}.ipynb"
            response = await client.fetch(url, request_timeout=self.timeout, raise_error=False)
            self.visit.page_seconds = time.perf_counter() - start
            body = response.body.decode("utf-8", "replace")
            if response.code != 200:
                self.visit.error = f"HTTP {response.code}"
                return self.visit
            if response.headers.get(serve.OVERFLOW_HEADER):
                served = "observatory-busy" in body and "<svg" in body
                self.visit.kind = "overflow" if served else "lost"
                self.visit.ready_seconds = self.visit.page_seconds
                return self.visit
            cookies = response.headers.get_list("Set-Cookie")
            self.cookies = "; ".join(c.split(";", 1)[0] for c in cookies)
            match = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', body)
            if not match:
                self.visit.error = "no kernel id in the page"
                return self.visit
            self.visit.kernel_id = match.group(1)
            await self._map_state(HTTPRequest, start)
        except Exception as error:  # a lost visitor is a figure, not a crash
            self.visit.error = f"{type(error).__name__}: {str(error)[:120]}"
        finally:
            client.close()
        return self.visit

    async def _map_state(self, request_class, start: float) -> None:
        from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1
        from tornado.websocket import websocket_connect

        session = uuid.uuid4().hex
        ws_url = self.base_url.replace("http://", "ws://")
        ws_url += f"api/kernels/{self.visit.kernel_id}/channels?session_id={session}"
        request = request_class(ws_url, headers={"Cookie": self.cookies})
        self.socket = await websocket_connect(request, subprotocols=[PROTOCOL])
        comm_id = uuid.uuid4().hex
        opened = {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}}
        await self.socket.write_message(_message("comm_open", opened, session), binary=True)
        asked = {"comm_id": comm_id, "data": {"method": "request_states"}}
        await self.socket.write_message(_message("comm_msg", asked, session), binary=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(self.socket.read_message(), deadline - time.monotonic())
            if raw is None:
                raise ConnectionError("websocket closed")
            channel, parts = deserialize_msg_from_ws_v1(raw)
            if channel != "iopub" or b"update_states" not in parts[3][:200]:
                continue
            states = json.loads(parts[3])["data"]["states"]
            drawn = [
                len(s["state"].get("data", {}).get("features", []))
                for s in states.values()
                if s["model_name"] == "LeafletGeoJSONModel"
            ]
            if self.features in drawn:
                self.visit.ready_seconds = time.perf_counter() - start
                self.visit.kind = "live"
                return
            raise ValueError(f"map layer with {drawn} polygons, expected {self.features}")
        raise TimeoutError("no map state in time")

    async def leave(self) -> None:
        """Close the websocket and send the shutdown request, as the page's beacon does."""
        from tornado.httpclient import AsyncHTTPClient

        if self.socket is not None:
            self.socket.close()
        if not self.visit.kernel_id:
            return
        xsrf = re.search(r"_xsrf=([^;]+)", self.cookies)
        client = AsyncHTTPClient(force_instance=True)
        try:
            await client.fetch(
                f"{self.base_url}voila/api/shutdown/{self.visit.kernel_id}",
                method="POST",
                body=f"_xsrf={xsrf.group(1) if xsrf else ''}",
                headers={"Cookie": self.cookies},
                raise_error=False,
                request_timeout=10,
            )
        finally:
            client.close()


def kernel_costs(server_pid: int, visits: list[Visit]) -> None:
    """RSS and CPU time (since the kernel started) of each live visitor's kernel, now."""
    processes = kernel_processes(server_pid)
    for visit in visits:
        process = processes.get(visit.kernel_id)
        if process is None:
            continue
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            visit.kernel_cpu_seconds = times.user + times.system
            visit.kernel_rss_mib = process.memory_info().rss / MIB


async def burst(server, sessions: int, features: int, arguments) -> Level:
    """N visitors at once; their kernels' costs; then they leave and memory is followed."""
    pid = server.process.pid
    level = Level(sessions, load_average=os.getloadavg(), filled_before=server.log().count(FILLED))
    level.kernels_before, level.rss_before_mib = footprint(pid)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample(pid, level, stop))
    visitors = [Visitor(server.url, features, arguments.timeout) for _ in range(sessions)]
    start = time.perf_counter()
    level.visits = list(await asyncio.gather(*(v.run() for v in visitors)))
    level.wall_seconds = time.perf_counter() - start
    await asyncio.to_thread(kernel_costs, pid, [v for v in level.visits if v.kind == "live"])
    await asyncio.sleep(1.0)
    stop.set()
    await sampler
    await asyncio.gather(*(v.leave() for v in visitors))
    left = time.perf_counter()
    while time.perf_counter() - left < arguments.settle:
        kernels, rss = await asyncio.to_thread(footprint, pid)
        level.settle.append((round(time.perf_counter() - left, 1), kernels, round(rss)))
        await asyncio.sleep(2.0)
    return level


FILLED = f"Kernel pool of {APP}.ipynb is filled"


async def wait_for_pools(server, pooled: int, filled_before: int, timeout: float = 180.0) -> None:
    """Wait until the visitors' kernels are gone and the app's pool is ready again.

    The server logs "Kernel pool of <app> is filled" whenever the pool is back to its size
    with every kernel ready (``runtime.kernel_pool``).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels, _ = footprint(server.process.pid)
        if kernels <= pooled and server.log().count(FILLED) > filled_before:
            await asyncio.sleep(2.0)
            return
        await asyncio.sleep(1.0)
    print("  (the pool was not refilled in time)", flush=True)


# --- real browsers ---------------------------------------------------------------------------


async def browsers(server, features: int, count: int, timeout: float) -> list[dict]:
    """One page alone, then ``count`` pages at once: ``browser_tti``'s measurement.

    One chromium, one context per visitor (cold cache), the clock from the navigation to
    every polygon drawn, with the chromium and server CPU seconds and the load average.
    """
    import browser_tti

    settings = argparse.Namespace(
        features=features, timeout=timeout, rounds=1, pages=count, no_omnibox_popup=True
    )
    rounds = await browser_tti.run_rounds({"shipped": server}, settings)
    return [asdict(r) | {"browser_cpu_per_page": r.browser_cpu_per_page} for r in rounds]


def browser_times(rounds: list[dict], pages: int) -> list[float]:
    """The times to interactive of the round with ``pages`` pages at once."""
    return [t for r in rounds if r["pages"] == pages for t in r["tti_seconds"]]


# --- report ------------------------------------------------------------------------------------


def summary_rows(levels: list[Level]) -> list[dict]:
    rows = []
    for level in levels:
        live, overflow = level.times("live"), level.times("overflow")
        lost = [v for v in level.visits if v.kind == "lost"]
        after = level.settle[-1] if level.settle else (0, 0, math.nan)
        # back: the pool refilled (as many kernels as before) and the memory within 5 % of
        # its starting level (after the visitors' kernels went, it first drops below it)
        back = next(
            (
                t
                for t, k, m in level.settle
                if k >= level.kernels_before
                and abs(m - level.rss_before_mib) <= 0.05 * level.rss_before_mib
            ),
            None,
        )
        rows.append(
            {
                "N": level.sessions,
                "live": len(live),
                "overflow": len(overflow),
                "lost": len(lost),
                "ready_p50_s": percentile(live, 0.5),
                "ready_p90_s": percentile(live, 0.9),
                "ready_max_s": max(live, default=math.nan),
                "overflow_max_s": max(overflow, default=math.nan),
                "kernel_rss_median_mib": _median([v.kernel_rss_mib for v in level.visits]),
                "kernel_rss_max_mib": max(
                    [v.kernel_rss_mib for v in level.visits if v.kind == "live"], default=math.nan
                ),
                "kernel_cpu_median_s": _median([v.kernel_cpu_seconds for v in level.visits]),
                "kernel_cpu_max_s": max(
                    [v.kernel_cpu_seconds for v in level.visits if v.kind == "live"],
                    default=math.nan,
                ),
                "rss_before_mib": round(level.rss_before_mib),
                "rss_peak_mib": round(level.rss_peak_mib),
                "rss_end_mib": after[2],
                "kernels_before": level.kernels_before,
                "kernels_peak": level.kernels_peak,
                "back_to_start_s": back,
                "load_average_1m": round(level.load_average[0], 2) if level.load_average else None,
                "errors": sorted({v.error for v in lost})[:3],
            }
        )
    return rows


def _median(values) -> float:
    known = [v for v in values if not math.isnan(v)]
    return statistics.median(known) if known else math.nan


def print_rows(rows: list[dict], tti: list[float], browser_rounds: list[dict]) -> None:
    print()
    header = (
        f"{'N':>3} {'live':>4} {'ovfl':>4} {'lost':>4} {'p50 s':>6} {'p90 s':>6} {'max s':>6} "
        f"{'ovfl max':>8} {'RSS/kernel':>10} {'CPU/kernel':>10} {'RSS start':>9} {'peak':>6} "
        f"{'end':>6} {'back s':>6} {'load':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['N']:>3} {r['live']:>4} {r['overflow']:>4} {r['lost']:>4} "
            f"{r['ready_p50_s']:>6.2f} {r['ready_p90_s']:>6.2f} {r['ready_max_s']:>6.2f} "
            f"{r['overflow_max_s']:>8.2f} "
            f"{r['kernel_rss_median_mib']:>10.0f} {r['kernel_cpu_median_s']:>10.2f} "
            f"{r['rss_before_mib']:>9} {r['rss_peak_mib']:>6} {r['rss_end_mib']:>6} "
            f"{r['back_to_start_s'] if r['back_to_start_s'] is not None else '-':>6} "
            f"{r['load_average_1m']:>5}"
        )
        if r["errors"]:
            print(f"    lost: {r['errors']}")
    if tti:
        known = [t for t in tti if not math.isnan(t)]
        print(
            f"\nBrowsers: {len(tti)} pages at once, {len(known)} interactive; time to interactive "
            f"p50 {percentile(known, 0.5):.2f} s, p90 {percentile(known, 0.9):.2f} s, "
            f"all: {', '.join(f'{t:.2f}' for t in sorted(tti))}"
        )
    for r in browser_rounds:
        print(
            f"  {r['pages']} page(s) at once: chromium CPU "
            f"{r['browser_cpu_per_page']:.2f} s per page, server and kernels "
            f"{r['server_cpu_seconds'] / r['pages']:.2f} s per page, "
            f"load average {r['load_average_1m']}"
        )


def draw_chart(rows: list[dict], tti: list[float], target: Path) -> None:
    """The curve: server-side ready p50/p90 and how many were served live or by overflow."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.5, 4.2), dpi=110)
    left, right = figure.subplots(1, 2)
    n = [r["N"] for r in rows]
    left.plot(n, [r["ready_p50_s"] for r in rows], "o-", label="ready p50 (live)")
    left.plot(n, [r["ready_p90_s"] for r in rows], "s-", label="ready p90 (live)")
    left.plot(n, [r["overflow_max_s"] for r in rows], "^--", label="overflow page, max")
    left.axhline(2.0, color="#999", lw=0.8, ls=":")
    left.axhline(4.0, color="#999", lw=0.8, ls=":")
    left.set_xlabel("visitors arriving at once")
    left.set_ylabel("seconds (server side, protocol client)")
    left.set_title("Time until the map's state has arrived", fontsize=10)
    left.legend(fontsize=8)
    right.bar([str(x) for x in n], [r["live"] for r in rows], label="live", color="#21918c")
    right.bar(
        [str(x) for x in n],
        [r["overflow"] for r in rows],
        bottom=[r["live"] for r in rows],
        label="overflow page",
        color="#fde725",
    )
    right.bar(
        [str(x) for x in n],
        [r["lost"] for r in rows],
        bottom=[r["live"] + r["overflow"] for r in rows],
        label="lost",
        color="#d62728",
    )
    right.set_xlabel("visitors arriving at once")
    right.set_title("How the visitors were served", fontsize=10)
    right.legend(fontsize=8)
    known = [t for t in tti if not math.isnan(t)]
    note = f"; browsers: {len(tti)} at once, TTI p90 {percentile(known, 0.9):.2f} s" if tti else ""
    load = ", ".join(str(r["load_average_1m"]) for r in rows)
    figure.suptitle(f"observatory serve, 2 cores (load average at start: {load}){note}", fontsize=9)
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target)


# --- main ----------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sessions", default="1,5,10,20,50", help="visitors per burst, comma-separated"
    )
    parser.add_argument("--browsers", type=int, default=5, help="real pages at once (0: none)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per visitor")
    parser.add_argument("--settle", type=float, default=60.0, help="seconds followed after leaving")
    parser.add_argument(
        "--out", type=Path, default=Path("outputs/benchmarks"), help="JSON and chart"
    )
    parser.add_argument("--option", action="append", default=[], help="serve --option (repeatable)")
    arguments = parser.parse_args(argv)
    arguments.levels = [int(t) for t in arguments.sessions.split(",") if t.strip()]
    if not arguments.levels or not all(0 < n <= MAX_CLIENTS for n in arguments.levels):
        parser.error(f"--sessions takes numbers between 1 and {MAX_CLIENTS}")
    if not 0 <= arguments.browsers <= 10:
        parser.error("--browsers takes 0 to 10")
    return arguments


async def measure(server, features: int, pooled: int, arguments) -> tuple[list[Level], list]:
    levels = []
    for sessions in arguments.levels:
        print(f"N={sessions}: {sessions} visitors at once ...", flush=True)
        level = await burst(server, sessions, features, arguments)
        live = level.times("live")
        print(
            f"N={sessions}: {len(live)} live, {len(level.times('overflow'))} overflow, "
            f"{sum(v.kind == 'lost' for v in level.visits)} lost; ready p50 "
            f"{percentile(live, 0.5):.2f} s p90 {percentile(live, 0.9):.2f} s",
            flush=True,
        )
        levels.append(level)
        if live:
            await wait_for_pools(server, pooled, level.filled_before)
    rounds = []
    if arguments.browsers:
        filled = server.log().count(FILLED)
        rounds = await browsers(server, features, arguments.browsers, arguments.timeout)
        await wait_for_pools(server, pooled, filled)
    return levels, rounds


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    data = app_bundle.load_bundle()
    features = len(data.geometry_codes(2))
    pooled = serve.pooled_kernel_count()
    print(f"Mapping tool: {features} NUTS 2 polygons; {pooled} preheated kernels in voila.json")
    with (
        tempfile.TemporaryDirectory(prefix="observatory-load-") as scratch,
        serve.launch_server(Path(scratch) / "serve.log", options=arguments.option) as server,
    ):
        ready = server.wait_ready(timeout=300)
        kernels, rss = footprint(server.process.pid)
        print(
            f"Server ready in {ready:.1f} s: {kernels} kernels, {rss:.0f} MiB in all",
            flush=True,
        )
        levels, browser_rounds = asyncio.run(measure(server, features, kernels, arguments))
        tracebacks = server.log().count("Traceback")
        arguments.out.mkdir(parents=True, exist_ok=True)
        (arguments.out / "serve.log").write_text(server.log(), encoding="utf-8")
    rows = summary_rows(levels)
    tti = browser_times(browser_rounds, arguments.browsers)
    print_rows(rows, tti, browser_rounds)
    print(f"Tracebacks in the server log: {tracebacks} (log: {arguments.out / 'serve.log'})")
    arguments.out.mkdir(parents=True, exist_ok=True)
    result = {
        "rows": rows,
        "browser_tti_seconds": tti,
        "browser_rounds": browser_rounds,
        "visits": {r.sessions: [asdict(v) for v in r.visits] for r in levels},
        "settle": {r.sessions: r.settle for r in levels},
    }
    (arguments.out / "load_apps.json").write_text(json.dumps(result, indent=1, default=str))
    draw_chart(rows, tti, arguments.out / "load_apps.png")
    print(f"Figures: {arguments.out / 'load_apps.json'}, chart: {arguments.out / 'load_apps.png'}")
    return 0 if all(r["lost"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

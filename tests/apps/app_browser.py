"""Helpers of the browser tests: what a page recorded, and how to read the map.

What each page records (``PageLog``): console messages, uncaught page errors, every request
and failed requests. ``assert_clean`` checks that there is no console message of level
``error``, no page error, no failed request and no request to a host other than the server.
The apps' pages load the project's page script (frontend/, docs/ARCHITECTURE.md), which logs
no warning; with Voila's own front end (the ``observatory-lab`` template) its bundled
JupyterLab packages log about 15 "Unsatisfied version ... of shared singleton module" and "No
satisfying version" messages at level *warning* on every page (Voila 0.5.13 ships JupyterLab
4.2.5, the installed extensions ask for ^4.6; stack notes 6.8); being warnings, they would
not be counted either.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}
PAGE_TIMEOUT_MS = 90_000  # a load that misses the preheated pool starts a kernel (~5 s)
POLYGONS = "path.leaflet-interactive"
# Small pools for the test servers (the shipped voila.json pools 26 kernels for bursts).
TEST_POOLS = (
    'VoilaKernelManager.kernel_pools_config={"mapping_tool.ipynb": {"pool_size": 2}, '
    '"default": {"pool_size": 1}}'
)


@dataclass
class PageLog:
    """What a page did: console messages, page errors, requests, failed requests."""

    console: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    def errors(self) -> list[str]:
        """Console messages of level error."""
        return [text for kind, text in self.console if kind == "error"]

    def external_requests(self) -> list[str]:
        """Requests to any host other than the local server."""
        outside = []
        for url in self.requests:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in LOCAL_SCHEMES:
                continue
            if (parts.hostname or "") not in LOCAL_HOSTS:
                outside.append(url)
        return outside


def assert_clean(log: PageLog) -> None:
    """No console error, page error, failed request or request leaving the server."""
    assert log.errors() == [], log.errors()
    assert log.page_errors == [], log.page_errors
    assert log.failed == [], log.failed
    assert log.external_requests() == [], log.external_requests()


def wait_for_polygons(page, count: int) -> None:
    """Wait until exactly ``count`` region polygons are drawn."""
    page.wait_for_function(
        f"(n) => document.querySelectorAll('{POLYGONS}').length === n",
        arg=count,
        timeout=PAGE_TIMEOUT_MS,
    )


FILLS_JS = (
    f"Array.from(document.querySelectorAll('{POLYGONS}')).map(p => getComputedStyle(p).fill).join()"
)


def fills(page) -> list[str]:
    """The fill colour of every drawn polygon as the browser paints it, in DOM order.

    The apps colour the polygons with a style sheet (one CSS class per region), so the
    computed style is what the visitor sees; the ``fill`` attribute is Leaflet's default.
    """
    return page.evaluate(FILLS_JS).split(",rgb")


def wait_for_new_fills(page, before: list[str]) -> None:
    """Wait until the polygons are painted in other colours than ``before``."""
    page.wait_for_function(f"(old) => {FILLS_JS} !== old", arg=",rgb".join(before))


def kernel_rss_mib(server, page) -> float:
    """The resident memory of the kernel serving ``page`` (MiB)."""
    import json
    import re

    import psutil

    config = json.loads(page.evaluate("document.getElementById('jupyter-config-data').textContent"))
    for child in psutil.Process(server.process.pid).children(recursive=True):
        if re.search(f"kernel-{config['kernelId']}\\.json", " ".join(child.cmdline())):
            return child.memory_info().rss / 2**20
    raise AssertionError(f"no kernel process for {config['kernelId']}")


def saved_download(page, locator, folder):
    """Click ``locator``, wait for the download and save it in ``folder``; return its path."""
    with page.expect_download() as download:
        locator.click()
    target = folder / download.value.suggested_filename
    download.value.save_as(target)
    return target


def check_png(path, min_width: int = 400) -> tuple[int, int]:
    """A PNG that opens, is wide enough and is not blank; return its size."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= min_width and height >= 200
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 20  # a drawing, not an empty canvas
    return width, height


def visible_polygon_point(page) -> tuple[float, float]:
    """The centre of the largest polygon that is on top at its own centre (not under a control)."""
    point = page.evaluate(
        f"""() => {{
            let best = null;
            for (const path of document.querySelectorAll('{POLYGONS}')) {{
                const box = path.getBoundingClientRect();
                const x = box.left + box.width / 2, y = box.top + box.height / 2;
                if (document.elementFromPoint(x, y) !== path) continue;
                const area = box.width * box.height;
                if (!best || area > best.area) best = {{x, y, area}};
            }}
            return best;
        }}"""
    )
    assert point is not None, "no polygon is reachable by the mouse"
    return point["x"], point["y"]

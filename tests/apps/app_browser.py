"""Helpers of the browser tests: what a page recorded, and how to read the map.

What each page records (``PageLog``): console messages, uncaught page errors, every request
and failed requests. ``assert_clean`` checks that there is no console message of level
``error``, no page error, no failed request and no request to a host other than the server.
Voila's bundled JupyterLab packages log about 15 "Unsatisfied version ... of shared singleton
module" and "No satisfying version" messages at level *warning* on every page (Voila 0.5.13
ships JupyterLab 4.2.5, the installed extensions ask for ^4.6; stack notes 6.8); they are
harmless and, being warnings, are not counted.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}
PAGE_TIMEOUT_MS = 90_000  # a load that misses the preheated pool starts a kernel (~5 s)
POLYGONS = "path.leaflet-interactive"


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


def fills(page) -> list[str]:
    """The fill colour of every drawn polygon, in DOM order."""
    return page.evaluate(
        f"Array.from(document.querySelectorAll('{POLYGONS}')).map(p => p.getAttribute('fill'))"
    )


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

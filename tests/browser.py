"""The browser the app tests and the app benchmarks drive.

Debian's chromium through Playwright's ``executable_path``: never a downloaded browser.
Without the background-networking flags it tries Google's hosts at every start, which hangs
on a closed network. The benchmarks in ``benchmarks/`` import this module too.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("OBSERVATORY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

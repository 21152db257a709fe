"""The browser the app tests and the app benchmarks drive.

Debian's chromium through Playwright's ``executable_path``: never a downloaded browser.
Without the background-networking flags it tries Google's hosts at every start, which hangs
on a closed network. The benchmarks in ``benchmarks/`` import this module too.
"""

from __future__ import annotations

import os

from observatory_lib.runtime.pdf_chromium import CHROMIUM_ARGS  # noqa: F401 (the runtime's flags)

CHROMIUM = os.environ.get("OBSERVATORY_CHROMIUM", "/usr/bin/chromium")

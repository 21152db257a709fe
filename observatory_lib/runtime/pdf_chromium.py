"""Print HTML to tagged PDF with headless Chromium: one browser per process, reused.

Why Chromium: a scorecard with its contents costs Chromium about 0.2-0.25 s of CPU (one
print, mostly: ``render`` starts the contents' page numbers from the last document's) where
WeasyPrint needs 1.0-1.3 s (``benchmarks/bench_pdf.py``), and the batch prints a few
hundred of them. Its PDFs are
tagged (a structure tree of headings, tables and figures with their alt text; ``/Lang`` from
the page's ``lang``, the title from ``<title>``) and carry an outline of the headings. It
is the browser the accessibility tests already check the same HTML in.

Chromium resolves neither running elements nor ``target-counter()``: the renderer writes
the running head into the page's ``@page`` rule as text, and writes the contents' page
numbers in, checked against the printed PDF (``destination_pages``: the page each internal
link target starts on) and printed again until they agree.

Nothing reaches the network: JavaScript is off, the context is offline and the pages are
``data:`` URLs only. Playwright's sync API lives in one daemon thread of its own, so the
printer can be called from any thread, also beside a running asyncio loop (a kernel's or
Dask's). A process that forks gets a printer of its own on first use.
"""

from __future__ import annotations

import concurrent.futures
import io
import logging
import multiprocessing.util
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOGGER = logging.getLogger(__name__)
# Debian's chromium tries Google's hosts at every start without these, which hangs offline.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_PRINTER: ChromiumPrinter | None = None
_PRINTER_LOCK = threading.Lock()


class ChromiumPrinter:
    """One headless Chromium and one page, driven from a thread of their own."""

    def __init__(self, executable: Path):
        self.executable = executable
        self.pid = os.getpid()
        self._jobs: queue.Queue = queue.Queue()
        self._playwright: Any = None
        self._browser: Any = None
        self._page: Any = None
        threading.Thread(target=self._serve, name="chromium-pdf", daemon=True).start()

    def print_pdf(self, html: str, *, draft: bool = False) -> bytes:
        """``html`` as an A4 PDF (the page size and margins come from its ``@page`` rule).

        A ``draft`` is laid out the same but neither tagged nor outlined (a third less CPU):
        for counting pages and reading where the link targets fall, never for publishing.
        """
        return self._call(self._print, html, draft)

    def close(self) -> None:
        """Close the browser; only the process that launched it does."""
        if os.getpid() == self.pid and self._browser is not None:
            try:
                self._call(self._stop, timeout=10)
            except Exception:  # at exit the browser may already be gone with its driver
                LOGGER.debug("closing chromium failed", exc_info=True)

    # --- the printer's own thread -------------------------------------------------------

    def _call(self, function: Callable, *arguments: Any, timeout: float | None = None) -> Any:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((future, function, arguments))
        return future.result(timeout=timeout)

    def _serve(self) -> None:
        while True:
            future, function, arguments = self._jobs.get()
            try:
                future.set_result(function(*arguments))
            except BaseException as error:  # handed to the caller, who raises it
                future.set_exception(error)

    def _print(self, html: str, draft: bool) -> bytes:
        try:
            return self._print_once(html, draft)
        except Exception:  # a crashed page or browser: start again once, then give up
            LOGGER.warning("chromium failed; restarting it", exc_info=True)
            self._stop()
            return self._print_once(html, draft)

    def _print_once(self, html: str, draft: bool) -> bytes:
        page = self._ensure_page()
        page.set_content(html, wait_until="load")
        return page.pdf(
            prefer_css_page_size=True, print_background=True, tagged=not draft, outline=not draft
        )

    def _ensure_page(self) -> Any:
        if self._page is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(self.executable), args=list(CHROMIUM_ARGS)
            )
            context = self._browser.new_context(java_script_enabled=False, offline=True)
            self._page = context.new_page()
        return self._page

    def _stop(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._page = self._browser = self._playwright = None
        for step in (browser.close if browser else None, playwright.stop if playwright else None):
            if step is not None:
                try:
                    step()
                except Exception:  # already gone: nothing left to close
                    LOGGER.debug("chromium shutdown step failed", exc_info=True)


def printer(executable: Path) -> ChromiumPrinter:
    """This process's printer (a forked child gets its own; the parent's stays the parent's)."""
    global _PRINTER
    with _PRINTER_LOCK:
        if _PRINTER is None or _PRINTER.pid != os.getpid() or _PRINTER.executable != executable:
            _PRINTER = ChromiumPrinter(executable)
            # Finalize (unlike atexit) also runs in multiprocessing workers as they exit
            multiprocessing.util.Finalize(_PRINTER, _PRINTER.close, exitpriority=90)
        return _PRINTER


def page_count(pdf: bytes) -> int:
    """How many pages ``pdf`` has."""
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def destination_pages(pdf: bytes) -> dict[str, int]:
    """Page number (from 1) of every named destination of ``pdf``: the targets of its links.

    Chromium names a link target's destination after the element's id.
    """
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = {}
    for name, destination in reader.named_destinations.items():
        number = reader.get_destination_page_number(destination)
        if number is not None and number >= 0:
            pages[str(name).lstrip("/")] = number + 1
    return pages

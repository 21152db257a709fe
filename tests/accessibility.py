"""axe-core in the real browser: the accessibility check every published HTML page passes.

``axe-playwright-python`` injects the axe-core script it ships (no network) into a Playwright
page and runs it. We run every rule axe enables by default (WCAG 2.0/2.1 A and AA plus its
best practices), at every impact level: the publications aim at zero violations, so a test
fails on the first one and prints what axe found, where, and the rule's help page.
"""

from __future__ import annotations

from pathlib import Path

from browser import CHROMIUM, CHROMIUM_ARGS

# WCAG 2.1 A/AA and axe's best practices; "experimental" rules are left out on purpose.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")


def axe_violations(page) -> list[str]:
    """Every axe-core violation on ``page`` (a Playwright page), one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": list(AXE_TAGS)}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    lines = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
        lines.append(
            f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
            f"{'; '.join(targets)}{' ...' if len(violation['nodes']) > 5 else ''} "
            f"[{violation['helpUrl']}]"
        )
    return lines


def assert_accessible(page, what: str) -> None:
    """Fail with axe's findings when ``page`` has any violation."""
    found = axe_violations(page)
    assert not found, f"axe-core found {len(found)} violation(s) on {what}:\n" + "\n".join(found)


def open_file_page(playwright, path: Path):
    """A chromium page showing a local file through ``file://`` (as a reader opens outputs/)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
    page = browser.new_page()
    page.goto(path.resolve().as_uri(), wait_until="load")
    return browser, page

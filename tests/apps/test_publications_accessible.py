"""axe-core in chromium finds no accessibility violation in the published reports (issue 13).

The Panorama, the scoreboard report, the automotive sector report and the scorecard of
Stuttgart (DE11), as the real CLI renders them (``rendered_publications``), opened from
``file://`` as a reader opens ``outputs/``. The portal's pages have their own test
(test_portal_pages.py).
"""

from __future__ import annotations

import pytest
from accessibility import assert_accessible

pytestmark = [pytest.mark.app, pytest.mark.notebook, pytest.mark.integration, pytest.mark.slow]
# ``browser``: the session's chromium (tests/apps/conftest.py); a second Playwright in the
# same process would clash with it.


@pytest.mark.parametrize("product", ["panorama", "scoreboard", "sector_report", "scorecard"])
def test_report_has_no_accessibility_violation(browser, rendered_publications, product):
    path = rendered_publications[product]["html"]
    page = browser.new_page()
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("main").count() == 1
        assert page.locator("h1").count() == 1
        assert_accessible(page, f"the {product.replace('_', ' ')} ({path.name})")
    finally:
        page.close()


def test_the_check_finds_what_it_should(browser):
    """The harness itself: a page without language, alt text or contrast fails it."""
    from accessibility import axe_violations

    page = browser.new_page()
    try:
        page.set_content(
            "<html><body><img src='data:,'><p style='color:#bbb;background:#fff'>faint</p>"
            "</body></html>"
        )
        found = " ".join(axe_violations(page))
    finally:
        page.close()
    for rule in ("html-has-lang", "image-alt", "color-contrast", "landmark-one-main"):
        assert rule in found, found

"""Where each published file lives under the outputs folder.

The batch writes a job's files as ``<output root>/<job id>/<job id>.<format>``; the CLI runs
the scorecards with the region code as the job id under ``scorecards/`` and the reports under
``reports/<report>/``. The portal and the apps link to these files through the functions here,
so a link and the file it points to cannot drift apart.
"""

from __future__ import annotations

import urllib.parse

SCORECARDS_DIR = "scorecards"
REPORTS_DIR = "reports"
DOWNLOADS_DIR = "downloads"


def scorecard_path(region_code: str, extension: str = "html") -> str:
    """The scorecard file of a region, relative to the outputs folder (URL-quoted)."""
    code = urllib.parse.quote(region_code)
    return f"{SCORECARDS_DIR}/{code}/{code}.{extension}"


# A report page lives at outputs/reports/<report>/<job>/<job>.html, three folders down.
REPORT_PAGE_DEPTH = 3


def from_report_page(path: str) -> str:
    """A link from a report page to ``path`` (relative to the outputs folder)."""
    return "../" * REPORT_PAGE_DEPTH + path

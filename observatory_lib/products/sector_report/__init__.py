"""The priority sector report of one cluster category (``notebooks/sector_report.ipynb``).

``report``: ``sector_report_content`` ranks the regions of one category, describes what it is
made of, how concentrated it is, which categories it overlaps and, over the change window, its
European trend and its fastest-growing regions; ``plot_sector_maps`` and
``write_sector_downloads`` draw and publish it. ``publication``: the report in the house style
(``publication``, ``key_findings``, ``document``). The numbers come from the recipe layer.
"""

from __future__ import annotations

from observatory_lib.products.sector_report.publication import (
    document,
    key_findings,
    publication,
)
from observatory_lib.products.sector_report.report import (
    CLASSES_TABLE,
    CONCENTRATION_TABLE,
    DIVISIONS_TABLE,
    LEADING_COLUMNS,
    LEADING_TABLE,
    N_FASTEST,
    N_LEADERS,
    OVERLAP_EMERGING_TABLE,
    OVERLAP_TRADED_TABLE,
    SECTOR_SUBDIR,
    SectorReport,
    plot_sector_maps,
    sector_report_content,
    view_stars,
    write_sector_downloads,
)

__all__ = [
    "CLASSES_TABLE",
    "CONCENTRATION_TABLE",
    "DIVISIONS_TABLE",
    "LEADING_COLUMNS",
    "LEADING_TABLE",
    "N_FASTEST",
    "N_LEADERS",
    "OVERLAP_EMERGING_TABLE",
    "OVERLAP_TRADED_TABLE",
    "SECTOR_SUBDIR",
    "SectorReport",
    "document",
    "key_findings",
    "plot_sector_maps",
    "publication",
    "sector_report_content",
    "view_stars",
    "write_sector_downloads",
]

"""The European Cluster Panorama (``notebooks/cluster_panorama.ipynb``).

``report``: ``panorama_context`` rates every regional cluster at one level and year with a
star rule set and builds every table the Panorama shows (starred clusters per region and
country, the leaders of every category, the emerging industries, how the star counts move
with the cut-offs, and how Europe's clusters changed over the change window);
``plot_panorama_maps`` draws its maps and ``write_panorama_downloads`` publishes its tables.
``publication``: the report in the house style (``publication``, ``key_findings``,
``document``). The numbers come from the recipe layer (``indicators.recipes``).
"""

from __future__ import annotations

from observatory_lib.products.cluster_panorama.publication import (
    document,
    key_findings,
    publication,
)
from observatory_lib.products.cluster_panorama.report import (
    COUNTRY_TABLE,
    CRITERIA_TABLE,
    EMERGING_TABLE,
    LEADERS_TABLE,
    LQ_CUTOFFS,
    PANORAMA_SUBDIR,
    RATED_DOWNLOAD_COLUMNS,
    REGION_TABLE,
    SENSITIVITY_TABLE,
    TOP_SHARES,
    PanoramaChange,
    PanoramaReport,
    compute_panorama_sensitivity,
    panorama_context,
    plot_panorama_maps,
    write_panorama_downloads,
)

__all__ = [
    "COUNTRY_TABLE",
    "CRITERIA_TABLE",
    "EMERGING_TABLE",
    "LEADERS_TABLE",
    "LQ_CUTOFFS",
    "PANORAMA_SUBDIR",
    "RATED_DOWNLOAD_COLUMNS",
    "REGION_TABLE",
    "SENSITIVITY_TABLE",
    "TOP_SHARES",
    "PanoramaChange",
    "PanoramaReport",
    "compute_panorama_sensitivity",
    "document",
    "key_findings",
    "panorama_context",
    "plot_panorama_maps",
    "publication",
    "write_panorama_downloads",
]

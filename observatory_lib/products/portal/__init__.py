"""The portal: the observatory's single access point, ``outputs/index.html`` and its pages.

It mirrors the observatory's sections: the mapping tool (the served apps and an overview map
that works offline), cluster mapping (the Panorama, the emerging industries and a page per
cluster category), the Regional Ecosystem Scoreboard, scorecards for regions (search, browse by
country, a clickable map of Europe), cluster policy, reports and downloads (with a data
dictionary), the methodology, the data sources and an accessibility statement. Pages work
from ``file://`` and through ``observatory serve`` at ``/portal/``: relative links only, styles
and the search script inline, maps as inline SVG; nothing is fetched from elsewhere.

Modules: ``build`` (render and publish atomically), ``pages`` (one context per page),
``content`` (categories, regions by country, tables), ``catalogue`` (what the outputs hold:
scorecards, reports, downloads with sizes and row counts), ``dictionary`` (the data
dictionary), ``svg_maps`` (inline SVG maps), ``countries`` (English names, protocol order),
``downloads`` (the Parquet and GeoJSON downloads); templates and the style sheet in
``templates/``.
"""

from observatory_lib.products.portal.build import build_portal
from observatory_lib.products.portal.downloads import write_portal_downloads

__all__ = ["build_portal", "write_portal_downloads"]

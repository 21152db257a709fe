"""The interactive apps served by Voila: the mapping tool and the region explorer.

The notebooks (``notebooks/apps/``) call, in order: ``load_app_data`` (the recipe layer's
values and the map geometry, ``app_data``), ``prepare_mapping_tool`` /
``prepare_region_explorer`` (widgets on the default view), ``resolve_parameters`` (Papermill
or the URL's query string, ``parameters``) and ``show_mapping_tool`` /
``show_region_explorer`` (apply the visitor's parameters, or show one plain message), then
``provenance_html``. Problems reach
the visitor as one sentence, never as a traceback; unexpected errors in callbacks are logged.
"""

from __future__ import annotations

from observatory_lib.products.apps.app_data import MAP_LEVELS, AppData, load_app_data
from observatory_lib.products.apps.mapping_tool import prepare_mapping_tool, show_mapping_tool
from observatory_lib.products.apps.panels import provenance_html
from observatory_lib.products.apps.parameters import AppMessage, resolve_parameters
from observatory_lib.products.apps.region_explorer import (
    prepare_region_explorer,
    show_region_explorer,
)

__all__ = [
    "MAP_LEVELS",
    "AppData",
    "AppMessage",
    "load_app_data",
    "prepare_mapping_tool",
    "prepare_region_explorer",
    "provenance_html",
    "resolve_parameters",
    "show_mapping_tool",
    "show_region_explorer",
]

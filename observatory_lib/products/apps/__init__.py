"""The interactive apps served by Voila: mapping tool, region explorer, sector explorer,
compare regions.

Every app notebook (``notebooks/apps/``) calls, in order: ``load_app_data`` (the prepared
data, ``bundle``), ``prepare_<app>`` (widgets on the default view, before any visitor comes
in a preheated kernel), ``resolve_parameters`` (Papermill or the URL's query string,
``parameters``) and ``show_<app>`` (apply the visitor's parameters, or show one plain
message), then ``provenance_html``. Problems reach the visitor as one sentence, never as a
traceback; unexpected errors in callbacks are logged.

A visitor's kernel imports only this package's slim modules: no pandas, pyarrow, geopandas
or matplotlib (``tests/unit/test_app_bundle.py``). The data are prepared outside it by
``prepare`` (``observatory apps build``).
"""

from __future__ import annotations

from observatory_lib.errors import ObservatoryError
from observatory_lib.products.apps.bundle import AppBundle, in_voila, load_bundle
from observatory_lib.products.apps.compare_regions import prepare_comparison, show_comparison
from observatory_lib.products.apps.mapping_tool import prepare_mapping_tool, show_mapping_tool
from observatory_lib.products.apps.panels import provenance_html
from observatory_lib.products.apps.parameters import AppMessage, resolve_parameters
from observatory_lib.products.apps.region_explorer import (
    prepare_region_explorer,
    show_region_explorer,
)
from observatory_lib.products.apps.sector_explorer import (
    prepare_sector_explorer,
    show_sector_explorer,
)

__all__ = [
    "AppBundle",
    "AppMessage",
    "load_app_data",
    "prepare_comparison",
    "prepare_mapping_tool",
    "prepare_region_explorer",
    "prepare_sector_explorer",
    "provenance_html",
    "resolve_parameters",
    "show_comparison",
    "show_mapping_tool",
    "show_region_explorer",
    "show_sector_explorer",
]


def load_app_data() -> AppBundle | AppMessage:
    """The apps' prepared data for the current store and code.

    In a Voila kernel they are only read (``observatory serve`` prepares them at start-up);
    elsewhere (Papermill, JupyterLab) they are prepared first when missing or out of date.

    Returns:
        The ``AppBundle``, or an ``AppMessage`` naming the problem and its fix.
    """
    try:
        if not in_voila():
            from observatory_lib.products.apps.prepare import ensure_app_bundle

            return load_bundle(ensure_app_bundle())
        return load_bundle()
    except ObservatoryError as error:
        return AppMessage(str(error))

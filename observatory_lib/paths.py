"""Every path the workbook uses, anchored at the project root and overridable by environment.

Notebooks and the CLI take their paths from here and never build them from the working
directory, because Papermill's and Voila's working directories differ between runs.
This module imports nothing else from the package.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(
    os.environ.get("OBSERVATORY_ROOT", Path(__file__).resolve().parent.parent)
).resolve()


def _env_path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser().resolve() if value else default


DATA_DIR = PROJECT_ROOT / "data"
CATALOG_FILE = DATA_DIR / "catalog.yaml"
REFERENCE_DIR = DATA_DIR / "reference"
CACHE_DIR = _env_path("OBSERVATORY_CACHE", DATA_DIR / "cache")
STORE_DIR = _env_path("OBSERVATORY_STORE", DATA_DIR / "store")
OUTPUT_DIR = _env_path("OBSERVATORY_OUTPUTS", PROJECT_ROOT / "outputs")
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
APP_DIR = NOTEBOOK_DIR / "apps"
DOCS_DIR = PROJECT_ROOT / "docs"


def mirror_dir() -> Path | None:
    """The local mirror of upstream files (``OBSERVATORY_MIRROR``), or None when unset.

    Read at call time so that tests and the CLI can point it elsewhere.
    """
    value = os.environ.get("OBSERVATORY_MIRROR")
    return Path(value).expanduser().resolve() if value else None


# The Eurostat dissemination API (SDMX 2.1 data endpoint). Overridable so that tests reach a
# loopback server that serves recorded responses; the real upstream stays the default.
EUROSTAT_API_DEFAULT = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data"


def eurostat_api_url() -> str:
    """The Eurostat API base URL (``OBSERVATORY_EUROSTAT_API``), read at call time."""
    return os.environ.get("OBSERVATORY_EUROSTAT_API", "").strip().rstrip("/") or (
        EUROSTAT_API_DEFAULT
    )


def cache_dir() -> Path:
    """The download cache, honouring a late change of ``OBSERVATORY_CACHE``."""
    return _env_path("OBSERVATORY_CACHE", DATA_DIR / "cache")


def store_dir() -> Path:
    """The store directory, honouring a late change of ``OBSERVATORY_STORE``."""
    return _env_path("OBSERVATORY_STORE", DATA_DIR / "store")


def output_dir() -> Path:
    """The outputs directory, honouring a late change of ``OBSERVATORY_OUTPUTS``."""
    return _env_path("OBSERVATORY_OUTPUTS", PROJECT_ROOT / "outputs")


def region_groups_file() -> Path:
    """The region groups file (``OBSERVATORY_REGION_GROUPS``, else data/region_groups.yaml)."""
    return _env_path("OBSERVATORY_REGION_GROUPS", DATA_DIR / "region_groups.yaml")


def app_data_dir() -> Path:
    """Where the apps' prepared tables and geometry live (``OBSERVATORY_APP_DATA``).

    Default: an ``apps`` folder beside the store directory, so that a test store in a
    temporary folder gets its own prepared app data.
    """
    return _env_path("OBSERVATORY_APP_DATA", store_dir().parent / "apps")


# Browsers a PDF can be printed with, in the order they are looked for on PATH.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_executable() -> Path | None:
    """The Chromium that prints PDFs (``OBSERVATORY_CHROMIUM``, else the first on PATH).

    None when there is none: the renderer then prints with WeasyPrint. A set variable that
    names no file counts as none too, and the renderer says so.
    """
    import shutil

    value = os.environ.get("OBSERVATORY_CHROMIUM", "").strip()
    if value:
        path = Path(value).expanduser()
        return path if path.is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None

"""Render every page of the portal and publish them together, atomically.

All pages are rendered in memory first; then the category pages are written to a staging
folder that replaces ``categories/`` whole, the other pages each atomically, and the index
last, so that a reader never meets a half-written page or a link to a page not yet there.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Sequence
from pathlib import Path

import jinja2

import observatory_lib.products.portal.pages as pages
from observatory_lib import paths
from observatory_lib.files import replace_directory, staging_directory, write_text_atomic
from observatory_lib.products.portal.content import CATEGORIES_DIR

TEMPLATES = Path(__file__).resolve().with_name("templates")
STYLE_SHEET = TEMPLATES / "portal.css"
INDEX = "index.html"


@functools.cache
def environment() -> jinja2.Environment:
    """The templates, HTML-escaped by default; a missing variable is an error, not a blank."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, portal: pages.Portal, context: dict, root: str = "") -> str:
    """One page: ``template`` in the page frame, links relative to ``root``."""
    return environment().get_template(template).render(site=portal.site, root=root, **context)


def render_pages(portal: pages.Portal) -> dict[str, str]:
    """Every page's HTML by its path under the outputs folder (index last)."""
    rendered = {
        f"{CATEGORIES_DIR}/{category.code}.html": render(
            "category.html.j2", portal, pages.category_context(portal, category), "../"
        )
        for category in portal.categories
    }
    rendered["mapping-tool.html"] = render(
        "mapping_tool.html.j2", portal, pages.mapping_context(portal)
    )
    rendered["downloads.html"] = render(
        "downloads.html.j2", portal, pages.downloads_context(portal)
    )
    rendered["sources.html"] = render("sources.html.j2", portal, pages.sources_context(portal))
    rendered["methodology.html"] = render(
        "methodology.html.j2", portal, pages.methodology_context()
    )
    rendered["accessibility.html"] = render(
        "accessibility.html.j2", portal, pages.accessibility_context(portal)
    )
    rendered[INDEX] = render("index.html.j2", portal, pages.index_context(portal))
    return rendered


def publish(output_root: Path, rendered: dict[str, str]) -> Path:
    """Write the pages: ``categories/`` replaced whole, then each page, the index last."""
    staging = staging_directory(output_root, CATEGORIES_DIR)
    prefix = f"{CATEGORIES_DIR}/"
    try:
        for name, text in rendered.items():
            if name.startswith(prefix):
                (staging / name.removeprefix(prefix)).write_text(text, encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it owner-only; published pages are for everyone
        replace_directory(staging, output_root / CATEGORIES_DIR)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it was published
    for name, text in rendered.items():
        if not name.startswith(prefix) and name != INDEX:
            write_text_atomic(output_root / name, text)
    return write_text_atomic(output_root / INDEX, rendered[INDEX])


def build_portal(store, output_root: Path | None = None, apps: Sequence = ()) -> Path:
    """Write the portal for whatever the outputs hold now; returns ``index.html``.

    Args:
        store: the loaded store (``recipes.current_store()``).
        output_root: the outputs folder (default ``paths.output_dir()``).
        apps: the served apps to describe (``runtime.serve.allowed_apps()``: objects with
            ``title``, ``description``, ``route``, ``parameters`` and ``example``); none: the
            page says the server's start page lists them.
    """
    output_root = Path(output_root or paths.output_dir())
    output_root.mkdir(parents=True, exist_ok=True)
    css = STYLE_SHEET.read_text(encoding="utf-8")
    portal = pages.gather(store, output_root, apps, css)
    return publish(output_root, render_pages(portal))

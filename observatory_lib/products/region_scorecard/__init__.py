"""The region scorecard (``notebooks/region_scorecard.ipynb``): one region on a few pages.

The notebook calls ``build`` (a region's ``build_scorecard``, numbers and text, ``card``; or a
region group's ``build_group_scorecard``, ``groups``), ``scorecard_images`` (the figures,
``figures``), the published parts ``opening``, ``maps``, ``clusters``, ``change_over_time``,
``opportunities`` (where next), ``ecosystem``, ``policy_dashboard`` and ``closing`` of its
``document`` (``publication``), and
``write_scorecard_files`` (``files``);
``Scorecard.record`` is the JSON twin the batch writes beside the HTML and PDF.
"""

from __future__ import annotations

from observatory_lib.indicators import recipes
from observatory_lib.products.kit import figure_layers
from observatory_lib.products.kit.labels import stars_text
from observatory_lib.products.region_scorecard.card import Scorecard, build_scorecard
from observatory_lib.products.region_scorecard.figures import (
    ScorecardImage,
    image_output,
    scorecard_images,
    section_output,
    table_html,
)
from observatory_lib.products.region_scorecard.files import write_scorecard_files
from observatory_lib.products.region_scorecard.groups import build_group_scorecard
from observatory_lib.products.region_scorecard.parameters import coerce_peers, coerce_year
from observatory_lib.products.region_scorecard.publication import (
    change_over_time,
    closing,
    clusters,
    document,
    ecosystem,
    maps,
    opening,
    opportunities,
    policy_dashboard,
)

__all__ = [
    "Scorecard",
    "ScorecardImage",
    "build",
    "build_group_scorecard",
    "build_scorecard",
    "change_over_time",
    "clear_cache",
    "closing",
    "clusters",
    "coerce_peers",
    "coerce_year",
    "document",
    "ecosystem",
    "image_output",
    "maps",
    "opening",
    "opportunities",
    "policy_dashboard",
    "scorecard_images",
    "section_output",
    "stars_text",
    "table_html",
    "write_scorecard_files",
]


def build(store, region_code: str = "", *, group_code: str = "", **parameters) -> Scorecard:
    """The scorecard of a region, or of a region group when ``group_code`` is given.

    ``parameters`` are those of ``build_scorecard`` (year, star_preset, peers,
    framework_variant, n_draws, seed); a group ignores its peers, draws and seed.
    """
    if str(group_code or "").strip():
        return build_group_scorecard(store, str(group_code).strip(), **parameters)
    return build_scorecard(store, region_code, **parameters)


def clear_cache() -> None:
    """Forget every kept table and figure background (tests prove cache independence)."""
    recipes.clear_cache()
    figure_layers.clear()

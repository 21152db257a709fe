"""The region scorecard (``notebooks/region_scorecard.ipynb``): one region on a few pages.

The notebook calls ``build_scorecard`` (numbers and text, ``card``), ``scorecard_images``
(the figures, ``figures``), the published parts ``opening``, ``maps``, ``clusters``,
``change_over_time``, ``ecosystem`` and ``closing`` of its ``document`` (``publication``), and
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
from observatory_lib.products.region_scorecard.parameters import coerce_peers, coerce_year
from observatory_lib.products.region_scorecard.publication import (
    change_over_time,
    closing,
    clusters,
    document,
    ecosystem,
    maps,
    opening,
)

__all__ = [
    "Scorecard",
    "ScorecardImage",
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
    "scorecard_images",
    "section_output",
    "stars_text",
    "table_html",
    "write_scorecard_files",
]


def clear_cache() -> None:
    """Forget every kept table and figure background (tests prove cache independence)."""
    recipes.clear_cache()
    figure_layers.clear()

"""The scorecard's own files beside the batch's outputs: its cluster table and figure PNGs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from observatory_lib import paths
from observatory_lib.files import write_bytes_atomic
from observatory_lib.products.region_scorecard.card import Scorecard
from observatory_lib.products.region_scorecard.figures import ScorecardImage


def write_scorecard_files(
    card: Scorecard,
    output_dir: str | os.PathLike[str],
    images: Mapping[str, ScorecardImage],
) -> list[Path]:
    """Write the cluster tables (CSV with provenance) and the figures' PNGs into ``output_dir``.

    Files: ``<region>_clusters.csv`` (the top traded categories and the emerging industries),
    ``<region>_clusters_panel.csv`` (every cluster indicator of the region per category and
    year, a long panel) and ``<region>_<figure>.png``. An empty ``output_dir`` writes nothing
    (the notebook's default); a relative one is placed under ``paths.output_dir()``, never
    the working directory. Every file is written atomically.

    Returns:
        The written paths.
    """
    from observatory_lib.products.kit.downloads import write_table

    if not str(output_dir).strip():
        return []
    directory = Path(output_dir).expanduser()
    if not directory.is_absolute():
        directory = paths.output_dir() / directory
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    clusters = [frame for frame in (card.portfolio, card.emerging) if not frame.empty]
    if clusters:
        written += write_table(
            pd.concat(clusters, ignore_index=True),
            directory / f"{card.region_code}_clusters",
            title=f"Cluster portfolio of {card.header['region_name']} ({card.region_code}), "
            f"{card.header['year']}",
            sources=card.sources.to_dict("records"),
            formats=("csv",),
        )
    if not card.panel.empty:
        written += write_table(
            card.panel,
            directory / f"{card.region_code}_clusters_panel",
            title=f"Cluster indicators of {card.header['region_name']} ({card.region_code}) by "
            "category and year, a long panel (region, category, year, indicator)",
            sources=card.sources.to_dict("records"),
            formats=("csv",),
        )
    for name, image in sorted(images.items()):
        if image.png is not None:
            target = directory / f"{card.region_code}_{name}.png"
            write_bytes_atomic(target, image.png)
            written.append(target)
    return written

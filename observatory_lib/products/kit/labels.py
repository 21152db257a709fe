"""How ratings read in every product: stars as symbols."""

from __future__ import annotations

from typing import Any

import pandas as pd

from observatory_lib.products.kit.map_styles import NOT_AVAILABLE


def stars_text(
    stars: Any, out_of: Any = None, n_missing: Any = 0, unrated: str = NOT_AVAILABLE
) -> str:
    """Stars as symbols: ``★★☆`` is 2 of 3 criteria met.

    Criteria whose metric is missing for the cluster are not drawn as empty stars but named:
    ``☆ (+2 not available)``. An unrated cluster reads ``unrated`` ("not available").
    """
    if stars is None or pd.isna(stars):
        return unrated
    total = int(out_of) if out_of is not None and not pd.isna(out_of) else int(stars)
    missing = 0 if n_missing is None or pd.isna(n_missing) else int(n_missing)
    symbols = "★" * int(stars) + "☆" * max(total - missing - int(stars), 0)
    return f"{symbols} (+{missing} {NOT_AVAILABLE})" if missing else symbols

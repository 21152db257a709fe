"""How things read in every product: the one label table, and stars as symbols.

``COLUMN_LABELS`` gives every column a publication may show its human label, its unit and
how its numbers are written. A table header is never a data column's name: products pass
column names, ``label_for`` turns them into headers, and a test checks that every published
table's header row comes from here. Add a column here before showing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from observatory_lib.constants import EU_LABEL

# How running text, tooltips and cards write a value that is missing (never 0).
NOT_AVAILABLE = "not available"


@dataclass(frozen=True)
class ColumnLabel:
    """A column as readers see it.

    Attributes:
        label: the header, in sentence case, without the unit.
        unit: the unit shown in brackets after the label ("" for none).
        kind: how values are written: ``text``, ``code``, ``count`` (whole numbers),
            ``number`` (``decimals`` places), ``percent`` (0-100, written ``23.4%``),
            ``growth`` (a signed percentage, ``+2.1%``), ``signed`` (a signed whole number,
            ``+1 250``),
            ``share`` (0-1, written as a percentage), ``stars``, ``year``, ``rank``, ``flag``
            (yes/no) or ``formatted`` (text written already, aligned as a number).
        decimals: decimal places for ``number``, ``percent`` and ``share``.
    """

    label: str
    unit: str = ""
    kind: str = "text"
    decimals: int = 0

    @property
    def header(self) -> str:
        """The column header: ``Employment (persons)``; the unit never breaks across lines."""
        if not self.unit:
            return self.label
        # a no-break space for spaces and a word joiner after a dash ("0–100", "EU-28 = 100")
        unit = self.unit.replace(" ", "\u00a0").replace("–", "–\u2060").replace("-", "-\u2060")
        return f"{self.label} ({unit})"


_L = ColumnLabel
COLUMN_LABELS: dict[str, ColumnLabel] = {
    # regions and categories
    "region": _L("Region", kind="text"),
    "region_code": _L("NUTS code", kind="code"),
    "region_name": _L("Region", kind="text"),
    "country": _L("Country", kind="text"),
    "country_code": _L("Country code", kind="code"),
    "country_name": _L("Country", kind="text"),
    "nuts_level": _L("NUTS level", kind="year"),
    "year": _L("Year", kind="year"),
    "category": _L("Cluster category", kind="text"),
    "category_code": _L("Category code", kind="code"),
    "category_name": _L("Cluster category", kind="text"),
    "category_type": _L("Type", kind="text"),
    "leading_region": _L("Leading region", kind="text"),
    "leading_region_code": _L("Leading region", kind="code"),
    "leading_region_stars": _L("Stars of the leading region", kind="stars"),
    # cluster figures
    "employment_persons": _L("Employment", "persons", "count"),
    "region_employment_persons": _L("Employment in the business economy", "persons", "count"),
    "starred_employment_persons": _L("Employment in starred clusters", "persons", "count"),
    "starred_employment_share_pct": _L(
        "Share of employment in starred clusters", "%", "percent", 1
    ),
    "size_share": _L("Share of European employment in the category", "%", "share", 2),
    "size_rank": _L("Rank by size", kind="rank"),
    "lq": _L("Location quotient", kind="number", decimals=2),
    "focus_share": _L("Share of the region's employment", "%", "share", 2),
    "stars": _L("Stars", kind="stars"),
    "wage_per_employee_eur": _L("Wages and salaries per person employed", "EUR", "count"),
    "employment_growth_pct": _L("Employment growth per year", "%", "growth", 1),
    # change over time (issue 12): wages, local units, growth, shift-share, stars in two years
    "wages_eur": _L("Wages and salaries", "EUR", "count"),
    "relative_wage_index": _L("Relative wage per person employed", "Europe = 100", "number", 0),
    "local_units": _L("Local units", kind="count"),
    "persons_per_local_unit": _L("Persons employed per local unit", kind="number", decimals=1),
    "growth_base_year": _L("Growth measured from", kind="year"),
    "growth_spans_break": _L("Growth spans a series break", kind="flag"),
    "flag": _L("Eurostat flag", kind="code"),
    "is_apportioned": _L("Apportioned from another NUTS edition", kind="flag"),
    "start_year": _L("First year", kind="year"),
    "end_year": _L("Last year", kind="year"),
    "employment_start": _L("Employment, first year", "persons", "count"),
    "employment_end": _L("Employment, last year", "persons", "count"),
    "employment_cagr_pct": _L("Employment growth per year", "%", "growth", 1),
    "employment_index": _L("Employment", "first year = 100", "number", 1),
    "actual_change": _L("Employment change", "persons", "signed"),
    "expected_change": _L("Change expected from Europe", "persons", "signed"),
    "european_growth_component": _L("European growth", "persons", "signed"),
    "category_mix_component": _L("Category mix", "persons", "signed"),
    "regional_component": _L("Jobs vs expected", "persons", "signed"),
    "n_regions_growing": _L("Regions growing", kind="count"),
    "n_regions_compared": _L("Regions compared", kind="count"),
    "n_stars_gained": _L("Clusters gaining stars", kind="count"),
    "n_stars_lost": _L("Clusters losing stars", kind="count"),
    "n_kept": _L("Clusters keeping their stars", kind="count"),
    "n_across_break": _L("Clusters across a series break", kind="count"),
    "stars_change": _L("Stars, first and last year", kind="formatted"),
    "transition": _L("Star transition", kind="text"),
    "criteria_gained": _L("Criteria gained", kind="text"),
    "criteria_lost": _L("Criteria lost", kind="text"),
    "stars_out_of": _L("Criteria counted", kind="count"),
    "rank": _L("Rank", kind="rank"),
    "rank_in_category": _L("Rank in the category", kind="rank"),
    "n_regions": _L("Regions", kind="count"),
    "n_regions_with_total": _L("Regions with a known total", kind="count"),
    "n_regions_rated": _L("Regions rated", kind="count"),
    "n_regions_with_data": _L("Regions with data", kind="count"),
    "n_clusters_rated": _L("Clusters rated", kind="count"),
    "n_starred_clusters": _L("Clusters with at least one star", kind="count"),
    "n_clusters_with_all_stars": _L("Clusters with every star", kind="count"),
    "n_starred_regions": _L("Regions with at least one star", kind="count"),
    "is_small_base": _L("Small base (below 1 000 persons)", kind="flag"),
    "has_confidential_cells": _L("Estimated from suppressed cells", kind="flag"),
    "data_note": _L("Data note", kind="text"),
    # star rules and their sensitivity
    "criterion": _L("Criterion", kind="text"),
    "metric": _L("Metric", kind="text"),
    "rule_text": _L("Rule", kind="text"),
    "cutoff_text": _L("Rule", kind="text"),
    "cutoff": _L("Cut-off", kind="number", decimals=2),
    "is_verified": _L("Threshold verified in a source", kind="flag"),
    "is_preset_cutoff": _L("The rule set's cut-off", kind="flag"),
    "note": _L("Note", kind="text"),
    "n_rated": _L("Clusters rated", kind="count"),
    "n_gain": _L("Clusters gaining a star", kind="count"),
    "n_lose": _L("Clusters losing a star", kind="count"),
    "n_criterion_pass": _L("Clusters meeting the criterion", kind="count"),
    "n_starred": _L("Clusters with at least one star", kind="count"),
    # composition and overlap
    "nace_class": _L("NACE class", kind="code"),
    "title": _L("Activity", kind="text"),
    "nace_code": _L("NACE division", kind="code"),
    "nace_section": _L("NACE section", kind="code"),
    "allocation_share": _L("Share of the division allocated to the class", "%", "share", 1),
    "allocated_share": _L("Share of the division allocated to the category", "%", "share", 1),
    "is_in_sbs_scope": _L("Covered by regional SBS", kind="flag"),
    "n_classes_in_category": _L("Classes in the category", kind="count"),
    "n_classes_in_division": _L("Classes in the division", kind="count"),
    "n_shared_classes": _L("Shared NACE classes", kind="count"),
    "shared_classes": _L("Classes shared", kind="text"),
    "shared_share_of_category": _L("Share of this category's classes", "%", "share", 0),
    "shared_share_of_other": _L("Share of the other category's classes", "%", "share", 0),
    # concentration
    "measure": _L("Measure", kind="text"),
    "value": _L("Value", kind="number", decimals=2),
    "value_text": _L("Value", kind="formatted"),
    # scoreboard
    "rank_europe": _L("Rank in Europe", kind="rank"),
    "rank_country": _L("Rank in the country", kind="rank"),
    "score": _L("Score", "0–100", "number", 1),
    "relative_to_eu": _L(f"Relative to the {EU_LABEL} average", f"{EU_LABEL} = 100", "number", 0),
    "performance_group": _L("Performance group", kind="text"),
    "relative_to_eu_range": _L(f"Relative to the {EU_LABEL} average", f"{EU_LABEL} = 100", "text"),
    "rank_median": _L("Median rank over the draws", kind="rank"),
    "rank_p05": _L("Rank interval, from", kind="rank"),
    "rank_p95": _L("Rank interval, to", kind="rank"),
    "rank_interval": _L("Rank interval (5–95% of draws)", kind="text"),
    "group_stability": _L("Draws keeping the group", "%", "share", 0),
    "indicator": _L("Indicator", kind="text"),
    "indicator_code": _L("Indicator code", kind="code"),
    "label": _L("Indicator", kind="text"),
    "dimension": _L("Dimension", kind="text"),
    "node": _L("Part of the index", kind="text"),
    "node_type": _L("Level of the index", kind="text"),
    "target_year": _L("Reference year", kind="year"),
    "max_lag": _L("Earlier years allowed", kind="count"),
    "n_regions_with_value": _L("Regions with a value", kind="count"),
    "n_fallbacks": _L("Regions using an earlier year", kind="count"),
    "years_used": _L("Years used (regions)", kind="text"),
    "n_regions_scored": _L("Regions scored", kind="count"),
    "mean_coverage_share": _L("Mean coverage of the parts", "%", "share", 0),
    # the datasets behind a publication (its methods and sources)
    "dataset": _L("Dataset", kind="text"),
    "provider": _L("Provider", kind="text"),
    "online_data_code": _L("Online data code", kind="code"),
    "vintage": _L("Vintage", kind="text"),
    "nuts_edition": _L("NUTS edition", kind="year"),
    # the region scorecard: the region beside its peers and the EU; cells written already
    # where one column mixes units (key facts)
    "region_value": _L("Region", kind="formatted"),
    "peer_value": _L("Peer average", kind="formatted"),
    "eu_value": _L(f"{EU_LABEL} average", kind="formatted"),
    "region_relative_to_eu": _L("Region", f"{EU_LABEL} = 100", "number", 0),
    "stars_symbols": _L("Stars", kind="formatted"),
    "assessment": _L("Assessment", kind="text"),
    "region_score": _L("Score", "0–100", "number", 1),
    "peer_average_score": _L("Peer average", "0–100", "number", 1),
    "eu_average_score": _L(f"{EU_LABEL} average", "0–100", "number", 1),
    "difference": _L("Difference", "points", "formatted"),
}
del _L

STAR, EMPTY_STAR = "★", "☆"


def label_for(column: str) -> ColumnLabel:
    """The label of ``column``.

    Raises:
        KeyError: the column has no label; add it to ``COLUMN_LABELS`` (a data column's name
            is never printed as a header).
    """
    try:
        return COLUMN_LABELS[column]
    except KeyError:
        raise KeyError(
            f"Column {column!r} has no label; add it to COLUMN_LABELS in "
            "observatory_lib/products/kit/labels.py before publishing it."
        ) from None


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
    symbols = STAR * int(stars) + EMPTY_STAR * max(total - missing - int(stars), 0)
    return f"{symbols} (+{missing} {NOT_AVAILABLE})" if missing else symbols

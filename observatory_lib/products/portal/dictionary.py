"""The data dictionary of the downloads: what each column of a file holds, in words.

Labels and units come from the one label table (``kit.labels.COLUMN_LABELS``). Columns that
only the downloads carry (codes, statuses, intermediate values of the star rating and of the
scoreboard) are described here, in ``PORTAL_COLUMNS``; the per-criterion columns of the
star rating (``size_value``, ``size_threshold``, ``size_pass``, ...) are described by pattern.
A column described nowhere reads "not described yet", so a new column shows up as such
instead of being skipped.

The dictionary describes the file, not a report: a share is a fraction of 1 in the file
(reports print it as a percentage), a missing value is an empty cell (CSV, XLSX) or null
(Parquet, GeoJSON), never 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from observatory_lib.products.kit.labels import COLUMN_LABELS, ColumnLabel

NOT_DESCRIBED = "not described yet"

# How a file writes the values of each kind of the label table.
VALUES_BY_KIND = {
    "text": "text",
    "code": "code",
    "count": "whole number",
    "rank": "rank (1 is the first)",
    "number": "decimal number",
    "percent": "percent, 0 to 100",
    "share": "fraction of 1 (0.234 is 23.4%)",
    "stars": "whole number of stars",
    "year": "year",
    "flag": "true or false",
    "formatted": "text (a number written out)",
    "growth": "percent, signed",
    "signed": "whole number, signed",
}


@dataclass(frozen=True)
class ColumnEntry:
    """One row of a data dictionary."""

    column: str
    label: str
    unit: str
    values: str
    description: str = ""


_L = ColumnLabel
# Columns that only the downloads carry or only the portal shows, with a description.
PORTAL_COLUMNS: dict[str, tuple[ColumnLabel, str]] = {
    "dataset_code": (_L("Dataset code", kind="code"), "Eurostat online data code of the source"),
    "rule_set": (_L("Star rule set", kind="code"), "the star rule set applied"),
    "stars_basis": (_L("Criteria counted", kind="text"), "which star criteria were counted"),
    "n_criteria_missing": (
        _L("Criteria not available", kind="count"),
        "criteria of the rule set whose metric is missing for this cluster",
    ),
    "is_derived_by_allocation": (
        _L("Derived by allocation", kind="flag"),
        "employment estimated from NACE divisions split equally among their classes",
    ),
    "is_in_reference_set": (
        _L("In the European reference set", kind="flag"),
        "the region counts in the European totals that shares and ranks compare with",
    ),
    "n_divisions": (_L("NACE divisions used", kind="count"), "divisions the category draws on"),
    "n_divisions_missing": (
        _L("NACE divisions not available", kind="count"),
        "divisions whose employment is missing (suppressed and not estimable)",
    ),
    "productivity_status": (
        _L("Wages per person employed: availability", kind="text"),
        "whether the wage metric is available, and why not",
    ),
    "dynamism_status": (
        _L("Employment growth: availability", kind="text"),
        "whether employment growth is available, and why not",
    ),
    "growth_base_year": (_L("Base year of the growth", kind="year"), ""),
    "n_starred_traded_clusters": (
        _L("Starred traded clusters", kind="count"),
        "traded clusters of the region with at least one star",
    ),
    "rule": (
        _L("Rule", kind="code"),
        "top_share: in the top share of regions; threshold: at or above the cut-off",
    ),
    "n_keep": (_L("Clusters keeping the star", kind="count"), ""),
    "is_reference": (
        _L("In the reference set", kind="flag"),
        "the region's country is one of the EU-28 countries that define the EU average",
    ),
    "n_indicators": (_L("Indicators with a value", kind="count"), ""),
    "lag_years": (
        _L("Years before the reference year", kind="count"),
        "how much older the value used is than the reference year",
    ),
    "indicator_label": (_L("Indicator", kind="text"), ""),
    "dimension_code": (_L("Dimension code", kind="code"), "dimension of the scoreboard"),
    "dimension_label": (_L("Dimension", kind="text"), ""),
    "subdimension_code": (_L("Sub-dimension code", kind="code"), ""),
    "transformed": (
        _L("Transformed value", kind="number", decimals=2),
        "the value after the framework's transformation (logarithm or square root for "
        "skewed indicators, otherwise the value itself)",
    ),
    "normalised": (
        _L("Normalised value", kind="number", decimals=2),
        "the transformed value rescaled, 0 to 1 over the reference regions' range",
    ),
    "is_capped": (
        _L("Outlier capped", kind="flag"),
        "the value was capped as an outlier before normalisation",
    ),
    "measure_code": (_L("Measure code", kind="code"), ""),
    "unit": (_L("Unit", kind="code"), "unit of the value column"),
    "nuts_editions": (
        _L("NUTS edition", kind="text"),
        "the NUTS edition(s) a source's codes follow, as listed in its provenance",
    ),
    # change over time (shift-share, star transitions)
    "european_growth_pct": (
        _L("European growth over the window", "%", "percent", 2),
        "growth of all traded clusters' employment in the reference regions, first to last year",
    ),
    "category_growth_pct": (
        _L("Category growth in Europe over the window", "%", "percent", 2),
        "growth of the category's employment in the reference regions, first to last year",
    ),
    "regional_growth_pct": (
        _L("Regional growth over the window", "%", "percent", 2),
        "growth of this regional cluster's employment, first to last year",
    ),
    "spans_break": (
        _L("Spans a series break", kind="flag"),
        "a series break (Eurostat flag b, or d in some years only) lies between the two "
        "years: the change is not computed",
    ),
    "status": (
        _L("Status of the change", kind="text"),
        "available, or why the change is not computed (series break, estimate, missing year)",
    ),
    "stars_start": (_L("Stars in the first year", kind="stars"), "on the criteria compared"),
    "stars_end": (_L("Stars in the last year", kind="stars"), "on the criteria compared"),
    "stars_compared_out_of": (
        _L("Criteria compared", kind="count"),
        "star criteria that could be judged in both years",
    ),
    "criteria_compared": (
        _L("Criteria compared", kind="text"),
        "names of the star criteria judged in both years",
    ),
    "indicator_code": (
        _L("Indicator code", kind="code"),
        "the indicator of the row (employment_persons, wages_eur, lq, stars, ...)",
    ),
    "geometry": (
        _L("Boundary", kind="text"),
        "the region's polygon (WGS 84 longitude and latitude, simplified)",
    ),
}
del _L

# What the main columns of the label table mean, for readers of the files.
DESCRIPTIONS = {
    "employment_persons": "persons employed (SBS), allocated to the category from NACE divisions",
    "size_share": "the region's share of the category's employment in Europe",
    "size_rank": "the region's rank by employment in the category, in Europe",
    "lq": "location quotient: the category's share of the region's employment divided by its "
    "share of European employment (1 = as in Europe)",
    "focus_share": "the category's share of the region's employment",
    "stars": "star criteria met (★ per criterion); missing where none could be evaluated",
    "stars_out_of": "star criteria that could be evaluated at this level and year",
    "is_small_base": "the cluster employs fewer than 1 000 persons: its ratios are fragile",
    "has_confidential_cells": "some of its SBS cells were suppressed and are estimated",
    "score": "0 to 100 over the reference regions' range",
    "relative_to_eu": "the score relative to the EU-28 average (EU-28 = 100)",
    "performance_group": "Leader (125 or more), Strong (100 to 125), Moderate (70 to 100) or "
    "Emerging (below 70), relative to the EU-28 average",
    "rank_median": "median rank over 1 000 draws of weights, normalisation and aggregation",
    "rank_p05": "5th percentile of the rank over the draws",
    "rank_p95": "95th percentile of the rank over the draws",
    "group_stability": "share of the draws in which the region keeps its performance group",
    "region_employment_persons": "the region's employment in the SBS scope, the denominator "
    "of location quotients",
    "vintage": "release or extraction date of the file used",
    "wages_eur": "wages and salaries (SBS, V13320), allocated to the category from NACE divisions",
    "wage_per_employee_eur": "wages and salaries divided by persons employed: a productivity proxy",
    "relative_wage_index": "wage per person employed against the category's European average "
    "(= 100)",
    "local_units": "local units (SBS, V11210), allocated to the category from NACE divisions",
    "persons_per_local_unit": "persons employed divided by local units",
    "employment_growth_pct": "compound annual growth of employment over the growth window "
    "ending in the year; not computed across a series break",
    "employment_cagr_pct": "compound annual growth of employment from the first to the last "
    "year of the window",
    "flag": "Eurostat's flags of the cell: b break in series, c confidential, d definition "
    "differs, e estimated",
    "is_apportioned": "the figure was apportioned from NUTS 2013 regions by 2011 population "
    "(JRC NUTS converter matrices) because the region was split or re-bounded",
    "actual_change": "employment change from the first to the last year (persons)",
    "european_growth_component": "the change the cluster would have had at Europe's overall growth",
    "category_mix_component": "the extra change of its category's European growth over "
    "Europe's overall growth",
    "regional_component": "the actual change minus the two others: jobs created beyond (or "
    "below) the expected; the three add up to the actual change",
    "expected_change": "European growth plus category mix components",
    "transition": "gained, lost or kept (star count on the criteria compared)",
}
# Kinds that the label table uses for formatting but that mean something else in a file.
VALUES_BY_COLUMN = {
    "nuts_level": "whole number, 0 (countries) to 3",
    "nuts_edition": "year of the NUTS edition",
}

# Per-criterion columns of the star rating: <criterion>_value, _threshold, _pass.
_CRITERION_COLUMN = re.compile(r"^(?P<criterion>[a-z]+)_(?P<part>value|threshold|pass)$")
_CRITERION_PARTS = {
    "value": ("{Criterion} criterion: metric", "number", "the metric the criterion tests"),
    "threshold": (
        "{Criterion} criterion: threshold applied",
        "number",
        "the threshold the metric was compared with",
    ),
    "pass": (
        "{Criterion} criterion met",
        "flag",
        "true where the criterion gives a star; empty where its metric is missing",
    ),
}


def column_label(column: str) -> tuple[ColumnLabel, str] | None:
    """The label of ``column`` and its description: the label table first, then the
    portal's own, then the star rating's per-criterion pattern; None when described nowhere."""
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column], DESCRIPTIONS.get(column, "")
    if column in PORTAL_COLUMNS:
        return PORTAL_COLUMNS[column]
    if match := _CRITERION_COLUMN.match(column):
        template, kind, description = _CRITERION_PARTS[match["part"]]
        name = template.format(Criterion=match["criterion"].capitalize())
        return ColumnLabel(name, kind=kind, decimals=2), description
    return None


def describe_column(column: str) -> ColumnEntry:
    """The dictionary row of ``column`` ("not described yet" when described nowhere)."""
    found = column_label(column)
    if found is None:
        return ColumnEntry(column, NOT_DESCRIBED, "", "", "")
    label, description = found
    return ColumnEntry(
        column=column,
        label=label.label,
        unit=_file_unit(label),
        values=VALUES_BY_COLUMN.get(column, VALUES_BY_KIND.get(label.kind, label.kind)),
        description=description,
    )


def _file_unit(label: ColumnLabel) -> str:
    # a share column holds fractions of 1 in the file, whatever the reports print
    return "" if label.kind == "share" else label.unit


def header_for(column: str) -> str:
    """A table header of the portal: the label table's, else the portal's own.

    Raises:
        KeyError: the column is described nowhere (add it to ``PORTAL_COLUMNS``).
    """
    found = column_label(column)
    if found is None:
        raise KeyError(f"Column {column!r} has no label; add it to PORTAL_COLUMNS in {__name__}.")
    return found[0].header


def dictionary(columns: list[str]) -> list[ColumnEntry]:
    """The dictionary rows of ``columns``, in the file's order."""
    return [describe_column(column) for column in columns]


def undescribed(columns: list[str]) -> list[str]:
    """The columns that have no description anywhere."""
    return [c for c in columns if describe_column(c).label == NOT_DESCRIBED]

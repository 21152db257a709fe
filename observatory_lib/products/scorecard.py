"""Region scorecards: everything one region's scorecard shows, as plain frames and dicts.

``build_scorecard(store, region_code, ...)`` returns a :class:`Scorecard` with the header, key
facts against the EU-28 and the peers, the cluster portfolio (top traded categories with stars)
and the emerging industries, the ecosystem scoreboard (dimension scores against the peers and
the EU-28, strengths and weaknesses, rank and its 5-95 % interval), the region's strongest
category (for the European map), the provenance footer and a methods note. ``Scorecard.record``
is the strict-JSON twin of every headline number with the parameters used; the notebook
``notebooks/region_scorecard.ipynb`` publishes it and the batch writes it next to the HTML/PDF.

Speed: the batch runs ~300 regions in one warm kernel per worker, so the Europe-wide
computations (cluster indicators and stars, the scoreboard, the Monte Carlo rank intervals,
the key-fact table, the map geometries) are computed once per process and cached, keyed by the
store version and the parameters that shape them; ``load_cached_store`` keeps the loaded store
too. A warm region then costs ~0.1-0.2 s of computation. Everything cached is deterministic
(the rank draws are seeded), so a scorecard never depends on what ran before it.

Definitions (also printed in the methods note):

- **Key facts.** A region's value of ``year``, else its latest value up to
  ``KEY_FACT_MAX_LAG`` years earlier (the year used is shown). The EU-28 average is the
  unweighted mean over the EU-28 regions of the same NUTS level (NUTS 2016) with a value,
  selected by the same rule; the peer average is the unweighted mean over the peers with a
  value. For "GDP per inhabitant, % of the EU average" the EU value is 100 by definition.
- **Scoreboard.** ``compute_scoreboard`` on the context indicators plus the cluster structure
  indicators (``compute_structural_indicators``), with the EU-28 regions as the reference set
  (so the EU average is the EU-28 mean profile), the framework's reference-year rules and the
  chosen weight variant. Strengths and weaknesses: ``peers.compare_with_peers`` (score at
  least 10 points above or below the peer average); without peers with data, against the
  EU-28 average with the same threshold.
- **Missing stays missing.** Every missing number reads "not available" in the tables, is
  ``null`` in the record and is drawn in the no-data colour on the maps; never 0.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import re
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from observatory_lib import paths
from observatory_lib.data.nuts import check_region_code
from observatory_lib.data.store import Store, current_version, load_store
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.indicators.clusters import (
    compute_cluster_indicators,
    compute_structural_indicators,
    reference_set_description,
)
from observatory_lib.indicators.framework import Framework, load_framework
from observatory_lib.indicators.panorama import category_view, region_portfolio
from observatory_lib.indicators.peers import (
    DEFAULT_STRENGTH_THRESHOLD,
    DEFAULT_STRUCTURAL,
    check_peers,
    compare_with_peers,
    default_peers,
)
from observatory_lib.indicators.scoreboard import (
    EU28_COUNTRIES,
    ScoreboardResult,
    compute_scoreboard,
)
from observatory_lib.indicators.stars import StarRuleSet, load_star_preset, rate_stars
from observatory_lib.indicators.uncertainty import simulate_rank_uncertainty
from observatory_lib.products import figure_layers
from observatory_lib.products.map_styles import NOT_AVAILABLE, format_value, unit_label
from observatory_lib.products.provenance import (
    PRODUCT_SOURCES,
    provenance_markdown,
    provenance_table,
    select_sources,
)
from observatory_lib.products.records import to_strict_json

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RECORD_SCHEMA = "observatory.scorecard/1"
STATISTICS_EDITION = 2016
DEFAULT_YEAR = 2015
DEFAULT_STAR_PRESET = "eco2008"
DEFAULT_VARIANT = "default"
DEFAULT_DRAWS = 500
DEFAULT_SEED = 0
N_TOP_CATEGORIES = 10
N_STRENGTHS = 5
KEY_FACT_MAX_LAG = 3
EU_COUNTRIES = EU28_COUNTRIES
EU_LABEL = "EU-28"
SOURCES = PRODUCT_SOURCES["scoreboard"]
# The footer also names the cluster definitions: the portfolio and the stars rest on them.
FOOTER_SOURCES = (*SOURCES, "eco_")
DEFAULT_PEERS_WORDS = frozenset({"", "default", "none"})
_CODE_TEXT = re.compile(r"[A-Z0-9]+")
RANK_PERCENTILES = (5.0, 95.0)
_CACHE_SIZE = 256  # a few Europe-wide tables per level and preset, one map per category
_IMAGE_DPI = 100
# The two maps sit side by side at half the page width: the batch prints ~300 PDFs, and
# WeasyPrint's time grows with what it lays out and the pixels it re-encodes. The category
# map is read region by region, so it gets more pixels than the locator, which only shows
# where the region is.
MAP_WIDTH_INCHES = 3.5
# A tall frame (the locator zoomed on Guadeloupe) is narrowed rather than made taller.
_MAP_MAX_HEIGHT_INCHES = 3.0
_MAP_DPI = {"locator": 90, "category_map": 120}
_MAP_TITLE_POINTS = 9
_MAP_TITLE_CHARACTERS = 44  # about what fits in one line of the map's width
_MAP_TITLE_PADDING = 4 / 72  # inches above and below the title


@dataclasses.dataclass(frozen=True)
class KeyFactSpec:
    """One key fact: a context indicator, the unit to print it in, a fixed EU value if any."""

    indicator_code: str
    display_unit: str
    eu_value: float | None = None


KEY_FACTS = (
    KeyFactSpec("population_persons", "persons"),
    KeyFactSpec("gdp_pps_per_hab", "pps_per_hab"),
    KeyFactSpec("gdp_pps_per_hab_pct_eu", "index_eu_100", eu_value=100.0),
    KeyFactSpec("unemployment_rate_pct", "pct"),
    KeyFactSpec("rd_intensity_pct_gdp", "pct_gdp"),
    KeyFactSpec("tertiary_share_employment_pct", "pct"),
)

KEY_FACT_COLUMNS = [
    "indicator_code",
    "label",
    "unit",
    "year",
    "value",
    "flag",
    "peer_average",
    "n_peers_with_data",
    "eu_average",
    "n_eu_regions",
    "relative_to_eu",
]
PORTFOLIO_COLUMNS = [
    "rank",
    "category_code",
    "category_name",
    "category_type",
    "stars",
    "stars_out_of",
    "n_criteria_missing",
    "lq",
    "size_share",
    "size_rank",
    "focus_share",
    "employment_persons",
    "has_confidential_cells",
    "is_small_base",
    "data_note",
]
DIMENSION_COLUMNS = [
    "node_type",
    "node_code",
    "label",
    "region_score",
    "peer_average_score",
    "eu_average_score",
    "relative_to_eu",
    "difference_to_peers",
    "assessment",
    "n_peers_with_data",
]
INDICATOR_COLUMNS = [
    "indicator_code",
    "label",
    "dimension_code",
    "region_value",
    "peer_average_value",
    "eu_average_value",
    "region_score",
    "peer_average_score",
    "eu_average_score",
    "difference",
    "assessment",
]


# --------------------------------------------------------------------------------------------
# Parameters (Papermill passes `-p peers DE12,DE13` as a string)


def coerce_peers(value: Any) -> list[str]:
    """Peer codes from a notebook or CLI parameter; an empty list means "the default peers".

    Accepted: a list or tuple of codes; a comma- and/or space-separated string
    (``"DE12,DE13"``, ``"DE12 DE13"``); a JSON list string (``'["DE12", "DE13"]'``); and
    ``None``, ``""``, ``"default"`` or ``[]`` for the default peers. Codes are stripped and
    upper-cased; whether they exist is checked later against the store.

    Raises:
        ObservatoryError: any other type, or a list holding something else than strings.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return _peers_from_text(value)
    if isinstance(value, list | tuple):
        return _peer_items(value, value)
    raise ObservatoryError(_peers_type_message(value))


def _peers_from_text(text: str) -> list[str]:
    stripped = text.strip()
    if stripped.lower() in DEFAULT_PEERS_WORDS:
        return []
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            raise ObservatoryError(
                f"peers={text!r} starts like a JSON list but is not valid JSON. " + _PEERS_ACCEPTED
            ) from None
        if not isinstance(parsed, list):
            raise ObservatoryError(_peers_type_message(parsed))
        return _peer_items(parsed, text)
    return _peer_items(stripped.replace(",", " ").split(), text)


def _peer_items(items: Iterable[Any], original: Any) -> list[str]:
    codes = []
    for item in items:
        if not isinstance(item, str):
            raise ObservatoryError(
                f"peers={original!r} holds {item!r} ({type(item).__name__}); every peer must "
                "be a NUTS code string. " + _PEERS_ACCEPTED
            )
        code = item.strip().upper()
        if code and not _CODE_TEXT.fullmatch(code):
            raise ObservatoryError(
                f"peers={original!r} holds {item!r}, which is not a NUTS code (letters and "
                "digits only, e.g. DE12). " + _PEERS_ACCEPTED
            )
        if code and code not in codes:
            codes.append(code)
    return codes


_PEERS_ACCEPTED = (
    "Accepted: a list of NUTS codes, a comma- or space-separated string ('DE12,DE13'), a "
    "JSON list string ('[\"DE12\", \"DE13\"]'), or '', 'default' or None for the default peers."
)


def _peers_type_message(value: Any) -> str:
    return f"peers={value!r} is a {type(value).__name__}. {_PEERS_ACCEPTED}"


def coerce_year(value: Any) -> int:
    """A reference year from an int, an integral float or a numeric string (``"2015"``).

    Raises:
        ObservatoryError: booleans, non-numbers, fractions, or a year outside 1900-2100.
    """
    return _coerce_int("year", value, minimum=1900, maximum=2100, example="2015")


def _coerce_int(name: str, value: Any, *, minimum: int, maximum: int, example: str) -> int:
    number = _as_number(value)
    if number is None or not float(number).is_integer() or not minimum <= number <= maximum:
        raise ObservatoryError(
            f"{name}={value!r} ({type(value).__name__}) is not accepted. Fix: pass a whole "
            f"number from {minimum} to {maximum} as an int or a numeric string, e.g. {example}."
        )
    return int(number)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------------
# Per-process caches


_CACHE: dict[tuple, Any] = {}
_STORES: dict[tuple[str, str], Store] = {}


def _memo(key: tuple, compute: Callable[[], Any]) -> Any:
    """Return the cached value of ``key``, computing and keeping it on first use."""
    if key in _CACHE:
        return _CACHE[key]
    value = compute()
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = value
    return value


def clear_cache() -> None:
    """Forget every cached computation and store (tests use it to check cache independence)."""
    _CACHE.clear()
    _STORES.clear()
    figure_layers.clear()


def load_cached_store(root: str | os.PathLike[str] | None = None) -> Store:
    """The current store, loaded once per process while ``CURRENT`` names the same version.

    ``load_store`` reads every table (~0.6 s); a batch worker calls this for every region,
    so the store is kept. A rebuilt store (a new version in ``CURRENT``) is loaded afresh.
    """
    directory = Path(root) if root is not None else paths.store_dir()
    key = (str(directory), current_version(directory))
    if key not in _STORES:
        _STORES.clear()
        _STORES[key] = load_store(directory)
    return _STORES[key]


def _statistics_regions(store: Store) -> pd.DataFrame:
    """NUTS 2016 regions, one row per code, indexed by code."""

    def compute() -> pd.DataFrame:
        regions = store.regions.loc[store.regions["nuts_edition"] == STATISTICS_EDITION]
        return regions.drop_duplicates("region_code").set_index("region_code", drop=False)

    return _memo((store.version, "regions"), compute)


def _rated(store: Store, level: int, rule_set: StarRuleSet) -> pd.DataFrame | None:
    """Cluster indicators and stars of every region at ``level`` (None: no cluster data)."""

    def compute() -> pd.DataFrame | None:
        levels = set(store.cluster_employment["nuts_level"].dropna().astype(int))
        if level not in levels:
            return None
        indicators = compute_cluster_indicators(
            store.cluster_employment, store.region_employment_totals, level=level
        )
        return rate_stars(indicators, rule_set)

    return _memo((store.version, "rated", level, rule_set), compute)


def _structural(store: Store, level: int, rule_set: StarRuleSet) -> pd.DataFrame:
    """Cluster structure indicators (starred employment share, diversity) at ``level``."""

    def compute() -> pd.DataFrame:
        rated = _rated(store, level, rule_set)
        if rated is None:
            return pd.DataFrame(columns=["region_code", "indicator_code", "year", "value"])
        return compute_structural_indicators(rated)

    return _memo((store.version, "structural", level, rule_set), compute)


def _framework(variant: str) -> Framework:
    return _memo(("framework", variant), lambda: load_framework(variant=variant))


def _scoreboard_inputs(store: Store, level: int, rule_set: StarRuleSet) -> pd.DataFrame:
    """Context indicators plus the cluster structure indicators at ``level``.

    ``reports.scoreboard_inputs``, so that the scorecards and the scoreboard report score the
    same input; the structural indicators come from the star rating with ``rule_set``.
    """
    from observatory_lib.products.reports import scoreboard_inputs

    levels = set(store.cluster_employment["nuts_level"].dropna().astype(int))
    return scoreboard_inputs(store, rule_set, levels=[level] if level in levels else [])


def _reference_countries(indicators: pd.DataFrame, framework: Framework, level: int) -> list:
    """The EU-28 countries with values of the framework's indicators at ``level``."""
    rows = indicators.loc[
        indicators["nuts_level"].eq(level)
        & indicators["indicator_code"].isin(framework.indicator_codes)
        & indicators["value"].notna()
    ]
    present = set(rows["region_code"].str[:2])
    return [country for country in EU_COUNTRIES if country in present]


def _scoreboard(
    store: Store, level: int, rule_set: StarRuleSet, variant: str
) -> ScoreboardResult | None:
    """The scoreboard of every region at ``level`` (None when the level has no data)."""

    def compute() -> ScoreboardResult | None:
        framework = _framework(variant)
        indicators = _scoreboard_inputs(store, level, rule_set)
        countries = _reference_countries(indicators, framework, level)
        if not countries:
            return None
        try:
            return compute_scoreboard(
                indicators,
                framework,
                store.regions,
                level=level,
                reference_countries=countries,
                nuts_edition=STATISTICS_EDITION,
            )
        except ObservatoryError:
            return None  # e.g. no indicator of the framework at this level

    return _memo((store.version, "scoreboard", level, rule_set, variant), compute)


def _rank_intervals(
    store: Store, level: int, rule_set: StarRuleSet, variant: str, n_draws: int, seed: int
) -> pd.DataFrame:
    """Monte Carlo rank intervals of every scored region, indexed by region code."""

    def compute() -> pd.DataFrame:
        result = _scoreboard(store, level, rule_set, variant)
        if result is None or result.overall["score"].notna().sum() < 2:
            return pd.DataFrame()
        ranks = simulate_rank_uncertainty(
            result, n_draws=n_draws, seed=seed, percentiles=RANK_PERCENTILES
        ).ranks
        return ranks.set_index("region_code")

    return _memo((store.version, "ranks", level, rule_set, variant, n_draws, seed), compute)


def _eu_region_codes(store: Store, level: int) -> frozenset[str]:
    """EU-28 regions of NUTS 2016 at ``level``: no aggregates, no extra-regio codes."""

    def compute() -> frozenset[str]:
        regions = _statistics_regions(store)
        keep = (
            regions["nuts_level"].eq(level)
            & regions["country_code"].isin(EU_COUNTRIES)
            & ~regions["is_aggregate"].fillna(False).astype(bool)
            & ~regions["region_code"].str[2:].str.fullmatch("Z+").fillna(False).astype(bool)
        )
        return frozenset(regions.loc[keep, "region_code"])

    return _memo((store.version, "eu_regions", level), compute)


def _key_fact_values(store: Store, level: int, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each region's key-fact values (long, indexed by region and indicator) and EU means."""

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        context = store.context_indicators
        codes = [spec.indicator_code for spec in KEY_FACTS]
        rows = context.loc[
            context["nuts_level"].eq(level)
            & context["indicator_code"].isin(codes)
            & context["nuts_edition"].eq(STATISTICS_EDITION)
            & context["value"].notna()
            & context["year"].between(year - KEY_FACT_MAX_LAG, year)
        ]
        latest = rows.sort_values(["region_code", "indicator_code", "year"]).drop_duplicates(
            ["region_code", "indicator_code"], keep="last"
        )
        values = latest.set_index(["region_code", "indicator_code"])[["year", "value", "flag"]]
        in_eu = latest["region_code"].isin(_eu_region_codes(store, level))
        eu = latest.loc[in_eu].groupby("indicator_code")["value"].agg(["mean", "count"])
        return values, eu

    return _memo((store.version, "key_facts", level, year), compute)


def _peer_candidates(store: Store, level: int) -> pd.DataFrame:
    """The structural indicators default peers are chosen on (a small slice: fast to pivot)."""

    def compute() -> pd.DataFrame:
        context = store.context_indicators
        return context.loc[
            context["nuts_level"].eq(level) & context["indicator_code"].isin(DEFAULT_STRUCTURAL)
        ]

    return _memo((store.version, "peer_candidates", level), compute)


def _geometries(store: Store, level: int):
    """NUTS 2016 polygons at ``level`` (one row per code), for the maps."""

    def compute():
        geometries = store.geometries
        chosen = geometries.loc[
            geometries["nuts_edition"].eq(STATISTICS_EDITION) & geometries["nuts_level"].eq(level)
        ]
        return chosen.drop_duplicates("region_code", keep="last")

    return _memo((store.version, "geometries", level), compute)


def _projected_geometries(store: Store, level: int):
    """The same polygons in the maps' projection: projected once, not once per map."""
    from observatory_lib.products.maps import project

    key = (store.version, "projected_geometries", level)
    return _memo(key, lambda: project(_geometries(store, level)[["region_code", "geometry"]]))


# --------------------------------------------------------------------------------------------
# The scorecard


@dataclasses.dataclass(frozen=True)
class Scorecard:
    """Everything one region's scorecard shows. Frames hold numbers; ``*_table`` format them.

    Attributes:
        region_code: the NUTS 2016 code.
        parameters: the parameters used (year, star_preset, peers as requested,
            framework_variant, n_draws, seed).
        header: region name, code, country, NUTS level and edition, vintages, store version.
        key_facts: one row per key fact (``KEY_FACT_COLUMNS``).
        peers: the peer regions used; ``peer_method`` says how they were chosen.
        peer_regions: code, name and country of each peer.
        cluster_summary: counts of rated and starred clusters, starred employment share, the
            region's employment total (SBS scope), stars basis and rule set.
        portfolio: the top traded categories (``PORTFOLIO_COLUMNS``).
        emerging: the emerging industries (``PORTFOLIO_COLUMNS``).
        scoreboard: the index score, relative score, group, ranks and rank interval.
        dimensions: dimension and index scores against peers and the EU (``DIMENSION_COLUMNS``).
        indicators: every scoreboard indicator against peers and the EU
            (``INDICATOR_COLUMNS``); ``strengths`` and ``weaknesses`` are its extremes.
        strongest_category: the region's leading traded category (None when none is rated).
        strongest_category_map: ``region_code, value, status``: that category's LQ in every
            region at the level (status ``confidential`` where suppressed cells left it
            missing), for ``maps.plot_choropleth``.
        provenance: the Markdown footer (datasets with vintages, modifications,
            attribution), compact: one entry per dataset, the cluster definitions included.
        sources: the provenance table of the datasets used.
        methods_note: Markdown text explaining the method.
        notes: what is missing and why.
    """

    region_code: str
    parameters: dict
    header: dict
    key_facts: pd.DataFrame
    peers: tuple[str, ...]
    peer_method: str
    peer_regions: pd.DataFrame
    cluster_summary: dict
    portfolio: pd.DataFrame
    emerging: pd.DataFrame
    scoreboard: dict
    dimensions: pd.DataFrame
    indicators: pd.DataFrame
    strengths: pd.DataFrame
    weaknesses: pd.DataFrame
    strengths_basis: str
    strongest_category: dict | None
    strongest_category_map: pd.DataFrame
    provenance: str
    sources: pd.DataFrame
    methods_note: str
    notes: tuple[str, ...]

    # --- the JSON twin ---------------------------------------------------------------------

    def record(self) -> dict:
        """Every headline number and the parameters, as strict JSON (NaN -> None)."""
        portfolio_fields = [c for c in PORTFOLIO_COLUMNS if c != "data_note"]
        return to_strict_json(
            {
                "schema": RECORD_SCHEMA,
                "region_code": self.region_code,
                "region_name": self.header["region_name"],
                "country_code": self.header["country_code"],
                "country_name": self.header["country_name"],
                "nuts_level": self.header["nuts_level"],
                "nuts_edition": self.header["nuts_edition"],
                "data_vintage": self.header["data_vintage"],
                "store_version": self.header["store_version"],
                "parameters": self.parameters,
                "peers": list(self.peers),
                "peer_method": self.peer_method,
                "key_facts": _rows(self.key_facts, KEY_FACT_COLUMNS),
                "cluster_summary": self.cluster_summary,
                "portfolio": _rows(self.portfolio, portfolio_fields),
                "emerging": _rows(self.emerging, portfolio_fields),
                "strongest_category": self.strongest_category,
                "scoreboard": self.scoreboard,
                "dimensions": _rows(self.dimensions, DIMENSION_COLUMNS),
                "strengths_basis": self.strengths_basis,
                "strengths": _rows(self.strengths, INDICATOR_COLUMNS),
                "weaknesses": _rows(self.weaknesses, INDICATOR_COLUMNS),
                "notes": list(self.notes),
            }
        )

    # --- text and tables for the notebook ------------------------------------------------

    def header_markdown(self) -> str:
        """Title line and the region's identity, vintages and store version."""
        h = self.header
        return "\n".join(
            [
                f"## {h['region_name']} ({h['region_code']})",
                "",
                f"{h['country_name']} ({h['country_code']}) · NUTS level {h['nuts_level']}, "
                f"NUTS {h['nuts_edition']} classification · reference year {h['year']}  ",
                f"Data vintages: {h['data_vintage']} · store version {h['store_version']}",
            ]
        )

    def peers_markdown(self) -> str:
        """Which peers the comparisons use and how they were chosen."""
        if not self.peers:
            return f"**Peers:** none ({self.peer_method})."
        names = [
            f"{row.region_name} ({row.region_code})"
            for row in self.peer_regions.itertuples(index=False)
        ]
        return f"**Peers** ({self.peer_method}): {', '.join(names)}."

    def key_facts_table(self) -> pd.DataFrame:
        """Key facts formatted for display; missing values read "not available".

        The numbers are bare; the unit and the year of the region's value follow the label.
        """
        frame = self.key_facts
        units = {spec.indicator_code: spec.display_unit for spec in KEY_FACTS}
        unit = frame["indicator_code"].map(units)
        # unit and year inside the label: a column costs the PDF layout a cell per row
        return pd.DataFrame(
            {
                "Indicator [unit, year]": [
                    f"{label} [{unit_label(code)}" + ("]" if pd.isna(year) else f", {int(year)}]")
                    for label, code, year in zip(frame["label"], unit, frame["year"], strict=True)
                ],
                self.header["region_code"]: _formatted(frame["value"]),
                "Peer average": _formatted(frame["peer_average"]),
                f"{EU_LABEL} average": _formatted(frame["eu_average"]),
                f"Region, {EU_LABEL} = 100": [_text_number(v, 0) for v in frame["relative_to_eu"]],
            }
        )

    def cluster_summary_markdown(self) -> str:
        """Starred clusters, their employment share and the basis of the stars."""
        s = self.cluster_summary
        if not s["has_cluster_data"]:
            return f"Cluster data: {NOT_AVAILABLE} for this region ({s['reason']})."
        imputed = (
            f" ({s['n_sections_imputed']} NACE sections estimated from the parent region)"
            if s["n_sections_imputed"]
            else ""
        )
        # one paragraph, not a list: every list item is another box for the PDF layout
        return " ".join(
            [
                f"Traded categories with at least one star: **{s['n_starred_clusters']}** of "
                f"{s['n_clusters_rated']} rated ({s['n_clusters_all_stars']} with every star "
                "counted); share of the region's employment in starred categories: "
                f"**{format_value(s['starred_employment_share_pct'], 'pct')}**.",
                f"Employment in the business economy (SBS scope, {s['year']}): "
                f"{format_value(s['region_employment_persons'], 'persons')}{imputed}.",
                "Traded categories with a specialisation (LQ ≥ 1): "
                f"{_text_number(s['specialisation_diversity'], 0)}.",
                f"Stars: {s['star_preset_label']}; {s['stars_basis']}.",
            ]
        )

    def portfolio_table(self, *, compact: bool = False) -> pd.DataFrame:
        """The top traded categories formatted for display.

        Args:
            compact: four columns (category, stars, LQ, employment with its share of
                Europe) and no data notes (``portfolio_notes_markdown`` has them): every table
                cell costs the PDF layout about as much as a line of text.
        """
        if compact:
            return _portfolio_compact(self.portfolio)
        return _portfolio_display(self.portfolio)

    def portfolio_notes_markdown(self) -> str:
        """The data notes of the top traded categories in one sentence, grouped by note."""
        return _notes_by_kind(self.portfolio)

    def emerging_table(self) -> pd.DataFrame:
        """The emerging industries formatted for display."""
        return _portfolio_display(self.emerging)

    def emerging_markdown(self) -> str:
        """The emerging industries as one paragraph, then their data notes.

        The scorecard's short form of ``emerging_table``: a run of text costs the PDF layout
        far less than table cells or forced line breaks.
        """
        if self.emerging.empty:
            return f"*{NOT_AVAILABLE}*"
        items = " · ".join(_category_text(row) for row in self.emerging.itertuples(index=False))
        return "\n\n".join(filter(None, [items + ".", _notes_by_kind(self.emerging)]))

    def scoreboard_markdown(self) -> str:
        """Index score, performance group, rank in Europe and country, and the rank interval."""
        s = self.scoreboard
        if not s["available"]:
            return f"Ecosystem scoreboard: {NOT_AVAILABLE} ({s['reason']})."
        interval = (
            f"{_text_int(s['rank_p05'])}–{_text_int(s['rank_p95'])}"
            if s["rank_p05"] is not None and not pd.isna(s["rank_p05"])
            else NOT_AVAILABLE
        )
        return (
            f"**Index score {_text_number(s['score'], 1)}** (0–100; {EU_LABEL} average = "
            f"{_text_number(s['eu_average_score'], 1)}), **{_text_number(s['relative_to_eu'], 0)}"
            f"** relative to the {EU_LABEL} average (= 100): performance group "
            f"**{s['performance_group']}**.  \n"
            f"Rank **{_text_int(s['rank_europe'])}** of {s['n_regions_scored']} regions scored "
            f"(rank {_text_int(s['rank_country'])} of {s['n_country_scored']} in the country); "
            f"{RANK_PERCENTILES[0]:g}–{RANK_PERCENTILES[1]:g} % rank interval **{interval}** over "
            f"{s['n_draws']} draws of weights and methods (group kept in "
            f"{_text_number(_pct(s['group_stability']), 0)} % of draws)."
        )

    def dimensions_table(self) -> pd.DataFrame:
        """Dimension and index scores against peers and the EU-28, formatted for display."""
        frame = self.dimensions
        return pd.DataFrame(
            {
                "Dimension": frame["label"],
                self.header["region_code"]: [_text_number(v, 1) for v in frame["region_score"]],
                "Peer average": [_text_number(v, 1) for v in frame["peer_average_score"]],
                f"{EU_LABEL} average": [_text_number(v, 1) for v in frame["eu_average_score"]],
                f"Region, {EU_LABEL} = 100": [_text_number(v, 0) for v in frame["relative_to_eu"]],
                "Against peers": [_text_label(v) for v in frame["assessment"]],
            }
        )

    def dimensions_markdown(self) -> str:
        """The dimension scores relative to the EU-28 and against the peers, in two sentences.

        The scorecard's short form of ``dimensions_table``; the chart shows the scores.
        """
        frame = self.dimensions
        if frame.empty:
            return ""
        is_index = frame["node_type"] == "index"
        relative = "; ".join(
            f"{_escaped(label)} {_text_number(value, 0)}"
            for label, value in zip(
                frame["label"], frame["relative_to_eu"].where(~is_index), strict=True
            )
            if not pd.isna(value)
        )
        index = frame.loc[is_index, "relative_to_eu"]
        index_text = f"; index {_text_number(index.iloc[0], 0)}" if len(index) else ""
        sentences = [f"Relative to the {EU_LABEL} average (= 100): {relative}{index_text}."]
        if frame["assessment"].notna().any():
            sentences.append(f"Against the peers: {_assessments(frame.loc[~is_index])}.")
        return " ".join(sentences)

    def strengths_table(self) -> pd.DataFrame:
        """Strengths and weaknesses (indicator scores against the comparison group)."""
        parts = [self.strengths.assign(kind="strength"), self.weaknesses.assign(kind="weakness")]
        frame = pd.concat(parts, ignore_index=True)
        comparison = "Peer average" if self.strengths_basis == "peers" else f"{EU_LABEL} average"
        column = "peer_average_score" if self.strengths_basis == "peers" else "eu_average_score"
        return pd.DataFrame(
            {
                "": frame["kind"].astype("str"),
                "Indicator": frame["label"],
                "Score": [_text_number(v, 1) for v in frame["region_score"]],
                comparison: [_text_number(v, 1) for v in frame[column]],
                "Difference (points)": [_text_signed(v) for v in frame["difference"]],
            }
        )

    def strengths_markdown(self) -> str:
        """One sentence naming the comparison group and the threshold."""
        group = "the peer average" if self.strengths_basis == "peers" else "the EU-28 average"
        if self.strengths_basis == "none":
            return f"Strengths and weaknesses: {NOT_AVAILABLE} (no scoreboard result)."
        if self.strengths.empty and self.weaknesses.empty:
            return (
                f"No indicator score differs from {group} by {DEFAULT_STRENGTH_THRESHOLD:g} "
                "points or more."
            )
        return (
            f"Strengths and weaknesses: indicator scores at least "
            f"{DEFAULT_STRENGTH_THRESHOLD:g} points above or below {group} (0–100 scale); "
            f"the {N_STRENGTHS} largest each way."
        )

    def strengths_lines_markdown(self) -> str:
        """``strengths_markdown`` and then one line for the strengths, one for the weaknesses.

        The scorecard's short form of ``strengths_table``: score, comparison and difference.
        """
        text = self.strengths_markdown()
        if self.strengths_basis == "none":
            return text
        column = "peer_average_score" if self.strengths_basis == "peers" else "eu_average_score"
        lines = [text]
        for title, frame in (("Strengths", self.strengths), ("Weaknesses", self.weaknesses)):
            items = [
                f"{_escaped(label)} {_text_number(score, 1)} vs {_text_number(reference, 1)} "
                f"({_text_signed(difference)})"
                for label, score, reference, difference in zip(
                    frame["label"], frame["region_score"], frame[column], frame["difference"],
                    strict=True,
                )
            ]  # fmt: skip
            if items:
                lines.append(f"*{title}:* {'; '.join(items)}.")
        return "\n\n".join(lines)

    def notes_markdown(self) -> str:
        """What is missing and why, as one paragraph led by "Data notes"."""
        if not self.notes:
            return "**Data notes.** No gaps in the data shown."
        return "**Data notes.** " + " ".join(self.notes)


def build_scorecard(
    store: Store,
    region_code: str,
    *,
    year: int | str = DEFAULT_YEAR,
    star_preset: str = DEFAULT_STAR_PRESET,
    peers: Any = None,
    framework_variant: str = DEFAULT_VARIANT,
    n_draws: int | str = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> Scorecard:
    """Compute one region's scorecard.

    Args:
        store: the loaded store (``load_cached_store()`` in a batch).
        region_code: a NUTS 2016 code (any level; clusters exist at levels 0-2).
        year: reference year of the cluster data and the key facts (int or numeric string).
        star_preset: the star rule set (``eco2008``, ``eocic``, ``panorama4``).
        peers: peer codes (list, comma/space-separated or JSON string); None, ``""``,
            ``"default"`` or ``[]`` for the default peers (``peers.default_peers``).
        framework_variant: the scoreboard framework's weight variant.
        n_draws: Monte Carlo draws for the rank interval.
        seed: seed of the draws.

    Returns:
        The :class:`Scorecard`.

    Raises:
        UnknownCodeError: unknown or malformed region or peer code (nearest codes listed),
            unknown star preset, or a year without cluster data.
        ConfigError: unknown framework variant.
        ObservatoryError: parameters of the wrong type.
    """
    year = coerce_year(year)
    requested_peers = coerce_peers(peers)
    n_draws = _coerce_int("n_draws", n_draws, minimum=1, maximum=100_000, example="500")
    seed = _coerce_int("seed", seed, minimum=0, maximum=2**32 - 1, example="0")
    rule_set = load_star_preset(star_preset)
    framework = _framework(framework_variant)
    code = check_region_code(region_code, store.regions, edition=STATISTICS_EDITION)
    level = int(_statistics_regions(store).loc[code, "nuts_level"])
    rated = _rated(store, level, rule_set)
    _check_year(rated, year, level)
    context = _Context(store, code, level, year, rule_set, framework_variant, n_draws, seed)
    peer_codes, peer_method, notes = _choose_peers(context, requested_peers)
    clusters = _cluster_sections(context, rated)
    board = _scoreboard_sections(context, peer_codes)
    parameters = {
        "region_code": code,
        "year": year,
        "star_preset": rule_set.name,
        "peers": requested_peers,
        "framework_variant": framework.variant,
        "n_draws": n_draws,
        "seed": seed,
    }
    return Scorecard(
        region_code=code,
        parameters=parameters,
        header=_header(context, rule_set),
        key_facts=_key_facts(context, peer_codes),
        peers=tuple(peer_codes),
        peer_method=peer_method,
        peer_regions=_peer_regions(context, peer_codes),
        cluster_summary=clusters["summary"],
        portfolio=clusters["portfolio"],
        emerging=clusters["emerging"],
        scoreboard=board["scoreboard"],
        dimensions=board["dimensions"],
        indicators=board["indicators"],
        strengths=board["strengths"],
        weaknesses=board["weaknesses"],
        strengths_basis=board["basis"],
        strongest_category=clusters["strongest"],
        strongest_category_map=clusters["map"],
        provenance=_provenance_footer(store),
        sources=_sources(store),
        methods_note=_methods_note(context, rule_set, framework),
        notes=tuple(notes + clusters["notes"] + board["notes"]),
    )


@dataclasses.dataclass(frozen=True)
class _Context:
    store: Store
    region_code: str
    level: int
    year: int
    rule_set: StarRuleSet
    variant: str
    n_draws: int
    seed: int


def _check_year(rated: pd.DataFrame | None, year: int, level: int) -> None:
    if rated is None:
        return
    years = sorted(int(value) for value in rated["year"].unique())
    if year not in years:
        raise unknown_code(
            "year",
            str(year),
            [str(value) for value in years],
            hint=f"Years with cluster data at NUTS level {level}: {', '.join(map(str, years))}.",
        )


# --- header and provenance --------------------------------------------------------------------


def _header(context: _Context, rule_set: StarRuleSet) -> dict:
    store = context.store
    regions = _statistics_regions(store)
    row = regions.loc[context.region_code]
    country = str(row["country_code"])
    country_name = str(regions["region_name"].get(country, country))
    return {
        "region_code": context.region_code,
        "region_name": str(row["region_name"]),
        "country_code": country,
        "country_name": country_name,
        "nuts_level": context.level,
        "nuts_edition": STATISTICS_EDITION,
        "year": context.year,
        "data_vintage": _data_vintage(store),
        "store_version": store.version,
        "star_preset": rule_set.name,
    }


def _provenance_footer(store: Store) -> str:
    """The compact footer: one line per dataset (the scorecard should stay a few pages)."""

    def compute() -> str:
        return provenance_markdown(
            store.provenance,
            FOOTER_SOURCES,
            store_version=store.version,
            nuts_edition=STATISTICS_EDITION,
            compact=True,
        )

    return _memo((store.version, "provenance_footer"), compute)


def _sources(store: Store) -> pd.DataFrame:
    return _memo((store.version, "sources"), lambda: provenance_table(store.provenance, SOURCES))


def _data_vintage(store: Store) -> str:
    """One line: the SBS vintage, then the range of the other statistics' vintages."""
    return _memo((store.version, "data_vintage"), lambda: _vintage_line(store))


def _vintage_line(store: Store) -> str:
    rows = select_sources(store.provenance, SOURCES)
    statistics = rows.loc[
        rows["dataset_code"].notna() & ~rows["source_code"].str.startswith("nuts")
    ]
    sbs = statistics.loc[statistics["dataset_code"] == "sbs_r_nuts06_r2", "vintage"]
    others = sorted(set(statistics.loc[statistics["dataset_code"] != "sbs_r_nuts06_r2", "vintage"]))
    parts = []
    if len(sbs):
        parts.append(f"cluster employment (SBS) {sbs.iloc[0]}")
    if others:
        span = others[0] if len(others) == 1 else f"{others[0]} to {others[-1]}"
        parts.append(f"context indicators {span}")
    parts.append(f"boundaries NUTS {STATISTICS_EDITION} (GISCO)")
    return "; ".join(parts)


# --- peers -------------------------------------------------------------------------------------


def _choose_peers(context: _Context, requested: list[str]) -> tuple[list[str], str, list[str]]:
    """The peers to use, how they were chosen, and notes (user peers are validated)."""
    regions = _statistics_regions(context.store)
    if requested:
        valid = regions.loc[regions["nuts_level"] == context.level, "region_code"]
        chosen = check_peers(requested, valid)
        notes = []
        if context.region_code in chosen:
            chosen = [code for code in chosen if code != context.region_code]
            notes.append(f"{context.region_code} was listed among its own peers and left out.")
        return chosen, "chosen peers", notes
    try:
        chosen = default_peers(
            _peer_candidates(context.store, context.level),
            context.store.regions,
            context.region_code,
            level=context.level,
        )
    except ObservatoryError as error:
        reason = str(error).split(" Fix:")[0].rstrip(". ")
        return [], "no default peers: structural data missing", [f"No default peers: {reason}."]
    method = "default peers: the most similar regions on GDP per inhabitant (PPS) and population"
    return list(chosen), method, []


def _peer_regions(context: _Context, peer_codes: list[str]) -> pd.DataFrame:
    regions = _statistics_regions(context.store)
    return regions.loc[peer_codes, ["region_code", "region_name", "country_code"]].reset_index(
        drop=True
    )


# --- key facts ---------------------------------------------------------------------------------


def _key_facts(context: _Context, peer_codes: list[str]) -> pd.DataFrame:
    values, eu = _key_fact_values(context.store, context.level, context.year)
    catalog = context.store.context_indicator_catalog.set_index("indicator_code")
    rows = []
    for spec in KEY_FACTS:
        own = _lookup(values, context.region_code, spec.indicator_code)
        peer_values = [_lookup(values, peer, spec.indicator_code)["value"] for peer in peer_codes]
        peer_values = [v for v in peer_values if not pd.isna(v)]
        eu_average = (
            spec.eu_value if spec.eu_value is not None else _eu_mean(eu, spec.indicator_code)
        )
        rows.append(
            {
                "indicator_code": spec.indicator_code,
                "label": str(catalog["label"].get(spec.indicator_code, spec.indicator_code)),
                "unit": str(catalog["unit"].get(spec.indicator_code, spec.display_unit)),
                "year": own["year"],
                "value": own["value"],
                "flag": own["flag"],
                "peer_average": float(np.mean(peer_values)) if peer_values else np.nan,
                "n_peers_with_data": len(peer_values),
                "eu_average": eu_average,
                "n_eu_regions": int(eu["count"].get(spec.indicator_code, 0)),
                "relative_to_eu": _relative(own["value"], eu_average),
            }
        )
    frame = pd.DataFrame(rows, columns=KEY_FACT_COLUMNS)
    return frame.astype({"year": "Int64", "flag": "str", "value": float, "eu_average": float})


def _lookup(values: pd.DataFrame, region_code: str, indicator_code: str) -> dict:
    key = (region_code, indicator_code)
    if key not in values.index:
        return {"year": pd.NA, "value": np.nan, "flag": pd.NA}
    row = values.loc[key]
    return {"year": int(row["year"]), "value": float(row["value"]), "flag": row["flag"]}


def _eu_mean(eu: pd.DataFrame, indicator_code: str) -> float:
    return float(eu["mean"].get(indicator_code, np.nan))


def _relative(value: float, reference: float) -> float:
    if pd.isna(value) or pd.isna(reference) or reference == 0:
        return np.nan
    return 100.0 * value / reference


# --- clusters ----------------------------------------------------------------------------------


def _cluster_sections(context: _Context, rated: pd.DataFrame | None) -> dict:
    """Portfolio, emerging industries, summary and the strongest category with its map."""
    empty = pd.DataFrame(columns=PORTFOLIO_COLUMNS)
    if rated is None or context.region_code not in _rated_codes(context, rated):
        reason = (
            f"regional structural business statistics do not cover NUTS level {context.level}"
            if rated is None
            else "no cluster employment in the structural business statistics"
        )
        summary = {"has_cluster_data": False, "reason": reason}
        note = f"Cluster portfolio not available: {reason}."
        return {
            "portfolio": empty,
            "emerging": empty,
            "summary": summary,
            "strongest": None,
            "map": _empty_map(),
            "notes": [note],
        }
    full = region_portfolio(
        _rows_by(context, rated, "region_code")[context.region_code],
        context.region_code,
        _statistics_regions(context.store).reset_index(drop=True),
        year=context.year,
        categories=context.store.cluster_categories,
    )
    passes = full[[c for c in full.columns if c.endswith("_pass")]]
    full = full.assign(
        rank=full.groupby("category_type").cumcount() + 1,
        n_criteria_missing=full["stars_out_of"] - passes.notna().sum(axis=1),
        data_note=_data_notes(full),
    )
    traded = full.loc[full["category_type"] == "traded"]
    strongest = _strongest(traded)
    emerging = full.loc[full["category_type"] == "emerging"]
    return {
        "portfolio": traded.head(N_TOP_CATEGORIES)[PORTFOLIO_COLUMNS].reset_index(drop=True),
        "emerging": emerging[PORTFOLIO_COLUMNS].reset_index(drop=True),
        "summary": _cluster_summary(context, traded, full),
        "strongest": strongest,
        "map": _category_map(context, rated, strongest),
        "notes": _cluster_notes(full),
    }


def _rated_codes(context: _Context, rated: pd.DataFrame) -> frozenset[str]:
    return frozenset(_rows_by(context, rated, "region_code"))


def _rows_by(context: _Context, rated: pd.DataFrame, column: str) -> dict[str, pd.DataFrame]:
    """The rated rows split by region or category once, so that one region's portfolio and
    one category's view select from a few rows instead of the whole table (same results)."""
    key = (context.store.version, "rated_by", column, context.level, context.rule_set)
    return _memo(key, lambda: dict(iter(rated.groupby(column, sort=True))))


def _data_notes(frame: pd.DataFrame) -> pd.Series:
    """A short data-quality note per category: missing, estimated, small base."""
    employment_missing = frame["employment_persons"].isna().to_numpy()
    lq_missing = frame["lq"].isna().to_numpy() & ~employment_missing
    estimated = frame["has_confidential_cells"].fillna(False).to_numpy(dtype=bool)
    small = frame["is_small_base"].fillna(False).to_numpy(dtype=bool)
    notes = []
    for is_missing, no_lq, is_estimated, is_small in zip(
        employment_missing, lq_missing, estimated, small, strict=True
    ):
        parts = []
        if is_missing:
            parts.append("employment not available (suppressed cells)")
        elif is_estimated:
            parts.append("estimated from suppressed cells")
        if no_lq:
            parts.append("LQ not available (region total unknown)")
        if is_small:
            parts.append("small base (< 1,000 persons)")
        notes.append("; ".join(parts))
    return pd.Series(notes, index=frame.index, dtype="str")


def _strongest(traded: pd.DataFrame) -> dict | None:
    """The region's leading traded category: first by stars, then LQ, then employment."""
    rated = traded.loc[traded["stars"].notna() & traded["employment_persons"].notna()]
    if rated.empty:
        return None
    row = rated.iloc[0]
    return {
        "category_code": str(row["category_code"]),
        "category_name": str(row["category_name"]),
        "rank": int(row["rank"]),
        "stars": row["stars"],
        "stars_out_of": row["stars_out_of"],
        "n_criteria_missing": row["n_criteria_missing"],
        "lq": row["lq"],
        "employment_persons": row["employment_persons"],
        "size_share": row["size_share"],
    }


def _cluster_summary(context: _Context, traded: pd.DataFrame, full: pd.DataFrame) -> dict:
    stars = traded["stars"]
    structural = _structural(context.store, context.level, context.rule_set)
    own = structural.loc[
        (structural["region_code"] == context.region_code) & (structural["year"] == context.year)
    ].set_index("indicator_code")["value"]
    totals = context.store.region_employment_totals
    total_row = totals.loc[
        (totals["region_code"] == context.region_code)
        & (totals["year"] == context.year)
        & (totals["nuts_level"] == context.level)
    ]
    imputed = int(total_row["n_sections_imputed"].iloc[0]) if len(total_row) else 0
    return {
        "has_cluster_data": True,
        "year": context.year,
        "n_clusters_rated": int(stars.notna().sum()),
        "n_starred_clusters": int((stars.fillna(0) >= 1).sum()),
        "n_clusters_all_stars": int(((stars == traded["stars_out_of"]).fillna(False)).sum()),
        "starred_employment_share_pct": own.get("starred_cluster_employment_share_pct", np.nan),
        "specialisation_diversity": own.get("specialisation_diversity", np.nan),
        "region_employment_persons": _first_value(total_row["employment_persons"]),
        "n_sections_imputed": imputed,
        "n_categories_not_available": int(full["employment_persons"].isna().sum()),
        "star_preset": context.rule_set.name,
        "star_preset_label": context.rule_set.label or context.rule_set.name,
        "stars_basis": str(full["stars_basis"].iloc[0]) if "stars_basis" in full else "",
    }


def _first_value(values: pd.Series) -> float:
    present = values.dropna()
    return float(present.iloc[0]) if len(present) else np.nan


def _cluster_notes(full: pd.DataFrame) -> list[str]:
    notes = []
    missing = full.loc[full["employment_persons"].isna(), "category_name"].astype("str")
    if len(missing):
        notes.append(
            f"Employment not available (suppressed cells that could not be estimated) for "
            f"{len(missing)} categories: {', '.join(missing)}."
        )
    if full["employment_persons"].notna().any() and full["lq"].isna().all():
        notes.append(
            "Location quotients and focus not available: the region's employment total is "
            "unknown (suppressed sections without a parent value)."
        )
    return notes


def _empty_map() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_code": pd.Series(dtype="str"),
            "value": pd.Series(dtype=float),
            "status": pd.Series(dtype="str"),
        }
    )


def _category_map(context: _Context, rated: pd.DataFrame, strongest: dict | None) -> pd.DataFrame:
    """The strongest category's LQ in every region at the level, for the European map."""
    if strongest is None:
        return _empty_map()
    key = (
        context.store.version,
        "category_map",
        context.level,
        context.rule_set,
        strongest["category_code"],
        context.year,
    )

    def compute() -> pd.DataFrame:
        view = category_view(
            _rows_by(context, rated, "category_code")[strongest["category_code"]],
            strongest["category_code"],
            context.store.cluster_categories,
            year=context.year,
            level=context.level,
            map_metric="lq",
        )
        table = view.table.sort_values("region_code", ignore_index=True)
        value = table["lq"].astype("Float64").astype(float)
        suppressed = table["has_confidential_cells"].fillna(False).astype(bool) & value.isna()
        status = pd.Series(pd.NA, index=table.index, dtype="str").mask(suppressed, "confidential")
        return pd.DataFrame(
            {"region_code": table["region_code"].astype("str"), "value": value, "status": status}
        )

    return _memo(key, compute)


def _portfolio_display(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Category": frame["category_name"].astype("str"),
            "Stars": [
                stars_text(s, o, m)
                for s, o, m in zip(
                    frame["stars"], frame["stars_out_of"], frame["n_criteria_missing"], strict=True
                )
            ],
            "LQ": [_text_number(v, 2) for v in frame["lq"]],
            "Share of European employment": [
                format_value(None if pd.isna(v) else 100 * v, "pct") for v in frame["size_share"]
            ],
            "Employment (persons)": [format_value(v) for v in frame["employment_persons"]],
            "Data note": frame["data_note"].fillna("").astype("str"),
        }
    )


def _notes_by_kind(frame: pd.DataFrame) -> str:
    """The data notes of ``frame`` grouped by kind, as one Markdown sentence ("" if none).

    E.g. ``*Data notes:* estimated from suppressed cells: A, B; small base (...): C.``
    """
    names: dict[str, list[str]] = {}
    for name, note in zip(frame["category_name"], frame["data_note"].fillna(""), strict=True):
        for kind in filter(None, str(note).split("; ")):
            names.setdefault(kind, []).append(_escaped(name))
    if not names:
        return ""
    groups = [
        f"{kind}: {'all categories shown' if len(found) == len(frame) else ', '.join(found)}"
        for kind, found in names.items()
    ]
    return f"*Data notes:* {'; '.join(groups)}."


def _assessments(frame: pd.DataFrame) -> str:
    """The peer assessment of each dimension: ``strength in A; similar in B, C``."""
    parts = []
    for kind in ("strength", "weakness", "similar"):
        labels = frame.loc[frame["assessment"] == kind, "label"]
        if len(labels):
            parts.append(f"{kind} in {', '.join(_escaped(label) for label in labels)}")
    missing = frame.loc[frame["assessment"].isna(), "label"]
    if len(missing):
        parts.append(f"{NOT_AVAILABLE} for {', '.join(_escaped(label) for label in missing)}")
    return "; ".join(parts)


def _category_text(row: Any) -> str:
    """One category in a run of text: name, stars, LQ, employment and share of Europe."""
    name = _escaped(row.category_name)
    if pd.isna(row.employment_persons):
        return f"{name} {NOT_AVAILABLE}"
    stars = stars_text(row.stars, row.stars_out_of, row.n_criteria_missing)
    lq = "" if pd.isna(row.lq) else f" LQ {_text_number(row.lq, 2)},"
    return f"{name} {stars}{lq} {_employment_text(row.employment_persons, row.size_share)}"


def _employment_text(persons: Any, share: Any) -> str:
    """``168,899 (6.39%)``: employment and its share of European employment."""
    if persons is None or pd.isna(persons):
        return NOT_AVAILABLE
    percent = format_value(None if pd.isna(share) else 100 * share, "pct")
    return f"{format_value(persons)} ({percent})"


def _portfolio_compact(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Category": frame["category_name"].astype("str"),
            "Stars": [
                stars_text(s, o, m)
                for s, o, m in zip(
                    frame["stars"], frame["stars_out_of"], frame["n_criteria_missing"], strict=True
                )
            ],
            "LQ": [_text_number(v, 2) for v in frame["lq"]],
            "Employment, persons (share of Europe)": [
                _employment_text(p, s)
                for p, s in zip(frame["employment_persons"], frame["size_share"], strict=True)
            ],
        }
    )


def stars_text(stars: Any, out_of: Any = None, n_missing: Any = 0) -> str:
    """Stars as symbols: ``★★☆`` is 2 of 3 criteria met.

    Criteria whose metric is missing for the cluster are not drawn as empty stars but named:
    ``☆ (+2 not available)``. An unrated cluster reads "not available".
    """
    if stars is None or pd.isna(stars):
        return NOT_AVAILABLE
    total = int(out_of) if out_of is not None and not pd.isna(out_of) else int(stars)
    missing = 0 if n_missing is None or pd.isna(n_missing) else int(n_missing)
    symbols = "★" * int(stars) + "☆" * max(total - missing - int(stars), 0)
    return f"{symbols} (+{missing} {NOT_AVAILABLE})" if missing else symbols


# --- scoreboard --------------------------------------------------------------------------------


def _scoreboard_sections(context: _Context, peer_codes: list[str]) -> dict:
    result = _scoreboard(context.store, context.level, context.rule_set, context.variant)
    overall = None if result is None else result.overall.set_index("region_code")
    if overall is None or context.region_code not in overall.index:
        reason = "no scoreboard indicators for this region and level"
        return _no_scoreboard(reason)
    row = overall.loc[context.region_code]
    if pd.isna(row["score"]):
        return _no_scoreboard("too few indicators with a value to compute the index")
    scored_peers = [p for p in peer_codes if p in overall.index]
    notes = []
    left_out = [p for p in peer_codes if p not in overall.index]
    if left_out:
        notes.append(f"Peers without a scoreboard result, left out of it: {', '.join(left_out)}.")
    comparison = _comparison(result, context.region_code, scored_peers)
    indicators = _indicator_comparison(comparison)
    basis = "peers" if indicators["peer_average_score"].notna().any() else "eu"
    return {
        "scoreboard": _scoreboard_summary(context, result, row),
        "dimensions": _dimension_comparison(result, comparison, context.region_code),
        "indicators": indicators,
        "strengths": _extremes(indicators, "strength", basis),
        "weaknesses": _extremes(indicators, "weakness", basis),
        "basis": basis,
        "notes": notes,
    }


def _no_scoreboard(reason: str) -> dict:
    empty_dimensions = pd.DataFrame(columns=DIMENSION_COLUMNS)
    empty_indicators = pd.DataFrame(columns=INDICATOR_COLUMNS)
    return {
        "scoreboard": {"available": False, "reason": reason},
        "dimensions": empty_dimensions,
        "indicators": empty_indicators,
        "strengths": empty_indicators,
        "weaknesses": empty_indicators,
        "basis": "none",
        "notes": [f"Ecosystem scoreboard not available: {reason}."],
    }


def _comparison(result: ScoreboardResult, region_code: str, peers: list[str]) -> pd.DataFrame:
    """``compare_with_peers`` on the rows of the region and its peers only (same numbers)."""
    keep = {region_code, *peers}
    slim = dataclasses.replace(
        result,
        indicator_scores=_rows_of(result.indicator_scores, keep),
        subdimension_scores=_rows_of(result.subdimension_scores, keep),
        dimension_scores=_rows_of(result.dimension_scores, keep),
        overall=_rows_of(result.overall, keep),
    )
    return compare_with_peers(slim, region_code, peers)


def _rows_of(frame: pd.DataFrame, codes: set[str]) -> pd.DataFrame:
    return frame.loc[frame["region_code"].isin(codes)]


def _scoreboard_summary(context: _Context, result: ScoreboardResult, row: pd.Series) -> dict:
    overall = result.overall
    scored = overall["score"].notna()
    in_country = overall["country_code"] == row["country_code"]
    ranks = _rank_intervals(
        context.store, context.level, context.rule_set, context.variant, context.n_draws,
        context.seed,
    )  # fmt: skip
    interval = ranks.loc[context.region_code] if context.region_code in ranks.index else None
    eu_score = result.eu_average.loc[result.eu_average["node_type"] == "index", "score"]
    return {
        "available": True,
        "framework": result.framework.name,
        "framework_variant": result.framework.variant,
        "score": row["score"],
        "eu_average_score": float(eu_score.iloc[0]) if len(eu_score) else np.nan,
        "relative_to_eu": row["relative_to_eu"],
        "performance_group": str(row["performance_group"]),
        "rank_europe": row["rank_europe"],
        "n_regions_scored": int(scored.sum()),
        "rank_country": row["rank_country"],
        "n_country_scored": int((scored & in_country).sum()),
        "n_indicators": int(row["n_indicators"]),
        "n_fallbacks": int(row["n_fallbacks"]),
        "rank_median": None if interval is None else interval["rank_median"],
        "rank_p05": None if interval is None else interval["rank_p05"],
        "rank_p95": None if interval is None else interval["rank_p95"],
        "group_stability": None if interval is None else interval["group_stability"],
        "n_draws": context.n_draws,
        "seed": context.seed,
    }


def _dimension_comparison(
    result: ScoreboardResult, comparison: pd.DataFrame, region_code: str
) -> pd.DataFrame:
    rows = comparison.loc[comparison["node_type"].isin(["dimension", "index"])]
    dimension_relative = result.dimension_scores.loc[
        result.dimension_scores["region_code"] == region_code
    ].set_index("dimension_code")["relative_to_eu"]
    index_relative = result.overall.loc[
        result.overall["region_code"] == region_code, "relative_to_eu"
    ]
    relative = rows["node_code"].map(dimension_relative).astype(float)
    relative = relative.mask(rows["node_type"] == "index", float(index_relative.iloc[0]))
    return rows.assign(relative_to_eu=relative)[DIMENSION_COLUMNS].reset_index(drop=True)


def _indicator_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    rows = comparison.loc[comparison["node_type"] == "indicator"]
    has_peers = rows["peer_average_score"].notna().any()
    reference = rows["peer_average_score"] if has_peers else rows["eu_average_score"]
    difference = rows["region_score"] - reference
    if has_peers:
        assessment = rows["assessment"]
    else:
        labels = np.select(
            [
                difference >= DEFAULT_STRENGTH_THRESHOLD,
                difference <= -DEFAULT_STRENGTH_THRESHOLD,
                difference.notna(),
            ],
            ["strength", "weakness", "similar"],
            default="",
        )
        assessment = pd.Series(labels, index=rows.index, dtype="str").replace("", pd.NA)
    frame = rows.assign(
        indicator_code=rows["node_code"], difference=difference, assessment=assessment
    )
    return frame[INDICATOR_COLUMNS].reset_index(drop=True)


def _extremes(indicators: pd.DataFrame, kind: str, basis: str) -> pd.DataFrame:
    chosen = indicators.loc[indicators["assessment"] == kind]
    ordered = chosen.sort_values(
        ["difference", "indicator_code"], ascending=[kind == "weakness", True], kind="stable"
    )
    return ordered.head(N_STRENGTHS).reset_index(drop=True)


# --- methods note ------------------------------------------------------------------------------


def _methods_note(context: _Context, rule_set: StarRuleSet, framework: Framework) -> str:
    criteria = "; ".join(
        f"{c.name}: {c.metric} "
        + (f"in the top {c.cutoff:.0%}" if c.rule == "top_share" else f"≥ {c.cutoff:g}")
        for c in rule_set.criteria
    )
    benchmark = _benchmark_sentence(context)
    # one short paragraph: the scorecard is a few pages, and the peers' method is printed with
    # the key facts
    return " ".join(
        [
            "**Methods.** *Cluster categories* are approximated from NACE Rev. 2 divisions "
            "(regional structural business statistics exist only for divisions): each "
            "division's employment is split equally among its classes; suppressed cells are "
            "estimated from the section total where possible (flagged), else *not available*, "
            "never 0.",
            f"*Location quotient* LQ = (E_ir / E_r) / (E_i / E). {benchmark}",
            f"*Stars* ({rule_set.label or rule_set.name}): one per criterion met ({criteria}), "
            "counted out of the criteria with data.",
            f"*Key facts*: the value of {context.year}, else the latest up to "
            f"{KEY_FACT_MAX_LAG} years earlier; {EU_LABEL} and peer averages are unweighted "
            f"means of the regions with a value ({EU_LABEL}: NUTS-{context.level} regions of NUTS "
            f"{STATISTICS_EDITION}); GDP per inhabitant in % of the EU average is 100 for the EU "
            "by definition.",
            f"*Ecosystem scoreboard* ({framework.name}, weights '{framework.variant}'): min-max "
            "scores 0–100 (outliers capped at 3 standard deviations), arithmetic means up the "
            f"tree, the {EU_LABEL} regions as reference set ({EU_LABEL} average profile = 100); "
            f"strengths and weaknesses: {DEFAULT_STRENGTH_THRESHOLD:g} points or more above or "
            "below the comparison group.",
            f"*Rank interval*: {context.n_draws} Monte Carlo draws of the weights (Dirichlet "
            f"around the framework's), normalisation and aggregation (seed {context.seed}); "
            f"{RANK_PERCENTILES[0]:g}th to {RANK_PERCENTILES[1]:g}th percentile of the rank.",
        ]
    )


def _benchmark_sentence(context: _Context) -> str:
    key = (context.store.version, "benchmark", context.level)

    def compute() -> str:
        try:
            return reference_set_description(context.store.cluster_employment, level=context.level)
        except ObservatoryError:
            return ""

    return _memo(key, compute)


# --------------------------------------------------------------------------------------------
# Figures and files


@dataclasses.dataclass(frozen=True)
class ScorecardImage:
    """One static figure of the scorecard: PNG bytes (None when not available) and alt text."""

    name: str
    png: bytes | None
    alt: str
    note: str = ""


def scorecard_images(card: Scorecard, store: Store, *, dpi: int = _IMAGE_DPI) -> dict:
    """Render the scorecard's figures to deterministic PNG bytes.

    Returns:
        ``{"locator": ..., "category_map": ..., "dimension_chart": ...}`` of
        :class:`ScorecardImage`; an image whose data are missing has ``png=None`` and a note.
        The maps are half a page wide (``MAP_WIDTH_INCHES``); the category map is rendered
        at 120 % of ``dpi``, the locator at 90 %. The PNGs are opaque RGB.

    Each figure is drawn over a background shared with other regions (``figure_layers``):
    the same for a region alone and after any others.
    """
    renderers = {
        "locator": _locator_image,
        "category_map": _category_map_image,
        "dimension_chart": _dimension_image,
    }
    images = {}
    for name, render in renderers.items():
        resolution = round(dpi * _MAP_DPI.get(name, _IMAGE_DPI) / _IMAGE_DPI)
        pixels, alt, note = render(card, store, resolution)
        png = _png_bytes(pixels) if pixels is not None else None
        images[name] = ScorecardImage(name=name, png=png, alt=alt, note=note)
    return images


def _png_bytes(pixels: np.ndarray) -> bytes:
    """Deterministic PNG bytes of RGB pixels.

    The figures are drawn on white, so matplotlib's alpha channel carries nothing; without it
    WeasyPrint embeds one image stream per figure instead of an image and a soft mask.
    """
    from PIL import Image

    buffer = io.BytesIO()
    # no metadata: same figure, same bytes; level 3 is a third faster than the default 6
    # and as small on these flat-coloured figures
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def image_output(image: ScorecardImage):
    """An IPython display object: the PNG, or a "not available" line when there is none."""
    from IPython.display import Image, Markdown

    if image.png is None:
        return Markdown(f"*{image.alt}: {NOT_AVAILABLE} ({image.note}).*")
    return Image(data=image.png, format="png", alt=image.alt)


def section_output(*parts: str):
    """One IPython display output of Markdown text and HTML tables (``table_html``).

    Each output of a notebook becomes a few nested boxes in the PDF, so a section's text and
    table go out together. Empty parts are left out.
    """
    from IPython.display import Markdown

    return Markdown("\n\n".join(part for part in parts if part))


def table_html(frame: pd.DataFrame, empty_text: str = NOT_AVAILABLE) -> str:
    """A display table as plain HTML (no index, escaped, "not available" for blanks).

    An empty table gives ``empty_text`` in italics (nothing when ``empty_text`` is empty).
    """
    if frame.empty:
        return f"<p><em>{empty_text}</em></p>" if empty_text else ""
    return frame.to_html(index=False, escape=True, border=0, na_rep=NOT_AVAILABLE)


_Rendered = tuple["np.ndarray | None", str, str]  # pixels (None: not available), alt, note


def _locator_image(card: Scorecard, store: Store, dpi: int) -> _Rendered:
    from observatory_lib.products import maps

    level = card.header["nuts_level"]
    geometries = _projected_geometries(store, level)
    alt = f"Map of Europe locating {card.header['region_name']} ({card.region_code})"
    if not geometries["region_code"].eq(card.region_code).any():
        return None, alt, f"no NUTS {STATISTICS_EDITION} boundary for this code"
    lines = _title_lines(f"{card.header['region_name']} ({card.region_code}) in Europe")
    bounds = maps.locator_frame(geometries, card.region_code)

    def background() -> Figure:
        figure = maps.plot_locator_background(geometries, card.region_code, bounds)
        return _fit_map(figure, len(lines))

    country = _memo(
        (store.version, "country_shape", level, card.region_code[:2]),
        lambda: maps.country_shape(geometries, card.region_code),
    )

    def overlay(figure: Figure) -> list:
        marks = maps.add_locator_marks(
            figure.axes[0], geometries, card.region_code, bounds, country=country
        )
        return [*marks, _add_map_title(figure, lines)]

    key = ("locator", store.version, level, bounds, len(lines))
    return figure_layers.render_layered(key, background, overlay, dpi), alt, ""


def _category_map_image(card: Scorecard, store: Store, dpi: int) -> _Rendered:
    from observatory_lib.products import maps

    strongest = card.strongest_category
    if strongest is None:
        return None, "European map of the strongest category", "no rated traded category"
    level = card.header["nuts_level"]
    geometries = _projected_geometries(store, level)
    name = strongest["category_name"]
    values = card.strongest_category_map
    lines = _title_lines(f"{name}: location quotient, NUTS {level} regions, {card.header['year']}")

    def background() -> Figure:
        figure = maps.plot_choropleth(geometries, values, title=None, unit="location_quotient")
        _fit_map(figure, len(lines))
        _add_map_title(figure, lines)
        return figure

    def overlay(figure: Figure) -> list:
        if not geometries["region_code"].eq(card.region_code).any():
            return []
        ax = figure.axes[0]
        (west, east), (south, north) = ax.get_xlim(), ax.get_ylim()
        return maps.highlight_region(ax, geometries, card.region_code, (west, south, east, north))

    key = ("category_map", store.version, level, tuple(lines), _frame_digest(values))
    alt = f"European map of the location quotient of {name}, {card.region_code} outlined"
    return figure_layers.render_layered(key, background, overlay, dpi), alt, ""


def _frame_digest(frame: pd.DataFrame) -> str:
    """A digest of a table's values, in row order."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def _title_lines(title: str) -> list[str]:
    return textwrap.wrap(title, _MAP_TITLE_CHARACTERS)


def _fit_map(figure: Figure, title_lines: int) -> Figure:
    """Shrink a map figure to ``MAP_WIDTH_INCHES``: room for the title above, credit below.

    Text keeps its point size when a figure shrinks, so legend and credit stay readable while
    the map itself gets smaller. The title gets ``title_lines`` lines at 9 pt
    (:func:`_add_map_title` writes them); the credit moves from the map's bottom corner to
    a strip under it, where it cannot cover a southern region (Malta's locator ring). A
    frame taller than ``_MAP_MAX_HEIGHT_INCHES`` keeps that height and gets narrower (its
    aspect ratio is fixed), centred.
    """
    from observatory_lib.products.maps import ATTRIBUTION

    ax = figure.axes[0]
    width, height = figure.get_size_inches()
    map_height = ax.get_position(original=True).height * height * MAP_WIDTH_INCHES / width
    map_height = min(map_height, _MAP_MAX_HEIGHT_INCHES)
    title_height = title_lines * 1.3 * _MAP_TITLE_POINTS / 72 + 2 * _MAP_TITLE_PADDING
    credits = [text for text in ax.texts if text.get_text() == ATTRIBUTION]
    credit_height = 9 / 72 if credits else 0.0
    total = credit_height + map_height + title_height
    figure.set_size_inches(MAP_WIDTH_INCHES, total)
    ax.set_position((0.0, credit_height / total, 1.0, map_height / total))
    for text in credits:
        text.set_transform(figure.transFigure)
        text.set_position((0.995, 1.5 / 72 / total))
    return figure


def _add_map_title(figure: Figure, lines: list[str]):
    """Write the title lines at the top of a figure laid out by :func:`_fit_map`."""
    total = figure.get_size_inches()[1]
    return figure.text(
        0.02, 1 - _MAP_TITLE_PADDING / total, "\n".join(lines), ha="left", va="top",
        fontsize=_MAP_TITLE_POINTS, linespacing=1.2,
    )  # fmt: skip


_DIMENSION_COLOURS = ("#1d3c5e", "#6f9fd1", "#b3b3b3")
_BAR_HEIGHT = 0.27


def _dimension_image(card: Scorecard, store: Store, dpi: int) -> _Rendered:
    alt = "Bar chart of the scoreboard dimension scores: region, peers and EU-28 average"
    frame = card.dimensions
    if frame.empty:
        return None, alt, card.scoreboard.get("reason", "no scoreboard result")
    labels = tuple(frame["label"].astype("str"))[::-1]
    names = (card.region_code, "Peer average", f"{EU_LABEL} average")
    columns = ("region_score", "peer_average_score", "eu_average_score")
    scores = [frame[column].astype(float).to_numpy()[::-1] for column in columns]

    def overlay(figure: Figure) -> list:
        return _dimension_bars(figure.axes[0], names, scores)

    key = ("dimension_chart", labels)
    pixels = figure_layers.render_layered(key, lambda: _dimension_axes(labels), overlay, dpi)
    return pixels, alt, ""


def _dimension_axes(labels: tuple[str, ...]) -> Figure:
    """The chart's frame for these dimensions: axes, ticks and labels, without bars."""
    from matplotlib.figure import Figure

    # compact, with the scores written at the bars: the scorecard prints no dimension table
    height_inches = 0.34 * len(labels) + 0.75
    figure = Figure(figsize=(5.6, height_inches), facecolor="white")
    bottom, top = 0.42 / height_inches, 0.28 / height_inches
    ax = figure.add_axes((0.41, bottom, 0.54, 1 - bottom - top))
    positions = np.arange(len(labels))
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("score (0–100)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return figure


def _dimension_bars(ax, names: tuple[str, ...], scores: list[np.ndarray]) -> list:
    """Bars with their scores written next to them (or "not available"), and the legend."""
    from matplotlib.patches import Rectangle

    artists = []
    handles = []
    series = zip(names, scores, _DIMENSION_COLOURS, strict=True)
    for offset, (name, numbers, colour) in enumerate(series):
        handles.append(Rectangle((0, 0), 1, 1, color=colour, label=name))
        centres = np.arange(len(numbers)) + (1 - offset) * _BAR_HEIGHT
        for y_value, number in zip(centres, numbers, strict=True):
            missing = np.isnan(number)
            bar = Rectangle(
                (0.0, y_value - _BAR_HEIGHT / 2), 0.0 if missing else number, _BAR_HEIGHT,
                color=colour,
            )  # fmt: skip
            ax.add_artist(bar)  # add_patch would also update the data limits (~1 ms a bar)
            text = NOT_AVAILABLE if missing else f"{number:.1f}"
            x_value = 1.0 if missing else number + 1.0
            label = ax.text(x_value, y_value, text, va="center", fontsize=6, color="#404040")
            artists += [bar, label]
    legend = ax.legend(
        handles=handles, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3,
        frameon=False,
    )  # fmt: skip
    return [*artists, legend]


def write_scorecard_files(
    card: Scorecard, output_dir: str | os.PathLike[str], images: Mapping[str, ScorecardImage]
) -> list[Path]:
    """Write the cluster table (CSV with provenance) and the figures' PNGs into ``output_dir``.

    Files: ``<region>_clusters.csv`` (the top traded categories and the emerging industries)
    and ``<region>_<figure>.png``. An empty ``output_dir`` writes nothing (the notebook's
    default); a relative one is placed under ``paths.output_dir()``, never the working
    directory. Every file is written atomically.

    Returns:
        The written paths.
    """
    from observatory_lib.products.downloads import write_table

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
    for name, image in sorted(images.items()):
        if image.png is not None:
            target = directory / f"{card.region_code}_{name}.png"
            _write_bytes_atomic(target, image.png)
            written.append(target)
    return written


def _write_bytes_atomic(target: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Small formatting helpers


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    if frame.empty:
        return []
    return frame.reindex(columns=columns).to_dict("records")


def _formatted(values: pd.Series) -> list[str]:
    return [format_value(None if pd.isna(v) else float(v)) for v in values]


def _text_number(value: Any, decimals: int) -> str:
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return f"{float(value):,.{decimals}f}"


def _text_signed(value: Any) -> str:
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return f"{float(value):+.1f}"


def _text_int(value: Any) -> str:
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return f"{int(value)}"


def _text_label(value: Any) -> str:
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return str(value)


def _escaped(text: Any) -> str:
    """Text for Markdown: characters that would start emphasis, links or HTML escaped."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", str(text))


def _pct(share: Any) -> float:
    return np.nan if share is None or pd.isna(share) else 100.0 * float(share)

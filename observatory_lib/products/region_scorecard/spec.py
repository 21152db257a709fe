"""What a region scorecard holds: its sections' columns, its key facts and its defaults.

Shared by the modules that compute the sections (``facts``, ``clusters``, ``ecosystem``) and
the card that assembles them (``card``), so that none of them imports another's internals.
"""

from __future__ import annotations

import dataclasses

from observatory_lib.data.store import Store
from observatory_lib.indicators import recipes
from observatory_lib.indicators.stars import StarRuleSet
from observatory_lib.products.kit.provenance import PRODUCT_SOURCES

RECORD_SCHEMA = "observatory.scorecard/2"
DEFAULT_VARIANT = recipes.DEFAULT_VARIANT
DEFAULT_DRAWS = recipes.DEFAULT_DRAWS
DEFAULT_SEED = recipes.DEFAULT_SEED
N_TOP_CATEGORIES = 10
N_STRENGTHS = 5
KEY_FACT_MAX_LAG = 3
EU_COUNTRIES = recipes.EU_COUNTRIES
EU_LABEL = recipes.EU_LABEL
SOURCES = PRODUCT_SOURCES["scoreboard"]
# The footer also names the cluster definitions: the portfolio and the stars rest on them.
FOOTER_SOURCES = (*SOURCES, "eco_")
RANK_PERCENTILES = recipes.RANK_PERCENTILES


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


@dataclasses.dataclass(frozen=True)
class ScorecardContext:
    store: Store
    region_code: str
    level: int
    year: int
    rule_set: StarRuleSet
    variant: str
    n_draws: int
    seed: int

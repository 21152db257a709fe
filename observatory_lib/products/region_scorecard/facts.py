"""The scorecard's header, peers, key facts and provenance footer.

Key facts: a region's value of ``year``, else its latest value up to ``KEY_FACT_MAX_LAG``
years earlier (the year used is shown). The EU-28 average is the unweighted mean over the
EU-28 regions of the same NUTS level with a value, selected by the same rule; the peer
average is the unweighted mean over the peers with a value. For "GDP per inhabitant, % of the
EU average" the EU value is 100 by definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.data.store import Store
from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators import recipes
from observatory_lib.indicators.peers import DEFAULT_STRUCTURAL, check_peers, default_peers
from observatory_lib.indicators.stars import StarRuleSet
from observatory_lib.products.kit.provenance import (
    provenance_markdown,
    provenance_table,
    vintage_line,
)
from observatory_lib.products.region_scorecard.spec import (
    FOOTER_SOURCES,
    KEY_FACT_COLUMNS,
    KEY_FACT_MAX_LAG,
    KEY_FACTS,
    SOURCES,
    ScorecardContext,
)


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
        in_eu = latest["region_code"].isin(recipes.eu_region_codes(store, level))
        eu = latest.loc[in_eu].groupby("indicator_code")["value"].agg(["mean", "count"])
        return values, eu

    return recipes.memo((store.version, "key_facts", level, year), compute)


def _peer_candidates(store: Store, level: int) -> pd.DataFrame:
    """The structural indicators default peers are chosen on (a small slice: fast to pivot)."""

    def compute() -> pd.DataFrame:
        context = store.context_indicators
        return context.loc[
            context["nuts_level"].eq(level) & context["indicator_code"].isin(DEFAULT_STRUCTURAL)
        ]

    return recipes.memo((store.version, "peer_candidates", level), compute)


def header(context: ScorecardContext, rule_set: StarRuleSet) -> dict:
    store = context.store
    regions = recipes.statistics_regions(store)
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


def provenance_footer(store: Store) -> str:
    """The compact footer: one line per dataset (the scorecard should stay a few pages)."""

    def compute() -> str:
        return provenance_markdown(
            store.provenance,
            FOOTER_SOURCES,
            store_version=store.version,
            nuts_edition=STATISTICS_EDITION,
            compact=True,
        )

    return recipes.memo((store.version, "provenance_footer"), compute)


def sources(store: Store) -> pd.DataFrame:
    return recipes.memo(
        (store.version, "sources"), lambda: provenance_table(store.provenance, SOURCES)
    )


def _data_vintage(store: Store) -> str:
    """One line: the SBS vintage, then the range of the other statistics' vintages."""
    return recipes.memo((store.version, "data_vintage"), lambda: _vintage_line(store))


def _vintage_line(store: Store) -> str:
    return vintage_line(store.provenance, SOURCES)


def choose_peers(
    context: ScorecardContext, requested: list[str]
) -> tuple[list[str], str, list[str]]:
    """The peers to use, how they were chosen, and notes (user peers are validated)."""
    regions = recipes.statistics_regions(context.store)
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


def peer_regions(context: ScorecardContext, peer_codes: list[str]) -> pd.DataFrame:
    regions = recipes.statistics_regions(context.store)
    return regions.loc[peer_codes, ["region_code", "region_name", "country_code"]].reset_index(
        drop=True
    )


def key_facts(context: ScorecardContext, peer_codes: list[str]) -> pd.DataFrame:
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

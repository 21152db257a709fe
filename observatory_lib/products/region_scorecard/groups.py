"""The scorecard of a region group (``data/region_groups.yaml``): the same card, where defined.

A group gets its key facts (context indicators summed or averaged with the weights of
``data/group_aggregation.yaml``) against the EU-28 average, its cluster portfolio and emerging
industries (employment summed over the members, LQs and stars recomputed against Europe), the
strongest category's European map with the group outlined, and its "where next" part. It has
no peers, no scoreboard and no policy dashboard: the scoreboard ranks the regions of one NUTS
level against each other, which a group of mixed levels is not; the card says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR, STATISTICS_EDITION
from observatory_lib.data.region_groups import RegionGroup
from observatory_lib.data.store import Store
from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators import policy_recipes, recipes
from observatory_lib.indicators.clusters import compute_structural_indicators
from observatory_lib.indicators.panorama import region_portfolio
from observatory_lib.indicators.region_groups import (
    benchmark_level,
    describe_rules,
    load_aggregation_rules,
)
from observatory_lib.indicators.stars import load_star_preset
from observatory_lib.products.region_scorecard.card import Scorecard
from observatory_lib.products.region_scorecard.change import empty_change
from observatory_lib.products.region_scorecard.clusters import (
    _category_map,
    _cluster_notes,
    _data_notes,
    _empty_map,
    _first_value,
    _strongest,
)
from observatory_lib.products.region_scorecard.ecosystem import methods_note
from observatory_lib.products.region_scorecard.facts import (
    _data_vintage,
    eu_key_fact_averages,
    provenance_footer,
    sources,
)
from observatory_lib.products.region_scorecard.parameters import coerce_year
from observatory_lib.products.region_scorecard.spec import (
    DEFAULT_VARIANT,
    DIMENSION_COLUMNS,
    INDICATOR_COLUMNS,
    KEY_FACT_COLUMNS,
    KEY_FACT_MAX_LAG,
    KEY_FACTS,
    N_TOP_CATEGORIES,
    PORTFOLIO_COLUMNS,
    ScorecardContext,
)
from observatory_lib.products.region_scorecard.where_next import not_available, where_next

NO_SCOREBOARD = (
    "a region group is not scored (the scoreboard ranks the regions of one NUTS level against "
    "each other)"
)


# the members' yearly series are not summed into a group's (breaks and apportioned regions
# would have to be reconciled across members first)
GROUP_CHANGE_REASON = "it is computed for single regions, not for region groups"


def build_group_scorecard(
    store: Store,
    group_code: str,
    *,
    year: int | str = DEFAULT_YEAR,
    star_preset: str = DEFAULT_STAR_PRESET,
    peers=None,
    framework_variant: str = DEFAULT_VARIANT,
    n_draws=None,
    seed=None,
) -> Scorecard:
    """The scorecard of the region group ``group_code`` (peers, draws and seed do not apply).

    Raises:
        UnknownCodeError: an unknown group (nearest group codes listed) or year.
        ConfigError: a bad groups file (every bad line named).
    """
    year = coerce_year(year)
    group = policy_recipes.region_group(store, group_code)
    rule_set = load_star_preset(star_preset)
    level = benchmark_level(group)
    context = ScorecardContext(
        store, group.code, level if level is not None else 2, year, rule_set,
        framework_variant, 0, 0,
    )  # fmt: skip
    notes = [] if not peers else ["A region group has no peers; the peers given were ignored."]
    clusters = _group_clusters(context, group)
    where = _group_where_next(context, group, clusters["summary"]["has_cluster_data"])
    empty_indicators = pd.DataFrame(columns=INDICATOR_COLUMNS)
    return Scorecard(
        region_code=group.code,
        parameters={
            "group_code": group.code,
            "year": year,
            "star_preset": rule_set.name,
            "framework_variant": framework_variant,
        },
        header=_header(context, group),
        key_facts=_key_facts(context, group),
        peers=(),
        peer_method="no peers: a region group is compared with the EU-28 average",
        peer_regions=pd.DataFrame(columns=["region_code", "region_name", "country_code"]),
        cluster_summary=clusters["summary"],
        portfolio=clusters["portfolio"],
        emerging=clusters["emerging"],
        scoreboard={"available": False, "reason": NO_SCOREBOARD},
        dimensions=pd.DataFrame(columns=DIMENSION_COLUMNS),
        indicators=empty_indicators,
        strengths=empty_indicators,
        weaknesses=empty_indicators,
        strengths_basis="none",
        strongest_category=clusters["strongest"],
        strongest_category_map=clusters["map"],
        change=empty_change(GROUP_CHANGE_REASON),
        panel=pd.DataFrame(),
        provenance=provenance_footer(store),
        sources=sources(store),
        methods_note=_methods(context, group),
        notes=tuple(notes + clusters["notes"]),
        where_next=where,
        policy={"available": False, "reason": NO_SCOREBOARD},
        group=_group_record(store, group, level),
    )


def _group_record(store: Store, group: RegionGroup, level: int | None) -> dict:
    names = recipes.statistics_regions(store)["region_name"]
    return {
        "code": group.code,
        "name": group.name,
        "members": list(group.members),
        "member_names": [str(names.get(code, code)) for code in group.members],
        "member_levels": list(group.member_levels),
        "benchmark_level": level,
        "source": group.source,
        "is_example": group.is_example,
        "note": group.note,
        "provenance": group.provenance_line(),
    }


def _header(context: ScorecardContext, group: RegionGroup) -> dict:
    countries = sorted({code[:2] for code in group.members})
    return {
        "region_code": group.code,
        "region_name": group.name,
        "country_code": ", ".join(countries),
        "country_name": "region group",
        "nuts_level": context.level,
        "nuts_edition": STATISTICS_EDITION,
        "year": context.year,
        "data_vintage": _data_vintage(context.store),
        "store_version": context.store.version,
        "star_preset": context.rule_set.name,
    }


def _key_facts(context: ScorecardContext, group: RegionGroup) -> pd.DataFrame:
    values = policy_recipes.group_context(context.store, group)
    eu = eu_key_fact_averages(context.store, context.level, context.year)
    catalog = context.store.context_indicator_catalog.set_index("indicator_code")
    window = values.loc[values["year"].between(context.year - KEY_FACT_MAX_LAG, context.year)]
    latest = window.sort_values("year").drop_duplicates("indicator_code", keep="last")
    latest = latest.set_index("indicator_code")
    rows = []
    for spec in KEY_FACTS:
        code = spec.indicator_code
        own = latest.loc[code] if code in latest.index else None
        eu_average = spec.eu_value if spec.eu_value is not None else eu["mean"].get(code, np.nan)
        value = np.nan if own is None else float(own["value"])
        rows.append(
            {
                "indicator_code": code,
                "label": str(catalog["label"].get(code, code)),
                "unit": str(catalog["unit"].get(code, spec.display_unit)),
                "year": pd.NA if own is None else int(own["year"]),
                "value": value,
                "flag": pd.NA if own is None else own["flag"],
                "peer_average": np.nan,
                "n_peers_with_data": 0,
                "eu_average": eu_average,
                "n_eu_regions": int(eu["count"].get(code, 0)),
                "relative_to_eu": 100 * value / eu_average if eu_average else np.nan,
            }
        )
    frame = pd.DataFrame(rows, columns=KEY_FACT_COLUMNS)
    return frame.astype({"year": "Int64", "flag": "str", "value": float, "eu_average": float})


def _group_clusters(context: ScorecardContext, group: RegionGroup) -> dict:
    empty = pd.DataFrame(columns=PORTFOLIO_COLUMNS)
    try:
        rated = policy_recipes.group_rated_clusters(context.store, group, context.rule_set)
    except ObservatoryError as error:
        reason = str(error).split(" Fix:")[0].rstrip(".")
        return {
            "portfolio": empty,
            "emerging": empty,
            "summary": {"has_cluster_data": False, "reason": reason},
            "strongest": None,
            "map": _empty_map(),
            "notes": [f"Cluster portfolio not available: {reason}."],
        }
    rows = rated.loc[rated["year"] == context.year]
    full = region_portfolio(
        rows, group.code, recipes.statistics_regions(context.store).reset_index(drop=True),
        year=context.year, categories=context.store.cluster_categories,
    )  # fmt: skip
    passes = full[[c for c in full.columns if c.endswith("_pass")]]
    full = full.assign(
        rank=full.groupby("category_type").cumcount() + 1,
        n_criteria_missing=full["stars_out_of"] - passes.notna().sum(axis=1),
        data_note=_data_notes(full),
    )
    traded = full.loc[full["category_type"] == "traded"]
    strongest = _strongest(traded)
    regions_rated = recipes.rated_clusters(context.store, context.level, context.rule_set)
    return {
        "portfolio": traded.head(N_TOP_CATEGORIES)[PORTFOLIO_COLUMNS].reset_index(drop=True),
        "emerging": full.loc[full["category_type"] == "emerging"][PORTFOLIO_COLUMNS].reset_index(
            drop=True
        ),
        "summary": _summary(context, rows, traded, full),
        "strongest": strongest,
        "map": _category_map(context, regions_rated, strongest),
        "notes": _cluster_notes(full),
    }


def _summary(
    context: ScorecardContext, rows: pd.DataFrame, traded: pd.DataFrame, full: pd.DataFrame
) -> dict:
    structural = compute_structural_indicators(rows).set_index("indicator_code")["value"]
    stars = traded["stars"]
    return {
        "has_cluster_data": True,
        "year": context.year,
        "n_clusters_rated": int(stars.notna().sum()),
        "n_starred_clusters": int((stars.fillna(0) >= 1).sum()),
        "n_clusters_all_stars": int(((stars == traded["stars_out_of"]).fillna(False)).sum()),
        "starred_employment_share_pct": structural.get(
            "starred_cluster_employment_share_pct", np.nan
        ),
        "specialisation_diversity": structural.get("specialisation_diversity", np.nan),
        "region_employment_persons": _first_value(rows["region_employment_persons"]),
        "n_sections_imputed": 0,
        "n_categories_not_available": int(full["employment_persons"].isna().sum()),
        "star_preset": context.rule_set.name,
        "star_preset_label": context.rule_set.label or context.rule_set.name,
        "stars_basis": str(full["stars_basis"].iloc[0]) if "stars_basis" in full else "",
    }


def _group_where_next(context: ScorecardContext, group: RegionGroup, has_clusters: bool) -> dict:
    if not has_clusters:
        return not_available("no cluster figures for this group")
    related = policy_recipes.group_opportunities(context.store, group, year=context.year)
    summary = related["summary"]
    traded = summary.loc[summary["category_type"] == "traded"]
    return where_next(
        related["opportunities"],
        related["support"],
        related["variety"],
        traded.iloc[0].to_dict() if len(traded) else {},
    )


def _methods(context: ScorecardContext, group: RegionGroup) -> str:
    labels = context.store.context_indicator_catalog.set_index("indicator_code")["label"]
    rules = describe_rules(
        load_aggregation_rules(), [s.indicator_code for s in KEY_FACTS], labels.to_dict()
    )
    aggregation = "; ".join(f"{labels.get(code, code)}: {text}" for code, text in rules.items())
    return " ".join(
        [
            methods_note(context, context.rule_set, recipes.framework(context.variant)),
            "**Region group.** Cluster employment is the sum of the members' (each at its own "
            "NUTS level; missing when any member is missing); location quotients, size, focus "
            f"and stars are recomputed for the group against Europe at NUTS {context.level}, "
            "the finest level among the members; a group larger than a region passes the size "
            "criterion more easily. Key facts are aggregated from the members "
            f"({aggregation}; data/group_aggregation.yaml).",
        ]
    )

"""The scorecard's "where next" part and its policy dashboard (issue 15).

**Where next**: the five diversification opportunities of the region among the traded
categories (not yet specialised, the highest relatedness density first) with the strengths
that support each and the category's European size; the related strengths that support the
most of them; related and unrelated variety. **Policy dashboard**: the weakest scoreboard
dimensions and indicators against the peers, each with its policy area. Every number comes from
the recipe layer (``policy_recipes.opportunities``, ``opportunity_support``, ``variety``,
``opportunity_summary``, ``policy_dashboard``).
"""

from __future__ import annotations

import pandas as pd

from observatory_lib.errors import ObservatoryError
from observatory_lib.indicators import policy_recipes
from observatory_lib.indicators.relatedness import GROWTH_AVAILABLE
from observatory_lib.products.kit.labels import NOT_AVAILABLE
from observatory_lib.products.kit.numbers import format_number, format_signed, is_missing
from observatory_lib.products.region_scorecard.spec import EU_LABEL, ScorecardContext
from observatory_lib.products.region_scorecard.text import escaped

N_OPPORTUNITIES = 5
N_SUPPORT_SHOWN = 2
N_RELATED_STRENGTHS = 3
RELATEDNESS_LEVEL = 2  # the category space is defined among NUTS-2 regions
OPPORTUNITY_FIELDS = [
    "rank_in_region",
    "category_code",
    "category_name",
    "category_type",
    "lq",
    "relatedness_density",
    "n_related_strengths",
    "european_employment_persons",
    "european_employment_share",
    "european_growth_pct",
    "european_growth_status",
]
STRENGTH_FIELDS = [
    "category_code",
    "category_name",
    "lq",
    "n_opportunities_supported",
    "proximity_sum",
]
DASHBOARD_FIELDS = [
    "node_type",
    "node_code",
    "label",
    "region_score",
    "reference_score",
    "difference",
    "policy_area",
    "points_to",
]


def not_available(reason: str) -> dict:
    """A where-next part that says why it is missing."""
    return {"available": False, "reason": reason}


def region_where_next(context: ScorecardContext, has_clusters: bool) -> dict:
    """The where-next part of a region (NUTS 2 only: the category space is among them)."""
    if context.level != RELATEDNESS_LEVEL:
        return not_available(
            f"relatedness is computed among NUTS-{RELATEDNESS_LEVEL} regions; this is a "
            f"NUTS-{context.level} region"
        )
    if not has_clusters:
        return not_available("no cluster employment in the structural business statistics")
    store, code = context.store, context.region_code
    try:
        ranked = policy_recipes.opportunities(store, code, year=context.year)
        support = policy_recipes.opportunity_support(store, code, year=context.year)
    except ObservatoryError:
        return not_available("no location quotients for this region")
    summary = policy_recipes.opportunity_summary(store, RELATEDNESS_LEVEL, context.year)
    traded = summary.loc[(summary["region_code"] == code) & (summary["category_type"] == "traded")]
    variety = policy_recipes.variety(store, RELATEDNESS_LEVEL, context.year)
    return where_next(
        ranked,
        support,
        variety.loc[variety["region_code"] == code],
        traded.iloc[0].to_dict() if len(traded) else {},
    )


def where_next(
    ranked: pd.DataFrame, support: pd.DataFrame, variety: pd.DataFrame, summary: dict
) -> dict:
    """The part from a unit's opportunities, their support, its variety row and its summary."""
    traded = ranked.loc[ranked["category_type"] == "traded"]
    top = traded.loc[traded["relatedness_density"].notna()].head(N_OPPORTUNITIES)
    if top.empty:
        if traded["lq"].isna().all():
            return not_available("no location quotient (its cluster employment is not known)")
        return not_available("no traded category below an LQ of 1 has a relatedness density")
    chosen = support.loc[support["category_code"].isin(top["category_code"])]
    strengths = _related_strengths(chosen)
    shown = chosen.loc[chosen["support_rank"] <= N_SUPPORT_SHOWN]
    related = shown.groupby("category_code", sort=False).apply(
        lambda rows: [
            {"category_code": c, "category_name": n, "proximity": p}
            for c, n, p in zip(
                rows["related_category_code"],
                rows["related_category_name"],
                rows["proximity"],
                strict=True,
            )
        ],
        include_groups=False,
    )
    opportunities = top[OPPORTUNITY_FIELDS].assign(
        related_strengths=top["category_code"]
        .map(related)
        .map(lambda v: v if isinstance(v, list) else [])
    )
    row = variety.iloc[0] if len(variety) else None
    return {
        "available": True,
        "opportunities": opportunities.reset_index(drop=True),
        "related_strengths": strengths,
        "n_specialised": summary.get("n_specialised"),
        "n_strong_opportunities": summary.get("n_strong_opportunities"),
        "strong_density": policy_recipes.STRONG_DENSITY,
        "related_variety_bits": None if row is None else row["related_variety_bits"],
        "unrelated_variety_bits": None if row is None else row["unrelated_variety_bits"],
        "growth_status": str(top["european_growth_status"].iloc[0]),
    }


def _related_strengths(support: pd.DataFrame) -> pd.DataFrame:
    """The region's specialisations that support the most of its top opportunities (a few
    rows: counted in a loop, which is faster here than a groupby)."""
    found: dict[str, dict] = {}
    for opportunity, code, name, lq, proximity in zip(
        support["category_code"],
        support["related_category_code"],
        support["related_category_name"],
        support["related_lq"],
        support["proximity"],
        strict=True,
    ):
        entry = found.setdefault(
            code, {"category_code": code, "category_name": name, "lq": lq, "supported": set(),
                   "proximity_sum": 0.0}
        )  # fmt: skip
        entry["supported"].add(opportunity)
        entry["proximity_sum"] += float(proximity)
    rows = [
        {**entry, "n_opportunities_supported": len(entry.pop("supported"))}
        for entry in found.values()
    ]
    rows.sort(
        key=lambda r: (-r["n_opportunities_supported"], -r["proximity_sum"], r["category_code"])
    )
    return pd.DataFrame(rows[:N_RELATED_STRENGTHS], columns=STRENGTH_FIELDS)


def region_policy_dashboard(context: ScorecardContext, peers: list[str], has_board: bool) -> dict:
    """The policy dashboard of a region with a scoreboard result."""
    if not has_board:
        return {"available": False, "reason": "no scoreboard result for this region"}
    dashboard, basis = policy_recipes.policy_dashboard(
        context.store,
        context.region_code,
        peers,
        level=context.level,
        star_preset=context.rule_set,
        variant=context.variant,
    )
    return {
        "available": True,
        "basis": basis,
        "rows": dashboard[DASHBOARD_FIELDS].reset_index(drop=True),
        "not_covered": list(policy_recipes.policy_areas().not_covered),
    }


# --- for the publication -------------------------------------------------------------------------


def where_next_markdown(part: dict, subject: str = "the region") -> str:
    """The where-next part's key numbers in sentences (the table of opportunities follows):
    specialisations and strong opportunities, the related strengths that support the most of
    them, and variety."""
    if not part["available"]:
        reason = part["reason"]
        return f"The diversification opportunities are {NOT_AVAILABLE} for {subject}: {reason}."
    sentences = []
    if not is_missing(part.get("n_strong_opportunities")):
        strong = int(part["n_strong_opportunities"])
        others = "none has" if strong == 0 else f"{strong} {'has' if strong == 1 else 'have'}"
        sentences.append(
            f"{subject[0].upper()}{subject[1:]} is specialised (LQ ≥ 1) in "
            f"{_categories(part['n_specialised'])}; of the others, {others} a relatedness "
            f"density of {part['strong_density']:g} or more."
        )
    strengths = part["related_strengths"]
    if len(strengths):
        n = len(part["opportunities"])
        items = ", ".join(
            f"{escaped(r.category_name)} (LQ {format_number(r.lq, 2, NOT_AVAILABLE)}; "
            f"supports {r.n_opportunities_supported} of {n})"
            for r in strengths.itertuples(index=False)
        )
        sentences.append(f"The specialisations that support the most of them: {items}.")
    if not is_missing(part["related_variety_bits"]):
        sentences.append(
            f"Related variety {format_number(part['related_variety_bits'], 2)} bits, unrelated "
            f"variety {format_number(part['unrelated_variety_bits'], 2)} bits (entropy of traded "
            "employment within and between technology groups)."
        )
    return " ".join(sentences)


def growth_note(part: dict) -> str:
    """Why the opportunities have no European growth yet ("" once they have)."""
    if not part["available"] or part["growth_status"] == GROWTH_AVAILABLE:
        return ""
    return f"European employment growth of the categories: {part['growth_status']}."


def _categories(value) -> str:
    if is_missing(value):
        return f"a number of traded categories {NOT_AVAILABLE}"
    return f"{int(value)} traded {'category' if int(value) == 1 else 'categories'}"


# the scorecard's table names the two closest related strengths of each opportunity (its JSON
# twin and the region explorer keep three): the page holds four parts in four pages
SUPPORT_SHOWN = 2


def opportunities_frame(part: dict) -> pd.DataFrame:
    """The opportunities with their supporting strengths as text (``supporting_strengths``:
    ``Automotive (0.33); ...``, proximity in brackets); empty when not available."""
    if not part["available"]:
        return pd.DataFrame()
    frame = part["opportunities"]
    return frame.assign(
        supporting_strengths=[
            "; ".join(
                f"{s['category_name']} ({format_number(s['proximity'], 2)})"
                for s in strengths[:SUPPORT_SHOWN]
            )
            or "none"
            for strengths in frame["related_strengths"]
        ]
    )


def has_growth(part: dict) -> bool:
    """True once the store holds several years (the opportunities' European growth)."""
    return bool(part["available"] and part["opportunities"]["european_growth_pct"].notna().any())


def policy_markdown(part: dict, subject: str = "the region") -> str:
    """The dashboard's key numbers: the comparison group, the weakest dimension and its
    policy area, and what the data cannot show."""
    if not part["available"]:
        return f"The policy dashboard is {NOT_AVAILABLE} for {subject}: {part['reason']}."
    group = "the peer average" if part["basis"] == "peers" else f"the {EU_LABEL} average"
    rows = part["rows"]
    if rows.empty:
        lead = f"No dimension or indicator of {subject} is below {group}."
    else:
        weakest = rows.iloc[0]
        kind = "dimension" if weakest["node_type"] == "dimension" else "indicator"
        lead = (
            f"The weakest {kind} of {subject} against {group} is "
            f"**{escaped(weakest['label'])}** ({format_signed(weakest['difference'], 1)} "
            f"points); it points to {escaped(str(weakest['policy_area']).lower())}."
        )
    missing = "; ".join(part["not_covered"])
    return f"{lead} *Not covered by the data:* {missing}."


def policy_frame(part: dict) -> pd.DataFrame:
    """The dashboard's rows for the publication table: ``weak_part`` (whether it is a
    dimension or an indicator, and its label), the scores, the difference written with its sign, the
    policy area and what it points to; empty when not available or nothing is weak."""
    if not part["available"] or part["rows"].empty:
        return pd.DataFrame()
    rows = part["rows"]
    reference = "peer_average_score" if part["basis"] == "peers" else "eu_average_score"
    return pd.DataFrame(
        {
            "weak_part": [
                f"{'Dimension' if kind == 'dimension' else 'Indicator'}: {label}"
                for label, kind in zip(rows["label"], rows["node_type"], strict=True)
            ],
            "region_score": rows["region_score"].to_numpy(),
            reference: rows["reference_score"].to_numpy(),
            "difference": [format_signed(v, 1) for v in rows["difference"]],
            "policy_area": rows["policy_area"].astype("str").to_numpy(),
            "points_to": rows["points_to"].astype("str").to_numpy(),
        }
    )


def group_header_markdown(header: dict, group: dict) -> str:
    """A region group's title and identity: members, membership source, vintages."""
    members = ", ".join(
        f"{name} ({code})"
        for code, name in zip(group["members"], group["member_names"], strict=True)
    )
    lines = [
        f"## {header['region_name']}",
        "",
        f"Region group `{group['code']}` of {len(group['members'])} members: {members}.  ",
        f"{escaped(group['provenance'])}"
        + (f" {escaped(group['note'])}" if group.get("note") else "")
        + "  ",
        f"Measured at NUTS level {header['nuts_level']} (the finest level among the members), "
        f"NUTS {header['nuts_edition']} classification · reference year {header['year']}  ",
        f"Data vintages: {header['data_vintage']} · store version {header['store_version']}",
    ]
    return "\n".join(lines)


def record_part(part: dict) -> dict:
    """The part as plain data for the JSON twin."""
    out = {}
    for key, value in part.items():
        out[key] = value.to_dict("records") if isinstance(value, pd.DataFrame) else value
    return out

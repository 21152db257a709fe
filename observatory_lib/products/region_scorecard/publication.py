"""The scorecard as readers get it: 3-4 A4 pages in the house style.

Page 1: the title block (the region, its code, country, NUTS edition and reference year), key
findings written from the card's numbers and the key facts against the peers and the EU-28.
Then the two maps, the cluster portfolio and the emerging industries as numbered tables, where
next (the diversification opportunities), the ecosystem scoreboard with its chart and the
strengths and weaknesses, the policy dashboard, and the methods and sources. A region group's
scorecard has the same parts where they are defined: its members and their source under the
title, no peer column, no scoreboard and no policy dashboard (one sentence says why). Each
function returns display outputs; the notebook's cells place them on the pages (``new-page``
tag). Every table is a ``kit.tables`` publication table: labelled columns
with units, missing values as ``:``, estimates flagged ``e``.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.indicators.peers import DEFAULT_STRENGTH_THRESHOLD
from observatory_lib.products.kit.document import Document, source_line
from observatory_lib.products.kit.labels import NOT_AVAILABLE, stars_text
from observatory_lib.products.kit.map_styles import unit_label
from observatory_lib.products.kit.numbers import (
    MISSING_CELL,
    format_number,
    format_share,
    format_signed,
    is_missing,
)
from observatory_lib.products.kit.provenance import running_head
from observatory_lib.products.kit.tables import FLAG_WORDS, TableSpec
from observatory_lib.products.region_scorecard.card import Scorecard
from observatory_lib.products.region_scorecard.figures import ScorecardImage
from observatory_lib.products.region_scorecard.spec import (
    EU_LABEL,
    KEY_FACTS,
    N_STRENGTHS,
    N_TOP_CATEGORIES,
)
from observatory_lib.products.region_scorecard.text import escaped
from observatory_lib.products.region_scorecard.where_next import (
    N_OPPORTUNITIES,
    growth_note,
    has_growth,
    opportunities_frame,
    policy_frame,
    policy_markdown,
    where_next_markdown,
)

KEY_FACTS_TABLE = TableSpec(
    columns=("indicator", "region_value", "peer_value", "eu_value", "region_relative_to_eu"),
    stub="indicator",
)
PORTFOLIO_TABLE = TableSpec(
    columns=("category_name", "stars_symbols", "lq", "employment_persons", "size_share"),
    stub="category_name",
    empty_text="Cluster data are not available for this region.",
)
OPPORTUNITIES_TABLE = TableSpec(
    columns=(
        "category_name",
        "relatedness_density",
        "lq",
        "supporting_strengths",
        "european_employment_persons",
    ),
    stub="category_name",
)
POLICY_TABLE = TableSpec(
    columns=(
        "weak_part",
        "region_score",
        "peer_average_score",
        "difference",
        "policy_area",
        "points_to",
    ),
    stub="weak_part",
)
CHANGE_TABLE = TableSpec(
    columns=(
        "category_name",
        "employment_end",
        "employment_cagr_pct",
        "relative_wage_index",
        "stars_change",
        "regional_component",
    ),
    stub="category_name",
    empty_text=f"Change over time is {NOT_AVAILABLE} for this region.",
)
# the comparison column is the peers' or the EU's average score, as the card compares
STRENGTHS_TABLE = TableSpec(
    columns=("label", "assessment", "region_score", "peer_average_score", "difference"),
    stub="label",
)


def document(card: Scorecard, store) -> Document:
    """The scorecard as a publication, titled by the region (or the region group)."""
    h = card.header
    if card.group is not None:
        return _group_document(card, store)
    return Document(
        title=f"{h['region_name']} ({h['region_code']})",
        kind="Regional scorecard",
        subtitle=(
            f"{h['country_name']} · NUTS {h['nuts_level']} region (NUTS "
            f"{h['nuts_edition']}) · reference year {h['year']}"
        ),
        # the scoreboard's inputs are the scorecard's statistics: the same years
        running_head=running_head(store, "scoreboard", f"{h['region_name']} ({h['region_code']})"),
        facts={"Peers": _peers_text(card), "Data": h["data_vintage"]},
        # with its change, where-next and policy parts a region's scorecard can run to a fifth
        # page; the renderer then opens it with its contents (the house style over four pages)
        toc=True,
    )


def _group_document(card: Scorecard, store) -> Document:
    h, group = card.header, card.group
    return Document(
        title=h["region_name"],
        kind="Region group scorecard",
        subtitle=(
            f"{len(group['members'])} members in {h['country_code']} · measured at NUTS "
            f"{h['nuts_level']} (NUTS {h['nuts_edition']}) · reference year {h['year']}"
        ),
        running_head=running_head(store, "scoreboard", h["region_name"]),
        facts={"Group code": group["code"], "Data": h["data_vintage"]},
        toc=False,
    )


def key_findings(card: Scorecard) -> list[str]:
    """Three to six sentences on the region, each written from the card's numbers."""
    findings = [
        _cluster_finding(card),
        _change_finding(card),
        _where_next_finding(card),
        _scoreboard_finding(card),
    ]
    findings = [finding for finding in findings if finding]
    comparison = _comparison_finding(card)
    if comparison:
        findings.append(comparison)
    gdp = card.key_facts.set_index("indicator_code").get("relative_to_eu")
    if gdp is not None and "gdp_pps_per_hab" in gdp.index and pd.notna(gdp["gdp_pps_per_hab"]):
        row = card.key_facts.set_index("indicator_code").loc["gdp_pps_per_hab"]
        findings.append(
            f"GDP per inhabitant in purchasing power standards is "
            f"{format_number(row['relative_to_eu'], 0)}% of the {EU_LABEL} regional average "
            f"({int(row['year'])})."
        )
    return findings


def opening(doc: Document, card: Scorecard) -> list:
    """Page 1: title block (a group's members and their source), key findings, key facts."""
    if card.group is None:
        spec, compared = KEY_FACTS_TABLE, f"{EU_LABEL} and peers: unweighted means of their regions"
    else:  # a region group has no peers: no column of "not available"
        columns = tuple(c for c in KEY_FACTS_TABLE.columns if c != "peer_value")
        spec = dataclasses.replace(KEY_FACTS_TABLE, columns=columns)
        compared = f"the group aggregated from its members; {EU_LABEL}: unweighted regional mean"
    members = [doc.text(_members_markdown(card))] if card.group is not None else []
    return [
        doc.title_block(),
        *members,
        doc.key_findings(key_findings(card)),
        doc.table(
            _key_facts_frame(card),
            spec,
            title="Key facts",
            subtitle=f"Latest year up to the reference year; {compared}",
            source=source_line(card.sources["dataset_code"]),
        ),
    ]


def _members_markdown(card: Scorecard) -> str:
    group = card.group
    members = ", ".join(
        f"{escaped(name)} ({code})"
        for code, name in zip(group["members"], group["member_names"], strict=True)
    )
    return f"**Members:** {members} (their source: under Methods and sources)."


def _membership_markdown(card: Scorecard) -> str:
    """Where a group's membership comes from, and its note (in the closing section, so that
    page 1 keeps room for the maps)."""
    group = card.group
    if group is None:
        return ""
    note = f" {escaped(group['note'])}" if group.get("note") else ""
    return f"**Membership of the group.** {escaped(group['provenance'])}{note}"


def maps(doc: Document, card: Scorecard, images: dict[str, ScorecardImage]):
    """The two maps side by side: the region in Europe, and its strongest category."""
    locator, category = images["locator"], images["category_map"]
    strongest = card.strongest_category
    return doc.row(
        doc.figure(
            locator.png,
            title=f"{card.header['region_name']} in Europe",
            subtitle=f"NUTS {card.header['nuts_level']} regions (NUTS {STATISTICS_EDITION})",
            alt=locator.alt,
            missing=f"The map is {NOT_AVAILABLE} ({locator.note}).",
        ),
        doc.figure(
            category.png,
            title=(
                f"{strongest['category_name']}: location quotient by region"
                if strongest
                else "The strongest category across Europe"
            ),
            subtitle=f"{card.header['year']}; the region is outlined",
            alt=category.alt,
            source=source_line(["sbs_r_nuts06_r2"]),
            missing=f"The map is {NOT_AVAILABLE} ({category.note}).",
        ),
    )


def clusters(doc: Document, card: Scorecard) -> list:
    """The cluster portfolio and the emerging industries, as two numbered tables."""
    source = source_line(["sbs_r_nuts06_r2"])
    portfolio, emerging = card.portfolio, card.emerging
    return [
        doc.section("Cluster portfolio", card.cluster_summary_markdown()),
        doc.table(
            _categories_frame(portfolio),
            PORTFOLIO_TABLE,
            title=f"The {N_TOP_CATEGORIES} leading traded categories",
            subtitle="Ranked by stars, then location quotient (LQ), then employment",
            source=source,
            flags=_estimated(portfolio),
            notes=_notes(portfolio),
        ),
        doc.table(
            _categories_frame(emerging),
            dataclasses.replace(PORTFOLIO_TABLE, empty_text=f"{NOT_AVAILABLE.capitalize()}."),
            title="Emerging industries",
            subtitle="Cross-sectoral; they overlap each other and the traded categories",
            source=source,
            flags=_estimated(emerging),
            notes=_notes(emerging),
        ),
    ]


def opportunities(doc: Document, card: Scorecard) -> list:
    """Where next: the diversification opportunities as a numbered table, with the key
    numbers (specialisations, strong opportunities, supporting strengths, variety) in text."""
    part, subject = card.where_next, _subject(card)
    if not part["available"]:
        return [doc.section("Where next", where_next_markdown(part, subject))]
    spec = OPPORTUNITIES_TABLE
    if has_growth(part):  # once the store holds several years
        spec = dataclasses.replace(spec, columns=(*spec.columns, "european_growth_pct"))
    return [
        doc.section("Where next", where_next_markdown(part, subject)),
        doc.table(
            opportunities_frame(part),
            spec,
            title="Diversification opportunities",
            subtitle=(
                f"The {N_OPPORTUNITIES} traded categories with an LQ below 1 and the highest "
                "relatedness density; related strengths with their proximity (0–1)"
            ),
            source=source_line(["sbs_r_nuts06_r2"]),
            notes=[note] if (note := growth_note(part)) else [],
        ),
    ]


def policy_dashboard(doc: Document, card: Scorecard) -> list:
    """The policy dashboard: the weakest dimensions and indicators with their policy areas."""
    part = card.policy
    if not part["available"]:
        if card.group is not None:  # the ecosystem section says why already
            return []
        return [doc.subsection("Policy dashboard", policy_markdown(part, _subject(card)))]
    heading = doc.subsection("Policy dashboard", policy_markdown(part, _subject(card)))
    frame = policy_frame(part)
    if frame.empty:
        return [heading]
    spec = POLICY_TABLE
    if part["basis"] != "peers":
        columns = tuple(
            "eu_average_score" if c == "peer_average_score" else c for c in POLICY_TABLE.columns
        )
        spec = dataclasses.replace(POLICY_TABLE, columns=columns)
    group = "peer" if part["basis"] == "peers" else EU_LABEL
    return [
        heading,
        doc.table(
            frame,
            spec,
            title="Policy dashboard: the weakest dimensions and indicators",
            subtitle=(
                f"Dimensions below the {group} average and indicators "
                f"{DEFAULT_STRENGTH_THRESHOLD:g} points or more below it, each with the policy "
                "area it points to"
            ),
            source=source_line(card.sources["dataset_code"]),
        ),
    ]


def change_over_time(doc: Document, card: Scorecard, chart: ScorecardImage) -> list:
    """The change over time of the leading clusters: the chart, then the table with its
    flags (series breaks, estimates) and notes (what was not computed and why)."""
    section = card.change
    if not section["available"]:
        return [doc.section("Change over time", card.change_markdown())]
    start, end = section["window"]
    source = source_line(["sbs_r_nuts06_r2"])
    frame = _change_frame(section["table"])
    return [
        doc.section("Change over time", card.change_markdown()),
        doc.figure(
            chart.png,
            title=f"Leading clusters: employment trend and shift-share, {start}–{end}",
            subtitle=f"Employment indexed to {start} = 100; change in persons by component; "
            f"the values are in Table {doc.next_table_number}",
            alt=chart.alt,
            source=source,
            missing=f"The chart is {NOT_AVAILABLE} ({chart.note}).",
        ),
        doc.table(
            frame,
            CHANGE_TABLE,
            title=f"Change of the leading traded categories, {start}–{end}",
            subtitle=f"Wages in {end} against the category's European average (= 100)",
            source=source,
            flags=_change_flags(frame),
            notes=section["notes"],
        ),
    ]


def _subject(card: Scorecard) -> str:
    return "the group" if card.group is not None else "the region"


def ecosystem(doc: Document, card: Scorecard, chart: ScorecardImage) -> list:
    """The scoreboard: the index, the dimension chart, strengths and weaknesses (the
    weaknesses go to the policy dashboard when the region has one: no table twice)."""
    if card.group is not None:  # a group is not scored: one sentence says why
        return [doc.section("Ecosystem scoreboard", card.scoreboard_markdown())]
    with_dashboard = bool(card.policy.get("available"))
    parts = [
        doc.section("Ecosystem scoreboard", card.scoreboard_markdown()),
        doc.figure(
            chart.png,
            title="Scoreboard dimensions: the region, its peers and the EU",
            subtitle="Scores from 0 to 100",
            alt=chart.alt,
            source=source_line(card.sources["dataset_code"]),
            missing=f"The chart is {NOT_AVAILABLE} ({chart.note}).",
        ),
        doc.text(card.dimensions_markdown(), "" if with_dashboard else card.strengths_markdown()),
    ]
    if card.strengths_basis != "none":
        parts.append(_strengths_part(doc, card, with_dashboard))
    return parts


def _strengths_part(doc: Document, card: Scorecard, with_dashboard: bool):
    comparison = "peer average" if card.strengths_basis == "peers" else f"{EU_LABEL} average"
    source = source_line(card.sources["dataset_code"])
    if not with_dashboard:
        return doc.table(
            _strengths_frame(card),
            _strengths_table(card),
            title="Strengths and weaknesses",
            subtitle=f"Indicator scores against the {comparison}",
            source=source,
        )
    spec = _strengths_table(card)
    spec = dataclasses.replace(
        spec,
        columns=tuple(c for c in spec.columns if c != "assessment"),
        empty_text=(
            f"No indicator score is {DEFAULT_STRENGTH_THRESHOLD:g} points or more above the "
            f"{comparison}."
        ),
    )
    frame = card.strengths
    return doc.table(
        frame.assign(difference=[format_signed(v, 1) for v in frame["difference"]]),
        spec,
        title="Strengths",
        subtitle=(
            f"Indicator scores {DEFAULT_STRENGTH_THRESHOLD:g} points or more above the "
            f"{comparison}, the {N_STRENGTHS} largest; the weaknesses are in the policy "
            "dashboard"
        ),
        source=source,
    )


def closing(doc: Document, card: Scorecard, store) -> object:
    """Data notes, then the methods and sources: the datasets in one paragraph (a scorecard
    stays within four pages)."""
    return doc.methods_and_sources(
        [_membership_markdown(card), card.notes_markdown(), card.methods_note, card.provenance],
        None,
        [],
    )


# --- frames for the tables ------------------------------------------------------------------


def _key_facts_frame(card: Scorecard) -> pd.DataFrame:
    frame = card.key_facts
    units = {spec.indicator_code: spec.display_unit for spec in KEY_FACTS}
    unit = frame["indicator_code"].map(units)
    indicator = [
        f"{label} ({unit_label(code)}, {int(year)})"
        if pd.notna(year)
        else f"{label} ({unit_label(code)})"
        for label, code, year in zip(frame["label"], unit, frame["year"], strict=True)
    ]
    return pd.DataFrame(
        {
            "indicator": indicator,
            "region_value": [_value(v) for v in frame["value"]],
            "peer_value": [_value(v) for v in frame["peer_average"]],
            "eu_value": [_value(v) for v in frame["eu_average"]],
            "region_relative_to_eu": frame["relative_to_eu"].to_numpy(),
        }
    )


def _value(value) -> str:
    """A key fact in its own unit: whole numbers grouped, small ones to a decimal or two."""
    if value is None or pd.isna(value):
        return MISSING_CELL
    magnitude = abs(float(value))
    decimals = 0 if magnitude >= 100 else (1 if magnitude >= 10 else 2)
    return format_number(value, decimals)


def _categories_frame(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame.assign(
        stars_symbols=[
            stars_text(s, o, m, unrated=MISSING_CELL)
            for s, o, m in zip(
                frame["stars"], frame["stars_out_of"], frame["n_criteria_missing"], strict=True
            )
        ]
    )


def _change_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The change table with the stars of both years and the criteria that flipped, in words."""
    if table.empty:
        return table
    return table.assign(
        category_name=table["category_name"].astype("str"),
        stars_change=[_stars_change(row) for row in table.itertuples(index=False)],
    )


def _stars_change(row) -> str:
    if pd.isna(row.transition) or row.transition == "not rated":
        return MISSING_CELL
    out_of = row.stars_compared_out_of
    # on one line: a star change reads as one unit
    text = f"{stars_text(row.stars_start, out_of)}\u00a0→\u00a0{stars_text(row.stars_end, out_of)}"
    flipped = [f"+{c.strip()}" for c in _parts(row.criteria_gained)]
    flipped += [f"−{c.strip()}" for c in _parts(row.criteria_lost)]
    return f"{text} ({', '.join(flipped)})" if flipped else text


def _parts(text) -> list[str]:
    return [] if text is None or pd.isna(text) else str(text).split(",")


def _change_flags(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Eurostat's flags of the last year after its employment (b: break, d: definition
    differs, e: estimated from suppressed cells), and ``b`` after the stars when the
    comparison spans a break."""
    if frame.empty:
        return {}
    # a confidential cell shown here is the workbook's estimate: flagged e, never c
    letters = frame["flag"].fillna("").astype("str").str.replace("c", "e")
    letters = letters.map(lambda text: "".join(dict.fromkeys(c for c in text if c in FLAG_WORDS)))
    breaks = frame["transition_spans_break"].astype("boolean").fillna(False).astype(bool)
    return {"employment_end": letters, "stars_change": breaks.map({True: "b", False: ""})}


def _estimated(frame: pd.DataFrame) -> dict[str, pd.Series]:
    if frame.empty:
        return {}
    estimated = frame["has_confidential_cells"].fillna(False).astype(bool)
    # Eurostat's series-break letters travel with the figure (b: break, d: definition differs)
    breaks = frame["flag"].fillna("").astype("str").str.replace(r"[^bd]", "", regex=True)
    return {"employment_persons": breaks + estimated.map({True: "e", False: ""})}


def _notes(frame: pd.DataFrame) -> list[str]:
    if frame.empty:
        return []
    small = frame.loc[frame["is_small_base"].fillna(False).astype(bool), "category_name"]
    notes = []
    if len(small):
        notes.append(
            f"Small base (below 1 000 persons), location quotient unstable: {', '.join(small)}."
        )
    return notes


def _strengths_frame(card: Scorecard) -> pd.DataFrame:
    parts = [
        card.strengths.assign(assessment="Strength"),
        card.weaknesses.assign(assessment="Weakness"),
    ]
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(difference=[format_signed(v, 1) for v in frame["difference"]])


def _strengths_table(card: Scorecard) -> TableSpec:
    """The strengths table compares with the peers' average, or the EU's without peers."""
    if card.strengths_basis == "peers":
        return STRENGTHS_TABLE
    columns = tuple(
        "eu_average_score" if c == "peer_average_score" else c for c in STRENGTHS_TABLE.columns
    )
    return dataclasses.replace(STRENGTHS_TABLE, columns=columns)


# --- sentences --------------------------------------------------------------------------------


def _peers_text(card: Scorecard) -> str:
    if not card.peers:
        return f"none ({card.peer_method})"
    names = ", ".join(
        f"{row.region_name} ({row.region_code})" for row in card.peer_regions.itertuples()
    )
    how = "chosen" if card.peer_method == "chosen peers" else "most similar on GDP and population"
    return f"{names} ({how})"


def _cluster_finding(card: Scorecard) -> str:
    summary = card.cluster_summary
    name = card.header["region_name"]
    if not summary.get("has_cluster_data"):
        return f"Cluster data are {NOT_AVAILABLE} for {name}: {summary.get('reason', '')}."
    if not summary.get("n_clusters_rated"):
        return (
            f"No traded category of {name} can be rated: its employment by category is "
            f"{NOT_AVAILABLE} (confidential or not published)."
        )
    text = (
        f"{name} has {format_number(summary['n_starred_clusters'])} traded categories with at "
        f"least one star among {format_number(summary['n_clusters_rated'])} rated"
    )
    strongest = card.strongest_category
    if strongest is None:
        return text + "."
    return (
        f"{text}; the strongest is {strongest['category_name']} "
        f"({stars_text(strongest['stars'], strongest['stars_out_of'])}, location quotient "
        f"{format_number(strongest['lq'], 2, missing=NOT_AVAILABLE)}), with "
        f"{format_share(strongest['size_share'], 1, missing='an unknown share')} of Europe's "
        "employment in it."
    )


def _where_next_finding(card: Scorecard) -> str:
    part = card.where_next
    if not part["available"]:
        return ""
    top = part["opportunities"].iloc[0]
    strong = part.get("n_strong_opportunities")
    if is_missing(strong):
        count = ""
    elif int(strong) == 0:
        count = (
            "; no category in which it is not yet specialised has a relatedness density of "
            f"{part['strong_density']:g} or more"
        )
    else:
        several = int(strong) > 1
        count = (
            f"; {int(strong)} {'categories' if several else 'category'} in which it is not yet "
            f"specialised {'have' if several else 'has'} a relatedness density of "
            f"{part['strong_density']:g} or more"
        )
    return (
        f"Its most related diversification opportunity is {top['category_name']} (relatedness "
        f"density {format_number(top['relatedness_density'], 0, NOT_AVAILABLE)} of 100){count}."
    )


def _change_finding(card: Scorecard) -> str:
    """The leading clusters' change: how many grew, and the one beyond Europe's trend most."""
    section = card.change
    if not section["available"]:
        return ""
    start, end = section["window"]
    table = section["table"]
    usable = table[table["employment_cagr_pct"].notna() & table["regional_component"].notna()]
    if usable.empty:
        return (
            f"The change {start}–{end} of its leading clusters is {NOT_AVAILABLE} (series "
            "breaks or unknown years)."
        )
    growing = int((usable["employment_cagr_pct"] > 0).sum())
    best = usable.sort_values("regional_component", ascending=False).iloc[0]
    return (
        f"From {start} to {end}, {growing} of the {len(usable)} leading clusters whose change "
        f"can be measured grew; {best['category_name']} did best against the category's "
        f"European trend (jobs vs expected: {format_signed(best['regional_component'], 0)})."
    )


def _scoreboard_finding(card: Scorecard) -> str:
    board = card.scoreboard
    if not board.get("available"):
        subject = "this group" if card.group is not None else "this region"
        return f"The ecosystem scoreboard is {NOT_AVAILABLE} for {subject}: {board['reason']}."
    interval = ""
    if board.get("rank_p05") is not None and pd.notna(board["rank_p05"]):
        interval = (
            f"; its rank lies between {format_number(board['rank_p05'])} and "
            f"{format_number(board['rank_p95'])} in 90% of {format_number(board['n_draws'])} "
            "draws of the weights and methods"
        )
    return (
        f"In the Regional Ecosystem Scoreboard it ranks {format_number(board['rank_europe'])} of "
        f"{format_number(board['n_regions_scored'])} regions, at "
        f"{format_number(board['relative_to_eu'], 0)} relative to the {EU_LABEL} average "
        f"(= 100): a {str(board['performance_group']).lower()} performer{interval}."
    )


def _comparison_finding(card: Scorecard) -> str:
    dimensions = card.dimensions.loc[card.dimensions["node_type"] == "dimension"]
    if dimensions.empty or dimensions["assessment"].isna().all():
        return ""
    strong = dimensions.loc[dimensions["assessment"] == "strength", "label"].tolist()
    weak = dimensions.loc[dimensions["assessment"] == "weakness", "label"].tolist()
    group = "its peers" if card.strengths_basis == "peers" else f"the {EU_LABEL} average"
    parts = []
    if strong:
        parts.append(f"stronger than {group} in {_listing(strong)}")
    if weak:
        parts.append(f"weaker in {_listing(weak)}")
    if not parts:
        return f"Its dimension scores are close to those of {group}."
    return "It is " + " and ".join(parts) + "."


def _listing(items: list[str]) -> str:
    items = [item.lower() for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

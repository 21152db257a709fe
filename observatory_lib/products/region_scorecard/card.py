"""The region scorecard: ``build_scorecard`` and the ``Scorecard`` it returns.

The scorecard holds everything one region's scorecard shows as plain frames and dicts: the
header, key facts against the EU-28 and the peers, the cluster portfolio and emerging
industries, the ecosystem scoreboard with its rank interval, strengths and weaknesses, the
strongest category's European map, the provenance footer and a methods note.
``Scorecard.record`` is the strict-JSON twin of every headline number with the parameters
used; the notebook publishes it and the batch writes it beside the HTML and PDF.

Speed: the Europe-wide tables come from the recipe layer's per-process memo, so a warm
region costs about 0.1 s of computation. Missing stays missing: every missing number reads
"not available" in the tables, is ``null`` in the record and is drawn in the no-data colour.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR, STATISTICS_EDITION
from observatory_lib.data.nuts import check_region_code
from observatory_lib.data.store import Store
from observatory_lib.errors import unknown_code
from observatory_lib.indicators import recipes
from observatory_lib.indicators.peers import DEFAULT_STRENGTH_THRESHOLD
from observatory_lib.indicators.stars import load_star_preset
from observatory_lib.products.kit.map_styles import NOT_AVAILABLE, format_value, unit_label
from observatory_lib.products.region_scorecard.change import (
    change_intro,
    change_record,
    change_section,
    region_panel,
)
from observatory_lib.products.region_scorecard.clusters import (
    assessments,
    category_text,
    cluster_sections,
    notes_by_kind,
    portfolio_compact,
    portfolio_display,
)
from observatory_lib.products.region_scorecard.ecosystem import methods_note, scoreboard_sections
from observatory_lib.products.region_scorecard.facts import (
    choose_peers,
    header,
    key_facts,
    peer_regions,
    provenance_footer,
    sources,
)
from observatory_lib.products.region_scorecard.parameters import (
    coerce_int,
    coerce_peers,
    coerce_year,
)
from observatory_lib.products.region_scorecard.spec import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    DEFAULT_VARIANT,
    DIMENSION_COLUMNS,
    EU_LABEL,
    INDICATOR_COLUMNS,
    KEY_FACT_COLUMNS,
    KEY_FACTS,
    N_STRENGTHS,
    PORTFOLIO_COLUMNS,
    RANK_PERCENTILES,
    RECORD_SCHEMA,
    ScorecardContext,
)
from observatory_lib.products.region_scorecard.text import (
    escaped,
    formatted_values,
    percent,
    record_rows,
    text_int,
    text_label,
    text_number,
    text_signed,
)
from observatory_lib.products.region_scorecard.where_next import (
    group_header_markdown,
    not_available,
    record_part,
    region_policy_dashboard,
    region_where_next,
)
from observatory_lib.runtime.records import to_strict_json


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
        change: the change over time of the leading clusters (``change.change_section``:
            window, table, trend, notes).
        panel: every cluster indicator of the region per category and year, a long panel
            (``change_recipes.change_panel``), for the region's download.
        provenance: the Markdown footer (datasets with vintages, modifications,
            attribution), compact: one entry per dataset, the cluster definitions included.
        sources: the provenance table of the datasets used.
        methods_note: Markdown text explaining the method.
        notes: what is missing and why.
        where_next: the diversification opportunities, related strengths and variety
            (``where_next.where_next``; ``available`` False with a ``reason`` when missing).
        policy: the policy dashboard (``where_next.region_policy_dashboard``).
        group: the region group's definition when the card is a group's, else None.
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
    change: dict
    panel: pd.DataFrame
    provenance: str
    sources: pd.DataFrame
    methods_note: str
    notes: tuple[str, ...]
    where_next: dict = dataclasses.field(default_factory=lambda: not_available("not computed"))
    policy: dict = dataclasses.field(default_factory=lambda: not_available("not computed"))
    group: dict | None = None

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
                "key_facts": record_rows(self.key_facts, KEY_FACT_COLUMNS),
                "cluster_summary": self.cluster_summary,
                "portfolio": record_rows(self.portfolio, portfolio_fields),
                "emerging": record_rows(self.emerging, portfolio_fields),
                "strongest_category": self.strongest_category,
                "change": change_record(self.change),
                "scoreboard": self.scoreboard,
                "dimensions": record_rows(self.dimensions, DIMENSION_COLUMNS),
                "strengths_basis": self.strengths_basis,
                "strengths": record_rows(self.strengths, INDICATOR_COLUMNS),
                "weaknesses": record_rows(self.weaknesses, INDICATOR_COLUMNS),
                "where_next": record_part(self.where_next),
                "policy_dashboard": record_part(self.policy),
                "group": self.group,
                "notes": list(self.notes),
            }
        )

    # --- text and tables for the notebook ------------------------------------------------

    def header_markdown(self) -> str:
        """Title line and the region's identity, vintages and store version."""
        h = self.header
        if self.group is not None:
            return group_header_markdown(h, self.group)
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
        table = pd.DataFrame(
            {
                "Indicator [unit, year]": [
                    f"{label} [{unit_label(code)}" + ("]" if pd.isna(year) else f", {int(year)}]")
                    for label, code, year in zip(frame["label"], unit, frame["year"], strict=True)
                ],
                self.header["region_code"]: formatted_values(frame["value"]),
                "Peer average": formatted_values(frame["peer_average"]),
                f"{EU_LABEL} average": formatted_values(frame["eu_average"]),
                f"Region, {EU_LABEL} = 100": [text_number(v, 0) for v in frame["relative_to_eu"]],
            }
        )
        # a region group has no peers: no column of "not available"
        return table if self.group is None else table.drop(columns="Peer average")

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
                f"{text_number(s['specialisation_diversity'], 0)}.",
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
            return portfolio_compact(self.portfolio)
        return portfolio_display(self.portfolio)

    def portfolio_notes_markdown(self) -> str:
        """The data notes of the top traded categories in one sentence, grouped by note."""
        return notes_by_kind(self.portfolio)

    def emerging_table(self) -> pd.DataFrame:
        """The emerging industries formatted for display."""
        return portfolio_display(self.emerging)

    def emerging_markdown(self) -> str:
        """The emerging industries as one paragraph, then their data notes.

        The scorecard's short form of ``emerging_table``: a run of text costs the PDF layout
        far less than table cells or forced line breaks.
        """
        if self.emerging.empty:
            return f"*{NOT_AVAILABLE}*"
        items = " · ".join(category_text(row) for row in self.emerging.itertuples(index=False))
        return "\n\n".join(filter(None, [items + ".", notes_by_kind(self.emerging)]))

    def change_markdown(self) -> str:
        """How to read the change part, or why it is not available."""
        return change_intro(self.change)

    def scoreboard_markdown(self) -> str:
        """Index score, performance group, rank in Europe and country, and the rank interval."""
        s = self.scoreboard
        if not s["available"]:
            return f"Ecosystem scoreboard: {NOT_AVAILABLE} ({s['reason']})."
        interval = (
            f"{text_int(s['rank_p05'])}–{text_int(s['rank_p95'])}"
            if s["rank_p05"] is not None and not pd.isna(s["rank_p05"])
            else NOT_AVAILABLE
        )
        return (
            f"**Index score {text_number(s['score'], 1)}** (0–100; {EU_LABEL} average = "
            f"{text_number(s['eu_average_score'], 1)}), **{text_number(s['relative_to_eu'], 0)}"
            f"** relative to the {EU_LABEL} average (= 100): performance group "
            f"**{s['performance_group']}**.  \n"
            f"Rank **{text_int(s['rank_europe'])}** of {s['n_regions_scored']} regions scored "
            f"(rank {text_int(s['rank_country'])} of {s['n_country_scored']} in the country); "
            f"{RANK_PERCENTILES[0]:g}–{RANK_PERCENTILES[1]:g} % rank interval **{interval}** over "
            f"{s['n_draws']} draws of weights and methods (group kept in "
            f"{text_number(percent(s['group_stability']), 0)} % of draws)."
        )

    def dimensions_table(self) -> pd.DataFrame:
        """Dimension and index scores against peers and the EU-28, formatted for display."""
        frame = self.dimensions
        return pd.DataFrame(
            {
                "Dimension": frame["label"],
                self.header["region_code"]: [text_number(v, 1) for v in frame["region_score"]],
                "Peer average": [text_number(v, 1) for v in frame["peer_average_score"]],
                f"{EU_LABEL} average": [text_number(v, 1) for v in frame["eu_average_score"]],
                f"Region, {EU_LABEL} = 100": [text_number(v, 0) for v in frame["relative_to_eu"]],
                "Against peers": [text_label(v) for v in frame["assessment"]],
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
            f"{escaped(label)} {text_number(value, 0)}"
            for label, value in zip(
                frame["label"], frame["relative_to_eu"].where(~is_index), strict=True
            )
            if not pd.isna(value)
        )
        index = frame.loc[is_index, "relative_to_eu"]
        index_text = f"; index {text_number(index.iloc[0], 0)}" if len(index) else ""
        sentences = [f"Relative to the {EU_LABEL} average (= 100): {relative}{index_text}."]
        if frame["assessment"].notna().any():
            sentences.append(f"Against the peers: {assessments(frame.loc[~is_index])}.")
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
                "Score": [text_number(v, 1) for v in frame["region_score"]],
                comparison: [text_number(v, 1) for v in frame[column]],
                "Difference (points)": [text_signed(v) for v in frame["difference"]],
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
                f"{escaped(label)} {text_number(score, 1)} vs {text_number(reference, 1)} "
                f"({text_signed(difference)})"
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
        store: the loaded store (``recipes.current_store()``).
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
    n_draws = coerce_int("n_draws", n_draws, minimum=1, maximum=100_000, example="1000")
    seed = coerce_int("seed", seed, minimum=0, maximum=2**32 - 1, example="0")
    rule_set = load_star_preset(star_preset)
    framework = recipes.framework(framework_variant)
    code = check_region_code(region_code, store.regions, edition=STATISTICS_EDITION)
    level = int(recipes.statistics_regions(store).loc[code, "nuts_level"])
    has_clusters = level in recipes.cluster_levels(store)
    rated = recipes.rated_clusters(store, level, rule_set) if has_clusters else None
    _check_year(rated, year, level)
    context = ScorecardContext(store, code, level, year, rule_set, framework_variant, n_draws, seed)
    peer_codes, peer_method, notes = choose_peers(context, requested_peers)
    clusters = cluster_sections(context, rated)
    change = change_section(context, clusters["portfolio"])
    board = scoreboard_sections(context, peer_codes)
    has_board = board["scoreboard"]["available"]
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
        header=header(context, rule_set),
        key_facts=key_facts(context, peer_codes),
        peers=tuple(peer_codes),
        peer_method=peer_method,
        peer_regions=peer_regions(context, peer_codes),
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
        change=change,
        panel=region_panel(context),
        provenance=provenance_footer(store),
        sources=sources(store),
        methods_note=methods_note(context, rule_set, framework),
        # the change part's notes are its table's footnotes (publication.change_over_time)
        notes=tuple(notes + clusters["notes"] + board["notes"]),
        where_next=region_where_next(context, clusters["summary"]["has_cluster_data"]),
        policy=region_policy_dashboard(context, peer_codes, has_board),
    )


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

"""The methods notes the cluster products share: the division approximation and the star rules."""

from __future__ import annotations

import pandas as pd

from observatory_lib.indicators.stars import StarRuleSet, load_star_preset

DIVISION_NOTE = (
    "**Division-level data approximate class-level definitions.** The categories are defined "
    "by NACE Rev. 2 classes (4 digits), but regional SBS employment exists only for divisions "
    "(2 digits). Each division's employment is split equally among its NACE classes and a "
    "category receives the shares of the classes it contains (every cluster figure carries "
    "`is_derived_by_allocation`). Suppressed divisions are estimated from the section total "
    "where possible (`has_confidential_cells`); where that is impossible the category is "
    "missing in that region, never a partial sum. Classes outside the SBS scope (sections A, "
    "K, O-U except S95) are not counted."
)


OVERLAP_NOTE = (
    "Emerging industries overlap each other and the traded categories; sums of employment over "
    "categories (starred employment and its share) use the traded categories only."
)


def star_criteria_table(rule_set: str | StarRuleSet) -> pd.DataFrame:
    """One row per star criterion: name, metric, rule, cut-off, verified, note."""
    rules = load_star_preset(rule_set)
    return pd.DataFrame(
        {
            "criterion": [c.name for c in rules.criteria],
            "metric": [c.metric for c in rules.criteria],
            "rule": [c.rule for c in rules.criteria],
            "cutoff": [c.cutoff for c in rules.criteria],
            "cutoff_text": [_cutoff_text(c.rule, c.cutoff, c.metric) for c in rules.criteria],
            "is_verified": [bool(c.verified) for c in rules.criteria],
            "note": [c.note for c in rules.criteria],
        }
    ).astype({"criterion": "str", "metric": "str", "rule": "str", "cutoff_text": "str"})


def stars_methods_note(
    rule_set: str | StarRuleSet,
    stars_basis: str | None = None,
    *,
    with_division_note: bool = True,
) -> str:
    """Markdown: the division approximation, the rule set and its unverified thresholds."""
    rules = load_star_preset(rule_set)
    unverified = [c for c in rules.criteria if not c.verified]
    lines = [DIVISION_NOTE, ""] if with_division_note else []
    lines += [f"**Star rule set `{rules.name}`**: {rules.label}.", ""]
    for criterion in rules.criteria:
        status = "verified" if criterion.verified else "**unverified**"
        cutoff = _cutoff_text(criterion.rule, criterion.cutoff, criterion.metric)
        floor = (
            f"; clusters of at least {criterion.min_employment:,.0f} persons only"
            if criterion.min_employment
            else ""
        )
        lines.append(f"- `{criterion.name}`: {cutoff} ({status}; {criterion.note}{floor})")
    lines.append("")
    if unverified:
        names = ", ".join(
            f"{c.name} ({_cutoff_text(c.rule, c.cutoff, c.metric)})" for c in unverified
        )
        lines.append(
            f"Unverified thresholds, recalled rather than read in a source: {names}. Treat "
            "star counts as indicative; the sensitivity table shows how they move."
        )
    else:
        lines.append("Every threshold of this rule set was seen in a source.")
    if stars_basis:
        lines += ["", f"Criteria counted at this level and year: {stars_basis}."]
    lines += ["", OVERLAP_NOTE]
    return "\n".join(lines)


def _cutoff_text(rule: str, cutoff: float, metric: str) -> str:
    if rule == "top_share":
        return f"top {cutoff * 100:g} % of the category's regions by {metric}"
    return f"{metric} >= {cutoff:g}"

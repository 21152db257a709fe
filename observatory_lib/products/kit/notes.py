"""The methods notes the cluster products share: the division approximation and the star rules.

Written for readers: no column or code names; metrics are named by their labels
(``kit.labels``) and thresholds in the house number style.
"""

from __future__ import annotations

import pandas as pd

from observatory_lib.indicators.stars import StarRuleSet, load_star_preset
from observatory_lib.products.kit.labels import label_for

DIVISION_NOTE = (
    "**Division-level data approximate class-level definitions.** The categories are defined "
    "by NACE Rev. 2 classes (4 digits), but regional structural business statistics (SBS) "
    "give employment only for divisions (2 digits). Each division's employment is split "
    "equally among its NACE classes and a category receives the shares of the classes it "
    "contains, so every cluster figure is an estimate of this kind. Suppressed (confidential) "
    "divisions are estimated from the section total where possible, and the figures that use "
    "them are flagged; where that is impossible the category is not available in that region, "
    "never a partial sum. Classes outside the scope of SBS (sections A, K and O to U, except "
    "S95) are not counted."
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
            "cutoff_text": [cutoff_text(c.rule, c.cutoff, c.metric) for c in rules.criteria],
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
    lines += [f"**Star rule set: {rules.label}** (one star per criterion met).", ""]
    for criterion in rules.criteria:
        status = "threshold verified in a source" if criterion.verified else "**unverified**"
        cutoff = cutoff_text(criterion.rule, criterion.cutoff, criterion.metric)
        floor = (
            f"; clusters of at least {criterion.min_employment:,.0f} persons only"
            if criterion.min_employment
            else ""
        )
        lines.append(f"- {criterion.name.capitalize()}: {cutoff} ({status}{floor}).")
    lines.append("")
    if unverified:
        names = ", ".join(
            f"{c.name} ({cutoff_text(c.rule, c.cutoff, c.metric)})" for c in unverified
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


def cutoff_text(rule: str, cutoff: float, metric: str) -> str:
    """A star rule in words: ``among the top 10% of the category's regions by employment``."""
    name = _metric_name(metric)
    if rule == "top_share":
        return f"among the top {cutoff * 100:g}% of the category's regions by {name}"
    return f"{name} of {cutoff:g} or more"


def _metric_name(metric: str) -> str:
    try:
        return (
            label_for(metric).label.lower().replace("location quotient", "location quotient (LQ)")
        )
    except KeyError:
        return metric.replace("_", " ")

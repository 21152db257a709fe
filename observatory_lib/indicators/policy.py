"""The cluster policy section: the policy dashboard and the alignment of S3 priorities.

**Policy dashboard** (after the Regional Ecosystem Scoreboard's "scorecard and policy
dashboard"): a region's weakest scoreboard dimensions and indicators relative to its peers
(relative to the EU-28 average when no peer has data), each with the policy area it points to
(``data/policy_areas.yaml``). Dimensions below the comparison are listed, lowest first; an
indicator is listed when it is a weakness (``peers.compare_with_peers``: at least 10 points
below).

**S3 alignment**: for each priority of a regional smart specialisation strategy (the input
format of ``data.s3_priorities``), the cluster categories it covers (those named, and those
with a NACE class in one of its divisions), whether the region is specialised in them (LQ >= 1,
the NUTS-2 region's statistics for a NUTS-3 strategy region), how related it is to those it is
not specialised in (relatedness density), and the region's specialisations no priority
mentions. A category counts as covered (``is_core_match``) when the priority names it or at
least ``MIN_CLASS_SHARE`` of its NACE classes lie in the priority's divisions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from observatory_lib import paths
from observatory_lib.errors import ConfigError
from observatory_lib.indicators.framework import Framework
from observatory_lib.indicators.peers import compare_with_peers
from observatory_lib.indicators.scoreboard import ScoreboardResult

POLICY_AREAS_FILE = paths.DATA_DIR / "policy_areas.yaml"
N_DIMENSIONS = 3
N_INDICATORS = 5
# A priority covers a category when it names it, or when at least this share of the category's
# NACE classes lies in the priority's divisions (a division of 30 classes touches many
# categories with one or two classes each; those are listed but not counted).
MIN_CLASS_SHARE = 0.25
DASHBOARD_COLUMNS = [
    "node_type",
    "node_code",
    "label",
    "region_score",
    "reference_score",
    "difference",
    "assessment",
    "policy_area",
    "points_to",
]
# How a priority relates to the region's statistics.
BUILDS_ON_STRENGTHS = "builds on strengths"
RELATED = "related diversification"
WEAKLY_RELATED = "weakly related"
NO_CATEGORY = "no category covered"
NOT_MATCHED = "not matched"
MATCH_COLUMNS = [
    "region_code",
    "nuts2_code",
    "priority_id",
    "category_code",
    "category_type",
    "matched_divisions",
    "class_share",
    "is_core_match",
    "lq",
    "is_specialised",
    "relatedness_density",
]


@dataclasses.dataclass(frozen=True)
class PolicyAreas:
    """The policy area table: area labels, and the area and hint of each scoreboard node."""

    labels: dict[str, str]
    nodes: dict[str, tuple[str, str]]
    not_covered: tuple[str, ...]

    def area(self, node_code: str) -> tuple[str, str]:
        """``(area label, points_to)`` of a dimension or indicator ("" when unmapped)."""
        area, points_to = self.nodes.get(node_code, ("", ""))
        return self.labels.get(area, area), points_to


def load_policy_areas(
    path: str | Path | None = None, framework: Framework | None = None
) -> PolicyAreas:
    """Read ``data/policy_areas.yaml``; with ``framework``, check that it maps every node.

    Raises:
        ConfigError: unreadable file, an unknown area, or a dimension or indicator of the
            framework without an entry (the file and the fix named).
    """
    path = Path(path or POLICY_AREAS_FILE)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"Cannot read the policy areas {path}: {error}.") from error
    labels = {str(k): str(v) for k, v in (document.get("areas") or {}).items()}
    nodes = {}
    for section in ("dimensions", "indicators"):
        for code, spec in (document.get(section) or {}).items():
            area = str(spec.get("area", ""))
            if area not in labels:
                raise ConfigError(
                    f"{path}: {section[:-1]} {code!r} has area {area!r}; use one of "
                    f"{', '.join(labels)} or add it under 'areas:'."
                )
            nodes[str(code)] = (area, str(spec.get("points_to", "")))
    areas = PolicyAreas(labels, nodes, tuple(str(x) for x in document.get("not_covered") or ()))
    if framework is not None:
        codes = [*(d.code for d in framework.dimensions), *framework.indicator_codes]
        missing = [code for code in codes if code not in nodes]
        if missing:
            raise ConfigError(
                f"{path} has no policy area for {', '.join(missing)}; add each under "
                "'dimensions:' or 'indicators:' with an area and what it points to."
            )
    return areas


def build_policy_dashboard(
    comparison: pd.DataFrame,
    areas: PolicyAreas,
    *,
    n_dimensions: int = N_DIMENSIONS,
    n_indicators: int = N_INDICATORS,
) -> tuple[pd.DataFrame, str]:
    """The weakest dimensions and indicators with their policy areas.

    Args:
        comparison: ``peers.compare_with_peers`` of the region (every node).
        areas: ``load_policy_areas()``.
        n_dimensions, n_indicators: how many to list at most.

    Returns:
        ``(dashboard, basis)``: ``DASHBOARD_COLUMNS`` (dimensions first, each lowest first)
        and ``"peers"`` or ``"eu"``, the comparison used (the EU-28 average when no peer has
        a score).
    """
    has_peers = comparison["peer_average_score"].notna().any()
    basis = "peers" if has_peers else "eu"
    reference = comparison["peer_average_score" if has_peers else "eu_average_score"]
    difference = comparison["region_score"] - reference
    frame = comparison.assign(reference_score=reference, difference=difference)
    if not has_peers:
        frame = frame.assign(
            assessment=pd.Series(
                np.select([difference <= -10, difference >= 10], ["weakness", "strength"], ""),
                index=frame.index,
                dtype="str",
            ).replace("", pd.NA)
        )
    dimensions = frame.loc[(frame["node_type"] == "dimension") & (frame["difference"] < 0)]
    indicators = frame.loc[(frame["node_type"] == "indicator") & frame["assessment"].eq("weakness")]
    chosen = pd.concat(
        [
            dimensions.sort_values(["difference", "node_code"]).head(n_dimensions),
            indicators.sort_values(["difference", "node_code"]).head(n_indicators),
        ],
        ignore_index=True,
    )
    area = [areas.area(code) for code in chosen["node_code"]]
    chosen = chosen.assign(
        policy_area=[a for a, _ in area] or pd.Series(dtype="str"),
        points_to=[p for _, p in area] or pd.Series(dtype="str"),
    )
    return chosen.reindex(columns=DASHBOARD_COLUMNS).reset_index(drop=True), basis


def dashboard_of(
    result: ScoreboardResult, region_code: str, peers: Iterable[str], areas: PolicyAreas
) -> tuple[pd.DataFrame, str]:
    """``build_policy_dashboard`` of ``compare_with_peers`` on the region's and peers' rows
    (the same numbers as on the whole table, from a few rows); peers without a scoreboard
    result are left out, as in the scorecard's comparison."""
    scored = set(result.overall["region_code"])
    peers = [code for code in peers if code in scored and code != region_code]
    keep = {region_code, *peers}
    tables = ("indicator_scores", "subdimension_scores", "dimension_scores", "overall")
    slim = dataclasses.replace(
        result,
        **{n: getattr(result, n).loc[getattr(result, n)["region_code"].isin(keep)] for n in tables},
    )
    return build_policy_dashboard(compare_with_peers(slim, region_code, list(peers)), areas)


# --- S3 alignment ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class S3Alignment:
    """The alignment of S3 priorities with the regions' statistics.

    Attributes:
        priorities: one row per priority: its identity, ``n_categories`` (covered),
            ``n_specialised``, ``max_density`` (of the covered categories the region is not
            specialised in) and ``alignment``: ``BUILDS_ON_STRENGTHS``, ``RELATED``,
            ``WEAKLY_RELATED``, ``NO_CATEGORY`` (its divisions hold no category's quarter) or
            ``NOT_MATCHED`` (it gives no division or category).
        matches: one row per priority and matched category (``MATCH_COLUMNS``).
        unmentioned: the traded specialisations (LQ >= 1; the emerging industries overlap
            them) of each strategy region's NUTS-2 region that none of its priorities covers
            (strategy regions with a covered category only).
        strong_density: the density from which a priority counts as related.
    """

    priorities: pd.DataFrame
    matches: pd.DataFrame
    unmentioned: pd.DataFrame
    strong_density: float


def division_categories(nace_classes: pd.DataFrame) -> pd.DataFrame:
    """``division, category_code, category_type, n_classes, category_classes``: how many of
    each category's NACE classes lie in each division."""
    division = nace_classes["nace_code"].astype(str).str[1:3]
    frame = nace_classes.assign(division=division)
    counts = frame.groupby(["division", "category_code", "category_type"], as_index=False).size()
    totals = frame.groupby("category_code").size().rename("category_classes")
    return counts.rename(columns={"size": "n_classes"}).join(totals, on="category_code")


def align_s3_priorities(
    priorities: pd.DataFrame,
    density: pd.DataFrame,
    nace_classes: pd.DataFrame,
    category_types: Mapping[str, str],
    *,
    strong_density: float,
) -> S3Alignment:
    """Match every priority to cluster categories and to its region's specialisations.

    Args:
        priorities: ``data.s3_priorities`` rows (with ``nuts2_code``).
        density: the NUTS-2 relatedness density table (``lq``, ``is_specialised``,
            ``relatedness_density``).
        nace_classes: the store's ``cluster_nace_classes``.
        category_types: category code -> ``traded`` / ``emerging``.
        strong_density: the density from which a priority counts as related.
    """
    links = _priority_links(priorities, nace_classes, category_types)
    cells = density[["region_code", "category_code", "lq", "is_specialised", "relatedness_density"]]
    matches = links.merge(
        cells.rename(columns={"region_code": "nuts2_code"}),
        on=["nuts2_code", "category_code"],
        how="left",
    )
    matches = matches.assign(is_core_match=matches["class_share"] >= MIN_CLASS_SHARE)
    matches = matches.sort_values(
        ["region_code", "priority_id", "class_share", "category_code"],
        ascending=[True, True, False, True],
        ignore_index=True,
    )[MATCH_COLUMNS]
    summary = _summarise_priorities(priorities, matches, strong_density)
    unmentioned = _unmentioned_strengths(priorities, matches, cells, category_types)
    return S3Alignment(summary, matches, unmentioned, strong_density)


def _split(text: str) -> list[str]:
    return [item for item in str(text).split(";") if item and item != "nan"]


def _priority_links(
    priorities: pd.DataFrame, nace_classes: pd.DataFrame, category_types: Mapping[str, str]
) -> pd.DataFrame:
    """Each priority's categories: those it names, and those with classes in its divisions."""
    keys = ["region_code", "nuts2_code", "priority_id"]
    by_division = division_categories(nace_classes)
    divisions = (
        priorities[keys]
        .assign(division=priorities["nace_divisions"].map(_split))
        .explode("division")
    )
    via_nace = divisions.dropna(subset=["division"]).merge(by_division, on="division")
    via_nace = via_nace.groupby([*keys, "category_code", "category_type"], as_index=False).agg(
        matched_divisions=("division", lambda d: ";".join(sorted(d))),
        n_classes=("n_classes", "sum"),
        category_classes=("category_classes", "first"),
    )
    via_nace = via_nace.assign(class_share=via_nace["n_classes"] / via_nace["category_classes"])
    named = priorities[keys].assign(category_code=priorities["category_codes"].map(_split))
    named = named.explode("category_code").dropna(subset=["category_code"])
    named = named.assign(
        category_type=named["category_code"].map(category_types),
        matched_divisions="named",
        class_share=1.0,
    )
    links = pd.concat([named, via_nace], ignore_index=True)
    return links.drop_duplicates([*keys, "category_code"], keep="first")[
        [*keys, "category_code", "category_type", "matched_divisions", "class_share"]
    ]


def _summarise_priorities(
    priorities: pd.DataFrame, matches: pd.DataFrame, strong_density: float
) -> pd.DataFrame:
    keys = ["region_code", "priority_id"]
    matches = matches.loc[matches["is_core_match"]]
    specialised = matches["is_specialised"].fillna(False).astype(bool)
    opportunity = matches["relatedness_density"].where(matches["is_specialised"].eq(False))
    per_priority = (
        matches.assign(specialised=specialised, opportunity_density=opportunity)
        .groupby(keys)
        .agg(
            n_categories=("category_code", "size"),
            n_specialised=("specialised", "sum"),
            max_density=("opportunity_density", "max"),
        )
    )
    summary = priorities.join(per_priority, on=keys)
    n_categories = summary["n_categories"].fillna(0).astype(int)
    n_specialised = summary["n_specialised"].fillna(0).astype(int)
    has_codes = (summary["nace_divisions"].map(_split).map(len) > 0) | (
        summary["category_codes"].map(_split).map(len) > 0
    )
    alignment = np.select(
        [
            ~has_codes,
            n_categories == 0,
            n_specialised > 0,
            summary["max_density"] >= strong_density,
        ],
        [NOT_MATCHED, NO_CATEGORY, BUILDS_ON_STRENGTHS, RELATED],
        WEAKLY_RELATED,
    )
    return summary.assign(
        n_categories=n_categories,
        n_specialised=n_specialised,
        alignment=pd.Series(alignment, index=summary.index, dtype="str"),
    ).reset_index(drop=True)


def _unmentioned_strengths(
    priorities: pd.DataFrame,
    matches: pd.DataFrame,
    cells: pd.DataFrame,
    category_types: Mapping[str, str],
) -> pd.DataFrame:
    matches = matches.loc[matches["is_core_match"]]
    matched_regions = matches.drop_duplicates("region_code")[["region_code", "nuts2_code"]]
    strengths = cells.loc[cells["is_specialised"].fillna(False).astype(bool)].rename(
        columns={"region_code": "nuts2_code"}
    )
    candidates = matched_regions.merge(strengths, on="nuts2_code")
    mentioned = matches[["region_code", "category_code"]].drop_duplicates().assign(is_named=True)
    frame = candidates.merge(mentioned, on=["region_code", "category_code"], how="left")
    frame = frame.loc[frame["is_named"].isna()].drop(columns="is_named")
    frame = frame.assign(category_type=frame["category_code"].map(category_types))
    # traded categories only: the emerging industries overlap them
    frame = frame.loc[frame["category_type"] == "traded"]
    return frame.sort_values(["region_code", "lq"], ascending=[True, False], ignore_index=True)[
        ["region_code", "nuts2_code", "category_code", "category_type", "lq"]
    ]


def strategy_regions(priorities: pd.DataFrame) -> Iterable[str]:
    """The regions that have priorities, in order."""
    return list(dict.fromkeys(priorities["region_code"]))

"""The scorecard's cluster sections: portfolio, emerging industries, summary, strongest category.

The rated clusters come from the recipe layer; this module selects the region's rows, ranks
them (stars, then LQ, then employment), notes what is missing and formats them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from observatory_lib.indicators import recipes
from observatory_lib.indicators.panorama import category_view, region_portfolio
from observatory_lib.products.kit.labels import stars_text
from observatory_lib.products.kit.map_styles import NOT_AVAILABLE, format_value
from observatory_lib.products.region_scorecard.spec import (
    N_TOP_CATEGORIES,
    PORTFOLIO_COLUMNS,
    ScorecardContext,
)
from observatory_lib.products.region_scorecard.text import escaped, text_number


def cluster_sections(context: ScorecardContext, rated: pd.DataFrame | None) -> dict:
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
        recipes.statistics_regions(context.store).reset_index(drop=True),
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


def _rated_codes(context: ScorecardContext, rated: pd.DataFrame) -> frozenset[str]:
    return frozenset(_rows_by(context, rated, "region_code"))


def _rows_by(
    context: ScorecardContext, rated: pd.DataFrame, column: str
) -> dict[str, pd.DataFrame]:
    """The rated rows split by region or category once, so that one region's portfolio and
    one category's view select from a few rows instead of the whole table (same results)."""
    key = (context.store.version, "rated_by", column, context.level, context.rule_set)
    return recipes.memo(key, lambda: dict(iter(rated.groupby(column, sort=True))))


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


def _cluster_summary(context: ScorecardContext, traded: pd.DataFrame, full: pd.DataFrame) -> dict:
    stars = traded["stars"]
    structural = recipes.structural_indicators(context.store, context.level, context.rule_set)
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
    if "is_apportioned" in full and full["is_apportioned"].astype("boolean").fillna(False).any():
        notes.append(
            "Cluster data apportioned: the statistics were published for regions of another "
            "NUTS edition, so this region's figures are shares (by 2011 population, JRC NUTS "
            "converter) of the region(s) it overlaps; its location quotients reflect theirs."
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


def _category_map(
    context: ScorecardContext, rated: pd.DataFrame, strongest: dict | None
) -> pd.DataFrame:
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

    return recipes.memo(key, compute)


def portfolio_display(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Category": frame["category_name"].astype("str"),
            "Stars": [
                stars_text(s, o, m)
                for s, o, m in zip(
                    frame["stars"], frame["stars_out_of"], frame["n_criteria_missing"], strict=True
                )
            ],
            "LQ": [text_number(v, 2) for v in frame["lq"]],
            "Share of European employment": [
                format_value(None if pd.isna(v) else 100 * v, "pct") for v in frame["size_share"]
            ],
            "Employment (persons)": [format_value(v) for v in frame["employment_persons"]],
            "Data note": frame["data_note"].fillna("").astype("str"),
        }
    )


def notes_by_kind(frame: pd.DataFrame) -> str:
    """The data notes of ``frame`` grouped by kind, as one Markdown sentence ("" if none).

    E.g. ``*Data notes:* estimated from suppressed cells: A, B; small base (...): C.``
    """
    names: dict[str, list[str]] = {}
    for name, note in zip(frame["category_name"], frame["data_note"].fillna(""), strict=True):
        for kind in filter(None, str(note).split("; ")):
            names.setdefault(kind, []).append(escaped(name))
    if not names:
        return ""
    groups = [
        f"{kind}: {'all categories shown' if len(found) == len(frame) else ', '.join(found)}"
        for kind, found in names.items()
    ]
    return f"*Data notes:* {'; '.join(groups)}."


def assessments(frame: pd.DataFrame) -> str:
    """The peer assessment of each dimension: ``strength in A; similar in B, C``."""
    parts = []
    for kind in ("strength", "weakness", "similar"):
        labels = frame.loc[frame["assessment"] == kind, "label"]
        if len(labels):
            parts.append(f"{kind} in {', '.join(escaped(label) for label in labels)}")
    missing = frame.loc[frame["assessment"].isna(), "label"]
    if len(missing):
        parts.append(f"{NOT_AVAILABLE} for {', '.join(escaped(label) for label in missing)}")
    return "; ".join(parts)


def category_text(row: Any) -> str:
    """One category in a run of text: name, stars, LQ, employment and share of Europe."""
    name = escaped(row.category_name)
    if pd.isna(row.employment_persons):
        return f"{name} {NOT_AVAILABLE}"
    stars = stars_text(row.stars, row.stars_out_of, row.n_criteria_missing)
    lq = "" if pd.isna(row.lq) else f" LQ {text_number(row.lq, 2)},"
    return f"{name} {stars}{lq} {_employment_text(row.employment_persons, row.size_share)}"


def _employment_text(persons: Any, share: Any) -> str:
    """``168,899 (6.39%)``: employment and its share of European employment."""
    if persons is None or pd.isna(persons):
        return NOT_AVAILABLE
    percent = format_value(None if pd.isna(share) else 100 * share, "pct")
    return f"{format_value(persons)} ({percent})"


def portfolio_compact(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Category": frame["category_name"].astype("str"),
            "Stars": [
                stars_text(s, o, m)
                for s, o, m in zip(
                    frame["stars"], frame["stars_out_of"], frame["n_criteria_missing"], strict=True
                )
            ],
            "LQ": [text_number(v, 2) for v in frame["lq"]],
            "Employment, persons (share of Europe)": [
                _employment_text(p, s)
                for p, s in zip(frame["employment_persons"], frame["size_share"], strict=True)
            ],
        }
    )

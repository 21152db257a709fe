"""The priority sector report's numbers (its publication: ``publication.py``).

``sector_report_content`` builds everything the report shows for one traded category or
emerging industry: every region ranked, the leading regions, the NACE composition, the
concentration across regions and the overlap with other categories. ``plot_sector_maps``
draws its maps and ``write_sector_downloads`` publishes its tables. The rated clusters come
from the recipe layer (``indicators.recipes``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR
from observatory_lib.data.cluster_definitions import read_nace_classes
from observatory_lib.errors import unknown_code
from observatory_lib.indicators import change_recipes, recipes
from observatory_lib.indicators.panorama import (
    CategoryComposition,
    CategoryConcentration,
    CategoryView,
    category_view,
    compute_category_composition,
    compute_category_overlap,
    compute_concentration,
)
from observatory_lib.indicators.recipes import MIN_STARS
from observatory_lib.indicators.stars import StarRuleSet, load_star_preset
from observatory_lib.products.kit import map_styles
from observatory_lib.products.kit.display import (
    TableSpec,
    output_stem,
    product_sources,
    write_tables,
)
from observatory_lib.products.kit.notes import DIVISION_NOTE, stars_methods_note
from observatory_lib.products.kit.numbers import (
    format_number,
)

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure


N_LEADERS = 10
SECTOR_SUBDIR = "sector_reports"
LEADING_COLUMNS = [
    "rank_in_category",
    "region_code",
    "region_name",
    "country_code",
    "stars",
    "stars_out_of",
    "employment_persons",
    "size_share",
    "lq",
    "focus_share",
    "has_confidential_cells",
    "is_small_base",
]


# How the notebook shows each table (every row is in the downloads).
CLASSES_TABLE = TableSpec(
    columns=("nace_class", "title", "nace_code", "allocation_share", "is_in_sbs_scope")
)
DIVISIONS_TABLE = TableSpec(
    columns=(
        "nace_code",
        "nace_section",
        "n_classes_in_category",
        "n_classes_in_division",
        "allocated_share",
        "is_in_sbs_scope",
    )
)
LEADING_TABLE = TableSpec(
    units={"employment_persons": "persons"},
    empty_text="No region has a known employment in this category.",
)
CONCENTRATION_TABLE = TableSpec(columns=("label", "value"))
OVERLAP_EMERGING_TABLE = TableSpec(
    empty_text="The category shares no NACE class with an emerging industry."
)
N_FASTEST = 10
OVERLAP_TRADED_TABLE = TableSpec(
    empty_text="The category shares no NACE class with another traded category."
)


@dataclasses.dataclass(frozen=True)
class SectorReport:
    """Everything the sector report shows for one category (traded or emerging).

    Attributes:
        view: ``panorama.category_view`` (every region ranked, map series of the LQ).
        leading_regions: the first ``n_leaders`` regions of the ranking (stars, LQ, size).
        composition: the NACE classes (with titles) and the SBS divisions used.
        concentration: top-10 share, Herfindahl index and Gini over the reference regions.
        overlap_emerging: emerging industries sharing NACE classes with the category.
        overlap_traded: traded categories sharing classes (non-empty for emerging industries).
        notes: what limits the report (classes outside the SBS scope, missing cells).
        window: the change window (None in the first year with data).
        trend: the category's European employment per year on constant regions.
        fastest_growing: the regions where it grew fastest over the window (at least 1,000
            persons employed, series without a break), with stars and wages against Europe.
    """

    category_code: str
    category_name: str
    category_type: str
    year: int
    nuts_level: int
    star_preset: str
    rule_set: StarRuleSet
    n_nace_classes: int
    n_nace_classes_in_sbs_scope: int
    view: CategoryView
    leading_regions: pd.DataFrame
    composition: CategoryComposition
    concentration: CategoryConcentration
    overlap_emerging: pd.DataFrame
    overlap_traded: pd.DataFrame
    notes: tuple[str, ...]
    window: tuple[int, int] | None = None
    trend: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    fastest_growing: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    def trend_markdown(self) -> str:
        """The category's change over the window in one sentence, or why there is none."""
        if self.window is None:
            return f"Trend: not available ({self.year} is the first year with cluster data)."
        start, end = self.window
        if self.trend.empty:
            return (
                f"Trend {start}–{end}: not available (no region has the category's employment "
                "in every year without a series break)."
            )
        first, last = self.trend.iloc[0], self.trend.iloc[-1]
        return (
            f"From {start} to {end}, the category's employment in the "
            f"{format_number(last['n_regions'])} reference regions with data in every year (no "
            f"series break) went from {format_number(first['employment_persons'])} to "
            f"{format_number(last['employment_persons'])} persons (index "
            f"{format_number(last['employment_index'], 1)}, {start} = 100). "
            f"The fastest-growing regions grew at the compound annual rate shown over "
            f"{start}–{end}; regions below 1 000 persons and series with a break are left out."
        )

    @property
    def n_starred_regions(self) -> int:
        """Regions with at least one star in the category."""
        stars = self.view.table["stars"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        return int((stars >= MIN_STARS).sum())

    def headline_markdown(self) -> str:
        """The category in two sentences."""
        kind = "emerging industry" if self.category_type == "emerging" else "traded category"
        opening = (
            f"**{self.category_name}** (`{self.category_code}`, {kind}): "
            f"{self.n_nace_classes} NACE classes, {self.n_nace_classes_in_sbs_scope} of them "
            "covered by regional SBS."
        )
        concentration = self.concentration
        if not concentration.n_regions_with_data:
            return (
                f"{opening} NUTS {self.nuts_level}, {self.year}: no region has a known "
                "employment in the category, so its employment, LQ, stars and concentration "
                "are not available."
            )
        employment = map_styles.format_value(concentration.employment_persons, "persons")
        top = map_styles.format_value(concentration.top_n_share * 100, "pct")
        return (
            f"{opening} NUTS {self.nuts_level}, {self.year}: {employment} in the "
            f"{concentration.n_regions_with_data} reference regions with data; "
            f"{self.n_starred_regions} regions have at least one star (`{self.star_preset}`); "
            f"the top {concentration.top_n} regions hold {top} of the employment."
        )

    def notes_markdown(self) -> str:
        """The report's limits as a Markdown list (empty string when there is none)."""
        return "\n".join(f"- {note}" for note in self.notes)

    def methods_markdown(self) -> str:
        """The methods note: division approximation, concentration measures, stars."""
        top_n = self.concentration.top_n
        return "\n".join(
            [
                DIVISION_NOTE,
                "",
                f"**Concentration** is measured over the reference regions at NUTS "
                f"{self.nuts_level} whose employment in the category is known: the share of "
                f"the {top_n} largest regions, the Herfindahl index (sum of squared regional "
                "shares; 1 / index is the equivalent number of equal-sized regions) and the "
                "Gini coefficient (0 = evenly spread).",
                "",
                "**Overlap** counts the NACE classes the category shares with each emerging "
                "industry (and each traded category); because employment is allocated "
                "equally to the classes of a division, shared classes share employment too.",
                "",
                stars_methods_note(self.rule_set, with_division_note=False),
            ]
        )

    def record(self) -> dict[str, Any]:
        """Key numbers for ``records.publish_record``."""
        concentration = dataclasses.asdict(self.concentration)
        return {
            "product": "sector_report",
            "category_code": self.category_code,
            "category_type": self.category_type,
            "year": self.year,
            "nuts_level": self.nuts_level,
            "star_preset": self.star_preset,
            "n_nace_classes": self.n_nace_classes,
            "n_starred_regions": self.n_starred_regions,
            "n_overlapping_emerging": len(self.overlap_emerging),
            **{key: value for key, value in concentration.items() if key != "category_code"},
        }


def sector_report_content(
    store,
    category_code: str,
    *,
    year: int = DEFAULT_YEAR,
    star_preset: str = DEFAULT_STAR_PRESET,
    level: int = 2,
    n_leaders: int = N_LEADERS,
    nace_reference: pd.DataFrame | None = None,
) -> SectorReport:
    """Build the priority sector report of one category.

    Args:
        store: the loaded store.
        category_code: a slug of ``store.cluster_categories`` (47 traded, 10 emerging).
        year: reference year.
        star_preset: star rule set.
        level: NUTS level.
        n_leaders: rows of ``leading_regions``.
        nace_reference: the NACE class list (default ``read_nace_classes()``).

    Raises:
        UnknownCodeError: unknown category (every valid slug listed), preset, level or year.
    """
    categories = store.cluster_categories
    valid = categories["category_code"].tolist()
    if category_code not in valid:
        raise unknown_code(
            "category", category_code, valid, hint=f"Valid category codes: {', '.join(valid)}."
        )
    rules = load_star_preset(star_preset)
    rated = recipes.rated_clusters(store, level, rules, year=year)
    rated = _with_missing_category(rated, category_code, categories, level=level, year=year)
    view = category_view(
        rated,
        category_code,
        categories,
        regions=store.regions,
        year=int(year),
        level=int(level),
        map_metric="lq",
        n_leaders=n_leaders,
    )
    info = categories.set_index("category_code").loc[category_code]
    nace_classes = store.cluster_nace_classes
    composition = compute_category_composition(
        nace_classes,
        category_code,
        nace_reference=read_nace_classes() if nace_reference is None else nace_reference,
    )
    concentration = compute_concentration(rated, category_code, year=int(year), level=int(level))
    n_classes = int(info["n_nace_classes"])
    n_in_scope = int(info["n_nace_classes_in_sbs_scope"])
    return SectorReport(
        category_code=category_code,
        category_name=str(info["category_name"]),
        category_type=str(info["category_type"]),
        year=int(year),
        nuts_level=int(level),
        star_preset=rules.name,
        rule_set=rules,
        n_nace_classes=n_classes,
        n_nace_classes_in_sbs_scope=n_in_scope,
        view=view,
        leading_regions=_leading_regions(view.table, n_leaders),
        composition=composition,
        concentration=concentration,
        overlap_emerging=compute_category_overlap(
            nace_classes, category_code, categories, against="emerging"
        ),
        overlap_traded=compute_category_overlap(
            nace_classes, category_code, categories, against="traded"
        ),
        notes=_sector_notes(n_classes, n_in_scope, composition, concentration)
        + _apportioned_note(view.table),
        **_change_parts(store, category_code, int(level), rules, int(year)),
    )


def view_stars(store, level: int, rules, year: int, category_code: str) -> pd.Series:
    """The category's stars per region in ``year`` (the rated table split by category once)."""

    def split() -> dict[str, pd.Series]:
        rated = recipes.rated_clusters(store, level, rules, year=year)
        return {
            code: rows.set_index("region_code")["stars"]
            for code, rows in rated.groupby("category_code", sort=False)
        }

    key = (store.version, "stars_by_category", level, rules, year)
    return recipes.memo(key, split).get(category_code, pd.Series(dtype="Int64"))


def _change_parts(store, category_code: str, level: int, rules, year: int) -> dict:
    """The trend and the fastest-growing regions over the window ending in ``year``."""
    window = change_recipes.window_ending(store, year)
    if window is None:
        return {"window": None}
    trends = change_recipes.category_trends(store, level, window)
    trend = trends[trends["category_code"] == category_code].reset_index(drop=True)
    fastest = change_recipes.fastest_growing_regions(
        store, level, category_code, year=year, n=N_FASTEST
    )
    stars = view_stars(store, level, rules, year, category_code)
    names = recipes.region_names(store, level)
    fastest = fastest.merge(names, on="region_code", how="left").assign(
        stars=lambda frame: frame["region_code"].map(stars)
    )
    return {"window": window, "trend": trend, "fastest_growing": fastest.reset_index(drop=True)}


def _leading_regions(table: pd.DataFrame, n_leaders: int) -> pd.DataFrame:
    """The first regions of the ranking that have a known employment or LQ."""
    has_value = table[["employment_persons", "lq"]].notna().any(axis=1)
    return table.loc[has_value].reindex(columns=LEADING_COLUMNS).head(n_leaders)


# Columns that describe the region, the level and year or the rating, not the category's cell.
_REGION_LEVEL_COLUMNS = (
    "region_code",
    "country_code",
    "nuts_level",
    "year",
    "region_employment_persons",
    "is_in_reference_set",
    "is_derived_by_allocation",
    "productivity_status",
    "dynamism_status",
    "stars_out_of",
    "stars_basis",
    "rule_set",
    "nuts_edition",
    "dataset_code",
)


def _with_missing_category(
    rated: pd.DataFrame, category_code: str, categories: pd.DataFrame, *, level: int, year: int
) -> pd.DataFrame:
    """Add missing rows for a category without any cluster cell (no class in SBS scope).

    Financial services, insurance and performing arts have no NACE class in the regional SBS
    scope, so the store has no cell for them: each region gets a row whose employment, LQ
    and stars are missing, so that the report shows "not available", never 0.
    """
    chosen = rated[(rated["nuts_level"] == int(level)) & (rated["year"] == int(year))]
    if chosen.empty or chosen["category_code"].eq(category_code).any():
        return rated
    template = chosen.drop_duplicates("region_code").reset_index(drop=True)
    info = categories.set_index("category_code").loc[category_code]
    missing = {
        column: _missing_like(template[column])
        for column in template.columns
        if column not in _REGION_LEVEL_COLUMNS
    }
    rows = template.assign(**missing).assign(
        category_code=category_code, category_type=str(info["category_type"])
    )
    return pd.concat([rated, rows], ignore_index=True)


def _missing_like(column: pd.Series) -> pd.Series:
    """An all-missing column: NA in extension dtypes, NaN in numpy numbers, NA booleans."""
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return pd.Series(pd.NA, index=column.index, dtype=column.dtype)
    if pd.api.types.is_bool_dtype(column.dtype):
        return pd.Series(pd.NA, index=column.index, dtype="boolean")
    if pd.api.types.is_numeric_dtype(column.dtype):
        return pd.Series(np.nan, index=column.index, dtype=float)
    return pd.Series(None, index=column.index, dtype=object)


def _apportioned_note(table: pd.DataFrame) -> tuple[str, ...]:
    """Name the regions whose figures were apportioned from another NUTS edition."""
    if "is_apportioned" not in table.columns:
        return ()
    flagged = table.loc[table["is_apportioned"].astype("boolean").fillna(False), "region_code"]
    if flagged.empty:
        return ()
    return (
        f"{len(flagged)} regions' figures are apportioned from NUTS 2013 regions by 2011 "
        f"population (JRC NUTS converter): {', '.join(sorted(flagged.astype(str)))}.",
    )


def _sector_notes(
    n_classes: int,
    n_in_scope: int,
    composition: CategoryComposition,
    concentration: CategoryConcentration,
) -> tuple[str, ...]:
    notes = []
    if n_in_scope == 0:
        notes.append(
            "None of the category's NACE classes is covered by regional SBS (sections B-N "
            "without K, and S95): its regional employment, LQ and stars are not available."
        )
    elif n_in_scope < n_classes:
        outside = composition.classes.loc[~composition.classes["is_in_sbs_scope"], "nace_class"]
        listed = ", ".join(outside) if len(outside) else "outside the store's class list"
        notes.append(
            f"{n_in_scope} of {n_classes} NACE classes are covered by regional SBS; the others "
            f"({listed}) are not counted, so the category's employment is understated."
        )
    missing = concentration.n_regions - concentration.n_regions_with_data
    if n_in_scope and missing:
        notes.append(
            f"{missing} of {concentration.n_regions} reference regions have no known "
            "employment in the category (a needed division is suppressed); they are left out "
            "of the concentration measures."
        )
    return tuple(notes)


def plot_sector_maps(report: SectorReport, geometries: gpd.GeoDataFrame) -> dict[str, Figure]:
    """Two maps of the category: its location quotient and its stars per region."""
    from observatory_lib.products.kit.maps import HALF_WIDTH, plot_choropleth

    table = report.view.table
    lq = table[["region_code"]].assign(value=table["lq"])
    stars = table[["region_code"]].assign(value=table["stars"].astype("Float64").astype(float))
    return {
        "lq": plot_choropleth(
            geometries,
            lq,
            title=None,
            unit="location_quotient",
            method="quantile",
            k=5,
            width=HALF_WIDTH,
        ),
        "stars": plot_choropleth(
            geometries,
            stars,
            title=None,
            unit="stars",
            method="quantile",
            k=5,
            width=HALF_WIDTH,
        ),
    }


def write_sector_downloads(
    report: SectorReport, store, output_subdir: str = SECTOR_SUBDIR
) -> list[Path]:
    """Write the sector report's tables under ``outputs/<output_subdir>/<category_code>/``.

    Files: ``regions`` (every region ranked), ``composition_classes``,
    ``composition_divisions``, ``concentration``, ``overlap_emerging`` and
    ``overlap_traded``, each suffixed ``_<preset>_nuts<level>_<year>``.
    """
    name = f"{report.category_name} ({report.category_code})"
    what = f"NUTS {report.nuts_level}, {report.year}, star rule set {report.star_preset}"
    regions = report.view.table.drop(
        columns=[c for c in report.view.table if c.endswith(("_value", "_threshold"))]
    )
    tables = {
        "regions": (regions, f"{name}: regions ranked by stars, LQ and employment, {what}"),
        "composition_classes": (report.composition.classes, f"{name}: NACE Rev. 2 classes"),
        "composition_divisions": (
            report.composition.divisions,
            f"{name}: SBS divisions allocated to the category",
        ),
        "concentration": (
            report.concentration.table(),
            f"{name}: concentration across regions, {what}",
        ),
        "overlap_emerging": (
            report.overlap_emerging,
            f"{name}: emerging industries sharing NACE classes",
        ),
        "overlap_traded": (
            report.overlap_traded,
            f"{name}: traded categories sharing NACE classes",
        ),
    }
    if report.window is not None:
        window = f"{report.window[0]}-{report.window[1]}"
        tables["trend"] = (
            report.trend,
            f"{name}: European employment per year on constant regions, {window}",
        )
        tables["fastest_growing_regions"] = (
            report.fastest_growing,
            f"{name}: fastest-growing regions, compound annual growth {window}",
        )
    subdir = f"{output_stem(output_subdir, report.category_code)}"
    suffix = f"{report.star_preset}_nuts{report.nuts_level}_{report.year}"
    sources = product_sources(store, "clusters")
    written = write_tables(tables, subdir, suffix, sources)
    rated = recipes.rated_clusters(store, report.nuts_level, report.rule_set)
    panel = rated[rated["category_code"] == report.category_code]
    panel = panel.drop(columns=[c for c in panel if c.endswith(("_value", "_threshold"))])
    years = recipes.cluster_years(store)
    written += write_tables(
        {
            "regions_panel": (
                panel.reset_index(drop=True),
                f"{name}: every region and year {years[0]}-{years[-1]}, NUTS "
                f"{report.nuts_level}, star rule set {report.star_preset}",
            )
        },
        subdir,
        f"{report.star_preset}_nuts{report.nuts_level}_{years[0]}-{years[-1]}",
        sources,
    )
    return written

"""Static maps for the HTML/PDF products: choropleths and region locators (matplotlib).

Drawn in ETRS89-LAEA Europe (EPSG:3035), the projection of Eurostat's own maps, on a fixed
European frame so that every map of the workbook looks alike; overseas regions outside the
frame are cropped, never moved or rescaled. Figures are built with ``matplotlib.figure.Figure``
(no pyplot state, safe under the Agg backend and in threads) and are deterministic: the same
input gives the same PNG bytes through :func:`figure_to_png_bytes`.

Styling (palettes, classes, missing and confidential colours) comes from ``map_styles`` so
that the static maps and the interactive Voila map agree.

The drawn collections carry a ``gid`` so that tests and callers can find them:
``regions`` (one face colour per region, in the order of the cropped geometries),
``confidential`` (hatch overlay), ``highlight`` (thick outline), and in the locator
``located`` (the region's fill) and ``country`` (its country's outline).

A batch that draws one map for many regions can draw the shared part once
(``plot_locator_background``, or ``plot_choropleth`` without ``highlight``) and each region's
marks on top (``add_locator_marks``, ``highlight_region``); see ``figure_layers``.
"""

from __future__ import annotations

import io
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from observatory_lib.constants import MAP_CREDIT
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.products.kit import map_styles

if TYPE_CHECKING:  # geopandas and matplotlib are imported lazily, when a map is drawn
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PROJECTED_CRS = "EPSG:3035"
GEOGRAPHIC_CRS = "EPSG:4326"
# The European frame in degrees (west, south, east, north): mainland Europe, Iceland, Cyprus
# and Turkey; the outermost regions (Canaries, Azores, Madeira, French overseas) fall outside.
EUROPE_LONLAT = (-25.0, 34.0, 45.0, 72.0)
EXTENTS = ("europe", "data")
ATTRIBUTION = MAP_CREDIT
FIGURE_WIDTH = 7.0  # inches; the height follows the frame's aspect ratio
HALF_WIDTH = 3.6  # inches: a map beside another on an A4 page
TITLE_SPACE = 0.45  # inches above the map for the title
OUTLINE_WIDTH = 0.2
HIGHLIGHT_WIDTH = 1.6
COUNTRY_WIDTH = 0.8
CONFIDENTIAL_HATCH = "////"
HATCH_COLOUR = "#595959"
LOCATOR_REST_COLOUR = "#e6e6e6"
# Simplification tolerance in metres: ~1 km is well under a pixel of a 7-inch map of Europe
# at 100-200 dpi, and makes 1:20M outlines several times lighter to draw.
SIMPLIFY_METRES = 1_000.0
# A located region smaller than this share of the frame's width also gets a ring around it.
SMALL_REGION_SHARE = 0.015
# A locator frame may grow to this multiple of the European frame's area to take in a region.
MAX_STRETCH = 1.6
# --------------------------------------------------------------------------------------------
# Geometry


@lru_cache(maxsize=16)
def _projected_box(lonlat: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Bounds in EPSG:3035 of a box in degrees, its edges densified first.

    The edges of a longitude/latitude box curve in LAEA, so its corners alone would cut
    parts of the frame off.
    """
    from pyproj import Transformer

    west, south, east, north = lonlat
    t = np.linspace(0.0, 1.0, 64)
    lons = np.concatenate(
        [
            west + (east - west) * t,
            np.full_like(t, east),
            east - (east - west) * t,
            np.full_like(t, west),
        ]
    )
    lats = np.concatenate(
        [
            np.full_like(t, south),
            south + (north - south) * t,
            np.full_like(t, north),
            north - (north - south) * t,
        ]
    )
    transformer = Transformer.from_crs(GEOGRAPHIC_CRS, PROJECTED_CRS, always_xy=True)
    xs, ys = transformer.transform(lons, lats)
    return (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))


def _check_geometries(geometries: gpd.GeoDataFrame) -> None:
    if "region_code" not in geometries.columns:
        raise ObservatoryError(
            "The geometries have no 'region_code' column; rename the GISCO 'NUTS_ID' column "
            "to 'region_code' (docs/CONVENTIONS.md)."
        )
    duplicated = geometries["region_code"].duplicated()
    if duplicated.any():
        sample = ", ".join(geometries.loc[duplicated, "region_code"].astype(str).unique()[:5])
        raise ObservatoryError(
            f"Region codes appear more than once in the geometries ({sample}); filter the "
            "geometries to one nuts_edition before drawing."
        )


def _project(geometries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Project to EPSG:3035; geometries without a CRS are taken as EPSG:4326 (the store's)."""
    frame = geometries if geometries.crs is not None else geometries.set_crs(GEOGRAPHIC_CRS)
    return frame.to_crs(PROJECTED_CRS)


def _frame_bounds(projected: gpd.GeoDataFrame, extent) -> tuple[float, float, float, float]:
    """The drawing window in EPSG:3035 for ``extent``: 'europe', 'data' or a box in degrees."""
    if isinstance(extent, str):
        if extent == "europe":
            return _projected_box(EUROPE_LONLAT)
        if extent == "data" and len(projected):
            return _padded(tuple(float(b) for b in projected.total_bounds))
    elif extent is not None and len(extent) == 4:
        return _projected_box(tuple(float(v) for v in extent))
    raise ObservatoryError(
        f"Unknown map extent {extent!r}; use one of {', '.join(EXTENTS)} (with at least one "
        "geometry for 'data') or a (west, south, east, north) box in degrees."
    )


def _padded(bounds: tuple[float, ...], share: float = 0.05, minimum: float = 0.0) -> tuple:
    west, south, east, north = bounds
    pad = max(share * max(east - west, north - south), minimum)
    return (west - pad, south - pad, east + pad, north + pad)


def _crop(projected: gpd.GeoDataFrame, bounds: tuple[float, ...]) -> gpd.GeoDataFrame:
    """Simplify outlines below pixel size, cut them at the frame and drop what falls outside.

    Regions beyond the frame would only cost drawing time; the crop hides them anyway.
    The margin keeps cut edges out of sight.
    """
    window = _padded(bounds)
    inside = projected.cx[window[0] : window[2], window[1] : window[3]]
    shapes = inside.geometry.simplify(SIMPLIFY_METRES).clip_by_rect(*window)
    keep = ~(shapes.is_empty | shapes.isna())
    return inside.set_geometry(shapes).loc[keep]


def _polygon_paths(geometries) -> list:
    """One matplotlib Path per geometry (all its polygons, holes kept), built vectorised.

    Lines and points (left over by clipping) are ignored; a geometry without polygon parts
    gets an empty Path so that paths stay aligned with the rows.
    """
    import shapely
    from matplotlib.path import Path

    geoms = np.asarray(geometries, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    is_polygon = shapely.get_type_id(parts) == 3  # shapely's type id of Polygon
    parts, owner = parts[is_polygon], owner[is_polygon]
    if parts.size == 0:
        return [Path(np.empty((0, 2))) for _ in geoms]
    _, coords, (ring_offsets, polygon_offsets) = shapely.to_ragged_array(parts)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[ring_offsets[:-1]] = Path.MOVETO
    codes[ring_offsets[1:] - 1] = Path.CLOSEPOLY
    part_starts = np.append(ring_offsets[polygon_offsets[:-1]], len(coords))
    cuts = part_starts[np.searchsorted(owner, np.arange(len(geoms) + 1))][1:-1]
    return [
        Path(xy, code)
        for xy, code in zip(np.split(coords, cuts), np.split(codes, cuts), strict=True)
    ]


# --------------------------------------------------------------------------------------------
# Figure pieces


def _new_axes(
    ax: Axes | None, bounds: tuple[float, ...], width: float = FIGURE_WIDTH, title_space=TITLE_SPACE
) -> tuple[Figure, Axes]:
    """The caller's axes, or a new figure sized to the frame so that nothing is stretched."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    west, south, east, north = bounds
    map_height = width * (north - south) / (east - west)
    height = map_height + title_space
    fig = Figure(figsize=(width, height), facecolor="white")
    ax = fig.add_axes((0.0, 0.0, 1.0, map_height / height))
    return fig, ax


def _set_frame(ax: Axes, bounds: tuple[float, ...]) -> None:
    west, south, east, north = bounds
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()


def _add_paths(ax: Axes, paths: list, gid: str, **style):
    from matplotlib.collections import PathCollection

    collection = PathCollection(paths, **style)
    collection.set_gid(gid)
    ax.add_collection(collection, autolim=False)
    return collection


def _add_attribution(ax: Axes) -> None:
    ax.text(
        0.995, 0.005, ATTRIBUTION, transform=ax.transAxes, ha="right", va="bottom",
        fontsize=6, color="#404040", zorder=10,
    )  # fmt: skip


def _add_title(ax: Axes, title: str | None, own_figure: bool) -> None:
    """Title over the whole figure we made, or over the caller's axes (which may be a panel)."""
    if not title:
        return
    if own_figure:
        ax.figure.suptitle(title, x=0.02, y=0.99, ha="left", va="top", fontsize=12)
    else:
        ax.set_title(title, loc="left", fontsize=11)


def _add_legend(ax: Axes, entries: list[dict]) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(
            facecolor=entry["colour"],
            edgecolor=HATCH_COLOUR if entry["kind"] == "confidential" else "#808080",
            linewidth=0.4,
            hatch=CONFIDENTIAL_HATCH if entry["kind"] == "confidential" else None,
            label=entry["label"],
        )
        for entry in entries
    ]
    if not handles:
        return
    legend = ax.legend(
        handles=handles, title=entries[0]["title"], loc="upper left", fontsize=7,
        title_fontsize=8, frameon=True, framealpha=0.9, edgecolor="#bfbfbf",
    )  # fmt: skip
    legend.set_zorder(10)


def _add_highlight(ax: Axes, cropped: gpd.GeoDataFrame, region_code: str):
    chosen = cropped.loc[cropped["region_code"] == region_code]
    return _add_paths(
        ax, _polygon_paths(chosen.geometry), "highlight", facecolors="none",
        edgecolors=map_styles.HIGHLIGHT_COLOUR, linewidths=HIGHLIGHT_WIDTH, zorder=4,
    )  # fmt: skip


def _check_highlight(projected: gpd.GeoDataFrame, region_code: str | None) -> None:
    if region_code is not None and not projected["region_code"].eq(region_code).any():
        raise unknown_code("region", region_code, projected["region_code"].astype(str))


# --------------------------------------------------------------------------------------------
# Choropleth


def _value_table(values: pd.DataFrame) -> pd.DataFrame:
    """``region_code, value, status`` from the caller's table (status from ``flag`` if absent)."""
    missing = {"region_code", "value"} - set(values.columns)
    if missing:
        raise ObservatoryError(
            f"The values table lacks {', '.join(sorted(missing))}; pass a DataFrame with "
            "region_code and value (and optionally status or flag)."
        )
    if values["region_code"].duplicated().any():
        raise ObservatoryError(
            "The values table has several rows for one region_code; filter it to one year, "
            "indicator and category before mapping."
        )
    if "status" in values.columns:
        status = values["status"].astype("str")
    elif "flag" in values.columns:
        status = map_styles.status_from_flag(values["flag"])
    else:
        status = pd.Series(pd.NA, index=values.index, dtype="str")
    return pd.DataFrame(
        {
            "region_code": values["region_code"].astype("str"),
            "value": pd.to_numeric(values["value"], errors="coerce").astype("float64"),
            "status": status,
        }
    )


def _select_level(geometries: gpd.GeoDataFrame, codes: pd.Series) -> gpd.GeoDataFrame:
    """Keep the NUTS levels of the mapped codes when the geometries hold several levels."""
    if "nuts_level" not in geometries.columns or geometries["nuts_level"].nunique() < 2:
        return geometries
    levels = geometries.loc[geometries["region_code"].isin(codes), "nuts_level"].unique()
    return geometries.loc[geometries["nuts_level"].isin(levels)] if len(levels) else geometries


def plot_choropleth(
    geometries: gpd.GeoDataFrame,
    values: pd.DataFrame,
    *,
    title: str | None,
    unit: str | None,
    method: str = "quantile",
    k: int = 5,
    palette: str = "viridis",
    highlight: str | None = None,
    ax: Axes | None = None,
    attribution: bool = True,
    extent="europe",
    width: float = FIGURE_WIDTH,
    whole_numbers: bool = False,
) -> Figure:
    """Draw a classed choropleth of regional values on the European frame.

    Regions without a value are drawn in ``map_styles.NO_DATA_COLOUR``, confidential ones
    (``status == 'confidential'``, or a ``c`` in ``flag``) in ``CONFIDENTIAL_COLOUR`` with a
    hatch; both get a legend row when present. Classes are computed on every value that has a
    geometry, including regions cropped out of the frame.

    Args:
        geometries: ``region_code`` and ``geometry`` (one NUTS edition; EPSG:4326 assumed when
            it has no CRS). Several levels are fine: the levels of the mapped codes are kept.
        values: ``region_code``, ``value`` and optionally ``status`` or ``flag``.
        title: map title (None for none).
        unit: unit code of the values (docs/CONVENTIONS.md), shown in the legend title.
        method: ``quantile`` or ``equal_interval``.
        k: wanted number of classes.
        palette: a ``map_styles.palette`` name.
        highlight: a region code to outline thickly.
        ax: draw into these axes instead of a new figure.
        attribution: write the EuroGeographics/Eurostat credit in the bottom-right corner.
        extent: ``europe`` (fixed frame), ``data`` (the regions' bounds) or a
            ``(west, south, east, north)`` box in degrees.
        width: the figure's width in inches; text keeps its point size, so a half-page map
            (about 3.6) stays legible where a full-width one scaled down would not.
        whole_numbers: the values are counts (legend ``0–1``, ``2–3``; ``map_styles.classify``).

    Returns:
        The matplotlib Figure (pass it to :func:`figure_to_png_bytes`).

    Raises:
        ObservatoryError: bad columns, duplicated codes, unknown method, palette or extent.
        UnknownCodeError: ``highlight`` is not among the geometries.
    """
    _check_geometries(geometries)
    table = _value_table(values)
    chosen = _select_level(geometries, table["region_code"])
    projected = _project(chosen[["region_code", "geometry"]])
    _check_highlight(projected, highlight)
    mapped = projected.merge(table, on="region_code", how="left")
    classification = map_styles.classify(
        mapped["value"], method=method, k=k, whole_numbers=whole_numbers
    )
    bounds = _frame_bounds(mapped, extent)
    cropped = _crop(mapped, bounds)
    own_figure = ax is None
    fig, ax = _new_axes(ax, bounds, width, TITLE_SPACE if title else 0.05)
    _draw_classes(ax, cropped, classification, palette)
    if highlight is not None:
        _add_highlight(ax, cropped, highlight)
    _add_legend(ax, _legend_for(cropped, classification, palette, unit))
    _set_frame(ax, bounds)
    _add_title(ax, title, own_figure)
    if attribution:
        _add_attribution(ax)
    return fig


def _draw_classes(ax: Axes, cropped: gpd.GeoDataFrame, classification, palette: str) -> None:
    paths = _polygon_paths(cropped.geometry)
    colours = map_styles.fill_colours(
        cropped["value"], classification, palette, status=cropped["status"]
    )
    _add_paths(
        ax, paths, "regions", facecolors=colours.tolist(),
        edgecolors=map_styles.OUTLINE_COLOUR, linewidths=OUTLINE_WIDTH, zorder=2,
    )  # fmt: skip
    secret = map_styles.confidential_mask(cropped["status"], cropped.index).to_numpy()
    if secret.any():
        hatched = [path for path, keep in zip(paths, secret, strict=True) if keep]
        collection = _add_paths(
            ax, hatched, "confidential", facecolors="none", edgecolors="none",
            linewidths=0.0, hatch=CONFIDENTIAL_HATCH, zorder=3,
        )  # fmt: skip
        collection.set_hatchcolor(HATCH_COLOUR)


def _legend_for(cropped: gpd.GeoDataFrame, classification, palette: str, unit) -> list[dict]:
    """Legend rows, with "no data" and "confidential" only when such regions are drawn."""
    secret = map_styles.confidential_mask(cropped["status"], cropped.index)
    return map_styles.legend_entries(
        classification,
        palette,
        unit,
        has_missing=bool((cropped["value"].isna() & ~secret).any()),
        has_confidential=bool(secret.any()),
    )


# --------------------------------------------------------------------------------------------
# Locator


def _country_shape(projected: gpd.GeoDataFrame, region_code: str):
    """The region's country: the union of the regions that share its two-letter prefix."""
    import shapely

    country = projected.loc[projected["region_code"].str[:2] == region_code[:2]]
    return shapely.union_all(country.geometry.to_numpy())


def _locator_bounds(projected: gpd.GeoDataFrame, region_code: str) -> tuple[float, ...]:
    """The European frame, stretched to reach a nearby outlying region (the Canaries).

    A region far away (French Guiana, Réunion) would shrink Europe to a dot, so the map then
    zooms to the region instead.
    """
    europe = _projected_box(EUROPE_LONLAT)
    region = projected.loc[projected["region_code"] == region_code].total_bounds
    union = (
        min(europe[0], region[0]),
        min(europe[1], region[1]),
        max(europe[2], region[2]),
        max(europe[3], region[3]),
    )
    if union == europe:
        return europe
    if _area(union) <= MAX_STRETCH * _area(europe):
        return _padded(union, share=0.06)  # room for the ring
    return _padded(tuple(float(b) for b in region), share=0.5, minimum=200_000.0)


def _area(bounds: tuple[float, ...]) -> float:
    return (bounds[2] - bounds[0]) * (bounds[3] - bounds[1])


def _mark_if_small(ax: Axes, region: gpd.GeoDataFrame, bounds: tuple[float, ...]) -> list:
    """Outline the region in the highlight colour, and ring it when too small to see.

    "Small" is by land area, so that scattered islands (the Azores) get a ring around the
    whole group.
    """
    from matplotlib.patches import Circle

    outline = _add_paths(
        ax, _polygon_paths(region.geometry), "highlight", facecolors="none",
        edgecolors=map_styles.HIGHLIGHT_COLOUR, linewidths=0.8, zorder=4,
    )  # fmt: skip
    frame_width = bounds[2] - bounds[0]
    if np.sqrt(region.geometry.area.sum()) >= SMALL_REGION_SHARE * frame_width:
        return [outline]
    west, south, east, north = region.total_bounds
    half_diagonal = 0.5 * np.hypot(east - west, north - south)
    radius = max(half_diagonal * 1.15, SMALL_REGION_SHARE * frame_width)
    ring = Circle(
        ((west + east) / 2, (south + north) / 2), radius, facecolor="none",
        edgecolor=map_styles.HIGHLIGHT_COLOUR, linewidth=1.5, zorder=5,
    )  # fmt: skip
    ring.set_gid("ring")
    ax.add_patch(ring)
    return [outline, ring]


def plot_locator(
    geometries: gpd.GeoDataFrame, region_code: str, *, title: str | None = None
) -> Figure:
    """Show where a region lies in Europe: region filled, its country outlined, rest grey.

    The map is the sum of :func:`plot_locator_background` (shared by every region of a level
    and frame) and :func:`add_locator_marks` (this region's), which a batch can draw apart.

    Args:
        geometries: ``region_code`` and ``geometry`` (one NUTS edition); with several levels
            the region's own level is drawn.
        region_code: the region to locate.
        title: figure title; defaults to the region's name (``region_name``) and code.

    Returns:
        The matplotlib Figure.

    Raises:
        UnknownCodeError: ``region_code`` is not among the geometries.
    """
    bounds = locator_frame(geometries, region_code)
    fig = plot_locator_background(geometries, region_code, bounds)
    add_locator_marks(fig.axes[0], geometries, region_code, bounds)
    _add_title(fig.axes[0], title or _default_title(geometries, region_code), own_figure=True)
    return fig


def locator_frame(geometries: gpd.GeoDataFrame, region_code: str) -> tuple[float, ...]:
    """The locator's frame for ``region_code`` (EPSG:3035 bounds): Europe for most regions.

    Raises:
        UnknownCodeError: ``region_code`` is not among the geometries.
    """
    _check_geometries(geometries)
    codes = geometries["region_code"].astype("str")
    if not codes.eq(region_code).any():
        raise unknown_code("region", region_code, codes)
    return _locator_bounds(_project_region(geometries, region_code), region_code)


def plot_locator_background(
    geometries: gpd.GeoDataFrame, region_code: str, bounds: tuple[float, ...]
) -> Figure:
    """The part of a locator that every region of one level and frame shares.

    The regions of ``region_code``'s level in grey within ``bounds``, and the credit; no title.
    """
    chosen = _select_level(geometries, pd.Series([region_code]))
    cropped = _crop(_project(chosen[["region_code", "geometry"]]), bounds)
    fig, ax = _new_axes(None, bounds)
    _add_paths(
        ax, _polygon_paths(cropped.geometry), "regions", facecolors=LOCATOR_REST_COLOUR,
        edgecolors=map_styles.OUTLINE_COLOUR, linewidths=OUTLINE_WIDTH, zorder=2,
    )  # fmt: skip
    _set_frame(ax, bounds)
    _add_attribution(ax)
    return fig


def add_locator_marks(
    ax: Axes,
    geometries: gpd.GeoDataFrame,
    region_code: str,
    bounds: tuple[float, ...],
    *,
    country=None,
) -> list:
    """Draw the region filled, its country outlined and, when small, a ring; return them.

    ``country`` is the country's shape from :func:`country_shape`, when the caller keeps it.
    """
    region = _crop(_project_region(geometries, region_code), bounds)
    fill = _add_paths(
        ax, _polygon_paths(region.geometry), "located",
        facecolors=map_styles.HIGHLIGHT_COLOUR, edgecolors=map_styles.OUTLINE_COLOUR,
        linewidths=OUTLINE_WIDTH, zorder=2.5,
    )  # fmt: skip
    if country is None:
        country = country_shape(geometries, region_code)
    outline = _add_country_outline(ax, country, region_code, bounds)
    return [fill, outline, *_mark_if_small(ax, region, bounds)]


def highlight_region(
    ax: Axes, geometries: gpd.GeoDataFrame, region_code: str, bounds: tuple[float, ...]
) -> list:
    """Outline ``region_code`` thickly over a map of ``bounds`` (what ``highlight=`` draws)."""
    _check_geometries(geometries)
    region = _project_region(geometries, region_code)
    _check_highlight(region, region_code)
    cropped = _crop(region, bounds)
    return [_add_highlight(ax, cropped, region_code)] if len(cropped) else []  # off the frame


def _project_region(geometries: gpd.GeoDataFrame, region_code: str) -> gpd.GeoDataFrame:
    """Only the region's row, projected: projecting the whole level costs ~10 ms a map."""
    chosen = geometries.loc[geometries["region_code"] == region_code, ["region_code", "geometry"]]
    return _project(chosen)


def country_shape(geometries: gpd.GeoDataFrame, region_code: str):
    """The projected outline of the region's country: its level's regions with the same prefix."""
    chosen = _select_level(geometries, pd.Series([region_code]))
    country = chosen.loc[chosen["region_code"].str[:2] == region_code[:2]]
    return _country_shape(_project(country[["region_code", "geometry"]]), region_code)


def project(geometries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The geometries in the maps' projection (EPSG:3035); maps of projected input skip it."""
    return _project(geometries)


def _add_country_outline(ax: Axes, shape, region_code: str, bounds):
    import geopandas as gpd

    outline = gpd.GeoDataFrame(
        {"region_code": [region_code[:2]]}, geometry=[shape], crs=PROJECTED_CRS
    )
    cropped = _crop(outline, bounds)
    return _add_paths(
        ax, _polygon_paths(cropped.geometry), "country", facecolors="none",
        edgecolors=map_styles.COUNTRY_OUTLINE_COLOUR, linewidths=COUNTRY_WIDTH, zorder=3,
    )  # fmt: skip


def _default_title(geometries: gpd.GeoDataFrame, region_code: str) -> str:
    if "region_name" in geometries.columns:
        names = geometries.loc[geometries["region_code"] == region_code, "region_name"]
        if names.notna().any():
            return f"{names.dropna().iloc[0]} ({region_code})"
    return region_code


# --------------------------------------------------------------------------------------------
# Output


def figure_to_png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes and close it.

    Deterministic: no software or date metadata is written, so the same figure always gives
    the same bytes (the report tests and caches compare them).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    pyplot = sys.modules.get("matplotlib.pyplot")  # only figures made by pyplot need closing
    if pyplot is not None:
        pyplot.close(fig)
    return buffer.getvalue()

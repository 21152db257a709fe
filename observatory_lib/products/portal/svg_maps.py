"""Maps of Europe as inline SVG: they need no server, no script and no file beside the page.

The NUTS polygons of a level are projected to the European equal-area projection (ETRS89-LAEA,
EPSG:3035, the one Eurostat's maps use), simplified as a coverage (neighbours keep a shared
border) and written as SVG paths with whole-number coordinates in relative steps, which keeps
the NUTS-2 map of Europe near 45 kB. Regions far from the mainland frame (the outermost regions:
the Canaries, the Azores, Madeira, the French overseas regions) are drawn in insets below the
map, each at its own scale and labelled, as Eurostat's maps do. A region too small to see or to
click at this scale (Ceuta, Melilla, Malta) also gets a dot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from observatory_lib.data.nuts import simplify_geometries
from observatory_lib.indicators import recipes

PROJECTION = "EPSG:3035"
# The mainland frame in EPSG:3035 metres (west, south, east, north): Iceland to Cyprus and
# eastern Türkiye, Malta and Crete to the North Cape.
FRAME = (2_500_000.0, 1_350_000.0, 7_450_000.0, 5_450_000.0)
WIDTH = 1000  # SVG units across the frame: one unit is about 5 km
TOLERANCE_M = 4_000.0  # simplification in metres: below one unit
INSET_SIZE = 110  # SVG units per inset box (square)
INSET_GAP = 12
INSET_LABEL = 30  # room under an inset for its label (two lines)
INSETS_PER_ROW = (WIDTH - INSET_GAP) // (INSET_SIZE + INSET_GAP)
INSET_TOLERANCE = 0.7  # SVG units
INSET_REACH = 4.0  # an island joins the fit within this many main-island sizes of another
SMALL_REGION = 9  # a region narrower and lower than this (SVG units) gets a dot
DOT_RADIUS = 5


@dataclass(frozen=True)
class RegionShapes:
    """The regions of a level ready to draw.

    Attributes:
        table: ``region_code, region_name, country_code, path, is_inset, dot_x, dot_y,
            is_aggregate`` (aggregates last):
            ``path`` is the SVG path data (empty when the region is too small to draw),
            ``dot_x``/``dot_y`` the centre of its dot (missing when it needs none).
        width, height: the drawing's size in SVG units (frame plus insets).
        insets: ``(x, y, size, label lines)`` of each inset box; the label is the region's
            name on one or two lines.
    """

    table: pd.DataFrame
    width: int
    height: int
    insets: tuple[tuple[int, int, int, tuple[str, ...]], ...]

    @property
    def view_box(self) -> str:
        """The SVG ``viewBox``."""
        return f"0 0 {self.width} {self.height}"


def region_shapes(store, level: int = 2) -> RegionShapes:
    """The regions of ``level`` as SVG paths (frame plus insets), from the recipe layer."""
    shapes = recipes.geometries(store, level)
    shapes = shapes.loc[shapes.geometry.notna() & ~shapes.geometry.is_empty].to_crs(PROJECTION)
    projected = simplify_geometries(shapes, TOLERANCE_M)
    # the regions table names regions as every product does (the polygons' own names may
    # be in another script: Κύπρος for Kýpros)
    regions = recipes.statistics_regions(store)
    names = projected["region_code"].map(regions["region_name"]).fillna(projected["region_name"])
    inside = _inside_frame(projected.geometry.representative_point())
    geometries, frame_height = _to_frame(projected.geometry.to_numpy().copy(), inside)
    outside = np.flatnonzero(~inside)
    # an inset is magnified: it is drawn from the full polygon, simplified at its own scale
    insets = _place_insets(geometries, shapes.geometry.to_numpy(), names, outside, frame_height)
    n_rows = -(-len(insets) // INSETS_PER_ROW)
    table = pd.DataFrame(
        {
            "region_code": projected["region_code"].astype("str").to_numpy(),
            "region_name": names.astype("str").to_numpy(),
            "country_code": projected["country_code"].astype("str").to_numpy(),
            "path": [path_data(geometry) for geometry in geometries],
            "is_inset": ~inside,
        }
    )
    table = pd.concat([table, _dots(geometries)], axis=1)
    # a NUTS 2013 region split since (HU10, LT00, PL12) keeps its data on an aggregate polygon
    # over its successors: drawn last, so that its colour shows
    aggregate = regions["is_aggregate"].astype("boolean")
    table["is_aggregate"] = table["region_code"].map(aggregate).fillna(False).astype(bool)
    table = table.sort_values("is_aggregate", kind="stable", ignore_index=True)
    height = frame_height + n_rows * (INSET_GAP + INSET_SIZE + INSET_LABEL)
    return RegionShapes(table=table, width=WIDTH, height=height, insets=tuple(insets))


def _inside_frame(points) -> np.ndarray:
    xy = shapely.get_coordinates(points)
    west, south, east, north = FRAME
    return (xy[:, 0] >= west) & (xy[:, 0] <= east) & (xy[:, 1] >= south) & (xy[:, 1] <= north)


def _to_frame(geometries: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, int]:
    """The regions in the frame in SVG units (y pointing down); the frame's height."""
    west, south, east, north = FRAME
    scale = (east - west) / WIDTH
    geometries[inside] = shapely.transform(
        geometries[inside], lambda xy: np.column_stack([xy[:, 0] - west, north - xy[:, 1]]) / scale
    )
    return geometries, int(np.ceil((north - south) / scale))


def _place_insets(
    geometries: np.ndarray,
    full: np.ndarray,
    names: pd.Series,
    positions: np.ndarray,
    top: int,
) -> list[tuple[int, int, int, tuple[str, ...]]]:
    """Draw the regions at ``positions`` in boxes in rows below ``top``; the boxes."""
    insets = []
    for slot, position in enumerate(positions):
        row, column = divmod(slot, INSETS_PER_ROW)
        box_x = INSET_GAP + column * (INSET_SIZE + INSET_GAP)
        box_y = top + INSET_GAP + row * (INSET_GAP + INSET_SIZE + INSET_LABEL)
        fitted = _fit(full[position], box_x, box_y, INSET_SIZE)
        geometries[position] = shapely.simplify(fitted, INSET_TOLERANCE)
        insets.append((box_x, box_y, INSET_SIZE, label_lines(str(names.iloc[position]))))
    return insets


def label_lines(name: str, width: int = 18) -> tuple[str, ...]:
    """A name on one line, or on two split at the space nearest its middle when long."""
    if len(name) <= width or " " not in name:
        return (name,)
    spaces = [i for i, char in enumerate(name) if char == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return (name[:cut], name[cut + 1 :])


def _fit(geometry, box_x: float, box_y: float, size: float):
    """``geometry`` scaled into a square box (y pointing down), centred, with a margin;
    parts outside the box are cut off."""
    minx, miny, maxx, maxy = shapely.total_bounds(_archipelago(geometry))
    margin = 0.1 * size
    factor = (size - 2 * margin) / max(maxx - minx, maxy - miny, 1.0)
    offset_x = box_x + (size - factor * (maxx - minx)) / 2
    offset_y = box_y + (size - factor * (maxy - miny)) / 2
    fitted = shapely.transform(
        geometry,
        lambda xy: np.column_stack(
            [offset_x + factor * (xy[:, 0] - minx), offset_y + factor * (maxy - xy[:, 1])]
        ),
    )
    return shapely.clip_by_rect(fitted, box_x, box_y, box_x + size, box_y + size)


def _archipelago(geometry) -> np.ndarray:
    """The parts of ``geometry`` chained to its largest one, each within ``INSET_REACH``
    sizes of the largest part from another: far-off islets (the Selvagens of Madeira) would
    otherwise shrink the main islands to dots."""
    parts = shapely.get_parts(geometry)
    largest = parts[np.argmax(shapely.area(parts))]
    minx, miny, maxx, maxy = shapely.bounds(largest)
    reach = INSET_REACH * max(maxx - minx, maxy - miny)
    chosen = shapely.area(parts) == shapely.area(largest)
    while True:
        near = np.array([shapely.distance(parts[chosen], part).min() <= reach for part in parts])
        if (near | chosen).sum() == chosen.sum():
            return parts[chosen]
        chosen |= near


def _dots(geometries: np.ndarray) -> pd.DataFrame:
    bounds = shapely.bounds(geometries)
    small = ((bounds[:, 2] - bounds[:, 0]) < SMALL_REGION) & (
        (bounds[:, 3] - bounds[:, 1]) < SMALL_REGION
    )
    centres = shapely.get_coordinates(shapely.centroid(geometries))
    return pd.DataFrame(
        {
            "dot_x": np.where(small, np.round(centres[:, 0], 1), np.nan),
            "dot_y": np.where(small, np.round(centres[:, 1], 1), np.nan),
        }
    )


def path_data(geometry) -> str:
    """SVG path data of a (multi)polygon in SVG units: whole numbers, relative steps.

    Rings that round to fewer than three distinct points are left out (a dot stands in for a
    region that loses every ring).
    """
    rings = shapely.get_rings(shapely.get_parts(geometry))
    return "".join(_ring_data(shapely.get_coordinates(ring)) for ring in rings)


def _ring_data(coordinates: np.ndarray) -> str:
    points = np.rint(coordinates).astype(np.int64)
    changed = np.r_[True, np.any(np.diff(points, axis=0) != 0, axis=1)]
    points = points[changed]
    if len(points) and (points[0] == points[-1]).all():
        points = points[:-1]  # "z" closes the ring
    if len(points) < 3:
        return ""
    steps = np.diff(points, axis=0).ravel()
    text = " ".join(map(str, steps)).replace(" -", "-")
    return f"M{points[0, 0]} {points[0, 1]}l{text}z"

"""The smart specialisation report's figures: the category space and the opportunity map.

The category space is a network of the strongest links between cluster categories: the
maximum spanning tree of the proximities plus the strongest ``SPACE_EXTRA_LINKS`` of all
links, laid out with networkx (seeded, so every run draws the same picture). The document's
numbered caption titles each figure; the images carry no title of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from observatory_lib.indicators import policy_recipes
from observatory_lib.products.smart_specialisation.report import (
    LEVEL,
    SmartSpecialisationReport,
    display_names,
)

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure

SPACE_EXTRA_LINKS = 0.05  # besides the maximum spanning tree, the strongest 5 % of the links
TYPE_COLOURS = {"traded": "#1d3c5e", "emerging": "#e08a1e"}
TYPE_LABELS = {"traded": "traded categories", "emerging": "emerging industries"}
SPACE_HEIGHTS = {"traded": 6.2, "emerging": 3.2}  # inches, at the page's width of 7.4


def category_space_graph(report: SmartSpecialisationReport, store, category_type: str):
    """The networkx graph of one type's strongest links: the maximum spanning tree (every
    category linked to its network) plus the strongest ``SPACE_EXTRA_LINKS`` of the links."""
    import networkx as nx

    space = policy_recipes.relatedness(store, LEVEL, report.year).space(category_type)
    first, second = np.triu_indices(len(space.categories), k=1)
    weights = space.proximity[first, second]
    full = nx.Graph()
    full.add_nodes_from(space.categories)
    full.add_weighted_edges_from(
        (space.categories[i], space.categories[j], w)
        for i, j, w in zip(first, second, weights, strict=True)
        if w > 0
    )
    graph = nx.maximum_spanning_tree(full, weight="weight")
    cutoff = np.quantile(weights, 1 - SPACE_EXTRA_LINKS) if len(weights) else np.inf
    graph.add_weighted_edges_from(
        (u, v, d["weight"]) for u, v, d in full.edges(data=True) if d["weight"] >= cutoff
    )
    return graph


def plot_category_space(report: SmartSpecialisationReport, store) -> dict[str, Figure]:
    """The category space, one figure per type (``traded``, ``emerging``): nodes coloured by
    type and sized by European employment, links drawn by proximity.

    The layout is networkx's force-directed ``spring_layout`` (seeded: the same picture every
    run), weighted by proximity, then spread apart (``spread_apart``) so that the labels of
    the dense manufacturing core stay readable. The figures are drawn at the page's width
    (7.4 inches), so their text prints at its nominal size.
    """
    return {
        category_type: _space_figure(report, store, category_type, height)
        for category_type, height in SPACE_HEIGHTS.items()
    }


def _space_figure(report: SmartSpecialisationReport, store, category_type: str, height: float):
    import networkx as nx
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    sizes = policy_recipes.category_sizes(store, LEVEL, report.year).set_index("category_code")
    names = display_names(store)
    graph = category_space_graph(report, store, category_type)
    layout = nx.spring_layout(
        graph, weight="weight", seed=0, k=2 / np.sqrt(len(graph)), iterations=500
    )
    nodes = list(layout)
    # a few nodes on a wide, low figure need more room between them than many on a tall one
    xy = spread_apart(np.array([layout[node] for node in nodes]), 0.125 if len(nodes) > 20 else 0.2)
    position = dict(zip(nodes, xy, strict=True))
    figure = Figure(figsize=(7.4, height), facecolor="white")
    ax = figure.add_axes((0.01, 0.01, 0.98, 0.98))
    segments = [(position[u], position[v]) for u, v in graph.edges()]
    widths = [0.3 + 3.0 * d["weight"] ** 2 for _, _, d in graph.edges(data=True)]
    ax.add_collection(LineCollection(segments, linewidths=widths, colors="#a9b4bf", zorder=1))
    employment = sizes["european_employment_persons"].reindex(nodes).fillna(0).to_numpy()
    area = 20 + 300 * np.sqrt(employment / max(employment.max(), 1))
    ax.scatter(xy[:, 0], xy[:, 1], s=area, c=TYPE_COLOURS[category_type], zorder=2,
               edgecolors="white", linewidths=0.6)  # fmt: skip
    for node, (x, y) in zip(nodes, xy, strict=True):
        ax.annotate(_short(names.get(node, node)), (x, y), xytext=(0, -5),
                    textcoords="offset points", ha="center", va="top", fontsize=6,
                    color="#202020", zorder=3)  # fmt: skip
    ax.set_axis_off()
    ax.margins(0.07, 0.1)
    return figure


def spread_apart(xy: np.ndarray, min_distance: float = 0.1, iterations: int = 300) -> np.ndarray:
    """Positions rescaled to the unit square and pushed apart until no two are closer than
    ``min_distance`` (or ``iterations`` is reached); neighbours stay neighbours."""

    def rescaled(points: np.ndarray) -> np.ndarray:
        span = np.where(np.ptp(points, axis=0) > 0, np.ptp(points, axis=0), 1.0)
        return (points - points.min(axis=0)) / span

    xy = rescaled(np.asarray(xy, dtype=float))
    for _ in range(iterations):
        difference = xy[:, None, :] - xy[None, :, :]
        distance = np.hypot(difference[..., 0], difference[..., 1])
        np.fill_diagonal(distance, np.inf)
        close = distance < min_distance
        if not close.any():
            break
        gap = np.where(close, min_distance - np.where(close, distance, 0.0), 0.0)
        push = gap / np.where(close, np.maximum(distance, 1e-9), 1.0)
        xy = rescaled(xy + 0.25 * (push[..., None] * difference).sum(axis=1))
    return xy


def _short(name: str, width: int = 18) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(name), width))


def plot_opportunity_map(report: SmartSpecialisationReport, geometries: gpd.GeoDataFrame) -> Figure:
    """Strong opportunities per NUTS-2 region (traded; missing where no LQ is known)."""
    from observatory_lib.products.kit.maps import plot_choropleth

    traded = report.traded_summary()
    known = traded["n_specialised"] + traded["n_opportunities"] > 0
    values = traded[["region_code"]].assign(
        value=traded["n_strong_opportunities"].astype(float).where(known)
    )
    return plot_choropleth(
        geometries,
        values,
        title=None,  # the document's caption is the title
        unit="number",
        method="equal_interval",  # most regions have none: quantiles would merge 0 with 9
        k=6,
    )

"""The scorecard's figures and display outputs: two maps and the dimension chart, as PNG bytes.

Each figure is drawn over a background shared with other regions (``kit.figure_layers``), so
that a batch draws a map's background once per process: the same picture for a region alone
and after any others.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.data.store import Store
from observatory_lib.indicators import recipes
from observatory_lib.products.kit import figure_layers
from observatory_lib.products.kit.map_styles import NOT_AVAILABLE
from observatory_lib.products.region_scorecard.card import Scorecard
from observatory_lib.products.region_scorecard.spec import EU_LABEL

if TYPE_CHECKING:
    from matplotlib.figure import Figure


_IMAGE_DPI = 100
# The two maps sit side by side at half the page width: the batch prints ~300 PDFs, and
# the PDF engine's time grows with the pixels it embeds. The category
# map is read region by region, so it gets more pixels than the locator, which only shows
# where the region is.
MAP_WIDTH_INCHES = 3.5
# A tall frame (the locator zoomed on Guadeloupe) is narrowed rather than made taller.
_MAP_MAX_HEIGHT_INCHES = 3.0
_MAP_DPI = {"locator": 90, "category_map": 120}
_MAP_TITLE_POINTS = 9
_MAP_TITLE_CHARACTERS = 44  # about what fits in one line of the map's width
_MAP_TITLE_PADDING = 4 / 72  # inches above and below the title


def projected_geometries(store: Store, level: int):
    """The same polygons in the maps' projection: projected once, not once per map."""
    from observatory_lib.products.kit.maps import project

    key = (store.version, "projected_geometries", level)
    return recipes.memo(
        key, lambda: project(recipes.geometries(store, level)[["region_code", "geometry"]])
    )


def card_geometries(card: Scorecard, store: Store):
    """The projected polygons a card's maps draw: its level's, plus a region group's outline
    (the union of its members' polygons) under the group's code."""
    level = card.header["nuts_level"]
    geometries = projected_geometries(store, level)
    if card.group is None:
        return geometries
    members = tuple(zip(card.group["members"], card.group["member_levels"], strict=True))
    key = (store.version, "group_geometries", level, card.region_code, members)
    return recipes.memo(key, lambda: _with_group(geometries, store, card.region_code, members))


def _with_group(geometries, store: Store, code: str, members: tuple):
    import shapely

    from observatory_lib.products.kit.maps import project

    parts = []
    for level in sorted({member_level for _, member_level in members}):
        shapes = recipes.geometries(store, level)
        chosen = [member for member, member_level in members if member_level == level]
        parts.append(project(shapes.loc[shapes["region_code"].isin(chosen)]))
    union = shapely.union_all([geometry for part in parts for geometry in part.geometry])
    outline = type(geometries)({"region_code": [code]}, geometry=[union], crs=geometries.crs)
    return pd.concat([geometries, outline], ignore_index=True)


@dataclasses.dataclass(frozen=True)
class ScorecardImage:
    """One static figure of the scorecard: PNG bytes (None when not available) and alt text."""

    name: str
    png: bytes | None
    alt: str
    note: str = ""


def scorecard_images(card: Scorecard, store: Store, *, dpi: int = _IMAGE_DPI) -> dict:
    """Render the scorecard's figures to deterministic PNG bytes.

    Returns:
        ``{"locator": ..., "category_map": ..., "change_chart": ..., "dimension_chart": ...}`` of
        :class:`ScorecardImage`; an image whose data are missing has ``png=None`` and a note.
        The maps are half a page wide (``MAP_WIDTH_INCHES``); the category map is rendered
        at 120 % of ``dpi``, the locator at 90 %. The PNGs are opaque RGB.

    Each figure is drawn over a background shared with other regions (``figure_layers``):
    the same for a region alone and after any others.
    """
    renderers = {
        "locator": _locator_image,
        "category_map": _category_map_image,
        "change_chart": _change_image,
        "dimension_chart": _dimension_image,
    }
    images = {}
    for name, render in renderers.items():
        resolution = round(dpi * _MAP_DPI.get(name, _IMAGE_DPI) / _IMAGE_DPI)
        pixels, alt, note = render(card, store, resolution)
        png = _png_bytes(pixels) if pixels is not None else None
        images[name] = ScorecardImage(name=name, png=png, alt=alt, note=note)
    return images


def _png_bytes(pixels: np.ndarray) -> bytes:
    """Deterministic PNG bytes of RGB pixels.

    The figures are drawn on white, so matplotlib's alpha channel carries nothing; without it
    the PDF embeds one image stream per figure instead of an image and a soft mask.
    """
    from PIL import Image

    buffer = io.BytesIO()
    # no metadata: same figure, same bytes; level 3 is a third faster than the default 6
    # and as small on these flat-coloured figures
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def image_output(image: ScorecardImage):
    """An IPython display object: the PNG, or a "not available" line when there is none."""
    from IPython.display import Image, Markdown

    if image.png is None:
        return Markdown(f"*{image.alt}: {NOT_AVAILABLE} ({image.note}).*")
    return Image(data=image.png, format="png", alt=image.alt)


def section_output(*parts: str):
    """One IPython display output of Markdown text and HTML tables (``table_html``).

    Each output of a notebook becomes a few nested boxes in the PDF, so a section's text and
    table go out together. Empty parts are left out.
    """
    from IPython.display import Markdown

    return Markdown("\n\n".join(part for part in parts if part))


def table_html(frame: pd.DataFrame, empty_text: str = NOT_AVAILABLE) -> str:
    """A display table as plain HTML (no index, escaped, "not available" for blanks).

    An empty table gives ``empty_text`` in italics (nothing when ``empty_text`` is empty).
    """
    if frame.empty:
        return f"<p><em>{empty_text}</em></p>" if empty_text else ""
    return frame.to_html(index=False, escape=True, border=0, na_rep=NOT_AVAILABLE)


_Rendered = tuple["np.ndarray | None", str, str]  # pixels (None: not available), alt, note


def _locator_image(card: Scorecard, store: Store, dpi: int) -> _Rendered:
    from observatory_lib.products.kit import maps

    level = card.header["nuts_level"]
    plain = projected_geometries(store, level)
    geometries = card_geometries(card, store)  # with a group's outline under its code
    alt = f"Map of Europe locating {card.header['region_name']} ({card.region_code})"
    if card.group is None:
        alt += f" in {card.header['country_name']}"
    if not geometries["region_code"].eq(card.region_code).any():
        return None, alt, f"no NUTS {STATISTICS_EDITION} boundary for this code"
    lines: list[str] = []  # the document's figure caption is the title
    bounds = maps.locator_frame(geometries, card.region_code)

    def background() -> Figure:
        code = card.region_code if card.group is None else plain["region_code"].iloc[0]
        figure = maps.plot_locator_background(plain, code, bounds)
        return _fit_map(figure, len(lines))

    if card.group is not None:  # a group is outlined as a whole, not by a country
        country = geometries.loc[geometries["region_code"] == card.region_code].geometry.iloc[0]
    else:
        country = recipes.memo(
            (store.version, "country_shape", level, card.region_code[:2]),
            lambda: maps.country_shape(geometries, card.region_code),
        )

    def overlay(figure: Figure) -> list:
        marks = maps.add_locator_marks(
            figure.axes[0], geometries, card.region_code, bounds, country=country
        )
        return [*marks, _add_map_title(figure, lines)]

    key = ("locator", store.version, level, bounds, len(lines))
    return figure_layers.render_layered(key, background, overlay, dpi), alt, ""


def _category_map_image(card: Scorecard, store: Store, dpi: int) -> _Rendered:
    from observatory_lib.products.kit import maps

    strongest = card.strongest_category
    if strongest is None:
        return None, "European map of the strongest category", "no rated traded category"
    level = card.header["nuts_level"]
    plain = projected_geometries(store, level)
    geometries = card_geometries(card, store)  # with a group's outline under its code
    name = strongest["category_name"]
    values = card.strongest_category_map
    lines: list[str] = []  # the document's figure caption is the title

    def background() -> Figure:
        figure = maps.plot_choropleth(plain, values, title=None, unit="location_quotient")
        _fit_map(figure, len(lines))
        _add_map_title(figure, lines)
        return figure

    def overlay(figure: Figure) -> list:
        if not geometries["region_code"].eq(card.region_code).any():
            return []
        ax = figure.axes[0]
        (west, east), (south, north) = ax.get_xlim(), ax.get_ylim()
        return maps.highlight_region(ax, geometries, card.region_code, (west, south, east, north))

    key = ("category_map", store.version, level, tuple(lines), _frame_digest(values))
    alt = (
        f"Map of Europe's regions shaded by their location quotient in {name}, "
        f"{card.header['year']}; {card.header['region_name']} ({card.region_code}) is "
        "outlined in red. Regions without data are grey."
    )
    return figure_layers.render_layered(key, background, overlay, dpi), alt, ""


def _frame_digest(frame: pd.DataFrame) -> str:
    """A digest of a table's values, in row order."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def _title_lines(title: str) -> list[str]:
    return textwrap.wrap(title, _MAP_TITLE_CHARACTERS)


def _fit_map(figure: Figure, title_lines: int) -> Figure:
    """Shrink a map figure to ``MAP_WIDTH_INCHES``: room for the title above, credit below.

    Text keeps its point size when a figure shrinks, so legend and credit stay readable while
    the map itself gets smaller. The title gets ``title_lines`` lines at 9 pt
    (:func:`_add_map_title` writes them); the credit moves from the map's bottom corner to
    a strip under it, where it cannot cover a southern region (Malta's locator ring). A
    frame taller than ``_MAP_MAX_HEIGHT_INCHES`` keeps that height and gets narrower (its
    aspect ratio is fixed), centred.
    """
    from observatory_lib.products.kit.maps import ATTRIBUTION

    ax = figure.axes[0]
    width, height = figure.get_size_inches()
    map_height = ax.get_position(original=True).height * height * MAP_WIDTH_INCHES / width
    map_height = min(map_height, _MAP_MAX_HEIGHT_INCHES)
    title_height = title_lines * 1.3 * _MAP_TITLE_POINTS / 72 + 2 * _MAP_TITLE_PADDING
    credits = [text for text in ax.texts if text.get_text() == ATTRIBUTION]
    credit_height = 9 / 72 if credits else 0.0
    total = credit_height + map_height + title_height
    figure.set_size_inches(MAP_WIDTH_INCHES, total)
    ax.set_position((0.0, credit_height / total, 1.0, map_height / total))
    for text in credits:
        text.set_transform(figure.transFigure)
        text.set_position((0.995, 1.5 / 72 / total))
    return figure


def _add_map_title(figure: Figure, lines: list[str]):
    """Write the title lines at the top of a figure laid out by :func:`_fit_map`."""
    total = figure.get_size_inches()[1]
    return figure.text(
        0.02, 1 - _MAP_TITLE_PADDING / total, "\n".join(lines), ha="left", va="top",
        fontsize=_MAP_TITLE_POINTS, linespacing=1.2,
    )  # fmt: skip


def _change_image(card: Scorecard, store: Store, dpi: int) -> _Rendered:
    """The change chart of the leading clusters (trend and shift-share), drawn for the region."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from observatory_lib.products.region_scorecard.change import change_figure

    alt = "Employment trend and shift-share of the region's leading clusters"
    figure = change_figure(card.change)
    if figure is None:
        reason = card.change["reason"] or "no change could be computed for the leading clusters"
        return None, alt, reason
    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.array(np.asarray(canvas.buffer_rgba())[..., :3]), alt, ""


_DIMENSION_COLOURS = ("#1d3c5e", "#6f9fd1", "#b3b3b3")
_BAR_HEIGHT = 0.27


def _dimension_image(card: Scorecard, store: Store, dpi: int) -> _Rendered:
    alt = "Bar chart of the scoreboard dimension scores: region, peers and EU-28 average"
    frame = card.dimensions
    if frame.empty:
        return None, alt, card.scoreboard.get("reason", "no scoreboard result")
    labels = tuple(frame["label"].astype("str"))[::-1]
    names = (card.region_code, "Peer average", f"{EU_LABEL} average")
    columns = ("region_score", "peer_average_score", "eu_average_score")
    scores = [frame[column].astype(float).to_numpy()[::-1] for column in columns]

    def overlay(figure: Figure) -> list:
        return _dimension_bars(figure.axes[0], names, scores)

    key = ("dimension_chart", labels)
    pixels = figure_layers.render_layered(key, lambda: _dimension_axes(labels), overlay, dpi)
    return pixels, alt, ""


def _dimension_axes(labels: tuple[str, ...]) -> Figure:
    """The chart's frame for these dimensions: axes, ticks and labels, without bars."""
    from matplotlib.figure import Figure

    # compact, with the scores written at the bars: the scorecard prints no dimension table
    height_inches = 0.25 * len(labels) + 0.65
    figure = Figure(figsize=(5.6, height_inches), facecolor="white")
    bottom, top = 0.42 / height_inches, 0.28 / height_inches
    ax = figure.add_axes((0.41, bottom, 0.54, 1 - bottom - top))
    positions = np.arange(len(labels))
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("score (0–100)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return figure


def _dimension_bars(ax, names: tuple[str, ...], scores: list[np.ndarray]) -> list:
    """Bars with their scores written next to them (or "not available"), and the legend."""
    from matplotlib.patches import Rectangle

    artists = []
    handles = []
    series = zip(names, scores, _DIMENSION_COLOURS, strict=True)
    for offset, (name, numbers, colour) in enumerate(series):
        handles.append(Rectangle((0, 0), 1, 1, color=colour, label=name))
        centres = np.arange(len(numbers)) + (1 - offset) * _BAR_HEIGHT
        for y_value, number in zip(centres, numbers, strict=True):
            missing = np.isnan(number)
            bar = Rectangle(
                (0.0, y_value - _BAR_HEIGHT / 2), 0.0 if missing else number, _BAR_HEIGHT,
                color=colour,
            )  # fmt: skip
            ax.add_artist(bar)  # add_patch would also update the data limits (~1 ms a bar)
            text = NOT_AVAILABLE if missing else f"{number:.1f}"
            x_value = 1.0 if missing else number + 1.0
            label = ax.text(x_value, y_value, text, va="center", fontsize=6, color="#404040")
            artists += [bar, label]
    legend = ax.legend(
        handles=handles, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3,
        frameon=False,
    )  # fmt: skip
    return [*artists, legend]

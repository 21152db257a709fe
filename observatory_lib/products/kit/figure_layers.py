"""Figures that share a background: draw the shared part once per process, then only the rest.

A scorecard batch draws the same European map hundreds of times; only the region's outline
and the title change. Drawing 300 polygons, a legend and a credit costs ~40 ms a map, the
marks of one region ~5 ms. So the shared part of a figure (its *background*) is drawn once
and its pixels kept (Agg's ``copy_from_bbox``, the blitting technique of matplotlib's
animation module); each later use restores those pixels in full, draws its own artists on
top and removes them again.

The pixels of a use never depend on what was drawn before it: the background is restored
whole before every overlay, and the first use goes through the same path as the others. So
a region's image is the same alone and after any other regions (tests/unit/test_scorecard.py).

Overlay artists are drawn in ``zorder`` order, above the whole background: a mark may cover
a legend or credit of the background where they overlap, which the callers avoid by layout.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

# a background of a half-page map at 120 dpi is ~0.7 MB; a batch uses one per map kind and
# strongest category, so 64 hold a whole batch with room to spare
MAX_BACKGROUNDS = 64

_lock = threading.Lock()  # a figure and its canvas are drawn by one thread at a time
_backgrounds: OrderedDict[Hashable, _Background] = OrderedDict()


class _Background:
    """A figure drawn once at a fixed dpi, and the pixels of that drawing."""

    def __init__(self, figure: Figure, dpi: float) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        figure.dpi = dpi  # kept: overlay artists are placed with the figure's transforms
        self.canvas.draw()
        self.pixels = self.canvas.copy_from_bbox(figure.bbox)

    def render(self, draw_overlay: Callable[[Figure], Iterable[Artist]]) -> np.ndarray:
        """RGB pixels of the background with the overlay's artists drawn on top."""
        self.canvas.restore_region(self.pixels)
        artists = [artist for artist in draw_overlay(self.figure) if artist is not None]
        try:
            renderer = self.canvas.get_renderer()
            for artist in sorted(artists, key=lambda artist: artist.get_zorder()):
                artist.draw(renderer)
            return np.array(np.asarray(self.canvas.buffer_rgba())[..., :3])
        finally:
            for artist in artists:
                artist.remove()  # the cached figure keeps only its background


def render_layered(
    key: Hashable,
    draw_background: Callable[[], Figure],
    draw_overlay: Callable[[Figure], Iterable[Artist]],
    dpi: float,
) -> np.ndarray:
    """RGB pixels (height x width x 3, uint8) of a background figure plus an overlay.

    Args:
        key: Identifies the background: every figure ``draw_background`` would draw for this
            key must be the same (include data versions, sizes, titles in it).
        draw_background: Builds the shared figure; called once per key and dpi.
        draw_overlay: Adds this use's artists to the figure (or its axes) and returns them.
        dpi: Resolution of the pixels.
    """
    with _lock:
        background = _backgrounds.get((key, dpi))
        if background is None:
            background = _Background(draw_background(), dpi)
            _backgrounds[(key, dpi)] = background
            while len(_backgrounds) > MAX_BACKGROUNDS:
                _backgrounds.popitem(last=False)
        else:
            _backgrounds.move_to_end((key, dpi))
        try:
            return background.render(draw_overlay)
        except BaseException:
            # an overlay that failed half-way may have left artists in the figure
            _backgrounds.pop((key, dpi), None)
            raise


def clear() -> None:
    """Forget every background (the next use of each key draws it again)."""
    with _lock:
        _backgrounds.clear()


def cached_count() -> int:
    """How many backgrounds are held."""
    return len(_backgrounds)

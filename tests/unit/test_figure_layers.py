"""Figures over a cached background: same pixels as a full drawing, whatever came before."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from observatory_lib.products.kit import figure_layers


@pytest.fixture(autouse=True)
def _empty_cache():
    figure_layers.clear()
    yield
    figure_layers.clear()


def _background() -> Figure:
    figure = Figure(figsize=(2.0, 1.5), facecolor="white")
    ax = figure.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.plot([0, 10], [0, 10], color="grey", zorder=1)
    ax.set_title("shared", fontsize=6)
    return figure


def _marks(x: float, label: str):
    def overlay(figure: Figure) -> list:
        ax = figure.axes[0]
        box = ax.add_patch(Rectangle((x, 2), 2, 3, color="tab:red", zorder=5))
        text = figure.text(0.5, 0.02, label, fontsize=6, zorder=6)
        return [box, text]

    return overlay


def _pixels(figure: Figure, dpi: float) -> np.ndarray:
    """RGB pixels of the whole figure drawn at once."""
    canvas = FigureCanvasAgg(figure)
    figure.dpi = dpi
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3]


def _drawn_whole(x: float, label: str, dpi: float) -> np.ndarray:
    figure = _background()
    _marks(x, label)(figure)
    return _pixels(figure, dpi)


def test_layered_pixels_equal_a_whole_drawing():
    layered = figure_layers.render_layered("k", _background, _marks(3, "first"), dpi=80)
    assert layered.dtype == np.uint8 and layered.shape == (120, 160, 3)
    np.testing.assert_array_equal(layered, _drawn_whole(3, "first", 80))


def test_a_use_does_not_depend_on_the_uses_before_it():
    alone = figure_layers.render_layered("k", _background, _marks(6, "second"), dpi=80)
    figure_layers.clear()
    figure_layers.render_layered("k", _background, _marks(1, "first"), dpi=80)
    after = figure_layers.render_layered("k", _background, _marks(6, "second"), dpi=80)
    np.testing.assert_array_equal(after, alone)
    assert figure_layers.cached_count() == 1


def test_overlay_artists_are_removed_and_the_background_drawn_once():
    calls = []

    def background() -> Figure:
        calls.append(1)
        return _background()

    for x in (1, 2, 3):
        figure_layers.render_layered("k", background, _marks(x, str(x)), dpi=50)
    figure = figure_layers._backgrounds[("k", 50)].figure
    assert calls == [1]
    assert not figure.texts and not figure.axes[0].patches


def test_a_failing_overlay_leaves_the_background_clean():
    def broken(figure: Figure) -> list:
        figure.axes[0].add_patch(Rectangle((0, 0), 1, 1))
        raise ValueError("bad mark")

    figure_layers.render_layered("k", _background, lambda figure: [], dpi=50)
    with pytest.raises(ValueError, match="bad mark"):
        figure_layers.render_layered("k", _background, broken, dpi=50)
    assert figure_layers.cached_count() == 0  # dropped: the next use draws it anew
    clean = figure_layers.render_layered("k", _background, lambda figure: [], dpi=50)
    np.testing.assert_array_equal(clean, _pixels(_background(), 50))


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(figure_layers, "MAX_BACKGROUNDS", 3)
    for key in range(5):
        figure_layers.render_layered(key, _background, lambda figure: [], dpi=30)
    assert figure_layers.cached_count() == 3
    assert [key for key, _ in figure_layers._backgrounds] == [2, 3, 4]

"""Static maps: choropleth colours, legend rows, determinism, locator (the real NUTS-2 map is
in tests/integration/test_maps_mirror.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.products.kit import map_styles as ms
from observatory_lib.products.kit import maps

gpd = pytest.importorskip("geopandas")
shapely_geometry = pytest.importorskip("shapely.geometry")


def _squares() -> gpd.GeoDataFrame:
    """Four 1-degree squares in the Alps (inside the European frame); XX02 has a hole and XX04
    is a two-part multipolygon, to exercise the path builder."""
    box = shapely_geometry.box
    holed = box(6, 45, 7, 46).difference(box(6.4, 45.4, 6.6, 45.6))
    two_parts = shapely_geometry.MultiPolygon([box(6, 46, 6.4, 47), box(6.6, 46, 7, 47)])
    return gpd.GeoDataFrame(
        {"region_code": ["XX01", "XX02", "XX03", "XX04"], "nuts_level": [2, 2, 2, 2]},
        geometry=[box(5, 45, 6, 46), holed, box(5, 46, 6, 47), two_parts],
        crs="EPSG:4326",
    )


def _squares_extent(region_code: str) -> tuple[float, float, float, float]:
    """(x, y, width, height) of a square in the maps' projection."""
    squares = maps.project(_squares())
    west, south, east, north = squares.loc[squares["region_code"] == region_code].total_bounds
    return (west, south, east - west, north - south)


def _values(**overrides) -> pd.DataFrame:
    data = {"region_code": ["XX01", "XX02", "XX03", "XX04"], "value": [1.0, np.nan, 3.0, 4.0]}
    data.update(overrides)
    return pd.DataFrame(data)


def _collection(fig, gid: str):
    found = [c for c in fig.axes[0].collections if c.get_gid() == gid]
    assert len(found) == 1, [c.get_gid() for c in fig.axes[0].collections]
    return found[0]


def _legend_labels(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_missing_region_gets_no_data_colour():
    fig = maps.plot_choropleth(_squares(), _values(), title="Test", unit="persons")
    faces = _collection(fig, "regions").get_facecolors()
    assert len(faces) == 4
    assert tuple(faces[1]) == pytest.approx(to_rgba(ms.NO_DATA_COLOUR))
    class_colours = [to_rgba(c) for c in ms.palette("viridis", 3)]
    np.testing.assert_allclose(faces[[0, 2, 3]], class_colours)
    assert "no data" in _legend_labels(fig)
    assert "confidential" not in _legend_labels(fig)
    assert fig.axes[0].get_legend().get_title().get_text() == "persons"


def test_region_without_a_row_is_no_data_and_no_data_row_only_when_needed():
    values = _values(value=[1.0, 2.0, 3.0, 4.0])
    complete = maps.plot_choropleth(_squares(), values, title=None, unit=None)
    assert "no data" not in _legend_labels(complete)
    partial = maps.plot_choropleth(_squares(), values.iloc[:3], title=None, unit=None)
    faces = _collection(partial, "regions").get_facecolors()
    assert tuple(faces[3]) == pytest.approx(to_rgba(ms.NO_DATA_COLOUR))
    assert "no data" in _legend_labels(partial)


def test_confidential_region_is_grey_and_hatched():
    values = _values(status=pd.Series([None, "confidential", None, None], dtype="str"))
    fig = maps.plot_choropleth(_squares(), values, title="Test", unit="persons")
    faces = _collection(fig, "regions").get_facecolors()
    assert tuple(faces[1]) == pytest.approx(to_rgba(ms.CONFIDENTIAL_COLOUR))
    hatched = _collection(fig, "confidential")
    assert hatched.get_hatch() == maps.CONFIDENTIAL_HATCH
    assert len(hatched.get_paths()) == 1
    labels = _legend_labels(fig)
    assert "confidential" in labels
    assert "no data" not in labels  # the only missing value is the confidential one


def test_flag_c_counts_as_confidential():
    values = _values(flag=pd.Series([None, "c", None, None], dtype="str"))
    fig = maps.plot_choropleth(_squares(), values, title="Test", unit=None)
    assert tuple(_collection(fig, "regions").get_facecolors()[1]) == pytest.approx(
        to_rgba(ms.CONFIDENTIAL_COLOUR)
    )


def test_paths_keep_holes_and_parts():
    fig = maps.plot_choropleth(_squares(), _values(), title=None, unit=None)
    paths = _collection(fig, "regions").get_paths()
    moveto = [int((p.codes == p.MOVETO).sum()) for p in paths]
    assert moveto == [1, 2, 1, 2]  # XX02: outer ring + hole; XX04: two polygons


def test_png_bytes_are_deterministic():
    def render() -> bytes:
        fig = maps.plot_choropleth(
            _squares(), _values(), title="Same", unit="pct", highlight="XX03"
        )
        return maps.figure_to_png_bytes(fig, dpi=60)

    first, second = render(), render()
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == second
    assert b"Software" not in first
    assert b"matplotlib" not in first


def test_highlight_draws_a_thick_outline_and_rejects_unknown_codes():
    fig = maps.plot_choropleth(_squares(), _values(), title=None, unit=None, highlight="XX03")
    outline = _collection(fig, "highlight")
    assert len(outline.get_paths()) == 1
    assert outline.get_linewidths()[0] == maps.HIGHLIGHT_WIDTH
    with pytest.raises(UnknownCodeError, match="XX0"):
        maps.plot_choropleth(_squares(), _values(), title=None, unit=None, highlight="XX09")


def test_european_frame_is_fixed_and_data_frame_fits_the_regions():
    europe = maps.plot_choropleth(_squares(), _values(), title=None, unit=None)
    west, east = europe.axes[0].get_xlim()
    assert east - west > 4_000_000  # metres in EPSG:3035: the whole continent
    data = maps.plot_choropleth(_squares(), _values(), title=None, unit=None, extent="data")
    west, east = data.axes[0].get_xlim()
    assert east - west < 400_000
    with pytest.raises(ObservatoryError, match="extent"):
        maps.plot_choropleth(_squares(), _values(), title=None, unit=None, extent="world")


def test_draws_into_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert maps.plot_choropleth(_squares(), _values(), title="x", unit=None, ax=ax) is fig
    assert ax.get_title(loc="left") == "x"  # on the panel, not over the caller's figure
    assert fig._suptitle is None


def test_bad_inputs_name_the_fix():
    with pytest.raises(ObservatoryError, match="region_code"):
        maps.plot_choropleth(_squares(), pd.DataFrame({"value": [1.0]}), title=None, unit=None)
    doubled = pd.concat([_squares(), _squares()])
    with pytest.raises(ObservatoryError, match="nuts_edition"):
        maps.plot_choropleth(doubled, _values(), title=None, unit=None)
    with pytest.raises(ObservatoryError, match="quantile"):
        maps.plot_choropleth(_squares(), _values(), title=None, unit=None, method="jenks")


def test_only_the_mapped_level_is_drawn():
    squares = _squares()
    country = gpd.GeoDataFrame(
        {"region_code": ["XX"], "nuts_level": [0]},
        geometry=[shapely_geometry.box(5, 45, 7, 47)],
        crs="EPSG:4326",
    )
    both = pd.concat([country, squares], ignore_index=True)
    fig = maps.plot_choropleth(both, _values(), title=None, unit=None)
    assert len(_collection(fig, "regions").get_paths()) == 4


def test_locator_fills_the_region_and_outlines_its_country():
    fig = maps.plot_locator(_squares(), "XX03")
    faces = _collection(fig, "regions").get_facecolors()
    assert np.isclose(faces, to_rgba(maps.LOCATOR_REST_COLOUR)).all()  # the shared background
    located = _collection(fig, "located")
    assert len(located.get_paths()) == 1
    assert np.isclose(located.get_facecolors(), to_rgba(ms.HIGHLIGHT_COLOUR)).all()
    assert np.allclose(located.get_paths()[0].get_extents().bounds, _squares_extent("XX03"))
    assert len(_collection(fig, "country").get_paths()) == 1
    assert fig._suptitle.get_text() == "XX03"
    with pytest.raises(UnknownCodeError):
        maps.plot_locator(_squares(), "YY01")


def test_figure_to_png_bytes_closes_pyplot_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    number = fig.number
    assert maps.figure_to_png_bytes(fig)[:4] == b"\x89PNG"
    assert number not in plt.get_fignums()


def test_region_marks_drawn_apart_from_a_shared_background():
    squares = _squares()
    bounds = maps.locator_frame(squares, "XX02")
    background = maps.plot_locator_background(squares, "XX02", bounds)
    assert [c.get_gid() for c in background.axes[0].collections] == ["regions"]
    marks = maps.add_locator_marks(background.axes[0], squares, "XX02", bounds)
    assert [mark.get_gid() for mark in marks[:3]] == ["located", "country", "highlight"]
    choropleth = maps.plot_choropleth(squares, _values(), title=None, unit=None)
    frame = (*choropleth.axes[0].get_xlim(), *choropleth.axes[0].get_ylim())
    west, east, south, north = frame
    (outline,) = maps.highlight_region(
        choropleth.axes[0], squares, "XX04", (west, south, east, north)
    )
    assert outline.get_gid() == "highlight" and len(outline.get_paths()) == 1
    far_away = maps._projected_box((100.0, 0.0, 110.0, 10.0))  # a frame without the squares
    assert maps.highlight_region(choropleth.axes[0], squares, "XX04", far_away) == []
    with pytest.raises(UnknownCodeError):
        maps.highlight_region(choropleth.axes[0], squares, "YY01", far_away)

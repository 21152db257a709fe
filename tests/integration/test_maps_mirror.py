"""The static maps on the real GISCO NUTS-2 layer from the data mirror."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from observatory_lib.products.kit import maps

gpd = pytest.importorskip("geopandas")


def _collection(fig, gid: str):
    found = [c for c in fig.axes[0].collections if c.get_gid() == gid]
    assert len(found) == 1, [c.get_gid() for c in fig.axes[0].collections]
    return found[0]


def _legend_labels(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


@pytest.mark.integration
def test_real_nuts2_choropleth(mirror_file):
    path = mirror_file("nuts/2016/20M/NUTS_RG_20M_2016_4326_LEVL_2.geojson")
    geometries = gpd.read_file(path).rename(columns={"NUTS_ID": "region_code"})
    rng = np.random.default_rng(2016)
    values = pd.DataFrame(
        {"region_code": geometries["region_code"], "value": rng.lognormal(3, 1, len(geometries))}
    )
    values.loc[values.index[::25], "value"] = np.nan
    maps.plot_choropleth(geometries.iloc[:5], values.iloc[:5], title=None, unit=None)  # warm-up
    start = time.perf_counter()
    fig = maps.plot_choropleth(
        geometries, values, title="NUTS 2", unit="eur_per_hab", highlight="FR10"
    )
    drawn = time.perf_counter()
    png = maps.figure_to_png_bytes(fig)
    done = time.perf_counter()
    print(f"NUTS-2 choropleth: build {drawn - start:.3f} s, render PNG {done - drawn:.3f} s")
    assert png[:4] == b"\x89PNG"
    regions = _collection(fig, "regions")
    assert 300 < len(regions.get_paths()) <= len(geometries)  # outermost regions cropped
    assert "no data" in _legend_labels(fig)
    assert done - start < 5.0  # target is < 1 s; generous for loaded CI machines
    locator = maps.plot_locator(geometries, "PT20")  # the Azores: frame stretched, ringed
    assert any(p.get_gid() == "ring" for p in locator.axes[0].patches)
    maps.figure_to_png_bytes(locator)

"""The prepared app data's Arrow files (``observatory apps build``, ``prepare.write_bundle``).

Uncompressed single-batch Arrow IPC files whose column layout is verified after writing, so
that a visitor's kernel can memory-map them with numpy alone (``apps/columns.py``,
``apps/bundle.py``): the long values table, the views, and the diversification opportunities
copied from the recipe layer. Only the preparing process imports pyarrow and pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import observatory_lib.products.apps.columns as columns
from observatory_lib.constants import DEFAULT_YEAR
from observatory_lib.indicators import policy_recipes
from observatory_lib.indicators import relatedness as related
from observatory_lib.products.kit.formats import METHODS

OPPORTUNITY_LEVEL = 2  # the category space is defined among NUTS-2 regions


def write_arrow(table, target: Path) -> dict:
    """Write an Arrow IPC file (uncompressed, one batch) and return its verified layout."""
    import pyarrow as pa

    with pa.OSFile(str(target), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(1, table.num_rows))
    layout = columns.column_layout(target)
    columns.verify_layout(target, layout)
    return layout


def _dictionary(values, index_type):
    import pyarrow as pa

    return (
        pa.array(values, type=pa.string())
        .dictionary_encode()
        .cast(pa.dictionary(index_type, pa.string()))
    )


def write_values(frame: pd.DataFrame, region_codes: list[str], target: Path) -> dict:
    """``values.arrow``: the long table (readable keys for analysts, numbers for the kernel)."""
    import pyarrow as pa

    region = pa.DictionaryArray.from_arrays(
        pa.array(frame["region_id"].to_numpy(dtype="int16")), pa.array(region_codes, pa.string())
    )
    table = pa.table(
        {
            "view_id": pa.array(frame["view_id"].to_numpy(dtype="int32")),
            "theme": _dictionary(frame["theme"], pa.int8()),
            "indicator_code": _dictionary(frame["indicator_code"], pa.int16()),
            "category_code": _dictionary(frame["category_code"], pa.int16()),
            "nuts_level": pa.array(frame["nuts_level"].to_numpy(dtype="int8")),
            "year": pa.array(frame["year"].to_numpy(dtype="int16")),
            "region_code": region,
            "value": pa.array(frame["value"].to_numpy(dtype="float64")),
            "class_quantile": pa.array(frame["class_quantile"].to_numpy(dtype="int8")),
            "class_equal_interval": pa.array(frame["class_equal_interval"].to_numpy(dtype="int8")),
            "flag": _dictionary(frame["flag"], pa.int8()),
            "status": _dictionary(frame["status"], pa.int8()),
        }
    )
    return write_arrow(table, target)


def write_views(views: pd.DataFrame, names: dict[str, list], target: Path) -> dict:
    """``views.arrow``: one row per view, its keys as ids into the manifest's name lists."""
    import pyarrow as pa

    def ids(column: str, dtype: str) -> pa.Array:
        position = {name: i for i, name in enumerate(names[column])}
        return pa.array(views[column].map(position).to_numpy(dtype=dtype))

    table = pa.table(
        {
            "theme": ids("theme", "int8"),
            "indicator_code": ids("indicator_code", "int16"),
            "category_code": ids("category_code", "int16"),
            "nuts_level": pa.array(views["nuts_level"].to_numpy(dtype="int8")),
            "year": pa.array(views["year"].to_numpy(dtype="int16")),
            "row_start": pa.array(views["row_start"].to_numpy(dtype="int32")),
            "row_stop": pa.array(views["row_stop"].to_numpy(dtype="int32")),
            "n_with_data": pa.array(views["n_with_data"].to_numpy(dtype="int16")),
            "n_regions_drawn": pa.array(views["n_regions_drawn"].to_numpy(dtype="int16")),
            "has_missing": pa.array(views["has_missing"].to_numpy(dtype="int8")),
            "has_confidential": pa.array(views["has_confidential"].to_numpy(dtype="int8")),
            **{
                f"legend_{method}": pa.array(
                    views[f"legend_{method}"].astype("str").tolist(), pa.string()
                )
                for method in METHODS
            },
        }
    )
    return write_arrow(table, target)


def _arrow_table(frame: pd.DataFrame, region_codes: list[str]):
    """The rows of known regions as an Arrow table in region order: ``region_code`` as ids into
    ``region_codes``, text dictionary-encoded, whole numbers int16, other numbers float64."""
    import pyarrow as pa

    position = pd.Series(np.arange(len(region_codes)), index=region_codes)
    frame = frame[frame["region_code"].isin(position.index)]
    ids = position.reindex(frame["region_code"]).to_numpy()
    frame = frame.iloc[np.argsort(ids, kind="stable")]
    arrays = {
        "region_code": pa.DictionaryArray.from_arrays(
            pa.array(np.sort(ids, kind="stable").astype("int16")),
            pa.array(region_codes, pa.string()),
        )
    }
    for column in frame.columns.drop("region_code"):
        values = frame[column]
        if pd.api.types.is_integer_dtype(values):
            arrays[column] = pa.array(values.to_numpy(dtype="int16"))
        elif pd.api.types.is_numeric_dtype(values):
            arrays[column] = pa.array(values.to_numpy(dtype="float64", na_value=np.nan))
        else:
            arrays[column] = _dictionary(values.fillna("").astype("str"), pa.int16())
    return pa.table(arrays)


def write_opportunities(store, region_codes: list[str], directory: Path) -> dict:
    """``opportunities.arrow`` and ``opportunity_support.arrow``: the recipe layer's
    diversification opportunities of every NUTS-2 region (``policy_recipes.opportunities``:
    the categories with a known LQ below 1, ranked by relatedness density within their type)
    and the specialisations that support each (``opportunity_support``), copied, not
    recomputed; sorted by region, then type and rank, then support rank."""
    level, year = OPPORTUNITY_LEVEL, DEFAULT_YEAR
    ranked = policy_recipes.opportunities(store, level=level, year=year)
    support = policy_recipes.opportunity_support(store, level=level, year=year)
    files = {  # manifest key: (file, the recipe layer's rows in the order the kernel reads)
        "table": (
            "opportunities",
            ranked.sort_values(["category_type", "rank_in_region"], kind="stable")[
                [*dict.fromkeys([*related.OPPORTUNITY_COLUMNS, *related.SIZE_COLUMNS])]
            ],
        ),
        "support": (
            "opportunity_support",
            support.sort_values(["category_code", "support_rank"])[related.SUPPORT_COLUMNS],
        ),
    }
    layouts = {
        key: write_arrow(_arrow_table(frame, region_codes), directory / f"{name}.arrow")
        for key, (name, frame) in files.items()
    }
    return {"level": level, "year": year, "strong_density": policy_recipes.STRONG_DENSITY} | layouts

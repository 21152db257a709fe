"""Regional structural business statistics (``sbs_r_nuts06_r2``), 2008-2015, in one table.

Two files hold the regional SBS: the Eurostat bulk file of 2017-07-31 (2008-2015; persons
employed ``V16110``, wages and salaries ``V13320`` in million euro, local units ``V11210``; flags
kept) and the extract of the 2015 reference year (persons employed only, a later and fuller
vintage: 2015 is only half published in the bulk file). ``combine_sbs_vintages`` applies one
rule per cell (``VINTAGE_RULE``):

- persons employed in 2015: the extract's value wherever it has a number, with its flag; where
  it has none (blank or damaged), the bulk file's value if it has one; otherwise missing;
- every other cell (2008-2014, and wages and local units in every year): the bulk file.

``vintage`` names the file each employment cell comes from. Missing stays missing: ``:`` and
blanks are NaN, never 0, and keep their flag; confidential cells (``c``) too.

Bad input gets one error naming the file, the line and the fix: an unknown indicator, a period
column that is not a year, a row that does not have its three codes, and (with
``is_known_region``) a region code in no NUTS edition.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from observatory_lib.data.eurostat import SBS_DATASET_CODE, split_value_and_flag
from observatory_lib.errors import DataSourceError, nearest

# The indicators of the bulk file; the workbook uses the first three.
SBS_INDICATORS = {
    "V16110": "employment_persons",
    "V13320": "wages_eur",
    "V11210": "local_units",
    "V91290": None,  # growth rate of employment (%): the workbook computes its own growth
    "V94310": None,  # share of employment in manufacturing (%)
}
WAGES_SCALE = 1e6  # V13320 is published in million euro
BULK_DIMENSIONS = ["nace_r2", "indic_sb", "geo"]
BULK_VINTAGE = "2017-07"
EXTRACT_VINTAGE = "2015 extract"
EXTRACT_YEAR = 2015
VALUE_COLUMNS = ["employment_persons", "wages_eur", "local_units"]
FLAG_COLUMNS = {
    "employment_persons": "flag",
    "wages_eur": "wages_flag",
    "local_units": "local_units_flag",
}
SBS_COLUMNS = [
    "region_code",
    "nace_code",
    "year",
    "employment_persons",
    "flag",
    "wages_eur",
    "wages_flag",
    "local_units",
    "local_units_flag",
    "vintage",
    "dataset_code",
]
VINTAGE_RULE = (
    "Persons employed in 2015: the 2015 extract wherever it has a number, else the 2017-07 bulk "
    "file; every other cell (2008-2014, wages and local units) from the 2017-07 bulk file."
)
_FIX = "Fix: restore the original Eurostat file (observatory data fetch)"

KnownRegion = Callable[[str], bool]


def read_sbs_bulk(
    path: str | os.PathLike[str], *, is_known_region: KnownRegion | None = None
) -> pd.DataFrame:
    """Read the ``sbs_r_nuts06_r2`` bulk TSV: one row per region x NACE x year.

    Args:
        path: the gzipped (or plain) bulk TSV.
        is_known_region: a test of region codes; the first code it rejects is reported with
            its line and the nearest valid codes.

    Returns:
        ``SBS_COLUMNS`` (wages in euro, not million); ``vintage`` is ``BULK_VINTAGE``.

    Raises:
        DataSourceError: unreadable file, wrong dimensions, a period that is not a year, an
            unknown indicator or region code, or a damaged cell; the line is named.
    """
    name = str(path)
    wide = _read_wide(Path(path))
    key_column, *periods = list(wide.columns)
    _check_header(str(key_column), name)
    years = _years(periods, name)
    keys = wide[key_column].str.split(",", expand=True)
    if keys.shape[1] != len(BULK_DIMENSIONS) or keys.isna().any().any():
        bad = keys.isna().any(axis=1) if keys.shape[1] >= len(BULK_DIMENSIONS) else keys[0].notna()
        raise DataSourceError(
            f"{name}, line {_first_line(bad)}: a row needs three comma-separated codes "
            f"({', '.join(BULK_DIMENSIONS)}). {_FIX}."
        )
    keys = keys.set_axis(["nace_code", "indic_sb", "region_code"], axis=1).apply(
        lambda column: column.str.strip()
    )
    _check_indicators(keys["indic_sb"], name)
    if is_known_region is not None:
        check_region_codes(keys["region_code"], name, is_known_region)
    used = keys["indic_sb"].isin([code for code, column in SBS_INDICATORS.items() if column])
    return _to_long(keys[used], wide.loc[used, periods], years, name)


def _read_wide(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataSourceError(f"Data file {path} does not exist. {_FIX}.")
    try:
        with path.open("rb") as handle:
            compression = "gzip" if handle.read(2) == b"\x1f\x8b" else None
        return pd.read_csv(
            path, sep="\t", dtype=str, keep_default_na=False, compression=compression
        )
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        gzip.BadGzipFile,
        EOFError,
        OSError,
    ) as error:
        raise DataSourceError(f"Cannot read {path}: {error}. {_FIX}.") from error


def _check_header(header: str, name: str) -> None:
    dimensions = [part.strip() for part in header.split("\\")[0].split(",")]
    if "\\" not in header or dimensions != BULK_DIMENSIONS:
        raise DataSourceError(
            f"{name}, line 1: the first header cell is {header!r}; a regional SBS bulk file "
            f"starts with 'nace_r2,indic_sb,geo\\time'. Fix: use the sbs_r_nuts06_r2 bulk file."
        )


def _years(periods: list[str], name: str) -> list[int]:
    years = []
    for position, label in enumerate(periods, start=2):
        text = str(label).strip()
        if not (text.isdigit() and len(text) == 4 and 1990 <= int(text) <= 2100):
            raise DataSourceError(
                f"{name}, line 1, column {position}: {text!r} is not a year. Fix: the period "
                "columns of an annual bulk file are years such as '2015'; download the annual "
                "dataset again."
            )
        years.append(int(text))
    return years


def _first_line(bad: pd.Series) -> int:
    return int(np.flatnonzero(bad.to_numpy())[0]) + 2  # line 1 is the header


def _check_indicators(codes: pd.Series, name: str) -> None:
    unknown = ~codes.isin(list(SBS_INDICATORS))
    if unknown.any():
        code = codes[unknown].iloc[0]
        raise DataSourceError(
            f"{name}, line {_first_line(unknown)}: unknown indicator {code!r} (indic_sb); known: "
            f"{', '.join(SBS_INDICATORS)}. Fix: correct the code, or add the indicator to "
            "SBS_INDICATORS in observatory_lib/data/sbs.py."
        )


def check_region_codes(
    codes: pd.Series, name: str | os.PathLike[str], is_known_region: KnownRegion
) -> None:
    """Raise naming the file, the line and the nearest codes for the first unknown region code.

    ``codes`` must be in file order (row ``i`` on line ``i + 2``, after the header).
    """
    codes = codes.reset_index(drop=True)
    distinct = codes.drop_duplicates()
    known = {code: is_known_region(code) for code in distinct}
    unknown = ~codes.map(known).astype(bool)
    if unknown.any():
        code = codes[unknown].iloc[0]
        close = nearest(code, [c for c, ok in known.items() if ok])
        raise DataSourceError(
            f"{name}, line {_first_line(unknown)}: region code {code!r} is in no NUTS edition "
            f"(2010 renamed codes, 2013, 2016, 2021, 2024); nearest valid codes: "
            f"{', '.join(close) or 'none'}. Fix: correct the code in the file, or list a NUTS "
            "2010 code in data/reference/nuts2010_codes.csv."
        )


def _to_long(keys: pd.DataFrame, cells: pd.DataFrame, years: list[int], name: str) -> pd.DataFrame:
    """One row per region x NACE x year with the three indicators side by side.

    Each indicator's block of rows is aligned on the union of (region, NACE) pairs and
    flattened with numpy: row-major order puts the years of one pair together.
    """
    pairs = pd.MultiIndex.from_frame(keys[["region_code", "nace_code"]])
    blocks = {}
    for code, column in SBS_INDICATORS.items():
        rows = (keys["indic_sb"] == code).to_numpy()
        if column is not None and rows.any():
            block = cells[rows].set_axis(pairs[rows]).assign(_line=np.flatnonzero(rows) + 2)
            blocks[column] = block
    union = pairs.unique().sort_values()
    columns: dict[str, object] = {
        "region_code": np.repeat(union.get_level_values(0).to_numpy(), len(years)),
        "nace_code": np.repeat(union.get_level_values(1).to_numpy(), len(years)),
        "year": np.tile(np.asarray(years, dtype="int64"), len(union)),
    }
    for column in VALUE_COLUMNS:
        block = blocks.get(column)
        if block is None:
            columns[column] = np.full(len(union) * len(years), np.nan)
            columns[FLAG_COLUMNS[column]] = pd.Series(
                pd.NA, index=range(len(union) * len(years)), dtype="str"
            )
            continue
        aligned = block.reindex(union)
        texts = pd.Series(aligned.drop(columns="_line").to_numpy(dtype=object).ravel()).fillna("")
        parsed = split_value_and_flag(texts)
        if not parsed["is_valid"].all():
            position = int(np.flatnonzero(~parsed["is_valid"].to_numpy())[0])
            line = int(aligned["_line"].to_numpy()[position // len(years)])
            raise DataSourceError(
                f"{name}, line {line}: the cell {texts.iloc[position]!r} is neither a number, "
                f"':' nor a flag. {_FIX}."
            )
        columns[column] = parsed["value"].to_numpy(dtype="float64")
        columns[FLAG_COLUMNS[column]] = parsed["flag"].astype("str").to_numpy()
    result = pd.DataFrame(columns)
    result = result.assign(
        wages_eur=result["wages_eur"] * WAGES_SCALE,
        vintage=BULK_VINTAGE,
        dataset_code=SBS_DATASET_CODE,
    )
    return result[SBS_COLUMNS].astype({c: "str" for c in FLAG_COLUMNS.values()})


def combine_sbs_vintages(bulk: pd.DataFrame, extract: pd.DataFrame) -> pd.DataFrame:
    """Join the bulk file (2008-2015) and the 2015 extract by ``VINTAGE_RULE``.

    Args:
        bulk: ``read_sbs_bulk`` output.
        extract: ``eurostat.read_sbs_extract`` output (persons employed, one year).

    Returns:
        ``SBS_COLUMNS``: one row per region x NACE x year of either file.
    """
    keys = ["region_code", "nace_code", "year"]
    own = extract[[*keys, "employment_persons", "flag"]].rename(
        columns={"employment_persons": "extract_persons", "flag": "extract_flag"}
    )
    merged = bulk.merge(own, on=keys, how="outer")
    from_extract = merged["extract_persons"].notna()
    in_extract = merged["year"].eq(EXTRACT_YEAR) & (from_extract | merged["extract_flag"].notna())
    bulk_has = merged["employment_persons"].notna()
    keep_bulk = ~from_extract & bulk_has
    persons = merged["extract_persons"].where(from_extract, merged["employment_persons"])
    flag = merged["extract_flag"].where(from_extract | (in_extract & ~bulk_has), merged["flag"])
    vintage = np.select(
        [from_extract, keep_bulk, in_extract],
        [EXTRACT_VINTAGE, BULK_VINTAGE, EXTRACT_VINTAGE],
        BULK_VINTAGE,
    )
    combined = merged.assign(
        employment_persons=persons.astype("float64"),
        flag=flag.astype("str"),
        vintage=vintage,
        dataset_code=SBS_DATASET_CODE,
    )
    return combined[SBS_COLUMNS].sort_values(keys, ignore_index=True)

"""Readers for Eurostat files: bulk and API TSV, the SBS extract, EURITO extracts, main tables.

Every reader returns a tidy long frame in the vocabulary of ``docs/CONVENTIONS.md``:
``region_code`` for ``geo``, ``nace_code`` for ``nace_r2``, int ``year``, float ``value``
(``:`` and blanks become NaN, never 0) and ``flag`` (Eurostat flag letters, missing when none).
A file that cannot be read, or lacks an expected column, raises ``DataSourceError`` naming the
file and the fix.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import operator
import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
import requests

from observatory_lib import paths
from observatory_lib.errors import DataSourceError, UnknownCodeError, unknown_code
from observatory_lib.files import atomic_path

logger = logging.getLogger(__name__)

API_FORMATS = ("TSV", "SDMX-CSV")
DOWNLOAD_TIMEOUT_SECONDS = 120
SBS_DATASET_CODE = "sbs_r_nuts06_r2"
INVALID_FLAG = "invalid"
"""Flag given to SBS cells that hold spreadsheet damage (``12:00 AM``) instead of a number."""

DIMENSION_RENAMES = {"geo": "region_code", "nace_r2": "nace_code"}

# One cell of a Eurostat table: a number or ':' (not available), then optional flag letters.
_CELL_PATTERN = r"^(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|:)?\s*(?P<flag>[a-z]+)?$"
_DATASET_CODE_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
_GZIP_MAGIC = b"\x1f\x8b"
_REFETCH_HINT = "Fetch the file again (observatory data fetch) or check OBSERVATORY_MIRROR."

Source = str | os.PathLike | TextIO


class UnreadableReleaseError(DataSourceError):
    """A download arrived but is not a table the reader understands (``__cause__`` says why)."""


# ----------------------------------------------------------------------------- shared helpers


def _source_name(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return str(source)
    return str(getattr(source, "name", "<text buffer>"))


def _compression_of(path: Path) -> str | None:
    """Detect gzip by its magic bytes, since API downloads may not carry a .gz suffix."""
    with path.open("rb") as handle:
        return "gzip" if handle.read(2) == _GZIP_MAGIC else None


def _read_text_table(source: Source, **read_options) -> pd.DataFrame:
    """Read a delimited text file (path, gz path or text buffer) as strings, or raise clearly."""
    name = _source_name(source)
    options = {"dtype": str, "keep_default_na": False, **read_options}
    try:
        if isinstance(source, str | os.PathLike):
            path = Path(source)
            if not path.is_file():
                raise DataSourceError(f"Data file {name} does not exist. {_REFETCH_HINT}")
            return pd.read_csv(path, compression=_compression_of(path), **options)
        return pd.read_csv(source, **options)
    except DataSourceError:
        raise
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        gzip.BadGzipFile,
        EOFError,
        OSError,
    ) as error:
        raise DataSourceError(
            f"Cannot read {name}: {error}. The file is damaged or not in the expected "
            f"format. {_REFETCH_HINT}"
        ) from error


def _require_columns(frame: pd.DataFrame, expected: list[str], name: str) -> None:
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise DataSourceError(
            f"{name} lacks the column(s) {', '.join(missing)} (found: "
            f"{', '.join(map(str, frame.columns))}). It is not the expected file or its "
            f"layout changed. {_REFETCH_HINT}"
        )


def _require_complete(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    blank = [column for column in columns if frame[column].isna().any()]
    if blank:
        raise DataSourceError(f"{name} has rows with a blank {' or '.join(blank)}. {_REFETCH_HINT}")


def split_value_and_flag(cells: pd.Series) -> pd.DataFrame:
    """Split Eurostat cells like ``'56.8 b'``, ``': c'`` or ``'0'`` into number and flag.

    Works on the distinct cell texts only and maps them back, because bulk files repeat
    the same few thousand texts across hundreds of thousands of cells.

    Args:
        cells: Raw cell texts.

    Returns:
        A frame aligned with ``cells``: ``value`` (float, NaN for ``:`` and blanks),
        ``flag`` (str, missing when none) and ``is_valid`` (False when the text is neither a
        number, ``:`` nor blank, e.g. spreadsheet damage such as ``12:00 AM``).
    """
    positions, distinct = pd.factorize(cells.fillna(""))
    texts = pd.Series(distinct, dtype="str").str.strip()
    parts = texts.str.extract(_CELL_PATTERN)
    numbers = pd.to_numeric(parts["number"].where(parts["number"] != ":"), errors="coerce")
    # A text that does not match leaves both groups empty, which only a blank may do.
    is_valid = (texts.eq("") | parts.notna().any(axis=1)).to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "value": numbers.to_numpy(dtype="float64")[positions],
            "flag": parts["flag"].take(positions).set_axis(cells.index),
            "is_valid": is_valid[positions],
        },
        index=cells.index,
    )


def _to_numbers(texts: pd.Series, column: str, name: str) -> pd.Series:
    """Blank -> NaN, number -> float; any other text is damage and raises."""
    stripped = texts.str.strip()
    numbers = pd.to_numeric(stripped.replace("", None), errors="coerce")
    damaged = numbers.isna() & stripped.ne("")
    if damaged.any():
        examples = ", ".join(repr(t) for t in stripped[damaged].drop_duplicates().head(3))
        raise DataSourceError(
            f"{name}: column {column!r} has {int(damaged.sum())} non-numeric cell(s) "
            f"(e.g. {examples}). The file is damaged. {_REFETCH_HINT}"
        )
    return numbers.astype("float64")


# ----------------------------------------------------------------------------- Eurostat TSV


def _split_dimension_header(header: str, name: str) -> list[str]:
    """``'unit,geo\\time'`` or ``'freq,unit,geo\\TIME_PERIOD'`` -> the dimension names."""
    if "\\" not in header:
        raise DataSourceError(
            f"{name} is not a Eurostat TSV file: its first header cell {header!r} should look "
            f"like 'unit,geo\\time' or 'freq,unit,geo\\TIME_PERIOD'. {_REFETCH_HINT}"
        )
    dimensions = [part.strip() for part in header.split("\\")[0].split(",")]
    if "geo" not in dimensions:
        raise DataSourceError(
            f"{name} has no geo dimension (dimensions: {', '.join(dimensions)}); the "
            "workbook reads regional tables only. Check the dataset code."
        )
    return dimensions


def _parse_years(labels: list[str], name: str) -> dict[str, int]:
    years = {}
    for label in labels:
        text = str(label).strip()
        if not re.fullmatch(r"\d{4}", text):
            raise DataSourceError(
                f"{name} has the period column {text!r}; only annual data (periods like "
                "'2015') are supported. Download the annual version of the dataset."
            )
        years[label] = int(text)
    return years


def _check_cells(parsed: pd.DataFrame, cells: pd.Series, name: str) -> None:
    if parsed["is_valid"].all():
        return
    bad = cells[~parsed["is_valid"]]
    examples = ", ".join(repr(text) for text in bad.drop_duplicates().head(3))
    raise DataSourceError(
        f"{name} has {len(bad)} cell(s) that are neither a number, ':' nor a flag "
        f"(e.g. {examples}). The file is damaged. {_REFETCH_HINT}"
    )


def _split_row_keys(keys: pd.Series, dimensions: list[str], name: str) -> pd.DataFrame:
    """``'THS,T,Y15-64,AT1'`` -> one stripped column per dimension, or raise on ragged rows."""
    columns = keys.str.split(",", expand=True)
    if columns.shape[1] != len(dimensions) or columns.isna().any().any():
        raise DataSourceError(
            f"{name}: some rows do not have one comma-separated code per dimension "
            f"({', '.join(dimensions)}). {_REFETCH_HINT}"
        )
    columns.columns = [DIMENSION_RENAMES.get(d, d) for d in dimensions]
    return columns.apply(lambda column: column.str.strip())


def _rows_with_codes(keys: pd.DataFrame, keep_codes: Mapping[str, Collection[str]]) -> pd.Series:
    kept = pd.Series(True, index=keys.index)
    for dimension, codes in keep_codes.items():
        if dimension not in keys.columns:
            raise unknown_code("dimension", dimension, keys.columns)
        kept &= keys[dimension].isin(list(codes))
    return kept


def read_eurostat_tsv(
    source: Source,
    dataset_code: str,
    *,
    keep_codes: Mapping[str, Collection[str]] | None = None,
) -> pd.DataFrame:
    """Read a Eurostat TSV table (bulk download or dissemination API) into a tidy long frame.

    A file in the API's other format, SDMX-CSV, is recognised by its header and read by
    ``read_eurostat_sdmx_csv`` into the same frame.

    Args:
        source: Path to a ``.tsv`` or gzipped ``.tsv.gz`` file, or an open text buffer.
        dataset_code: Eurostat dataset code, stored in the ``dataset_code`` column.
        keep_codes: Optional dimension (output name, e.g. ``unit``) -> codes to keep. Rows
            with other codes are dropped before the cells are parsed, which makes a narrow
            selection from a large file several times faster. Codes absent from the file are
            simply not found; a dimension absent from the file raises ``UnknownCodeError``.

    Returns:
        One row per dimension combination and year: one column per dimension (``geo`` as
        ``region_code``, ``nace_r2`` as ``nace_code``, others under their Eurostat names such
        as ``unit``, ``sex``, ``age``, ``freq``), ``year`` (int), ``value`` (float, NaN for
        ``:``), ``flag`` (str, missing when none) and ``dataset_code``.

    Raises:
        DataSourceError: The file is missing, unreadable, not a Eurostat TSV or damaged.
    """
    name = _source_name(source)
    if isinstance(source, str | os.PathLike) and is_sdmx_csv(source):
        return read_eurostat_sdmx_csv(source, dataset_code, keep_codes=keep_codes)
    wide = _read_text_table(source, sep="\t")
    key_column, *period_columns = list(wide.columns)
    dimensions = _split_dimension_header(str(key_column), name)
    if not period_columns:
        raise DataSourceError(f"{name} has no period columns. {_REFETCH_HINT}")
    years = _parse_years(period_columns, name)
    keys = _split_row_keys(wide[key_column], dimensions, name)
    if keep_codes:
        kept = _rows_with_codes(keys, keep_codes)
        keys, wide = keys[kept], wide[kept]
    long = pd.concat([keys, wide[period_columns]], axis=1).melt(
        id_vars=list(keys.columns), var_name="period", value_name="cell"
    )
    parsed = split_value_and_flag(long["cell"])
    _check_cells(parsed, long["cell"], name)
    # melt stacks the period columns one after another, each as long as the wide table.
    year = np.repeat(np.array(list(years.values()), dtype="int64"), len(wide))
    return long.drop(columns=["period", "cell"]).assign(
        year=year, value=parsed["value"], flag=parsed["flag"], dataset_code=dataset_code
    )


# ----------------------------------------------------------------------------- SDMX-CSV

SDMX_RESERVED = ("DATAFLOW", "LAST UPDATE", "TIME_PERIOD", "OBS_VALUE", "OBS_FLAG", "CONF_STATUS")


def is_sdmx_csv(path: str | os.PathLike) -> bool:
    """Whether a (gzipped or plain) file starts with the SDMX-CSV header ``DATAFLOW,...``."""
    path = Path(path)
    if not path.is_file():
        return False
    opener = gzip.open if _compression_of(path) == "gzip" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            return handle.readline().lstrip("\ufeff").startswith("DATAFLOW,")
    except (OSError, UnicodeDecodeError, EOFError):
        return False


def sdmx_dimensions(columns: list[str]) -> list[str]:
    """The dimension columns of an SDMX-CSV file: every column that is not a reserved one."""
    return [column for column in columns if column not in SDMX_RESERVED]


def read_eurostat_sdmx_csv(
    source: str | os.PathLike,
    dataset_code: str,
    *,
    keep_codes: Mapping[str, Collection[str]] | None = None,
) -> pd.DataFrame:
    """Read an SDMX-CSV file of the Eurostat API into the frame ``read_eurostat_tsv`` returns.

    One row per observation: the dimension columns (``geo`` as ``region_code``, ``nace_r2`` as
    ``nace_code``), ``TIME_PERIOD`` as int ``year``, ``OBS_VALUE`` as float ``value`` (blank is
    NaN, never 0) and ``OBS_FLAG`` as ``flag``.

    Raises:
        DataSourceError: unreadable, no ``geo``/``TIME_PERIOD``/``OBS_VALUE`` column, a period
            that is not a year or a value that is not a number.
    """
    name = _source_name(source)
    raw = _read_text_table(source)
    _require_columns(raw, ["DATAFLOW", "TIME_PERIOD", "OBS_VALUE", "geo"], name)
    dimensions = sdmx_dimensions(list(raw.columns))
    keys = (
        raw[dimensions].apply(lambda column: column.str.strip()).rename(columns=DIMENSION_RENAMES)
    )
    if keep_codes:
        kept = _rows_with_codes(keys, keep_codes)
        keys, raw = keys[kept], raw[kept]
    periods = raw["TIME_PERIOD"].str.strip()
    if not periods.str.fullmatch(r"\d{4}").all():
        bad = periods[~periods.str.fullmatch(r"\d{4}")].iloc[0]
        raise DataSourceError(
            f"{name}: the period {bad!r} is not a year; the workbook reads annual data. "
            f"{_REFETCH_HINT}"
        )
    values = raw["OBS_VALUE"].str.strip()
    numbers = pd.to_numeric(values.replace("", np.nan), errors="coerce")
    damaged = numbers.isna() & values.ne("")
    if damaged.any():
        raise DataSourceError(
            f"{name}, line {int(np.flatnonzero(damaged.to_numpy())[0]) + 2}: the value "
            f"{values[damaged].iloc[0]!r} is not a number. {_REFETCH_HINT}"
        )
    flags = (
        raw["OBS_FLAG"].str.strip() if "OBS_FLAG" in raw.columns else pd.Series("", index=raw.index)
    )
    return keys.assign(
        year=periods.astype("int64"),
        value=numbers.astype("float64"),
        flag=flags.replace("", np.nan).astype("str"),
        dataset_code=dataset_code,
    ).reset_index(drop=True)


def sdmx_last_update(path: str | os.PathLike) -> str | None:
    """The release date of an SDMX-CSV file (its latest ``LAST UPDATE``, ``YYYY-MM-DD``).

    Eurostat writes the column as ``dd/mm/yy hh:mm:ss``; None when the file has no such column.
    """
    raw = _read_text_table(path, usecols=lambda column: column == "LAST UPDATE")
    if "LAST UPDATE" not in raw.columns or raw.empty:
        return None
    stamps = pd.to_datetime(
        raw["LAST UPDATE"].str.strip(), format="%d/%m/%y %H:%M:%S", errors="coerce"
    )
    return None if stamps.isna().all() else stamps.max().date().isoformat()


# ----------------------------------------------------------------------------- SBS extract


def read_sbs_extract(path: str | os.PathLike) -> pd.DataFrame:
    """Read the SBS regional extract (``nace_r2;geo;n2015``, persons employed).

    A blank cell (not available or confidential) becomes NaN, ``'123 d'`` keeps its flag and
    ``0`` stays a true zero. Cells damaged by a spreadsheet (``12:00 AM``) become NaN with
    flag ``'invalid'`` (``INVALID_FLAG``); no number is invented for them, and their count is
    logged as a warning.

    Args:
        path: The ``;``-separated extract of ``sbs_r_nuts06_r2``.

    Returns:
        Columns ``region_code, nace_code, year, employment_persons, flag, dataset_code``.

    Raises:
        DataSourceError: The file is missing, unreadable or lacks ``nace_r2``, ``geo`` or a
            year column such as ``n2015``.
    """
    name = _source_name(path)
    raw = _read_text_table(path, sep=";")
    _require_columns(raw, ["nace_r2", "geo"], name)
    year_columns = [c for c in raw.columns if re.fullmatch(r"n?\d{4}", str(c).strip())]
    if len(year_columns) != 1:
        raise DataSourceError(
            f"{name} should have exactly one year column such as 'n2015' (found: "
            f"{', '.join(map(str, raw.columns))}). {_REFETCH_HINT}"
        )
    year_column = year_columns[0]
    parsed = split_value_and_flag(raw[year_column])
    n_invalid = int((~parsed["is_valid"]).sum())
    if n_invalid:
        logger.warning(
            "%s: %d cell(s) hold spreadsheet damage (e.g. '12:00 AM'); kept as missing "
            "with flag %r.",
            name,
            n_invalid,
            INVALID_FLAG,
        )
    return pd.DataFrame(
        {
            "region_code": raw["geo"].str.strip(),
            "nace_code": raw["nace_r2"].str.strip(),
            "year": np.int64(str(year_column).strip().lstrip("n")),
            "employment_persons": parsed["value"],
            "flag": parsed["flag"].where(parsed["is_valid"], INVALID_FLAG),
            "dataset_code": SBS_DATASET_CODE,
        }
    )


# ----------------------------------------------------------------------------- EURITO extracts

_EURITO_KEY_COLUMNS = ["year", "region_type", "region_year_spec", "region_id", "region_level"]
_NUTS_LEVELS = (0, 1, 2, 3)


def read_eurito_extract(csv_path: str | os.PathLike) -> pd.DataFrame:
    """Read one EURITO extract (``year,region_type,region_year_spec,region_id,region_level,<x>``).

    Aggregates are dropped: levels 5 and 7 (EU27_2020, CN_X_HK) and aggregate codes filed
    under a NUTS level (EA19 appears as level 2). ``region_year_spec`` is ignored because it
    is always 2010 and says nothing about the codes.

    Args:
        csv_path: Path to ``eurostat/eurito_2022/<name>.csv``.

    Returns:
        Columns ``region_code, nuts_level, year, value`` (value float, NaN where empty).

    Raises:
        DataSourceError: The file is missing, unreadable or lacks a key or value column.
    """
    name = _source_name(csv_path)
    raw = _read_text_table(csv_path)
    _require_columns(raw, _EURITO_KEY_COLUMNS, name)
    value_columns = [c for c in raw.columns if c not in _EURITO_KEY_COLUMNS]
    if len(value_columns) != 1:
        raise DataSourceError(
            f"{name} should have one value column after {', '.join(_EURITO_KEY_COLUMNS)} "
            f"(found: {', '.join(value_columns) or 'none'}). {_REFETCH_HINT}"
        )
    frame = pd.DataFrame(
        {
            "region_code": raw["region_id"].str.strip(),
            "nuts_level": _to_numbers(raw["region_level"], "region_level", name),
            "year": _to_numbers(raw["year"], "year", name),
            "value": _to_numbers(raw[value_columns[0]], value_columns[0], name),
        }
    )
    _require_complete(frame, ["nuts_level", "year"], name)
    # The extract tags EA19 as level 2 (its code has four characters), so check codes too.
    keep = frame["nuts_level"].isin(_NUTS_LEVELS) & ~is_aggregate_region(frame["region_code"])
    frame = frame[keep]
    return frame.astype({"nuts_level": "int64", "year": "int64"}).reset_index(drop=True)


def _qualifier_of(title: str) -> str:
    """The text in the outermost trailing parentheses of a Eurostat title, or ''."""
    if not title.endswith(")"):
        return ""
    depth = 0
    for position in range(len(title) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(title[position], 0)
        if depth == 0:
            return title[position + 1 : -1]
    return ""


def _unit_from_title(title: str) -> str:
    """Pick the unit from a title such as '... (All sectors, Percentage of GDP)'."""
    parts = [part.strip() for part in re.split(r",\s(?![^()]*\))", _qualifier_of(title))]
    unit_words = re.compile(r"(?i)percentage|number|euro|per million|per inhabitant|million")
    units = [part for part in parts if unit_words.search(part)]
    return units[-1] if units else parts[-1]


def read_eurito_metadata(json_path: str | os.PathLike) -> dict:
    """Read the JSON sidecar of a EURITO extract.

    Args:
        json_path: Path to ``eurostat/eurito_2022/<name>.json``.

    Returns:
        ``dataset_code`` (from ``api_doc_url``, e.g. ``rd_e_gerdreg``), ``series_code`` (the
        value column), ``title``, ``unit`` (as written in the title), ``vintage``
        (``YYYY-MM-DD`` from ``data_date``) and ``api_doc_url``.

    Raises:
        DataSourceError: The file is missing, not JSON or lacks ``title``/``api_doc_url``.
    """
    name = _source_name(json_path)
    try:
        meta = json.loads(Path(json_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise DataSourceError(f"Cannot read {name}: {error}. {_REFETCH_HINT}") from error
    missing = [key for key in ("title", "api_doc_url") if key not in meta]
    if missing:
        raise DataSourceError(f"{name} lacks the key(s) {', '.join(missing)}. {_REFETCH_HINT}")
    dataset = re.search(r"/data/([^/?]+)", meta["api_doc_url"])
    date = re.search(r"(\d{4})(\d{2})(\d{2})", str(meta.get("data_date", "")))
    return {
        "dataset_code": dataset.group(1) if dataset else None,
        "series_code": meta.get("schema", {}).get("value", {}).get("id"),
        "title": meta["title"],
        "unit": _unit_from_title(meta["title"]),
        "vintage": "-".join(date.groups()) if date else None,
        "api_doc_url": meta["api_doc_url"],
    }


# ----------------------------------------------------------------------------- main tables

_MAIN_TABLE_COLUMNS = ["nuts_level", "year", "geo", "name", "variable", "value"]


def read_regional_main_tables(path: str | os.PathLike) -> pd.DataFrame:
    """Read the flattened regional main tables (``nuts_level,year,geo,name,variable,value``).

    Region names contain commas and are quoted; the CSV parser keeps them whole.

    Args:
        path: Path to ``eurostat/regional_main_tables_2007_2018.csv.gz``.

    Returns:
        Columns ``region_code, region_name, nuts_level, year, variable, value``.

    Raises:
        DataSourceError: The file is missing, unreadable or lacks an expected column.
    """
    name = _source_name(path)
    raw = _read_text_table(path)
    _require_columns(raw, _MAIN_TABLE_COLUMNS, name)
    frame = pd.DataFrame(
        {
            "region_code": raw["geo"].str.strip(),
            "region_name": raw["name"].str.strip(),
            "nuts_level": _to_numbers(raw["nuts_level"], "nuts_level", name),
            "year": _to_numbers(raw["year"], "year", name),
            "variable": raw["variable"].str.strip(),
            "value": _to_numbers(raw["value"], "value", name),
        }
    )
    _require_complete(frame, ["nuts_level", "year"], name)
    return frame.astype({"nuts_level": "int64", "year": "int64"})


# ----------------------------------------------------------------------------- region codes

_AGGREGATE_PATTERN = r"^(?:EU|EA|EEA|EFTA)(?:\d|_|$)"
_NUTS_CODE_PATTERN = r"^[A-Z]{2}[A-Z0-9]{0,3}$"


def is_aggregate_region(region_codes: pd.Series) -> pd.Series:
    """True for codes that are not NUTS regions: EU28, EA19, EU27_2020, CN_X_HK and the like."""
    positions, distinct = pd.factorize(region_codes.astype("str").fillna(""))
    codes = pd.Series(distinct, dtype="str")
    is_nuts_shaped = codes.str.fullmatch(_NUTS_CODE_PATTERN).to_numpy(dtype=bool)
    is_union = codes.str.match(_AGGREGATE_PATTERN).to_numpy(dtype=bool)
    return pd.Series((is_union | ~is_nuts_shaped)[positions], index=region_codes.index)


def compute_nuts_level(region_codes: pd.Series) -> pd.Series:
    """NUTS level from the code length: 2 characters = 0 (country), 3 = 1, 4 = 2, 5 = 3."""
    return (region_codes.str.len() - 2).astype("int64")


# ----------------------------------------------------------------------------- live download


def build_api_url(dataset_code: str, file_format: str = "TSV") -> str:
    """The dissemination API URL that returns ``dataset_code`` gzipped, as TSV or SDMX-CSV.

    The base is ``paths.eurostat_api_url()`` (``OBSERVATORY_EUROSTAT_API``, default Eurostat).

    Raises:
        UnknownCodeError: The code is not shaped like a Eurostat dataset code.
    """
    if file_format not in API_FORMATS:
        raise unknown_code("Eurostat API format", file_format, API_FORMATS)
    code = str(dataset_code).strip().lower()
    if not _DATASET_CODE_PATTERN.fullmatch(code):
        raise UnknownCodeError(
            f"{dataset_code!r} is not a Eurostat dataset code (letters, digits and '_', "
            "e.g. 'nama_10r_2gdp'). Look the code up in the Eurostat data browser."
        )
    return f"{paths.eurostat_api_url()}/{code}?format={file_format}&compressed=true"


def _download(url: str, target: Path, session: requests.Session, timeout: float) -> dict:
    """Stream ``url`` into ``target``; returns the response headers."""
    try:
        with session.get(url, timeout=timeout, stream=True) as response:
            if response.status_code == 404:
                raise DataSourceError(
                    f"Eurostat has no dataset at {url} (HTTP 404). Check the dataset code."
                )
            response.raise_for_status()
            with target.open("wb") as handle:
                for chunk in response.iter_content(chunk_size=1 << 16):
                    handle.write(chunk)
            return dict(getattr(response, "headers", None) or {})
    except requests.RequestException as error:
        raise DataSourceError(
            f"Cannot download {url}: {error}. Check the network connection, or build from the "
            "local mirror (set OBSERVATORY_MIRROR) instead of updating from Eurostat."
        ) from error


def fetch_eurostat_tsv(
    dataset_code: str,
    dest_path: str | os.PathLike,
    *,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    session: requests.Session | None = None,
) -> Path:
    """Download a dataset from the Eurostat API as gzipped TSV and replace ``dest_path``.

    The download goes to a temporary file beside ``dest_path``; it replaces the old file only
    after ``read_eurostat_tsv`` has parsed it, so a broken download never overwrites good data.

    Args:
        dataset_code: Eurostat dataset code, e.g. ``nama_10r_2gdp``.
        dest_path: Where to keep the gzipped TSV.
        timeout: Seconds to wait for the server before giving up.
        session: A ``requests`` session (tests pass a fake one; default: a new session).

    Returns:
        ``dest_path`` as a ``Path``.

    Raises:
        DataSourceError: Offline, HTTP error, or the download is not a valid Eurostat TSV.
    """
    fetch_eurostat_release(dataset_code, dest_path, "TSV", timeout=timeout, session=session)
    return Path(dest_path)


def fetch_eurostat_release(
    dataset_code: str,
    dest_path: str | os.PathLike,
    file_format: str = "TSV",
    *,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    session: requests.Session | None = None,
) -> dict:
    """Download a dataset in ``file_format`` (TSV or SDMX-CSV, gzipped) into ``dest_path``.

    Atomic, like ``fetch_eurostat_tsv``: ``dest_path`` is replaced only by a download that
    ``read_eurostat_tsv`` parses. Returns the response headers (``Last-Modified`` may date the
    release).
    """
    url = build_api_url(dataset_code, file_format)
    destination = Path(dest_path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(destination) as temporary:
        headers = _download(url, temporary, session or requests.Session(), timeout)
        try:
            read_eurostat_tsv(temporary, dataset_code)
        except DataSourceError as error:
            raise UnreadableReleaseError(
                f"The download of {dataset_code} from {url} is not a usable Eurostat "
                f"{file_format} ({error}). The previous file was kept; try again later."
            ) from error
    return headers


# ----------------------------------------------------------------------------- flags


def combine_flags(*flags: pd.Series) -> pd.Series:
    """Union of the flag letters of aligned series, letters sorted (``'b'`` + ``'u'`` = ``'bu'``).

    Missing flags contribute nothing; the result is missing when no part has a flag. Used for
    derived values, whose flag must carry every flag of the cells they come from.
    """
    joined = functools.reduce(operator.add, (flag.astype("str").fillna("") for flag in flags))
    letters = {text: "".join(sorted(set(text))) for text in joined.unique()}
    return joined.map(letters).replace("", np.nan).astype("str")

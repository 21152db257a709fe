"""Regional context indicators, declared in ``data/context_indicators.yaml``.

The YAML names each indicator, its unit, its Eurostat dataset, the mirror file it comes from
and the selection (dimension filters, an order of preference, or a ratio of two selections).
``build_context_indicators`` turns those declarations into one long table; the store builder
then recodes the regions to NUTS 2016. ``build_lfs_sector_employment`` reads LFS employment by
broad NACE sector for section-level location quotients.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from observatory_lib import paths
from observatory_lib.data.eurostat import (
    combine_flags,
    compute_nuts_level,
    is_aggregate_region,
    read_eurito_extract,
    read_eurostat_tsv,
    read_regional_main_tables,
)
from observatory_lib.errors import (
    ConfigError,
    DataSourceError,
    ObservatoryError,
    UnknownCodeError,
    nearest,
)

SPEC_FILE_NAME = "context_indicators.yaml"
FILE_FORMATS = ("eurostat_tsv", "eurito_csv", "regional_main_tables")
CONTEXT_COLUMNS = [
    "region_code",
    "nuts_level",
    "indicator_code",
    "year",
    "value",
    "unit",
    "flag",
    "dataset_code",
]
CATALOG_COLUMNS = ["indicator_code", "label", "unit", "dataset_code", "source_code", "description"]

LFS_SECTOR_DATASET_CODE = "lfst_r_lfe2en2"
LFS_SECTOR_SOURCE_FILE = "eurostat/bulk_2016_2017/lfst_r_lfe2en2.tsv.gz"
# Y_GE15 is the widest age class of lfst_r_lfe2en2 (the file also has Y15-24, Y15-64, Y25-64,
# Y65-74); it matches the SBS notion of all persons employed.
LFS_SECTOR_SELECTION = {"unit": ("THS",), "age": ("Y_GE15",)}
# The dimensions of the LFS sector file besides geo (names after reading).
LFS_SECTOR_DIMENSIONS = ("unit", "nace_code", "age")
LFS_SECTOR_COLUMNS = [
    "region_code",
    "nuts_level",
    "nace_code",
    "year",
    "employment_ths",
    "flag",
    "dataset_code",
]

_KEYS = ["region_code", "year"]
_NON_DIMENSIONS = {"region_code", "year", "value", "flag", "dataset_code", "nuts_level"}
_REQUIRED_KEYS = {
    "indicator_code",
    "label",
    "unit",
    "dataset_code",
    "source_code",
    "source_file",
}
_OPTIONAL_KEYS = {
    "description",
    "select",
    "prefer",
    "unit_by_code",
    "numerator",
    "denominator",
    "scale",
}
_SELECTION_KEYS = ("select", "numerator", "denominator", "prefer")
_INDICATOR_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

Selection = Mapping[str, tuple[str, ...]]
ReadFile = Callable[[str], Path]


@dataclass(frozen=True)
class IndicatorSpec:
    """One context indicator as declared in ``data/context_indicators.yaml``.

    Attributes:
        indicator_code: snake_case id, e.g. ``gdp_pps_per_hab``.
        label: Short human-readable name.
        unit: Unit of ``value`` (conventions vocabulary, e.g. ``pct_gdp``).
        dataset_code: Eurostat dataset code, e.g. ``nama_10r_2gdp``.
        source_code: Id of the input in ``data/catalog.yaml``.
        source_file: Mirror-relative file name.
        file_format: Reader: ``eurostat_tsv``, ``eurito_csv`` or ``regional_main_tables``.
        description: One or two sentences for the catalog.
        select: Dimension -> codes every row must match.
        prefer: Dimension -> codes in order of preference; the first present is used.
        unit_by_code: With ``prefer`` on ``unit``: the ``unit`` column for each chosen code.
        numerator: For a ratio, the extra filter of the numerator.
        denominator: For a ratio, the extra filter of the denominator.
        scale: Factor applied to the value (100 for a percentage ratio).
    """

    indicator_code: str
    label: str
    unit: str
    dataset_code: str
    source_code: str
    source_file: str
    file_format: str
    description: str = ""
    select: Selection = field(default_factory=dict)
    prefer: Selection = field(default_factory=dict)
    unit_by_code: Mapping[str, str] = field(default_factory=dict)
    numerator: Selection | None = None
    denominator: Selection | None = None
    scale: float = 1.0

    @property
    def is_ratio(self) -> bool:
        """True when the value is ``numerator / denominator * scale``."""
        return self.numerator is not None


# ----------------------------------------------------------------------------- loading the YAML


def _read_yaml(path: Path) -> dict:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(
            f"Cannot read the indicator spec {path}: {error}. Restore data/{SPEC_FILE_NAME}."
        ) from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}. Fix the syntax.") from error
    if not isinstance(document, dict) or not isinstance(document.get("indicators"), list):
        raise ConfigError(
            f"{path} must be a mapping with a `datasets` mapping and an `indicators` list."
        )
    return document


def _parse_datasets(document: dict, path: Path) -> dict[str, dict]:
    datasets = document.get("datasets")
    if not isinstance(datasets, dict) or not datasets:
        raise ConfigError(f"{path}: `datasets` must map each dataset code to its format.")
    for code, entry in datasets.items():
        if not isinstance(entry, dict) or entry.get("format") not in FILE_FORMATS:
            raise ConfigError(
                f"{path}: dataset {code!r} needs `format` (one of {', '.join(FILE_FORMATS)})."
            )
        if not isinstance(entry.get("dimensions", []), list):
            raise ConfigError(f"{path}: dataset {code!r}: `dimensions` must be a list.")
    return datasets


def _parse_selection(value: object, where: str, key: str) -> dict[str, tuple[str, ...]]:
    """``{sex: T, age: [Y25-64, Y_GE15]}`` -> ``{'sex': ('T',), 'age': ('Y25-64', 'Y_GE15')}``."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `{key}` must map dimension names to codes.")
    selection = {}
    for dimension, codes in value.items():
        listed = codes if isinstance(codes, list) else [codes]
        # YAML reads unquoted NO, ON or YES as booleans: ask for quotes instead of guessing.
        if not listed or not all(
            isinstance(code, str | int) and not isinstance(code, bool) for code in listed
        ):
            raise ConfigError(
                f"{where}: `{key}.{dimension}` must be a code or a list of codes; quote codes "
                "that YAML reads as booleans or dates (e.g. 'NO')."
            )
        selection[str(dimension)] = tuple(str(code) for code in listed)
    return selection


def _check_keys(entry: dict, where: str) -> None:
    missing = sorted(_REQUIRED_KEYS - entry.keys())
    unknown = sorted(entry.keys() - _REQUIRED_KEYS - _OPTIONAL_KEYS)
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}. Add them.")
    if unknown:
        allowed = ", ".join(sorted(_REQUIRED_KEYS | _OPTIONAL_KEYS))
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}. Allowed keys: {allowed}.")
    if not _INDICATOR_CODE_PATTERN.fullmatch(str(entry["indicator_code"])):
        raise ConfigError(
            f"{where}: indicator_code {entry['indicator_code']!r} must be snake_case "
            "(lower-case letters, digits and '_')."
        )


def _check_dataset(entry: dict, datasets: dict, where: str) -> dict:
    code = str(entry["dataset_code"])
    if code not in datasets:
        close = nearest(code, datasets)
        hint = f" Nearest declared datasets: {', '.join(close)}." if close else ""
        raise ConfigError(
            f"{where}: unknown dataset_code {code!r}.{hint} Declare it under `datasets:` "
            "with its format and dimensions, or fix the code."
        )
    return datasets[code]


def _check_dimensions(selections: dict, dataset: dict, where: str) -> None:
    allowed = [str(dimension) for dimension in dataset.get("dimensions", [])]
    for key, selection in selections.items():
        for dimension in selection or {}:
            if dimension not in allowed:
                valid = ", ".join(allowed) or "none (the file holds one series)"
                raise ConfigError(
                    f"{where}: `{key}` filters on unknown dimension {dimension!r}; the "
                    f"dataset's dimensions are: {valid}."
                )


def _check_ratio_and_units(entry: dict, selections: dict, where: str) -> None:
    if ("numerator" in entry) != ("denominator" in entry):
        raise ConfigError(f"{where}: a ratio needs both `numerator` and `denominator`.")
    unit_by_code = entry.get("unit_by_code", {})
    if unit_by_code:
        preferred_units = set(selections.get("prefer", {}).get("unit", ()))
        if not isinstance(unit_by_code, dict) or not preferred_units <= set(unit_by_code):
            raise ConfigError(
                f"{where}: `unit_by_code` must give a unit for every code in `prefer.unit`."
            )
    if not isinstance(entry.get("scale", 1), int | float):
        raise ConfigError(f"{where}: `scale` must be a number, e.g. 100.")


def _parse_indicator(entry: object, position: int, datasets: dict, path: Path) -> IndicatorSpec:
    code = entry.get("indicator_code", "?") if isinstance(entry, dict) else "?"
    where = f"{path.name}, indicator #{position} ({code})"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each indicator must be a mapping of keys to values.")
    _check_keys(entry, where)
    dataset = _check_dataset(entry, datasets, where)
    selections = {
        key: _parse_selection(entry[key], where, key) for key in _SELECTION_KEYS if key in entry
    }
    _check_dimensions(selections, dataset, where)
    _check_ratio_and_units(entry, selections, where)
    return IndicatorSpec(
        indicator_code=str(entry["indicator_code"]),
        label=str(entry["label"]),
        unit=str(entry["unit"]),
        dataset_code=str(entry["dataset_code"]),
        source_code=str(entry["source_code"]),
        source_file=str(entry["source_file"]),
        file_format=dataset["format"],
        description=" ".join(str(entry.get("description", "")).split()),
        select=selections.get("select", {}),
        prefer=selections.get("prefer", {}),
        unit_by_code={str(k): str(v) for k, v in entry.get("unit_by_code", {}).items()},
        numerator=selections.get("numerator"),
        denominator=selections.get("denominator"),
        scale=float(entry.get("scale", 1)),
    )


def declared_datasets(path: str | Path | None = None) -> dict[str, dict]:
    """The ``datasets`` section: dataset code -> ``format`` and ``dimensions`` (checked)."""
    spec_path = Path(path) if path is not None else paths.DATA_DIR / SPEC_FILE_NAME
    return _parse_datasets(_read_yaml(spec_path), spec_path)


def load_context_spec(path: str | Path | None = None) -> list[IndicatorSpec]:
    """Load and validate the context indicator declarations.

    Args:
        path: The YAML file; default ``data/context_indicators.yaml``.

    Returns:
        One ``IndicatorSpec`` per declared indicator, in file order.

    Raises:
        ConfigError: The file is unreadable or an entry is malformed (missing or unknown key,
            unknown dataset, unknown selection dimension, duplicate indicator code); the
            message names the entry and the fix.
    """
    spec_path = Path(path) if path is not None else paths.DATA_DIR / SPEC_FILE_NAME
    document = _read_yaml(spec_path)
    datasets = _parse_datasets(document, spec_path)
    spec = [
        _parse_indicator(entry, position, datasets, spec_path)
        for position, entry in enumerate(document["indicators"], start=1)
    ]
    codes = pd.Series([indicator.indicator_code for indicator in spec], dtype="str")
    duplicated = sorted(set(codes[codes.duplicated()]))
    if duplicated:
        raise ConfigError(
            f"{spec_path.name}: indicator code(s) {', '.join(duplicated)} are declared twice. "
            "Give each indicator its own code."
        )
    return spec


# ----------------------------------------------------------------------------- building


def _read_source(
    path: Path, file_format: str, dataset_code: str, keep_codes: Selection | None = None
) -> pd.DataFrame:
    """Read one file into region_code, year, value, flag and its dimension columns."""
    if file_format == "eurostat_tsv":
        frame = read_eurostat_tsv(path, dataset_code, keep_codes=keep_codes)
        frame = frame.drop(columns="dataset_code")
    elif file_format == "eurito_csv":
        frame = read_eurito_extract(path).drop(columns="nuts_level").assign(flag=np.nan)
    else:
        frame = read_regional_main_tables(path).drop(columns=["region_name", "nuts_level"])
        frame = frame.assign(flag=np.nan)
    frame = frame.astype({"flag": "str"})
    return frame[~is_aggregate_region(frame["region_code"])]


def _filter(
    frame: pd.DataFrame,
    selection: Selection,
    where: str,
    error_type: type[ObservatoryError] = ConfigError,
) -> pd.DataFrame:
    """Keep the rows matching every dimension filter; unknown codes raise with suggestions."""
    keep = pd.Series(True, index=frame.index)
    for dimension, codes in selection.items():
        if dimension not in frame.columns:
            raise error_type(
                f"{where}: the file has no dimension {dimension!r} (it has: "
                f"{', '.join(sorted(set(frame.columns) - _NON_DIMENSIONS))})."
            )
        present = set(frame[dimension].unique())
        absent = [code for code in codes if code not in present]
        if absent:
            raise error_type(
                f"{where}: {dimension} {absent[0]!r} is not in the file; nearest codes "
                f"present: {', '.join(nearest(absent[0], present)) or ', '.join(sorted(present))}."
            )
        keep &= frame[dimension].isin(codes)
    return frame[keep]


def _apply_preference(frame: pd.DataFrame, indicator: IndicatorSpec) -> tuple[pd.DataFrame, str]:
    """Keep the first preferred code present per dimension; return the unit it implies."""
    unit = indicator.unit
    for dimension, codes in indicator.prefer.items():
        present = set(frame[dimension].unique())
        chosen = next((code for code in codes if code in present), None)
        if chosen is None:
            raise ConfigError(
                f"Indicator {indicator.indicator_code} ({SPEC_FILE_NAME}): none of "
                f"{dimension} {', '.join(codes)} is in {indicator.source_file}; codes present: "
                f"{', '.join(sorted(present))}. Add one of them to `prefer`."
            )
        frame = frame[frame[dimension] == chosen]
        if dimension == "unit" and chosen in indicator.unit_by_code:
            unit = indicator.unit_by_code[chosen]
    return frame, unit


def _check_one_row_per_region_year(frame: pd.DataFrame, where: str) -> None:
    if not frame.duplicated(_KEYS).any():
        return
    dimensions = [c for c in frame.columns if c not in _NON_DIMENSIONS]
    codes_by_dimension = {d: sorted(frame[d].dropna().unique()) for d in dimensions}
    varying = {d: codes for d, codes in codes_by_dimension.items() if len(codes) > 1}
    detail = "; ".join(f"{d} takes {', '.join(codes[:6])}" for d, codes in varying.items())
    raise ConfigError(
        f"{where}: the selection leaves several rows per region and year ({detail}). "
        "Fix those dimensions in `select` or `prefer`."
    )


def _compute_ratio(frame: pd.DataFrame, indicator: IndicatorSpec, where: str) -> pd.DataFrame:
    parts = []
    for name, selection in (
        ("numerator", indicator.numerator),
        ("denominator", indicator.denominator),
    ):
        part = _filter(frame, selection or {}, f"{where} `{name}`")
        _check_one_row_per_region_year(part, f"{where} `{name}`")
        parts.append(part[[*_KEYS, "value", "flag"]])
    # An outer join keeps region-years where one part is absent: the ratio is then missing.
    merged = parts[0].merge(
        parts[1], on=_KEYS, how="outer", suffixes=("_numerator", "_denominator")
    )
    ratio = merged["value_numerator"] / merged["value_denominator"] * indicator.scale
    return pd.DataFrame(
        {
            "region_code": merged["region_code"],
            "year": merged["year"],
            "value": ratio.where(np.isfinite(ratio)),
            "flag": combine_flags(merged["flag_numerator"], merged["flag_denominator"]),
        }
    )


def _build_indicator(frame: pd.DataFrame, indicator: IndicatorSpec) -> pd.DataFrame:
    where = f"Indicator {indicator.indicator_code} ({SPEC_FILE_NAME})"
    selected, unit = _apply_preference(_filter(frame, indicator.select, where), indicator)
    if indicator.is_ratio:
        values = _compute_ratio(selected, indicator, where)
    else:
        _check_one_row_per_region_year(selected, where)
        values = selected[[*_KEYS, "value", "flag"]]
        values = values.assign(value=values["value"] * indicator.scale)
    return values.assign(
        indicator_code=indicator.indicator_code, unit=unit, dataset_code=indicator.dataset_code
    )


def _codes_used_by(indicator: IndicatorSpec) -> dict[str, set[str]]:
    """Per dimension, every code the indicator may keep; dimensions it leaves free are absent."""
    numerator, denominator = indicator.numerator or {}, indicator.denominator or {}
    # A ratio dimension narrows the rows only when both parts filter on it.
    shared = numerator.keys() & denominator.keys()
    ratio = {d: (*numerator[d], *denominator[d]) for d in shared}
    used: dict[str, set[str]] = {}
    for selection in (indicator.select, indicator.prefer, ratio):
        for dimension, codes in selection.items():
            used.setdefault(dimension, set()).update(codes)
    return used


def _codes_used_by_all(indicators: list[IndicatorSpec]) -> dict[str, set[str]]:
    """The dimensions every indicator narrows, with the union of the codes they keep."""
    used = [_codes_used_by(indicator) for indicator in indicators]
    common = set.intersection(*(set(codes) for codes in used))
    return {dimension: set().union(*(codes[dimension] for codes in used)) for dimension in common}


def _build_from_one_file(path: Path, indicators: list[IndicatorSpec]) -> list[pd.DataFrame]:
    """Build the indicators that share one source file, reading only the rows they can use."""
    file_format, dataset_code = indicators[0].file_format, indicators[0].dataset_code
    keep_codes = _codes_used_by_all(indicators) if file_format == "eurostat_tsv" else None
    try:
        source = _read_source(path, file_format, dataset_code, keep_codes)
        return [_build_indicator(source, indicator) for indicator in indicators]
    except (ConfigError, UnknownCodeError):
        if not keep_codes:
            raise
    # The narrowed read hides the file's other codes; read it whole so that the error
    # lists the codes really present.
    source = _read_source(path, file_format, dataset_code)
    return [_build_indicator(source, indicator) for indicator in indicators]


def _keep_informative_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows with neither a value nor a flag: they say nothing that absence does not."""
    return frame[frame["value"].notna() | frame["flag"].notna()]


def build_context_indicators(spec: list[IndicatorSpec], read_file: ReadFile) -> pd.DataFrame:
    """Build the long table of context indicators from the declared sources.

    Each source file is read once, however many indicators use it, and a Eurostat TSV only
    for the rows some indicator can use. Aggregates (EU28, EA19, EU27_2020 ...) are dropped,
    and so are rows with neither a value nor a flag; a confidential cell (``: c``) stays as a
    missing value with its flag.

    Args:
        spec: Indicators from ``load_context_spec``.
        read_file: Maps a mirror-relative file name to a local path (the store builder passes
            its retrieval function; tests pass the ``mirror_file`` fixture).

    Returns:
        Columns ``region_code, nuts_level, indicator_code, year, value, unit, flag,
        dataset_code``, region codes as the sources give them (before NUTS recoding).

    Raises:
        ConfigError: A selection names codes absent from the file or leaves several rows per
            region and year.
        DataSourceError: A source file is missing or unreadable.
    """
    groups: dict[tuple[str, str], list[IndicatorSpec]] = {}
    for indicator in spec:
        groups.setdefault((indicator.source_file, indicator.file_format), []).append(indicator)
    frames = [
        frame
        for (source_file, _), indicators in groups.items()
        for frame in _build_from_one_file(read_file(source_file), indicators)
    ]
    if not frames:
        return pd.DataFrame(columns=CONTEXT_COLUMNS)
    table = _keep_informative_rows(pd.concat(frames, ignore_index=True))
    table = table.assign(nuts_level=compute_nuts_level(table["region_code"]))
    return (
        table[CONTEXT_COLUMNS]
        .astype({"year": "int64", "value": "float64", "flag": "str"})
        .sort_values(["indicator_code", "region_code", "year"], ignore_index=True)
    )


def build_indicator_catalog(spec: list[IndicatorSpec]) -> pd.DataFrame:
    """One row per indicator: code, label, unit, dataset and source codes, description."""
    rows = [
        {column: getattr(indicator, column) for column in CATALOG_COLUMNS} for indicator in spec
    ]
    return pd.DataFrame(rows, columns=CATALOG_COLUMNS).astype("str")


def build_lfs_sector_employment(
    read_file: ReadFile, source_file: str = LFS_SECTOR_SOURCE_FILE
) -> pd.DataFrame:
    """LFS employment (thousands, age 15+) by broad NACE sector, region and year.

    ``nace_code`` keeps Eurostat's sector groups as published (``A``, ``B-E``, ``F``, ``G-I``,
    ``J``, ``K``, ``L``, ``M_N``, ``O-Q``, ``R-U``), plus ``TOTAL`` and ``NRP`` (no response),
    so that shares can be computed against the published total.

    Args:
        read_file: Maps a mirror-relative file name to a local path.
        source_file: The ``lfst_r_lfe2en2`` TSV (mirror-relative).

    Returns:
        Columns ``region_code, nuts_level, nace_code, year, employment_ths, flag,
        dataset_code``; aggregates and rows with neither value nor flag are dropped.

    Raises:
        DataSourceError: The file is missing, unreadable or lacks unit THS / age Y_GE15.
    """
    frame = read_eurostat_tsv(read_file(source_file), LFS_SECTOR_DATASET_CODE)
    where = f"{source_file} (LFS employment by sector)"
    if "nace_code" not in frame.columns:
        raise DataSourceError(f"{where} has no nace_r2 dimension; is it lfst_r_lfe2en2?")
    selected = _filter(frame, LFS_SECTOR_SELECTION, where, error_type=DataSourceError)
    selected = _keep_informative_rows(selected[~is_aggregate_region(selected["region_code"])])
    return selected.assign(
        nuts_level=compute_nuts_level(selected["region_code"]),
        employment_ths=selected["value"],
    )[LFS_SECTOR_COLUMNS].reset_index(drop=True)


def mirror_files_used(spec: list[IndicatorSpec]) -> list[str]:
    """Every mirror-relative file the context build reads (indicators and LFS sectors)."""
    return sorted({indicator.source_file for indicator in spec} | {LFS_SECTOR_SOURCE_FILE})

"""Cluster categories and emerging industries defined by NACE Rev. 2 classes.

The European Cluster Observatory defines 47 traded cluster categories (each NACE class in exactly
one) and 10 emerging industries (which overlap) by 4-digit NACE classes. Regional SBS data exist
only for divisions (``C10``), so ``build_division_allocation`` spreads each division over its
classes; see its docstring for the approximation that implies.

Display names and stable slugs come from the project-owned table
``data/reference/cluster_category_names.csv``; the NACE Rev. 2 class list from
``data/reference/nace_rev2_classes.csv`` (both described in ``data/reference/README.md``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from observatory_lib import paths
from observatory_lib.errors import DataSourceError, unknown_code

REFERENCE_DIR = paths.REFERENCE_DIR
NAMES_FILE = REFERENCE_DIR / "cluster_category_names.csv"
NACE_CLASSES_FILE = REFERENCE_DIR / "nace_rev2_classes.csv"

CATEGORY_TYPES = ("traded", "emerging")
SOURCE_COLUMNS = ("cluster_type", "cluster", "nace_class", "nace_division", "nace_section")
NAMES_COLUMNS = ("source_name", "category_type", "category_code", "category_name")
NACE_COLUMNS = ("nace_class", "nace_division", "nace_section", "title")
DEFINITION_COLUMNS = [
    "category_code",
    "category_type",
    "category_name",
    "source_name",
    "nace_class",
    "nace_division",
    "nace_section",
    "nace_code",
]
ALLOCATION_COLUMNS = [
    "category_code",
    "category_type",
    "nace_class",
    "nace_code",
    "allocation_share",
]
CATEGORY_COLUMNS = [
    "category_code",
    "category_name",
    "category_type",
    "source_name",
    "n_nace_classes",
    "n_nace_classes_in_sbs_scope",
]
# Regional SBS covers sections B-N without K, plus division 95 of section S.
SBS_SCOPE = ("B", "C", "D", "E", "F", "G", "H", "I", "J", "L", "M", "N", "S95")

NACE_CLASS = r"\d{2}\.\d{2}"
NACE_FORMAT_HINT = (
    "A NACE Rev. 2 code is a section letter (C), a division (10 or C10), a group (10.1, 101 or "
    "C101) or a class (10.11, 1011 or C1011)."
)
# section letter (optional), division, then group digit and class digit (both optional)
NACE_QUERY = re.compile(r"(?P<section>[A-U])?(?P<division>\d{2})?\.?(?P<group>\d)?(?P<cls>\d)?")


def _read_csv(path: str | Path, what: str, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as error:
        raise DataSourceError(
            f"Cannot read the {what} {path} ({error}). Fix: restore the file or pass its path."
        ) from error
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataSourceError(
            f"The {what} {path} lacks the columns {missing}. Fix: use the file described in "
            "data/reference/README.md or data/catalog.yaml."
        )
    return frame[list(columns)].apply(lambda column: column.str.strip())


def read_nace_classes(path: str | Path | None = None) -> pd.DataFrame:
    """Read the NACE Rev. 2 class list (default ``data/reference/nace_rev2_classes.csv``).

    Returns:
        ``nace_class`` (``10.11``), ``nace_division`` (``10``), ``nace_section`` (``C``),
        ``title``: the 615 classes of NACE Rev. 2.
    """
    classes = _read_csv(path or NACE_CLASSES_FILE, "NACE Rev. 2 class list", NACE_COLUMNS)
    malformed = classes.loc[~classes["nace_class"].str.fullmatch(NACE_CLASS), "nace_class"]
    if not malformed.empty or classes["nace_class"].duplicated().any():
        raise DataSourceError(
            f"The NACE class list {path or NACE_CLASSES_FILE} has malformed or repeated classes "
            f"({malformed.head(5).tolist()}). Fix: classes look like 10.11, one row each."
        )
    return classes


def read_category_names(path: str | Path | None = None) -> pd.DataFrame:
    """Read the display names and slugs of the categories (``cluster_category_names.csv``)."""
    names = _read_csv(path or NAMES_FILE, "cluster category names table", NAMES_COLUMNS)
    repeated = names.loc[names["category_code"].duplicated(), "category_code"].tolist()
    repeated += names.loc[
        names[["source_name", "category_type"]].duplicated(), "source_name"
    ].tolist()
    if repeated:
        raise DataSourceError(
            f"The category names table {path or NAMES_FILE} repeats {repeated}. Fix: give every "
            "source name one row and every category a unique category_code."
        )
    return names


def _read_definition_file(path: str | Path, category_type: str) -> pd.DataFrame:
    source = _read_csv(path, f"{category_type} cluster definition file", SOURCE_COLUMNS)
    other_types = sorted(set(source["cluster_type"]) - {category_type})
    if other_types:
        raise DataSourceError(
            f"{path} holds cluster_type {other_types}, expected only {category_type!r}. Fix: pass "
            "the traded file first and the emerging file second."
        )
    malformed = source.loc[~source["nace_class"].str.fullmatch(NACE_CLASS), "nace_class"]
    if not malformed.empty:
        raise DataSourceError(
            f"{path} has NACE classes that are not of the form 10.11: {malformed.head(5).tolist()}."
            " Fix: restore leading zeros (0510 -> 05.10)."
        )
    return source.rename(columns={"cluster_type": "category_type", "cluster": "source_name"})


def _attach_names(source: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    named = source.merge(names, on=["source_name", "category_type"], how="left")
    unnamed = named.loc[named["category_code"].isna(), ["category_type", "source_name"]]
    if not unnamed.empty:
        pairs = unnamed.drop_duplicates().itertuples(index=False)
        listed = "; ".join(f"{kind}: {name!r}" for kind, name in pairs)
        raise DataSourceError(
            f"No display name for the source categories {listed}. Fix: add a row for each to "
            f"{NAMES_FILE}."
        )
    return named


def load_cluster_definitions(
    traded_path: str | Path, emerging_path: str | Path, names_path: str | Path | None = None
) -> pd.DataFrame:
    """Load the traded categories and emerging industries with clean names, one row per class.

    Args:
        traded_path: ``eco_traded_cluster_categories_nace4.csv``.
        emerging_path: ``eco_emerging_industries_nace4.csv``.
        names_path: the names table; default ``data/reference/cluster_category_names.csv``.

    Returns:
        ``category_code, category_type, category_name, source_name, nace_class, nace_division,
        nace_section, nace_code`` where ``nace_code`` is the division as Eurostat SBS writes it
        (``C10``).
    """
    source = pd.concat(
        [
            _read_definition_file(traded_path, "traded"),
            _read_definition_file(emerging_path, "emerging"),
        ],
        ignore_index=True,
    )
    named = _attach_names(source, read_category_names(names_path))
    definitions = named.assign(
        nace_division=named["nace_class"].str[:2],
        nace_code=named["nace_section"] + named["nace_class"].str[:2],
    )
    definitions = definitions[DEFINITION_COLUMNS].drop_duplicates()
    order = ["category_type", "category_code", "nace_class"]
    return definitions.sort_values(order, ascending=[False, True, True]).reset_index(drop=True)


def _check_sections(definitions: pd.DataFrame, nace_classes: pd.DataFrame) -> None:
    official = definitions["nace_class"].map(nace_classes.set_index("nace_class")["nace_section"])
    wrong = definitions.loc[official.ne(definitions["nace_section"]), "nace_class"]
    if not wrong.empty:
        raise DataSourceError(
            f"The cluster definitions put classes {sorted(set(wrong))[:10]} in the wrong NACE "
            "section. Fix: correct their nace_section in the definition file."
        )


def build_division_allocation(
    definitions: pd.DataFrame, nace_classes: pd.DataFrame
) -> pd.DataFrame:
    """Share of each division's employment that each category's class receives.

    Regional SBS publishes employment by NACE division, but the categories are defined by
    classes. Each division's employment is split equally among all its NACE Rev. 2 classes
    (``allocation_share = 1 / number of classes in the division``), in the spirit of the
    original observatory's equal-split imputation. This is an approximation: division-level
    data stand in for class-level definitions, so a category holding one of a division's five
    classes gets a fifth of that division whatever the real class sizes are. Products built on
    it carry ``is_derived_by_allocation``.

    Args:
        definitions: the output of ``load_cluster_definitions``.
        nace_classes: the output of ``read_nace_classes``.

    Returns:
        ``category_code, category_type, nace_class, nace_code, allocation_share`` (the store's
        ``cluster_nace_classes`` table; ``nace_code`` is the division, e.g. ``C10``).
    """
    unknown = sorted(set(definitions["nace_class"]) - set(nace_classes["nace_class"]))
    if unknown:
        raise DataSourceError(
            f"The cluster definitions use classes missing from NACE Rev. 2: {unknown[:10]}. Fix: "
            "correct the definitions or the NACE class list."
        )
    _check_sections(definitions, nace_classes)
    per_division = nace_classes.groupby("nace_division")["nace_class"].nunique()
    counts = definitions["nace_division"].map(per_division)
    allocation = definitions.assign(allocation_share=1.0 / counts)
    return allocation[ALLOCATION_COLUMNS].reset_index(drop=True)


def build_category_table(
    definitions: pd.DataFrame, sbs_scope: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The store's ``cluster_categories`` table: one row per category.

    Args:
        definitions: the output of ``load_cluster_definitions``.
        sbs_scope: sections (``C``) and divisions (``S95``) that regional SBS covers; default
            sections B-N without K, plus division 95.

    Returns:
        ``category_code, category_name, category_type, source_name, n_nace_classes,
        n_nace_classes_in_sbs_scope``.
    """
    scope = set(sbs_scope or SBS_SCOPE)
    in_scope = definitions["nace_section"].isin(scope) | definitions["nace_code"].isin(scope)
    keys = ["category_code", "category_name", "category_type", "source_name"]
    table = (
        definitions.assign(in_scope=in_scope)
        .groupby(keys, sort=False)
        .agg(
            n_nace_classes=("nace_class", "nunique"),
            n_nace_classes_in_sbs_scope=("in_scope", "sum"),
        )
        .reset_index()
    )
    return table.astype({"n_nace_classes_in_sbs_scope": "int64"})[CATEGORY_COLUMNS]


def _parse_nace_query(code: str) -> dict[str, str | None] | None:
    text = re.sub(r"\s+", "", str(code)).upper()
    match = NACE_QUERY.fullmatch(text)
    if match is None or not (match["section"] or match["division"]):
        return None
    if match["division"] is None and match["group"] is not None:
        return None
    return match.groupdict()


def _nace_mask(query: dict[str, str | None], definitions: pd.DataFrame) -> pd.Series:
    """The definition rows within the queried section, division, group or class."""
    mask = pd.Series(True, index=definitions.index)
    if query["section"]:
        mask &= definitions["nace_section"].eq(query["section"])
    return mask & _class_digits(definitions).str.startswith(_query_digits(query))


def _class_digits(definitions: pd.DataFrame) -> pd.Series:
    return definitions["nace_class"].str.replace(".", "", regex=False)


def _query_digits(query: dict[str, str | None]) -> str:
    return "".join(part for part in (query["division"], query["group"], query["cls"]) if part)


def _nace_suggestions(query: dict[str, str | None], definitions: pd.DataFrame) -> pd.Series:
    """Codes the definitions use at the query's level, from the same division when there are any."""
    digits = _query_digits(query)
    classes = definitions["nace_class"]
    by_length = {0: definitions["nace_section"], 2: definitions["nace_code"], 3: classes.str[:4]}
    level_codes = by_length.get(len(digits), classes)
    same_division = _class_digits(definitions).str.startswith(digits[:2]) if digits else None
    if same_division is not None and same_division.any():
        return level_codes[same_division]
    return level_codes


def categories_for_nace(code: str, definitions: pd.DataFrame) -> pd.DataFrame:
    """The categories containing a NACE code: a section, division, group or class.

    Accepts ``30.30``, ``3030``, ``C3030``, ``30.3``, ``C30``, ``30`` or ``C``.

    Returns:
        ``category_code, category_type, category_name, nace_class`` rows of ``definitions``
        within that code.

    Raises:
        UnknownCodeError: the code is malformed or no category uses it; lists the nearest codes
            the definitions do use.
    """
    query = _parse_nace_query(code)
    if query is None:
        raise unknown_code("NACE", str(code), definitions["nace_class"], hint=NACE_FORMAT_HINT)
    mask = _nace_mask(query, definitions)
    if not mask.any():
        raise unknown_code(
            "NACE",
            str(code).strip(),
            _nace_suggestions(query, definitions),
            hint="No traded category or emerging industry contains it.",
        )
    columns = ["category_code", "category_type", "category_name", "nace_class"]
    return definitions.loc[mask, columns].reset_index(drop=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower().replace("&", " and ")).strip("-")


def nace_for_category(category_code: str, definitions: pd.DataFrame) -> pd.DataFrame:
    """The NACE classes of one category, given its slug or display name (``Medical Devices``).

    Returns:
        ``nace_class, nace_code, nace_division, nace_section`` of that category, sorted.

    Raises:
        UnknownCodeError: listing the nearest category codes.
    """
    wanted = _slug(category_code)
    rows = definitions[definitions["category_code"].eq(wanted)]
    if rows.empty:
        raise unknown_code("cluster category", str(category_code), definitions["category_code"])
    columns = ["nace_class", "nace_code", "nace_division", "nace_section"]
    return rows[columns].sort_values("nace_class").reset_index(drop=True)

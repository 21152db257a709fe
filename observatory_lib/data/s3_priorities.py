"""Regional smart specialisation (S3) priorities: the input format and the Czech RIS3 loader.

**The input format** (``S3_COLUMNS``; a CSV file in UTF-8 with a header row, one row per
priority), for bringing in any region's S3 priorities, e.g. from an Eye@RIS3 export:

=================  =======================================================================
``region_code``    NUTS 2016 code of the region whose strategy it is (NUTS 2 or NUTS 3; a
                   NUTS-3 region is compared with the statistics of its NUTS-2 region)
``priority_id``    an identifier, unique within the region (e.g. ``JHM-1``)
``priority_name``  the priority as the strategy names it (any language)
``nace_divisions`` NACE Rev. 2 divisions it covers, two digits, separated by ``;`` (``28;29``)
``category_codes`` cluster categories it covers (slugs such as ``automotive``), ``;``-separated
``source``         where the priority comes from (document, page, export)
=================  =======================================================================

``nace_divisions`` or ``category_codes`` may be empty (the priority is then listed but cannot
be matched to the statistics). Every problem is reported with its line and the fix (nearest
valid region, division or category codes).

**The first real instance** is the Czech national RIS3 strategy's regional domains (NRIS3 v08,
Annex 2, 2025; 14 kraje, NUTS 3, with CZ-NACE divisions), read from the data mirror's original
JSON files (``policy/s3_czechia/``; catalog ids ``s3_czechia_domains`` and
``s3_czechia_regions``) and turned into this format by ``read_czech_ris3``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.data import retrieval
from observatory_lib.data.cluster_definitions import read_nace_classes
from observatory_lib.data.nuts import check_region_code
from observatory_lib.errors import DataSourceError, UnknownCodeError, unknown_code

S3_COLUMNS = [
    "region_code",
    "priority_id",
    "priority_name",
    "nace_divisions",
    "category_codes",
    "source",
]
# What the reader adds: the NUTS-2 region whose statistics a priority is compared with.
S3_TABLE_COLUMNS = [*S3_COLUMNS, "nuts2_code"]
CZECH_SOURCE = (
    "MPO, Národní RIS3 strategie, Příloha 2 (v08, 2025); extracted by kristyne/ris3-mapa-cr"
)
CZECHIA = "czechia"  # the source name of the Czech RIS3 domains
CZECH_DOMAINS_ID = "s3_czechia_domains"
CZECH_REGIONS_ID = "s3_czechia_regions"
_DIVISION = re.compile(r"^\d{2}$")


def load_s3_priorities(
    source: str | Path, regions: pd.DataFrame, categories: Iterable[str]
) -> tuple[pd.DataFrame, list[str]]:
    """S3 priorities from ``"czechia"`` (the Czech RIS3 domains, fetched from the mirror or
    upstream) or from a CSV file in the input format, validated, with their NUTS-2 regions.

    Returns:
        ``(priorities, notes)``: ``S3_TABLE_COLUMNS`` and what the loader left out.

    Raises:
        DataSourceError: unreadable or invalid input (each bad line named with its fix).
    """
    divisions = sorted(read_nace_classes()["nace_division"].astype(str).unique())
    if str(source) != CZECHIA:
        return read_s3_priorities(source, regions, divisions=divisions, categories=categories), []
    frame, notes = read_czech_ris3(
        retrieval.fetch(CZECH_DOMAINS_ID), retrieval.fetch(CZECH_REGIONS_ID), divisions=divisions
    )
    checked = validate_s3_priorities(
        frame, regions, divisions=divisions, categories=categories, where=CZECHIA
    )
    return checked, notes


def read_s3_priorities(
    path: str | Path,
    regions: pd.DataFrame,
    *,
    divisions: Iterable[str],
    categories: Iterable[str],
) -> pd.DataFrame:
    """Read and validate a file in the S3 input format.

    Args:
        path: the CSV file.
        regions: the store's ``regions`` table (NUTS 2016 codes and parents).
        divisions: the valid NACE Rev. 2 divisions (two digits).
        categories: the valid category slugs.

    Returns:
        ``S3_TABLE_COLUMNS``: the rows with normalised codes and the NUTS-2 region of each.

    Raises:
        DataSourceError: unreadable file, missing columns, or bad rows (one line per problem,
            with the file, the line and the fix).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise DataSourceError(
            f"Cannot read the S3 priorities {path}: {error}. Fix: save it as a UTF-8 CSV file "
            f"with the columns {', '.join(S3_COLUMNS)}."
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in S3_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise DataSourceError(
            f"{path}, line 1: the columns {', '.join(missing)} are missing. Fix: use the header "
            f"{','.join(S3_COLUMNS)} (docs/CONVENTIONS.md, 'S3 priorities')."
        )
    rows = [{column: (row.get(column) or "").strip() for column in S3_COLUMNS} for row in reader]
    return validate_s3_priorities(
        pd.DataFrame(rows, columns=S3_COLUMNS),
        regions,
        divisions=divisions,
        categories=categories,
        where=str(path),
    )


def validate_s3_priorities(
    frame: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    divisions: Iterable[str],
    categories: Iterable[str],
    where: str,
) -> pd.DataFrame:
    """Check S3 rows (line ``n + 2`` of a file for row ``n``) and add their NUTS-2 region.

    Raises:
        DataSourceError: one line per bad row, naming the line, the value and the fix.
    """
    valid_divisions = sorted({str(d).zfill(2) for d in divisions})
    valid_categories = sorted(set(categories))
    parents = _parents(regions)
    problems, nuts2 = [], []
    seen: dict[tuple[str, str], int] = {}
    for position, row in enumerate(frame.itertuples(index=False)):
        line = f"{where}, line {position + 2}"
        nuts2.append(_nuts2_of(row.region_code, regions, parents, line, problems))
        key = (row.region_code, row.priority_id)
        if not row.priority_id or not row.priority_name:
            problems.append(f"{line}: priority_id and priority_name are required. Fix: fill both.")
        elif key in seen:
            problems.append(
                f"{line}: priority {row.priority_id!r} of {row.region_code} is listed again "
                f"(first on line {seen[key]}). Fix: give each priority its own id."
            )
        seen.setdefault(key, position + 2)
        problems += _bad_items(row.nace_divisions, valid_divisions, "NACE division", line)
        problems += _bad_items(row.category_codes, valid_categories, "category", line)
    if problems:
        raise DataSourceError(
            f"The S3 priorities {where} have {len(problems)} problem(s):\n" + "\n".join(problems)
        )
    return frame.assign(
        region_code=frame["region_code"].str.upper(),
        nace_divisions=frame["nace_divisions"].map(_normalised_divisions),
        nuts2_code=nuts2,
    ).astype("str")[S3_TABLE_COLUMNS]


def _parents(regions: pd.DataFrame) -> pd.Series:
    chosen = regions.loc[regions["nuts_edition"] == STATISTICS_EDITION]
    return chosen.drop_duplicates("region_code").set_index("region_code")["parent_code"]


def _nuts2_of(code: str, regions, parents: pd.Series, line: str, problems: list[str]) -> str:
    try:
        normalised = check_region_code(code, regions, edition=STATISTICS_EDITION)
    except UnknownCodeError as error:
        problems.append(f"{line}: {error} Fix: use the NUTS {STATISTICS_EDITION} code.")
        return ""
    if len(normalised) == 4:
        return normalised
    if len(normalised) == 5:
        return str(parents.get(normalised, normalised[:4]))
    problems.append(
        f"{line}: {normalised} is a NUTS-{len(normalised) - 2} code; S3 priorities belong to "
        "NUTS-2 or NUTS-3 regions. Fix: list the priority under each region it covers."
    )
    return ""


def _split(text: str) -> list[str]:
    return [item.strip() for item in str(text).replace(",", ";").split(";") if item.strip()]


def _normalised_divisions(text: str) -> str:
    return ";".join(item.zfill(2) for item in _split(text))


def _bad_items(text: str, valid: list[str], kind: str, line: str) -> list[str]:
    problems = []
    for item in _split(text):
        value = item.zfill(2) if kind == "NACE division" and item.isdigit() else item
        if kind == "NACE division" and not _DIVISION.fullmatch(value):
            problems.append(
                f"{line}: {item!r} is not a NACE division. Fix: write two digits, e.g. 28;29."
            )
        elif value not in valid:
            error = unknown_code(kind, value, valid)
            problems.append(f"{line}: {error} Fix: correct the code.")
    return problems


# --- the Czech regional RIS3 domains -------------------------------------------------------------


def read_czech_ris3(
    domains_file: str | Path, regions_file: str | Path, *, divisions: Iterable[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The Czech regional RIS3 domains in the S3 input format (``S3_COLUMNS``).

    Args:
        domains_file: ``domeny_plne_texty.json`` (``{kraj name: {"0": {nazev, nace, ...}}}``).
        regions_file: ``kraje_kodovnik.json`` (the 14 kraje with their NUTS-3 codes).
        divisions: the NACE Rev. 2 divisions; a code of the source that is none of them (the
            source's parser read "34" once, a NACE Rev. 1.1 division) is left out and noted.

    Returns:
        One row per domain: the kraj's NUTS-3 code, ``<abbreviation>-<n>`` (n from 1 in the
        order of the source), the domain name (Czech, as published), the CZ-NACE divisions
        (which equal NACE Rev. 2 at two digits) in the source's order, no categories, and the
        citation; and the notes on what was left out.

    Raises:
        DataSourceError: the files do not have the expected shape, or a domain's kraj is
            missing from the code list.
    """
    try:
        domains = json.loads(Path(domains_file).read_text(encoding="utf-8"))
        kraje = json.loads(Path(regions_file).read_text(encoding="utf-8"))["kraje"]
        codes = {entry["nazev"]: (entry["kod_nuts"], entry["zkratka"]) for entry in kraje}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataSourceError(
            f"The Czech RIS3 files {domains_file}, {regions_file} do not have the expected "
            f"shape ({type(error).__name__}: {error}). Fix: restore them from the data mirror "
            "(policy/s3_czechia/)."
        ) from None
    valid = {str(d).zfill(2) for d in divisions}
    rows, notes = [], []
    for name, entries in domains.items():
        if name not in codes:
            raise unknown_code("Czech region (kraj)", name, codes, hint=f"See {regions_file}.")
        nuts3, abbreviation = codes[name]
        for key in sorted(entries, key=int):
            domain = entries[key]
            priority_id = f"{abbreviation}-{int(key) + 1}"
            listed = [str(d).zfill(2) for d in domain.get("nace") or []]
            kept = [d for d in listed if d in valid]
            notes += [
                f"{priority_id} ({name}) lists CZ-NACE {d}, which is no NACE Rev. 2 division: "
                "left out." for d in listed if d not in valid
            ]  # fmt: skip
            rows.append(
                {
                    "region_code": nuts3,
                    "priority_id": priority_id,
                    "priority_name": " ".join(str(domain.get("nazev", "")).split()),
                    "nace_divisions": ";".join(kept),
                    "category_codes": "",
                    "source": CZECH_SOURCE,
                }
            )
    return pd.DataFrame(rows, columns=S3_COLUMNS).astype("str"), notes

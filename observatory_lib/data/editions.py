"""NUTS editions from the official crosswalks: where each source code's data go.

The statistics come in NUTS 2013 codes (with some NUTS 2010 codes in early years) and in NUTS
2016 codes, and the live build's current releases in NUTS 2021 or 2024 codes; they are shown in
one edition (``constants.STATISTICS_EDITION``: 2013, 2016 or 2021). The JRC NUTS converter
matrices (``nuts/crosswalks/n2_cm_v<from>_v<to>.csv``) give, for every pair of regions of two
editions, the 2011 population (``pop11``) and area of their intersection. From them
``classify_crosswalk`` derives one row per source code and target code:

* ``same`` / ``recode``: the region keeps (nearly) all of its population in one region of the
  other edition, which takes (nearly) all of its population from it: a 1:1 mapping, under the
  same code or a new one. "Nearly" is ``UNCHANGED_SHARE`` (99 %): the matrices intersect two
  polygon layers and hold small **slivers** where nothing changed (ITH3 -> ITH4, 1,307
  inhabitants); a sliver below ``SLIVER_SHARE`` of the source's population is ignored and named
  in ``recode_note``.
* ``apportioned``: a split (HU10 -> HU11, HU12), a merge or a boundary change (IE01/IE02 ->
  IE04/IE05/IE06, UKM2/UKM3 -> UKM7/UKM8/UKM9): counts (persons, euro, local units) are shared
  out by the population weight ``recode_weight`` and summed in the target, and every such row
  is flagged. Rates and ratios cannot be apportioned: ``recode_statistics`` leaves them out,
  or, recoding a newer edition to an older one, averages them by population.
* ``extra-regio``: ``xxZ``/``xxZZ`` codes, kept under their own code (no territory).
* ``left out``: codes with no counterpart (a NUTS 2010 code whose region changed, a target code
  that is no region of the edition, a code the matrices do not cover), with the reason.

Levels 0 and 1 come from the NUTS 2 matrices by grouping codes on their prefix (a NUTS 2
region lies in exactly one NUTS 1 region in both editions, so the intersections add up).
NUTS 3 has no crosswalk here: a code valid in both editions is ``same``, others are left out.

NUTS 2010 codes are recoded where the change to 2013 was a rename
(``data/reference/nuts2010_codes.csv``) and otherwise left out with the reason. Applying the
table to statistics is ``observatory_lib.data.recoding``. Checks of the
known pitfalls (UKN0 -> UKN1, a code that is no NUTS 2016 region; SI03/SI04 already in NUTS
2013) are in ``tests/unit/test_editions.py`` and ``tests/integration/test_editions_mirror.py``.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from observatory_lib import paths
from observatory_lib.errors import DataSourceError, UnknownCodeError, unknown_code

NUTS2010 = 2010
CROSSWALK_STEPS = ((2013, 2016), (2016, 2021), (2021, 2024))
# The editions on the crosswalk line, in order: a mapping walks along it step by step (a
# NUTS 2024 release reaches NUTS 2016 through 2021, each JRC matrix read in reverse).
EDITION_LINE = (2013, 2016, 2021, 2024)
WEIGHT_BASIS = "pop11"
UNCHANGED_SHARE = 0.99
SLIVER_SHARE = 1 - UNCHANGED_SHARE
MAPPED_LEVELS = (0, 1, 2)

SAME, RECODE, APPORTIONED = "same", "recode", "apportioned"
EXTRA_REGIO, LEFT_OUT = "extra-regio", "left out"
RELATIONS = (SAME, RECODE, APPORTIONED, EXTRA_REGIO, LEFT_OUT)
# Relations whose data keep their value unchanged in the target (one source, weight 1).
DIRECT = (SAME, RECODE, EXTRA_REGIO)

MAPPING_COLUMNS = [
    "region_code_source",
    "nuts_edition_source",
    "region_code",
    "nuts_edition",
    "nuts_level",
    "recode_relation",
    "recode_weight",
    "recode_note",
]
NUTS2010_FILE = paths.REFERENCE_DIR / "nuts2010_codes.csv"
NUTS2010_COLUMNS = ("code_2010", "name_2010", "code_2013", "relation", "note")
MATRIX_COLUMNS = ["code_from", "code_to", "population", "area_km2"]

EXTRA_REGIO_PATTERN = r"[A-Z]{2}Z{1,3}"
AGGREGATE_PATTERN = r"(?:EU|EA|EEA|EFTA)\d.*|.*_.*"
_CODE_SHAPE = re.compile(r"[A-Z]{2}[A-Z0-9]{0,3}")


# --- reading ------------------------------------------------------------------------------------


def read_crosswalk_matrix(path: str | Path, from_edition: int, to_edition: int) -> pd.DataFrame:
    """Read one JRC NUTS converter matrix (``n2_cm_v2013_v2016.csv`` and the like).

    Returns:
        ``code_from, code_to, population, area_km2``: one row per intersecting pair; the
        population is ``pop11`` (2011 residents in the intersection).

    Raises:
        DataSourceError: the file is missing or unreadable, lacks a column, or has a blank
            code or a non-numeric weight (the line is named).
    """
    source, target = f"code_v{from_edition}", f"code_v{to_edition}"
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataSourceError(
            f"Cannot read the NUTS converter matrix {path} ({error}). Fix: fetch "
            f"nuts/crosswalks/{Path(path).name} again (observatory data fetch)."
        ) from error
    missing = [c for c in (source, target, WEIGHT_BASIS, "areaKm") if c not in raw.columns]
    if missing:
        raise DataSourceError(
            f"The NUTS converter matrix {path} lacks the columns {missing} (has "
            f"{list(raw.columns)}). Fix: use the JRC matrix for NUTS {from_edition} -> "
            f"{to_edition} named in data/catalog.yaml."
        )
    frame = pd.DataFrame(
        {
            "code_from": raw[source].str.strip().str.upper(),
            "code_to": raw[target].str.strip().str.upper(),
            "population": pd.to_numeric(raw[WEIGHT_BASIS].str.strip(), errors="coerce"),
            "area_km2": pd.to_numeric(raw["areaKm"].str.strip(), errors="coerce"),
        }
    )
    bad = frame["code_from"].eq("") | frame["code_to"].eq("") | frame["population"].isna()
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # line 1 is the header
        raise DataSourceError(
            f"{path}, line {line}: a blank region code or a non-numeric {WEIGHT_BASIS}. Fix: "
            "restore the original JRC file."
        )
    return frame


def read_nuts2010_codes(path: str | Path | None = None) -> pd.DataFrame:
    """Read ``data/reference/nuts2010_codes.csv`` (NUTS 2010 codes and what became of them).

    Raises:
        DataSourceError: unreadable, a column or relation is wrong, or a rename lacks its code.
    """
    path = Path(path or NUTS2010_FILE)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as error:
        raise DataSourceError(f"Cannot read {path} ({error}). Fix: restore the file.") from error
    missing = [c for c in NUTS2010_COLUMNS if c not in table.columns]
    if missing:
        raise DataSourceError(f"{path} lacks the columns {missing}. Fix: restore the file.")
    table = table.apply(lambda column: column.str.strip())
    wrong = ~table["relation"].isin(["rename", LEFT_OUT]) | (
        table["relation"].eq("rename") & table["code_2013"].eq("")
    )
    if wrong.any():
        line = int(np.flatnonzero(wrong.to_numpy())[0]) + 2
        raise DataSourceError(
            f"{path}, line {line}: the relation must be 'rename' (with code_2013) or "
            f"'{LEFT_OUT}'. Fix: correct that line."
        )
    return table


# --- classifying one matrix -----------------------------------------------------------------


def aggregate_matrix(matrix: pd.DataFrame, level: int) -> pd.DataFrame:
    """The matrix of NUTS ``level`` (0 or 1) from a NUTS 2 matrix: codes cut to their prefix."""
    if level >= 2:
        return matrix
    length = 2 + level
    cut = matrix.assign(
        code_from=matrix["code_from"].str[:length], code_to=matrix["code_to"].str[:length]
    )
    return cut.groupby(["code_from", "code_to"], as_index=False, sort=True)[
        ["population", "area_km2"]
    ].sum()


def classify_crosswalk(
    matrix: pd.DataFrame,
    valid_from: Iterable[str],
    valid_to: Iterable[str],
    *,
    from_edition: int,
    to_edition: int,
    level: int,
) -> pd.DataFrame:
    """One row per source code and target code: same, recode or apportioned, with the weight.

    Args:
        matrix: ``read_crosswalk_matrix`` output at this level (``aggregate_matrix``).
        valid_from, valid_to: the region codes of this level in each edition; pairs naming
            anything else (UKN1 in NUTS 2016) are dropped, since no data can land there.
        from_edition, to_edition, level: recorded in the output.

    Returns:
        ``MAPPING_COLUMNS``; ``recode_weight`` is the share of the source's 2011 population in
        the target (1 for same and recode), slivers below ``SLIVER_SHARE`` dropped first and
        the rest renormalised. Valid source codes absent from the matrix are not listed.
    """
    valid_from, valid_to = set(valid_from), set(valid_to)
    pairs = matrix[matrix["code_from"].isin(valid_from) & matrix["code_to"].isin(valid_to)]
    share = _source_share(pairs)
    slivers = pairs[share < SLIVER_SHARE]
    kept = pairs[share >= SLIVER_SHARE]
    kept = kept.assign(weight=_source_share(kept))
    n_targets = kept.groupby("code_from")["code_to"].transform("nunique")
    n_sources = kept.groupby("code_to")["code_from"].transform("nunique")
    is_direct = (n_targets == 1) & (n_sources == 1)
    relation = np.where(
        is_direct, np.where(kept["code_from"] == kept["code_to"], SAME, RECODE), APPORTIONED
    )
    notes = _notes(kept, n_targets, n_sources, relation, from_edition, to_edition)
    mapping = pd.DataFrame(
        {
            "region_code_source": kept["code_from"].to_numpy(),
            "nuts_edition_source": np.int64(from_edition),
            "region_code": kept["code_to"].to_numpy(),
            "nuts_edition": np.int64(to_edition),
            "nuts_level": np.int64(level),
            "recode_relation": relation,
            "recode_weight": np.where(is_direct, 1.0, kept["weight"].to_numpy()),
            "recode_note": notes,
        }
    )
    return _with_sliver_notes(mapping, slivers, share[share < SLIVER_SHARE])


def _source_share(pairs: pd.DataFrame) -> pd.Series:
    """Each pair's share of its source's population (of its area where nobody lives)."""
    population = pairs.groupby("code_from")["population"].transform("sum")
    area = pairs.groupby("code_from")["area_km2"].transform("sum")
    by_population = pairs["population"] / population.where(population > 0)
    return by_population.fillna(pairs["area_km2"] / area.where(area > 0)).fillna(0.0)


def _notes(
    kept: pd.DataFrame,
    n_targets: pd.Series,
    n_sources: pd.Series,
    relation: np.ndarray,
    from_edition: int,
    to_edition: int,
) -> np.ndarray:
    splits = n_targets.to_numpy() > 1
    shared_target = pd.Series(n_sources.to_numpy() > 1, index=kept.index)
    shares_a_target = shared_target.groupby(kept["code_from"]).transform("any").to_numpy()
    kind = np.select(
        [splits & shares_a_target, splits, shared_target.to_numpy()],
        ["boundary change", "split", "merge"],
        "boundary change",
    )
    texts = [
        f"{k} NUTS {from_edition} -> {to_edition}: {w:.1%} of the 2011 population of {s} "
        f"lies in {t} ({WEIGHT_BASIS} weight)"
        for k, w, s, t in zip(kind, kept["weight"], kept["code_from"], kept["code_to"], strict=True)
    ]
    return np.where(relation == APPORTIONED, np.array(texts, dtype=object), "")


def _with_sliver_notes(
    mapping: pd.DataFrame, slivers: pd.DataFrame, shares: pd.Series
) -> pd.DataFrame:
    if slivers.empty:
        return mapping.assign(recode_note=mapping["recode_note"].replace("", pd.NA).astype("str"))
    ignored = (
        slivers.assign(share=shares)
        .groupby("code_from")[["code_to", "share"]]
        .apply(
            lambda rows: ", ".join(
                f"{t} {s:.2%}" for t, s in zip(rows["code_to"], rows["share"], strict=True)
            )
        )
    )
    extra = mapping["region_code_source"].map(ignored)
    note = "slivers below 1 % of the population ignored: " + extra
    combined = np.where(
        extra.isna(),
        mapping["recode_note"],
        np.where(mapping["recode_note"].eq(""), note, mapping["recode_note"] + "; " + note),
    )
    return mapping.assign(recode_note=pd.Series(combined).replace("", pd.NA).astype("str"))


# --- every edition's steps ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EditionMaps:
    """The classified crosswalk steps between neighbouring editions, and the valid codes.

    Attributes:
        valid: edition -> level -> the region codes of that edition (GISCO, no aggregates).
        steps: (from edition, to edition) -> ``MAPPING_COLUMNS`` for every valid code of the
            source edition at levels 0-3 (both directions of each JRC matrix, and 2010 -> 2013).
        names: edition -> code -> region name, for the recoding table.
    """

    valid: Mapping[int, Mapping[int, frozenset[str]]]
    steps: Mapping[tuple[int, int], pd.DataFrame]
    names: Mapping[int, Mapping[str, str]]

    def is_valid(self, code: str, edition: int) -> bool:
        """Whether ``code`` is a region of ``edition`` (at the level its length says)."""
        level = len(code) - 2
        return code in self.valid.get(edition, {}).get(level, frozenset())


def _codes_by_level(regions: pd.DataFrame) -> dict[int, dict[int, frozenset[str]]]:
    proper = regions[~regions["is_aggregate"].fillna(False).astype(bool)]
    return {
        int(edition): {
            int(level): frozenset(codes)
            for level, codes in rows.groupby("nuts_level")["region_code"]
        }
        for edition, rows in proper.groupby("nuts_edition")
    }


def _unmatched(
    codes: Iterable[str], target: frozenset[str], mapped: set[str], step: tuple, level: int
) -> pd.DataFrame:
    """Rows for the valid source codes a matrix does not place: same code or left out."""
    rest = sorted(set(codes) - mapped)
    kept = [code in target for code in rest]
    if level in MAPPED_LEVELS:
        same_note = f"not in the JRC matrix; the same code exists in NUTS {step[1]}"
    else:
        same_note = "NUTS 3: no crosswalk used; the same code is taken as the same region"
    return pd.DataFrame(
        {
            "region_code_source": rest,
            "nuts_edition_source": np.int64(step[0]),
            "region_code": [code if keep else None for code, keep in zip(rest, kept, strict=True)],
            "nuts_edition": np.int64(step[1]),
            "nuts_level": np.int64(level),
            "recode_relation": [SAME if keep else LEFT_OUT for keep in kept],
            "recode_weight": [1.0 if keep else np.nan for keep in kept],
            "recode_note": [
                same_note if keep else f"no counterpart in NUTS {step[1]}" for keep in kept
            ],
        }
    )


def _classified_step(matrix: pd.DataFrame, valid: Mapping, step: tuple[int, int]) -> pd.DataFrame:
    source, target = step
    parts = []
    for level in sorted(valid.get(source, {})):
        codes_from = valid[source][level]
        codes_to = valid.get(target, {}).get(level, frozenset())
        mapped = pd.DataFrame(columns=MAPPING_COLUMNS)
        if level in MAPPED_LEVELS:
            mapped = classify_crosswalk(
                aggregate_matrix(matrix, level), codes_from, codes_to,
                from_edition=source, to_edition=target, level=level,
            )  # fmt: skip
        parts += [
            mapped,
            _unmatched(codes_from, codes_to, set(mapped["region_code_source"]), step, level),
        ]
    frames = [part for part in parts if not part.empty]
    return pd.concat(frames, ignore_index=True).astype({"recode_note": "str"})


def _nuts2010_step(nuts2010: pd.DataFrame, valid: Mapping) -> pd.DataFrame:
    renamed = nuts2010["relation"].eq("rename")
    codes = nuts2010["code_2010"]
    targets = nuts2010["code_2013"].where(renamed)
    level = (codes.str.len() - 2).astype("int64")
    ok = [
        (not rename) or target in valid.get(2013, {}).get(lv, frozenset())
        for rename, target, lv in zip(renamed, targets, level, strict=True)
    ]
    if not all(ok):
        bad = codes[[not flag for flag in ok]].tolist()
        raise DataSourceError(
            f"{NUTS2010_FILE.name}: the renames of {bad} point to codes that are no NUTS 2013 "
            "region. Fix: correct code_2013 on those lines."
        )
    return pd.DataFrame(
        {
            "region_code_source": codes,
            "nuts_edition_source": np.int64(NUTS2010),
            "region_code": targets,
            "nuts_edition": np.int64(2013),
            "nuts_level": level,
            "recode_relation": np.where(renamed, RECODE, LEFT_OUT),
            "recode_weight": np.where(renamed, 1.0, np.nan),
            "recode_note": "NUTS 2010 code: " + nuts2010["note"],
        }
    )


def build_edition_maps(
    matrices: Mapping[tuple[int, int], pd.DataFrame],
    regions: pd.DataFrame,
    nuts2010: pd.DataFrame,
) -> EditionMaps:
    """Classify every step of the crosswalk line, both ways, and the NUTS 2010 renames.

    Args:
        matrices: ``CROSSWALK_STEPS`` -> ``read_crosswalk_matrix`` output.
        regions: the ``regions`` table with the editions 2013, 2016 and 2021 (and others).
        nuts2010: ``read_nuts2010_codes`` output.
    """
    valid = _codes_by_level(regions)
    steps: dict[tuple[int, int], pd.DataFrame] = {}
    for (first, second), matrix in matrices.items():
        reverse = matrix.rename(columns={"code_from": "code_to", "code_to": "code_from"})
        steps[(first, second)] = _classified_step(matrix, valid, (first, second))
        steps[(second, first)] = _classified_step(reverse, valid, (second, first))
    steps[(NUTS2010, 2013)] = _nuts2010_step(nuts2010, valid)
    names = {
        int(edition): dict(zip(rows["region_code"], rows["region_name"], strict=False))
        for edition, rows in regions.groupby("nuts_edition")
    }
    names[NUTS2010] = dict(zip(nuts2010["code_2010"], nuts2010["name_2010"], strict=True))
    return EditionMaps(valid=valid, steps=steps, names=names)


def edition_path(source: int, target: int) -> list[tuple[int, int]]:
    """The steps from ``source`` to ``target`` along 2010 -> 2013 <-> 2016 <-> 2021 <-> 2024."""
    if source == NUTS2010:
        return [(NUTS2010, 2013), *edition_path(2013, target)]
    for edition in (source, target):
        if edition not in EDITION_LINE:  # name the edition no JRC matrix reaches
            raise unknown_code("NUTS edition", str(edition), [str(e) for e in EDITION_LINE])
    start, end = EDITION_LINE.index(source), EDITION_LINE.index(target)
    walk = EDITION_LINE[start : end + 1] if start <= end else EDITION_LINE[end : start + 1][::-1]
    return list(itertools.pairwise(walk))


def is_reachable(maps: EditionMaps, source: int, target: int) -> bool:
    """Whether ``maps`` holds every crosswalk step from ``source`` to ``target``."""
    if source == target:
        return True
    try:
        return all(step in maps.steps for step in edition_path(source, target))
    except UnknownCodeError:
        return False


def compose_mappings(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """``first`` (A -> B) followed by ``second`` (B -> C): weights multiply, notes add up.

    A code left out in either step is left out; a chain of 1:1 steps stays 1:1 (``same``
    only when every step is).
    """
    placed = first[first["region_code"].notna()]
    joined = placed.merge(
        second,
        left_on=["region_code", "nuts_edition"],
        right_on=["region_code_source", "nuts_edition_source"],
        how="left",
        suffixes=("", "_next"),
    )
    relation_next = joined["recode_relation_next"].fillna(LEFT_OUT)
    left_out = relation_next.eq(LEFT_OUT)
    apportioned = joined["recode_relation"].eq(APPORTIONED) | relation_next.eq(APPORTIONED)
    both_same = joined["recode_relation"].eq(SAME) & relation_next.eq(SAME)
    relation = np.select([left_out, apportioned, both_same], [LEFT_OUT, APPORTIONED, SAME], RECODE)
    extra = joined["recode_note_next"].where(
        ~(left_out & joined["recode_note_next"].isna()),
        "no counterpart in NUTS " + joined["nuts_edition_next"].astype("Int64").astype("str"),
    )
    notes = [
        "; ".join(str(n) for n in (a, b) if isinstance(n, str) and n and n != "nan") or None
        for a, b in zip(joined["recode_note"], extra, strict=True)
    ]
    target_edition = second["nuts_edition"].iloc[0] if len(second) else np.nan
    composed = pd.DataFrame(
        {
            "region_code_source": joined["region_code_source"],
            "nuts_edition_source": joined["nuts_edition_source"],
            "region_code": joined["region_code_next"].where(~left_out),
            "nuts_edition": np.int64(target_edition),
            "nuts_level": joined["nuts_level"],
            "recode_relation": relation,
            "recode_weight": (joined["recode_weight"] * joined["recode_weight_next"]).where(
                ~left_out
            ),
            "recode_note": pd.Series(notes, dtype="str"),
        }
    )
    dropped = first[first["region_code"].isna()].assign(nuts_edition=np.int64(target_edition))
    table = pd.concat([_merge_routes(composed), dropped[MAPPING_COLUMNS]], ignore_index=True)
    return table.drop_duplicates(["region_code_source", "region_code"]).reset_index(drop=True)


def _merge_routes(composed: pd.DataFrame) -> pd.DataFrame:
    """One row per source and target: a source reaching a target through several middle
    regions (a NUTS 2024 region lying in two NUTS 2021 regions that were one in NUTS 2016) sends
    the sum of the routes' weights there."""
    placed = composed["region_code"].notna()
    pairs = ["region_code_source", "region_code"]
    routes = composed[placed].groupby(pairs, sort=False)["recode_weight"].transform("sum")
    summed = composed.assign(
        recode_weight=composed["recode_weight"].where(~placed, routes.reindex(composed.index))
    )
    return summed.drop_duplicates(pairs)


def mapping_to(maps: EditionMaps, source: int, target: int) -> pd.DataFrame:
    """Every valid code of ``source`` and where its data go in ``target`` (``MAPPING_COLUMNS``)."""
    if source == target:
        codes = [code for level in maps.valid.get(source, {}).values() for code in level]
        frame = pd.DataFrame({"region_code_source": sorted(codes)})
        return frame.assign(
            nuts_edition_source=np.int64(source),
            region_code=frame["region_code_source"],
            nuts_edition=np.int64(target),
            nuts_level=(frame["region_code_source"].str.len() - 2).astype("int64"),
            recode_relation=SAME,
            recode_weight=1.0,
            recode_note=pd.Series(pd.NA, index=frame.index, dtype="str"),
        )[MAPPING_COLUMNS]
    steps = edition_path(source, target)
    table = maps.steps[steps[0]]
    for step in steps[1:]:
        table = compose_mappings(table, maps.steps[step])
    return table


# --- which edition a source code belongs to -----------------------------------------------------


def resolve_edition(code: str, declared: int, maps: EditionMaps) -> int | None:
    """The edition whose region ``code`` is: the file's own edition first, then the others.

    A NUTS 2016 file may still list NUTS 2013 codes (HU10 beside HU11), a 2013 file NUTS 2010
    codes in early years. Returns None for a code of no known edition.
    """
    for edition in (declared, *EDITION_LINE):
        if maps.is_valid(code, edition):
            return edition
    if code in maps.names.get(NUTS2010, {}):
        return NUTS2010
    return None


def key_edition(code: str, declared: int, maps: EditionMaps) -> int:
    """The edition a data row's code is looked up under in the recoding table.

    The code's own edition (``resolve_edition``), or the file's declared edition for codes of
    no edition (extra-regio, aggregates, unknown codes).
    """
    if re.fullmatch(EXTRA_REGIO_PATTERN, code) or re.fullmatch(AGGREGATE_PATTERN, code):
        return int(declared)
    edition = resolve_edition(code, declared, maps)
    return int(declared) if edition is None else edition


def is_known_code(code: str, maps: EditionMaps) -> bool:
    """Whether ``code`` is a region of a known edition, a listed NUTS 2010 code, extra-regio
    or an EU aggregate: anything but a code the workbook cannot place."""
    return _classify_code(code, 2013, maps) != "unknown"


def source_editions(codes: pd.Series, declared: pd.Series, maps: EditionMaps) -> pd.Series:
    """``key_edition`` of every row (computed once per distinct code and declared edition)."""
    pairs = pd.DataFrame({"code": codes.to_numpy(), "declared": declared.to_numpy()})
    distinct = pairs.drop_duplicates()
    lookup = {
        (code, declared_edition): key_edition(code, int(declared_edition), maps)
        for code, declared_edition in distinct.itertuples(index=False)
    }
    keys = pd.MultiIndex.from_frame(pairs)
    values = pd.Series(lookup).reindex(keys).to_numpy(dtype="int64")
    return pd.Series(values, index=codes.index, dtype="int64")


def build_recoding_table(
    maps: EditionMaps, seen: pd.DataFrame, target: int, *, strict_sources: Sequence[str] = ()
) -> pd.DataFrame:
    """The store's ``nuts_recoding`` table for the codes seen in the statistics.

    Args:
        maps: ``build_edition_maps`` output.
        seen: ``region_code_source, nuts_edition_declared, source_file``: every code as each
            input gives it, with the input's declared NUTS edition.
        target: the edition the statistics are shown in.
        strict_sources: files in which a code of no known edition is an error (the SBS files;
            their readers name the line); elsewhere such a code is left out, noted.

    Returns:
        ``MAPPING_COLUMNS`` plus ``recode_target_share`` (``_with_target_shares``) and
        ``region_name_source``: one row per source code (under ``key_edition``) and target code.
        Look data rows up with ``source_editions``.

    Raises:
        UnknownCodeError: a code of no edition in a ``strict_sources`` file.
    """
    distinct = seen.drop_duplicates(["region_code_source", "nuts_edition_declared"])
    codes = distinct["region_code_source"].tolist()
    declared = distinct["nuts_edition_declared"].astype(int).tolist()
    kinds = [_classify_code(code, ed, maps) for code, ed in zip(codes, declared, strict=True)]
    for code, kind, source_file in zip(codes, kinds, distinct["source_file"], strict=True):
        if kind == "unknown" and source_file in strict_sources:
            raise unknown_code(
                "NUTS region", code, _all_codes(maps),
                hint=f"{code} appears in {source_file} but is no region of NUTS 2010, 2013, "
                "2016 or 2021. Fix: correct the code in the file, or add a NUTS 2010 code to "
                "data/reference/nuts2010_codes.csv.",
            )  # fmt: skip
    wanted = pd.DataFrame(
        {
            "region_code_source": codes,
            "kind": pd.Series(kinds, dtype=object).astype("str"),
            "nuts_edition_source": [
                key_edition(code, ed, maps) for code, ed in zip(codes, declared, strict=True)
            ],
        }
    ).drop_duplicates(["region_code_source", "nuts_edition_source"])
    parts, placed = [], pd.Series(False, index=wanted.index)
    for edition in (NUTS2010, *EDITION_LINE):
        chosen = wanted[wanted["kind"].eq(str(edition))]
        if chosen.empty or not is_reachable(maps, edition, target):
            continue  # codes no crosswalk of ``maps`` reaches are left out with the reason
        mapping = mapping_to(maps, edition, target)
        found = chosen[["region_code_source"]].merge(mapping, on="region_code_source")
        parts.append(found[MAPPING_COLUMNS])
        placed |= wanted.index.isin(chosen.index) & wanted["region_code_source"].isin(
            found["region_code_source"]
        )
    parts.append(_special_rows(wanted[~placed], target))
    table = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    table = table.drop_duplicates(["region_code_source", "nuts_edition_source", "region_code"])
    table = _with_target_shares(table, maps, target)
    names = [
        maps.names.get(int(edition), {}).get(code)
        for code, edition in zip(
            table["region_code_source"], table["nuts_edition_source"], strict=True
        )
    ]
    table = table.assign(region_name_source=pd.Series(names, index=table.index, dtype="str"))
    table = table.astype(
        {
            "region_code": "str",
            "recode_note": "str",
            "recode_relation": "str",
            "nuts_edition_source": "int64",
        }
    )
    return table.sort_values(["region_code_source", "region_code"], ignore_index=True)


def _with_target_shares(table: pd.DataFrame, maps: EditionMaps, target: int) -> pd.DataFrame:
    """``recode_target_share``: the share of the target region's 2011 population that lies in
    the source region, read from the mapping the other way (1 for 1:1 rows; 0 where the pair
    is a sliver of the target). It weights the mean of a rate recoded to an older edition.
    Missing for codes left out and for NUTS 2010 codes (no mapping leads back to them)."""
    shares = pd.Series(
        np.where(table["recode_relation"].isin(DIRECT), 1.0, np.nan), index=table.index
    )
    apportioned = table["recode_relation"].eq(APPORTIONED)
    for edition in table.loc[apportioned, "nuts_edition_source"].unique():
        if edition not in EDITION_LINE or not is_reachable(maps, target, int(edition)):
            continue
        back = mapping_to(maps, target, int(edition)).dropna(subset=["region_code"])
        lookup = pd.Series(
            back["recode_weight"].to_numpy(),
            index=pd.MultiIndex.from_arrays([back["region_code"], back["region_code_source"]]),
        )
        lookup = lookup[~lookup.index.duplicated()]
        rows = apportioned & table["nuts_edition_source"].eq(edition)
        pairs = pd.MultiIndex.from_frame(table.loc[rows, ["region_code_source", "region_code"]])
        shares.loc[rows] = lookup.reindex(pairs).fillna(0.0).to_numpy()
    return table.assign(recode_target_share=shares)


def _all_codes(maps: EditionMaps) -> list[str]:
    return sorted(
        {code for levels in maps.valid.values() for codes in levels.values() for code in codes}
    )


def _classify_code(code: str, declared: int, maps: EditionMaps) -> object:
    if re.fullmatch(EXTRA_REGIO_PATTERN, code):
        return EXTRA_REGIO
    if re.fullmatch(AGGREGATE_PATTERN, code) or not _CODE_SHAPE.fullmatch(code):
        return "aggregate"
    edition = resolve_edition(code, declared, maps)
    return "unknown" if edition is None else edition


_REASONS = {
    EXTRA_REGIO: "extra-regio code: no territory; kept under its own code",
    "aggregate": "not a region (EU or euro-area aggregate)",
    "unknown": "not a region code of NUTS 2010 (renamed codes), 2013, 2016, 2021 or 2024",
}


def _special_rows(codes: pd.DataFrame, target: int) -> pd.DataFrame:
    """Rows for codes no crosswalk places: extra-regio (kept) and the rest (left out)."""
    kept = codes["kind"].eq(EXTRA_REGIO)
    reasons = (
        codes["kind"]
        .map(_REASONS)
        .fillna("a NUTS " + codes["kind"] + f" code: no crosswalk to NUTS {target} is used")
    )
    return pd.DataFrame(
        {
            "region_code_source": codes["region_code_source"],
            "nuts_edition_source": codes["nuts_edition_source"].astype("int64"),
            "region_code": codes["region_code_source"].where(kept),
            "nuts_edition": np.int64(target),
            "nuts_level": (codes["region_code_source"].str.len() - 2).clip(lower=0),
            "recode_relation": np.where(kept, EXTRA_REGIO, LEFT_OUT),
            "recode_weight": np.where(kept, 1.0, np.nan),
            "recode_note": reasons,
        }
    )

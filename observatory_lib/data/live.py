"""The live store: ``observatory build --live`` builds the store from current Eurostat releases.

Every Eurostat dataset the catalog reads as a Eurostat table (``live_sources``) is downloaded
from the dissemination API as gzipped SDMX-CSV (its ``LAST UPDATE`` column dates the release),
kept content-addressed in ``<cache>/live/releases/`` and checked against what the readers
expect (``check_release``): the dimensions ``data/context_indicators.yaml`` declares, every code
an indicator selects, annual periods, region codes of a NUTS edition that the official JRC
crosswalks reach. The NUTS edition of a release is measured from its region codes
(``detect_edition``); the store's build then recodes it through the crosswalks like any input.
Eurostat's current regional tables use NUTS 2024: they reach the NUTS 2016 the statistics are
shown in through NUTS 2021, the JRC matrices 2021-2024 and 2016-2021 read from the newer edition
back (``recoding.recode_statistics``: splits summed back, counts of redrawn regions shared out by
2011 population, rates averaged by it; ``recoding_note`` puts the path in the provenance). The
catalog's matrices are NUTS 2 matrices, so a release holding NUTS 3 regions of another edition
is refused (one line, nothing guessed). The maps keep the pinned GISCO NUTS 2016 boundaries.

Nothing is guessed: a dimension, column or indicator code that changed is reported as not
supported yet, and datasets whose current release the workbook cannot read yet
(``NOT_SUPPORTED``) keep their pinned files, which the store and ``observatory info`` state.

Nothing is half-written: every release is downloaded and checked before the build starts; any
failure raises one ``LiveBuildError`` with one line per dataset (cause and fix) and leaves
every store as it was. The build itself is ``store.build_store`` (atomic) under its own
pointer (``CURRENT-live``), so the pinned store stays the offline default; products read the
live store when ``OBSERVATORY_DATA=live``.
"""

from __future__ import annotations

import dataclasses
import email.utils
import gzip
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from observatory_lib import paths
from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.data import context, editions, eurostat, nuts, store
from observatory_lib.data.retrieval import Catalog, Source, load_catalog, sha256_of
from observatory_lib.errors import DataSourceError, StoreError
from observatory_lib.files import TEMP_PREFIX, write_bytes_atomic

LIVE_FORMAT = "SDMX-CSV"
RELEASES_DIR = "releases"
# Datasets of the catalog whose current release the live build cannot read yet, and why. Their
# pinned files stay in the live store, and the store says so.
NOT_SUPPORTED = {
    "sbs_r_nuts06_r2": (
        "Eurostat discontinued it; the current regional SBS is sbs_r_nuts2021, with other "
        "indicator codes and NACE breakdowns, and the workbook has no published correspondence "
        "encoded for them yet"
    ),
    "rd_e_gerdreg": "the catalog reads a single-series extract (Nesta EURITO), not the table",
    "rd_p_persreg": "the catalog reads a single-series extract (Nesta EURITO), not the table",
    "hrst_st_rcat": "the catalog reads a single-series extract (Nesta EURITO), not the table",
    "pat_ep_rtot": "the catalog reads a single-series extract (Nesta EURITO), not the table",
    "pat_ep_rtec": "the catalog reads a single-series extract (Nesta EURITO), not the table",
}
MAIN_TABLES_REASON = "the catalog reads a flattened copy of the regional main tables"
_NOT_DIMENSIONS = {"region_code", "year", "value", "flag", "dataset_code"}
_RETRY_FIX = "Fix: try again later (the Eurostat API may be busy) or check the connection"


class LiveBuildError(DataSourceError):
    """The live build cannot go ahead; one line per dataset, every store left as it was."""

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


@dataclasses.dataclass(frozen=True)
class Release:
    """One current Eurostat release, downloaded and checked."""

    dataset_code: str
    path: Path
    sha256: str
    vintage: str
    nuts_edition: int
    rows: int
    status: str = "new release"  # or "unchanged" (same file as the previous live store's)


def live_sources(catalog: Catalog) -> dict[str, list[str]]:
    """Dataset code -> the catalog ids of its Eurostat tables that the live build replaces."""
    by_code: dict[str, list[str]] = {}
    for source in catalog.sources.values():
        code = (source.dataset_code or "").strip()
        if code and "," not in code and code not in NOT_SUPPORTED and _is_table(source):
            by_code.setdefault(code, []).append(source.id)
    return dict(sorted(by_code.items()))


def _is_table(source: Source) -> bool:
    return source.file.endswith((".tsv", ".tsv.gz")) and source.provider.startswith("Eurostat")


def not_supported(catalog: Catalog) -> dict[str, str]:
    """Dataset code -> why its pinned files stay in a live store."""
    reasons = {}
    for source in catalog.sources.values():
        for code in (source.dataset_code or "").split(","):
            code = code.strip()
            if code in NOT_SUPPORTED:
                reasons[code] = NOT_SUPPORTED[code]
            elif code.startswith("tgs"):
                reasons[code] = MAIN_TABLES_REASON
    return dict(sorted(reasons.items()))


# --- what the readers expect ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Expected:
    """What the readers need of one dataset: its dimensions and the codes they select."""

    dimensions: tuple[str, ...]
    all_of: Mapping[str, frozenset[str]]  # every code must be present
    any_of: tuple[tuple[str, frozenset[str]], ...]  # one code of each group (``prefer``)


def expected_structure(dataset_code: str) -> Expected:
    """The structure ``data/context_indicators.yaml`` (or the LFS sector reader) relies on."""
    if dataset_code == context.LFS_SECTOR_DATASET_CODE:
        selection = {k: frozenset(v) for k, v in context.LFS_SECTOR_SELECTION.items()}
        return Expected(context.LFS_SECTOR_DIMENSIONS, selection, ())
    declared = context.declared_datasets().get(dataset_code, {})
    dimensions = tuple(declared.get("dimensions", []))
    all_of: dict[str, set[str]] = {}
    any_of = []
    for indicator in context.load_context_spec():
        if indicator.dataset_code != dataset_code:
            continue
        for selection in (indicator.select, indicator.numerator or {}, indicator.denominator or {}):
            for dimension, codes in selection.items():
                all_of.setdefault(dimension, set()).update(codes)
        any_of += [(dimension, frozenset(codes)) for dimension, codes in indicator.prefer.items()]
    frozen = {dimension: frozenset(codes) for dimension, codes in all_of.items()}
    return Expected(dimensions, frozen, tuple(any_of))


def _not_supported_line(dataset_code: str, what: str) -> str:
    return (
        f"{dataset_code}: the current release changed its structure ({what}); this is not "
        "supported yet, and no code mapping is guessed. Fix: build from the pinned mirror "
        "(observatory build) until the workbook reads the new structure from Eurostat's "
        "metadata (docs/HOWTO.md, 'Current data')"
    )


def check_release(frame: pd.DataFrame, dataset_code: str, expected: Expected) -> list[str]:
    """What in a parsed release differs from ``expected``; an empty list when it fits."""
    names = {"region_code": "geo", "nace_code": "nace_r2"}
    present = [column for column in frame.columns if column not in _NOT_DIMENSIONS]
    missing = [d for d in expected.dimensions if d not in present]
    if missing:
        shown = ", ".join(names.get(d, d) for d in present)
        gone = ", ".join(names.get(d, d) for d in missing)
        return [_not_supported_line(dataset_code, f"dimension {gone} is gone; it has {shown}")]
    problems = []
    for extra in (d for d in present if d not in expected.dimensions):
        codes = sorted(frame[extra].dropna().unique())
        if len(codes) > 1:
            problems.append(
                _not_supported_line(
                    dataset_code, f"new dimension {extra} with codes {', '.join(codes[:5])}"
                )
            )
    for dimension, codes in expected.all_of.items():
        absent = sorted(codes - set(frame[dimension].unique()))
        if absent:
            what = f"{names.get(dimension, dimension)} code {absent[0]} is no longer published"
            problems.append(_not_supported_line(dataset_code, what))
    for dimension, codes in expected.any_of:
        if not codes & set(frame[dimension].unique()):
            what = f"none of the {dimension} codes {', '.join(sorted(codes))} is published"
            problems.append(_not_supported_line(dataset_code, what))
    return problems


# --- NUTS edition of a release --------------------------------------------------------------


def region_codes_by_edition(catalog: Catalog) -> dict[int, frozenset[str]]:
    """The NUTS 1 and 2 codes of every edition with GISCO boundaries in the catalog."""
    from observatory_lib.data.retrieval import fetch

    codes = {}
    for edition, by_level in store.GEOMETRY_SOURCES.items():
        frames = [
            nuts.read_nuts_geometries(fetch(by_level[level], catalog), edition) for level in (1, 2)
        ]
        codes[edition] = frozenset(pd.concat(frames)["region_code"])
    return codes


def detect_edition(region_codes: pd.Series, valid: Mapping[int, frozenset[str]]) -> int | None:
    """The edition most of a release's NUTS 1-2 codes belong to.

    On a tie the newest edition the JRC crosswalks reach wins (codes valid in NUTS 2021 and 2024
    alike are read as 2024 codes, the edition of Eurostat's current regional tables; the
    crosswalks recode them back); an edition off the crosswalks is the answer only when it
    alone holds the most codes. Aggregates (EU27_2020),
    extra-regio (``DEZZ``) and countries are left out of the count. Returns None when no code
    is a NUTS 1 or 2 code of any edition.
    """
    codes = pd.Series(region_codes.dropna().unique(), dtype="str")
    codes = codes[codes.str.len().isin([3, 4]) & ~codes.str.fullmatch(editions.EXTRA_REGIO_PATTERN)]
    codes = codes[~eurostat.is_aggregate_region(codes)]
    if codes.empty:
        return None
    counts = {edition: int(codes.isin(members).sum()) for edition, members in valid.items()}
    best = max(counts.values())
    if best == 0:
        return None
    leaders = [edition for edition, count in counts.items() if count == best]
    reachable = [edition for edition in leaders if edition in editions.EDITION_LINE]
    return max(reachable or leaders)


def _edition_problem(
    dataset_code: str, edition: int | None, region_codes: pd.Series | None = None, shown: int = 0
) -> list[str]:
    """Why a release's region codes cannot reach the edition ``shown`` (empty when they can)."""
    if edition is None:
        return [_not_supported_line(dataset_code, "no region code of a known NUTS edition")]
    if edition not in editions.EDITION_LINE:
        reach = ", ".join(map(str, editions.EDITION_LINE))
        return [
            f"{dataset_code}: the current release uses NUTS {edition}; the official JRC "
            f"crosswalks in the catalog reach {reach} only, so it cannot be recoded yet. Fix: "
            f"add the JRC NUTS {editions.EDITION_LINE[-1]}-{edition} crosswalk to "
            "data/catalog.yaml and observatory_lib/data/editions.py, or build from the pinned "
            "mirror (observatory build)"
        ]
    if region_codes is not None and shown and edition != shown:
        return _nuts3_problem(dataset_code, edition, region_codes, shown)
    return []


def _nuts3_problem(dataset_code: str, edition: int, region_codes: pd.Series, shown: int):
    """NUTS 3 codes of another edition: the catalog's JRC matrices are NUTS 2 matrices."""
    codes = pd.Series(region_codes.dropna().unique(), dtype="str")
    nuts3 = codes[codes.str.len().eq(5) & ~codes.str.fullmatch(editions.EXTRA_REGIO_PATTERN)]
    if nuts3.empty:
        return []
    examples = ", ".join(sorted(nuts3)[:3])
    return [
        f"{dataset_code}: the current release uses NUTS {edition} and holds NUTS 3 regions "
        f"({examples}); the JRC converter matrices in the catalog are NUTS 2 matrices, so no "
        f"matrix takes NUTS 3 regions from NUTS {edition} to NUTS {shown} and they are not "
        "guessed. Fix: build from the pinned mirror (observatory build), or add the JRC NUTS 3 "
        "matrix to data/catalog.yaml and observatory_lib/data/editions.py"
    ]


# --- download --------------------------------------------------------------------------------


def releases_dir() -> Path:
    """Where the downloaded releases are kept, named by content (never overwritten)."""
    return paths.cache_dir() / "live" / RELEASES_DIR


def _vintage(path: Path, headers: Mapping[str, str]) -> str:
    """The release date: SDMX-CSV ``LAST UPDATE``, else ``Last-Modified``, else the day got."""
    if eurostat.is_sdmx_csv(path):
        stamp = eurostat.sdmx_last_update(path)
        if stamp:
            return stamp
    modified = {k.lower(): v for k, v in headers.items()}.get("last-modified")
    if modified:
        try:
            return email.utils.parsedate_to_datetime(modified).date().isoformat()
        except (TypeError, ValueError):
            pass
    return f"retrieved {datetime.now(UTC).date().isoformat()}"


def download_release(dataset_code: str, session=None) -> tuple[Path, str, str]:
    """Download one release; returns its content-addressed path, sha256 and vintage.

    Raises:
        DataSourceError: the download failed or is not a Eurostat table (nothing kept).
    """
    directory = releases_dir()
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{dataset_code}-", dir=directory)
    os.close(handle)
    temporary = Path(name)
    try:
        headers = eurostat.fetch_eurostat_release(
            dataset_code, temporary, LIVE_FORMAT, session=session
        )
        vintage = _vintage(temporary, headers)
        content = temporary.read_bytes()
        if content[:2] == b"\x1f\x8b":
            content = gzip.decompress(content)
    finally:
        temporary.unlink(missing_ok=True)
    # Named by the content, gzipped without a time stamp: the same release downloaded twice
    # (the API compresses each answer anew) is the same file, so an unchanged one is seen.
    target = directory / f"{dataset_code}-{hashlib.sha256(content).hexdigest()[:16]}.csv.gz"
    if not target.exists():
        write_bytes_atomic(target, gzip.compress(content, mtime=0))
    digest = sha256_of(target)
    return target, digest, vintage


def _first_sentence(error: BaseException) -> str:
    """The cause without the generic advice the readers add (which names the mirror)."""
    text = " ".join(str(error).split())
    for advice in (". Check the network", ". Fetch the file again", ". The previous file"):
        text = text.split(advice)[0]
    return text.rstrip(".")


def _failure_line(dataset_code: str, error: BaseException) -> str:
    return f"{dataset_code}: the download failed ({_first_sentence(error)}). {_RETRY_FIX}"


def _unreadable_line(dataset_code: str, cause: BaseException) -> str:
    what = f"the file is not in the layout the reader expects: {_first_sentence(cause)}"
    return _not_supported_line(dataset_code, what)


# --- the build -------------------------------------------------------------------------------


def previous_releases(root: Path | None = None, edition: int | None = None) -> dict[str, dict]:
    """The releases the current live store was built from (dataset code -> sha256, vintage)."""
    try:
        info = store.load_store_info(root, edition, live=True)
    except StoreError:  # no live store yet
        return {}
    return dict(info.get("live_releases", {}))


def gather_releases(
    codes: list[str],
    catalog: Catalog,
    previous: Mapping[str, dict],
    session=None,
    shown: int | None = None,
) -> Iterator[Release | str]:
    """Download and check each dataset; yields a ``Release`` or a problem line per dataset.

    ``shown`` is the edition the statistics are shown in (default the setting).
    """
    shown = shown or STATISTICS_EDITION
    valid = region_codes_by_edition(catalog)
    for code in codes:
        try:
            path, digest, vintage = download_release(code, session)
            frame = eurostat.read_eurostat_tsv(path, code)
        except eurostat.UnreadableReleaseError as error:
            yield _unreadable_line(code, error.__cause__ or error)
            continue
        except DataSourceError as error:
            yield _failure_line(code, error)
            continue
        edition = detect_edition(frame["region_code"], valid)
        problems = check_release(frame, code, expected_structure(code))
        problems += _edition_problem(code, edition, frame["region_code"], shown)
        if problems:
            yield from problems
            continue
        status = "unchanged" if previous.get(code, {}).get("sha256") == digest else "new release"
        yield Release(code, path, digest, vintage, int(edition), len(frame), status)


def recoding_note(source: int, shown: int) -> str:
    """How a release's codes reach the edition shown, for its provenance ``modification``."""
    if source == shown:
        return f"NUTS {source} codes, the edition shown"
    steps = editions.edition_path(source, shown)
    matrices = ", ".join(f"{min(step)}-{max(step)}" for step in steps)
    through = [str(step[1]) for step in steps[:-1]]
    via = f" through NUTS {', '.join(through)}" if through else ""
    direction = ", read from the newer edition back" if source > shown else ""
    noun = "matrix" if len(steps) == 1 else "matrices"
    return (
        f"recoded from NUTS {source} to NUTS {shown}{via} with the JRC NUTS converter {noun} "
        f"({matrices}{direction})"
    )


def live_catalog(
    catalog: Catalog,
    releases: list[Release],
    ids: Mapping[str, list[str]],
    shown: int | None = None,
) -> Catalog:
    """The catalog with each release standing in for its dataset's pinned files."""
    shown = shown or STATISTICS_EDITION
    sources = dict(catalog.sources)
    local_files = dict(catalog.local_files)
    for release in releases:
        for source_id in ids[release.dataset_code]:
            sources[source_id] = dataclasses.replace(
                sources[source_id],
                sha256=release.sha256,
                vintage=release.vintage,
                nuts_edition=release.nuts_edition,
                provider="Eurostat (dissemination API, current release)",
                modification=(
                    f"current release read from the Eurostat API ({LIVE_FORMAT}); "
                    + recoding_note(release.nuts_edition, shown)
                ),
                urls=(eurostat.build_api_url(release.dataset_code, LIVE_FORMAT),),
            )
            local_files[source_id] = release.path
    return dataclasses.replace(catalog, sources=sources, local_files=local_files)


def _origin(releases: list[Release], pinned: Mapping[str, str]) -> str:
    newest = max((r.vintage for r in releases), default="none")
    return (
        f"live: {len(releases)} current Eurostat releases (latest {newest}) from "
        f"{paths.eurostat_api_url()}; {len(pinned)} datasets pinned (not supported live yet)"
    )


def build_live_store(
    root: Path | None = None,
    edition: int | None = None,
    codes: list[str] | None = None,
    session=None,
    report=print,
) -> dict:
    """Download, check and build the live store; returns its info.

    Args:
        root: the store directory (default ``paths.store_dir()``).
        edition: the NUTS edition to show the statistics in (default the setting).
        codes: update only these datasets; the others keep the releases of the current live
            store (a partial update). Default: every dataset ``live_sources`` names.
        session: a ``requests`` session (default a new one).
        report: called with one progress line per dataset.

    Raises:
        LiveBuildError: a download failed or a release changed its structure; one line per
            dataset, and every store (pinned and live) is left as it was.
    """
    catalog = load_catalog()
    ids = live_sources(catalog)
    previous = previous_releases(root, edition)
    wanted = list(codes or ids)
    kept = [
        _kept_release(code, previous[code])
        for code in ids
        if code not in wanted and code in previous
    ]
    missing = [code for code in ids if code not in wanted and code not in previous]
    if missing:
        raise LiveBuildError(
            f"{', '.join(missing)}: no live release yet to keep. Fix: run `observatory build "
            "--live` without --datasets first."
        )
    releases, problems = list(kept), []
    for outcome in gather_releases(wanted, catalog, previous, session, edition):
        if isinstance(outcome, Release):
            releases.append(outcome)
            report(
                f"{outcome.dataset_code}: {outcome.status}, vintage {outcome.vintage}, "
                f"NUTS {outcome.nuts_edition}, {outcome.rows} observations"
            )
        else:
            problems.append(outcome)
    if problems:
        raise LiveBuildError([*problems, "The live store was not built; every store is as it was."])
    for release in kept:
        report(
            f"{release.dataset_code}: kept from the previous live store, vintage {release.vintage}"
        )
    pinned = not_supported(catalog)
    extra = {
        "data_origin": _origin(releases, pinned),
        "live_releases": {
            r.dataset_code: {
                "sha256": r.sha256,
                "vintage": r.vintage,
                "nuts_edition": r.nuts_edition,
                "status": r.status,
                "file": str(r.path),
            }
            for r in sorted(releases, key=lambda r: r.dataset_code)
        },
        "live_not_supported": pinned,
    }
    built = live_catalog(catalog, releases, ids, edition)
    return store.build_store(root, built, edition, live=extra)


def _kept_release(code: str, recorded: Mapping) -> Release:
    path = Path(recorded["file"])
    if not path.is_file() or sha256_of(path) != recorded["sha256"]:
        raise LiveBuildError(
            f"{code}: the release the live store was built from ({path}) is gone or changed. "
            "Fix: run `observatory build --live` without --datasets to download every dataset."
        )
    return Release(
        code,
        path,
        recorded["sha256"],
        recorded["vintage"],
        int(recorded["nuts_edition"]),
        0,
        "unchanged",
    )

"""The live path: fetch current data from the Eurostat dissemination API and GISCO.

``observatory data update`` downloads the current TSV of every Eurostat dataset the catalog
names (or the ones asked for) into ``<cache>/live/``, parses each with the same reader the
mirror files go through (so a format change fails here, loudly), and records what it got in
``<cache>/live/manifest.json``. The pinned store keeps reading the catalog's verified files;
these files are for checking drift. A store built from the current releases is
``observatory build --live`` (``data/live.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from observatory_lib import paths
from observatory_lib.data import eurostat
from observatory_lib.data.retrieval import load_catalog, sha256_of
from observatory_lib.errors import DataSourceError
from observatory_lib.files import write_text_atomic

GISCO_NUTS_URL = (
    "https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/"
    "NUTS_RG_20M_{edition}_4326_LEVL_{level}.geojson"
)


def live_dataset_codes() -> list[str]:
    """Every single Eurostat dataset code that the catalog reads."""
    codes = set()
    for source in load_catalog().sources.values():
        for code in (source.dataset_code or "").split(","):
            if code.strip() and not code.startswith("tgs"):
                codes.add(code.strip())
    return sorted(codes)


def _write_manifest(directory, entries: list[dict]) -> None:
    content = {"updated_at": datetime.now(UTC).isoformat(), "files": entries}
    write_text_atomic(directory / "manifest.json", json.dumps(content))


def _update_gisco(directory, entries: list[dict]) -> Iterator[str]:
    import pooch

    for edition in (2016, 2021, 2024):
        for level in range(4):
            url = GISCO_NUTS_URL.format(edition=edition, level=level)
            name = url.rsplit("/", 1)[1]
            try:
                path = pooch.retrieve(url, known_hash=None, fname=name, path=directory)
            except Exception as error:
                yield f"{name}: failed: {type(error).__name__}"
                continue
            entries.append({"gisco_file": name, "file": name, "sha256": sha256_of(path)})
            yield f"{name}: -> {path}"


def update_live(
    dataset_codes: list[str] | None = None, include_gisco: bool = True
) -> Iterator[str]:
    """Download and check current Eurostat datasets and GISCO NUTS files; yields progress lines."""
    directory = paths.cache_dir() / "live"
    directory.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []
    if include_gisco and not dataset_codes:
        yield from _update_gisco(directory, entries)
    for code in dataset_codes or live_dataset_codes():
        target = directory / f"{code}.tsv.gz"
        try:
            eurostat.fetch_eurostat_tsv(code, target)
            rows = len(eurostat.read_eurostat_tsv(target, code))
        except DataSourceError as error:
            yield f"{code}: failed: {error}"
            continue
        entries.append({"dataset_code": code, "file": target.name, "sha256": sha256_of(target)})
        yield f"{code}: {rows} observations -> {target}"
    _write_manifest(directory, entries)
    if not entries:
        raise DataSourceError(
            "No dataset could be updated from the Eurostat API. Fix: check the internet "
            "connection; the pinned mirror data keep working meanwhile."
        )

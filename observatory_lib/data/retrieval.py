"""Get every input file named in ``data/catalog.yaml``: cache, then local mirror, then upstream.

Every copy is checked against the catalog's sha256 before it is used. Downloads go through
pooch (checksums, atomic writes, a progress bar); mirror copies are written to a temporary file
in the cache and renamed, so the cache never holds half a file.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from observatory_lib import paths
from observatory_lib.errors import (
    ChecksumError,
    ConfigError,
    DataSourceError,
    unknown_code,
)
from observatory_lib.files import atomic_path

LOGGER = logging.getLogger(__name__)

REQUIRED_FIELDS = ("id", "title", "provider", "file", "sha256", "licence", "attribution")


@dataclass(frozen=True)
class Source:
    """One input file of the catalog."""

    id: str
    title: str
    provider: str
    file: str
    sha256: str
    licence: str
    attribution: str
    dataset_code: str | None = None
    nuts_edition: int | None = None
    vintage: str | None = None
    modification: str | None = None
    urls: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Catalog:
    """All inputs, by id."""

    sources: dict[str, Source]
    path: Path
    # source id -> a local file that stands in for the catalog's (the live build's current
    # releases); still verified against the source's sha256 on every fetch.
    local_files: dict[str, Path] = field(default_factory=dict)

    def __getitem__(self, source_id: str) -> Source:
        if source_id not in self.sources:
            raise unknown_code(
                "dataset id", source_id, self.sources, hint=f"The catalog is {self.path}."
            )
        return self.sources[source_id]

    def by_file(self, file_name: str) -> Source:
        """Return the source whose mirror-relative file name is ``file_name``."""
        for source in self.sources.values():
            if source.file == file_name:
                return source
        raise unknown_code(
            "catalog file",
            file_name,
            [s.file for s in self.sources.values()],
            hint=f"Add it to {self.path} first.",
        )


def _source_from_entry(entry: dict, position: int, path: Path) -> Source:
    missing = [name for name in REQUIRED_FIELDS if not entry.get(name)]
    if missing:
        label = entry.get("id", f"entry #{position + 1}")
        raise ConfigError(
            f"{path}: source {label!r} lacks {', '.join(missing)}; add them to the entry."
        )
    known = set(Source.__dataclass_fields__)
    values = {k: v for k, v in entry.items() if k in known}
    values["urls"] = tuple(entry.get("urls") or ())
    return Source(**values)


@lru_cache(maxsize=4)
def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate the catalog YAML."""
    path = Path(path or paths.CATALOG_FILE)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"Cannot read the data catalog {path}: {error}.") from error
    entries = (document or {}).get("sources") or []
    sources = [_source_from_entry(entry, i, path) for i, entry in enumerate(entries)]
    by_id = {source.id: source for source in sources}
    if len(by_id) != len(sources):
        raise ConfigError(f"{path}: two sources share an id; ids must be unique.")
    return Catalog(sources=by_id, path=path)


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(path: Path, source: Source, where: str) -> Path:
    actual = sha256_of(path)
    if actual != source.sha256:
        raise ChecksumError(
            f"Checksum mismatch for {where} file {path} (source {source.id!r}): expected sha256 "
            f"{source.sha256[:12]}..., got {actual[:12]}...; the file is corrupt or a different "
            f"version. Fix: delete it and run `observatory data fetch` again, or restore it."
        )
    return path


def _copy_atomically(origin: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temporary:
        shutil.copyfile(origin, temporary)
    return target


def _from_mirror(source: Source, target: Path) -> Path | None:
    mirror = paths.mirror_dir()
    if mirror is None:
        return None
    candidate = mirror / source.file
    if not candidate.is_file():
        return None
    _verify(candidate, source, "mirror")
    return _copy_atomically(candidate, target)


def _from_upstream(source: Source, target: Path) -> tuple[Path | None, str]:
    import pooch  # imported here: offline runs never need it

    reasons = []
    for url in source.urls:
        try:
            downloaded = pooch.retrieve(
                url,
                known_hash=f"sha256:{source.sha256}",
                fname=target.name,
                path=target.parent,
                progressbar=True,
            )
            return Path(downloaded), ""
        except Exception as error:
            reasons.append(f"{url}: {type(error).__name__}")
    return None, "; ".join(reasons) or "no upstream url in the catalog"


def fetch(source_id: str, catalog: Catalog | None = None) -> Path:
    """Return a verified local path for one catalog input (cache, mirror, then upstream)."""
    catalog = catalog or load_catalog()
    source = catalog[source_id]
    if source_id in catalog.local_files:
        return _verify(Path(catalog.local_files[source_id]), source, "live release")
    target = paths.cache_dir() / source.file
    if target.is_file():
        return _verify(target, source, "cached")
    mirrored = _from_mirror(source, target)
    if mirrored is not None:
        return mirrored
    downloaded, reasons = _from_upstream(source, target)
    if downloaded is not None:
        return downloaded
    raise DataSourceError(
        f"Cannot get {source.file} ({source.id}): it is not in the cache {paths.cache_dir()}, "
        f"no mirror holds it, and the download failed ({reasons}). Fix: set OBSERVATORY_MIRROR "
        f"to a folder that holds {source.file} (e.g. ../shared/data), or connect to the internet."
    )


def fetch_file(file_name: str, catalog: Catalog | None = None) -> Path:
    """Like :func:`fetch`, addressed by the mirror-relative file name used in configs."""
    catalog = catalog or load_catalog()
    return fetch(catalog.by_file(file_name).id, catalog)


def fetch_all(catalog: Catalog | None = None, progress: bool = True) -> dict[str, Path]:
    """Fetch every catalog input; returns id -> local path."""
    catalog = catalog or load_catalog()
    ids = list(catalog.sources)
    if progress:
        from tqdm.auto import tqdm

        ids = tqdm(ids, desc="inputs", unit="file", leave=False)
    return {source_id: fetch(source_id, catalog) for source_id in ids}

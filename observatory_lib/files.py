"""The one way the workbook writes a file: completely or not at all.

Every writer puts its bytes into a temporary file beside the target (same directory, so the
rename cannot cross file systems) and renames it over the target with ``os.replace``, which is
atomic on POSIX: a reader sees the old file or the new one, never half of one, and a process
killed mid-write leaves at most a ``.obs-tmp-*`` file that the next batch removes. Directories
are published the same way (``replace_directory``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".obs-tmp-"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed over ``target`` when the block succeeds.

    For writers that take a path (Parquet, XLSX, PDF): write to the yielded path. If the block
    raises, the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    handle, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name}-", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp makes owner-only files; a published file is readable by everyone
        temporary.chmod(0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; returns ``target`` as a ``Path``."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return Path(target)


def write_text_atomic(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically; returns ``target`` as a ``Path``."""
    return write_bytes_atomic(target, text.encode("utf-8"))


def staging_directory(parent: str | os.PathLike[str], name: str = "") -> Path:
    """A new empty ``.obs-tmp-*`` directory in ``parent``, to fill and then publish."""
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{name}-", dir=parent))


def replace_directory(staging: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Put the directory ``staging`` in place of ``target``: complete or absent throughout.

    ``rename(2)`` cannot replace a non-empty directory, so an existing ``target`` is first
    renamed aside (atomically) and removed once ``staging`` is in place.
    """
    staging, target = Path(staging), Path(target)
    retired = None
    if target.exists():
        retired = target.with_name(f"{TEMP_PREFIX}old-{target.name}-{uuid.uuid4().hex[:8]}")
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def remove_temporary_entries(directory: str | os.PathLike[str]) -> None:
    """Remove what killed writers left in ``directory`` (only ever ``.obs-tmp-*`` entries)."""
    for entry in Path(directory).glob(f"{TEMP_PREFIX}*"):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)

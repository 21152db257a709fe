"""Retrieval order (cache, mirror, upstream), checksums and the offline error, on tiny files."""

import hashlib

import pytest
import yaml

from observatory_lib.data import retrieval
from observatory_lib.errors import ChecksumError, ConfigError, DataSourceError, UnknownCodeError


def _catalog(tmp_path, content: bytes, urls=()):
    sha = hashlib.sha256(content).hexdigest()
    entry = {
        "id": "tiny",
        "title": "Tiny test input",
        "provider": "tests",
        "file": "sub/tiny.csv",
        "sha256": sha,
        "licence": "CC0",
        "attribution": "Source: tests",
        "urls": list(urls),
    }
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"sources": [entry]}))
    retrieval.load_catalog.cache_clear()
    return retrieval.load_catalog(path)


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    cache, mirror = tmp_path / "cache", tmp_path / "mirror"
    monkeypatch.setenv("OBSERVATORY_CACHE", str(cache))
    monkeypatch.setenv("OBSERVATORY_MIRROR", str(mirror))
    return cache, mirror


def test_mirror_copy_lands_in_cache_and_is_verified(tmp_path, dirs):
    cache, mirror = dirs
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub" / "tiny.csv").write_bytes(b"a,b\n1,2\n")
    catalog = _catalog(tmp_path, b"a,b\n1,2\n")
    path = retrieval.fetch("tiny", catalog)
    assert path == cache / "sub" / "tiny.csv"
    assert path.read_bytes() == b"a,b\n1,2\n"
    assert not list((cache / "sub").glob(".partial-*"))


def test_cache_is_used_before_mirror(tmp_path, dirs):
    cache, _ = dirs
    (cache / "sub").mkdir(parents=True)
    (cache / "sub" / "tiny.csv").write_bytes(b"x")
    catalog = _catalog(tmp_path, b"x")
    assert retrieval.fetch("tiny", catalog) == cache / "sub" / "tiny.csv"


def test_corrupt_cache_names_the_file_and_the_fix(tmp_path, dirs):
    cache, _ = dirs
    (cache / "sub").mkdir(parents=True)
    (cache / "sub" / "tiny.csv").write_bytes(b"corrupted")
    catalog = _catalog(tmp_path, b"original")
    with pytest.raises(ChecksumError, match=r"tiny\.csv.*observatory data fetch"):
        retrieval.fetch("tiny", catalog)


def test_corrupt_mirror_is_refused_and_not_copied(tmp_path, dirs):
    cache, mirror = dirs
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub" / "tiny.csv").write_bytes(b"tampered")
    catalog = _catalog(tmp_path, b"original")
    with pytest.raises(ChecksumError, match="mirror file"):
        retrieval.fetch("tiny", catalog)
    assert not (cache / "sub" / "tiny.csv").exists()


def test_offline_without_mirror_gives_one_line_with_both_fixes(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OBSERVATORY_MIRROR", raising=False)
    catalog = _catalog(tmp_path, b"abc")
    with pytest.raises(DataSourceError) as caught:
        retrieval.fetch("tiny", catalog)
    message = str(caught.value)
    assert "\n" not in message
    assert "sub/tiny.csv" in message
    assert "OBSERVATORY_MIRROR" in message and "internet" in message


def test_unknown_dataset_id_suggests_valid_ones(tmp_path, dirs):
    catalog = _catalog(tmp_path, b"abc")
    with pytest.raises(UnknownCodeError, match="tiny"):
        retrieval.fetch("tinny", catalog)


def test_catalog_entry_without_checksum_is_rejected(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"id": "x", "title": "t", "file": "f"}]}))
    retrieval.load_catalog.cache_clear()
    with pytest.raises(ConfigError, match="sha256"):
        retrieval.load_catalog(path)


def test_real_catalog_lists_every_field():
    retrieval.load_catalog.cache_clear()
    catalog = retrieval.load_catalog()
    assert len(catalog.sources) > 40
    for source in catalog.sources.values():
        assert len(source.sha256) == 64
        assert source.attribution
        assert source.licence

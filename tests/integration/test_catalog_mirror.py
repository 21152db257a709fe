"""Every catalog checksum matches the real mirror file."""

import pytest

from observatory_lib.data import retrieval

pytestmark = pytest.mark.integration


def test_catalog_checksums_match_the_mirror(mirror_dir):
    retrieval.load_catalog.cache_clear()
    catalog = retrieval.load_catalog()
    mismatched = [
        s.file
        for s in catalog.sources.values()
        if retrieval.sha256_of(mirror_dir / s.file) != s.sha256
    ]
    assert mismatched == []

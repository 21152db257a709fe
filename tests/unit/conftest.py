"""Unit-tier fixtures: no data mirror, no network; the shared toy store built from inline frames.

Every unit test of the recipe layer and the products uses ``toy_store``. Each use gets a fresh
store with its own version, so that the recipe layer's per-process memo (keyed by the store
version) never hands one test another test's tables.
"""

from __future__ import annotations

import uuid

import pytest
from toy_store import build_toy_store

from observatory_lib.indicators import recipes
from observatory_lib.products.kit import figure_layers


@pytest.fixture
def toy_store():
    """A fresh toy ``Store`` (``tests/toy_store.py``) with a version of its own."""
    store = build_toy_store(version=f"toy-{uuid.uuid4().hex[:12]}")
    yield store
    recipes.clear_cache()
    figure_layers.clear()


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    """An empty outputs folder (``OBSERVATORY_OUTPUTS``) for tests that publish files."""
    target = tmp_path / "outputs"
    monkeypatch.setenv("OBSERVATORY_OUTPUTS", str(target))
    return target


@pytest.fixture(scope="module")
def toy_bundle(tmp_path_factory):
    """The apps' prepared data (``products.apps.prepare``) of a toy store, with its overflow
    pages, read back as the kernels read them (``bundle.AppBundle``)."""
    from observatory_lib.constants import DEFAULT_STAR_PRESET
    from observatory_lib.products.apps import bundle, prepare

    store = build_toy_store(version=f"toy-{uuid.uuid4().hex[:12]}")
    directory = tmp_path_factory.mktemp("apps")
    prepare.write_bundle(store, DEFAULT_STAR_PRESET, directory, "toy")
    prepare.write_overflow_pages(directory)
    yield bundle.AppBundle(directory)
    recipes.clear_cache()

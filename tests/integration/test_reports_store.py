"""The report products on the real store: every sector report, the Panorama, the scoreboard.

The unit tests (``tests/unit/test_cluster_panorama.py``, ``test_sector_report.py``,
``test_ecosystem_scoreboard.py``) check the same products on the toy store.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from observatory_lib.data.cluster_definitions import read_nace_classes
from observatory_lib.errors import ObservatoryError, UnknownCodeError
from observatory_lib.indicators import recipes
from observatory_lib.indicators.scoreboard import EU28_COUNTRIES
from observatory_lib.products import cluster_panorama, ecosystem_scoreboard, sector_report

pytestmark = pytest.mark.integration


def test_sector_report_runs_for_every_category(built_store, monkeypatch):
    categories = built_store.cluster_categories
    assert len(categories) == 57
    start = time.perf_counter()
    calls = []
    rate = recipes.rate_stars
    monkeypatch.setattr(recipes, "rate_stars", lambda *a, **k: calls.append(1) or rate(*a, **k))
    recipes.clear_cache()
    nace_reference = read_nace_classes()
    n_classes = built_store.cluster_nace_classes.groupby("category_code").size()
    for info in categories.itertuples(index=False):
        report = sector_report.sector_report_content(
            built_store, info.category_code, nace_reference=nace_reference
        )
        assert report.category_type == info.category_type
        assert len(report.composition.classes) == n_classes[info.category_code]
        assert report.composition.classes["title"].notna().all()
        concentration = report.concentration
        if concentration.n_regions_with_data:
            assert 0 < concentration.top_n_share <= 1
            assert 0 < concentration.herfindahl_index <= 1
            assert 0 <= concentration.gini < 1
        else:
            assert info.n_nace_classes_in_sbs_scope == 0
            assert np.isnan(concentration.gini)
            assert report.view.table["employment_persons"].isna().all()  # missing, never 0
        if info.category_type == "traded":
            # a NACE class belongs to one traded category only
            assert report.overlap_traded.empty
        assert report.headline_markdown()
    # every report used the recipe layer's one rated table
    assert len(calls) == 1
    assert time.perf_counter() - start < 30


def test_panorama_context_on_the_real_store(built_store):
    report = cluster_panorama.panorama_context(built_store, 2015, "eco2008", 2)
    rated = report.rated
    traded = rated[(rated["category_type"] == "traded") & rated["is_in_reference_set"]]
    assert report.europe["n_starred_clusters"] == int((traded["stars"].fillna(0) >= 1).sum())
    assert 0 < report.europe["starred_employment_share_pct"] < 100
    assert set(report.emerging["category_code"]) == set(
        built_store.cluster_categories.query("category_type == 'emerging'")["category_code"]
    )


def test_scoreboard_context_on_the_real_store(built_store):
    report = ecosystem_scoreboard.scoreboard_context(
        built_store, normalisation="zscore", aggregation="geometric", n_draws=50, seed=1
    )
    assert report.reference_countries == EU28_COUNTRIES
    assert report.result is recipes.scoreboard(
        built_store, 2, normalisation="zscore", aggregation="geometric"
    )
    structure = report.dimension_scores[
        report.dimension_scores["dimension_code"] == "industrial_structure"
    ]
    assert structure["score"].notna().sum() > 200
    assert report.overall["rank_europe"].iloc[0] == 1
    record = report.record()
    assert record["top_region_code"] == report.overall["region_code"].iloc[0]
    assert sum(record["group_counts"].values()) == len(report.overall)
    fallbacks = report.fallback_summary().set_index("indicator_code")
    assert fallbacks.loc["specialisation_diversity", "n_fallbacks"] == 0


def test_scoreboard_bad_method_names_the_valid_ones(built_store):
    with pytest.raises(UnknownCodeError, match="minmax"):
        ecosystem_scoreboard.scoreboard_context(built_store, normalisation="rank", n_draws=10)
    with pytest.raises(ObservatoryError, match="innovation_focus"):
        ecosystem_scoreboard.scoreboard_context(
            built_store, framework_variant="innovation", n_draws=10
        )

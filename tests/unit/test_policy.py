"""The cluster policy section: policy areas, the policy dashboard, the S3 input format and
the alignment of S3 priorities (toy store; the Czech files as small inline copies)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from observatory_lib.data import s3_priorities as s3
from observatory_lib.errors import ConfigError, DataSourceError
from observatory_lib.indicators import policy, policy_recipes, recipes

DIVISIONS = [f"{n:02d}" for n in range(1, 100)]


# --- policy areas and the dashboard --------------------------------------------------------------


def test_every_dimension_and_indicator_of_the_framework_has_a_policy_area():
    areas = policy_recipes.policy_areas()  # checked against data/scoreboard_framework.yaml
    framework = recipes.framework()
    for code in [*(d.code for d in framework.dimensions), *framework.indicator_codes]:
        label, points_to = areas.area(code)
        assert label and points_to, code
    assert areas.not_covered  # says plainly what the data cannot show


def test_a_node_without_policy_area_is_refused_with_the_fix(tmp_path):
    text = policy.POLICY_AREAS_FILE.read_text(encoding="utf-8").replace(
        "  lifelong_learning_pct:", "  lifelong_learning_pct_renamed:"
    )
    path = tmp_path / "areas.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="no policy area for lifelong_learning_pct"):
        policy.load_policy_areas(path, framework=recipes.framework())


def _comparison(peer_scores=True):
    rows = [
        ("dimension", "knowledge_skills", 40.0, 55.0, 50.0, None),
        ("dimension", "research_innovation", 30.0, 60.0, 50.0, None),
        ("dimension", "labour_market", 70.0, 60.0, 50.0, None),
        ("indicator", "berd_intensity_pct_gdp", 10.0, 40.0, 35.0, "weakness"),
        ("indicator", "lifelong_learning_pct", 45.0, 50.0, 50.0, "similar"),
        ("indicator", "unemployment_rate_pct", 20.0, 45.0, 60.0, "weakness"),
        ("index", "overall", 45.0, 55.0, 50.0, None),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "node_type",
            "node_code",
            "region_score",
            "peer_average_score",
            "eu_average_score",
            "assessment",
        ],
    ).assign(label=lambda f: f["node_code"].str.replace("_", " "))
    if not peer_scores:
        frame = frame.assign(peer_average_score=np.nan, assessment=pd.NA)
    return frame


def test_the_dashboard_lists_the_weakest_dimensions_and_indicators_with_their_areas():
    dashboard, basis = policy.build_policy_dashboard(_comparison(), policy_recipes.policy_areas())
    assert basis == "peers"
    assert list(dashboard["node_code"]) == [
        "research_innovation",  # -30 points
        "knowledge_skills",  # -15
        "berd_intensity_pct_gdp",  # -30, a weakness
        "unemployment_rate_pct",  # -25, a weakness
    ]
    assert list(dashboard["difference"]) == [-30, -15, -30, -25]
    assert dashboard.loc[0, "policy_area"] == "Research and innovation support"
    assert "business R&D" in dashboard.loc[2, "points_to"]


def test_without_peer_scores_the_dashboard_compares_with_the_eu_average():
    dashboard, basis = policy.build_policy_dashboard(
        _comparison(peer_scores=False), policy_recipes.policy_areas()
    )
    assert basis == "eu"
    # knowledge 40 vs 50, research 30 vs 50; indicators 10 points or more below the EU
    assert list(dashboard["node_code"]) == [
        "research_innovation",
        "knowledge_skills",
        "unemployment_rate_pct",
        "berd_intensity_pct_gdp",
    ]
    assert dashboard["reference_score"].tolist()[:2] == [50.0, 50.0]


def test_the_recipe_dashboard_uses_the_scoreboard_and_the_peers(toy_store):
    dashboard, basis = policy_recipes.policy_dashboard(toy_store, "AT11", ["AT12", "BE21"])
    assert basis == "peers"
    result = recipes.scoreboard(toy_store, 2)
    dims = result.dimension_scores.set_index(["region_code", "dimension_code"])["score"]
    for row in dashboard.loc[dashboard["node_type"] == "dimension"].itertuples():
        peers = np.nanmean([dims.get(("AT12", row.node_code)), dims.get(("BE21", row.node_code))])
        assert row.region_score == pytest.approx(dims[("AT11", row.node_code)])
        assert row.difference == pytest.approx(row.region_score - peers)
        assert row.difference < 0
    assert dashboard["policy_area"].ne("").all()


# --- the S3 input format -------------------------------------------------------------------------

HEADER = "region_code,priority_id,priority_name,nace_divisions,category_codes,source\n"


def _read(tmp_path, toy_store, body: str):
    path = tmp_path / "s3.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return s3.read_s3_priorities(
        path,
        toy_store.regions,
        divisions=DIVISIONS,
        categories=toy_store.cluster_categories["category_code"],
    )


def test_the_input_format_maps_nuts3_regions_to_their_nuts2_region(tmp_path, toy_store):
    frame = _read(
        tmp_path,
        toy_store,
        "DE111,S-1,Fahrzeugbau,29;30,,strategy p. 4\n"
        "DE11,S-2,Pharma,,biopharmaceuticals,strategy p. 5\n"
        "de11,S-3,Tourism,,,strategy p. 6\n",
    )
    assert list(frame["nuts2_code"]) == ["DE11", "DE11", "DE11"]
    assert list(frame["region_code"]) == ["DE111", "DE11", "DE11"]
    assert frame.loc[0, "nace_divisions"] == "29;30"


def test_bad_rows_fail_with_their_line_and_the_fix(tmp_path, toy_store):
    with pytest.raises(DataSourceError) as caught:
        _read(
            tmp_path,
            toy_store,
            "DE11,S-1,Fine,29,,x\n"
            "DE1X,S-2,Bad region,29,,x\n"
            "DE11,S-3,Bad division,2A;29,,x\n"
            "DE11,S-4,Bad category,,automotiv,x\n"
            "DE1,S-5,NUTS 1,29,,x\n"
            "DE11,S-1,Repeated,29,,x\n",
        )
    message = str(caught.value)
    assert "5 problem(s)" in message
    assert "line 3: Unknown NUTS region 'DE1X'" in message and "DE11" in message
    assert "line 4: '2A' is not a NACE division" in message
    assert "line 5: Unknown category 'automotiv'; nearest valid category codes: automotive" in (
        message
    )
    assert "line 6: DE1 is a NUTS-1 code" in message
    assert "line 7: priority 'S-1' of DE11 is listed again (first on line 2)" in message


def test_missing_columns_name_the_header_to_use(tmp_path, toy_store):
    path = tmp_path / "s3.csv"
    path.write_text("region,priority\nDE11,x\n", encoding="utf-8")
    with pytest.raises(DataSourceError, match="line 1: the columns region_code"):
        s3.read_s3_priorities(path, toy_store.regions, divisions=DIVISIONS, categories=[])


def test_the_czech_loader_turns_the_source_into_the_input_format(tmp_path):
    domains = {
        "Jihomoravský kraj": {
            "0": {"nazev": "Software a služby v IT", "popis": "...", "nace": ["62", "63"]},
            "1": {"nazev": "Nové  materiály", "popis": "...", "nace": ["20", "34"]},
        },
        "Hl. m. Praha": {"0": {"nazev": "Life Sciences", "popis": "...", "nace": []}},
    }
    kraje = {
        "kraje": [
            {"nazev": "Jihomoravský kraj", "kod_nuts": "CZ064", "zkratka": "JHM"},
            {"nazev": "Hl. m. Praha", "kod_nuts": "CZ010", "zkratka": "PHA"},
        ]
    }
    (tmp_path / "d.json").write_text(json.dumps(domains, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "k.json").write_text(json.dumps(kraje, ensure_ascii=False), encoding="utf-8")
    frame, notes = s3.read_czech_ris3(
        tmp_path / "d.json", tmp_path / "k.json", divisions=[d for d in DIVISIONS if d != "34"]
    )
    assert list(frame.columns) == s3.S3_COLUMNS
    assert frame["priority_id"].tolist() == ["JHM-1", "JHM-2", "PHA-1"]
    assert frame["region_code"].tolist() == ["CZ064", "CZ064", "CZ010"]
    assert frame["priority_name"].tolist()[1] == "Nové materiály"
    assert frame["nace_divisions"].tolist() == ["62;63", "20", ""]
    assert notes == [
        "JHM-2 (Jihomoravský kraj) lists CZ-NACE 34, which is no NACE Rev. 2 division: left out."
    ]
    assert (frame["source"] == s3.CZECH_SOURCE).all()


# --- alignment -----------------------------------------------------------------------------------


def test_alignment_of_priorities_with_the_regions_statistics(tmp_path, toy_store):
    priorities = _read(
        tmp_path,
        toy_store,
        "DE111,S-1,Vehicles,29,,x\n"  # automotive (C29): DE11 is specialised
        "DE111,S-2,Pharma,21,,x\n"  # biopharmaceuticals: not specialised, density 0
        "DE111,S-3,Metal,,metalworking-technology,x\n"  # named: density 50
        "DE111,S-4,Tourism,,,x\n"  # nothing to match
        "DE111,S-5,Health,86,,x\n",  # no category has classes in health care
    )
    density = policy_recipes.relatedness_density(toy_store)
    types = toy_store.cluster_categories.set_index("category_code")["category_type"].to_dict()
    result = policy.align_s3_priorities(
        priorities, density, toy_store.cluster_nace_classes, types, strong_density=50.0
    )
    summary = result.priorities.set_index("priority_id")
    assert summary.loc["S-1", "alignment"] == policy.BUILDS_ON_STRENGTHS
    assert summary.loc["S-1", "n_specialised"] == 1
    assert summary.loc["S-2", "alignment"] == policy.WEAKLY_RELATED
    assert summary.loc["S-3", "alignment"] == policy.RELATED
    assert summary.loc["S-4", "alignment"] == policy.NOT_MATCHED
    assert summary.loc["S-5", "alignment"] == policy.NO_CATEGORY
    matches = result.matches.set_index(["priority_id", "category_code"])
    assert matches.loc[("S-1", "automotive"), "matched_divisions"] == "29"
    assert matches.loc[("S-1", "automotive"), "class_share"] == pytest.approx(2 / 3)
    assert bool(matches.loc[("S-1", "automotive"), "is_specialised"])
    assert matches.loc[("S-3", "metalworking-technology"), "matched_divisions"] == "named"
    assert matches.loc[("S-3", "metalworking-technology"), "relatedness_density"] == 50
    # DE11's only specialisation (automotive) is mentioned: no unmentioned strength
    assert result.unmentioned.empty


def test_a_strength_no_priority_mentions_is_listed(tmp_path, toy_store):
    priorities = _read(tmp_path, toy_store, "AT11,S-1,Pharma,21,,x\n")
    density = policy_recipes.relatedness_density(toy_store)
    types = toy_store.cluster_categories.set_index("category_code")["category_type"].to_dict()
    result = policy.align_s3_priorities(
        priorities, density, toy_store.cluster_nace_classes, types, strong_density=50.0
    )
    # AT11 is specialised in automotive, metalworking (traded) and blue growth (emerging, which
    # overlaps the traded categories and is not listed); the priority covers biopharmaceuticals
    assert set(result.unmentioned["category_code"]) == {"automotive", "metalworking-technology"}
    assert result.unmentioned["lq"].is_monotonic_decreasing


def test_the_recipe_reads_a_user_file_in_the_input_format(tmp_path, toy_store):
    path = tmp_path / "s3.csv"
    path.write_text(HEADER + "DE11,S-1,Vehicles,29,,x\n", encoding="utf-8")
    alignment = policy_recipes.s3_alignment(toy_store, str(path))
    assert alignment.priorities["alignment"].tolist() == [policy.BUILDS_ON_STRENGTHS]

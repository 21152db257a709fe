"""The scorecard's "where next" part, its policy dashboard and region-group scorecards (toy)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from observatory_lib.indicators import policy_recipes
from observatory_lib.products import region_scorecard
from observatory_lib.products.kit.labels import COLUMN_LABELS
from observatory_lib.products.region_scorecard import where_next as where

GROUPS = """\
groups:
  - code: alpine
    name: Two Austrian regions
    members: [AT11, AT12]
    source: https://example.org/alpine-members
  - code: solo
    name: Stuttgart alone
    members: [DE11]
    example: true
"""


@pytest.fixture
def groups_file(tmp_path, monkeypatch):
    path = tmp_path / "groups.yaml"
    path.write_text(GROUPS, encoding="utf-8")
    monkeypatch.setenv("OBSERVATORY_REGION_GROUPS", str(path))
    return path


@pytest.fixture
def de11(toy_store):
    return region_scorecard.build(toy_store, "DE11", peers="AT11,BE21", n_draws=50)


def test_where_next_lists_the_recipe_layers_opportunities(toy_store, de11):
    part = de11.where_next
    assert part["available"]
    expected = policy_recipes.opportunities(toy_store, "DE11")
    expected = expected.loc[expected["category_type"] == "traded"]
    assert list(part["opportunities"]["category_code"]) == list(expected["category_code"])[:5]
    np.testing.assert_array_equal(
        part["opportunities"]["relatedness_density"],
        expected["relatedness_density"].head(len(part["opportunities"])),
    )
    first = part["opportunities"].iloc[0]
    assert first["category_code"] == "metalworking-technology"
    assert first["related_strengths"] == [
        {"category_code": "automotive", "category_name": "Automotive", "proximity": 1 / 3}
    ]
    assert list(part["related_strengths"]["category_code"]) == ["automotive"]
    assert part["n_strong_opportunities"] == 1  # metalworking, density 50
    table = where.opportunities_frame(part)
    assert table.loc[0, "supporting_strengths"] == "Automotive (0.33)"
    text = where.where_next_markdown(part)
    assert "specialised (LQ ≥ 1) in 1 traded category; of the others, 1 has" in text
    assert "support the most of them: Automotive (LQ" in text
    assert "Related variety" in text and "unrelated variety" in text
    # the toy store holds five years: the category's European growth is shown, no note needed
    assert where.has_growth(part)
    assert where.growth_note(part) == ""


def test_the_record_carries_where_next_and_the_policy_dashboard(de11):
    record = json.loads(json.dumps(de11.record(), allow_nan=False))
    assert record["where_next"]["available"]
    assert record["where_next"]["opportunities"][0]["category_code"] == "metalworking-technology"
    assert record["policy_dashboard"]["available"]
    assert record["policy_dashboard"]["basis"] == "peers"
    assert record["group"] is None


def test_policy_dashboard_is_the_recipe_layers(toy_store, de11):
    dashboard, basis = policy_recipes.policy_dashboard(toy_store, "DE11", ["AT11", "BE21"])
    part = de11.policy
    assert basis == part["basis"]
    assert part["rows"]["node_code"].tolist() == dashboard["node_code"].tolist()
    np.testing.assert_array_equal(part["rows"]["difference"], dashboard["difference"])
    frame = where.policy_frame(part)
    assert len(frame) == len(dashboard)
    if len(frame):
        assert list(frame["policy_area"]) == list(dashboard["policy_area"])
        assert "peer_average_score" in frame.columns  # the comparison is the peers'
    assert "Not covered by the data" in where.policy_markdown(part)


def test_where_next_needs_a_nuts2_region(toy_store):
    card = region_scorecard.build(toy_store, "DE", n_draws=20)
    assert not card.where_next["available"]
    assert "NUTS-2" in where.where_next_markdown(card.where_next)
    assert where.opportunities_frame(card.where_next).empty


def test_a_region_without_location_quotients_says_why(toy_store):
    card = region_scorecard.build(toy_store, "DE12", n_draws=20)  # its total is unknown
    assert not card.where_next["available"]
    assert "not available" in where.where_next_markdown(card.where_next)


def _html(parts) -> str:
    return "".join(part.data for part in parts)


def _headers(html: str) -> set[str]:
    import re

    return {" ".join(h.split()) for h in re.findall(r'<th[^>]*scope="col"[^>]*>(.*?)</th>', html)}


def test_the_publication_shows_where_next_and_the_policy_dashboard(toy_store, de11):
    doc = region_scorecard.document(de11, toy_store)
    where_next = _html(region_scorecard.opportunities(doc, de11))
    assert "<h2>Where next</h2>" in where_next
    assert "Table 1. Diversification opportunities" in where_next
    assert "Metalworking Technology" in where_next and "Automotive (0.33)" in where_next
    policy = _html(region_scorecard.policy_dashboard(doc, de11))
    assert "<h3>Policy dashboard</h3>" in policy and "Not covered by the data" in policy
    known = {" ".join(label.header.split()) for label in COLUMN_LABELS.values()}
    headers = _headers(where_next + policy)
    assert headers and headers <= known, headers - known


# --- region groups -------------------------------------------------------------------------------


def test_a_group_scorecard_of_one_region_shows_that_regions_clusters(toy_store, groups_file):
    group = region_scorecard.build(toy_store, group_code="solo")
    region = region_scorecard.build(toy_store, "DE11", n_draws=20)
    columns = ["category_code", "lq", "stars", "employment_persons", "size_share", "size_rank"]
    assert group.portfolio[columns].equals(region.portfolio[columns])
    assert group.strongest_category["category_code"] == region.strongest_category["category_code"]
    same = ["category_code", "relatedness_density", "lq"]
    assert group.where_next["opportunities"][same].equals(region.where_next["opportunities"][same])
    facts = group.key_facts.set_index("indicator_code")
    own = region.key_facts.set_index("indicator_code")
    for code in ("population_persons", "gdp_pps_per_hab", "unemployment_rate_pct"):
        assert facts.loc[code, "value"] == pytest.approx(own.loc[code, "value"])
        assert facts.loc[code, "eu_average"] == pytest.approx(own.loc[code, "eu_average"])


def test_a_group_scorecard_names_its_members_and_source_and_has_no_scoreboard(
    toy_store, groups_file
):
    card = region_scorecard.build(toy_store, group_code="alpine", peers="DE11")
    header = card.header_markdown()
    assert "## Two Austrian regions" in header
    assert "Burgenland (AT11)" in header and "Niederösterreich (AT12)" in header
    assert "https://example.org/alpine-members" in header
    assert not card.scoreboard["available"] and not card.policy["available"]
    assert "Peer average" not in card.key_facts_table().columns
    doc = region_scorecard.document(card, toy_store)
    opening = _html(region_scorecard.opening(doc, card))
    assert "<h1>Two Austrian regions</h1>" in opening
    assert "Burgenland (AT11)" in opening and "under Methods and sources" in opening
    closing = region_scorecard.closing(doc, card, toy_store).data
    assert "Membership of the group" in closing
    assert "https://example.org/alpine-members" in closing
    assert "Peer average" not in opening
    assert region_scorecard.policy_dashboard(doc, card) == []
    ecosystem = _html(region_scorecard.ecosystem(doc, card, None))
    assert "a region group is not scored" in ecosystem
    assert any("no peers" in note for note in card.notes)
    record = card.record()
    assert record["group"]["members"] == ["AT11", "AT12"]
    assert record["parameters"]["group_code"] == "alpine"
    population = card.key_facts.set_index("indicator_code").loc["population_persons", "value"]
    context = toy_store.context_indicators
    members = context.loc[
        context["region_code"].isin(["AT11", "AT12"])
        & (context["indicator_code"] == "population_persons")
        & (context["year"] == 2015)
    ]
    assert population == pytest.approx(members["value"].sum())


def test_a_group_scorecard_draws_the_group_on_its_maps(toy_store, groups_file):
    card = region_scorecard.build(toy_store, group_code="alpine")
    images = region_scorecard.scorecard_images(card, toy_store)
    assert images["locator"].png is not None
    assert images["category_map"].png is not None
    assert images["dimension_chart"].png is None  # no scoreboard for a group


def test_an_unknown_group_names_the_groups(toy_store, groups_file):
    with pytest.raises(Exception, match="alpine"):
        region_scorecard.build(toy_store, group_code="alpin")


def test_not_available_parts_render_as_a_sentence():
    part = where.not_available("no data")
    assert where.where_next_markdown(part) == (
        "The diversification opportunities are not available for the region: no data."
    )
    assert where.policy_markdown(part, "the group") == (
        "The policy dashboard is not available for the group: no data."
    )
    assert where.opportunities_frame(part).empty and where.policy_frame(part).empty


def test_european_growth_gets_a_column_once_the_store_holds_several_years(toy_store):
    ranked = policy_recipes.opportunities(toy_store, "DE11").assign(
        european_growth_pct=2.5, european_growth_status="available"
    )
    support = policy_recipes.opportunity_support(toy_store, "DE11")
    part = where.where_next(ranked, support, policy_recipes.variety(toy_store).iloc[0:0], {})
    assert where.has_growth(part)
    assert where.opportunities_frame(part)["european_growth_pct"].tolist()[0] == 2.5
    assert "European growth of the categories" not in where.where_next_markdown(part)

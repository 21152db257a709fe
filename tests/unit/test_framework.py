"""The scoreboard framework file and its validation (errors name the file, the line, the fix)."""

from __future__ import annotations

import textwrap

import pytest

from observatory_lib.data.context import load_context_spec
from observatory_lib.errors import ConfigError
from observatory_lib.indicators.framework import (
    DEFAULT_FRAMEWORK_FILE,
    list_variants,
    load_framework,
    parse_framework,
)

# The indicator codes the store builds (context indicators) plus the cluster indicators.
STORE_CODES = {spec.indicator_code for spec in load_context_spec()} | {
    "starred_cluster_employment_share_pct",
    "specialisation_diversity",
}

VALID = textwrap.dedent(
    """\
    name: Test index
    defaults:
      direction: '+'
      transform: none
      reference_year: {target: 2015, max_lag: 2}
    dimensions:
      - id: dim_a
        label: Dimension A
        subdimensions:
          - id: sub_a
            label: Sub A
            indicators:
              - id: ind_one
                label: One
                unit: pct
                dataset: ds1
              - id: ind_two
                label: Two
                unit: pct
                direction: '-'
                transform: sqrt
                dataset: ds2
                reference_year: {target: 2012, max_lag: 0}
      - id: dim_b
        label: Dimension B
        subdimensions:
          - id: sub_b
            label: Sub B
            indicators:
              - id: ind_three
                label: Three
                unit: eur
                transform: log
                dataset: ds3
    variants:
      default:
        description: Equal weights.
      tilted:
        description: Dimension A counts more.
        weights:
          dim_a: 0.7
          dim_b: 0.3
    """
)


def _error(text: str, **kwargs) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_framework(text, source="test.yaml", **kwargs)
    return str(caught.value)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


# --- the project's framework --------------------------------------------------------------


def test_project_framework_loads_with_store_codes():
    framework = load_framework(available_indicators=STORE_CODES)
    assert framework.source == str(DEFAULT_FRAMEWORK_FILE)
    assert {d.code for d in framework.dimensions} == {
        "knowledge_skills",
        "research_innovation",
        "economic_performance",
        "labour_market",
        "industrial_structure",
    }


def test_project_framework_uses_rates_not_counts():
    codes = set(load_framework().indicator_codes)
    assert not codes & {"employment_ths", "unemployed_ths", "patent_applications_nr", "gdp_mio_eur"}
    assert load_framework().indicator("unemployment_rate_pct").direction == "-"


@pytest.mark.parametrize("variant", ["default", "innovation_focus"])
def test_project_weights_sum_to_one_in_every_group(variant):
    framework = load_framework(variant=variant)
    assert sum(d.weight for d in framework.dimensions) == pytest.approx(1.0)
    for dimension in framework.dimensions:
        subs = [s for s in framework.subdimensions if s.dimension_code == dimension.code]
        assert sum(s.weight for s in subs) == pytest.approx(1.0)
    for sub in framework.subdimensions:
        members = [i for i in framework.indicators if i.subdimension_code == sub.code]
        assert sum(i.weight for i in members) == pytest.approx(1.0)


def test_variants_are_listed_and_change_weights():
    assert list_variants() == ["default", "innovation_focus"]
    default = load_framework(variant="default")
    focus = load_framework(variant="innovation_focus")
    weight = {d.code: d.weight for d in focus.dimensions}
    assert weight["research_innovation"] == pytest.approx(0.35)
    assert [d.weight for d in default.dimensions] == pytest.approx([0.2] * 5)


# --- parsing ------------------------------------------------------------------------------


def test_valid_text_parses_with_defaults_and_overrides():
    framework = parse_framework(VALID)
    one, two, three = framework.indicators
    assert (one.direction, one.transform, one.reference_year.target_year) == ("+", "none", 2015)
    assert (two.direction, two.sign, two.transform) == ("-", -1, "sqrt")
    assert (two.reference_year.target_year, two.reference_year.max_lag) == (2012, 0)
    assert three.transform == "log"
    assert [i.weight for i in framework.indicators] == [0.5, 0.5, 1.0]
    assert [d.weight for d in framework.dimensions] == [0.5, 0.5]
    assert one.line == _line_of(VALID, "id: ind_one")
    table = framework.indicator_table()
    assert table["subdimension_code"].tolist() == ["sub_a", "sub_a", "sub_b"]


def test_variant_weights_apply():
    framework = parse_framework(VALID, variant="tilted")
    assert [d.weight for d in framework.dimensions] == [0.7, 0.3]
    assert framework.description == "Dimension A counts more."


def test_unknown_variant_names_the_nearest():
    message = _error(VALID, variant="tilt")
    assert "unknown variant 'tilt'" in message
    assert "tilted" in message
    assert f"line {_line_of(VALID, 'variants:')}" in message
    assert message.startswith("test.yaml")


def test_unknown_indicator_names_line_and_nearest_code():
    message = _error(VALID, available_indicators={"ind_one", "ind_two", "ind_3"})
    assert "unknown indicator 'ind_three'" in message
    assert f"line {_line_of(VALID, 'id: ind_three')}" in message
    assert "ind_3" in message


def test_bad_direction_names_the_line():
    text = VALID.replace("direction: '-'", "direction: down")
    message = _error(text)
    assert f"line {_line_of(text, 'direction: down')}" in message
    assert "'+'" in message and "'-'" in message


def test_bare_minus_direction_is_explained():
    text = VALID.replace("direction: '-'", "direction: -")
    assert "in quotes" in _error(text)


def test_bad_transform_names_the_line():
    text = VALID.replace("transform: sqrt", "transform: boxcox")
    message = _error(text)
    assert f"line {_line_of(text, 'transform: boxcox')}" in message
    assert "none, log, sqrt" in message


def test_negative_weight_names_the_line():
    text = VALID.replace("dim_b: 0.3", "dim_b: -0.3")
    message = _error(text, variant="tilted")
    assert "negative" in message
    assert f"line {_line_of(text, 'dim_b: -0.3')}" in message


def test_weights_not_summing_to_one_say_the_sum():
    text = VALID.replace("dim_b: 0.3", "dim_b: 0.2")
    message = _error(text, variant="tilted")
    assert "sum to 0.9" in message
    assert f"line {_line_of(text, 'dim_a: 0.7')}" in message


def test_partial_weights_in_a_group_are_refused():
    text = VALID.replace(
        "            dataset: ds1\n", "            dataset: ds1\n            weight: 0.4\n"
    )
    message = _error(text)
    assert "not for ind_two" in message
    assert f"line {_line_of(text, 'id: ind_one')}" in message


def test_variant_weight_for_unknown_id():
    text = VALID.replace("dim_b: 0.3", "dim_c: 0.3")
    message = _error(text, variant="tilted")
    assert "unknown id 'dim_c'" in message
    assert f"line {_line_of(text, 'dim_c: 0.3')}" in message


def test_misspelt_key_names_the_line():
    text = VALID.replace("dataset: ds3", "datset: ds3")
    message = _error(text)
    assert "unknown key 'datset'" in message
    assert f"line {_line_of(text, 'datset: ds3')}" in message


def test_duplicate_id_names_both_lines():
    text = VALID.replace("id: ind_three", "id: ind_one")
    message = _error(text)
    assert f"line {_line_of(text, 'id: ind_one')}" in message
    assert "used twice" in message


def test_bad_reference_year():
    text = VALID.replace("{target: 2012, max_lag: 0}", "{target: 2012, max_lag: -1}")
    message = _error(text)
    assert "max_lag" in message
    assert f"line {_line_of(text, 'max_lag: -1')}" in message


def test_missing_required_field():
    text = VALID.replace("            unit: eur\n", "")
    message = _error(text)
    assert "indicator 'ind_three' has no 'unit'" in message


def test_yaml_syntax_error_has_a_line():
    text = VALID.replace("label: Sub B", "label: [Sub B")
    assert "line" in _error(text)
    assert "not valid YAML" in _error(text)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the framework file"):
        load_framework(tmp_path / "nope.yaml")


def test_load_framework_reads_a_given_file(tmp_path):
    path = tmp_path / "index.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_framework(path, variant="tilted").name == "Test index"
    with pytest.raises(ConfigError, match=str(path)):
        load_framework(path, variant="nope")

"""The scoreboard framework: dimensions -> sub-dimensions -> indicators, read from YAML.

``data/scoreboard_framework.yaml`` is the one place to add an indicator. Each indicator names
its ``indicator_code`` (``id``), label, unit, direction (``'+'`` higher is better, ``'-'`` lower
is better), transform (``none``, ``log``, ``sqrt``), source dataset, reference-year rule and an
optional weight. Named variants in the same file change the weights (e.g. ``innovation_focus``).

Weights are shares within their group (the indicators of one sub-dimension, the sub-dimensions
of one dimension, the dimensions of the index): a group gives either no weights (equal shares)
or a weight for every member, summing to 1 (within 0.01; the engine rescales them to exactly 1).

Every validation error is a ``ConfigError`` naming the file, the line of the bad entry and the
fix. Line numbers come from the YAML node marks (``yaml.compose``), so they point at the entry an
analyst has to edit.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from observatory_lib import paths
from observatory_lib.errors import ConfigError, nearest

DEFAULT_FRAMEWORK_FILE = paths.DATA_DIR / "scoreboard_framework.yaml"
DEFAULT_VARIANT = "default"
DIRECTIONS = ("+", "-")
TRANSFORMS = ("none", "log", "sqrt")
WEIGHT_SUM_TOLERANCE = 0.01

_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {"name", "description", "defaults", "dimensions", "variants"}
_DEFAULT_KEYS = {"direction", "transform", "reference_year"}
_DIMENSION_KEYS = {"id", "label", "weight", "description", "subdimensions"}
_SUBDIMENSION_KEYS = {"id", "label", "weight", "description", "indicators"}
_INDICATOR_KEYS = {"id", "label", "unit", "direction", "transform", "dataset", "reference_year"}
_INDICATOR_KEYS = _INDICATOR_KEYS | {"weight", "description"}
_RULE_KEYS = {"target", "max_lag"}
_VARIANT_KEYS = {"description", "weights"}


@dataclass(frozen=True)
class ReferenceYearRule:
    """Which year's value an indicator uses.

    The value of ``target_year`` when the region has one, else the latest available year no
    more than ``max_lag`` years earlier; with none in that window the value is missing.
    """

    target_year: int
    max_lag: int


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator of the framework and where it sits."""

    code: str
    label: str
    unit: str
    direction: str
    transform: str
    dataset_code: str
    reference_year: ReferenceYearRule
    weight: float
    subdimension_code: str
    dimension_code: str
    line: int | None = None

    @property
    def sign(self) -> int:
        """+1 when higher values are better, -1 when lower values are better."""
        return 1 if self.direction == "+" else -1


@dataclass(frozen=True)
class SubDimensionSpec:
    """A sub-dimension: a weighted group of indicators inside one dimension."""

    code: str
    label: str
    dimension_code: str
    weight: float
    indicator_codes: tuple[str, ...]
    line: int | None = None


@dataclass(frozen=True)
class DimensionSpec:
    """A dimension: a weighted group of sub-dimensions."""

    code: str
    label: str
    weight: float
    subdimension_codes: tuple[str, ...]
    line: int | None = None


@dataclass(frozen=True)
class Framework:
    """A validated framework with the weights of one variant (weights sum to 1 per group)."""

    name: str
    variant: str
    source: str
    dimensions: tuple[DimensionSpec, ...]
    subdimensions: tuple[SubDimensionSpec, ...]
    indicators: tuple[IndicatorSpec, ...]
    variants: tuple[str, ...]
    description: str = ""

    @property
    def indicator_codes(self) -> list[str]:
        """The indicator codes in framework order."""
        return [spec.code for spec in self.indicators]

    def indicator(self, code: str) -> IndicatorSpec:
        """The spec of one indicator (``KeyError`` when the code is not in the framework)."""
        for spec in self.indicators:
            if spec.code == code:
                return spec
        raise KeyError(code)

    @property
    def weights_text(self) -> str:
        """The variant's weights as readers name them: ``the framework's own weights`` or
        ``innovation focus weights``."""
        if self.variant == "default":
            return "the framework's own weights"
        return f"{self.variant.replace('_', ' ')} weights"

    def labels(self) -> dict[str, str]:
        """Label of every dimension, sub-dimension and indicator code."""
        nodes = (*self.dimensions, *self.subdimensions, *self.indicators)
        return {node.code: node.label for node in nodes}

    def indicator_table(self) -> pd.DataFrame:
        """One row per indicator: code, place in the tree, rule, direction, transform, weight."""
        return pd.DataFrame(
            {
                "indicator_code": [s.code for s in self.indicators],
                "label": [s.label for s in self.indicators],
                "unit": [s.unit for s in self.indicators],
                "dimension_code": [s.dimension_code for s in self.indicators],
                "subdimension_code": [s.subdimension_code for s in self.indicators],
                "direction": [s.direction for s in self.indicators],
                "transform": [s.transform for s in self.indicators],
                "dataset_code": [s.dataset_code for s in self.indicators],
                "target_year": [s.reference_year.target_year for s in self.indicators],
                "max_lag": [s.reference_year.max_lag for s in self.indicators],
                "weight": [s.weight for s in self.indicators],
            }
        )


# --- YAML with line numbers ---------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict


class _Seq(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int = 0
    item_lines: list


class _Context:
    """The file being read, for messages of the form '<file>, line N: cause. Fix: ...'."""

    def __init__(self, source: str):
        self.source = source

    def error(self, line: int | None, cause: str, fix: str) -> ConfigError:
        where = f"{self.source}, line {line}" if line else self.source
        return ConfigError(f"{where}: {cause}. Fix: {fix}")


def _to_python(node: yaml.Node, loader: yaml.SafeLoader, context: _Context) -> object:
    if isinstance(node, yaml.MappingNode):
        result = _Map()
        result.line, result.key_lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in result:
                raise context.error(line, f"duplicate key {key!r}", "keep one of the entries")
            result[key] = _to_python(value_node, loader, context)
            result.key_lines[key] = line
        return result
    if isinstance(node, yaml.SequenceNode):
        result = _Seq(_to_python(item, loader, context) for item in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [item.start_mark.line + 1 for item in node.value]
        return result
    return loader.construct_object(node, deep=True)


def _read_located(text: str, context: _Context) -> _Map:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise context.error(1, "the file is empty", "write a 'dimensions:' list")
        document = _to_python(node, loader, context)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        fix = "correct the syntax"
        if "sequence entries" in str(error.problem):
            fix = "quote a bare '-' (write direction: '-' in quotes); YAML reads it as a list item"
        raise context.error(line, f"not valid YAML ({error.problem})", fix) from None
    finally:
        loader.dispose()
    if not isinstance(document, _Map):
        raise context.error(1, "the top level is not a mapping", "start with 'dimensions:'")
    return document


# --- field checks -------------------------------------------------------------------------


def _check_keys(entry: _Map, allowed: set[str], what: str, context: _Context) -> None:
    unknown = [key for key in entry if key not in allowed]
    if unknown:
        key = unknown[0]
        raise context.error(
            entry.key_lines[key],
            f"unknown key {key!r} in {what}",
            f"use only {', '.join(sorted(allowed))}",
        )


def _required(entry: _Map, key: str, what: str, context: _Context) -> object:
    value = entry.get(key)
    if value is None or value == "":
        raise context.error(entry.line, f"{what} has no {key!r}", f"add '{key}:' to the entry")
    return value


def _code(entry: _Map, what: str, context: _Context) -> str:
    code = _required(entry, "id", what, context)
    if not isinstance(code, str) or not _CODE_PATTERN.match(code):
        raise context.error(
            entry.key_lines["id"],
            f"{what} id {code!r} is not a snake_case code",
            "use lower-case letters, digits and underscores, starting with a letter",
        )
    return code


def _weight(value: object, line: int, code: str, context: _Context) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise context.error(line, f"weight of {code!r} is {value!r}", "give a number from 0 to 1")
    if value < 0:
        raise context.error(line, f"weight of {code!r} is negative ({value})", "use 0 or more")
    return float(value)


def _list(entry: _Map, key: str, what: str, context: _Context) -> _Seq:
    items = entry.get(key)
    if not isinstance(items, _Seq) or not items:
        line = entry.key_lines.get(key, entry.line)
        raise context.error(line, f"{what} has no {key!r} list", f"add a non-empty '{key}:' list")
    for item, line in zip(items, items.item_lines, strict=True):
        if not isinstance(item, _Map):
            raise context.error(line, f"an entry of {key!r} is not a mapping", "write 'id: ...'")
    return items


# --- the tree -----------------------------------------------------------------------------


def _defaults(document: _Map, context: _Context) -> dict:
    defaults = document.get("defaults") or _Map()
    if not isinstance(defaults, _Map):
        raise context.error(
            document.key_lines["defaults"],
            "'defaults' is not a mapping",
            "write 'defaults:' with direction, transform and reference_year under it",
        )
    _check_keys(defaults, _DEFAULT_KEYS, "'defaults'", context)
    return defaults


def _reference_year(value: object, line: int, code: str, context: _Context) -> ReferenceYearRule:
    fix = "write 'reference_year: {target: 2015, max_lag: 3}'"
    if not isinstance(value, _Map):
        raise context.error(line, f"reference_year of {code!r} is missing or not a mapping", fix)
    _check_keys(value, _RULE_KEYS, f"reference_year of {code!r}", context)
    target, lag = value.get("target"), value.get("max_lag", 0)
    if isinstance(target, bool) or not isinstance(target, int) or not 1900 <= target <= 2100:
        raise context.error(value.line, f"target year of {code!r} is {target!r}", fix)
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
        raise context.error(value.line, f"max_lag of {code!r} is {lag!r}", "use 0 or more years")
    return ReferenceYearRule(target_year=target, max_lag=lag)


def _direction(entry: _Map, defaults: dict, code: str, context: _Context) -> str:
    direction = entry.get("direction", defaults.get("direction"))
    if direction not in DIRECTIONS:
        line = entry.key_lines.get("direction", entry.line)
        raise context.error(
            line,
            f"direction of {code!r} is {direction!r}",
            "write direction: '+' (higher is better) or '-' (lower is better), in quotes",
        )
    return direction


def _transform(entry: _Map, defaults: dict, code: str, context: _Context) -> str:
    transform = entry.get("transform", defaults.get("transform", "none"))
    if transform not in TRANSFORMS:
        line = entry.key_lines.get("transform", entry.line)
        raise context.error(
            line, f"transform of {code!r} is {transform!r}", f"use one of {', '.join(TRANSFORMS)}"
        )
    return transform


def _indicator(
    entry: _Map, defaults: dict, parents: tuple[str, str], context: _Context
) -> IndicatorSpec:
    _check_keys(entry, _INDICATOR_KEYS, "an indicator", context)
    code = _code(entry, "an indicator", context)
    what = f"indicator {code!r}"
    rule = entry.get("reference_year", defaults.get("reference_year"))
    rule_line = entry.key_lines.get("reference_year", entry.line)
    return IndicatorSpec(
        code=code,
        label=str(_required(entry, "label", what, context)),
        unit=str(_required(entry, "unit", what, context)),
        direction=_direction(entry, defaults, code, context),
        transform=_transform(entry, defaults, code, context),
        dataset_code=str(_required(entry, "dataset", what, context)),
        reference_year=_reference_year(rule, rule_line, code, context),
        weight=_weight(entry.get("weight"), entry.key_lines.get("weight"), code, context),
        subdimension_code=parents[1],
        dimension_code=parents[0],
        line=entry.key_lines["id"],
    )


def _subdimension(
    entry: _Map, defaults: dict, dimension_code: str, context: _Context
) -> tuple[SubDimensionSpec, list[IndicatorSpec]]:
    _check_keys(entry, _SUBDIMENSION_KEYS, "a sub-dimension", context)
    code = _code(entry, "a sub-dimension", context)
    what = f"sub-dimension {code!r}"
    indicators = [
        _indicator(item, defaults, (dimension_code, code), context)
        for item in _list(entry, "indicators", what, context)
    ]
    spec = SubDimensionSpec(
        code=code,
        label=str(_required(entry, "label", what, context)),
        dimension_code=dimension_code,
        weight=_weight(entry.get("weight"), entry.key_lines.get("weight"), code, context),
        indicator_codes=tuple(i.code for i in indicators),
        line=entry.key_lines["id"],
    )
    return spec, indicators


def _dimension(entry: _Map, defaults: dict, context: _Context) -> tuple:
    _check_keys(entry, _DIMENSION_KEYS, "a dimension", context)
    code = _code(entry, "a dimension", context)
    what = f"dimension {code!r}"
    parts = [
        _subdimension(item, defaults, code, context)
        for item in _list(entry, "subdimensions", what, context)
    ]
    spec = DimensionSpec(
        code=code,
        label=str(_required(entry, "label", what, context)),
        weight=_weight(entry.get("weight"), entry.key_lines.get("weight"), code, context),
        subdimension_codes=tuple(sub.code for sub, _ in parts),
        line=entry.key_lines["id"],
    )
    return spec, [sub for sub, _ in parts], [ind for _, inds in parts for ind in inds]


def _check_unique(nodes: list, context: _Context) -> None:
    first_line: dict[str, int | None] = {}
    for node in nodes:
        if node.code in first_line:
            raise context.error(
                node.line,
                f"id {node.code!r} is used twice (first on line {first_line[node.code]})",
                "give every dimension, sub-dimension and indicator its own id",
            )
        first_line[node.code] = node.line


def _check_available(
    indicators: list[IndicatorSpec], available: Iterable[str] | None, context: _Context
) -> None:
    if available is None:
        return
    pool = {str(code) for code in available}
    for spec in indicators:
        if spec.code not in pool:
            close = ", ".join(nearest(spec.code, pool)) or "none"
            raise context.error(
                spec.line,
                f"unknown indicator {spec.code!r} (not among the available indicators; "
                f"nearest valid codes: {close})",
                "use an indicator_code of the store's context_indicators table, "
                "or add the indicator to the store first",
            )


# --- variants and weights -----------------------------------------------------------------


def _variant(document: _Map, variant: str, context: _Context) -> tuple[_Map, tuple[str, ...]]:
    variants = document.get("variants") or _Map()
    if not isinstance(variants, _Map):
        raise context.error(
            document.key_lines["variants"],
            "'variants' is not a mapping",
            "write 'variants:' with one named entry per variant under it",
        )
    names = tuple(dict.fromkeys([DEFAULT_VARIANT, *variants]))
    if variant not in names:
        close = ", ".join(nearest(variant, names)) or ", ".join(names)
        line = document.key_lines.get("variants")
        raise context.error(
            line,
            f"unknown variant {variant!r}; nearest valid variants: {close}",
            f"pick one of {', '.join(names)}, or add it under 'variants:'",
        )
    chosen = variants.get(variant) or _Map()
    if not isinstance(chosen, _Map):
        raise context.error(
            variants.key_lines[variant],
            f"variant {variant!r} is not a mapping",
            "give it 'description:' and 'weights:' entries",
        )
    _check_keys(chosen, _VARIANT_KEYS, f"variant {variant!r}", context)
    return chosen, names


def _variant_weights(chosen: _Map, known: dict, context: _Context) -> dict[str, tuple]:
    weights = chosen.get("weights") or _Map()
    if not isinstance(weights, _Map):
        raise context.error(
            chosen.key_lines["weights"],
            "'weights' is not a mapping",
            "write one 'id: weight' line per weighted dimension, sub-dimension or indicator",
        )
    overrides = {}
    for code, value in weights.items():
        line = weights.key_lines[code]
        if code not in known:
            close = ", ".join(nearest(str(code), known)) or "none"
            raise context.error(
                line,
                f"variant weight for unknown id {code!r} (nearest valid codes: {close})",
                "use a dimension, sub-dimension or indicator id of this file",
            )
        overrides[code] = (_weight(value, line, code, context), line)
    return overrides


def _group_weights(members: list, overrides: dict, group: str, context: _Context) -> list[float]:
    given = {m.code: overrides.get(m.code, (m.weight, m.line)) for m in members}
    set_codes = [code for code, (weight, _) in given.items() if weight is not None]
    if not set_codes:
        return [1.0 / len(members)] * len(members)
    first_line = given[set_codes[0]][1]
    missing = [m.code for m in members if given[m.code][0] is None]
    if missing:
        raise context.error(
            first_line,
            f"weights of {group} are given for {', '.join(set_codes)} but not for "
            f"{', '.join(missing)}",
            "give a weight to every member of the group, or to none (equal weights)",
        )
    total = sum(given[m.code][0] for m in members)
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise context.error(
            first_line,
            f"weights of {group} sum to {total:g}, not 1",
            "make them sum to 1, or drop them all for equal weights",
        )
    return [given[m.code][0] / total for m in members]


def _apply_weights(tree: tuple, overrides: dict, context: _Context) -> tuple:
    dimensions, subdimensions, indicators = tree
    weights = dict(
        zip(
            [d.code for d in dimensions],
            _group_weights(dimensions, overrides, "the dimensions", context),
            strict=True,
        )
    )
    for dimension in dimensions:
        members = [s for s in subdimensions if s.dimension_code == dimension.code]
        group = f"the sub-dimensions of {dimension.code!r}"
        shares = _group_weights(members, overrides, group, context)
        weights.update(zip([s.code for s in members], shares, strict=True))
    for sub in subdimensions:
        members = [i for i in indicators if i.subdimension_code == sub.code]
        group = f"the indicators of {sub.code!r}"
        shares = _group_weights(members, overrides, group, context)
        weights.update(zip([i.code for i in members], shares, strict=True))
    return tuple(tuple(_with_weight(node, weights[node.code]) for node in nodes) for nodes in tree)


def _with_weight(node, weight: float):
    return dataclasses.replace(node, weight=weight)


# --- public API ---------------------------------------------------------------------------


def parse_framework(
    text: str,
    *,
    source: str = "<framework>",
    variant: str = DEFAULT_VARIANT,
    available_indicators: Iterable[str] | None = None,
) -> Framework:
    """Validate framework YAML text and return the framework with one variant's weights.

    Args:
        text: the YAML document.
        source: the file name used in error messages.
        variant: the name of a variant under ``variants:`` (``default`` always exists).
        available_indicators: when given, every indicator id must be one of these codes
            (e.g. the store's ``context_indicators.indicator_code`` values).

    Returns:
        The validated ``Framework``; weights are rescaled to sum to exactly 1 per group.

    Raises:
        ConfigError: naming the file, the line of the bad entry and the fix.
    """
    context = _Context(source)
    document = _read_located(text, context)
    _check_keys(document, _TOP_KEYS, "the top level", context)
    defaults = _defaults(document, context)
    parts = [
        _dimension(item, defaults, context)
        for item in _list(document, "dimensions", "the framework", context)
    ]
    dimensions = [dim for dim, _, _ in parts]
    subdimensions = [sub for _, subs, _ in parts for sub in subs]
    indicators = [ind for _, _, inds in parts for ind in inds]
    _check_unique([*dimensions, *subdimensions, *indicators], context)
    _check_available(indicators, available_indicators, context)
    chosen, names = _variant(document, variant, context)
    known = {node.code: node for node in (*dimensions, *subdimensions, *indicators)}
    overrides = _variant_weights(chosen, known, context)
    weighted = _apply_weights((dimensions, subdimensions, indicators), overrides, context)
    return Framework(
        name=str(document.get("name", "Composite index")),
        variant=variant,
        source=source,
        dimensions=weighted[0],
        subdimensions=weighted[1],
        indicators=weighted[2],
        variants=names,
        description=str(chosen.get("description", "")),
    )


def load_framework(
    path: str | Path | None = None,
    variant: str = DEFAULT_VARIANT,
    available_indicators: Iterable[str] | None = None,
) -> Framework:
    """Read and validate a framework file (default ``data/scoreboard_framework.yaml``).

    Args:
        path: the YAML file; None for the project's scoreboard framework.
        variant: the weight variant to apply (see ``list_variants``).
        available_indicators: when given, every indicator id must be one of these codes.

    Returns:
        The validated ``Framework``.

    Raises:
        ConfigError: the file is missing or malformed; the message names the line and the fix.
    """
    file = Path(path) if path is not None else DEFAULT_FRAMEWORK_FILE
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"{file}: cannot read the framework file ({error.strerror}). Fix: check the path, "
            f"or pass path=None for {DEFAULT_FRAMEWORK_FILE.name}"
        ) from None
    return parse_framework(
        text, source=str(file), variant=variant, available_indicators=available_indicators
    )


def list_variants(path: str | Path | None = None) -> list[str]:
    """The variant names a framework file offers (``default`` first)."""
    return list(load_framework(path).variants)

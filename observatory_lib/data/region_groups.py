"""Region groups: named sets of NUTS codes that users define in ``data/region_groups.yaml``.

A group is any set of NUTS 2016 regions, of any level and across borders (a macro-regional
strategy, a cross-border area, a metropolitan network). The file is read with the line of
every entry, and checked as a whole: every bad code gets one error naming its line and the
nearest valid codes, all reported at once, so a user fixes the file in one pass.

The file::

    groups:
      - code: greater-region            # a slug: lower-case letters, digits and hyphens
        name: Greater Region (SaarLorLux+)
        members: [LU, DEB, DEC, FRF3, BE3]  # NUTS 2016 codes of any level, no overlaps
        source: https://granderegion.net/...  # a public source for the membership
        note: optional text printed with the group
      - code: my-example
        name: An illustration
        members: [AT13, SK01]
        example: true                   # no source: marked as an example everywhere

Rules: a code is unique and is not a NUTS code; members are NUTS 2016 codes; no member lies
inside another (``DE1`` and ``DE11``, or the same code twice, would count a territory twice);
each group cites a ``source`` or says ``example: true``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import yaml

from observatory_lib import paths
from observatory_lib.constants import STATISTICS_EDITION
from observatory_lib.data.nuts import check_region_code
from observatory_lib.errors import ConfigError, UnknownCodeError

GROUP_CODE = re.compile(r"^[a-z][a-z0-9-]{1,59}$")
ALLOWED_KEYS = {"code", "name", "members", "source", "example", "note"}


@dataclasses.dataclass(frozen=True)
class RegionGroup:
    """One validated group.

    Attributes:
        code: the group's slug (also its scorecard's file name).
        name: the name printed on its products.
        members: NUTS 2016 codes, as listed.
        member_levels: the NUTS level of each member.
        source: where the membership comes from ("" for an example).
        is_example: True when the group is an illustration without a source.
        note: free text printed with the group.
        line: the line of the entry in the file.
    """

    code: str
    name: str
    members: tuple[str, ...]
    member_levels: tuple[int, ...]
    source: str
    is_example: bool
    note: str
    line: int

    def provenance_line(self) -> str:
        """Where the membership comes from, in one sentence for the products."""
        if self.is_example:
            return "An example: its membership is an illustration, not an official definition."
        return f"Membership source: {self.source}"


def region_groups_file() -> Path:
    """The groups file: ``OBSERVATORY_REGION_GROUPS`` or ``data/region_groups.yaml``."""
    return paths.region_groups_file()


def read_region_groups(
    path: str | Path | None, regions: pd.DataFrame, *, edition: int = STATISTICS_EDITION
) -> tuple[RegionGroup, ...]:
    """Read and validate a groups file against the ``regions`` table of the store.

    Raises:
        ConfigError: the file cannot be read or is not valid YAML (line named), or one or more
            entries are wrong: one line per problem, each with the file, the line and the fix
            (for a bad code, its nearest valid codes).
    """
    path = Path(path) if path is not None else region_groups_file()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"Cannot read the region groups file {path}: {error.strerror}. Fix: create it "
            "(see data/region_groups.yaml) or point OBSERVATORY_REGION_GROUPS at it."
        ) from None
    entries = _group_nodes(text, path)
    problems: list[str] = []
    groups = []
    for node in entries:
        group = _group(node, path, regions, edition, problems)
        if group is not None:
            groups.append(group)
    _check_unique_codes(groups, path, problems)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ConfigError(f"The region groups file {path} has {count}:\n" + "\n".join(problems))
    return tuple(groups)


# --- YAML nodes with their lines -------------------------------------------------------------


def _group_nodes(text: str, path: Path) -> list[yaml.MappingNode]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(
            f"{path}{line}: not valid YAML ({error.problem}). Fix: correct the syntax, e.g. "
            "indent the members under their group and close every bracket."
        ) from None
    groups = _value(root, "groups") if isinstance(root, yaml.MappingNode) else None
    if not isinstance(groups, yaml.SequenceNode):
        raise ConfigError(
            f"{path}, line 1: the file has no 'groups:' list. Fix: start with 'groups:' and "
            "list each group under it with '- code: ...'."
        )
    return list(groups.value)


def _value(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in node.value:
        if key_node.value == key:
            return value_node
    return None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.Node | None) -> str:
    return str(node.value).strip() if isinstance(node, yaml.ScalarNode) else ""


# --- one group ---------------------------------------------------------------------------------


def _group(
    node: yaml.Node, path: Path, regions: pd.DataFrame, edition: int, problems: list[str]
) -> RegionGroup | None:
    where = f"{path}, line {_line(node)}"
    if not isinstance(node, yaml.MappingNode):
        problems.append(f"{where}: a group must be a mapping. Fix: write '- code: ...'.")
        return None
    found = len(problems)
    unknown = [k.value for k, _ in node.value if k.value not in ALLOWED_KEYS]
    if unknown:
        problems.append(
            f"{where}: unknown key {unknown[0]!r}. Fix: use only {', '.join(sorted(ALLOWED_KEYS))}."
        )
    code = _scalar(_value(node, "code"))
    name = _scalar(_value(node, "name"))
    label = f"group {code!r}" if code else "the group"
    if not GROUP_CODE.fullmatch(code):
        problems.append(
            f"{where}: {label} needs a 'code' of lower-case letters, digits and hyphens (2-60 "
            "characters, starting with a letter), e.g. 'danube-region'. Fix: set 'code:'."
        )
    if not name:
        problems.append(f"{where}: {label} has no 'name'. Fix: add 'name:'.")
    source, is_example = _provenance(node, where, label, problems)
    members, levels = _members(node, where, label, path, regions, edition, problems)
    if len(problems) > found:
        return None
    return RegionGroup(
        code=code,
        name=name,
        members=tuple(members),
        member_levels=tuple(levels),
        source=source,
        is_example=is_example,
        note=_scalar(_value(node, "note")),
        line=_line(node),
    )


def _provenance(
    node: yaml.MappingNode, where: str, label: str, problems: list[str]
) -> tuple[str, bool]:
    source = _scalar(_value(node, "source"))
    example = _scalar(_value(node, "example")).lower()
    if example not in {"", "true", "false"}:
        problems.append(f"{where}: {label} has 'example: {example}'. Fix: write true or false.")
    is_example = example == "true"
    if not source and not is_example:
        problems.append(
            f"{where}: {label} cites no source for its membership. Fix: add 'source:' (e.g. "
            "the page listing the participating regions) or mark it 'example: true'."
        )
    return source, is_example


def _members(
    node: yaml.MappingNode,
    where: str,
    label: str,
    path: Path,
    regions: pd.DataFrame,
    edition: int,
    problems: list[str],
) -> tuple[list[str], list[int]]:
    listed = _value(node, "members")
    if not isinstance(listed, yaml.SequenceNode) or not listed.value:
        problems.append(
            f"{where}: {label} has no 'members' list. Fix: add 'members: [DE11, DE12]' with "
            f"NUTS {edition} codes."
        )
        return [], []
    level_of = (
        regions.loc[regions["nuts_edition"] == edition]
        .drop_duplicates("region_code")
        .set_index("region_code")["nuts_level"]
    )
    members, levels, lines = [], [], []
    for item in listed.value:
        line = _line(item)
        try:
            code = check_region_code(_scalar(item), regions, edition=edition)
        except UnknownCodeError as error:
            problems.append(f"{path}, line {line}: in {label}: {error} Fix: correct the code.")
            continue
        members.append(code)
        levels.append(int(level_of[code]))
        lines.append(line)
    _check_overlaps(members, lines, label, path, problems)
    return members, levels


def _check_overlaps(
    members: list[str], lines: list[int], label: str, path: Path, problems: list[str]
) -> None:
    """NUTS codes nest by prefix: a member inside another would count a territory twice."""
    for index, (code, line) in enumerate(zip(members, lines, strict=True)):
        for other, other_line in zip(members[:index], lines[:index], strict=True):
            if code == other:
                problems.append(
                    f"{path}, line {line}: in {label}: {code} is listed twice (also line "
                    f"{other_line}). Fix: keep it once."
                )
            elif code.startswith(other) or other.startswith(code):
                inner, outer = (code, other) if code.startswith(other) else (other, code)
                problems.append(
                    f"{path}, line {line}: in {label}: {inner} lies inside {outer} (listed on "
                    f"line {other_line if line != other_line else 'the same line'}), so it "
                    f"would count twice. Fix: keep {outer} or list the parts of {outer} instead."
                )


def _check_unique_codes(groups: list[RegionGroup], path: Path, problems: list[str]) -> None:
    seen: dict[str, int] = {}
    for group in groups:
        if group.code in seen:
            problems.append(
                f"{path}, line {group.line}: the group code {group.code!r} is used again (first "
                f"on line {seen[group.code]}). Fix: give each group its own code."
            )
        seen.setdefault(group.code, group.line)

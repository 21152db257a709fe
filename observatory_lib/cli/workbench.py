"""The analyst's start page (``notebooks/start_here.ipynb``): the data in use, what every
option accepts, and the commands that publish, for the region being looked at.

It reads the same sources as the command line (``options``, ``registry``), so the page, the
``--help`` texts and the checks made before a batch can never disagree.
"""

from __future__ import annotations

import textwrap

from observatory_lib.cli import options
from observatory_lib.cli.registry import format_inputs


def data_in_use_markdown(store) -> str:
    """Which store the notebooks read: its version, date, data origin and vintages."""
    from observatory_lib.data.retrieval import load_catalog

    info = store.info
    lines = [
        f"**Store** `{store.version}`, built {info.get('built_at', 'at an unknown time')} "
        f"(`{store.path}`).",
        "",
        "```",
        textwrap.dedent(format_inputs(info, store.provenance, load_catalog())),
        "```",
        "",
        "Rebuild it with `observatory build` (or `make store`) after a change to the inputs.",
    ]
    return "\n".join(lines)


def choices_markdown(store) -> str:
    """Every option's valid values, as a table an analyst can copy from."""
    from observatory_lib.indicators.stars import load_star_preset

    presets = "; ".join(
        f"`{name}` ({load_star_preset(name).label})" for name in options.star_presets()
    )
    cluster_years = ", ".join(str(year) for year in options.cluster_years(store))
    context = options.context_years(store)
    rows = [
        ("star rule set", "`--star-preset`, `star_preset`", presets),
        (
            "scoreboard weights",
            "`--framework-variant`, `framework_variant`",
            ", ".join(f"`{name}`" for name in options.framework_variants()),
        ),
        ("year of the cluster data", "`--year`, `year`", cluster_years or "none"),
        (
            "year of the scoreboard",
            "`--year` with `--only scoreboard`, `year`",
            f"0 (each indicator's reference year) or {context[0]}-{context[-1]}",
        ),
        ("NUTS level", "`--level`, `level`", "0, 1, 2 (scorecards also 3)"),
        ("reports", "`--only`", ", ".join(f"`{kind}`" for kind in options.report_kinds())),
        ("output formats", "`--formats`", ", ".join(f"`{f}`" for f in options.output_formats())),
    ]
    table = ["| choice | option, parameter | valid values |", "|---|---|---|"]
    table += [f"| {what} | {where} | {values} |" for what, where, values in rows]
    table.append(
        "| regions, categories | `--regions`, `--categories` | `observatory values regions`, "
        "`observatory values categories` |"
    )
    return "\n".join(table)


def publish_commands_markdown(store, region_code: str) -> str:
    """The commands that publish what the notebooks show, for ``region_code``.

    Raises:
        UnknownCodeError: ``region_code`` is not a NUTS code of the store (nearest ones named).
    """
    from observatory_lib.cli.selection import select_regions

    code = select_regions(store, 2, region_code)[0]
    commands = [
        (f"scorecards --regions {code}", "its scorecard"),
        (f"scorecards --regions {code[:2]}", "every region of its country"),
        ("reports --only panorama,scoreboard", "the European reports"),
        ("portal", "outputs/index.html, linking everything"),
    ]
    width = max(len(command) for command, _ in commands)
    lines = [f".venv/bin/observatory {command:<{width}}  # {why}" for command, why in commands]
    return "\n".join(
        [
            "```bash",
            *lines,
            "```",
            "",
            f"The scorecard lands in `outputs/scorecards/{code}/` (HTML, PDF, JSON, notebook); "
            "`--dry-run` says what would run and why before anything runs.",
        ]
    )

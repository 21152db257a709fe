"""The product subcommands: ``observatory demo``, ``scorecards``, ``reports``, ``portal``,
``apps build``, ``serve``.

The scorecards and reports run their notebooks through the batch (``runtime.batch``) into
``outputs/scorecards/`` and ``outputs/reports/<report>/``; ``--dry-run`` lists what would run
and why (a changed notebook, parameters, data store or project code) without running it.

Every option is checked before any job runs (``options``): a command first turns its options
into ``Batch`` plans, refusing a bad value with one line, then runs them. ``demo`` plans the
reports and the scorecards both before it runs either.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from observatory_lib import paths
from observatory_lib.cli import options
from observatory_lib.cli.registry import command, format_summary, no_options
from observatory_lib.constants import DEFAULT_STAR_PRESET, DEFAULT_YEAR
from observatory_lib.products.kit.links import GROUP_SCORECARDS_DIR, REPORTS_DIR, SCORECARDS_DIR

REPORT_NOTEBOOKS = options.REPORT_NOTEBOOKS
DEFAULT_LEVEL = 2
GROUPS_HELP = (
    "region groups instead of regions: all, or group codes (comma-separated) of "
    "data/region_groups.yaml (or the file OBSERVATORY_REGION_GROUPS names); their scorecards go "
    "to outputs/group_scorecards/"
)


@dataclass(frozen=True)
class Batch:
    """One batch to run: a notebook, its jobs and where their outputs go."""

    notebook: str
    jobs: list
    output_root: Path


def ensure_store() -> dict:
    """Build the store unless the current one already matches the catalog and code version.

    With ``OBSERVATORY_DATA=live`` the live store is used as it is (or its absence reported
    with the fix): rebuilding it means downloading, which only `observatory build --live` does.
    """
    from observatory_lib.constants import live_data_selected
    from observatory_lib.data import store
    from observatory_lib.data.retrieval import load_catalog
    from observatory_lib.errors import StoreError

    if live_data_selected():  # the live store is built only on request (it needs the network)
        current = store.load_store(live=True)
        return {**current.info, "path": str(current.path)}
    try:
        current = store.load_store()
    except StoreError:
        current = None
    if current is not None and current.version == store.store_version(load_catalog()):
        return {**current.info, "path": str(current.path)}
    return store.build_store()


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------


def _batch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--formats",
        default="html,pdf,json,ipynb",
        type=options.formats_type,
        metavar="LIST",
        help="what each job writes, comma-separated: {formats} (default: all)",
    )
    parser.add_argument(
        "--workers",
        type=options.workers_type,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes, each with its own kernel: 0 (this process) or more "
        "(default: one per CPU, %(default)s here)",
    )
    parser.add_argument(
        "--force", action="store_true", help="rerun the jobs whose outputs are up to date too"
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="rerun only the jobs that failed last time"
    )
    parser.add_argument(
        "--engine",
        choices=options.engines(),
        default="warm",
        help="warm: one kernel per worker, reset between jobs (default); papermill: a fresh "
        "kernel per job (slower; the reference)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="local|tcp://HOST:PORT",
        help="run on Dask: 'local' (a cluster of --workers processes on this machine) or "
        "tcp://HOST:PORT of a running scheduler; default: a local process pool",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar (for logs and scripts)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="list which jobs would run and why (changed notebook, parameters, data store or "
        "project code), then stop without running anything",
    )


def _star_preset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--star-preset",
        default=None,
        type=options.star_preset_type,
        metavar="NAME",
        help=f"star rule set: {{star_presets}} (default {DEFAULT_STAR_PRESET}; add one in "
        "observatory_lib/indicators/star_presets.yaml)",
    )


def _framework_variant_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--framework-variant",
        default=None,
        type=options.framework_variant_type,
        metavar="NAME",
        help="scoreboard weights: {framework_variants} (default default; "
        "data/scoreboard_framework.yaml)",
    )


def _year_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--year",
        default=None,
        type=options.year_type,
        metavar="YYYY",
        help=f"{what}; `observatory values years` lists the years the store holds",
    )


def _scorecard_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--level",
        type=int,
        choices=options.SCORECARD_LEVELS,
        default=None,
        help=f"NUTS level of the regions: 0, 1, 2 or 3 (default {DEFAULT_LEVEL})",
    )
    parser.add_argument(
        "--regions",
        default="all",
        metavar="CODES",
        help="all (default: every region of --level with data), or NUTS 2016 country codes "
        "(DE: its regions at --level) or region codes (DE11), comma-separated; "
        "`observatory values regions` lists them",
    )
    _star_preset_option(parser)
    _year_option(
        parser, f"reference year of the cluster data and key facts (default {DEFAULT_YEAR})"
    )
    _framework_variant_option(parser)
    parser.add_argument("--groups", default=None, metavar="CODES", help=GROUPS_HELP)
    _batch_options(parser)


def _report_selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        default=",".join(options.REPORT_KINDS),
        type=options.report_kinds_type,
        metavar="LIST",
        help="which reports, comma-separated: {reports} (default: all)",
    )
    parser.add_argument(
        "--categories",
        default="all",
        metavar="SLUGS",
        help="sector reports: all (default), or category slugs such as automotive, "
        "blue-growth (comma-separated); `observatory values categories` lists them",
    )


def _report_options(parser: argparse.ArgumentParser) -> None:
    _report_selection_options(parser)
    parser.add_argument(
        "--level",
        type=int,
        choices=options.REPORT_LEVELS,
        default=None,
        help=f"NUTS level of the regions: 0, 1 or 2 (default {DEFAULT_LEVEL})",
    )
    _star_preset_option(parser)
    _year_option(
        parser,
        f"panorama and sector reports: a year with cluster data (default {DEFAULT_YEAR}); "
        "scoreboard: 0 (default: each indicator's reference year) or a context-indicator year",
    )
    _framework_variant_option(parser)
    _batch_options(parser)


def _demo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--level",
        type=int,
        choices=options.REPORT_LEVELS,
        default=None,
        help=f"NUTS level of the reports and scorecards: 0, 1 or 2 (default {DEFAULT_LEVEL})",
    )
    parser.add_argument(
        "--regions",
        default="all",
        metavar="CODES",
        help="scorecards: all (default), or country or region codes, comma-separated; "
        "`observatory values regions` lists them",
    )
    _report_selection_options(parser)
    _star_preset_option(parser)
    _year_option(parser, f"a year with cluster data, for every product (default {DEFAULT_YEAR})")
    _framework_variant_option(parser)
    parser.add_argument(
        "--groups",
        default="all",
        metavar="CODES",
        help="region groups' scorecards: all (default), group codes of data/region_groups.yaml "
        "(comma-separated), or none",
    )
    _batch_options(parser)


# --------------------------------------------------------------------------------------------
# Planning: options -> batches, every value checked
# --------------------------------------------------------------------------------------------


def check_batch_options(arguments: argparse.Namespace) -> None:
    """The options every batch shares that need more than argparse (the Dask scheduler, the
    PDF engine when the jobs write PDFs)."""
    options.check_scheduler(arguments.scheduler, arguments.workers)
    options.check_pdf_engine(arguments.formats)


def scorecard_batch(store, arguments: argparse.Namespace) -> Batch:
    """The scorecards the options ask for; raises ``ParameterError`` on a bad value."""
    from observatory_lib.cli.selection import select_regions
    from observatory_lib.errors import UnknownCodeError

    options.check_configuration(store, arguments.framework_variant)
    level = DEFAULT_LEVEL if arguments.level is None else arguments.level
    try:
        codes = select_regions(store, level, arguments.regions)
    except UnknownCodeError as error:
        raise options.ParameterError(f"--regions: {error}") from None
    # the preset is always passed, so that results stay keyed as before (resume)
    parameters = {"star_preset": arguments.star_preset or DEFAULT_STAR_PRESET}
    if arguments.year is not None:
        parameters["year"] = options.check_cluster_year(arguments.year, store, "scorecards")
    if arguments.framework_variant is not None:
        parameters["framework_variant"] = arguments.framework_variant
    jobs = [(code, {"region_code": code, **parameters}) for code in codes]
    return Batch("region_scorecard.ipynb", jobs, paths.output_dir() / SCORECARDS_DIR)


def group_scorecard_batch(store, arguments: argparse.Namespace) -> Batch:
    """The region groups' scorecards (``--groups``), one job per group."""
    from observatory_lib.cli.selection import select_groups
    from observatory_lib.errors import UnknownCodeError

    try:
        codes = select_groups(store, arguments.groups)
    except UnknownCodeError as error:
        raise options.ParameterError(f"--groups: {error}") from None
    parameters = {"star_preset": arguments.star_preset or DEFAULT_STAR_PRESET}
    if arguments.year is not None:
        parameters["year"] = options.check_cluster_year(arguments.year, store, "scorecards")
    jobs = [(code, {"group_code": code, "region_code": "", **parameters}) for code in codes]
    return Batch("region_scorecard.ipynb", jobs, paths.output_dir() / GROUP_SCORECARDS_DIR)


def report_batches(store, arguments: argparse.Namespace) -> list[Batch]:
    """The reports the options ask for, in ``--only`` order; raises ``ParameterError``."""
    options.check_configuration(store, arguments.framework_variant)
    batches = []
    for kind in arguments.only:
        parameters = _report_parameters(store, kind, arguments)
        jobs = [
            (job_id, {**job_parameters, **parameters})
            for job_id, job_parameters in _report_jobs(store, kind, arguments.categories)
        ]
        output_root = paths.output_dir() / REPORTS_DIR / kind
        batches.append(Batch(REPORT_NOTEBOOKS[kind], jobs, output_root))
    return batches


def _report_parameters(store, kind: str, arguments: argparse.Namespace) -> dict:
    """The options given for a report, among those its notebook takes (none: its defaults)."""
    from observatory_lib.runtime.batch import read_parameter_names

    accepted = read_parameter_names(paths.NOTEBOOK_DIR / REPORT_NOTEBOOKS[kind])
    given = {
        "level": arguments.level,
        "star_preset": arguments.star_preset,
        "framework_variant": arguments.framework_variant,
        "year": arguments.year,
    }
    parameters = {name: value for name, value in given.items() if value is not None}
    if "year" in parameters and "year" in accepted:
        if kind == "scoreboard":
            options.check_scoreboard_year(parameters["year"], store)
        else:
            options.check_cluster_year(parameters["year"], store, f"the {kind} report")
    return {name: value for name, value in parameters.items() if name in accepted}


def _report_jobs(store, kind: str, categories: str) -> list:
    if kind != "sector_reports":
        return [(Path(REPORT_NOTEBOOKS[kind]).stem, {})]
    valid = store.cluster_categories["category_code"].tolist()
    chosen = valid if categories.strip() == "all" else options.split_list(categories)
    for code in chosen:
        options.check_choice(
            "--categories", code, valid, "category slug", "observatory values categories"
        )
    return [(code, {"category_code": code}) for code in chosen]


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def run_batches(batches: list[Batch], arguments: argparse.Namespace, store_version: str) -> int:
    """Run (or with ``--dry-run`` describe) the batches; the worst exit code.

    They run as one stream of jobs on the same workers (``batch.run_batches``), whose warm
    kernels keep the store loaded from one batch to the next.
    """
    from observatory_lib.runtime.batch import BatchSpec, plan_batch
    from observatory_lib.runtime.batch import run_batches as run_all

    batch_options = {
        "formats": list(arguments.formats),
        "force": arguments.force,
        "retry_failed": arguments.retry_failed,
        "store_version": store_version,
    }
    if arguments.dry_run:
        for batch in batches:
            notebook = paths.NOTEBOOK_DIR / batch.notebook
            plans = plan_batch(notebook, batch.jobs, batch.output_root, **batch_options)
            print(_plan_summary(plans, batch.output_root))
        return 0
    specs = [
        BatchSpec(paths.NOTEBOOK_DIR / batch.notebook, batch.jobs, batch.output_root)
        for batch in batches
    ]
    reports = run_all(
        specs,
        workers=arguments.workers,
        progress=not arguments.no_progress,
        engine=arguments.engine,
        scheduler=arguments.scheduler,
        **batch_options,
    )
    for report in reports:
        print(report.summary())
    return max((report.exit_code for report in reports), default=0)


def _plan_summary(plans: list, output_root: Path, shown: int = 20) -> str:
    """``--dry-run``: how many jobs would run, grouped by reason, and a few job ids each."""
    to_run = [plan for plan in plans if plan.action == "run"]
    lines = [f"{output_root}: {len(to_run)} of {len(plans)} jobs would run (dry run)."]
    by_reason: dict[str, list[str]] = {}
    for plan in plans:
        by_reason.setdefault(f"{plan.action}: {plan.reason}", []).append(plan.job_id)
    for reason, ids in sorted(by_reason.items()):
        listed = ", ".join(ids[:shown]) + (
            f" and {len(ids) - shown} more" if len(ids) > shown else ""
        )
        lines.append(f"  {len(ids)} {reason} ({listed})")
    return "\n".join(lines)


def _start_workers_early(arguments: argparse.Namespace) -> None:
    """Let the batch's worker processes start while the store loads and the jobs are planned."""
    if arguments.dry_run or arguments.scheduler is not None or arguments.workers == 0:
        return
    from observatory_lib.runtime.batch import start_worker_server

    start_worker_server()


@command("scorecards", _scorecard_options)
def scorecards_command(arguments: argparse.Namespace) -> int:
    """Run the region scorecard for every chosen region (HTML, PDF, JSON, notebook)."""
    from observatory_lib.indicators import recipes

    _start_workers_early(arguments)
    check_batch_options(arguments)
    store = recipes.current_store()
    if arguments.groups:
        batch = group_scorecard_batch(store, arguments)
    else:
        batch = scorecard_batch(store, arguments)
    return run_batches([batch], arguments, store.version)


@command("reports", _report_options)
def reports_command(arguments: argparse.Namespace) -> int:
    """Run the Panorama, the Ecosystem Scoreboard, the sector and smart specialisation reports."""
    from observatory_lib.indicators import recipes

    _start_workers_early(arguments)
    check_batch_options(arguments)
    store = recipes.current_store()
    batches = report_batches(store, arguments)
    return run_batches(batches, arguments, store.version)


@command("portal", no_options)
def portal_command(arguments: argparse.Namespace) -> int:
    """Write the portal (outputs/index.html and its pages), the single access point that
    works offline, and its Parquet and GeoJSON downloads."""
    from observatory_lib.errors import ObservatoryError
    from observatory_lib.indicators import recipes
    from observatory_lib.products.portal import build_portal, write_portal_downloads

    try:  # the apps `observatory serve` offers, for the mapping-tool page
        from observatory_lib.runtime import serve

        apps = serve.allowed_apps()
    except (ImportError, ObservatoryError):
        apps = ()  # the page then points to the server's start page
    store = recipes.current_store()
    for path in write_portal_downloads(store):
        print(f"download: {path}")
    page = build_portal(store, apps=apps)
    print(f"portal: {page}")
    return 0


@command("demo", _demo_options)
def demo_command(arguments: argparse.Namespace) -> int:
    """The main job on the default data: store, reports, every NUTS-2 scorecard, portal."""
    from observatory_lib.indicators import recipes

    check_batch_options(arguments)
    info = ensure_store()
    print(format_summary(info))
    _start_workers_early(arguments)
    store = recipes.current_store()
    # every product's options are checked before the first job of any of them
    batches = [*report_batches(store, arguments), scorecard_batch(store, arguments)]
    if arguments.groups.strip().lower() != "none":  # the regions first, then the groups
        batches.append(group_scorecard_batch(store, arguments))
    exit_code = run_batches(batches, arguments, store.version)
    if arguments.dry_run:
        return exit_code
    portal_command(arguments)
    print(f"apps: prepared data {prepare_apps()}")
    print("Apps: run `.venv/bin/observatory serve` and open http://127.0.0.1:8866/")
    return exit_code


def prepare_apps(force: bool = False):
    """The apps' prepared data for the current store and code (built when missing or stale)."""
    from observatory_lib.products.apps.prepare import build_app_bundle, ensure_app_bundle

    ensure_store()
    return build_app_bundle() if force else ensure_app_bundle()


def _apps_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["build"], help="build: prepare the apps' data")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")


@command("apps", _apps_options)
def apps_command(arguments: argparse.Namespace) -> int:
    """Prepare the apps' tables, geometry and overflow pages (outside the visitors' kernels)."""
    path = prepare_apps(force=arguments.force)
    print(f"apps: prepared data {path}")
    return 0


def _register_serve() -> None:
    try:
        from observatory_lib.runtime import serve
    except ImportError:  # the apps are optional in stripped-down installs
        return

    def serve_command(arguments: argparse.Namespace) -> int:
        """Serve the interactive apps with Voila (loopback by default)."""
        path = prepare_apps()
        print(f"apps: prepared data {path}", flush=True)
        return serve.serve_from_arguments(arguments)

    command("serve", serve.configure_serve_parser)(serve_command)


_register_serve()

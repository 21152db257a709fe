"""The product subcommands: ``observatory demo``, ``scorecards``, ``reports``, ``portal``,
``serve``.

The scorecards and reports run their notebooks through the batch (``runtime.batch``) into
``outputs/scorecards/`` and ``outputs/reports/<report>/``; ``--dry-run`` lists what would run
and why (a changed notebook, parameters, data store or project code) without running it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from observatory_lib import paths
from observatory_lib.cli.registry import command, format_summary, no_options
from observatory_lib.constants import DEFAULT_STAR_PRESET
from observatory_lib.products.kit.links import REPORTS_DIR, SCORECARDS_DIR

REPORT_NOTEBOOKS = {
    "panorama": "cluster_panorama.ipynb",
    "scoreboard": "ecosystem_scoreboard.ipynb",
    "sector_reports": "sector_report.ipynb",
}


def ensure_store() -> dict:
    """Build the store unless the current one already matches the catalog and code version."""
    from observatory_lib.data import store
    from observatory_lib.data.retrieval import load_catalog
    from observatory_lib.errors import StoreError

    try:
        current = store.load_store()
    except StoreError:
        current = None
    if current is not None and current.version == store.store_version(load_catalog()):
        return {**current.info, "path": str(current.path)}
    return store.build_store()


def _batch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--formats", default="html,pdf,json,ipynb", help="comma-separated")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--force", action="store_true", help="rerun up-to-date jobs too")
    parser.add_argument("--retry-failed", action="store_true", help="rerun only failed jobs")
    parser.add_argument("--engine", choices=["warm", "papermill"], default="warm")
    parser.add_argument(
        "--scheduler",
        default=None,
        help="run on Dask: 'local' (a cluster of --workers processes on this machine) or "
        "tcp://HOST:PORT of a running scheduler; default: a local process pool",
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="list which jobs would run and why (changed notebook, parameters, data store or "
        "project code), then stop without running anything",
    )


def _scorecard_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", type=int, default=2, help="NUTS level (default 2)")
    parser.add_argument(
        "--regions", default="all", help="all, or country codes, or region codes (comma-separated)"
    )
    parser.add_argument("--star-preset", default=DEFAULT_STAR_PRESET)
    _batch_options(parser)


def _run(notebook: str, jobs: list, output_root: Path, arguments, store_version: str):
    """Run the batch (or, with ``--dry-run``, say what it would run); return its exit code."""
    from observatory_lib.runtime.batch import plan_batch, run_batch

    options = {
        "formats": [f.strip() for f in arguments.formats.split(",") if f.strip()],
        "force": arguments.force,
        "retry_failed": arguments.retry_failed,
        "store_version": store_version,
    }
    if arguments.dry_run:
        plans = plan_batch(paths.NOTEBOOK_DIR / notebook, jobs, output_root, **options)
        print(_plan_summary(plans, output_root))
        return 0
    report = run_batch(
        paths.NOTEBOOK_DIR / notebook,
        jobs,
        output_root,
        workers=arguments.workers,
        progress=not arguments.no_progress,
        engine=arguments.engine,
        scheduler=arguments.scheduler,
        **options,
    )
    print(report.summary())
    return report.exit_code


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


@command("scorecards", _scorecard_options)
def scorecards_command(arguments: argparse.Namespace) -> int:
    """Run the region scorecard for every chosen region (HTML, PDF, JSON, notebook)."""
    from observatory_lib.cli.selection import select_regions
    from observatory_lib.indicators import recipes

    store = recipes.current_store()
    codes = select_regions(store, arguments.level, arguments.regions)
    jobs = [(code, {"region_code": code, "star_preset": arguments.star_preset}) for code in codes]
    output_root = paths.output_dir() / SCORECARDS_DIR
    return _run("region_scorecard.ipynb", jobs, output_root, arguments, store.version)


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        default="panorama,scoreboard,sector_reports",
        help="which reports: panorama, scoreboard, sector_reports (comma-separated)",
    )
    parser.add_argument(
        "--categories", default="all", help="sector reports: all, or category slugs"
    )
    _batch_options(parser)


def _report_jobs(store, kind: str, categories: str) -> list:
    if kind != "sector_reports":
        return [(Path(REPORT_NOTEBOOKS[kind]).stem, {})]
    from observatory_lib.errors import unknown_code

    valid = store.cluster_categories["category_code"].tolist()
    chosen = valid if categories == "all" else [c.strip() for c in categories.split(",")]
    for code in chosen:
        if code not in valid:
            raise unknown_code("category", code, valid)
    return [(code, {"category_code": code}) for code in chosen]


@command("reports", _report_options)
def reports_command(arguments: argparse.Namespace) -> int:
    """Run the Panorama, the Ecosystem Scoreboard and the priority sector reports."""
    from observatory_lib.errors import unknown_code
    from observatory_lib.indicators import recipes

    store = recipes.current_store()
    exit_code = 0
    for kind in [k.strip() for k in arguments.only.split(",") if k.strip()]:
        if kind not in REPORT_NOTEBOOKS:
            raise unknown_code("report", kind, REPORT_NOTEBOOKS)
        jobs = _report_jobs(store, kind, arguments.categories)
        output_root = paths.output_dir() / REPORTS_DIR / kind
        code = _run(REPORT_NOTEBOOKS[kind], jobs, output_root, arguments, store.version)
        exit_code = max(exit_code, code)
    return exit_code


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


def _demo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--regions", default="all")
    parser.add_argument("--star-preset", default=DEFAULT_STAR_PRESET)
    parser.add_argument("--only", default="panorama,scoreboard,sector_reports")
    parser.add_argument("--categories", default="all")
    _batch_options(parser)


@command("demo", _demo_options)
def demo_command(arguments: argparse.Namespace) -> int:
    """The main job on the default data: store, reports, every NUTS-2 scorecard, portal."""
    info = ensure_store()
    print(format_summary(info))
    exit_code = reports_command(arguments)
    exit_code = max(exit_code, scorecards_command(arguments))
    if arguments.dry_run:
        return exit_code
    portal_command(arguments)
    print("Apps: run `.venv/bin/observatory serve` and open http://127.0.0.1:8866/")
    return exit_code


def _register_serve() -> None:
    try:
        from observatory_lib.runtime import serve
    except ImportError:  # the apps are optional in stripped-down installs
        return

    def serve_command(arguments: argparse.Namespace) -> int:
        """Serve the interactive apps with Voila (loopback by default)."""
        return serve.serve_from_arguments(arguments)

    command("serve", serve.configure_serve_parser)(serve_command)


_register_serve()

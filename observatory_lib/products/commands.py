"""Subcommands of ``observatory`` that produce the products: demo, scorecards, reports, portal,
serve.

Kept apart from ``cli.py`` so that the CLI core (argument parsing, error handling) stays small;
``cli.build_parser`` imports this module to register them.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from observatory_lib import paths
from observatory_lib.products.cli import _format_summary, _no_options, command

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


def _scorecard_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", type=int, default=2, help="NUTS level (default 2)")
    parser.add_argument(
        "--regions", default="all", help="all, or country codes, or region codes (comma-separated)"
    )
    parser.add_argument("--star-preset", default="eco2008")
    _batch_options(parser)


def _run(notebook: str, jobs: list, output_root: Path, arguments, store_version: str):
    from observatory_lib.products.batch import run_batch

    report = run_batch(
        paths.NOTEBOOK_DIR / notebook,
        jobs,
        output_root,
        formats=[f.strip() for f in arguments.formats.split(",") if f.strip()],
        workers=arguments.workers,
        force=arguments.force,
        retry_failed=arguments.retry_failed,
        progress=not arguments.no_progress,
        engine=arguments.engine,
        store_version=store_version,
        scheduler=arguments.scheduler,
    )
    print(report.summary())
    return report


@command("scorecards", _scorecard_options)
def scorecards_command(arguments: argparse.Namespace) -> int:
    """Run the region scorecard for every chosen region (HTML, PDF, JSON, notebook)."""
    from observatory_lib.data.store import load_store
    from observatory_lib.products.selection import select_regions

    store = load_store()
    codes = select_regions(store, arguments.level, arguments.regions)
    jobs = [(code, {"region_code": code, "star_preset": arguments.star_preset}) for code in codes]
    output_root = paths.output_dir() / "scorecards"
    report = _run("region_scorecard.ipynb", jobs, output_root, arguments, store.version)
    return report.exit_code


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
    from observatory_lib.data.store import load_store
    from observatory_lib.errors import unknown_code

    store = load_store()
    exit_code = 0
    for kind in [k.strip() for k in arguments.only.split(",") if k.strip()]:
        if kind not in REPORT_NOTEBOOKS:
            raise unknown_code("report", kind, REPORT_NOTEBOOKS)
        jobs = _report_jobs(store, kind, arguments.categories)
        output_root = paths.output_dir() / "reports" / kind
        report = _run(REPORT_NOTEBOOKS[kind], jobs, output_root, arguments, store.version)
        exit_code = max(exit_code, report.exit_code)
    return exit_code


@command("portal", _no_options)
def portal_command(arguments: argparse.Namespace) -> int:
    """Write outputs/index.html, the offline "Reports and downloads" page."""
    from observatory_lib.data.store import load_store
    from observatory_lib.products.portal import build_portal, write_portal_downloads

    store = load_store()
    for path in write_portal_downloads(store):
        print(f"download: {path}")
    page = build_portal(store)
    print(f"portal: {page}")
    return 0


def _demo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--regions", default="all")
    parser.add_argument("--star-preset", default="eco2008")
    parser.add_argument("--only", default="panorama,scoreboard,sector_reports")
    parser.add_argument("--categories", default="all")
    _batch_options(parser)


@command("demo", _demo_options)
def demo_command(arguments: argparse.Namespace) -> int:
    """The main job on the default data: store, reports, every NUTS-2 scorecard, portal."""
    info = ensure_store()
    print(_format_summary(info))
    exit_code = reports_command(arguments)
    exit_code = max(exit_code, scorecards_command(arguments))
    portal_command(arguments)
    print("Apps: run `.venv/bin/observatory serve` and open http://127.0.0.1:8866/")
    return exit_code


def _register_serve() -> None:
    try:
        from observatory_lib.products import serve
    except ImportError:  # the apps are optional in stripped-down installs
        return

    def serve_command(arguments: argparse.Namespace) -> int:
        """Serve the interactive apps with Voila (loopback by default)."""
        return serve.serve_from_arguments(arguments)

    command("serve", serve.configure_serve_parser)(serve_command)


_register_serve()

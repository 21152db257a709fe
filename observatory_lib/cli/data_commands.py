"""The data subcommands: ``observatory build``, ``info``, ``data fetch|update|list`` and
``values``."""

from __future__ import annotations

import argparse

from observatory_lib.cli import options
from observatory_lib.cli.registry import command, format_inputs, format_summary, no_options
from observatory_lib.constants import DATA_VARIABLE

# `observatory values KIND`: what each kind lists
VALUE_KINDS = {
    "regions": "region codes with data at --level, and their names",
    "countries": "country codes with data at --level",
    "categories": "cluster category and emerging industry slugs (--categories)",
    "years": "years with cluster data and the context-indicator years (--year)",
    "star-presets": "star rule sets (--star-preset)",
    "framework-variants": "scoreboard weight variants (--framework-variant)",
    "formats": "output formats (--formats)",
    "engines": "batch engines (--engine)",
    "reports": "reports (--only)",
    "datasets": "Eurostat datasets the catalog reads (data update --datasets)",
    "live-datasets": "Eurostat datasets the live store reads from the API (build --datasets)",
}


def _build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--live",
        action="store_true",
        help="build the live store from the current Eurostat releases of every dataset the "
        "catalog reads (needs the Eurostat API; the products read it with OBSERVATORY_DATA=live; "
        "default: the pinned mirror vintages, offline)",
    )
    parser.add_argument(
        "--datasets",
        dest="live_datasets",
        default="",
        metavar="CODES",
        help="with --live: download only these datasets, comma-separated, and keep the others' "
        "releases from the current live store (a partial update; `observatory values "
        "live-datasets` lists them)",
    )


@command("build", _build_options)
def build_command(arguments: argparse.Namespace) -> int:
    """Fetch the inputs and build the store (pinned, or --live); print its summary."""
    from observatory_lib.data.store import build_store

    if arguments.live_datasets and not arguments.live:
        raise options.ParameterError(
            "--datasets needs --live (the pinned build reads every input)."
        )
    if not arguments.live:
        print(format_summary(build_store()))
        return 0
    from observatory_lib.data import live
    from observatory_lib.data.retrieval import load_catalog

    codes = options.split_list(arguments.live_datasets)
    valid = list(live.live_sources(load_catalog()))
    for code in codes:  # all checked before the first download
        options.check_choice(
            "--datasets", code, valid, "live dataset code", "observatory values live-datasets"
        )
    info = live.build_live_store(codes=codes or None)
    print(format_summary(info))
    print(f"  data: {info['data_origin']}")
    print(f"  products read it with {DATA_VARIABLE}=live; unset, they read the pinned store")
    return 0


@command("info", no_options)
def info_command(arguments: argparse.Namespace) -> int:
    """Print which store is in use (pinned or live), its summary and the data it was built from."""
    from observatory_lib.data.retrieval import load_catalog
    from observatory_lib.data.store import load_store

    store = load_store()
    print(store_in_use(store.info))
    print(format_summary({**store.info, "path": str(store.path)}))
    print(format_inputs(store.info, store.provenance, load_catalog()))
    print(pdf_engine_line())
    return 0


def pdf_engine_line() -> str:
    """One line: which engine prints the PDFs, and how to choose the other."""
    from observatory_lib import paths
    from observatory_lib.runtime.render import RenderError, pdf_engine

    try:
        engine = pdf_engine()
    except RenderError as error:
        return f"PDF engine: none ({error})"
    if engine == "chromium":
        return f"PDF engine: Chromium ({paths.chromium_executable()}); WeasyPrint without it"
    return "PDF engine: WeasyPrint (no Chromium found; OBSERVATORY_CHROMIUM names one)"


def store_in_use(info: dict) -> str:
    """One line: which store the products read, and how to switch."""
    if info.get("live_releases"):
        return (
            f"Store in use: live ({DATA_VARIABLE}=live), built {info.get('built_at', '?')} from "
            f"the current Eurostat releases; unset {DATA_VARIABLE} for the pinned mirror store."
        )
    return (
        "Store in use: pinned (the mirror vintages of data/catalog.yaml, the offline default); "
        f"`observatory build --live` then {DATA_VARIABLE}=live uses the current releases."
    )


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["fetch", "update", "list"],
        help="fetch: verify and cache every catalog input (cache, mirror, upstream); "
        "update: download current data from the Eurostat API and GISCO (needs internet); "
        "list: show the catalog",
    )
    parser.add_argument(
        "--datasets",
        default="",
        metavar="CODES",
        help="update only these Eurostat datasets, comma-separated (default: every dataset "
        "the catalog reads; `observatory values datasets` lists them)",
    )


@command("data", _data_options)
def data_command(arguments: argparse.Namespace) -> int:
    """Fetch, list or live-update the data inputs."""
    from observatory_lib.data import retrieval

    if arguments.action == "list":
        for source in retrieval.load_catalog().sources.values():
            print(f"{source.id:42s} {source.dataset_code or '-':18s} {source.file}")
        return 0
    if arguments.action == "fetch":
        fetched = retrieval.fetch_all()
        print(f"{len(fetched)} inputs verified in {retrieval.paths.cache_dir()}")
        return 0
    from observatory_lib.data.update import live_dataset_codes, update_live

    codes = options.split_list(arguments.datasets)
    valid = live_dataset_codes()
    for code in codes:  # all checked before the first download
        options.check_choice(
            "--datasets", code, valid, "dataset code", "observatory values datasets"
        )
    for line in update_live(codes or None):
        print(line)
    print(LIVE_BUILD_NOTE)
    return 0


# Said after every update, so that no analyst takes the downloaded releases for the data in use.
LIVE_BUILD_NOTE = (
    "These files are for checking drift; the store in use is unchanged (observatory info says "
    "which). To build a store from the current releases: `observatory build --live`, then "
    f"{DATA_VARIABLE}=live."
)


def _values_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        choices=list(VALUE_KINDS),
        help="what to list: "
        + "; ".join(f"{kind}: {meaning}" for kind, meaning in VALUE_KINDS.items()),
    )
    parser.add_argument(
        "--level",
        type=int,
        choices=options.SCORECARD_LEVELS,
        default=2,
        help="regions and countries: the NUTS level, 0, 1, 2 or 3 (default 2)",
    )


@command("values", _values_options)
def values_command(arguments: argparse.Namespace) -> int:
    """Print the valid values of an option, one per line (regions, categories, years, ...)."""
    static = {
        "star-presets": options.star_presets,
        "framework-variants": options.framework_variants,
        "formats": options.output_formats,
        "engines": options.engines,
        "reports": options.report_kinds,
    }
    if arguments.kind in static:
        print("\n".join(static[arguments.kind]()))
    elif arguments.kind == "datasets":
        from observatory_lib.data.update import live_dataset_codes

        print("\n".join(live_dataset_codes()))
    elif arguments.kind == "live-datasets":
        from observatory_lib.data import live
        from observatory_lib.data.retrieval import load_catalog

        print("\n".join(live.live_sources(load_catalog())))
    else:
        print(_store_values(arguments.kind, arguments.level))
    return 0


def _store_values(kind: str, level: int) -> str:
    """The values of ``kind`` that the current store holds, one per line."""
    from observatory_lib.cli.selection import regions_with_data
    from observatory_lib.indicators import recipes

    store = recipes.current_store()
    if kind == "regions":
        regions = regions_with_data(store, level)
        return "\n".join(f"{r.region_code}\t{r.region_name}" for r in regions.itertuples())
    if kind == "countries":
        return "\n".join(sorted(set(regions_with_data(store, level)["country_code"])))
    if kind == "categories":
        categories = store.cluster_categories.sort_values(["category_type", "category_code"])
        return "\n".join(
            f"{c.category_code}\t{c.category_type}\t{c.category_name}"
            for c in categories.itertuples()
        )
    cluster = ", ".join(str(year) for year in options.cluster_years(store))
    context = options.context_years(store)
    return (
        f"cluster data (scorecards, panorama, sector reports): {cluster}\n"
        f"context indicators (scoreboard; 0 = each indicator's reference year): "
        f"{context[0]}-{context[-1]}"
    )

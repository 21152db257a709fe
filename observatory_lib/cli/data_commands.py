"""The data subcommands: ``observatory build``, ``info``, ``data fetch|update|list`` and
``values``."""

from __future__ import annotations

import argparse

from observatory_lib.cli import options
from observatory_lib.cli.registry import command, format_inputs, format_summary, no_options

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
}


@command("build", no_options)
def build_command(arguments: argparse.Namespace) -> int:
    """Fetch the inputs and build the store; print its summary."""
    from observatory_lib.data.store import build_store

    info = build_store()
    print(format_summary(info))
    return 0


@command("info", no_options)
def info_command(arguments: argparse.Namespace) -> int:
    """Print the current store's summary and the data it was built from."""
    from observatory_lib.data.retrieval import load_catalog
    from observatory_lib.data.store import load_store

    store = load_store()
    print(format_summary({**store.info, "path": str(store.path)}))
    print(format_inputs(store.info, store.provenance, load_catalog()))
    return 0


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
    "The store still reads the pinned vintages of data/catalog.yaml (observatory info says so): "
    "building it from these current releases is not supported yet, as it needs the official "
    "NUTS crosswalks to recode each release's NUTS edition."
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

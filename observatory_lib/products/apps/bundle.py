"""The apps' prepared data, as a visitor's kernel reads them: numpy and the standard library only.

``prepare.build_app_bundle`` writes the folder once (``observatory apps build``, ``observatory
serve`` start-up); every kernel maps its Arrow tables (``columns.MappedTable``) and reads its
small JSON files, so that a kernel holds no copy of what all visitors share and computes
nothing that is the same for every visitor. This module must never import pandas, pyarrow,
geopandas or matplotlib (``tests/unit/test_app_bundle.py`` checks the import graph).

A view is one indicator of one theme, category, NUTS level and year: ``AppBundle.view``
returns its rows (regions, values, classes in the prepared classifications, flags, status).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from observatory_lib import paths
from observatory_lib.errors import ObservatoryError, unknown_code
from observatory_lib.products.apps.columns import MappedTable

FORMAT_VERSION = 2  # 2: the diversification opportunities
POINTER = "CURRENT"
MANIFEST = "manifest.json"
REGION_CLASS_PREFIX = "r-"  # each polygon's CSS class: r-<region code>
METHODS = ("quantile", "equal_interval")
CATEGORY_THEMES = ("clusters", "emerging")
# The code that shapes the prepared tables: a change to it makes them stale.
_CODE_FOLDERS = ("indicators", "products/apps", "products/kit")
_PACKAGE = Path(__file__).resolve().parents[2]


class BundleError(ObservatoryError):
    """The apps' prepared data are missing or out of date (the fix is named)."""


def code_digest() -> str:
    """A digest of the code and configuration that shape the prepared tables."""
    files = [_PACKAGE / "constants.py"]
    for folder in _CODE_FOLDERS:
        files += sorted((_PACKAGE / folder).glob("*.py")) + sorted(
            (_PACKAGE / folder).glob("*.yaml")
        )
    files += sorted(paths.DATA_DIR.glob("*.yaml"))
    digest = hashlib.sha256(str(FORMAT_VERSION).encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def store_version() -> str:
    """The current store's version (from its ``CURRENT`` file), without loading the store."""
    pointer = paths.store_dir() / POINTER
    try:
        return pointer.read_text(encoding="utf-8").strip()
    except OSError:
        raise BundleError(
            f"No observatory store in {paths.store_dir()}. Fix: run `observatory build` "
            "(or `make demo`)."
        ) from None


def bundle_key(version: str | None = None) -> str:
    """The folder name of the prepared data for a store version and the current code."""
    return f"{version or store_version()}-{code_digest()}"


def current_directory(check: bool = True) -> Path:
    """The prepared data of the current store and code.

    Raises:
        BundleError: none prepared, or prepared for another store or code version.
    """
    root = paths.app_data_dir()
    expected = bundle_key() if check else None
    try:
        key = (root / POINTER).read_text(encoding="utf-8").strip()
    except OSError:
        key = ""
    directory = root / (expected or key)
    if not key or not (directory / MANIFEST).is_file():
        raise BundleError(
            "The apps' data have not been prepared for the current store and code. Fix: run "
            "`observatory apps build`, or restart `observatory serve` (it prepares them)."
        )
    return directory


@dataclass(frozen=True)
class Label:
    """What an indicator is called, its unit, its datasets and whether a map can show it."""

    label: str
    unit: str
    datasets: tuple[str, ...]
    mappable: bool


@dataclass(frozen=True)
class View:
    """The rows of one view: regions (ids into ``AppBundle.codes``) and their values."""

    theme: str
    indicator_code: str
    category_code: str
    nuts_level: int
    year: int
    region_ids: np.ndarray
    values: np.ndarray
    classes: dict
    flags: np.ndarray
    statuses: np.ndarray
    legends: dict
    has_missing: bool
    has_confidential: bool
    n_with_data: int


class AppBundle:
    """The prepared data of one store and code version (see the module's docstring)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.manifest = json.loads((self.directory / MANIFEST).read_text(encoding="utf-8"))
        self.values = MappedTable(self.directory / "values.arrow", self.manifest["values"])
        self.views = MappedTable(self.directory / "views.arrow", self.manifest["views"])
        regions = self.manifest["regions"]
        self.codes: list[str] = regions["codes"]
        self.names: list[str] = regions["names"]
        self.levels: list[int] = regions["levels"]
        self.countries: list[str] = regions["countries"]
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.names_of = self.manifest["names"]  # view key names: theme, indicator_code, ...
        self.labels = {
            (row["theme"], row["indicator_code"]): Label(
                row["label"], row["unit"], tuple(row["datasets"]), bool(row["mappable"])
            )
            for row in self.manifest["labels"]
        }
        self.categories = {row[0]: (row[1], row[2]) for row in self.manifest["categories"]}
        self._geometry: dict[int, dict] = {}

    # -- names

    @property
    def store_version(self) -> str:
        """The store version the data were prepared from."""
        return str(self.manifest["store_version"])

    @property
    def star_preset(self) -> str:
        """The star rule set of the cluster ratings."""
        return str(self.manifest["star_preset"])

    def region_name(self, code: str) -> str:
        """The region's Latin-script name (the code itself when unknown)."""
        position = self.index.get(code)
        return self.names[position] if position is not None else code

    def region_level(self, code: str) -> int:
        """The region's NUTS level (-1 when unknown)."""
        position = self.index.get(code)
        return self.levels[position] if position is not None else -1

    def regions_at(self, level: int) -> list[str]:
        """The codes of every region of a NUTS level."""
        return [code for code, lvl in zip(self.codes, self.levels, strict=True) if lvl == level]

    def check_region(self, code: str, levels=(0, 1, 2)) -> str:
        """The normalised code (``' de21'`` -> ``'DE21'``) of a region at one of ``levels``.

        Raises:
            UnknownCodeError: naming the nearest valid codes.
        """
        normalised = str(code).strip().upper()
        if self.region_level(normalised) in levels:
            return normalised
        pool = [c for c, lvl in zip(self.codes, self.levels, strict=True) if lvl in levels]
        # The codes that share all but the last characters first (DE2X -> DE21, DE22, ...).
        for cut in range(len(normalised) - 1, 1, -1):
            close = [c for c in pool if c.startswith(normalised[:cut]) and c != normalised[:cut]]
            if close:
                pool = close
                break
        allowed = ", ".join(str(level) for level in levels)
        raise unknown_code(
            "NUTS region",
            str(code).strip(),
            pool,
            hint=f"Use a NUTS {allowed} code (2016 edition).",
        )

    def category_name(self, code: str) -> str:
        """The category's name (its code when unknown)."""
        return self.categories.get(code, (code, ""))[0]

    def theme_categories(self, theme: str) -> list[str]:
        """The category codes of a cluster theme (traded or emerging), by name."""
        kind = "emerging" if theme == "emerging" else "traded"
        chosen = [code for code, (_, k) in self.categories.items() if k == kind]
        return sorted(chosen, key=lambda code: self.categories[code][0].lower())

    def theme_indicators(self, theme: str, mappable_only: bool = True) -> list[str]:
        """The indicator codes of a theme, in the prepared order."""
        return [
            code
            for (kind, code), label in self.labels.items()
            if kind == theme and (label.mappable or not mappable_only)
        ]

    def label(self, theme: str, indicator_code: str) -> Label:
        """The indicator's label (a plain one made from its code when unknown)."""
        return self.labels.get((theme, indicator_code), Label(indicator_code, "", (), False))

    def sources(self, datasets) -> list[str]:
        """Source lines (dataset, title, vintage, NUTS edition) for the downloads."""
        known = self.manifest["sources"]
        return [known[code] for code in dict.fromkeys(datasets) if code in known] or ["Eurostat"]

    def palette(self, n_classes: int) -> list[str]:
        """The map palette's colours for ``n_classes`` classes, low to high."""
        return self.manifest["palettes"].get(str(n_classes), [])

    @property
    def colours(self) -> dict:
        """The no-data and confidential colours, and their labels."""
        return self.manifest["colours"]

    # -- views

    @cached_property
    def _view_keys(self) -> dict[str, np.ndarray]:
        return {
            name: np.asarray(self.views.array(name))
            for name in ("theme", "indicator_code", "category_code", "nuts_level", "year")
        }

    def _id(self, name: str, value) -> int:
        try:
            return self.names_of[name].index(value)
        except ValueError:
            return -1

    def _mask(
        self, theme: str, indicator: str, category: str | None = None, level: int | None = None
    ):
        keys = self._view_keys
        mask = (keys["theme"] == self._id("theme", theme)) & (
            keys["indicator_code"] == self._id("indicator_code", indicator)
        )
        if category is not None:
            mask &= keys["category_code"] == self._id("category_code", category)
        if level is not None:
            mask &= keys["nuts_level"] == int(level)
        return mask

    def years(self, theme: str, indicator: str, category: str, level: int) -> list[int]:
        """Years with a view of this indicator, category and level, latest first."""
        mask = self._mask(theme, indicator, category, level)
        return sorted({int(y) for y in self._view_keys["year"][mask]}, reverse=True)

    def levels_of(self, theme: str, indicator: str) -> list[int]:
        """NUTS levels where an indicator has a view (any category, any year)."""
        return sorted({int(v) for v in self._view_keys["nuts_level"][self._mask(theme, indicator)]})

    def view(self, theme: str, indicator: str, category: str, level: int, year: int) -> View | None:
        """One view's rows, or None when there is none."""
        mask = self._mask(theme, indicator, category, level) & (
            self._view_keys["year"] == int(year)
        )
        found = np.flatnonzero(mask)
        if not found.size:
            return None
        return self._view_at(int(found[0]))

    def _view_at(self, view_id: int) -> View:
        views, values = self.views, self.values
        start, stop = int(views.array("row_start")[view_id]), int(views.array("row_stop")[view_id])
        rows = slice(start, stop)
        names = self.names_of
        return View(
            theme=names["theme"][int(views.array("theme")[view_id])],
            indicator_code=names["indicator_code"][int(views.array("indicator_code")[view_id])],
            category_code=names["category_code"][int(views.array("category_code")[view_id])],
            nuts_level=int(views.array("nuts_level")[view_id]),
            year=int(views.array("year")[view_id]),
            region_ids=np.asarray(values.array("region_code")[rows]),
            values=np.asarray(values.array("value")[rows]),
            classes={m: np.asarray(values.array(f"class_{m}")[rows]) for m in METHODS},
            flags=np.asarray(values.array("flag")[rows]),
            statuses=np.asarray(values.array("status")[rows]),
            legends={
                m: [t for t in views.text(f"legend_{m}", view_id).split("\n") if t] for m in METHODS
            },
            has_missing=bool(views.array("has_missing")[view_id]),
            has_confidential=bool(views.array("has_confidential")[view_id]),
            n_with_data=int(views.array("n_with_data")[view_id]),
        )

    def flag_text(self, flag_id: int) -> str:
        """The Eurostat flag letters of a row ('' when none)."""
        return self.values.dictionary("flag")[int(flag_id)]

    def is_confidential(self, status_id: int) -> bool:
        """Whether a row's status is confidential."""
        return self.values.dictionary("status")[int(status_id)] == "confidential"

    def latest_views(self, theme: str, indicators, category: str, level: int) -> dict:
        """Per indicator, the view of its latest year (missing indicators are left out)."""
        found = {}
        for indicator in indicators:
            years = self.years(theme, indicator, category, level)
            if years:
                found[indicator] = self.view(theme, indicator, category, level, years[0])
        return found

    def region_values(self, code: str, themes) -> list[tuple[str, str, str, int, int, float, int]]:
        """Every value of one region in ``themes``: (theme, indicator, category, level, year,
        value, status id), from the mapped table (one pass over the region column)."""
        position = self.index.get(code)
        if position is None:
            return []
        rows = np.flatnonzero(np.asarray(self.values.array("region_code")) == position)
        view_ids = np.asarray(self.values.array("view_id"))[rows]
        names = self.names_of
        wanted = {self._id("theme", theme) for theme in themes}
        keys = self._view_keys
        found = []
        for row, view_id in zip(rows, view_ids, strict=True):
            theme_id = int(keys["theme"][view_id])
            if theme_id not in wanted:
                continue
            found.append(
                (
                    names["theme"][theme_id],
                    names["indicator_code"][int(keys["indicator_code"][view_id])],
                    names["category_code"][int(keys["category_code"][view_id])],
                    int(keys["nuts_level"][view_id]),
                    int(keys["year"][view_id]),
                    float(self.values.array("value")[row]),
                    int(self.values.array("status")[row]),
                )
            )
        return found

    # -- geometry and the small JSON files

    def geometry(self, level: int) -> dict:
        """The level's FeatureCollection as the map layer sends it (read once per kernel)."""
        if level not in self._geometry:
            path = self.directory / f"geometry_nuts{int(level)}.json"
            self._geometry[level] = json.loads(path.read_text(encoding="utf-8"))
        return self._geometry[level]

    def geometry_codes(self, level: int) -> list[str]:
        """Region codes of a level's polygons, in feature order."""
        return [feature["id"] for feature in self.geometry(level)["features"]]

    @cached_property
    def region_facts(self) -> dict:
        """Scoreboard positions, EU averages and default peers (``regions.json``)."""
        return json.loads((self.directory / "regions.json").read_text(encoding="utf-8"))

    # -- diversification opportunities

    @cached_property
    def _opportunity_tables(self) -> tuple[MappedTable, MappedTable]:
        spec = self.manifest["opportunities"]
        return (
            MappedTable(self.directory / "opportunities.arrow", spec["table"]),
            MappedTable(self.directory / "opportunity_support.arrow", spec["support"]),
        )

    @property
    def opportunity_facts(self) -> dict:
        """The NUTS level and year of the opportunities, and the density of a strong one."""
        spec = self.manifest["opportunities"]
        return {key: spec[key] for key in ("level", "year", "strong_density")}

    def region_opportunities(self, code: str) -> list[dict]:
        """The region's diversification opportunities as the recipe layer ranks them
        (``policy_recipes.opportunities``; prepared by ``arrow_files.write_opportunities``): per
        category with a known LQ below 1, its type, rank within the type, LQ, relatedness
        density, related strengths, European size and growth (None where missing), its name,
        and ``related_strengths``: the specialisations that support it, strongest first
        (``category_code``, ``category_name``, ``proximity``, ``related_lq``). Empty when the
        region has none (not NUTS 2, or no location quotients)."""
        position = self.index.get(code)
        if position is None:
            return []
        table, support = self._opportunity_tables
        rows = table.records(np.flatnonzero(np.asarray(table.array("region_code")) == position))
        links = support.records(
            np.flatnonzero(np.asarray(support.array("region_code")) == position)
        )
        by_category: dict[str, list[dict]] = {}
        for link in links:  # in support rank order within each category
            by_category.setdefault(link["category_code"], []).append(
                {
                    "category_code": link["related_category_code"],
                    "category_name": self.category_name(link["related_category_code"]),
                    "proximity": link["proximity"],
                    "related_lq": link["related_lq"],
                }
            )
        return [
            dict(
                row,
                category_name=self.category_name(row["category_code"]),
                related_strengths=by_category.get(row["category_code"], []),
            )
            for row in rows
        ]

    @cached_property
    def sector_facts(self) -> dict:
        """Concentration of each category's employment (``sectors.json``)."""
        return json.loads((self.directory / "sectors.json").read_text(encoding="utf-8"))


_LOADED: dict[str, AppBundle] = {}


def load_bundle(directory: Path | None = None) -> AppBundle:
    """The prepared data (of the current store and code unless ``directory`` is given).

    Kept per process: a kernel reads the manifest once.

    Raises:
        BundleError: not prepared, or out of date (the fix is named).
    """
    directory = Path(directory) if directory is not None else current_directory()
    key = str(directory)
    if key not in _LOADED:
        if not (directory / MANIFEST).is_file():
            raise BundleError(
                f"No prepared app data in {directory}. Fix: run `observatory apps build`."
            )
        _LOADED.clear()
        _LOADED[key] = AppBundle(directory)
    return _LOADED[key]


def in_voila() -> bool:
    """True inside a kernel started by Voila (it sets ``VOILA_PREHEAT``)."""
    return "VOILA_PREHEAT" in os.environ

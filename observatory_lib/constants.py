"""The constants every layer shares, each defined here once.

The NUTS edition the statistics are shown in, the default star rule set, the default year of
the cluster data, the growth window, and the attribution lines that must travel with every
table, map and report. Import them from here; never repeat the literal.
"""

from __future__ import annotations

import os

from observatory_lib.errors import ConfigError

# The NUTS editions the statistics can be shown in: their own (2013, with the 2013 maps), 2016
# through the JRC crosswalk 2013 -> 2016, or 2021 through 2013 -> 2016 -> 2021
# (docs/METHODOLOGY.md, section 2).
STATISTICS_EDITIONS = (2013, 2016, 2021)
DEFAULT_STATISTICS_EDITION = 2016
EDITION_VARIABLE = "OBSERVATORY_NUTS_EDITION"


def edition_from_environment(environ: os._Environ | dict | None = None) -> int:
    """The NUTS edition chosen by ``OBSERVATORY_NUTS_EDITION`` (default 2016), checked.

    Raises:
        ConfigError: the variable holds anything but 2013, 2016 or 2021.
    """
    text = str((os.environ if environ is None else environ).get(EDITION_VARIABLE, "")).strip()
    if not text:
        return DEFAULT_STATISTICS_EDITION
    if text.isdigit() and int(text) in STATISTICS_EDITIONS:
        return int(text)
    valid = ", ".join(map(str, STATISTICS_EDITIONS))
    raise ConfigError(
        f"{EDITION_VARIABLE}={text!r} is not a NUTS edition the statistics can be shown in. "
        f"Fix: set it to one of {valid} (or unset it for {DEFAULT_STATISTICS_EDITION})."
    )


# Every statistic is shown in this NUTS edition (docs/METHODOLOGY.md, section 2); the store is
# built for it, and each product states it.
STATISTICS_EDITION = edition_from_environment()

# Which store the products read: the pinned mirror vintages (the offline default) or the store
# `observatory build --live` made from the current Eurostat releases.
DATA_VARIABLE = "OBSERVATORY_DATA"


def live_data_selected(environ: os._Environ | dict | None = None) -> bool:
    """Whether ``OBSERVATORY_DATA=live`` asks for the live store (read at call time), checked.

    Raises:
        ConfigError: the variable holds anything but ``pinned`` or ``live``.
    """
    text = str((os.environ if environ is None else environ).get(DATA_VARIABLE, "")).strip()
    if text.lower() in ("", "pinned"):
        return False
    if text.lower() == "live":
        return True
    raise ConfigError(
        f"{DATA_VARIABLE}={text!r} is not a store choice. Fix: set it to pinned (the mirror "
        "vintages, the default) or live (the store `observatory build --live` made)."
    )


# The star rule set the products use unless asked for another (indicators/star_presets.yaml).
DEFAULT_STAR_PRESET = "eco2008"

# The reference year of the cluster data the products show by default.
DEFAULT_YEAR = 2015
# The years of regional SBS in the store (the 2008-2015 bulk file and the 2015 extract).
SBS_FIRST_YEAR = 2008
# Employment growth is a compound annual rate over this many years, ending in the year shown:
# 2011-2015 for 2015 (chosen for coverage; docs/METHODOLOGY.md, section 4).
GROWTH_WINDOW_YEARS = 4
# The window the products' change-over-time sections show (start, end).
DEFAULT_CHANGE_WINDOW = (DEFAULT_YEAR - GROWTH_WINDOW_YEARS, DEFAULT_YEAR)

# How the reference set of the averages and the scoreboard (the EU-28 countries) is named.
EU_LABEL = "EU-28"

# Attribution (Eurostat's reuse policy, GISCO's copyright notice).
EUROSTAT_ATTRIBUTION = "Source: Eurostat"
GISCO_ATTRIBUTION = "© EuroGeographics for the administrative boundaries"
JRC_ATTRIBUTION = "© European Union, JRC NUTS converter"
MODIFICATION_NOTE = (
    f"Data modified by the workbook: recoded to NUTS {STATISTICS_EDITION} with the JRC NUTS "
    "converter (split or re-bounded regions apportioned by 2011 population, flagged), "
    "reshaped, cluster figures allocated from NACE divisions, suppressed cells estimated "
    "(flagged)."
)
# The one-line credit printed on every map.
MAP_CREDIT = f"{GISCO_ATTRIBUTION} · {EUROSTAT_ATTRIBUTION}"
# The lines every download carries when no source-specific attribution is given.
DOWNLOAD_ATTRIBUTION = (
    EUROSTAT_ATTRIBUTION,
    GISCO_ATTRIBUTION,
    "The Eurostat data were modified: reshaped, shown on NUTS "
    f"{STATISTICS_EDITION} (JRC NUTS converter matrices, apportioned regions flagged), "
    "aggregated to cluster categories and turned into indicators by the European Cluster "
    "Observatory workbook.",
)

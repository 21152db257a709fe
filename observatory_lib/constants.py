"""The constants every layer shares, each defined here once.

The NUTS edition the statistics are harmonised to, the default star rule set, the
default year of the cluster data and the attribution lines that must travel with every table,
map and report. Import them from here; never repeat the literal.
"""

from __future__ import annotations

# Every statistic is recoded to this NUTS edition (docs/METHODOLOGY.md, section 2).
STATISTICS_EDITION = 2016

# The star rule set the products use unless asked for another (indicators/star_presets.yaml).
DEFAULT_STAR_PRESET = "eco2008"

# The reference year of the cluster data the products show by default.
DEFAULT_YEAR = 2015

# How the reference set of the averages and the scoreboard (the EU-28 countries) is named.
EU_LABEL = "EU-28"

# Attribution (Eurostat's reuse policy, GISCO's copyright notice).
EUROSTAT_ATTRIBUTION = "Source: Eurostat"
GISCO_ATTRIBUTION = "© EuroGeographics for the administrative boundaries"
MODIFICATION_NOTE = (
    f"Data modified by the workbook: NUTS 2013 codes recoded to NUTS {STATISTICS_EDITION}, "
    "tables reshaped to a tidy long format, cluster employment derived from NACE divisions by "
    "equal allocation, suppressed cells estimated where stated (flagged)."
)
# The one-line credit printed on every map.
MAP_CREDIT = f"{GISCO_ATTRIBUTION} · {EUROSTAT_ATTRIBUTION}"
# The lines every download carries when no source-specific attribution is given.
DOWNLOAD_ATTRIBUTION = (
    EUROSTAT_ATTRIBUTION,
    GISCO_ATTRIBUTION,
    "The Eurostat data were modified: reshaped, recoded to NUTS "
    f"{STATISTICS_EDITION}, aggregated to cluster categories and turned into indicators by "
    "the European Cluster Observatory workbook.",
)

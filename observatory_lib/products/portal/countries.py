"""Country names and order as the portal writes them.

The store names countries in their own languages (``Deutschland``, ``Elláda``); an
English-language site lists them by their English short names (Interinstitutional Style
Guide, section 7.1: ``Czechia``, ``EL`` for Greece) and in protocol order (the EU Member
States alphabetically by their name in their own language; the United Kingdom after them for
the EU-28 data; then the EFTA countries and the candidate countries). The own-language name
stays beside the English one, and searching finds either.
"""

from __future__ import annotations

import pandas as pd

# English short names, in protocol order (publication-style guide, section 6).
ENGLISH_NAMES: dict[str, str] = {
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CZ": "Czechia",
    "DK": "Denmark",
    "DE": "Germany",
    "EE": "Estonia",
    "IE": "Ireland",
    "EL": "Greece",
    "ES": "Spain",
    "FR": "France",
    "HR": "Croatia",
    "IT": "Italy",
    "CY": "Cyprus",
    "LV": "Latvia",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "HU": "Hungary",
    "MT": "Malta",
    "NL": "Netherlands",
    "AT": "Austria",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "FI": "Finland",
    "SE": "Sweden",
    "UK": "United Kingdom",
    "IS": "Iceland",
    "LI": "Liechtenstein",
    "NO": "Norway",
    "CH": "Switzerland",
    "ME": "Montenegro",
    "MK": "North Macedonia",
    "AL": "Albania",
    "RS": "Serbia",
    "TR": "Türkiye",
    "BA": "Bosnia and Herzegovina",
    "XK": "Kosovo",
    "UA": "Ukraine",
}
PROTOCOL_ORDER = {code: position for position, code in enumerate(ENGLISH_NAMES)}


def country_table(local_names: pd.DataFrame) -> pd.DataFrame:
    """``country_code, country_name, local_name, order`` for the countries of ``local_names``.

    Args:
        local_names: ``country_code, country_name`` as the store has them (own language).

    A country missing from the English table keeps its own-language name (never its code
    alone) and goes after the listed ones, by code.
    """
    codes = local_names["country_code"].astype("str")
    local = local_names["country_name"].astype("str")
    english = codes.map(ENGLISH_NAMES).fillna(local)
    order = codes.map(PROTOCOL_ORDER).fillna(len(PROTOCOL_ORDER)).astype(int)
    table = pd.DataFrame(
        {"country_code": codes, "country_name": english, "local_name": local, "order": order}
    )
    return table.sort_values(["order", "country_code"], ignore_index=True)

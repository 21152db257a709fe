"""Region selection for the batch."""

from types import SimpleNamespace

import pandas as pd
import pytest

from observatory_lib.cli.selection import select_regions
from observatory_lib.errors import ObservatoryError, UnknownCodeError

STORE = SimpleNamespace(
    regions=pd.DataFrame(
        {
            "region_code": ["DE", "DE1", "DE11", "DE12", "DEZZ", "FR10", "FRK2"],
            "country_code": ["DE", "DE", "DE", "DE", "DE", "FR", "FR"],
            "nuts_level": [0, 1, 2, 2, 2, 2, 2],
            "nuts_edition": [2016] * 7,
        }
    ),
    cluster_employment=pd.DataFrame(
        {"region_code": ["DE11", "FR10", "DEZZ"], "employment_persons": [1.0, 2.0, 3.0]}
    ),
    context_indicators=pd.DataFrame(
        {"region_code": ["DE12", "FRK2"], "value": [1.0, float("nan")]}
    ),
)


def test_all_means_regions_with_data_without_extra_regio():
    assert select_regions(STORE, 2, "all") == ["DE11", "DE12", "FR10"]


def test_country_codes_expand_to_their_regions():
    assert select_regions(STORE, 2, "DE") == ["DE11", "DE12"]


def test_region_codes_are_kept_in_order_without_duplicates():
    assert select_regions(STORE, 2, "fr10, DE11 FR10") == ["FR10", "DE11"]


def test_unknown_code_lists_nearest():
    with pytest.raises(UnknownCodeError, match="DE11"):
        select_regions(STORE, 2, "DE1X")


def test_bad_level():
    with pytest.raises(ObservatoryError, match="--level"):
        select_regions(STORE, 7, "all")

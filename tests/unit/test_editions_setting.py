"""The NUTS edition setting (OBSERVATORY_NUTS_EDITION) and the store pointer of each edition."""

from __future__ import annotations

import subprocess
import sys

import pytest

from observatory_lib import constants
from observatory_lib.data import store as store_module
from observatory_lib.errors import ConfigError, StoreError


@pytest.mark.parametrize(("text", "edition"), [("", 2016), ("2013", 2013), (" 2021 ", 2021)])
def test_the_setting_chooses_the_edition(text, edition):
    assert constants.edition_from_environment({constants.EDITION_VARIABLE: text}) == edition
    assert constants.edition_from_environment({}) == 2016


@pytest.mark.parametrize("text", ["2024", "2016b", "nuts2016"])
def test_a_bad_setting_names_the_variable_and_the_valid_editions(text):
    with pytest.raises(ConfigError, match=r"OBSERVATORY_NUTS_EDITION.*2013, 2016, 2021"):
        constants.edition_from_environment({constants.EDITION_VARIABLE: text})


def test_the_constant_follows_the_environment_of_the_process():
    code = "from observatory_lib import constants; print(constants.STATISTICS_EDITION)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"OBSERVATORY_NUTS_EDITION": "2021", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "2021"


def test_each_edition_has_its_own_pointer_and_a_clear_error(tmp_path):
    assert store_module.pointer_name(2016) == "CURRENT"
    assert store_module.pointer_name(2021) == "CURRENT-2021"
    (tmp_path / "CURRENT").write_text("abc\n")
    assert store_module.current_version(tmp_path, 2016) == "abc"
    with pytest.raises(StoreError, match=r"NUTS 2013.*OBSERVATORY_NUTS_EDITION=2013"):
        store_module.current_version(tmp_path, 2013)


def test_store_versions_differ_by_edition():
    from observatory_lib.data.retrieval import load_catalog

    catalog = load_catalog()
    versions = {store_module.store_version(catalog, edition) for edition in (2013, 2016, 2021)}
    assert len(versions) == 3

"""The live build's parts without the data mirror: the API's two formats, the structure check,
the NUTS edition of a release, downloads from a loopback server and the store choice."""

from __future__ import annotations

import gzip
import hashlib

import pandas as pd
import pytest
from eurostat_releases import RELEASES, RecordedEurostat, sdmx_csv, tsv

from observatory_lib import constants
from observatory_lib.cli import main as cli
from observatory_lib.data import eurostat, live, store
from observatory_lib.errors import ConfigError, DataSourceError

GDP = "nama_10r_2gdp"


def _write(tmp_path, name: str, payload: bytes):
    path = tmp_path / name
    path.write_bytes(payload)
    return path


def test_sdmx_csv_and_tsv_of_one_release_read_into_the_same_frame(tmp_path):
    dimensions = RELEASES["lfst_r_lfe2emp"]
    from_csv = eurostat.read_eurostat_tsv(
        _write(tmp_path, "a", sdmx_csv("lfst_r_lfe2emp", dimensions)), "lfst_r_lfe2emp"
    )
    from_tsv = eurostat.read_eurostat_tsv(
        _write(tmp_path, "b", tsv("lfst_r_lfe2emp", dimensions)), "lfst_r_lfe2emp"
    )
    keys = ["unit", "sex", "age", "region_code", "year"]
    columns = [*keys, "freq", "value", "flag", "dataset_code"]
    left = from_csv[columns].sort_values(keys, ignore_index=True)
    right = from_tsv[columns].sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    # missing stays missing, with its flag; a provisional value keeps its value and flag
    confidential = left[(left["region_code"] == "DE12") & (left["year"] == 2022)]
    assert confidential["value"].isna().all() and set(confidential["flag"]) == {"c"}
    provisional = left[(left["region_code"] == "AT11") & (left["year"] == 2023)]
    assert provisional["value"].notna().all() and set(provisional["flag"]) == {"p"}


def test_an_sdmx_csv_release_is_dated_by_its_last_update(tmp_path):
    path = _write(tmp_path, "gdp.csv.gz", sdmx_csv(GDP, RELEASES[GDP]))
    assert eurostat.is_sdmx_csv(path)
    assert eurostat.sdmx_last_update(path) == "2026-11-20"
    assert not eurostat.is_sdmx_csv(_write(tmp_path, "gdp.tsv.gz", tsv(GDP, RELEASES[GDP])))


def test_an_sdmx_csv_value_that_is_not_a_number_names_the_line(tmp_path):
    text = gzip.decompress(sdmx_csv(GDP, RELEASES[GDP])).decode().replace(",101.1,", ",12:00 AM,")
    path = _write(tmp_path, "bad.csv", text.encode())
    with pytest.raises(DataSourceError, match=r"line \d+: the value '12:00 AM' is not a number"):
        eurostat.read_eurostat_tsv(path, GDP)


def _release(tmp_path, code: str, **options):
    payload = sdmx_csv(code, options.pop("dimensions", RELEASES[code]), **options)
    return eurostat.read_eurostat_tsv(_write(tmp_path, code, payload), code)


def test_every_recorded_release_fits_what_the_readers_expect(tmp_path):
    for code in RELEASES:
        frame = _release(tmp_path, code)
        assert live.check_release(frame, code, live.expected_structure(code)) == [], code


def test_a_renamed_column_is_reported_as_not_supported_without_a_guess(tmp_path):
    code = "lfst_r_lfe2emp"
    frame = _release(tmp_path, code, rename={"sex": "sexe"})
    (line,) = live.check_release(frame, code, live.expected_structure(code))
    assert line.startswith(f"{code}: the current release changed its structure")
    assert "dimension sex is gone" in line and "not supported yet" in line
    assert "no code mapping is guessed" in line and "Fix:" in line


def test_an_indicator_code_no_longer_published_is_named(tmp_path):
    dimensions = {"unit": ["MIO_EUR", "EUR_HAB", "MIO_PPS", "PPS_HAB", "PPS_HAB_EU"]}
    frame = _release(tmp_path, GDP, dimensions=dimensions)
    (line,) = live.check_release(frame, GDP, live.expected_structure(GDP))
    assert "unit code EUR_HAB_EU is no longer published" in line


def test_a_new_dimension_with_several_codes_is_not_supported_but_a_single_code_one_is(tmp_path):
    code = "trng_lfse_04"
    single = _release(tmp_path, code, dimensions={**RELEASES[code], "isced11": ["TOTAL"]})
    assert live.check_release(single, code, live.expected_structure(code)) == []
    several = _release(tmp_path, code, dimensions={**RELEASES[code], "isced11": ["TOTAL", "ED0-2"]})
    (line,) = live.check_release(several, code, live.expected_structure(code))
    assert "new dimension isced11 with codes ED0-2, TOTAL" in line


def test_the_nuts_edition_of_a_release_is_measured_from_its_codes():
    valid = {
        2016: frozenset({"DE1", "DE11", "HR0", "HR03", "HR04"}),
        2021: frozenset({"DE1", "DE11", "HR0", "HR02", "HR03", "HR05"}),
        2024: frozenset({"DE1", "DE11", "HR0", "HR02", "HR03", "HR05", "XX99"}),
    }
    codes = pd.Series(["EU27_2020", "DE", "DE1", "DE11", "HR02", "HR03", "HR05", "DEZZ"])
    assert live.detect_edition(codes, valid) == 2024  # a tie: the newest the crosswalks reach
    assert live.detect_edition(pd.Series(["DE11", "HR04"]), valid) == 2016
    assert live.detect_edition(pd.Series(["DE11", "XX99"]), valid) == 2024
    assert live.detect_edition(pd.Series(["EU27_2020", "DE"]), valid) is None
    assert live._edition_problem(GDP, 2024, codes, 2016) == []  # NUTS 2024 reaches 2016 now
    (line,) = live._edition_problem(GDP, 2027)
    assert line.startswith(f"{GDP}: the current release uses NUTS 2027") and "Fix:" in line


def test_nuts3_regions_of_another_edition_are_refused_in_one_line():
    codes = pd.Series(["PT", "PT1", "PT19", "PT191", "PT1A0", "PTZZZ"])
    (line,) = live._edition_problem(GDP, 2024, codes, 2016)
    assert line.startswith(f"{GDP}: the current release uses NUTS 2024 and holds NUTS 3 regions")
    assert "(PT191, PT1A0)" in line and "NUTS 2016" in line and "not guessed" in line
    assert "Fix: build from the pinned mirror" in line and "\n" not in line
    # the edition shown needs no matrix, and extra-regio NUTS 3 codes are no regions
    assert live._edition_problem(GDP, 2016, codes, 2016) == []
    assert live._edition_problem(GDP, 2024, pd.Series(["PT19", "PTZZZ"]), 2016) == []


def test_the_provenance_says_which_matrices_recoded_a_release():
    note = live.recoding_note(2024, 2016)
    assert note == (
        "recoded from NUTS 2024 to NUTS 2016 through NUTS 2021 with the JRC NUTS converter "
        "matrices (2021-2024, 2016-2021, read from the newer edition back)"
    )
    assert live.recoding_note(2016, 2016) == "NUTS 2016 codes, the edition shown"


def test_the_api_base_url_is_a_setting(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_EUROSTAT_API", raising=False)
    assert eurostat.build_api_url(GDP).startswith("https://ec.europa.eu/eurostat/api/")
    monkeypatch.setenv("OBSERVATORY_EUROSTAT_API", "http://127.0.0.1:9/data/")
    assert eurostat.build_api_url(GDP, "SDMX-CSV") == (
        f"http://127.0.0.1:9/data/{GDP}?format=SDMX-CSV&compressed=true"
    )


def test_a_release_is_kept_by_content_and_a_failed_download_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_CACHE", str(tmp_path / "cache"))
    with RecordedEurostat() as server:
        monkeypatch.setenv("OBSERVATORY_EUROSTAT_API", server.url)
        release = sdmx_csv(GDP, RELEASES[GDP])
        server.responses[(GDP, "SDMX-CSV")] = (200, release)
        path, digest, vintage = live.download_release(GDP)
        content = gzip.decompress(release)
        assert path.name == f"{GDP}-{hashlib.sha256(content).hexdigest()[:16]}.csv.gz"
        assert vintage == "2026-11-20" and gzip.decompress(path.read_bytes()) == content
        # the API compresses every answer anew: the same release is still the same file
        server.responses[(GDP, "SDMX-CSV")] = (200, gzip.compress(content, mtime=12345))
        assert live.download_release(GDP) == (path, digest, vintage)
        server.responses[(GDP, "SDMX-CSV")] = (500, b"busy")
        with pytest.raises(DataSourceError, match="500"):
            live.download_release(GDP)
        server.responses[(GDP, "SDMX-CSV")] = (200, b"<html>maintenance</html>")
        with pytest.raises(eurostat.UnreadableReleaseError, match="not a usable Eurostat SDMX-CSV"):
            live.download_release(GDP)
    assert [p.name for p in live.releases_dir().iterdir()] == [path.name]
    assert server.requests[0] == f"/data/{GDP}?format=SDMX-CSV&compressed=true"


def test_the_store_choice_is_checked_and_has_its_own_pointer(monkeypatch, tmp_path):
    assert constants.live_data_selected({}) is False
    assert constants.live_data_selected({"OBSERVATORY_DATA": "live"}) is True
    with pytest.raises(ConfigError, match=r"OBSERVATORY_DATA='newest'.*pinned.*live"):
        constants.live_data_selected({"OBSERVATORY_DATA": "newest"})
    assert store.pointer_name(2016, live=True) == "CURRENT-live"
    assert store.pointer_name(2021, live=True) == "CURRENT-2021-live"
    monkeypatch.setenv("OBSERVATORY_DATA", "live")
    with pytest.raises(Exception, match=r"No live store.*observatory build --live"):
        store.load_store(tmp_path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["build", "--datasets", GDP], "--datasets needs --live"),
        (["build", "--live", "--datasets", "nama_10r_2gdpp"], "nama_10r_2gdp"),
    ],
)
def test_bad_live_build_options_are_refused_before_any_download(argv, message, capsys):
    assert cli.main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0]


def test_the_batch_uses_the_live_store_as_it_is_and_never_builds_one(monkeypatch, tmp_path):
    from observatory_lib.cli import product_commands
    from observatory_lib.errors import StoreError

    def refuse(*args, **kwargs):
        raise AssertionError("a store was built")

    monkeypatch.setattr(store, "build_store", refuse)
    monkeypatch.setenv("OBSERVATORY_STORE", str(tmp_path))
    monkeypatch.setenv("OBSERVATORY_DATA", "live")
    with pytest.raises(StoreError, match=r"No live store.*observatory build --live"):
        product_commands.ensure_store()


def test_a_release_in_another_layout_is_not_supported_and_a_failed_one_is_retried(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("OBSERVATORY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(live, "region_codes_by_edition", lambda catalog: {2021: frozenset()})
    renamed = sdmx_csv(GDP, RELEASES[GDP], rename={"OBS_VALUE": "OBS_VALUE_NEW"})
    with RecordedEurostat() as server:
        monkeypatch.setenv("OBSERVATORY_EUROSTAT_API", server.url)
        server.responses[(GDP, "SDMX-CSV")] = (200, renamed)
        server.responses[("trng_lfse_04", "SDMX-CSV")] = (500, b"busy")
        lines = list(live.gather_releases([GDP, "trng_lfse_04"], catalog=None, previous={}))
    assert lines[0].startswith(f"{GDP}: the current release changed its structure (the file is")
    assert "lacks the column(s) OBS_VALUE" in lines[0] and "observatory data fetch" not in lines[0]
    assert lines[1].startswith("trng_lfse_04: the download failed (Cannot download")
    assert lines[1].endswith(
        "Fix: try again later (the Eurostat API may be busy) or check the connection"
    )

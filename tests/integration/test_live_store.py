"""`observatory build --live` end to end, against a loopback server of recorded API responses.

The pinned store is built from the mirror first; the live builds read the current releases of
the nine Eurostat tables from the server (tests/eurostat_releases.py) and everything else from
the mirror. The tests run in file order on one store root: a first live build, a failed
download, changed structures, a partial update, and `data update` in the TSV format.
"""

from __future__ import annotations

import gzip
from types import SimpleNamespace

import pytest
from eurostat_releases import (
    REGIONS_2024,
    RELEASES,
    RecordedEurostat,
    observations,
    sdmx_csv,
    tsv,
)

from observatory_lib.cli import main as cli
from observatory_lib.data import eurostat, store
from observatory_lib.products.kit import provenance

GDP = "nama_10r_2gdp"
# the recorded value of GDP (MIO_EUR, the first unit) in DE11 (fourth region) in 2021
DE11_GDP_2021 = 100 + 0 * 10 + 3 + 0.1


@pytest.fixture(scope="module")
def live_env(mirror_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("live")
    with pytest.MonkeyPatch.context() as patch, RecordedEurostat() as server:
        patch.setenv("OBSERVATORY_MIRROR", str(mirror_dir))
        patch.setenv("OBSERVATORY_STORE", str(root / "store"))
        patch.setenv("OBSERVATORY_CACHE", str(root / "cache"))
        patch.setenv("OBSERVATORY_EUROSTAT_API", server.url)
        patch.delenv("OBSERVATORY_DATA", raising=False)
        pinned = store.build_store()
        server.record_all()
        yield SimpleNamespace(server=server, root=root / "store", pinned=pinned)


def _gdp(loaded, region: str, year: int):
    table = loaded.context_indicators
    rows = table[
        (table["indicator_code"] == "gdp_mio_eur")
        & (table["region_code"] == region)
        & (table["year"] == year)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def _live_pointer(env) -> str:
    return (env.root / store.pointer_name(live=True)).read_text().strip()


def _assert_every_store_as_it_was(env, live_version: str) -> None:
    assert _live_pointer(env) == live_version
    live_store = store.load_store(live=True)
    assert live_store.version == live_version and len(live_store.context_indicators)
    pinned = store.load_store(live=False)
    assert pinned.version == env.pinned["store_version"] and len(pinned.sbs_employment)


def test_a_live_build_reads_the_current_releases_and_says_so(live_env, capsys, monkeypatch):
    assert cli.main(["build", "--live"]) == 0
    out = capsys.readouterr().out
    assert f"{GDP}: new release, vintage 2026-11-20, NUTS 2024, 270 observations" in out
    assert "products read it with OBSERVATORY_DATA=live" in out

    live_store = store.load_store(live=True)
    assert set(live_store.info["live_releases"]) == set(RELEASES)
    gdp_source = live_store.provenance.set_index("source_code").loc[GDP]
    assert (gdp_source["vintage"], gdp_source["nuts_edition"]) == ("2026-11-20", 2024)
    # the SBS files, whose current release is not read yet, keep their pinned vintages
    pinned = store.load_store(live=False).provenance.set_index("source_code")["vintage"]
    sbs = live_store.provenance[live_store.provenance["dataset_code"] == "sbs_r_nuts06_r2"]
    assert len(sbs) == 2
    assert all(pinned[row.source_code] == row.vintage for row in sbs.itertuples())
    # the recorded number reaches the store; the confidential cell stays missing with its flag
    assert _gdp(live_store, "DE11", 2021)["value"] == pytest.approx(DE11_GDP_2021)
    confidential = _gdp(live_store, "DE12", 2022)
    assert confidential["flag"] == "c" and confidential["value"] != confidential["value"]
    # codes valid in NUTS 2021 and 2024 alike are read as 2024 codes (the newest edition) and
    # go back through the crosswalks into the edition shown (2016): HR02 was part of HR04
    recoding = live_store.nuts_recoding
    hr02 = recoding[
        (recoding["region_code_source"] == "HR02") & (recoding["nuts_edition_source"] == 2024)
    ]
    assert set(hr02["nuts_edition"]) == {2016} and set(hr02["region_code"]) == {"HR04"}
    # the products state the live vintages
    assert "2026-11-20" in provenance.product_vintage(live_store, "scoreboard")
    footer = provenance.product_provenance_markdown(live_store, "scoreboard")
    assert "2026-11-20" in footer

    monkeypatch.setenv("OBSERVATORY_DATA", "live")
    assert cli.main(["info"]) == 0
    info = capsys.readouterr().out
    assert info.startswith("Store in use: live")
    assert f"{GDP}: 2026-11-20, NUTS 2024, recoded to NUTS 2016" in info
    assert "sbs_r_nuts06_r2: pinned vintage kept" in info and "sbs_r_nuts2021" in info
    monkeypatch.delenv("OBSERVATORY_DATA")
    assert cli.main(["info"]) == 0
    assert capsys.readouterr().out.startswith("Store in use: pinned")


def test_a_failed_download_names_the_dataset_and_leaves_every_store(live_env, capsys):
    before = _live_pointer(live_env)
    live_env.server.responses[("nama_10r_2gvagr", "SDMX-CSV")] = (503, b"busy")
    try:
        assert cli.main(["build", "--live"]) == 2
    finally:
        live_env.server.record_all()
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("error: nama_10r_2gvagr: the download failed (")
    assert "503" in errors[0] and "Fix: try again later" in errors[0]
    assert errors[1] == "error: The live store was not built; every store is as it was."
    _assert_every_store_as_it_was(live_env, before)


def test_changed_structures_are_not_supported_yet_and_nothing_is_guessed(live_env, capsys):
    before = _live_pointer(live_env)
    renamed = sdmx_csv("lfst_r_lfe2emp", RELEASES["lfst_r_lfe2emp"], rename={"sex": "sexe"})
    fewer_units = {"unit": [u for u in RELEASES[GDP]["unit"] if u != "PPS_HAB"]}
    live_env.server.responses[("lfst_r_lfe2emp", "SDMX-CSV")] = (200, renamed)
    live_env.server.responses[(GDP, "SDMX-CSV")] = (200, sdmx_csv(GDP, fewer_units))
    try:
        assert cli.main(["build", "--live"]) == 2
    finally:
        live_env.server.record_all()
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3
    assert errors[0].startswith("error: lfst_r_lfe2emp: the current release changed its structure")
    assert "dimension sex is gone" in errors[0]
    assert errors[1].startswith(f"error: {GDP}: the current release changed its structure")
    assert "unit code PPS_HAB is no longer published" in errors[1]
    assert all("not supported yet" in line and "Fix:" in line for line in errors[:2])
    _assert_every_store_as_it_was(live_env, before)


def test_a_partial_update_takes_the_new_release_and_keeps_the_others(live_env, capsys):
    before = _live_pointer(live_env)
    newer = sdmx_csv(GDP, RELEASES[GDP], shift=1000, last_update="01/12/26 09:00:00")
    live_env.server.responses[(GDP, "SDMX-CSV")] = (200, newer)
    asked = len(live_env.server.requests)
    assert cli.main(["build", "--live", "--datasets", GDP]) == 0
    out = capsys.readouterr().out
    assert f"{GDP}: new release, vintage 2026-12-01" in out
    assert "lfst_r_lfe2emp: kept from the previous live store, vintage 2026-11-20" in out
    assert [path.split("?")[0] for path in live_env.server.requests[asked:]] == [f"/data/{GDP}"]
    after = _live_pointer(live_env)
    assert after != before and (live_env.root / before).is_dir()
    live_store = store.load_store(live=True)
    assert _gdp(live_store, "DE11", 2021)["value"] == pytest.approx(DE11_GDP_2021 + 1000)
    vintages = live_store.provenance.set_index("source_code")["vintage"]
    assert (vintages[GDP], vintages["lfst_r_lfe2emp"]) == ("2026-12-01", "2026-11-20")

    # every dataset asked again: the server's releases are the ones already in use
    assert cli.main(["build", "--live"]) == 0
    out = capsys.readouterr().out
    assert f"{GDP}: unchanged, vintage 2026-12-01" in out
    assert "trng_lfse_04: unchanged, vintage 2026-11-20" in out
    assert _live_pointer(live_env) == after

    # one dataset newer on the server, the others as they were: a full build says which is which
    newer_training = sdmx_csv(
        "trng_lfse_04", RELEASES["trng_lfse_04"], shift=5, last_update="03/12/26 11:00:00"
    )
    live_env.server.responses[("trng_lfse_04", "SDMX-CSV")] = (200, newer_training)
    assert cli.main(["build", "--live"]) == 0
    out = capsys.readouterr().out
    assert "trng_lfse_04: new release, vintage 2026-12-03" in out
    assert f"{GDP}: unchanged, vintage 2026-12-01" in out
    releases = store.load_store(live=True).info["live_releases"]
    assert {code: r["status"] for code, r in releases.items() if r["status"] != "unchanged"} == {
        "trng_lfse_04": "new release"
    }


def test_data_update_reads_the_tsv_format_from_the_same_api(live_env, capsys, tmp_path):
    assert cli.main(["data", "update", "--datasets", GDP]) == 0
    assert "observations" in capsys.readouterr().out
    downloaded = store.paths.cache_dir() / "live" / f"{GDP}.tsv.gz"
    assert gzip.decompress(downloaded.read_bytes()) == gzip.decompress(tsv(GDP, RELEASES[GDP]))
    frame = eurostat.read_eurostat_tsv(downloaded, GDP)
    cell = frame[(frame["region_code"] == "DE11") & (frame["year"] == 2021)]
    assert cell.set_index("unit").loc["MIO_EUR", "value"] == pytest.approx(DE11_GDP_2021)


def _release_values(code: str, unit: str, regions: list[str]) -> dict[tuple[str, int], float]:
    """(region, year) -> the recorded value of one unit of a release in ``regions``."""
    return {
        (region, year): float(text)
        for keys, region, year, text, _ in observations(code, RELEASES[code], regions=regions)
        if keys["unit"] == unit and text
    }


def test_a_nuts_2024_release_is_recoded_back_to_nuts_2016(live_env, capsys, monkeypatch):
    """A release in NUTS 2024-only codes (Portugal's new regions) goes back through NUTS 2021."""
    release = sdmx_csv(GDP, RELEASES[GDP], regions=REGIONS_2024, last_update="05/12/26 10:00:00")
    live_env.server.responses[(GDP, "SDMX-CSV")] = (200, release)
    try:
        assert cli.main(["build", "--live", "--datasets", GDP]) == 0
    finally:
        live_env.server.record_all()
    out = capsys.readouterr().out
    assert f"{GDP}: new release, vintage 2026-12-05, NUTS 2024" in out

    live_store = store.load_store(live=True)
    gdp = live_store.context_indicators[live_store.context_indicators["dataset_code"] == GDP]
    regions = live_store.regions
    nuts2016 = set(regions.loc[regions["nuts_edition"] == 2016, "region_code"])
    assert set(gdp["nuts_edition"]) == {2016} and set(gdp["region_code"]) <= nuts2016
    assert not set(gdp["region_code"]) & {"PT19", "PT1A", "PT1B", "PT1C", "PT1D"}
    cells = gdp.set_index(["indicator_code", "region_code", "year"])
    counts = _release_values(GDP, "MIO_EUR", REGIONS_2024)
    # Lisbon (PT17) was split into PT1A and PT1B: summed back exactly
    pt17 = cells.loc[("gdp_mio_eur", "PT17", 2023)]
    assert pt17["value"] == pytest.approx(counts[("PT1A", 2023)] + counts[("PT1B", 2023)])
    assert (pt17["region_code_source"], pt17["recode_relation"]) == ("PT1A+PT1B", "apportioned")
    # PT1D straddles the old PT16 and PT18: its GDP shared out by population, none lost
    recoded = sum(cells.loc[("gdp_mio_eur", code, 2023), "value"] for code in ("PT16", "PT18"))
    parts = sum(counts[(code, 2023)] for code in ("PT19", "PT1C", "PT1D"))
    assert recoded == pytest.approx(parts)
    assert cells.loc[("gdp_mio_eur", "PT16", 2023), "region_code_source"] == "PT19+PT1D"
    # a per-head value is the population-weighted mean of the new regions, between them
    per_head = _release_values(GDP, "EUR_HAB", REGIONS_2024)
    pt17_per_head = cells.loc[("gdp_eur_per_hab", "PT17", 2023), "value"]
    lower, upper = sorted(per_head[(code, 2023)] for code in ("PT1A", "PT1B"))
    assert lower < pt17_per_head < upper
    # a region unchanged since NUTS 2016 keeps its exact value
    de11 = cells.loc[("gdp_mio_eur", "DE11", 2023)]
    assert de11["value"] == counts[("DE11", 2023)] and de11["recode_relation"] == "same"

    # the products and `observatory info` state the vintage and the recoding
    gdp_source = live_store.provenance.set_index("source_code").loc[GDP]
    assert (gdp_source["vintage"], gdp_source["nuts_edition"]) == ("2026-12-05", 2024)
    assert "recoded from NUTS 2024 to NUTS 2016 through NUTS 2021" in gdp_source["modification"]
    footer = provenance.product_provenance_markdown(live_store, "scoreboard")
    assert "vintage 2026-12-05, NUTS 2024" in footer
    assert "shown on the NUTS 2016 classification" in footer
    monkeypatch.setenv("OBSERVATORY_DATA", "live")
    assert cli.main(["info"]) == 0
    info = capsys.readouterr().out
    assert f"{GDP}: 2026-12-05, NUTS 2024, recoded to NUTS 2016" in info

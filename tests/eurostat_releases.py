"""Recorded Eurostat API responses, built small by the tests, and a loopback server for them.

The responses follow the dissemination API's formats: SDMX-CSV 1.0 (``DATAFLOW,LAST UPDATE,
freq,<dimensions>,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG``) and TSV (``freq,<dimensions>,
geo\\TIME_PERIOD`` then one column per year, ``:`` for not available), both gzipped as with
``compressed=true``. ``RELEASES`` lists, by hand, the dimensions and codes each current release
of the datasets the catalog reads publishes; the region codes are valid in NUTS 2021 and 2024
alike (HR02 and HR05 exist only since NUTS 2021), read as NUTS 2024, the edition of Eurostat's
current regional tables. ``REGIONS_2024`` holds codes that exist only since NUTS 2024 (Portugal's
PT19, PT1A-PT1D): a release in them has to be recoded back through NUTS 2021 to NUTS 2016.
"""

from __future__ import annotations

import gzip
import http.server
import itertools
import threading
from urllib.parse import parse_qs, urlparse

REGIONS = ["EU27_2020", "DE", "DE1", "DE11", "DE12", "AT", "AT1", "AT11", "AT12", "HR", "HR0"]
REGIONS += ["HR02", "HR03", "HR05", "DEZZ"]
REGIONS_2024 = ["EU27_2020", "PT", "PT1", "PT19", "PT1A", "PT1B", "PT1C", "PT1D", "DE11"]
YEARS = (2021, 2022, 2023)
LAST_UPDATE = "20/11/26 23:00:00"  # dd/mm/yy as Eurostat writes it: 2026-11-20

# dataset code -> its dimensions besides freq and geo, each with the codes the release has
RELEASES: dict[str, dict[str, list[str]]] = {
    "nama_10r_2gdp": {
        "unit": ["MIO_EUR", "EUR_HAB", "EUR_HAB_EU", "MIO_PPS", "PPS_HAB", "PPS_HAB_EU"]
    },
    "nama_10r_2gvagr": {"unit": ["PCH_PRE", "I15"]},
    "nama_10r_2hhinc": {"unit": ["EUR_HAB", "PPS_EU27_2020_HAB"], "na_item": ["B5N", "B6N"]},
    "lfst_r_lfe2emp": {"unit": ["THS"], "sex": ["T", "M"], "age": ["Y15-64", "Y20-64"]},
    "lfst_r_lfu3pers": {"unit": ["THS"], "sex": ["T"], "age": ["Y15-74", "Y20-64"]},
    "lfst_r_lfe2eedu": {
        "unit": ["THS"],
        "sex": ["T"],
        "age": ["Y25-64"],
        "isced11": ["TOTAL", "ED5-8"],
    },
    "lfst_r_lfp2acedu": {
        "unit": ["THS"],
        "sex": ["T"],
        "age": ["Y25-64"],
        "isced11": ["TOTAL", "ED5-8"],
    },
    "trng_lfse_04": {"unit": ["PC"], "sex": ["T"], "age": ["Y25-64"]},
    "lfst_r_lfe2en2": {"unit": ["THS"], "nace_r2": ["TOTAL", "A", "B-E"], "age": ["Y_GE15"]},
}


def observations(code: str, dimensions: dict[str, list[str]], shift: float = 0.0, regions=None):
    """One (key codes, region, year, value text, flag) per observation of a release.

    Values are distinct per cell and say where they come from; DE12 in 2022 is confidential
    (no value, flag ``c``), AT11 in 2023 provisional (flag ``p``). ``regions`` defaults to
    ``REGIONS``.
    """
    names = list(dimensions)
    for position, combination in enumerate(itertools.product(*dimensions.values())):
        for region_index, region in enumerate(regions or REGIONS):
            for year in YEARS:
                value = 100 + position * 10 + region_index + (year - 2020) / 10 + shift
                text, flag = f"{value:.1f}", ""
                if region == "DE12" and year == 2022:
                    text, flag = "", "c"
                elif region == "AT11" and year == 2023:
                    flag = "p"
                yield dict(zip(names, combination, strict=True)), region, year, text, flag


def sdmx_csv(code: str, dimensions: dict[str, list[str]], shift: float = 0.0, **options) -> bytes:
    """A gzipped SDMX-CSV response; ``rename`` maps a column to another name (a changed column),
    ``regions`` lists the region codes (default ``REGIONS``)."""
    rename = options.get("rename", {})
    regions = options.get("regions")
    last_update = options.get("last_update", LAST_UPDATE)
    columns = ["DATAFLOW", "LAST UPDATE", "freq", *dimensions, "geo", "TIME_PERIOD", "OBS_VALUE"]
    lines = [",".join(rename.get(c, c) for c in [*columns, "OBS_FLAG"])]
    flow = f"ESTAT:{code.upper()}(1.0)"
    for keys, region, year, text, flag in observations(code, dimensions, shift, regions):
        cells = [flow, last_update, "A", *keys.values(), region, str(year), text, flag]
        lines.append(",".join(cells))
    return gzip.compress(("\n".join(lines) + "\n").encode())


def tsv(code: str, dimensions: dict[str, list[str]], shift: float = 0.0) -> bytes:
    """A gzipped TSV response, as the API writes it (freq first, ``:`` for not available)."""
    header = ",".join(["freq", *dimensions, "geo"]) + "\\TIME_PERIOD"
    rows: dict[tuple, dict[int, str]] = {}
    for keys, region, year, text, flag in observations(code, dimensions, shift):
        cell = (text or ":") + (f" {flag}" if flag else " ")
        rows.setdefault((*keys.values(), region), {})[year] = cell
    lines = ["\t".join([header, *(f"{year} " for year in YEARS)])]
    for key, cells in rows.items():
        lines.append("\t".join([",".join(["A", *key]), *(cells[year] for year in YEARS)]))
    return gzip.compress(("\n".join(lines) + "\n").encode())


class RecordedEurostat:
    """A loopback HTTP server answering ``/data/<code>?format=...`` from recorded responses.

    ``responses[(code, format)]`` is ``(status, body)``; tests change it between builds.
    ``requests`` lists every path asked for.
    """

    def __init__(self):
        self.responses: dict[tuple[str, str], tuple[int, bytes]] = {}
        self.requests: list[str] = []
        recorded = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # the http.server API names it so
                recorded.requests.append(self.path)
                url = urlparse(self.path)
                code = url.path.rsplit("/", 1)[-1]
                file_format = parse_qs(url.query).get("format", ["TSV"])[0]
                status, body = recorded.responses.get((code, file_format), (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output clean
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/data"

    def record_all(self, shift: float = 0.0) -> None:
        """Every dataset in both formats, as the current releases."""
        for code, dimensions in RELEASES.items():
            self.responses[(code, "SDMX-CSV")] = (200, sdmx_csv(code, dimensions, shift))
            self.responses[(code, "TSV")] = (200, tsv(code, dimensions, shift))

    def __enter__(self) -> RecordedEurostat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

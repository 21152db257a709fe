"""``observatory serve``: host and token rules, routes, configuration, template (no server)."""

from __future__ import annotations

import inspect
import json
import re
import socket

import pytest

from observatory_lib.runtime import serve
from observatory_lib.runtime.serve import ServeError


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts(host):
    assert serve.is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "192.168.1.5", "::", "example.org"])
def test_other_hosts_are_not_loopback(host):
    assert not serve.is_loopback(host)


def test_loopback_needs_no_token(monkeypatch):
    monkeypatch.delenv(serve.TOKEN_ENVIRONMENT_VARIABLE, raising=False)
    assert serve.check_host_and_token("127.0.0.1", None) is None


def test_other_host_without_token_is_refused_with_the_fix(monkeypatch):
    monkeypatch.delenv(serve.TOKEN_ENVIRONMENT_VARIABLE, raising=False)
    with pytest.raises(ServeError, match="--token") as caught:
        serve.check_host_and_token("0.0.0.0", None)
    assert "\n" not in str(caught.value)


def test_token_from_the_environment(monkeypatch):
    monkeypatch.setenv(serve.TOKEN_ENVIRONMENT_VARIABLE, "x" * 24)
    assert serve.check_host_and_token("0.0.0.0", None) == "x" * 24


def test_blank_or_short_tokens(monkeypatch):
    monkeypatch.delenv(serve.TOKEN_ENVIRONMENT_VARIABLE, raising=False)
    with pytest.raises(ServeError):
        serve.check_host_and_token("0.0.0.0", "   ")
    with pytest.raises(ServeError, match="too short"):
        serve.check_host_and_token("0.0.0.0", "abc")
    assert len(serve.new_token()) >= serve.MIN_TOKEN_LENGTH


def test_cli_refuses_a_public_host_in_one_line(monkeypatch, capsys):
    monkeypatch.delenv(serve.TOKEN_ENVIRONMENT_VARIABLE, raising=False)
    assert serve.main(["--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Refusing to serve")
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_busy_port_is_one_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match="--port"):
            serve.check_port("127.0.0.1", port)
    with pytest.raises(ServeError, match="out of range"):
        serve.check_port("127.0.0.1", 70000)


def test_parser_destinations_match_serve_arguments():
    import argparse

    parser = argparse.ArgumentParser()
    serve.configure_serve_parser(parser)
    arguments = parser.parse_args([])
    assert set(vars(arguments)) == set(inspect.signature(serve.serve).parameters)
    assert arguments.host == "127.0.0.1"
    assert arguments.port == 8866
    assert arguments.open_browser is False
    assert arguments.token is None


def test_voila_arguments_carry_host_port_and_token():
    argv = serve.voila_argv("127.0.0.1", 9000, "t" * 20)
    assert "--Voila.ip=127.0.0.1" in argv
    assert "--Voila.port=9000" in argv
    assert "--Voila.port_retries=0" in argv
    assert f"--Voila.token={'t' * 20}" in argv
    assert not any("token" in item for item in serve.voila_argv("127.0.0.1", 9000, None))


@pytest.mark.parametrize(
    "pattern",
    [
        "/",
        "/voila/tree",
        r"/voila/tree(?P<path>(?:(?:/[^/]+)+|/?))",
        "/voila/render/(.*)",
        r"/voila/api/contents(?P<path>(?:(?:/[^/]+)+|/?))",
        "/voila/files/(.*)",
    ],
)
def test_voilas_tree_contents_files_and_free_render_routes_are_dropped(pattern):
    assert not serve.keep_route(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"/api/kernels/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)/channels",
        "/voila/static/(.*)",
        "/voila/templates/(.*)",
        "/voila/labextensions/(.*)",
        "/voila/api/shutdown/(.*)",
        r"/voila/query/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)",
    ],
)
def test_infrastructure_routes_are_kept(pattern):
    assert serve.keep_route(pattern)


def test_only_the_allow_listed_apps_render():
    route = re.compile(serve.app_route_pattern("/") + "$")
    assert route.match("/voila/render/mapping_tool.ipynb")
    assert route.match("/voila/render/region_explorer.ipynb")
    for other in ("/voila/render/scratch.ipynb", "/voila/render/mapping_toolXipynb"):
        assert not route.match(other)


def test_preheat_pools_only_the_apps():
    patterns = [re.compile(p) for p in serve.preheat_denylist()]

    def denied(name: str) -> bool:  # Voila's rule: substring or regex match
        return any(p.pattern in name or p.match(name) for p in patterns)

    assert not denied("/work/main/notebooks/apps/mapping_tool.ipynb")
    assert not denied("region_explorer.ipynb")
    assert denied("/work/main/notebooks/apps/scratch.ipynb")
    assert denied("/work/main/notebooks/apps/old/mapping_tool.ipynb.bak")


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("index.html", True),
        ("scorecards/DE21/DE21.html", True),
        ("downloads/cluster_indicators.parquet", True),
        (".hidden.html", False),
        ("scorecards/../../data/catalog.yaml", False),
        ("a/.git/config.json", False),
        ("run.py", False),
    ],
)
def test_portal_pattern(path, served):
    assert bool(re.fullmatch(serve.PORTAL_PATTERN, path)) is served


def test_shipped_voila_configuration():
    config = json.loads((serve.CONFIG_DIR / "voila.json").read_text(encoding="utf-8"))
    voila = config["VoilaConfiguration"]
    assert voila["template"] == serve.TEMPLATE_NAME
    assert voila["show_tracebacks"] is False
    assert voila["preheat_kernel"] is True
    assert voila["allow_template_override"] == voila["allow_theme_override"] == "NO"
    assert voila["file_allowlist"] == []
    assert config["MappingKernelManager"]["cull_idle_timeout"] > 0
    # Pooled kernels wait for their visitor inside a cell: a cell timeout would kill them.
    assert "timeout" not in config.get("VoilaExecutor", {})
    assert "server log" in config["VoilaExecutor"]["cell_error_instruction"]
    assert serve.pooled_kernel_count() >= len(serve.allowed_apps())


TEMPLATES = serve.JUPYTER_DATA_DIR / "nbconvert" / "templates"
# Built by `make frontend` from frontend/ (third-party code bundled, not committed).
BUILT = re.compile(r"observatory-app\.")


def test_template_fetches_nothing_from_outside():
    template = TEMPLATES / serve.TEMPLATE_NAME
    assert json.loads((template / "conf.json").read_text())["base_template"] == "lab"
    for folder in (template, TEMPLATES / "observatory-lab"):
        for path in folder.rglob("*"):
            if path.is_file() and not BUILT.match(path.name):
                text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
                assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text), path
                for host in ("jsdelivr", "cdnjs", "unpkg", "googleapis"):
                    assert host not in text, (path, host)


def test_app_pages_load_the_projects_page_script_not_jupyterlab():
    """The app page's scripts and style sheets are the template's own static files.

    The template names every script and style sheet through ``resources.include_js`` or
    ``include_css`` of a ``static/`` file (served by the server itself, no CDN) and names the
    slim page script, not Voila's JupyterLab application (``voila_setup_labextensions``,
    which loads voila.js and the federated extensions) nor voila-style.js.
    """
    text = re.sub(
        r"\{#.*?#\}",
        "",
        (TEMPLATES / serve.TEMPLATE_NAME / "index.html.j2").read_text(),
        flags=re.S,
    )
    assert "<script src" not in text and "<link" not in text
    included = re.findall(r"resources\.include_(?:js|css)\(\s*\"([^\"]+)\"\s*\)", text)
    assert included and all(name.startswith("static/") for name in included), included
    assert f"static/{serve.FRONTEND_BUNDLE.name}" in included
    assert "static/observatory-app.css" in included
    assert "voila_setup_labextensions" not in text and "voila-style.js" not in text
    # Voila's front end stays available, for comparisons only.
    lab = (TEMPLATES / "observatory-lab" / "index.html.j2").read_text(encoding="utf-8")
    assert "voila_setup_labextensions(" in lab


def test_page_script_packages_match_the_python_widgets():
    """frontend/package.json pins the JavaScript side of the installed Python widgets.

    The kernel's widgets name their JavaScript module and version (jupyter-leaflet ^0.20,
    @jupyter-widgets/controls 2.0.0 for ipywidgets 8); the page script must carry the same
    jupyter-leaflet release as the installed jupyter_leaflet package, and the ipywidgets 8
    generation of the widget packages.
    """
    from importlib.metadata import version

    root = serve.CONFIG_DIR.parents[2]
    package = json.loads((root / "frontend" / "package.json").read_text(encoding="utf-8"))
    pinned = package["dependencies"]
    assert pinned["jupyter-leaflet"] == version("jupyter_leaflet")
    assert version("ipywidgets").startswith("8.")
    assert pinned["@jupyter-widgets/base"].startswith("6.")
    assert pinned["@jupyter-widgets/controls"].startswith("5.")
    lock = json.loads((root / "frontend" / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/jupyter-leaflet"]["version"] == version("jupyter_leaflet")


def test_a_missing_page_script_is_one_clear_error(tmp_path):
    with pytest.raises(ServeError, match=r"not built: run `make frontend`"):
        serve.check_frontend(tmp_path / "observatory-app.js")
    (tmp_path / "observatory-app.js").write_text("/* built */", encoding="utf-8")
    serve.check_frontend(tmp_path / "observatory-app.js")


def test_apps_load_no_mathematics_typesetter():
    """voila.json points Voila's MathJax 2 typesetter at the template's no-math script.

    The script is resolved from the app's page (``<base>voila/render/<app>.ipynb``), so the
    relative URL works under any base URL; it typesets nothing, which is right only while no
    app notebook holds a formula: an app that needs one must drop the two settings.
    """
    config = json.loads((serve.CONFIG_DIR / "voila.json").read_text(encoding="utf-8"))
    url = config["Voila"]["mathjax_url"]
    prefix = f"../templates/{serve.TEMPLATE_NAME}/static/"
    assert url.startswith(prefix), url
    static = serve.JUPYTER_DATA_DIR / "nbconvert" / "templates" / serve.TEMPLATE_NAME / "static"
    script = (static / url.removeprefix(prefix)).read_text(encoding="utf-8")
    for call in ("Config:", "Configured:", "Queue:", "StartupHook:", "resetEquationNumbers:"):
        assert call in script, call
    assert config["Voila"]["mathjax_config"]
    formula = re.compile(r"\$\$|\\\(|\\\[|\\begin\{|(?<![\w$])\$[^$\s][^$\n]*\$")
    for spec in serve.allowed_apps():
        notebook = json.loads((serve.paths.APP_DIR / spec.notebook).read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                assert not formula.search("".join(cell["source"])), (spec.notebook, cell["source"])


def test_loading_spinner_ticks_and_rests_for_reduced_motion():
    """Voila's spinner ticks 4 times a second (not 60 frames), and stops on reduced motion."""
    text = (TEMPLATES / serve.TEMPLATE_NAME / "index.html.j2").read_text(encoding="utf-8")
    css = text[text.index("{{ spinner.css() }}") :]
    assert re.search(r"\.spinner\s*\{\s*animation-timing-function:\s*steps\(8", css)
    assert re.search(
        r"prefers-reduced-motion:\s*reduce\)\s*\{\s*\.spinner\s*\{\s*animation:\s*none", css
    )


def test_app_notebooks_are_the_allow_list(tmp_path):
    found = serve.app_notebooks()
    assert set(found) == {spec.notebook for spec in serve.allowed_apps()}
    assert set(found) == {
        "mapping_tool.ipynb",
        "region_explorer.ipynb",
        "sector_explorer.ipynb",
        "compare_regions.ipynb",
    }
    (tmp_path / serve.APPS_FILE_NAME).write_text(
        (serve.paths.APP_DIR / serve.APPS_FILE_NAME).read_text(encoding="utf-8")
    )
    with pytest.raises(ServeError, match="not found"):
        serve.app_notebooks(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "Cannot read the app allow-list"),
        ("apps: [{name: x, title: X}]", "app entry 1 lacks description, parameters, example"),
        ("apps: nope", "app entry 1 lacks"),
    ],
)
def test_a_broken_allow_list_names_the_file_and_the_fix(tmp_path, text, message):
    if text is not None:
        (tmp_path / serve.APPS_FILE_NAME).write_text(text)
    with pytest.raises(ServeError, match=message):
        serve.allowed_apps(tmp_path)


def test_server_url_and_app_urls():
    assert serve.server_url("0.0.0.0", 8866) == "http://127.0.0.1:8866/"
    assert serve.server_url("::1", 8866, "tok") == "http://[::1]:8866/?token=tok"
    process = serve.ServerProcess(None, "127.0.0.1", 9999, None, None)
    url = process.app_url("region_explorer", region_code="DE21")
    assert url == "http://127.0.0.1:9999/voila/render/region_explorer.ipynb?region_code=DE21"

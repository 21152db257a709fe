"""``observatory serve``: the interactive apps in Voila, with the project's configuration.

Only the allow-listed apps in ``notebooks/apps`` are served, each at
``/voila/render/<app>.ipynb``; there is no directory tree, no contents API and no file
handler for the notebooks' folder. The start page ``/`` lists the apps and links the portal,
which is served read-only from the outputs directory at ``/portal/`` (no listings, a fixed
list of file types), so that the apps' links to the scorecards work.

The Voila configuration lives in ``voila_config/voila.json`` and is the only configuration
file read (a ``voila.json`` in the working directory or in the user's Jupyter folders is
ignored, so a server behaves the same wherever it is started):

- a pool of preheated kernels per app, sized from the memory budget of docs/DEPLOY.md.
  Preheating is compatible with the apps' URL parameters because the notebooks read them
  with ``apps.resolve_parameters``, which waits for the request (Voila's
  ``wait_for_request`` protocol) after the slow part (imports, mapping the prepared data,
  building the widgets) has already run in the pooled kernel. No cell timeout is set: a
  pooled kernel waits inside that cell until a visitor comes;
- admission and refilling (``kernel_pool``): a visitor gets a ready pooled kernel, else a
  new one while the server is under its kernel cap, else the app's **overflow page** (a
  static page of its default view, prepared with the app data in
  ``paths.app_data_dir()/<CURRENT>/overflow/<app>.html``), sent at once; used kernels are
  replaced one at a time once no visitor has arrived for a few seconds;
- idle kernels culled (``MappingKernelManager.cull_idle_timeout``), because Voila's own
  shutdown request on page close is refused for lack of an XSRF token (voila#1458); the
  template sends its own shutdown with the token, culling is the safety net. XSRF checks
  stay on;
- tracebacks never shown to users (``show_tracebacks`` false): Voila logs them, the page
  shows a plain sentence;
- the ``observatory`` template: Voila's lab page without the Font Awesome and mermaid CDN
  links, so a page fetches nothing from outside the server, and with the project's own slim
  front end (``static/observatory-app.js``, built from ``frontend/`` by ``make frontend``)
  instead of Voila's JupyterLab application: one script instead of about a hundred, about a
  quarter of the bytes. ``VoilaConfiguration.template=observatory-lab`` serves Voila's front end
  instead (for comparisons, docs/DEPLOY.md).

A host other than a loopback address needs a token (``--token`` or
``OBSERVATORY_SERVE_TOKEN``); the server refuses to start without one.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import secrets
import socket
import sys
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from observatory_lib import paths
from observatory_lib.errors import ObservatoryError
from observatory_lib.runtime.kernel_pool import COLD, OVERFLOW, POOL, pooled_manager_class

LOGGER = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().with_name("voila_config")
# Templates live under nbconvert/templates, not voila/templates: Voila looks for its themes in
# the first existing ``<jupyter path>/voila`` folder, which must stay the installed one.
JUPYTER_DATA_DIR = CONFIG_DIR / "jupyter"
TEMPLATE_NAME = "observatory"
# The apps' page script, built from frontend/ by `make frontend` (not committed).
FRONTEND_BUNDLE = (
    JUPYTER_DATA_DIR / "nbconvert" / "templates" / TEMPLATE_NAME / "static" / "observatory-app.js"
)
TOKEN_ENVIRONMENT_VARIABLE = "OBSERVATORY_SERVE_TOKEN"
MIN_TOKEN_LENGTH = 16
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
# Portal files: path segments never start with a dot (no hidden files, no "..").
_SEGMENT = r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*"
PORTAL_PATTERN = (
    rf"(?:{_SEGMENT}/)*{_SEGMENT}"
    r"\.(?:html|css|js|png|svg|jpg|pdf|csv|xlsx|json|geojson|parquet)"
)


OVERFLOW_HEADER = "X-Observatory-Overflow"
OVERFLOW_FALLBACK = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Busy</title>'
    '<link rel="icon" href="data:,"></head>'
    '<body><main class="observatory-overflow"><h1>{title}</h1><p class="observatory-busy">'
    "The live tool is busy right now: many people are using it at the same time. "
    '<a href="{url}">Try again</a> in a minute, or browse the <a href="/portal/">reports '
    "and downloads</a>.</p></main></body></html>"
)


def overflow_page(spec: AppSpec, base_url: str = "/") -> str:
    """The static page sent instead of the app when the server is at its kernel cap.

    The prepared page of the app's default view (``<app data>/<CURRENT>/overflow/<app>.html``)
    when there is one, else a plain note that the live tool is busy.
    """
    root = paths.app_data_dir()
    try:
        key = (root / "CURRENT").read_text(encoding="utf-8").strip()
        return (root / key / "overflow" / f"{spec.name}.html").read_text(encoding="utf-8")
    except OSError:
        return OVERFLOW_FALLBACK.format(title=spec.title, url=f"{base_url}{spec.route}")


class ServeError(ObservatoryError):
    """The server cannot start as asked (host without token, busy port, missing app)."""


@dataclass(frozen=True)
class AppSpec:
    """One allow-listed app: its notebook in ``paths.APP_DIR`` and how the start page shows it."""

    name: str
    title: str
    description: str
    parameters: str
    example: str

    @property
    def notebook(self) -> str:
        """The notebook's file name in ``paths.APP_DIR``."""
        return f"{self.name}.ipynb"

    @property
    def route(self) -> str:
        """The app's path under the server's base URL."""
        return f"voila/render/{self.notebook}"


APPS_FILE_NAME = "apps.yaml"


def allowed_apps(app_dir: Path | None = None) -> tuple[AppSpec, ...]:
    """The allow-listed apps, read from ``apps.yaml`` beside the app notebooks.

    The list lives with the notebooks, not in the server: the server serves whatever the
    project's apps are and knows nothing of what they show.

    Raises:
        ServeError: the file is missing or an entry lacks a field (the entry is named).
    """
    import yaml

    path = Path(app_dir or paths.APP_DIR) / APPS_FILE_NAME
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))["apps"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
        raise ServeError(
            f"Cannot read the app allow-list {path} ({error}); restore it from the repository "
            "(git checkout notebooks/apps)."
        ) from None
    fields = ("name", "title", "description", "parameters", "example")
    specs = []
    for position, entry in enumerate(entries, start=1):
        missing = [name for name in fields if not isinstance(entry, dict) or name not in entry]
        if missing:
            raise ServeError(
                f"{path}: app entry {position} lacks {', '.join(missing)}; give every app "
                f"the fields {', '.join(fields)}."
            )
        specs.append(AppSpec(**{name: str(entry[name]).strip() for name in fields}))
    return tuple(specs)


def app_notebooks(app_dir: Path | None = None) -> dict[str, Path]:
    """Return the allow-listed apps' notebooks, by file name.

    Raises:
        ServeError: an allow-listed notebook is missing.
    """
    directory = Path(app_dir or paths.APP_DIR)
    notebooks = {spec.notebook: directory / spec.notebook for spec in allowed_apps(directory)}
    missing = [str(path) for path in notebooks.values() if not path.is_file()]
    if missing:
        raise ServeError(
            f"App notebook(s) not found: {', '.join(missing)}. Restore them from the "
            "repository (git checkout notebooks/apps)."
        )
    return notebooks


def is_loopback(host: str) -> bool:
    """Return True when ``host`` only accepts connections from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host_and_token(host: str, token: str | None) -> str | None:
    """Validate the host/token pair and return the token to use (None: no token).

    Raises:
        ServeError: a non-loopback host without a token, or a token that is too short.
    """
    token = token if token is not None else os.environ.get(TOKEN_ENVIRONMENT_VARIABLE)
    if token is not None and token.strip() == "":
        token = None
    if token is None:
        if not is_loopback(host):
            raise ServeError(
                f"Refusing to serve on {host!r} without a token: anyone on the network could "
                f"start kernels. Pass --token (or set {TOKEN_ENVIRONMENT_VARIABLE}), e.g. "
                f'--token "$(python -c "import secrets; print(secrets.token_urlsafe(24))")", '
                f"or serve on {DEFAULT_HOST}."
            )
        return None
    if len(token) < MIN_TOKEN_LENGTH:
        raise ServeError(
            f"The token is too short ({len(token)} characters); use at least "
            f"{MIN_TOKEN_LENGTH}, e.g. python -c "
            '"import secrets; print(secrets.token_urlsafe(24))".'
        )
    return token


def check_port(host: str, port: int) -> None:
    """Fail early, with one clear message, when ``port`` cannot be bound on ``host``.

    Raises:
        ServeError: the port is out of range or already in use.
    """
    if not 0 < port < 65536:
        raise ServeError(f"Port {port} is out of range; use a number between 1 and 65535.")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            raise ServeError(
                f"Cannot listen on {host}:{port} ({error.strerror}). Is another server running "
                "there? Pick another port with --port."
            ) from None


def free_port(host: str = DEFAULT_HOST) -> int:
    """Return a TCP port that is free on ``host`` now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def connect_host(host: str) -> str:
    """The address a kernel on this machine uses to reach the server listening on ``host``."""
    if host in {"", "0.0.0.0"}:
        return DEFAULT_HOST
    if host == "::":
        return "::1"
    return host


def server_url(host: str, port: int, token: str | None = None) -> str:
    """The URL of the start page (with the token, when there is one)."""
    shown = connect_host(host)
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{port}/"
    return f"{url}?token={token}" if token else url


def voila_argv(host: str, port: int, token: str | None, options: Sequence[str] = ()) -> list[str]:
    """Command-line settings for Voila on top of ``voila.json``: where, and who may connect.

    ``options`` are ``Class.trait=value`` settings that override ``voila.json`` (e.g.
    ``VoilaKernelManager.kernel_pools_config={...}`` for a smaller test server).
    """
    argv = [
        str(paths.APP_DIR),
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.open_browser=False",
    ]
    if token:
        argv.append(f"--Voila.token={token}")
    for option in options:
        if "=" not in option or "." not in option.split("=", 1)[0]:
            raise ServeError(
                f"Option {option!r} is not Class.trait=value; e.g. "
                "ObservatoryKernelPolicy.max_kernels=20."
            )
        argv.append(f"--{option}")
    return argv


def _prepare_environment(host: str) -> None:
    """Make the template findable and tell pooled kernels where the server is.

    ``JUPYTER_PATH`` adds the project's template folder to Jupyter's search path. Preheated
    kernels fetch their request's query string from the server at ``VOILA_APP_IP``, whose
    default (127.0.0.1) is wrong when the server listens on one specific other address.
    """
    existing = os.environ.get("JUPYTER_PATH", "")
    parts = [str(JUPYTER_DATA_DIR), *[p for p in existing.split(os.pathsep) if p]]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(parts))
    os.environ["VOILA_APP_IP"] = connect_host(host)


DROPPED_ROUTES = ("/voila/tree", "/voila/render/", "/voila/api/contents", "/voila/files/")


def keep_route(pattern: str, server_url_path: str = "/") -> bool:
    """Whether one of Voila's own routes stays: not the tree, contents, files or free render.

    Voila serving a directory exposes a file tree at ``/`` and ``/voila/tree``, the contents
    API, every notebook under ``/voila/render/`` and files under ``/voila/files/``. The
    observatory replaces them with an explicit list of apps and its own start page.
    """
    if pattern.rstrip("/") == server_url_path.rstrip("/"):
        return False
    return not any(marker in pattern for marker in DROPPED_ROUTES)


def app_route_pattern(server_url_path: str = "/") -> str:
    """The URL pattern that renders exactly the allow-listed app notebooks."""
    names = "|".join(spec.notebook.replace(".", r"\.") for spec in allowed_apps())
    return f"{server_url_path.rstrip('/')}/voila/render/({names})"


def preheat_denylist() -> list[str]:
    """Voila's preheat denylist (regular expressions) that pools kernels for the apps only.

    Voila matches it against each notebook's absolute path under the apps folder.
    """
    names = "|".join(spec.notebook.replace(".", r"\.") for spec in allowed_apps())
    return [f"^(?!(?:.*/)?(?:{names})$)"]


def send_overflow_page(handler, notebook: str) -> None:
    """Answer a request for an app with its overflow page (the server is at its cap)."""
    spec = next(spec for spec in allowed_apps() if spec.notebook == notebook)
    handler.log.info("Kernel cap reached: overflow page of %s", notebook)
    handler.set_header("Content-Type", "text/html; charset=utf-8")
    handler.set_header("Cache-Control", "no-store")
    handler.set_header(OVERFLOW_HEADER, "1")
    handler.finish(overflow_page(spec, handler.base_url))


@contextlib.contextmanager
def _counted_cold_start(manager, counted: bool):
    """Count a kernel starting for a visitor while its page renders."""
    if counted:
        manager.cold_start(+1)
    try:
        yield
    finally:
        if counted:
            manager.cold_start(-1)


def _handler_classes() -> dict:
    """The observatory's tornado handlers (built on demand: importing them imports Voila)."""
    import tornado.web
    from jupyter_server.base.handlers import JupyterHandler
    from jupyter_server.utils import url_path_join
    from voila.handler import BaseVoilaHandler
    from voila.tornado.handler import TornadoVoilaHandler

    class AppHandler(TornadoVoilaHandler):
        """Renders one allow-listed app, or its overflow page when the server is at its cap.

        Sets the XSRF cookie the page's shutdown beacon sends.
        """

        @tornado.web.authenticated
        async def get(self, path=None):
            _ = self.xsrf_token  # the access sets the _xsrf cookie
            manager = self.kernel_manager
            decision = manager.admit(path) if hasattr(manager, "admit") else POOL
            if decision == OVERFLOW:
                send_overflow_page(self, path)
                return
            with _counted_cold_start(manager, decision == COLD):
                await super().get(path)

    class LandingHandler(BaseVoilaHandler):
        """The start page: the apps and the portal."""

        @tornado.web.authenticated
        def get(self):
            base = self.base_url
            apps = [
                {
                    "title": spec.title,
                    "description": spec.description,
                    "parameters": spec.parameters,
                    "example": spec.example,
                    "url": url_path_join(base, spec.route),
                }
                for spec in allowed_apps()
            ]
            self.write(
                self.render_template(
                    "landing.html",
                    apps=apps,
                    portal_available=(paths.output_dir() / "index.html").is_file(),
                    portal_url=url_path_join(base, "portal/"),
                )
            )

    class PortalHandler(BaseVoilaHandler, tornado.web.StaticFileHandler):
        """The portal's files, read-only: no listings, no hidden files, fixed file types.

        The URL pattern admits only the listed file types and path segments that do not
        start with a dot; tornado keeps the resolved path inside the outputs directory.
        """

        def initialize(self, **kwargs):
            BaseVoilaHandler.initialize(self, voila_configuration=kwargs["voila_configuration"])
            tornado.web.StaticFileHandler.initialize(
                self, path=kwargs["path"], default_filename="index.html"
            )

        @property
        def content_security_policy(self) -> str:
            # Sandboxed like Jupyter's file handler (the pages' scripts get a unique
            # origin), but the portal's downloads and links must work.
            return (
                JupyterHandler.content_security_policy.fget(self)
                + "; sandbox allow-scripts allow-downloads allow-popups"
            )

        @tornado.web.authenticated
        def get(self, path, include_body=True):
            return tornado.web.StaticFileHandler.get(self, path, include_body)

        def compute_etag(self):
            return None  # the portal is rebuilt in place; rely on Last-Modified

    class NotFoundHandler(BaseVoilaHandler):
        """Every other URL: a plain 'no page here' page."""

        async def prepare(self):
            await super().prepare()
            raise tornado.web.HTTPError(404)

    return {
        "app": AppHandler,
        "landing": LandingHandler,
        "portal": PortalHandler,
        "not_found": NotFoundHandler,
        "redirect": tornado.web.RedirectHandler,
    }


def _observatory_routes(app, handlers: dict) -> list:
    """The routes the observatory adds to Voila's kept ones."""
    from jupyter_server.utils import url_path_join

    base = app.server_url
    configuration = {"voila_configuration": app.voila_configuration}
    render = {"template_paths": app.template_paths, "config": app.config, **configuration}
    portal = {"path": str(paths.output_dir()), **configuration}
    return [
        (base, handlers["landing"], configuration),
        (app_route_pattern(base), handlers["app"], render),
        (
            url_path_join(base, "portal"),
            handlers["redirect"],
            {"url": url_path_join(base, "portal/")},
        ),
        (url_path_join(base, f"portal/({PORTAL_PATTERN}|)"), handlers["portal"], portal),
    ]


def _voila_application_class():
    """Return the Voila application class with the observatory's configuration and routes."""
    from traitlets import default
    from voila.app import Voila

    handlers = _handler_classes()

    class ObservatoryVoila(Voila):
        """Voila with the project's configuration file, template and routes only."""

        @default("config_file_paths")
        def _observatory_config_paths(self):
            return [str(CONFIG_DIR)]

        def initialize(self, argv=None):
            super().initialize(argv)
            self.config.VoilaKernelManager.preheat_denylist = preheat_denylist()

        def init_settings(self):
            # Voila builds its pooled kernel manager class inside init_settings; the
            # observatory's admission and refilling (kernel_pool) subclass it there.
            import voila.app

            original = voila.app.voila_kernel_manager_factory

            def factory(*args, **kwargs):
                manager_class = original(*args, **kwargs)
                if not hasattr(manager_class, "_initialize"):  # preheating switched off
                    return manager_class
                return pooled_manager_class(manager_class)

            voila.app.voila_kernel_manager_factory = factory
            try:
                settings = super().init_settings()
            finally:
                voila.app.voila_kernel_manager_factory = original
            settings["default_handler_class"] = handlers["not_found"]
            settings["default_handler_args"] = {"voila_configuration": self.voila_configuration}
            if not is_loopback(self.ip):
                settings["compress_response"] = True  # about 1 MB of script and CSS per page
            return settings

        def init_handlers(self):
            kept = [r for r in super().init_handlers() if keep_route(r[0], self.server_url)]
            return [*kept, *_observatory_routes(self, handlers)]

    return ObservatoryVoila


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    token: str | None = None,
    options: Sequence[str] = (),
) -> int:
    """Serve the allow-listed apps with Voila until interrupted.

    Args:
        host: interface to listen on; default loopback only. Any other host needs a token.
        port: TCP port.
        open_browser: open the start page in the default web browser.
        token: access token; default ``$OBSERVATORY_SERVE_TOKEN``; required off loopback.
        options: ``Class.trait=value`` overrides of ``voila.json``.

    Returns:
        The exit status (0 after a clean stop).

    Raises:
        ServeError: no token for a non-loopback host, a busy port, a missing app notebook,
            the apps' page script not built.
    """
    token = check_host_and_token(host, token)
    app_notebooks()
    check_frontend()
    check_port(host, port)
    _prepare_environment(host)
    app = _voila_application_class().instance()
    app.initialize(voila_argv(host, port, token, options))
    url = server_url(host, port, token)
    print(f"Serving the apps at {url} (Ctrl+C to stop)", flush=True)
    if open_browser:
        webbrowser.open(url)
    app.start()
    return 0


def configure_serve_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``observatory serve`` options to ``parser`` (dest names match ``serve``)."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"interface to listen on (default {DEFAULT_HOST}: this machine only; "
        "any other host requires --token)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port (default 8866)")
    parser.add_argument(
        "--open-browser",
        dest="open_browser",
        action="store_true",
        help="open the start page in a web browser",
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"access token (default ${TOKEN_ENVIRONMENT_VARIABLE}); required off loopback",
    )
    parser.add_argument(
        "--option",
        dest="options",
        action="append",
        default=[],
        metavar="CLASS.TRAIT=VALUE",
        help="override a setting of voila.json, e.g. ObservatoryKernelPolicy.max_kernels=20 "
        "(repeatable; docs/DEPLOY.md lists the settings)",
    )


def serve_from_arguments(arguments: argparse.Namespace) -> int:
    """Run ``serve`` with the options parsed by ``configure_serve_parser``."""
    return serve(
        host=arguments.host,
        port=arguments.port,
        open_browser=arguments.open_browser,
        token=arguments.token,
        options=arguments.options,
    )


def check_frontend(bundle: Path = FRONTEND_BUNDLE) -> None:
    """The apps' page script must be built before the server can send an app.

    Raises:
        ServeError: it is missing; the message gives the command that builds it.
    """
    if not bundle.is_file():
        raise ServeError(
            f"The apps' page script {bundle.name} is not built: run `make frontend` (it needs "
            "Node.js and npm); `make serve` and `make install-test` build it too."
        )


def new_token() -> str:
    """A random token suitable for ``--token``."""
    return secrets.token_urlsafe(24)


def pooled_kernel_count(config_dir: Path = CONFIG_DIR) -> int:
    """How many preheated kernels ``voila.json`` keeps for the allow-listed apps."""
    import json

    config = json.loads((config_dir / "voila.json").read_text(encoding="utf-8"))
    pools = config.get("VoilaKernelManager", {}).get("kernel_pools_config", {})
    default = pools.get("default", {}).get(
        "pool_size", config.get("VoilaConfiguration", {}).get("default_pool_size", 1)
    )
    if not config.get("VoilaConfiguration", {}).get("preheat_kernel", False):
        return 0
    return sum(
        int(pools.get(spec.notebook, {}).get("pool_size", default)) for spec in allowed_apps()
    )


class ServerProcess:
    """``observatory serve`` in a child process, for tests and benchmarks.

    Start it with ``launch_server``; use it as a context manager so that it is always stopped
    (SIGTERM: Voila shuts its kernels down; then SIGKILL of the server's own process group if
    it lingers).
    """

    def __init__(self, process, host: str, port: int, log_path: Path, token: str | None):
        self.process = process
        self.host = host
        self.port = port
        self.log_path = log_path
        self.token = token

    @property
    def url(self) -> str:
        """The start page's URL (with a trailing slash, without the token)."""
        return server_url(self.host, self.port)

    def app_url(self, name: str, **query) -> str:
        """The URL of an allow-listed app, with query-string parameters."""
        spec = next(spec for spec in allowed_apps() if spec.name == name)
        text = "&".join(f"{key}={value}" for key, value in query.items())
        return f"{self.url}{spec.route}" + (f"?{text}" if text else "")

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 180.0, pools: bool = True) -> float:
        """Wait until the start page answers (and the kernel pools are filled); return seconds.

        Raises:
            ServeError: the server exited or was not ready in time (the log tail is quoted).
        """
        import time
        import urllib.request

        start = time.perf_counter()
        answered = False
        while time.perf_counter() - start < timeout:
            if self.process.poll() is not None:
                raise ServeError(f"The server exited early:\n{self.log()[-3000:]}")
            if not answered:
                try:
                    with urllib.request.urlopen(self.url, timeout=2) as response:
                        answered = response.status == 200
                except OSError:
                    answered = False
            if answered and (not pools or self.pools_filled()):
                return time.perf_counter() - start
            time.sleep(0.2)
        raise ServeError(f"The server was not ready after {timeout} s:\n{self.log()[-3000:]}")

    def pools_filled(self) -> bool:
        """Whether every preheated kernel is waiting for a visitor.

        The observatory's pool (``kernel_pool``) logs "Kernel pool of ... is filled" when all
        of a notebook's pooled kernels are *ready*: they ran the slow part of the notebook and
        wait for a request on ``/voila/query/<kernel id>``.
        """
        log = self.log()
        return all(f"Kernel pool of {spec.notebook} is filled" in log for spec in allowed_apps())

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server and its kernels."""
        import signal
        import subprocess

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the session launch_server made
                self.process.wait(timeout)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_server(
    log_path: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    token: str | None = None,
    env: dict | None = None,
    options: Sequence[str] = (),
) -> ServerProcess:
    """Start ``python -m observatory_lib.runtime.serve`` in its own session; return at once.

    Args:
        log_path: file that receives the server's output.
        host: interface (loopback by default).
        port: TCP port; default a free one.
        token: access token.
        env: environment of the server (default: this process's), e.g. with
            ``OBSERVATORY_STORE`` pointing at a test store.
        options: ``Class.trait=value`` overrides of ``voila.json`` (``--option``).
    """
    import subprocess

    port = free_port(host) if port is None else port
    argv = [sys.executable, "-m", "observatory_lib.runtime.serve", "--host", host]
    argv += ["--port", str(port)]
    if token:
        argv += ["--token", token]
    for option in options:
        argv += ["--option", option]
    log_path = Path(log_path)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ if env is None else env),
            start_new_session=True,
        )
    return ServerProcess(process, host, port, log_path, token)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m observatory_lib.runtime.serve``: the same as ``observatory serve``."""
    parser = argparse.ArgumentParser(
        prog="python -m observatory_lib.runtime.serve", description=__doc__.splitlines()[0]
    )
    configure_serve_parser(parser)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return serve_from_arguments(arguments)
    except ObservatoryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

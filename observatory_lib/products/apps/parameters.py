"""The apps' parameters: the same ``parameters`` cell under Papermill and under Voila.

- **Papermill** injects ``-p name value`` after the notebook's ``parameters`` cell;
- **Voila** starts the kernel with the page request's query string in the ``QUERY_STRING``
  environment variable, e.g. ``/voila/render/mapping_tool.ipynb?level=3&topic=context``.
  ``resolve_parameters`` reads it, parses it with ``urllib.parse``, converts each value to the
  type of the parameter's default and overrides the defaults. In a *preheated* Voila kernel
  the notebook runs before anyone asks for it, so ``resolve_parameters`` first waits for the
  request (``wait_for_request``, Voila's protocol without importing Voila: that import alone
  costs a kernel 1.8 s and 44 MiB): everything above that call (imports, loading
  the app data, building the widgets) is done ahead, which is what makes preheating pay.
  Voila itself reads ``?theme=`` and ``?template=`` (a request with them never gets a
  preheated kernel), so no parameter may be called so: the mapping tool's theme is ``topic``.

Outside Voila the query string is ignored, so a stray ``QUERY_STRING`` in a batch
environment changes nothing. Problems reach the visitor as one sentence (``AppMessage``).
"""

from __future__ import annotations

import logging
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from observatory_lib.errors import ObservatoryError

LOGGER = logging.getLogger(__name__)
VOILA_MARKER = "VOILA_PREHEAT"  # Voila sets it (True/False) in every kernel it starts
IGNORED_QUERY_NAMES = frozenset({"token"})  # the server's access token is not a parameter
# Voila reads these from the query string itself; a parameter must never be called so.
VOILA_QUERY_NAMES = frozenset({"theme", "template"})
MAX_QUERY_FIELDS = 40
MAX_VALUE_LENGTH = 200
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ParameterError(ObservatoryError):
    """A parameter from the URL or Papermill has the wrong type or an unknown name."""


@dataclass(frozen=True)
class AppMessage:
    """A problem to show in place of an app: one sentence for the user, no traceback."""

    message: str


def in_voila() -> bool:
    """Return True inside a kernel started by Voila (preheated or not)."""
    return VOILA_MARKER in os.environ


def read_query_string() -> str:
    """Return the page request's query string in Voila, or ``''`` elsewhere.

    In a preheated kernel this blocks until a visitor's request is assigned to the kernel;
    Voila then sends the request's details (``QUERY_STRING`` among them) to the kernel.
    """
    if not in_voila():
        return ""
    if os.environ.get(VOILA_MARKER) == "True":
        wait_for_request()
    return os.environ.get("QUERY_STRING", "")


def wait_for_request() -> None:
    """Wait until Voila hands this preheated kernel to a visitor; put the request in the env.

    Voila's protocol (``voila.utils.wait_for_request``): the kernel opens a websocket to
    ``/voila/query/<kernel id>`` on its server, which sends the request's details (the query
    string among them) as one JSON message when a visitor is assigned the kernel.
    """
    import json

    from websockets.sync.client import connect

    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    url = f"{protocol}://{host}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"
    try:
        with connect(url, open_timeout=10, max_size=2**20) as socket:
            message = socket.recv()
    except (OSError, TimeoutError) as error:
        LOGGER.warning("No request details from %s (%s); using the defaults", url, error)
        return
    for key, value in json.loads(message).items():
        os.environ[str(key)] = str(value)


def parse_query_string(query: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a URL query string into typed parameters.

    Each value takes the type of its default: ``int``, ``float``, ``bool`` (1/0, true/false,
    yes/no, on/off), ``list`` (comma-separated) or ``str``. A repeated name keeps its last
    value; the server's ``token`` is ignored.

    Args:
        query: the query string, without the ``?`` (e.g. ``region_code=DE21&level=2``).
        defaults: the notebook's parameters and their default values.

    Returns:
        Only the parameters named in the query, converted.

    Raises:
        ParameterError: an unknown name, or a value that does not convert.
    """
    try:
        pairs = urllib.parse.parse_qs(query.lstrip("?"), max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        raise ParameterError(
            f"The link has too many parameters (at most {MAX_QUERY_FIELDS})."
        ) from None
    reserved = sorted(VOILA_QUERY_NAMES & set(defaults))
    if reserved:
        raise ParameterError(
            f"Parameter name(s) {', '.join(reserved)} are reserved by Voila; rename them."
        )
    unknown = sorted(set(pairs) - set(defaults) - IGNORED_QUERY_NAMES)
    if unknown:
        raise ParameterError(
            f"Unknown parameter(s) in the link: {', '.join(unknown)}. "
            f"Valid parameters: {', '.join(defaults)}."
        )
    return {
        name: convert_parameter(name, values[-1], defaults[name])
        for name, values in pairs.items()
        if name in defaults
    }


def convert_parameter(name: str, text: str, default: Any) -> Any:
    """Convert one query-string value to the type of ``default``.

    Raises:
        ParameterError: the value does not convert, or is too long.
    """
    text = text.strip()
    if len(text) > MAX_VALUE_LENGTH:
        raise ParameterError(f"Parameter {name!r} is too long (at most {MAX_VALUE_LENGTH}).")
    if isinstance(default, bool):
        return _convert_bool(name, text)
    if isinstance(default, int | float):
        return _convert_number(name, text, type(default))
    if isinstance(default, list | tuple):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _convert_bool(name: str, text: str) -> bool:
    word = text.lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise ParameterError(f"Parameter {name!r} must be true or false, not {text!r}.")


def _convert_number(name: str, text: str, kind: type) -> int | float:
    try:
        return kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise ParameterError(f"Parameter {name!r} must be {noun}, not {text!r}.") from None


def resolve_parameters(
    defaults: Mapping[str, Any], query: str | None = None
) -> dict[str, Any] | AppMessage:
    """The notebook's parameters, overridden by the Voila URL's query string.

    Call it after the slow set-up and before anything that depends on the parameters: in a
    preheated Voila kernel it waits here for the visitor's request.

    Args:
        defaults: the parameters as the ``parameters`` cell (or Papermill) set them.
        query: a query string to use instead of the request's (tests).

    Returns:
        The merged parameters, or an ``AppMessage`` explaining a bad link.
    """
    query = read_query_string() if query is None else query
    try:
        return {**defaults, **parse_query_string(query, defaults)}
    except ParameterError as error:
        return AppMessage(str(error))

"""The request plumbing shared by the three clients.

One place turns an HTTP exchange into either a :class:`Response` or one of the
library's exceptions: timeouts, connection failures and undecodable JSON never
leave here as aiohttp, asyncio or ``json`` exceptions. Each client then maps its
own API's error bodies on top of this.

Only the method, the path (never the query, which may hold references) and the
status are logged; headers and bodies may carry credentials or card data.
"""

from __future__ import annotations

import base64
import errno
import functools
import json
import logging
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Self, TypeVar

import aiohttp
from yarl import URL

from ..errors import (
    KineticConnectionError,
    KineticInvalidResponseError,
    KineticTimeoutError,
)

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BasicCredentials:
    """HTTP Basic credentials; the repr shows neither the login nor the password."""

    login: str = field(repr=False)  # the Payment Engine's login is its API key
    password: str = field(repr=False)

    def header(self) -> str:
        """Return the ``Authorization`` header value.

        Built here rather than with ``aiohttp.BasicAuth``, which newer aiohttp
        releases deprecate. Latin-1 as aiohttp always did, UTF-8 when it cannot encode.
        """
        return _basic_header(self.login, self.password)


# Polling sends the same credentials every second to every terminal: encode them once.
@functools.lru_cache(maxsize=1024)
def _basic_header(login: str, password: str) -> str:
    raw = f"{login}:{password}"
    try:
        encoded = raw.encode("latin-1")
    except UnicodeEncodeError:
        encoded = raw.encode("utf-8")
    return "Basic " + base64.b64encode(encoded).decode("ascii")


@dataclass(frozen=True, slots=True)
class Response:
    """A completed HTTP exchange: status, the headers we need, and the raw body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def is_error(self) -> bool:
        """Whether the status is 4xx or 5xx."""
        return self.status >= 400

    def json(self) -> Any:
        """Decode the body as JSON with every non-integer number as a Decimal."""
        if not self.body.strip():
            raise KineticInvalidResponseError(f"Empty response body (HTTP {self.status})")
        try:
            return json.loads(self.body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as err:
            # Deliberately not echoing the body: it may hold card data.
            raise KineticInvalidResponseError(
                f"Response is not valid JSON (HTTP {self.status})"
            ) from err

    def json_or_none(self) -> Any:
        """Decode the body as JSON, or return None when it is empty or not JSON.

        Error responses are often bodiless or plain text; their status alone still
        says what went wrong.
        """
        try:
            return self.json()
        except KineticInvalidResponseError:
            return None


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    *,
    time_limit: float,
    auth: BasicCredentials | None = None,
    json_body: Any = None,
    params: Mapping[str, str] | None = None,
) -> Response:
    """Send one request and read the whole answer within ``time_limit`` seconds."""
    headers = _headers(auth.header() if auth is not None else None)
    data: bytes | None = None
    if json_body is not None:
        # Serialised here so Decimals (never floats) go out as exact strings/numbers.
        data = json.dumps(json_body, default=_json_default).encode()
        headers = {**headers, "Content-Type": "application/json"}
    try:
        # aiohttp's own total timeout covers connecting, sending and reading the body (all
        # inside this block) without a second timer per request; its headers are already
        # case-insensitive and stay readable after the block.
        async with session.request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=_timeout(time_limit),
        ) as resp:
            response = Response(status=resp.status, headers=resp.headers, body=await resp.read())
    except TimeoutError as err:
        _LOGGER.debug("%s %s timed out after %ss", method, url.path, time_limit)
        raise KineticTimeoutError(
            f"Timed out after {time_limit}s waiting for {method} {url.path}"
        ) from err
    except (aiohttp.ClientError, socket.gaierror, OSError) as err:
        _LOGGER.debug("%s %s failed: %s", method, url.path, type(err).__name__)
        raise KineticConnectionError(
            f"Cannot reach {url.host}:{url.port}: {connection_failure(err)}"
        ) from err
    except Exception as err:
        # Anything else (a resolver bug, an aiohttp surprise) is still a failed exchange
        # that may have reached the terminal: a connection error, never "not sent".
        _LOGGER.debug("%s %s failed unexpectedly: %s", method, url.path, type(err).__name__)
        raise KineticConnectionError(
            f"Cannot reach {url.host}:{url.port}: the exchange failed unexpectedly"
        ) from err
    if _LOGGER.isEnabledFor(logging.DEBUG):
        _LOGGER.debug("%s %s -> %s", method, url.path, response.status)
    return response


# Polls send the same headers again and again; aiohttp copies what it is given into a
# multidict of its own, so one shared read-only mapping per credentials serves them all.
@functools.lru_cache(maxsize=1024)
def _headers(authorization: str | None) -> Mapping[str, str]:
    headers = {"Accept": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return MappingProxyType(headers)


_T = TypeVar("_T")


class ReplyMemo:
    """The last reply of each polled endpoint and what it was read as.

    An idle terminal answers a status poll with the same bytes every time; when a reply's
    status and body are byte for byte the previous one's, what was read from it then (an
    immutable model, ``None`` or ``bool``) is what it says now, without decoding and
    validating it again. A reply read as an error is never kept: it raises every time.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        """Start with nothing remembered."""
        self._last: dict[str, tuple[int, bytes, Any]] = {}

    def read(self, key: str, response: Response, parse: Callable[[Response], _T]) -> _T:
        """Return ``parse(response)``, or what it returned for the same reply last time."""
        last = self._last.get(key)
        if last is not None and last[0] == response.status and last[1] == response.body:
            value: _T = last[2]
            return value
        self._last.pop(key, None)
        value = parse(response)
        self._last[key] = (response.status, response.body, value)
        return value


def connection_failure(err: BaseException) -> str:
    """Say in words what went wrong on the way to a terminal (for the person reading it)."""
    if isinstance(err, aiohttp.ClientSSLError):
        return "its TLS certificate or handshake was refused"
    if isinstance(err, socket.gaierror) or isinstance(
        getattr(err, "os_error", None), socket.gaierror
    ):
        return "its name does not resolve"
    if isinstance(err, aiohttp.ServerDisconnectedError):
        return "it closed the connection before answering"
    if isinstance(err, aiohttp.ClientPayloadError):
        return "its answer was cut off"
    cause = getattr(err, "os_error", err)
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused (nothing listens on that port)"
    if isinstance(cause, ConnectionResetError):
        return "the connection was reset"
    if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "no route to it (is it on this network?)"
    return "the connection failed"


@functools.lru_cache(maxsize=64)
def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds)


# Polling asks for the same few URLs of each terminal again and again: build each once.
@functools.lru_cache(maxsize=4096)
def build_url(scheme: str, host: str, port: int, path: str) -> URL:
    """Build a request URL; a host or port that cannot form one is a connection error."""
    try:
        return URL.build(scheme=scheme, host=host, port=port, path=path)
    except (TypeError, ValueError) as err:
        raise KineticConnectionError(f"Cannot build a URL for host {host!r}") from err


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"Cannot serialise {type(value).__name__}")


def new_session() -> aiohttp.ClientSession:
    """Return a ClientSession that resolves host names with the system resolver.

    aiohttp picks aiodns when it is installed, and some aiodns / pycares pairs fail on
    every name; the threaded resolver (``getaddrinfo``) is what the system uses.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver())
    )


class SessionOwner:
    """Session handling shared by the clients, in the python-wled style.

    A client uses the injected ``aiohttp.ClientSession`` when given one and never
    closes it; otherwise it creates its own on first use and closes it in
    :meth:`close` (or on leaving ``async with``).
    """

    session: aiohttp.ClientSession | None
    _close_session: bool

    def _get_session(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = new_session()
            self._close_session = True
        return self.session

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self.session is not None and self._close_session:
            await self.session.close()
            self.session = None
            self._close_session = False

    async def __aenter__(self) -> Self:
        """Enter ``async with``."""
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Leave ``async with``: close the session if we own it."""
        await self.close()


def retry_after_seconds(value: str | None) -> float | None:
    """Read a ``Retry-After`` header given in seconds (HTTP dates are not worth it here)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None

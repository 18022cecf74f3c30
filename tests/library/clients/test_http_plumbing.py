"""The shared request plumbing: URLs, credentials, bodies and Retry-After."""

from __future__ import annotations

import base64
import errno
import socket
from decimal import Decimal

import aiohttp
import pytest

from kinetic_integration.clients import KineticGoClient
from kinetic_integration.clients._http import (
    BasicCredentials,
    Response,
    build_url,
    connection_failure,
    retry_after_seconds,
)
from kinetic_integration.errors import KineticConnectionError, KineticInvalidResponseError


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("5", 5.0), (" 0.5 ", 0.5), ("soon", None), ("-1", None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header) == expected


def test_basic_credentials_header_and_repr() -> None:
    creds = BasicCredentials("kinetic", "pässword")
    assert "pässword" not in repr(creds)
    decoded = base64.b64decode(creds.header().removeprefix("Basic "))
    assert decoded == "kinetic:pässword".encode("latin-1")
    wide = BasicCredentials("kinetic", "密码")
    assert base64.b64decode(wide.header().removeprefix("Basic ")) == "kinetic:密码".encode()


def test_response_json_uses_decimal_and_rejects_garbage() -> None:
    ok = Response(status=200, headers={}, body=b'{"amount": 2.23}')
    assert ok.json() == {"amount": Decimal("2.23")}
    for body in (b"", b"   ", b"{nope", b"\xff\xfe"):
        bad = Response(status=200, headers={}, body=body)
        with pytest.raises(KineticInvalidResponseError):
            bad.json()
        assert bad.json_or_none() is None


async def test_unusable_host_is_a_connection_error(session: aiohttp.ClientSession) -> None:
    with pytest.raises(KineticConnectionError):
        build_url("http", "bad host/with space", 80, "/x")
    client = KineticGoClient("bad host/with space", session=session)
    with pytest.raises(KineticConnectionError):
        await client.ping()


async def test_a_refused_connection_is_said_in_words(session: aiohttp.ClientSession) -> None:
    """What a person reads names what went wrong, not an exception class."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = KineticGoClient("127.0.0.1", port=port, session=session)
    with pytest.raises(KineticConnectionError) as err:
        await client.ping()
    assert str(err.value.message) == (
        f"Cannot reach 127.0.0.1:{port}: connection refused (nothing listens on that port)"
    )


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (socket.gaierror(-2, "Name or service not known"), "its name does not resolve"),
        (aiohttp.ServerDisconnectedError(), "it closed the connection before answering"),
        (aiohttp.ClientPayloadError("cut"), "its answer was cut off"),
        (ConnectionResetError(), "the connection was reset"),
        (OSError(errno.EHOSTUNREACH, "unreachable"), "no route to it (is it on this network?)"),
        (OSError(errno.EIO, "io"), "the connection failed"),
    ],
)
def test_connection_failures_in_words(error: BaseException, words: str) -> None:
    assert connection_failure(error) == words

"""The shared request plumbing: URLs, credentials, bodies and Retry-After."""

from __future__ import annotations

import base64
from decimal import Decimal

import aiohttp
import pytest

from kinetic_integration.clients import KineticGoClient
from kinetic_integration.clients._http import (
    BasicCredentials,
    Response,
    build_url,
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

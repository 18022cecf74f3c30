"""Decoding of HTTP Basic credentials, as the simulated servers check them.

Written out rather than taken from ``aiohttp.BasicAuth``, which newer aiohttp releases
deprecate (and the simulator shares no code with the clients).
"""

from __future__ import annotations

import base64
import binascii


def decode_basic(header: str) -> tuple[str, str] | None:
    """Return ``(login, password)`` from an ``Authorization: Basic`` value, or None."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    login, colon, password = text.partition(":")
    return (login, password) if colon else None

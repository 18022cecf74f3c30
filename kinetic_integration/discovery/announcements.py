"""Passive listener for the UDP announcements of the Kinetic family.

Kinetic terminals broadcast a JSON datagram every 3 s on port 33310:
``{"name", "id" (serial), "address", "battery": {"percentage", "charging"}}``
(see API_NOTES). Our simulator adds ``kind`` and ``port``. Anything else that
arrives on the port is dropped with a debug log; the listener never stops for it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from kinetic_integration.discovery.models import (
    Battery,
    DiscoveredTerminal,
    DiscoverySource,
    SightingCallback,
)
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.terminal.kinds import DEFAULT_KIND, kind_facts

_LOGGER = logging.getLogger(__name__)

DEFAULT_ANNOUNCE_PORT = 33310
# Announcements are a few hundred bytes; anything far bigger is not one.
_MAX_DATAGRAM = 4096
_MAX_TEXT = 128


class AnnouncementError(ValueError):
    """A datagram that is not a usable announcement."""


def _text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise AnnouncementError(f"{field} is not text")
    text = str(value).strip()
    if len(text) > _MAX_TEXT:
        raise AnnouncementError(f"{field} too long")
    return text or None


def _port(value: object) -> int:
    if isinstance(value, bool):
        raise AnnouncementError("port is not a number")
    try:
        port = int(str(value))
    except ValueError as err:
        raise AnnouncementError("port is not a number") from err
    if not 0 < port < 65536:
        raise AnnouncementError("port out of range")
    return port


def _address(value: object, fallback_host: str) -> tuple[str, int | None]:
    """Split ``"ip"`` or ``"ip:port"``; only IPv4 literals are accepted."""
    if value is None or value == "":
        return fallback_host, None
    if not isinstance(value, str):
        raise AnnouncementError("address is not text")
    host, _, port = value.strip().partition(":")
    try:
        ipaddress.IPv4Address(host)
    except ValueError as err:
        raise AnnouncementError("address is not an IPv4 address") from err
    return host, (_port(port) if port else None)


def _battery(value: object) -> Battery | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AnnouncementError("battery is not an object")
    percentage: int | None = None
    raw = value.get("percentage")
    if raw is not None and not isinstance(raw, bool):
        try:
            percentage = int(Decimal(str(raw)))
        except (InvalidOperation, ValueError, OverflowError):
            percentage = None
        if percentage is not None and not 0 <= percentage <= 100:
            percentage = None
    charging = value.get("charging")
    return Battery(
        percentage=percentage,
        charging=charging if isinstance(charging, bool) else None,
    )


def parse_announcement(data: bytes, sender_host: str, *, now: float) -> DiscoveredTerminal:
    """Turn one datagram into a sighting, or raise :class:`AnnouncementError`."""
    if len(data) > _MAX_DATAGRAM:
        raise AnnouncementError("datagram too large")
    try:
        payload: Any = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as err:
        raise AnnouncementError("not JSON") from err
    if not isinstance(payload, dict):
        raise AnnouncementError("not a JSON object")
    serial = _text(payload.get("id", payload.get("serial")), "id")
    name = _text(payload.get("name"), "name")
    if serial is None and name is None:
        raise AnnouncementError("neither id nor name")
    kind = DEFAULT_KIND
    raw_kind = payload.get("kind")
    if raw_kind is not None:
        try:
            kind = TerminalKind(str(raw_kind))
        except ValueError as err:
            raise AnnouncementError("unknown kind") from err
    host, port = _address(payload.get("address"), sender_host)
    if payload.get("port") is not None:
        port = _port(payload["port"])
    if port is None:
        port = kind_facts(kind).default_port
        if port is None:
            # A cloud kind is reached through its account, never at an address.
            raise AnnouncementError(f"no port for a {kind} device")
    return DiscoveredTerminal(
        kind=kind,
        host=host,
        port=port,
        source=DiscoverySource.ANNOUNCEMENT,
        serial=serial,
        name=name,
        battery=_battery(payload.get("battery")),
        last_seen=now,
        sources=frozenset({DiscoverySource.ANNOUNCEMENT}),
    )


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, listener: AnnouncementListener) -> None:
        self._listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._listener.handle_datagram(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("Announcement socket error: %s", exc)


class AnnouncementListener:
    """Listen for announcement datagrams and report each valid one.

    ``bind`` defaults to all IPv4 addresses because announcements are broadcasts;
    tests bind a loopback address and ``port=0`` (see :attr:`port` after start).
    """

    def __init__(
        self,
        on_sighting: SightingCallback,
        *,
        bind: str = "0.0.0.0",  # noqa: S104 - broadcasts reach only a wildcard socket
        port: int = DEFAULT_ANNOUNCE_PORT,
    ) -> None:
        """Prepare a listener; nothing is bound until :meth:`start`."""
        self._on_sighting = on_sighting
        self._bind = bind
        self._port = port
        self._transport: asyncio.DatagramTransport | None = None
        self.received = 0
        self.rejected = 0

    @property
    def port(self) -> int:
        """The UDP port actually bound (useful with ``port=0``)."""
        if self._transport is None:
            return self._port
        return int(self._transport.get_extra_info("sockname")[1])

    async def start(self) -> None:
        """Bind the socket and start listening."""
        if self._transport is not None:
            return
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            # Home Assistant and the CLI may listen at the same time.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((self._bind, self._port))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._transport = transport
        _LOGGER.debug("Listening for announcements on %s:%s", self._bind, self.port)

    async def stop(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def handle_datagram(self, data: bytes, sender_host: str) -> None:
        """Parse one datagram; junk is logged at debug level and dropped."""
        self.received += 1
        try:
            sighting = parse_announcement(data, sender_host, now=time.monotonic())
        except AnnouncementError as err:
            self.rejected += 1
            # The payload itself is not logged: it is untrusted and could be anything.
            _LOGGER.debug("Ignoring datagram of %d bytes from %s: %s", len(data), sender_host, err)
            return
        try:
            self._on_sighting(sighting)
        except Exception:
            # A consumer bug must not kill the socket's protocol.
            _LOGGER.exception("Announcement consumer failed")

"""UDP announcements for a simulated terminal, the way the Kinetic family sends them.

Every ``interval`` seconds one JSON datagram ``{"name", "id", "address", "battery":
{"percentage", "charging"}, "kind", "port"}`` goes to ``target``. Real terminals
broadcast to port 33310; the simulator sends unicast to loopback by default so
that nothing ever leaves this host unless a caller names another target.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket

_LOGGER = logging.getLogger(__name__)

ANNOUNCE_PORT = 33310
DEFAULT_TARGET = ("127.0.0.1", ANNOUNCE_PORT)
DEFAULT_INTERVAL = 3.0


class UdpAnnouncer:
    """Send announcement datagrams for one simulated terminal."""

    def __init__(
        self,
        *,
        kind: str,
        serial: str,
        name: str,
        host: str,
        port: int,
        target: tuple[str, int] = DEFAULT_TARGET,
        interval: float = DEFAULT_INTERVAL,
        battery_percentage: int = 87,
        charging: bool = False,
    ) -> None:
        """Describe the terminal to announce; nothing is sent until :meth:`start`."""
        self.kind = kind
        self.serial = serial
        self.name = name
        self.host = host
        self.port = port
        self.target = target
        self.interval = interval
        self.battery_percentage = battery_percentage
        self.charging = charging
        self.sent = 0
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    def payload(self) -> bytes:
        """Return the datagram as it is sent now."""
        return json.dumps(
            {
                "name": self.name,
                "id": self.serial,
                "address": self.host,
                "port": self.port,
                "kind": self.kind,
                "battery": {"percentage": self.battery_percentage, "charging": self.charging},
            }
        ).encode()

    async def start(self) -> None:
        """Send one announcement now and then every ``interval`` seconds."""
        if self._task is not None:
            return
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop announcing (a real terminal that is switched off simply goes quiet)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def announce(self) -> None:
        """Send one datagram immediately (e.g. after the address changed)."""
        if self._sock is None:
            return
        try:
            self._sock.sendto(self.payload(), self.target)
            self.sent += 1
        except OSError as err:
            _LOGGER.debug("Announcement to %s:%s failed: %s", *self.target, err)

    async def _run(self) -> None:
        while True:
            self.announce()
            await asyncio.sleep(self.interval)

"""mDNS / DNS-SD advertisement for a simulated terminal, and both advertisers together.

Each simulated terminal is published as ``<name> <serial>._kinetic._tcp.local.`` with
TXT records ``kind``, ``serial`` and ``name``. The zeroconf instance is restricted
to loopback by default so that the simulator never multicasts onto a real network.

Run as a module to advertise from a separate process (the discovery tests do)::

    python -m kinetic_integration.simulator.advertise_zeroconf \
        --kind kinetic-go --serial KG2SIM0001 --name Bar --host 127.0.0.2 --port 8080

It prints ``ready`` once registered and runs until stdin closes or it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Sequence
from types import TracebackType

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from kinetic_integration.simulator.advertise_udp import (
    DEFAULT_INTERVAL,
    DEFAULT_TARGET,
    UdpAnnouncer,
)

KINETIC_SERVICE_TYPE = "_kinetic._tcp.local."
HTTP_SERVICE_TYPE = "_http._tcp.local."
LOOPBACK_INTERFACES: tuple[str, ...] = ("127.0.0.1",)


def _label(text: str) -> str:
    # DNS-SD instance names may hold almost anything but dots confuse naive parsers.
    return text.replace(".", "-")[:63]


class ZeroconfAdvertiser:
    """Publish one simulated terminal by DNS-SD."""

    def __init__(
        self,
        *,
        kind: str,
        serial: str,
        name: str,
        host: str,
        port: int,
        service_types: Sequence[str] = (KINETIC_SERVICE_TYPE,),
        interfaces: Sequence[str] = LOOPBACK_INTERFACES,
        zeroconf: AsyncZeroconf | None = None,
    ) -> None:
        """Describe the service; nothing is published until :meth:`start`."""
        self.kind = kind
        self.serial = serial
        self.name = name
        self.host = host
        self.port = port
        self.service_types = tuple(service_types)
        self._interfaces = list(interfaces)
        self._shared = zeroconf
        self._zc: AsyncZeroconf | None = None
        self._infos: list[AsyncServiceInfo] = []

    def _build(self, service_type: str) -> AsyncServiceInfo:
        instance = _label(f"{self.name} {self.serial}")
        return AsyncServiceInfo(
            service_type,
            f"{instance}.{service_type}",
            addresses=[socket.inet_aton(self.host)],
            port=self.port,
            properties={"kind": self.kind, "serial": self.serial, "name": self.name},
            server=f"{_label(self.serial).lower()}.local.",
        )

    async def start(self) -> None:
        """Register the service (one per service type)."""
        if self._zc is not None:
            return
        self._zc = self._shared or AsyncZeroconf(
            interfaces=self._interfaces, ip_version=IPVersion.V4Only
        )
        self._infos = [self._build(service_type) for service_type in self.service_types]
        for info in self._infos:
            # The first await registers; the returned task finishes the announcements.
            # Another simulator run on this host may hold the same instance name: take
            # "name (2)" rather than fail; the TXT records still carry kind and serial.
            await (await self._zc.async_register_service(info, allow_name_change=True))

    async def move(self, host: str, port: int | None = None) -> None:
        """Re-publish at a new address (what a terminal given a new DHCP lease does)."""
        self.host = host
        self.port = port if port is not None else self.port
        if self._zc is None:
            return
        self._infos = [self._build(service_type) for service_type in self.service_types]
        for info in self._infos:
            await (await self._zc.async_update_service(info))

    async def stop(self) -> None:
        """Unregister (sends goodbye packets) and close our own zeroconf instance."""
        if self._zc is None:
            return
        for info in self._infos:
            # Wait for the goodbye packets before closing, or browsers never hear them.
            await (await self._zc.async_unregister_service(info))
        if self._zc is not self._shared:
            await self._zc.async_close()
        self._zc = None
        self._infos = []


class SimulatorAdvertiser:
    """Advertise one simulated terminal by zeroconf and/or UDP announcements.

    Loopback only by default: zeroconf on ``127.0.0.1`` and announcements sent
    unicast to ``127.0.0.1:33310``.
    """

    def __init__(
        self,
        kind: str,
        serial: str,
        name: str,
        host: str,
        port: int,
        *,
        zeroconf: bool = True,
        udp: bool = True,
        udp_target: tuple[str, int] = DEFAULT_TARGET,
        udp_interval: float = DEFAULT_INTERVAL,
        zeroconf_interfaces: Sequence[str] = LOOPBACK_INTERFACES,
        service_types: Sequence[str] = (KINETIC_SERVICE_TYPE,),
        async_zeroconf: AsyncZeroconf | None = None,
    ) -> None:
        """Configure the advertisers; nothing is sent until :meth:`start`."""
        self.zeroconf: ZeroconfAdvertiser | None = None
        self.udp: UdpAnnouncer | None = None
        if zeroconf:
            self.zeroconf = ZeroconfAdvertiser(
                kind=kind,
                serial=serial,
                name=name,
                host=host,
                port=port,
                service_types=service_types,
                interfaces=zeroconf_interfaces,
                zeroconf=async_zeroconf,
            )
        if udp:
            self.udp = UdpAnnouncer(
                kind=kind,
                serial=serial,
                name=name,
                host=host,
                port=port,
                target=udp_target,
                interval=udp_interval,
            )

    async def start(self) -> None:
        """Start every enabled advertiser."""
        if self.udp is not None:
            await self.udp.start()
        if self.zeroconf is not None:
            await self.zeroconf.start()

    async def stop(self) -> None:
        """Stop advertising."""
        if self.udp is not None:
            await self.udp.stop()
        if self.zeroconf is not None:
            await self.zeroconf.stop()

    async def move(self, host: str, port: int | None = None) -> None:
        """Advertise a new address by every enabled mechanism."""
        if self.udp is not None:
            self.udp.host = host
            self.udp.port = port if port is not None else self.udp.port
            self.udp.announce()
        if self.zeroconf is not None:
            await self.zeroconf.move(host, port)

    async def __aenter__(self) -> SimulatorAdvertiser:
        """Start on entering ``async with``."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving ``async with``."""
        await self.stop()


async def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Advertise one simulated terminal.")
    parser.add_argument("--kind", required=True)
    parser.add_argument("--serial", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--service-type", action="append", dest="service_types")
    parser.add_argument("--interface", action="append", dest="interfaces")
    args = parser.parse_args(argv)
    advertiser = ZeroconfAdvertiser(
        kind=args.kind,
        serial=args.serial,
        name=args.name,
        host=args.host,
        port=args.port,
        service_types=args.service_types or (KINETIC_SERVICE_TYPE,),
        interfaces=args.interfaces or LOOPBACK_INTERFACES,
    )
    await advertiser.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    try:
        # Runs until the parent closes our stdin (or kills us).
        await loop.run_in_executor(None, sys.stdin.read)
    finally:
        await advertiser.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))

"""A fleet of simulated terminals on distinct loopback addresses, for tests and the CLI."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf

from .advertise_udp import DEFAULT_TARGET
from .advertise_zeroconf import LOOPBACK_INTERFACES, SimulatorAdvertiser
from .base import BaseSimulator
from .device_service import DeviceServiceSimulator
from .kinetic_go import KineticGoSimulator
from .payment_engine import PaymentEngineSimulator

#: The DeviceService's model as Home Assistant names it (the library's kind facts, which
#: the simulator may not import; tests/library/simulator/test_fleet.py keeps them equal).
DEVICE_SERVICE_MODEL = "MP200 (DeviceService)"


class Fleet:
    """Several simulators, each on its own 127.0.0.<first_host + i>."""

    def __init__(
        self,
        *,
        kinetic_go: int = 1,
        device_service: int = 1,
        payment_engine: int = 1,
        first_host: int = 2,
        customer_delay: float = 0.5,
        processing_delay: float = 0.1,
        port: int | None = None,
        zeroconf: bool = False,
        announce: bool = False,
        announce_target: tuple[str, int] = DEFAULT_TARGET,
        allow_remote_control: bool = False,
    ) -> None:
        """Plan the fleet; ``port`` None uses each kind's default port, 0 an ephemeral one.

        ``zeroconf`` advertises every terminal by mDNS on the loopback interface;
        ``announce`` sends the family's UDP announcements to ``announce_target``
        (loopback by default, so nothing leaves this host). ``allow_remote_control``
        lets clients off this machine use each simulator's control API.
        """
        self.zeroconf = zeroconf
        self.announce = announce
        self.announce_target = announce_target
        self.advertisers: list[SimulatorAdvertiser] = []
        self._zeroconf: AsyncZeroconf | None = None
        if first_host < 1 or first_host + kinetic_go + device_service + payment_engine > 255:
            raise ValueError("not enough 127.0.0.x addresses for this fleet")
        self.simulators: list[BaseSimulator] = []
        index = first_host
        for number in range(1, kinetic_go + 1):
            self.simulators.append(
                KineticGoSimulator(
                    host=f"127.0.0.{index}",
                    port=KineticGoSimulator.default_port if port is None else port,
                    # Named as Home Assistant titles it: its model and serial.
                    name=f"{KineticGoSimulator.label} KG2SIM{number:04d}",
                    serial=f"KG2SIM{number:04d}",
                    customer_delay=customer_delay,
                    processing_delay=processing_delay,
                )
            )
            index += 1
        for number in range(1, device_service + 1):
            ds_port = DeviceServiceSimulator.default_port if port is None else port
            # Its API has no serial: Home Assistant titles it by model and address.
            address = f"127.0.0.{index}:{ds_port}" if ds_port else f"127.0.0.{index}"
            self.simulators.append(
                DeviceServiceSimulator(
                    host=f"127.0.0.{index}",
                    port=ds_port,
                    name=f"{DEVICE_SERVICE_MODEL} {address}",
                    serial=f"MP200SIM{number:04d}",
                    customer_delay=customer_delay,
                    processing_delay=processing_delay,
                )
            )
            index += 1
        for number in range(1, payment_engine + 1):
            self.simulators.append(
                PaymentEngineSimulator(
                    host=f"127.0.0.{index}",
                    port=PaymentEngineSimulator.default_port if port is None else port,
                    # Named after its one device, as Home Assistant's entry is.
                    name=f"Counter {number}",
                    serial=f"PESIM{number:04d}",
                    devices=((f"sa_SIM{number:025d}", f"Counter {number}"),),
                    customer_delay=customer_delay,
                    processing_delay=processing_delay,
                )
            )
            index += 1
        for sim in self.simulators:
            sim.allow_remote_control = allow_remote_control

    async def start(self) -> None:
        """Start every simulator (all or none), then advertise them if asked to."""
        try:
            for sim in self.simulators:
                await sim.start()
                if isinstance(sim, DeviceServiceSimulator):
                    # Its port is known now (an ephemeral one too): named as Home Assistant
                    # titles it, by model and address.
                    sim.name = f"{DEVICE_SERVICE_MODEL} {sim.host}:{sim.port}"
            if self.zeroconf or self.announce:
                await self._start_advertising()
        except BaseException:
            await self.stop()
            raise

    async def _start_advertising(self) -> None:
        if self.zeroconf:
            # One zeroconf instance for the whole fleet, bound to loopback only.
            self._zeroconf = AsyncZeroconf(
                interfaces=list(LOOPBACK_INTERFACES), ip_version=IPVersion.V4Only
            )
        for sim in self.simulators:
            advertiser = SimulatorAdvertiser(
                str(sim.kind),
                sim.serial,
                sim.name,
                sim.host,
                sim.port,
                zeroconf=self.zeroconf,
                udp=self.announce,
                udp_target=self.announce_target,
                async_zeroconf=self._zeroconf,
            )
            self.advertisers.append(advertiser)
            await advertiser.start()

    async def stop(self) -> None:
        """Stop advertising (goodbyes first), then every simulator."""
        await asyncio.gather(*(advertiser.stop() for advertiser in self.advertisers))
        self.advertisers.clear()
        if self._zeroconf is not None:
            await self._zeroconf.async_close()
            self._zeroconf = None
        await asyncio.gather(*(sim.stop() for sim in self.simulators))

    async def __aenter__(self) -> Self:
        """Start the fleet."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the fleet."""
        await self.stop()

    def describe(self) -> list[dict[str, object]]:
        """One entry per simulator: kind, host, port, url, name, serial, credentials."""
        return [sim.describe() for sim in self.simulators]


async def run_fleet(fleet: Fleet, *, ready: asyncio.Event | None = None) -> None:
    """Run ``fleet`` until cancelled; ``ready`` is set once every simulator listens."""
    await fleet.start()
    try:
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()
    finally:
        await fleet.stop()

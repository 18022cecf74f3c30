"""Zeroconf browsing on loopback only (interfaces=["127.0.0.1"], IPv4).

Linux's ``lo`` has no MULTICAST flag here, yet a socket whose IP_MULTICAST_IF is
127.0.0.1 still sends to 224.0.0.251 through ``lo`` and every member on ``lo``
receives it; nothing reaches another interface.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf

from kinetic_integration.discovery import DiscoveredTerminal, DiscoverySource, ZeroconfBrowser
from kinetic_integration.discovery.zeroconf_browser import HTTP_SERVICE_TYPE, identify
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.simulator.advertise_zeroconf import ZeroconfAdvertiser
from tests.library.discovery.helpers import wait_until
from tests.log_hygiene import register_secret

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
async def loopback_zeroconf() -> AsyncIterator[AsyncZeroconf]:
    """A zeroconf instance restricted to loopback, as Home Assistant would share one."""
    aiozc = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    yield aiozc
    await aiozc.async_close()


async def test_browser_finds_an_advertiser_in_another_process() -> None:
    sightings: list[DiscoveredTerminal] = []
    withdrawn: list[DiscoveredTerminal] = []
    async with KineticGoSimulator(host="127.0.0.31", serial="KG2ZC0001", name="Patio") as sim:
        register_secret(*sim.secrets())
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kinetic_integration.simulator.advertise_zeroconf",
            "--kind=kinetic-go",
            f"--serial={sim.serial}",
            f"--name={sim.name}",
            f"--host={sim.host}",
            f"--port={sim.port}",
            "--interface=127.0.0.1",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert process.stdout is not None
            assert process.stdin is not None
            line = await asyncio.wait_for(process.stdout.readline(), 15)
            assert line.strip() == b"ready"
            browser = ZeroconfBrowser(sightings.append, withdrawn.append, interfaces=LOOPBACK)
            await browser.start()
            try:
                await wait_until(lambda: any(s.serial == sim.serial for s in sightings), 10)
                # Closing stdin makes the advertiser unregister: goodbye packets.
                process.stdin.close()
                await asyncio.wait_for(process.wait(), 15)
                await wait_until(lambda: any(s.serial == sim.serial for s in withdrawn), 10)
            finally:
                await browser.stop()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    found = next(s for s in sightings if s.serial == sim.serial)
    assert found.kind is TerminalKind.KINETIC_GO
    assert (found.host, found.port) == (sim.host, sim.port)
    assert found.name == "Patio"
    assert found.source is DiscoverySource.ZEROCONF
    assert process.returncode == 0


async def test_shared_instance_and_http_services_named_kinetic(
    loopback_zeroconf: AsyncZeroconf,
) -> None:
    """Home Assistant passes its own instance; _http._tcp counts only when it says Kinetic."""
    sightings: list[DiscoveredTerminal] = []
    kinetic = ZeroconfAdvertiser(
        kind="device-service",
        serial="MP200ZC01",
        name="Kinetic Counter",
        host="127.0.0.32",
        port=8526,
        service_types=(HTTP_SERVICE_TYPE,),
        interfaces=LOOPBACK,
    )
    printer = ZeroconfAdvertiser(
        kind="printer",  # not a kind of ours, and the name does not say Kinetic
        serial="PRN1",
        name="Office printer",
        host="127.0.0.33",
        port=80,
        service_types=(HTTP_SERVICE_TYPE,),
        interfaces=LOOPBACK,
    )
    await kinetic.start()
    await printer.start()
    browser = ZeroconfBrowser(sightings.append, lambda _: None, zeroconf=loopback_zeroconf)
    try:
        await browser.start()
        await wait_until(lambda: any(s.serial == "MP200ZC01" for s in sightings), 10)
        await asyncio.sleep(0.5)  # time for the printer to have been resolved too
    finally:
        await browser.stop()
        await printer.stop()
        await kinetic.stop()
    assert not any(s.serial == "PRN1" for s in sightings)
    found = next(s for s in sightings if s.serial == "MP200ZC01")
    assert (found.kind, found.host, found.port) == (TerminalKind.DEVICE_SERVICE, "127.0.0.32", 8526)
    # The shared instance is the caller's: the browser must not have closed it.
    assert not loopback_zeroconf.zeroconf.done


def test_identify() -> None:
    kinetic = "_kinetic._tcp.local."
    assert identify(kinetic, "x", 8080, {}) is TerminalKind.KINETIC_GO
    assert identify(kinetic, "x", 8526, {}) is TerminalKind.DEVICE_SERVICE
    assert identify(kinetic, "x", 1, {"kind": "payment-engine"}) is TerminalKind.PAYMENT_ENGINE
    assert identify(HTTP_SERVICE_TYPE, "NAS", 80, {}) is None
    assert identify(HTTP_SERVICE_TYPE, "Kinetic Go", 8080, {}) is TerminalKind.KINETIC_GO
    assert identify(HTTP_SERVICE_TYPE, "t", 80, {"vendor": "Castles"}) is TerminalKind.KINETIC_GO
    assert identify(HTTP_SERVICE_TYPE, "t", 80, {"kind": "kinetic-go"}) is TerminalKind.KINETIC_GO

"""A fleet started with ``zeroconf`` and ``announce`` is found by zeroconf and by announcements."""

from __future__ import annotations

from kinetic_integration.discovery import Discovery, DiscoverySource
from kinetic_integration.simulator import Fleet
from tests.library.discovery.helpers import wait_until
from tests.log_hygiene import register_secret


async def test_advertised_fleet_is_discovered_by_both_passive_sources() -> None:
    discovery = Discovery(
        zeroconf_interfaces=["127.0.0.1"], announce_bind="127.0.0.1", announce_port=0
    )
    async with discovery:
        assert discovery.listener is not None
        fleet = Fleet(
            kinetic_go=1,
            device_service=1,
            payment_engine=0,
            first_host=60,
            port=0,
            customer_delay=0.05,
            zeroconf=True,
            announce=True,
            announce_target=("127.0.0.1", discovery.listener.port),
        )
        async with fleet:
            for sim in fleet.simulators:
                register_secret(*sim.secrets())
            expected = {(sim.serial, sim.host, sim.port) for sim in fleet.simulators}

            def both_sources_saw_everyone() -> bool:
                seen = {
                    (t.serial, t.host, t.port)
                    for t in discovery.terminals
                    if {DiscoverySource.ZEROCONF, DiscoverySource.ANNOUNCEMENT} <= t.sources
                }
                return expected <= seen

            await wait_until(both_sources_saw_everyone, within=10.0)
            assert len(fleet.advertisers) == 2
        # Stopping the fleet stops its advertisers.
        assert fleet.advertisers == []


async def test_fleet_does_not_advertise_unless_asked() -> None:
    fleet = Fleet(kinetic_go=1, device_service=0, payment_engine=0, first_host=64, port=0)
    async with fleet:
        assert fleet.advertisers == []

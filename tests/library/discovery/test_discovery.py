"""The merged stream: one record per terminal, moved and gone events."""

from __future__ import annotations

import asyncio
import time

import pytest

from kinetic_integration.discovery import (
    DiscoveredTerminal,
    Discovery,
    DiscoveryEvent,
    DiscoveryEventType,
    DiscoverySource,
    SweepCredentials,
)
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.simulator import DeviceServiceSimulator, KineticGoSimulator
from kinetic_integration.simulator.advertise_udp import UdpAnnouncer
from kinetic_integration.simulator.advertise_zeroconf import SimulatorAdvertiser
from tests.library.discovery.helpers import wait_until
from tests.log_hygiene import register_secret

LOOPBACK = ["127.0.0.1"]
ADDED = DiscoveryEventType.ADDED
UPDATED = DiscoveryEventType.UPDATED
MOVED = DiscoveryEventType.MOVED
GONE = DiscoveryEventType.GONE


def _loopback_discovery(**kwargs: object) -> Discovery:
    options: dict[str, object] = {
        "zeroconf_interfaces": LOOPBACK,
        "announce_bind": "127.0.0.1",
        "announce_port": 0,
    }
    options.update(kwargs)
    return Discovery(**options)  # type: ignore[arg-type]


def _of(events: list[DiscoveryEvent], serial: str) -> list[DiscoveryEventType]:
    return [e.type for e in events if e.terminal.serial == serial]


async def test_three_sources_merge_into_one_record_per_terminal() -> None:
    events: list[DiscoveryEvent] = []
    async with (
        KineticGoSimulator(host="127.0.0.41", serial="KG2MERGE01", name="Bar") as go,
        DeviceServiceSimulator(host="127.0.0.42", serial="MP200MERGE1", name="Till") as ds,
    ):
        register_secret(*go.secrets(), *ds.secrets())
        discovery = _loopback_discovery(
            network="127.0.0.40/30",
            sweep_ports=[go.port, ds.port],
            sweep_timeout=1.0,
            sweep_credentials={
                TerminalKind.KINETIC_GO: SweepCredentials(
                    go.username, str(go.describe()["password"])
                )
            },
        )
        discovery.subscribe(events.append)
        async with discovery:
            assert discovery.listener is not None
            target = ("127.0.0.1", discovery.listener.port)
            go_ad = SimulatorAdvertiser(
                str(go.kind), go.serial, go.name, go.host, go.port,
                udp_target=target, udp_interval=0.1,
            )  # fmt: skip
            # The DeviceService exposes no serial over HTTP: the sweep finds it by address
            # and the announcement supplies the serial.
            ds_ad = SimulatorAdvertiser(
                str(ds.kind), ds.serial, ds.name, ds.host, ds.port,
                zeroconf=False, udp_target=target, udp_interval=0.1,
            )  # fmt: skip
            async with go_ad, ds_ad:
                await discovery.sweep_done.wait()
                await wait_until(
                    lambda: any(
                        t.serial == go.serial and len(t.sources) == 3 for t in discovery.terminals
                    ),
                    10,
                )
                await wait_until(
                    lambda: any(
                        t.serial == ds.serial and DiscoverySource.SWEEP in t.sources
                        for t in discovery.terminals
                    )
                )
                terminals = discovery.terminals
        money = go.money_requests() + ds.money_requests()
    ours = [t for t in terminals if t.host in ("127.0.0.41", "127.0.0.42")]
    assert len(ours) == 2
    go_record = next(t for t in ours if t.kind is TerminalKind.KINETIC_GO)
    assert (go_record.host, go_record.port, go_record.serial) == (go.host, go.port, go.serial)
    assert go_record.name == "Bar"
    assert go_record.sources == frozenset(DiscoverySource)
    assert go_record.battery is not None
    ds_record = next(t for t in ours if t.kind is TerminalKind.DEVICE_SERVICE)
    assert (ds_record.port, ds_record.serial, ds_record.name) == (ds.port, ds.serial, "Till")
    assert ds_record.sources == {DiscoverySource.SWEEP, DiscoverySource.ANNOUNCEMENT}
    # One "added" per terminal, never a second record for the same one.
    assert [e.type for e in events if e.terminal.host == go.host].count(ADDED) == 1
    assert [e.type for e in events if e.terminal.host == ds.host].count(ADDED) == 1
    assert GONE not in [e.type for e in events]
    assert money == 0


async def test_a_terminal_announced_at_a_new_address_moves() -> None:
    events: list[DiscoveryEvent] = []
    discovery = _loopback_discovery(use_zeroconf=False)
    discovery.subscribe(events.append)
    async with discovery:
        assert discovery.listener is not None
        announcer = UdpAnnouncer(
            kind="kinetic-go",
            serial="KG2MOVE01",
            name="Bar",
            host="127.0.0.51",
            port=8080,
            target=("127.0.0.1", discovery.listener.port),
            interval=0.05,
        )
        await announcer.start()
        try:
            await wait_until(lambda: ADDED in _of(events, "KG2MOVE01"))
            announcer.host = "127.0.0.52"  # a new DHCP lease
            await wait_until(lambda: MOVED in _of(events, "KG2MOVE01"))
        finally:
            await announcer.stop()
        records = [t for t in discovery.terminals if t.serial == "KG2MOVE01"]
    moved = next(e for e in events if e.type is MOVED)
    assert moved.previous is not None
    assert moved.previous.host == "127.0.0.51"
    assert moved.terminal.host == "127.0.0.52"
    assert moved.as_dict()["previous_host"] == "127.0.0.51"
    assert [(t.host, t.port) for t in records] == [("127.0.0.52", 8080)]
    assert _of(events, "KG2MOVE01") == [ADDED, MOVED]


async def test_a_zeroconf_terminal_that_changes_address_moves() -> None:
    events: list[DiscoveryEvent] = []
    discovery = _loopback_discovery(announcements=False)
    discovery.subscribe(events.append)
    advertiser = SimulatorAdvertiser(
        "device-service", "MP200MOVE2", "Kitchen", "127.0.0.53", 8526, udp=False
    )
    async with discovery, advertiser:
        await wait_until(lambda: ADDED in _of(events, "MP200MOVE2"), 10)
        await advertiser.move("127.0.0.54", 8527)
        await wait_until(lambda: MOVED in _of(events, "MP200MOVE2"), 10)
    moved = next(e for e in events if e.type is MOVED)
    assert moved.previous is not None
    assert (moved.previous.host, moved.previous.port) == ("127.0.0.53", 8526)
    assert (moved.terminal.host, moved.terminal.port) == ("127.0.0.54", 8527)
    assert moved.terminal.kind is TerminalKind.DEVICE_SERVICE


async def test_a_terminal_that_stops_announcing_is_gone_after_the_configured_silence() -> None:
    events: list[DiscoveryEvent] = []
    discovery = _loopback_discovery(use_zeroconf=False, stale_after=0.4)
    discovery.subscribe(events.append)
    async with discovery:
        assert discovery.listener is not None
        announcer = UdpAnnouncer(
            kind="kinetic-go",
            serial="KG2GONE01",
            name="Bar",
            host="127.0.0.55",
            port=8080,
            target=("127.0.0.1", discovery.listener.port),
            interval=0.1,
        )
        await announcer.start()
        try:
            await wait_until(lambda: ADDED in _of(events, "KG2GONE01"))
            # Announcing for longer than stale_after keeps it alive.
            await asyncio.sleep(0.8)
            assert GONE not in _of(events, "KG2GONE01")
        finally:
            await announcer.stop()
        silent_since = time.monotonic()
        await wait_until(lambda: GONE in _of(events, "KG2GONE01"), 3)
        silence = time.monotonic() - silent_since
        assert discovery.terminals == []
    assert 0.25 <= silence < 1.5
    assert _of(events, "KG2GONE01") == [ADDED, GONE]


async def test_an_advertised_zeroconf_service_is_not_stale_until_it_says_goodbye() -> None:
    events: list[DiscoveryEvent] = []
    discovery = _loopback_discovery(announcements=False, stale_after=0.3)
    discovery.subscribe(events.append)
    advertiser = SimulatorAdvertiser(
        "kinetic-go", "KG2LIVE01", "Door", "127.0.0.56", 8080, udp=False
    )
    async with discovery:
        await advertiser.start()
        try:
            await wait_until(lambda: ADDED in _of(events, "KG2LIVE01"), 10)
            await asyncio.sleep(0.8)  # zeroconf sends nothing new, yet it stays
            assert GONE not in _of(events, "KG2LIVE01")
        finally:
            await advertiser.stop()
        await wait_until(lambda: GONE in _of(events, "KG2LIVE01"), 10)
    assert _of(events, "KG2LIVE01") == [ADDED, GONE]


def _sighting(source: DiscoverySource, **fields: object) -> DiscoveredTerminal:
    values: dict[str, object] = {
        "kind": TerminalKind.KINETIC_GO,
        "host": "127.0.0.60",
        "port": 8080,
        "last_seen": time.monotonic(),
        "source": source,
    }
    values.update(fields)
    return DiscoveredTerminal(**values)  # type: ignore[arg-type]


async def test_merge_rules() -> None:
    discovery = Discovery(use_zeroconf=False, announcements=False, stale_after=5)
    events: list[DiscoveryEvent] = []
    discovery.subscribe(events.append)
    # Found by address first, the serial arrives later: same record, now keyed by serial.
    discovery.observe(_sighting(DiscoverySource.SWEEP))
    discovery.observe(_sighting(DiscoverySource.ANNOUNCEMENT, serial="S1", name="Bar"))
    assert [e.type for e in events] == [ADDED, UPDATED]
    assert [t.key for t in discovery.terminals] == ["S1"]
    # An address-only sighting refreshes the serial record without an event.
    discovery.observe(_sighting(DiscoverySource.SWEEP))
    assert len(events) == 2
    # A different serial at the same address is a different terminal.
    discovery.observe(_sighting(DiscoverySource.ANNOUNCEMENT, serial="S2"))
    assert [t.key for t in discovery.terminals] == ["S1", "S2"] or [
        t.key for t in discovery.terminals
    ] == ["S2", "S1"]
    # Silence: expire() with a clock past stale_after reports both gone.
    gone = discovery.expire(time.monotonic() + 10)
    assert {e.terminal.key for e in gone} == {"S1", "S2"}
    assert all(e.type is GONE for e in gone)
    assert discovery.terminals == []


async def test_events_iterator_yields_as_sightings_arrive() -> None:
    discovery = Discovery(use_zeroconf=False, announcements=False)
    received: list[DiscoveryEvent] = []

    async def consume() -> None:
        async for event in discovery.events():
            received.append(event)
            if len(received) == 2:
                return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    discovery.observe(_sighting(DiscoverySource.SWEEP, serial="S9"))
    discovery.observe(_sighting(DiscoverySource.SWEEP, serial="S9", host="127.0.0.61"))
    await asyncio.wait_for(task, 2)
    assert [e.type for e in received] == [ADDED, MOVED]


async def test_sweeping_is_opt_in() -> None:
    discovery = Discovery(use_zeroconf=False, announcements=False)
    assert discovery.sweeper is None
    assert discovery.sweep_done.is_set()
    with pytest.raises(ValueError, match="opt-in"):
        await discovery.sweep()

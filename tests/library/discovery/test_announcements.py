"""The UDP announcement listener, fed by the simulator's announcer over loopback."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from kinetic_integration.discovery import (
    AnnouncementListener,
    Battery,
    DiscoveredTerminal,
    DiscoverySource,
)
from kinetic_integration.discovery.announcements import AnnouncementError, parse_announcement
from kinetic_integration.models.common import TerminalKind
from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.simulator.advertise_udp import UdpAnnouncer
from tests.library.discovery.helpers import wait_until
from tests.log_hygiene import register_secret

JUNK: list[bytes] = [
    b"",
    b"\xff\xfe\x00garbage",
    b"not json at all",
    b"[1, 2, 3]",
    b'"just a string"',
    b"{}",
    b'{"id": {"nested": true}, "name": "x"}',
    b'{"id": "KG2X", "address": "999.1.1.1"}',
    b'{"id": "KG2X", "address": "192.0.2.1:99999"}',
    b'{"id": "KG2X", "kind": "toaster"}',
    # A cloud kind has no default port: an announcement of one must name its port.
    b'{"id": "PE1", "kind": "payment-engine"}',
    b'{"id": "KG2X", "battery": "full"}',
    b'{"id": "KG2X", "port": true}',
    b'{"name": "' + b"n" * 5000 + b'"}',
    b"{" * 3000,
]


async def test_listener_finds_the_simulated_terminal_announcing() -> None:
    sightings: list[DiscoveredTerminal] = []
    listener = AnnouncementListener(sightings.append, bind="127.0.0.1", port=0)
    await listener.start()
    try:
        async with KineticGoSimulator(host="127.0.0.21", serial="KG2ANN0001", name="Bar") as sim:
            register_secret(*sim.secrets())
            announcer = UdpAnnouncer(
                kind=str(sim.kind),
                serial=sim.serial,
                name=sim.name,
                host=sim.host,
                port=sim.port,
                target=("127.0.0.1", listener.port),
                interval=0.05,
                battery_percentage=42,
                charging=True,
            )
            await announcer.start()
            try:
                await wait_until(lambda: len(sightings) >= 3)
            finally:
                await announcer.stop()
    finally:
        await listener.stop()
    first = sightings[0]
    assert first.kind is TerminalKind.KINETIC_GO
    assert (first.host, first.port) == ("127.0.0.21", sim.port)
    assert first.serial == "KG2ANN0001"
    assert first.name == "Bar"
    assert first.source is DiscoverySource.ANNOUNCEMENT
    assert first.battery == Battery(percentage=42, charging=True)
    assert first.last_seen > 0


async def test_junk_datagrams_are_ignored_with_a_debug_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sightings: list[DiscoveredTerminal] = []
    listener = AnnouncementListener(sightings.append, bind="127.0.0.1", port=0)
    await listener.start()
    caplog.set_level(logging.DEBUG, logger="kinetic_integration.discovery")
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for datagram in JUNK:
            sender.sendto(datagram, ("127.0.0.1", listener.port))
        # A valid announcement after all that junk still gets through.
        valid = {"name": "Till", "id": "KG2OK", "battery": {"percentage": 90, "charging": False}}
        sender.sendto(json.dumps(valid).encode(), ("127.0.0.1", listener.port))
        await wait_until(lambda: len(sightings) == 1)
        await wait_until(lambda: listener.received == len(JUNK) + 1)
    finally:
        sender.close()
        await listener.stop()
    assert listener.rejected == len(JUNK)
    ignored = [r for r in caplog.records if "Ignoring datagram" in r.getMessage()]
    assert len(ignored) == len(JUNK)
    assert all(r.levelno == logging.DEBUG for r in ignored)
    # The minimal Kinetic Connect format: no address, so the sender's address; default port.
    assert sightings[0].host == "127.0.0.1"
    assert sightings[0].port == 8080
    assert sightings[0].serial == "KG2OK"


def test_parse_accepts_the_documented_shapes() -> None:
    go = parse_announcement(
        b'{"name": "Go", "id": 12345, "address": "192.0.2.7:8081",'
        b' "battery": {"percentage": 55.5, "charging": "yes"}}',
        "127.0.0.9",
        now=1.0,
    )
    assert (go.host, go.port, go.serial) == ("192.0.2.7", 8081, "12345")
    assert go.battery == Battery(percentage=55, charging=None)
    ds = parse_announcement(
        b'{"name": "MP200", "id": "S1", "kind": "device-service", "address": "192.0.2.8"}',
        "127.0.0.9",
        now=1.0,
    )
    assert (ds.kind, ds.port) == (TerminalKind.DEVICE_SERVICE, 8526)
    odd = parse_announcement(b'{"id": "S2", "battery": {"percentage": 250}}', "127.0.0.9", now=1.0)
    assert odd.battery == Battery(percentage=None, charging=None)


def test_local_kinds_default_to_their_port_and_a_cloud_kind_needs_one() -> None:
    for kind, port in ((TerminalKind.KINETIC_GO, 8080), (TerminalKind.DEVICE_SERVICE, 8526)):
        sighting = parse_announcement(
            json.dumps({"id": "S3", "kind": str(kind)}).encode(), "127.0.0.9", now=1.0
        )
        assert (sighting.kind, sighting.port) == (kind, port)
    with pytest.raises(AnnouncementError, match="no port"):
        parse_announcement(b'{"id": "PE1", "kind": "payment-engine"}', "127.0.0.9", now=1.0)
    cloud = parse_announcement(
        b'{"id": "PE1", "kind": "payment-engine", "port": 8443}', "127.0.0.9", now=1.0
    )
    assert (cloud.kind, cloud.port) == (TerminalKind.PAYMENT_ENGINE, 8443)


async def test_a_failing_consumer_does_not_stop_the_listener() -> None:
    calls: list[str] = []

    def consumer(sighting: DiscoveredTerminal) -> None:
        calls.append(sighting.key)
        if len(calls) == 1:
            raise RuntimeError("consumer bug")

    listener = AnnouncementListener(consumer, bind="127.0.0.1", port=0)
    await listener.start()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for serial in ("A1", "A2"):
            sender.sendto(json.dumps({"id": serial}).encode(), ("127.0.0.1", listener.port))
        await wait_until(lambda: len(calls) == 2)
    finally:
        sender.close()
        await listener.stop()
    assert calls == ["A1", "A2"]

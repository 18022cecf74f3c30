"""UDP announcements: new terminals start a flow, known ones that moved are updated."""

from __future__ import annotations

import asyncio
import socket

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic import discovery
from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.discovery import DATA_DISCOVERY
from kinetic_integration.simulator import KineticGoSimulator
from kinetic_integration.simulator.advertise_udp import UdpAnnouncer

from .conftest import setup_entry


async def _announce(hass: HomeAssistant, **terminal: object) -> UdpAnnouncer:
    """Send one announcement to the integration's listener."""
    listener = hass.data[DATA_DISCOVERY].listener
    assert listener is not None
    announcer = UdpAnnouncer(
        target=("127.0.0.1", listener.port),
        interval=60,
        **terminal,  # type: ignore[arg-type]
    )
    received = listener.received
    await announcer.start()
    for _ in range(100):
        if listener.received > received:
            break
        await asyncio.sleep(0.01)
    await announcer.stop()
    await hass.async_block_till_done()
    return announcer


async def test_new_terminal_starts_a_flow(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    """An announcement of an unknown terminal starts one discovery flow, however often."""
    await setup_entry(hass, go_entry)
    for _ in range(2):
        await _announce(
            hass, kind="kinetic-go", serial="KG2NEW0001", name="Till 2", host="127.0.0.6", port=8080
        )
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    assert flows[0]["context"]["unique_id"] == "KG2NEW0001"
    assert flows[0]["step_id"] == "discovery_confirm"


async def test_known_terminal_moved_and_battery(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A known terminal announced at a new address is updated and reloaded; battery shown."""
    await setup_entry(hass, go_entry)
    await go_sim.stop()
    async with KineticGoSimulator(host="127.0.0.5", customer_delay=0.05) as moved:
        await _announce(
            hass,
            kind="kinetic-go",
            serial=go_sim.serial,
            name="Bar",
            host=moved.host,
            port=moved.port,
            battery_percentage=42,
        )
        await hass.async_block_till_done()
        assert go_entry.data[CONF_HOST] == "127.0.0.5"
        assert go_entry.data[CONF_PORT] == moved.port
        assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
        state = hass.states.get("sensor.kinetic_go_2_kg2sim0001_battery")
        assert state is not None
        assert state.state == "42"
        assert await hass.config_entries.async_unload(go_entry.entry_id)


async def test_listener_port_busy(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    """A busy announcement port costs discovery only: the terminal still sets up."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.1", 0))
    try:
        discovery.ANNOUNCE_PORT = blocker.getsockname()[1]
        await setup_entry(hass, go_entry)
    finally:
        blocker.close()
    assert hass.data[DATA_DISCOVERY].listener is None
    assert go_entry.state is ConfigEntryState.LOADED

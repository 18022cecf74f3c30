"""Setup, unload and reload of a terminal's entry."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import setup_entry


def _state(entry: MockConfigEntry) -> ConfigEntryState:
    # Read afresh each time (mypy would keep the first narrowing across awaits).
    state: ConfigEntryState = entry.state
    return state


async def test_setup_unload_reload(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    await setup_entry(hass, go_entry)
    assert _state(go_entry) is ConfigEntryState.LOADED
    state = hass.states.get("sensor.kinetic_go_2_kg2sim0001_state")
    assert state is not None
    assert state.state == "idle"
    assert await hass.config_entries.async_reload(go_entry.entry_id)
    await hass.async_block_till_done()
    assert _state(go_entry) is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(go_entry.entry_id)
    await hass.async_block_till_done()
    assert _state(go_entry) is ConfigEntryState.NOT_LOADED

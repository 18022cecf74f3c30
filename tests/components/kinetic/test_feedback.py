"""Instant feedback: a transaction started here is shown at once, and so is its result.

Issue 15 (1): the dashboard stayed *Idle* until the next idle poll (up to 15 s) after a
sale started from Home Assistant. No poll is let happen by faked time here before the
in-progress state is checked: only what the payments told the coordinator can show it.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic.const import DOMAIN, FAST_INTERVAL, IDLE_INTERVAL
from custom_components.kinetic.coordinator import START_POLL_DELAY
from kinetic_integration.simulator import KineticGoSimulator

from .conftest import go_data, setup_entry
from .test_payments import device_id

GO = "kinetic_go_2_kg2sim0001"
BUSY = f"binary_sensor.{GO}_transaction_in_progress"
STATE = f"sensor.{GO}_state"
RESULT = f"sensor.{GO}_last_transaction_result"


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def _until(hass: HomeAssistant, entity_id: str, wanted: str, seconds: float) -> None:
    """Wait in real time (the library polls the terminal in real time) for a state."""
    reached = asyncio.Event()

    @callback
    def _changed(_event: Event[EventStateChangedData]) -> None:
        if _state(hass, entity_id) == wanted:
            reached.set()

    unsubscribe = async_track_state_change_event(hass, entity_id, _changed)
    try:
        if _state(hass, entity_id) != wanted:
            async with asyncio.timeout(seconds):
                await reached.wait()
    finally:
        unsubscribe()


async def test_sale_shown_at_once_and_its_result_too(hass: HomeAssistant, loopback: None) -> None:
    """In progress when the action returns; the terminal's state soon; the result at once."""
    # customer_delay=0: the customer acts only when the test says so.
    async with KineticGoSimulator(host="127.0.0.5", customer_delay=0) as sim:
        entry = MockConfigEntry(
            domain=DOMAIN, title="Kinetic Go 2 KG2SIM0001", unique_id=sim.serial, data=go_data(sim)
        )
        entry.add_to_hass(hass)
        await setup_entry(hass, entry)
        coordinator = entry.runtime_data.coordinator
        assert _state(hass, BUSY) == "off"
        assert coordinator.update_interval == IDLE_INTERVAL

        await hass.services.async_call(
            DOMAIN,
            "start_sale",
            {"device_id": device_id(hass, entry), "amount": "9.00", "wait": False},
            blocking=True,
        )
        # Known here before the terminal is asked: no poll has happened.
        assert _state(hass, BUSY) == "on"
        assert _state(hass, STATE) == "busy"
        assert coordinator.update_interval == FAST_INTERVAL

        # The terminal's own state comes with a poll well within a second.
        async with asyncio.timeout(START_POLL_DELAY + 0.7):
            await _until(hass, STATE, "waiting_for_card", 5)

        await sim.customer("present")
        # The payments' own answer publishes the result; no coordinator poll is faked.
        await _until(hass, RESULT, "approved", 10)
        assert _state(hass, BUSY) == "off"
        assert len(sim.charges()) == 1
        await hass.async_block_till_done(wait_background_tasks=True)
        assert await hass.config_entries.async_unload(entry.entry_id)

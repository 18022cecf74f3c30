"""The Payment Engine's status polling yields to sales for the API key's request budget."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from yarl import URL

from custom_components.kinetic.const import IDLE_INTERVAL
from kinetic_integration.clients.rate_budget import shared_budget
from kinetic_integration.simulator import PaymentEngineSimulator

from .conftest import setup_entry


async def test_status_poll_out_of_budget_keeps_the_last_status(
    hass: HomeAssistant, pe_sim: PaymentEngineSimulator, pe_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, pe_entry)
    coordinator = pe_entry.runtime_data.coordinator
    before = coordinator.data
    assert hass.states.get("sensor.counter_screen") is not None
    screen = hass.states.get("sensor.counter_screen")
    assert screen is not None
    assert screen.state != "unavailable"
    # The engine said 429 (or sales took the key's budget): the next status poll finds
    # no slot and sends nothing; the terminal is not reported as lost for that.
    budget = shared_budget(str(URL(pe_sim.base_url).origin()), pe_sim.api_key)
    budget.rate_limited(30.0)
    sent = budget.sent
    async_fire_time_changed(hass, dt_util.utcnow() + IDLE_INTERVAL + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert budget.sent == sent
    assert coordinator.last_update_success
    assert coordinator.data is before
    screen = hass.states.get("sensor.counter_screen")
    assert screen is not None
    assert screen.state != "unavailable"
    assert pe_sim.rate_limiter.rejected == {}
    assert await hass.config_entries.async_unload(pe_entry.entry_id)

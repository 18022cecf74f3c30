"""The dashboard buttons, against the simulators."""

from __future__ import annotations

import pytest
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from kinetic_integration.simulator import DeviceServiceSimulator, KineticGoSimulator

from .conftest import setup_entry
from .test_payments import sale
from .users import admin_context


def _button(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str | None:
    return er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{entry.unique_id}_{key}")


async def _press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        "button",
        "press",
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
        context=await admin_context(hass),
    )


async def test_kinetic_go_buttons(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Reconcile (journaled, announced) and print the last receipt."""
    await setup_entry(hass, go_entry)
    assert _button(hass, go_entry, "send_offline_transactions") is None
    receipt = _button(hass, go_entry, "print_last_receipt")
    assert receipt is not None
    with pytest.raises(HomeAssistantError) as err:
        await _press(hass, receipt)
    assert err.value.translation_key == "no_transaction"
    await sale(hass, go_entry, amount="5.00")
    await _press(hass, receipt)
    assert go_sim.printed
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    reconcile = _button(hass, go_entry, "reconcile")
    assert reconcile is not None
    await _press(hass, reconcile)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(event.data["type"], event.data["result"]) for event in events] == [
        ("reconciliation", "approved")
    ]
    go_sim.set_paper(False)
    with pytest.raises(HomeAssistantError) as err:
        await _press(hass, receipt)
    assert err.value.translation_key == "command_failed"


async def test_device_service_sends_offline(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """The DeviceService has only the offline button."""
    await setup_entry(hass, ds_entry)
    assert _button(hass, ds_entry, "reconcile") is None
    entity_id = _button(hass, ds_entry, "send_offline_transactions")
    assert entity_id is not None
    await _press(hass, entity_id)
    assert ds_sim.money_requests() == 0

"""DeviceService sales in Home Assistant, as its seed (001) describes them.

Issue 14: the reader's TerminalId apart from the transaction's id, the Offline flag,
SupportOfflineTransaction deciding the offline entities, the response fields in answers
and events; issue 15 point 12: unknown and void. And the sale action's card wait.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED, ISSUE_PREFIX
from kinetic_integration import MAX_CARD_WAIT, MIN_CARD_WAIT, Capability
from kinetic_integration.simulator import DeviceServiceSimulator, PaymentEngineSimulator

from .conftest import setup_entry
from .test_payments import device_id, journal, sale
from .users import admin_context

FACTS = (
    "reader_terminal_id",
    "signature_required",
    "is_contactless",
    "verified_by_pin",
    "verified_on_device",
    "is_offline",
    "response_code",
)


def _entity(hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{entry.unique_id}_{key}")


async def test_terminal_id_is_the_readers_not_the_transactions(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """Contradiction 1: every sale reported the reader's "22001111" as its own id."""
    await setup_entry(hass, ds_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    first = await sale(hass, ds_entry, amount="2.23")
    second = await sale(hass, ds_entry, amount="1.02")
    for answer in (first, second):
        assert answer["terminal_transaction_id"] == answer["reference"]
        assert answer["reader_terminal_id"] == ds_sim.terminal_id == "22001111"
    assert first["terminal_transaction_id"] != second["terminal_transaction_id"]
    # The response fields of the seed, in the answer and in the event.
    assert (first["is_contactless"], first["verified_by_pin"]) == (True, False)
    assert first["verified_on_device"] is False
    assert (second["is_contactless"], second["verified_by_pin"]) == (False, True)
    assert first["signature_required"] is False
    assert (first["is_offline"], first["response_code"]) == (None, None)
    # Contradiction 5 (DeviceService part): a message and both times.
    assert first["message"] == "The transaction was approved"
    assert first["started_at"]
    assert first["ended_at"]
    assert first["started_at"] <= first["ended_at"]
    await hass.async_block_till_done()
    assert [event.data["reference"] for event in events] == [
        first["reference"],
        second["reference"],
    ]
    for event, answer in zip(events, (first, second), strict=True):
        assert {key: event.data[key] for key in FACTS} == {key: answer[key] for key in FACTS}


async def test_offline_sale_and_its_entities(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """SupportOfflineTransaction true: an offline sale, counted, then sent."""
    await setup_entry(hass, ds_entry)
    count = _entity(hass, ds_entry, "sensor", "offline_transactions")
    button = _entity(hass, ds_entry, "button", "send_offline_transactions")
    assert count is not None
    assert button is not None
    answer = await sale(hass, ds_entry, amount="6.00", offline=True)
    assert answer["result"] == "approved"
    assert (answer["is_offline"], answer["response_code"]) == (True, None)
    coordinator = ds_entry.runtime_data.coordinator
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(count)
    assert state is not None
    assert state.state == "1"
    await hass.services.async_call(
        "button", "press", {"entity_id": button}, blocking=True, context=await admin_context(hass)
    )
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(count)
    assert state is not None
    assert state.state == "0"


async def test_no_offline_without_support(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """SupportOfflineTransaction false: no offline entities; an offline sale is refused."""
    ds_sim.support_offline = False
    await setup_entry(hass, ds_entry)
    assert _entity(hass, ds_entry, "sensor", "offline_transactions") is None
    assert _entity(hass, ds_entry, "sensor", "stored_records") is None
    assert _entity(hass, ds_entry, "button", "send_offline_transactions") is None
    with pytest.raises(ServiceValidationError) as err:
        await sale(hass, ds_entry, amount="6.00", offline=True)
    assert err.value.translation_key == "unsupported"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "send_offline_transactions",
            {"device_id": device_id(hass, ds_entry)},
            blocking=True,
            context=await admin_context(hass),
        )
    assert err.value.translation_key == "unsupported"
    assert ds_sim.money_requests() == 0
    assert journal(hass).records() == []


async def test_offline_support_change_sets_the_entities_up_again(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    await setup_entry(hass, ds_entry)
    assert _entity(hass, ds_entry, "sensor", "offline_transactions") is not None
    ds_sim.support_offline = False
    await ds_entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    # Reloaded: the entity is no longer provided (its registry entry stays, unavailable).
    count = _entity(hass, ds_entry, "sensor", "offline_transactions")
    assert count is not None
    state = hass.states.get(count)
    assert state is not None
    assert state.state == "unavailable"
    assert not ds_entry.runtime_data.coordinator.terminal.supports(Capability.OFFLINE_TRANSACTIONS)


async def test_unknown_is_reported_at_once_and_stays_open(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """Issue 15 point 12: a final "unknown" ends the wait; a repair issue stays open."""
    await setup_entry(hass, ds_entry)
    ds_sim.report_unknown = True
    started = time.monotonic()
    answer = await sale(hass, ds_entry, amount="4.00", timeout=60)
    assert time.monotonic() - started < 10
    assert answer["result"] == "unknown"
    record = await journal(hass).get(answer["reference"])
    assert record is not None
    assert record.state.is_unresolved
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"{ISSUE_PREFIX}{answer['reference']}")
    assert issue is not None
    assert ds_sim.money_requests() == 1


async def test_void_is_void(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """Issue 15 point 12: the card wait ran out ("void"): not "cancelled"."""
    await setup_entry(hass, ds_entry)
    ds_sim.card_timeout = 0.2
    answer = await sale(hass, ds_entry, amount="1.03")
    assert answer["result"] == "void"
    assert answer["message"] == "Card wait timed out"  # the terminal's own Description
    assert ds_sim.charges() == []


@pytest.mark.parametrize(
    "card_wait", [MIN_CARD_WAIT - 1, MAX_CARD_WAIT + 1, 0, -5, "soon", "nan", "inf"]
)
async def test_bad_card_wait_is_refused_before_anything_is_sent(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator, card_wait: Any
) -> None:
    await setup_entry(hass, ds_entry)
    with pytest.raises(ServiceValidationError) as err:
        await sale(hass, ds_entry, amount="5.00", timeout=card_wait)
    assert err.value.translation_key == "invalid_timeout"
    assert err.value.translation_placeholders == {
        "min": str(MIN_CARD_WAIT),
        "max": str(MAX_CARD_WAIT),
        "value": str(card_wait),
    }
    assert ds_sim.money_requests() == 0
    assert ds_sim.ledger == []
    assert journal(hass).records() == []


async def test_card_wait_is_the_payment_engine_requests_own(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """The Payment Engine request times out after the card wait asked for (not 180 s)."""
    await setup_entry(hass, pe_entry)
    started = time.monotonic()
    answer = await sale(hass, pe_entry, amount="4.03", timeout=MIN_CARD_WAIT)  # no card
    elapsed = time.monotonic() - started
    assert answer["result"] == "timeout"
    assert MIN_CARD_WAIT - 1 <= elapsed < 3 * MIN_CARD_WAIT
    assert pe_sim.charges() == []


def test_the_action_form_offers_the_librarys_card_wait_bounds() -> None:
    """services.yaml's number selector for ``timeout`` has the bounds the action checks."""
    documented = load_yaml_dict(
        str(Path(__file__).parents[3] / "custom_components" / "kinetic" / "services.yaml")
    )
    number = documented["start_sale"]["fields"]["timeout"]["selector"]["number"]
    assert (number["min"], number["max"]) == (MIN_CARD_WAIT, MAX_CARD_WAIT)

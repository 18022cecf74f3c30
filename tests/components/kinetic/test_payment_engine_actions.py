"""The Payment Engine's pay request fields and answers in Home Assistant (seed 004, issue 14).

Against the Payment Engine simulator over loopback: the dedicated sale fields, the
authorize action, partial approval and duplicate folding in the answer, the event and
Sales today, and the running request's progress as the state.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from kinetic_integration import TransactionType
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator
from tests.log_hygiene import register_secret

from .conftest import setup_entry
from .test_actions import act
from .test_payments import journal, sale

SALES_TODAY = "sensor.counter_sales_today"


def _sent(sim: PaymentEngineSimulator) -> list[dict[str, Any]]:
    return [pay.params for pay in sim.requests.values()]


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_sale_fields_are_sent_as_the_seed_names_them(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    await setup_entry(hass, pe_entry)
    answer = await sale(
        hass,
        pe_entry,
        amount="12.00",
        reference="ha-pe-1",
        order_id="A-1042",
        table="12",
        clerk="Sam",
        description="Dinner",
        invoice="INV-1042",
        ponum="PO-77",
        prompt_tip=True,
        save_card=True,
        manual_key=False,
        block_offline=True,
        timeout=45,
    )
    assert answer["result"] == "approved"
    [body] = _sent(pe_sim)
    # The action's order id is the seed's orderid; our reference rides in the comments.
    assert body["orderid"] == "A-1042"
    assert body["comments"] == "kinetic-ref:ha-pe-1"
    assert (body["invoice"], body["ponum"], body["table"]) == ("INV-1042", "PO-77", "12")
    assert (body["clerk"], body["description"]) == ("Sam", "Dinner")
    assert (body["prompt_tip"], body["save_card"], body["manual_key"]) == (True, True, False)
    assert body["block_offline"] is True
    assert body["timeout"] == 45
    assert "amount_detail" not in body
    # The saved card's token is in the answer only (and never in a log: registered).
    assert answer["card_token"]
    register_secret(answer["card_token"])
    assert answer["is_duplicate"] is False
    assert answer["total"] == "12.00"
    assert "card_token" not in journal(hass).details("ha-pe-1")


async def test_a_long_invoice_is_refused_before_anything_is_sent(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    await setup_entry(hass, pe_entry)
    with pytest.raises(vol.Invalid):
        await sale(hass, pe_entry, amount="1.00", invoice="123456789012")
    assert pe_sim.money_requests() == 0


async def test_amount_detail_that_does_not_add_up_is_a_translated_refusal(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    await setup_entry(hass, pe_entry)
    with pytest.raises(ServiceValidationError) as caught:
        await sale(
            hass,
            pe_entry,
            amount="10.00",
            tip="2.00",
            payment_engine_fields={"amount_detail": {"subtotal": "9.00"}},
        )
    assert caught.value.translation_key == "invalid_input"
    assert "does not add up" in str(caught.value.translation_placeholders)
    assert pe_sim.money_requests() == 0


async def test_a_tip_with_a_subtotal_keeps_the_seeds_sum(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    await setup_entry(hass, pe_entry)
    answer = await sale(
        hass,
        pe_entry,
        amount="10.00",
        tip="2.00",
        payment_engine_fields={"amount_detail": {"subtotal": "10.00"}},
    )
    assert (answer["amount"], answer["tip"], answer["total"]) == ("10.00", "2.00", "12.00")
    [body] = _sent(pe_sim)
    assert body["amount"] == "12.00"
    assert body["amount_detail"] == {"subtotal": "12.00", "tip": "2.00"}


async def test_partial_approval_reports_the_authorised_amount_everywhere(
    hass: HomeAssistant,
    pe_entry: MockConfigEntry,
    pe_sim: PaymentEngineSimulator,
    enable_all_entities: None,
) -> None:
    await setup_entry(hass, pe_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    pe_sim.available_funds = Decimal("5.00")
    answer = await sale(hass, pe_entry, amount="10.00", enable_partialauth=True)
    assert answer["result"] == "approved"
    assert (answer["amount"], answer["total"]) == ("5.00", "5.00")
    [body] = _sent(pe_sim)
    assert body["amount_detail"] == {"enable_partialauth": True}
    await hass.async_block_till_done()
    assert events[-1].data["amount"] == "5.00"
    assert _state(hass, SALES_TODAY) == "5.00"
    # Without enable_partialauth nothing is sent for it: the same sale is declined.
    declined = await sale(hass, pe_entry, amount="10.00", enable_partialauth=False)
    assert declined["result"] == "declined"
    assert "amount_detail" not in _sent(pe_sim)[1]


async def test_a_folded_duplicate_is_surfaced_and_counted_once(
    hass: HomeAssistant,
    pe_entry: MockConfigEntry,
    pe_sim: PaymentEngineSimulator,
    enable_all_entities: None,
) -> None:
    await setup_entry(hass, pe_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    pe_sim.duplicate_folding = True
    first = await sale(hass, pe_entry, amount="7.00", order_id="B-1")
    again = await sale(hass, pe_entry, amount="7.00", order_id="B-1", allow_duplicate=True)
    assert (first["is_duplicate"], again["is_duplicate"]) == (False, True)
    await hass.async_block_till_done()
    assert events[-1].data["is_duplicate"] is True
    assert len(pe_sim.charges()) == 1
    assert _state(hass, SALES_TODAY) == "7.00"


async def test_authorize_is_recorded_as_an_authorisation_not_a_sale(
    hass: HomeAssistant,
    pe_entry: MockConfigEntry,
    pe_sim: PaymentEngineSimulator,
    enable_all_entities: None,
) -> None:
    await setup_entry(hass, pe_entry)
    answer = await act(
        hass,
        "authorize",
        pe_entry,
        response=True,
        amount="80.00",
        reference="hold-1",
        invoice="R12",
    )
    assert answer is not None
    assert (answer["type"], answer["result"], answer["amount"]) == (
        "authorization",
        "approved",
        "80.00",
    )
    [body] = _sent(pe_sim)
    assert (body["command"], body["invoice"]) == ("authonly", "R12")
    record = await journal(hass).get("hold-1")
    assert record is not None
    assert record.type is TransactionType.AUTHORIZATION
    await hass.async_block_till_done()
    assert _state(hass, SALES_TODAY) == "0"


async def test_authorize_on_a_kind_without_it_is_refused(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as caught:
        await act(hass, "authorize", go_entry, response=True, amount="10.00")
    assert caught.value.translation_key == "unsupported"
    with pytest.raises(ServiceValidationError) as fields:
        await sale(hass, go_entry, amount="10.00", save_card=True)
    assert fields.value.translation_key == "unsupported"
    assert go_sim.money_requests() == 0


async def test_the_running_requests_progress_is_the_state(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """While the customer is to dip the card: busy, "waiting for card dip"; idle after."""
    pe_sim.customer_delay = 0  # nobody pays until the test says so
    for device in pe_sim.devices:
        device.customer_delay = 0
    await setup_entry(hass, pe_entry)
    assert _state(hass, "binary_sensor.counter_transaction_in_progress") == "off"
    answer = await sale(hass, pe_entry, amount="3.00", reference="ha-progress", wait=False)
    assert answer == {"reference": "ha-progress", "result": "pending"}
    # Status polls share the key's budget (at most 15 of its 45 a minute) and the sale's
    # own polls come every 1.25 s while it waits for the card: look every half second.
    for _ in range(16):
        await _refresh(pe_entry)
        if _state(hass, "sensor.counter_screen") == "waiting for card dip":
            break
        await asyncio.sleep(0.5)
    assert _state(hass, "sensor.counter_screen") == "waiting for card dip"
    assert _state(hass, "sensor.counter_state") == "waiting_for_card"
    assert _state(hass, "binary_sensor.counter_transaction_in_progress") == "on"
    await pe_sim.customer("tap")
    for _ in range(16):
        await _refresh(pe_entry)
        if _state(hass, "binary_sensor.counter_transaction_in_progress") == "off":
            break
        await asyncio.sleep(0.5)
    assert _state(hass, "binary_sensor.counter_transaction_in_progress") == "off"
    assert _state(hass, "sensor.counter_screen") == "online"


async def _refresh(entry: MockConfigEntry) -> None:
    # A poll now (firing time ahead would also fire the HTTP requests' own timeouts).
    await entry.runtime_data.coordinator.async_refresh()

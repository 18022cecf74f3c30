"""Refund, reverse, reconcile, printing, offline send and cancel against the simulators."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

from .conftest import setup_entry
from .test_payments import device_id, journal, sale
from .users import admin_context


async def act(
    hass: HomeAssistant, service: str, entry: MockConfigEntry, *, response: bool, **data: Any
) -> dict[str, Any] | None:
    """Call a kinetic action on an entry's terminal, as an administrator."""
    answer = await hass.services.async_call(
        DOMAIN,
        service,
        {"device_id": device_id(hass, entry), **data},
        blocking=True,
        return_response=response,
        context=await admin_context(hass),
    )
    assert answer is None or isinstance(answer, dict)
    return answer


async def test_refund_reverse_reconcile(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Each is journaled and answers with its final transaction."""
    await setup_entry(hass, go_entry)
    refund = await act(hass, "refund", go_entry, response=True, amount="4.00")
    assert refund is not None
    assert (refund["type"], refund["result"], refund["amount"]) == ("refund", "approved", "4.00")
    paid = await sale(hass, go_entry, amount="6.00")
    void = await act(hass, "reverse", go_entry, response=True, transaction_id=paid["reference"])
    assert void is not None
    assert (void["type"], void["result"]) == ("reversal", "approved")
    assert journal(hass).details(void["reference"])["original_id"] == paid["reference"]
    day = await act(hass, "reconcile", go_entry, response=True)
    assert day is not None
    assert day["type"] == "reconciliation"
    assert day["result"] == "approved"
    # Sale, refund and reversal move money; the reconciliation does not.
    assert go_sim.money_requests() == 3
    for reference in (refund["reference"], void["reference"], day["reference"]):
        record = await journal(hass).get(reference)
        assert record is not None
        assert record.state.value == "final"


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("refund", {"amount": "4.00"}),
        ("reverse", {"transaction_id": "abc"}),
        ("reconcile", {}),
        ("print_text", {"lines": ["x"]}),
        ("print_receipt", {}),
        ("cancel", {"reference": "abc"}),
    ],
)
async def test_device_service_cannot(
    hass: HomeAssistant,
    ds_entry: MockConfigEntry,
    ds_sim: DeviceServiceSimulator,
    service: str,
    data: dict[str, Any],
) -> None:
    """What a DeviceService cannot do is refused by name, with nothing sent."""
    await setup_entry(hass, ds_entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, service, ds_entry, response=False, **data)
    assert err.value.translation_key == "unsupported"
    # One sentence: the kind by its name, what it lacks, that nothing was sent.
    assert str(err.value).startswith("The DeviceService (Castles MP200) does not support this (")
    assert str(err.value).endswith("); nothing was sent")
    assert ds_sim.money_requests() == 0


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("refund", {"amount": "1.001"}, "invalid_amount"),
        ("refund", {"amount": "900.00"}, "amount_above_cap"),
        ("reverse", {"transaction_id": "not valid!"}, "invalid_input"),
        ("send_offline_transactions", {}, "unsupported"),
    ],
)
async def test_bad_requests_send_nothing(
    hass: HomeAssistant,
    *,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Bad amounts, ids and unsupported actions: translated, nothing sent."""
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, service, go_entry, response=False, **data)
    assert err.value.translation_key == key
    assert go_sim.money_requests() == 0


async def test_printing(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Text and the last receipt go to the printer; without paper a translated error."""
    await setup_entry(hass, go_entry)
    await act(hass, "print_text", go_entry, response=False, lines=["Table 5", "Thank you!"])
    assert any("Thank you!" in line for line in go_sim.printed[-1])
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "print_receipt", go_entry, response=True)
    assert err.value.translation_key == "invalid_input"
    paid = await sale(hass, go_entry, amount="7.00")
    receipt = await act(hass, "print_receipt", go_entry, response=True, copy="cardholder")
    assert receipt is not None
    assert receipt["lines"]
    assert go_sim.printed[-1] == receipt["lines"]
    again = await act(hass, "print_receipt", go_entry, response=True, reference=paid["reference"])
    assert again is not None
    assert again["lines"]
    go_sim.set_paper(False)
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "print_text", go_entry, response=False, lines=["x"])
    assert err.value.translation_key == "command_failed"


async def test_send_offline_transactions(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """A DeviceService sends its stored transactions on request."""
    await setup_entry(hass, ds_entry)
    await act(hass, "send_offline_transactions", ds_entry, response=False)
    status = await ds_entry.runtime_data.coordinator.terminal.status()
    assert status.offline_count in (0, None)


async def test_cancel_an_open_pay_request(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """Cancelling a running Payment Engine sale ends it cancelled, uncharged."""
    await setup_entry(hass, pe_entry)
    for device in pe_sim.devices:
        device.customer_delay = 0
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    answer = await sale(hass, pe_entry, amount="12.00", wait=False)
    for _ in range(500):
        record = await journal(hass).get(answer["reference"])
        if record is not None and record.terminal_id:
            break
        await asyncio.sleep(0.01)
    await act(hass, "cancel", pe_entry, response=False, reference=answer["reference"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["result"] for event in events] == ["cancelled"]
    assert pe_sim.charges() == []

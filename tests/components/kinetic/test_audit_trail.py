"""Who did the privileged actions that start no transaction, and who started what.

Cancelling a pay request, sending a terminal's offline transactions (the action and the
button) and the repair's release each write one INFO log line and one logbook entry
naming who did it; ``get_transactions`` says who started each transaction of the
terminal's own list (the journal's ``started_by``, or the terminal itself).
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from http import HTTPStatus

import pytest
from homeassistant.const import ATTR_ENTITY_ID, EVENT_LOGBOOK_ENTRY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.kinetic import payments as payments_module
from custom_components.kinetic.const import DOMAIN
from kinetic_integration.journal import JournalState
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

from .conftest import setup_entry
from .test_actions import act
from .test_authorization import _unknown_outcome
from .test_payments import device_id, journal
from .users import admin_context, staff_context


def _transaction_entity(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    return er.async_get(hass).async_get_entity_id("event", DOMAIN, f"{entry.unique_id}_transaction")


def _info(caplog: pytest.LogCaptureFixture, text: str) -> None:
    [record] = [r for r in caplog.records if text in r.getMessage()]
    assert record.levelno == logging.INFO
    assert record.name.startswith("custom_components.kinetic")


async def test_sending_offline_transactions_says_who(
    hass: HomeAssistant,
    ds_entry: MockConfigEntry,
    ds_sim: DeviceServiceSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The action and the button: one log line and one logbook entry each, by name."""
    caplog.set_level(logging.INFO, logger="custom_components.kinetic")
    await setup_entry(hass, ds_entry)
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    context = await admin_context(hass)
    await hass.services.async_call(
        DOMAIN,
        "send_offline_transactions",
        {"device_id": device_id(hass, ds_entry)},
        blocking=True,
        context=context,
    )
    button = er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{ds_entry.unique_id}_send_offline_transactions"
    )
    assert button is not None
    pressed = await admin_context(hass)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True, context=pressed
    )
    await hass.async_block_till_done()
    entries = [entry for entry in logbook if entry.data["domain"] == DOMAIN]
    assert [entry.data for entry in entries] == [
        {
            "name": ds_entry.title,
            "message": "offline transactions sent by Ada",
            "domain": DOMAIN,
            "entity_id": _transaction_entity(hass, ds_entry),
        }
    ] * 2
    assert [entry.context.user_id for entry in entries] == [context.user_id] * 2
    sent = [r for r in caplog.records if "offline transactions sent by Ada" in r.getMessage()]
    assert [r.levelno for r in sent] == [logging.INFO] * 2
    assert ds_entry.data["password"] not in caplog.text


async def test_a_cancel_says_who(
    hass: HomeAssistant,
    pe_entry: MockConfigEntry,
    pe_sim: PaymentEngineSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The cancel of a running pay request names the administrator who asked."""
    caplog.set_level(logging.INFO, logger="custom_components.kinetic")
    await setup_entry(hass, pe_entry)
    for device in pe_sim.devices:
        device.customer_delay = 0
    answer = await hass.services.async_call(
        DOMAIN,
        "start_sale",
        {"device_id": device_id(hass, pe_entry), "amount": "12.00", "wait": False},
        blocking=True,
        return_response=True,
        context=await staff_context(hass),
    )
    assert answer is not None
    reference = str(answer["reference"])
    for _ in range(500):
        record = await journal(hass).get(reference)
        if record is not None and record.terminal_id:
            break
        await asyncio.sleep(0.01)
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    await act(hass, "cancel", pe_entry, response=False, reference=reference)
    await hass.async_block_till_done(wait_background_tasks=True)
    [cancel] = [entry.data for entry in logbook if "cancel asked" in entry.data["message"]]
    assert cancel == {
        "name": reference,
        "message": f"cancel asked on {pe_entry.title} by Ada",
        "domain": DOMAIN,
        "entity_id": _transaction_entity(hass, pe_entry),
    }
    _info(caplog, f"{reference}: cancel asked on {pe_entry.title} by Ada")
    assert pe_sim.api_key not in caplog.text


async def test_the_repairs_release_says_who(
    hass: HomeAssistant,
    *,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    go_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Released through the repairs API: the administrator by name, linked to them."""
    caplog.set_level(logging.INFO, logger="custom_components.kinetic")
    monkeypatch.setattr(payments_module, "STARTUP_RECOVERY_TIMEOUT", 0.5)
    issue_id = await _unknown_outcome(hass, go_entry, "lost-0003")
    assert await async_setup_component(hass, "repairs", {})
    await hass.async_block_till_done()
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    admin = await hass_client()
    answer = await admin.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert answer.status == HTTPStatus.OK
    flow = await answer.json()
    answer = await admin.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await answer.json())["type"] == FlowResultType.CREATE_ENTRY
    record = await journal(hass).get("lost-0003")
    assert record is not None
    assert record.state is JournalState.ABANDONED
    [entry] = [entry for entry in logbook if entry.data["name"] == "lost-0003"]
    done = f"released on {go_entry.title} after a check on the terminal"
    assert entry.data == {
        "name": "lost-0003",
        "message": f"{done} by {hass_admin_user.name}",
        "domain": DOMAIN,
        "entity_id": "event.kinetic_go_2_kg2sim0001_transaction",
    }
    assert entry.context.user_id == hass_admin_user.id
    _info(caplog, f"lost-0003: {done} by {hass_admin_user.name}")


async def test_a_release_without_a_request_says_an_administrator(
    hass: HomeAssistant, go_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fix flow driven without the repairs API: "an administrator" (flows are theirs)."""
    monkeypatch.setattr(payments_module, "STARTUP_RECOVERY_TIMEOUT", 0.5)
    issue_id = await _unknown_outcome(hass, go_entry, "lost-0004")
    assert await async_setup_component(hass, "repairs", {})
    await hass.async_block_till_done()
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    manager = hass.data["repairs"]["flow_manager"]
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    result = await manager.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    [entry] = [entry for entry in logbook if entry.data["name"] == "lost-0004"]
    assert entry.data["message"] == (
        f"released on {go_entry.title} after a check on the terminal by an administrator"
    )


async def test_get_transactions_says_who_started_each(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Ours from the journal (a user, unknown); a sale started on the terminal: the terminal."""
    await setup_entry(hass, go_entry)
    context = await staff_context(hass)
    answer = await hass.services.async_call(
        DOMAIN,
        "start_sale",
        {"device_id": device_id(hass, go_entry), "amount": "4.00"},
        blocking=True,
        return_response=True,
        context=context,
    )
    assert answer is not None
    local = go_sim.start_on_terminal(Decimal("2.50"))
    current = go_sim.device.current
    if current is not None:
        async with asyncio.timeout(10):
            await current.done.wait()
    listing = await act(hass, "get_transactions", go_entry, response=True)
    assert listing is not None
    rows = {row["reference"]: row for row in listing["transactions"]}
    anna = {"type": "user", "user_id": context.user_id, "name": "anna"}
    assert (
        rows[answer["reference"]]["started_by"],
        rows[answer["reference"]]["started_by_text"],
    ) == (
        anna,
        "anna",
    )
    assert rows[local]["started_by"] == {"type": "terminal"}
    assert rows[local]["started_by_text"] == "the terminal"

"""Who may move money out: administrators, the options' managers, automations if allowed.

Every refusal is checked against the simulator (nothing reached the terminal) and the
journal (nothing staged or written), through the service call, the buttons and the REST
API; the repair flow's "abandon" is shown to be Home Assistant's admin-only API.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

import pytest
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.kinetic import payments as payments_module
from custom_components.kinetic.authorization import CONF_ALLOW_AUTOMATIONS, CONF_MANAGERS
from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from kinetic_integration.journal import JournalState
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

from .conftest import leave_sent_sale, setup_entry
from .test_payments import device_id, journal
from .users import admin_context, person, staff_context

NOT_PRIVILEGED = (
    "Only an administrator or a manager set in the terminal's options may do this ({action})."
    " anna is neither; nothing was sent"
)
NO_AUTOMATIONS = (
    "Automations and scripts may not do this ({action}) unless the terminal's options allow"
    " it; nothing was sent"
)


async def _call(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    service: str,
    context: Context | None,
    **data: Any,
) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        {"device_id": device_id(hass, entry), **data},
        blocking=True,
        return_response=service in ("refund", "reverse", "reconcile"),
        context=context,
    )


async def _sale(
    hass: HomeAssistant, entry: MockConfigEntry, context: Context | None, **data: Any
) -> dict[str, Any]:
    answer = await hass.services.async_call(
        DOMAIN,
        "start_sale",
        {"device_id": device_id(hass, entry), **data},
        blocking=True,
        return_response=True,
        context=context,
    )
    assert isinstance(answer, dict)
    return answer


def _nothing_journaled(hass: HomeAssistant, before: int = 0) -> None:
    assert len(journal(hass).records()) == before
    assert journal(hass).staged() == {}


def _refusal_logged(caplog: pytest.LogCaptureFixture, action: str, who: str, terminal: str) -> None:
    [record] = [r for r in caplog.records if r.name.startswith("custom_components.kinetic")]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert message.startswith(f"Refused {action} on {terminal}: ")
    assert who in message


@pytest.mark.parametrize(
    ("service", "data"),
    [("refund", {"amount": "4.00"}), ("reverse", {"transaction_id": "S1"}), ("reconcile", {})],
)
async def test_staff_may_not_refund_reverse_or_reconcile(
    hass: HomeAssistant,
    *,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    caplog: pytest.LogCaptureFixture,
    service: str,
    data: dict[str, Any],
) -> None:
    """A non-admin user is refused by name; nothing is staged, journaled or sent."""
    await setup_entry(hass, go_entry)
    paid = await _sale(hass, go_entry, await staff_context(hass), amount="6.00")
    if service == "reverse":
        data = {"transaction_id": paid["reference"]}
    caplog.clear()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, go_entry, service, await staff_context(hass), **data)
    assert err.value.translation_key == "not_privileged"
    assert str(err.value) == NOT_PRIVILEGED.format(action=service)
    assert go_sim.money_requests() == 1
    assert [entry.type for entry in go_sim.ledger] == ["sale"]
    _nothing_journaled(hass, before=1)
    _refusal_logged(caplog, service, "anna", go_entry.title)
    # No secret in the warning.
    assert go_entry.data["password"] not in caplog.text


async def test_staff_may_not_send_offline_transactions(
    hass: HomeAssistant, ds_entry: MockConfigEntry, ds_sim: DeviceServiceSimulator
) -> None:
    """Neither the action nor the button sends the terminal's stored transactions."""
    await setup_entry(hass, ds_entry)
    await _sale(hass, ds_entry, await staff_context(hass), amount="6.00", offline=True)
    assert len(ds_sim.device.offline_queue) == 1
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, ds_entry, "send_offline_transactions", await staff_context(hass))
    assert err.value.translation_key == "not_privileged"
    button = er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{ds_entry.unique_id}_send_offline_transactions"
    )
    assert button is not None
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "button",
            "press",
            {ATTR_ENTITY_ID: button},
            blocking=True,
            context=await staff_context(hass),
        )
    assert str(err.value) == NOT_PRIVILEGED.format(action="send_offline_transactions")
    assert len(ds_sim.device.offline_queue) == 1
    await _call(hass, ds_entry, "send_offline_transactions", await admin_context(hass))
    assert ds_sim.device.offline_queue == []


async def test_staff_may_not_press_reconcile(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The reconcile button checks the pressing user; the journal stays empty."""
    await setup_entry(hass, go_entry)
    button = er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{go_entry.unique_id}_reconcile"
    )
    assert button is not None
    for context, key in (
        (await staff_context(hass), "not_privileged"),
        (None, "automation_not_allowed"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                "button", "press", {ATTR_ENTITY_ID: button}, blocking=True, context=context
            )
        assert err.value.translation_key == key
    await hass.async_block_till_done(wait_background_tasks=True)
    assert go_sim.ledger == []
    _nothing_journaled(hass)


async def test_staff_may_not_cancel(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """A running pay request stays open when staff ask to cancel it; an admin may."""
    await setup_entry(hass, pe_entry)
    for device in pe_sim.devices:
        device.customer_delay = 0
    answer = await _sale(hass, pe_entry, await staff_context(hass), amount="12.00", wait=False)
    for _ in range(500):
        record = await journal(hass).get(answer["reference"])
        if record is not None and record.terminal_id:
            break
        await asyncio.sleep(0.01)
    assert record is not None
    [request] = pe_sim.requests.values()
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass, pe_entry, "cancel", await staff_context(hass), reference=answer["reference"]
        )
    assert err.value.translation_key == "not_privileged"
    assert not request.finished()
    await _call(hass, pe_entry, "cancel", await admin_context(hass), reference=answer["reference"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert request.final_status == "canceled"
    assert pe_sim.charges() == []


async def test_admin_refund_goes_through(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """An administrator refunds; the answer and the journal say who."""
    await setup_entry(hass, go_entry)
    context = await admin_context(hass)
    answer = await _call(hass, go_entry, "refund", context, amount="4.00")
    assert answer["result"] == "approved"
    assert answer["started_by"] == {"type": "user", "user_id": context.user_id, "name": "Ada"}
    assert answer["started_by_text"] == "Ada"
    assert journal(hass).details(answer["reference"])["started_by"] == answer["started_by"]
    assert go_sim.money_requests() == 1


async def test_a_manager_may_refund(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A user the options name as manager may; another user still may not."""
    anna = await person(hass, "anna")
    await person(hass, "ben")
    hass.config_entries.async_update_entry(go_entry, options={CONF_MANAGERS: [anna.id]})
    await setup_entry(hass, go_entry)
    answer = await _call(hass, go_entry, "refund", await staff_context(hass), amount="4.00")
    assert answer["result"] == "approved"
    assert answer["started_by_text"] == "anna"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, go_entry, "refund", await staff_context(hass, "ben"), amount="4.00")
    assert "ben is neither" in str(err.value)
    # A manager whose account was deactivated is refused too.
    await hass.auth.async_deactivate_user(anna)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, go_entry, "refund", await staff_context(hass), amount="4.00")
    assert err.value.translation_key == "not_privileged"
    assert go_sim.money_requests() == 1


async def test_a_deleted_user_is_refused(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A context naming a user Home Assistant no longer has is refused by the id."""
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, go_entry, "refund", Context(user_id="gone-user-id"), amount="4.00")
    assert "gone-user-id is neither" in str(err.value)
    assert go_sim.money_requests() == 0


async def _give_back_script(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up a script "Give back" that refunds 4.00 on the entry's terminal."""
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "give_back": {
                    "alias": "Give back",
                    "sequence": [
                        {
                            "action": "kinetic.refund",
                            "data": {"device_id": device_id(hass, entry), "amount": "4.00"},
                        }
                    ],
                }
            }
        },
    )


async def test_calls_without_a_user_need_the_option(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A script's refund is refused by default, and allowed by allow_automations."""
    await setup_entry(hass, go_entry)
    await _give_back_script(hass, go_entry)
    caplog.clear()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call("script", "give_back", blocking=True)
    assert err.value.translation_key == "automation_not_allowed"
    assert str(err.value) == NO_AUTOMATIONS.format(action="refund")
    _refusal_logged(caplog, "refund", "script Give back", go_entry.title)
    assert go_sim.money_requests() == 0
    _nothing_journaled(hass)
    hass.config_entries.async_update_entry(go_entry, options={CONF_ALLOW_AUTOMATIONS: True})
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    await hass.services.async_call("script", "give_back", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    [event] = events
    assert event.data["result"] == "approved"
    assert event.data["started_by"]["type"] == "script"
    assert go_sim.money_requests() == 1


@pytest.mark.parametrize("context", [None, Context(), Context(parent_id="homekit-context")])
async def test_a_call_from_no_automation_is_refused_even_with_the_option(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    caplog: pytest.LogCaptureFixture,
    context: Context | None,
) -> None:
    """No user and no automation or script (HomeKit, another integration): refused."""
    hass.config_entries.async_update_entry(go_entry, options={CONF_ALLOW_AUTOMATIONS: True})
    await setup_entry(hass, go_entry)
    caplog.clear()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, go_entry, "refund", context, amount="4.00")
    assert err.value.translation_key == "origin_not_automation"
    assert str(err.value) == (
        "This call (refund) has no user and comes from no automation or script (another"
        " integration, HomeKit or an unknown source); the terminal's options allow only"
        " automations and scripts, so nothing was sent"
    )
    _refusal_logged(caplog, "refund", "unknown", go_entry.title)
    assert go_sim.money_requests() == 0
    _nothing_journaled(hass)
    # The buttons likewise.
    button = er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{go_entry.unique_id}_reconcile"
    )
    assert button is not None
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "button", "press", {ATTR_ENTITY_ID: button}, blocking=True, context=context
        )
    assert err.value.translation_key == "origin_not_automation"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert go_sim.ledger == []


async def test_sales_stay_open_to_everyone(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Staff and automations sell, print and look up without any option."""
    await setup_entry(hass, go_entry)
    for context in (await staff_context(hass), None):
        assert (await _sale(hass, go_entry, context, amount="3.00"))["result"] == ("approved")
        await hass.services.async_call(
            DOMAIN,
            "print_text",
            {"device_id": device_id(hass, go_entry), "lines": ["ok"]},
            blocking=True,
            context=context,
        )
    assert go_sim.money_requests() == 2


async def test_rest_refund_by_staff_is_400(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """POST /api/services/kinetic/refund with a staff member's token: 400, the reason."""
    await setup_entry(hass, go_entry)
    assert await async_setup_component(hass, "api", {})
    anna = await person(hass, "anna")
    refresh = await hass.auth.async_create_refresh_token(anna, CLIENT_ID)
    client = await hass_client(hass.auth.async_create_access_token(refresh))
    caplog.clear()
    answer = await client.post(
        f"/api/services/{DOMAIN}/refund?return_response",
        json={"device_id": device_id(hass, go_entry), "amount": "4.00"},
    )
    assert answer.status == HTTPStatus.BAD_REQUEST
    assert NOT_PRIVILEGED.format(action="refund") in await answer.text()
    assert go_sim.money_requests() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def _unknown_outcome(hass: HomeAssistant, entry: MockConfigEntry, reference: str) -> str:
    """Leave a sent sale whose outcome stays unknown; return its repair issue's id."""
    await setup_entry(hass, entry)
    identity = entry.runtime_data.coordinator.terminal.identity
    assert await hass.config_entries.async_unload(entry.entry_id)
    await leave_sent_sale(hass, identity, reference)
    await setup_entry(hass, entry)
    issue_id = f"unknown_outcome_{reference}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    return issue_id


async def test_only_an_admin_may_abandon(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Home Assistant's repairs API refuses a non-admin's fix flow; nothing is released."""
    monkeypatch.setattr(payments_module, "STARTUP_RECOVERY_TIMEOUT", 0.5)
    issue_id = await _unknown_outcome(hass, go_entry, "lost-0002")
    assert await async_setup_component(hass, "repairs", {})
    await hass.async_block_till_done()
    anna = await person(hass, "anna")
    refresh = await hass.auth.async_create_refresh_token(anna, CLIENT_ID)
    staff = await hass_client(hass.auth.async_create_access_token(refresh))
    body = {"handler": DOMAIN, "issue_id": issue_id}
    answer = await staff.post("/api/repairs/issues/fix", json=body)
    assert answer.status == HTTPStatus.UNAUTHORIZED
    record = await journal(hass).get("lost-0002")
    assert record is not None
    assert record.state is JournalState.SENT
    admin = await hass_client()
    answer = await admin.post("/api/repairs/issues/fix", json=body)
    assert answer.status == HTTPStatus.OK
    flow = await answer.json()
    # A flow an admin started is not the staff member's to finish either.
    answer = await staff.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert answer.status == HTTPStatus.UNAUTHORIZED
    record = await journal(hass).get("lost-0002")
    assert record is not None
    assert record.state is JournalState.SENT
    answer = await admin.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert answer.status == HTTPStatus.OK
    assert (await answer.json())["type"] == FlowResultType.CREATE_ENTRY
    record = await journal(hass).get("lost-0002")
    assert record is not None
    assert record.state is JournalState.ABANDONED


async def test_options_offer_staff_as_managers(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """The managers list offers active people who are not administrators already."""
    anna = await person(hass, "anna")
    ben = await person(hass, "ben")
    await person(hass, "Ada", admin=True)
    hass.config_entries.async_update_entry(go_entry, options={CONF_MANAGERS: [ben.id]})
    await hass.auth.async_deactivate_user(ben)
    await setup_entry(hass, go_entry)
    result = await hass.config_entries.options.async_init(go_entry.entry_id)
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    [managers] = [key for key in schema if key == CONF_MANAGERS]
    offered = schema[managers].config["options"]
    assert [option["label"] for option in offered] == ["anna"]
    # A manager no longer offered (deactivated here) is not suggested back.
    assert managers.description == {"suggested_value": []}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"max_amount": "500.00", CONF_MANAGERS: [anna.id], CONF_ALLOW_AUTOMATIONS: True},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert go_entry.options[CONF_MANAGERS] == [anna.id]
    assert go_entry.options[CONF_ALLOW_AUTOMATIONS] is True

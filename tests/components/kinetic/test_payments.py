"""The payment actions against simulated terminals: sales, validation, recovery, events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic import payments as payments_module
from custom_components.kinetic.const import CONF_MAX_AMOUNT, DOMAIN
from custom_components.kinetic.data import DATA_JOURNAL
from custom_components.kinetic.journal import HomeAssistantJournal
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from kinetic_integration.clients.kinetic_go import KineticGoClient
from kinetic_integration.errors import KineticConnectionError
from kinetic_integration.journal import JournalRecord, JournalState
from kinetic_integration.models.common import TransactionType
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

from .conftest import leave_sent_sale, setup_entry, terminal_device

GO_EVENT = "event.kinetic_go_2_kg2sim0001_transaction"


def device_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the device registry id of an entry's terminal."""
    return terminal_device(hass, entry).id


async def sale(hass: HomeAssistant, entry: MockConfigEntry, **data: Any) -> dict[str, Any]:
    """Run kinetic.start_sale on an entry's terminal and return its answer."""
    response = await hass.services.async_call(
        DOMAIN,
        "start_sale",
        {"device_id": device_id(hass, entry), **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


def journal(hass: HomeAssistant) -> HomeAssistantJournal:
    """Return the integration's journal."""
    found: HomeAssistantJournal = hass.data[DATA_JOURNAL]
    return found


async def test_sale_waits_for_the_result(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    """A sale returns the final transaction, is journaled and announced twice."""
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    answer = await sale(hass, go_entry, amount="12.50", tip="1.50", table="12", clerk="Sam")
    assert answer["result"] == "approved"
    assert answer["amount"] == "12.50"
    assert answer["tip"] == "1.50"
    assert answer["masked_pan"]
    assert "*" in answer["masked_pan"] or "X" in answer["masked_pan"].upper()
    assert answer["terminal"] == go_entry.title
    assert answer["ended_at"]
    await hass.async_block_till_done()
    assert len(events) == 1
    data = events[0].data
    assert data["reference"] == answer["reference"]
    assert data["result"] == "approved"
    assert data["table"] == "12"
    assert data["amount"] == "12.50"
    assert data["device_id"] == device_id(hass, go_entry)
    state = hass.states.get(GO_EVENT)
    assert state is not None
    assert state.attributes["event_type"] == "approved"
    assert state.attributes["table"] == "12"
    assert state.attributes["masked_pan"] == answer["masked_pan"]
    record = await journal(hass).get(answer["reference"])
    assert record is not None
    assert record.state is JournalState.FINAL
    lookup = await hass.services.async_call(
        DOMAIN,
        "get_transaction",
        {"reference": answer["reference"]},
        blocking=True,
        return_response=True,
    )
    assert isinstance(lookup, dict)
    assert lookup["result"] == "approved"
    assert lookup["state"] == "final"
    assert lookup["table"] == "12"
    assert lookup["clerk"] == "Sam"
    assert lookup["amount"] == "12.50"


@pytest.mark.parametrize(("amount", "result"), [("20.00", "approved"), ("20.01", "declined")])
async def test_sale_on_device_service(
    hass: HomeAssistant,
    ds_entry: MockConfigEntry,
    ds_sim: DeviceServiceSimulator,
    amount: str,
    result: str,
) -> None:
    """DeviceService sales report approvals and declines; one request each."""
    await setup_entry(hass, ds_entry)
    answer = await sale(hass, ds_entry, amount=amount, order_id="A-1")
    assert answer["result"] == result
    assert ds_sim.money_requests() == 1
    assert len(ds_sim.charges()) == (1 if result == "approved" else 0)


async def test_sale_on_payment_engine(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """A Payment Engine sale (with a tip and pass-through fields) charges once."""
    await setup_entry(hass, pe_entry)
    answer = await sale(
        hass,
        pe_entry,
        amount="30.00",
        tip="3.00",
        clerk="Kim",
        description="Lunch",
        table="9",
        payment_engine_fields={"invoice": "INV-1042", "comments": "Window seat"},
    )
    assert answer["result"] == "approved"
    assert answer["terminal_transaction_id"]
    assert len(pe_sim.charges()) == 1
    # The pay request is for the amount and the tip together.
    assert str(pe_sim.charges()[0].amount) == "33.00"


async def test_lost_response_charges_once(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The terminal takes the sale and the answer is lost: recovered, one charge."""
    await setup_entry(hass, go_entry)
    go_sim.inject("drop_after_accept", path="/api/v2/transactions/sale")
    answer = await sale(hass, go_entry, amount="15.00")
    assert answer["result"] == "approved"
    assert go_sim.money_requests() == 1
    assert [entry.reference for entry in go_sim.charges()] == [answer["reference"]]


async def test_without_wait_the_event_brings_the_result(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """wait: false returns the reference at once; the outcome arrives as an event."""
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    answer = await sale(hass, go_entry, amount="9.00", table="5", wait=False)
    assert answer["result"] == "pending"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["reference"] for event in events] == [answer["reference"]]
    assert events[0].data["result"] == "approved"
    assert go_sim.charges()[0].reference == answer["reference"]


async def test_voice_style_script(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A script with amount and table fields charges exactly what was said."""
    await setup_entry(hass, go_entry)
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "charge_table": {
                    "fields": {"amount": {}, "table": {}},
                    "sequence": [
                        {
                            "action": "kinetic.start_sale",
                            "data": {
                                "device_id": device_id(hass, go_entry),
                                "amount": "{{ amount }}",
                                "table": "{{ table }}",
                            },
                            "response_variable": "sale",
                        },
                        {"stop": "done", "response_variable": "sale"},
                    ],
                }
            }
        },
    )
    response = await hass.services.async_call(
        "script",
        "charge_table",
        {"amount": "42.50", "table": "5"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["result"] == "approved"
    assert response["amount"] == "42.50"
    assert [str(entry.amount) for entry in go_sim.charges()] == ["42.50"]


@pytest.mark.parametrize(
    ("data", "key", "text"),
    [
        ({"amount": "abc"}, "invalid_amount", "Invalid amount"),
        ({"amount": "-5"}, "invalid_amount", "Invalid amount"),
        ({"amount": "0"}, "invalid_amount", "Invalid amount"),
        ({"amount": "1.234"}, "invalid_amount", "Invalid amount"),
        ({"amount": "1e3"}, "invalid_amount", "Invalid amount"),
        ({"amount": 0.1 + 0.2}, "invalid_amount", "Invalid amount"),
        ({"amount": "500.01"}, "amount_above_cap", "above the largest amount"),
        ({"amount": "490.00", "tip": "20.00"}, "invalid_input", "Invalid input"),
        ({"amount": "10.00", "tip": "x"}, "invalid_amount", "Invalid amount"),
        ({"amount": "10.00", "reference": "no spaces"}, "invalid_input", "Invalid input"),
        ({"amount": "10.00", "payment_engine_fields": {"invoice": "x"}}, "unsupported", "Go 2"),
    ],
)
async def test_bad_input_sends_nothing(
    hass: HomeAssistant,
    *,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    data: dict[str, Any],
    key: str,
    text: str,
) -> None:
    """Each bad input: a translated error and nothing reaches the terminal."""
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await sale(hass, go_entry, **data)
    assert err.value.translation_key == key
    assert text in str(err.value)
    assert go_sim.money_requests() == 0


async def test_cap_comes_from_the_options(
    hass: HomeAssistant, go_sim: KineticGoSimulator, go_entry: MockConfigEntry
) -> None:
    """A lower cap in the options refuses what the default would allow."""
    hass.config_entries.async_update_entry(go_entry, options={CONF_MAX_AMOUNT: "50.00"})
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await sale(hass, go_entry, amount="50.01")
    assert err.value.translation_placeholders == {"cap": "50.00"}
    assert "(50.00)" in str(err.value)
    assert go_sim.money_requests() == 0


@pytest.mark.parametrize(("field", "value"), [("tip", "1.00"), ("cashback", "5.00")])
async def test_unsupported_by_the_kind(
    hass: HomeAssistant,
    ds_entry: MockConfigEntry,
    ds_sim: DeviceServiceSimulator,
    field: str,
    value: str,
) -> None:
    """A DeviceService takes no tip or cashback: the error names the kind."""
    await setup_entry(hass, ds_entry)
    with pytest.raises(ServiceValidationError) as err:
        await sale(hass, ds_entry, amount="10.00", **{field: value})
    assert err.value.translation_key == "unsupported"
    assert str(err.value) == (
        f"The DeviceService (Castles MP200) does not support this ({field}); nothing was sent"
    )
    assert ds_sim.money_requests() == 0


async def test_device_must_be_a_loaded_terminal(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """An unknown device, another integration's device and an unloaded entry refuse."""
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "start_sale",
            {"device_id": "nope", "amount": "1.00"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "device_not_found"
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    foreign = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "start_sale",
            {"device_id": foreign.id, "amount": "1.00"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "device_not_found"
    known = device_id(hass, go_entry)
    assert await hass.config_entries.async_unload(go_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "start_sale",
            {"device_id": known, "amount": "1.00"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "entry_not_loaded"
    assert "is not ready" in str(err.value)
    assert go_sim.money_requests() == 0


async def test_duplicates_are_refused(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The same table, order or reference right after an approval needs allow_duplicate."""
    await setup_entry(hass, go_entry)
    first = await sale(hass, go_entry, amount="10.00", table="12", order_id="A-7")
    for data, key in (
        ({"table": "12"}, "duplicate_table"),
        ({"order_id": "A-7"}, "duplicate_order_id"),
        ({"reference": first["reference"]}, "duplicate_reference"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await sale(hass, go_entry, amount="10.00", **data)
        assert err.value.translation_key == key
        assert "allow_duplicate" in str(err.value)
    assert go_sim.money_requests() == 1
    again = await sale(hass, go_entry, amount="10.00", table="12", allow_duplicate=True)
    assert again["result"] == "approved"
    assert len(go_sim.charges()) == 2
    # The same reference with allow_duplicate resumes: reported again, never charged again.
    same = await sale(
        hass, go_entry, amount="10.00", reference=first["reference"], allow_duplicate=True
    )
    assert same["result"] == "approved"
    assert len(go_sim.charges()) == 2


async def test_running_sale_blocks_the_same_table(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """While a sale for a table runs, another for it (or any on the terminal) is refused."""
    await setup_entry(hass, go_entry)
    for device in go_sim.devices:
        device.customer_delay = 0
    first = await sale(hass, go_entry, amount="10.00", table="3", wait=False)
    with pytest.raises(ServiceValidationError) as err:
        await sale(hass, go_entry, amount="11.00", table="3")
    assert err.value.translation_key == "duplicate_table"
    await until_sent(hass, first["reference"], go_sim)
    with pytest.raises(HomeAssistantError) as busy:
        await sale(hass, go_entry, amount="11.00", table="4")
    assert busy.value.translation_key == "unresolved_transaction"
    await go_sim.customer("present")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(go_sim.charges()) == 1


async def until_sent(hass: HomeAssistant, reference: str, sim: Any, requests: int = 1) -> None:
    """Wait until the journal says ``reference`` was sent and the terminal received it.

    The journal says ``sent`` just before the request leaves (its write is committed
    first), so a test that stops Home Assistant "after the sale went out" also waits for
    the simulator to count ``requests`` money-moving requests.
    """
    for _ in range(500):
        record = await journal(hass).get(reference)
        if (
            record is not None
            and record.state is JournalState.SENT
            and sim.money_requests() >= requests
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{reference} never reached the terminal")


async def test_reload_in_the_middle_recovers(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The entry reloads while the customer pays: recovered at setup, one charge, event."""
    await setup_entry(hass, go_entry)
    for device in go_sim.devices:
        device.customer_delay = 0
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    answer = await sale(hass, go_entry, amount="25.00", table="8", wait=False)
    await until_sent(hass, answer["reference"], go_sim)
    reload = hass.async_create_task(hass.config_entries.async_reload(go_entry.entry_id))
    await go_sim.customer("present")
    assert await reload
    await hass.async_block_till_done()
    assert go_entry.state is ConfigEntryState.LOADED
    assert go_sim.money_requests() == 1
    assert [entry.reference for entry in go_sim.charges()] == [answer["reference"]]
    assert [event.data["result"] for event in events] == ["approved"]
    assert events[0].data["recovered"] is True
    assert events[0].data["table"] == "8"
    record = await journal(hass).get(answer["reference"])
    assert record is not None
    assert record.state is JournalState.FINAL


async def test_interrupted_wait_raises(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A waiting caller whose entry unloads is told; the next setup settles the sale."""
    await setup_entry(hass, go_entry)
    for device in go_sim.devices:
        device.customer_delay = 0
    waiting = hass.async_create_task(sale(hass, go_entry, amount="14.00"))
    for _ in range(500):
        if journal(hass).records():
            break
        await asyncio.sleep(0.01)
    reference = journal(hass).records()[0].reference
    await until_sent(hass, reference, go_sim)
    assert await hass.config_entries.async_unload(go_entry.entry_id)
    with pytest.raises(HomeAssistantError) as err:
        await waiting
    assert err.value.translation_key == "interrupted"
    await go_sim.customer("present")
    await setup_entry(hass, go_entry)
    record = await journal(hass).get(reference)
    assert record is not None
    assert record.result is not None
    assert record.result.value == "approved"
    assert len(go_sim.charges()) == 1


async def test_unknown_outcome_raises_a_repair_issue(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An outcome that stays unknown is a repair issue; confirming it frees the terminal."""
    monkeypatch.setattr(payments_module, "STARTUP_RECOVERY_TIMEOUT", 0.5)
    await setup_entry(hass, go_entry)
    identity = go_entry.runtime_data.coordinator.terminal.identity
    assert await hass.config_entries.async_unload(go_entry.entry_id)
    # Home Assistant stopped right after writing "sent": the terminal never heard of it.
    reference = "lost-0001"
    await leave_sent_sale(hass, identity, reference)
    answer = {"reference": reference}
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    await setup_entry(hass, go_entry)
    assert [event.data["result"] for event in events] == ["unknown"]
    issue_id = f"unknown_outcome_{answer['reference']}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["reference"] == answer["reference"]
    with pytest.raises(HomeAssistantError) as err:
        await sale(hass, go_entry, amount="17.00")
    assert err.value.translation_key == "unresolved_transaction"
    assert "check the terminal" in str(err.value)

    assert await async_setup_component(hass, "repairs", {})
    await hass.async_block_till_done()
    manager = hass.data["repairs"]["flow_manager"]
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert flow["step_id"] == "confirm"
    done = await manager.async_configure(flow["flow_id"], {})
    assert done["type"] == "create_entry"
    record = await journal(hass).get(answer["reference"])
    assert record is not None
    assert record.state is JournalState.ABANDONED
    assert (await sale(hass, go_entry, amount="17.00"))["result"] == "approved"
    assert go_sim.money_requests() == 1


async def test_get_transaction_unknown_reference(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """Looking up a reference the journal does not have is a translated error."""
    await setup_entry(hass, go_entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "get_transaction", {"reference": "nothing"}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "transaction_not_found"
    assert "nothing" in str(err.value)


async def test_refusals_during_the_call(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A busy terminal and a failing one: translated errors, nothing charged."""
    await setup_entry(hass, go_entry)
    go_sim.inject("busy", path="/api/v2/transactions/sale")
    with pytest.raises(HomeAssistantError) as err:
        await sale(hass, go_entry, amount="10.00")
    assert err.value.translation_key == "terminal_busy"
    assert "nothing was charged" in str(err.value)
    go_sim.inject("error_500", path="/api/v2/transactions/sale")
    with pytest.raises(HomeAssistantError) as err:
        await sale(hass, go_entry, amount="10.00")
    assert err.value.translation_key == "transaction_failed"
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    go_sim.inject("busy", path="/api/v2/transactions/sale")
    answer = await sale(hass, go_entry, amount="10.00", wait=False)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(event.data["result"], event.data["error"]) for event in events] == [("error", "busy")]
    record = await journal(hass).get(answer["reference"])
    assert record is not None
    assert record.state is JournalState.NOT_SENT
    assert go_sim.charges() == []


async def test_unexpected_failure_leaves_the_record_open(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A failure nobody foresaw is never reported as "nothing charged"."""
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    with (
        patch(
            "kinetic_integration.journal.JournaledPayments.run",
            side_effect=RuntimeError("boom"),
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await sale(hass, go_entry, amount="10.00")
    assert err.value.translation_key == "outcome_unknown"
    assert [event.data["result"] for event in events] == ["unknown"]


async def test_setup_frees_records_never_sent(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """An intent written but never sent is freed at setup, never sent then."""
    await setup_entry(hass, go_entry)
    identity = go_entry.runtime_data.coordinator.terminal.identity
    assert await hass.config_entries.async_unload(go_entry.entry_id)
    now = datetime.now(UTC)
    await journal(hass).begin(
        JournalRecord(
            reference="never-sent",
            terminal=identity,
            type=TransactionType.REFUND,
            amount="5.00",
            state=JournalState.PENDING,
            created_at=now,
            updated_at=now,
            claim="c",
        )
    )
    await setup_entry(hass, go_entry)
    record = await journal(hass).get("never-sent")
    assert record is not None
    assert record.state is JournalState.NOT_SENT
    assert go_sim.money_requests() == 0
    # A refund record never blocks a sale for a table.
    assert (await sale(hass, go_entry, amount="3.00", table="1"))["result"] == "approved"


async def test_setup_retries_without_identity(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """Without the terminal's identity the journal cannot be read for it: retry later."""
    with patch(
        "kinetic_integration.terminal.KineticGoTerminal.resolve_identity",
        side_effect=KineticConnectionError("gone"),
    ):
        await setup_entry(hass, go_entry)
    assert go_entry.state is ConfigEntryState.SETUP_RETRY


async def test_unknown_outcome_is_asked_again_later(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A later poll finds the outcome: the record is closed, the issue goes, the event fires."""
    monkeypatch.setattr(payments_module, "STARTUP_RECOVERY_TIMEOUT", 0.5)
    await setup_entry(hass, go_entry)
    identity = go_entry.runtime_data.coordinator.terminal.identity
    assert await hass.config_entries.async_unload(go_entry.entry_id)
    reference = "late-0001"
    await leave_sent_sale(hass, identity, reference)
    # Asked again often (every 0.3 s, each retry giving up after 0.5 s).
    monkeypatch.setattr(payments_module, "RETRY_INTERVAL", timedelta(seconds=0.3))
    await setup_entry(hass, go_entry)
    issue_id = f"unknown_outcome_{reference}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    # The terminal did get it after all (it shows up once the network is back).
    data = go_entry.data
    async with KineticGoClient(
        go_sim.host, go_sim.port, username=data["username"], password=data["password"]
    ) as client:
        await client.start_sale(reference, Decimal("16.00"))
    for _ in range(300):
        if go_sim.charges():
            break
        await asyncio.sleep(0.01)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    for _ in range(500):
        if events and events[-1].data["result"] == "approved":
            break
        await asyncio.sleep(0.01)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[-1].data["result"] == "approved"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    record = await journal(hass).get(reference)
    assert record is not None
    assert record.state is JournalState.FINAL
    assert len(go_sim.charges()) == 1


async def test_payment_engine_fields_are_checked(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """Unknown pay request fields are refused before anything is sent."""
    await setup_entry(hass, pe_entry)
    with pytest.raises(ServiceValidationError) as err:
        await sale(hass, pe_entry, amount="5.00", payment_engine_fields={"nonsense": 1})
    assert err.value.translation_key == "invalid_input"
    assert "nonsense" in str(err.value)
    assert pe_sim.money_requests() == 0

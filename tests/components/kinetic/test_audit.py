"""Who started each transaction: kept in the journal, carried by every surface, logged once.

A user (id and name), an automation or script (found from Home Assistant's own
``automation_triggered`` / ``script_started`` events), or unknown with the context id;
the action's answer, the bus event, the event entity, ``get_transaction`` and the one
logbook entry of each final transaction all say it, and a record recovered from the
journal keeps it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic import payments as payments_module
from custom_components.kinetic.audit import (
    EVENT_AUTOMATION_TRIGGERED,
    Origins,
    recorded_caller,
    started_by_text,
)
from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.logbook_entry import logbook_line, money_text
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from kinetic_integration import KineticGoClient
from kinetic_integration.simulator import KineticGoSimulator

from .conftest import leave_sent_sale, setup_entry
from .restart import restart
from .test_payments import device_id, journal
from .users import person, staff_context

EVENT_ENTITY = "event.kinetic_go_2_kg2sim0001_transaction"


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


async def test_a_users_sale_says_who_everywhere(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """Answer, bus event, event entity, journal, lookup and logbook name the user."""
    hass.config.currency = "GBP"
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    context = await staff_context(hass)
    answer = await _sale(hass, go_entry, context, amount="18.00", table="12")
    await hass.async_block_till_done()
    anna = {"type": "user", "user_id": context.user_id, "name": "anna"}
    assert (answer["started_by"], answer["started_by_text"]) == (anna, "anna")
    [event] = events
    assert (event.data["started_by"], event.data["started_by_text"]) == (anna, "anna")
    assert event.context is context
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.attributes["started_by"] == anna
    assert state.attributes["started_by_text"] == "anna"
    assert journal(hass).details(answer["reference"])["started_by"] == anna
    lookup = await hass.services.async_call(
        DOMAIN,
        "get_transaction",
        {"reference": answer["reference"]},
        blocking=True,
        return_response=True,
    )
    assert lookup is not None
    assert (lookup["started_by"], lookup["started_by_text"]) == (anna, "anna")
    [entry] = logbook
    assert entry.data == {
        "name": "Table 12",
        "message": "£18.00 sale approved on Kinetic Go 2 KG2SIM0001, started by anna",
        "domain": DOMAIN,
        "entity_id": EVENT_ENTITY,
    }
    # Linked to the call, so the logbook shows the user as well.
    assert entry.context is context


async def test_an_automations_sale_records_the_automation(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """No user: the automation that ran it, by entity id, name and its run's context."""
    await setup_entry(hass, go_entry)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Close the day",
                "triggers": [{"trigger": "event", "event_type": "test_close_the_day"}],
                "actions": [
                    {
                        "action": "kinetic.start_sale",
                        "data": {"device_id": device_id(hass, go_entry), "amount": "7.00"},
                    }
                ],
            }
        },
    )
    triggered = async_capture_events(hass, EVENT_AUTOMATION_TRIGGERED)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    hass.bus.async_fire("test_close_the_day")
    await hass.async_block_till_done(wait_background_tasks=True)
    [run] = triggered
    [event] = events
    assert event.data["result"] == "approved"
    assert event.data["started_by"] == {
        "type": "automation",
        "entity_id": "automation.close_the_day",
        "name": "Close the day",
        "context_id": run.context.id,
    }
    assert event.data["started_by_text"] == "automation Close the day"
    details = journal(hass).details(event.data["reference"])
    assert details["started_by"] == event.data["started_by"]
    [entry] = logbook
    assert entry.data["message"].endswith(", started by automation Close the day")
    assert entry.context.id == run.context.id


def _close_the_day(hass: HomeAssistant, entry: MockConfigEntry, *before: Any) -> dict[str, Any]:
    """An automation "Close the day" that sells 7.00 (after ``before``'s steps)."""
    return {
        "automation": {
            "alias": "Close the day",
            "triggers": [{"trigger": "event", "event_type": "test_close_the_day"}],
            "actions": [
                *before,
                {
                    "action": "kinetic.start_sale",
                    "data": {"device_id": device_id(hass, entry), "amount": "7.00"},
                },
            ],
        }
    }


async def test_a_long_running_automation_is_still_known(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """A run that waits while hundreds of other runs start is still named when it sells."""
    await setup_entry(hass, go_entry)
    wait = {"wait_for_trigger": [{"trigger": "event", "event_type": "test_go_on"}]}
    assert await async_setup_component(hass, "automation", _close_the_day(hass, go_entry, wait))
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    hass.bus.async_fire("test_close_the_day")
    # The run waits (block_till_done would wait with it): until its wait has begun.
    for _ in range(500):
        await asyncio.sleep(0.01)
        if "test_go_on" in hass.bus.async_listeners():
            break
    # Other automations' runs meanwhile (Home Assistant's own event, as each run fires it).
    for number in range(600):
        hass.bus.async_fire(
            EVENT_AUTOMATION_TRIGGERED,
            {"name": f"Light {number}", "entity_id": f"automation.light_{number}"},
            context=Context(),
        )
    hass.bus.async_fire("test_go_on")
    await hass.async_block_till_done(wait_background_tasks=True)
    [event] = events
    assert event.data["started_by"]["type"] == "automation"
    assert event.data["started_by_text"] == "automation Close the day"


async def test_an_automation_run_by_hand_names_the_user_too(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """automation.trigger by anna: the automation, and who ran it."""
    await setup_entry(hass, go_entry)
    assert await async_setup_component(hass, "automation", _close_the_day(hass, go_entry))
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    context = await staff_context(hass)
    await hass.services.async_call(
        "automation",
        "trigger",
        {"entity_id": "automation.close_the_day"},
        blocking=True,
        context=context,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    [event] = events
    started_by = event.data["started_by"]
    assert started_by["type"] == "automation"
    assert started_by["entity_id"] == "automation.close_the_day"
    assert (started_by["user_id"], started_by["user_name"]) == (context.user_id, "anna")
    assert event.data["started_by_text"] == "automation Close the day (run by anna)"
    assert journal(hass).details(event.data["reference"])["started_by"] == started_by
    [entry] = logbook
    assert entry.data["message"].endswith("started by automation Close the day (run by anna)")
    # Run by its trigger (no user behind it): the automation alone.
    hass.bus.async_fire("test_close_the_day")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "user_id" not in events[-1].data["started_by"]


async def test_a_scripts_refund_records_the_script(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """A script run without a user, allowed by allow_automations, is named."""
    hass.config_entries.async_update_entry(go_entry, options={"allow_automations": True})
    await setup_entry(hass, go_entry)
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
                            "data": {"device_id": device_id(hass, go_entry), "amount": "2.00"},
                        }
                    ],
                }
            }
        },
    )
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    await hass.services.async_call("script", "give_back", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    [event] = events
    assert event.data["type"] == "refund"
    assert event.data["started_by"]["type"] == "script"
    assert event.data["started_by"]["entity_id"] == "script.give_back"
    assert event.data["started_by_text"] == "script Give back"


async def test_no_user_and_no_known_origin(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    """Unknown, with the call's context id (the logbook can still follow it)."""
    await setup_entry(hass, go_entry)
    context = Context()
    answer = await _sale(hass, go_entry, context, amount="5.00")
    assert answer["started_by"] == {"type": "unknown", "context_id": context.id}
    assert answer["started_by_text"] == "unknown"


async def test_an_unknown_outcome_is_logged_once_it_is_final(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Recovered from the journal: no entry while unknown, one when final, who kept."""
    monkeypatch.setattr(payments_module, "STARTUP_RECOVERY_TIMEOUT", 0.5)
    await setup_entry(hass, go_entry)
    identity = go_entry.runtime_data.coordinator.terminal.identity
    assert await hass.config_entries.async_unload(go_entry.entry_id)
    anna = await person(hass, "anna")
    reference = "late-0002"
    who = {"type": "user", "user_id": anna.id, "name": "anna"}
    journal(hass).stage(reference, {"started_by": who, "table": "4"})
    await leave_sent_sale(hass, identity, reference)
    monkeypatch.setattr(payments_module, "RETRY_INTERVAL", timedelta(seconds=0.3))
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    logbook = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    await setup_entry(hass, go_entry)
    assert [event.data["result"] for event in events] == ["unknown"]
    assert events[0].data["started_by"] == who
    assert logbook == []
    data = go_entry.data
    async with KineticGoClient(
        go_sim.host, go_sim.port, username=data["username"], password=data["password"]
    ) as client:
        await client.start_sale(reference, Decimal("16.00"))
    for _ in range(500):
        if events[-1].data["result"] == "approved":
            break
        await asyncio.sleep(0.01)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[-1].data["started_by"] == who
    [entry] = logbook
    assert entry.data["name"] == "Table 4"
    assert entry.data["message"].endswith("approved on Kinetic Go 2 KG2SIM0001, started by anna")
    assert entry.context.user_id == anna.id
    # Announced and noted: a restart writes no second entry.
    await restart(hass, [go_entry])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(logbook) == 1
    assert journal(hass).details(reference)["started_by"] == who


def test_started_by_in_plain_words() -> None:
    """One plain-words form for every kind of origin."""
    assert started_by_text({"type": "user", "user_id": "u", "name": "anna"}) == "anna"
    automation = {"type": "automation", "entity_id": "automation.x", "name": "Close the day"}
    assert started_by_text(automation) == "automation Close the day"
    by_hand = {**automation, "user_id": "u", "user_name": "anna"}
    assert started_by_text(by_hand) == "automation Close the day (run by anna)"
    assert started_by_text({"type": "script", "name": "Give back"}) == "script Give back"
    assert started_by_text({"type": "terminal"}) == "the terminal"
    assert started_by_text({"type": "unknown", "context_id": "c"}) == "unknown"
    assert started_by_text(None) == "unknown"


def test_recorded_caller_rebuilds_the_context() -> None:
    """A user's record links to the user; an automation's to its run's context."""
    user = recorded_caller({"started_by": {"type": "user", "user_id": "u1", "name": "anna"}})
    assert user.context is not None
    assert user.context.user_id == "u1"
    run = recorded_caller(
        {"started_by": {"type": "automation", "name": "x", "entity_id": "a", "context_id": "c1"}}
    )
    assert run.context is not None
    assert run.context.id == "c1"
    assert recorded_caller({}).started_by is None


def _run(origins: Origins, name: str, context: Context | None = None) -> Context:
    """Note an automation run (Home Assistant's own event) and return its context."""
    context = context or Context()
    origins.async_note(
        "automation",
        Event(
            EVENT_AUTOMATION_TRIGGERED,
            {"name": name, "entity_id": f"automation.{name}"},
            context=context,
        ),
    )
    return context


def test_origins_are_forgotten_by_age_and_keep_the_first() -> None:
    """A day's runs are kept however many; older ones go; a script keeps its automation."""
    now = [0.0]
    origins = Origins(clock=lambda: now[0])
    first = _run(origins, "a")
    for number in range(2000):
        _run(origins, f"other{number}")
    now[0] = 23 * 3600.0
    found = origins.find(first)
    assert found is not None
    assert found["name"] == "a"
    origins.async_note("script", Event("script_started", {"name": "s"}, context=first))
    found = origins.find(Context(parent_id=first.id))
    assert found is not None
    assert (found["type"], found["entity_id"]) == ("automation", "automation.a")
    now[0] = 24 * 3600.0 + 1
    assert origins.find(first) is None
    # The bound on their number is a safety net only: the oldest go first.
    small = Origins(size=2)
    oldest, second, _third = (_run(small, name) for name in "abc")
    assert small.find(oldest) is None
    assert small.find(second) is not None


@pytest.mark.parametrize(
    ("data", "currency", "name", "message"),
    [
        (
            {"type": "sale", "result": "approved", "amount": "15.00", "tip": "3.00",
             "total": "18.00", "table": "12"},
            "GBP",
            "Table 12",
            "£18.00 sale (tip £3.00) approved on T, started by anna",
        ),
        (
            {"type": "refund", "result": "declined", "amount": "4.00", "reference": "R1"},
            "SEK",
            "R1",
            "4.00 SEK refund declined on T, started by anna",
        ),
        (
            {"type": "reconciliation", "result": "error", "reference": "D1"},
            "EUR",
            "D1",
            "reconciliation failed on T, started by anna",
        ),
    ],
)  # fmt: skip
def test_logbook_lines(data: dict[str, Any], currency: str, name: str, message: str) -> None:
    """Table or reference, the money with its currency, the result in words."""
    full = {"terminal": "T", "started_by_text": "anna", "reference": "X", **data}
    assert logbook_line(full, currency) == (name, message)
    assert money_text("18.00", None) == "18.00"
    assert money_text(None, "GBP") is None

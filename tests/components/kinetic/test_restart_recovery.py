"""Home Assistant stopping at the worst moments of a sale, then starting again.

An approved payment always announces itself (at least once), and an answer the terminal
gave is never lost across the restart: each case stops Home Assistant right before or
right after the journal write of the terminal's answer.
"""

from __future__ import annotations

import pytest
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic import payments as payments_module
from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.journal import ANNOUNCED
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED, ISSUE_PREFIX
from kinetic_integration.journal import JournalState
from kinetic_integration.models.common import TransactionResult
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

from .conftest import setup_entry
from .restart import StopAt, announcements_done, restart
from .test_payments import GO_EVENT, journal, sale, until_sent

DS_POST = "/DeviceService/Kinetic/Transaction"


@pytest.mark.parametrize("when", ["before_write", "after_write"])
@pytest.mark.parametrize("kind", ["go", "ds", "pe"])
async def test_approved_sale_is_announced_after_a_stop(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
    kind: str,
    *,
    go_entry: MockConfigEntry,
    ds_entry: MockConfigEntry,
    pe_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    ds_sim: DeviceServiceSimulator,
    pe_sim: PaymentEngineSimulator,
) -> None:
    """Stopped at the approval: announced once after the start, recovered, charged once."""
    entry, sim = {
        "go": (go_entry, go_sim),
        "ds": (ds_entry, ds_sim),
        "pe": (pe_entry, pe_sim),
    }[kind]
    entries = [go_entry, ds_entry, pe_entry]
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    stop = StopAt(hass, entries, monkeypatch, when)
    answer = await sale(hass, entry, amount="18.00", table="12", wait=False)
    await stop.wait()

    reference = answer["reference"]
    assert len(sim.charges()) == 1
    announced = [event.data for event in events if event.data["reference"] == reference]
    assert [(data["result"], data["recovered"]) for data in announced] == [("approved", True)]
    assert announced[0]["table"] == "12"
    record = await journal(hass).get(reference)
    assert record is not None
    assert record.state is JournalState.FINAL
    assert journal(hass).details(reference)[ANNOUNCED] is True
    if kind == "go":
        state = hass.states.get(GO_EVENT)
        assert state is not None
        assert state.attributes["reference"] == reference

    # Announced is noted: the next start does not announce it again.
    await restart(hass, entries)
    assert len([event for event in events if event.data["reference"] == reference]) == 1


@pytest.mark.parametrize("when", ["before_write", "after_write"])
async def test_recovered_while_home_assistant_starts_is_announced_once_when_started(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
) -> None:
    """Recovered during Home Assistant's own start: announced once, after it started.

    Automations attach their triggers when Home Assistant has started, so an event fired
    while entries set up reaches none of them. Stopped before the write, the record is
    settled during the start and still unannounced; it must not be announced a second
    time as "final, never announced" (tests/e2e/test_real_restart.py found that).
    """
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    fired_before_started: list[str] = []

    @callback
    def _while_starting(event: Event) -> None:
        if hass.state is not CoreState.running:
            fired_before_started.append(event.data["reference"])

    hass.bus.async_listen(EVENT_TRANSACTION_COMPLETED, _while_starting)
    stop = StopAt(hass, [go_entry], monkeypatch, when, booting=True)
    answer = await sale(hass, go_entry, amount="16.00", table="4", wait=False)
    await stop.wait()
    await announcements_done()

    reference = answer["reference"]
    assert fired_before_started == []
    announced = [event.data for event in events if event.data["reference"] == reference]
    assert [(data["result"], data["recovered"]) for data in announced] == [("approved", True)]
    assert journal(hass).details(reference)[ANNOUNCED] is True
    assert len(go_sim.charges()) == 1


async def test_normal_sale_is_not_announced_again_at_start(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A sale announced in the ordinary way stays announced once across restarts."""
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    answer = await sale(hass, go_entry, amount="7.00")
    assert answer["result"] == "approved"
    await hass.async_block_till_done()
    await restart(hass, [go_entry])
    assert [event.data["recovered"] for event in events] == [False]
    assert len(go_sim.charges()) == 1


@pytest.mark.parametrize("when", ["before_write", "after_write"])
async def test_device_service_error_answer_survives_a_stop(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
    ds_entry: MockConfigEntry,
    ds_sim: DeviceServiceSimulator,
) -> None:
    """POST Transaction answers 500 and Home Assistant stops: settled "not charged".

    Before the write, recovery concludes from the terminal (404 for the uuid, stably,
    with no transaction in progress); after it, from the recorded answer. Either way
    the terminal is not blocked: the next sale goes through.
    """
    await setup_entry(hass, ds_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    ds_sim.inject("error_500", path=DS_POST)
    stop = StopAt(
        hass,
        [ds_entry],
        monkeypatch,
        when,
        matches=lambda changes: bool(changes.get("answered_error")),
    )
    answer = await sale(hass, ds_entry, amount="30.00", table="3", wait=False)
    await stop.wait()

    reference = answer["reference"]
    record = await journal(hass).get(reference)
    assert record is not None
    assert record.state is JournalState.NOT_SENT
    if when == "before_write":
        assert record.message is not None
        assert "never started" in record.message
    else:
        assert record.answered_error == "Internal error while processing transaction"
    assert ds_sim.charges() == []
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"{ISSUE_PREFIX}{reference}") is None
    recovered = [event.data for event in events if event.data["reference"] == reference]
    assert [(data["result"], data["recovered"]) for data in recovered] == [("error", True)]

    again = await sale(hass, ds_entry, amount="30.00", table="3")
    assert again["result"] == "approved"
    assert len(ds_sim.charges()) == 1


PE_CREATE = "/api/v2/paymentengine/payrequests"


async def test_payment_engine_lost_create_answer_is_found_after_a_stop(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """The create answer is lost, Home Assistant stops: found again by its order id."""
    await setup_entry(hass, pe_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    pe_sim.inject("drop_after_accept", path=PE_CREATE)
    answer = await sale(hass, pe_entry, amount="22.00", table="9", wait=False)
    reference = answer["reference"]
    await until_sent(hass, reference, pe_sim)
    await restart(hass, [pe_entry])

    record = await journal(hass).get(reference)
    assert record is not None
    assert (record.state, record.result) == (JournalState.FINAL, TransactionResult.APPROVED)
    [announced] = [event.data for event in events if event.data["reference"] == reference]
    assert (announced["result"], announced["recovered"], announced["amount"]) == (
        "approved",
        True,
        "22.00",
    )
    assert pe_sim.money_requests() == 1
    assert len(pe_sim.charges()) == 1


async def test_payment_engine_lost_create_answer_says_what_to_check(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    pe_entry: MockConfigEntry,
    pe_sim: PaymentEngineSimulator,
) -> None:
    """Not in the open batch: the repair issue names the order id and where to look."""
    monkeypatch.setattr(payments_module, "STARTUP_RECOVERY_TIMEOUT", 0.5)
    for device in pe_sim.devices:
        device.customer_delay = 0  # nobody presents a card
    await setup_entry(hass, pe_entry)
    pe_sim.inject("drop_after_accept", path=PE_CREATE)
    answer = await sale(hass, pe_entry, amount="22.00", wait=False)
    reference = answer["reference"]
    await until_sent(hass, reference, pe_sim)
    await restart(hass, [pe_entry])

    record = await journal(hass).get(reference)
    assert record is not None
    assert record.state is JournalState.SENT
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"{ISSUE_PREFIX}{reference}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    details = issue.translation_placeholders["details"]
    assert f"order id {reference}" in details
    assert "merchant console" in details
    assert "21146" in details
    assert pe_sim.money_requests() == 1
    assert pe_sim.charges() == []

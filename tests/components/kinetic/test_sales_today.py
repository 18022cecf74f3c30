"""The "sales today" sensor: net approved sales of one terminal, from the journal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_socket
from freezegun import freeze_time
from homeassistant.components.sensor import ATTR_LAST_RESET, ATTR_STATE_CLASS
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.kinetic.const import DOMAIN
from custom_components.kinetic.data import DATA_JOURNAL
from custom_components.kinetic.journal import HomeAssistantJournal
from custom_components.kinetic.sensor import sales_today
from kinetic_integration.journal import JournalRecord, JournalState
from kinetic_integration.models.common import TransactionResult, TransactionType
from kinetic_integration.simulator import KineticGoSimulator
from tests.log_hygiene import register_secret

from .conftest import go_data, setup_entry, terminal_device
from .users import admin_context

# Our own loopback addresses (no other HA test uses them); ephemeral ports.
FRONT_HOST = "127.0.0.70"
BACK_HOST = "127.0.0.71"
FRONT = "sensor.front_sales_today"
BACK = "sensor.back_sales_today"


@pytest.fixture
def sales_loopback(socket_enabled: None) -> None:
    """Allow connections to this module's simulators only."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", FRONT_HOST, BACK_HOST], allow_unix_socket=True)


async def _started(host: str, serial: str) -> KineticGoSimulator:
    sim = KineticGoSimulator(
        host=host, port=0, serial=serial, customer_delay=0.05, processing_delay=0.01
    )
    register_secret(*sim.secrets())
    await sim.start()
    return sim


@pytest.fixture
async def front_sim(sales_loopback: None) -> AsyncIterator[KineticGoSimulator]:
    """The terminal whose sales are summed."""
    sim = await _started(FRONT_HOST, "KG2SALES01")
    yield sim
    await sim.stop()


@pytest.fixture
async def back_sim(sales_loopback: None) -> AsyncIterator[KineticGoSimulator]:
    """Another terminal, whose sales must not count for the first."""
    sim = await _started(BACK_HOST, "KG2SALES02")
    yield sim
    await sim.stop()


def _entry(hass: HomeAssistant, sim: KineticGoSimulator, title: str) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, title=title, unique_id=sim.serial, data=go_data(sim))
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def front(hass: HomeAssistant, front_sim: KineticGoSimulator) -> MockConfigEntry:
    """The set-up entry of the front terminal."""
    entry = _entry(hass, front_sim, "Front")
    await setup_entry(hass, entry)
    return entry


async def _call(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> dict[str, Any]:
    device = terminal_device(hass, entry)
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {"device_id": device.id, **data},
        blocking=True,
        return_response=True,
        context=await admin_context(hass),
    )
    assert isinstance(response, dict)
    await hass.async_block_till_done(wait_background_tasks=True)
    return response


async def _reached(hass: HomeAssistant, entity_id: str, wanted: str) -> None:
    reached = asyncio.Event()

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and new_state.state == wanted:
            reached.set()

    unsubscribe = async_track_state_change_event(hass, entity_id, _changed)
    try:
        state = hass.states.get(entity_id)
        if state is None or state.state != wanted:
            await reached.wait()
    finally:
        unsubscribe()


def _value(hass: HomeAssistant, entity_id: str) -> Decimal:
    state = hass.states.get(entity_id)
    assert state is not None
    return Decimal(state.state)


async def test_approved_sales_add_up(hass: HomeAssistant, front: MockConfigEntry) -> None:
    """Starts at zero; two approvals add up (tips included), a decline changes nothing."""
    state = hass.states.get(FRONT)
    assert state is not None
    assert Decimal(state.state) == 0
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == hass.config.currency
    assert state.attributes[ATTR_STATE_CLASS] == "total"
    assert state.attributes[ATTR_LAST_RESET] == dt_util.start_of_local_day().isoformat()
    assert state.attributes["unconfirmed"] == 0

    assert (await _call(hass, front, "start_sale", amount="12.50"))["result"] == "approved"
    # Updated by the finished sale itself, not by a later poll.
    assert _value(hass, FRONT) == Decimal("12.50")
    answer = await _call(hass, front, "start_sale", amount="7.25", tip="1.00")
    assert answer["result"] == "approved"
    assert _value(hass, FRONT) == Decimal("20.75")

    assert (await _call(hass, front, "start_sale", amount="10.01"))["result"] == "declined"
    assert _value(hass, FRONT) == Decimal("20.75")


async def test_refunds_and_reversals_are_subtracted(
    hass: HomeAssistant, front: MockConfigEntry
) -> None:
    """An approved refund subtracts its amount, a reversal the sale it voids."""
    await _call(hass, front, "start_sale", amount="30.00")
    voided = await _call(hass, front, "start_sale", amount="5.00")
    assert _value(hass, FRONT) == Decimal("35.00")
    assert (await _call(hass, front, "refund", amount="4.00"))["result"] == "approved"
    assert _value(hass, FRONT) == Decimal("31.00")
    answer = await _call(hass, front, "reverse", transaction_id=voided["reference"])
    assert answer["result"] == "approved"
    assert _value(hass, FRONT) == Decimal("26.00")


async def _net_exported(hass: HomeAssistant) -> str:
    """The export's net of today, all terminals."""
    answer = await hass.services.async_call(
        DOMAIN,
        "export_transactions",
        {},
        blocking=True,
        return_response=True,
        context=await admin_context(hass),
    )
    totals: Any = answer["totals"] if isinstance(answer, dict) else None
    return str(totals["all"]["net"])


async def test_a_voided_sale_with_cashback_nets_to_zero(
    hass: HomeAssistant, front: MockConfigEntry, front_sim: KineticGoSimulator
) -> None:
    """20.00 + 5.00 tip + 10.00 cashback, voided: the card's net is 0, both figures agree.

    The void's own amount includes the cashback (cash handed out, never a sale): a
    reversal negates what its sale counted, not the terminal's figure.
    """
    paid = await _call(hass, front, "start_sale", amount="20.00", tip="5.00", cashback="10.00")
    assert paid["result"] == "approved"
    assert (_value(hass, FRONT), await _net_exported(hass)) == (Decimal("25.00"), "25.00")
    answer = await _call(hass, front, "reverse", transaction_id=paid["reference"])
    assert answer["result"] == "approved"
    assert (_value(hass, FRONT), await _net_exported(hass)) == (Decimal(0), "0.00")
    # The terminal voided all it took, cashback included.
    assert [(entry.type, entry.amount) for entry in front_sim.charges()] == [
        ("sale", Decimal("35.00")),
        ("reversal", Decimal("35.00")),
    ]


async def test_a_voided_refund_gives_its_amount_back(
    hass: HomeAssistant, front: MockConfigEntry, front_sim: KineticGoSimulator
) -> None:
    """Sale 30.00, refund 10.00, the refund voided: 30.00 net, on the sensor and the export."""
    paid = await _call(hass, front, "start_sale", amount="30.00")
    back = await _call(hass, front, "refund", amount="10.00", original_reference=paid["reference"])
    assert (_value(hass, FRONT), await _net_exported(hass)) == (Decimal("20.00"), "20.00")
    void = await _call(hass, front, "reverse", transaction_id=back["reference"])
    assert void["result"] == "approved"
    # The simulated acquirer's ledger: the void undid the refund.
    assert [(entry.type, entry.amount) for entry in front_sim.charges()] == [
        ("sale", Decimal("30.00")),
        ("refund", Decimal("10.00")),
        ("reversal", Decimal("10.00")),
    ]
    assert (_value(hass, FRONT), await _net_exported(hass)) == (Decimal("30.00"), "30.00")


async def test_other_terminals_do_not_count(
    hass: HomeAssistant, front: MockConfigEntry, back_sim: KineticGoSimulator
) -> None:
    """Each terminal sums only its own transactions."""
    back = _entry(hass, back_sim, "Back")
    await setup_entry(hass, back)
    await _call(hass, front, "start_sale", amount="3.00")
    await _call(hass, back, "start_sale", amount="40.00")
    assert _value(hass, FRONT) == Decimal("3.00")
    assert _value(hass, BACK) == Decimal("40.00")


async def test_survives_reload_and_restart(hass: HomeAssistant, front: MockConfigEntry) -> None:
    """The journal is on disk: a reload, or a journal read afresh, gives the same sum."""
    await _call(hass, front, "start_sale", amount="9.90")
    assert await hass.config_entries.async_reload(front.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, FRONT) == Decimal("9.90")

    # As after a restart: the journal read back from storage.
    assert await hass.config_entries.async_unload(front.entry_id)
    fresh = HomeAssistantJournal(hass)
    await fresh.async_load()
    hass.data[DATA_JOURNAL] = fresh
    assert await hass.config_entries.async_setup(front.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, FRONT) == Decimal("9.90")


async def test_starts_again_at_midnight(hass: HomeAssistant, front: MockConfigEntry) -> None:
    """At local midnight the sum starts again from zero, with a new last reset."""
    await _call(hass, front, "start_sale", amount="15.00")
    assert _value(hass, FRONT) == Decimal("15.00")
    midnight = dt_util.start_of_local_day() + timedelta(days=1)
    with freeze_time(midnight + timedelta(seconds=1)):
        async_fire_time_changed(hass, midnight + timedelta(seconds=1))
        await hass.async_block_till_done()
        state = hass.states.get(FRONT)
        assert state is not None
        assert Decimal(state.state) == 0
        assert state.attributes[ATTR_LAST_RESET] == midnight.isoformat()


async def test_unconfirmed_outcomes_are_not_counted(
    hass: HomeAssistant, front: MockConfigEntry
) -> None:
    """A sale whose outcome is not confirmed is left out of the sum and counted apart."""
    await _call(hass, front, "start_sale", amount="2.00")
    journal: HomeAssistantJournal = hass.data[DATA_JOURNAL]
    # A sale sent to this terminal whose answer never came back.
    now = datetime.now(UTC)
    await journal.begin(
        JournalRecord(
            reference="open-0001",
            terminal=front.runtime_data.coordinator.terminal.identity,
            type=TransactionType.SALE,
            amount="6.00",
            state=JournalState.PENDING,
            created_at=now,
            updated_at=now,
            claim="c",
        )
    )
    await journal.update("open-0001", state=JournalState.SENT, claim="c")
    await front.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(FRONT)
    assert state is not None
    assert Decimal(state.state) == Decimal("2.00")
    assert state.attributes["unconfirmed"] == 1


def _record(
    reference: str,
    type_: TransactionType,
    amount: str | None,
    *,
    result: TransactionResult | None = TransactionResult.APPROVED,
    state: JournalState = JournalState.FINAL,
    terminal: str = "kinetic-go:serial:A",
    at: datetime | None = None,
) -> JournalRecord:
    when = at or datetime(2026, 1, 2, 12, tzinfo=UTC)
    return JournalRecord(
        reference=reference,
        terminal=terminal,
        type=type_,
        amount=amount,
        state=state,
        result=result,
        created_at=when,
        updated_at=when,
    )


def test_the_definition() -> None:
    """What counts, what is subtracted, and what is left out, record by record."""
    sale, refund, reversal = TransactionType.SALE, TransactionType.REFUND, TransactionType.REVERSAL
    records = [
        _record("s1", sale, "10.00"),
        _record("s2", sale, "5.50"),
        _record("tip", sale, "20.00"),
        _record("declined", sale, "99.00", result=TransactionResult.DECLINED),
        _record("yesterday", sale, "50.00", at=datetime(2026, 1, 1, 12, tzinfo=UTC)),
        _record("elsewhere", sale, "70.00", terminal="kinetic-go:serial:B"),
        _record("never-sent", sale, "80.00", state=JournalState.NOT_SENT, result=None),
        _record("open", sale, "90.00", state=JournalState.SENT, result=None),
        _record("checked", sale, "60.00", state=JournalState.ABANDONED, result=None),
        _record("r1", refund, "1.25"),
        _record("v1", reversal, None),
        _record("v-unknown", reversal, None),
        _record("v-declined-sale", reversal, None),
        _record("garbled", sale, "12,00"),
    ]
    details = {
        "tip": {"tip": "2.00"},
        "v1": {"original_id": "s2"},
        "v-unknown": {"original_id": "not-in-the-journal"},
        "v-declined-sale": {"original_id": "declined"},
    }
    total, unconfirmed = sales_today(
        records,
        lambda reference: details.get(reference, {}),
        terminal="kinetic-go:serial:A",
        since=datetime(2026, 1, 2, tzinfo=UTC),
    )
    # 10.00 + 5.50 + (20.00 + 2.00 tip) - 1.25 refund - 5.50 reversed (s2)
    assert total == Decimal("30.75")
    assert unconfirmed == 2


async def test_stays_true_when_the_terminal_is_offline(
    hass: HomeAssistant, front: MockConfigEntry, front_sim: KineticGoSimulator
) -> None:
    """A terminal lost leaves the total (Home Assistant's own journal) as it was.

    Issue 15 (2): the total went unavailable, and the dashboard's sum to 0.00.
    """
    await _call(hass, front, "start_sale", amount="73.00")
    last = "sensor.front_last_transaction_amount"
    assert _value(hass, last) == Decimal("73.00")
    await front_sim.stop()
    for _ in range(2):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=16))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert not front.runtime_data.coordinator.last_update_success
    state = hass.states.get("sensor.front_state")
    assert state is not None
    assert state.state == "unavailable"
    # Derived from what Home Assistant keeps: still there, still true.
    assert _value(hass, FRONT) == Decimal("73.00")
    assert _value(hass, last) == Decimal("73.00")
    event = hass.states.get("event.front_transaction")
    assert event is not None
    assert event.state != "unavailable"


async def test_a_sale_in_progress_is_not_unconfirmed(
    hass: HomeAssistant, sales_loopback: None
) -> None:
    """While a sale waits for the card its outcome is pending, not unknown.

    Issue 15 (3): "1 transaction(s) with an unknown outcome not counted" showed during
    every normal sale.
    """
    # customer_delay=0: the card is presented only when the test says so.
    sim = KineticGoSimulator(host=BACK_HOST, port=0, serial="KG2SALES03", customer_delay=0)
    register_secret(*sim.secrets())
    async with sim:
        entry = _entry(hass, sim, "Back")
        await setup_entry(hass, entry)
        device = terminal_device(hass, entry)
        await hass.services.async_call(
            DOMAIN,
            "start_sale",
            {"device_id": device.id, "amount": "8.00", "wait": False},
            blocking=True,
        )
        journal: HomeAssistantJournal = hass.data[DATA_JOURNAL]
        # The sale reaches the terminal (its screen asks for the card).
        async with asyncio.timeout(10):
            await _reached(hass, "sensor.back_state", "waiting_for_card")
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()
        state = hass.states.get(BACK)
        assert state is not None
        assert [record.state for record in journal.records()] == [JournalState.SENT]
        assert state.attributes["unconfirmed"] == 0
        assert Decimal(state.state) == 0
        await sim.customer("present")
        await hass.async_block_till_done(wait_background_tasks=True)
        state = hass.states.get(BACK)
        assert state is not None
        assert Decimal(state.state) == Decimal("8.00")
        assert state.attributes["unconfirmed"] == 0
        assert await hass.config_entries.async_unload(entry.entry_id)

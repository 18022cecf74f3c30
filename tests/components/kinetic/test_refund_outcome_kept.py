"""A refund's limit is what its sale moved: never guessed when that is not on record.

What a sale moved (a partial approval's authorised amount, a duplicate folded into an
earlier charge) is kept in its record's details. A sale whose record does not say it
(the write failed or has not landed) cannot be refunded by name: the amount asked for
is no limit, as a partial approval took less.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic import journal as ha_journal
from kinetic_integration import JournalState, TransactionType
from kinetic_integration.journal import SqliteJournal
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator

from .conftest import setup_entry
from .test_actions import act
from .test_payments import sale
from .test_refund_rules import _old, _seed, refund, refunds, refused

IN_PROGRESS = "binary_sensor.counter_transaction_in_progress"


def journal_in_path(hass: HomeAssistant) -> Path:
    """The journal's file (each test's own)."""
    return ha_journal.journal_path(hass)


async def test_a_sale_whose_outcome_was_not_kept_is_not_refunded_by_name(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    journal_in_tmp_path: Path,
) -> None:
    """Final and approved, but what it moved never written: refused, nothing sent.

    A record of a version before the marker whose details were written (its card, its
    tip) is trusted as it always was.
    """
    await _seed(
        journal_in_tmp_path,
        (_old("unkept", 1, type=TransactionType.SALE, amount="30.00"), {"announced": True}),
        (
            _old("older-version", 1, type=TransactionType.SALE, amount="20.00"),
            {"announced": True, "masked_pan": "************1111"},
        ),
    )
    await setup_entry(hass, go_entry)
    err = await refused(hass, go_entry, amount="1.00", original_reference="unkept")
    assert err.translation_key == "refund_original_outcome_not_kept"
    assert str(err).startswith(
        "What sale unkept moved is not on record yet, so the most it can refund is unknown. "
        "Nothing was sent; try again in a moment"
    )
    assert go_sim.money_requests() == 0
    answer = await refund(hass, go_entry, amount="20.00", original_reference="older-version")
    assert answer["result"] == "approved"
    assert refunds(go_sim) == [20]


async def test_what_a_sale_moved_is_kept_before_it_is_seen_to_end(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """A partial approval (5.00 of 10.00): "transaction in progress" turns off, and an
    automation refunds 10.00 right then. It is refused by the 5.00 actually taken.

    The authorised amount is written in the same change that makes the record final,
    so no moment exists where the record is final and says nothing of it.
    """
    await setup_entry(hass, pe_entry)
    refusals: list[BaseException | None] = []
    tried: list[asyncio.Task[None]] = []

    async def _refund_at_once() -> None:
        try:
            await act(
                hass,
                "refund",
                pe_entry,
                response=False,
                amount="10.00",
                original_reference="partial",
            )
        except ServiceValidationError as err:
            refusals.append(err)
        else:
            refusals.append(None)

    @callback
    def _ended(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and new_state.state == "off" and not tried:
            tried.append(hass.async_create_task(_refund_at_once()))

    unsubscribe = async_track_state_change_event(hass, IN_PROGRESS, _ended)
    pe_sim.available_funds = Decimal("5.00")
    try:
        paid = await sale(
            hass, pe_entry, amount="10.00", enable_partialauth=True, reference="partial"
        )
        await asyncio.gather(*tried)
    finally:
        unsubscribe()
        pe_sim.available_funds = None
    assert paid["amount"] == "5.00"
    [err] = refusals
    assert isinstance(err, ServiceValidationError)
    assert err.translation_key == "refund_exceeds_sale"
    assert (err.translation_placeholders or {})["approved"] == "5.00"
    assert refunds(pe_sim) == []
    # On disk with it: what another reader (a restart) finds.
    found = await SqliteJournal(journal_in_path(hass)).get_with_details("partial")
    assert found is not None
    assert (found[0].state, found[1]["authorized_amount"]) == (JournalState.FINAL, "5.00")

"""Refund rules: a refund that names its sale returns at most what is left of it; others are capped.

Every refusal is translated, says the numbers and sends nothing (the simulator's request
count and ledger stay as they were).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.kinetic.const import CONF_MAX_AMOUNT, DOMAIN
from custom_components.kinetic.payments import EVENT_TRANSACTION_COMPLETED
from custom_components.kinetic.refund_rules import (
    CONF_ALLOW_UNLINKED_REFUNDS,
    CONF_REFUND_CAP,
)
from kinetic_integration import JournalRecord, JournalState, TransactionResult, TransactionType
from kinetic_integration.journal import SqliteJournal
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator
from tests.log_hygiene import register_secret

from .conftest import EXTRA_HOSTS, go_data, setup_entry
from .test_actions import act
from .test_payments import journal, sale

GO_IDENTITY = "kinetic-go:serial:KG2SIM0001"


async def refund(hass: HomeAssistant, entry: MockConfigEntry, **data: Any) -> dict[str, Any]:
    """Run kinetic.refund on an entry's terminal and return its answer."""
    answer = await act(hass, "refund", entry, response=True, **data)
    assert answer is not None
    return answer


async def refused(
    hass: HomeAssistant, entry: MockConfigEntry, **data: Any
) -> ServiceValidationError:
    """Run kinetic.refund, expecting a refusal; return it."""
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "refund", entry, response=False, **data)
    return err.value


def refunds(sim: KineticGoSimulator | PaymentEngineSimulator) -> list[Decimal]:
    """The amounts of the refunds the simulated acquirer saw approved."""
    return [entry.amount for entry in sim.charges() if entry.type == "refund"]


async def test_linked_refunds_return_at_most_what_is_left(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """18.00 approved, 15.00 refunded: 5.00 more is refused with the numbers, 3.00 goes."""
    await setup_entry(hass, go_entry)
    events = async_capture_events(hass, EVENT_TRANSACTION_COMPLETED)
    paid = await sale(hass, go_entry, amount="18.00", reference="table-12-0001")
    first = await refund(hass, go_entry, amount="15.00", original_reference="table-12-0001")
    assert (first["result"], first["original_reference"]) == ("approved", "table-12-0001")
    assert journal(hass).details(first["reference"])["original_reference"] == paid["reference"]
    await hass.async_block_till_done()
    assert events[-1].data["original_reference"] == "table-12-0001"
    assert events[0].data["original_reference"] is None  # the sale returns nothing
    sent = go_sim.money_requests()
    err = await refused(hass, go_entry, amount="5.00", original_reference="table-12-0001")
    assert err.translation_key == "refund_exceeds_sale"
    assert str(err) == (
        "At most 3.00 can still be refunded of sale table-12-0001 (18.00 approved, 15.00 "
        "already refunded or awaiting an outcome); this refund is 5.00. Nothing was sent"
    )
    assert go_sim.money_requests() == sent
    last = await refund(hass, go_entry, amount="3.00", original_reference="table-12-0001")
    assert last["result"] == "approved"
    err = await refused(hass, go_entry, amount="0.10", original_reference="table-12-0001")
    assert (err.translation_placeholders or {})["remaining"] == "0.00"
    assert refunds(go_sim) == [Decimal("15.00"), Decimal("3.00")]


async def test_declined_refunds_do_not_count_and_a_resume_is_not_a_second_refund(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="10.00", reference="sale-1")
    declined = await refund(hass, go_entry, amount="9.01", original_reference="sale-1")
    assert declined["result"] == "declined"
    done = await refund(
        hass, go_entry, amount="10.00", original_reference="sale-1", reference="back-1"
    )
    assert done["result"] == "approved"
    # The same reference again resumes the refund (the journal's rule): it is not counted
    # against itself, and nothing is sent again.
    sent = go_sim.money_requests()
    again = await refund(
        hass, go_entry, amount="10.00", original_reference="sale-1", reference="back-1"
    )
    assert again["result"] == "approved"
    assert go_sim.money_requests() == sent
    assert refunds(go_sim) == [Decimal("10.00")]


@pytest.mark.parametrize(
    ("original", "key", "text"),
    [
        ("nothing-here", "refund_original_not_found", "The journal has no sale nothing-here"),
        ("declined-1", "refund_original_not_approved", "is not approved (declined)"),
        ("refund-1", "refund_original_not_sale", "refund-1 is a refund, not a sale"),
    ],
)
async def test_the_original_must_be_an_approved_sale(
    hass: HomeAssistant,
    *,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    original: str,
    key: str,
    text: str,
) -> None:
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="20.01", reference="declined-1")
    await refund(hass, go_entry, amount="2.00", reference="refund-1")
    sent = go_sim.money_requests()
    err = await refused(hass, go_entry, amount="1.00", original_reference=original)
    assert err.translation_key == key
    assert text in str(err)
    assert str(err).lower().endswith("nothing was sent")
    assert go_sim.money_requests() == sent


async def test_tip_partial_approval_duplicate_and_authorisation(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """What a sale moved: its tip counts, a partial approval's authorised amount, a folded
    duplicate nothing; a pre-authorisation is no sale."""
    await setup_entry(hass, pe_entry)
    await sale(hass, pe_entry, amount="10.00", tip="2.00", reference="tipped")
    pe_sim.available_funds = Decimal("5.00")
    await sale(hass, pe_entry, amount="10.00", enable_partialauth=True, reference="partial")
    pe_sim.available_funds = None
    pe_sim.duplicate_folding = True
    await sale(hass, pe_entry, amount="7.00", order_id="B-1", reference="first")
    folded = await sale(
        hass, pe_entry, amount="7.00", order_id="B-1", allow_duplicate=True, reference="again"
    )
    assert folded["is_duplicate"] is True
    pe_sim.duplicate_folding = False
    await act(hass, "authorize", pe_entry, response=True, amount="80.00", reference="hold-1")
    sent = pe_sim.money_requests()
    for original, amount, approved in (
        ("tipped", "12.10", "12.00"),
        ("partial", "5.10", "5.00"),
        ("again", "0.10", "0.00"),
    ):
        err = await refused(hass, pe_entry, amount=amount, original_reference=original)
        assert err.translation_key == "refund_exceeds_sale"
        assert (err.translation_placeholders or {})["approved"] == approved
    err = await refused(hass, pe_entry, amount="1.00", original_reference="hold-1")
    assert err.translation_key == "refund_of_authorization"
    assert "pre-authorisation, not a sale" in str(err)
    assert pe_sim.money_requests() == sent
    assert (await refund(hass, pe_entry, amount="12.00", original_reference="tipped"))[
        "result"
    ] == "approved"
    assert (await refund(hass, pe_entry, amount="5.00", original_reference="partial"))[
        "result"
    ] == "approved"
    assert refunds(pe_sim) == [Decimal("12.00"), Decimal("5.00")]


async def _seed(path: Path, *items: tuple[JournalRecord, dict[str, Any]]) -> None:
    """Write records into the journal file before Home Assistant opens it."""
    database = SqliteJournal(path)
    await database.merge(items)
    await database.close()


def _old(reference: str, days: int, **fields: Any) -> JournalRecord:
    at = datetime.now(UTC) - timedelta(days=days)
    values: dict[str, Any] = {
        "reference": reference,
        "terminal": GO_IDENTITY,
        "type": TransactionType.REFUND,
        "amount": "1.00",
        "state": JournalState.FINAL,
        "result": TransactionResult.APPROVED,
        "created_at": at,
        "updated_at": at,
        **fields,
    }
    return JournalRecord(**values)


async def test_refunds_of_earlier_days_come_from_the_database(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    journal_in_tmp_path: Path,
) -> None:
    """Days-old refunds are not at hand, yet they count; an open one counts, a declined not."""
    linked = {"original_reference": "old-sale", "announced": True}
    await _seed(
        journal_in_tmp_path,
        (
            _old("old-sale", 5, type=TransactionType.SALE, amount="30.00"),
            {"announced": True, "outcome_kept": True},
        ),
        (_old("old-refund", 4, amount="10.00"), linked),
        (_old("old-declined", 3, amount="9.00", result=TransactionResult.DECLINED), linked),
        # Still open on another terminal (no outcome yet): money that may have gone.
        (
            _old(
                "open-refund",
                2,
                amount="6.00",
                state=JournalState.SENT,
                result=None,
                terminal="kinetic-go:serial:ELSEWHERE",
            ),
            linked,
        ),
    )
    await setup_entry(hass, go_entry)
    at_hand = {record.reference for record in journal(hass).records()}
    assert "old-refund" not in at_hand
    assert "old-declined" not in at_hand
    err = await refused(hass, go_entry, amount="14.01", original_reference="old-sale")
    assert err.translation_placeholders == {
        "amount": "14.01",
        "remaining": "14.00",
        "reference": "old-sale",
        "approved": "30.00",
        "refunded": "16.00",
    }
    assert go_sim.money_requests() == 0
    assert (await refund(hass, go_entry, amount="14.00", original_reference="old-sale"))[
        "result"
    ] == "approved"


async def test_unlinked_refunds_have_their_own_cap(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    await setup_entry(hass, go_entry)
    err = await refused(hass, go_entry, amount="50.10")
    assert err.translation_key == "unlinked_refund_above_cap"
    assert str(err) == (
        "A refund that names no sale may be at most 50.00 (this one is 50.10); name the sale "
        "it returns with original_reference. Nothing was sent"
    )
    assert go_sim.money_requests() == 0
    assert (await refund(hass, go_entry, amount="50.00"))["result"] == "approved"
    assert "original_reference" not in journal(hass).details(go_sim.ledger[-1].reference)
    hass.config_entries.async_update_entry(
        go_entry, options={CONF_REFUND_CAP: "10.00", CONF_MAX_AMOUNT: "40.00"}
    )
    await hass.config_entries.async_reload(go_entry.entry_id)
    await hass.async_block_till_done()
    assert (await refused(hass, go_entry, amount="10.10")).translation_placeholders == {
        "amount": "10.10",
        "cap": "10.00",
    }
    await sale(hass, go_entry, amount="40.00", reference="big")
    # The terminal's own cap still holds for a refund that names its sale.
    hass.config_entries.async_update_entry(
        go_entry, options={CONF_MAX_AMOUNT: "20.00", CONF_ALLOW_UNLINKED_REFUNDS: False}
    )
    await hass.config_entries.async_reload(go_entry.entry_id)
    await hass.async_block_till_done()
    sent = go_sim.money_requests()
    err = await refused(hass, go_entry, amount="30.00", original_reference="big")
    assert err.translation_key == "amount_above_cap"
    err = await refused(hass, go_entry, amount="1.00")
    assert err.translation_key == "unlinked_refund_not_allowed"
    assert "must name the sale they return (original_reference)" in str(err)
    assert go_sim.money_requests() == sent
    assert (await refund(hass, go_entry, amount="20.00", original_reference="big"))[
        "result"
    ] == "approved"


async def test_two_refunds_at_once_cannot_both_pass(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """2 x 15.00 against an 18.00 sale, started at the same moment: exactly one goes."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="18.00", reference="table-12-0002")
    results = await asyncio.gather(
        refund(hass, go_entry, amount="15.00", original_reference="table-12-0002"),
        refund(hass, go_entry, amount="15.00", original_reference="table-12-0002"),
        return_exceptions=True,
    )
    answers = [result for result in results if isinstance(result, dict)]
    errors = [result for result in results if isinstance(result, ServiceValidationError)]
    assert [answer["result"] for answer in answers] == ["approved"]
    # Refused by the rules (the first one staged), not by the terminal being busy.
    assert [error.translation_key for error in errors] == ["refund_exceeds_sale"]
    assert (errors[0].translation_placeholders or {})["refunded"] == "15.00"
    assert refunds(go_sim) == [Decimal("15.00")]


async def test_two_terminals_refunding_one_sale_at_once(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A sale may be refunded on another terminal; the limit holds across both at once."""
    other_sim = KineticGoSimulator(
        host=EXTRA_HOSTS[0], serial="KG2SIM0002", customer_delay=0.05, processing_delay=0.01
    )
    register_secret(*other_sim.secrets())
    await other_sim.start()
    try:
        other = MockConfigEntry(
            domain=DOMAIN,
            title="Kinetic Go 2 KG2SIM0002",
            unique_id=other_sim.serial,
            data=go_data(other_sim),
        )
        other.add_to_hass(hass)
        # Setting up the first sets up every entry of the integration.
        await setup_entry(hass, go_entry)
        assert other.state is ConfigEntryState.LOADED
        await sale(hass, go_entry, amount="18.00", reference="table-7-0001")
        results = await asyncio.gather(
            refund(hass, go_entry, amount="15.00", original_reference="table-7-0001"),
            refund(hass, other, amount="15.00", original_reference="table-7-0001"),
            return_exceptions=True,
        )
        errors = [result for result in results if isinstance(result, ServiceValidationError)]
        assert [error.translation_key for error in errors] == ["refund_exceeds_sale"]
        assert len(refunds(go_sim) + refunds(other_sim)) == 1
        # What is left may go back on the other terminal too.
        assert (await refund(hass, other, amount="3.00", original_reference="table-7-0001"))[
            "result"
        ] == "approved"
        assert sum(refunds(go_sim) + refunds(other_sim)) == Decimal("18.00")
        await hass.config_entries.async_unload(other.entry_id)
    finally:
        await other_sim.stop()

"""An outcome's details: the final write replaces an interim one's; memory follows the file."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

from homeassistant.core import HomeAssistant

from custom_components.kinetic.journal import HomeAssistantJournal
from custom_components.kinetic.money import OUTCOME_KEPT, outcome_details, sale_moved
from kinetic_integration import JournalState, Operation, Transaction, TransactionResult
from kinetic_integration.models.common import TerminalKind, TransactionType

from .test_journal import _on_disk, _record

_SALE = Operation(
    type=TransactionType.SALE, reference="r1", caller_reference=False, amount=Decimal("10.00")
)


def _outcome(result: TransactionResult, **fields: object) -> Transaction:
    return Transaction(
        kind=TerminalKind.PAYMENT_ENGINE,
        reference="r1",
        type=TransactionType.SALE,
        result=result,
        **fields,  # type: ignore[arg-type]
    )


async def test_a_final_outcome_clears_what_an_interim_one_reported(
    hass: HomeAssistant, journal_in_tmp_path: Path
) -> None:
    """A partial amount, tip or duplicate seen before the final outcome does not outlive it.

    In memory as in the file: what the sale moved is read from the final outcome only.
    """
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    await journal.begin(_record("r1"))
    interim = _outcome(
        TransactionResult.UNKNOWN,
        amount=Decimal("4.00"),
        tip=Decimal("1.00"),
        is_duplicate=True,
        masked_pan="************1111",
    )
    details = outcome_details(_SALE, interim)
    # Not final: nothing says what moved is known (the refund limits trust the marker).
    assert OUTCOME_KEPT not in details
    await journal.update("r1", state=JournalState.SENT, details=details)
    assert journal.details("r1")["authorized_amount"] == "4.00"
    final = _outcome(TransactionResult.APPROVED, amount=Decimal("10.00"), auth_code="A1")
    record = await journal.update(
        "r1",
        state=JournalState.FINAL,
        result=TransactionResult.APPROVED,
        details=outcome_details(_SALE, final),
    )
    # The card stays (a later look-up may not report it); what moved is the final's.
    expected = {
        "announced": False,
        "masked_pan": interim.masked_pan,
        "auth_code": "A1",
        "tip": "0.00",
        OUTCOME_KEPT: True,
    }
    assert journal.details("r1") == expected
    on_disk = _on_disk(journal_in_tmp_path, "r1")
    assert on_disk is not None
    assert on_disk[0] == "final"
    assert json.loads(on_disk[1] or "{}") == expected
    assert sale_moved(record, journal.details("r1")) == Decimal("10.00")


async def test_set_details_keeps_a_newer_change_in_memory(
    hass: HomeAssistant, journal_in_tmp_path: Path
) -> None:
    """What the file held when a write read it never replaces a change made meanwhile."""
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    await journal.begin(_record("r1"))
    writing = hass.async_create_task(journal.async_set_details("r1", {"table": "4"}))
    await asyncio.sleep(0)  # its write is on its way, reading the file
    journal.set_details_soon("r1", {"announced": True})
    await writing
    await journal.async_wait_for_writes()
    assert journal.details("r1") == {"announced": True, "table": "4"}
    on_disk = _on_disk(journal_in_tmp_path, "r1")
    assert on_disk is not None
    assert json.loads(on_disk[1] or "{}") == {"announced": True, "table": "4"}

"""The journal in Home Assistant's storage keeps the library's JournalStore contract."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from custom_components.kinetic.journal import STORAGE_KEY, HomeAssistantJournal
from kinetic_integration.errors import KineticInputError, UnresolvedTransactionError
from kinetic_integration.journal import (
    JournalClaimError,
    JournalError,
    JournalRecord,
    JournalState,
)
from kinetic_integration.models.common import TransactionResult, TransactionType


def _record(reference: str, terminal: str = "kinetic-go:A", **changes: Any) -> JournalRecord:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "reference": reference,
        "terminal": terminal,
        "type": TransactionType.SALE,
        "amount": "10.00",
        "state": JournalState.PENDING,
        "created_at": now,
        "updated_at": now,
        "claim": "claim-1",
    }
    values.update(changes)
    return JournalRecord(**values)


async def test_records_survive_a_restart(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    """What is written is on disk at once and read back by a new journal."""
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    journal.stage("r1", {"table": "4"})
    await journal.begin(_record("r1"))
    assert hass_storage[STORAGE_KEY]["data"]["records"][0]["state"] == "pending"
    await journal.update("r1", state=JournalState.SENT, claim="claim-1")
    assert hass_storage[STORAGE_KEY]["data"]["records"][0]["state"] == "sent"
    await journal.update(
        "r1", state=JournalState.FINAL, result=TransactionResult.APPROVED, terminal_id="t-1"
    )
    await journal.async_set_details("r1", {"masked_pan": "************1111"})
    await journal.async_set_details("unknown", {"masked_pan": "x"})

    again = HomeAssistantJournal(hass)
    await again.async_load()
    record = await again.get("r1")
    assert record is not None
    assert record.state is JournalState.FINAL
    assert record.result is TransactionResult.APPROVED
    assert record.terminal_id == "t-1"
    # A final outcome is owed an announcement until one is noted.
    assert again.details("r1") == {
        "table": "4",
        "masked_pan": "************1111",
        "announced": False,
    }
    assert [item.reference for item in again.unannounced("kinetic-go:A")] == ["r1"]
    await again.async_set_details("r1", {"announced": True})
    assert again.unannounced("kinetic-go:A") == []
    assert await again.get("unknown") is None


async def test_old_final_records_are_pruned(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Final records older than the retention go; unresolved ones always stay."""
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    old = datetime.now(UTC) - timedelta(days=91)
    await journal.begin(_record("old-final", created_at=old, updated_at=old))
    await journal.update("old-final", state=JournalState.FINAL)
    await journal.begin(_record("old-open", terminal="kinetic-go:B", created_at=old))
    await journal.update("old-open", state=JournalState.SENT, claim="claim-1")
    # Backdate the final record's last change as if it had been written long ago.
    stored = hass_storage[STORAGE_KEY]["data"]["records"]
    for item in stored:
        item["updated_at"] = old.isoformat()
    again = HomeAssistantJournal(hass)
    await again.async_load()
    assert await again.get("old-final") is None
    assert await again.get("old-open") is not None
    assert [item["reference"] for item in hass_storage[STORAGE_KEY]["data"]["records"]] == [
        "old-open"
    ]


async def test_begin_and_update_keep_the_contract(hass: HomeAssistant) -> None:
    """One unresolved record per terminal, references never reused, compare-and-set."""
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    await journal.begin(_record("a"))
    with pytest.raises(UnresolvedTransactionError) as err:
        await journal.begin(_record("b"))
    assert err.value.reference == "a"
    # Another terminal is not blocked; a pending record may be re-claimed.
    await journal.begin(_record("c", terminal="kinetic-go:B"))
    await journal.begin(_record("a", claim="claim-2"))
    with pytest.raises(JournalClaimError):
        await journal.update("a", state=JournalState.SENT, claim="claim-1")
    await journal.update("a", state=JournalState.SENT, claim="claim-2")
    with pytest.raises(KineticInputError):
        await journal.begin(_record("a", claim="claim-3"))
    with pytest.raises(JournalClaimError):
        await journal.update("a", state=JournalState.FINAL, expect_states=[JournalState.PENDING])
    with pytest.raises(JournalClaimError):
        await journal.update("missing", claim="x")
    with pytest.raises(KineticInputError):
        await journal.update("missing", message="x")
    await journal.update("a", state=JournalState.NOT_SENT)
    # A reference that was never sent may be used again.
    await journal.begin(_record("a", claim="claim-4"))
    assert [record.reference for record in await journal.unresolved("kinetic-go:A")] == ["a"]


async def test_unwritable_journal_refuses(hass: HomeAssistant) -> None:
    """An intent or a "sent" that cannot be saved is undone and raises: nothing is sent."""
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    await journal.begin(_record("kept"))
    with patch("homeassistant.helpers.storage.Store.async_save", side_effect=OSError("disk full")):
        with pytest.raises(JournalError):
            await journal.begin(_record("new", terminal="kinetic-go:B"))
        with pytest.raises(JournalError):
            await journal.begin(_record("kept", claim="claim-2"))
        with pytest.raises(JournalError):
            await journal.update("kept", state=JournalState.SENT, claim="claim-1")
    assert await journal.get("new") is None
    record = await journal.get("kept")
    assert record is not None
    assert record.state is JournalState.PENDING
    assert record.claim == "claim-1"


async def test_a_write_outlives_the_cancelled_transaction(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Stopping cancels the transaction's task; the write it started still lands."""
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    await journal.begin(_record("r1"))
    gate = asyncio.Event()
    original = Store.async_save

    async def slow_save(store: Store[Any], data: Any) -> None:
        await gate.wait()  # the disk is slow: the write is under way
        await original(store, data)

    with patch.object(Store, "async_save", slow_save):
        update = hass.async_create_task(
            journal.update("r1", state=JournalState.SENT, claim="claim-1")
        )
        await asyncio.sleep(0)
        update.cancel()
        with pytest.raises(asyncio.CancelledError):
            await update
        gate.set()
        await journal.async_wait_for_writes()
    assert hass_storage[STORAGE_KEY]["data"]["records"][0]["state"] == "sent"

"""The journal in Home Assistant: the library's SQLite journal, plus the integration's details."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import InvalidData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic import journal as ha_journal
from custom_components.kinetic.const import CONF_MAX_AMOUNT
from custom_components.kinetic.data import DATA_JOURNAL
from custom_components.kinetic.journal import (
    CONF_RETENTION_DAYS,
    HomeAssistantJournal,
)
from custom_components.kinetic.journal_legacy import LEGACY_KEY
from kinetic_integration.errors import KineticInputError, UnresolvedTransactionError
from kinetic_integration.journal import (
    JournalClaimError,
    JournalError,
    JournalRecord,
    JournalState,
)
from kinetic_integration.models.common import TransactionResult, TransactionType

from .conftest import setup_entry


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


def _on_disk(path: Path, reference: str) -> tuple[str, str | None] | None:
    """Read one record's state and details straight from the file (another reader)."""
    with closing(sqlite3.connect(path)) as db, db:
        row = db.execute(
            "SELECT state, details FROM intents WHERE reference = ?", (reference,)
        ).fetchone()
    return (row[0], row[1]) if row else None


async def _loaded(hass: HomeAssistant) -> HomeAssistantJournal:
    journal = HomeAssistantJournal(hass)
    await journal.async_load()
    return journal


async def test_records_survive_a_restart(hass: HomeAssistant, journal_in_tmp_path: Path) -> None:
    """What is written is on disk (WAL, committed) at once and read back by a new journal."""
    journal = await _loaded(hass)
    journal.stage("r1", {"table": "4"})
    await journal.begin(_record("r1"))
    assert journal.staged() == {}
    assert _on_disk(journal_in_tmp_path, "r1") == ("pending", '{"table":"4","announced":false}')
    await journal.update("r1", state=JournalState.SENT, claim="claim-1")
    assert _on_disk(journal_in_tmp_path, "r1") == ("sent", '{"table":"4","announced":false}')
    await journal.update(
        "r1", state=JournalState.FINAL, result=TransactionResult.APPROVED, terminal_id="t-1"
    )
    await journal.async_set_details("r1", {"masked_pan": "************1111"})
    await journal.async_set_details("unknown", {"masked_pan": "x"})
    with closing(sqlite3.connect(journal_in_tmp_path)) as db, db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    again = await _loaded(hass)
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


async def _backdate(path: Path, when: datetime, *references: str) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "UPDATE intents SET created_at = ?, updated_at = ? WHERE reference = ?",
            [(when.isoformat(), when.isoformat(), reference) for reference in references],
        )


async def test_startup_reads_only_what_is_owed_or_recent(
    hass: HomeAssistant, journal_in_tmp_path: Path
) -> None:
    """Unresolved, today's, unannounced and reversed records are at hand; the rest is not."""
    journal = await _loaded(hass)
    for reference, terminal in (("old-done", "A"), ("old-open", "B"), ("old-owed", "C")):
        await journal.begin(_record(reference, terminal=terminal))
    await journal.update("old-done", state=JournalState.FINAL)
    await journal.async_set_details("old-done", {"announced": True})
    await journal.update("old-open", state=JournalState.SENT)
    await journal.update("old-owed", state=JournalState.FINAL)
    journal.stage("void", {"original_id": "old-done"})
    await journal.begin(_record("void", terminal="A", type=TransactionType.REVERSAL))
    await journal.update("void", state=JournalState.FINAL)
    await journal.begin(_record("today", terminal="D"))
    month_ago = datetime.now(UTC) - timedelta(days=30)
    await _backdate(journal_in_tmp_path, month_ago, "old-done", "old-open", "old-owed")

    again = await _loaded(hass)
    at_hand = {record.reference for record in again.records()}
    assert at_hand == {"old-open", "old-owed", "void", "today", "old-done"}
    # "old-done" only as the sale the reversal voids; without it, it stays on disk only.
    with closing(sqlite3.connect(journal_in_tmp_path)) as db, db:
        db.execute("DELETE FROM intents WHERE reference = 'void'")
    third = await _loaded(hass)
    assert {record.reference for record in third.records()} == {"old-open", "old-owed", "today"}
    # A reversal begun now brings the sale it voids to hand (Sales today subtracts it).
    third.stage("void-2", {"original_id": "old-done"})
    await third.begin(_record("void-2", terminal="A", type=TransactionType.REVERSAL))
    assert "old-done" in {record.reference for record in third.records()}
    # Still there when asked for, with its details.
    assert await third.get("old-done") is not None
    assert third.details("old-done")["announced"] is True


async def test_old_final_records_are_pruned_in_the_background(
    hass: HomeAssistant, journal_in_tmp_path: Path
) -> None:
    """Final records older than their terminal's retention go; unresolved ones always stay."""
    journal = await _loaded(hass)
    await journal.begin(_record("old-final"))
    await journal.update("old-final", state=JournalState.FINAL)
    await journal.begin(_record("old-open", terminal="kinetic-go:B"))
    await journal.update("old-open", state=JournalState.SENT, claim="claim-1")
    await journal.begin(_record("week-old", terminal="kinetic-go:short"))
    await journal.update("week-old", state=JournalState.NOT_SENT)
    await journal.begin(_record("week-old-default", terminal="kinetic-go:C"))
    await journal.update("week-old-default", state=JournalState.FINAL)
    await _backdate(
        journal_in_tmp_path, datetime.now(UTC) - timedelta(days=91), "old-final", "old-open"
    )
    await _backdate(
        journal_in_tmp_path,
        datetime.now(UTC) - timedelta(days=8),
        "week-old",
        "week-old-default",
    )
    # Read back after a restart (memory as the file has it): startup deletes in the
    # background what is past the default retention, the next run the rest.
    journal = await _loaded(hass)
    journal.set_retention("kinetic-go:short", timedelta(days=7))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _on_disk(journal_in_tmp_path, "old-final") is None
    assert _on_disk(journal_in_tmp_path, "week-old") is not None
    assert await journal.async_maintain() == 1
    for gone in ("old-final", "week-old"):
        assert _on_disk(journal_in_tmp_path, gone) is None
    for kept in ("old-open", "week-old-default"):
        assert _on_disk(journal_in_tmp_path, kept) is not None
    # Memory forgets what the file lost; of earlier days it keeps what is owed (the
    # unresolved record, the final one never announced).
    assert {record.reference for record in journal.records()} == {"old-open", "week-old-default"}
    await journal.async_set_details("week-old-default", {"announced": True})
    await journal.async_maintain()
    assert {record.reference for record in journal.records()} == {"old-open"}


async def test_begin_and_update_keep_the_contract(hass: HomeAssistant) -> None:
    """One unresolved record per terminal, references never reused, compare-and-set."""
    journal = await _loaded(hass)
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


@pytest.fixture
def locked(journal_in_tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sqlite3.Connection:
    """Another writer that holds the journal's write lock (a stalled disk, say)."""
    monkeypatch.setattr(ha_journal, "JOURNAL_BUSY_TIMEOUT", 0.2)
    return sqlite3.connect(journal_in_tmp_path, isolation_level=None, check_same_thread=False)


async def test_unwritable_journal_refuses(hass: HomeAssistant, locked: sqlite3.Connection) -> None:
    """An intent or a "sent" that cannot be written raises, and is not kept: nothing is sent."""
    journal = await _loaded(hass)
    await journal.begin(_record("kept"))
    locked.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(JournalError):
            await journal.begin(_record("new", terminal="kinetic-go:B"))
        with pytest.raises(JournalError):
            await journal.begin(_record("kept", claim="claim-2"))
        with pytest.raises(JournalError):
            await journal.update("kept", state=JournalState.SENT, claim="claim-1")
    finally:
        locked.execute("ROLLBACK")
        locked.close()
    assert await journal.get("new") is None
    record = await journal.get("kept")
    assert record is not None
    assert record.state is JournalState.PENDING
    assert record.claim == "claim-1"


async def test_a_write_outlives_the_cancelled_transaction(
    hass: HomeAssistant, journal_in_tmp_path: Path
) -> None:
    """Stopping cancels the transaction's task; the write it started still lands."""
    journal = await _loaded(hass)
    await journal.begin(_record("r1"))
    other = sqlite3.connect(journal_in_tmp_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the disk is slow: the write waits for it
    update = hass.async_create_task(journal.update("r1", state=JournalState.SENT, claim="claim-1"))
    await asyncio.sleep(0.05)
    update.cancel()
    with pytest.raises(asyncio.CancelledError):
        await update
    other.execute("COMMIT")
    other.close()
    await journal.async_wait_for_writes()
    assert _on_disk(journal_in_tmp_path, "r1") == ("sent", '{"announced":false}')
    # Memory learnt it too, though its caller was gone.
    record = await journal.get("r1")
    assert record is not None
    assert record.state is JournalState.SENT


#: A journal as the Store version (up to this release) saved it in .storage/kinetic.journal.
STORE_FILE = {
    "version": 1,
    "minor_version": 1,
    "key": LEGACY_KEY,
    "data": {
        "records": [
            {
                "reference": "old-sale",
                "terminal": "kinetic-go:A",
                "amount": "12.50",
                "terminal_id": "T-9",
                "message": None,
                "claim": "c1",
                "answered_error": None,
                "type": "sale",
                "state": "final",
                "result": "approved",
                "created_at": "2026-11-30T10:00:00+00:00",
                "updated_at": "2026-11-30T10:00:05+00:00",
                "details": {"table": "7", "masked_pan": "************1111", "announced": True},
            },
            {
                "reference": "left-open",
                "terminal": "kinetic-go:A",
                "amount": "3.00",
                "terminal_id": None,
                "message": None,
                "claim": "c2",
                "answered_error": None,
                "type": "sale",
                "state": "sent",
                "result": None,
                "created_at": "2026-11-30T11:00:00+00:00",
                "updated_at": "2026-11-30T11:00:01+00:00",
                "details": {"announced": False},
            },
            {
                # Written before answered_error and details existed.
                "reference": "ancient",
                "terminal": "kinetic-go:B",
                "amount": None,
                "terminal_id": None,
                "message": "Reconciled",
                "claim": None,
                "type": "reconciliation",
                "state": "final",
                "result": "approved",
                "created_at": "2026-10-01T10:00:00+00:00",
                "updated_at": "2026-10-01T10:00:00+00:00",
            },
        ]
    },
}


async def test_the_store_journal_moves_in_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    journal_in_tmp_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At first start the Store file's records move into SQLite; the file stays as a backup."""
    hass_storage[LEGACY_KEY] = STORE_FILE
    # The file itself, where Home Assistant keeps it (the harness reads hass_storage).
    monkeypatch.setattr(hass.config, "config_dir", str(tmp_path / "config"))
    store_file = tmp_path / "config" / ".storage" / LEGACY_KEY
    store_file.parent.mkdir(parents=True)
    store_file.write_text("{}")

    journal = await _loaded(hass)
    assert LEGACY_KEY not in hass_storage
    assert not store_file.exists()
    assert (store_file.parent / f"{LEGACY_KEY}.migrated").read_text() == "{}"
    record = await journal.get("old-sale")
    assert record is not None
    assert (record.state, record.result, record.terminal_id) == (
        JournalState.FINAL,
        TransactionResult.APPROVED,
        "T-9",
    )
    assert journal.details("old-sale") == {
        "table": "7",
        "masked_pan": "************1111",
        "announced": True,
    }
    assert [item.reference for item in await journal.unresolved("kinetic-go:A")] == ["left-open"]
    ancient = await journal.get("ancient")
    assert ancient is not None
    assert ancient.answered_error is None
    assert journal.details("ancient") == {}
    # The one unresolved record still blocks its terminal, as it did in the Store.
    with pytest.raises(UnresolvedTransactionError):
        await journal.begin(_record("new"))
    # A second start finds nothing to move (and keeps what changed since).
    await journal.update("left-open", state=JournalState.FINAL, result=TransactionResult.DECLINED)
    again = await _loaded(hass)
    record = await again.get("left-open")
    assert record is not None
    assert record.result is TransactionResult.DECLINED


async def test_retention_is_an_option(
    hass: HomeAssistant, go_entry: MockConfigEntry, journal_in_tmp_path: Path
) -> None:
    """The options flow sets how long the entry's terminal keeps its final records."""
    await setup_entry(hass, go_entry)
    result = await hass.config_entries.options.async_init(go_entry.entry_id)
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    suggested = {key.schema: key.description["suggested_value"] for key in schema}
    assert suggested[CONF_RETENTION_DAYS] == 90
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_MAX_AMOUNT: "500", CONF_RETENTION_DAYS: 0}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MAX_AMOUNT: "500", CONF_RETENTION_DAYS: 3}
    )
    await hass.async_block_till_done()
    assert {key: go_entry.options[key] for key in (CONF_MAX_AMOUNT, CONF_RETENTION_DAYS)} == {
        CONF_MAX_AMOUNT: "500.00",
        CONF_RETENTION_DAYS: 3,
    }
    journal: HomeAssistantJournal = hass.data[DATA_JOURNAL]
    identity = go_entry.runtime_data.coordinator.terminal.identity
    await journal.begin(_record("four-days", terminal=identity))
    await journal.update("four-days", state=JournalState.FINAL)
    await journal.begin(_record("other", terminal="kinetic-go:other"))
    await journal.update("other", state=JournalState.FINAL)
    await _backdate(
        journal_in_tmp_path, datetime.now(UTC) - timedelta(days=4), "four-days", "other"
    )
    assert await journal.async_maintain() == 1
    assert _on_disk(journal_in_tmp_path, "four-days") is None
    assert _on_disk(journal_in_tmp_path, "other") is not None

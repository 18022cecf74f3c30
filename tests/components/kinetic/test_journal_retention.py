"""The journal's retention keeps what the refund limits count, and each terminal's own days.

A refund made on one terminal of a sale of another stays as long as the sale does,
whatever its own terminal's retention; the maintenance never deletes a terminal's
records before its entry has said how long to keep them.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic.const import CONF_MAX_AMOUNT, DOMAIN
from custom_components.kinetic.journal import CONF_RETENTION_DAYS
from kinetic_integration import JournalRecord, JournalState, TransactionResult, TransactionType
from kinetic_integration.journal import SqliteJournal
from kinetic_integration.simulator import KineticGoSimulator

from .conftest import go_data, setup_entry
from .test_export import SECOND_SERIAL, second_entry, second_sim  # noqa: F401 - fixtures
from .test_payments import journal
from .test_refund_rules import refunds, refused

GO = "kinetic-go:serial:KG2SIM0001"
SECOND = f"kinetic-go:serial:{SECOND_SERIAL}"


def _record(reference: str, days: int, **fields: Any) -> JournalRecord:
    """A final approved 30.00 sale of the first terminal, ``days`` old."""
    at = datetime.now(UTC) - timedelta(days=days)
    values: dict[str, Any] = {
        "reference": reference,
        "terminal": GO,
        "type": TransactionType.SALE,
        "amount": "30.00",
        "state": JournalState.FINAL,
        "result": TransactionResult.APPROVED,
        "created_at": at,
        "updated_at": at,
        **fields,
    }
    return JournalRecord(**values)


async def _seed(path: Path, *items: tuple[JournalRecord, dict[str, Any]]) -> None:
    """Write records into the journal file before Home Assistant opens it."""
    database = SqliteJournal(path)
    await database.merge(list(items))
    await database.close()


async def test_a_refund_stays_while_its_sale_does(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    second_entry: MockConfigEntry,  # noqa: F811 - a fixture
    journal_in_tmp_path: Path,
) -> None:
    """A sale of terminal A (90 days) refunded in full on B (1 day): B's refund is kept.

    Deleted with B's retention, the sale would be refundable in full again.
    """
    await _seed(
        journal_in_tmp_path,
        (_record("sale-a", 5), {"announced": True, "outcome_kept": True}),
        (
            _record("refund-b", 3, type=TransactionType.REFUND, terminal=SECOND),
            {"announced": True, "original_reference": "sale-a"},
        ),
        (_record("plain-b", 3, terminal=SECOND), {"announced": True}),
    )
    hass.config_entries.async_update_entry(
        second_entry, options={CONF_RETENTION_DAYS: 1, CONF_MAX_AMOUNT: "500.00"}
    )
    await setup_entry(hass, go_entry)  # sets up both
    assert await journal(hass).async_maintain() == 1  # B's own sale, past its day
    assert await journal(hass).database.get("plain-b") is None
    err = await refused(hass, go_entry, amount="30.00", original_reference="sale-a")
    assert err.translation_key == "refund_exceeds_sale"
    assert refunds(go_sim) == []
    # The sale past its own retention: both go (the refund in the same maintenance).
    long_ago = (datetime.now(UTC) - timedelta(days=100)).isoformat()
    with closing(sqlite3.connect(journal_in_tmp_path)) as db, db:
        db.execute("UPDATE intents SET updated_at = ? WHERE reference = 'sale-a'", (long_ago,))
    assert await journal(hass).async_maintain() == 2
    assert await journal(hass).database.get("refund-b") is None


async def test_no_terminal_pruned_before_its_entry_says_its_retention(
    hass: HomeAssistant, go_sim: KineticGoSimulator, journal_in_tmp_path: Path
) -> None:
    """An entry keeping 365 days: its 100-day-old sale survives startup and maintenance.

    Startup's maintenance used to run before any entry had said its retention, and
    deleted everything past the default 90 days.
    """
    await _seed(
        journal_in_tmp_path,
        (_record("old-sale", 100), {"announced": True}),
        (_record("not-set-up", 100, terminal="kinetic-go:serial:ELSEWHERE"), {}),
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Kinetic Go 2 KG2SIM0001",
        unique_id=go_sim.serial,
        data=go_data(go_sim),
        options={CONF_RETENTION_DAYS: 365, CONF_MAX_AMOUNT: "500.00"},
    )
    entry.add_to_hass(hass)
    # Another terminal's entry, not set up (disabled): its retention is not known.
    waiting = MockConfigEntry(
        domain=DOMAIN,
        title="Elsewhere",
        unique_id="ELSEWHERE",
        disabled_by=ConfigEntryDisabler.USER,
    )
    waiting.add_to_hass(hass)
    await setup_entry(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await journal(hass).database.get("old-sale") is not None
    assert await journal(hass).async_maintain() == 0
    assert len(await journal(hass).database.records(["old-sale", "not-set-up"])) == 2
    # Its entry removed, the other terminal's records go by the default retention.
    await hass.config_entries.async_remove(waiting.entry_id)
    assert await journal(hass).async_maintain() == 1
    assert await journal(hass).database.get("old-sale") is not None


async def test_an_entry_set_up_during_maintenance_changes_nothing_under_it(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """A retention said while a prune is awaited (an entry set up at Home Assistant's start).

    The first maintenance runs once Home Assistant has started, while entries may still
    be setting up; it used to fail with "dictionary changed size during iteration".
    """
    await setup_entry(hass, go_entry)
    store = journal(hass)
    for number in range(3):
        store.set_retention(f"kinetic-go:serial:OTHER{number}", timedelta(days=30))
    maintenance = hass.async_create_task(store.async_maintain())
    # Each prune runs in the journal's writer thread: the loop turns while it is awaited.
    late = 0
    while not maintenance.done():
        late += 1
        store.set_retention(f"kinetic-go:serial:LATE{late}", timedelta(days=1))
        await asyncio.sleep(0)
    assert late > 1  # terminals were added while it ran
    assert await maintenance == 0

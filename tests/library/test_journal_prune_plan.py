"""The prune finds what a refund or a reversal names through indexes, never a scan."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from kinetic_integration.journal import SqliteJournal
from kinetic_integration.journal.schema import names_none_kept


async def test_prune_looks_up_what_is_named_through_indexes(tmp_path: Path) -> None:
    """Each way of naming a record is one look-up in an index (no scan per refund).

    An ``OR`` over the three made SQLite scan the table once per refund, while every
    sale waited for the prune.
    """
    journal = SqliteJournal(tmp_path / "j.db", wal=True)
    assert await journal.get("none") is None  # opens the file: its table and indexes
    await journal.close()
    condition = names_none_kept("original_reference")
    query = f"EXPLAIN QUERY PLAN DELETE FROM intents WHERE terminal = 'go:A' AND {condition}"
    with closing(sqlite3.connect(journal.path)) as db:
        plan = [row[3] for row in db.execute(query)]
    named = [step for step in plan if " named " in f" {step} "]
    assert named == [
        "SEARCH named USING COVERING INDEX sqlite_autoindex_intents_1 (reference=?)",
        "SEARCH named USING COVERING INDEX intents_by_terminal_id (terminal=? AND terminal_id=?)",
        "SEARCH named USING INDEX intents_detail_terminal_number (<expr>=?)",
    ], plan

"""The SQLite store's own features: details, WAL mode, indexed loading, pruning, merging."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from kinetic_integration.errors import UnresolvedTransactionError
from kinetic_integration.journal import (
    JournalClaimError,
    JournalRecord,
    JournalState,
    SqliteJournal,
)
from kinetic_integration.journal.schema import CREATED_IN_RANGE, SELECT, UNRESOLVED
from kinetic_integration.models.common import TransactionResult, TransactionType

NOW = datetime.now(UTC)


def _record(reference: str, terminal: str = "go:A", **changes: Any) -> JournalRecord:
    values: dict[str, Any] = {
        "reference": reference,
        "terminal": terminal,
        "type": TransactionType.SALE,
        "amount": "1.00",
        "state": JournalState.PENDING,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return JournalRecord(**values)


@pytest.fixture
async def wal(tmp_path: Path) -> Any:
    journal = SqliteJournal(tmp_path / "j.db", wal=True, flags=("announced",))
    yield journal
    await journal.close()


async def test_details_are_merged_and_kept_apart_from_the_record(wal: SqliteJournal) -> None:
    assert await wal.begin_with_details(_record("a"), {"table": "4", "announced": False}) == {
        "table": "4",
        "announced": False,
    }
    assert await wal.set_details("a", {"announced": True}) == {"table": "4", "announced": True}
    assert await wal.set_details("missing", {"x": 1}) is None
    # A pending reference re-claimed keeps its details and adds the new ones.
    merged = await wal.begin_with_details(_record("a", claim="c2"), {"clerk": "Ann"})
    assert merged == {"table": "4", "announced": True, "clerk": "Ann"}
    found = await wal.get_with_details("a")
    assert found is not None
    assert found[0].claim == "c2"
    assert found[1] == merged
    # The library's own runs write no details.
    await wal.begin(_record("b", terminal="go:B"))
    assert await wal.get_with_details("b") == (await wal.get("b"), {})


async def test_wal_mode_one_connection_and_full_sync(wal: SqliteJournal) -> None:
    await wal.begin(_record("a"))
    with closing(sqlite3.connect(wal.path)) as other, other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        # Committed (another connection sees it) before begin returned.
        assert other.execute("SELECT state FROM intents").fetchall() == [("pending",)]
    assert wal._open is not None
    assert wal._open.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    await wal.close()
    # The last connection closed: the log is checkpointed into the file and removed.
    assert not wal.path.with_name(wal.path.name + "-wal").exists()
    assert await wal.get("a") is not None  # opened again on use


async def test_an_old_journal_file_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(
            """
            CREATE TABLE intents (reference TEXT PRIMARY KEY, terminal TEXT NOT NULL,
                type TEXT NOT NULL, amount TEXT, state TEXT NOT NULL, result TEXT,
                terminal_id TEXT, message TEXT, created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE INDEX intents_by_terminal ON intents (terminal, state);
            """
        )
        db.execute(
            "INSERT INTO intents VALUES ('old', 'go:A', 'sale', '2.00', 'sent', NULL, NULL, "
            "NULL, ?, ?)",
            (NOW.isoformat(), NOW.isoformat()),
        )
    journal = SqliteJournal(path)
    with pytest.raises(UnresolvedTransactionError):
        await journal.begin(_record("new"))
    assert await journal.get_with_details("old") == (await journal.get("old"), {})
    with closing(sqlite3.connect(path)) as db, db:
        indexes = {row[1] for row in db.execute("PRAGMA index_list(intents)")}
    assert "intents_by_terminal" not in indexes
    assert {"intents_unresolved", "intents_by_creation"} <= indexes


async def test_load_reads_only_through_indexes(wal: SqliteJournal) -> None:
    old = NOW - timedelta(days=30)
    await wal.merge(
        [
            (_record("old-done", state=JournalState.FINAL, created_at=old), {"announced": True}),
            (_record("old-open", state=JournalState.SENT, created_at=old), {}),
            (
                _record("old-owed", terminal="go:B", state=JournalState.FINAL, created_at=old),
                {"announced": False},
            ),
            (_record("today", terminal="go:C", state=JournalState.FINAL), {"announced": True}),
        ]
    )
    loaded = await wal.load(created_since=NOW - timedelta(days=1), flag="announced")
    assert [record.reference for record, _ in loaded] == ["old-open", "old-owed", "today"]
    assert [record.reference for record, _ in await wal.load(created_since=NOW)] == [
        "old-open",
        "today",
    ]
    # A time in another zone (Home Assistant's local midnight) means the same moment.
    perth = timezone(timedelta(hours=8))
    assert [
        record.reference
        for record, _ in await wal.load(
            created_since=(NOW - timedelta(minutes=1)).astimezone(perth)
        )
    ] == [
        "old-open",
        "today",
    ]
    with pytest.raises(ValueError, match="not one of"):
        await wal.load(created_since=NOW, flag="other")
    # None of the three queries scans the table (whatever its size).
    with closing(sqlite3.connect(wal.path)) as db, db:
        for where, index in (
            (UNRESOLVED, "intents_unresolved"),
            ("created_at >= '2026-01-01'", "intents_by_creation (created_at>?)"),
            ("json_extract(details, '$.announced') = 0", "intents_announced_false"),
        ):
            query = f"EXPLAIN QUERY PLAN {SELECT} WHERE {where}"
            plan = " ".join(row[3] for row in db.execute(query))
            # A partial index holds only the rows it names: walking it reads only those.
            assert plan.endswith(f"USING INDEX {index}"), (where, plan)
    with pytest.raises(ValueError, match="identifiers"):
        SqliteJournal(wal.path, flags=("x') OR 1=1 --",))


async def test_created_between_reads_the_range_through_its_index(wal: SqliteJournal) -> None:
    """Records created in [start, end), of the terminals asked for, oldest first."""
    start = NOW - timedelta(days=1)
    end = NOW
    await wal.merge(
        [
            (_record("before", created_at=start - timedelta(microseconds=1)), {}),
            (_record("first", created_at=start, state=JournalState.FINAL), {"table": "4"}),
            (_record("open", terminal="go:B", created_at=start + timedelta(hours=1)), {}),
            (_record("other", terminal="go:C", created_at=start + timedelta(hours=2)), {}),
            (_record("at-end", created_at=end), {}),
        ]
    )
    found = await wal.created_between(start, end)
    assert [record.reference for record, _ in found] == ["first", "open", "other"]
    assert found[0][1] == {"table": "4"}
    only = await wal.created_between(start, end, terminals=["go:A", "go:B"])
    assert [record.reference for record, _ in only] == ["first", "open"]
    assert await wal.created_between(start, end, terminals=[]) == []
    # The same moments in another zone (Home Assistant's local day) find the same.
    perth = timezone(timedelta(hours=8))
    shifted = await wal.created_between(start.astimezone(perth), end.astimezone(perth))
    assert [record.reference for record, _ in shifted] == ["first", "open", "other"]
    # Only the range is read, whatever the size of the table.
    with closing(sqlite3.connect(wal.path)) as db, db:
        for where in (CREATED_IN_RANGE, f"{CREATED_IN_RANGE} AND terminal IN (?, ?)"):
            params = ("2026-01-01", "2026-01-02", "go:A", "go:B")[: where.count("?")]
            plan = " ".join(
                row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {SELECT} WHERE {where}", params)
            )
            assert plan.endswith(
                "USING INDEX intents_by_creation (created_at>? AND created_at<?)"
            ), plan


async def test_prune_keeps_unresolved_and_honours_terminals(wal: SqliteJournal) -> None:
    old = NOW - timedelta(days=10)
    await wal.merge(
        [
            (_record("a-old", state=JournalState.FINAL, updated_at=old), {}),
            (_record("a-open", state=JournalState.SENT, updated_at=old), {}),
            (_record("b-old", terminal="go:B", state=JournalState.NOT_SENT, updated_at=old), {}),
            (_record("c-old", terminal="go:C", state=JournalState.ABANDONED, updated_at=old), {}),
            (_record("c-new", terminal="go:C", state=JournalState.FINAL), {}),
        ]
    )
    assert await wal.prune(NOW - timedelta(days=5), terminal="go:A") == 1
    assert await wal.prune(NOW - timedelta(days=5), keep=("go:B",)) == 1
    left = await wal.records(["a-old", "a-open", "b-old", "c-old", "c-new"])
    assert [record.reference for record, _ in left] == ["a-open", "b-old", "c-new"]


async def test_merge_keeps_the_later_change(wal: SqliteJournal) -> None:
    await wal.begin(_record("a"))
    await wal.update("a", state=JournalState.FINAL, result=TransactionResult.APPROVED)
    earlier = _record("a", state=JournalState.SENT, updated_at=NOW - timedelta(hours=1))
    later = _record("b", state=JournalState.FINAL, terminal="go:B")
    assert await wal.merge([(earlier, {"x": 1}), (later, {"y": 2})]) == 1
    record = await wal.get("a")
    assert record is not None
    assert record.state is JournalState.FINAL
    newer = _record(
        "b",
        terminal="go:B",
        state=JournalState.FINAL,
        message="again",
        updated_at=NOW + timedelta(seconds=1),
    )
    assert await wal.merge([(newer, {"y": 3})]) == 1
    assert await wal.get_with_details("b") == (newer, {"y": 3})


async def test_records_are_found_by_a_detail_through_its_index(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db", wal=True, lookups=("original_reference",))
    earlier = NOW - timedelta(days=40)
    await journal.merge(
        [
            (_record("sale", state=JournalState.FINAL, created_at=earlier), {"table": "12"}),
            (
                _record("refund-2", state=JournalState.SENT, type=TransactionType.REFUND),
                {"original_reference": "sale"},
            ),
            (
                _record("refund-1", type=TransactionType.REFUND, created_at=earlier),
                {"original_reference": "sale", "clerk": "Ann"},
            ),
            (_record("other", type=TransactionType.REFUND), {"original_reference": "sale-2"}),
            (_record("plain", type=TransactionType.REFUND), {}),
        ]
    )
    found = await journal.with_detail("original_reference", "sale")
    # Oldest first, whatever their age, with their details.
    assert [(record.reference, details) for record, details in found] == [
        ("refund-1", {"original_reference": "sale", "clerk": "Ann"}),
        ("refund-2", {"original_reference": "sale"}),
    ]
    assert await journal.with_detail("original_reference", "nothing") == []
    # Only the keys the journal indexes: a lookup never scans the table.
    with pytest.raises(ValueError, match="not one of"):
        await journal.with_detail("table", "12")
    with closing(sqlite3.connect(journal.path)) as db, db:
        query = (
            f"EXPLAIN QUERY PLAN {SELECT} WHERE json_extract(details, '$.original_reference') = ?"
        )
        plan = " ".join(row[3] for row in db.execute(query, ("sale",)))
    assert plan.endswith("USING INDEX intents_detail_original_reference (<expr>=?)"), plan
    await journal.close()
    with pytest.raises(ValueError, match="identifiers"):
        SqliteJournal(journal.path, lookups=("x') OR 1=1 --",))


async def test_prune_keeps_what_names_a_record_still_kept(wal: SqliteJournal) -> None:
    """A refund or reversal stays while its original does, whatever its own age."""
    old, older = NOW - timedelta(days=10), NOW - timedelta(days=20)
    linked = ("original_reference", "original_id")
    await wal.merge(
        [
            (_record("sale", state=JournalState.FINAL), {}),
            (
                _record("refund", "go:B", state=JournalState.FINAL, updated_at=old),
                {"original_reference": "sale"},
            ),
            # A reversal naming the terminal's id of its original (same terminal only).
            (_record("sale-2", state=JournalState.FINAL, terminal_id="T-7"), {}),
            (_record("void", state=JournalState.FINAL, updated_at=old), {"original_id": "T-7"}),
            (
                _record("void-b", "go:B", state=JournalState.FINAL, updated_at=old),
                {"original_id": "T-7"},
            ),
            # By the number the terminal shows.
            (_record("sale-3", state=JournalState.FINAL), {"terminal_number": "0042"}),
            (_record("void-3", state=JournalState.FINAL, updated_at=old), {"original_id": "0042"}),
            # Both old: the original goes, and what named it with it (the next round).
            (_record("gone", state=JournalState.FINAL, updated_at=older), {}),
            (
                _record("gone-refund", "go:B", state=JournalState.FINAL, updated_at=old),
                {"original_reference": "gone"},
            ),
            (
                _record("orphan", state=JournalState.FINAL, updated_at=old),
                {"original_reference": "never-here"},
            ),
        ]
    )
    assert await wal.prune(NOW - timedelta(days=5), linked=linked) == 4
    left = await wal.records(
        ["sale", "refund", "sale-2", "void", "void-b", "sale-3", "void-3", "gone", "gone-refund"]
    )
    assert {record.reference for record, _ in left} == {
        "sale",
        "refund",
        "sale-2",
        "void",
        "sale-3",
        "void-3",
    }
    # Without ``linked`` the age alone decides (the library's own callers).
    assert await wal.prune(NOW - timedelta(days=5)) == 3


async def test_update_adds_details_in_the_same_change(wal: SqliteJournal) -> None:
    """Details merged with the change; a compare-and-set that fails writes neither."""
    await wal.begin_with_details(_record("a", claim="c1"), {"table": "4"})
    with pytest.raises(JournalClaimError):
        await wal.update("a", state=JournalState.SENT, claim="c2", details={"tip": "1.00"})
    assert await wal.get_with_details("a") == (await wal.get("a"), {"table": "4"})
    record = await wal.update(
        "a", state=JournalState.FINAL, claim="c1", details={"tip": "1.00", "table": None}
    )
    assert record.state is JournalState.FINAL
    assert await wal.get_with_details("a") == (record, {"tip": "1.00"})
    # A record without details of its own takes them too.
    await wal.begin(_record("b", terminal="go:B"))
    await wal.update("b", details={"x": 1})
    found = await wal.get_with_details("b")
    assert found is not None
    assert found[1] == {"x": 1}

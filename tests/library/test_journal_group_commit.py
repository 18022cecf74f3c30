"""Group commit (the WAL journal's one writer thread): shared commits, each write its own."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kinetic_integration.errors import UnresolvedTransactionError
from kinetic_integration.journal import JournalError, JournalRecord, JournalState, SqliteJournal
from kinetic_integration.journal.group_commit import GroupCommitter, immediate
from kinetic_integration.models.common import TransactionType


def _record(reference: str, terminal: str) -> JournalRecord:
    moment = datetime.now(UTC)
    return JournalRecord(
        reference=reference,
        terminal=terminal,
        type=TransactionType.SALE,
        amount="1.00",
        state=JournalState.PENDING,
        created_at=moment,
        updated_at=moment,
        claim="c",
    )


def _on_disk(path: Path, reference: str) -> str | None:
    """Read a record's state through a connection of its own (what a crash would keep)."""
    with closing(sqlite3.connect(path)) as db:
        row = db.execute("SELECT state FROM intents WHERE reference = ?", (reference,)).fetchone()
    return row[0] if row else None


async def test_writes_at_once_share_commits_and_each_is_on_disk_when_awaited(
    tmp_path: Path,
) -> None:
    """Thirty sales writing at once: fewer commits than writes, none returns before its own."""
    path = tmp_path / "j.db"
    journal = SqliteJournal(path, wal=True)
    seen: dict[str, tuple[str | None, str | None]] = {}

    async def sale(number: int) -> None:
        reference = f"r{number}"
        await journal.begin(_record(reference, f"go:{number}"))
        pending = _on_disk(path, reference)
        await journal.update(reference, state=JournalState.SENT, claim="c")
        seen[reference] = (pending, _on_disk(path, reference))

    try:
        await asyncio.gather(*(sale(number) for number in range(30)))
        committer = journal._committer
        assert committer is not None
        assert committer.calls >= 60
        assert committer.commits < committer.calls
    finally:
        await journal.close()
    assert seen == {f"r{number}": ("pending", "sent") for number in range(30)}


async def test_a_failing_call_undoes_only_its_own_changes(tmp_path: Path) -> None:
    """Three calls in one batch: the failing one's insert is undone, the others committed."""
    db = sqlite3.connect(tmp_path / "x.db", isolation_level=None, check_same_thread=False)
    db.execute("CREATE TABLE t (v TEXT)")
    committer = GroupCommitter(lambda: db)

    def write(value: str, *, fail: bool) -> str:
        with immediate(db):
            db.execute("INSERT INTO t VALUES (?)", (value,))
            if fail:
                raise ValueError(value)
        return value

    try:
        # The writer thread is busy with the first call while the next three queue up.
        busy = asyncio.ensure_future(committer.run(time.sleep, 0.2))
        await asyncio.sleep(0.05)
        results = await asyncio.gather(
            committer.run(lambda: write("kept", fail=False)),
            committer.run(lambda: write("undone", fail=True)),
            committer.run(lambda: write("kept too", fail=False)),
            return_exceptions=True,
        )
        await busy
        assert results[0] == "kept"
        assert isinstance(results[1], ValueError)
        assert results[2] == "kept too"
        assert committer.calls == 4
        assert committer.commits <= 2  # the three queued behind the first: one commit
        rows = [row[0] for row in db.execute("SELECT v FROM t ORDER BY rowid")]
        assert rows == ["kept", "kept too"]
    finally:
        committer.stop()
        db.close()


async def test_a_refused_begin_in_a_batch_leaves_the_others_written(tmp_path: Path) -> None:
    """The library's rules hold inside a shared commit: one terminal, one open record."""
    path = tmp_path / "j.db"
    journal = SqliteJournal(path, wal=True)
    try:
        results = await asyncio.gather(
            journal.begin(_record("a", "go:A")),
            journal.begin(_record("b", "go:A")),
            journal.begin(_record("c", "go:C")),
            return_exceptions=True,
        )
        assert isinstance(results[1], UnresolvedTransactionError)
        assert [_on_disk(path, ref) for ref in "abc"] == ["pending", None, "pending"]
    finally:
        await journal.close()


async def test_closed_then_used_again(tmp_path: Path) -> None:
    """Closing commits what was queued and ends the thread; the next call starts anew."""
    path = tmp_path / "j.db"
    journal = SqliteJournal(path, wal=True)
    await journal.begin(_record("a", "go:A"))
    await journal.close()
    assert _on_disk(path, "a") == "pending"
    assert await journal.get("a") is not None
    await journal.update("a", state=JournalState.SENT, claim="c")
    await journal.close()
    assert _on_disk(path, "a") == "sent"


async def test_a_journal_that_cannot_open_fails_every_call(tmp_path: Path) -> None:
    """A batch that cannot start (no database) hands its error to each caller."""
    (tmp_path / "in-the-way").write_text("a file where the folder should be")
    journal = SqliteJournal(tmp_path / "in-the-way" / "j.db", wal=True)
    try:
        results = await asyncio.gather(
            journal.begin(_record("a", "go:A")),
            journal.get("a"),
            return_exceptions=True,
        )
        assert all(isinstance(result, JournalError) for result in results)
    finally:
        await journal.close()
    with pytest.raises(JournalError):
        await journal.get("a")
    await journal.close()

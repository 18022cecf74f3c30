"""Group commit (the WAL journal's one writer thread): shared commits, each write its own."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

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


async def test_a_batch_sqlite_rolled_back_whole_tells_no_caller_it_is_written(
    tmp_path: Path,
) -> None:
    """A full disk mid-batch undoes the whole transaction: every call of it fails, with why.

    Before: the calls before the full one were told written (the run would send its
    request believing ``sent`` on disk), the full one got "no such savepoint".
    """
    path = tmp_path / "j.db"
    journal = SqliteJournal(path, wal=True)
    committer = journal._committer
    assert committer is not None
    try:
        await journal.begin(_record("a", "go:A"))

        def cap() -> None:
            db = journal._opened()
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.execute(f"PRAGMA max_page_count={pages + 2}")

        await committer.run(cap, alone=True)
        # The writer thread is busy while the next calls queue up: one batch.
        busy = asyncio.ensure_future(committer.run(time.sleep, 0.3))
        await asyncio.sleep(0.05)
        results = await asyncio.gather(
            journal.update("a", state=JournalState.SENT, claim="c"),
            journal.begin(_record("b", "go:B")),
            journal.begin_with_details(_record("c", "go:C"), {"blob": "x" * 200_000}),
            journal.begin(_record("d", "go:D")),
            return_exceptions=True,
        )
        await busy
        for result in results[:3]:
            assert isinstance(result, JournalError)
            assert "full" in str(result)
        # The call after the lost ones runs in a transaction of its own.
        assert not isinstance(results[3], BaseException)
        await journal.update("a", state=JournalState.FINAL, claim="c")
    finally:
        await journal.close()
    assert [_on_disk(path, ref) for ref in "abcd"] == ["final", None, None, "pending"]


class _DyingDisk:
    """A connection whose COMMIT and ROLLBACK fail, or whose state cannot even be read."""

    def __init__(self, failing: tuple[str, ...]) -> None:
        self.failing = failing
        self.unreadable = False

    @property
    def in_transaction(self) -> bool:
        if self.unreadable:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return True

    def execute(self, sql: str) -> None:
        if sql in self.failing:
            raise sqlite3.OperationalError("disk I/O error")


@pytest.mark.parametrize("unreadable", [False, True])
async def test_a_batch_that_cannot_even_roll_back_fails_its_calls_and_the_thread_serves_on(
    unreadable: bool,
) -> None:
    """Before: the writer thread died there, and its callers waited forever."""
    disk = _DyingDisk(("COMMIT", "ROLLBACK"))
    disk.unreadable = unreadable
    committer = GroupCommitter(lambda: cast(sqlite3.Connection, disk))
    try:
        results = await asyncio.wait_for(
            asyncio.gather(
                committer.run(lambda: 1), committer.run(lambda: 2), return_exceptions=True
            ),
            5,
        )
        assert all(isinstance(result, sqlite3.Error) for result in results)
        disk.failing, disk.unreadable = (), False
        assert await asyncio.wait_for(committer.run(lambda: 3), 5) == 3
    finally:
        committer.stop()


async def test_a_caller_whose_loop_closed_does_not_end_the_writer_thread() -> None:
    """A result nobody awaits any more (its loop is gone) is dropped; the others get theirs."""
    committer = GroupCommitter(lambda: cast(sqlite3.Connection, _DyingDisk(())))

    async def give_up() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(committer.run(time.sleep, 0.3), 0.05)

    try:
        await asyncio.to_thread(asyncio.run, give_up())  # that loop is closed on return
        assert await asyncio.wait_for(committer.run(lambda: 1), 5) == 1
    finally:
        committer.stop()


async def test_calls_after_close_never_share_the_connection_with_the_old_thread() -> None:
    """Before: a stopped thread and the next one took calls from the same queue at once."""
    lock = threading.Lock()
    using = [0, 0]  # now, most at once

    def use() -> None:
        with lock:
            using[0] += 1
            using[1] = max(using)
        time.sleep(0.2)
        with lock:
            using[0] -= 1

    committer = GroupCommitter(lambda: cast(sqlite3.Connection, _DyingDisk(())))
    try:
        first = asyncio.ensure_future(committer.run(use))
        await asyncio.sleep(0.05)  # the first thread is in use()
        committer.stop()
        second = asyncio.ensure_future(committer.run(use))
        await asyncio.sleep(0.05)
        third = asyncio.ensure_future(committer.run(use))
        await asyncio.wait_for(asyncio.gather(first, second, third), 5)
    finally:
        committer.stop()
    assert using == [0, 1]


async def test_an_update_that_fails_midway_leaves_nothing_of_itself(tmp_path: Path) -> None:
    """A failed update inside a batch is undone, not committed with the others."""
    path = tmp_path / "j.db"
    journal = SqliteJournal(path, wal=True)
    try:
        await journal.begin(_record("a", "go:A"))
        with closing(sqlite3.connect(path)) as other:
            # FAIL keeps what the statement changed before it: only a savepoint undoes it.
            other.execute(
                "CREATE TRIGGER refuse AFTER UPDATE ON intents WHEN NEW.state = 'sent' "
                "BEGIN SELECT RAISE(FAIL, 'disk trouble'); END"
            )
            other.commit()
        with pytest.raises(JournalError, match="disk trouble"):
            await journal.update("a", state=JournalState.SENT, claim="c")
    finally:
        await journal.close()
    assert _on_disk(path, "a") == "pending"


async def test_a_prune_that_fails_midway_deletes_nothing(tmp_path: Path) -> None:
    """A prune deletes every record it should or, failing, none (inside a batch too)."""
    path = tmp_path / "j.db"
    journal = SqliteJournal(path, wal=True)
    try:
        for reference in "ab":
            await journal.begin(_record(reference, f"go:{reference}"))
            await journal.update(reference, state=JournalState.FINAL, claim="c")
        with closing(sqlite3.connect(path)) as other:
            # The first deletion goes through, the second fails (and FAIL keeps the first).
            other.execute(
                "CREATE TRIGGER refuse BEFORE DELETE ON intents "
                "WHEN (SELECT count(*) FROM intents) < 2 "
                "BEGIN SELECT RAISE(FAIL, 'disk trouble'); END"
            )
            other.commit()
        with pytest.raises(JournalError, match="disk trouble"):
            await journal.prune(datetime.now(UTC) + timedelta(days=1))
    finally:
        await journal.close()
    assert [_on_disk(path, ref) for ref in "ab"] == ["final", "final"]

"""The journal in one SQLite file: the claim rules and the compare-and-set, in SQL.

Every rule that keeps a charge from being taken twice lives here once: one unresolved
record per terminal, a reference reclaimable only if ``not_sent`` or ``pending`` on the
same terminal (``begin``), and changes that happen only while the run still holds its
claim (``update``). Callers may keep their own details next to each record (a JSON
column the library itself never reads); Home Assistant does.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from ..errors import KineticInputError, UnresolvedTransactionError
from ..models.common import TransactionResult
from .group_commit import GroupCommitter, immediate
from .queries import JournalQueries
from .record import JournalClaimError, JournalError, JournalRecord, JournalState, now
from .schema import (
    ADDED_COLUMNS,
    ALWAYS_INDEXED,
    COLUMNS,
    INSERT,
    SCHEMA,
    SELECT,
    UNRESOLVED,
    Details,
    assignment,
    detail_index,
    names_none_kept,
    stored_time,
    to_details,
    to_record,
    to_row,
)

_T = TypeVar("_T")


class SqliteJournal(JournalQueries):
    """A :class:`JournalStore` in one SQLite file (created with its folder on first use).

    Every blocking call runs in a worker thread, so the event loop never blocks on disk.
    By default each call opens its own short-lived connection, so separate processes
    (two CLI runs) see each other's records. With ``wal`` (a long-running process: Home
    Assistant) one connection stays open in WAL mode, served by one thread that commits
    the calls queued meanwhile together (:mod:`.group_commit`): a change appends only
    its own pages to the write-ahead log. Either way a change is committed and fsynced
    (``synchronous=FULL``) before its call returns, and ``begin`` runs in an IMMEDIATE
    transaction, so two runs cannot both start a transaction on the same terminal.

    ``flags``: keys of the details whose ``false`` the caller looks records up by
    (:meth:`load`); each gets a partial index, so finding them never reads the rest.
    ``lookups``: keys of the details whose value the caller looks records up by
    (:meth:`with_detail`); each gets an index of the records that have it.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        wal: bool = False,
        timeout: float = 30.0,
        flags: Collection[str] = (),
        lookups: Collection[str] = (),
    ) -> None:
        """Remember where the journal lives; nothing is opened yet."""
        if not all(key.isidentifier() for key in (*flags, *lookups)):
            raise ValueError(f"Detail keys must be identifiers: {sorted({*flags, *lookups})}")
        self.path = Path(path)
        self.wal = wal
        self.timeout = timeout
        self.flags = tuple(flags)
        self.lookups = tuple(lookups)
        self._open: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._committer = GroupCommitter(self._opened) if wal else None

    def _new_connection(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        try:
            if self.wal:
                # Small pages (a new file only): a change rewrites a few of them, and a
                # few KiB per change is what a Raspberry Pi's SD card has to write.
                connection.execute("PRAGMA page_size=1024")
                connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.executescript(SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(intents)")}
            for column in ADDED_COLUMNS:
                if column not in columns:
                    connection.execute(f"ALTER TABLE intents ADD COLUMN {column} TEXT")
            for flag in self.flags:
                connection.execute(
                    f"CREATE INDEX IF NOT EXISTS intents_{flag}_false ON intents (terminal) "
                    f"WHERE json_extract(details, '$.{flag}') = 0"
                )
            for key in dict.fromkeys((*ALWAYS_INDEXED, *self.lookups)):
                connection.execute(detail_index(key))
        except BaseException:
            connection.close()
            raise
        return connection

    def _opened(self) -> sqlite3.Connection:
        """Return the connection kept open (``wal``), opening it if needed."""
        with self._lock:
            if self._open is None:
                self._open = self._new_connection()
            return self._open

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self.wal:
            connection = self._new_connection()
            try:
                yield connection
            finally:
                connection.close()
            return
        with self._lock:  # one call at a time on the open connection
            yield self._opened()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Run in an IMMEDIATE transaction: no other writer between our read and our write."""
        with self._connect() as db, immediate(db):
            yield db

    def _close(self) -> None:
        with self._lock:
            if self._open is not None:
                self._open.close()
                self._open = None

    def _get(self, reference: str) -> tuple[JournalRecord, Details] | None:
        with self._connect() as db:
            row = db.execute(f"{SELECT} WHERE reference = ?", (reference,)).fetchone()
        return (to_record(row), to_details(row[12])) if row else None

    def _begin(self, record: JournalRecord, details: Mapping[str, Any]) -> Details:
        with self._transaction() as db:
            blocking = db.execute(
                f"SELECT reference FROM intents WHERE terminal = ? AND {UNRESOLVED} "  # noqa: S608
                "AND reference != ? ORDER BY created_at LIMIT 1",
                (record.terminal, record.reference),
            ).fetchone()
            if blocking:
                raise UnresolvedTransactionError(
                    f"Transaction {blocking[0]} on this terminal has no confirmed outcome; "
                    f"resume it with --reference {blocking[0]} first",
                    reference=blocking[0],
                )
            existing = db.execute(f"{SELECT} WHERE reference = ?", (record.reference,)).fetchone()
            reclaimable = existing is None or existing[4] == JournalState.NOT_SENT.value
            if existing and existing[4] == JournalState.PENDING.value:
                # Never sent (sending needs the claim): another run may take it over.
                reclaimable = existing[1] == record.terminal
            if not reclaimable:
                raise KineticInputError(f"Reference {record.reference} is already in use")
            merged = {**(to_details(existing[12]) if existing else {}), **details}
            db.execute(INSERT, to_row(record, merged))
        return merged

    def _update(
        self,
        reference: str,
        changes: dict[str, str | None],
        claim: str | None,
        expect_states: tuple[str, ...] | None,
    ) -> JournalRecord:
        changes["updated_at"] = now().isoformat()
        assignments = ", ".join(assignment(column) for column in changes)
        where = "reference = ?"
        params: list[str | None] = [*changes.values(), reference]
        if claim is not None:
            where += " AND claim = ?"
            params.append(claim)
        if expect_states is not None:
            where += f" AND state IN ({', '.join('?' for _ in expect_states)})"
            params.extend(expect_states)
        with self._transaction() as db:  # in a batch: undone alone if it fails
            cursor = db.execute(
                f"UPDATE intents SET {assignments} WHERE {where}",  # noqa: S608 - our columns
                params,
            )
            changed = cursor.rowcount
        if changed != 1 and (claim is not None or expect_states is not None):
            raise JournalClaimError(
                f"Reference {reference} was taken over by another run; "
                f"resume it with --reference {reference}"
            )
        found = self._get(reference)
        if found is None:
            raise KineticInputError(f"No journal record for {reference}")
        return found[0]

    def _set_details(self, reference: str, changes: Mapping[str, Any]) -> Details | None:
        with self._transaction() as db:
            row = db.execute("SELECT details FROM intents WHERE reference = ?", (reference,))
            found = row.fetchone()
            if found is None:
                return None
            merged = {**to_details(found[0]), **changes}
            db.execute(
                "UPDATE intents SET details = ? WHERE reference = ?",
                (json.dumps(merged, separators=(",", ":")), reference),
            )
        return merged

    def _select(self, where: str, params: Iterable[Any]) -> list[tuple[JournalRecord, Details]]:
        """Return the matching records, oldest first.

        Sorted here: an ORDER BY would lead SQLite to walk the whole creation index
        instead of the (partial) index ``where`` needs.
        """
        with self._connect() as db:
            rows = db.execute(f"{SELECT} WHERE {where}", tuple(params)).fetchall()
        found = [(to_record(row), to_details(row[12])) for row in rows]
        return sorted(found, key=lambda item: item[0].created_at)

    def _load(
        self, created_since: datetime, flag: str | None
    ) -> list[tuple[JournalRecord, Details]]:
        # Three queries, each answered by its own (partial) index, never the whole table.
        found = self._select(UNRESOLVED, ())
        found += self._select("created_at >= ?", (stored_time(created_since),))
        if flag is not None:
            if flag not in self.flags:
                raise ValueError(f"{flag} is not one of this journal's flags")
            found += self._select(f"json_extract(details, '$.{flag}') = 0", ())
        unique = {record.reference: (record, details) for record, details in found}
        return sorted(unique.values(), key=lambda item: item[0].created_at)

    def _prune(
        self, before: datetime, terminal: str | None, keep: tuple[str, ...], linked: tuple[str, ...]
    ) -> int:
        where = f"NOT {UNRESOLVED} AND updated_at < ?"
        params: list[Any] = [stored_time(before)]
        if terminal is not None:
            where += " AND terminal = ?"
            params.append(terminal)
        if keep:
            where += f" AND terminal NOT IN ({', '.join('?' for _ in keep)})"
            params.extend(keep)
        for key in linked:
            where += f" AND {names_none_kept(key)}"
        removed = 0
        with self._transaction() as db:  # all rounds or none
            # A record freed by the deletion of the one it named goes in the next round.
            while deleted := db.execute(f"DELETE FROM intents WHERE {where}", params).rowcount:  # noqa: S608
                removed += deleted
                if not linked:
                    break
        return removed

    def _merge(self, items: list[tuple[JournalRecord, Mapping[str, Any]]]) -> int:
        with self._transaction() as db:
            before = db.total_changes
            db.executemany(
                INSERT.replace("OR REPLACE ", "")
                + " ON CONFLICT (reference) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS.split(", ")[1:])
                + " WHERE excluded.updated_at > intents.updated_at",
                [to_row(record, details) for record, details in items],
            )
            return db.total_changes - before

    async def _call(self, func: Callable[..., _T], *args: Any, alone: bool = False) -> _T:
        """Run one blocking call in a worker thread; disk trouble becomes JournalError.

        With ``wal``, in the group-commit thread (``alone``: outside its transactions).
        """
        try:
            if self._committer is not None:
                result: _T = await self._committer.run(func, *args, alone=alone)
                return result
            return await asyncio.to_thread(func, *args)
        except (sqlite3.Error, OSError) as err:
            raise JournalError(
                f"Cannot use the journal at {self.path}: {type(err).__name__}: {err}"
            ) from err

    async def get(self, reference: str) -> JournalRecord | None:
        """Return the record of ``reference``, if any."""
        found = await self._call(self._get, reference)
        return found[0] if found else None

    async def get_with_details(self, reference: str) -> tuple[JournalRecord, Details] | None:
        """Return the record of ``reference`` and its details, if any."""
        return await self._call(self._get, reference)

    async def begin(self, record: JournalRecord) -> JournalRecord:
        """Write a new intent atomically (see :class:`JournalStore`)."""
        await self._call(self._begin, record, {})
        return record

    async def begin_with_details(
        self, record: JournalRecord, details: Mapping[str, Any]
    ) -> Details:
        """``begin``, adding ``details`` to those the reference has; return them all."""
        return await self._call(self._begin, record, details)

    async def update(
        self,
        reference: str,
        *,
        state: JournalState | None = None,
        result: TransactionResult | None = None,
        terminal_id: str | None = None,
        message: str | None = None,
        claim: str | None = None,
        expect_states: Collection[JournalState] | None = None,
        answered_error: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> JournalRecord:
        """Change a record (compare-and-set: ``claim``, ``expect_states``); add ``details``."""
        changes: dict[str, str | None] = {}
        if details:
            changes["details"] = json.dumps(dict(details), separators=(",", ":"))
        if answered_error is not None:
            changes["answered_error"] = answered_error
        if state is not None:
            changes["state"] = state.value
        if result is not None:
            changes["result"] = result.value
        if terminal_id is not None:
            changes["terminal_id"] = terminal_id
        if message is not None:
            changes["message"] = message
        states = tuple(state.value for state in expect_states) if expect_states else None
        return await self._call(self._update, reference, changes, claim, states)

    async def unresolved(self, terminal: str) -> list[JournalRecord]:
        """Return the unresolved records of one terminal, oldest first."""
        found = await self._call(self._select, f"terminal = ? AND {UNRESOLVED}", (terminal,))
        return [record for record, _details in found]

    async def set_details(self, reference: str, changes: Mapping[str, Any]) -> Details | None:
        """Add ``changes`` to a record's details (None if there is no such record)."""
        return await self._call(self._set_details, reference, changes)

    async def load(
        self, *, created_since: datetime, flag: str | None = None
    ) -> list[tuple[JournalRecord, Details]]:
        """Return what a long-running process keeps at hand, with details, oldest first.

        Every unresolved record, every one created at or after ``created_since`` and, with
        ``flag``, every one whose details say ``flag: false``.
        """
        return await self._call(self._load, created_since, flag)

    async def prune(
        self,
        before: datetime,
        *,
        terminal: str | None = None,
        keep: Collection[str] = (),
        linked: Collection[str] = (),
    ) -> int:
        """Delete resolved records last changed before ``before``; return how many.

        Only those of ``terminal`` if given; never those of the terminals in ``keep``.
        Unresolved records are never deleted, nor a record whose detail in ``linked``
        names a record still kept (a refund of a sale, a reversal of a transaction: who
        counts what was returned needs them as long as the original is there); named
        as :meth:`find` does, by reference or, on the same terminal, the terminal's id
        or number.
        """
        return await self._call(self._prune, before, terminal, tuple(keep), tuple(linked))

    async def merge(self, items: Iterable[tuple[JournalRecord, Mapping[str, Any]]]) -> int:
        """Write records from elsewhere (a migration) in one transaction; return how many.

        A reference already here is replaced only by a record changed later.
        """
        return await self._call(self._merge, list(items))

    async def close(self) -> None:
        """Close the connection kept open (``wal``); the next call opens it again."""
        await self._call(self._close, alone=True)
        if self._committer is not None:
            self._committer.stop()

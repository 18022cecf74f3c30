"""Durable intent records, so a charge is never taken twice or forgotten.

Every money-moving request is written down (``pending``) before it is sent, marked
``sent`` right before the request leaves, updated with the terminal's own id as soon as
it is known (the Payment Engine request key) and closed (``final``) with the result.
A record whose outcome is not confirmed stays ``sent``; a request that provably never
reached the terminal is ``not_sent`` and its reference may be used again.

:class:`JournaledPayments` drives a :class:`~kinetic_integration.terminal.Terminal` through
that cycle. It resumes a known reference instead of charging again, and refuses to start a
new transaction on a terminal that still has an unresolved one. Storage is a
:class:`JournalStore`: :class:`SqliteJournal` here (stdlib only, its blocking calls run in a
worker thread); Home Assistant plugs in its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import sqlite3
import weakref
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .errors import (
    KineticDeviceError,
    KineticError,
    KineticInputError,
    KineticNotStartedError,
    UnresolvedTransactionError,
)
from .models.common import Transaction, TransactionResult, TransactionType
from .money import format_amount
from .terminal import Operation, PreviousAttempt, Terminal

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")


class JournalError(KineticError):
    """The journal could not be read or written."""

    code = "journal_error"


class JournalClaimError(KineticError):
    """Another run took this reference over before our request left; we sent nothing.

    The outcome is whatever that other run gets: resume with the same reference.
    """

    code = "claim_lost"


class JournalState(StrEnum):
    """Where a recorded transaction stands."""

    PENDING = "pending"  # intent written, request not sent yet
    SENT = "sent"  # the request may have reached the terminal; outcome not confirmed
    FINAL = "final"  # the terminal confirmed a final result
    NOT_SENT = "not_sent"  # provably never reached the terminal; the reference is free
    #: A person checked the terminal or gateway by hand and released the terminal; the
    #: reference is still only ever looked up, never sent again.
    ABANDONED = "abandoned"

    @property
    def is_unresolved(self) -> bool:
        """Whether this record blocks new transactions on its terminal."""
        return self in (JournalState.PENDING, JournalState.SENT)


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalRecord:
    """One intended transaction. Amounts are strings in major units ("12.34")."""

    reference: str
    terminal: str
    type: TransactionType
    amount: str | None
    state: JournalState
    result: TransactionResult | None = None
    terminal_id: str | None = None
    message: str | None = None
    created_at: datetime
    updated_at: datetime
    #: Written by ``begin``: only the run holding it may mark the record ``sent``.
    claim: str | None = None
    #: The error the terminal answered to the request itself, written the moment it
    #: arrived (a recovery after a crash confirms it against the terminal).
    answered_error: str | None = None


class JournalStore(Protocol):
    """Where journal records live (SQLite here; Home Assistant brings its own)."""

    async def get(self, reference: str) -> JournalRecord | None:
        """Return the record of ``reference``, if any."""

    async def begin(self, record: JournalRecord) -> JournalRecord:
        """Atomically write a new intent with its claim, or re-claim this reference.

        A ``not_sent`` record, or a ``pending`` one on the same terminal (nothing of it
        was sent: a crashed or concurrent run), is replaced. Raises
        UnresolvedTransactionError if another record on the same terminal is unresolved,
        and KineticInputError if the reference is already in use.
        """

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
    ) -> JournalRecord:
        """Change a record; fields left ``None`` keep their value.

        With ``claim`` and/or ``expect_states`` the change is a compare-and-set: it
        happens only if the record still holds that claim and is in one of those
        states, else JournalClaimError.
        """

    async def unresolved(self, terminal: str) -> list[JournalRecord]:
        """Return the unresolved records of one terminal, oldest first."""


def _now() -> datetime:
    return datetime.now(UTC)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    reference TEXT PRIMARY KEY,
    terminal TEXT NOT NULL,
    type TEXT NOT NULL,
    amount TEXT,
    state TEXT NOT NULL,
    result TEXT,
    terminal_id TEXT,
    message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    claim TEXT,
    answered_error TEXT
);
CREATE INDEX IF NOT EXISTS intents_by_terminal ON intents (terminal, state);
"""
_COLUMNS = (
    "reference, terminal, type, amount, state, result, terminal_id, message, created_at, "
    "updated_at, claim, answered_error"
)
_UNRESOLVED = (JournalState.PENDING.value, JournalState.SENT.value)


def _record(row: tuple[Any, ...]) -> JournalRecord:
    return JournalRecord(
        reference=row[0],
        terminal=row[1],
        type=TransactionType(row[2]),
        amount=row[3],
        state=JournalState(row[4]),
        result=TransactionResult(row[5]) if row[5] else None,
        terminal_id=row[6],
        message=row[7],
        created_at=datetime.fromisoformat(row[8]),
        updated_at=datetime.fromisoformat(row[9]),
        claim=row[10],
        answered_error=row[11],
    )


class SqliteJournal:
    """A :class:`JournalStore` in one SQLite file (created with its folder on first use).

    Each call opens its own short-lived connection in a worker thread, so the event
    loop never blocks on disk and separate processes (two CLI runs) see each other's
    records; ``begin`` runs in an IMMEDIATE transaction so two of them cannot both
    start a transaction on the same terminal.
    """

    def __init__(self, path: str | Path) -> None:
        """Remember where the journal lives; nothing is opened yet."""
        self.path = Path(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            connection.executescript(_SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(intents)")}
            # Columns added since the first journals were written.
            for column in ("claim", "answered_error"):
                if column not in columns:
                    connection.execute(f"ALTER TABLE intents ADD COLUMN {column} TEXT")
            yield connection
        finally:
            connection.close()

    def _get(self, reference: str) -> JournalRecord | None:
        with self._connect() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM intents WHERE reference = ?",  # noqa: S608 - constant
                (reference,),
            ).fetchone()
        return _record(row) if row else None

    def _begin(self, record: JournalRecord) -> JournalRecord:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                blocking = db.execute(
                    "SELECT reference FROM intents WHERE terminal = ? AND state IN (?, ?) "
                    "AND reference != ? ORDER BY created_at LIMIT 1",
                    (record.terminal, *_UNRESOLVED, record.reference),
                ).fetchone()
                if blocking:
                    raise UnresolvedTransactionError(
                        f"Transaction {blocking[0]} on this terminal has no confirmed outcome; "
                        f"resume it with --reference {blocking[0]} first",
                        reference=blocking[0],
                    )
                existing = db.execute(
                    "SELECT state, terminal FROM intents WHERE reference = ?",
                    (record.reference,),
                ).fetchone()
                reclaimable = existing is None or existing[0] == JournalState.NOT_SENT.value
                if existing and existing[0] == JournalState.PENDING.value:
                    # Never sent (sending needs the claim): another run may take it over.
                    reclaimable = existing[1] == record.terminal
                if not reclaimable:
                    raise KineticInputError(f"Reference {record.reference} is already in use")
                db.execute(
                    f"INSERT OR REPLACE INTO intents ({_COLUMNS}) "  # noqa: S608 - constant
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.reference,
                        record.terminal,
                        record.type.value,
                        record.amount,
                        record.state.value,
                        record.result.value if record.result else None,
                        record.terminal_id,
                        record.message,
                        record.created_at.isoformat(),
                        record.updated_at.isoformat(),
                        record.claim,
                        record.answered_error,
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return record

    def _update(
        self,
        reference: str,
        changes: dict[str, str | None],
        claim: str | None,
        expect_states: tuple[str, ...] | None,
    ) -> JournalRecord:
        changes["updated_at"] = _now().isoformat()
        assignments = ", ".join(f"{column} = ?" for column in changes)
        where = "reference = ?"
        params: list[str | None] = [*changes.values(), reference]
        if claim is not None:
            where += " AND claim = ?"
            params.append(claim)
        if expect_states is not None:
            where += f" AND state IN ({', '.join('?' for _ in expect_states)})"
            params.extend(expect_states)
        with self._connect() as db:
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
        record = self._get(reference)
        if record is None:
            raise KineticInputError(f"No journal record for {reference}")
        return record

    def _unresolved(self, terminal: str) -> list[JournalRecord]:
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM intents "  # noqa: S608 - constant
                "WHERE terminal = ? AND state IN (?, ?) ORDER BY created_at",
                (terminal, *_UNRESOLVED),
            ).fetchall()
        return [_record(row) for row in rows]

    async def _call(self, func: Callable[..., _T], *args: Any) -> _T:
        """Run one blocking call in a worker thread; disk trouble becomes JournalError."""
        try:
            return await asyncio.to_thread(func, *args)
        except (sqlite3.Error, OSError) as err:
            raise JournalError(
                f"Cannot use the journal at {self.path}: {type(err).__name__}: {err}"
            ) from err

    async def get(self, reference: str) -> JournalRecord | None:
        """Return the record of ``reference``, if any."""
        return await self._call(self._get, reference)

    async def begin(self, record: JournalRecord) -> JournalRecord:
        """Write a new intent atomically (see :class:`JournalStore`)."""
        return await self._call(self._begin, record)

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
    ) -> JournalRecord:
        """Change a record (a compare-and-set with ``claim``/``expect_states``)."""
        changes: dict[str, str | None] = {}
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
        return await self._call(self._unresolved, terminal)


class _JournalListener:
    """Writes the journal as the Terminal reaches each step."""

    def __init__(self, store: JournalStore, claim: str | None) -> None:
        self.store = store
        self.claim = claim

    async def sending(self, operation: Operation) -> None:
        """Mark the record sent before the request leaves, if this run still holds it."""
        if self.claim is None:
            # Only a run that wrote the intent itself may send (the Terminal never
            # sends a reference it knows was sent, so this is a last line of defence).
            raise JournalClaimError(
                f"Reference {operation.reference} was not claimed by this run; nothing was sent"
            )
        await self.store.update(
            operation.reference,
            state=JournalState.SENT,
            claim=self.claim,
            expect_states=(JournalState.PENDING,),
        )

    async def terminal_id_known(self, operation: Operation, terminal_id: str) -> None:
        """Store the terminal's id (the Payment Engine request key) at once."""
        try:
            await self.store.update(operation.reference, terminal_id=terminal_id)
        except JournalError as err:
            # The request is out: losing its result now would be worse than a stale record.
            _LOGGER.warning("Could not journal the id of %s: %s", operation.reference, err)

    async def answered_error(self, operation: Operation, error: KineticError) -> None:
        """Store the terminal's error answer before it is acted on."""
        try:
            await self.store.update(operation.reference, answered_error=error.message)
        except JournalError as err:
            # Recovery can still conclude from the terminal itself (see Terminal).
            _LOGGER.warning("Could not journal the answer of %s: %s", operation.reference, err)


#: One lock per reference in this process: calls with the same reference run in turn.
_REFERENCE_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _reference_lock(reference: str) -> asyncio.Lock:
    lock = _REFERENCE_LOCKS.get(reference)
    if lock is None:
        lock = _REFERENCE_LOCKS[reference] = asyncio.Lock()
    return lock


async def abandon(store: JournalStore, reference: str, *, note: str | None = None) -> JournalRecord:
    """Mark an unresolved record ``abandoned`` (see :meth:`JournaledPayments.abandon`)."""
    record = await store.get(reference)
    if record is None:
        raise KineticInputError(f"The journal has no record of {reference}")
    if not record.state.is_unresolved:
        raise KineticInputError(
            f"Reference {reference} is {record.state.value}, not unresolved; nothing to abandon"
        )
    try:
        return await store.update(
            reference,
            state=JournalState.ABANDONED,
            message=note or "Abandoned by hand after checking the terminal",
            expect_states=(JournalState.PENDING, JournalState.SENT),
        )
    except JournalClaimError as err:
        raise KineticInputError(f"Reference {reference} changed meanwhile; try again") from err


class JournaledPayments:
    """Money-moving calls on one Terminal with a durable journal around each.

    validate -> record intent -> start / wait / recover -> record the result. A reference
    already in the journal is resumed (recovered by the stored terminal id) and never
    charged again; a new transaction is refused while another on the same terminal is
    unresolved.
    """

    def __init__(self, terminal: Terminal, store: JournalStore) -> None:
        """Wrap ``terminal``; records are keyed by its identity."""
        self.terminal = terminal
        self.store = store

    async def sale(
        self,
        amount: object,
        *,
        reference: str | None = None,
        tip: object = None,
        cashback: object = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
        **passthrough: Any,
    ) -> Transaction:
        """Take a payment (or resume the one with this reference)."""
        operation = self.terminal.prepare(
            TransactionType.SALE,
            amount=amount,
            reference=reference,
            tip=tip,
            cashback=cashback,
            extra=passthrough,
        )
        return await self.run(operation, timeout=timeout)

    async def refund(
        self,
        amount: object,
        *,
        reference: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
    ) -> Transaction:
        """Refund money to a card (or resume the refund with this reference)."""
        operation = self.terminal.prepare(
            TransactionType.REFUND, amount=amount, reference=reference
        )
        return await self.run(operation, timeout=timeout)

    async def reversal(
        self,
        transaction_id: str,
        *,
        reference: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
    ) -> Transaction:
        """Reverse an earlier transaction (or resume the reversal with this reference)."""
        operation = self.terminal.prepare(
            TransactionType.REVERSAL, reference=reference, original_id=transaction_id
        )
        return await self.run(operation, timeout=timeout)

    async def reconciliation(
        self,
        *,
        reference: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
    ) -> Transaction:
        """Run the end-of-day reconciliation (or resume the one with this reference)."""
        operation = self.terminal.prepare(TransactionType.RECONCILIATION, reference=reference)
        return await self.run(operation, timeout=timeout)

    async def run(
        self,
        operation: Operation,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the customer's time, not one call's
    ) -> Transaction:
        """Journal and execute a prepared operation (resuming a known reference)."""
        # Two calls with one reference in this process never overlap; across processes
        # the claim written by ``begin`` decides which run may send.
        async with _reference_lock(operation.reference):
            return await self._run(operation, timeout)

    async def _run(self, operation: Operation, timeout: float | None) -> Transaction:  # noqa: ASYNC109
        amount = format_amount(operation.amount) if operation.amount is not None else None
        existing = await self.store.get(operation.reference)
        claim: str | None = None
        previous: PreviousAttempt | None = None
        if existing is not None:
            await self._check_same(existing, operation, amount)
            if existing.state is JournalState.FINAL:
                return await self._report_final(existing, operation)
        if existing is None or existing.state in (JournalState.NOT_SENT, JournalState.PENDING):
            # Nothing of this reference ever left (sending needs the claim): claim it.
            identity = await self.terminal.resolve_identity()
            claim = secrets.token_hex(16)
            now = _now()
            await self.store.begin(
                JournalRecord(
                    reference=operation.reference,
                    terminal=identity,
                    type=operation.type,
                    amount=amount,
                    state=JournalState.PENDING,
                    created_at=now,
                    updated_at=now,
                    claim=claim,
                )
            )
            if existing is not None:
                # A reference we wrote down before: the terminal is asked first.
                operation = dataclasses.replace(operation, caller_reference=True)
        else:
            # Sent (or abandoned) before: recover by the terminal's id, never send again.
            _LOGGER.debug("Resuming %s from the journal", operation.reference)
            previous = PreviousAttempt(
                sent=True,
                terminal_id=existing.terminal_id,
                answered_error=existing.answered_error,
            )
            operation = dataclasses.replace(operation, caller_reference=True)
        listener = _JournalListener(self.store, claim)
        try:
            txn = await self.terminal.execute(
                operation, timeout=timeout, previous=previous, listener=listener
            )
        except KineticError as err:
            # The Terminal raises only when nothing was charged for this reference. Only
            # the run that claimed it may free it, and only while it still holds it.
            if claim is not None and not isinstance(err, JournalClaimError):
                with contextlib.suppress(JournalClaimError):
                    await self.store.update(
                        operation.reference,
                        state=JournalState.NOT_SENT,
                        message=err.message,
                        claim=claim,
                        expect_states=(JournalState.PENDING, JournalState.SENT),
                    )
            elif previous is not None and isinstance(
                err, (KineticDeviceError, KineticNotStartedError)
            ):
                # Resuming, the terminal confirmed it has no transaction of ours (its
                # error answer stands, or it shows it never started one): settled, not
                # charged. Anything else raised while resuming settles nothing.
                with contextlib.suppress(JournalClaimError):
                    await self.store.update(
                        operation.reference,
                        state=JournalState.NOT_SENT,
                        message=err.message,
                        expect_states=(JournalState.SENT, JournalState.ABANDONED),
                    )
            raise
        try:
            if (
                txn.result.is_final
                or existing is None
                or (existing.state is not JournalState.ABANDONED)
            ):
                await self._record(txn)
        except JournalError as err:
            # Report the result anyway; the record stays "sent" and will be resumed.
            _LOGGER.warning("Could not journal the result of %s: %s", txn.reference, err)
        return txn

    async def _record(self, txn: Transaction) -> None:
        state = JournalState.FINAL if txn.result.is_final else JournalState.SENT
        await self.store.update(
            txn.reference,
            state=state,
            result=txn.result,
            terminal_id=txn.request_key,
            message=txn.message,
        )

    async def _check_same(
        self, record: JournalRecord, operation: Operation, amount: str | None
    ) -> None:
        if record.type is not operation.type or record.amount != amount:
            raise KineticInputError(
                f"Reference {record.reference} was a {record.type.value}"
                + (f" of {record.amount}" if record.amount else "")
                + "; use a new reference for a different transaction"
            )
        if record.terminal in (self.terminal.identity, self.terminal.address_identity):
            return
        try:
            identity = await self.terminal.resolve_identity()
        except KineticError:
            if record.state in (JournalState.SENT, JournalState.FINAL, JournalState.ABANDONED):
                # Cannot tell which terminal this is; resuming only ever looks up, so
                # go on: unconfirmed stays UNKNOWN.
                return
            raise
        if record.terminal != identity:
            raise KineticInputError(
                f"Reference {record.reference} belongs to another terminal ({record.terminal})"
            )

    async def abandon(self, reference: str, *, note: str | None = None) -> JournalRecord:
        """Release a terminal from an unresolved record a person has checked by hand.

        The record becomes ``abandoned``: it no longer blocks new transactions, and its
        reference is still never sent again (resuming it only looks it up).
        """
        return await abandon(self.store, reference, note=note)

    async def _report_final(self, record: JournalRecord, operation: Operation) -> Transaction:
        """Report a finished transaction again, fresh from the terminal when possible."""
        try:
            txn = await self.terminal.transaction(record.reference, terminal_id=record.terminal_id)
        except (KineticError, NotImplementedError) as err:
            _LOGGER.debug("Could not look %s up again: %s", record.reference, type(err).__name__)
        else:
            if txn.result.is_final:
                return dataclasses.replace(txn, type=record.type)
        return Transaction(
            kind=self.terminal.kind,
            reference=record.reference,
            type=record.type,
            result=record.result or TransactionResult.UNKNOWN,
            amount=Decimal(record.amount) if record.amount else None,
            request_key=record.terminal_id,
            message=record.message,
        )

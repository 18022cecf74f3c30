"""The runner: a Terminal driven through the journal's cycle, one reference at a time."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import weakref
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..errors import (
    KineticDeviceError,
    KineticError,
    KineticInputError,
    KineticNotStartedError,
)
from ..models.common import Transaction, TransactionResult, TransactionType
from ..money import format_amount
from ..terminal import Operation, PreviousAttempt, Terminal
from .record import (
    JournalClaimError,
    JournalError,
    JournalRecord,
    JournalState,
    JournalStore,
    now,
)

_LOGGER = logging.getLogger(__name__)
#: The caller's own details of an outcome (:class:`JournaledPayments`).
OutcomeDetails = Callable[[Operation, Transaction], Mapping[str, Any]]


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

    def __init__(
        self,
        terminal: Terminal,
        store: JournalStore,
        *,
        outcome_details: OutcomeDetails | None = None,
    ) -> None:
        """Wrap ``terminal``; records are keyed by its identity.

        ``outcome_details`` returns the caller's own details of an outcome (say, what a
        partial approval took), written in the same change that records the outcome:
        whoever reads a final record finds them with it. Should it raise, the outcome
        is written without them (and a warning logged).
        """
        self.terminal = terminal
        self.store = store
        self.outcome_details = outcome_details

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
            created = now()
            await self.store.begin(
                JournalRecord(
                    reference=operation.reference,
                    terminal=identity,
                    type=operation.type,
                    amount=amount,
                    state=JournalState.PENDING,
                    created_at=created,
                    updated_at=created,
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
                await self._record(operation, txn)
        except JournalError as err:
            # Report the result anyway; the record stays "sent" and will be resumed.
            _LOGGER.warning("Could not journal the result of %s: %s", txn.reference, err)
        return txn

    async def _record(self, operation: Operation, txn: Transaction) -> None:
        state = JournalState.FINAL if txn.result.is_final else JournalState.SENT
        changes: dict[str, Any] = {}
        if self.outcome_details is not None:
            try:
                details = self.outcome_details(operation, txn)
            except Exception as err:  # the caller's hook: anything it raises
                # The outcome is written anyway (without the caller's details): a charge
                # left "sent" would be resumed, failing the same way, forever. The
                # error's type only: its text may hold what the transaction carried.
                _LOGGER.warning(
                    "Could not gather the outcome details of %s: %s",
                    txn.reference,
                    type(err).__name__,
                )
            else:
                if details:
                    changes["details"] = details
        # ``details`` only when there are some: a store written before they existed
        # takes no such argument.
        await self.store.update(
            txn.reference,
            state=state,
            result=txn.result,
            terminal_id=txn.request_key,
            message=txn.message,
            **changes,
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

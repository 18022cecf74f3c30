"""The commands that move money (sale, authorize, refund, reversal, reconciliation), ``abandon``.

Every payment runs through the journal: written before anything is sent, resumable
with the same ``--reference``, and never reported declined when its outcome is unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from .. import (
    JournaledPayments,
    KineticError,
    Operation,
    SqliteJournal,
    Terminal,
    TransactionType,
)
from ..errors import KineticInputError, UnresolvedTransactionError
from ..journal import TERMINAL_NUMBER, JournalClaimError, JournalState, abandon
from ..money import format_amount
from .config import default_journal_path
from .failures import ELSEWHERE, UNKNOWN
from .output import (
    EXIT_ELSEWHERE,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNKNOWN,
    Output,
    human_transaction,
    result_exit,
    transaction_json,
)
from .progress import Progress

_LOGGER = logging.getLogger(__name__)

PAYMENT_COMMANDS = frozenset({"sale", "authorize", "refund", "reversal", "reconciliation"})
#: References of payments interrupted by Ctrl-C in this process (for the exit code).
INTERRUPTED_PAYMENTS: list[str] = []


async def run_payment(
    args: argparse.Namespace, terminal: Terminal, journal: SqliteJournal, out: Output
) -> int:
    """Run (or resume) one journaled payment command and report its result."""
    if args.command == "sale":
        operation = terminal.prepare(
            TransactionType.SALE,
            amount=args.amount,
            reference=args.reference,
            tip=args.tip,
            cashback=args.cashback,
            extra=_fields(args.field),
            offline=args.offline,
        )
    elif args.command == "authorize":
        # A pre-authorisation (Payment Engine authonly): journaled, never counted a sale.
        operation = terminal.prepare(
            TransactionType.AUTHORIZATION,
            amount=args.amount,
            reference=args.reference,
            extra=_fields(args.field),
        )
    elif args.command == "refund":
        operation = terminal.prepare(
            TransactionType.REFUND, amount=args.amount, reference=args.reference
        )
    elif args.command == "reversal":
        operation = terminal.prepare(
            TransactionType.REVERSAL, reference=args.reference, original_id=args.transaction_id
        )
    else:
        operation = terminal.prepare(TransactionType.RECONCILIATION, reference=args.reference)
    try:
        with Progress(out.stderr, operation, out.address).shown(terminal):
            txn = await JournaledPayments(terminal, journal).run(operation, timeout=args.timeout)
    except asyncio.CancelledError:
        # Ctrl-C mid-transaction: the customer may still pay. The journal keeps the
        # record unresolved; say so in the one result object, and how to find out.
        INTERRUPTED_PAYMENTS.append(operation.reference)
        _report_interrupted(terminal, operation, out)
        raise
    except JournalClaimError as err:
        return out.error(err, EXIT_ELSEWHERE, reference=operation.reference)
    except UnresolvedTransactionError:
        raise
    except KineticInputError:
        if await _held_elsewhere(terminal, journal, operation):
            return _report_elsewhere(operation, out)
        raise
    except KineticError:
        raise
    except Exception:
        # A failure we did not foresee: the request may have left. Never "declined".
        _LOGGER.debug("Payment %s failed unexpectedly", operation.reference, exc_info=True)
        return out.error(
            f"An unexpected failure stopped the wait for {operation.reference}. "
            "The outcome is unknown: check the terminal before charging again. "
            f"Re-run with --reference {operation.reference} to resume it.",
            EXIT_UNKNOWN,
            code="unknown",
            money=UNKNOWN,
            reference=operation.reference,
        )
    if txn.terminal_id and txn.terminal_id != txn.reference:
        # `kinetic receipt` / `transaction` then also accept the number the terminal shows.
        with contextlib.suppress(KineticError):
            await journal.set_details(txn.reference, {TERMINAL_NUMBER: txn.terminal_id})
    out.emit(transaction_json(txn), human_transaction(txn))
    if not txn.result.is_final:
        out.stderr.write(
            f"kinetic: outcome unknown for reference {txn.reference}; "
            f"re-run with --reference {txn.reference} to resume\n"
        )
    return result_exit(txn)


def _report_interrupted(terminal: Terminal, operation: Operation, out: Output) -> None:
    """Print the one result of a payment interrupted by Ctrl-C: unknown, never declined."""
    message = (
        f"Interrupted: the outcome of {operation.reference} is unknown (the customer may "
        "still pay). Check the terminal before charging again; re-run with "
        f"--reference {operation.reference} to resume."
    )
    txn = terminal.unknown_result(operation, message)
    out.emit(
        {**transaction_json(txn), "interrupted": True, "exit_code": EXIT_UNKNOWN},
        human_transaction(txn),
    )
    out.stdout.flush()
    out.stderr.write(f"kinetic: {message}\n")


async def _held_elsewhere(terminal: Terminal, journal: SqliteJournal, operation: Operation) -> bool:
    """Whether another run holds this very payment (same reference, type and amount).

    Two identical commands started at once: the one whose claim lost sees the
    reference "in use" although it is the same payment, running (or run) elsewhere.
    """
    try:
        record = await journal.get(operation.reference)
    except KineticError:
        return False
    amount = format_amount(operation.amount) if operation.amount is not None else None
    return (
        record is not None
        and record.terminal in (terminal.identity, terminal.address_identity)
        and record.type is operation.type
        and record.amount == amount
        and record.state is not JournalState.NOT_SENT
    )


def _report_elsewhere(operation: Operation, out: Output) -> int:
    return out.error(
        f"Another run of kinetic is taking {operation.type.value} {operation.reference} "
        "(or has taken it). This run sent nothing; the other run's outcome is the one that "
        f"counts. Re-run the same command with --reference {operation.reference} later to "
        "see it.",
        EXIT_ELSEWHERE,
        code="in_progress_elsewhere",
        money=ELSEWHERE,
        reference=operation.reference,
    )


def _fields(items: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as pass-through fields ("true"/"false" become booleans)."""
    fields: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise KineticInputError(f"--field takes NAME=VALUE, got {item!r}")
        lowered = value.strip().lower()
        fields[name.strip()] = {"true": True, "false": False}.get(lowered, value)
    return fields


async def run_abandon(args: argparse.Namespace, out: Output) -> int:
    """Mark an unresolved journal record abandoned (needs the terminal not at all)."""
    if not args.yes:
        return out.error(
            "Check the terminal (or the gateway) for this transaction first, then re-run "
            "with --yes: an abandoned record no longer blocks new charges",
            EXIT_INVALID,
        )
    journal = SqliteJournal(args.journal or default_journal_path())
    try:
        record = await abandon(journal, args.reference, note=args.note)
    except KineticError as err:
        return out.error(err, EXIT_INVALID)
    out.emit(
        {
            "reference": record.reference,
            "state": record.state.value,
            "terminal": record.terminal,
            "terminal_id": record.terminal_id,
            "type": record.type.value,
            "amount": record.amount,
        },
        f"Abandoned {record.reference} ({record.type.value}"
        + (f" of {record.amount}" if record.amount else "")
        + f") on {record.terminal}; it no longer blocks new transactions.",
    )
    return EXIT_OK

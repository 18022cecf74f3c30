"""The commands that move money (sale, authorize, refund, reversal, reconciliation), ``abandon``.

Every payment runs through the journal: written before anything is sent, resumable
with the same ``--reference``, and never reported declined when its outcome is unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from .. import JournaledPayments, KineticError, SqliteJournal, Terminal, TransactionType
from ..errors import KineticInputError
from ..journal import JournalClaimError, abandon
from .config import default_journal_path
from .output import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNKNOWN,
    Output,
    human_transaction,
    result_exit,
    transaction_json,
)

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
        txn = await JournaledPayments(terminal, journal).run(operation, timeout=args.timeout)
    except asyncio.CancelledError:
        # Ctrl-C mid-transaction: the customer may still pay. Say how to find out.
        INTERRUPTED_PAYMENTS.append(operation.reference)
        out.stderr.write(
            f"kinetic: interrupted; the outcome of {operation.reference} is unknown. "
            f"Re-run with --reference {operation.reference} to resume.\n"
        )
        raise
    except JournalClaimError as err:
        return out.error(err, EXIT_UNKNOWN, reference=operation.reference)
    except KineticError:
        raise
    except Exception as err:
        # A failure we did not foresee: the request may have left. Never "declined".
        _LOGGER.debug("Payment %s failed unexpectedly", operation.reference, exc_info=True)
        return out.error(
            f"unexpected {type(err).__name__}; the outcome of {operation.reference} is "
            f"unknown. Re-run with --reference {operation.reference} to resume.",
            EXIT_UNKNOWN,
            code="unknown",
            reference=operation.reference,
        )
    out.emit(transaction_json(txn), human_transaction(txn))
    if not txn.result.is_final:
        out.stderr.write(
            f"kinetic: outcome unknown for reference {txn.reference}; "
            f"re-run with --reference {txn.reference} to resume\n"
        )
    return result_exit(txn)


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

"""The commands that talk to one terminal: the money commands, then those that only read."""

from __future__ import annotations

import argparse
import dataclasses

from .. import Capability, JournalRecord, KineticError, ReceiptCopy, SqliteJournal, Terminal
from .history import HISTORY_NEEDS, run_history
from .output import EXIT_OK, Output, human_status, human_transaction, status_json, transaction_json
from .payments import PAYMENT_COMMANDS, run_payment
from .printing import print_lines

#: What the terminal must support for each command (refused before anything is sent).
_NEEDS = {
    "receipt": Capability.RECEIPTS,
    "print": Capability.PRINT,
    "offline-count": Capability.OFFLINE_TRANSACTIONS,
    "offline-send": Capability.OFFLINE_TRANSACTIONS,
    "cancel": Capability.CANCEL,
    "transaction": Capability.TRANSACTION_LOOKUP,
    "sale": Capability.SALE,
    "authorize": Capability.AUTHORIZE,
    "refund": Capability.REFUND,
    "reversal": Capability.REVERSAL,
    "reconciliation": Capability.RECONCILIATION,
}


def check_unsupported(args: argparse.Namespace, terminal: Terminal) -> None:
    """Refuse up front what this kind cannot do, before any request or file is touched."""
    needs = _NEEDS.get(args.command) or HISTORY_NEEDS.get(args.command)
    if needs is not None:
        terminal.require(needs, f"do '{args.command}'")
    if args.command == "receipt" and args.print:
        terminal.require(Capability.PRINT, "print")
    if args.command == "authorize" and args.field:
        terminal.require(Capability.PASSTHROUGH, "take extra transaction fields")
    if args.command == "sale":
        if args.tip is not None:
            terminal.require(Capability.TIP, "take a tip")
        if args.cashback is not None:
            terminal.require(Capability.CASHBACK, "give cashback")
        if args.field:
            terminal.require(Capability.PASSTHROUGH, "take extra transaction fields")


async def find_record(
    identifier: str, terminal: Terminal, journal: SqliteJournal
) -> JournalRecord | None:
    """Return the journal record ``identifier`` names on this terminal, if any.

    ``identifier`` may be our reference or the terminal's own id or number for the
    transaction (the ``terminal_id`` or ``request_key`` a payment printed).
    """
    record = await journal.get(identifier)
    if record is not None:
        return record
    try:
        identity = await terminal.resolve_identity()
    except KineticError:
        identity = terminal.identity
    return await journal.find(identifier, {identity, terminal.address_identity})


async def run_command(
    args: argparse.Namespace, terminal: Terminal, journal: SqliteJournal, out: Output
) -> int:
    """Run one terminal command and report it; return the exit code."""
    command: str = args.command
    if command in PAYMENT_COMMANDS:
        return await run_payment(args, terminal, journal, out)
    if command in HISTORY_NEEDS:
        return await run_history(args, terminal, out)
    if command == "status":
        status = await terminal.status()
        out.emit(status_json(status), human_status(status))
    elif command == "transaction":
        record = await find_record(args.reference, terminal, journal)
        reference = record.reference if record is not None else args.reference
        txn = await terminal.transaction(
            reference, terminal_id=record.terminal_id if record else None
        )
        if record is not None:
            txn = dataclasses.replace(txn, type=record.type)
        out.emit(transaction_json(txn), human_transaction(txn))
    elif command == "receipt":
        record = await find_record(args.reference, terminal, journal)
        reference = record.reference if record is not None else args.reference
        copy = ReceiptCopy(args.copy)
        if args.print:
            # The terminal's certified receipt goes to its printer unchanged.
            lines = await terminal.print_receipt(reference, copy)
        else:
            lines = await terminal.receipt(reference, copy)
        out.emit({"lines": lines, "printed": bool(args.print)}, "\n".join(lines))
    elif command == "print":
        await terminal.print_text(print_lines(args))
        out.emit({"printed": True, "lines": len(args.text)}, f"Printed {len(args.text)} line(s)")
    elif command == "offline-count":
        count = await terminal.offline_count()
        out.emit({"offline_count": count}, f"{count} offline transaction(s) waiting")
    elif command == "offline-send":
        await terminal.send_offline()
        out.emit({"sent": True}, "Offline transactions sent")
    elif command == "cancel":
        await terminal.cancel(args.request_key)
        out.emit(
            {"cancelled": True, "request_key": args.request_key},
            f"Cancelled {args.request_key}",
        )
    return EXIT_OK

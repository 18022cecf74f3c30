"""The commands that read what the terminal itself keeps: its transactions and settings.

``transactions`` lists the terminal's own database (sales started on the terminal
included), ``latest`` shows its most recent transaction, ``settings`` its configuration.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from .. import (
    Capability,
    KineticInputError,
    Terminal,
    Transaction,
    TransactionFilter,
    TransactionResult,
    TransactionType,
)
from .output import EXIT_OK, Output, human_transaction, transaction_json

#: What the terminal must support for each command here.
HISTORY_NEEDS = {
    "transactions": Capability.TRANSACTION_HISTORY,
    "latest": Capability.LATEST_TRANSACTION,
    "settings": Capability.SETTINGS,
}


def _when(text: str) -> datetime:
    """Read an ISO 8601 time; one without a zone is taken as local time."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from err
    return value if value.tzinfo is not None else value.astimezone()


def add_history_parsers(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``transactions``, ``latest`` and ``settings``."""
    listing = command("transactions", "list the terminal's own transactions, newest first")
    listing.add_argument("--since", type=_when, metavar="WHEN", help="started at or after")
    listing.add_argument("--until", type=_when, metavar="WHEN", help="started before")
    listing.add_argument("--result", choices=[r.value for r in TransactionResult])
    listing.add_argument("--type", choices=[t.value for t in TransactionType])
    listing.add_argument("--limit", type=int, metavar="N", help="at most N transactions")
    command("latest", "show the terminal's most recent transaction")
    command("settings", "show the terminal's own settings (ids, host module, receipt texts)")


async def run_history(args: argparse.Namespace, terminal: Terminal, out: Output) -> int:
    """Run one of the commands of this module; return the exit code."""
    if args.command == "transactions":
        where = TransactionFilter(
            since=args.since,
            until=args.until,
            result=TransactionResult(args.result) if args.result else None,
            type=TransactionType(args.type) if args.type else None,
            limit=args.limit,
        )
        found = await terminal.transactions(where)
        human = "\n".join(_row(txn) for txn in found) or "No transactions"
        out.emit({"transactions": [transaction_json(txn) for txn in found]}, human)
    elif args.command == "latest":
        latest = await terminal.latest_transaction()
        if latest is None:
            raise KineticInputError("The terminal has no transaction yet")
        out.emit(transaction_json(latest), human_transaction(latest))
    else:
        settings = asdict(await terminal.settings())
        human = "\n".join(f"{key}: {value}" for key, value in settings.items())
        out.emit({key: _plain(value) for key, value in settings.items()}, human)
    return EXIT_OK


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _row(txn: Transaction) -> str:
    data = transaction_json(txn)
    when = data.get("started_at") or "-"
    amount = data.get("amount") or "-"
    reversed_ = " (reversed)" if data.get("is_reversed") else ""
    columns = f"{when}  {data['type']:<14} {data['result']:<9} {amount:>10}"
    return f"{columns}  {data['reference']}{reversed_}"

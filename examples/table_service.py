r"""Charge a restaurant table on a Kinetic-family terminal, with the library only.

Usage::

    python examples/table_service.py --kind kinetic-go --host 127.0.0.2 \
        --username kinetic --password kinetic-sim-passcode --table 5 --amount 42.50 --tip 5.00

Credentials may also come from KINETIC_USERNAME / KINETIC_PASSWORD (Kinetic Go,
DeviceService) or KINETIC_API_KEY / KINETIC_PIN (Payment Engine, with --device-key).

The sale is journaled (the ``kinetic`` CLI's journal: --journal, KINETIC_JOURNAL or
$XDG_STATE_HOME/kinetic/journal.sqlite3), so it is never charged twice: while its outcome
is unknown, the terminal takes no new sale until it is resumed with ``--reference`` (which
only looks the payment up, never sends it again) or released with ``kinetic abandon``.

Exit codes: 0 approved; 1 declined, cancelled, failed or timed out (nothing charged);
2 invalid input (nothing sent); 3 the terminal was unreachable or busy (nothing charged);
4 the outcome is unknown (do not charge again; check the terminal).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from decimal import Decimal

from kinetic_integration import (
    JournalClaimError,
    JournaledPayments,
    KineticConnectionError,
    KineticDeviceBusyError,
    KineticError,
    KineticInputError,
    SqliteJournal,
    Terminal,
    TerminalConfig,
    TerminalKind,
    Transaction,
    TransactionResult,
    TransactionType,
    create_terminal,
    format_amount,
    kind_facts,
    parse_amount,
    transaction_receipt,
)
from kinetic_integration.cli import DEFAULT_PORTS, default_journal_path

EXIT_APPROVED, EXIT_NOT_APPROVED, EXIT_INVALID, EXIT_UNREACHABLE, EXIT_UNKNOWN = range(5)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description="Charge a table on a Kinetic terminal.")
    parser.add_argument("--kind", choices=[kind.value for kind in TerminalKind], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="default 8080 / 8526 / 443 by kind")
    parser.add_argument("--username", default=os.environ.get("KINETIC_USERNAME"))
    parser.add_argument("--password", default=os.environ.get("KINETIC_PASSWORD"))
    parser.add_argument("--api-key", default=os.environ.get("KINETIC_API_KEY"))
    parser.add_argument("--pin", default=os.environ.get("KINETIC_PIN"))
    parser.add_argument("--device-key", help="Payment Engine device key")
    parser.add_argument("--base-url", help="Payment Engine API base (default by host and port)")
    parser.add_argument("--table", type=int, required=True, help="table number, 1-999")
    parser.add_argument("--amount", required=True, help="the bill, e.g. 42.50")
    parser.add_argument("--tip", help="tip on top, e.g. 5.00")
    parser.add_argument("--reference", help="resume this earlier sale instead of a new one")
    parser.add_argument("--journal", help="journal file (default: the kinetic CLI's)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for the card")
    return parser.parse_args(argv)


def table_reference(terminal: Terminal, table: int) -> str:
    """Name the table and the second in the reference, where the kind takes our own ids."""
    reference = f"table{table}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    try:
        return terminal.validate_reference(reference)
    except KineticInputError:
        # DeviceService ids must be uuid4s: the terminal's own kind of reference.
        return terminal.new_reference()


def check_input(args: argparse.Namespace) -> None:
    """Refuse what cannot work before anything is sent."""
    if args.table < 1:
        raise KineticInputError(f"--table must be 1 or more, got {args.table}")
    if kind_facts(args.kind).cloud:
        if not args.api_key or not args.pin:
            raise KineticInputError("The Payment Engine needs --api-key and --pin")
    elif not args.username or not args.password:
        raise KineticInputError(f"A {args.kind} terminal needs --username and --password")


def say(text: str, *, error: bool = False) -> None:
    """Write one message for the person at the till (errors on stderr)."""
    (sys.stderr if error else sys.stdout).write(text + "\n")


def _unknown(terminal: Terminal, reference: str) -> Transaction:
    return Transaction(
        kind=terminal.kind,
        reference=reference,
        type=TransactionType.SALE,
        result=TransactionResult.UNKNOWN,
    )


def receipt(terminal: Terminal, txn: Transaction, table: int) -> list[str]:
    """Build the receipt lines from the transaction (the same for every kind)."""
    return transaction_receipt(txn, merchant=f"Table {table}", terminal=terminal.identity)


async def charge(args: argparse.Namespace, amount: Decimal, tip: Decimal | None) -> int:
    """Run (or resume) the table's sale and report it; returns the exit code."""
    facts = kind_facts(args.kind)
    # The kinetic command's defaults: the kind's own port, https (443) for a cloud kind.
    port: int = args.port or DEFAULT_PORTS[facts.kind]
    base_url: str | None = args.base_url
    if facts.cloud and base_url is None:
        base_url = f"{'https' if port == 443 else 'http'}://{args.host}:{port}/api/v2"
    config = TerminalConfig(
        kind=facts.kind,
        host=args.host,
        port=port,
        username=args.username,
        password=args.password,
        api_key=args.api_key,
        pin=args.pin,
        device_key=args.device_key,
        base_url=base_url,
    )
    journal = SqliteJournal(args.journal or default_journal_path())
    async with create_terminal(config) as terminal:
        reference = args.reference or table_reference(terminal, args.table)
        operation = terminal.prepare(
            TransactionType.SALE, amount=amount, tip=tip, reference=reference
        )
        say(f"Table {args.table}: {format_amount(amount)} on {args.host}, reference {reference}")
        try:
            txn = await JournaledPayments(terminal, journal).run(operation, timeout=args.timeout)
        except JournalClaimError:
            txn = _unknown(terminal, reference)
        except KineticError:
            raise  # nothing was charged for this reference (the library's contract)
        except Exception:
            # Unforeseen, after the request may have left: never call that "declined".
            txn = _unknown(terminal, reference)
        say("\n".join(receipt(terminal, txn, args.table)))
    if txn.result is TransactionResult.APPROVED:
        say(f"Table {args.table}: {format_amount(txn.total or amount)} approved")
        return EXIT_APPROVED
    if txn.result.is_final:
        say(f"Table {args.table}: {txn.result.value}, nothing charged")
        return EXIT_NOT_APPROVED
    say(
        f"Table {args.table}: outcome UNKNOWN. Do not charge again; check with the terminal "
        f"(or resume: --reference {txn.reference})",
        error=True,
    )
    return EXIT_UNKNOWN


def main(argv: list[str] | None = None) -> int:
    """Parse, check the amounts before anything is sent, then charge."""
    args = parse_args(argv)
    try:
        check_input(args)
        amount = parse_amount(args.amount)
        tip = parse_amount(args.tip, field="tip", allow_zero=True) if args.tip else None
        return asyncio.run(charge(args, amount, tip))
    except KeyboardInterrupt:
        say(
            "table_service: interrupted; the outcome is unknown. Do not charge again; "
            "check with the terminal (or re-run with the printed --reference to resume)",
            error=True,
        )
        return EXIT_UNKNOWN
    except KineticInputError as err:
        say(f"table_service: {err.message}; nothing was sent", error=True)
        return EXIT_INVALID
    except (KineticConnectionError, KineticDeviceBusyError) as err:
        say(f"table_service: {err.message}; nothing was charged", error=True)
        return EXIT_UNREACHABLE
    except KineticError as err:
        # The library raises only when nothing was charged for this reference.
        say(f"table_service: {err.message}; nothing was charged", error=True)
        return EXIT_NOT_APPROVED


if __name__ == "__main__":
    sys.exit(main())

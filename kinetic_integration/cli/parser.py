"""The ``kinetic`` command's options and subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import IO, Any, NoReturn

from .. import DEFAULT_MAX_AMOUNT, ReceiptCopy, TerminalKind, __version__
from .config import CLOUD_URLS, DEFAULT_PORTS, HTTPS_PORT
from .discover import add_discover_parser
from .history import add_history_parsers
from .identify import AUTO
from .output import EXIT_INVALID
from .printing import add_print_attributes
from .simulate import add_simulate_parser


class UsageError(Exception):
    """argparse wanted to exit: a usage error (2) or after --help/--version (0)."""

    def __init__(self, status: int, message: str | None) -> None:
        """Keep the exit status and what argparse wanted to print."""
        super().__init__(message)
        self.status = status
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that reports instead of exiting, and writes where it is told."""

    stdout: IO[str] = sys.stdout

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(status, message)

    def error(self, message: str) -> NoReturn:
        raise UsageError(EXIT_INVALID, f"{self.prog}: error: {message}\n")

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            self.stdout.write(message)


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options accepted before or after the command (after it, only when given)."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    out = parser.add_argument_group("output")
    out.add_argument(
        "--json", action="store_true", default=default(False), help="print one JSON object"
    )
    out.add_argument(
        "--verbose",
        action="store_true",
        default=default(False),
        help="log at DEBUG on stderr (never secrets)",
    )
    term = parser.add_argument_group("terminal")
    term.add_argument(
        "--kind",
        choices=[AUTO, *(kind.value for kind in TerminalKind)],
        default=default(AUTO),
        help="which API the terminal speaks; auto (the default) asks the address, or "
        "means payment-engine when --base-url or --api-key is given",
    )
    term.add_argument("--host", default=default("127.0.0.1"), help="default 127.0.0.1")
    ports = " / ".join(str(port) for port in DEFAULT_PORTS.values())
    term.add_argument("--port", type=int, default=default(None), help=f"default {ports} by kind")
    term.add_argument(
        "--username", default=default(None), help="or KINETIC_USERNAME (Go / DeviceService)"
    )
    term.add_argument(
        "--password", default=default(None), help="or KINETIC_PASSWORD (Go / DeviceService)"
    )
    term.add_argument(
        "--api-key", default=default(None), help="or KINETIC_API_KEY (Payment Engine)"
    )
    term.add_argument("--pin", default=default(None), help="or KINETIC_PIN (Payment Engine)")
    term.add_argument("--device-key", default=default(None), help="Payment Engine device key")
    term.add_argument(
        "--base-url",
        default=default(None),
        help="Payment Engine API base (default "
        f"{' / '.join(production for production, _ in CLOUD_URLS)}; with --port "
        f"http://HOST:PORT/api/v2, https on port {HTTPS_PORT})",
    )
    term.add_argument(
        "--sandbox",
        action="store_true",
        default=default(False),
        help=f"Payment Engine: the sandbox, {' / '.join(sandbox for _, sandbox in CLOUD_URLS)}",
    )
    term.add_argument(
        "--max-amount",
        default=default(str(DEFAULT_MAX_AMOUNT)),
        help=f"refuse amounts above this (default {DEFAULT_MAX_AMOUNT})",
    )
    term.add_argument(
        "--journal",
        default=default(None),
        help="journal file (or KINETIC_JOURNAL; default under $XDG_STATE_HOME/kinetic)",
    )
    term.add_argument(
        "--request-timeout",
        type=float,
        default=default(10.0),
        help="seconds for one ordinary request (default 10)",
    )
    term.add_argument(
        "--poll-interval",
        type=float,
        default=default(None),
        help="seconds between checks of a running transaction (default by kind)",
    )


#: Which id ``transaction`` and ``receipt`` take.
_ID_HELP = (
    "the payment's reference (what --reference was, or the reference a payment printed), "
    "or the terminal's own id or number for it (the terminal_id or request_key it "
    "printed), found through the journal"
)


def build_parser(stdout: IO[str] = sys.stdout) -> argparse.ArgumentParser:
    """Build the argument parser (global options work before or after the command)."""
    _Parser.stdout = stdout
    parser = _Parser(prog="kinetic", description="Drive Kinetic-family payment terminals.")
    parser.add_argument("--version", action="version", version=f"kinetic {__version__}")
    _add_global_options(parser, suppress=False)
    late = _Parser(add_help=False)
    _add_global_options(late, suppress=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=help_text, parents=[late]
        )
        return sub

    command("status", "show whether the terminal is online, busy, and what it shows")
    _add_money_commands(command)
    lookup = command("transaction", "look a transaction up by its reference")
    lookup.add_argument("reference", metavar="ID", help=_ID_HELP)
    receipt = command("receipt", "show (or print) a transaction's receipt")
    receipt.add_argument("reference", metavar="ID", help=_ID_HELP)
    receipt.add_argument(
        "--copy", choices=[copy.value for copy in ReceiptCopy], default=ReceiptCopy.MERCHANT.value
    )
    receipt.add_argument("--print", action="store_true", help="also print it on the terminal")
    printing = command("print", "print text lines on the terminal's printer")
    printing.add_argument("text", nargs="+", metavar="TEXT", help="one argument per line")
    add_print_attributes(printing)
    add_history_parsers(command)
    command("offline-count", "count offline transactions waiting to be sent")
    command("offline-send", "send stored offline transactions to the host")
    cancel = command("cancel", "cancel a pending Payment Engine request")
    cancel.add_argument("request_key", metavar="REQUEST_KEY")
    abandoning = command(
        "abandon",
        "release a terminal from a journaled transaction with no confirmed outcome, "
        "after checking the terminal or gateway by hand",
    )
    abandoning.add_argument("reference", metavar="REFERENCE")
    abandoning.add_argument(
        "--yes",
        action="store_true",
        help="confirm you checked the terminal or gateway for this transaction",
    )
    abandoning.add_argument("--note", help="what you found (kept in the journal)")
    add_simulate_parser(command("simulate", "run simulated terminals on loopback until Ctrl-C"))
    add_discover_parser(commands, parents=[late])
    return parser


def _add_money_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add the commands that move money (sale, refund, reversal, reconciliation)."""
    sale = command("sale", "take a payment and wait for the result")
    sale.add_argument("amount", metavar="AMOUNT", help="e.g. 12.34")
    sale.add_argument("--reference", help="your id for it; re-run with it to resume")
    sale.add_argument("--tip", metavar="AMOUNT", help="tip on top of the amount")
    sale.add_argument("--cashback", metavar="AMOUNT", help="cashback on top (Kinetic Go)")
    sale.add_argument("--timeout", type=float, metavar="S", help="seconds the customer has")
    sale.add_argument(
        "--offline",
        action="store_true",
        help="approved by the card now, sent to the host later (readers that support it)",
    )
    sale.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra pay request field, e.g. table=12 (Payment Engine)",
    )
    authorize = command(
        "authorize", "pre-authorise (hold) an amount on a card, not a sale (Payment Engine)"
    )
    authorize.add_argument("amount", metavar="AMOUNT", help="e.g. 12.34")
    authorize.add_argument("--reference", help="your id for it; re-run with it to resume")
    authorize.add_argument("--timeout", type=float, metavar="S", help="seconds the customer has")
    authorize.add_argument(
        "--field", action="append", default=[], metavar="NAME=VALUE", help="as for sale"
    )
    refund = command("refund", "refund money to a card and wait for the result")
    refund.add_argument("amount", metavar="AMOUNT")
    refund.add_argument("--reference", help="your id for it; re-run with it to resume")
    refund.add_argument("--timeout", type=float, metavar="S", help="seconds the customer has")
    reversal = command("reversal", "reverse (void) an earlier transaction")
    reversal.add_argument("transaction_id", metavar="TRANSACTION_ID")
    reversal.add_argument("--reference", help="your id for the reversal itself")
    reversal.add_argument("--timeout", type=float, metavar="S")
    reconciliation = command("reconciliation", "run the end-of-day reconciliation")
    reconciliation.add_argument("--reference", help="your id for it")
    reconciliation.add_argument("--timeout", type=float, metavar="S")

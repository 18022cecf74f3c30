"""The ``kinetic`` command: drive a terminal from scripts and shells.

Exit codes (the contract for scripts):

* 0 approved, or success for a command that moves no money;
* 1 a final result other than approved (declined, cancelled, error, timeout), or the
  terminal refused a command that moves no money;
* 2 invalid input or a command this kind of terminal cannot do (nothing was sent);
* 3 the terminal could not be reached, was busy or rejected our credentials before
  anything was charged;
* 4 the outcome is unknown: the reference is printed, and running the same command
  again with ``--reference`` resumes that transaction instead of charging again. Also
  after Ctrl-C or an unforeseen failure during a payment.

A journaled transaction whose outcome stays unknown blocks new ones on its terminal;
``kinetic abandon REFERENCE --yes`` releases it once a person has checked the terminal.

``--json`` prints one JSON object on stdout; ``--verbose`` logs at DEBUG on stderr
(the library never logs credentials or card data).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import ipaddress
import json
import logging
import os
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NoReturn

from yarl import URL

from . import __version__
from .clients._http import new_session
from .discovery.cli import add_discover_parser, run_discover
from .errors import (
    KineticAuthenticationError,
    KineticConnectionError,
    KineticDeviceBusyError,
    KineticDeviceOfflineError,
    KineticError,
    KineticInputError,
    KineticLowBatteryError,
    KineticRateLimitError,
    KineticUnknownDeviceError,
)
from .journal import (
    JournalClaimError,
    JournaledPayments,
    JournalError,
    SqliteJournal,
    abandon,
)
from .models.common import (
    ReceiptCopy,
    TerminalKind,
    TerminalStatus,
    Transaction,
    TransactionResult,
    TransactionType,
)
from .money import DEFAULT_MAX_AMOUNT, format_amount, parse_amount
from .terminal import Capability, Terminal, TerminalConfig, create_terminal

EXIT_OK = 0
EXIT_NOT_APPROVED = 1
EXIT_INVALID = 2
EXIT_UNREACHABLE = 3
EXIT_UNKNOWN = 4

DEFAULT_PORTS = {
    TerminalKind.KINETIC_GO: 8080,
    TerminalKind.DEVICE_SERVICE: 8526,
    TerminalKind.PAYMENT_ENGINE: 443,
}
_LOGGER = logging.getLogger(__name__)
#: References of payments interrupted by Ctrl-C in this process (for the exit code).
_INTERRUPTED_PAYMENTS: list[str] = []
_PAYMENT_COMMANDS = frozenset({"sale", "refund", "reversal", "reconciliation"})
#: Errors meaning "nothing was charged; the terminal could not take the request".
_NOT_REACHED = (
    KineticConnectionError,
    KineticAuthenticationError,
    KineticDeviceBusyError,
    KineticRateLimitError,
    KineticDeviceOfflineError,
    KineticUnknownDeviceError,
    KineticLowBatteryError,
)


class _UsageError(Exception):
    """argparse wanted to exit: a usage error (2) or after --help/--version (0)."""

    def __init__(self, status: int, message: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that reports instead of exiting, and writes where it is told."""

    stdout: IO[str] = sys.stdout

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _UsageError(status, message)

    def error(self, message: str) -> NoReturn:
        raise _UsageError(EXIT_INVALID, f"{self.prog}: error: {message}\n")

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
        choices=[kind.value for kind in TerminalKind],
        default=default(TerminalKind.KINETIC_GO.value),
        help="which API the terminal speaks (default kinetic-go)",
    )
    term.add_argument("--host", default=default("127.0.0.1"), help="default 127.0.0.1")
    term.add_argument(
        "--port", type=int, default=default(None), help="default 8080 / 8526 / 443 by kind"
    )
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
        help="Payment Engine API base (default http://HOST:PORT/api/v2, https on port 443)",
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
    sale = command("sale", "take a payment and wait for the result")
    sale.add_argument("amount", metavar="AMOUNT", help="e.g. 12.34")
    sale.add_argument("--reference", help="your id for it; re-run with it to resume")
    sale.add_argument("--tip", metavar="AMOUNT", help="tip on top of the amount")
    sale.add_argument("--cashback", metavar="AMOUNT", help="cashback on top (Kinetic Go)")
    sale.add_argument("--timeout", type=float, metavar="S", help="seconds the customer has")
    sale.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra pay request field, e.g. table=12 (Payment Engine)",
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
    lookup = command("transaction", "look a transaction up by its reference")
    lookup.add_argument("reference", metavar="ID")
    receipt = command("receipt", "show (or print) a transaction's receipt")
    receipt.add_argument("reference", metavar="ID")
    receipt.add_argument(
        "--copy", choices=[copy.value for copy in ReceiptCopy], default=ReceiptCopy.MERCHANT.value
    )
    receipt.add_argument("--print", action="store_true", help="also print it on the terminal")
    printing = command("print", "print text lines on the terminal's printer")
    printing.add_argument("text", nargs="+", metavar="TEXT", help="one argument per line")
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
    simulate = command("simulate", "run simulated terminals on loopback until Ctrl-C")
    simulate.add_argument("--kinetic-go", type=int, default=1, metavar="N")
    simulate.add_argument("--device-service", type=int, default=1, metavar="N")
    simulate.add_argument("--payment-engine", type=int, default=1, metavar="N")
    simulate.add_argument(
        "--bind",
        default="127.0.0.2",
        metavar="ADDRESS",
        help="first address; each terminal gets the next one (default 127.0.0.2)",
    )
    simulate.add_argument(
        "--base-port",
        type=int,
        default=None,
        metavar="PORT",
        help="port for every terminal (default: each kind's own; 0: ephemeral)",
    )
    simulate.add_argument(
        "--no-zeroconf",
        dest="zeroconf",
        action="store_false",
        help="do not advertise the terminals by zeroconf (on the loopback interface)",
    )
    simulate.add_argument(
        "--no-announce",
        dest="announce",
        action="store_false",
        help="do not send UDP announcements (to 127.0.0.1, see --announce-port)",
    )
    simulate.add_argument(
        "--announce-port",
        type=int,
        default=33310,
        metavar="PORT",
        help="port the UDP announcements go to on 127.0.0.1 (default 33310)",
    )
    simulate.add_argument("--customer-delay", type=float, default=None, metavar="S")
    simulate.add_argument("--duration", type=float, default=None, help=argparse.SUPPRESS)
    add_discover_parser(commands, parents=[late])
    return parser


# --- output --------------------------------------------------------------------------


def _money(value: Decimal | None) -> str | None:
    return format_amount(value) if value is not None else None


def transaction_json(txn: Transaction) -> dict[str, Any]:
    """Return the JSON shape of a transaction (money as strings in major units)."""
    return {
        "kind": txn.kind.value,
        "reference": txn.reference,
        "type": txn.type.value,
        "result": txn.result.value,
        "amount": _money(txn.amount),
        "tip": _money(txn.tip),
        "cashback": _money(txn.cashback),
        "total": _money(txn.total),
        "auth_code": txn.auth_code,
        "masked_pan": txn.masked_pan,
        "card_network": txn.card_network,
        "entry_mode": txn.entry_mode,
        "terminal_id": txn.terminal_id,
        "request_key": txn.request_key,
        "status": txn.status,
        "message": txn.message,
        "signature_required": txn.signature_required,
        "is_offline": txn.is_offline,
        "is_duplicate": txn.is_duplicate,
    }


def status_json(status: TerminalStatus) -> dict[str, Any]:
    """Return the JSON shape of a terminal status."""
    return {
        "kind": status.kind.value,
        "online": status.online,
        "busy": status.busy,
        "screen": status.screen,
        "offline_count": status.offline_count,
        "serial": status.serial,
        "name": status.name,
        "manufacturer": status.manufacturer,
        "model": status.model,
    }


class _Output:
    """Writes either JSON (one object) or human text."""

    def __init__(self, as_json: bool, stdout: IO[str], stderr: IO[str]) -> None:
        self.as_json = as_json
        self.stdout = stdout
        self.stderr = stderr

    def emit(self, data: dict[str, Any], human: str) -> None:
        if self.as_json:
            self.stdout.write(json.dumps(data) + "\n")
        else:
            self.stdout.write(human.rstrip("\n") + "\n")

    def error(
        self, err: KineticError | str, exit_code: int, *, code: str | None = None, **extra: Any
    ) -> int:
        message = err.message if isinstance(err, KineticError) else err
        if code is None:
            code = err.code if isinstance(err, KineticError) else "invalid_input"
        if self.as_json:
            self.stdout.write(
                json.dumps({"error": code, "message": message, "exit_code": exit_code, **extra})
                + "\n"
            )
        self.stderr.write(f"kinetic: {message}\n")
        return exit_code


def _human_transaction(txn: Transaction) -> str:
    lines = [f"{txn.type.value.capitalize()} {txn.result.value.upper()}"]
    lines.append(f"  reference:  {txn.reference}")
    if txn.amount is not None:
        lines.append(f"  amount:     {format_amount(txn.amount)}")
    for label, value in (
        ("tip", _money(txn.tip)),
        ("auth code", txn.auth_code),
        ("card", txn.masked_pan),
        ("network", txn.card_network),
        ("request key", txn.request_key),
        ("status", txn.status),
        ("message", txn.message),
    ):
        if value:
            lines.append(f"  {label + ':':<11} {value}")
    if txn.is_duplicate:
        lines.append(
            "  DUPLICATE: the gateway answered with an earlier identical charge; no new money moved"
        )
    if not txn.result.is_final:
        lines.append(
            "The outcome is UNKNOWN: do not charge again. Check the terminal, or re-run the "
            f"same command with --reference {txn.reference} to resume."
        )
    return "\n".join(lines)


def _human_status(status: TerminalStatus) -> str:
    lines = [
        f"{status.kind.value}: {'online' if status.online else 'OFFLINE'}"
        + (", busy" if status.busy else ", idle")
    ]
    for label, value in (
        ("screen", status.screen),
        ("offline", status.offline_count),
        ("serial", status.serial),
        ("name", status.name),
        ("model", " ".join(v for v in (status.manufacturer, status.model) if v) or None),
    ):
        if value is not None:
            lines.append(f"  {label + ':':<8} {value}")
    return "\n".join(lines)


def _result_exit(txn: Transaction) -> int:
    if txn.result is TransactionResult.APPROVED:
        return EXIT_OK
    return EXIT_NOT_APPROVED if txn.result.is_final else EXIT_UNKNOWN


# --- configuration -------------------------------------------------------------------


def default_journal_path() -> Path:
    """``$KINETIC_JOURNAL``, else ``$XDG_STATE_HOME/kinetic/journal.sqlite3``."""
    if os.environ.get("KINETIC_JOURNAL"):
        return Path(os.environ["KINETIC_JOURNAL"])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "kinetic" / "journal.sqlite3"


def _config(args: argparse.Namespace) -> TerminalConfig:
    """Build the terminal configuration; raises KineticInputError on a missing setting."""
    kind = TerminalKind(args.kind)
    port = args.port if args.port is not None else DEFAULT_PORTS[kind]
    if not 0 < port < 65536:
        raise KineticInputError(f"--port must be between 1 and 65535, got {port}")
    max_amount = parse_amount(args.max_amount, max_amount=None, field="--max-amount")
    username = args.username or os.environ.get("KINETIC_USERNAME")
    password = args.password or os.environ.get("KINETIC_PASSWORD")
    api_key = args.api_key or os.environ.get("KINETIC_API_KEY")
    pin = args.pin or os.environ.get("KINETIC_PIN")
    base_url = args.base_url
    if kind is TerminalKind.PAYMENT_ENGINE and base_url is None:
        scheme = "https" if port == 443 else "http"
        base_url = f"{scheme}://{args.host}:{port}/api/v2"
    if kind is TerminalKind.PAYMENT_ENGINE:
        _check_payment_engine_url(base_url)
    for name in ("request_timeout", "poll_interval"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise KineticInputError(f"--{name.replace('_', '-')} must be positive")
    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout <= 0:
        raise KineticInputError("--timeout must be positive")
    return TerminalConfig(
        kind=kind,
        host=args.host,
        port=port,
        username=username,
        password=password,
        api_key=api_key,
        pin=pin,
        device_key=args.device_key,
        base_url=base_url,
        max_amount=max_amount,
        request_timeout=args.request_timeout,
        poll_interval=args.poll_interval,
    )


def _check_payment_engine_url(base_url: str) -> None:
    """Refuse to send the API key in clear text anywhere but this machine."""
    url = URL(base_url)
    if url.scheme == "https":
        return
    host = url.host or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if url.scheme != "http" or not loopback:
        raise KineticInputError(
            "The Payment Engine must be reached over https (plain http only on loopback, "
            f"e.g. a simulator); got {base_url}"
        )


def _check_credentials(config: TerminalConfig) -> None:
    if config.kind is TerminalKind.PAYMENT_ENGINE:
        if not config.api_key or not config.pin:
            raise KineticInputError(
                "The Payment Engine needs --api-key and --pin (or KINETIC_API_KEY, KINETIC_PIN)"
            )
    elif not config.username or not config.password:
        raise KineticInputError(
            f"A {config.kind.value} terminal needs --username and --password "
            "(or KINETIC_USERNAME, KINETIC_PASSWORD)"
        )


# --- commands --------------------------------------------------------------------------


async def _run_payment(
    args: argparse.Namespace, terminal: Terminal, journal: SqliteJournal, out: _Output
) -> int:
    if args.command == "sale":
        operation = terminal.prepare(
            TransactionType.SALE,
            amount=args.amount,
            reference=args.reference,
            tip=args.tip,
            cashback=args.cashback,
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
        _INTERRUPTED_PAYMENTS.append(operation.reference)
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
    out.emit(transaction_json(txn), _human_transaction(txn))
    if not txn.result.is_final:
        out.stderr.write(
            f"kinetic: outcome unknown for reference {txn.reference}; "
            f"re-run with --reference {txn.reference} to resume\n"
        )
    return _result_exit(txn)


async def _run_command(
    args: argparse.Namespace, terminal: Terminal, journal: SqliteJournal, out: _Output
) -> int:
    command: str = args.command
    if command in _PAYMENT_COMMANDS:
        return await _run_payment(args, terminal, journal, out)
    if command == "status":
        status = await terminal.status()
        out.emit(status_json(status), _human_status(status))
    elif command == "transaction":
        record = await journal.get(args.reference)
        txn = await terminal.transaction(
            args.reference, terminal_id=record.terminal_id if record else None
        )
        if record is not None:
            txn = dataclasses.replace(txn, type=record.type)
        out.emit(transaction_json(txn), _human_transaction(txn))
    elif command == "receipt":
        lines = await terminal.receipt(args.reference, ReceiptCopy(args.copy))
        if args.print:
            await terminal.print_text(lines)
        out.emit({"lines": lines, "printed": bool(args.print)}, "\n".join(lines))
    elif command == "print":
        await terminal.print_text(args.text)
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


def _check_unsupported(args: argparse.Namespace, terminal: Terminal) -> None:
    """Refuse up front what this kind cannot do, before any request or file is touched."""
    needs = {
        "receipt": Capability.RECEIPTS,
        "print": Capability.PRINT,
        "offline-count": Capability.OFFLINE_TRANSACTIONS,
        "offline-send": Capability.OFFLINE_TRANSACTIONS,
        "cancel": Capability.CANCEL,
        "transaction": Capability.TRANSACTION_LOOKUP,
        "sale": Capability.SALE,
        "refund": Capability.REFUND,
        "reversal": Capability.REVERSAL,
        "reconciliation": Capability.RECONCILIATION,
    }
    if args.command in needs:
        terminal.require(needs[args.command], f"do '{args.command}'")
    if args.command == "receipt" and args.print:
        terminal.require(Capability.PRINT, "print")
    if args.command == "sale":
        if args.tip is not None:
            terminal.require(Capability.TIP, "take a tip")
        if args.cashback is not None:
            terminal.require(Capability.CASHBACK, "give cashback")
        if args.field:
            terminal.require(Capability.PASSTHROUGH, "take extra transaction fields")


async def _simulate(args: argparse.Namespace, out: _Output) -> int:
    # Imported here: only this command needs the simulator.
    from .simulator import Fleet  # noqa: PLC0415

    try:
        first = ipaddress.ip_address(args.bind)
    except ValueError:
        return out.error(f"--bind must be an IP address, got {args.bind!r}", EXIT_INVALID)
    octets = str(first).split(".")
    if first.version != 4 or octets[:3] != ["127", "0", "0"]:
        # Loopback only: the simulators accept any card. The fleet numbers its terminals
        # 127.0.0.N, N+1, ...
        return out.error(
            f"The simulator fleet binds 127.0.0.N (loopback) addresses only, got {first}",
            EXIT_INVALID,
        )
    counts = (args.kinetic_go, args.device_service, args.payment_engine)
    if any(count < 0 for count in counts) or not any(counts):
        return out.error("Give at least one simulated terminal (counts are >= 0)", EXIT_INVALID)
    if args.base_port is not None and not 0 <= args.base_port < 65536:
        return out.error("--base-port must be between 0 and 65535", EXIT_INVALID)
    if not 0 < args.announce_port < 65536:
        return out.error("--announce-port must be between 1 and 65535", EXIT_INVALID)
    kwargs: dict[str, Any] = {
        "first_host": int(octets[3]),
        "port": args.base_port,
        "zeroconf": args.zeroconf,
        "announce": args.announce,
        "announce_target": ("127.0.0.1", args.announce_port),
    }
    if args.customer_delay is not None:
        kwargs["customer_delay"] = args.customer_delay
    try:
        fleet = Fleet(
            kinetic_go=args.kinetic_go,
            device_service=args.device_service,
            payment_engine=args.payment_engine,
            **kwargs,
        )
    except ValueError as err:
        return out.error(str(err), EXIT_INVALID)
    await fleet.start()
    try:
        described = fleet.describe()
        out.emit({"terminals": described}, fleet_instructions(described))
        out.stdout.flush()
        if args.duration is not None:
            await asyncio.sleep(args.duration)
        else:
            await asyncio.Event().wait()
    finally:
        await fleet.stop()
    return EXIT_OK


def fleet_instructions(described: Sequence[dict[str, Any]]) -> str:
    """How to reach each simulated terminal with this CLI, and a sale to try."""
    lines = ["Simulated terminals (Ctrl-C to stop):"]
    first_connect: list[str] | None = None
    for item in described:
        kind = str(item.get("kind"))
        connect = ["kinetic", "--kind", kind]
        if item.get("api_key"):
            # A cloud API: reached by its base URL, not host and port.
            connect += ["--base-url", str(item.get("base_url"))]
            connect += ["--api-key", str(item["api_key"]), "--pin", str(item.get("pin"))]
            devices = [d for d in item.get("devices") or [] if isinstance(d, dict)]
            if devices and devices[0].get("key"):
                connect += ["--device-key", str(devices[0]["key"])]
        else:
            connect += ["--host", str(item.get("host")), "--port", str(item.get("port"))]
            connect += ["--username", str(item.get("username"))]
            connect += ["--password", str(item.get("password"))]
        first_connect = first_connect or connect
        lines.append(f"- {item.get('name', kind)} ({kind}) at {item.get('url')}")
        lines.append("    " + " ".join(connect) + " status")
    if first_connect is not None:
        lines += [
            "",
            "Take a sale (the cents choose the outcome: .01 declined, .02 PIN, .03 no card,",
            ".04 customer cancels, .05 host error, .06 signature, anything else approved):",
            "    " + " ".join(first_connect) + " sale 12.34",
        ]
    return "\n".join(lines)


# --- entry points ---------------------------------------------------------------------


def _exit_code_for(err: KineticError) -> int:
    if isinstance(err, (KineticInputError, JournalError)):
        return EXIT_INVALID
    if isinstance(err, _NOT_REACHED):
        return EXIT_UNREACHABLE
    return EXIT_NOT_APPROVED


async def async_main(
    argv: Sequence[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the command line ``argv`` and return the exit code (see the module docstring)."""
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    parser = build_parser(stdout)
    try:
        args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    except _UsageError as err:
        if err.message:
            stderr.write(err.message)
        return err.status
    out = _Output(args.json, stdout, stderr)
    handler: logging.Handler | None = None
    if args.verbose:
        handler = logging.StreamHandler(stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        package_logger = logging.getLogger("kinetic_integration")
        package_logger.addHandler(handler)
        package_logger.setLevel(logging.DEBUG)
    try:
        return await _main(args, out)
    finally:
        if handler is not None:
            logging.getLogger("kinetic_integration").removeHandler(handler)


async def _main(args: argparse.Namespace, out: _Output) -> int:
    if args.command == "discover":
        return await run_discover(args, out.stdout)
    if args.command == "simulate":
        return await _simulate(args, out)
    if args.command == "abandon":
        return await _abandon(args, out)
    try:
        config = _config(args)
    except KineticError as err:
        return out.error(err, EXIT_INVALID)
    journal = SqliteJournal(args.journal or default_journal_path())
    async with new_session() as session:
        terminal = create_terminal(config, session)
        try:
            _check_unsupported(args, terminal)
            _check_credentials(config)
            return await _run_command(args, terminal, journal, out)
        except KineticError as err:
            return out.error(err, _exit_code_for(err), **_error_extra(err))
        finally:
            await terminal.close()


async def _abandon(args: argparse.Namespace, out: _Output) -> int:
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


def _error_extra(err: KineticError) -> dict[str, Any]:
    reference = getattr(err, "reference", None)
    return {"reference": reference} if isinstance(reference, str) else {}


def main() -> None:
    """Console-script entry point: ``kinetic ...``."""
    try:
        code = asyncio.run(async_main())
    except KeyboardInterrupt:
        # Interrupted mid-payment the outcome is unknown (4), not merely "interrupted".
        code = EXIT_UNKNOWN if _INTERRUPTED_PAYMENTS else 130
    raise SystemExit(code)

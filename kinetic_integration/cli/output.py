"""What the ``kinetic`` command prints, and the exit codes it returns."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from .. import TerminalStatus, Transaction, TransactionResult
from ..errors import (
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
from ..journal import JournalError
from ..money import format_amount
from .failures import describe

EXIT_OK = 0
EXIT_NOT_APPROVED = 1
EXIT_INVALID = 2
EXIT_UNREACHABLE = 3
EXIT_UNKNOWN = 4
#: Another run (another process) holds this reference: this one sent nothing.
EXIT_ELSEWHERE = 5

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
        # The saved card's token (save_card): the caller asked for it; it is never logged.
        "card_token": txn.card_token,
        "reader_terminal_id": txn.reader_terminal_id,
        "is_contactless": txn.is_contactless,
        "verified_by_pin": txn.verified_by_pin,
        "verified_on_device": txn.verified_on_device,
        "response_code": txn.response_code,
        "is_reversed": txn.is_reversed,
        "is_deferred_auth": txn.is_deferred_auth,
        "deferred_auth_attempts": txn.deferred_auth_attempts,
        "last_deferred_auth_attempt_at": _time(txn.last_deferred_auth_attempt_at),
        "started_at": _time(txn.started_at),
        "ended_at": _time(txn.ended_at),
    }


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def status_json(status: TerminalStatus) -> dict[str, Any]:
    """Return the JSON shape of a terminal status."""
    return {
        "kind": status.kind.value,
        "online": status.online,
        "busy": status.busy,
        "screen": status.screen,
        "offline_count": status.offline_count,
        "supports_offline": status.supports_offline,
        "serial": status.serial,
        "name": status.name,
        "manufacturer": status.manufacturer,
        "model": status.model,
    }


class Output:
    """Writes either JSON (one object) or human text."""

    def __init__(self, as_json: bool, stdout: IO[str], stderr: IO[str]) -> None:
        """Write to ``stdout`` (results) and ``stderr`` (messages)."""
        self.as_json = as_json
        self.stdout = stdout
        self.stderr = stderr
        # Set once the terminal is known: how failures describe it (see .failures).
        self.address = "the configured address"
        self.moves_money = False
        self.credentials = "the credentials"

    def emit(self, data: dict[str, Any], human: str) -> None:
        """Print a result: ``data`` as JSON, or the ``human`` text."""
        if self.as_json:
            self.stdout.write(json.dumps(data) + "\n")
        else:
            self.stdout.write(human.rstrip("\n") + "\n")

    def error(
        self, err: KineticError | str, exit_code: int, *, code: str | None = None, **extra: Any
    ) -> int:
        """Report a failure (JSON on stdout when asked, always stderr); return ``exit_code``.

        A library error is said in words chosen by its code (what happened, whether
        money moved, what to do); a string is already such a sentence of ours.
        """
        if isinstance(err, KineticError):
            failure = describe(
                err,
                address=self.address,
                moves_money=self.moves_money,
                credentials=self.credentials,
            )
            message, money = failure.message, failure.money
            code = code or failure.code
        else:
            message, money = err, extra.pop("money", "nothing_sent")
            code = code or "invalid_input"
        if self.as_json:
            data = {"error": code, "message": message, "exit_code": exit_code, "money": money}
            self.stdout.write(json.dumps({**data, **extra}) + "\n")
        self.stderr.write(f"kinetic: {message}\n")
        return exit_code


def human_transaction(txn: Transaction) -> str:
    """Return a transaction as the lines a person reads."""
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
        ("reader id", txn.reader_terminal_id),
        ("status", txn.status),
        ("message", txn.message),
    ):
        if value:
            lines.append(f"  {label + ':':<11} {value}")
    if txn.is_offline:
        lines.append("  OFFLINE: approved by the card; the host has its say once it is sent")
    if txn.is_deferred_auth:
        lines.append(
            "  DEFERRED AUTHORISATION: approved without the host; the terminal keeps trying it"
        )
    if txn.signature_required:
        lines.append("  SIGNATURE REQUIRED: check the customer's signature")
    if txn.is_reversed:
        lines.append("  REVERSED: this transaction has since been reversed (voided)")
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


def human_status(status: TerminalStatus) -> str:
    """Return a terminal status as the lines a person reads."""
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


def result_exit(txn: Transaction) -> int:
    """Return the exit code of a payment's result (unknown when not final)."""
    if txn.result is TransactionResult.APPROVED:
        return EXIT_OK
    return EXIT_NOT_APPROVED if txn.result.is_final else EXIT_UNKNOWN


def exit_code_for(err: KineticError) -> int:
    """Return the exit code of a failure: invalid input, not reached, or refused."""
    if isinstance(err, (KineticInputError, JournalError)):
        return EXIT_INVALID
    if isinstance(err, _NOT_REACHED):
        return EXIT_UNREACHABLE
    return EXIT_NOT_APPROVED


def error_extra(err: KineticError) -> dict[str, Any]:
    """Return the fields a failure adds to its JSON (the blocking transaction's reference)."""
    reference = getattr(err, "reference", None)
    return {"reference": reference} if isinstance(reference, str) else {}

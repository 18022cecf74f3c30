"""What became of a transaction, and how it is told: the signal, the actions' answers.

Amounts and times leave as exact text (``"12.30"``, ISO 8601), never as floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from kinetic_integration import (
    JournalRecord,
    KineticError,
    Operation,
    Transaction,
    TransactionResult,
    format_amount,
)

from .audit import STARTED_BY, STARTED_BY_TEXT, Caller, started_by_fields, started_by_text
from .const import DOMAIN


def transaction_signal(entry_id: str) -> str:
    """Return the dispatcher signal that carries a finished transaction of one entry."""
    return f"{DOMAIN}_transaction_{entry_id}"


def as_text(value: Decimal | datetime | None) -> str | None:
    """Return an amount or a time as exact text (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format_amount(value)
    return value.isoformat()


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What became of a transaction: the terminal's answer, or why nothing was charged."""

    operation: Operation
    transaction: Transaction | None = None
    error: KineticError | None = None
    recovered: bool = False
    #: Who started it (and the call's context, which what is announced carries).
    caller: Caller | None = None

    @property
    def result(self) -> TransactionResult:
        """The result; an error before anything was charged counts as ``error``."""
        if self.transaction is not None:
            return self.transaction.result
        return TransactionResult.ERROR if self.error is not None else TransactionResult.UNKNOWN


def terminal_facts(txn: Transaction | None) -> dict[str, Any]:
    """Return how the card was read and verified, and by which reader (the terminal says).

    ``reader_terminal_id`` names the reader (the same for all its sales), never the
    transaction; ``response_code`` is the host's answer to an offline sale once synced.
    Whether a signature is required is one of the :func:`outcome_flags`.
    """
    return {
        "reader_terminal_id": txn.reader_terminal_id if txn is not None else None,
        "is_contactless": txn.is_contactless if txn is not None else None,
        "verified_by_pin": txn.verified_by_pin if txn is not None else None,
        "verified_on_device": txn.verified_on_device if txn is not None else None,
        "is_offline": txn.is_offline if txn is not None else None,
        "response_code": txn.response_code if txn is not None else None,
    }


def transaction_response(outcome: Outcome, terminal: str) -> dict[str, Any]:
    """Return the action's answer: the final transaction, with amounts as exact strings."""
    txn = outcome.transaction
    assert txn is not None
    return {
        "reference": txn.reference,
        "type": txn.type.value,
        "result": txn.result.value,
        "amount": as_text(txn.amount),
        "tip": as_text(txn.tip),
        "cashback": as_text(txn.cashback),
        "total": as_text(txn.total),
        "auth_code": txn.auth_code,
        "masked_pan": txn.masked_pan,
        "card_network": txn.card_network,
        "entry_mode": txn.entry_mode,
        "terminal": terminal,
        "terminal_transaction_id": txn.request_key or txn.terminal_id,
        "message": txn.message,
        # The gateway answered with an earlier identical charge: no new money moved.
        "is_duplicate": txn.is_duplicate,
        # The saved card's token (save_card), in this answer only: never logged or kept.
        "card_token": txn.card_token,
        "started_at": as_text(txn.started_at),
        "ended_at": as_text(txn.ended_at),
        **started_by_fields(outcome.caller),
        **terminal_facts(txn),
        **outcome_flags(txn),
    }


def outcome_flags(txn: Transaction | None) -> dict[str, Any]:
    """Return what the merchant must know about an outcome: signature, reversal, deferral.

    A deferred authorisation was approved without the host: the merchant carries the
    risk until the terminal reaches it (``deferred_auth_attempts`` so far).
    """
    return {
        "signature_required": txn.signature_required if txn is not None else None,
        "is_reversed": txn.is_reversed if txn is not None else None,
        "is_deferred_auth": txn.is_deferred_auth if txn is not None else None,
        "deferred_auth_attempts": txn.deferred_auth_attempts if txn is not None else None,
        "last_deferred_auth_attempt_at": (
            as_text(txn.last_deferred_auth_attempt_at) if txn is not None else None
        ),
    }


def record_response(record: JournalRecord, details: dict[str, Any]) -> dict[str, Any]:
    """Return a journal record as the get_transaction action returns it."""
    return {
        "reference": record.reference,
        "terminal": record.terminal,
        "type": record.type.value,
        "amount": record.amount,
        "state": record.state.value,
        "result": record.result.value if record.result else None,
        "terminal_transaction_id": record.terminal_id,
        "message": record.message,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        STARTED_BY: None,
        **{key: value for key, value in details.items() if key != "entry_id"},
        STARTED_BY_TEXT: started_by_text(details.get(STARTED_BY)),
    }


def event_data(
    outcome: Outcome,
    details: Mapping[str, Any],
    *,
    device_id: str | None,
    entry_id: str,
    terminal: str,
) -> dict[str, Any]:
    """Return what the bus event and the event entity carry (no card data but the mask)."""
    operation = outcome.operation
    txn = outcome.transaction
    amount = txn.amount if txn is not None and txn.amount is not None else operation.amount
    return {
        "device_id": device_id,
        "config_entry_id": entry_id,
        "terminal": terminal,
        "reference": operation.reference,
        "type": operation.type.value,
        "result": outcome.result.value,
        "amount": as_text(amount),
        "tip": as_text(txn.tip if txn is not None else operation.tip),
        "total": as_text(txn.total) if txn is not None else None,
        "table": details.get("table"),
        "order_id": details.get("order_id"),
        "clerk": details.get("clerk"),
        # The sale a refund returns (when it names one: the refund rules).
        "original_reference": details.get("original_reference"),
        "masked_pan": txn.masked_pan if txn is not None else None,
        "card_network": txn.card_network if txn is not None else None,
        "is_duplicate": txn.is_duplicate if txn is not None else None,
        "message": (
            txn.message if txn is not None else (outcome.error.message if outcome.error else None)
        ),
        "error": outcome.error.code if outcome.error is not None else None,
        "recovered": outcome.recovered,
        **started_by_fields(outcome.caller),
        **terminal_facts(txn),
        **outcome_flags(txn),
    }

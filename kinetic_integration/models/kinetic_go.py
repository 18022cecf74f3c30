"""Models of the Kinetic Go 2 on-device REST API (v2).

Amounts on the wire are integers of minor units; every model holds major-unit
Decimals. Track data, PIN blocks, KSNs, EMV tags, online request/response data and
card details other than the scheme are dropped by the schemas (``REMOVE_EXTRA``),
so they never reach a model.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import voluptuous as vol

from ..money import from_minor_units
from . import _coerce as c
from ._wire import from_wire, wire, wire_model
from .common import (
    TerminalKind,
    Transaction,
    TransactionResult,
    TransactionType,
    mask_pan,
)

#: The screen path of an idle terminal, ready for the next transaction.
IDLE_SCREEN_PATH = "app.views.layouts.idle"

_RESULTS = {
    "approved": TransactionResult.APPROVED,
    "declined": TransactionResult.DECLINED,
    "cancelled": TransactionResult.CANCELLED,
    "canceled": TransactionResult.CANCELLED,
    "error": TransactionResult.ERROR,
}
_TIMEOUT_STATUSES = frozenset({"timeout", "timed_out", "timedout", "card_timeout"})
_TYPES = {
    "sale": TransactionType.SALE,
    "refund": TransactionType.REFUND,
    "reversal": TransactionType.REVERSAL,
    "void": TransactionType.REVERSAL,
    "technical_reversal": TransactionType.REVERSAL,
    "reconciliation": TransactionType.RECONCILIATION,
}


def _minor(value: Any) -> Decimal:
    minor = c.strict_int(value)
    if abs(minor) >= c.MAX_API_AMOUNT * 100:
        # Nonsense no terminal charges (and beyond exact Decimal arithmetic).
        raise vol.Invalid("amount out of range")
    return from_minor_units(minor)


def _lenient_minor(value: Any) -> Decimal | None:
    try:
        return _minor(value)
    except vol.Invalid:
        return None


def _card_scheme(value: Any) -> str | None:
    # Only the scheme survives; track2 and anything else in card_details is dropped.
    if isinstance(value, dict):
        return c.lenient_str(value.get("scheme"))
    return None


def _result(value: str | None) -> TransactionResult | None:
    return _RESULTS.get(value.strip().lower()) if value else None


def _texts(value: Any) -> tuple[str, ...]:
    """Read a list of short words (unreadable entries are dropped, never guessed)."""
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _cvm_result(value: Any) -> tuple[str, ...]:
    # "ok", "failed", "blocked", an array of "failed" and "blocked", or a hex value.
    return (value,) if isinstance(value, str) else _texts(value)


_OPTIONAL_MINOR = c.optional(_minor)


@wire_model
class GoDevice:
    """The hardware behind a Kinetic Go 2 (``device.json``)."""

    manufacturer: str | None = wire("manufacturer", c.lenient_str, default=None)
    family: str | None = wire("family", c.lenient_str, default=None)
    serial_number: str = wire("serial_number", c.required_str)

    @classmethod
    def from_dict(cls, data: Any) -> GoDevice:
        """Build from the ``device`` object of ``device.json``."""
        return from_wire(cls, data, "Kinetic Go device")


@wire_model
class GoScreen:
    """What the terminal's screen shows (``screens/current.json``)."""

    path: str = wire("path", c.required_str)
    text: str | None = wire("text", c.lenient_str, default=None)

    @property
    def is_idle(self) -> bool:
        """Whether the terminal shows its idle screen, ready for a transaction."""
        return self.path == IDLE_SCREEN_PATH

    @classmethod
    def from_dict(cls, data: Any) -> GoScreen:
        """Build from the ``scene`` object."""
        return from_wire(cls, data, "Kinetic Go screen")


@wire_model
class GoTransactionSummary:
    """One row of ``transactions.json`` (the most common fields only)."""

    id: str = wire("id", c.required_str)
    type: str | None = wire("type", c.lenient_str, default=None)
    result: str | None = wire("result", c.lenient_str, default=None)
    amount: Decimal | None = wire("amount", _OPTIONAL_MINOR, default=None)
    host: str | None = wire("host", c.lenient_str, default=None)
    masked_pan: str | None = wire("account_number", c.lenient_str, default=None, pick=mask_pan)
    is_reversed: bool | None = wire("is_reversed", c.lenient_bool, default=None)
    started_at: datetime | None = wire("started_at", c.timestamp, default=None)
    ended_at: datetime | None = wire("ended_at", c.timestamp, default=None)

    @classmethod
    def from_dict(cls, data: Any) -> GoTransactionSummary:
        """Build from one element of the transaction list."""
        return from_wire(cls, data, "Kinetic Go transaction summary")

    def to_transaction(self) -> Transaction:
        """Translate to the shared vocabulary (a summary is always a stored transaction)."""
        return Transaction(
            kind=TerminalKind.KINETIC_GO,
            reference=self.id,
            type=_TYPES.get((self.type or "").lower(), TransactionType.SALE),
            result=_result(self.result) or TransactionResult.UNKNOWN,
            amount=self.amount,
            masked_pan=self.masked_pan,
            started_at=self.started_at,
            ended_at=self.ended_at,
            is_reversed=self.is_reversed,
        )


@wire_model
class GoTransaction:
    """A Kinetic Go 2 transaction document, card secrets removed."""

    id: str = wire("id", c.required_str)
    type: str | None = wire("type", c.lenient_str, default=None)
    status: str | None = wire("status", c.lenient_str, default=None)
    status_details: str | None = wire("status_details", c.lenient_str, default=None)
    result: str | None = wire("result", c.lenient_str, default=None)
    online_result: str | None = wire("online_result", c.lenient_str, default=None)
    is_active: bool | None = wire("is_active", c.lenient_bool, default=None)
    amount: Decimal | None = wire("amount", _OPTIONAL_MINOR, default=None)
    tip_amount: Decimal | None = wire("tip_amount", _OPTIONAL_MINOR, default=None)
    amount_other: Decimal | None = wire("amount_other", _OPTIONAL_MINOR, default=None)
    total_amount: Decimal | None = wire("total_amount", _OPTIONAL_MINOR, default=None)
    masked_pan: str | None = wire("account_number", c.lenient_str, default=None, pick=mask_pan)
    card_scheme: str | None = wire("card_details", _card_scheme, default=None)
    app_label: str | None = wire("app_label", c.lenient_str, default=None)
    auth_code: str | None = wire("auth_code", c.lenient_str, default=None)
    input_source: str | None = wire("input_source", c.lenient_str, default=None)
    cvm_mode: str | None = wire("cvm_mode", c.lenient_str, default=None)
    host: str | None = wire("host", c.lenient_str, default=None)
    reference_number: str | None = wire("reference_number", c.lenient_str, default=None)
    reference_txn_id: str | None = wire("reference_txn_id", c.lenient_str, default=None)
    issuer_id: str | None = wire("issuer_id", c.lenient_str, default=None)
    started_at: datetime | None = wire("started_at", c.timestamp, default=None)
    ended_at: datetime | None = wire("ended_at", c.timestamp, default=None)
    duration: int | None = wire("duration", c.lenient_int, default=None)
    attempts_remaining: int | None = wire("attempts_remaining", c.lenient_int, default=None)
    num_attempts: int | None = wire("num_attempts", c.lenient_int, default=None)
    timeout_ms: int | None = wire("timeout_ms", c.lenient_int, default=None)
    stan: int | None = wire("stan", c.lenient_int, default=None)
    message_number: int | None = wire("message_number", c.lenient_int, default=None)
    session_number: int | None = wire("session_number", c.lenient_int, default=None)
    is_contactless: bool | None = wire("is_contactless", c.lenient_bool, default=None)
    is_emv: bool | None = wire("is_emv", c.lenient_bool, default=None)
    is_keyed: bool | None = wire("is_keyed", c.lenient_bool, default=None)
    is_online: bool | None = wire("is_online", c.lenient_bool, default=None)
    is_online_pin: bool | None = wire("is_online_pin", c.lenient_bool, default=None)
    is_offline_pin: bool | None = wire("is_offline_pin", c.lenient_bool, default=None)
    is_reversed: bool | None = wire("is_reversed", c.lenient_bool, default=None)
    is_deferred_auth: bool | None = wire("is_deferred_auth", c.lenient_bool, default=None)
    is_signature_required: bool | None = wire("is_signature_required", c.lenient_bool, default=None)
    app_confirmation_required: bool | None = wire(
        "app_confirmation_required", c.lenient_bool, default=None
    )
    is_fallback: bool | None = wire("is_fallback", c.lenient_bool, default=None)
    is_force_online: bool | None = wire("is_force_online", c.lenient_bool, default=None)
    is_sca_single_tap: bool | None = wire("is_sca_single_tap", c.lenient_bool, default=None)
    is_contactless_transaction_limit_exceeded: bool | None = wire(
        "is_contactless_transaction_limit_exceeded", c.lenient_bool, default=None
    )
    should_fallback: bool | None = wire("should_fallback", c.lenient_bool, default=None)
    should_retry: bool | None = wire("should_retry", c.lenient_bool, default=None)
    num_deferred_auth_attempts: int | None = wire(
        "num_deferred_auth_attempts", c.lenient_int, default=None
    )
    last_deferred_auth_attempted_at: datetime | None = wire(
        "last_deferred_auth_attempted_at", c.timestamp, default=None
    )
    terminal_online_decision: str | None = wire(
        "terminal_online_decision", c.lenient_str, default=None
    )
    attempted_sources: tuple[str, ...] = wire("attempted_sources", _texts, default=())
    cvm_result: tuple[str, ...] = wire("cvm_result", _cvm_result, default=())

    @classmethod
    def from_dict(cls, data: Any) -> GoTransaction:
        """Build from the ``transaction`` object of a transaction document."""
        return from_wire(cls, data, "Kinetic Go transaction")

    @property
    def transaction_type(self) -> TransactionType:
        """The shared transaction type (``void``/``technical_reversal`` are reversals)."""
        return _TYPES.get((self.type or "").lower(), TransactionType.SALE)

    @property
    def outcome(self) -> TransactionResult:
        """The shared result: PENDING while active, UNKNOWN when the terminal is unclear."""
        if self.is_active:
            return TransactionResult.PENDING
        status = (self.status or "").strip().lower()
        result = _result(self.result)
        details = (self.status_details or "").strip().lower()
        timed_out = status in _TIMEOUT_STATUSES or "timed_out" in details or "timeout" in details
        if result is TransactionResult.CANCELLED and timed_out:
            # The customer never presented a card: the card wait ran out.
            return TransactionResult.TIMEOUT
        if result is not None:
            return result
        if status in _TIMEOUT_STATUSES:
            return TransactionResult.TIMEOUT
        status_result = _result(status)
        if status_result is not None and self.is_active is False:
            return status_result
        if self.is_active is None and self.ended_at is None:
            # No result, no activity flag and no end time: most likely still running.
            return TransactionResult.PENDING
        return TransactionResult.UNKNOWN

    def to_transaction(self) -> Transaction:
        """Translate to the shared vocabulary."""
        return Transaction(
            kind=TerminalKind.KINETIC_GO,
            reference=self.id,
            type=self.transaction_type,
            result=self.outcome,
            amount=self.amount,
            tip=self.tip_amount,
            cashback=self.amount_other,
            total=self.total_amount,
            auth_code=self.auth_code,
            masked_pan=self.masked_pan,
            card_network=self.card_scheme or self.app_label,
            entry_mode=self.input_source,
            terminal_id=self.reference_number,
            status=self.status,
            message=self.status_details,
            signature_required=self.is_signature_required,
            started_at=self.started_at,
            ended_at=self.ended_at,
            is_reversed=self.is_reversed,
            is_deferred_auth=self.is_deferred_auth,
            deferred_auth_attempts=self.num_deferred_auth_attempts,
            last_deferred_auth_attempt_at=self.last_deferred_auth_attempted_at,
        )

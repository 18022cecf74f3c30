"""Models of the Kinetic Go 2 on-device REST API (v2).

Amounts on the wire are integers of minor units; every model holds major-unit
Decimals. Track data, PIN blocks, KSNs, EMV tags, online request/response data and
card details other than the scheme are dropped by the schemas (``REMOVE_EXTRA``),
so they never reach a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import voluptuous as vol

from ..money import from_minor_units
from . import _coerce as c
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


_DEVICE_SCHEMA = vol.Schema(
    {
        vol.Optional("manufacturer", default=None): c.lenient_str,
        vol.Optional("family", default=None): c.lenient_str,
        vol.Required("serial_number"): c.required_str,
    },
    extra=vol.REMOVE_EXTRA,
)

_SUMMARY_SCHEMA = vol.Schema(
    {
        vol.Required("id"): c.required_str,
        vol.Optional("started_at", default=None): c.timestamp,
        vol.Optional("ended_at", default=None): c.timestamp,
        vol.Optional("result", default=None): c.lenient_str,
        vol.Optional("amount", default=None): c.optional(_minor),
        vol.Optional("host", default=None): c.lenient_str,
        vol.Optional("type", default=None): c.lenient_str,
        vol.Optional("account_number", default=None): c.lenient_str,
        vol.Optional("is_reversed", default=None): c.lenient_bool,
    },
    extra=vol.REMOVE_EXTRA,
)

_TRANSACTION_SCHEMA = vol.Schema(
    {
        vol.Required("id"): c.required_str,
        vol.Optional("type", default=None): c.lenient_str,
        vol.Optional("status", default=None): c.lenient_str,
        vol.Optional("status_details", default=None): c.lenient_str,
        vol.Optional("result", default=None): c.lenient_str,
        vol.Optional("online_result", default=None): c.lenient_str,
        vol.Optional("is_active", default=None): c.lenient_bool,
        vol.Optional("amount", default=None): c.optional(_minor),
        vol.Optional("tip_amount", default=None): c.optional(_minor),
        vol.Optional("amount_other", default=None): c.optional(_minor),
        vol.Optional("total_amount", default=None): c.optional(_minor),
        vol.Optional("account_number", default=None): c.lenient_str,
        vol.Optional("auth_code", default=None): c.lenient_str,
        vol.Optional("app_label", default=None): c.lenient_str,
        vol.Optional("card_details", default=None): _card_scheme,
        vol.Optional("input_source", default=None): c.lenient_str,
        vol.Optional("cvm_mode", default=None): c.lenient_str,
        vol.Optional("host", default=None): c.lenient_str,
        vol.Optional("reference_number", default=None): c.lenient_str,
        vol.Optional("reference_txn_id", default=None): c.lenient_str,
        vol.Optional("issuer_id", default=None): c.lenient_str,
        vol.Optional("started_at", default=None): c.timestamp,
        vol.Optional("ended_at", default=None): c.timestamp,
        vol.Optional("duration", default=None): c.lenient_int,
        vol.Optional("attempts_remaining", default=None): c.lenient_int,
        vol.Optional("num_attempts", default=None): c.lenient_int,
        vol.Optional("timeout_ms", default=None): c.lenient_int,
        vol.Optional("stan", default=None): c.lenient_int,
        vol.Optional("message_number", default=None): c.lenient_int,
        vol.Optional("session_number", default=None): c.lenient_int,
        vol.Optional("is_contactless", default=None): c.lenient_bool,
        vol.Optional("is_emv", default=None): c.lenient_bool,
        vol.Optional("is_keyed", default=None): c.lenient_bool,
        vol.Optional("is_online", default=None): c.lenient_bool,
        vol.Optional("is_online_pin", default=None): c.lenient_bool,
        vol.Optional("is_offline_pin", default=None): c.lenient_bool,
        vol.Optional("is_reversed", default=None): c.lenient_bool,
        vol.Optional("is_deferred_auth", default=None): c.lenient_bool,
        vol.Optional("is_signature_required", default=None): c.lenient_bool,
        vol.Optional("app_confirmation_required", default=None): c.lenient_bool,
    },
    extra=vol.REMOVE_EXTRA,
)

_SCREEN_SCHEMA = vol.Schema(
    {
        vol.Required("path"): c.required_str,
        vol.Optional("text", default=None): c.lenient_str,
    },
    extra=vol.REMOVE_EXTRA,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class GoDevice:
    """The hardware behind a Kinetic Go 2 (``device.json``)."""

    manufacturer: str | None
    family: str | None
    serial_number: str

    @classmethod
    def from_dict(cls, data: Any) -> GoDevice:
        """Build from the ``device`` object of ``device.json``."""
        return cls(**c.validate(_DEVICE_SCHEMA, data, "Kinetic Go device"))


@dataclass(frozen=True, slots=True, kw_only=True)
class GoScreen:
    """What the terminal's screen shows (``screens/current.json``)."""

    path: str
    text: str | None

    @property
    def is_idle(self) -> bool:
        """Whether the terminal shows its idle screen, ready for a transaction."""
        return self.path == IDLE_SCREEN_PATH

    @classmethod
    def from_dict(cls, data: Any) -> GoScreen:
        """Build from the ``scene`` object."""
        return cls(**c.validate(_SCREEN_SCHEMA, data, "Kinetic Go screen"))


@dataclass(frozen=True, slots=True, kw_only=True)
class GoTransactionSummary:
    """One row of ``transactions.json`` (the most common fields only)."""

    id: str
    type: str | None
    result: str | None
    amount: Decimal | None
    host: str | None
    masked_pan: str | None
    is_reversed: bool | None
    started_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def from_dict(cls, data: Any) -> GoTransactionSummary:
        """Build from one element of the transaction list."""
        d = c.validate(_SUMMARY_SCHEMA, data, "Kinetic Go transaction summary")
        return cls(
            id=d["id"],
            type=d["type"],
            result=d["result"],
            amount=d["amount"],
            host=d["host"],
            masked_pan=mask_pan(d["account_number"]),
            is_reversed=d["is_reversed"],
            started_at=d["started_at"],
            ended_at=d["ended_at"],
        )

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
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GoTransaction:
    """A Kinetic Go 2 transaction document, card secrets removed."""

    id: str
    type: str | None
    status: str | None
    status_details: str | None
    result: str | None
    online_result: str | None
    is_active: bool | None
    amount: Decimal | None
    tip_amount: Decimal | None
    amount_other: Decimal | None
    total_amount: Decimal | None
    masked_pan: str | None
    card_scheme: str | None
    app_label: str | None
    auth_code: str | None
    input_source: str | None
    cvm_mode: str | None
    host: str | None
    reference_number: str | None
    reference_txn_id: str | None
    issuer_id: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration: int | None
    attempts_remaining: int | None
    num_attempts: int | None
    timeout_ms: int | None
    stan: int | None
    message_number: int | None
    session_number: int | None
    is_contactless: bool | None
    is_emv: bool | None
    is_keyed: bool | None
    is_online: bool | None
    is_online_pin: bool | None
    is_offline_pin: bool | None
    is_reversed: bool | None
    is_deferred_auth: bool | None
    is_signature_required: bool | None
    app_confirmation_required: bool | None

    @classmethod
    def from_dict(cls, data: Any) -> GoTransaction:
        """Build from the ``transaction`` object of a transaction document."""
        d = c.validate(_TRANSACTION_SCHEMA, data, "Kinetic Go transaction")
        d["masked_pan"] = mask_pan(d.pop("account_number"))
        d["card_scheme"] = d.pop("card_details")
        return cls(**d)

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
        )
